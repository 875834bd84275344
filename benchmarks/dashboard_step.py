"""Server-side cost of one dashboard step: the model's month plus every drawing of the run tab.

What the dashboard does on Step: advance the model one month, redraw the network's cadres over
its cached ties, redraw the share and presence charts' lines over their cached axes, encode each
picture as the JPEG the browser receives, and read the event log. Prints steps per second.

    .venv/bin/python benchmarks/dashboard_step.py [--scenario korea-1945] [--steps 120]
"""

from __future__ import annotations

import argparse
import time

import matplotlib

matplotlib.use("Agg")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="korea-1945")
    parser.add_argument("--steps", type=int, default=120)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    from factions.dashboard import view
    from factions.dashboard.figures import NetworkChart, PresenceChart, SharesChart
    from factions.dashboard.model import DashboardModel

    DashboardModel(args.scenario, args.seed).step()  # compile the kernels outside the timing
    start, cpu = time.perf_counter(), time.process_time()
    model = DashboardModel(args.scenario, args.seed)
    network = NetworkChart(model)
    charts = [SharesChart(model), PresenceChart(model)]
    network.picture(model)  # the first picture renders the static parts: part of the reset
    for chart in charts:
        chart.picture(model)
    built = time.perf_counter() - start
    parts = {"model step": 0.0, "network": 0.0, "charts + log": 0.0}
    steps = min(args.steps, model.spec.n_months)
    for _ in range(steps):
        t0 = time.perf_counter()
        model.step()
        t1 = time.perf_counter()
        network.picture(model)
        t2 = time.perf_counter()
        for chart in charts:
            chart.picture(model)
        view.events(model)
        parts["model step"] += t1 - t0
        parts["network"] += t2 - t1
        parts["charts + log"] += time.perf_counter() - t2
    total = sum(parts.values())
    cpu = time.process_time() - cpu
    print(f"{args.scenario}: {steps} steps, {steps / total:.1f} steps/s with drawing")
    print(f"  CPU time of this process: {cpu / steps * 1000:.1f} ms per step (reset included)")
    print(f"  reset (model, layout, first pictures): {built * 1000:.0f} ms")
    for name, seconds in parts.items():
        print(f"  {name:<14}{seconds / steps * 1000:7.1f} ms per step")


if __name__ == "__main__":
    main()
