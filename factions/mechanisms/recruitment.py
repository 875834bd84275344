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

if TYPE_CHECKING:
    from factions.model import FactionModel


def grow_membership(model: FactionModel) -> None:
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
    weights = np.where(model.standing, model.power, 0.0)
    weights = weights / weights.sum() * (1.0 - p.leader_share)
    weights[model.leader_faction] += p.leader_share
    cumulative = np.cumsum(weights / weights.sum())
    leaning = np.minimum(
        np.searchsorted(cumulative, model.rng.random(entries), side="right"), model.n_factions - 1
    )
    members.add(entries, leaning.astype(np.int8), model.spec.membership.initial_loyalty)


def tighten_army_control(model: FactionModel) -> None:
    p = model.spec.mechanisms.recruitment
    if not p.enabled:
        return
    rate = min(1.0, p.army_control + model.army_committee_rate)
    model.army_control += rate * (1.0 - model.army_control)
