"""Seeds: one root seed, one child ``SeedSequence`` per replicate.

Replicate ``i`` of root seed ``s`` always draws from ``SeedSequence(s, spawn_key=(i,))`` — the
``i``-th child that ``SeedSequence(s).spawn`` would give — whatever the worker count, batching,
executor or order of execution. The same replicate index therefore gets the same stream in a
counterfactual scenario (common random numbers).
"""

from __future__ import annotations

import numpy as np

__all__ = ["MAX_REPLICATES", "replicate_seed", "spawn_key_text"]

#: Most replicates of one ensemble or design point (a typo of 10^11 is refused, not allocated).
MAX_REPLICATES = 1_000_000


def replicate_seed(root: int, replicate: int) -> np.random.SeedSequence:
    if root < 0:
        raise ValueError(f"the root seed must be a non-negative integer, got {root}")
    return np.random.SeedSequence(root, spawn_key=(replicate,))


def spawn_key_text(seed: np.random.SeedSequence) -> str:
    """The spawn key as text, e.g. ``'1:(7,)'`` for root 1, replicate 7."""
    return f"{seed.entropy}:{tuple(int(k) for k in seed.spawn_key)}"
