"""Issue 15, items 4, 5, 8, 15, 16, 19: what a scenario may say, and what the loader refuses.

Every numeric field has a finite documented range; whatever a number is set to, up to the float
limits, the scenario either is refused at load time or runs with finite outputs. Patterns that
could never match, nesting deep enough to exhaust the stack, multi-line overrides and arguments
of the wrong type are refused with a message naming what is wrong.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from factions.ensemble import run_ensemble
from factions.errors import ScenarioError, ScenarioValidationError
from factions.experiment.runner import run_replicate
from factions.scenario import Scenario, apply_overrides, json_schema, load_scenario
from factions.scenario.events import EVENT_LOG_KINDS
from factions.scenario.load import scenario_from_document

TINY = Path(__file__).parent / "data" / "tiny.toml"
MECHANISMS = Path(__file__).resolve().parents[1] / "factions" / "mechanisms"


def leaves(node: Any, path: tuple = ()) -> list[tuple[tuple, Any]]:
    """(path, value) of every number in a document (list items by index)."""
    if isinstance(node, dict):
        return [leaf for key, value in node.items() for leaf in leaves(value, (*path, key))]
    if isinstance(node, list):
        return [leaf for i, value in enumerate(node) for leaf in leaves(value, (*path, i))]
    if isinstance(node, bool) or not isinstance(node, int | float):
        return []
    return [(path, node)]


def setting(document: dict, path: tuple, value: Any) -> dict:
    """A copy of ``document`` with the value at ``path`` replaced."""
    copy = apply_overrides(document, {})
    node = copy
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return copy


TINY_SPEC = load_scenario(TINY)
DOCUMENT = TINY_SPEC.model_dump(mode="json", exclude_none=True)
FLOATS = [path for path, value in leaves(DOCUMENT) if isinstance(value, float)]
INTEGERS = [path for path, value in leaves(DOCUMENT) if isinstance(value, int)]


def schema_numbers(node: dict, defs: dict, path: str = "") -> list[tuple[str, dict]]:
    """Every number or integer field of the JSON Schema, with its path."""
    if "$ref" in node:
        node = defs[node["$ref"].split("/")[-1]]
    found = []
    if node.get("type") in ("number", "integer"):
        found.append((path, node))
    for option in node.get("anyOf", []):
        found += schema_numbers(option, defs, path)
    for key, child in node.get("properties", {}).items():
        found += schema_numbers(child, defs, f"{path}.{key}")
    for key in ("additionalProperties", "items"):
        if isinstance(node.get(key), dict):
            found += schema_numbers(node[key], defs, f"{path}.*")
    for child in node.get("patternProperties", {}).values():
        found += schema_numbers(child, defs, f"{path}.*")
    for kind, ref in node.get("discriminator", {}).get("mapping", {}).items():
        found += schema_numbers({"$ref": ref}, defs, f"{path}<{kind}>")
    return found


def test_every_numeric_field_has_a_finite_documented_range():
    schema = json_schema()
    fields = schema_numbers(schema, schema["$defs"])
    assert len(fields) > 80
    for path, node in fields:
        low = node.get("minimum", node.get("exclusiveMinimum"))
        high = node.get("maximum", node.get("exclusiveMaximum"))
        assert low is not None and high is not None, path
        assert math.isfinite(low) and math.isfinite(high), path


#: Columns where a missing value has a meaning (the mean loyalty of a faction without cadres,
#: the presence of the patron of a faction without one).
UNDEFINED_ALLOWED = {"loyalty", "patron_presence"}


def finite_outputs(spec) -> None:
    """Run one replicate: no infinity anywhere, no NaN but where a mean is of nothing."""
    for name, frame in run_replicate(spec, 1, 0).items():
        numbers = frame.select_dtypes("number")
        assert not np.isinf(numbers.to_numpy(dtype=float)).any(), name
        nan = numbers.drop(columns=[c for c in UNDEFINED_ALLOWED if c in numbers]).isna()
        assert not nan.any().any(), (name, list(nan.columns[nan.any()]))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    path=st.sampled_from(FLOATS),
    value=st.one_of(
        st.floats(allow_nan=True, allow_infinity=True),
        st.sampled_from([1.7976931348623157e308, -1e308, 1e300, 1e30, 1e6, 1e-300, -0.0]),
    ),
)
def test_any_float_in_any_numeric_field_is_refused_or_runs_finite(path, value):
    document = setting(DOCUMENT, path, value)
    try:
        spec = scenario_from_document(document)
    except ScenarioValidationError:
        return
    finite_outputs(spec)


@settings(max_examples=60, deadline=None)
@given(path=st.sampled_from(INTEGERS), value=st.integers(min_value=-(2**70), max_value=2**70))
def test_any_integer_in_any_integer_field_is_refused_or_within_range(path, value):
    document = setting(DOCUMENT, path, value)
    try:
        scenario_from_document(document)
    except ScenarioValidationError:
        return
    assert abs(value) <= 1_000_000_000


def bounds_of(path: tuple) -> tuple[float, float]:
    """The documented range of the field at ``path`` (from the JSON Schema)."""
    from factions.scenario.load import _schema_at

    node = _schema_at(path, DOCUMENT)
    options = node.get("anyOf", [node])
    node = next(o for o in options if o.get("type") in ("number", "integer"))
    low = node.get("minimum", node.get("exclusiveMinimum"))
    high = node.get("maximum", node.get("exclusiveMaximum"))
    step = 1e-9 if node.get("type") == "number" else 1
    low += step if "exclusiveMinimum" in node else 0
    high -= step if "exclusiveMaximum" in node else 0
    return low, high


@pytest.mark.parametrize("path", FLOATS + INTEGERS, ids=lambda p: ".".join(map(str, p)))
def test_documented_extremes_pass_the_schema(path):
    """The documented range is the schema's: both ends of it are accepted."""
    for value in bounds_of(path):
        value = int(value) if isinstance(DOCUMENT_VALUE[path], int) else float(value)
        Scenario.model_validate(setting(DOCUMENT, path, value))


#: Two shares of one sentence, checked together (execution + exile <= 1).
CROSS_CHECKED = {("mechanisms", "purge", "execution"), ("mechanisms", "purge", "exile")}


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), path=st.sampled_from([p for p in FLOATS if p not in CROSS_CHECKED]))
def test_any_float_within_its_range_loads_and_runs_finite(data, path):
    """Valid documents do load (the fuzz test above cannot pass by refusing everything)."""
    low, high = bounds_of(path)
    value = data.draw(st.floats(low, high, allow_nan=False))
    finite_outputs(scenario_from_document(setting(DOCUMENT, path, value)))


DOCUMENT_VALUE = dict(leaves(DOCUMENT))


def test_compounding_arms_transfers_are_refused(korea_document):
    document = dict(korea_document)
    events = dict(document["events"])
    for i in range(200):
        events[f"arms_{i}"] = {
            "kind": "arms_transfer",
            "date": "1950-01",
            "faction": "yanan",
            "fraction": 100.0,
        }
    document["events"] = events
    with pytest.raises(ScenarioValidationError, match="could reach a force"):
        scenario_from_document(document)


def test_pattern_of_an_unknown_event_kind_is_refused(korea_document):
    document = dict(korea_document)
    pattern = {"kind": "event_count", "event": "challange", "start": "1950-01", "end": "1957-12"}
    document["patterns"] = [*document["patterns"], pattern]
    with pytest.raises(ScenarioValidationError, match="did you mean 'challenge'"):
        scenario_from_document(document)


def test_congress_seats_pattern_without_a_congress_is_refused(korea_document):
    document = dict(korea_document)
    pattern = {"kind": "congress_seats", "date": "1950-02", "faction": "yanan", "seats": 3}
    document["patterns"] = [*document["patterns"], pattern]
    with pytest.raises(ScenarioValidationError, match="no congress is held in this month"):
        scenario_from_document(document)


def test_the_model_logs_only_known_event_kinds(korea):
    """EVENT_LOG_KINDS is the one list of what the event log can hold."""
    import re

    logged = set(korea.events["kind"].unique())
    assert logged <= EVENT_LOG_KINDS, logged - EVENT_LOG_KINDS
    in_source = set()
    for path in MECHANISMS.glob("*.py"):
        in_source |= set(re.findall(r"log\(\s*\"([a-z_]+)\"", path.read_text()))
        in_source |= set(re.findall(r"\(Status\.\w+, \"([a-z_]+)\"\)", path.read_text()))
    assert in_source and in_source <= EVENT_LOG_KINDS, in_source - EVENT_LOG_KINDS


def test_deep_nesting_is_refused(write_toml, tmp_path):
    deep = write_toml("name = 'x'\n" + ".".join(f"k{i}" for i in range(600)) + " = 1\n")
    with pytest.raises(ScenarioError, match="nested more than"):
        load_scenario(deep)
    chain = tmp_path / "s0.toml"
    chain.write_text(f'extends = "{TINY}"\n')
    for i in range(1, 60):
        (tmp_path / f"s{i}.toml").write_text(f'extends = "s{i - 1}.toml"\n')
    with pytest.raises(ScenarioError, match="chains more than"):
        load_scenario(tmp_path / "s59.toml")
    with pytest.raises(ScenarioError, match="nested more than"):
        load_scenario(TINY, {".".join(["a"] * 600): 1})


def test_a_multi_line_override_is_refused():
    with pytest.raises(ScenarioError, match="several lines"):
        load_scenario(TINY, ["title=a\nend=1951-01"])


def test_errors_quote_only_short_excerpts_of_toml_files(write_toml, tmp_path):
    secret = "SECRET_TOKEN=" + "x" * 500
    not_toml = tmp_path / "environ"
    not_toml.write_text(f"{secret}\0PATH=/bin\0")
    child = write_toml(f'extends = "{not_toml}"\n')
    with pytest.raises(ScenarioError) as caught:
        load_scenario(child)
    assert "SECRET_TOKEN" not in str(caught.value)
    long_line = write_toml(f"name = 'x'\ntitle = {secret}\n", name="long.toml")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(long_line)
    assert "x" * 200 not in str(caught.value)
    with pytest.raises(ScenarioError):
        load_scenario("/proc/self/environ")


@pytest.mark.parametrize(
    ("call", "error", "name"),
    [
        (lambda: load_scenario(TINY, "end=1951-01"), TypeError, "overrides"),
        (lambda: load_scenario(TINY, {1: 2}), TypeError, "overrides"),
        (lambda: load_scenario(TINY, [1]), TypeError, "overrides"),
        (lambda: run_ensemble(TINY_SPEC, "5"), TypeError, "replicates"),
        (lambda: run_ensemble(TINY_SPEC, 0), ValueError, "replicates"),
        (lambda: run_ensemble(TINY_SPEC, 10**11), ValueError, "replicates"),
        (lambda: run_ensemble(TINY_SPEC, 2, workers=0), ValueError, "workers"),
        (lambda: run_ensemble(TINY_SPEC, 2, workers=-4), ValueError, "workers"),
        (lambda: run_ensemble(TINY_SPEC, 2, seed=-1), ValueError, "seed"),
        (lambda: run_ensemble(TINY_SPEC, 2, seed=1.5), TypeError, "seed"),
        (lambda: run_ensemble(3, 2), TypeError, "scenario"),
    ],
)
def test_api_arguments_are_checked(call, error, name):
    with pytest.raises(error, match=name):
        call()


def test_sweep_api_checks_workers(tmp_path):
    from factions.experiment import run_sweep
    from factions.experiment.resolve import make_experiment

    exp = make_experiment(TINY_SPEC, replicates=1)
    with pytest.raises(ValueError, match="workers"):
        run_sweep(exp, tmp_path / "store", workers=0)
    assert not (tmp_path / "store").exists()


def test_the_docs_list_every_kind_the_model_logs():
    from factions.scenario.events import MODEL_LOG_KINDS

    text = (Path(__file__).resolve().parents[1] / "docs" / "scenarios.md").read_text()
    assert all(f"`{kind}`" in text for kind in MODEL_LOG_KINDS)
