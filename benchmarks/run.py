"""The project's benchmarks: speed of one replicate, of the full-scale membership, scaling,
the command line's cost per replicate and to start, and the ratios to a plain Mesa
implementation, to numpy's floor and across workers.

Prints JSON (and writes it with ``--out FILE``). ``--quick`` runs in about a minute.
Times are medians of repeated measurements; the machine is shared and noisy, so the ratios
(measured in one process, back to back) are the robust figures. See docs/performance.md.

    python benchmarks/run.py --quick
    python benchmarks/run.py --out benchmarks/results.json
"""

from __future__ import annotations

import argparse
import gc
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from factions.ensemble import run_ensemble
from factions.mechanisms import loyalty
from factions.model import FactionModel
from factions.scenario import load_scenario

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from mesa_baseline import MembershipModel  # noqa: E402


def median_time(fn: Callable[[], object], repeats: int, number: int = 1) -> float:
    """Median over ``repeats`` samples of the wall time of one call of ``fn``, in seconds; each
    sample times ``number`` calls back to back (for calls too short to time one by one)."""
    gc.collect()  # like timeit: garbage of earlier measurements must not be collected in this one
    gc.disable()
    try:
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            for _ in range(number):
                fn()
            times.append((time.perf_counter() - start) / number)
    finally:
        gc.enable()
    return statistics.median(times)


def calls_per_sample(n: int) -> int:
    """Enough calls of an update over ``n`` members to make a sample of about a millisecond."""
    return max(1, 1_000_000 // n)


def korea_replicate_ms(repeats: int) -> float:
    spec = load_scenario("korea-1945")
    seeds = iter(range(10**6))
    return 1000 * median_time(lambda: FactionModel(spec, rng=next(seeds)).run(), repeats)


def full_scale() -> dict[str, float]:
    """One replicate with every member held individually, in a fresh process (for peak RSS),
    timed after a default-scale replicate has loaded the compiled kernels."""
    code = (
        "import time, resource, json\n"
        "from factions.scenario import load_scenario\n"
        "from factions.model import FactionModel\n"
        "FactionModel(load_scenario('korea-1945'), rng=0).run()\n"
        "spec = load_scenario('korea-1945', {'membership.scale': 1})\n"
        "t = time.perf_counter(); FactionModel(spec, rng=1).run()\n"
        "s = time.perf_counter() - t\n"
        "peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024\n"
        "print(json.dumps({'seconds': s, 'peak_mib': peak}))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    measured = json.loads(done.stdout)
    return {
        "full_scale_replicate_s": measured["seconds"],
        "full_scale_peak_mib": measured["peak_mib"],
    }


def members_model(n: int) -> FactionModel:
    """A korea-1945 model whose membership has ``n`` individual members."""
    spec = load_scenario(
        "korea-1945", {"membership.scale": 1, "membership.initial": n, "membership.capacity": n}
    )
    return FactionModel(spec, rng=0)


def member_step_ns(n: int, repeats: int) -> float:
    """Engine time per member per step of the rank-and-file update, in nanoseconds."""
    model = members_model(n)

    def update() -> None:
        loyalty.update_members(model)

    return 1e9 * median_time(update, repeats, calls_per_sample(n)) / n


def numpy_floor_ns(n: int, repeats: int) -> float:
    """One fused in-place numpy pass over the same array: the memory-bandwidth floor."""
    values = np.random.default_rng(0).random(n, dtype=np.float32)
    rate = np.float32(0.002)
    keep = np.float32(1.0) - rate

    def fused() -> None:  # loyalty + rate * (1 - loyalty), in place: one read, one write
        np.multiply(values, keep, out=values)
        np.add(values, rate, out=values)

    return 1e9 * median_time(fused, repeats, calls_per_sample(n)) / n


def mesa_ratio(n: int, repeats: int) -> float:
    baseline = MembershipModel(n)
    mesa_time = median_time(baseline.step, max(3, repeats // 10))
    ours = members_model(n)
    our_time = median_time(lambda: loyalty.update_members(ours), repeats, calls_per_sample(n))
    return mesa_time / our_time


def factions_run_s(replicates: int, *options: str) -> float:
    """Wall time of ``factions run korea-1945 -n REPLICATES`` in a fresh process (figures
    included unless ``options`` say otherwise), its folder written to a temporary place."""
    command = [sys.executable, "-c", "from factions.cli import main; main()", "run", "korea-1945"]
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        subprocess.run(
            [*command, "-n", str(replicates), "--out", f"{folder}/out", *options],
            check=True,
            capture_output=True,
        )
        return time.perf_counter() - start


def run_command(repeats: int) -> dict[str, float]:
    """The command line's costs: a replicate's marginal cost through ``factions run`` (one
    worker, 220 replicates minus 20, over 200) and the time of a one-replicate run."""
    one = [factions_run_s(1, "--no-figures") for _ in range(repeats)]
    few = [factions_run_s(20, "-j", "1") for _ in range(repeats)]
    many = [factions_run_s(220, "-j", "1") for _ in range(repeats)]
    return {
        "run_marginal_ms": 1000 * (statistics.median(many) - statistics.median(few)) / 200,
        "run_one_replicate_s": statistics.median(one),
    }


def parallel_efficiency(replicates: int) -> float:
    """Runs per second of an ensemble on 2 local workers over twice that on 1 (the workers'
    forkserver started beforehand, as a long session or a sweep finds it)."""

    def rate(workers: int) -> float:
        start = time.perf_counter()
        run_ensemble("korea-1945", replicates, seed=1, workers=workers)
        return replicates / (time.perf_counter() - start)

    run_ensemble("korea-1945", 4, seed=1, workers=2)  # start the forkserver
    return rate(2) / (2 * rate(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="run in about a minute")
    parser.add_argument("--out", type=Path, help="also write the JSON here")
    args = parser.parse_args()
    repeats = 5 if args.quick else 21
    report: dict[str, object] = {"quick": args.quick}
    report["korea_replicate_ms"] = korea_replicate_ms(repeats)
    report.update(run_command(1 if args.quick else 3))
    report["run_overhead_ratio"] = report["run_marginal_ms"] / report["korea_replicate_ms"]
    report.update(full_scale())
    sizes = [10_000, 100_000, 1_000_000]
    report["scaling"] = {str(n): member_step_ns(n, repeats * 4) for n in sizes}
    per_member = list(report["scaling"].values())
    mean = statistics.fmean(per_member)  # the target: every size within ±30% of the mean
    report["scaling_spread"] = max(abs(t - mean) for t in per_member) / mean
    report["mesa_baseline_ratio"] = mesa_ratio(100_000, repeats * 4)
    ours = member_step_ns(1_000_000, repeats * 4)
    report["numpy_floor_ratio"] = ours / numpy_floor_ns(1_000_000, repeats * 4)
    report["parallel_efficiency"] = parallel_efficiency(200)  # fewer swing with the load
    report["max_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    text = json.dumps(report, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
