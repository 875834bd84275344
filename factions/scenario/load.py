"""Loading scenarios: find the file, resolve ``extends``, apply overrides, validate, hash.

Scenario files are data. They are parsed with :mod:`tomllib` and validated with pydantic; nothing
in them is ever evaluated.
"""

from __future__ import annotations

import contextlib
import copy
import difflib
import functools
import hashlib
import json
import logging
import re
import tomllib
from collections.abc import Mapping
from dataclasses import replace
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from factions.errors import FactionsError, Problem, ScenarioError, ScenarioValidationError
from factions.scenario.checks import cross_checks
from factions.scenario.lines import find_line
from factions.scenario.schema import Scenario
from factions.scenario.translate import Vocabulary, problem_from_error

__all__ = [
    "EXCERPT",
    "MAX_BYTES",
    "MAX_DEPTH",
    "MAX_EXTENDS",
    "SUFFIX",
    "apply_overrides",
    "bundled_dir",
    "canonical_json",
    "check_depth",
    "deep_merge",
    "json_schema",
    "list_bundled",
    "load_scenario",
    "locate",
    "parse_override",
    "read_toml",
    "resolve_document",
    "scenario_from_document",
    "scenario_hash",
]

log = logging.getLogger(__name__)

SUFFIX = ".toml"
#: Deepest nesting of tables and arrays a document may have (the schema needs 5).
MAX_DEPTH = 32
#: Longest chain of ``extends``.
MAX_EXTENDS = 32
#: Largest file read as a scenario or experiment (larger is not a hand-written file).
MAX_BYTES = 10_000_000
#: Longest line of a file quoted in an error message.
EXCERPT = 120


# --------------------------------------------------------------------------- finding files


def bundled_dir() -> Path:
    """The folder of scenarios shipped with the package (or the source tree's ``scenarios/``)."""
    installed = Path(str(resources.files("factions"))) / "scenarios"
    if installed.is_dir():
        return installed
    return Path(__file__).resolve().parents[2] / "scenarios"


def list_bundled() -> list[str]:
    """Names of the bundled scenarios, sorted.

    Returns
    -------
    list of str
        Names that :func:`load_scenario` accepts, e.g. ``'korea-1945'``.

    Examples
    --------
    >>> "korea-1945" in list_bundled()
    True
    """
    return sorted(p.stem for p in bundled_dir().glob(f"*{SUFFIX}"))


def locate(name_or_path: str | Path, relative_to: Path | None = None) -> Path:
    """Resolve a scenario name (``korea-1945``) or a path to an existing file.

    Parameters
    ----------
    name_or_path : str or Path
        A bundled name, or a path (anything ending in ``.toml`` or containing a slash).
    relative_to : Path, optional
        Folder tried first (``extends`` resolves relative to the extending file).

    Returns
    -------
    Path
        The absolute path of the file.

    Raises
    ------
    ScenarioError
        No such file or bundled name (the message suggests the closest bundled name).
    """
    text = str(name_or_path)
    candidates = []
    looks_like_path = text.endswith(SUFFIX) or "/" in text or "\\" in text
    if looks_like_path:
        path = Path(text)
        with contextlib.suppress(RuntimeError):  # '~user' of an unknown user: keep it literal
            path = path.expanduser()
        if not path.is_absolute() and relative_to is not None:
            candidates.append(relative_to / path)
        candidates.append(path)
    else:
        if relative_to is not None:
            candidates.append(relative_to / f"{text}{SUFFIX}")
        candidates.append(bundled_dir() / f"{text}{SUFFIX}")
    for candidate in candidates:
        if _is_file(candidate):
            return candidate.resolve()
    known = list_bundled()
    close = difflib.get_close_matches(text, known, n=1)
    hint = f"did you mean '{close[0]}'?" if close else f"bundled scenarios: {', '.join(known)}"
    raise ScenarioError(f"scenario {text!r} not found ({hint})")


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except OSError:  # e.g. a name too long for the file system: not a scenario we can read
        return False


def read_toml(
    path: Path, what: str = "scenario", error: type[FactionsError] = ScenarioError
) -> tuple[dict[str, Any], str]:
    """Parse a TOML data file; return the document and its text (for line numbers in errors).

    Unreadable, oversized, malformed or too deeply nested files raise ``error`` naming the
    file, the line and the fix; the experiment files of :mod:`factions.experiment` are read the
    same way.
    """
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
        text = raw.decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise error(f"{path}: cannot read {what} file: {exc}") from exc
    if len(raw) > MAX_BYTES:
        raise error(f"{path}: larger than {MAX_BYTES:,} bytes; not a {what} file")
    try:
        document = tomllib.loads(text)
    except RecursionError as exc:
        raise error(f"{path}: not valid TOML: arrays or tables nested too deeply") from exc
    except ValueError as exc:  # TOMLDecodeError, or an integer too long to convert
        raise error(_toml_error(path, text, exc)) from exc
    check_depth(document, str(path), error)
    return document, text


def check_depth(
    document: Any, where: str, error: type[FactionsError] = ScenarioError, limit: int = MAX_DEPTH
) -> None:
    """Refuse tables or arrays nested deeper than ``limit`` (by dotted keys too), before any
    recursive step (merging, validating, locating lines) can exhaust the stack."""
    stack = [(document, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            raise error(f"{where}: tables or arrays nested more than {limit} levels deep")
        children = node.values() if isinstance(node, Mapping) else node
        if isinstance(node, Mapping | list):
            stack.extend((child, depth + 1) for child in children)


def _toml_error(path: Path, text: str, exc: ValueError) -> str:
    """``file:line: not valid TOML: ...``, the offending line, and a hint."""
    found = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
    if not found:
        return f"{path}: not valid TOML: {exc}"
    number, column = int(found.group(1)), int(found.group(2))
    lines = text.splitlines()
    shown = lines[number - 1] if 0 < number <= len(lines) else ""
    message = f"{path}:{number}: not valid TOML: {exc}"
    if shown.strip() and path.suffix == SUFFIX and column <= EXCERPT:  # quote TOML files only
        shown = shown[:EXCERPT] + ("..." if len(shown) > EXCERPT else "")
        message += f"\n    {shown}\n    {' ' * max(column - 1, 0)}^"
    return (
        message + '\n    hint: check that line: strings and months need quotes ("1950-06"), '
        "one `key = value` per line, each table [header] at most once"
    )


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


def resolve_document(
    path: Path, _chain: tuple[Path, ...] = (), document: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Read ``path`` (unless its ``document`` is given) and every scenario it ``extends``,
    merged; the child wins."""
    if path in _chain:
        cycle = " -> ".join(p.name for p in (*_chain, path))
        raise ScenarioError(f"'extends' forms a cycle: {cycle}")
    if len(_chain) >= MAX_EXTENDS:
        raise ScenarioError(f"{path}: 'extends' chains more than {MAX_EXTENDS} scenarios")
    if document is None:
        document, _ = read_toml(path)
    parent = document.get("extends")
    if parent is None:
        return document
    if not isinstance(parent, str):
        raise ScenarioError(f"{path}: 'extends' must be a scenario name or path, got {parent!r}")
    try:
        parent_path = locate(parent, relative_to=path.parent)
    except ScenarioError as exc:
        raise ScenarioError(f"{path}: extends = {parent!r}: {exc}") from None
    base = resolve_document(parent_path, (*_chain, path))
    merged = deep_merge(base, document)
    merged["extends"] = parent
    check_depth(merged, str(path))
    return merged


def parse_override(assignment: str) -> tuple[str, Any]:
    """Split ``'a.b.c=value'``; the value is read as a TOML value, else kept as text.

    Parameters
    ----------
    assignment : str
        A command-line override, as given to ``--set``.

    Returns
    -------
    tuple of (str, object)
        The dotted path and the parsed value.

    Raises
    ------
    ScenarioError
        The text is not of the form ``dotted.path=value``, or spans several lines.

    Examples
    --------
    >>> parse_override("factions.yanan.military=0.6")
    ('factions.yanan.military', 0.6)
    """
    if "\n" in assignment or "\r" in assignment:
        raise ScenarioError(
            f"override {assignment[:60]!r}... spans several lines; give one 'path=value' per --set"
        )
    key, sep, raw = assignment.partition("=")
    key = key.strip()
    if not sep or not key or any(not part for part in key.split(".")):
        raise ScenarioError(
            f"override {assignment!r} must look like 'dotted.path=value', "
            "e.g. 'factions.yanan.military=0.6'"
        )
    try:
        value = tomllib.loads(f"v = {raw.strip()}")["v"]
    except (ValueError, RecursionError):  # not a TOML value: keep the text
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


@functools.cache
def _schema() -> dict[str, Any]:
    """The JSON Schema of :class:`Scenario`, built once (callers must not mutate it)."""
    return Scenario.model_json_schema()


def _deref(node: dict[str, Any]) -> dict[str, Any]:
    defs = _schema().get("$defs", {})
    while "$ref" in node:
        node = defs[node["$ref"].split("/")[-1]]
    return node


def _value_schema(node: dict[str, Any]) -> dict[str, Any] | None:
    """The schema of the values of a mapping (``dict[str, X]``), if ``node`` is one."""
    if isinstance(node.get("additionalProperties"), dict):
        return node["additionalProperties"]
    patterns = node.get("patternProperties")
    return next(iter(patterns.values())) if patterns else None


def _variant(node: dict[str, Any], doc: Any) -> dict[str, Any] | None:
    """The member of a discriminated union that ``doc`` selects by its ``kind``, if any."""
    if not isinstance(doc, Mapping):
        return None
    discriminator = node["discriminator"]
    ref = discriminator.get("mapping", {}).get(str(doc.get(discriminator["propertyName"])))
    return _deref({"$ref": ref}) if ref else None


def _step(node: dict[str, Any], doc: Any, part: Any) -> tuple[dict[str, Any] | None, Any]:
    """One step down ``part``: the schema node and document node there (None if unknown)."""
    if "discriminator" in node:
        node = _variant(node, doc)
        if node is None:
            return None, None
    if isinstance(part, int):
        node = _deref(node.get("items", {}))
        doc = doc[part] if isinstance(doc, list) and 0 <= part < len(doc) else None
    elif part in node.get("properties", {}):
        node = _deref(node["properties"][part])
        doc = doc.get(part) if isinstance(doc, Mapping) else None
    elif _value_schema(node) is not None:
        node = _deref(_value_schema(node))
        doc = doc.get(part) if isinstance(doc, Mapping) else None
    elif "anyOf" in node:
        options = [_deref(o) for o in node["anyOf"] if "$ref" in o or "properties" in o]
        if not options:
            return None, None
        node = options[0]
        if part in node.get("properties", {}):
            node = _deref(node["properties"][part])
        doc = doc.get(part) if isinstance(doc, Mapping) else None
    else:
        return None, None
    return node, doc


def _schema_at(loc: tuple[Any, ...], doc: Any, pick_variant: bool = True) -> dict[str, Any] | None:
    """The JSON Schema node that describes the field at ``loc`` (None if it cannot be found).

    ``doc`` is the document, used to pick the member of a discriminated union by its ``kind``;
    with ``pick_variant=False`` the union itself is returned for the last part of ``loc``.
    """
    node: dict[str, Any] | None = _deref(_schema())
    for part in loc:
        node, doc = _step(node, doc, part)
        if node is None:
            return None
    if pick_variant and "discriminator" in node:
        node = _variant(node, doc) or node
    return node


def _allowed_keys(loc: tuple[Any, ...], doc: Any) -> list[str]:
    """The keys the JSON Schema allows at ``loc`` (for 'did you mean' hints)."""
    node = _schema_at(loc, doc)
    return list(node.get("properties", {})) if node else []


_TYPE_NAMES = {
    "integer": "an integer",
    "number": "a finite number",
    "string": "a string",
    "boolean": "true or false",
    "array": "a list",
    "object": "a table",
}


def _number(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _describe(node: dict[str, Any] | None) -> str | None:
    """What the schema node allows, in words (for hints): 'a finite number >= 0 and <= 1'."""
    if node is None:
        return None
    texts = []
    for option in node.get("anyOf") or node.get("oneOf") or [node]:
        option = _deref(option)
        kind = option.get("type", "object" if "properties" in option else None)
        if "const" in option:
            texts.append(repr(option["const"]))
            continue
        if kind not in _TYPE_NAMES:
            continue
        limits = [
            f"{op} {_number(option[key])}"
            for key, op in (
                ("minimum", ">="),
                ("exclusiveMinimum", ">"),
                ("maximum", "<="),
                ("exclusiveMaximum", "<"),
            )
            if key in option
        ]
        text = " and ".join([_TYPE_NAMES[kind] + (f" {limits[0]}" if limits else ""), *limits[1:]])
        if "pattern" in option:
            text += f" matching {option['pattern']}"
        if "maxLength" in option:
            text += f" of at most {option['maxLength']} characters"
        for low, high, noun in (
            ("minItems", "maxItems", "items"),
            ("minProperties", "maxProperties", "entries"),
        ):
            counts = [
                f"{word} {option[key]}"
                for key, word in ((low, "at least"), (high, "at most"))
                if key in option
            ]
            if counts:
                text += f" with {' and '.join(counts)} {noun}"
        if option.get("examples"):
            text += f" like {option['examples'][0]!r}"
        texts.append(text)
    return "allowed: " + " or ".join(texts) if texts else None


def _strip_union_tags(loc: tuple[Any, ...], document: Any) -> tuple[Any, ...]:
    """Drop the discriminator values pydantic inserts into error locations.

    ``('events', 'war', 'war', 'end')`` is the field ``end`` of the event ``war`` whose kind is
    ``war``. A part is a tag only where the schema has a discriminated union (an event, a
    pattern) and the part equals that table's ``kind``: event keys, faction ids and unknown
    keys that happen to equal a kind name are kept.
    """
    kept: list[Any] = []
    node: dict[str, Any] | None = _deref(_schema())
    doc = document
    for part in loc:
        if (
            node is not None
            and "discriminator" in node
            and isinstance(doc, Mapping)
            and doc.get("kind") == part
        ):
            node = _variant(node, doc)
            continue
        kept.append(part)
        node, doc = _step(node, doc, part) if node is not None else (None, None)
    return tuple(kept)


def _vocabulary(document: dict[str, Any], text: str | None) -> Vocabulary:
    """How scenario files describe themselves to :func:`problem_from_error`."""

    def kinds(loc: tuple[Any, ...]) -> tuple[str, list[str]]:
        union = _schema_at(loc, document, pick_variant=False) or {}
        noun = {"events": "event kind", "patterns": "pattern kind"}.get(str(loc[0]), "kind")
        return noun, list(union.get("discriminator", {}).get("mapping", {}))

    return Vocabulary(
        clean=lambda loc: (_strip_union_tags(loc, document), None),
        keys=lambda loc, tag: _allowed_keys(loc, document),
        kinds=kinds,
        describe=lambda loc, message: (message, _describe(_schema_at(loc, document))),
        line=lambda loc: find_line(text, loc) if text else None,
        missing_hint="add it (see `factions scenarios schema`)",
    )


def _with_line(problem: Problem, text: str | None) -> Problem:
    if problem.line is not None or not text:
        return problem
    loc = tuple(int(p) if p.isdigit() else p for p in problem.path.split("."))
    return replace(problem, line=find_line(text, loc))


def scenario_from_document(
    document: dict[str, Any], source: str | None = None, text: str | None = None
) -> Scenario:
    """The scenario a merged document describes, validated; raise
    :class:`ScenarioValidationError` listing every problem."""
    try:
        scenario = Scenario.model_validate(document)
    except ValidationError as exc:
        vocabulary = _vocabulary(document, text)
        problems = [problem_from_error(e, vocabulary) for e in exc.errors()]
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

    Parameters
    ----------
    name_or_path : str or Path
        A bundled name (``'korea-1945'``, see :func:`list_bundled`) or a path to a TOML file.
    overrides : mapping or list of str, optional
        Values to set after ``extends`` is resolved and before validation: a mapping of dotted
        paths to values (``{"factions.yanan.military": 0.6}``) or a list of ``'path=value'``
        strings as on the command line.

    Returns
    -------
    Scenario
        The resolved, validated scenario (a frozen pydantic model; ``.hash`` is its content
        hash).

    Raises
    ------
    ScenarioError
        The file is not found, not valid TOML, or its ``extends`` chain is broken.
    ScenarioValidationError
        The content is invalid; ``.problems`` lists each problem with its field path, line,
        value and a hint.
    TypeError
        ``overrides`` is of the wrong type (a string, keys that are not strings).

    Examples
    --------
    >>> spec = load_scenario("korea-1945", overrides={"factions.yanan.military": 0.6})
    >>> spec.faction_ids
    ['domestic', 'yanan', 'kapsan', 'soviet']
    """
    overrides = _checked_overrides(overrides)
    path = locate(name_or_path)
    document, text = read_toml(path)
    document = resolve_document(path, document=document)
    if overrides:
        document = apply_overrides(document, overrides)
        check_depth(document, "overrides")
    try:
        scenario = scenario_from_document(document, source=str(path), text=text)
    except ScenarioValidationError as exc:
        if not overrides:
            raise
        problems = [_blame_override(p, overrides) for p in exc.problems]
        raise ScenarioValidationError(problems, exc.source) from None
    log.debug("loaded scenario %s (%s) from %s", scenario.name, scenario.hash[:12], path)
    return scenario


def _checked_overrides(overrides: Any) -> dict[str, Any]:
    """``overrides`` as a dict of dotted paths to values (a list of 'path=value' is parsed)."""
    if overrides is None:
        return {}
    if isinstance(overrides, Mapping):
        bad = [key for key in overrides if not isinstance(key, str)]
        if bad:
            raise TypeError(f"overrides: keys must be dotted paths (strings), got {bad[0]!r}")
        return dict(overrides)
    if isinstance(overrides, str | bytes) or not isinstance(overrides, list | tuple):
        raise TypeError(
            "overrides must be a mapping of dotted paths to values, or a list of "
            f"'path=value' strings, got {overrides!r:.80}"
        )
    bad = [item for item in overrides if not isinstance(item, str)]
    if bad:
        raise TypeError(f"overrides: items must be 'path=value' strings, got {bad[0]!r}")
    return dict(parse_override(item) for item in overrides)


def _blame_override(problem: Problem, overrides: Mapping[str, Any]) -> Problem:
    """A problem caused by an override names it, and not a line of the file it did not come from."""
    for key in overrides:
        if (
            problem.path == key
            or problem.path.startswith(f"{key}.")
            or key.startswith(f"{problem.path}.")
        ):
            return replace(
                problem, message=f"{problem.message} (set by override {key!r})", line=None
            )
    return problem


def canonical_json(scenario: Scenario) -> str:
    """The resolved scenario as canonical JSON (no whitespace).

    Fields come in schema order, so the layout of the file does not matter; tables keyed by id
    (factions, patrons, events) keep their declared order, because the model numbers factions in
    that order and the same seed gives other draws when they are reordered.
    """
    data = scenario.model_dump(mode="json", exclude={"extends"})
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


def scenario_hash(scenario: Scenario) -> str:
    """SHA-256 of the canonical JSON: equal when the resolved content (and faction order) is."""
    return hashlib.sha256(canonical_json(scenario).encode("utf-8")).hexdigest()


def json_schema() -> dict[str, Any]:
    """The JSON Schema of scenario files (a fresh copy on each call).

    Returns
    -------
    dict
        A JSON Schema (draft 2020-12) for editors and other tools.
    """
    schema = Scenario.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema
