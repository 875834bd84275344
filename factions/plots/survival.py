"""Faction survival of one ensemble: Kaplan–Meier curves, bands, censoring, history, at risk;
and beside it the cumulative incidence of each end cause (Aalen–Johansen)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

import numpy as np
from matplotlib.axes import Axes
from matplotlib.lines import Line2D

from factions.analysis import historical_eliminations
from factions.calendar import parse_month
from factions.plots.style import (
    NEUTRAL,
    faction_colours,
    months_since_start_axis,
    new_axes,
    plain,
    tidy,
)
from factions.results import Results
from factions.scenario import Scenario
from factions.survival import cumulative_incidence, kaplan_meier
from factions.tables import END_CAUSE_NAMES

__all__ = ["plot_end_causes", "plot_survival"]

#: Line style of each end cause on the cumulative-incidence panel.
CAUSE_STYLES = dict(zip(END_CAUSE_NAMES, ("-", "--", ":"), strict=True))


def _mark_historical(ax: Axes, scenario: Scenario, colours: dict[str, str]) -> bool:
    """Dashed verticals and a diamond at S = 0.5 at each historical elimination date."""
    dates = historical_eliminations(scenario)
    for fid, text in dates.items():
        x = parse_month(text) - scenario.start_month
        colour = colours.get(fid, NEUTRAL)
        ax.axvline(x, color=colour, linestyle=(0, (4, 3)), linewidth=1.0, alpha=0.8, zorder=1)
        ax.plot(
            [x],
            [0.5],
            marker="D",
            markersize=7,
            color=colour,
            markeredgecolor="black",
            markeredgewidth=0.8,
            linestyle="none",
            zorder=5,
        )
    return bool(dates)


def _at_risk_table(
    ax: Axes,
    durations: dict[str, np.ndarray],
    labels: dict[str, str],
    colours: dict[str, str],
    ticks: Sequence[float],
) -> None:
    """Below ``ax``: runs at risk (neither eliminated nor censored) at the end of each tick.

    Offsets are in points, so the table keeps its distance from the axis whatever the figure
    size; constrained layout and ``bbox_inches="tight"`` both make room for it.
    """
    text = partial(ax.annotate, textcoords="offset points", va="center", fontsize=8)
    top, gap, margin = 58, 11, -16  # points: clear of tick labels and the axis label
    corner = {"xy": (0, 0), "xycoords": "axes fraction", "ha": "right"}
    text("Runs at risk", xytext=(margin, -top + 13), fontweight="bold", **corner)
    for row, (fid, d) in enumerate(durations.items()):
        y = -top - gap * row
        text(labels[fid], xytext=(margin, y), color=colours[fid], **corner)
        for tick in ticks:
            text(
                str(int((d > tick).sum())),
                xy=(tick, 0),
                xycoords=ax.get_xaxis_transform(),
                xytext=(0, y),
                ha="center",
                color=colours[fid],
            )


def plot_survival(
    results: Results, ax: Axes | None = None, *, alpha: float = 0.05, at_risk: bool = True
) -> Axes:
    """Kaplan–Meier survival curve of each faction, with bands, censoring ticks and history.

    Curves carry ``1 - alpha`` confidence bands; ticks mark runs censored at the horizon;
    diamonds at one half mark the historical elimination dates (``elimination_window``
    patterns), to be read against each curve's median crossing. With ``at_risk``, the numbers
    of runs at risk are tabulated below the axis. Returns the axes.
    """
    ax = new_axes(ax, (8, 5.5))
    spec = results.scenario
    colours = faction_colours(spec)
    labels = {fid: plain(spec.faction_table(fid).label) for fid in spec.faction_ids}
    fitters = kaplan_meier(results, alpha=alpha)
    for fid, kmf in fitters.items():
        kmf.plot_survival_function(
            ax=ax,
            label=labels[fid],
            ci_show=True,
            ci_alpha=0.18,
            show_censors=True,
            color=colours[fid],
            linewidth=1.8,
            censor_styles={"marker": "|", "ms": 9, "mew": 1.4},
        )
    marked = _mark_historical(ax, spec, colours)
    ticks = months_since_start_axis(ax, spec, spec.n_months)
    ax.set_title(
        f"Faction survival — {plain(spec.name)} ({len(results.runs)} runs, Kaplan–Meier, "
        f"{1 - alpha:.0%} CI)",
        loc="left",
    )
    _survival_legend(ax, marked)
    tidy(ax)
    if at_risk:
        durations = {fid: kmf.durations for fid, kmf in fitters.items()}
        _at_risk_table(ax, durations, labels, colours, ticks)
    return ax


def _survival_legend(ax: Axes, marked: bool) -> None:
    handles, labels = ax.get_legend_handles_labels()
    keep = [(h, lbl) for h, lbl in zip(handles, labels, strict=True) if not lbl.startswith("_")]
    handles, labels = [h for h, _ in keep], [lbl for _, lbl in keep]
    handles.append(Line2D([], [], marker="|", color="0.3", linestyle="none", ms=9, mew=1.4))
    labels.append("censored at horizon")
    if marked:
        handles.append(
            Line2D(
                [],
                [],
                marker="D",
                color="white",
                markeredgecolor="black",
                linestyle=(0, (4, 3)),
                ms=7,
            )
        )
        labels.append("historical elimination")
    ax.legend(handles, labels, loc="lower left", frameon=False, fontsize=9)


def plot_end_causes(results: Results, ax: Axes | None = None, *, alpha: float = 0.05) -> Axes:
    """Cumulative incidence of each faction's end by cause (purged, exiled, absorbed), the
    Aalen–Johansen estimate of :func:`factions.survival.cumulative_incidence`: colour by faction,
    line style by cause; a cause that never ends the faction is not drawn. At each month a
    faction's curves add up to one minus its survival curve. Returns the axes."""
    ax = new_axes(ax, (6, 5.5))
    spec = results.scenario
    colours = faction_colours(spec)
    for fid in spec.faction_ids:
        table = cumulative_incidence(results, fid, alpha=alpha)
        for cause, rows in table.groupby("cause", sort=False):
            if rows["incidence"].max() > 0:
                ax.step(
                    rows["month"],
                    rows["incidence"],
                    where="post",
                    color=colours[fid],
                    linestyle=CAUSE_STYLES[cause],
                    linewidth=1.6,
                    label=f"{plain(spec.faction_table(fid).label)}: {cause}",
                )
    months_since_start_axis(ax, spec, spec.n_months)
    ax.set_ylabel("share of runs ended by the cause")
    ax.set_title("End causes (Aalen–Johansen)", loc="left")
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="upper left", frameon=False, fontsize=8)
    else:  # no faction ended in any run
        ax.text(0.5, 0.5, "no faction ended in any run", ha="center", transform=ax.transAxes)
    tidy(ax)
    return ax
