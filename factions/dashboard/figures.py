"""The dashboard's drawings: the network, share and presence charts, ensemble figures.

The network is laid out and its ties drawn by Mesa's ``SpaceRenderer`` (matplotlib backend);
its cadres are coloured by faction and marked by status here. All panels are matplotlib figures
built on ``Figure`` objects (not pyplot), so that several browser sessions can draw at once.
The panels of a run are built once per run and then redrawn step by step only where they
change (:class:`~factions.dashboard.frames.Frame`), so that playing stays fluid. Ensemble
figures are the library's own (:func:`factions.plots.plot_survival`, the same figure as
``factions plot survival``). :mod:`factions.plots` (and lifelines behind it) is imported when a
first figure is drawn, not when the server starts, so that the page is served sooner.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from mesa.visualization import SpaceRenderer

from factions.dashboard import view
from factions.dashboard.frames import Frame

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
IN_OFFICE_MARKS = ("in office", "co-opted", "leader")
NODE_SIZE = 36  # marker area in points², as in a scatter plot
LEADER = ("*", 1.0, 6.0)
EDGE_STYLE = {"alpha": 0.12, "width": 0.5, "edge_color": "#555555", "style": "-"}
NETWORK_SIZE = (6.5, 6.0)


def faction_colours(spec) -> dict[str, str]:
    """The library's faction colours (the same in every figure)."""
    from factions.plots import faction_colours as colours

    return colours(spec)


class LivePicture(Protocol):
    """A panel of the run: built once from the model, then an image of each month."""

    def __init__(self, model: DashboardModel) -> None: ...

    def picture(self, model: DashboardModel) -> bytes: ...


class NetworkChart:
    """The patronage network: laid out and its ties drawn once, its cadres redrawn each step.

    Mesa's ``SpaceRenderer`` (matplotlib backend) lays the network out (one seeded spring
    layout per run, so nodes never move) and draws the ties. The cadres are drawn as one marker
    line per faction and mark, whose style never changes: a step only moves each cadre to the
    line of its current mark, and only these lines are redrawn over the cached ties
    (:class:`~factions.dashboard.frames.Frame`; matplotlib stamps a line's markers cheaply).
    """

    def __init__(self, model: DashboardModel):
        renderer = SpaceRenderer(model, backend="matplotlib")
        renderer.setup_structure(node_kwargs={"node_size": 0}, edge_kwargs=EDGE_STYLE)
        renderer.draw_structure()
        ax = renderer.canvas
        ax.get_figure().set_size_inches(*NETWORK_SIZE)
        layout = renderer.space_drawer.pos
        self.xy = np.array([layout[i] for i in range(len(layout))], dtype=float)
        colours = faction_colours(model.spec)
        self.markers = {
            (mark, fid): _marker_line(ax, style, colour, purged=mark not in IN_OFFICE_MARKS)
            for mark, style in [*MARK_STYLE.items(), ("leader", LEADER)]
            if style[1] > 0
            for fid, colour in colours.items()
        }
        _network_legend(ax, model, colours)
        self.frame = Frame(ax.get_figure(), list(self.markers.values()))

    def picture(self, model: DashboardModel) -> bytes:
        """The network at the model's current month, as an image."""
        state = view.cadres(model)
        where: dict[tuple[str, str], list[int]] = {}
        for i, key in enumerate(zip(state.mark, state.faction, strict=True)):
            where.setdefault(("leader", key[1]) if i == state.leader else key, []).append(i)
        for key, line in self.markers.items():
            cadres = where.get(key, [])
            line.set_data(self.xy[cadres, 0], self.xy[cadres, 1])
            line.set_visible(bool(cadres))  # an empty line costs as much to draw as a full one
        return self.frame.picture()


def _marker_line(ax: Axes, style: tuple[str, float, float], colour: str, purged: bool) -> Line2D:
    """An empty line of markers of one style: faction colour, outlined in black if purged."""
    marker, alpha, size = style
    (line,) = ax.plot(
        [],
        [],
        linestyle="none",
        marker=marker,
        markersize=np.sqrt(NODE_SIZE * size),
        markerfacecolor=colour,
        markeredgecolor="black" if purged else "white",
        markeredgewidth=0.6,
        alpha=alpha,
        zorder=3 if marker == LEADER[0] else 2,
    )
    return line


def _network_legend(ax: Axes, model: DashboardModel, colours: dict[str, str]) -> None:
    """Factions by colour, marks by shape, the leader's star; outside the axes, on the right."""
    labels = view.faction_labels(model)
    handles = [
        Line2D([], [], marker="o", linestyle="none", color=colours[f], label=labels[f])
        for f in labels
    ]
    handles += [
        Line2D([], [], marker=MARK_STYLE[m][0], linestyle="none", color="0.4", label=m)
        for m in view.MARKS[:-1]
    ]
    handles.append(Line2D([], [], marker="*", linestyle="none", color="0.2", ms=10, label="leader"))
    ax.legend(
        handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, fontsize=8
    )


class LiveChart:
    """Line charts built once per run and updated month by month (only the lines are redrawn).

    The x axis is in years (a month is 1/12) and spans the whole run, so the axes never move;
    only the lines' data change. Subclasses say what the panels show in :meth:`data`.
    """

    titles: tuple[str, ...] = ()
    height = 2.6  # inches per panel

    def __init__(self, model: DashboardModel):
        spec = model.spec
        self.fig = Figure(figsize=(6.5, 0.4 + self.height * len(self.titles)))
        self.fig.subplots_adjust(left=0.08, right=0.96, top=0.94, bottom=0.08, hspace=0.35)
        axes = self.fig.subplots(len(self.titles), 1, sharex=True, squeeze=False)[:, 0]
        self.lines = []
        for ax, title, series in zip(axes, self.titles, self.series(model), strict=True):
            self.lines.append([ax.plot([], [], lw=1.6, label=n, color=c)[0] for n, c in series])
            ax.set_xlim(spec.start_month / 12, (spec.end_month + 1) / 12)
            ax.set_ylim(0, 1.02)
            ax.set_title(title, loc="left", fontsize=10)
            ax.spines[["top", "right"]].set_visible(False)
        axes[0].legend(loc="upper left", fontsize=8, frameon=False, ncols=2)
        self.frame = Frame(self.fig, [line for lines in self.lines for line in lines])

    def series(self, model: DashboardModel) -> list[list[tuple[str, str | None]]]:
        """Per panel, the (label, colour) of each line."""
        raise NotImplementedError

    def data(self, model: DashboardModel) -> list[np.ndarray]:
        """Per panel, a months × lines array of the values so far."""
        raise NotImplementedError

    def picture(self, model: DashboardModel) -> bytes:
        """The charts with the lines up to the current month, as an image."""
        for lines, values in zip(self.lines, self.data(model), strict=True):
            years = (model.spec.start_month + np.arange(len(values))) / 12
            for j, line in enumerate(lines):
                line.set_data(years, values[:, j])
        return self.frame.picture()


class SharesChart(LiveChart):
    """Seat share and power share of each faction, month by month, so far."""

    titles = ("Central-committee seat share", "Power share")

    def series(self, model):
        colours = faction_colours(model.spec)
        pairs = [(label, colours[fid]) for fid, label in view.faction_labels(model).items()]
        return [pairs, pairs]

    def data(self, model):
        return list(view.shares(model).values())


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
