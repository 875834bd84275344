"""Print, or rewrite in docs/model.md, the table of every parameter of a scenario.

The table is built from the scenario schema (the pydantic models of
:mod:`factions.scenario.schema`, :mod:`factions.scenario.mechanisms` and
:mod:`factions.scenario.events`: each field's description, its ``ge``/``gt``/``le``/``lt``
constraints and its default) and from one resolved scenario (by default ``korea-1945``) for the
values. The "source / reason" column is the trailing ``# comment`` on the line of the scenario file
that sets the value (inline tables included); for events it is the event's ``source`` field. A
value the file sets without a comment is marked "uncommented", one it does not set "default".

Scenario metadata (``name``, ``title``, ``description``, ``sources``, ``extends``) and the
``patterns`` (calibration targets, not inputs) are left out; so are the ``note``, ``source`` and
``enabled`` fields of events.

Usage::

    .venv/bin/python experiments/make_parameter_table.py                    # markdown to stdout
    .venv/bin/python experiments/make_parameter_table.py --write docs/model.md
    .venv/bin/python experiments/make_parameter_table.py --check docs/model.md  # exit 1 if stale

``--write`` replaces what lies between ``<!-- parameter-table:start -->`` and
``<!-- parameter-table:end -->`` in the file and leaves the rest alone.
"""

from __future__ import annotations

import argparse
import sys
import tomllib
import types
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from factions.scenario import Scenario, load_scenario, locate
from factions.scenario import events as ev
from factions.scenario.mechanisms import Mechanisms
from factions.scenario.schema import Faction, Patron

START = "<!-- parameter-table:start -->"
END = "<!-- parameter-table:end -->"
DEFAULT_SCENARIO = "korea-1945"

#: Top-level fields that are not parameters of the model.
METADATA = {"name", "title", "description", "sources", "extends", "patterns"}
#: Top-level fields the table covers (a new top-level field triggers a warning).
TABULATED = {
    "start",
    "end",
    "leader",
    "factions",
    "patrons",
    "network",
    "committee",
    "membership",
    "elimination",
    "mechanisms",
    "events",
}
#: Fields every event has that are bookkeeping, not parameters.
EVENT_BOOKKEEPING = {"note", "source", "enabled"}
#: Event fields the model does not read (yet). Delete an entry when the model starts using it.
NOT_READ = {("War", "mobilisation"), ("Congress", "candidates")}

# Meanings for fields without a description: first these, then the NOTES of
# experiments/make_scenario_reference.py (the scenario reference), so the two documents agree.
MEANINGS: dict[tuple[str, str], str] = {
    ("Scenario", "start"): "First simulated month.",
    ("Scenario", "end"): "Last simulated month (the horizon).",
    ("Leader", "name"): "Name of the leading notable (must be a notable of the leader's faction).",
    ("Faction", "label"): "Display name.",
    ("Membership", "initial_loyalty"): "Loyalty to the leader of every member at entry.",
    ("Congress", "candidates"): "Candidate members of the new central committee.",
    ("Faction", "notables"): "Named cadres, most prominent first.",
    ("Patron", "label"): "Display name.",
}

# Units, by (model class, field). Fields not listed fall back on their type (see _unit).
UNITS: dict[tuple[str, str], str] = {
    ("Scenario", "start"): "month",
    ("Scenario", "end"): "month",
    ("Leader", "faction"): "faction id",
    ("Leader", "name"): "text",
    ("Leader", "charisma"): "index",
    ("Faction", "label"): "text",
    ("Faction", "cadres"): "cadres",
    ("Faction", "military"): "force units",
    ("Faction", "legitimacy"): "index",
    ("Faction", "cohesion"): "index",
    ("Faction", "patron"): "patron id",
    ("Faction", "patron_affinity"): "index",
    ("Faction", "members"): "relative weight",
    ("Faction", "notables"): "names",
    ("LoyaltyDistribution", "mean"): "loyalty",
    ("LoyaltyDistribution", "spread"): "loyalty (s.d.)",
    ("Patron", "label"): "text",
    ("Patron", "presence"): "index",
    ("Patron", "protection"): "share of hazard",
    ("Patron", "willingness"): "index",
    ("Patron", "encouragement"): "loyalty share / month",
    ("Network", "within_degree"): "ties per cadre",
    ("Network", "across_degree"): "ties per cadre",
    ("Network", "within_weight"): "tie weight",
    ("Network", "across_weight"): "tie weight",
    ("Network", "chain_weight"): "tie weight",
    ("Network", "across_pairs"): "multiplier",
    ("Committee", "initial_seats"): "seats",
    ("Membership", "initial"): "members",
    ("Membership", "capacity"): "members",
    ("Membership", "scale"): "members per entry",
    ("Membership", "initial_loyalty"): "loyalty",
    ("Elimination", "max_active_share"): "share of peak",
    ("Elimination", "max_active_cadres"): "cadres",
    ("Elimination", "max_seats"): "seats",
    ("LoyaltyParams", "charisma_pull"): "1 / month",
    ("LoyaltyParams", "indoctrination"): "1 / month",
    ("LoyaltyParams", "faction_pull"): "1 / month",
    ("LoyaltyParams", "network_pull"): "1 / month",
    ("LoyaltyParams", "fear"): "share of loyalty",
    ("LoyaltyParams", "noise"): "loyalty / month (s.d.)",
    ("PowerParams", "military_weight"): "weight",
    ("PowerParams", "seats_weight"): "weight",
    ("PowerParams", "patron_weight"): "weight",
    ("PowerParams", "legitimacy_weight"): "weight",
    ("PowerParams", "members_weight"): "weight",
    ("PowerParams", "legitimacy_growth"): "1 / month",
    ("CoalitionParams", "alpha"): "share of power",
    ("CoalitionParams", "leader_constrained"): "switch",
    ("PurgeParams", "launch_rate"): "1 / month",
    ("PurgeParams", "established_share"): "power share",
    ("PurgeParams", "established_width"): "power share",
    ("PurgeParams", "spread"): "probability / month",
    ("PurgeParams", "direct_arrest"): "probability / month",
    ("PurgeParams", "execution"): "share of sentences",
    ("PurgeParams", "exile"): "share of sentences",
    ("PurgeParams", "collateral"): "multiplier",
    ("RankAndFileParams", "wave_share"): "share of members",
    ("ChallengeParams", "rate"): "1 / month",
    ("ChallengeParams", "loyalty_threshold"): "loyalty",
    ("ChallengeParams", "decisiveness"): "exponent",
    ("ChallengeParams", "ally_tie_threshold"): "tie weight per cadre",
    ("ChallengeParams", "flight"): "share of cadres",
    ("ChallengeParams", "exposure"): "multiplier",
    ("ChallengeParams", "spontaneous"): "opening level",
    ("PatronParams", "intervention_rate"): "1 / month",
    ("PatronParams", "restore_share"): "share of purged",
    ("RehabilitationParams", "rate"): "probability / month",
    ("RehabilitationParams", "loyalty"): "loyalty",
    ("CooptationParams", "rate"): "probability / month",
    ("CooptationParams", "threshold"): "loyalty",
    ("CongressParams", "power_weight"): "exponent",
    ("CongressParams", "loyalty_weight"): "exponent",
    ("CongressParams", "prominence_weight"): "exponent",
    ("CongressParams", "size_weight"): "exponent",
    ("RecruitmentParams", "growth_rate"): "1 / month",
    ("RecruitmentParams", "leader_share"): "share of recruits",
    ("RecruitmentParams", "army_control"): "share / month",
    ("War", "pretext"): "pretext level",
    ("War", "mobilisation"): "share",
    ("Setback", "magnitude"): "pretext level",
    ("PatronPresence", "patron"): "patron id",
    ("PatronPresence", "level"): "index",
    ("PatronPolicy", "patron"): "patron id",
    ("PatronPolicy", "protection"): "share of hazard",
    ("PatronPolicy", "willingness"): "index",
    ("PatronPolicy", "encouragement"): "loyalty share / month",
    ("IdeologicalShock", "factions"): "faction ids",
    ("IdeologicalShock", "magnitude"): "share of loyalty",
    ("IdeologicalShock", "opening_months"): "months",
    ("Merger", "faction"): "faction id",
    ("Merger", "cadres"): "cadres",
    ("Merger", "members"): "members",
    ("Merger", "seats"): "seats",
    ("Merger", "military"): "force units",
    ("Merger", "loyalty"): "loyalty",
    ("ArmsTransfer", "faction"): "faction id",
    ("ArmsTransfer", "fraction"): "relative change",
    ("Congress", "seats"): "seats",
    ("Congress", "candidates"): "seats",
    ("ArmyPartyCommittees", "rate"): "share / month",
}


# --------------------------------------------------------------------------- schema introspection


@dataclass(frozen=True)
class Leaf:
    """One scalar field of the schema, reached from a model class along ``parts``."""

    parts: tuple[str, ...]  # attribute names from the owning model down to the field
    owner: type[BaseModel]  # the model that declares the field
    name: str
    info: FieldInfo


def _model_of(annotation: Any) -> type[BaseModel] | None:
    return (
        annotation if isinstance(annotation, type) and issubclass(annotation, BaseModel) else None
    )


def leaves(model: type[BaseModel], skip: set[str] = frozenset()) -> Iterator[Leaf]:
    """Every scalar field of ``model``, nested models flattened (``loyalty.mean``)."""
    for name, info in model.model_fields.items():
        if name in skip:
            continue
        inner = _model_of(info.annotation)
        if inner is not None:
            for leaf in leaves(inner):
                yield Leaf((name, *leaf.parts), leaf.owner, leaf.name, leaf.info)
        else:
            yield Leaf((name,), _declaring(model, name), name, info)


def _declaring(model: type[BaseModel], name: str) -> type[BaseModel]:
    """The class in the MRO that declares ``name`` (``_Event`` for ``date``)."""
    for cls in reversed(model.__mro__):
        if isinstance(cls, type) and name in getattr(cls, "__annotations__", {}):
            return cls
    return model


def _metadata(info: FieldInfo) -> list[Any]:
    """Constraints of a field, looking inside ``X | None`` and ``dict[str, X]``."""
    found = list(info.metadata)
    stack = [info.annotation]
    while stack:
        annotation = stack.pop()
        origin = typing.get_origin(annotation)
        args = typing.get_args(annotation)
        if origin is typing.Annotated:
            for extra in args[1:]:
                found += extra.metadata if isinstance(extra, FieldInfo) else [extra]
            stack.append(args[0])
        elif origin in (typing.Union, types.UnionType):
            stack += args
        elif origin is dict:
            stack.append(args[1])
    return found


def _is_optional(info: FieldInfo) -> bool:
    return type(None) in typing.get_args(info.annotation)


def _base_type(info: FieldInfo) -> Any:
    """The scalar type behind ``Annotated``/``Optional``/``dict`` wrappers."""
    annotation = info.annotation
    while True:
        origin, args = typing.get_origin(annotation), typing.get_args(annotation)
        if origin is typing.Annotated:
            annotation = args[0]
        elif origin in (typing.Union, types.UnionType):
            annotation = next(a for a in args if a is not type(None))
        else:
            return origin or annotation


def _is_month(info: FieldInfo) -> bool:
    return any(
        getattr(getattr(m, "func", None), "__name__", "") == "_check_month" for m in _metadata(info)
    )


def _number(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if value == float("inf"):
            return "∞"
        return f"{value:,.0f}" if value.is_integer() and abs(value) >= 10_000 else f"{value:g}"
    return str(value)


def allowed_range(info: FieldInfo) -> str:
    """The allowed values, in words or interval notation."""
    low = high = None
    pattern = None
    for m in _metadata(info):
        for attr, bracket in (("ge", "["), ("gt", "(")):
            if getattr(m, attr, None) is not None:
                low = (bracket, getattr(m, attr))
        for attr, bracket in (("le", "]"), ("lt", ")")):
            if getattr(m, attr, None) is not None:
                high = (bracket, getattr(m, attr))
        pattern = getattr(m, "pattern", None) or pattern
    base = _base_type(info)
    if base is bool:
        text = "true / false"
    elif base is list:
        text = "list"
    elif _is_month(info):
        text = "`YYYY-MM`"
    elif pattern:
        text = "id"
    elif base is str:
        text = "text"
    elif low and high:
        text = f"{low[0]}{_number(low[1])}, {_number(high[1])}{high[0]}"
    elif low:
        text = f"{'≥' if low[0] == '[' else '>'} {_number(low[1])}"
    elif high:
        text = f"{'≤' if high[0] == ']' else '<'} {_number(high[1])}"
    else:
        text = "any"
    if base is dict:
        text = f"values {text}"
    if _is_optional(info):
        text += ", or unset"
    return text


def _unit(leaf: Leaf) -> str:
    unit = UNITS.get((leaf.owner.__name__, leaf.name))
    if unit:
        return unit
    base = _base_type(leaf.info)
    if base is bool:
        return "switch"
    if _is_month(leaf.info):
        return "month"
    if (
        base is int
        and leaf.info.metadata
        and any(getattr(m, "le", None) == 600 for m in leaf.info.metadata)
    ):
        return "months"
    return "–"


def _reference_notes() -> dict[tuple[str, str], str]:
    """The NOTES of the scenario-reference generator next to this file (if importable)."""
    here = str(Path(__file__).resolve().parent)
    if here not in sys.path:
        sys.path.insert(0, here)
    try:
        from make_scenario_reference import NOTES  # type: ignore[import-not-found]
    except ImportError:
        return {}
    return NOTES


def meaning(leaf: Leaf, notes: dict[tuple[str, str], str]) -> str:
    key = (leaf.owner.__name__, leaf.name)
    text = leaf.info.description or MEANINGS.get(key) or notes.get(key)
    if not text:
        print(f"warning: {key[0]}.{key[1]} has no description", file=sys.stderr)
        text = "–"
    if key in NOT_READ:
        text += " *Not read by the model.*"
    return text


def default(info: FieldInfo) -> str:
    if info.is_required():
        return "required"
    return show(info.get_default(call_default_factory=True))


def show(value: Any) -> str:
    """A value as table text."""
    if value is None:
        return "–"
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return "{}" if not value else ", ".join(f"{k}: {show(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        if not value:
            return "[]"
        return ", ".join(getattr(v, "name", None) or show(v) for v in value)
    return _number(value)


# --------------------------------------------------------------------------- the scenario file


def _scan(line: str, depth: int) -> tuple[str, str, int]:
    """Split ``line`` into code and trailing comment; track bracket depth outside strings."""
    quote = None
    i = 0
    while i < len(line):
        c = line[i]
        if quote:
            if c == "\\" and quote == '"':
                i += 1
            elif c == quote:
                quote = None
        elif c in "\"'":
            quote = c
        elif c == "#":
            return line[:i], line[i + 1 :].strip(), depth
        elif c in "[{":
            depth += 1
        elif c in "]}":
            depth -= 1
        i += 1
    return line, "", depth


def _split_key(text: str) -> tuple[str, ...]:
    parts, current, quote = [], "", None
    for c in text.strip():
        if quote:
            if c == quote:
                quote = None
            else:
                current += c
        elif c in "\"'":
            quote = c
        elif c == ".":
            parts.append(current.strip())
            current = ""
        else:
            current += c
    parts.append(current.strip())
    return tuple(parts)


@dataclass
class FileComments:
    """Which dotted paths a scenario file sets, and the trailing comment of each line."""

    comments: dict[tuple[str, ...], str]
    key_lines: set[tuple[str, ...]]  # paths set by a `key = value` line
    defined: set[tuple[str, ...]]  # those, and the keys of inline tables among them

    @classmethod
    def parse(cls, text: str) -> FileComments:
        comments: dict[tuple[str, ...], str] = {}
        key_lines: set[tuple[str, ...]] = set()
        defined: set[tuple[str, ...]] = set()
        header: tuple[str, ...] = ()
        depth = 0
        in_string = False
        for line in text.splitlines():
            if line.count('"""') % 2 or line.count("'''") % 2:
                in_string = not in_string
                continue
            if in_string:
                continue
            continued = depth > 0
            code, comment, depth = _scan(line, depth)
            stripped = code.strip()
            if continued or not stripped:
                continue
            if stripped.startswith("[["):  # arrays of tables: patterns, not parameters
                header = ("[[", *_split_key(stripped.strip("[] ")))
                continue
            if stripped.startswith("["):
                header = _split_key(stripped.strip("[] "))
                continue
            if "=" not in stripped:
                continue
            key, value = stripped.split("=", 1)
            path = (*header, *_split_key(key))
            key_lines.add(path)
            defined.add(path)
            if comment:
                comments[path] = comment
            if depth == 0 and value.strip().startswith("{"):
                try:
                    inline = tomllib.loads(f"v = {value.strip()}")["v"]
                except tomllib.TOMLDecodeError:
                    inline = {}
                defined.update((*path, k) for k in inline)
        return cls(comments, key_lines, defined)

    def comment(self, path: tuple[str, ...]) -> str | None:
        """The comment on the line that sets ``path`` (or the inline table holding it)."""
        if path in self.key_lines:
            return self.comments.get(path)
        for end in range(len(path) - 1, 0, -1):
            if path[:end] in self.key_lines:
                return self.comments.get(path[:end])
        return None

    def sets(self, path: tuple[str, ...]) -> bool:
        return any(path[:end] in self.defined for end in range(len(path), 0, -1))


def scenario_files(name: str) -> list[Path]:
    """The scenario file and every file it ``extends``, child first."""
    chain = [locate(name)]
    while True:
        parent = tomllib.loads(chain[-1].read_text(encoding="utf-8")).get("extends")
        if not isinstance(parent, str):
            return chain
        chain.append(locate(parent, relative_to=chain[-1].parent))


def reason(files: list[FileComments], path: tuple[str, ...]) -> str:
    """The source column: the file's comment, else whether the file sets the value at all."""
    for parsed in files:
        text = parsed.comment(path)
        if text:
            return text
    if any(parsed.sets(path) for parsed in files):
        return "*uncommented*"
    return "*default*"


# --------------------------------------------------------------------------- rows and tables


HEADER = (
    "| Parameter | Meaning | Unit | Allowed | Default | {scenario} | Source / reason |\n"
    "|---|---|---|---|---|---|---|"
)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ").strip()


def row(path: str, leaf: Leaf, value: str, source: str, notes: dict) -> str:
    cells = [
        f"`{path}`",
        meaning(leaf, notes),
        _unit(leaf),
        allowed_range(leaf.info),
        default(leaf.info),
        value,
        source,
    ]
    return "| " + " | ".join(_cell(c) for c in cells) + " |"


def _get(obj: Any, parts: tuple[str, ...]) -> Any:
    for part in parts:
        obj = getattr(obj, part)
    return obj


def simple_section(
    title: str, model: type[BaseModel], obj: Any, prefix: tuple[str, ...], ctx: dict
) -> list[str]:
    """One row per field of a single table (``[network]``, ``[mechanisms.purge]`` ...)."""
    lines = [f"**{title}**", "", ctx["header"]]
    for leaf in leaves(model):
        path = (*prefix, *leaf.parts)
        value = show(_get(obj, leaf.parts))
        lines.append(row(".".join(path), leaf, value, reason(ctx["files"], path), ctx["notes"]))
    return lines


def collection_section(
    title: str, model: type[BaseModel], items: dict[str, Any], prefix: str, ctx: dict
) -> list[str]:
    """One row per field of keyed tables (factions, patrons), the values of all keys together."""
    lines = [f"**{title}**", "", ctx["header"]]
    for leaf in leaves(model):
        values, sources = [], []
        for key, item in items.items():
            path = (prefix, key, *leaf.parts)
            values.append(f"{key}: {show(_get(item, leaf.parts))}")
            text = reason(ctx["files"], path)
            if not text.startswith("*"):
                sources.append(f"{key}: {text}")
        if not sources:
            kinds = {reason(ctx["files"], (prefix, key, *leaf.parts)) for key in items}
            sources = ["*uncommented*" if "*uncommented*" in kinds else "*default*"]
        source = "; ".join(sources)
        path = ".".join((prefix, "<id>", *leaf.parts))
        lines.append(row(path, leaf, "; ".join(values), source, ctx["notes"]))
    return lines


def event_section(spec: Scenario, ctx: dict) -> list[str]:
    """Each event kind's parameters, with the values of the scenario's events of that kind."""
    lines = ["**Event kinds** (the values of every event of the kind)", "", ctx["header"]]
    by_kind: dict[str, dict[str, Any]] = {}
    for key, event in sorted(spec.events.items(), key=lambda kv: (kv[1].date, kv[0])):
        by_kind.setdefault(event.kind, {})[key] = event
    for name in ("date", "enabled"):
        leaf = Leaf((name,), ev._Event, name, ev._Event.model_fields[name])
        off = [k for k, e in spec.events.items() if not e.enabled]
        value = "false: " + ", ".join(off) if off else "all true"
        if name == "date":
            value = "see the event list"
        lines.append(row(f"events.<key>.{name}", leaf, value, "–", ctx["notes"]))
    for kind, model in ev.EVENT_KINDS.items():
        found = by_kind.get(kind, {})
        doc = " ".join((model.__doc__ or "").split())
        count = f"{len(found)} event" + ("" if len(found) == 1 else "s")
        lines.append(f"| *kind* `{kind}` | {_cell(doc)} | | | | {count} | |")
        for leaf in leaves(model, skip={*EVENT_BOOKKEEPING, "date", "kind"}):
            values, sources = [], []
            for key, event in found.items():
                values.append(f"{key}: {show(_get(event, leaf.parts))}")
                text = reason(ctx["files"], ("events", key, *leaf.parts))
                if not text.startswith("*"):
                    sources.append(f"{key}: {text}")
            if sources:
                source = "; ".join(sources)
            elif not found:
                source = "–"
            else:
                sets = any(
                    reason(ctx["files"], ("events", key, *leaf.parts)) == "*uncommented*"
                    for key in found
                )
                source = "the event's `source` (see the list)" if sets else "*default*"
            value = "; ".join(values) or "–"
            lines.append(row(f"events.<key>.{leaf.name}", leaf, value, source, ctx["notes"]))
    return lines


def event_list(spec: Scenario) -> list[str]:
    """The scenario's events in date order: what happened and where it comes from."""
    lines = [
        f"**Events of `{spec.name}`** (in date order; disabled ones struck through)",
        "",
        "| Date | Event | Kind | What happened (`note`) | Source (`source`) |",
        "|---|---|---|---|---|",
    ]
    for key, event in sorted(spec.events.items(), key=lambda kv: (kv[1].date, kv[0])):
        name = f"`{key}`" if event.enabled else f"~~`{key}`~~"
        cells = (event.date, name, f"`{event.kind}`", event.note or "–", event.source or "–")
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return lines


MECHANISM_TITLES = {
    "loyalty": "Loyalty dynamics",
    "power": "Faction power",
    "coalition": "Ruling coalition (AES)",
    "purge": "Elite purges",
    "rank_and_file": "Rank-and-file purge waves",
    "challenge": "Challenges to the leader",
    "patrons": "Patron intervention",
    "rehabilitation": "Rehabilitation",
    "cooptation": "Co-optation",
    "congress": "Congresses",
    "recruitment": "Recruitment and the party in the army",
}


def render(scenario: str = DEFAULT_SCENARIO) -> str:
    """The whole markdown block for ``scenario`` (without the markers)."""
    spec = load_scenario(scenario)
    files = [FileComments.parse(p.read_text(encoding="utf-8")) for p in scenario_files(scenario)]
    ctx = {
        "files": files,
        "notes": _reference_notes(),
        "header": HEADER.format(scenario=f"`{spec.name}`"),
    }
    top = Scenario.model_fields
    blocks: list[list[str]] = []
    time_lines = [f"**Time** (one step = one month; {spec.n_months} steps)", "", ctx["header"]]
    for name in ("start", "end"):
        leaf = Leaf((name,), Scenario, name, top[name])
        time_lines.append(
            row(name, leaf, show(getattr(spec, name)), reason(files, (name,)), ctx["notes"])
        )
    blocks.append(time_lines)
    blocks.append(simple_section("Leader", type(spec.leader), spec.leader, ("leader",), ctx))
    blocks.append(collection_section("Factions", Faction, dict(spec.factions), "factions", ctx))
    blocks.append(collection_section("Patrons", Patron, dict(spec.patrons), "patrons", ctx))
    for name, title in (
        ("network", "Patronage network"),
        ("committee", "Central committee"),
        ("membership", "Rank-and-file membership"),
        ("elimination", "Elimination rule"),
    ):
        model = _model_of(top[name].annotation)
        blocks.append(simple_section(title, model, getattr(spec, name), (name,), ctx))
    for name, info in Mechanisms.model_fields.items():
        model = _model_of(info.annotation)
        title = f"Mechanism: {MECHANISM_TITLES.get(name, name)}"
        blocks.append(
            simple_section(title, model, getattr(spec.mechanisms, name), ("mechanisms", name), ctx)
        )
    blocks.append(event_section(spec, ctx))
    blocks.append(event_list(spec))
    missing = set(top) - METADATA - TABULATED
    if missing:
        print(f"warning: top-level fields not tabulated: {sorted(missing)}", file=sys.stderr)
    intro = (
        f"<!-- generated by experiments/make_parameter_table.py from the schema and "
        f"scenarios/{spec.name}.toml; do not edit by hand -->"
    )
    return "\n\n".join([intro, *("\n".join(b) for b in blocks)]) + "\n"


def replace_block(text: str, block: str) -> str:
    """``text`` with the part between the markers replaced by ``block``."""
    start, end = text.find(START), text.find(END)
    if start < 0 or end < start:
        raise SystemExit(f"markers {START} ... {END} not found (in this order)")
    return text[: start + len(START)] + "\n" + block + text[end:]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default=DEFAULT_SCENARIO, help="scenario name or path")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--write", type=Path, metavar="FILE", help="rewrite the block in FILE")
    group.add_argument("--check", type=Path, metavar="FILE", help="exit 1 if FILE is stale")
    args = parser.parse_args(argv)
    block = render(args.scenario)
    target = args.write or args.check
    if target is None:
        sys.stdout.write(block)
        return 0
    text = target.read_text(encoding="utf-8")
    new = replace_block(text, block)
    if args.check:
        if new != text:
            print(f"{target} is out of date: run {Path(__file__).name} --write", file=sys.stderr)
            return 1
        return 0
    target.write_text(new, encoding="utf-8")
    print(f"wrote the parameter table of {args.scenario} into {target}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
