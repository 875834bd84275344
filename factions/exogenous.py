"""Applying the scenario's dated exogenous events to the model.

History enters the model only here, as changes to the environment (war, setbacks, patrons'
presence and policy, shocks, the leader's absence or departure, mergers, factions' entry, arms,
congresses, army committees). No event names a faction to purge: who falls, and when, is the
mechanisms' business.

A handler may return the row the event log gets for the event, as ``(faction, cadre,
detail)``; one that returns None gets the generic row (the event's ``faction``, no cadre, its
note or key).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from factions.calendar import parse_month
from factions.mechanisms import loyalty, rank_and_file, split
from factions.mechanisms.power import transfer_offices
from factions.scenario import events as ev
from factions.state import Status

__all__ = ["HANDLERS", "apply", "default_successor", "shock_reach"]

if TYPE_CHECKING:
    from factions.model import FactionModel


def _war(model: FactionModel, event: ev.War, key: str) -> None:
    model.regime.start_war(parse_month(event.end), event.pretext)


def _setback(model: FactionModel, event: ev.Setback, key: str) -> None:
    """A setback in a domain blames the factions holding its offices (never the leader's: the
    leader scapegoats others); one without a domain is a general pretext."""
    if event.domain is None:
        model.regime.raise_pretext(event.magnitude)
    else:
        model.factions.take_blame(event.domain, event.magnitude, model.leader.faction)


def _presence(model: FactionModel, event: ev.PatronPresence, key: str) -> None:
    model.patrons.start_ramp(
        model.patron_index[event.patron], model.month, event.level, event.over_months
    )


def _policy(model: FactionModel, event: ev.PatronPolicy, key: str) -> None:
    values = {name: getattr(event, name) for name in model.patrons.POLICY}
    model.patrons.set_policy(model.patron_index[event.patron], **values)


def shock_reach(model: FactionModel, origin: str | None) -> np.ndarray:
    """Each faction's reach by a shock from ``origin`` (a patron id, or None for the whole
    movement): its tie to that line; the leader's own faction is not reached (the shock turns
    others against the leader)."""
    reach = model.factions.tie_to(None if origin is None else model.patron_index[origin])
    reach[model.leader.faction] = 0.0
    return reach


def _shock(model: FactionModel, event: ev.IdeologicalShock, key: str) -> None:
    """Loyalty dent and opening, each scaled by the faction's reach."""
    reach = shock_reach(model, event.origin)
    loyalty.ideological_shock(model, reach * event.magnitude)
    if event.opening_months:
        model.factions.open(model.month, model.month + event.opening_months - 1, reach)


def _absence(model: FactionModel, event: ev.LeaderAbsence, key: str) -> None:
    model.leader.leave(model.month + event.months - 1)


def default_successor(model: FactionModel, exclude: int) -> tuple[int, int] | None:
    """The faction and cadre that succeed a leader who left, when no successor is named (or the
    one named has nobody in office): the strongest faction by power (the shares of the last
    computation, ties to the first declared) among the standing factions of the ruling
    coalition with a cadre in office other than ``exclude`` (the former leader); if none, among
    all the standing factions. Its most prominent cadre in office succeeds. None if no faction
    has anybody left in office."""
    office = model.cadres.in_office().copy()
    office[exclude] = False
    manned = np.bincount(model.cadres.faction[office], minlength=model.n_factions) > 0
    candidates = model.standing & manned
    for pool in (candidates & model.factions.in_coalition, candidates):
        if pool.any():
            faction = int(np.argmax(np.where(pool, model.power, -1.0)))
            return faction, _most_prominent(model, faction, office)
    return None


def _most_prominent(model: FactionModel, faction: int, office: np.ndarray) -> int:
    pool = np.flatnonzero(office & (model.cadres.faction == faction))
    return int(pool[np.argmax(model.cadres.prominence[pool])])


def _named_successor(model: FactionModel, name: str, exclude: int) -> tuple[int, int] | None:
    """The successor ``name`` names (a faction id or a notable's name), if it can take over: a
    standing faction with a cadre in office, or a notable in office."""
    cadres = model.cadres
    office = cadres.in_office().copy()
    office[exclude] = False
    if name in model.faction_index:
        faction = model.faction_index[name]
        if model.standing[faction] and (office & (cadres.faction == faction)).any():
            return faction, _most_prominent(model, faction, office)
        return None
    cadre = cadres.names.index(name)  # the loader checked that the name is a notable's
    faction = int(cadres.faction[cadre])
    return (faction, cadre) if office[cadre] and model.standing[faction] else None


def _leader_change(model: FactionModel, event: ev.LeaderChange, key: str):
    """The leader leaves office for good (status RETIRED, seat and force to the successor's
    camp); the successor (named, else :func:`default_successor`) leads, fully loyal, and the
    coalition is recomputed around the successor's faction."""
    old, old_faction = model.leader.cadre, model.leader.faction
    chosen = None
    if event.successor is not None:
        chosen = _named_successor(model, event.successor, old)
    fallback = event.successor is not None and chosen is None
    if chosen is None:
        chosen = default_successor(model, old)
    if chosen is None:  # nobody else is left in office: the leader stays
        return old_faction, old, f"{event.reason}: no successor in office; the leader stays"
    faction, cadre = chosen
    model.leader.succeed(cadre, faction)
    model.factions.follow_new_leader(faction)
    model.cadres.loyalty[cadre] = 1.0
    model.set_status(np.array([old]), Status.RETIRED)
    transfer_offices(model, np.array([old]))  # to the successor's camp
    ids, label = model.faction_ids, model.cadres.label
    detail = f"{event.reason}: {label(old)} ({ids[old_faction]}) -> {label(cadre)} ({ids[faction]})"
    if fallback:
        detail += f"; {event.successor} could not succeed, the strongest faction's cadre did"
    if event.note:
        detail += f"; {event.note}"
    return faction, cadre, detail


def _faction_entry(model: FactionModel, event: ev.FactionEntry, key: str) -> None:
    """The faction's waiting cadres take office; its members (its share of the initial
    membership) join; it stands from now on."""
    faction = model.faction_index[event.faction]
    model.set_status(model.pending[key], Status.ACTIVE)
    model.factions.enter(faction, model.month)
    entries = model.entry_members[faction]
    model.members.add(
        np.full(entries, faction, dtype=np.int8), model.spec.membership.initial_loyalty
    )


def _split(model: FactionModel, event: ev.Split, key: str):
    """The faction divides at the event's date, the movers (cadres and members) drawn at
    random (:func:`factions.mechanisms.split.divide`)."""
    new = model.faction_index[event.new_faction]
    detail = split.divide(model, event, split.at_random(model.rng))
    return new, None, detail + (f"; {event.note}" if event.note else "")


def _merger(model: FactionModel, event: ev.Merger, key: str) -> None:
    faction = model.faction_index[event.faction]
    newcomers = model.pending.get(key, np.empty(0, dtype=np.int64))
    cadres = model.cadres
    model.set_status(newcomers, Status.ACTIVE)
    if event.military and len(newcomers):
        share = cadres.prominence[newcomers] / cadres.prominence[newcomers].sum()
        cadres.military[newcomers] += event.military * share
    top = newcomers[np.argsort(-cadres.prominence[newcomers], kind="stable")[: event.seats]]
    cadres.seat[top] = True
    entries = event.members // model.members.scale
    model.members.add(np.full(entries, faction, dtype=np.int8), event.loyalty)


def _arms(model: FactionModel, event: ev.ArmsTransfer, key: str) -> None:
    cadres = model.cadres
    hit = (cadres.faction == model.faction_index[event.faction]) & cadres.in_office()
    cadres.military[hit] *= 1.0 + event.fraction
    if not np.isfinite(cadres.military[hit]).all():  # the schema's MAX_FORCE check prevents it
        raise FloatingPointError(f"event {key}: the force of {event.faction} overflowed")


def _congress(model: FactionModel, event: ev.Congress, key: str) -> None:
    model.regime.call_congress(key, event.seats)


def _committees(model: FactionModel, event: ev.ArmyPartyCommittees, key: str) -> None:
    model.regime.set_committee_rate(event.rate)


def _expulsion(model: FactionModel, event: ev.Expulsion, key: str) -> None:
    faction = None if event.faction is None else model.faction_index[event.faction]
    rank_and_file.expel(model, faction, event.share)


def _set(model: FactionModel, event: ev.SetValues, key: str) -> None:
    model.revise_mechanisms(event.values)


HANDLERS: dict[str, Callable] = {
    "war": _war,
    "setback": _setback,
    "patron_presence": _presence,
    "patron_policy": _policy,
    "ideological_shock": _shock,
    "leader_absence": _absence,
    "merger": _merger,
    "arms_transfer": _arms,
    "congress": _congress,
    "army_party_committees": _committees,
    "expulsion": _expulsion,
    "set": _set,
    "leader_change": _leader_change,
    "faction_entry": _faction_entry,
    "split": _split,
}


def apply(model: FactionModel, key: str, event: ev._Event) -> None:
    """Apply one event and record it in the event log."""
    row = HANDLERS[event.kind](model, event, key)
    if row is None:
        faction = getattr(event, "faction", None)
        row = (model.faction_index.get(faction), None, event.note or key)
    model.log(event.kind, *row)
