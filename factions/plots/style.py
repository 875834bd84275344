"""The look shared by every figure: faction colours, calendar axes, plain-text labels.

Each faction keeps one colour across figures, taken from the Okabe–Ito palette (Okabe & Ito
2008; safe for the common forms of colour blindness) in the scenario's faction order. Time axes
show calendar dates, not step numbers. Labels that come from a scenario or an experiment are
text, never mathtext: :func:`plain` escapes their dollar signs.
"""

from __future__ import annotations

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.ticker import FixedLocator, FuncFormatter, PercentFormatter

from factions.calendar import format_month, month_timestamps, parse_month
from factions.scenario import Scenario

__all__ = [
    "EXTRA_COLOURS",
    "NEUTRAL",
    "OKABE_ITO",
    "after",
    "date_axis",
    "faction_colours",
    "month_start",
    "months_since_start_axis",
    "new_axes",
    "plain",
    "short_parameter",
    "tidy",
    "year_ticks",
]

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


def faction_colours(scenario: Scenario) -> dict[str, str]:
    """One colour per faction, assigned in the scenario's faction order."""
    palette = OKABE_ITO + EXTRA_COLOURS
    return {fid: palette[i % len(palette)] for i, fid in enumerate(scenario.faction_ids)}


def plain(text: str) -> str:
    """``text`` as matplotlib shows it literally: a ``$`` never starts mathtext.

    Scenario and experiment labels are user input; ``"$5 $"`` would otherwise be parsed as
    mathematics (and an unbalanced or invalid expression breaks the whole figure).
    """
    return str(text).replace("$", r"\$")


def short_parameter(path: str) -> str:
    """A parameter's dotted path without the ``mechanisms.`` prefix, for labels."""
    return plain(path.removeprefix("mechanisms."))


def new_axes(ax: Axes | None, figsize: tuple[float, float]) -> Axes:
    """The given axes, or one on a new pyplot figure (for interactive use)."""
    if ax is not None:
        return ax
    from matplotlib import pyplot as plt

    return plt.subplots(figsize=figsize, layout="constrained")[1]


def tidy(ax: Axes) -> None:
    """No top or right frame."""
    ax.spines[["top", "right"]].set_visible(False)


def month_start(text: str) -> pd.Timestamp:
    """First day of the month ``text`` ('YYYY-MM')."""
    return month_timestamps(np.array([parse_month(text)]))[0]


def after(text: str) -> pd.Timestamp:
    """First day of the month after ``text`` (inclusive month ends on date axes)."""
    return month_timestamps(np.array([parse_month(text) + 1]))[0]


def _year_step(first: int, last: int) -> int:
    """Years between labelled ticks, so that about eight labels fit."""
    span = max(1, last - first)
    return next(step for step in (1, 2, 5, 10, 20, 50, 100) if span / step <= 9)


def year_ticks(scenario: Scenario) -> list[int]:
    """Month indices of 1 January of the labelled years within the scenario."""
    first = (scenario.start_month + 11) // 12
    last = scenario.end_month // 12
    step = _year_step(first, last)
    first_label = -(-first // step) * step
    return [year * 12 for year in range(first_label, last + 1, step)]


def date_axis(ax: Axes, scenario: Scenario) -> None:
    """Year labels on a datetime x-axis spanning the scenario, as on the survival plot."""
    step = _year_step((scenario.start_month + 11) // 12, scenario.end_month // 12)
    ax.xaxis.set_major_locator(mdates.YearLocator(base=step, month=1, day=1))
    if step > 1:
        minor = 1 if step <= 5 else step // 2
        ax.xaxis.set_minor_locator(mdates.YearLocator(base=minor, month=1, day=1))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
    ax.set_xlim(month_start(scenario.start), after(scenario.end))


def months_since_start_axis(ax: Axes, scenario: Scenario, horizon: int) -> list[int]:
    """Survival axes: x in months since the start, labelled by year; y a share of runs.

    Returns the tick positions (months since the start) up to ``horizon``.
    """
    start = scenario.start_month
    ticks = [m - start for m in year_ticks(scenario) if m - start <= horizon]

    def year(x: float, _position: object) -> str:
        return format_month(start + int(x))[:4]

    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.xaxis.set_major_formatter(FuncFormatter(year))
    ax.set_xlim(0, horizon + 2)  # room for the censoring ticks at the horizon
    ax.set_ylim(-0.02, 1.04)
    ax.axhline(0.5, color="0.6", linewidth=0.8, linestyle=":", zorder=0)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlabel("Year")
    ax.set_ylabel("Share of runs in which the faction still stands")
    return ticks
