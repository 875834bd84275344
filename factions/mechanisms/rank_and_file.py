"""Rank-and-file purge waves: expulsions of members leaning to a purged faction.

An elite campaign is followed by a verification of party cards that expels a share of the members
who lean to the target (tens of thousands at a time: the 1947 expulsion of 40,000–60,000
domestic-faction members; Scalapino & Lee 1972, Lankov 2002). The verification weeds out the
less loyal first: a member's chance is ``wave_share`` scaled by its disloyalty relative to the
mean of the target's members, so that ``wave_share`` of them leave on average. Vectorised over
all entries.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from factions.model import FactionModel


def expulsion_wave(model: FactionModel, faction: int) -> None:
    p = model.spec.mechanisms.rank_and_file
    if not p.enabled or p.wave_share == 0:
        return
    members = model.members
    leaning = members.alive & (members.leaning == faction)
    if not leaning.any():
        return
    disloyalty = 1.0 - members.loyalty
    mean = disloyalty[leaning].mean()
    chance = p.wave_share * (disloyalty / mean if mean > 0 else 1.0)
    count = members.expel(leaning & (model.rng.random(len(leaning)) < chance))
    if count:
        model.log("expulsion_wave", faction, None, f"{count * members.scale} members expelled")
