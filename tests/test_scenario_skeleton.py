"""``factions scenarios new`` writes a skeleton that checks as written and never overwrites;
``factions scenarios show`` writes a scenario that stands alone (no ``extends``)."""

from __future__ import annotations

import tomllib

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from factions.cli import main
from factions.errors import ScenarioError
from factions.scenario import load_scenario
from factions.scenario.schema import Scenario
from factions.scenario.skeleton import skeleton, write_skeleton

IDS = st.from_regex(r"[a-z][a-z0-9_-]{0,20}", fullmatch=True)


def invoke(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_new_then_check_exits_0(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    created = invoke("scenarios", "new", "demo")
    assert created.exit_code == 0, created.output
    assert (tmp_path / "demo.toml").is_file()
    checked = invoke("scenarios", "check", "demo.toml")
    assert checked.exit_code == 0, checked.output
    assert checked.output.startswith("ok   demo.toml (demo,")


def test_new_refuses_to_overwrite(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "demo.toml").write_text("keep me\n")
    result = CliRunner().invoke(main, ["scenarios", "new", "demo"])
    assert result.exit_code == 2
    assert "demo.toml exists" in result.output
    assert (tmp_path / "demo.toml").read_text() == "keep me\n"


def test_new_with_factions_option(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert invoke("scenarios", "new", "sub.toml", "--factions", "kim,pak").exit_code == 0
    scenario = load_scenario(tmp_path / "sub.toml")
    assert scenario.name == "sub"
    assert scenario.faction_ids == ["kim", "pak"]
    assert scenario.leader.faction == "kim"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["Bad Name"], "not a valid identifier"),
        (["ok", "--factions", "a"], "2 to 20 factions"),
        (["ok", "--factions", "a,a"], "distinct"),
        (["ok", "--factions", "a,B"], "faction id 'B'"),
        (["no-such-folder/x.toml"], "does not exist"),
    ],
)
def test_new_refuses_bad_input_with_exit_2(tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["scenarios", "new", *args])
    assert result.exit_code == 2
    assert message in result.output
    assert not list(tmp_path.iterdir())


def test_skeleton_shows_every_section_and_every_mechanism():
    text = skeleton("demo")
    for section in [
        "[leader]",
        "[factions.",
        "[patrons.",
        "[network]",
        "[committee]",
        "[membership]",
        "[elimination]",
        "[events.",
        "[[patterns]]",
    ]:
        assert section in text
    for mechanism in Scenario.model_fields["mechanisms"].annotation.model_fields:
        assert f"[mechanisms.{mechanism}]" in text
    # every commented line is itself valid TOML once uncommented (defaults are real values)
    uncommented = "\n".join(
        line.removeprefix("# ") for line in text.splitlines() if line.startswith("# [mechanisms")
    )
    tomllib.loads(uncommented)


@settings(max_examples=30, deadline=None)
@given(name=IDS, factions=st.lists(IDS, min_size=2, max_size=6, unique=True))
def test_any_valid_name_and_factions_give_a_valid_scenario(name, factions):
    document = tomllib.loads(skeleton(name, factions))
    from factions.scenario.load import scenario_from_document

    scenario = scenario_from_document(document)
    assert scenario.name == name
    assert scenario.faction_ids == factions


def test_write_skeleton_never_overwrites(tmp_path):
    path = write_skeleton(str(tmp_path / "x.toml"))
    with pytest.raises(ScenarioError, match="exists"):
        write_skeleton(str(path))


def test_show_of_an_extending_scenario_stands_alone(
    tmp_path, monkeypatch, write_toml, minimal_scenario
):
    """The output of `show` saved elsewhere is a valid scenario with the same content."""
    write_toml(minimal_scenario, "src/base.toml")
    child = write_toml('extends = "base.toml"\nname = "child"\n', "src/child.toml")
    shown = invoke("scenarios", "show", str(child))
    assert shown.exit_code == 0
    assert "extends" not in shown.output
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "child.toml").write_text(shown.output)
    monkeypatch.chdir(elsewhere)
    assert invoke("scenarios", "check", "child.toml").exit_code == 0
    assert load_scenario(elsewhere / "child.toml").hash == load_scenario(child).hash


def test_a_missing_parent_names_the_file_that_asked(write_toml):
    child = write_toml('extends = "gone.toml"\nname = "child"\n', "asker.toml")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(child)
    message = str(caught.value)
    assert str(child) in message and "'gone.toml' not found" in message


def test_show_json_has_no_extends():
    shown = invoke("scenarios", "show", "korea-no-war", "--json")
    assert '"extends"' not in shown.output
