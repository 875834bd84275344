"""Co-optation: loyal cadres of rival factions switch to the leader's camp.

A cadre whose loyalty to the leader exceeds ``threshold`` switches with a monthly probability
proportional to how far it exceeds it, taking its seat and command along (Bueno de Mesquita et
al. 2003 on the leader's buying of a winning coalition; in North Korea, Soviet Koreans such as
Nam Il and Pang Hak-se who sided with Kim: Lankov 2002).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from factions.compiled import kernel

if TYPE_CHECKING:
    from factions.model import FactionModel


def coopt(model: FactionModel) -> None:
    """One month of co-optation: each candidate switches with its probability (one draw each)."""
    p = model.spec.mechanisms.cooptation
    if not p.enabled or p.rate == 0:
        return
    cadres = model.cadres
    candidates, chance = _candidates(
        cadres.in_office(),
        cadres.faction,
        cadres.loyalty,
        model.leader.faction,
        p.threshold,
        p.rate,
    )
    if len(candidates) == 0:
        return
    chosen = candidates[model.rng.random(len(candidates)) < chance]
    if len(chosen) == 0:
        return
    for f, i in zip(cadres.faction[chosen].tolist(), chosen.tolist(), strict=True):
        model.log("cooptation", f, i, "joins the leader's camp")
    cadres.move(chosen, model.leader.faction)


@kernel
def _candidates(office, faction, loyalty, leader_faction, threshold, rate):
    """Rival cadres in office whose loyalty exceeds ``threshold``, and each one's monthly
    probability of switching: ``rate`` times its excess over ``threshold`` as a share of
    ``1 - threshold``."""
    n = office.shape[0]
    candidates = np.empty(n, dtype=np.int64)
    chance = np.empty(n)
    scale = max(1e-9, 1.0 - threshold)
    k = 0
    for i in range(n):
        if office[i] and faction[i] != leader_faction and loyalty[i] > threshold:
            candidates[k] = i
            chance[k] = rate * ((loyalty[i] - threshold) / scale)
            k += 1
    return candidates[:k], chance[:k]
