"""Rank-and-file purge waves: expulsions of members leaning to a purged faction.

An elite campaign is followed by a verification of party cards that expels a share of the members
who lean to the target (tens of thousands at a time: the 1947 expulsion of 40,000–60,000
domestic-faction members; Scalapino & Lee 1972, Lankov 2002). The verification weeds out the
less loyal first: a member's chance is proportional to its disloyalty, capped at 1, and scaled so
that ``wave_share`` of the target's members leave on average. Vectorised over all entries. The
same rule serves the ``expulsion`` event (a dated purge of the membership, of one faction's
followers or of the whole party).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from factions.model import FactionModel

DISLOYALTY_FLOOR = 1e-6


def expulsion_chances(disloyalty: np.ndarray, share: float) -> np.ndarray:
    """Chances proportional to disloyalty, capped at 1, that average exactly ``share``.

    Water-filling: the most disloyal are capped at 1 and the rest scaled up until the mean is
    ``share``. A tiny floor on disloyalty lets the fully loyal absorb what the others cannot.
    """
    n = len(disloyalty)
    d = np.maximum(disloyalty.astype(float), 0.0) + DISLOYALTY_FLOOR
    order = np.argsort(-d, kind="stable")
    d = d[order]
    rest = d.sum() - np.concatenate([[0.0], np.cumsum(d)[:-1]])  # sum of d[k:]
    scale = (share * n - np.arange(n)) / rest  # scale if the k most disloyal are capped
    fits = scale * d <= 1.0
    capped = int(np.argmax(fits)) if fits.any() else n
    chance = np.ones(n)
    if capped < n:
        chance[capped:] = np.clip(scale[capped] * d[capped:], 0.0, 1.0)
    out = np.empty(n)
    out[order] = chance
    return out


def expulsion_wave(model: FactionModel, faction: int) -> None:
    """The wave that follows a campaign against ``faction`` (``wave_share`` of its members)."""
    p = model.spec.mechanisms.rank_and_file
    if not p.enabled or p.wave_share == 0:
        return
    count = expel(model, faction, p.wave_share)
    if count:
        model.log(
            "expulsion_wave", faction, None, f"{count * model.members.scale} members expelled"
        )


def expel(model: FactionModel, faction: int | None, share: float) -> int:
    """Expel on average ``share`` of the members leaning to ``faction`` (of every member with
    None), the least loyal first (the module's rule); returns the entries expelled."""
    members = model.members
    pool = members.alive if faction is None else members.alive & (members.leaning == faction)
    if not pool.any():
        return 0
    target = np.flatnonzero(pool)
    chance = expulsion_chances(1.0 - members.loyalty[target], share)
    expelled = np.zeros(len(pool), dtype=bool)
    expelled[target] = model.rng.random(len(target)) < chance
    return members.expel(expelled)
