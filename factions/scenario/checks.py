"""Cross-field checks that the per-field schema cannot express.

Each returns :class:`~factions.errors.Problem` records with the dotted path of the offending
field, so that the loader can point at the line.
"""

from __future__ import annotations

import difflib

from pydantic import ValidationError

from factions.calendar import parse_month
from factions.errors import Problem
from factions.scenario.events import EVENT_LOG_KINDS
from factions.scenario.mechanisms import Mechanisms, revise
from factions.scenario.schema import Scenario
from factions.scenario.types import MAX_FORCE, MAX_SUPER_INDIVIDUALS

__all__ = [
    "check_dates",
    "check_domains",
    "check_force",
    "check_patterns",
    "check_probabilities",
    "check_references",
    "check_sizes",
    "check_span",
    "cross_checks",
]


def _unknown(kind: str, value: str, known: list[str], path: str) -> Problem:
    close = difflib.get_close_matches(value, known, n=1)
    hint = f"did you mean '{close[0]}'?" if close else f"known {kind}s: {', '.join(known) or '-'}"
    if kind == "domain":
        hint += " (a domain is declared by a faction's `portfolio`)"
    return Problem(path, f"unknown {kind}", value, hint=hint)


def check_span(s: Scenario) -> list[Problem]:
    if s.end_month <= s.start_month:
        return [
            Problem(
                "end",
                f"must be after start ({s.start})",
                s.end,
                hint="`start` and `end` are months 'YYYY-MM'; `end` is the last simulated month",
            )
        ]
    return []


def check_references(s: Scenario) -> list[Problem]:
    """Factions and patrons named anywhere must be declared (a faction may also be born of a
    ``split``)."""
    factions, patrons = s.faction_ids, list(s.patrons)
    problems = []
    if s.leader.faction not in s.factions:
        problems.append(_unknown("faction", s.leader.faction, list(s.factions), "leader.faction"))
    for fid, faction in s.factions.items():
        if faction.patron is not None and faction.patron not in s.patrons:
            problems.append(_unknown("patron", faction.patron, patrons, f"factions.{fid}.patron"))
        if len(faction.notables) > faction.cadres:
            problems.append(
                Problem(
                    f"factions.{fid}.notables",
                    f"{len(faction.notables)} notables but only {faction.cadres} cadres",
                    hint="raise `cadres` or list fewer notables",
                )
            )
    for key, event in s.events.items():
        for field, kind in (("faction", "faction"), ("patron", "patron"), ("origin", "patron")):
            value = getattr(event, field, None)
            known = factions if kind == "faction" else patrons
            if value is not None and value not in known:
                problems.append(_unknown(kind, value, known, f"events.{key}.{field}"))
    problems += _check_new_structure(s)
    problems += _check_uncertain_births(s)
    for i, pattern in enumerate(s.patterns):
        fid = getattr(pattern, "faction", None)
        if fid is not None and fid not in factions:
            problems.append(_unknown("faction", fid, factions, f"patterns.{i}.faction"))
        for j, fid in enumerate(getattr(pattern, "order", ())):
            if fid not in factions:
                problems.append(_unknown("faction", fid, factions, f"patterns.{i}.order.{j}"))
    for pair in s.network.across_pairs:
        # Faction ids may contain '-' themselves: accept any split into two different ids.
        splits = [(pair[:i], pair[i + 1 :]) for i, c in enumerate(pair) if c == "-"]
        if not any(a != b and a in s.factions and b in s.factions for a, b in splits):
            problems.append(
                Problem(
                    f"network.across_pairs.{pair}",
                    "must name two different declared factions as 'a-b'",
                    pair,
                    hint=f"factions: {', '.join(factions)}",
                )
            )
    leader_faction = s.factions.get(s.leader.faction)
    names = [n.name for n in leader_faction.notables] if leader_faction else []
    if leader_faction is not None and s.leader.name not in names:
        problems.append(
            Problem(
                "leader.name",
                f"must be one of the notables of faction '{s.leader.faction}'",
                s.leader.name,
                hint="list the leader first among the faction's notables",
            )
        )
    return problems


def _check_new_structure(s: Scenario) -> list[Problem]:
    """A ``leader_change`` names a faction or a notable as successor; a faction enters
    (``faction_entry``) at most once, never the leader's faction, with room for its notables; a
    ``split`` gives birth to a faction not declared nor born twice; no event names a faction
    before it enters or is born."""
    factions = s.faction_ids
    notables = {n.name for f in s.factions.values() for n in f.notables}
    problems = []
    entering: dict[str, str] = {}  # faction -> the faction_entry or split that brings it
    for key, event in s.events.items():
        successor = getattr(event, "successor", None)
        if successor is not None and successor not in factions and successor not in notables:
            known = [*factions, *sorted(notables)]
            path = f"events.{key}.successor"
            problems.append(_unknown("faction or notable", successor, known, path))
        if event.kind == "split" and event.enabled:
            problems += _check_birth(s, key, event, entering)
            continue
        if event.kind != "faction_entry" or not event.enabled or event.faction not in factions:
            continue
        if event.faction in s.split_factions:
            problems.append(
                Problem(
                    f"events.{key}.faction",
                    f"faction '{event.faction}' is born of a split, not declared in [factions]",
                    event.faction,
                    hint="only a faction declared in [factions] enters with faction_entry",
                )
            )
            continue
        path = f"events.{key}.faction"
        if event.faction in entering:
            problems.append(
                Problem(
                    path,
                    f"faction '{event.faction}' already enters (event '{entering[event.faction]}')",
                    event.faction,
                    hint="a faction enters once: disable or remove one of the two events",
                )
            )
        entering[event.faction] = key
        if event.faction == s.leader.faction:
            problems.append(
                Problem(
                    path,
                    "the leader's faction is there from the start: it cannot enter later",
                    event.faction,
                    hint="name another faction, or make another faction the leader's",
                )
            )
        listed = len(s.factions[event.faction].notables)
        if event.cadres is not None and event.cadres < listed:
            problems.append(
                Problem(
                    f"events.{key}.cadres",
                    f"{event.cadres} cadres but faction '{event.faction}' lists {listed} notables",
                    event.cadres,
                    hint="raise `cadres` or omit it (the faction's own `cadres`)",
                )
            )
    for key, event in s.events.items():
        fid = getattr(event, "faction", None)
        if fid not in entering or not event.enabled or entering[fid] == key:
            continue
        entry = s.events[entering[fid]]
        if parse_month(event.date) < parse_month(entry.date):
            problems.append(
                Problem(
                    f"events.{key}.date",
                    f"faction '{fid}' exists only from {entry.date} (event '{entering[fid]}')",
                    event.date,
                    hint="date the event after the faction's entry, or enter it earlier",
                )
            )
    return problems


def _check_birth(s: Scenario, key: str, event, born: dict[str, str]) -> list[Problem]:
    """A split's ``new_faction`` is neither declared nor born of another split; record it."""
    new, path = event.new_faction, f"events.{key}.new_faction"
    if new in s.factions:
        return [
            Problem(
                path,
                f"faction '{new}' is declared in [factions]: a split gives birth to a new one",
                new,
                hint="name the new faction with an id not used in [factions]",
            )
        ]
    if new in born:
        return [
            Problem(
                path,
                f"faction '{new}' is already born of the split '{born[new]}'",
                new,
                hint="give each split's new faction its own id",
            )
        ]
    born[new] = key
    return []


def _check_uncertain_births(s: Scenario) -> list[Problem]:
    """A dated split may not divide a faction born of a cohesion-triggered split: that faction
    may be born late or never, and a dated split of an unborn faction would found an empty
    one."""
    uncertain = {
        event.new_faction: key
        for key, event in s.events.items()
        if event.kind == "split" and event.enabled and event.when == "cohesion"
    }
    return [
        Problem(
            f"events.{key}.faction",
            f"faction '{event.faction}' is born of the cohesion-triggered split "
            f"'{uncertain[event.faction]}': it may never exist",
            event.faction,
            hint='make this split cohesion-triggered too (when = "cohesion"), or date the first',
        )
        for key, event in s.events.items()
        if event.kind == "split"
        and event.enabled
        and event.when == "date"
        and event.faction in uncertain
    ]


def check_domains(s: Scenario) -> list[Problem]:
    """A domain's offices are shared out at most once (shares sum to at most 1), and a setback
    happens in a domain some faction holds (else it would blame nobody: a typo, most likely)."""
    problems = []
    held: dict[str, float] = {}
    for faction in s.factions.values():
        for domain, share in faction.portfolio.items():
            held[domain] = held.get(domain, 0.0) + share
    for domain, total in sorted(held.items()):
        if total > 1.0 + 1e-9:
            holders = [f for f, x in s.factions.items() if domain in x.portfolio]
            problems.append(
                Problem(
                    f"factions.{holders[-1]}.portfolio.{domain}",
                    f"the shares of domain '{domain}' sum to {total:g} (> 1)",
                    s.factions[holders[-1]].portfolio[domain],
                    hint=f"held by {', '.join(holders)}; a share is a part of the domain's offices",
                )
            )
    for key, event in s.events.items():
        domain = getattr(event, "domain", None)
        if domain is not None and held.get(domain, 0.0) <= 0.0:
            known = sorted(d for d, total in held.items() if total > 0)
            problems.append(_unknown("domain", domain, known, f"events.{key}.domain"))
    return problems


def check_dates(s: Scenario) -> list[Problem]:
    """Events and patterns must fall inside the simulated span."""
    problems = []

    def inside(path: str, value: str | None) -> None:
        if value is not None and not s.start_month <= parse_month(value) <= s.end_month:
            problems.append(
                Problem(
                    path,
                    f"must lie within the scenario's span {s.start}..{s.end}",
                    value,
                    hint="move the date inside the span, or widen `start`/`end`",
                )
            )

    for key, event in s.events.items():
        inside(f"events.{key}.date", event.date)
        end = getattr(event, "end", None)
        inside(f"events.{key}.end", end)
        if end is not None and parse_month(end) < parse_month(event.date):
            problems.append(
                Problem(
                    f"events.{key}.end",
                    "must not be before `date`",
                    end,
                    hint=f"the event starts in {event.date}",
                )
            )
    for i, pattern in enumerate(s.patterns):
        for field in ("earliest", "latest", "historical", "start", "end", "date"):
            inside(f"patterns.{i}.{field}", getattr(pattern, field, None))
        pairs = (("earliest", "latest"), ("start", "end"), ("count_min", "count_max"))
        for low, high in pairs:
            lo, hi = getattr(pattern, low, None), getattr(pattern, high, None)
            if lo is not None and hi is not None:
                lo_v = parse_month(lo) if isinstance(lo, str) else lo
                hi_v = parse_month(hi) if isinstance(hi, str) else hi
                if hi_v < lo_v:
                    problems.append(
                        Problem(
                            f"patterns.{i}.{high}",
                            f"must not be below {low}",
                            hi,
                            hint=f"{low} is {lo}",
                        )
                    )
    return problems


def check_sizes(s: Scenario) -> list[Problem]:
    """Refuse sizes that would exhaust memory, before anything is allocated."""
    problems = []
    entries = s.membership.capacity // s.membership.scale
    if entries > MAX_SUPER_INDIVIDUALS:
        problems.append(
            Problem(
                "membership.scale",
                f"capacity/scale = {entries:,} array entries exceeds {MAX_SUPER_INDIVIDUALS:,}",
                s.membership.scale,
                hint="raise `scale` (members per entry) or lower `capacity`",
            )
        )
    if s.membership.initial > s.membership.capacity:
        problems.append(
            Problem(
                "membership.initial",
                f"must not exceed `capacity` ({s.membership.capacity:,})",
                s.membership.initial,
                hint="lower `initial` or raise `capacity`",
            )
        )
    total = sum(f.cadres for f in s.factions.values()) + sum(
        e.cadres for e in s.events.values() if e.kind == "merger"
    )
    for e in s.events.values():  # an entering faction's own count replaces its table's
        if e.kind == "faction_entry" and e.cadres is not None and e.faction in s.factions:
            total += e.cadres - s.factions[e.faction].cadres
    for key, event in s.events.items():
        seats = getattr(event, "seats", 0) if event.kind == "congress" else 0
        if seats > total:
            problems.append(
                Problem(
                    f"events.{key}.seats",
                    f"more seats than cadres ({total})",
                    seats,
                    hint="lower `seats` or raise the factions' `cadres`",
                )
            )
    if s.committee.initial_seats > total:
        problems.append(
            Problem(
                "committee.initial_seats",
                f"more seats than cadres ({total})",
                s.committee.initial_seats,
                hint="lower `initial_seats` or raise the factions' `cadres`",
            )
        )
    return problems


def check_probabilities(s: Scenario) -> list[Problem]:
    """Execution and exile are shares of one sentence: they must sum to at most 1."""
    purge = s.mechanisms.purge
    if purge.execution + purge.exile > 1.0:
        return [
            Problem(
                "mechanisms.purge.exile",
                "execution + exile must not exceed 1 (the rest are demotions)",
                purge.exile,
                hint=f"execution is {purge.execution:g}: lower one of the two",
            )
        ]
    return []


def check_patterns(s: Scenario) -> list[Problem]:
    """Patterns that could never match: an event kind the log never has, a congress-seats
    pattern in a month without a congress."""
    problems = []
    congresses = sorted({e.date for e in s.events.values() if e.kind == "congress" and e.enabled})
    for i, pattern in enumerate(s.patterns):
        if pattern.kind == "event_count" and pattern.event not in EVENT_LOG_KINDS:
            known = sorted(EVENT_LOG_KINDS)
            problems.append(_unknown("event kind", pattern.event, known, f"patterns.{i}.event"))
        if pattern.kind == "congress_seats" and pattern.date not in congresses:
            problems.append(
                Problem(
                    f"patterns.{i}.date",
                    "no congress is held in this month, so the pattern could never hold",
                    pattern.date,
                    hint=f"congresses (enabled events of kind 'congress'): "
                    f"{', '.join(congresses) or 'none'}",
                )
            )
    return problems


def check_force(s: Scenario) -> list[Problem]:
    """A faction's force after every merger and arms transfer must stay finite and sane:
    transfers compound (200 transfers of x101 overflow a float)."""
    problems = []
    for fid in s.faction_ids:  # a faction born of a split has at most its parent's force
        force, path = s.faction_table(fid).military, f"factions.{fid}.military"
        for key, event in s.active_events():
            if getattr(event, "faction", None) != fid:
                continue
            if event.kind == "merger":
                force += event.military
            elif event.kind == "arms_transfer":
                force *= 1.0 + max(event.fraction, 0.0)
                path = f"events.{key}.fraction"
            if force > MAX_FORCE:
                problems.append(
                    Problem(
                        path,
                        f"faction '{fid}' could reach a force of {force:.3g} here, "
                        f"above {MAX_FORCE:g}",
                        hint="arms transfers multiply a faction's force: use fewer or smaller",
                    )
                )
                break
    return problems


def check_dated_changes(s: Scenario) -> list[Problem]:
    """Each ``set`` event, applied in date order on top of the earlier ones, must leave valid
    mechanism values (a name that exists, a value in its range)."""
    problems = []
    mechanisms = s.mechanisms
    for key, event in s.active_events():
        if event.kind != "set":
            continue
        try:
            mechanisms = revise(mechanisms, event.values)
        except ValidationError as error:
            problems += [_dated_change_problem(key, event.values, e) for e in error.errors()]
    return problems


def _dated_change_problem(key: str, values: dict, error: dict) -> Problem:
    """A Problem for one pydantic error of a ``set`` event's revised mechanisms."""
    path = "mechanisms." + ".".join(map(str, error["loc"]))
    where = f"events.{key}.values.{path}"
    if error["type"] != "extra_forbidden":
        hint = "the value's range and meaning: `factions scenarios schema`"
        return Problem(where, error["msg"], values.get(path), hint=hint)
    section = getattr(Mechanisms(), str(error["loc"][0]), None)
    known = (
        list(type(section).model_fields)
        if len(error["loc"]) == 2
        else list(Mechanisms.model_fields)
    )
    return _unknown("mechanism value", str(error["loc"][-1]), known, where)


def cross_checks(s: Scenario) -> list[Problem]:
    """Every cross-field problem of a schema-valid scenario."""
    span = check_span(s)
    dates = [] if span else check_dates(s)  # with a broken span every date would be "outside"
    return [
        *span,
        *check_references(s),
        *check_domains(s),
        *dates,
        *check_sizes(s),
        *check_probabilities(s),
        *check_patterns(s),
        *check_force(s),
        *check_dated_changes(s),
    ]
