"""The analysis of a sweep's outputs: Sobol indices, Morris screening, paired comparisons.

Each design point first summarises its replicates (:mod:`factions.experiment.outputs`: the
share of runs in which a faction still stands at a date, the median elimination month, pattern
pass rates...), and the analyses then read one number per point and output, as SALib expects:

- :func:`sobol_indices` — first-order and total Sobol' indices with bootstrap confidence
  intervals (Sobol' 2001; Saltelli et al. 2010), via ``SALib.analyze.sobol``;
- :func:`morris_indices` — elementary effects ``mu*`` and ``sigma`` (Morris 1991; Campolongo
  et al. 2007), via ``SALib.analyze.morris``;
- :func:`compare_points` — each point against a baseline, replicate by replicate. Replicate
  ``r`` draws the same random stream at every point (common random numbers), so paired
  differences have a far smaller variance than independent samples would give; both standard
  errors are reported to show it.

Elimination months are counted from the scenario's start; a faction that outlives the horizon
counts as eliminated *at* the horizon (right-censored), so a median equal to the horizon means
"not reached".
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from factions.errors import ExperimentError
from factions.experiment.designs import Design
from factions.experiment.outputs import KEYS, output_names

__all__ = [
    "compare_points",
    "morris_indices",
    "output_names",
    "sobol_indices",
]

log = logging.getLogger(__name__)


def _response(table: pd.DataFrame, column: str) -> np.ndarray | None:
    """The output in point order; None (and a log line) when it cannot be analysed."""
    y = table.sort_values("point")[column].to_numpy(dtype=float)
    if np.isnan(y).any():
        missing = table.loc[table[column].isna(), "point"].head(5).tolist()
        raise ExperimentError(
            f"output {column} is missing at points {missing} (no successful runs): "
            "resume the sweep or rerun those points before the analysis"
        )
    if np.ptp(y) == 0:
        log.info("output %s is constant over the design; its indices are undefined", column)
        return None
    return y


def _indices(
    design: Design,
    outputs: pd.DataFrame,
    fields: Sequence[str],
    analyze: Callable[[np.ndarray], dict],
) -> pd.DataFrame:
    """Run a SALib ``analyze(y)`` on every output; one row per output and parameter."""
    rows = []
    for column in output_names(outputs):
        y = _response(outputs, column)
        if y is None:
            rows += _blank(column, design, fields)
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            warnings.simplefilter("ignore", UserWarning)  # constant bootstrap subsets
            si = analyze(y)
        rows += [
            {"output": column, "parameter": name, **{f: si[f][i] for f in fields}}
            for i, name in enumerate(design.parameters)
        ]
    return pd.DataFrame(rows)


def sobol_indices(
    design: Design,
    outputs: pd.DataFrame,
    confidence: float = 0.95,
    resamples: int = 200,
    seed: int | None = 0,
) -> pd.DataFrame:
    """First-order (S1) and total (ST) Sobol' indices per output and parameter, with CIs.

    ``*_conf`` is the half-width of the bootstrap ``confidence`` interval. Outputs that do not
    vary over the design get missing indices.
    """
    from SALib.analyze import sobol

    if design.kind != "sobol" or design.problem is None:
        raise ExperimentError(f"Sobol indices need a sobol design, not {design.kind}")
    second = bool(design.options.get("second_order"))
    return _indices(
        design,
        outputs,
        ("S1", "S1_conf", "ST", "ST_conf"),
        lambda y: sobol.analyze(
            design.problem,
            y,
            calc_second_order=second,
            num_resamples=resamples,
            conf_level=confidence,
            seed=seed,
        ),
    )


def morris_indices(
    design: Design,
    outputs: pd.DataFrame,
    confidence: float = 0.95,
    resamples: int = 200,
    seed: int | None = 0,
) -> pd.DataFrame:
    """Morris elementary effects per output and parameter: mu, mu*, sigma, mu* CI half-width."""
    from SALib.analyze import morris

    if design.kind != "morris" or design.problem is None or design.samples is None:
        raise ExperimentError(f"Morris screening needs a morris design, not {design.kind}")
    return _indices(
        design,
        outputs,
        ("mu", "mu_star", "sigma", "mu_star_conf"),
        lambda y: morris.analyze(
            design.problem,
            design.samples,
            y,
            num_resamples=resamples,
            conf_level=confidence,
            num_levels=int(design.options["levels"]),
            seed=seed,
        ),
    )


def _blank(column: str, design: Design, fields: Sequence[str]) -> list[dict]:
    return [
        {"output": column, "parameter": name, **dict.fromkeys(fields, np.nan)}
        for name in design.parameters
    ]


def compare_points(
    per_run: pd.DataFrame, baseline: int = 0, confidence: float = 0.95
) -> pd.DataFrame:
    """Every point against ``baseline``, paired by replicate (common random numbers).

    For each output: the two means, the mean paired difference with its ``confidence``
    interval (Student t), its standard error, and the standard error the same difference would
    have from independent samples (``se_independent``), for comparison.
    """
    columns = [c for c in per_run.columns if c not in KEYS]
    base = per_run[per_run["point"] == baseline].set_index("replicate")
    if base.empty:
        raise ExperimentError(f"baseline point {baseline} has no successful runs")
    rows = []
    for point in sorted(set(per_run["point"]) - {baseline}):
        other = per_run[per_run["point"] == point].set_index("replicate")
        paired = base[columns].join(other[columns], how="inner", lsuffix="_a", rsuffix="_b")
        for column in columns:
            rows.append(_paired_row(point, column, paired, confidence))
    return pd.DataFrame(rows)


def _paired_row(point: int, column: str, paired: pd.DataFrame, confidence: float) -> dict:
    from factions.paired import t_interval  # imports lifelines: only when comparing

    a, b = paired[f"{column}_a"].to_numpy(), paired[f"{column}_b"].to_numpy()
    n = len(a)
    d = b - a
    se, half = t_interval(d, confidence)
    se_ind = np.sqrt(a.var(ddof=1) / n + b.var(ddof=1) / n) if n > 1 else np.nan
    return {
        "point": point,
        "output": column,
        "pairs": n,
        "baseline_mean": a.mean() if n else np.nan,
        "mean": b.mean() if n else np.nan,
        "difference": d.mean() if n else np.nan,
        "ci_low": d.mean() - half if n else np.nan,
        "ci_high": d.mean() + half if n else np.nan,
        "se_paired": se,
        "se_independent": se_ind,
    }
