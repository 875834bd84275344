"""Mass-party growth, recruitment and the party inside the army.

Membership grows logistically toward the scenario's capacity (a mass party enrolling 12–14% of
the population: Scalapino & Lee 1972); recruits lean to the leader's faction with probability
``leader_share`` and otherwise to standing factions in proportion to power. Military service and,
after their creation, party committees inside the army bring a growing share of every other
faction's armed force under the leader's control.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from factions.compiled import kernel

if TYPE_CHECKING:
    from factions.model import FactionModel


def grow_membership(model: FactionModel) -> None:
    """This month's recruits: a logistic number of entries, each with a leaning (as above)."""
    p = model.spec.mechanisms.recruitment
    if not p.enabled:
        return
    members = model.members
    current = members.total()
    capacity = model.spec.membership.capacity
    expected = p.growth_rate * current * max(0.0, 1.0 - current / capacity) / members.scale
    whole = int(expected)
    entries = whole + int(model.rng.random() < expected - whole)
    entries = max(0, min(entries, (capacity - current) // members.scale))  # never above capacity
    if entries == 0:
        return
    leaning = np.empty(entries, dtype=np.int8)
    _lean(
        leaning,
        model.rng.random(entries),
        model.power,
        model.standing,
        model.leader.faction,
        p.leader_share,
    )
    members.add(leaning, model.spec.membership.initial_loyalty)


@kernel
def _lean(leaning, draws, power, standing, leader, leader_share):
    """Fill ``leaning`` with the faction each recruit leans to, one per uniform draw in [0, 1).

    The leader's faction with probability ``leader_share``, otherwise a standing faction in
    proportion to its power: each draw is looked up in the cumulative shares (the first faction
    whose cumulative share exceeds it, or the last). The arithmetic is numpy's: the shares are
    normalised with numpy's summation order (:func:`_numpy_sum`) and accumulated in order.
    """
    n = power.shape[0]
    weights = np.zeros(n)
    for f in range(n):
        if standing[f]:
            weights[f] = power[f]
    total = _numpy_sum(weights)
    for f in range(n):
        weights[f] = weights[f] / total * (1.0 - leader_share)
    weights[leader] += leader_share
    total = _numpy_sum(weights)
    cumulative = np.empty(n)
    running = 0.0
    for f in range(n):
        running += weights[f] / total
        cumulative[f] = running
    for k in range(draws.shape[0]):
        f = 0
        while f < n - 1 and cumulative[f] <= draws[k]:
            f += 1
        leaning[k] = f


@kernel
def _numpy_sum(values):
    """``values.sum()`` bit for bit, for up to 128 values (``MAX_FACTIONS`` is far below).

    numpy adds fewer than 8 values in order and more with 8 interleaved partial sums combined
    pairwise (its pairwise summation below its block size of 128); a plain loop would round
    differently from 8 factions on.
    """
    n = values.shape[0]
    if n < 8:
        total = 0.0
        for i in range(n):
            total += values[i]
        return total
    partial = values[:8].copy()
    i = 8
    while i + 8 <= n:
        for j in range(8):
            partial[j] += values[i + j]
        i += 8
    total = ((partial[0] + partial[1]) + (partial[2] + partial[3])) + (
        (partial[4] + partial[5]) + (partial[6] + partial[7])
    )
    while i < n:
        total += values[i]
        i += 1
    return total


def tighten_army_control(model: FactionModel) -> None:
    p = model.spec.mechanisms.recruitment
    if not p.enabled:
        return
    model.regime.tighten_army_control(p.army_control)
