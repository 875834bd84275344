"""Runs per second of a korea-1945 ensemble on 1 and on 2 local workers (the sweep runner).

    .venv/bin/python benchmarks/sweep_workers.py --runs 400 --repeat 3

Each measurement is a complete ``run_sweep`` into a fresh store: process start-up, every run,
and every chunk written to disk. Worker counts alternate (1, 2, 1, 2, ...) so that a change in
the load of a shared machine hits both alike; the medians are reported.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from factions.experiment import make_experiment, run_sweep
from factions.scenario import load_scenario


def measure(runs: int, workers: int, seed: int) -> float:
    """Runs per second of one ensemble of ``runs`` replicates."""
    experiment = make_experiment(load_scenario("korea-1945"), None, replicates=runs, seed=seed)
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        results = run_sweep(experiment, Path(folder) / "store", workers=workers)
        elapsed = time.perf_counter() - started
        assert len(results.runs) == runs  # tables are read from the folder on first use
    return runs / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=400)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rates: dict[int, list[float]] = {1: [], 2: []}
    for i in range(args.repeat):
        for workers in (1, 2):
            rate = measure(args.runs, workers, args.seed)
            rates[workers].append(rate)
            load = os.getloadavg()[0]  # a shared machine: note how busy it was
            print(
                f"repeat {i + 1}, {workers} worker(s): {rate:.2f} runs/s (load {load:.1f})",
                flush=True,
            )
    one, two = statistics.median(rates[1]), statistics.median(rates[2])
    print(
        f"median: 1 worker {one:.2f} runs/s, 2 workers {two:.2f} runs/s, speed-up {two / one:.2f}x"
    )


if __name__ == "__main__":
    main()
