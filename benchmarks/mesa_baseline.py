"""A straightforward per-agent Mesa implementation of the rank-and-file update (the baseline).

One ``mesa.Agent`` per member, each updating its own loyalty in ``step``, called through
``AgentSet.shuffle_do`` — the way a Mesa model is usually written. ``benchmarks/run.py`` compares
it with the engine's vectorised update over the same number of members.
"""

from __future__ import annotations

import mesa
import numpy as np


class Member(mesa.Agent):
    """A party member with a loyalty to the leader."""

    def __init__(self, model: MembershipModel, loyalty: float):
        super().__init__(model)
        self.loyalty = loyalty

    def step(self) -> None:
        self.loyalty += self.model.indoctrination * (1.0 - self.loyalty)
        self.loyalty = min(1.0, max(0.0, self.loyalty))


class MembershipModel(mesa.Model):
    """``n`` members; each step every member drifts toward loyalty under indoctrination."""

    def __init__(self, n: int, indoctrination: float = 0.002, seed: int = 0):
        super().__init__(rng=np.random.default_rng(seed))
        self.indoctrination = indoctrination
        for loyalty in self.rng.random(n):
            Member(self, float(loyalty))

    def step(self) -> None:
        self.agents.shuffle_do("step")
