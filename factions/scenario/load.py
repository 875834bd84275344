"""Loading scenarios: find the file, resolve ``extends``, apply overrides, validate, hash.

Scenario files are data. They are parsed with :mod:`tomllib` and validated with pydantic; nothing
in them is ever evaluated.
"""

from __future__ import annotations

import copy
import difflib
import hashlib
import json
import logging
import tomllib
from collections.abc import Mapping
from dataclasses import replace
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from factions.errors import Problem, ScenarioError, ScenarioValidationError
from factions.scenario.checks import cross_checks
from factions.scenario.lines import find_line
from factions.scenario.schema import Scenario

log = logging.getLogger(__name__)

SUFFIX = ".toml"


# --------------------------------------------------------------------------- finding files


def bundled_dir() -> Path:
    """The folder of scenarios shipped with the package (or the source tree's ``scenarios/``)."""
    installed = Path(str(resources.files("factions"))) / "scenarios"
    if installed.is_dir():
        return installed
    return Path(__file__).resolve().parents[2] / "scenarios"


def list_bundled() -> list[str]:
    """Names of the bundled scenarios, sorted."""
    return sorted(p.stem for p in bundled_dir().glob(f"*{SUFFIX}"))


def locate(name_or_path: str | Path, relative_to: Path | None = None) -> Path:
    """Resolve a scenario name (``korea-1945``) or a path to an existing file."""
    text = str(name_or_path)
    candidates = []
    looks_like_path = text.endswith(SUFFIX) or "/" in text or "\\" in text
    if looks_like_path:
        path = Path(text).expanduser()
        if not path.is_absolute() and relative_to is not None:
            candidates.append(relative_to / path)
        candidates.append(path)
    else:
        if relative_to is not None:
            candidates.append(relative_to / f"{text}{SUFFIX}")
        candidates.append(bundled_dir() / f"{text}{SUFFIX}")
    for candidate in candidates:
        if candidate.is_file():
            return candidate.resolve()
    known = list_bundled()
    close = difflib.get_close_matches(text, known, n=1)
    hint = f"did you mean '{close[0]}'?" if close else f"bundled scenarios: {', '.join(known)}"
    raise ScenarioError(f"scenario {text!r} not found ({hint})")


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"{path}: cannot read scenario file: {exc}") from exc
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{path}: not valid TOML: {exc}") from exc


# --------------------------------------------------------------------------- extends and overrides


def deep_merge(base: Mapping[str, Any], child: Mapping[str, Any]) -> dict[str, Any]:
    """Merge ``child`` into ``base``: tables merge key by key, anything else is replaced."""
    merged = copy.deepcopy(dict(base))
    for key, value in child.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def resolve_document(path: Path, _chain: tuple[Path, ...] = ()) -> dict[str, Any]:
    """Read ``path`` and every scenario it ``extends``, merged; the child wins."""
    if path in _chain:
        cycle = " -> ".join(p.name for p in (*_chain, path))
        raise ScenarioError(f"'extends' forms a cycle: {cycle}")
    document = _read_toml(path)
    parent = document.get("extends")
    if parent is None:
        return document
    if not isinstance(parent, str):
        raise ScenarioError(f"{path}: 'extends' must be a scenario name or path, got {parent!r}")
    parent_path = locate(parent, relative_to=path.parent)
    base = resolve_document(parent_path, (*_chain, path))
    merged = deep_merge(base, document)
    merged["extends"] = parent
    return merged


def parse_override(assignment: str) -> tuple[str, Any]:
    """Split ``'a.b.c=value'``; the value is read as a TOML value, else kept as text."""
    key, sep, raw = assignment.partition("=")
    key = key.strip()
    if not sep or not key or any(not part for part in key.split(".")):
        raise ScenarioError(
            f"override {assignment!r} must look like 'dotted.path=value', "
            "e.g. 'factions.yanan.military=0.6'"
        )
    try:
        value = tomllib.loads(f"v = {raw.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        value = raw.strip()
    return key, value


def apply_overrides(document: dict[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """Set each dotted path in a copy of ``document``; new keys are checked by the schema later."""
    result = copy.deepcopy(document)
    for dotted, value in overrides.items():
        node = result
        parts = dotted.split(".")
        for depth, part in enumerate(parts[:-1]):
            child = node.get(part)
            if child is None:
                child = node[part] = {}
            if not isinstance(child, dict):
                where = ".".join(parts[: depth + 1])
                raise ScenarioError(f"override {dotted!r}: {where!r} is a value, not a table")
            node = child
        node[parts[-1]] = value
    return result


# --------------------------------------------------------------------------- validation


def _value_schema(node: dict[str, Any]) -> dict[str, Any] | None:
    """The schema of the values of a mapping (``dict[str, X]``), if ``node`` is one."""
    if isinstance(node.get("additionalProperties"), dict):
        return node["additionalProperties"]
    patterns = node.get("patternProperties")
    return next(iter(patterns.values())) if patterns else None


def _allowed_keys(schema: dict[str, Any], loc: tuple[Any, ...], doc: Any) -> list[str]:
    """The keys the JSON Schema allows at ``loc`` (for 'did you mean' hints)."""
    defs = schema.get("$defs", {})

    def deref(node: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in node:
            node = defs[node["$ref"].split("/")[-1]]
        return node

    node = deref(schema)
    for part in loc:
        if "discriminator" in node and isinstance(doc, Mapping):
            mapping = node["discriminator"].get("mapping", {})
            ref = mapping.get(str(doc.get(node["discriminator"]["propertyName"])))
            if ref is None:
                return []
            node = deref({"$ref": ref})
        if isinstance(part, int):
            node = deref(node.get("items", {}))
            doc = doc[part] if isinstance(doc, list) and part < len(doc) else None
        elif part in node.get("properties", {}):
            node = deref(node["properties"][part])
            doc = doc.get(part) if isinstance(doc, Mapping) else None
        elif _value_schema(node) is not None:
            node = deref(_value_schema(node))
            doc = doc.get(part) if isinstance(doc, Mapping) else None
        elif "anyOf" in node:
            options = [deref(o) for o in node["anyOf"] if "$ref" in o or "properties" in o]
            if not options:
                return []
            node = options[0]
            if part in node.get("properties", {}):
                node = deref(node["properties"][part])
            doc = doc.get(part) if isinstance(doc, Mapping) else None
        else:
            return []
    if "discriminator" in node and isinstance(doc, Mapping):
        ref = node["discriminator"].get("mapping", {}).get(str(doc.get("kind")))
        node = deref({"$ref": ref}) if ref else node
    return list(node.get("properties", {}))


def _problem_from_error(error: Any, document: dict[str, Any], text: str | None) -> Problem:
    loc = tuple(part for part in error["loc"] if not _is_union_tag(part))
    dotted = ".".join(str(p) for p in loc)
    kind = error["type"]
    hint = None
    message = error["msg"]
    if kind == "extra_forbidden":
        allowed = _allowed_keys(Scenario.model_json_schema(), loc[:-1], document)
        close = difflib.get_close_matches(str(loc[-1]), allowed, n=1, cutoff=0.6)
        message = "unknown key"
        hint = f"did you mean '{close[0]}'?" if close else f"allowed keys: {', '.join(allowed)}"
    elif kind == "missing":
        message = "required field is missing"
        hint = "add it (see `factions scenarios schema`)"
    elif kind == "union_tag_invalid":
        message = error["msg"]
        hint = "see docs/scenarios.md for the event kinds and their parameters"
    line = find_line(text, loc) if text else None
    value = None if kind == "missing" else error.get("input")
    if isinstance(value, Mapping):
        value = None
    return Problem(dotted, message, value, line, hint)


def _is_union_tag(part: Any) -> bool:
    """Pydantic inserts the discriminator value into error locations; hide it from users."""
    from factions.scenario.events import EVENT_KINDS
    from factions.scenario.patterns import Pattern

    pattern_kinds = {
        c.model_fields["kind"].annotation.__args__[0] for c in Pattern.__origin__.__args__
    }
    return isinstance(part, str) and (part in EVENT_KINDS or part in pattern_kinds)


def _with_line(problem: Problem, text: str | None) -> Problem:
    if problem.line is not None or not text:
        return problem
    loc = tuple(int(p) if p.isdigit() else p for p in problem.path.split("."))
    return replace(problem, line=find_line(text, loc))


def validate(
    document: dict[str, Any], source: str | None = None, text: str | None = None
) -> Scenario:
    """Validate a merged document; raise :class:`ScenarioValidationError` listing every problem."""
    try:
        scenario = Scenario.model_validate(document)
    except ValidationError as exc:
        problems = [_problem_from_error(e, document, text) for e in exc.errors()]
    else:
        problems = cross_checks(scenario)
    problems = [_with_line(p, text) for p in problems]
    if problems:
        raise ScenarioValidationError(problems, source)
    return scenario


# --------------------------------------------------------------------------- public API


def load_scenario(
    name_or_path: str | Path, overrides: Mapping[str, Any] | list[str] | None = None
) -> Scenario:
    """Load, resolve and validate a scenario by bundled name or path.

    ``overrides`` maps dotted paths to values (``{"factions.yanan.military": 0.6}``) or is a list
    of ``'path=value'`` strings as on the command line. Raises :class:`ScenarioError`.
    """
    path = locate(name_or_path)
    document = resolve_document(path)
    if overrides:
        if not isinstance(overrides, Mapping):
            overrides = dict(parse_override(item) for item in overrides)
        document = apply_overrides(document, overrides)
    text = path.read_text(encoding="utf-8")
    scenario = validate(document, source=str(path), text=text)
    log.debug("loaded scenario %s (%s) from %s", scenario.name, scenario.hash[:12], path)
    return scenario


def canonical_json(scenario: Scenario) -> str:
    """The resolved scenario as canonical JSON (sorted keys, no whitespace)."""
    data = scenario.model_dump(mode="json", exclude={"extends"})
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def scenario_hash(scenario: Scenario) -> str:
    """SHA-256 of the canonical JSON: equal for equal resolved content, whatever the file layout."""
    return hashlib.sha256(canonical_json(scenario).encode("utf-8")).hexdigest()


def json_schema() -> dict[str, Any]:
    """The JSON Schema of scenario files."""
    schema = Scenario.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema
