"""Property: whatever a scenario file says, loading it succeeds or raises ScenarioError with a
message — never another exception (no traceback reaches the user).

Documents are random nested tables, and mutations of the real ``korea-1945`` document (keys
deleted, values replaced by values of random types, keys added or misspelled). Each is written
as TOML and loaded from the file, so parsing, ``extends``, validation, cross-field checks, line
finding and message rendering are all exercised.
"""

from __future__ import annotations

import copy
import tempfile
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from factions.errors import ScenarioError, ScenarioValidationError
from factions.scenario import Scenario, load_scenario
from factions.scenario.load import scenario_from_document
from factions.scenario.render import to_toml

ROOT = Path(__file__).resolve().parents[1]
KOREA = tomllib.loads((ROOT / "scenarios" / "korea-1945.toml").read_text(encoding="utf-8"))

FUZZ = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# Keys the schema knows (so that random documents get past the first check now and then).
_KNOWN_KEYS = sorted(
    {
        "name", "start", "end", "extends", "factions", "leader", "patrons", "committee",
        "membership", "events", "patterns", "mechanisms", "network", "kind", "date", "faction",
        "patron", "cadres", "military", "loyalty", "mean", "label", "presence", "seats",
        "initial_seats", "initial", "capacity", "scale", "enabled", "notables",
    }
)  # fmt: skip
_keys = st.one_of(
    st.sampled_from(_KNOWN_KEYS),
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz_-.0123456789 AZ", min_size=0, max_size=8),
)
_months = st.builds(
    lambda y, m, sep: f"{y:04d}{sep}{m:02d}",
    st.integers(0, 3100),
    st.integers(0, 14),
    st.sampled_from(["-", "-", "/", ""]),
)
_scalars = st.one_of(
    st.booleans(),
    st.integers(min_value=-(10**13), max_value=10**13),
    st.integers(),  # occasionally beyond 64 bits
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=10),
    _months,
    st.sampled_from(["korea-1945", "war", "congress", "yanan", "ussr", "", "kapsan"]),
)
_values = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_keys, inner, max_size=4),
    max_leaves=12,
)


@pytest.fixture(scope="module")
def scratch() -> Iterator[Path]:
    """One scratch file, rewritten for every example (hypothesis runs examples in a loop)."""
    with tempfile.TemporaryDirectory() as folder:
        yield Path(folder) / "fuzz.toml"


def _load_text(path: Path, document: dict[str, Any]) -> Scenario | None:
    """Write ``document`` as TOML to ``path`` and load it; assert only ScenarioError escapes."""
    path.write_text(to_toml(document), encoding="utf-8")
    try:
        return load_scenario(path)
    except ScenarioValidationError as exc:
        assert exc.problems
        assert str(exc).startswith("invalid scenario (")
        for problem in exc.problems:
            assert isinstance(problem.path, str)
            assert problem.message
            assert problem.line is None or problem.line >= 1
        return None
    except ScenarioError as exc:
        assert str(exc).strip()
        return None


def _paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    """Every location inside ``node``: table keys and list indices."""
    found = []
    if isinstance(node, dict):
        for key, value in node.items():
            found.append((*prefix, key))
            found += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found.append((*prefix, index))
            found += _paths(value, (*prefix, index))
    return found


def _parent(document: Any, path: tuple) -> Any:
    for part in path[:-1]:
        document = document[part]
    return document


def _strings(node: Any) -> set[str]:
    if isinstance(node, dict):
        return set(node) | {s for v in node.values() for s in _strings(v)}
    if isinstance(node, list):
        return {s for v in node for s in _strings(v)}
    return {node} if isinstance(node, str) and len(node) < 40 else set()


# Ids, names and months of the real document, so that swapped references stay plausible.
_KOREA_STRINGS = sorted(_strings(KOREA))
_OPERATIONS = ["perturb", "perturb", "perturb", "delete", "replace", "add", "misspell"]


def _like(value: Any) -> st.SearchStrategy:
    """Values of the same type as ``value``."""
    if isinstance(value, bool):
        return st.booleans()
    if isinstance(value, int):
        return st.one_of(st.integers(-3, 200), st.integers(-(10**13), 10**13))
    if isinstance(value, float):
        return st.one_of(st.floats(-0.5, 1.5), st.floats(allow_nan=True, allow_infinity=True))
    if isinstance(value, str):
        return st.one_of(st.sampled_from(_KOREA_STRINGS), _months)
    return _values


def _mutate(
    document: dict[str, Any], data: st.DataObject, operations: list[str] = _OPERATIONS
) -> dict[str, Any]:
    document = copy.deepcopy(document)
    for _ in range(data.draw(st.integers(1, 4), label="mutations")):
        paths = _paths(document)
        if operations == ["perturb"]:  # scalars only
            paths = [p for p in paths if not isinstance(_parent(document, p)[p[-1]], dict | list)]
        if not paths:
            break
        path = data.draw(st.sampled_from(paths), label="at")
        parent = _parent(document, path)
        last = path[-1]
        operation = data.draw(st.sampled_from(operations), label="op")
        if operation == "perturb":  # same type, other value: gets past the schema to the checks
            parent[last] = data.draw(_like(parent[last]), label="value")
        elif operation == "delete":
            del parent[last]
        elif operation == "replace":
            parent[last] = data.draw(_values, label="value")
        elif operation == "add":
            if isinstance(parent, dict):
                parent[data.draw(_keys, label="key")] = data.draw(_values, label="value")
            else:
                parent.append(data.draw(_values, label="value"))
        elif isinstance(parent, dict):  # misspell a key: drop, double or swap a letter
            key = str(last)
            cut = data.draw(st.integers(0, max(len(key) - 1, 0)), label="cut")
            new = data.draw(
                st.sampled_from([key[:cut] + key[cut + 1 :], key[:cut] + key[cut:] * 2, key + "s"]),
                label="misspelling",
            )
            parent[new] = parent.pop(last)
    return document


@FUZZ
@given(st.dictionaries(_keys, _values, max_size=8))
def test_random_documents_load_or_raise_scenario_error(scratch, document):
    _load_text(scratch, document)


@FUZZ
@given(st.data())
def test_mutated_korea_documents_load_or_raise_scenario_error(scratch, data):
    _load_text(scratch, _mutate(KOREA, data))


def test_the_unmutated_document_loads_through_the_same_path(scratch):
    """The fuzz tests above would pass if the loader rejected every file: this one would not."""
    scenario = _load_text(scratch, KOREA)
    assert isinstance(scenario, Scenario)
    assert scenario.hash == load_scenario("korea-1945").hash


_text = st.text(
    st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), min_size=1, max_size=80
)  # a label holds at most 80 characters


@settings(max_examples=40, deadline=None)
@given(title=_text, label=_text)
def test_valid_documents_with_any_free_text_load(scratch, title, label):
    """Free text (title, a faction's label) never makes a valid document invalid."""
    document = copy.deepcopy(KOREA)
    document["title"] = title
    document["factions"]["yanan"]["label"] = label
    scenario = _load_text(scratch, document)
    assert isinstance(scenario, Scenario), (title, label)
    assert scenario.title == title and scenario.factions["yanan"].label == label


@FUZZ
@given(st.data())
def test_validate_accepts_any_python_document_without_crashing(data):
    """The Python API (no file, no line finding) gives the same guarantee. Only scalars change,
    to the same type, so that most documents pass the schema and reach the cross-field checks."""
    document = _mutate(KOREA, data, ["perturb"])
    try:
        scenario_from_document(document)
    except ScenarioError as exc:
        assert str(exc).strip()


_override_values = st.one_of(
    st.text(max_size=10),
    st.floats().map(repr),
    st.integers().map(str),
    st.sampled_from(["true", "nan", "-inf", "[1, 2]", "{ a = 1 }", "'x'", '"1950-06"', "1950-06"]),
)
_assignments = st.builds(
    lambda path, value: ".".join(str(p) for p in path) + "=" + value,
    st.sampled_from(_paths(KOREA)),
    _override_values,
)


@settings(max_examples=60, deadline=None)
@given(st.lists(_assignments, min_size=1, max_size=3))
def test_random_overrides_load_or_raise_scenario_error(assignments):
    try:
        load_scenario("korea-1945", assignments)
    except ScenarioError as exc:
        assert str(exc).strip()
