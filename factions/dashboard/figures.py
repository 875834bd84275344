"""The dashboard's drawings: network portrayal, share and presence charts, ensemble figures.

The network is drawn by Mesa's ``SpaceRenderer`` (matplotlib backend) with the portrayal made
here: colour by faction, marker by status. The other panels are matplotlib figures built on
``Figure`` objects (not pyplot), so that several browser sessions can draw at once. Ensemble
figures are the library's own (:func:`factions.plots.plot_survival`, the same figure as
``factions plot survival``). :mod:`factions.plots` (and lifelines behind it) is imported when a
first figure is drawn, not when the server starts, so that the page is served sooner.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from mesa.visualization import SpaceRenderer
from mesa.visualization.components import AgentPortrayalStyle

from factions.dashboard import view

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from factions.dashboard.model import DashboardModel
    from factions.results import Results

#: Marker, alpha and size factor per mark: office filled and large, the purged faded.
MARK_STYLE: dict[str, tuple[str, float, float]] = {
    "in office": ("o", 0.95, 1.0),
    "co-opted": ("D", 0.95, 1.0),
    "arrested": ("s", 0.6, 0.8),
    "executed": ("X", 0.6, 0.9),
    "exiled": ("^", 0.6, 0.8),
    "demoted": ("v", 0.45, 0.7),
    "not yet in": ("o", 0.0, 0.1),
}
NODE_SIZE = 36
LEADER = ("*", 1.0, 6.0)
EDGE_STYLE = {"alpha": 0.12, "width": 0.5, "edge_color": "#555555", "style": "-"}
NETWORK_SIZE = (6.5, 6.0)


def faction_colours(spec) -> dict[str, str]:
    """The library's faction colours (the same in every figure)."""
    from factions.plots import faction_colours as colours

    return colours(spec)


def portrayal(colours: dict[str, str]) -> Callable:
    """Mesa agent portrayal: each cadre at its node, coloured by faction, marked by status.

    The marks of all cadres are read once per month (not once per agent).
    """
    cache: dict[str, object] = {}

    def portray(agent) -> AgentPortrayalStyle:
        model = agent.model
        key = (id(model), model.month)
        if cache.get("key") != key:
            cache["key"], cache["cadres"] = key, view.cadres(model)
        state: view.Cadres = cache["cadres"]  # type: ignore[assignment]
        i = view.cadre_index(agent)
        marker, alpha, size = LEADER if i == state.leader else MARK_STYLE[state.mark[i]]
        return AgentPortrayalStyle(
            x=i,
            y=i,
            color=colours[state.faction[i]],
            marker=marker,
            size=NODE_SIZE * size,
            alpha=alpha,
            edgecolors="black" if state.mark[i] not in ("in office", "co-opted") else "white",
            linewidths=0.6,
        )

    return portray


def _network_legend(model: DashboardModel) -> Callable[[Axes], None]:
    colours = faction_colours(model.spec)
    labels = view.faction_labels(model)

    def decorate(ax: Axes) -> None:
        ax.get_figure().set_size_inches(*NETWORK_SIZE)
        handles = [
            Line2D([], [], marker="o", linestyle="none", color=colours[f], label=labels[f])
            for f in labels
        ]
        handles += [
            Line2D([], [], marker=MARK_STYLE[m][0], linestyle="none", color="0.4", label=m)
            for m in view.MARKS[:-1]
        ]
        handles.append(
            Line2D([], [], marker="*", linestyle="none", color="0.2", ms=10, label="leader")
        )
        ax.legend(
            handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, fontsize=8
        )

    return decorate


def network_renderer(model: DashboardModel) -> SpaceRenderer:
    """Mesa's renderer of the model's network (layout computed once, then fixed)."""
    renderer = SpaceRenderer(model, backend="matplotlib")
    renderer.setup_structure(node_kwargs={"node_size": 0}, edge_kwargs=EDGE_STYLE)
    renderer.setup_agents(portrayal(faction_colours(model.spec)))
    renderer.post_process = _network_legend(model)
    return renderer.render()


class LiveChart:
    """Line charts built once per run and updated month by month (cheap to redraw at each step).

    The x axis is in years (a month is 1/12) and spans the whole run, so the axes never move;
    only the lines' data change. Subclasses say what the panels show in :meth:`data`.
    """

    titles: tuple[str, ...] = ()
    height = 2.6  # inches per panel

    def __init__(self, model: DashboardModel):
        spec = model.spec
        self.fig = Figure(figsize=(6.5, 0.4 + self.height * len(self.titles)))
        self.fig.subplots_adjust(left=0.08, right=0.98, top=0.94, bottom=0.08, hspace=0.35)
        axes = self.fig.subplots(len(self.titles), 1, sharex=True, squeeze=False)[:, 0]
        self.lines = []
        for ax, title, series in zip(axes, self.titles, self.series(model), strict=True):
            self.lines.append([ax.plot([], [], lw=1.6, label=n, color=c)[0] for n, c in series])
            ax.set_xlim(spec.start_month / 12, (spec.end_month + 1) / 12)
            ax.set_ylim(0, 1.02)
            ax.set_title(title, loc="left", fontsize=10)
            ax.spines[["top", "right"]].set_visible(False)
        axes[0].legend(loc="upper left", fontsize=8, frameon=False, ncols=2)

    def series(self, model: DashboardModel) -> list[list[tuple[str, str | None]]]:
        """Per panel, the (label, colour) of each line."""
        raise NotImplementedError

    def data(self, model: DashboardModel) -> list[np.ndarray]:
        """Per panel, a months × lines array of the values so far."""
        raise NotImplementedError

    def update(self, model: DashboardModel) -> Figure:
        """The figure with the lines up to the current month."""
        for lines, values in zip(self.lines, self.data(model), strict=True):
            years = (model.spec.start_month + np.arange(len(values))) / 12
            for j, line in enumerate(lines):
                line.set_data(years, values[:, j])
        return self.fig


class SharesChart(LiveChart):
    """Seat share and power share of each faction, month by month, so far."""

    titles = ("Central-committee seat share", "Power share")

    def series(self, model):
        colours = faction_colours(model.spec)
        pairs = [(label, colours[fid]) for fid, label in view.faction_labels(model).items()]
        return [pairs, pairs]

    def data(self, model):
        return [frame.to_numpy() for frame in view.shares(model).values()]


class PresenceChart(LiveChart):
    """Each patron's presence (troops, advisers) so far, between 0 and 1."""

    titles = ("Patron presence",)

    def series(self, model):
        return [[(label, None) for label in view.presence(model)]]

    def data(self, model):
        return [np.asarray(model.presence_history, dtype=float)]


def survival_figure(results: Results) -> Figure:
    """The Kaplan–Meier survival curves of ``factions plot survival``."""
    from factions.plots import plot_survival

    fig = Figure(figsize=(8.0, 5.5), layout="constrained")
    plot_survival(results, ax=fig.subplots())
    return fig


def comparison_figure(baseline: Results, current: Results) -> Figure:
    """Pinned baseline (solid) beside the current ensemble (dashed), with log-rank tests."""
    from factions.plots import plot_counterfactual

    fig = Figure(figsize=(8.0, 5.5), layout="constrained")
    plot_counterfactual(baseline, current, ax=fig.subplots())
    return fig
