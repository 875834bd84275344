"""One run's patronage network as small multiples: who has fallen, year after year.

Draws the tables of :func:`factions.snapshots.network_snapshots` (which runs the model); this
module never runs it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import networkx as nx
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure, SubFigure
from matplotlib.lines import Line2D

from factions.plots.files import check_format, write
from factions.plots.style import NEUTRAL, faction_colours, plain
from factions.state import PURGED

if TYPE_CHECKING:  # the snapshots module runs the model; figures only read its tables
    from factions.snapshots import NetworkSnapshots

__all__ = ["filmstrip_figure", "plot_network_filmstrip", "save_network_figure"]

PANEL_INCHES = 3.0


def _grid(panels: int, columns: int | None) -> tuple[int, int]:
    columns = columns or min(panels, 4)
    return -(-panels // columns), columns


def filmstrip_figure(snapshots: NetworkSnapshots, columns: int | None = None) -> Figure:
    """A new figure sized for :func:`plot_network_filmstrip` of ``snapshots``."""
    rows, columns = _grid(len(snapshots.panels), columns)
    size = (PANEL_INCHES * columns, PANEL_INCHES * rows + 0.8)
    return Figure(figsize=size, layout="constrained")


def _layout(snapshots: NetworkSnapshots) -> np.ndarray:
    """Node positions (cadre order): one spring layout of the ties, seeded by the run's seed."""
    graph = nx.Graph()
    graph.add_nodes_from(range(snapshots.nodes["cadre"].max() + 1))
    graph.add_weighted_edges_from(snapshots.edges.itertuples(index=False, name=None))
    pos = nx.spring_layout(graph, seed=snapshots.seed, iterations=60)
    return np.array([pos[v] for v in graph.nodes])


def _draw_panel(
    ax: Axes, nodes: pd.DataFrame, edges: pd.DataFrame, xy: np.ndarray, colours: dict[str, str]
) -> int:
    """One snapshot: purged cadres faded, pending ones hidden; returns the cadres in office."""
    shown = (nodes["status"] != "pending").to_numpy()
    faded = nodes["purged"].to_numpy(dtype=bool)
    rgba = np.array([to_rgba(colours.get(f, NEUTRAL)) for f in nodes["faction"]])
    rgba[:, 3] = np.where(faded, 0.15, 0.95)
    a, b = edges["source"].to_numpy(), edges["target"].to_numpy()
    both = shown[a] & shown[b]
    alive = ~(faded[a] | faded[b])
    segments = np.stack([xy[a[both]], xy[b[both]]], axis=1)
    edge_colours = [(0.5, 0.5, 0.5, 0.25 if ok else 0.06) for ok in alive[both]]
    ax.add_collection(LineCollection(segments, colors=edge_colours, linewidths=0.4, zorder=1))
    ax.scatter(xy[shown, 0], xy[shown, 1], s=9, c=rgba[shown], edgecolors="none", zorder=2)
    ax.set_xlim(xy[:, 0].min() - 0.05, xy[:, 0].max() + 0.05)
    ax.set_ylim(xy[:, 1].min() - 0.05, xy[:, 1].max() + 0.05)
    ax.set_aspect("equal")
    ax.set_axis_off()
    return int((shown & ~faded).sum())


def plot_network_filmstrip(
    snapshots: NetworkSnapshots,
    fig: Figure | SubFigure | None = None,
    *,
    columns: int | None = None,
) -> np.ndarray:
    """Small multiples of one run's patronage network, one panel per snapshot.

    Node positions come from one spring layout of the ties, fixed across panels, so a panel
    differs from the next only by who has fallen. Nodes take their faction's colour; purged
    cadres (arrested, executed, exiled, demoted) are faded, cadres not yet in the party
    (arriving with a merger) are not drawn. Draws on ``fig`` (default: a new figure, see
    :func:`filmstrip_figure`) and returns the panels' axes as an array, one per snapshot.
    """
    spec = snapshots.scenario
    n = len(snapshots.panels)
    rows, columns = _grid(n, columns)
    fig = fig or filmstrip_figure(snapshots, columns)
    xy = _layout(snapshots)
    colours = faction_colours(spec)
    axes = np.atleast_1d(fig.subplots(rows, columns)).ravel()
    nodes = snapshots.nodes.groupby("snapshot")
    for ax, panel in zip(axes, snapshots.panels.itertuples(), strict=False):
        mine = nodes.get_group(panel.snapshot).sort_values("cadre")
        in_office = _draw_panel(ax, mine, snapshots.edges, xy, colours)
        ax.set_title(f"{panel.title}\n{in_office} in office", fontsize=9)
    for ax in axes[n:]:
        ax.set_axis_off()
    _legend(fig, spec, colours)
    fig.suptitle(
        f"Patronage network — {plain(spec.name)}, one run "
        f"(seed {snapshots.seed}, replicate {snapshots.replicate})",
        fontsize=11,
    )
    return axes[:n]


def _legend(fig: Figure | SubFigure, spec, colours: dict[str, str]) -> None:
    handles = [
        Line2D([], [], marker="o", linestyle="none", color=colours[f], ms=6)
        for f in spec.faction_ids
    ]
    labels = [plain(spec.faction_table(f).label) for f in spec.faction_ids]
    handles.append(Line2D([], [], marker="o", linestyle="none", color="0.3", alpha=0.2, ms=6))
    labels.append(f"purged ({', '.join(s.name.lower() for s in PURGED)})")
    fig.legend(
        handles, labels, loc="outside lower center", ncols=len(handles), frameon=False, fontsize=8
    )


def save_network_figure(snapshots: NetworkSnapshots, path: str | Path) -> Path:
    """Draw :func:`plot_network_filmstrip` on a new figure sized to its panels; write it."""
    path = Path(path)
    check_format(path)
    fig = filmstrip_figure(snapshots)
    plot_network_filmstrip(snapshots, fig)
    return write(fig, path)
