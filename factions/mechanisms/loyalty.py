"""Monthly loyalty dynamics of cadres and of the rank-and-file.

Loyalty to the leader moves, each month, by the sum of:

* the leader's charisma, scaled by the leader's faction's legitimacy (Weber 1922; the
  "on-the-spot guidance" style of mass leadership);
* mass indoctrination, a pull toward full loyalty (compulsory study groups: Armstrong 2003);
* conformity: a pull toward the faction's mean, in proportion to its cohesion, and toward one's
  ties' mean (DeGroot 1974 averaging over the patronage network);
* a patron's encouragement of its clients' independence, in proportion to its presence;
* idiosyncratic noise.

Purges of one's ties cost loyalty at once (fear turned to resentment; Wintrobe 1998 on the
loyalty-repression trade-off): see :func:`fear_shock`, called by the purge mechanism.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from factions.compiled import kernel

if TYPE_CHECKING:
    from factions.model import FactionModel


NO_NOISE = np.zeros(0)  # the cadre kernel's shocks when ``noise`` is zero (nothing is drawn)


def update_cadres(model: FactionModel) -> None:
    """One month of cadre loyalty (the rule above; the arithmetic in :func:`_step_cadres`)."""
    p = model.spec.mechanisms.loyalty
    if not p.enabled:
        return
    cadres = model.cadres
    leader = model.leader
    pull_up = p.charisma_pull * leader.charisma * model.factions.legitimacy[leader.faction]
    pull_up += p.indoctrination
    shocks = model.rng.standard_normal(cadres.n) if p.noise > 0 else NO_NOISE
    ties = model.ties
    _step_cadres(
        cadres.loyalty,
        cadres.faction,
        cadres.in_office(),
        ties.src,
        ties.dst,
        ties.weight,
        p.faction_pull,
        model.factions.cohesion,
        model.encouragement_of_faction(),
        pull_up,
        p.network_pull,
        p.noise,
        shocks,
    )


@kernel
def _step_cadres(
    loyalty,
    faction,
    office,
    src,
    dst,
    weight,
    faction_pull,
    cohesion,
    encouragement,
    pull_up,
    network_pull,
    noise,
    shocks,
):
    """One month of cadre loyalty, in place (the rule is in the module docstring).

    Means are over cadres in office: the faction mean (zero for a faction without any) and the
    tie-weighted mean of one's ties (one's own loyalty without any). Only cadres in office move.
    """
    n = loyalty.shape[0]
    n_factions = cohesion.shape[0]
    sums = np.zeros(n_factions)
    counts = np.zeros(n_factions)
    for i in range(n):
        if office[i]:
            sums[faction[i]] += loyalty[i]
            counts[faction[i]] += 1.0
    strength = np.zeros(n)
    tie_sum = np.zeros(n)
    for k in range(src.shape[0]):
        s = src[k]
        if office[s]:
            strength[dst[k]] += weight[k]
            tie_sum[dst[k]] += weight[k] * loyalty[s]
    for i in range(n):
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


def update_members(model: FactionModel) -> None:
    """Indoctrination of the rank-and-file: ``loyalty += rate * (1 - loyalty)``, over the slots
    in use, in float32 (see :func:`_indoctrinate`)."""
    p = model.spec.mechanisms.loyalty
    if not p.enabled:
        return
    members = model.members
    _indoctrinate(members.loyalty, members.used, p.indoctrination)


@kernel
def _indoctrinate(loyalty, used, rate):
    """``loyalty[:used] += rate * (1 - loyalty[:used])`` in one pass, in place.

    No clipping is needed: for loyalty and rate in [0, 1] the float32 result stays in [0, 1]
    (``1 - loyalty`` is exact above 1/2 and rounds to within half an ulp below it, so the sum
    never rounds above 1).
    """
    one = np.float32(1.0)
    rate = np.float32(rate)
    for i in range(used):
        loyalty[i] += rate * (one - loyalty[i])


def fear_shock(model: FactionModel, arrested: np.ndarray) -> None:
    """Cadres whose ties were just arrested lose loyalty in proportion to the lost tie weight."""
    p = model.spec.mechanisms.loyalty
    if not p.enabled or p.fear == 0 or len(arrested) == 0:
        return
    ties = model.ties
    _fear(model.cadres.loyalty, arrested, ties.src, ties.dst, ties.weight, p.fear)


@kernel
def _fear(loyalty, arrested, src, dst, weight, fear):
    """Each cadre loses ``fear * share * loyalty``, ``share`` the part of its tie weight that
    goes to the ``arrested`` (at most 1; 0 without ties), in place."""
    n = loyalty.shape[0]
    hit = np.zeros(n)
    hit[arrested] = 1.0
    lost = np.zeros(n)
    strength = np.zeros(n)
    for k in range(src.shape[0]):
        lost[dst[k]] += weight[k] * hit[src[k]]
        strength[dst[k]] += weight[k]
    for i in range(n):
        share = lost[i] / strength[i] if strength[i] > 0 else 0.0
        x = loyalty[i]
        loyalty[i] = min(max(x - fear * min(share, 1.0) * x, 0.0), 1.0)


def ideological_shock(model: FactionModel, magnitude: np.ndarray) -> None:
    """A shock to the leader's legitimacy (e.g. the 1956 denunciation of Stalin's personality
    cult): each cadre in office loses the share ``magnitude[f]`` of its loyalty, ``f`` its
    faction (the event's magnitude times the faction's reach)."""
    cadres = model.cadres
    hit = cadres.in_office()
    cadres.loyalty[hit] *= 1.0 - magnitude[cadres.faction[hit]]
