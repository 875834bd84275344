"""The month's hot loops, compiled: cadre loyalty, the fear shock, indoctrination, faction power
and the spread of arrests over the ties.

These loops run over every cadre and every tie each month, where numpy's fixed cost per call
would add up; everything else (the rules, the random draws, masks and small reductions) stays in
plain numpy in the mechanisms that call these kernels. Kernels that share a loop share it here
(the per-faction loyalty sums of :func:`faction_loyalty`), because a kernel may call only kernels
of its own module (:mod:`factions.compiled` says why). The membership's enrolment kernel lives
with :class:`~factions.state.MemberState` and the coalition solver's in :mod:`factions.theory.aes`.

Kernel inputs come in typed bundles: the cadres as a :class:`~factions.state.CadreArrays`, the
network as a :class:`~factions.network.Ties`, a rule's scalars as a named tuple defined here.
Callers unpack them into the kernel (``step_cadres(*cadres.arrays, *ties, ...)``), whose
parameters are the bundles' fields in order (tested): numba takes a named tuple argument too,
but unboxes it several microseconds slower per call than its arrays, too slow for a kernel
called every month.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from factions.compiled import kernel
from factions.state import Status

__all__ = [
    "LoyaltyRule",
    "SpreadRule",
    "arrest_probability",
    "faction_loyalty",
    "fear",
    "fill_components",
    "indoctrinate",
    "mean_loyalty",
    "power_shares",
    "step_cadres",
]


class LoyaltyRule(NamedTuple):
    """The scalars of a month of cadre loyalty (:mod:`factions.mechanisms.loyalty`)."""

    pull_up: float  # charisma times legitimacy, plus indoctrination
    faction_pull: float
    network_pull: float
    noise: float


class SpreadRule(NamedTuple):
    """The scalars of a month of arrests (:mod:`factions.mechanisms.purge`)."""

    since: int  # arrests from this month on incriminate one's ties
    spread: float
    collateral: float
    direct_arrest: float
    exempt_faction: int  # NO_FACTION: none
    exempt_cadre: int  # NO_CADRE: none


@kernel
def faction_loyalty(faction, office, loyalty, n_factions):
    """Per faction, the sum of its cadres' loyalty over those in office and their number (the
    sums run in cadre order, as ``np.bincount``'s)."""
    sums = np.zeros(n_factions)
    counts = np.zeros(n_factions)
    for i in range(faction.shape[0]):
        if office[i]:
            sums[faction[i]] += loyalty[i]
            counts[faction[i]] += 1.0
    return sums, counts


@kernel
def mean_loyalty(faction, office, loyalty, military, seat, status, arrested_at, n_factions):
    """Each faction's mean loyalty over its cadres in office, 1 for a faction without any."""
    sums, counts = faction_loyalty(faction, office, loyalty, n_factions)
    means = np.empty(n_factions)
    for f in range(n_factions):
        means[f] = sums[f] / counts[f] if counts[f] > 0 else 1.0
    return means


@kernel
def step_cadres(
    faction,
    office,
    loyalty,
    military,
    seat,
    status,
    arrested_at,
    src,
    dst,
    weight,
    n_cadres,
    cohesion,
    encouragement,
    pull_up,
    faction_pull,
    network_pull,
    noise,
    shocks,
):
    """One month of cadre loyalty, in place (the rule is in ``mechanisms/loyalty.py``; the
    scalars are a :class:`LoyaltyRule`).

    Means are over cadres in office: the faction mean (zero for a faction without any) and the
    tie-weighted mean of one's ties (one's own loyalty without any). Only cadres in office move;
    ``shocks`` is empty when there is no noise.
    """
    sums, counts = faction_loyalty(faction, office, loyalty, cohesion.shape[0])
    strength = np.zeros(n_cadres)
    tie_sum = np.zeros(n_cadres)
    for k in range(src.shape[0]):
        s = src[k]
        if office[s]:
            strength[dst[k]] += weight[k]
            tie_sum[dst[k]] += weight[k] * loyalty[s]
    for i in range(n_cadres):
        if not office[i]:
            continue
        x = loyalty[i]
        f = faction[i]
        mean = sums[f] / counts[f] if counts[f] > 0 else 0.0
        tie_mean = tie_sum[i] / strength[i] if strength[i] > 0 else x
        delta = (
            pull_up * (1.0 - x)
            + faction_pull * cohesion[f] * (mean - x)
            + network_pull * (tie_mean - x)
            - encouragement[f] * x
        )
        if shocks.shape[0]:
            delta += noise * shocks[i]
        loyalty[i] = min(max(x + delta, 0.0), 1.0)


@kernel
def fear(loyalty, arrested, src, dst, weight, n_cadres, fear):
    """Each cadre loses ``fear * share * loyalty``, ``share`` the part of its tie weight that
    goes to the ``arrested`` (at most 1; 0 without ties), in place."""
    hit = np.zeros(n_cadres)
    hit[arrested] = 1.0
    lost = np.zeros(n_cadres)
    strength = np.zeros(n_cadres)
    for k in range(src.shape[0]):
        lost[dst[k]] += weight[k] * hit[src[k]]
        strength[dst[k]] += weight[k]
    for i in range(n_cadres):
        share = lost[i] / strength[i] if strength[i] > 0 else 0.0
        x = loyalty[i]
        loyalty[i] = min(max(x - fear * min(share, 1.0) * x, 0.0), 1.0)


@kernel
def indoctrinate(loyalty, used, rate):
    """``loyalty[:used] += rate * (1 - loyalty[:used])`` in one pass, in place, in float32.

    No clipping is needed: for loyalty and rate in [0, 1] the float32 result stays in [0, 1]
    (``1 - loyalty`` is exact above 1/2 and rounds to within half an ulp below it, so the sum
    never rounds above 1).
    """
    one = np.float32(1.0)
    rate = np.float32(rate)
    for i in range(used):
        loyalty[i] += rate * (one - loyalty[i])


@kernel
def fill_components(
    faction, office, loyalty, military, seat, status, arrested_at, raw, control, leader,
    legitimacy, members
):  # fmt: skip
    """Fill the rows of ``raw`` (``power.COMPONENTS`` order) but patron backing: armed force of
    the cadres in office after army control, their seats, legitimacy, and ``members`` (in
    persons)."""
    raw[:2] = 0.0
    for i in range(faction.shape[0]):
        if office[i]:
            raw[0, faction[i]] += military[i]
            raw[1, faction[i]] += seat[i]
    total = 0.0
    for f in range(raw.shape[1]):
        total += raw[0, f]
    own = raw[0, leader]
    for f in range(raw.shape[1]):
        raw[0, f] *= 1.0 - control
        raw[3, f] = legitimacy[f]
        raw[4, f] = members[f]
    raw[0, leader] = own + control * (total - own)


@kernel
def power_shares(raw, standing, weights):
    """Weighted sum, in component order, of each usable component's shares among the standing
    factions, normalised to 1 (equal shares when no component is usable).

    A plain loop on purpose: a BLAS product would round differently on different CPUs.
    """
    n_components, n = raw.shape
    gamma = np.zeros(n)
    usable = False
    for c in range(n_components):
        total = 0.0
        for f in range(n):
            total += raw[c, f] * standing[f]
        if total > 0 and weights[c] > 0:
            usable = True
            for f in range(n):
                gamma[f] += weights[c] * (raw[c, f] * standing[f] / total)
    if not usable:
        for f in range(n):
            gamma[f] = 1.0 if standing[f] else 0.0
    total = 0.0
    for f in range(n):
        total += gamma[f]
    return gamma / total


@kernel
def arrest_probability(
    faction, office, loyalty, military, seat, status, arrested_at, src, dst, weight, n_cadres,
    protection, campaign, since, spread, collateral, direct_arrest, exempt_faction, exempt_cadre
):  # fmt: skip
    """Each cadre's probability of arrest this month (the spread rule of ``mechanisms/purge.py``;
    the scalars are a :class:`SpreadRule`): ``1 - (1 - spread)^w``, ``w`` the weight of its ties
    to cadres purged and arrested since ``since``; combined with ``direct_arrest`` in a
    ``campaign``'s target, times ``collateral`` outside it; times one less its faction's
    protection. Zero for cadres a purge may not arrest (out of office, or exempt).

    ``w`` adds the ties' weights in tie order, as ``np.bincount`` does.
    """
    exposure = np.zeros(n_cadres)
    for k in range(src.shape[0]):
        s = src[k]
        purged = status[s] != Status.ACTIVE and status[s] != Status.PENDING
        purged = purged and status[s] != Status.REHABILITATED
        if purged and arrested_at[s] >= since:
            exposure[dst[k]] += weight[k]
    prob = np.zeros(n_cadres)
    for i in range(n_cadres):
        f = faction[i]
        if not office[i] or f == exempt_faction or i == exempt_cadre:
            continue
        q = 1.0 - (1.0 - spread) ** exposure[i]
        q = 1.0 - (1.0 - q) * (1.0 - direct_arrest) if campaign[f] else q * collateral
        prob[i] = q * (1.0 - protection[f])
    return prob
