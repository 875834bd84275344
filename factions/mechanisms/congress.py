"""Congresses re-elect the central committee by power and loyalty.

Each congress fills ``seats`` full seats afresh, in two stages:

1. **Between factions**, seats are apportioned in proportion to ``power^c * size^d`` (``c, d``
   the power and size weights; size is the number of cadres in office): each faction gets the
   whole part of its quota and the remaining seats go to factions drawn in proportion to their
   fractional parts (randomised rounding), so that expected seats equal the quota exactly and a
   faction never gets more seats than cadres. The leadership's list reflects the balance of power
   among factions (congress slates as bargains among factions: Shih, Adolph & Liu 2012).
2. **Within a faction**, the seats go to cadres drawn without replacement with weights
   ``prominence^a * loyalty^b`` (the Gumbel-top-k trick: Kool et al. 2019), vectorised.

The first committee is elected the same way at the start. With the mechanism disabled,
congresses leave the committee as it is.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from factions.model import FactionModel


def quotas(model: FactionModel, seats: int) -> np.ndarray:
    """Expected seats per faction: ``seats`` in proportion to ``power^c * size^d``."""
    p = model.spec.mechanisms.congress
    cadres = model.cadres
    size = np.bincount(cadres.faction[cadres.in_office()], minlength=model.n_factions)
    target = np.where(
        model.standing & (size > 0), model.power**p.power_weight * size**p.size_weight, 0.0
    )
    if target.sum() == 0:
        target = size.astype(float)
    return seats * target / target.sum()


def apportion(quota: np.ndarray, capacity: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Integer seats with expectation ``quota`` (randomised rounding), capped by ``capacity``."""
    total = min(round(quota.sum()), int(capacity.sum()))
    seats = np.minimum(np.floor(quota), capacity).astype(np.int64)
    while seats.sum() < total:
        room = capacity > seats
        weight = np.where(room, np.maximum(quota - seats, 0.0), 0.0)
        if weight.sum() == 0:  # quotas met or capped: spread the rest by remaining room
            weight = (capacity - seats) * 1.0
        extra = rng.choice(len(quota), size=1, p=weight / weight.sum())[0]
        seats[extra] += 1
    return seats


def personal_weights(model: FactionModel) -> np.ndarray:
    p = model.spec.mechanisms.congress
    cadres = model.cadres
    weights = cadres.prominence**p.prominence_weight * np.maximum(cadres.loyalty, 1e-6) ** (
        p.loyalty_weight
    )
    return np.where(cadres.in_office(), weights, 0.0)


def elect(model: FactionModel, seats: int) -> np.ndarray:
    """Fill ``seats`` seats afresh; return the indices elected."""
    cadres = model.cadres
    office = cadres.in_office()
    capacity = np.bincount(cadres.faction[office], minlength=model.n_factions)
    per_faction = apportion(quotas(model, seats), capacity, model.rng)
    weights = personal_weights(model)
    eligible = np.flatnonzero(weights > 0)
    keys = np.log(weights[eligible]) + model.rng.gumbel(size=len(eligible))
    order = eligible[np.argsort(-keys, kind="stable")]
    rank = np.empty(len(order), dtype=np.int64)  # rank of each cadre within its faction's draw
    faction = cadres.faction[order]
    for f in range(model.n_factions):
        mine = faction == f
        rank[mine] = np.arange(mine.sum())
    chosen = order[rank < per_faction[faction]]
    cadres.seat[:] = False
    cadres.seat[chosen] = True
    return chosen
