"""Rank-and-file purge waves: expulsions of members leaning to a purged faction.

An elite campaign is followed by a verification of party cards that expels a share of the members
who lean to the target (tens of thousands at a time: the 1947 expulsion of 40,000–60,000
domestic-faction members; Scalapino & Lee 1972, Lankov 2002). Vectorised over all entries.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from factions.model import FactionModel


def expulsion_wave(model: FactionModel, faction: int) -> None:
    p = model.spec.mechanisms.rank_and_file
    if not p.enabled or p.wave_share == 0:
        return
    members = model.members
    leaning = members.alive & (members.leaning == faction)
    expelled = leaning & (model.rng.random(len(leaning)) < p.wave_share)
    count = int(np.count_nonzero(expelled))
    if count:
        members.alive[expelled] = False
        model.log("expulsion_wave", faction, None, f"{count * members.scale} members expelled")
