"""Event timeline of one ensemble: a row per event kind, a lane per faction, history shaded.

Wars and the leader's absences are shaded from the scenario's events; each patron's presence,
as the model recorded it, is drawn in a row of its own below the events.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.colors import to_rgba
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from factions.analysis import TIMELINE_KINDS, event_frequency, patron_presence
from factions.calendar import format_month, parse_month
from factions.plots.style import (
    NEUTRAL,
    after,
    date_axis,
    faction_colours,
    month_start,
    new_axes,
    plain,
    tidy,
)
from factions.results import Results
from factions.scenario import Scenario

__all__ = ["plot_timeline"]

WAR_SHADE = "0.88"
ABSENCE_SHADE = "#F3D9B1"  # a light orange, apart from the grey of wars


def _shade_wars(ax: Axes, scenario: Scenario) -> bool:
    """Grey spans over wars, each labelled above the axes by its ``label`` (or ``war``)."""
    wars = [e for _, e in scenario.active_events() if e.kind == "war"]
    for event in wars:
        start, end = month_start(event.date), after(event.end)
        ax.axvspan(start, end, color=WAR_SHADE, zorder=0, linewidth=0)
        ax.text(
            start + (end - start) / 2,
            1.0,
            plain(event.label or event.kind),
            transform=ax.get_xaxis_transform(),
            ha="center",
            va="bottom",
            fontsize=8,
            color="0.35",
        )
    return bool(wars)


def _shade_absences(ax: Axes, scenario: Scenario) -> bool:
    """Spans over the months the leader is away (``leader_absence`` events); any drawn?"""
    absences = [e for _, e in scenario.active_events() if e.kind == "leader_absence"]
    for event in absences:
        last = format_month(parse_month(event.date) + event.months - 1)
        ax.axvspan(month_start(event.date), after(last), color=ABSENCE_SHADE, zorder=0, linewidth=0)
    return bool(absences)


def _plot_event_rows(
    ax: Axes, results: Results, kinds: Sequence[str], bin_months: int, colours: dict[str, str]
) -> None:
    """One row per kind, one thin lane per faction; area and opacity grow with frequency."""
    freq = event_frequency(results, kinds, bin_months)
    lanes = list(results.scenario.faction_ids)
    if freq["faction"].isna().any():
        lanes.append(None)
    height = 0.8 / len(lanes)
    for row, kind in enumerate(kinds):
        mine = freq[freq["kind"] == kind]
        for lane, fid in enumerate(lanes):
            cell = mine[mine["faction"].isna()] if fid is None else mine[mine["faction"] == fid]
            if cell.empty:
                continue
            y = row - 0.4 + height * (lane + 0.5)
            rgba = _alpha_colours(colours.get(fid, NEUTRAL), cell["share"].to_numpy())
            ax.scatter(
                cell["date"],
                np.full(len(cell), y),
                s=_dot_area(cell["share"].to_numpy()),
                c=rgba,
                edgecolors="none",
                zorder=3,
            )


def _dot_area(share: np.ndarray | float) -> np.ndarray | float:
    """Marker area (points²) for a share of runs: proportional, with a visible minimum."""
    return 6 + 110 * np.clip(share, 0.0, 1.0)


def _dot_alpha(share: np.ndarray | float) -> np.ndarray | float:
    return 0.3 + 0.7 * np.clip(share, 0.0, 1.0)


def _alpha_colours(colour: str, share: np.ndarray) -> np.ndarray:
    rgba = np.tile(np.array(to_rgba(colour)), (len(share), 1))
    rgba[:, 3] = _dot_alpha(share)
    return rgba


def _plot_presence_rows(
    ax: Axes, presence: pd.DataFrame, scenario: Scenario, first_row: int
) -> list[str]:
    """Patron presence as small filled profiles (height = presence) in rows of their own."""
    dates = presence.index.append(pd.DatetimeIndex([after(scenario.end)]))
    for i, pid in enumerate(presence.columns):
        base = first_row + i + 0.4
        values = np.append(presence[pid].to_numpy(), presence[pid].iloc[-1])
        ax.fill_between(
            dates,
            base,
            base - 0.8 * values,
            step="post",
            color="0.45",
            alpha=0.45,
            linewidth=0.8,
            edgecolor="0.3",
        )
        ax.axhline(base, color="0.8", linewidth=0.6, zorder=0)
    return [f"{plain(scenario.patrons[p].label)} presence" for p in presence.columns]


def plot_timeline(
    results: Results,
    ax: Axes | None = None,
    *,
    kinds: Sequence[str] = TIMELINE_KINDS,
    bin_months: int = 3,
    presence: bool = True,
) -> Axes:
    """Event timeline: a row per event kind, a lane per faction, wars shaded, patrons below.

    Each dot is a bin of ``bin_months`` months; its area and opacity grow with the share of runs
    in which that faction had at least one event of that kind in the bin (rehabilitations count
    for the faction the cadre came from: :func:`factions.analysis.event_frequency`). Wars are
    shaded grey and labelled by their event's ``label``; the leader's absences are shaded
    orange. With ``presence``, each patron's recorded presence (0 to 1) is drawn as a small
    profile in a row of its own. Returns the axes.
    """
    spec = results.scenario
    profiles = patron_presence(results) if presence else pd.DataFrame()
    ax = new_axes(ax, (9, 0.45 * (len(kinds) + len(profiles.columns)) + 1.8))
    colours = faction_colours(spec)
    shaded = {"war": _shade_wars(ax, spec), "leader absent": _shade_absences(ax, spec)}
    _plot_event_rows(ax, results, kinds, bin_months, colours)
    labels = [k.replace("_", " ") for k in kinds]
    if len(profiles.columns):
        labels += _plot_presence_rows(ax, profiles, spec, len(kinds))
        ax.axhline(len(kinds) - 0.5, color="0.5", linewidth=0.8)
    ax.set_yticks(range(len(labels)), labels)
    ax.set_ylim(len(labels) - 0.5, -0.5)
    ax.tick_params(axis="y", length=0)
    date_axis(ax, spec)
    ax.set_xlabel("Year")
    ax.grid(axis="x", color="0.9", linewidth=0.6)
    ax.set_title(
        f"Events — {plain(spec.name)} ({len(results.runs)} runs; dot area and opacity: "
        f"share of runs, per {bin_months} months)",
        loc="left",
        pad=14,
    )
    _timeline_legend(ax, spec, colours, shaded)
    tidy(ax)
    return ax


def _timeline_legend(
    ax: Axes, scenario: Scenario, colours: dict[str, str], shaded: dict[str, bool]
) -> None:
    handles: list = [
        Line2D([], [], marker="o", linestyle="none", color=colours[f], ms=7)
        for f in scenario.faction_ids
    ]
    labels = [plain(scenario.faction_table(f).label) for f in scenario.faction_ids]
    for share in (0.1, 0.5, 1.0):
        size = np.sqrt(_dot_area(share))
        handles.append(
            Line2D(
                [],
                [],
                marker="o",
                linestyle="none",
                color="0.3",
                ms=size,
                alpha=_dot_alpha(share),
            )
        )
        labels.append(f"{share:.0%} of runs")
    for label, colour in (("war", WAR_SHADE), ("leader absent", ABSENCE_SHADE)):
        if shaded[label]:
            handles.append(Patch(color=colour))
            labels.append(label)
    ax.legend(
        handles, labels, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize=8
    )
