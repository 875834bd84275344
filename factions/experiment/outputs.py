"""The outputs of a sweep chosen in the experiment file's ``[outputs]``, with intervals.

Every run gives one number per output; every design point then summarises its replicates, with
a ``confidence`` interval (``[analysis] confidence``, 95% by default):

=====================  ===========================  ================================  ==========
output                 column                       per run                           interval
=====================  ===========================  ================================  ==========
``survival``           ``survival_F_DATE``          1 if F still stands at the end    Wilson
                                                    of DATE; per point the share
``median_elimination`` ``median_elimination_F``     months from the start to F's end  order
                                                    (the horizon if F stands); per    statistics
                                                    point the median
``end_causes``         ``end_CAUSE_F``              1 if F ended ``purged``,          Wilson
                                                    ``exiled`` or ``absorbed``
``patterns``           ``pattern_I``                1 if pattern I passes             Wilson
``patterns_holding``   ``patterns_holding``         (per point) patterns whose pass   bootstrap
                                                    rate reaches ``min_pass_rate``    percentile
``events``             ``events_KIND``              events of KIND in the run; per    Student t
                                                    point the mean
``custom``             ``custom_NAME``              the function's value; the mean    Student t
=====================  ===========================  ================================  ==========

Runs are right-censored only at the horizon, so the median of the censored durations is the
Kaplan–Meier median, and its distribution-free interval (the order statistics whose ranks a
Binomial(n, 1/2) gives) is exact; a median or bound equal to the horizon means "not reached".
Pattern pass/fail is :func:`factions.validate.pattern_pass`, the scoring of ``factions
validate``. A point's table also gives ``censored_F``, the share of its runs in which F stands
at the horizon (heatmaps mark it).

A custom output is a function, named by import path in the experiment file (``name =
"package.module:function"``). It is imported (code the user chose to run, like a plug-in;
nothing is evaluated) and called once per design point with that point's
:class:`~factions.results.Results`; it returns one number per run, a Series indexed by
``run_id``.
"""

from __future__ import annotations

import difflib
import importlib
from collections import ChainMap
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from statistics import NormalDist
from typing import Literal

import numpy as np
import pandas as pd

from factions.calendar import month_index, parse_month
from factions.errors import ExperimentError, Problem
from factions.results import Results
from factions.scenario import EVENT_KINDS
from factions.scenario.events import EVENT_LOG_KINDS
from factions.tables import END_CAUSE_NAMES
from factions.validate import describe, pattern_pass, wilson_interval

__all__ = [
    "HIGH",
    "KEYS",
    "LOW",
    "Output",
    "catalogue",
    "censored_column",
    "elimination_column",
    "holding_interval",
    "load_function",
    "median_column",
    "median_interval",
    "output_names",
    "pattern_indices",
    "per_point",
    "per_run",
    "problems",
    "survival_column",
]

Statistic = Literal["share", "median", "mean", "holding"]
#: Columns of the per-run table that are not outputs.
KEYS = ("run_id", "point", "replicate")
LOW, HIGH = "_low", "_high"
#: Event kinds an ``events`` output may count (the event log's kinds).
COUNTABLE = frozenset(EVENT_LOG_KINDS) | frozenset(EVENT_KINDS)


@dataclass(frozen=True)
class Output:
    """One output: its column, how a point summarises its runs, and a readable label."""

    name: str
    statistic: Statistic
    label: str


# --------------------------------------------------------------------------- names


def survival_column(faction: str, date: str) -> str:
    return f"survival_{faction}_{date}"


def elimination_column(faction: str) -> str:
    return f"elimination_{faction}"


def median_column(faction: str) -> str:
    return f"median_{elimination_column(faction)}"


def censored_column(faction: str) -> str:
    return f"censored_{faction}"


def output_names(table: pd.DataFrame) -> list[str]:
    """The outputs of a per-point table: the columns that come with an interval."""
    columns = set(table.columns)
    return [c for c in table.columns if f"{c}{LOW}" in columns and f"{c}{HIGH}" in columns]


def _factions(exp) -> list[str]:
    return list(exp.outputs.factions or exp.base.faction_ids)


def pattern_indices(exp) -> list[int]:
    """The scenario's indices of the patterns ``[outputs] patterns`` names (checked first)."""
    patterns = exp.base.patterns
    found = []
    for ref in exp.outputs.patterns:
        if isinstance(ref, int):
            found.append(ref)
        else:
            found.append(next(i for i, p in enumerate(patterns) if describe(p) == ref))
    return list(dict.fromkeys(found))


def catalogue(exp) -> list[Output]:
    """Every output an experiment asks for, in the order of its ``[outputs]`` table."""
    o, found = exp.outputs, []
    for fid in _factions(exp):
        found += [
            Output(survival_column(fid, d), "share", f"P({fid} stands at the end of {d})")
            for d in o.survival
        ]
        if o.median_elimination:
            found.append(Output(median_column(fid), "median", f"median end of {fid}"))
        if o.end_causes:
            found += [
                Output(f"end_{cause}_{fid}", "share", f"share of runs {fid} ends {cause}")
                for cause in END_CAUSE_NAMES
            ]
    patterns = exp.base.patterns
    for i in pattern_indices(exp):
        found.append(Output(f"pattern_{i}", "share", f"pass rate: {describe(patterns[i])}"))
    if o.patterns_holding:
        label = f"patterns holding (of {len(patterns)})"
        found.append(Output("patterns_holding", "holding", label))
    found += [Output(f"events_{k}", "mean", f"'{k}' events per run") for k in o.events]
    found += [Output(f"custom_{n}", "mean", f"{n} ({path})") for n, path in o.custom.items()]
    return found


# --------------------------------------------------------------------------- load-time checks


def _close(value: str, known: list[str]) -> str:
    close = difflib.get_close_matches(value, known, n=1, cutoff=0.5)
    return f"did you mean {close[0]!r}?" if close else ""


def _pattern_problems(exp) -> list[Problem]:
    patterns = exp.base.patterns
    descriptions = [describe(p) for p in patterns]
    listing = "; ".join(f"{i}: {d}" for i, d in enumerate(descriptions)) or "none"
    problems = []
    for ref in exp.outputs.patterns:
        if isinstance(ref, int) and ref >= len(patterns):
            hint = f"the scenario declares {len(patterns)} patterns ({listing})"
            problems.append(Problem("outputs.patterns", "no such pattern", ref, hint=hint))
        elif isinstance(ref, str) and ref not in descriptions:
            hint = _close(ref, descriptions) or f"patterns: {listing}"
            message = "no pattern has this description"
            problems.append(Problem("outputs.patterns", message, ref, hint=hint))
    if exp.outputs.patterns_holding and not patterns:
        message = "the scenario declares no patterns"
        hint = "remove patterns_holding, or add [[patterns]] to the scenario"
        problems.append(Problem("outputs.patterns_holding", message, True, hint=hint))
    return problems


def _event_problems(exp) -> list[Problem]:
    known = sorted(COUNTABLE)
    return [
        Problem(
            "outputs.events",
            "unknown event kind",
            kind,
            hint=_close(kind, known) or f"event kinds: {', '.join(known)}",
        )
        for kind in exp.outputs.events
        if kind not in COUNTABLE
    ]


def load_function(path: str) -> Callable[[Results], pd.Series]:
    """Import ``package.module:function`` (raise :class:`ExperimentError` if it cannot be)."""
    module_name, _, attribute = path.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ExperimentError(
            f"cannot import module {module_name!r} ({exc}); it must be importable from the "
            "current folder or an installed package"
        ) from None
    function = getattr(module, attribute, None)
    if not callable(function):
        raise ExperimentError(f"module {module_name!r} has no function {attribute!r}")
    return function


def _custom_problems(exp) -> list[Problem]:
    problems = []
    for name, path in exp.outputs.custom.items():
        where = f"outputs.custom.{name}"
        if name.endswith((LOW, HIGH)):
            hint = "choose a name that does not end in _low or _high"
            problems.append(Problem(where, "reserved for intervals", name, hint=hint))
        try:
            load_function(path)
        except ExperimentError as exc:
            problems.append(Problem(where, str(exc), path, hint="give 'package.module:function'"))
    return problems


def problems(exp) -> list[Problem]:
    """What is wrong with ``[outputs]`` given the scenario (empty when nothing)."""
    return _pattern_problems(exp) + _event_problems(exp) + _custom_problems(exp)


# --------------------------------------------------------------------------- per run


def _ok_runs(runs: pd.DataFrame) -> pd.DataFrame:
    ok = runs["status"] == "ok" if "status" in runs else np.ones(len(runs), bool)
    return runs[ok].reset_index(drop=True)


def _faction_columns(exp, factions: pd.DataFrame, index: pd.Index) -> dict[str, pd.Series]:
    o, columns = exp.outputs, {}
    f = factions.assign(month=month_index(factions["eliminated_at"]))
    for fid in _factions(exp):
        mine = f[f["faction"] == fid].set_index("run_id").reindex(index)
        eliminated = mine["eliminated"].astype(bool)
        for date in o.survival:
            gone = eliminated & (mine["month"] <= parse_month(date)).fillna(False)
            columns[survival_column(fid, date)] = (~gone).astype(float)
        if o.median_elimination:
            columns[elimination_column(fid)] = mine["duration_months"].astype(float)
        if o.end_causes:
            for cause in END_CAUSE_NAMES:
                columns[f"end_{cause}_{fid}"] = (mine["end_cause"] == cause).astype(float)
    return columns


def _pattern_columns(exp, tables: Mapping, ok: pd.DataFrame) -> dict[str, pd.Series]:
    wanted = pattern_indices(exp)
    if exp.outputs.patterns_holding:
        wanted = list(range(len(exp.base.patterns)))
    if not wanted:
        return {}
    patterns = [exp.base.patterns[i] for i in wanted]
    scenario = exp.base.model_copy(update={"patterns": patterns})
    results = Results(scenario, ChainMap({"runs": ok}, tables))  # other tables read if needed
    passed = pattern_pass(results)
    return {f"pattern_{i}": passed[j].astype(float) for j, i in enumerate(wanted)}


def _event_columns(exp, events: pd.DataFrame, index: pd.Index) -> dict[str, pd.Series]:
    return {
        f"events_{kind}": events[events["kind"] == kind]
        .groupby("run_id")
        .size()
        .reindex(index, fill_value=0)
        .astype(float)
        for kind in exp.outputs.events
    }


class _PointTables(Mapping[str, pd.DataFrame]):
    """The rows of one design point's runs, table by table, sliced when first read."""

    def __init__(self, tables: Mapping[str, pd.DataFrame], runs: pd.DataFrame):
        self.tables, self.runs, self.ids = tables, runs, set(runs["run_id"])
        self.sliced: dict[str, pd.DataFrame] = {"runs": runs}

    def __getitem__(self, name: str) -> pd.DataFrame:
        if name not in self.sliced:
            frame = self.tables[name]
            self.sliced[name] = frame[frame["run_id"].isin(self.ids)].reset_index(drop=True)
        return self.sliced[name]

    def __iter__(self):
        return iter(self.tables)

    def __len__(self) -> int:
        return len(self.tables)


def _custom_values(name: str, path: str, results: Results) -> pd.Series:
    """Call one custom output on a point's results; check it gave one number per run."""
    value = load_function(path)(results)
    ids = results.runs["run_id"]
    if isinstance(value, pd.Series):
        value = value.reindex(ids.to_numpy())
    elif np.ndim(value) == 1 and len(value) == len(ids):
        value = pd.Series(np.asarray(value), index=ids.to_numpy())
    else:
        raise ExperimentError(
            f"custom output {name!r} ({path}) must return one number per run (a Series indexed "
            f"by run_id, or {len(ids)} values), got {type(value).__name__}"
        )
    try:
        return value.astype(float)
    except (TypeError, ValueError) as exc:
        raise ExperimentError(f"custom output {name!r} ({path}) is not numeric: {exc}") from None


def _custom_columns(exp, tables: Mapping, ok: pd.DataFrame) -> dict[str, pd.Series]:
    if not exp.outputs.custom:
        return {}
    parts: dict[str, list[pd.Series]] = {n: [] for n in exp.outputs.custom}
    for point, runs in ok.groupby("point"):
        results = Results(exp.scenario(int(point)), _PointTables(tables, runs))
        for name, path in exp.outputs.custom.items():
            parts[name].append(_custom_values(name, path, results))
    return {f"custom_{n}": pd.concat(values) for n, values in parts.items()}


def per_run(exp, tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per successful run: ``run_id``, ``point``, ``replicate`` and every output.

    ``tables`` are the sweep's tables (read lazily: events only for ``events`` outputs, the
    tables a pattern needs only for ``patterns``).
    """
    ok = _ok_runs(tables["runs"])
    table = ok[list(KEYS)].set_index("run_id")
    index = table.index
    columns = _faction_columns(exp, tables["factions"], index)
    columns |= _pattern_columns(exp, tables, ok)
    if exp.outputs.events:
        columns |= _event_columns(exp, tables["events"], index)
    columns |= _custom_columns(exp, tables, ok)
    for name, values in columns.items():
        table[name] = values.reindex(index).to_numpy(dtype=float)
    return table.reset_index()


# --------------------------------------------------------------------------- per point


def median_interval(values: np.ndarray, confidence: float) -> tuple[float, float, float]:
    """Median of ``values`` and its distribution-free interval from order statistics.

    The ``l``-th and ``(n - l + 1)``-th smallest values, with ``l`` the ``(1 - confidence) / 2``
    quantile of Binomial(n, 1/2), cover the median with probability at least ``confidence``
    (Conover 1999, §3.2); with too few values to reach it the interval is the sample range.
    """
    x = np.sort(np.asarray(values, dtype=float))
    n = len(x)
    if n == 0:
        return np.nan, np.nan, np.nan
    from scipy import stats  # here, not at the top: it costs every run half a second to import

    rank = int(stats.binom.ppf((1 - confidence) / 2, n, 0.5))
    return float(np.median(x)), float(x[max(rank - 1, 0)]), float(x[min(n - rank, n - 1)])


def _share(values: np.ndarray, confidence: float) -> tuple[float, float, float]:
    n = len(values)
    if n == 0:
        return np.nan, np.nan, np.nan
    k = int(np.nansum(values))
    z = float(NormalDist().inv_cdf(0.5 + confidence / 2))
    return k / n, *wilson_interval(k, n, z)


def _mean(values: np.ndarray, confidence: float) -> tuple[float, float, float]:
    from factions.paired import t_interval

    values = values[~np.isnan(values)]
    if len(values) == 0:
        return np.nan, np.nan, np.nan
    mean = float(values.mean())
    _, half = t_interval(values, confidence)
    return mean, mean - half, mean + half


def holding_interval(
    passed: np.ndarray, required: np.ndarray, confidence: float, resamples: int, seed
) -> tuple[float, float, float]:
    """Patterns holding (pass rate >= required) and its bootstrap percentile interval.

    ``passed`` is a runs x patterns 0/1 matrix; runs are resampled with replacement.
    """
    n = len(passed)
    if n == 0:
        return np.nan, np.nan, np.nan
    value = float((passed.mean(axis=0) >= required).sum())
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, n, size=(resamples, n))
    counts = (passed[draws].mean(axis=1) >= required).sum(axis=1)
    tail = (1 - confidence) / 2
    low, high = np.quantile(counts, [tail, 1 - tail])
    return value, float(low), float(high)


def _summarise(exp, output: Output, runs: pd.DataFrame, point: int) -> tuple[float, ...]:
    a = exp.analysis
    if output.statistic == "holding":
        columns = [f"pattern_{i}" for i in range(len(exp.base.patterns))]
        required = np.array([p.min_pass_rate for p in exp.base.patterns])
        passed = runs[columns].to_numpy(dtype=float)
        return holding_interval(passed, required, a.confidence, a.resamples, [exp.seed, point])
    column = elimination_column(output.name.removeprefix("median_elimination_"))
    values = runs[column if output.statistic == "median" else output.name].to_numpy(float)
    summary = {"share": _share, "median": median_interval, "mean": _mean}[output.statistic]
    return summary(values, a.confidence)


def per_point(exp, runs: pd.DataFrame) -> pd.DataFrame:
    """One row per design point: ``runs``, and each output with ``_low`` and ``_high``."""
    horizon = exp.base.n_months
    groups = dict(tuple(runs.groupby("point"))) if len(runs) else {}
    empty = runs.iloc[:0]
    outputs = catalogue(exp)
    rows = []
    for point in range(exp.n_points):
        mine = groups.get(point, empty)
        row: dict[str, float] = {"point": point, "runs": len(mine)}
        for output in outputs:
            value, low, high = _summarise(exp, output, mine, point)
            row |= {output.name: value, f"{output.name}{LOW}": low, f"{output.name}{HIGH}": high}
        if exp.outputs.median_elimination:
            for fid in _factions(exp):
                standing = mine[elimination_column(fid)] >= horizon
                row[censored_column(fid)] = float(standing.mean()) if len(mine) else np.nan
        rows.append(row)
    return pd.DataFrame(rows)
