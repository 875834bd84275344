"""Challenges to the leader: who, when, with whom, and how it ends.

A faction whose cadres are on average disloyal may challenge the leader. Its monthly hazard is

    rate * (spontaneous + (1 - spontaneous) * opening) * threat * (1 - loyalty) * odds^capacity

``opening`` is 1 while the leader is abroad or an ideological shock has dented the leader's
legitimacy among its cadres, else 0, and ``spontaneous`` is the share of a full opening that is
always there; ``threat`` is the faction's threat (:mod:`factions.mechanisms.threat`: a purge
target, its cadres arrested, its power share falling); ``loyalty`` its cadres' mean loyalty;
``odds`` its own chance in a contest against the leader's camp (the ruling coalition less
itself), so that a faction weighs its capacity before it strikes. The timing of a challenge thus
follows threat and capacity (Svolik 2012, ch. 3), and openings only raise the hazard. Other
threatened, disloyal factions join when their networks are tied closely enough. The outcome
follows a Tullock (1980) contest success function of the two sides' power,
``p = C^r / (C^r + L^r)``, with ``r`` the decisiveness.

A failed challenge exposes the challengers: the leader gains a pretext, the purge hazard against
them is multiplied for ``exposure_months``, and the least loyal ``flight`` share flee abroad. A
successful one deposes the leader: the most prominent cadre of the leading challenger takes over.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from factions import kernels
from factions.mechanisms.loyalty import mean_loyalty
from factions.mechanisms.power import transfer_offices
from factions.mechanisms.threat import threat
from factions.state import Status

if TYPE_CHECKING:
    from factions.model import FactionModel


def opening(model: FactionModel) -> np.ndarray:
    """Opening level per faction this month from events, in [0, 1]: 1 while the leader is
    abroad or an opening event holds for the faction, else 0."""
    level = model.factions.opening(model.month)
    return np.maximum(level, 1.0) if model.leader_absent else level


def contest_odds(side: float, camp: float, decisiveness: float) -> float:
    """Tullock (1980) odds of a side of power ``side`` against a camp of power ``camp``."""
    if side <= 0.0:
        return 0.0
    return side**decisiveness / (side**decisiveness + camp**decisiveness)


def solo_odds(model: FactionModel) -> np.ndarray:
    """Each faction's own contest odds against the ruling coalition less itself."""
    r = model.spec.mechanisms.challenge.decisiveness
    inside = model.factions.in_coalition
    camp = float(model.power[inside].sum())
    pairs = zip(model.power.tolist(), inside.tolist(), strict=True)
    return np.array([contest_odds(own, camp - own if member else camp, r) for own, member in pairs])


def hazard(model: FactionModel) -> np.ndarray:
    """Each faction's monthly hazard of challenging (the rule of the module docstring, the
    arithmetic in :func:`factions.kernels.challenge_hazard`); 0 for the leader's faction, the
    loyal and those cooling down after a challenge."""
    p = model.spec.mechanisms.challenge
    loyalty = mean_loyalty(model)
    able = (loyalty < p.loyalty_threshold) & (model.factions.challenge_cooldown < model.month)
    able[model.leader.faction] = False
    if not able.any():  # nobody may challenge: no threat to assess
        return np.zeros(model.n_factions)
    odds = solo_odds(model) ** p.capacity if p.capacity else np.ones(model.n_factions)
    return kernels.challenge_hazard(
        able, opening(model), threat(model), loyalty, odds, p.rate, p.spontaneous
    )


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
    """Maybe one challenge this month (one draw per faction)."""
    p = model.spec.mechanisms.challenge
    if not p.enabled:
        return
    chance = hazard(model)
    if not chance.any():
        return
    fires = np.flatnonzero(model.rng.random(model.n_factions) < chance)
    if len(fires) == 0:
        return
    loyalty = mean_loyalty(model)
    lead = int(fires[np.argmin(loyalty[fires])])
    closeness = tie_closeness(model)[lead]
    threatened = threat(model) > 0
    disloyal = threatened & (loyalty < p.loyalty_threshold)
    disloyal &= model.factions.challenge_cooldown < model.month
    disloyal[model.leader.faction] = False
    allies = disloyal & (closeness >= p.ally_tie_threshold)
    allies[fires] = True
    challengers = np.flatnonzero(allies)
    names = "+".join(model.faction_ids[f] for f in challengers)
    side = float(model.power[challengers].sum())
    camp = float(model.power[model.factions.in_coalition & ~allies].sum())
    odds = contest_odds(side, camp, p.decisiveness)
    model.log("challenge", lead, None, f"by {names}; odds {odds:.2f}")
    model.factions.challenged(challengers, model.month + p.exposure_months)
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
