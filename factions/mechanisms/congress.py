"""Congresses re-elect the central committee by power and loyalty.

Each congress fills ``seats`` full seats afresh. Seats are drawn without replacement among cadres
in office with weights ``prominence^a * loyalty^b * faction_factor``, where the faction factor is
chosen so that a faction's expected share is proportional to ``power^c * size^d`` (``a, b, c, d``
the prominence, loyalty, power and size weights): the leadership's list reflects the balance of
power among factions and, within each, favours the prominent and the loyal (on congress slates as
bargains among factions: Shih, Adolph & Liu 2012). The draw uses the Gumbel-top-k trick
(Kool et al. 2019), vectorised. The first committee is elected the same way at the start. With
the mechanism disabled, congresses leave the committee as it is.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from factions.model import FactionModel


def seat_weights(model: FactionModel) -> np.ndarray:
    p = model.spec.mechanisms.congress
    cadres = model.cadres
    office = cadres.in_office()
    personal = (
        cadres.prominence**p.prominence_weight
        * np.maximum(cadres.loyalty, 1e-6) ** p.loyalty_weight
    )
    personal = np.where(office, personal, 0.0)
    per_faction = np.bincount(cadres.faction, personal, minlength=model.n_factions)
    size = np.bincount(cadres.faction[office], minlength=model.n_factions).astype(float)
    target = np.where(model.standing, model.power, 0.0) ** p.power_weight * size**p.size_weight
    factor = np.divide(target, per_faction, out=np.zeros_like(target), where=per_faction > 0)
    return personal * factor[cadres.faction]


def elect(model: FactionModel, seats: int) -> np.ndarray:
    """Fill ``seats`` seats afresh; return the indices elected."""
    cadres = model.cadres
    weights = seat_weights(model)
    eligible = np.flatnonzero(weights > 0)
    keys = np.log(weights[eligible]) + model.rng.gumbel(size=len(eligible))
    chosen = eligible[np.argsort(-keys, kind="stable")[:seats]]
    cadres.seat[:] = False
    cadres.seat[chosen] = True
    return chosen
