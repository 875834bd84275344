"""Would batching replicates make a month cheaper? A probe, not part of the benchmark suite.

Times the engine's cadre-loyalty update (faction means, network means over ties, drift, noise,
clipping: the same array operations as ``factions.mechanisms.loyalty.update_cadres``) on
synthetic state of ``korea-1945``'s size, three ways:

* tiny state (8 cadres, 20 ties): what is left is the fixed cost of the calls;
* one replicate (335 cadres, 2,772 ties);
* ``R`` replicates stacked into one set of arrays (faction and tie indices offset per
  replicate), so that each numpy call serves all of them.

    python benchmarks/batching_probe.py

docs/performance.md quotes its output.
"""

from __future__ import annotations

import timeit

import numpy as np

FACTIONS = 4
CADRES, TIES = 335, 2772


def stacked_state(cadres: int, ties: int, replicates: int, rng: np.random.Generator):
    """Loyalty, faction, tie ends and weights of ``replicates`` independent copies, flattened."""
    offsets = np.arange(replicates)[:, None]
    faction = (rng.integers(0, FACTIONS, cadres)[None, :] + FACTIONS * offsets).ravel()
    src = (rng.integers(0, cadres, ties)[None, :] + cadres * offsets).ravel()
    dst = (rng.integers(0, cadres, ties)[None, :] + cadres * offsets).ravel()
    return rng.random(cadres * replicates), faction, src, dst, np.ones(ties * replicates)


def loyalty_month(loyalty, faction, src, dst, weight, rng, n_factions) -> None:
    office = np.ones(loyalty.size)
    counts = np.bincount(faction, office, minlength=n_factions)
    sums = np.bincount(faction, loyalty * office, minlength=n_factions)
    faction_mean = np.divide(sums, counts, out=np.zeros_like(sums), where=counts > 0)
    active = weight * office[src]
    strength = np.bincount(dst, active, minlength=loyalty.size)
    tie_sum = np.bincount(dst, active * loyalty[src], minlength=loyalty.size)
    tie_mean = np.divide(tie_sum, strength, out=loyalty.copy(), where=strength > 0)
    delta = (
        0.01 * (1 - loyalty)
        + 0.02 * (faction_mean[faction] - loyalty)
        + 0.03 * (tie_mean - loyalty)
    )
    delta += 0.01 * rng.standard_normal(loyalty.size)
    np.minimum(np.maximum(loyalty + delta * office, 0, out=loyalty), 1, out=loyalty)


def microseconds(cadres: int, ties: int, replicates: int) -> float:
    rng = np.random.default_rng(0)
    state = stacked_state(cadres, ties, replicates, rng)
    n_factions = FACTIONS * replicates
    best = min(timeit.repeat(lambda: loyalty_month(*state, rng, n_factions), number=500, repeat=5))
    return best / 500 * 1e6


def main() -> None:
    print(f"fixed cost (8 cadres, 20 ties): {microseconds(8, 20, 1):.1f} us per month")
    for replicates in (1, 10, 50):
        batch = microseconds(CADRES, TIES, replicates)
        print(
            f"{replicates:3d} replicate(s) stacked: {batch:8.1f} us per month, "
            f"{batch / replicates:6.1f} us per replicate-month"
        )


if __name__ == "__main__":
    main()
