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
    p = model.spec.mechanisms.cooptation
    if not p.enabled or p.rate == 0:
        return
    cadres = model.cadres
    rivals = cadres.in_office() & (cadres.faction != model.leader_faction)
    candidates = np.flatnonzero(rivals & (cadres.loyalty > p.threshold))
    if len(candidates) == 0:
        return
    excess = (cadres.loyalty[candidates] - p.threshold) / max(1e-9, 1.0 - p.threshold)
    chosen = candidates[model.rng.random(len(candidates)) < p.rate * excess]
    for i in chosen:
        model.log("cooptation", int(cadres.faction[i]), int(i), "joins the leader's camp")
    cadres.move(chosen, model.leader_faction)
