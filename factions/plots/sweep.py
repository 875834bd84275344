"""Figures of a sweep: one output over two parameters (heatmap), and sensitivity indices."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.patches import Rectangle
from matplotlib.ticker import FuncFormatter, MaxNLocator, PercentFormatter

from factions.calendar import format_month
from factions.plots.style import OKABE_ITO, new_axes, plain, short_parameter, tidy

__all__ = ["MEDIAN_PREFIX", "SURVIVAL_PREFIX", "plot_sensitivity", "plot_sweep_heatmap"]

SURVIVAL_PREFIX = "survival_"
MEDIAN_PREFIX = "median_elimination_"


def _output_label(output: str, dates: bool = False) -> str:
    """Readable name of a sweep output column (``survival_yanan_1956-12`` and the like)."""
    if output.startswith(SURVIVAL_PREFIX):
        faction, _, date = output.removeprefix(SURVIVAL_PREFIX).rpartition("_")
        return plain(f"P({faction} still stands at the end of {date})")
    if output.startswith(MEDIAN_PREFIX):
        faction = output.removeprefix(MEDIAN_PREFIX)
        unit = "date" if dates else "months from start"
        return plain(f"Median end of {faction} ({unit})")
    return plain(output)


def _outputs_table(sweep_results) -> pd.DataFrame:
    return sweep_results if isinstance(sweep_results, pd.DataFrame) else sweep_results.outputs()


def _level_text(value) -> str:
    return f"{value:g}" if isinstance(value, float | int | np.number) else plain(str(value))


def _censored(table: pd.DataFrame, output: str) -> str | None:
    """The column of the share of censored runs behind an output, if the table has it."""
    for prefix in (MEDIAN_PREFIX, SURVIVAL_PREFIX):
        if output.startswith(prefix):
            faction = output.removeprefix(prefix)
            if prefix == SURVIVAL_PREFIX:
                faction = faction.rpartition("_")[0]
            column = f"censored_{faction}"
            return column if column in table.columns else None
    return None


def _cell_text(value: float, output: str, start_month: int | None, horizon: int | None) -> str:
    if output.startswith(SURVIVAL_PREFIX):
        return f"{value:.0%}"
    if output.startswith(MEDIAN_PREFIX) and start_month is not None:
        if horizon is not None and value >= horizon:
            return f">{format_month(start_month + horizon - 1)}"
        return format_month(start_month + int(value))
    return f"{value:.0f}"


def plot_sweep_heatmap(
    sweep_results,
    x: str,
    y: str,
    output: str,
    ax: Axes | None = None,
    *,
    start_month: int | None = None,
    horizon: int | None = None,
) -> Axes:
    """Heatmap of one sweep ``output`` over two swept parameters ``x`` and ``y`` (a grid).

    ``sweep_results`` is a :class:`~factions.experiment.SweepResults` or its ``outputs()``
    table (one row per design point). Points sharing ``x`` and ``y`` (other parameters varied
    too) are averaged. Each cell is annotated with its value; probabilities (``survival_*``
    outputs) use a fixed 0–1 colour scale. Median end dates (``median_elimination_*``, months
    from the start) are shown as calendar months when ``start_month`` (the scenario's first
    month index) is given, ``>END`` when not reached within ``horizon`` months. When the table
    has the share of censored runs behind the output (``censored_FACTION``: runs in which the
    faction still stands at the horizon), each cell says it, and cells where it is at least
    half (the median is not, or barely, reached) are hatched. Returns the axes.
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
    censored_column = _censored(table, output)
    censored = (
        table.pivot_table(index=y, columns=x, values=censored_column, aggfunc="mean")
        .reindex(index=grid.index, columns=grid.columns)
        .to_numpy(dtype=float)
        if censored_column
        else None
    )
    ax = new_axes(ax, (6.5, 5.0))
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
        text = _cell_text(value, output, start_month, horizon)
        if censored is not None and not np.isnan(censored[row, col]):
            share = censored[row, col]
            text += f"\n{share:.0%} standing"
            if share >= 0.5:
                ax.add_patch(
                    Rectangle(
                        (col - 0.5, row - 0.5),
                        1,
                        1,
                        fill=False,
                        hatch="//",
                        linewidth=0,
                        edgecolor="white" if light else "black",
                        alpha=0.35,
                    )
                )
        ax.text(
            col,
            row,
            text,
            ha="center",
            va="center",
            fontsize=8,
            color="white" if light else "black",
        )
    ax.set_xticks(range(grid.shape[1]), [_level_text(v) for v in grid.columns])
    ax.set_yticks(range(grid.shape[0]), [_level_text(v) for v in grid.index])
    ax.set_xlabel(short_parameter(x))
    ax.set_ylabel(short_parameter(y))
    bar = ax.figure.colorbar(image, ax=ax, shrink=0.9)
    bar.set_label(_output_label(output, start_month is not None), fontsize=9)
    if probability:
        bar.formatter = PercentFormatter(1.0)
        bar.update_ticks()
    elif output.startswith(MEDIAN_PREFIX) and start_month is not None:
        bar.locator = MaxNLocator(integer=True)
        bar.formatter = FuncFormatter(lambda v, _: format_month(start_month + round(v)))
        bar.update_ticks()
    runs = f", {int(table['runs'].median())} runs per point" if "runs" in table else ""
    note = "; hatched: half the runs or more still standing" if censored is not None else ""
    ax.set_title(
        f"{_output_label(output, start_month is not None)}{runs}{note}", loc="left", fontsize=10
    )
    return ax


def _one_output(indices: pd.DataFrame, output: str | None) -> tuple[pd.DataFrame, str | None]:
    if "output" not in indices.columns:
        return indices, output
    outputs = list(dict.fromkeys(indices["output"]))
    if output is None:
        if not outputs:
            raise ValueError("the sensitivity table is empty")
        # an output constant over the design has no indices (NaN rows): skip to one that has
        defined = indices.dropna(subset=[c for c in ("ST", "mu_star") if c in indices.columns])
        output = next((o for o in outputs if (defined["output"] == o).any()), outputs[0])
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
    picks one output of a table holding several (default: the first that varies over the
    design). Returns the axes.
    """
    rows, output = _one_output(indices, output)
    if {"S1", "ST"} <= set(rows.columns):
        ax = new_axes(ax, (7.0, 0.45 * len(rows) + 1.6))
        _sobol_bars(ax, rows)
        kind = "Sobol indices"
    elif {"mu_star", "sigma"} <= set(rows.columns):
        ax = new_axes(ax, (6.5, 5.0))
        _morris_scatter(ax, rows)
        kind = "Morris screening"
    else:
        raise ValueError(
            "need Sobol (S1, ST) or Morris (mu_star, sigma) columns, got "
            + ", ".join(map(str, indices.columns))
        )
    title = kind if output is None else f"{kind} — {_output_label(output)}"
    ax.set_title(title, loc="left", fontsize=10)
    tidy(ax)
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
    ax.set_yticks(y, [short_parameter(p) for p in rows["parameter"]])
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
            short_parameter(row.parameter),
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
