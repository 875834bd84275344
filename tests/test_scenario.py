"""Scenario loading: bundled files, names and paths, ``extends``, overrides, hashing, JSON Schema.

Mechanism parameters and outcomes are recalibrated often, so no test here hard-codes them: values
are read from the bundled file and changed relative to what is there.
"""

from __future__ import annotations

import copy
import json
import math
import pickle
import tomllib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from factions.errors import Problem, ScenarioError, ScenarioValidationError
from factions.scenario import (
    EVENT_KINDS,
    Scenario,
    apply_overrides,
    json_schema,
    list_bundled,
    load_scenario,
    locate,
    parse_override,
)
from factions.scenario.load import deep_merge, scenario_from_document
from factions.scenario.render import to_toml

ROOT = Path(__file__).resolve().parents[1]
BUNDLED = sorted((ROOT / "scenarios").glob("*.toml"))


ORDERED_TABLES = {"factions", "patrons", "events"}  # their declared order numbers the model's ids


def _reverse_keys(value: Any, keep_order: bool = False) -> Any:
    """The same data with every table's keys in reverse order (but the id-keyed tables')."""
    if isinstance(value, dict):
        keys = list(value) if keep_order else list(reversed(list(value)))
        return {k: _reverse_keys(value[k], k in ORDERED_TABLES) for k in keys}
    if isinstance(value, list):
        return [_reverse_keys(v) for v in value]
    return value


def _first_event(document: dict[str, Any], kind: str | None = None) -> str:
    return next(k for k, e in document["events"].items() if kind is None or e["kind"] == kind)


# --------------------------------------------------------------------------- bundled files


def test_there_are_bundled_scenarios():
    assert BUNDLED, "scenarios/ holds no .toml file"
    assert "korea-1945" in list_bundled()
    assert list_bundled() == sorted(p.stem for p in BUNDLED)


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_every_bundled_file_loads(path: Path):
    scenario = load_scenario(path)
    assert isinstance(scenario, Scenario)
    assert scenario.end_month > scenario.start_month
    assert len(scenario.hash) == 64
    assert scenario.hash == load_scenario(path).hash  # stable across loads
    changed = load_scenario(path, overrides={"mechanisms.purge.launch_rate": 0.123})
    assert changed.hash != scenario.hash  # and it follows the values


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_bundled_name_and_path_give_the_same_scenario(path: Path):
    by_name = load_scenario(path.stem)
    assert by_name.hash == load_scenario(path).hash == load_scenario(str(path)).hash
    assert locate(path.stem) == path.resolve()


def test_relative_path_is_read_from_the_working_directory(monkeypatch):
    monkeypatch.chdir(ROOT)
    assert load_scenario("scenarios/korea-1945.toml").hash == load_scenario("korea-1945").hash


def test_a_local_file_is_not_confused_with_a_bundled_name(write_toml, minimal_scenario):
    path = write_toml(minimal_scenario, "korea-1945.toml")
    assert load_scenario(path).name == "mini"
    assert load_scenario("korea-1945").name == "korea-1945"


def test_unknown_bundled_name_suggests_the_closest():
    with pytest.raises(ScenarioError, match=r"'korea-1946' not found.*did you mean 'korea-1945'"):
        load_scenario("korea-1946")


def test_minimal_scenario_loads_with_defaults(write_toml, minimal_scenario):
    scenario = load_scenario(write_toml(minimal_scenario))
    assert scenario.name == "mini"
    assert scenario.n_months == 6 * 12
    assert scenario.faction_ids == ["reds", "blues"]
    assert [key for key, _ in scenario.active_events()] == ["war", "congress"]
    assert scenario.mechanisms.purge.enabled  # defaults filled in


# --------------------------------------------------------------------------- extends


def test_deep_merge_merges_tables_and_replaces_everything_else():
    base = {"a": {"x": 1, "y": {"p": 1, "q": 2}}, "l": [1, 2, 3], "s": "base"}
    child = {"a": {"y": {"q": 20}, "z": 3}, "l": [9], "s": {"now": "a table"}}
    merged = deep_merge(base, child)
    assert merged == {
        "a": {"x": 1, "y": {"p": 1, "q": 20}, "z": 3},
        "l": [9],
        "s": {"now": "a table"},
    }
    assert base == {"a": {"x": 1, "y": {"p": 1, "q": 2}}, "l": [1, 2, 3], "s": "base"}


def test_extends_chain_child_wins_tables_merge_lists_replace(write_toml, korea_document):
    korea = load_scenario("korea-1945")
    yanan = korea_document["factions"]["yanan"]
    kapsan_leader = korea.leader.name
    b_military = round(yanan["military"] + 0.25, 6)
    a_military = round(yanan["military"] + 0.5, 6)
    write_toml(
        f"""
        extends = "korea-1945"
        title = "b's title"
        sources = ["only this one"]

        [factions.yanan]
        military = {b_military}
        cohesion = 0.11

        [factions.kapsan]
        notables = [{{ name = "{kapsan_leader}" }}]
        """,
        "b.toml",
    )
    a = write_toml(
        f"""
        extends = "b.toml"
        name = "a"

        [factions.yanan]
        military = {a_military}
        """,
        "a.toml",
    )
    scenario = load_scenario(a)
    assert scenario.name == "a"  # child
    assert scenario.title == "b's title"  # middle
    assert scenario.description == korea.description  # root
    assert scenario.extends == "b.toml"
    yanan_a = scenario.factions["yanan"]
    assert yanan_a.military == a_military  # the child wins over both parents
    assert yanan_a.cohesion == 0.11  # a key set only in the middle survives
    assert yanan_a.label == korea.factions["yanan"].label  # keys set only in the root survive
    assert yanan_a.loyalty == korea.factions["yanan"].loyalty
    assert scenario.sources == ["only this one"]  # lists are replaced, not appended
    assert [n.name for n in scenario.factions["kapsan"].notables] == [kapsan_leader]
    assert scenario.events == korea.events
    assert scenario.hash != korea.hash


def test_extends_resolves_relative_to_the_extending_file(write_toml, minimal_scenario, monkeypatch):
    write_toml(minimal_scenario, "sub/base.toml")
    child = write_toml('extends = "base.toml"\nname = "child"\n', "sub/child.toml")
    elsewhere = child.parent.parent / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert load_scenario(child).name == "child"
    write_toml('extends = "base"\nname = "by-stem"\n', "sub/stem.toml")
    assert load_scenario(child.parent / "stem.toml").name == "by-stem"


def test_extending_without_changes_keeps_the_hash(write_toml):
    child = write_toml('extends = "korea-1945"\n')
    assert load_scenario(child).hash == load_scenario("korea-1945").hash


@pytest.mark.parametrize(
    ("files", "cycle"),
    [
        ({"a.toml": 'extends = "a.toml"'}, "a.toml -> a.toml"),
        ({"a.toml": 'extends = "a"'}, "a.toml -> a.toml"),
        (
            {"a.toml": 'extends = "b.toml"', "b.toml": 'extends = "a.toml"'},
            "a.toml -> b.toml -> a.toml",
        ),
        (
            {"a.toml": 'extends = "b"', "b.toml": 'extends = "c"', "c.toml": 'extends = "b"'},
            "b.toml -> c.toml -> b.toml",
        ),
    ],
    ids=["self", "self-by-stem", "a-b-a", "a-b-c-b"],
)
def test_extends_cycles_are_refused_and_named(write_toml, files, cycle):
    for name, text in files.items():
        write_toml(text + "\n", name)
    with pytest.raises(ScenarioError, match="cycle") as caught:
        load_scenario(write_toml(files["a.toml"] + "\n", "a.toml"))
    assert cycle in str(caught.value)


def test_extends_of_a_missing_parent(write_toml):
    with pytest.raises(ScenarioError, match="'no-such-parent' not found"):
        load_scenario(write_toml('extends = "no-such-parent"\n'))


def test_extends_must_be_a_string(write_toml):
    path = write_toml("extends = 5\n")
    with pytest.raises(ScenarioError, match="'extends' must be a scenario name or path") as caught:
        load_scenario(path)
    assert str(path) in str(caught.value)


# --------------------------------------------------------------------------- overrides


@pytest.mark.parametrize(
    ("assignment", "expected"),
    [
        ("factions.yanan.military=0.6", ("factions.yanan.military", 0.6)),
        ("membership.scale = 500", ("membership.scale", 500)),
        ("mechanisms.purge.enabled=false", ("mechanisms.purge.enabled", False)),
        ("title=A what-if", ("title", "A what-if")),
        ('title="quoted = kept"', ("title", "quoted = kept")),
        ("end=1958-12", ("end", "1958-12")),
        ("events.x.factions=['yanan', 'soviet']", ("events.x.factions", ["yanan", "soviet"])),
        ("loyalty={ mean = 0.5 }", ("loyalty", {"mean": 0.5})),
        ("n=" + "1" * 5000, ("n", "1" * 5000)),  # too long for an int: kept as text
    ],
)
def test_parse_override(assignment, expected):
    assert parse_override(assignment) == expected


@pytest.mark.parametrize("assignment", ["no-equals-sign", "=1", "a..b=1", ".a=1", "a.=1"])
def test_parse_override_refuses_malformed_assignments(assignment):
    with pytest.raises(ScenarioError, match=r"dotted\.path=value"):
        parse_override(assignment)


def test_overrides_numbers_bools_and_strings(korea_document):
    military = korea_document["factions"]["yanan"]["military"] + 0.1
    event = _first_event(korea_document)
    scenario = load_scenario(
        "korea-1945",
        [
            f"factions.yanan.military={military}",
            "membership.scale=500",
            "mechanisms.purge.enabled=false",
            f"events.{event}.enabled=false",
            "title=What if",
        ],
    )
    assert scenario.factions["yanan"].military == pytest.approx(military)
    assert scenario.membership.scale == 500
    assert scenario.mechanisms.purge.enabled is False
    assert scenario.events[event].enabled is False
    assert event not in dict(scenario.active_events())
    assert scenario.title == "What if"
    assert scenario.hash != load_scenario("korea-1945").hash


def test_overrides_as_a_mapping_and_as_strings_agree():
    as_map = load_scenario("korea-1945", {"factions.yanan.cohesion": 0.2, "title": "x"})
    as_list = load_scenario("korea-1945", ["factions.yanan.cohesion=0.2", "title=x"])
    assert as_map.hash == as_list.hash


def test_override_an_int_into_a_float_field_gives_the_same_hash():
    assert (
        load_scenario("korea-1945", ["factions.yanan.military=1"]).hash
        == load_scenario("korea-1945", ["factions.yanan.military=1.0"]).hash
    )


def test_override_can_add_a_whole_event_as_an_inline_table(korea_document):
    date = korea_document["start"]
    scenario = load_scenario(
        "korea-1945", [f'events.extra={{ kind = "setback", date = "{date}", magnitude = 0.5 }}']
    )
    assert scenario.events["extra"].kind == "setback"
    assert scenario.events["extra"].date == date


def test_override_of_a_new_misspelled_key_is_refused_with_a_suggestion():
    with pytest.raises(ScenarioValidationError) as caught:
        load_scenario("korea-1945", ["factions.yanan.militray=0.6"])
    (problem,) = caught.value.problems
    assert problem.path == "factions.yanan.militray"
    assert problem.hint == "did you mean 'military'?"
    assert "override 'factions.yanan.militray'" in problem.message
    assert problem.line is None  # the file has no such line: do not point into it


def test_override_with_an_invalid_value_names_the_override():
    with pytest.raises(ScenarioValidationError) as caught:
        load_scenario("korea-1945", ["factions.yanan.cohesion=1.5"])
    (problem,) = caught.value.problems
    assert problem.path == "factions.yanan.cohesion"
    assert problem.value == 1.5
    assert "set by override" in problem.message
    assert problem.line is None
    assert "<= 1" in problem.hint


def test_override_into_a_scalar_is_refused():
    with pytest.raises(ScenarioError, match=r"'factions\.yanan\.military' is a value, not a table"):
        load_scenario("korea-1945", ["factions.yanan.military.extra=1"])


def test_override_of_an_unknown_top_level_section_is_refused():
    with pytest.raises(ScenarioValidationError, match="did you mean 'mechanisms'"):
        load_scenario("korea-1945", ["mechanism.purge.enabled=false"])


def test_apply_overrides_does_not_modify_its_input():
    document = {"a": {"b": 1}}
    assert apply_overrides(document, {"a.b": 2, "a.c.d": 3}) == {"a": {"b": 2, "c": {"d": 3}}}
    assert document == {"a": {"b": 1}}


# --------------------------------------------------------------------------- hash


def test_hash_ignores_key_order_and_file_layout(write_toml, korea_document):
    korea = load_scenario("korea-1945")
    # The package's writer uses a different layout (inline tables, no comments).
    assert load_scenario(write_toml(korea_document, "layout.toml")).hash == korea.hash
    reordered = write_toml(_reverse_keys(korea_document), "reordered.toml")
    assert load_scenario(reordered).hash == korea.hash


def test_hash_depends_on_faction_order(write_toml, korea_document):
    """Factions are numbered in declared order, so the same seed gives other draws: new hash."""
    korea_document["factions"] = dict(reversed(list(korea_document["factions"].items())))
    assert load_scenario(write_toml(korea_document, "swapped.toml")).hash != (
        load_scenario("korea-1945").hash
    )


def test_hash_ignores_explicit_defaults(write_toml, minimal_scenario):
    plain = load_scenario(write_toml(minimal_scenario, "plain.toml"))
    explicit = load_scenario(
        write_toml(minimal_scenario + "\n[network]\nacross_pairs = {}\n", "explicit.toml")
    )
    assert plain.hash == explicit.hash


def _change_float(document):
    faction = next(iter(document["factions"].values()))
    faction["military"] = faction["military"] + 1e-6


def _change_text(document):
    document["description"] = document.get("description", "") + " "


def _toggle_event(document):
    document["events"][_first_event(document)]["enabled"] = False


def _swap_notables(document):
    notables = next(f["notables"] for f in document["factions"].values() if len(f["notables"]) > 1)
    notables[0], notables[1] = notables[1], notables[0]


def _add_event(document):
    document["events"]["extra"] = {"kind": "setback", "date": document["start"], "magnitude": 0.1}


def _change_mechanism(document):
    purge = document.setdefault("mechanisms", {}).setdefault("purge", {})
    purge["enabled"] = not purge.get("enabled", True)


def _rename(document):
    document["name"] = document["name"] + "-b"


@pytest.mark.parametrize(
    "change",
    [
        _change_float,
        _change_text,
        _toggle_event,
        _swap_notables,
        _add_event,
        _change_mechanism,
        _rename,
    ],
)
def test_any_change_changes_the_hash(write_toml, korea_document, change):
    before = load_scenario(write_toml(korea_document, "before.toml")).hash
    changed = copy.deepcopy(korea_document)
    change(changed)
    assert load_scenario(write_toml(changed, "after.toml")).hash != before


# --------------------------------------------------------------------------- JSON Schema


def test_json_schema_is_json_and_names_every_event_kind():
    schema = json_schema()
    text = json.dumps(schema)
    assert json.loads(text) == schema
    assert schema["$schema"].startswith("https://json-schema.org/")
    assert {"name", "start", "end", "factions", "leader", "events"} <= set(schema["properties"])
    assert set(schema["required"]) >= {"name", "start", "end", "factions", "leader"}
    for kind in EVENT_KINDS:
        assert f'"{kind}"' in text
    for kind in ("eliminated_first", "elimination_window", "survives", "event_count"):
        assert f'"{kind}"' in text


def test_json_schema_is_a_fresh_copy():
    json_schema()["properties"].clear()
    assert json_schema()["properties"]


def test_reference_documentation_names_every_field_and_kind():
    """docs/scenarios.md documents every field (regenerate with
    experiments/make_scenario_reference.py) and every event and pattern kind."""
    from pydantic import BaseModel

    text = (ROOT / "docs" / "scenarios.md").read_text(encoding="utf-8")
    seen: set[type] = set()

    def fields(model: type[BaseModel]) -> set[str]:
        if model in seen:
            return set()
        seen.add(model)
        names = set(model.model_fields)
        for field in model.model_fields.values():
            for inner in getattr(field.annotation, "__args__", ()) or (field.annotation,):
                if isinstance(inner, type) and issubclass(inner, BaseModel):
                    names |= fields(inner)
        return names

    names = fields(Scenario)
    for model in EVENT_KINDS.values():
        names |= fields(model)
    missing = sorted(n for n in names if f"`{n}`" not in text and f".{n}]`" not in text)
    assert not missing, f"fields missing from docs/scenarios.md: {missing}"
    for kind in EVENT_KINDS:
        assert f'`kind = "{kind}"`' in text
    pattern_kinds = json_schema()["properties"]["patterns"]["items"]["discriminator"]["mapping"]
    for kind in pattern_kinds:
        assert f'`kind = "{kind}"`' in text


# --------------------------------------------------------------------------- errors as objects


def test_validation_errors_survive_pickling():
    error = ScenarioValidationError([Problem("a.b", "bad", 1, 3, "fix it")], "x.toml")
    again = pickle.loads(pickle.dumps(error))
    assert again.problems == error.problems
    assert again.source == "x.toml"
    assert str(again) == str(error)


def test_many_problems_render_on_one_screen():
    problems = [Problem(f"f.{i}", "bad", i, i, "hint") for i in range(40)]
    text = ScenarioValidationError(problems, "x.toml").render()
    assert text.startswith("invalid scenario (40 problems)")
    assert "... and 28 more" in text
    assert len(text.splitlines()) < 50


# --------------------------------------------------------------------------- the TOML writer

_keys = st.one_of(
    st.sampled_from(["a", "b_c", "d-e", "", "x.y", "é", "sp ace", 'q"uote', "1"]),
    st.text(max_size=6),
)
_scalars = st.one_of(
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(['"""', "a\nb", 'end"', "back\\slash", "\x7f", "\r\n", "tab\there"]),
)
_values = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_keys, inner, max_size=4),
    max_leaves=20,
)


def _same(a: Any, b: Any) -> bool:
    """Equality in which NaN equals NaN."""
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(_keys, _values, max_size=6))
def test_to_toml_round_trips_through_tomllib(document):
    assert _same(tomllib.loads(to_toml(document)), document)


def test_to_toml_round_trips_the_resolved_korea_scenario():
    data = load_scenario("korea-1945").model_dump(mode="json", exclude_none=True)
    assert tomllib.loads(to_toml(data)) == data


def test_an_event_label_is_short_and_optional(korea_document):
    war = korea_document["events"]["korean_war"]
    assert scenario_from_document(korea_document).events["korean_war"].label == war["label"]
    del war["label"]
    assert scenario_from_document(korea_document).events["korean_war"].label == ""
    war["label"] = "x" * 41
    with pytest.raises(ScenarioValidationError, match="label"):
        scenario_from_document(korea_document)
