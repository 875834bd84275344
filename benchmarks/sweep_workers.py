"""Runs per second of a korea-1945 ensemble on 1 and on 2 workers (the sweep runner): local
processes, or with ``--dask`` the workers of a local Dask cluster (one thread each), which is
how the efficiency of a real cluster is estimated (docs/experiments.md, "Scale-out").

    .venv/bin/python benchmarks/sweep_workers.py --runs 400 --repeat 3
    .venv/bin/python benchmarks/sweep_workers.py --runs 400 --repeat 3 --dask

Each measurement is a complete ``run_sweep`` into a fresh store: every run, and every chunk
written to disk, and (local processes) the pool's start; a Dask cluster is started before the
clock starts, as a cluster is long-lived. Worker counts alternate (1, 2, 1, 2, ...) so that a
change in the load of a shared machine hits both alike; the medians are reported.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import tempfile
import time
from pathlib import Path

from factions.experiment import make_experiment, run_sweep
from factions.scenario import load_scenario


def measure(runs: int, workers: int, seed: int, dask: bool) -> float:
    """Runs per second of one ensemble of ``runs`` replicates."""
    experiment = make_experiment(load_scenario("korea-1945"), None, replicates=runs, seed=seed)
    with contextlib.ExitStack() as stack:
        folder = stack.enter_context(tempfile.TemporaryDirectory())
        where = {"workers": workers}
        if dask:
            from distributed import LocalCluster

            cluster = stack.enter_context(
                LocalCluster(n_workers=workers, threads_per_worker=1, dashboard_address=None)
            )
            where = {"scheduler": cluster.scheduler_address}
        started = time.perf_counter()
        results = run_sweep(experiment, Path(folder) / "store", **where)
        elapsed = time.perf_counter() - started
        assert len(results.runs) == runs  # tables are read from the folder on first use
    return runs / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=400)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--dask", action="store_true", help="on a local Dask cluster")
    args = parser.parse_args()
    rates: dict[int, list[float]] = {1: [], 2: []}
    for i in range(args.repeat):
        for workers in (1, 2):
            rate = measure(args.runs, workers, args.seed, args.dask)
            rates[workers].append(rate)
            load = os.getloadavg()[0]  # a shared machine: note how busy it was
            print(
                f"repeat {i + 1}, {workers} worker(s): {rate:.2f} runs/s (load {load:.1f})",
                flush=True,
            )
    one, two = statistics.median(rates[1]), statistics.median(rates[2])
    print(
        f"median: 1 worker {one:.2f} runs/s, 2 workers {two:.2f} runs/s, speed-up {two / one:.2f}x"
        f", efficiency {two / one / 2:.2f}"
    )


if __name__ == "__main__":
    main()
