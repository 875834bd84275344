"""Two ensembles side by side: faction survival in a baseline and in a counterfactual."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.lines import Line2D

from factions.paired import survival_tests, two_sided
from factions.plots.style import (
    NEUTRAL,
    faction_colours,
    months_since_start_axis,
    new_axes,
    plain,
    tidy,
)
from factions.results import Results
from factions.survival import kaplan_meier, logrank

__all__ = ["plot_counterfactual"]


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


def _test_text(baseline: Results, counterfactual: Results, fid: str, paired: bool) -> str:
    """The legend's test of one faction: paired tests on shared seeds, else log-rank."""
    if not paired:
        return f"log-rank {_p_text(logrank(baseline, counterfactual, fid).p_value)}"
    tests = survival_tests(baseline, counterfactual, fid)
    months = tests["months"]
    return (
        f"McNemar {_p_text(two_sided(tests['eliminated']))}; "
        f"{months.difference:+.1f} months, paired t {_p_text(two_sided(months))}"
    )


def plot_counterfactual(
    baseline: Results,
    counterfactual: Results,
    faction: str | Sequence[str] | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Kaplan–Meier survival of each faction in a baseline and a counterfactual ensemble.

    Baseline curves are solid, counterfactual curves dashed, in the faction's colour. Run the
    two ensembles with the same root seed: replicate *r* then draws the same random stream in
    both (common random numbers), and the legend gives each faction's paired tests
    (:func:`factions.paired.survival_tests`): the exact McNemar test on eliminated or not, and
    the mean paired difference in months standing with its paired t-test. Ensembles on other
    seeds are independent samples: the legend then gives the log-rank test
    (:func:`factions.survival.logrank`). The title says which. ``faction`` restricts the
    figure to one or several factions (default: every faction of the baseline also in the
    counterfactual). Returns the axes.
    """
    spec, other = baseline.scenario, counterfactual.scenario
    if faction is None:
        wanted = [f for f in spec.faction_ids if f in other.faction_ids]
    else:
        wanted = [faction] if isinstance(faction, str) else list(faction)
    ax = new_axes(ax, (8, 5.5))
    colours = faction_colours(spec)
    handles, labels = [], []
    paired = _paired_seeds(baseline, counterfactual)
    for fid in wanted:
        test = _test_text(baseline, counterfactual, fid, paired)  # checks faction and months
        for results, style in ((baseline, "-"), (counterfactual, "--")):
            curve = kaplan_meier(results, fid)[fid].survival_function_.iloc[:, 0]
            ax.step(
                curve.index,
                curve.to_numpy(),
                where="post",
                color=colours.get(fid, NEUTRAL),
                linestyle=style,
                linewidth=1.8,
            )
        handles.append(Line2D([], [], color=colours.get(fid, NEUTRAL), linewidth=2.5))
        labels.append(f"{plain(spec.faction_table(fid).label)} ({test})")
    handles += [
        Line2D([], [], color="0.3", linestyle="-", linewidth=1.8),
        Line2D([], [], color="0.3", linestyle="--", linewidth=1.8),
    ]
    labels += [f"{plain(spec.name)} (baseline)", f"{plain(other.name)} (counterfactual)"]
    months_since_start_axis(ax, spec, max(spec.n_months, other.n_months))
    tests = (
        "same seeds: paired tests (exact McNemar on eliminated, paired t on months standing)"
        if paired
        else "different seeds: log-rank tests"
    )
    ax.set_title(
        f"Counterfactual — {plain(spec.name)} vs {plain(other.name)} "
        f"({len(baseline.runs)} vs {len(counterfactual.runs)} runs, Kaplan–Meier)\n{tests}",
        loc="left",
        fontsize=10,
    )
    ax.legend(handles, labels, loc="lower left", frameon=False, fontsize=9)
    tidy(ax)
    return ax
