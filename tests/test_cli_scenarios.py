"""The command line, end to end: ``--version``, ``--help``, ``factions scenarios ...``, and the
promise that a bad scenario or override exits with status 2, a one-screen message, no traceback,
and nothing written.

A few tests run the installed ``factions`` script in a subprocess (what users see, stderr
included); the rest use click's CliRunner, which is faster. No test runs a simulation.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from factions import __version__
from factions.cli import main
from factions.scenario import EVENT_KINDS, json_schema, list_bundled, load_scenario

ROOT = Path(__file__).resolve().parents[1]
BUNDLED = sorted((ROOT / "scenarios").glob("*.toml"))
SCRIPT = Path(sys.executable).with_name("factions")
COMMAND = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "factions.cli"]
SCREEN = 40  # lines: an error message must fit on one screen


def factions(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    """Run the real ``factions`` command."""
    return subprocess.run(
        [*COMMAND, *args], cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )


def invoke(*args: str):
    """Run ``factions`` in-process; a crash is a test failure, not an exit status."""
    result = CliRunner().invoke(main, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def assert_usage_error(result, *expected: str) -> None:
    """Exit status 2, no traceback, a short message on stderr that contains ``expected``."""
    code = result.returncode if hasattr(result, "returncode") else result.exit_code
    assert code == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert "Traceback" not in result.stdout
    assert 0 < len(result.stderr.strip().splitlines()) <= SCREEN
    for text in expected:
        assert text in result.stderr, result.stderr


@pytest.fixture
def bad_scenario(write_toml, minimal_scenario) -> Path:
    """A scenario with a misspelled key on a known line."""
    return write_toml(
        minimal_scenario.replace("cohesion", "x").replace("cadres = 15", "cadre = 15")
    )


# --------------------------------------------------------------------------- version and help


def test_version():
    result = factions("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"factions, version {__version__}"


@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_help_lists_commands_and_examples(flag):
    result = invoke(flag)
    assert result.exit_code == 0
    for command in ("run", "scenarios", "validate"):
        assert command in result.stdout
    assert "Examples:" in result.stdout
    assert "factions run korea-1945" in result.stdout
    assert "--set" in result.stdout
    assert "factions scenarios check" in result.stdout


def test_no_command_shows_help():
    result = invoke()
    assert "Usage: " in result.stdout + result.stderr
    assert "Examples:" in result.stdout + result.stderr


@pytest.mark.parametrize("command", ["list", "show", "check", "schema"])
def test_scenarios_subcommands_have_help(command):
    result = invoke("scenarios", command, "--help")
    assert result.exit_code == 0
    assert "Usage:" in result.stdout
    assert f"scenarios {command}" in result.stdout


def test_unknown_command_is_a_usage_error():
    result = invoke("scenarios", "lsit")
    assert result.exit_code == 2
    assert "No such command" in result.stderr


# --------------------------------------------------------------------------- scenarios list / show


def test_scenarios_list_names_every_bundled_scenario():
    result = invoke("scenarios", "list")
    assert result.exit_code == 0
    names = [line.split()[0] for line in result.stdout.splitlines() if line.strip()]
    assert names == list_bundled()
    assert load_scenario("korea-1945").title in result.stdout


def _shown(stdout: str) -> tuple[dict, str]:
    """The TOML document printed by ``scenarios show``, and the hash on its last line."""
    document = tomllib.loads(stdout)
    last = stdout.strip().splitlines()[-1]
    assert last.startswith("# hash: ")
    return document, last.removeprefix("# hash: ")


def test_scenarios_show_round_trips(write_toml):
    """Printed TOML parses and validates to the same scenario (run as a real process)."""
    result = factions("scenarios", "show", "korea-1945")
    assert result.returncode == 0, result.stderr
    document, shown_hash = _shown(result.stdout)
    korea = load_scenario("korea-1945")
    assert shown_hash == korea.hash  # the hash is the same in another process
    assert document["name"] == "korea-1945"
    assert load_scenario(write_toml(result.stdout, "shown.toml")).hash == korea.hash


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_scenarios_show_round_trips_every_bundled_file(write_toml, path):
    result = invoke("scenarios", "show", str(path))
    assert result.exit_code == 0, result.stderr
    _, shown_hash = _shown(result.stdout)
    again = load_scenario(write_toml(result.stdout, "shown.toml"))
    assert again.hash == shown_hash == load_scenario(path).hash


def test_scenarios_show_resolves_extends(write_toml, minimal_scenario):
    write_toml(minimal_scenario, "base.toml")
    child = write_toml(
        'extends = "base.toml"\nname = "child"\n\n[patrons.big]\npresence = 0.9\n', "c.toml"
    )
    result = invoke("scenarios", "show", str(child))
    assert result.exit_code == 0, result.stderr
    document, shown_hash = _shown(result.stdout)
    assert document["patrons"]["big"]["presence"] == 0.9  # the child's value
    assert document["patrons"]["big"]["label"] == "Big Power"  # merged key by key
    assert document["factions"]["reds"]["label"] == "Reds"  # inherited
    assert shown_hash == load_scenario(child).hash


def test_scenarios_show_with_overrides():
    result = invoke(
        "scenarios",
        "show",
        "korea-1945",
        "--set",
        "title=What if",
        "--set",
        "mechanisms.purge.enabled=false",
    )
    assert result.exit_code == 0, result.stderr
    document, shown_hash = _shown(result.stdout)
    assert document["title"] == "What if"
    assert document["mechanisms"]["purge"]["enabled"] is False
    assert shown_hash != load_scenario("korea-1945").hash


def test_scenarios_show_json():
    result = invoke("scenarios", "show", "korea-1945", "--json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["name"] == "korea-1945"
    assert set(data["events"]) == set(load_scenario("korea-1945").events)


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        (["factions.yanan.militray=0.6"], ["factions.yanan.militray", "did you mean 'military'?"]),
        (["factions.yanan.military.x=1"], ["'factions.yanan.military' is a value, not a table"]),
        (["factions.yanan.cohesion"], ["dotted.path=value"]),
        (["start=1950/06"], ["start", "'YYYY-MM'", "set by override 'start'"]),
    ],
)
def test_scenarios_show_with_a_bad_override(overrides, expected):
    args = [item for o in overrides for item in ("--set", o)]
    result = invoke("scenarios", "show", "korea-1945", *args)
    assert_usage_error(result, "error:", *expected)
    assert result.stdout == ""


def test_scenarios_show_unknown_name():
    assert_usage_error(invoke("scenarios", "show", "korea-1946"), "did you mean 'korea-1945'?")


# --------------------------------------------------------------------------- scenarios check


def test_scenarios_check_every_bundled_file():
    result = invoke("scenarios", "check", *(str(p) for p in BUNDLED))
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == len(BUNDLED)
    assert all(line.startswith("ok ") for line in lines)
    korea = load_scenario("korea-1945")
    assert f"({korea.name}, {korea.hash[:12]})" in result.stdout


def test_scenarios_check_accepts_bundled_names():
    result = invoke("scenarios", "check", "korea-1945")
    assert result.exit_code == 0
    assert result.stdout.startswith("ok   korea-1945")


def test_scenarios_check_a_bad_file_as_a_user_sees_it(bad_scenario, minimal_scenario):
    """Real process: status 2, no traceback, file:line: path: message, the value and a hint."""
    result = factions("scenarios", "check", str(bad_scenario))
    text = bad_scenario.read_text()
    line = next(i for i, s in enumerate(text.splitlines(), 1) if s.startswith("cadre ="))
    assert_usage_error(
        result,
        f"{bad_scenario}:{line}: factions.blues.cadre: unknown key",
        "got: 15",
        "hint: did you mean 'cadres'?",
        "factions.blues.cadres: required field is missing",
        "1 of 1 scenario files invalid",
    )
    assert result.stdout == ""


def test_scenarios_check_reports_every_file(bad_scenario, write_toml, minimal_scenario):
    good = write_toml(minimal_scenario, "good.toml")
    missing = bad_scenario.parent / "missing.toml"
    result = invoke("scenarios", "check", str(good), str(bad_scenario), str(missing))
    assert_usage_error(result, "2 of 3 scenario files invalid", "missing.toml' not found")
    assert result.stdout.startswith(f"ok   {good}")


def test_scenarios_check_toml_syntax_error(write_toml, minimal_scenario):
    path = write_toml(minimal_scenario.replace("cadres = 20", "cadres = = 20"))
    result = invoke("scenarios", "check", str(path))
    assert_usage_error(result, f"{path}:", "not valid TOML", "cadres = = 20", "hint:")


def test_scenarios_check_extends_cycle(write_toml):
    write_toml('extends = "b"\n', "a.toml")
    b = write_toml('extends = "a"\n', "b.toml")
    assert_usage_error(invoke("scenarios", "check", str(b)), "cycle", "b.toml -> a.toml -> b.toml")


def test_scenarios_check_needs_a_file():
    result = invoke("scenarios", "check")
    assert result.exit_code == 2
    assert "Missing argument" in result.stderr


# --------------------------------------------------------------------------- scenarios schema


def test_scenarios_schema_prints_the_json_schema():
    result = invoke("scenarios", "schema")
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    assert schema == json.loads(json.dumps(json_schema()))
    for kind in EVENT_KINDS:
        assert f'"{kind}"' in result.stdout


# --------------------------------------------------------------------- run, validate: refuse early


def test_run_with_a_bad_scenario_writes_nothing(bad_scenario, tmp_path):
    """Real process: the user's view of a failed `factions run`."""
    out = tmp_path / "results"
    result = factions(
        "run", str(bad_scenario), "--out", str(out), "-n", "2", "-j", "1", cwd=tmp_path
    )
    assert_usage_error(result, "error: invalid scenario", "did you mean 'cadres'?")
    assert not out.exists()
    assert not (tmp_path / "results").exists()


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        (["factions.yanan.militray=0.6"], ["did you mean 'military'?"]),
        (["factions.yanan.military=nan"], ["finite", "set by override"]),
        (["factions.yanan.military=-1"], ["greater than or equal to 0", "hint: allowed"]),
        (["membership.capacity=1_000_000_000_000"], ["membership.capacity", "less than or equal"]),
        (["factions.yanan.cadres=1_000_000_000_000"], ["factions.yanan.cadres"]),
        (["end=1940-01"], ["end: must be after start"]),
        (
            ["events.extra={ kind = 'setback', date = '1999-01', magnitude = 0.5 }"],
            ["within the scenario's span"],
        ),
        (["leader.name=Nobody"], ["leader.name"]),
        (["no-equals-sign"], ["dotted.path=value"]),
        (["name.x=1"], ["'name' is a value, not a table"]),
        (["mechanisms.purge.enabled.x=1"], ["mechanisms.purge.enabled", "true or false"]),
    ],
)
def test_run_with_a_bad_override_writes_nothing(tmp_path, monkeypatch, overrides, expected):
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "out"
    args = [item for o in overrides for item in ("--set", o)]
    result = invoke("run", "korea-1945", *args, "--out", str(out), "-n", "2", "-j", "1")
    assert_usage_error(result, "error:", *expected)
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []  # not even the default results/ folder


def test_run_with_an_unknown_scenario_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = invoke("run", "korea-1946", "--out", str(tmp_path / "out"))
    assert_usage_error(result, "'korea-1946' not found", "did you mean 'korea-1945'?")
    assert list(tmp_path.iterdir()) == []


def test_validate_with_a_bad_override(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = invoke("validate", "korea-1945", "--set", "factions.yanan.cohesion=2", "-n", "2")
    assert_usage_error(result, "factions.yanan.cohesion", "less than or equal to 1")
    assert list(tmp_path.iterdir()) == []
