"""Figures of a calibration: the ABC posterior over its prior, and the fit of each pattern."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure, SubFigure
from matplotlib.lines import Line2D
from matplotlib.ticker import PercentFormatter

from factions.plots.files import check_format, write
from factions.plots.style import NEUTRAL, OKABE_ITO, new_axes, plain, short_parameter, tidy

__all__ = ["plot_pattern_fit", "plot_posterior", "posterior_figure", "save_posterior_figure"]


def posterior_figure(n_parameters: int) -> Figure:
    """A new figure sized for :func:`plot_posterior` of ``n_parameters`` parameters."""
    cols = min(n_parameters, 3)
    rows = -(-n_parameters // cols)
    return Figure(figsize=(max(6.0, 4.0 * cols), 3.2 * rows + 0.6), layout="constrained")


def plot_posterior(
    posterior: pd.DataFrame,
    priors: Mapping[str, tuple[float, float]],
    base: Mapping[str, float] | None = None,
    fig: Figure | SubFigure | None = None,
) -> np.ndarray:
    """Weighted histograms of an ABC posterior, one panel per parameter, over its uniform prior.

    ``posterior`` has one column per parameter and a ``weight`` column; ``priors`` maps each
    parameter to its prior range; ``base`` marks the scenario's own values. Draws on ``fig``
    (default: a new figure, see :func:`posterior_figure`) and returns the panels' axes as an
    array, one per parameter.
    """
    names = list(priors)
    cols = min(len(names), 3)
    rows = -(-len(names) // cols)
    fig = fig or posterior_figure(len(names))
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
        ax.set_xlabel(short_parameter(name))
        ax.set_ylabel("Density")
        tidy(ax)
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
    return axes[: len(names)]


def save_posterior_figure(
    posterior: pd.DataFrame,
    priors: Mapping[str, tuple[float, float]],
    path: str | Path,
    base: Mapping[str, float] | None = None,
) -> Path:
    """Draw :func:`plot_posterior` and write it to ``path`` (format by suffix)."""
    path = Path(path)
    check_format(path)
    fig = posterior_figure(len(priors))
    plot_posterior(posterior, priors, base, fig)
    return write(fig, path)


def plot_pattern_fit(patterns: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """Pass rate of each declared pattern in the first and the last ABC population.

    ``patterns`` has columns ``description``, ``required``, ``first_population`` and
    ``last_population`` (weighted mean pass rates of the accepted particles). Returns the axes.
    """
    ax = new_axes(ax, (8.0, 0.45 * len(patterns) + 1.5))
    y = np.arange(len(patterns))
    ax.barh(y - 0.2, patterns["first_population"], height=0.4, color="0.75", label="first")
    ax.barh(y + 0.2, patterns["last_population"], height=0.4, color=OKABE_ITO[0], label="last")
    ax.scatter(patterns["required"], y, marker="|", s=250, color="black", label="required")
    labels = [
        plain(text if len(text) <= 48 else text[:47] + "…") for text in patterns["description"]
    ]
    ax.set_yticks(y, labels=labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlabel("Pass rate (weighted mean over the population's particles)")
    ax.set_title("Pattern fit: first and last ABC population", loc="left", fontsize=10)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, fontsize=8)
    tidy(ax)
    return ax
