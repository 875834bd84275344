"""Memory of a large sweep: does the sweep process grow with the number of runs it has stored?

Runs ``factions sweep korea-grid-yanan -n REPLICATES`` (25 design points, so 25 × REPLICATES
runs) into a temporary folder in a child process, and samples once a second the resident memory
of that process and of its workers, and the runs stored so far (the ``runs`` part files' rows).
Prints JSON: the run's duration, the sweep process's peak memory, its memory when 10%, 50% and
100% of the runs were stored, the workers' peak, the part files left after the sweep (one per
table once it has compacted them) and the compaction's share of the time. Needs psutil (installed
with the ``test`` extra, through dask's distributed).

    python benchmarks/sweep_memory.py --replicates 800 --workers 2   # 20,000 runs, ~15 min
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
import pyarrow.parquet as pq

MIB = 2**20
COMMAND = [sys.executable, "-c", "from factions.cli import main; main()", "sweep"]


def stored_runs(folder: Path) -> int:
    """Rows of the committed ``runs`` parts (0 while the store is being created or swapped)."""
    total = 0
    for part in (folder / "runs").glob("part-*.parquet"):
        try:
            total += pq.read_metadata(part).num_rows
        except OSError:  # renamed away by the compaction between glob and read
            return 0
    return total


def sample(process: psutil.Process, folder: Path) -> dict[str, float]:
    workers = process.children(recursive=True)
    return {
        "t": time.perf_counter(),
        "sweep_mib": process.memory_info().rss / MIB,
        "workers_mib": max((w.memory_info().rss for w in workers), default=0) / MIB,
        "runs": stored_runs(folder) if (folder / "runs").is_dir() else 0,
    }


def at_share(samples: list[dict[str, float]], share: float, total: int) -> float:
    """The sweep process's memory at the first sample with ``share`` of the runs stored."""
    return next(s["sweep_mib"] for s in samples if s["runs"] >= share * total)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicates", type=int, default=800, help="per design point (25)")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    total = 25 * args.replicates
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "sweep"
        options = ["-n", str(args.replicates), "-j", str(args.workers), "--out", str(folder)]
        start = time.perf_counter()
        child = subprocess.Popen([*COMMAND, "korea-grid-yanan", *options], stdout=subprocess.PIPE)
        process = psutil.Process(child.pid)
        samples = []
        while child.poll() is None:
            try:
                samples.append(sample(process, folder))
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                break
            time.sleep(1.0)
        output = child.communicate()[0].decode()
        if child.returncode:
            raise SystemExit(f"the sweep failed (exit {child.returncode}):\n{output}")
        seconds = time.perf_counter() - start
        all_stored = next(s["t"] for s in samples if s["runs"] >= total)
        parts = {
            p.name: len(list(p.glob("part-*.parquet"))) for p in folder.iterdir() if p.is_dir()
        }
    report = {
        "runs": total,
        "workers": args.workers,
        "seconds": seconds,
        "sweep_peak_mib": max(s["sweep_mib"] for s in samples),
        "sweep_mib_at_10_50_100_percent": [at_share(samples, x, total) for x in (0.1, 0.5, 1.0)],
        "workers_peak_mib": max(s["workers_mib"] for s in samples),
        "parts_after": parts,
        "after_last_run_s": start + seconds - all_stored,
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
