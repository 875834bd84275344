"""Server-side cost of one dashboard step: the model's month plus every drawing of the run tab.

What the dashboard does on Step: advance the model one month, redraw the network with Mesa's
SpaceRenderer (matplotlib backend), redraw the share and presence charts, and encode each figure
as PNG for the browser (what ``solara.FigureMatplotlib`` sends). Prints steps per second.

    .venv/bin/python benchmarks/dashboard_step.py [--scenario korea-1945] [--steps 120]
"""

from __future__ import annotations

import argparse
import io
import time

import matplotlib

matplotlib.use("Agg")


def png(fig, **kwargs) -> int:
    """Encode a figure as the dashboard does; return the byte count."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", **kwargs)
    return buffer.tell()


def redraw(renderer) -> None:
    """Mesa's SpaceRendererComponent for the matplotlib backend, minus the widget."""
    ax = renderer.canvas
    for artist in [*ax.lines, *ax.collections, *ax.patches, *ax.images, *ax.artists]:
        artist.remove()
    renderer.draw_structure()
    renderer.draw_agents()
    if renderer.post_process and not renderer._post_process_applied:
        renderer.post_process(ax)
        renderer._post_process_applied = True
    png(ax.get_figure(), bbox_inches="tight")  # as SpaceRendererComponent does


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="korea-1945")
    parser.add_argument("--steps", type=int, default=120)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    from factions.dashboard import view
    from factions.dashboard.figures import PresenceChart, SharesChart, network_renderer
    from factions.dashboard.model import DashboardModel

    DashboardModel(args.scenario, args.seed).step()  # compile the kernels outside the timing
    start, cpu = time.perf_counter(), time.process_time()
    model = DashboardModel(args.scenario, args.seed)
    renderer = network_renderer(model)
    charts = [SharesChart(model), PresenceChart(model)]
    built = time.perf_counter() - start
    parts = {"model step": 0.0, "network": 0.0, "charts + log": 0.0}
    steps = min(args.steps, model.spec.n_months)
    for _ in range(steps):
        t0 = time.perf_counter()
        model.step()
        t1 = time.perf_counter()
        redraw(renderer)
        t2 = time.perf_counter()
        for chart in charts:
            png(chart.update(model))
        view.events(model)
        parts["model step"] += t1 - t0
        parts["network"] += t2 - t1
        parts["charts + log"] += time.perf_counter() - t2
    total = sum(parts.values())
    cpu = time.process_time() - cpu
    print(f"{args.scenario}: {steps} steps, {steps / total:.1f} steps/s with drawing")
    print(f"  CPU time of this process: {cpu / steps * 1000:.1f} ms per step (reset included)")
    print(f"  reset (model + renderer and layout): {built * 1000:.0f} ms")
    for name, seconds in parts.items():
        print(f"  {name:<14}{seconds / steps * 1000:7.1f} ms per step")


if __name__ == "__main__":
    main()
