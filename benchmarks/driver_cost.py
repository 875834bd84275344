"""The sweep driver's own cost per run: what one process must do for every chunk it stores.

However many workers a cluster has, one driver process receives every task's result (unpickles
it) and stores it (a Parquet part per table, each flushed to disk). Its cost per run sets the
most runs per second a sweep can store, whatever the cluster (docs/experiments.md,
"Scale-out"). For tasks of ``--batch`` runs of korea-1945, this times receiving and storing one
result, and the bytes stored per run.

    .venv/bin/python benchmarks/driver_cost.py --batch 10 100
"""

from __future__ import annotations

import argparse
import json
import pickle
import statistics
import tempfile
import time
from pathlib import Path

from factions.experiment import make_experiment
from factions.experiment.runner import make_tasks, manifest, points_table, run_task
from factions.experiment.store import open_store
from factions.scenario import load_scenario


def driver_cost(batch: int, repeats: int) -> dict[str, float]:
    """Milliseconds per run to unpickle and store a task of ``batch`` runs; bytes per run."""
    experiment = make_experiment(load_scenario("korea-1945"), None, replicates=batch, seed=1)
    task = next(make_tasks(experiment, list(range(batch)), batch))
    payload = pickle.dumps(run_task(task).tables)
    times, size = [], 0
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as folder:
            store_dir = Path(folder) / "store"
            with open_store(store_dir, manifest(experiment), points_table(experiment)) as store:
                start = time.perf_counter()
                store.write_chunk(pickle.loads(payload))
                times.append(time.perf_counter() - start)
            size = sum(p.stat().st_size for p in store_dir.glob("*/part-*.parquet"))
    return {
        "driver_ms_per_run": 1000 * statistics.median(times) / batch,
        "pickled_kib_per_run": len(payload) / 1024 / batch,
        "stored_kib_per_run": size / 1024 / batch,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, nargs="+", default=[10, 100])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    report = {str(batch): driver_cost(batch, args.repeat) for batch in args.batch}
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
