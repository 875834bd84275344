"""Applying the scenario's dated exogenous events to the model.

History enters the model only here, as changes to the environment (war, setbacks, patrons'
presence and policy, shocks, the leader's absence, mergers, arms, congresses, army committees).
No event names a faction to purge: who falls, and when, is the mechanisms' business.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from factions.calendar import parse_month
from factions.mechanisms import loyalty, rank_and_file
from factions.scenario import events as ev
from factions.state import Status

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
}


def apply(model: FactionModel, key: str, event: ev._Event) -> None:
    """Apply one event and record it in the event log."""
    HANDLERS[event.kind](model, event, key)
    faction = getattr(event, "faction", None)
    model.log(event.kind, model.faction_index.get(faction), None, event.note or key)
