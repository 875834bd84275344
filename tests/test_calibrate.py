"""`factions calibrate`: parsing and checks (without pyabc), and small ABC-SMC runs (with pyabc)."""

from __future__ import annotations

import json
import sys
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from factions.calibrate import (
    Parameter,
    calibrate,
    check_parameters,
    failure_distance,
    parse_parameter,
    particle_seed,
    weighted_quantiles,
)
from factions.calibrate.files import check_folder, check_scenario_file
from factions.cli import main
from factions.errors import CalibrationError
from factions.scenario import load_scenario

TINY = Path(__file__).parent / "data" / "tiny.toml"
LAUNCH = "mechanisms.purge.launch_rate"


@pytest.fixture(scope="module")
def korea():
    return load_scenario("korea-1945")


PATTERNS = """
[[patterns]]
kind = "survives"
faction = "locals"

[[patterns]]
kind = "survives"
faction = "clients"
min_pass_rate = 0.8
"""


@pytest.fixture
def tiny_patterns(write_toml) -> Path:
    """tiny.toml with two survival patterns; purges break them (the launch rate matters)."""
    return write_toml(f'extends = "{TINY}"\nname = "tiny-patterns"\n{PATTERNS}', "tiny-p.toml")


@pytest.fixture
def short_patterns(write_toml) -> Path:
    """The same, eighteen months long (later events dropped): cheap runs for the fast tests."""
    document = tomllib.loads(TINY.read_text()) | tomllib.loads(PATTERNS)
    document |= {"name": "short", "end": "1951-06"}
    document["events"] = {k: e for k, e in document["events"].items() if e["date"] <= "1951-04"}
    document["events"]["war"]["end"] = "1951-06"
    return write_toml(document, "short-patterns.toml")


def run_cli(*args: str):
    return CliRunner().invoke(main, ["calibrate", *args], catch_exceptions=False)


# --------------------------------------------------------------------------- parsing, no pyabc


def test_parse_parameter():
    assert parse_parameter(f" {LAUNCH} =0.1:0.4") == Parameter(LAUNCH, 0.1, 0.4)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (LAUNCH, "must look like 'dotted.path=LOW:HIGH'"),
        (f"{LAUNCH}=0.1", "must look like"),
        ("mechanisms..launch_rate=0:1", "must look like"),
        ("=0:1", "must look like"),
        (f"{LAUNCH}=low:1", "LOW and HIGH must be numbers"),
        (f"{LAUNCH}=0:inf", "must be finite"),
        (f"{LAUNCH}=0.5:0.2", "LOW must be below HIGH"),
        (f"{LAUNCH}=0.3:0.3", "LOW must be below HIGH"),
    ],
)
def test_parse_parameter_errors(text, message):
    with pytest.raises(CalibrationError, match=message):
        parse_parameter(text)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("mechanisms.purge.launch_rat=0:1", "did you mean 'launch_rate'"),
        ("factions.yanann.military=0:1", "did you mean 'yanan'"),
        ("mechanisms.purgee.launch_rate=0:1", "did you mean 'purge'"),
        ("mechanisms.purge=0:1", r"not a numeric scenario value \(it is a table\)"),
        ("mechanisms.purge.enabled=0:1", "not a numeric scenario value"),
        ("leader.name=0:1", "not a numeric scenario value"),
        (f"{LAUNCH}.x=0:1", "is a value, not a table"),
        (f"{LAUNCH}=0:1.5", r"invalid scenario at .*launch_rate=1\.5.*<= 1"),
        ("mechanisms.purge.campaign_months=5.1:5.4", "round to the same value"),
    ],
)
def test_check_parameters_errors(korea, text, message):
    with pytest.raises(CalibrationError, match=message):
        check_parameters(korea, [parse_parameter(text)])


def test_check_parameters_types_and_repeats(korea):
    checked = check_parameters(
        korea,
        [
            parse_parameter(f"{LAUNCH}=0:1"),
            parse_parameter("mechanisms.purge.campaign_months=3:12"),
        ],
    )
    assert [p.integer for p in checked] == [False, True]
    assert checked[1].value(7.6) == 8
    with pytest.raises(CalibrationError, match="given twice"):
        check_parameters(korea, [parse_parameter(f"{LAUNCH}=0:1")] * 2)
    with pytest.raises(CalibrationError, match="at least one"):
        check_parameters(korea, [])


def test_failure_distance_and_seeds():
    target = {"pattern0": 1.0, "pattern1": 1.0}
    assert failure_distance({"pattern0": 1.0, "pattern1": 1.0}, target) == 0.0
    assert failure_distance({"pattern0": 0.0, "pattern1": 0.0}, target) == 1.0
    assert failure_distance({"pattern0": 0.5, "pattern1": 1.0}, target) == pytest.approx(
        np.sqrt(0.125)
    )
    # recorded values: a particle's ensemble must get the same seed on every machine and release
    assert particle_seed(1, 0) == 228870678911130231566623931088538940326
    assert particle_seed(1, 1) == 271616596104242967992275749178091872781
    assert len({particle_seed(1, 0), particle_seed(1, 1), particle_seed(2, 0)}) == 3


def test_weighted_quantiles():
    values = np.array([3.0, 1.0, 2.0])
    assert weighted_quantiles(values, np.ones(3), [0.5]) == [2.0]
    assert weighted_quantiles(values, np.array([0.0, 1.0, 0.0]), [0.5]) == [1.0]


def test_folder_and_file_checks(tmp_path):
    check_folder(tmp_path / "new")
    check_folder(tmp_path)  # empty: fine
    (tmp_path / "other.txt").write_text("keep me")
    with pytest.raises(CalibrationError, match="give --force"):
        check_folder(tmp_path)
    with pytest.raises(CalibrationError, match="not a calibration folder"):
        check_folder(tmp_path, force=True)
    (tmp_path / "summary.json").write_text(json.dumps({"kind": "calibration"}))
    check_folder(tmp_path, force=True)
    with pytest.raises(CalibrationError, match=r"must end in \.toml"):
        check_scenario_file(tmp_path / "out.txt")
    existing = tmp_path / "other.toml"
    existing.write_text("")
    with pytest.raises(CalibrationError, match="give --force"):
        check_scenario_file(existing)
    check_scenario_file(existing, force=True)


def test_cli_bad_param_exits_2_and_writes_nothing(tmp_path):
    out = tmp_path / "calib"
    result = run_cli("korea-1945", "--param", "mechanisms.purge.launch_rat=0:1", "--out", str(out))
    assert result.exit_code == 2
    assert "did you mean 'launch_rate'" in result.output
    assert not out.exists()


def test_cli_existing_folder_needs_force(tmp_path):
    (tmp_path / "x.txt").write_text("keep me")
    result = run_cli("korea-1945", "--param", f"{LAUNCH}=0:1", "--out", str(tmp_path))
    assert result.exit_code == 2
    assert "give --force" in result.output
    result = run_cli("korea-1945", "--param", f"{LAUNCH}=0:1", "--out", str(tmp_path), "--force")
    assert result.exit_code == 2
    assert "not a calibration folder" in result.output
    assert [p.name for p in tmp_path.iterdir()] == ["x.txt"]


def test_cli_without_pyabc_says_how_to_install(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "pyabc", None)  # `import pyabc` raises ImportError
    result = run_cli("korea-1945", "--param", f"{LAUNCH}=0:1", "--out", str(tmp_path / "c"))
    assert result.exit_code == 2
    assert 'pip install "factions[calibrate]"' in result.output
    assert not (tmp_path / "c").exists()


def test_cli_interrupt_exits_130_and_writes_nothing(tmp_path, monkeypatch):
    pytest.importorskip("pyabc")
    from factions.calibrate import smc

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(smc, "calibrate", interrupted)
    result = run_cli("korea-1945", "--param", f"{LAUNCH}=0:1", "--out", str(tmp_path / "c"))
    assert result.exit_code == 130
    assert "interrupted: nothing written" in result.output
    assert list(tmp_path.iterdir()) == []  # neither the folder nor its staging copy


# --------------------------------------------------------------------------- ABC-SMC runs, pyabc


def test_cli_end_to_end_and_posterior_mean_scenario(short_patterns, tmp_path):
    pytest.importorskip("pyabc")
    out, written = tmp_path / "calib", tmp_path / "scenarios" / "tiny-calibrated.toml"
    args = [str(short_patterns), "--param", f"{LAUNCH}=0:1", "--populations", "1"]
    args += ["--particles", "3", "-n", "2", "-j", "1", "--seed", "3"]
    result = run_cli(*args, "--out", str(out), "--write-scenario", str(written))
    assert result.exit_code == 0, result.output
    names = {"abc.db", "posterior.csv", "generations.csv", "patterns.csv", "summary.json"}
    assert names <= {p.name for p in out.iterdir()}
    assert {p.name for p in (out / "figures").iterdir()} == {"posterior.png", "pattern-fit.png"}
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no staging left
    summary = json.loads((out / "summary.json").read_text())
    assert summary["kind"] == "calibration" and summary["particles"] == 3
    posterior = pd.read_csv(out / "posterior.csv")
    assert len(posterior) == 3 and posterior["weight"].sum() == pytest.approx(1.0)

    text = written.read_text()
    assert f'extends = "../{short_patterns.name}"' in text
    spec = load_scenario(written)
    assert spec.name == "tiny-calibrated" and spec.end == "1951-06"
    mean = summary["posterior_mean"][LAUNCH]
    assert spec.mechanisms.purge.launch_rate == pytest.approx(mean, rel=1e-3)
    assert [p.kind for p in spec.patterns] == ["survives", "survives"]  # inherited
    from factions.ensemble import run_ensemble

    assert len(run_ensemble(str(written), replicates=2, seed=1).runs) == 2

    again = run_cli(*args, "--out", str(out))
    assert again.exit_code == 2 and "give --force" in again.output


def test_same_seed_same_posterior(short_patterns):
    pytest.importorskip("pyabc")
    state = np.random.get_state()  # noqa: NPY002
    kwargs = {"populations": 1, "particles": 3, "replicates": 2, "seed": 5}
    first = calibrate(str(short_patterns), [f"{LAUNCH}=0:1"], **kwargs)
    second = calibrate(str(short_patterns), [f"{LAUNCH}=0:1"], **kwargs)
    pd.testing.assert_frame_equal(first.posterior, second.posterior)
    assert np.array_equal(np.random.get_state()[1], state[1])  # noqa: NPY002 (restored)


@pytest.mark.slow
def test_same_posterior_with_two_workers(tiny_patterns):
    pytest.importorskip("pyabc")
    kwargs = {"populations": 2, "particles": 4, "replicates": 4, "seed": 5}
    serial = calibrate(str(tiny_patterns), [f"{LAUNCH}=0:1"], workers=1, **kwargs)
    parallel = calibrate(str(tiny_patterns), [f"{LAUNCH}=0:1"], workers=2, **kwargs)
    pd.testing.assert_frame_equal(serial.posterior, parallel.posterior)


@pytest.mark.slow
def test_recovers_the_region_where_the_patterns_pass(tiny_patterns):
    """Purges break both survival patterns: the posterior moves to low launch rates."""
    pytest.importorskip("pyabc")
    result = calibrate(
        str(tiny_patterns),
        [f"{LAUNCH}=0:0.5"],  # up to 1, most of the box fails both patterns in every run
        populations=3,
        particles=12,
        replicates=4,
        seed=2,
    )
    table = result.posterior_table().iloc[0]
    assert table["mean"] < 0.15  # prior mean 0.25; at 0.3 `locals` falls in ~95% of runs
    assert table["q975"] < 0.3
    last = result.patterns["last_population"]
    assert (last > result.patterns["first_population"]).all()
