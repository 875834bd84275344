"""Figures of an ensemble: faction survival, seat and power shares, and the event timeline.

Every plotting function takes a :class:`~factions.results.Results` and an optional matplotlib
axes, draws on it and returns it, in the style of lifelines. Each faction keeps one colour across
figures, taken from the Okabe–Ito palette (Okabe & Ito 2008; safe for the common forms of colour
blindness) in the scenario's faction order. Time axes show calendar dates, not step numbers.

:func:`write_default_figures` builds figures on :class:`matplotlib.figure.Figure` objects directly
(the Agg canvas, no screen, no pyplot state), so it is safe in scripts, servers and workers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import partial
from pathlib import Path

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FixedLocator, FuncFormatter, PercentFormatter

from factions.calendar import format_month, month_timestamps, parse_month
from factions.errors import ExperimentError
from factions.polity import ramp_value
from factions.results import Results
from factions.scenario import Scenario
from factions.survival import kaplan_meier

#: Okabe–Ito colours, most distinct first (yellow, hard to see on white, comes late).
OKABE_ITO = (
    "#0072B2",  # blue
    "#D55E00",  # vermillion
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#E69F00",  # orange
    "#56B4E9",  # sky blue
    "#000000",  # black
    "#F0E442",  # yellow
)
#: Colours for factions past the eighth (tab10 without its red/green pair).
EXTRA_COLOURS = ("#8c564b", "#7f7f7f", "#bcbd22", "#17becf", "#9467bd", "#1f77b4")
NEUTRAL = "#666666"

#: Event kinds shown by :func:`plot_timeline`, top to bottom.
TIMELINE_KINDS = (
    "purge_campaign",
    "show_trial",
    "challenge",
    "challenge_failed",
    "challenge_success",
    "intervention",
    "rehabilitation",
    "elimination",
)
FORMATS = ("png", "svg", "pdf")
DPI = 150


# --------------------------------------------------------------------------- shared helpers


def faction_colours(scenario: Scenario) -> dict[str, str]:
    """One colour per faction, assigned in the scenario's faction order."""
    palette = OKABE_ITO + EXTRA_COLOURS
    return {fid: palette[i % len(palette)] for i, fid in enumerate(scenario.faction_ids)}


def _new_axes(ax: Axes | None, figsize: tuple[float, float]) -> Axes:
    """The given axes, or one on a new pyplot figure (for interactive use)."""
    if ax is not None:
        return ax
    from matplotlib import pyplot as plt

    return plt.subplots(figsize=figsize, layout="constrained")[1]


def _year_step(first: int, last: int) -> int:
    """Years between labelled ticks, so that about eight labels fit."""
    span = max(1, last - first)
    return next(step for step in (1, 2, 5, 10, 20, 50, 100) if span / step <= 9)


def _year_ticks(scenario: Scenario) -> list[int]:
    """Month indices of 1 January of the labelled years within the scenario."""
    first = (scenario.start_month + 11) // 12
    last = scenario.end_month // 12
    step = _year_step(first, last)
    first_label = -(-first // step) * step
    return [year * 12 for year in range(first_label, last + 1, step)]


def _date_axis(ax: Axes, scenario: Scenario) -> None:
    """Year labels on a datetime x-axis spanning the scenario, as on the survival plot."""
    step = _year_step((scenario.start_month + 11) // 12, scenario.end_month // 12)
    ax.xaxis.set_major_locator(mdates.YearLocator(base=step, month=1, day=1))
    if step > 1:
        minor = 1 if step <= 5 else step // 2
        ax.xaxis.set_minor_locator(mdates.YearLocator(base=minor, month=1, day=1))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
    ax.set_xlim(_month_start(scenario.start), _after(scenario.end))


def _tidy(ax: Axes) -> None:
    ax.spines[["top", "right"]].set_visible(False)


def _month_start(text: str) -> pd.Timestamp:
    return month_timestamps(np.array([parse_month(text)]))[0]


def _after(text: str) -> pd.Timestamp:
    """First day of the month after ``text`` (inclusive month ends on date axes)."""
    return month_timestamps(np.array([parse_month(text) + 1]))[0]


# --------------------------------------------------------------------------- survival


def historical_eliminations(scenario: Scenario) -> dict[str, str]:
    """Historical elimination month of each faction, from ``elimination_window`` patterns."""
    return {
        p.faction: p.historical
        for p in scenario.patterns
        if p.kind == "elimination_window" and getattr(p, "historical", None)
    }


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
    of runs at risk are tabulated below the axis.
    """
    ax = _new_axes(ax, (8, 5.5))
    spec = results.scenario
    colours = faction_colours(spec)
    fitters = kaplan_meier(results, alpha=alpha)
    for fid, kmf in fitters.items():
        kmf.plot_survival_function(
            ax=ax,
            ci_show=True,
            ci_alpha=0.18,
            show_censors=True,
            color=colours[fid],
            linewidth=1.8,
            censor_styles={"marker": "|", "ms": 9, "mew": 1.4},
        )
    ax.axhline(0.5, color="0.6", linewidth=0.8, linestyle=":", zorder=0)
    marked = _mark_historical(ax, spec, colours)
    ticks = [m - spec.start_month for m in _year_ticks(spec)]
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.xaxis.set_major_formatter(
        FuncFormatter(lambda x, _: format_month(spec.start_month + int(x))[:4])
    )
    ax.set_xlim(0, spec.n_months + 2)  # room for the censoring ticks at the horizon
    ax.set_ylim(-0.02, 1.04)
    ax.set_xlabel("Year")
    ax.set_ylabel("Share of runs in which the faction still stands")
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_title(
        f"Faction survival — {spec.name} ({len(results.runs)} runs, Kaplan–Meier, "
        f"{1 - alpha:.0%} CI)",
        loc="left",
    )
    _survival_legend(ax, marked)
    _tidy(ax)
    if at_risk:
        durations = {fid: kmf.durations for fid, kmf in fitters.items()}
        labels = {fid: spec.factions[fid].label for fid in fitters}
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


# --------------------------------------------------------------------------- shares

SHARE_MEASURES = {"seats": "Central-committee seat share", "power": "Power share"}


def share_quantiles(
    results: Results, measure: str, band: tuple[float, float] = (0.1, 0.9)
) -> pd.DataFrame:
    """A faction's share by date across runs: columns date, faction, low, median, high.

    ``measure`` is ``"seats"`` (share of the central committee's seats in that run and month)
    or ``"power"`` (the model's power share); ``low`` and ``high`` are the ``band`` quantiles.
    """
    t = results.timeseries
    if measure == "seats":
        total = t.groupby(["run_id", "date"])["seats"].transform("sum")
        share = t["seats"] / total.where(total > 0)
    elif measure == "power":
        share = t["power_share"]
    else:
        raise ValueError(f"measure must be one of {', '.join(SHARE_MEASURES)}, got {measure!r}")
    grouped = t[["date", "faction"]].assign(share=share).groupby(["date", "faction"])["share"]
    table = grouped.quantile([band[0], 0.5, band[1]]).unstack()
    table.columns = ["low", "median", "high"]
    return table.reset_index()


def declared_seat_shares(results: Results) -> pd.DataFrame:
    """Seat shares declared by ``congress_seats`` patterns, with their tolerance as a share.

    The denominator is the congress's seat count from the scenario's congress event of that
    month, or else the median total of seats simulated in that month.
    """
    spec = results.scenario
    sizes = {parse_month(e.date): e.seats for e in spec.events.values() if e.kind == "congress"}
    rows = []
    for p in spec.patterns:
        if p.kind != "congress_seats":
            continue
        month = parse_month(p.date)
        total = sizes.get(month) or _median_total_seats(results, month)
        if total:
            rows.append(
                {
                    "date": _month_start(p.date),
                    "faction": p.faction,
                    "share": p.seats / total,
                    "tolerance": p.tolerance / total,
                }
            )
    return pd.DataFrame(rows, columns=["date", "faction", "share", "tolerance"])


def _median_total_seats(results: Results, month: int) -> float:
    t = results.timeseries
    at = t[t["date"] == month_timestamps(np.array([month]))[0]]
    return float(at.groupby("run_id")["seats"].sum().median()) if len(at) else 0.0


def _plot_share(ax: Axes, results: Results, measure: str, colours: dict[str, str]) -> None:
    spec = results.scenario
    table = share_quantiles(results, measure)
    for fid in spec.faction_ids:
        rows = _through_end(table[table["faction"] == fid], _after(spec.end))
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
            label=spec.factions[fid].label,
        )
    ax.set_ylabel(SHARE_MEASURES[measure])
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_ylim(0, 1.02)
    _tidy(ax)


def _through_end(rows: pd.DataFrame, end: pd.Timestamp) -> pd.DataFrame:
    """Repeat the last month's row at ``end`` so that post-steps cover the last month."""
    if rows.empty:
        return rows
    return pd.concat([rows, rows.iloc[[-1]].assign(date=end)], ignore_index=True)


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
        _date_axis(panel, spec)
    axes[-1].set_xlabel("Year")
    _shares_legend(axes[0], declared)
    axes[0].set_title(f"Seat and power shares — {spec.name} ({len(results.runs)} runs)", loc="left")
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


# --------------------------------------------------------------------------- timeline


def event_frequency(
    results: Results, kinds: Iterable[str] = TIMELINE_KINDS, bin_months: int = 3
) -> pd.DataFrame:
    """Share of runs with at least one event of each kind and faction, per bin of months.

    Columns: kind, faction (None for events not tied to a faction), date (the bin's first
    month), share.
    """
    spec = results.scenario
    e = results.events[results.events["kind"].isin(list(kinds))]
    months = e["date"].dt.year * 12 + e["date"].dt.month - 1
    first = spec.start_month + (months - spec.start_month) // bin_months * bin_months
    frame = e[["run_id", "kind"]].assign(faction=e["faction"].fillna("-"), bin=first)
    runs = frame.groupby(["kind", "faction", "bin"])["run_id"].nunique()
    share = (runs / max(len(results.runs), 1)).rename("share").reset_index()
    middle = np.timedelta64(15 * bin_months, "D")  # dots at the middle of their bin
    share["date"] = month_timestamps(share.pop("bin").to_numpy()) + middle
    share["faction"] = share["faction"].where(share["faction"] != "-", None)
    return share[["kind", "faction", "date", "share"]]


def patron_presence(scenario: Scenario) -> pd.DataFrame:
    """Each patron's presence month by month, replaying its ``patron_presence`` ramps.

    Mirrors :func:`factions.mechanisms.patrons.update_presence`: from the event's month, presence
    moves linearly from its current value to ``level`` over ``over_months`` months.
    """
    months = np.arange(scenario.start_month, scenario.end_month + 1)
    columns = {}
    for pid, patron in scenario.patrons.items():
        ramps = [
            e
            for _, e in scenario.active_events()
            if e.kind == "patron_presence" and e.patron == pid
        ]
        columns[pid] = _replay_ramps(months, patron.presence, ramps)
    return pd.DataFrame(columns, index=month_timestamps(months))


def _replay_ramps(months: np.ndarray, initial: float, ramps: list) -> np.ndarray:
    by_month = {parse_month(e.date): e for e in ramps}
    value, ramp, out = initial, None, np.empty(len(months))
    for i, month in enumerate(months):
        if month in by_month:
            e = by_month[month]
            ramp = (value, month, e.level, e.over_months)
        if ramp is not None:
            value, done = ramp_value(*ramp, month)
            ramp = None if done else ramp
        out[i] = value
    return out


def _shade_wars(ax: Axes, scenario: Scenario) -> None:
    for key, event in scenario.active_events():
        if event.kind != "war":
            continue
        start, end = _month_start(event.date), _after(event.end)
        ax.axvspan(start, end, color="0.88", zorder=0, linewidth=0)
        label = event.note or key.replace("_", " ")
        ax.text(
            start + (end - start) / 2,
            1.0,
            label,
            transform=ax.get_xaxis_transform(),
            ha="center",
            va="bottom",
            fontsize=8,
            color="0.35",
        )


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
    from matplotlib.colors import to_rgba

    rgba = np.tile(np.array(to_rgba(colour)), (len(share), 1))
    rgba[:, 3] = _dot_alpha(share)
    return rgba


def _plot_presence_rows(ax: Axes, scenario: Scenario, first_row: int) -> list[str]:
    """Patron presence as small filled profiles (height = presence) in rows of their own."""
    presence = patron_presence(scenario)
    dates = presence.index.append(pd.DatetimeIndex([_after(scenario.end)]))
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
    return [f"{scenario.patrons[p].label} presence" for p in presence.columns]


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
    in which that faction had at least one event of that kind in the bin. Wars (events of kind
    ``war``) are shaded from start to end; with ``presence``, each patron's presence over time
    (0 to 1) is drawn as a small profile in a row of its own.
    """
    spec = results.scenario
    ax = _new_axes(ax, (9, 0.45 * (len(kinds) + len(spec.patrons)) + 1.8))
    colours = faction_colours(spec)
    _shade_wars(ax, spec)
    _plot_event_rows(ax, results, kinds, bin_months, colours)
    labels = [k.replace("_", " ") for k in kinds]
    if presence and spec.patrons:
        labels += _plot_presence_rows(ax, spec, len(kinds))
        ax.axhline(len(kinds) - 0.5, color="0.5", linewidth=0.8)
    ax.set_yticks(range(len(labels)), labels)
    ax.set_ylim(len(labels) - 0.5, -0.5)
    ax.tick_params(axis="y", length=0)
    _date_axis(ax, spec)
    ax.set_xlabel("Year")
    ax.grid(axis="x", color="0.9", linewidth=0.6)
    ax.set_title(
        f"Events — {spec.name} ({len(results.runs)} runs; dot area and opacity: "
        f"share of runs, per {bin_months} months)",
        loc="left",
        pad=14,
    )
    _timeline_legend(ax, spec, colours)
    _tidy(ax)
    return ax


def _timeline_legend(ax: Axes, scenario: Scenario, colours: dict[str, str]) -> None:
    handles = [
        Line2D([], [], marker="o", linestyle="none", color=colours[f], ms=7)
        for f in scenario.faction_ids
    ]
    labels = [scenario.factions[f].label for f in scenario.faction_ids]
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
    ax.legend(
        handles, labels, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize=8
    )


# --------------------------------------------------------------------------- files


def _survival_figure(results: Results, fig: Figure) -> None:
    plot_survival(results, fig.subplots())


def _shares_figure(results: Results, fig: Figure) -> None:
    plot_shares(results, fig.subplots(2, 1, sharex=True))


def _timeline_figure(results: Results, fig: Figure) -> None:
    plot_timeline(results, fig.subplots())


#: Figure kinds: how to draw each on a new figure, and the figure's size in inches.
FIGURES: dict[str, tuple[Callable[[Results, Figure], None], tuple[float, float]]] = {
    "survival": (_survival_figure, (8.0, 6.0)),
    "shares": (_shares_figure, (8.0, 6.5)),
    "timeline": (_timeline_figure, (10.0, 5.0)),
}


#: Figure kinds of ``factions plot`` drawn by re-running a replicate, not from the tables.
RERUN_FIGURES = ("network",)
#: ... from two results folders (a baseline and a counterfactual).
COMPARISON_FIGURES = ("counterfactual",)
#: ... from a sweep folder.
SWEEP_FIGURES = ("heatmap", "sensitivity")


def make_figure(results: Results, kind: str) -> Figure:
    """A new figure of ``kind`` (one of :data:`FIGURES`), not registered with pyplot."""
    if kind not in FIGURES:
        raise ExperimentError(f"unknown figure {kind!r} (choose from {', '.join(FIGURES)})")
    draw, size = FIGURES[kind]
    fig = Figure(figsize=size, layout="constrained")
    draw(results, fig)
    return fig


def _format_of(path: Path) -> str:
    fmt = path.suffix.lstrip(".").lower()
    if fmt not in FORMATS:
        raise ExperimentError(
            f"cannot write {path.name!r}: the file name must end in .{', .'.join(FORMATS)}"
        )
    return fmt


def _write(fig: Figure, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format=_format_of(path), dpi=DPI)
    return path


def save_drawing(draw: Callable[[Axes], object], path: str | Path, figsize=(8.0, 5.5)) -> Path:
    """Call ``draw(ax)`` on a new one-panel figure and write it to ``path`` (format by suffix)."""
    path = Path(path)
    _format_of(path)  # refuse a bad suffix before drawing
    fig = Figure(figsize=figsize, layout="constrained")
    draw(fig.add_subplot())
    return _write(fig, path)


def save_figure(results: Results, kind: str, path: str | Path) -> Path:
    """Draw figure ``kind`` and write it to ``path``; the format follows the suffix."""
    path = Path(path)
    _format_of(path)  # refuse a bad suffix before drawing
    return _write(make_figure(results, kind), path)


def write_default_figures(
    results: Results, folder: str | Path, formats: Sequence[str] = ("png",)
) -> list[Path]:
    """Write the survival, shares and timeline figures to ``folder``, in each of ``formats``.

    Returns the written paths, figure by figure and format by format.
    """
    folder = Path(folder)
    paths = [folder / f"{kind}.{fmt}" for kind in FIGURES for fmt in formats]
    for path in paths:
        _format_of(path)
    written = []
    for kind in FIGURES:
        fig = make_figure(results, kind)
        written += [_write(fig, folder / f"{kind}.{fmt}") for fmt in formats]
    return written


# --------------------------------------------------------------------------- sweeps

SURVIVAL_PREFIX = "survival_"
MEDIAN_PREFIX = "median_elimination_"


def _short_parameter(path: str) -> str:
    """A parameter's dotted path without the ``mechanisms.`` prefix, for tick labels."""
    return path.removeprefix("mechanisms.")


def _output_label(output: str) -> str:
    """Readable name of a sweep output column (``survival_yanan_1956-12`` and the like)."""
    if output.startswith(SURVIVAL_PREFIX):
        faction, _, date = output.removeprefix(SURVIVAL_PREFIX).rpartition("_")
        return f"P({faction} still stands at the end of {date})"
    if output.startswith(MEDIAN_PREFIX):
        return f"Median elimination of {output.removeprefix(MEDIAN_PREFIX)} (months from start)"
    return output


def _outputs_table(sweep_results) -> pd.DataFrame:
    return sweep_results if isinstance(sweep_results, pd.DataFrame) else sweep_results.outputs()


def _level_text(value) -> str:
    return f"{value:g}" if isinstance(value, float | int | np.number) else str(value)


def plot_sweep_heatmap(sweep_results, x: str, y: str, output: str, ax: Axes | None = None) -> Axes:
    """Heatmap of one sweep ``output`` over two swept parameters ``x`` and ``y`` (a grid).

    ``sweep_results`` is a :class:`~factions.experiment.SweepResults` or its ``outputs()``
    table (one row per design point). Points sharing ``x`` and ``y`` (other parameters varied
    too) are averaged. Each cell is annotated with its value; probabilities (``survival_*``
    outputs) use a fixed 0–1 colour scale.
    """
    table = _outputs_table(sweep_results)
    missing = [c for c in (x, y, output) if c not in table.columns]
    if missing:
        raise ValueError(
            f"no column {', '.join(map(repr, missing))} in the sweep outputs "
            f"(columns: {', '.join(map(str, table.columns))})"
        )
    grid = table.pivot_table(index=y, columns=x, values=output, aggfunc="mean").sort_index()
    grid = grid.sort_index(axis=1)
    ax = _new_axes(ax, (6.5, 5.0))
    probability = output.startswith(SURVIVAL_PREFIX)
    limits = {"vmin": 0.0, "vmax": 1.0} if probability else {}
    image = ax.imshow(
        grid.to_numpy(dtype=float), origin="lower", aspect="auto", cmap="viridis", **limits
    )
    low, high = image.get_clim()
    for (row, col), value in np.ndenumerate(grid.to_numpy(dtype=float)):
        if np.isnan(value):
            continue
        light = (value - low) / ((high - low) or 1.0) < 0.6  # dark viridis cells: white text
        ax.text(
            col,
            row,
            f"{value:.0%}" if probability else f"{value:.0f}",
            ha="center",
            va="center",
            fontsize=9,
            color="white" if light else "black",
        )
    ax.set_xticks(range(grid.shape[1]), [_level_text(v) for v in grid.columns])
    ax.set_yticks(range(grid.shape[0]), [_level_text(v) for v in grid.index])
    ax.set_xlabel(_short_parameter(x))
    ax.set_ylabel(_short_parameter(y))
    bar = ax.figure.colorbar(image, ax=ax, shrink=0.9)
    bar.set_label(_output_label(output), fontsize=9)
    if probability:
        bar.formatter = PercentFormatter(1.0)
        bar.update_ticks()
    runs = f", {int(table['runs'].median())} runs per point" if "runs" in table else ""
    ax.set_title(f"{_output_label(output)}{runs}", loc="left", fontsize=10)
    return ax


def _one_output(indices: pd.DataFrame, output: str | None) -> tuple[pd.DataFrame, str | None]:
    if "output" not in indices.columns:
        return indices, output
    outputs = list(dict.fromkeys(indices["output"]))
    if output is None:
        if not outputs:
            raise ValueError("the sensitivity table is empty")
        output = outputs[0]
    elif output not in outputs:
        raise ValueError(f"no output {output!r} in the table (outputs: {', '.join(outputs)})")
    return indices[indices["output"] == output], output


def plot_sensitivity(
    indices: pd.DataFrame, ax: Axes | None = None, *, output: str | None = None
) -> Axes:
    """Sensitivity indices of one output: Sobol bars, or a Morris mu*–sigma scatter.

    With columns ``S1``, ``ST`` (and ``S1_conf``, ``ST_conf``), draws grouped horizontal bars
    per parameter, first-order and total, with their confidence intervals, largest ``ST`` on
    top. With ``mu_star`` and ``sigma``, draws Morris's mu* (influence) against sigma
    (interactions and non-linearity), each point labelled with its parameter. ``output``
    picks one output of a table holding several (default: the first).
    """
    rows, output = _one_output(indices, output)
    if {"S1", "ST"} <= set(rows.columns):
        ax = _new_axes(ax, (7.0, 0.45 * len(rows) + 1.6))
        _sobol_bars(ax, rows)
        kind = "Sobol indices"
    elif {"mu_star", "sigma"} <= set(rows.columns):
        ax = _new_axes(ax, (6.5, 5.0))
        _morris_scatter(ax, rows)
        kind = "Morris screening"
    else:
        raise ValueError(
            "need Sobol (S1, ST) or Morris (mu_star, sigma) columns, got "
            + ", ".join(map(str, indices.columns))
        )
    title = kind if output is None else f"{kind} — {_output_label(output)}"
    ax.set_title(title, loc="left", fontsize=10)
    _tidy(ax)
    return ax


def _sobol_bars(ax: Axes, rows: pd.DataFrame) -> None:
    rows = rows.dropna(subset=["S1", "ST"]).sort_values("ST")
    if rows.empty:
        raise ValueError("no Sobol indices to draw (the output is constant over the design)")
    y = np.arange(len(rows))
    height = 0.38
    for offset, column, colour, label in (
        (height / 2, "ST", OKABE_ITO[1], "total (ST)"),
        (-height / 2, "S1", OKABE_ITO[0], "first order (S1)"),
    ):
        conf = rows.get(f"{column}_conf")
        ax.barh(
            y + offset,
            rows[column],
            height=height,
            xerr=None if conf is None else conf.fillna(0.0).to_numpy(),
            color=colour,
            ecolor="0.2",
            capsize=2,
            label=label,
        )
    ax.set_yticks(y, [_short_parameter(p) for p in rows["parameter"]])
    ax.axvline(0, color="0.3", linewidth=0.8)
    ax.set_xlabel("Share of output variance (bars: 95% CI)")
    ax.grid(axis="x", color="0.9", linewidth=0.6)
    ax.set_axisbelow(True)
    handles, labels = ax.get_legend_handles_labels()
    ax.legend(handles[::-1], labels[::-1], loc="lower right", frameon=False, fontsize=9)


def _morris_scatter(ax: Axes, rows: pd.DataFrame) -> None:
    rows = rows.dropna(subset=["mu_star", "sigma"])
    if rows.empty:
        raise ValueError("no Morris indices to draw (the output is constant over the design)")
    conf = rows.get("mu_star_conf")
    ax.errorbar(
        rows["mu_star"],
        rows["sigma"],
        xerr=None if conf is None else conf.fillna(0.0).to_numpy(),
        fmt="o",
        color=OKABE_ITO[0],
        ecolor="0.6",
        capsize=2,
        ms=6,
    )
    # labels alternately above and below their points (in order of mu*), so that neighbours
    # with close values do not print over each other
    for i, row in enumerate(rows.sort_values("mu_star").itertuples()):
        ax.annotate(
            _short_parameter(row.parameter),
            (row.mu_star, row.sigma),
            xytext=(5, 4 if i % 2 else -5),
            textcoords="offset points",
            va="bottom" if i % 2 else "top",
            fontsize=8,
        )
    top = float(max(rows["mu_star"].max(), rows["sigma"].max()) or 1.0) * 1.15
    ax.plot([0, top], [0, top], color="0.6", linestyle=":", linewidth=0.9, label="σ = μ*")
    ax.set_xlim(0, top * 1.25)  # room for the labels on the right
    ax.set_ylim(0, top)
    ax.set_xlabel("μ* (mean absolute elementary effect: influence; bars: 95% CI)")
    ax.set_ylabel("σ (interactions, non-linearity)")
    ax.legend(loc="upper left", frameon=False, fontsize=9)


# --------------------------------------------------------------------------- network filmstrip

#: Statuses of cadres out of office (drawn faded); pending cadres are not yet in the party.
PURGED = ("arrested", "executed", "exiled", "demoted")


def _snapshot_months(spec: Scenario, years: Sequence[int] | None) -> list[tuple[int, str]]:
    """(month, title) of each panel: the state at the start of that month."""
    first, last = spec.start_month // 12, spec.end_month // 12
    if years is None:
        panels = [(spec.start_month, f"{spec.start} (start)")]
        panels += [(year * 12, f"Jan {year}") for year in range(first + 1, last + 1)]
        return [*panels, (spec.end_month + 1, f"{spec.end} (end)")]
    bad = [y for y in years if not first <= y <= last + 1]
    if bad:
        raise ValueError(
            f"years outside the scenario ({spec.start} to {spec.end}): " + ", ".join(map(str, bad))
        )
    return [
        (
            max(year * 12, spec.start_month),
            f"Jan {year}" if year * 12 > spec.start_month else f"{spec.start} (start)",
        )
        for year in sorted(set(years))
    ]


def network_snapshots(
    spec: Scenario | str, seed: int, years: Sequence[int] | None = None, replicate: int = 0
) -> list[tuple[str, object]]:
    """Run replicate ``replicate`` of root ``seed`` and copy its network at each snapshot.

    Each snapshot is the state at the start of 1 January of a year in ``years`` (default: the
    start, every following year, and the end of the run). The replicate draws the same random
    stream as in :func:`factions.ensemble.run_ensemble` with the same root seed.
    """
    from factions.model import FactionModel
    from factions.scenario import load_scenario
    from factions.seeds import replicate_seed

    spec = load_scenario(spec) if isinstance(spec, str) else spec
    model = FactionModel(spec, rng=replicate_seed(seed, replicate))
    snapshots = []
    for month, title in _snapshot_months(spec, years):
        while model.running and model.month < month:
            model.step()
        snapshots.append((title, model.network()))
    return snapshots


def plot_network_filmstrip(
    spec: Scenario | str,
    seed: int,
    years: Sequence[int] | None = None,
    fig: Figure | None = None,
    *,
    replicate: int = 0,
    columns: int | None = None,
) -> Figure:
    """Small multiples of one run's patronage network, once a year (or at ``years``).

    Runs replicate ``replicate`` of root ``seed`` (the same run as in an ensemble with that
    seed). Node positions come from one spring layout of the initial network, fixed across
    panels, so a panel differs from the next only by who has fallen. Nodes take their faction's
    colour; cadres purged (arrested, executed, exiled, demoted) are faded, cadres not yet in
    the party (arriving with a merger) are not drawn. Returns the figure.
    """
    import networkx as nx
    from matplotlib.collections import LineCollection
    from matplotlib.colors import to_rgba

    from factions.scenario import load_scenario

    spec = load_scenario(spec) if isinstance(spec, str) else spec
    snapshots = network_snapshots(spec, seed, years, replicate)
    n = len(snapshots)
    columns = columns or min(n, 4)
    rows = -(-n // columns)
    if fig is None:
        from matplotlib import pyplot as plt

        fig = plt.figure(figsize=(3.0 * columns, 3.0 * rows + 0.8), layout="constrained")
    first = snapshots[0][1]
    pos = nx.spring_layout(first, seed=seed, iterations=60)
    nodes = list(first.nodes)
    xy = np.array([pos[v] for v in nodes])
    index = {v: i for i, v in enumerate(nodes)}
    colours = faction_colours(spec)
    axes = np.atleast_1d(fig.subplots(rows, columns)).ravel()
    for ax, (title, graph) in zip(axes, snapshots, strict=False):
        status = np.array([graph.nodes[v]["status"] for v in nodes])
        shown = status != "pending"
        faded = np.isin(status, PURGED)
        rgba = np.array([to_rgba(colours.get(graph.nodes[v]["faction"], NEUTRAL)) for v in nodes])
        rgba[:, 3] = np.where(faded, 0.15, 0.95)
        edges = [
            (xy[index[a]], xy[index[b]])
            for a, b in graph.edges
            if shown[index[a]] and shown[index[b]]
        ]
        alive_edges = [
            not (faded[index[a]] or faded[index[b]])
            for a, b in graph.edges
            if shown[index[a]] and shown[index[b]]
        ]
        edge_alpha = np.where(alive_edges, 0.25, 0.06) if edges else []
        ax.add_collection(
            LineCollection(
                edges,
                colors=[(0.5, 0.5, 0.5, a) for a in edge_alpha],
                linewidths=0.4,
                zorder=1,
            )
        )
        ax.scatter(xy[shown, 0], xy[shown, 1], s=9, c=rgba[shown], edgecolors="none", zorder=2)
        in_office = int((shown & ~faded).sum())
        ax.set_title(f"{title}\n{in_office} in office", fontsize=9)
        ax.set_xlim(xy[:, 0].min() - 0.05, xy[:, 0].max() + 0.05)
        ax.set_ylim(xy[:, 1].min() - 0.05, xy[:, 1].max() + 0.05)
        ax.set_aspect("equal")
        ax.set_axis_off()
    for ax in axes[n:]:
        ax.set_axis_off()
    handles = [
        Line2D([], [], marker="o", linestyle="none", color=colours[f], ms=6)
        for f in spec.faction_ids
    ]
    labels = [spec.factions[f].label for f in spec.faction_ids]
    handles.append(Line2D([], [], marker="o", linestyle="none", color="0.3", alpha=0.2, ms=6))
    labels.append("purged (arrested, executed, exiled, demoted)")
    fig.legend(
        handles, labels, loc="outside lower center", ncols=len(handles), frameon=False, fontsize=8
    )
    fig.suptitle(
        f"Patronage network — {spec.name}, one run (seed {seed}, replicate {replicate})",
        fontsize=11,
    )
    return fig


def save_network_figure(
    spec: Scenario | str,
    seed: int,
    path: str | Path,
    years: Sequence[int] | None = None,
    *,
    replicate: int = 0,
) -> Path:
    """Draw :func:`plot_network_filmstrip` on a new figure sized to its panels; write it."""
    from factions.scenario import load_scenario

    path = Path(path)
    _format_of(path)
    spec = load_scenario(spec) if isinstance(spec, str) else spec
    panels = len(_snapshot_months(spec, years))
    columns = min(panels, 4)
    rows = -(-panels // columns)
    fig = Figure(figsize=(3.0 * columns, 3.0 * rows + 0.8), layout="constrained")
    plot_network_filmstrip(spec, seed, years, fig, replicate=replicate, columns=columns)
    return _write(fig, path)


# --------------------------------------------------------------------------- counterfactuals


def _p_text(p: float) -> str:
    if not np.isfinite(p):
        return "p n/a"
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def _paired_seeds(a: Results, b: Results) -> bool:
    """Whether the two ensembles' runs drew the same seeds (common random numbers)."""
    seeds_a, seeds_b = a.runs.get("seed"), b.runs.get("seed")
    if seeds_a is None or seeds_b is None:
        return False
    return set(seeds_a) == set(seeds_b)


def plot_counterfactual(
    baseline: Results,
    counterfactual: Results,
    faction: str | Sequence[str] | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Kaplan–Meier survival of each faction in a baseline and a counterfactual ensemble.

    Baseline curves are solid, counterfactual curves dashed, in the faction's colour; the
    legend gives each faction's log-rank p-value (:func:`factions.survival.logrank`). Run the
    two ensembles with the same root seed: replicate *r* then draws the same random stream in
    both (common random numbers). ``faction`` restricts the figure to one or several factions
    (default: every faction of the baseline also in the counterfactual).
    """
    from factions.survival import logrank

    spec, other = baseline.scenario, counterfactual.scenario
    if faction is None:
        wanted = [f for f in spec.faction_ids if f in other.faction_ids]
    else:
        wanted = [faction] if isinstance(faction, str) else list(faction)
    ax = _new_axes(ax, (8, 5.5))
    colours = faction_colours(spec)
    handles, labels = [], []
    for fid in wanted:
        test = logrank(baseline, counterfactual, fid)  # checks the faction and the start month
        for results, style in ((baseline, "-"), (counterfactual, "--")):
            kmf = kaplan_meier(results, fid)[fid]
            curve = kmf.survival_function_.iloc[:, 0]
            ax.step(
                curve.index,
                curve.to_numpy(),
                where="post",
                color=colours.get(fid, NEUTRAL),
                linestyle=style,
                linewidth=1.8,
            )
        handles.append(Line2D([], [], color=colours.get(fid, NEUTRAL), linewidth=2.5))
        labels.append(f"{spec.factions[fid].label} (log-rank {_p_text(test.p_value)})")
    handles += [
        Line2D([], [], color="0.3", linestyle="-", linewidth=1.8),
        Line2D([], [], color="0.3", linestyle="--", linewidth=1.8),
    ]
    labels += [f"{spec.name} (baseline)", f"{other.name} (counterfactual)"]
    ax.axhline(0.5, color="0.6", linewidth=0.8, linestyle=":", zorder=0)
    horizon = max(spec.n_months, other.n_months)
    ticks = [m - spec.start_month for m in _year_ticks(spec) if m - spec.start_month <= horizon]
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.xaxis.set_major_formatter(
        FuncFormatter(lambda x, _: format_month(spec.start_month + int(x))[:4])
    )
    ax.set_xlim(0, horizon + 2)
    ax.set_ylim(-0.02, 1.04)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlabel("Year")
    ax.set_ylabel("Share of runs in which the faction still stands")
    seeds = "same seeds" if _paired_seeds(baseline, counterfactual) else "different seeds"
    ax.set_title(
        f"Counterfactual — {spec.name} vs {other.name} "
        f"({len(baseline.runs)} vs {len(counterfactual.runs)} runs, {seeds}, Kaplan–Meier)",
        loc="left",
        fontsize=10,
    )
    ax.legend(handles, labels, loc="lower left", frameon=False, fontsize=9)
    _tidy(ax)
    return ax


# --------------------------------------------------------------------------- calibration


def plot_posterior(
    posterior: pd.DataFrame,
    priors: Mapping[str, tuple[float, float]],
    base: Mapping[str, float] | None = None,
    fig: Figure | None = None,
) -> Figure:
    """Weighted histograms of an ABC posterior, one panel per parameter, over its uniform prior.

    ``posterior`` has one column per parameter and a ``weight`` column; ``priors`` maps each
    parameter to its prior range; ``base`` marks the scenario's own values.
    """
    names = list(priors)
    cols = min(len(names), 3)
    rows = -(-len(names) // cols)
    fig = fig or Figure(figsize=(max(6.0, 4.0 * cols), 3.2 * rows + 0.6), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    weights = posterior["weight"].to_numpy()
    for ax, name in zip(axes, names, strict=False):
        low, high = priors[name]
        values = posterior[name].to_numpy()
        bins = np.linspace(low, high, 13)
        ax.hist(values, bins=bins, weights=weights, density=True, color=OKABE_ITO[0], alpha=0.6)
        ax.axhline(1 / (high - low), color=NEUTRAL, linestyle="--", linewidth=1)
        ax.axvline(np.average(values, weights=weights), color=OKABE_ITO[1], linewidth=2)
        if base is not None and name in base:
            ax.axvline(base[name], color="black", linestyle=":", linewidth=1.5)
        ax.set_xlim(low, high)
        ax.set_xlabel(_short_parameter(name))
        ax.set_ylabel("Density")
        _tidy(ax)
    for ax in axes[len(names) :]:
        ax.set_visible(False)
    handles = [
        Line2D([], [], color=OKABE_ITO[0], alpha=0.6, linewidth=6),
        Line2D([], [], color=NEUTRAL, linestyle="--"),
        Line2D([], [], color=OKABE_ITO[1], linewidth=2),
        Line2D([], [], color="black", linestyle=":"),
    ]
    labels = ["posterior (last population)", "uniform prior", "posterior mean", "scenario value"]
    ncols = 4 if cols > 1 else 2
    fig.legend(handles, labels, loc="outside lower center", ncols=ncols, frameon=False, fontsize=9)
    return fig


def save_posterior_figure(
    posterior: pd.DataFrame,
    priors: Mapping[str, tuple[float, float]],
    path: str | Path,
    base: Mapping[str, float] | None = None,
) -> Path:
    """Draw :func:`plot_posterior` and write it to ``path`` (format by suffix)."""
    path = Path(path)
    _format_of(path)
    return _write(plot_posterior(posterior, priors, base), path)


def plot_pattern_fit(patterns: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """Pass rate of each declared pattern in the first and the last ABC population.

    ``patterns`` has columns ``description``, ``required``, ``first_population`` and
    ``last_population`` (weighted mean pass rates of the accepted particles).
    """
    ax = _new_axes(ax, (8.0, 0.45 * len(patterns) + 1.5))
    y = np.arange(len(patterns))
    ax.barh(y - 0.2, patterns["first_population"], height=0.4, color="0.75", label="first")
    ax.barh(y + 0.2, patterns["last_population"], height=0.4, color=OKABE_ITO[0], label="last")
    ax.scatter(patterns["required"], y, marker="|", s=250, color="black", label="required")
    labels = [text if len(text) <= 48 else text[:47] + "…" for text in patterns["description"]]
    ax.set_yticks(y, labels=labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlabel("Pass rate (weighted mean over the population's particles)")
    ax.set_title("Pattern fit: first and last ABC population", loc="left", fontsize=10)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, fontsize=8)
    _tidy(ax)
    return ax
