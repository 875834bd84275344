"""Regenerate the field tables of docs/scenarios.md from the scenario schema.

The prose of docs/scenarios.md is written by hand; every table sits between two markers::

    <!-- BEGIN generated: Faction -->
    ...
    <!-- END generated -->

and is rewritten from the pydantic model of that name (its fields, types, ranges, defaults and
descriptions). Run after changing the schema or a default:

    .venv/bin/python experiments/make_scenario_reference.py          # rewrite the tables
    .venv/bin/python experiments/make_scenario_reference.py --check  # exit 1 if out of date
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from factions.scenario import events, mechanisms, patterns, schema

DOC = Path(__file__).resolve().parents[1] / "docs" / "scenarios.md"
MARKER = re.compile(
    r"(<!-- BEGIN generated: (?P<name>[\w.]+) -->\n)(?P<body>.*?)(<!-- END generated -->)",
    re.DOTALL,
)
IDENTIFIER = "^[a-z][a-z0-9_-]*$"

# Fields the schema leaves without a description.
NOTES: dict[tuple[str, str], str] = {
    ("Scenario", "name"): "Identifier of the scenario (used for the default results folder).",
    ("Scenario", "title"): "One-line title, shown by `factions scenarios list`.",
    ("Scenario", "description"): "What the scenario is about, and what it predicts.",
    ("Scenario", "sources"): "References for the numbers in the file.",
    ("Scenario", "factions"): "The factions, keyed by id (2 to 20).",
    ("Scenario", "leader"): "The leader: see [leader].",
    ("Scenario", "patrons"): "Foreign patrons, keyed by id.",
    ("Scenario", "network"): "The patronage network: see [network].",
    ("Scenario", "committee"): "The first central committee: see [committee].",
    ("Scenario", "membership"): "The rank-and-file membership: see [membership].",
    ("Scenario", "mechanisms"): "Parameters of every mechanism: see [mechanisms.*].",
    ("Scenario", "events"): "Dated exogenous events, keyed by a name of your choice.",
    ("Scenario", "elimination"): "When a faction counts as eliminated: see [elimination].",
    ("Scenario", "patterns"): "Historical patterns the scenario should reproduce.",
    ("Leader", "faction"): "Id of the leader's faction.",
    ("Faction", "label"): "Display name.",
    ("Faction", "loyalty"): "Initial loyalty to the leader: `{ mean = ..., spread = ... }`.",
    ("Faction", "notables"): "Named cadres, most prominent first: `[{ name = ..., role = ... }]`.",
    ("Notable", "name"): "The cadre's name (the leader's name must be one of these).",
    ("Patron", "label"): "Display name.",
    ("Network", "within_weight"): "Weight of ties inside a faction.",
    ("Network", "across_weight"): "Weight of ties across factions.",
    ("Committee", "initial_seats"): "Seats of the central committee before the first congress.",
    ("Membership", "initial_loyalty"): "Mean initial loyalty of members to the leader.",
    ("Merger", "cadres"): "Cadres who join the faction.",
    ("Merger", "members"): "Rank-and-file members who join.",
    ("Merger", "military"): "Armed force the newcomers bring.",
    ("ArmsTransfer", "fraction"): "Relative change of the faction's force, in [-1, 100].",
    ("Congress", "seats"): "Full members of the new central committee.",
    ("Congress", "candidates"): "Candidate members (recorded, without a vote).",
    ("LeaderAbsence", "months"): "How long the leader is away.",
    ("PatronPolicy", "protection"): "New protection, if it changes.",
    ("PatronPolicy", "willingness"): "New willingness to intervene, if it changes.",
    ("PatronPolicy", "encouragement"): "New encouragement of its clients, if it changes.",
    ("EliminatedFirst", "faction"): "Faction id.",
    ("EliminationWindow", "faction"): "Faction id.",
    ("EliminationWindow", "earliest"): "Earliest month of elimination that passes.",
    ("EliminationWindow", "latest"): "Latest month of elimination that passes.",
    ("Survives", "faction"): "Faction id.",
    ("EventCount", "start"): "First month counted.",
    ("EventCount", "end"): "Last month counted.",
    ("EventCount", "count_min"): "Fewest events that pass.",
    ("EventCount", "count_max"): "Most events that pass.",
    ("CongressSeats", "date"): "Month of the congress.",
    ("CongressSeats", "faction"): "Faction id.",
    ("CongressSeats", "seats"): "Historical seats of the faction.",
    ("CongressSeats", "tolerance"): "Seats either side that still pass.",
    ("MemberCount", "date"): "Month of the membership figure.",
    ("MemberCount", "members"): "Historical membership.",
    ("MemberCount", "tolerance"): "Relative error that still passes.",
    ("_Pattern", "description"): "What the pattern says, for summaries.",
    ("_Pattern", "source"): "Where the historical fact comes from.",
    ("PowerParams", "military_weight"): "Weight of the military-force share.",
    ("PowerParams", "seats_weight"): "Weight of the central-committee seat share.",
    ("PowerParams", "patron_weight"): "Weight of patron backing.",
    ("PowerParams", "legitimacy_weight"): "Weight of legitimacy.",
    ("PowerParams", "members_weight"): "Weight of the rank-and-file share.",
    ("PurgeParams", "established_width"): "Width of the logistic switch around it.",
    ("ChallengeParams", "exposure_months"): "Months the raised purge hazard lasts.",
    ("_Mechanism", "enabled"): "Set `false` to switch the mechanism off (ablation).",
    ("PatronPresence", "patron"): "Patron id.",
    ("PatronPolicy", "patron"): "Patron id.",
    ("Merger", "faction"): "Faction id the newcomers join.",
    ("ArmsTransfer", "faction"): "Faction id.",
}


def _models_of(module: Any) -> dict[str, type[BaseModel]]:
    return {
        name: obj
        for name, obj in vars(module).items()
        if isinstance(obj, type)
        and issubclass(obj, BaseModel)
        and obj.__module__ == module.__name__
    }


def _models() -> dict[str, type[BaseModel]]:
    """Every model a table can be generated for, by name (``patterns.NAME`` when a name clashes)."""
    found: dict[str, type[BaseModel]] = {}
    for module in (schema, events, mechanisms):
        for name, obj in _models_of(module).items():
            found.setdefault(name, obj)
    for name, obj in _models_of(patterns).items():
        found[f"patterns.{name}" if name in found else name] = obj
    return found


def _number(value: Any) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value)) if abs(value) >= 1000 else f"{value:g}"
    if isinstance(value, int) and abs(value) >= 10_000:
        return f"{value:,}"
    return f"{value:g}" if isinstance(value, float) else str(value)


def _range(prop: dict[str, Any]) -> str:
    low = ("[", prop["minimum"]) if "minimum" in prop else ("(", prop.get("exclusiveMinimum"))
    high = ("]", prop["maximum"]) if "maximum" in prop else (")", prop.get("exclusiveMaximum"))
    if low[1] is not None and high[1] is not None:
        return f" in {low[0]}{_number(low[1])}, {_number(high[1])}{high[0]}"
    if low[1] is not None:
        return f" {'≥' if low[0] == '[' else '>'} {_number(low[1])}"
    if high[1] is not None:
        return f" {'≤' if high[0] == ']' else '<'} {_number(high[1])}"
    return ""


def _type(prop: dict[str, Any]) -> str:
    if "anyOf" in prop:
        options = [_type(o) for o in prop["anyOf"] if o.get("type") != "null"]
        optional = any(o.get("type") == "null" for o in prop["anyOf"])
        return " or ".join(options) + (" (optional)" if optional else "")
    if "$ref" in prop:
        return "table"
    if "const" in prop:
        return f'`"{prop["const"]}"`'
    kind = prop.get("type")
    if kind == "string":
        if prop.get("pattern") == IDENTIFIER:
            return "id"
        if prop.get("examples"):
            return "month `YYYY-MM`"
        return "string"
    if kind == "array":
        items = prop.get("items", {})
        inner = "tables" if {"$ref", "oneOf"} & set(items) else _type(items) + "s"
        return f"list of {inner}"
    if kind == "object":
        return "table of " + ("id → tables" if "patternProperties" in prop else "name → numbers")
    if kind in ("integer", "number"):
        return ("integer" if kind == "integer" else "number") + _range(prop)
    if kind == "boolean":
        return "boolean"
    return kind or "value"


def _default(field: Any) -> str:
    if field.is_required():
        return "**required**"
    value = field.get_default(call_default_factory=True)
    if isinstance(value, BaseModel):
        return "(table)"
    if value is None:
        return "–"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, str):
        return f'`"{value}"`'
    if isinstance(value, list | dict):
        return "`[]`" if isinstance(value, list) else "`{}`"
    return f"`{_number(value)}`"


def _table(model: type[BaseModel], skip: set[str] = frozenset()) -> str:
    props = model.model_json_schema()["properties"]
    rows = ["| Field | Type | Default | Meaning |", "|---|---|---|---|"]
    for name, field in model.model_fields.items():
        if name in skip or name == "kind":  # the section heading names the kind
            continue
        description = field.description or next(
            (NOTES[(c.__name__, name)] for c in model.__mro__ if (c.__name__, name) in NOTES),
            "",
        )
        description = description.replace("|", "\\|")
        rows.append(f"| `{name}` | {_type(props[name])} | {_default(field)} | {description} |")
    return "\n".join(rows) + "\n"


def render(name: str) -> str:
    """The table for a marker name: a model name, or ``events._Event``/``patterns._Pattern``."""
    models = _models()
    if name == "events._Event":
        return _table(events._Event)
    if name == "patterns._Pattern":
        return _table(patterns._Pattern)
    model = models[name]
    skip: set[str] = set()
    if issubclass(model, events._Event):
        skip = set(events._Event.model_fields)
    elif issubclass(model, patterns._Pattern):
        skip = set(patterns._Pattern.model_fields)
    return _table(model, skip)


def rewrite(text: str) -> str:
    return MARKER.sub(lambda m: m.group(1) + render(m.group("name")) + m.group(4), text)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report whether it is current")
    args = parser.parse_args()
    text = DOC.read_text(encoding="utf-8")
    new = rewrite(text)
    if args.check:
        if new != text:
            print(f"{DOC} is out of date: run {Path(__file__).name}", file=sys.stderr)
            return 1
        return 0
    DOC.write_text(new, encoding="utf-8")
    print(f"wrote {DOC} ({len(MARKER.findall(new))} tables)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
