"""Challenges to the leader: who, when, with whom, and how it ends.

A faction outside the ruling coalition (threatened) whose cadres are on average disloyal may
challenge the leader when an *opening* appears: the leader abroad, or an ideological shock that
dents the leader's legitimacy among its cadres. Other threatened, disloyal factions join when
their networks are tied closely enough. The outcome follows a Tullock (1980) contest success
function of the two sides' power, ``p = C^r / (C^r + L^r)``, with ``r`` the decisiveness.

A failed challenge exposes the challengers: the leader gains a pretext, the purge hazard against
them is multiplied for ``exposure_months``, and the least loyal ``flight`` share flee abroad. A
successful one deposes the leader: the most prominent cadre of the leading challenger takes over.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from factions import kernels
from factions.mechanisms import purge
from factions.mechanisms.power import transfer_offices
from factions.state import Status

if TYPE_CHECKING:
    from factions.model import FactionModel


def opening(model: FactionModel) -> np.ndarray:
    """Opening level per faction this month, in [0, 1]."""
    level = np.full(model.n_factions, model.spec.mechanisms.challenge.spontaneous)
    if model.leader_absent:
        level[:] = 1.0
    return np.maximum(level, model.factions.opening(model.month))


def any_opening(model: FactionModel) -> bool:
    """Whether some faction has an opening this month, i.e. ``opening(model).any()``.

    Checked on scalars only: most months have no opening, and this check is all they cost.
    """
    if model.spec.mechanisms.challenge.spontaneous or model.leader_absent:
        return True
    return max(model.factions.opening_until.tolist()) >= model.month


def mean_loyalty(model: FactionModel) -> np.ndarray:
    """Mean loyalty of each faction's cadres in office (1 for a faction without any)."""
    return kernels.mean_loyalty(*model.cadres.arrays, model.n_factions)


def tie_closeness(model: FactionModel) -> np.ndarray:
    """Cross-faction tie weight among cadres in office, per member of the smaller faction."""
    cadres = model.cadres
    office = cadres.in_office()
    faction = np.where(office, cadres.faction, model.n_factions)
    between = np.zeros((model.n_factions + 1, model.n_factions + 1))
    np.add.at(between, (faction[model.ties.src], faction[model.ties.dst]), model.ties.weight)
    counts = np.bincount(cadres.faction[office], minlength=model.n_factions).astype(float)
    smaller = np.minimum.outer(counts, counts)
    core = between[:-1, :-1]  # each undirected tie across factions is counted once per cell
    return np.divide(core, smaller, out=np.zeros_like(core), where=smaller > 0)


def attempt(model: FactionModel) -> None:
    """Maybe one challenge this month."""
    p = model.spec.mechanisms.challenge
    if not p.enabled or not any_opening(model):
        return
    month = model.month
    level = opening(model)
    loyalty = mean_loyalty(model)
    threatened = purge.targets(model) & (model.factions.challenge_cooldown < month)
    disloyal = threatened & (loyalty < p.loyalty_threshold)
    hazard = p.rate * level * (1.0 - loyalty)
    fires = np.flatnonzero(disloyal & (model.rng.random(model.n_factions) < hazard))
    if len(fires) == 0:
        return
    lead = int(fires[np.argmin(loyalty[fires])])
    closeness = tie_closeness(model)[lead]
    allies = disloyal & (closeness >= p.ally_tie_threshold)
    allies[fires] = True
    challengers = np.flatnonzero(allies)
    names = "+".join(model.faction_ids[f] for f in challengers)
    side = model.power[challengers].sum()
    camp = model.power[model.factions.in_coalition].sum()
    odds = side**p.decisiveness / (side**p.decisiveness + camp**p.decisiveness)
    model.log("challenge", lead, None, f"by {names}; odds {odds:.2f}")
    model.factions.challenged(challengers, month + p.exposure_months)
    if model.rng.random() < odds:
        _depose(model, lead, challengers, names)
    else:
        _fail(model, challengers, names)


def _fail(model: FactionModel, challengers: np.ndarray, names: str) -> None:
    p = model.spec.mechanisms.challenge
    model.log("challenge_failed", int(challengers[0]), None, f"{names} crushed")
    model.factions.expose(challengers, model.month + p.exposure_months)
    model.regime.raise_pretext(1.0)
    cadres = model.cadres
    pool = np.flatnonzero(cadres.in_office() & np.isin(cadres.faction, challengers))
    fleeing = pool[np.argsort(cadres.loyalty[pool], kind="stable")[: int(p.flight * len(pool))]]
    model.set_status(fleeing, Status.EXILED)
    transfer_offices(model, fleeing)
    for i in fleeing:
        model.log("flight", int(cadres.faction[i]), int(i), "fled abroad")


def _depose(model: FactionModel, lead: int, challengers: np.ndarray, names: str) -> None:
    cadres = model.cadres
    old = model.leader.cadre
    pool = np.flatnonzero(cadres.in_office() & (cadres.faction == lead))
    new = int(pool[np.argmax(cadres.prominence[pool])])
    model.log("challenge_success", lead, new, f"{names}: leader deposed")
    model.leader.replace(new, lead)
    model.factions.hand_power_to(challengers)  # until the next decision point
    cadres.loyalty[new] = 1.0
    model.set_status(np.array([old]), Status.EXILED)
    transfer_offices(model, np.array([old]))  # to the new leader's camp
