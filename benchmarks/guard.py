"""Performance regression guard: engine times as ratios to reference workloads.

Absolute times on a shared machine swing by 2× with the load; ratios measured in one process,
back to back and interleaved, do not. Each ratio divides an engine workload by a reference
workload of the same kind that the engine cannot make faster or slower:

* ``replicate_over_small_calls``: one ``korea-1945`` replicate over a fixed loop of small numpy
  calls on cadre-sized arrays (most of the engine's cost is the fixed cost of many small calls,
  numpy's and its compiled kernels');
* ``members_over_floor``: the rank-and-file update (a compiled kernel) over a fused in-place
  numpy pass on an array of the same size (memory-bound work).

``tests/test_performance.py`` fails when a ratio exceeds twice the value recorded in
``benchmarks/guard.json``. After a deliberate change, record new values with

    python benchmarks/guard.py --record
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from factions.mechanisms import loyalty
from factions.model import FactionModel
from factions.scenario import load_scenario

RECORD = Path(__file__).resolve().parent / "guard.json"
CADRES = 335  # korea-1945's cadres
MEMBERS = 200_000


def small_calls() -> None:
    """A fixed mix of small numpy calls, like a few months of the engine's work."""
    rng = np.random.default_rng(0)
    values = rng.random(CADRES)
    faction = rng.integers(0, 4, CADRES)
    for _ in range(400):
        sums = np.bincount(faction, values, minlength=4)
        values = np.minimum(values * 0.99 + sums[faction] * 1e-4, 1.0)
        np.flatnonzero(values > rng.random(CADRES))


def replicate() -> Callable[[], object]:
    spec = load_scenario("korea-1945")
    return lambda: FactionModel(spec, rng=1).run()  # the same work every time


def members_update() -> Callable[[], object]:
    overrides = {"membership.scale": 1, "membership.initial": MEMBERS}
    model = FactionModel(
        load_scenario("korea-1945", overrides | {"membership.capacity": MEMBERS}), rng=0
    )
    return lambda: loyalty.update_members(model)


def fused_floor() -> Callable[[], object]:
    values = np.random.default_rng(0).random(MEMBERS, dtype=np.float32)
    keep, rate = np.float32(0.998), np.float32(0.002)

    def fused() -> None:
        np.multiply(values, keep, out=values)
        np.add(values, rate, out=values)

    return fused


def _seconds(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def ratio(engine: Callable[[], object], reference: Callable[[], object], rounds: int) -> float:
    """Median over ``rounds`` of engine time / reference time, measured back to back."""
    engine(), reference()  # warm up
    return statistics.median(_seconds(engine) / _seconds(reference) for _ in range(rounds))


def measure(rounds: int = 9) -> dict[str, float]:
    """The guarded ratios (a few seconds)."""
    return {
        "replicate_over_small_calls": ratio(replicate(), small_calls, rounds),
        "members_over_floor": ratio(members_update(), fused_floor(), rounds * 5),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--record", action="store_true", help=f"write {RECORD.name}")
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    measured = measure(args.rounds)
    print(json.dumps(measured, indent=2))
    if args.record:
        RECORD.write_text(json.dumps(measured, indent=2) + "\n")


if __name__ == "__main__":
    main()
