"""Co-optation: loyal cadres of rival factions switch to the leader's camp.

A cadre whose loyalty to the leader exceeds ``threshold`` switches with a monthly probability
proportional to how far it exceeds it, taking its seat and command along (Bueno de Mesquita et
al. 2003 on the leader's buying of a winning coalition; in North Korea, Soviet Koreans such as
Nam Il and Pang Hak-se who sided with Kim: Lankov 2002).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from factions.model import FactionModel


def coopt(model: FactionModel) -> None:
    """One month of co-optation: each candidate switches with its probability (one draw each)."""
    p = model.spec.mechanisms.cooptation
    if not p.enabled or p.rate == 0:
        return
    cadres = model.cadres
    rival = cadres.in_office() & (cadres.faction != model.leader.faction)
    candidates = np.flatnonzero(rival & (cadres.loyalty > p.threshold))
    if len(candidates) == 0:
        return
    # the chance grows with the excess over the threshold, as a share of what is above it
    scale = max(1e-9, 1.0 - p.threshold)
    chance = p.rate * ((cadres.loyalty[candidates] - p.threshold) / scale)
    chosen = candidates[model.rng.random(len(candidates)) < chance]
    if len(chosen) == 0:
        return
    for f, i in zip(cadres.faction[chosen].tolist(), chosen.tolist(), strict=True):
        model.log("cooptation", f, i, "joins the leader's camp")
    cadres.move(chosen, model.leader.faction)
