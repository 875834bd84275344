"""Server-side cost of one dashboard step: the model's month plus every drawing of the run tab.

What the server does on Step (or each month while playing): Mesa's controller steps the model
and bumps its update counter; the run tab then re-renders (solara, without a browser here):
the network's cadres and the share and presence lines are redrawn over their cached
backgrounds and encoded as the JPEGs the browser receives, the event log and the date are
rebuilt. Only the websocket transfer is left out. Prints steps per second, the median of
``--repeat`` runs (the machine may be shared: medians, and say what else was running).

    .venv/bin/python benchmarks/dashboard_step.py [--scenario korea-1945] [--steps 120]
"""

from __future__ import annotations

import argparse
import statistics
import time

import matplotlib

matplotlib.use("Agg")


def one_run(scenario: str, seed: int, steps: int) -> dict[str, float]:
    """Step a freshly rendered run tab ``steps`` times; seconds per step (wall and CPU)."""
    import solara
    from mesa.visualization.utils import update_counter

    from factions.dashboard.app import RunTab
    from factions.dashboard.model import DashboardModel

    start = time.perf_counter()
    model = DashboardModel(scenario, seed)
    _, context = solara.render(RunTab(model), handle_error=False)
    reset = time.perf_counter() - start
    steps = min(steps, model.spec.n_months)
    model_wall = 0.0
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(steps):
        t0 = time.perf_counter()
        model.step()
        model_wall += time.perf_counter() - t0
        update_counter.value += 1  # what Mesa's ModelController does after a step
    wall = (time.perf_counter() - wall) / steps
    cpu = (time.process_time() - cpu) / steps
    context.close()
    return {"wall": wall, "cpu": cpu, "model": model_wall / steps, "reset": reset}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="korea-1945")
    parser.add_argument("--steps", type=int, default=120)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    from factions.dashboard.model import DashboardModel

    DashboardModel(args.scenario, args.seed).step()  # compile the kernels outside the timing
    one_run(args.scenario, args.seed, 2)  # first imports and figures outside the timing
    runs = [one_run(args.scenario, args.seed, args.steps) for _ in range(args.repeat)]
    rates = sorted(1 / r["wall"] for r in runs)
    median = {key: statistics.median(r[key] for r in runs) for key in runs[0]}
    print(
        f"{args.scenario}: {args.steps} steps x {args.repeat} runs: "
        f"{statistics.median(rates):.1f} steps/s with drawing (median; runs "
        + ", ".join(f"{rate:.1f}" for rate in rates)
        + ")"
    )
    print(
        f"  per step (medians): {median['wall'] * 1000:.1f} ms wall, "
        f"{median['cpu'] * 1000:.1f} ms CPU; the model's month {median['model'] * 1000:.1f} ms"
    )
    print(f"  reset (new model, layout, first render of the tab): {median['reset'] * 1000:.0f} ms")


if __name__ == "__main__":
    main()
