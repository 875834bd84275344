"""Seat and power shares of one ensemble over time: median and band of runs, per faction."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.ticker import PercentFormatter

from factions.analysis import SHARE_MEASURES, declared_seat_shares, share_quantiles
from factions.plots.style import NEUTRAL, after, date_axis, faction_colours, plain, tidy
from factions.results import Results

__all__ = ["plot_shares"]


def _through_end(rows: pd.DataFrame, end: pd.Timestamp) -> pd.DataFrame:
    """Repeat the last month's row at ``end`` so that post-steps cover the last month."""
    if rows.empty:
        return rows
    return pd.concat([rows, rows.iloc[[-1]].assign(date=end)], ignore_index=True)


def _plot_share(ax: Axes, results: Results, measure: str, colours: dict[str, str]) -> None:
    spec = results.scenario
    table = share_quantiles(results, measure)
    for fid in spec.faction_ids:
        rows = _through_end(table[table["faction"] == fid], after(spec.end))
        ax.fill_between(
            rows["date"],
            rows["low"],
            rows["high"],
            color=colours[fid],
            alpha=0.15,
            linewidth=0,
            step="post",
        )
        ax.step(
            rows["date"],
            rows["median"],
            where="post",
            color=colours[fid],
            linewidth=1.6,
            label=plain(spec.faction_table(fid).label),
        )
    ax.set_ylabel(SHARE_MEASURES[measure])
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_ylim(0, 1.02)
    tidy(ax)


def _plot_declared(ax: Axes, results: Results, colours: dict[str, str]) -> bool:
    declared = declared_seat_shares(results)
    for row in declared.itertuples():
        ax.errorbar(
            [row.date],
            [row.share],
            yerr=[row.tolerance],
            fmt="D",
            ms=6,
            capsize=3,
            color=colours.get(row.faction, NEUTRAL),
            markeredgecolor="black",
            markeredgewidth=0.8,
            ecolor="black",
            elinewidth=0.8,
            zorder=5,
        )
    return not declared.empty


def plot_shares(
    results: Results,
    ax: Axes | Sequence[Axes] | None = None,
    *,
    measures: Sequence[str] = ("seats", "power"),
) -> np.ndarray:
    """Seat share and power share of each faction over time: median and 10–90% band of runs.

    One panel per measure (``"seats"``, ``"power"``); ``ax`` is one axes per measure (a single
    axes when one measure is asked for), or None for a new figure. Seat shares declared by the
    scenario's ``congress_seats`` patterns are drawn as diamonds with their tolerance. Returns
    the axes as an array, one per measure.
    """
    spec = results.scenario
    axes = _share_axes(ax, len(measures))
    colours = faction_colours(spec)
    declared = False
    for panel, measure in zip(axes, measures, strict=True):
        _plot_share(panel, results, measure, colours)
        if measure == "seats":
            declared |= _plot_declared(panel, results, colours)
        date_axis(panel, spec)
    axes[-1].set_xlabel("Year")
    _shares_legend(axes[0], declared)
    axes[0].set_title(
        f"Seat and power shares — {plain(spec.name)} ({len(results.runs)} runs)", loc="left"
    )
    return axes


def _shares_legend(ax: Axes, declared: bool) -> None:
    handles, labels = ax.get_legend_handles_labels()
    handles.append(Line2D([], [], color="0.3", linewidth=1.6))
    labels.append("median of runs")
    handles.append(Line2D([], [], color="0.5", linewidth=7, alpha=0.3))
    labels.append("10–90% of runs")
    if declared:
        handles.append(
            Line2D([], [], marker="D", color="white", markeredgecolor="black", linestyle="none")
        )
        labels.append("historical (± tolerance)")
    ax.legend(
        handles, labels, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize=8
    )


def _share_axes(ax: Axes | Sequence[Axes] | None, n: int) -> np.ndarray:
    if ax is None:
        from matplotlib import pyplot as plt

        fig = plt.figure(figsize=(8, 3 * n), layout="constrained")
        return np.atleast_1d(fig.subplots(n, 1, sharex=True))
    axes = np.atleast_1d(np.asarray(ax, dtype=object))
    if len(axes) != n:
        raise ValueError(f"need {n} axes for {n} measures, got {len(axes)}")
    return axes
