"""Figures of scenario discovery (:mod:`factions.discover`): PRIM's peeling trajectory and the
limits of the boxes it found. Both draw from the tables of a
:class:`~factions.discover.Discovery`."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from factions.plots.style import OKABE_ITO, new_axes, plain, short_parameter, tidy

__all__ = ["discovery_figure", "plot_box_limits", "plot_peeling"]


def plot_peeling(trajectory: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """Density against coverage along each box's peeling trajectory; the chosen box circled.

    ``trajectory`` has columns ``box``, ``coverage``, ``density``, ``restricted`` and
    ``chosen`` (:attr:`Discovery.trajectory`). Each step is labelled with the number of
    parameters it restricts. Returns the axes.
    """
    ax = new_axes(ax, (6.0, 5.0))
    for i, (number, steps) in enumerate(trajectory.groupby("box")):
        colour = OKABE_ITO[i % len(OKABE_ITO)]
        ax.plot(
            steps["coverage"], steps["density"], "-o", color=colour, ms=3, label=f"box {number}"
        )
        chosen = steps[steps["chosen"]]
        ax.scatter(
            chosen["coverage"], chosen["density"], s=160, facecolors="none", edgecolors=colour
        )
        for row in chosen.itertuples():
            ax.annotate(
                f"{row.restricted} restricted",
                (row.coverage, row.density),
                xytext=(8, 6),
                textcoords="offset points",
                fontsize=8,
            )
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("Coverage (share of the points of interest in the box)")
    ax.set_ylabel("Density (share of the box's points of interest)")
    ax.set_title("PRIM peeling trajectory (circled: the box chosen)", loc="left", fontsize=10)
    ax.legend(loc="lower left", frameon=False, fontsize=9)
    tidy(ax)
    return ax


def plot_box_limits(limits: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """Each box's limits on each numeric parameter, as a share of the swept range.

    ``limits`` has columns ``box``, ``parameter``, ``low``, ``high``, ``range_low``,
    ``range_high`` and ``restricted`` (:attr:`Discovery.limits`). The full range of a
    parameter is the grey bar; a box's limits are a coloured bar labelled with their values.
    Returns the axes.
    """
    numeric = limits[limits["high"].notna()].copy()
    names = list(dict.fromkeys(numeric["parameter"]))
    boxes = list(dict.fromkeys(numeric["box"]))
    ax = new_axes(ax, (6.5, 0.6 * len(names) * len(boxes) + 1.5))
    height = 0.8 / max(len(boxes), 1)
    for j, name in enumerate(names):
        ax.barh(j, 1.0, height=0.9, color="0.93")
        for i, number in enumerate(boxes):
            row = numeric[(numeric["parameter"] == name) & (numeric["box"] == number)].iloc[0]
            span = (row["range_high"] - row["range_low"]) or 1.0
            low = (row["low"] - row["range_low"]) / span
            high = (row["high"] - row["range_low"]) / span
            y = j - 0.4 + height * (i + 0.5)
            colour = OKABE_ITO[i % len(OKABE_ITO)]
            alpha = 1.0 if row["restricted"] else 0.35
            ax.barh(y, high - low, left=low, height=height * 0.8, color=colour, alpha=alpha)
            inside = high >= 0.8  # no room on the right: write inside the bar's right end
            ax.text(
                high - 0.01 if inside else high + 0.01,
                y,
                f"{row['low']:.3g}–{row['high']:.3g}",
                va="center",
                ha="right" if inside else "left",
                fontsize=8,
            )
    ax.set_yticks(np.arange(len(names)), [short_parameter(n) for n in names])
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xlabel("Share of the swept range (faint: not restricted)")
    legend = [plain(f"box {n}") for n in boxes]
    handles = [Patch(color=OKABE_ITO[i % len(OKABE_ITO)]) for i in range(len(boxes))]
    ax.legend(handles, legend, loc="lower right", frameon=False, fontsize=9)
    ax.set_title("Box limits", loc="left", fontsize=10)
    tidy(ax)
    return ax


def discovery_figure(
    trajectory: pd.DataFrame, limits: pd.DataFrame, title: str = "", fig: Figure | None = None
) -> np.ndarray:
    """The peeling trajectory and the box limits side by side; returns the two axes."""
    fig = fig or Figure(figsize=(12.0, 5.0), layout="constrained")
    axes = fig.subplots(1, 2)
    plot_peeling(trajectory, axes[0])
    plot_box_limits(limits, axes[1])
    if title:
        fig.suptitle(plain(title), fontsize=11)
    return axes
