"""Co-optation: loyal cadres of rival factions switch to the leader's camp.

A cadre whose loyalty to the leader exceeds ``threshold`` switches with a monthly probability

    rate * (loyalty - threshold) / (1 - threshold) * (1 - bandwagon + bandwagon * threat)

taking its seat and command along. ``threat`` is its faction's threat
(:mod:`factions.mechanisms.threat`): cadres of a faction under campaign, losing cadres to
arrest or power, bandwagon to the leader to survive, while those of a safe faction have less
reason to leave it (Bueno de Mesquita et al. 2003 on the leader's buying of a winning
coalition; Svolik 2012, ch. 5, on co-optation; in North Korea, Soviet Koreans such as Nam Il and
Pang Hak-se who sided with Kim: Lankov 2002).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from factions import kernels
from factions.mechanisms.threat import threat

if TYPE_CHECKING:
    from factions.model import FactionModel


def coopt(model: FactionModel) -> None:
    """One month of co-optation: each candidate switches with its probability (one draw each)."""
    p = model.spec.mechanisms.cooptation
    if not p.enabled or p.rate == 0:
        return
    candidates, chance = switch_chances(model)
    if len(candidates) == 0:
        return
    chosen = candidates[model.rng.random(len(candidates)) < chance]
    if len(chosen) == 0:
        return
    cadres = model.cadres
    for f, i in zip(cadres.faction[chosen].tolist(), chosen.tolist(), strict=True):
        model.log("cooptation", f, i, "joins the leader's camp")
    cadres.move(chosen, model.leader.faction)


def switch_chances(model: FactionModel) -> tuple[np.ndarray, np.ndarray]:
    """The rival cadres in office whose loyalty exceeds the threshold, and each one's monthly
    probability of switching (the rule of the module docstring; the arithmetic in
    :func:`factions.kernels.switch_chances`)."""
    p = model.spec.mechanisms.cooptation
    cadres = model.cadres
    candidates = kernels.switch_candidates(*cadres.arrays, model.leader.faction, p.threshold)
    if len(candidates) == 0:  # nobody to co-opt: no threat to assess
        return candidates, np.zeros(0)
    chance = kernels.switch_chances(
        candidates, cadres.faction, cadres.loyalty, threat(model), p.rate, p.bandwagon, p.threshold
    )
    return candidates, chance
