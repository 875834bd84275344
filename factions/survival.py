"""Survival analysis of factions and cadres over an ensemble of runs (lifelines).

The unit of observation is a run × faction (or a run × cadre). Time is counted in whole months
since the scenario's start. A faction eliminated in month ``m`` has duration ``m - start``; a
faction still standing at the end of the horizon is *right-censored* at ``n_months`` (the month
after the last simulated one), never counted as eliminated. The Kaplan–Meier estimator
(Kaplan & Meier 1958) then gives the probability ``S(t)`` that a faction is still standing at the
end of month ``start + t``, with exponential Greenwood confidence bands as lifelines computes them.

Cadre survival measures time in office: from entering office until first leaving it (arrest,
demotion, exile...), censored at the horizon; :func:`cox_purge_risk` relates it to a cadre's
initial position with a Cox proportional-hazards model (Cox 1972).

A faction's end has a cause (purged, exiled, absorbed). The causes compete: a faction absorbed
cannot later be purged. :func:`cumulative_incidence` estimates, for each cause, the probability
that a faction has ended by that cause by month ``t`` with the Aalen–Johansen estimator (Aalen &
Johansen 1978), which treats the other causes as competing events rather than as censoring (one
minus Kaplan–Meier per cause would overstate each; Putter, Fiocco & Geskus 2007).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
from lifelines import AalenJohansenFitter, CoxPHFitter, KaplanMeierFitter, NelsonAalenFitter
from lifelines.statistics import StatisticalResult, logrank_test

from factions.calendar import format_month, month_index, parse_month
from factions.errors import ExperimentError
from factions.results import Results
from factions.tables import END_CAUSE_NAMES

__all__ = [
    "CADRE_COVARIATES",
    "ROUNDING",
    "cadre_survival_table",
    "competing_risks_table",
    "cox_design",
    "cox_purge_risk",
    "cumulative_incidence",
    "first_time_at_or_below",
    "horizon",
    "kaplan_meier",
    "logrank",
    "median_elimination",
    "nelson_aalen",
    "survival_at",
    "survival_table",
]

#: Tolerance when reading where a survival curve reaches a level (floating-point rounding).
ROUNDING = 1e-9
#: Continuous cadre covariates of :func:`cox_purge_risk` (standardised by default).
CADRE_COVARIATES = ("initial_military", "initial_loyalty", "tie_strength")


# --------------------------------------------------------------------------- helpers


def horizon(results: Results) -> int:
    """Censoring time in months since the start: the month after the last simulated one."""
    return int(results.scenario.n_months)


def _check_faction(results: Results, faction: str) -> None:
    known = results.scenario.faction_ids
    if faction not in known:
        raise ExperimentError(f"unknown faction {faction!r} (factions: {', '.join(known)})")


def _months_to_text(start_month: int, months: float) -> str | None:
    """A month offset as 'YYYY-MM', or None when it is not finite (never reached)."""
    if months is None or not np.isfinite(months):
        return None
    return format_month(start_month + int(months))


# --------------------------------------------------------------------------- factions


def survival_table(results: Results) -> pd.DataFrame:
    """One row per run × faction: ``run_id``, ``faction``, ``duration``, ``observed``.

    ``duration`` counts months since the scenario's start.

    ``observed`` is True only for factions eliminated within the horizon; the others are
    right-censored at :func:`horizon`. Durations are derived from the elimination dates so that
    they agree with the dates reported by :func:`median_elimination`.
    """
    f = results.factions
    start, end = results.scenario.start_month, horizon(results)
    eliminated_month = month_index(f["eliminated_at"])
    observed = f["eliminated"].astype(bool) & eliminated_month.notna()
    duration = (eliminated_month - start).where(observed, end)
    return pd.DataFrame(
        {
            "run_id": f["run_id"].to_numpy(),
            "faction": f["faction"].to_numpy(),
            "duration": duration.astype(np.int64).to_numpy(),
            "observed": observed.to_numpy(dtype=bool),
        }
    )


def competing_risks_table(results: Results) -> pd.DataFrame:
    """:func:`survival_table` with ``cause``: the faction's end cause for an observed end
    (one of ``END_CAUSE_NAMES``), missing for a censored one."""
    table = survival_table(results)
    cause = results.factions["end_cause"].to_numpy(dtype=object)
    table["cause"] = np.where(table["observed"].to_numpy(), cause, None)
    return table


def cumulative_incidence(
    results: Results, faction: str, alpha: float = 0.05, seed: int = 0
) -> pd.DataFrame:
    """Aalen–Johansen cumulative incidence of each end cause of ``faction``.

    One row per cause (in ``END_CAUSE_NAMES`` order) and month since the start (0 to the
    horizon): ``month``, ``date`` ('YYYY-MM'), ``cause``, ``incidence`` and its ``1 - alpha``
    band (``ci_lower``, ``ci_upper``). At every month the incidences of the causes add up to one
    minus the Kaplan–Meier survival. lifelines breaks tied times (many runs end in the same
    month) by a small random jitter, drawn with ``seed`` so the table is reproducible; each
    month's value is read after all the ends of that month.
    """
    _check_faction(results, faction)
    table = competing_risks_table(results)
    rows = table[table["faction"] == faction]
    codes = {name: k + 1 for k, name in enumerate(END_CAUSE_NAMES)}
    events = rows["cause"].map(codes).fillna(0).astype(np.int64).to_numpy()
    months = np.arange(horizon(results) + 1)
    start = results.scenario.start_month
    frames = []
    for name, code in codes.items():
        frames.append(
            _incidence_of(rows["duration"].to_numpy(), events, code, months, alpha, seed).assign(
                cause=name
            )
        )
    frame = pd.concat(frames, ignore_index=True)
    frame.insert(1, "date", [format_month(start + int(m)) for m in frame["month"]])
    return frame[["month", "date", "cause", "incidence", "ci_lower", "ci_upper"]]


def _incidence_of(
    durations: np.ndarray,
    events: np.ndarray,
    code: int,
    months: np.ndarray,
    alpha: float,
    seed: int,
) -> pd.DataFrame:
    """The Aalen–Johansen incidence of event ``code`` (0: censored) read at whole ``months``."""
    if not (events == code).any():
        zero = np.zeros(len(months))
        columns = {"incidence": zero, "ci_lower": zero, "ci_upper": zero}
        return pd.DataFrame({"month": months, **columns})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the jitter of tied times is announced by a warning
        fitter = AalenJohansenFitter(alpha=alpha, seed=seed).fit(
            durations, events, event_of_interest=code
        )
    curve = pd.concat([fitter.cumulative_density_, fitter.confidence_interval_], axis=1)
    index = curve.index.to_numpy(dtype=float)
    position = np.searchsorted(index, months + 0.5, side="right") - 1
    values = np.where(position[:, None] >= 0, curve.to_numpy(dtype=float)[position], 0.0)
    return pd.DataFrame(
        {
            "month": months,
            "incidence": values[:, 0],
            "ci_lower": np.nan_to_num(values[:, 1]),
            "ci_upper": np.nan_to_num(values[:, 2]),
        }
    )


def _faction_rows(results: Results, faction: str) -> pd.DataFrame:
    table = survival_table(results)
    return table[table["faction"] == faction]


def kaplan_meier(
    results: Results, faction: str | None = None, alpha: float = 0.05
) -> dict[str, KaplanMeierFitter]:
    """Fitted Kaplan–Meier estimators per faction (months since start), in scenario order.

    Parameters
    ----------
    results : Results
        An ensemble.
    faction : str, optional
        Fit this faction only.
    alpha : float, default 0.05
        The bands are ``1 - alpha`` confidence intervals.

    Returns
    -------
    dict of str to lifelines.KaplanMeierFitter
        Fitted estimators by faction id, each labelled with the faction's label (for legends).

    Raises
    ------
    ExperimentError
        ``faction`` is not one of the scenario's factions.
    """
    spec = results.scenario
    if faction is not None:
        _check_faction(results, faction)
    wanted = spec.faction_ids if faction is None else [faction]
    table = survival_table(results)
    fitters = {}
    for fid in wanted:
        rows = table[table["faction"] == fid]
        fitters[fid] = KaplanMeierFitter(alpha=alpha, label=spec.faction_table(fid).label).fit(
            rows["duration"], event_observed=rows["observed"]
        )
    return fitters


def first_time_at_or_below(curve: pd.Series, q: float = 0.5) -> float:
    """First time a step curve is at or below ``q``; ``inf`` when it never gets there.

    This is ``lifelines.utils.qth_survival_time`` with a rounding tolerance: lifelines
    multiplies survival in log space, so a curve that falls to exactly one half (three of six
    runs eliminated) can come back as 0.5000000000000001 and its median as "never".
    """
    hit = curve.to_numpy(dtype=float) <= q + ROUNDING
    return float(curve.index[np.argmax(hit)]) if hit.any() else math.inf


def _median_row(results: Results, fid: str, kmf: KaplanMeierFitter) -> dict[str, object]:
    start = results.scenario.start_month
    median = first_time_at_or_below(kmf.survival_function_.iloc[:, 0])
    band = kmf.confidence_interval_
    bounds = [first_time_at_or_below(band[column]) for column in band.columns]
    return {
        "faction": fid,
        "label": results.scenario.faction_table(fid).label,
        "runs": int(kmf.event_observed.size),
        "eliminated": int(kmf.event_observed.sum()),
        "median": _months_to_text(start, median),
        "ci_lower": _months_to_text(start, min(bounds)),
        "ci_upper": _months_to_text(start, max(bounds)),
    }


def median_elimination(results: Results, alpha: float = 0.05) -> pd.DataFrame:
    """Kaplan–Meier median elimination date per faction, with its ``1 - alpha`` interval.

    Dates are 'YYYY-MM' strings, or None when the survival curve (or its confidence band) never
    falls to one half within the horizon: the faction's median is then "not reached", which
    says more than a date at the horizon would. The interval comes from the confidence band of
    the curve (Brookmeyer & Crowley 1982), read as ``lifelines.utils.median_survival_times``
    reads it, but tolerant of rounding (see :func:`first_time_at_or_below`).
    """
    fitters = kaplan_meier(results, alpha=alpha)
    rows = [_median_row(results, fid, kmf) for fid, kmf in fitters.items()]
    return pd.DataFrame(rows)


def _step_values(frame: pd.DataFrame, times: np.ndarray) -> np.ndarray:
    """Values of right-continuous step functions (indexed by time) at ``times``; 1 before."""
    index = frame.index.to_numpy(dtype=float)
    position = np.searchsorted(index, times, side="right") - 1
    values = frame.to_numpy(dtype=float)
    out = np.ones((len(times), values.shape[1]))
    inside = position >= 0
    out[inside] = values[position[inside]]
    return out


def survival_at(results: Results, dates: Sequence[str], alpha: float = 0.05) -> pd.DataFrame:
    """Probability that each faction is still standing at the end of each month in ``dates``.

    Parameters
    ----------
    results : Results
        An ensemble.
    dates : sequence of str
        Months ``'YYYY-MM'``, not after the scenario's end.
    alpha : float, default 0.05
        The interval is a ``1 - alpha`` confidence interval.

    Returns
    -------
    DataFrame
        One row per faction × date: ``faction``, ``date``, ``survival``, ``ci_lower``,
        ``ci_upper``.

    Raises
    ------
    ValueError
        A date after the scenario's end: survival there is not identified when runs are
        censored at the horizon.
    """
    spec = results.scenario
    months = np.array([parse_month(d) for d in dates], dtype=np.int64)
    late = [d for d, m in zip(dates, months, strict=True) if m > spec.end_month]
    if late:
        raise ValueError(f"dates after the scenario's end ({spec.end}): {', '.join(late)}")
    times = (months - spec.start_month).astype(float)
    rows = []
    for fid, kmf in kaplan_meier(results, alpha=alpha).items():
        surv = _step_values(kmf.survival_function_, times)[:, 0]
        band = _step_values(kmf.confidence_interval_survival_function_, times)
        for i, date in enumerate(dates):
            rows.append(
                {
                    "faction": fid,
                    "date": date,
                    "survival": surv[i],
                    "ci_lower": band[i, 0],
                    "ci_upper": band[i, 1],
                }
            )
    return pd.DataFrame(rows)


def logrank(results_a: Results, results_b: Results, faction: str) -> StatisticalResult:
    """Log-rank test that ``faction`` survives alike in two ensembles (e.g. a counterfactual).

    Both ensembles must start in the same month, so that durations measure the same calendar
    time; their horizons may differ (censoring handles it).
    """
    if results_a.scenario.start_month != results_b.scenario.start_month:
        raise ExperimentError(
            "cannot compare survival of scenarios that start in different months "
            f"({results_a.scenario.start} vs {results_b.scenario.start})"
        )
    _check_faction(results_a, faction)
    _check_faction(results_b, faction)
    a, b = _faction_rows(results_a, faction), _faction_rows(results_b, faction)
    return logrank_test(
        a["duration"],
        b["duration"],
        event_observed_A=a["observed"],
        event_observed_B=b["observed"],
    )


def nelson_aalen(results: Results, faction: str, alpha: float = 0.05) -> NelsonAalenFitter:
    """Nelson–Aalen cumulative hazard of elimination of one faction (months since start).

    Ties (several runs eliminated in the same month) use lifelines' default correction, which
    counts them as if they happened one after the other (``sum 1/(n - i)`` rather than ``d/n``):
    months are a coarse clock, and tied eliminations are rarely truly simultaneous.
    """
    _check_faction(results, faction)
    rows = _faction_rows(results, faction)
    label = results.scenario.faction_table(faction).label
    return NelsonAalenFitter(alpha=alpha, label=label).fit(
        rows["duration"], event_observed=rows["observed"]
    )


# --------------------------------------------------------------------------- cadres


def cadre_survival_table(results: Results) -> pd.DataFrame:
    """One row per run × cadre: months in office until first leaving it, or until the horizon.

    ``observed`` is True for cadres who left office (for whatever fate) before the horizon;
    cadres still in office are right-censored. Covariates of the cadres table are kept, with
    ``initial_seat`` as 0/1.
    """
    c = results.cadres
    end = results.scenario.start_month + horizon(results)
    entered = month_index(c["entered"])
    left = month_index(c["left"])
    observed = left.notna() & (left < end)
    duration = left.where(observed, end) - entered
    table = c[["run_id", "cadre", "faction", "fate", *CADRE_COVARIATES]].copy()
    table["initial_seat"] = c["initial_seat"].astype(np.int64)
    table["duration"] = duration.astype(np.int64).to_numpy()
    table["observed"] = observed.to_numpy(dtype=bool)
    return table.reset_index(drop=True)


def _faction_dummies(table: pd.DataFrame, factions: Iterable[str], reference: str) -> pd.DataFrame:
    """0/1 columns ``faction_<id>`` for every faction but the reference one."""
    return pd.DataFrame(
        {
            f"faction_{fid}": (table["faction"] == fid).astype(np.int64)
            for fid in factions
            if fid != reference
        },
        index=table.index,
    )


def cox_design(results: Results, standardize: bool = True) -> pd.DataFrame:
    """The design matrix of :func:`cox_purge_risk`: duration, observed, run id, covariates.

    Faction dummies use the leader's faction as the reference, so their hazard ratios read as
    "risk relative to the leader's own camp". With ``standardize``, continuous covariates are
    centred and scaled to one standard deviation (their hazard ratios are per SD). Covariates
    that never vary are dropped: there is no effect of theirs to estimate.
    """
    table = cadre_survival_table(results)
    spec = results.scenario
    continuous = table[list(CADRE_COVARIATES)].astype(float)
    if standardize:
        scale = continuous.std(ddof=0).replace(0.0, 1.0)
        continuous = (continuous - continuous.mean()) / scale
    dummies = _faction_dummies(table, spec.faction_ids, spec.leader.faction)
    covariates = pd.concat([dummies, continuous, table[["initial_seat"]]], axis=1)
    covariates = covariates.loc[:, covariates.nunique() > 1]
    return pd.concat([table[["duration", "observed", "run_id"]], covariates], axis=1)


def cox_purge_risk(
    results: Results, penalizer: float = 0.01, standardize: bool = True
) -> CoxPHFitter:
    """Cox model of the hazard of leaving office, by faction and initial position.

    Covariates: faction dummies (reference: the leader's faction), initial military force,
    initial loyalty, tie strength and initial central-committee seat. A small ridge
    ``penalizer`` keeps the fit stable when a faction is (almost) never purged. Standard errors
    are clustered on runs (cadres of one run share its history), with the robust sandwich
    estimator (Lin & Wei 1989).
    """
    design = cox_design(results, standardize=standardize)
    return CoxPHFitter(penalizer=penalizer).fit(
        design,
        duration_col="duration",
        event_col="observed",
        cluster_col="run_id",
    )
