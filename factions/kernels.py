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
from factions.state import NOT_YET, Status

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


class ThreatRule(NamedTuple):
    """The scalars of the factions' threat (:mod:`factions.mechanisms.threat`)."""

    since: int  # arrests from this month on are recent
    target: float  # weight of being a purge target
    arrests: float  # weight of the share of cadres recently arrested
    decline: float  # weight of the fall from the peak power share


class LaunchRule(NamedTuple):
    """The scalars of a month of purge launches (:mod:`factions.mechanisms.purge`)."""

    month: int
    launch_rate: float
    exposure: float  # the hazard's multiplier while a failed challenge exposes the target
    suspicion: float
    suspect_loyalty: float


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
def arrested_share(
    faction, office, loyalty, military, seat, status, arrested_at, since, n_factions
):  # fmt: skip
    """Per faction, the share of its cadres in office or arrested since ``since`` that were
    arrested since then (0 for a faction with neither)."""
    arrested = np.zeros(n_factions)
    counted = np.zeros(n_factions)
    for i in range(faction.shape[0]):
        recent = arrested_at[i] >= since and arrested_at[i] != NOT_YET
        if recent:
            arrested[faction[i]] += 1.0
        if recent or office[i]:
            counted[faction[i]] += 1.0
    share = np.zeros(n_factions)
    for f in range(n_factions):
        if counted[f] > 0:
            share[f] = arrested[f] / counted[f]
    return share


@kernel
def power_decline(power, peak):
    """Per faction, ``1 - power / peak`` clipped to [0, 1] (0 where the peak is 0)."""
    decline = np.zeros(power.shape[0])
    for f in range(power.shape[0]):
        ratio = power[f] / peak[f] if peak[f] > 0 else 1.0
        decline[f] = min(max(1.0 - ratio, 0.0), 1.0)
    return decline


@kernel
def threat_level(
    faction, office, loyalty, military, seat, status, arrested_at, is_target, standing, power, peak,
    since, target, arrests, decline
):  # fmt: skip
    """Each faction's threat (the rule of ``mechanisms/threat.py``; the scalars are a
    :class:`ThreatRule`): ``1 - (1 - target) (1 - arrests) (1 - decline)`` with each warning
    times its weight (arrests capped at 1; ``is_target``: a purge target), 0 for a faction not
    ``standing``."""
    n = is_target.shape[0]
    share = arrested_share(faction, office, loyalty, military, seat, status, arrested_at, since, n)
    fall = power_decline(power, peak)
    level = np.zeros(n)
    for f in range(n):
        if standing[f]:
            aimed = target * (1.0 if is_target[f] else 0.0)
            arrested = min(1.0, arrests * share[f])
            level[f] = 1.0 - (1.0 - aimed) * (1.0 - arrested) * (1.0 - decline * fall[f])
    return level


@kernel
def launch_hazard(
    faction, office, loyalty, military, seat, status, arrested_at, target, feasibility,
    protection, campaign_until, halted_until, exposed_until, month, launch_rate, exposure,
    suspicion, suspect_loyalty
):  # fmt: skip
    """Each faction's monthly launch hazard (the rule of ``mechanisms/purge.py``; the scalars
    are a :class:`LaunchRule`): ``launch_rate * feasibility * (1 - protection) * suspicion *
    exposure`` for a ``target`` (a purge target or a blamed partner) with no campaign running or
    halted in ``month``, -1 (below any draw) for the others. Suspicion is
    :func:`suspicion_factor` of the faction's mean loyalty in office (1 without cadres);
    ``exposure`` applies while ``exposed_until`` runs."""
    n = target.shape[0]
    hazard = np.full(n, -1.0)
    candidate = np.zeros(n, dtype=np.bool_)
    for f in range(n):
        candidate[f] = target[f] and campaign_until[f] < month and halted_until[f] < month
    if not candidate.any():
        return hazard
    sums, counts = faction_loyalty(faction, office, loyalty, n)
    for f in range(n):
        if candidate[f]:
            mean = sums[f] / counts[f] if counts[f] > 0 else 1.0
            factor = suspicion_factor(mean, suspicion, suspect_loyalty)
            exposed = exposure if exposed_until[f] >= month else 1.0
            hazard[f] = launch_rate * feasibility[f] * (1.0 - protection[f]) * factor * exposed
    return hazard


@kernel
def challenge_hazard(able, opening, threat, loyalty, odds, rate, spontaneous):
    """Each faction's monthly hazard of challenging (the rule of ``mechanisms/challenge.py``):
    ``rate * (spontaneous + (1 - spontaneous) * opening) * threat * (1 - loyalty) * odds`` for
    the factions ``able`` to challenge, 0 for the others."""
    hazard = np.zeros(able.shape[0])
    for f in range(able.shape[0]):
        if able[f]:
            level = spontaneous + (1.0 - spontaneous) * opening[f]
            hazard[f] = rate * level * threat[f] * (1.0 - loyalty[f]) * odds[f]
    return hazard


@kernel
def returnable(status):
    """Indices of the demoted and exiled cadres (those rehabilitation may return), in index
    order."""
    chosen = np.empty(status.shape[0], dtype=np.int64)
    k = 0
    for i in range(status.shape[0]):
        if status[i] == Status.DEMOTED or status[i] == Status.EXILED:
            chosen[k] = i
            k += 1
    return chosen[:k]


@kernel
def trials_due(status, sentence_due, month):
    """Indices of the arrested cadres whose trial is due by ``month``, in index order."""
    chosen = np.empty(status.shape[0], dtype=np.int64)
    k = 0
    for i in range(status.shape[0]):
        if status[i] == Status.ARRESTED and sentence_due[i] <= month:
            chosen[k] = i
            k += 1
    return chosen[:k]


@kernel
def suspicion_factor(loyalty, suspicion, suspect_loyalty):
    """The launch hazard's disloyalty factor for a mean ``loyalty`` (a number or an array):
    ``1 - suspicion + suspicion * min(1, (1 - loyalty) / (1 - suspect_loyalty))``."""
    suspect = np.minimum(1.0, (1.0 - loyalty) / (1.0 - suspect_loyalty))
    return 1.0 - suspicion + suspicion * suspect


@kernel
def switch_candidates(
    faction, office, loyalty, military, seat, status, arrested_at, leader, threshold
):  # fmt: skip
    """The cadres in office outside the ``leader``'s faction whose loyalty exceeds
    ``threshold`` (co-optation's candidates), in index order."""
    chosen = np.empty(faction.shape[0], dtype=np.int64)
    k = 0
    for i in range(faction.shape[0]):
        if office[i] and faction[i] != leader and loyalty[i] > threshold:
            chosen[k] = i
            k += 1
    return chosen[:k]


@kernel
def switch_chances(candidates, faction, loyalty, threat, rate, bandwagon, threshold):
    """Each candidate's monthly chance of switching (the rule of ``mechanisms/cooptation.py``):
    ``rate * (1 - bandwagon + bandwagon * threat)`` of its faction, times its loyalty's excess
    over ``threshold`` as a share of what is above it."""
    above = max(1e-9, 1.0 - threshold)
    chance = np.empty(candidates.shape[0])
    for k in range(candidates.shape[0]):
        i = candidates[k]
        pull = rate * (1.0 - bandwagon + bandwagon * threat[faction[i]])
        chance[k] = pull * ((loyalty[i] - threshold) / above)
    return chance


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
    legitimacy, entries, scale, presence, patron_slot, patron_affinity
):  # fmt: skip
    """Fill the rows of ``raw`` (``power.COMPONENTS`` order): armed force of the cadres in office
    after army control, their seats, patron backing (the faction's patron's ``presence`` times
    its affinity; 0 without patrons), legitimacy, and members (``entries`` times ``scale``, in
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
        raw[2, f] = presence[patron_slot[f]] * patron_affinity[f] if presence.shape[0] else 0.0
        raw[3, f] = legitimacy[f]
        raw[4, f] = entries[f] * scale
    raw[0, leader] = own + control * (total - own)


@kernel
def faction_power(
    faction, office, loyalty, military, seat, status, arrested_at, raw, control, leader,
    legitimacy, entries, scale, presence, patron_slot, patron_affinity, standing, weights
):  # fmt: skip
    """:func:`fill_components`, then :func:`power_shares` of the components: the month's power
    in one call (it is computed twice a month)."""
    fill_components(
        faction, office, loyalty, military, seat, status, arrested_at, raw, control, leader,
        legitimacy, entries, scale, presence, patron_slot, patron_affinity
    )  # fmt: skip
    return power_shares(raw, standing, weights)


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
