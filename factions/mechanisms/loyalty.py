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

if TYPE_CHECKING:
    from factions.model import FactionModel


#: 1 as a float32 0-d array: ufuncs take 0-d arrays faster than Python or numpy scalars
FULL_LOYALTY = np.ones((), dtype=np.float32)


def clip_unit(values: np.ndarray, out: np.ndarray) -> np.ndarray:
    """``np.clip(values, 0, 1, out=out)``, without ``np.clip``'s fixed cost on small arrays."""
    np.maximum(values, 0.0, out=out)
    return np.minimum(out, 1.0, out=out)


def update_cadres(model: FactionModel) -> None:
    p = model.spec.mechanisms.loyalty
    if not p.enabled:
        return
    cadres = model.cadres
    n = model.n_factions
    office = cadres.in_office()
    loyalty = cadres.loyalty
    faction = cadres.faction
    counts = cadres.office_counts(n)
    sums = cadres.office_sums(loyalty, n)
    faction_mean = np.divide(sums, counts, out=np.zeros_like(sums), where=counts > 0)
    weight = model.ties.active_weight(office)
    strength = model.ties.strength(weight)
    tie_sum = model.ties.sum_over_ties(loyalty, weight)
    tie_mean = np.divide(tie_sum, strength, out=loyalty.copy(), where=strength > 0)
    pull_up = p.charisma_pull * model.charisma * model.legitimacy[model.leader_faction]
    pull_up += p.indoctrination
    encouragement = model.encouragement_of_faction()
    delta = (
        pull_up * (1.0 - loyalty)
        + (p.faction_pull * model.cohesion)[faction] * (faction_mean[faction] - loyalty)
        + p.network_pull * (tie_mean - loyalty)
        - encouragement[faction] * loyalty
    )
    if p.noise > 0:
        delta += p.noise * model.rng.standard_normal(cadres.n)
    clip_unit(loyalty + delta * office, out=loyalty)


def update_members(model: FactionModel) -> None:
    """Indoctrination of the rank-and-file: ``loyalty += rate * (1 - loyalty)``.

    One pass of three in-place ufuncs over the slots in use, with no temporaries. No clipping is
    needed: for loyalty and rate in [0, 1] the float32 result stays in [0, 1] (``1 - loyalty`` is
    exact above 1/2 and rounds to within half an ulp below it, so the sum never rounds above 1).
    """
    p = model.spec.mechanisms.loyalty
    if not p.enabled:
        return
    members = model.members
    used = members.used
    loyalty = members.loyalty[:used]
    gap = np.subtract(FULL_LOYALTY, loyalty, out=members.scratch[:used])
    np.multiply(np.array(p.indoctrination, dtype=np.float32), gap, out=gap)
    np.add(loyalty, gap, out=loyalty)


def fear_shock(model: FactionModel, arrested: np.ndarray) -> None:
    """Cadres whose ties were just arrested lose loyalty in proportion to the lost tie weight."""
    p = model.spec.mechanisms.loyalty
    if not p.enabled or p.fear == 0 or len(arrested) == 0:
        return
    hit = np.zeros(model.cadres.n)
    hit[arrested] = 1.0
    lost = model.ties.sum_over_ties(hit)
    strength = model.ties.strength()
    share = np.divide(lost, strength, out=np.zeros_like(lost), where=strength > 0)
    loyalty = model.cadres.loyalty
    clip_unit(loyalty - p.fear * np.minimum(share, 1.0) * loyalty, out=loyalty)


def ideological_shock(model: FactionModel, factions: np.ndarray, magnitude: float) -> None:
    """A shock to the leader's legitimacy among the cadres of ``factions`` (e.g. the 1956
    denunciation of Stalin's personality cult): each loses ``magnitude`` of its loyalty."""
    cadres = model.cadres
    hit = np.isin(cadres.faction, factions) & cadres.in_office()
    cadres.loyalty[hit] *= 1.0 - magnitude
