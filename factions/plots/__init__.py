"""Figures: every function draws from tables (or results objects) and never runs the model.

Plot functions take a :class:`~factions.results.Results` (or a sweep's outputs, a sensitivity
table, a calibration's posterior, network snapshots) and an optional matplotlib axes, draw on it
and return it, in the style of lifelines; figures of several panels take a figure to draw in and
return their axes as an array. What a figure needs that the tables lack is computed beforehand:
quantiles and frequencies in :mod:`factions.analysis`, survival in :mod:`factions.survival`,
network snapshots (a run of the model) in :mod:`factions.snapshots`.

Modules, by what they draw from: :mod:`~factions.plots.style` (colours, calendar axes, plain-text
labels), :mod:`~factions.plots.survival`, :mod:`~factions.plots.shares` and
:mod:`~factions.plots.timeline` (an ensemble), :mod:`~factions.plots.counterfactual` (two
ensembles), :mod:`~factions.plots.sweep` (a sweep),
:mod:`~factions.plots.discovery` (scenario discovery), :mod:`~factions.plots.network` (one run's
snapshots), :mod:`~factions.plots.calibration` (an ABC fit), :mod:`~factions.plots.files`
(figure kinds and writing files).
"""

from factions.plots.calibration import (
    plot_pattern_fit,
    plot_posterior,
    posterior_figure,
    save_posterior_figure,
)
from factions.plots.counterfactual import plot_counterfactual
from factions.plots.discovery import discovery_figure, plot_box_limits, plot_peeling
from factions.plots.files import (
    COMPARISON_FIGURES,
    DPI,
    FIGURES,
    FORMATS,
    RERUN_FIGURES,
    SWEEP_FIGURES,
    make_figure,
    save_drawing,
    save_figure,
    write_default_figures,
)
from factions.plots.network import filmstrip_figure, plot_network_filmstrip, save_network_figure
from factions.plots.shares import plot_shares
from factions.plots.style import EXTRA_COLOURS, NEUTRAL, OKABE_ITO, faction_colours, plain
from factions.plots.survival import plot_end_causes, plot_survival
from factions.plots.sweep import plot_sensitivity, plot_sweep_heatmap
from factions.plots.timeline import plot_timeline

__all__ = [
    "COMPARISON_FIGURES",
    "DPI",
    "EXTRA_COLOURS",
    "FIGURES",
    "FORMATS",
    "NEUTRAL",
    "OKABE_ITO",
    "RERUN_FIGURES",
    "SWEEP_FIGURES",
    "discovery_figure",
    "faction_colours",
    "filmstrip_figure",
    "make_figure",
    "plain",
    "plot_box_limits",
    "plot_counterfactual",
    "plot_end_causes",
    "plot_network_filmstrip",
    "plot_pattern_fit",
    "plot_peeling",
    "plot_posterior",
    "plot_sensitivity",
    "plot_shares",
    "plot_survival",
    "plot_sweep_heatmap",
    "plot_timeline",
    "posterior_figure",
    "save_drawing",
    "save_figure",
    "save_network_figure",
    "save_posterior_figure",
    "write_default_figures",
]
