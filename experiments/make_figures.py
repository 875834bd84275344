"""Regenerate every figure of the documentation into ``docs/figures/`` (see docs/gallery.md).

Figures: survival, shares and timeline of korea-1945; a network filmstrip of one korea-1945 run;
korea-1945 against the korea-soviets-stay counterfactual (same root seed: common random
numbers); a 3 x 3 grid sweep heatmap over the Yan'an faction's military force and loyalty; a small
Morris (or Sobol) screening of mechanism parameters. The defaults take a few minutes on two
cores; ``--replicates``, ``--grid-replicates`` and ``--sweep-replicates`` trade time for precision.

Usage::

    .venv/bin/python experiments/make_figures.py                      # everything, defaults
    .venv/bin/python experiments/make_figures.py --only network --only heatmap
    .venv/bin/python experiments/make_figures.py --replicates 400 --sensitivity sobol
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path

from matplotlib.figure import Figure

from factions import plots
from factions.ensemble import run_ensemble
from factions.experiment import grid, make_experiment, morris, run_sweep, sobol
from factions.results import Results
from factions.snapshots import network_snapshots

ROOT = Path(__file__).resolve().parents[1]
BASELINE, COUNTERFACTUAL = "korea-1945", "korea-soviets-stay"
GRID = {
    "factions.yanan.military": [0.1, 0.5, 2.0],
    "factions.yanan.loyalty.mean": [0.2, 0.5, 0.8],
}
HEATMAP_OUTPUT = "survival_yanan_1958-12"
#: Mechanism parameters screened by the sensitivity figure (ranges as in the shipped experiments).
RANGES = {
    "mechanisms.purge.launch_rate": (0.05, 0.4),
    "mechanisms.purge.spread": (0.05, 0.3),
    "mechanisms.challenge.rate": (0.1, 0.5),
    "mechanisms.patrons.intervention_rate": (0.2, 0.8),
}
SENSITIVITY_OUTPUT = "median_elimination_yanan"


def save(fig: Figure, folder: Path, name: str, dpi: int) -> Path:
    path = folder / f"{name}.png"
    fig.savefig(path, dpi=dpi)
    return path


_ENSEMBLES: dict[tuple[str, int, int], Results] = {}


def ensemble(args, scenario: str) -> Results:
    """An ensemble of ``scenario``, run once per invocation (the baseline serves two figures)."""
    key = (scenario, args.replicates, args.seed)
    if key not in _ENSEMBLES:
        _ENSEMBLES[key] = run_ensemble(scenario, args.replicates, args.seed, workers=args.workers)
    return _ENSEMBLES[key]


def ensemble_figures(args, folder: Path) -> list[Path]:
    results = ensemble(args, BASELINE)
    return [
        save(plots.make_figure(results, kind), folder, kind, args.dpi)
        for kind in ("survival", "shares", "timeline")
    ]


def network_figure(args, folder: Path) -> list[Path]:
    years = [1946, 1948, 1950, 1952, 1954, 1956, 1958, 1961]
    snapshots = network_snapshots(BASELINE, args.seed, years=years)
    fig = Figure(figsize=(12, 6.8), layout="constrained")
    plots.plot_network_filmstrip(snapshots, fig)
    return [save(fig, folder, "network", args.dpi)]


def counterfactual_figure(args, folder: Path) -> list[Path]:
    base, other = ensemble(args, BASELINE), ensemble(args, COUNTERFACTUAL)
    fig = Figure(figsize=(8.5, 5.5), layout="constrained")
    plots.plot_counterfactual(base, other, ax=fig.subplots())
    return [save(fig, folder, "counterfactual", args.dpi)]


def heatmap_figure(args, folder: Path) -> list[Path]:
    experiment = make_experiment(
        BASELINE,
        grid(GRID),
        replicates=args.grid_replicates,
        seed=args.seed,
        outputs={"survival": ["1958-12"], "factions": ["yanan"]},
    )
    results = run_sweep(experiment, workers=args.workers)
    fig = Figure(figsize=(6.5, 5.0), layout="constrained")
    x, y = GRID
    plots.plot_sweep_heatmap(results, x, y, HEATMAP_OUTPUT, ax=fig.subplots())
    return [save(fig, folder, "heatmap", args.dpi)]


def sensitivity_figure(args, folder: Path) -> list[Path]:
    if args.sensitivity == "sobol":
        design = sobol(RANGES, samples=16, seed=args.seed)
        analysis = {"kind": "sobol"}
    else:
        design = morris(RANGES, trajectories=10, levels=4, seed=args.seed)
        analysis = {"kind": "morris"}
    experiment = make_experiment(
        BASELINE,
        design,
        replicates=args.sweep_replicates,
        seed=args.seed,
        analysis=analysis,
        outputs={"factions": ["yanan", "soviet"], "median_elimination": True},
    )
    results = run_sweep(experiment, workers=args.workers)
    indices = results.analyse()[args.sensitivity]
    fig = Figure(figsize=(7.5, 5.0), layout="constrained")
    plots.plot_sensitivity(indices, ax=fig.subplots(), output=SENSITIVITY_OUTPUT)
    return [save(fig, folder, "sensitivity", args.dpi)]


FIGURES: dict[str, Callable[[argparse.Namespace, Path], list[Path]]] = {
    "ensemble": ensemble_figures,
    "network": network_figure,
    "counterfactual": counterfactual_figure,
    "heatmap": heatmap_figure,
    "sensitivity": sensitivity_figure,
}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "figures")
    parser.add_argument("-n", "--replicates", type=int, default=200, help="runs per ensemble")
    parser.add_argument(
        "--grid-replicates", type=int, default=20, help="runs per point of the grid sweep"
    )
    parser.add_argument(
        "--sweep-replicates", type=int, default=8, help="runs per point of the sensitivity design"
    )
    parser.add_argument("--seed", type=int, default=1, help="root seed")
    parser.add_argument("-j", "--workers", type=int, default=2)
    parser.add_argument("--dpi", type=int, default=120)
    parser.add_argument("--sensitivity", choices=["morris", "sobol"], default="morris")
    parser.add_argument("--only", action="append", choices=list(FIGURES), help="repeatable")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for name in args.only or FIGURES:
        started = time.perf_counter()
        for path in FIGURES[name](args, args.out):
            size = path.stat().st_size / 1024
            print(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}  {size:.0f} KB")
        print(f"  ({name}: {time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
