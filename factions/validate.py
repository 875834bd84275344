"""Score results against the historical patterns a scenario declares.

Each pattern is evaluated run by run (pass or fail, see :mod:`factions.scenario.patterns`); the
pass rate over runs comes with a Wilson score interval (Wilson 1927), and a pattern *holds* when
its pass rate reaches the pattern's ``min_pass_rate``.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pandas as pd

from factions.calendar import month_index, parse_month
from factions.results import Results
from factions.scenario import patterns as pt


def wilson_interval(successes: int, trials: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion."""
    if trials == 0:
        return (0.0, 1.0)
    p = successes / trials
    denominator = 1 + z**2 / trials
    centre = (p + z**2 / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z**2 / (4 * trials**2)) / denominator
    return (max(0.0, centre - half), min(1.0, centre + half))


def _eliminated_first(r: Results, p: pt.EliminatedFirst) -> pd.Series:
    f = r.factions.assign(m=month_index(r.factions["eliminated_at"]))
    first = f[f["eliminated"]].groupby("run_id")["m"].min()
    mine = f[f["faction"] == p.faction].set_index("run_id")["m"]
    return (mine == first.reindex(mine.index)).fillna(False)


def _survives(r: Results, p: pt.Survives) -> pd.Series:
    f = r.factions[r.factions["faction"] == p.faction].set_index("run_id")
    return ~f["eliminated"]


def _window(r: Results, p: pt.EliminationWindow) -> pd.Series:
    f = r.factions[r.factions["faction"] == p.faction].set_index("run_id")
    m = month_index(f["eliminated_at"])
    inside = f["eliminated"] & (m >= parse_month(p.earliest)) & (m <= parse_month(p.latest))
    return inside.fillna(False)


def _order(r: Results, p: pt.EliminationOrder) -> pd.Series:
    f = r.factions[r.factions["faction"].isin(p.order)]
    m = month_index(f["eliminated_at"]).where(f["eliminated"])
    months = f.assign(m=m).pivot(index="run_id", columns="faction", values="m")[p.order]
    steps = np.diff(months.to_numpy(dtype=float), axis=1)  # NaN (a survivor) fails both tests
    in_order = (steps >= 0) if p.ties else (steps > 0)
    return pd.Series(in_order.all(axis=1), index=months.index)


def _event_count(r: Results, p: pt.EventCount) -> pd.Series:
    e = r.events
    m = month_index(e["date"])
    hit = e[(e["kind"] == p.event) & (m >= parse_month(p.start)) & (m <= parse_month(p.end))]
    counts = hit.groupby("run_id").size().reindex(r.runs["run_id"], fill_value=0)
    return (counts >= p.count_min) & (counts <= p.count_max)


def _congress_seats(r: Results, p: pt.CongressSeats) -> pd.Series:
    c = r.congresses
    at = c[(month_index(c["date"]) == parse_month(p.date)) & (c["faction"] == p.faction)]
    seats = at.set_index("run_id")["seats"].reindex(r.runs["run_id"])
    return (seats - p.seats).abs() <= p.tolerance


def _membership(r: Results, p: pt.Membership) -> pd.Series:
    t = r.timeseries
    at = t[month_index(t["date"]) == parse_month(p.date)]
    total = at.groupby("run_id")["members"].sum().reindex(r.runs["run_id"])
    return (total - p.members).abs() <= p.tolerance * p.members


CHECKS: dict[str, Callable[[Results, object], pd.Series]] = {
    "eliminated_first": _eliminated_first,
    "survives": _survives,
    "elimination_window": _window,
    "elimination_order": _order,
    "event_count": _event_count,
    "congress_seats": _congress_seats,
    "membership": _membership,
}


def describe(p: object) -> str:
    """A one-line statement of a pattern."""
    if p.description:
        return p.description
    fields = p.model_dump(exclude={"kind", "description", "source", "min_pass_rate", "role"})
    return f"{p.kind}: " + ", ".join(f"{k}={v}" for k, v in fields.items() if v is not None)


def pattern_pass(results: Results) -> pd.DataFrame:
    """Run × pattern table of booleans (columns numbered like the scenario's patterns)."""
    columns = {
        i: CHECKS[p.kind](results, p).astype(bool).to_numpy()
        for i, p in enumerate(results.scenario.patterns)
    }
    return pd.DataFrame(columns, index=results.runs["run_id"].to_numpy())


def score(results: Results) -> pd.DataFrame:
    """Per pattern: pass rate, its 95% interval, the required rate, and whether it holds.

    Parameters
    ----------
    results : Results
        An ensemble of a scenario that declares ``patterns``.

    Returns
    -------
    DataFrame
        One row per declared pattern: ``pattern`` (index), ``kind``, ``description``,
        ``pass_rate``, ``ci_low`` and ``ci_high`` (Wilson 95% interval), ``required``
        (``min_pass_rate``) and ``holds`` (pass rate at or above the requirement).
    """
    passed = pattern_pass(results)
    rows = []
    for i, p in enumerate(results.scenario.patterns):
        k, n = int(passed[i].sum()), len(passed)
        low, high = wilson_interval(k, n)
        rows.append(
            {
                "pattern": i,
                "kind": p.kind,
                "description": describe(p),
                "pass_rate": k / n if n else np.nan,
                "ci_low": low,
                "ci_high": high,
                "required": p.min_pass_rate,
                "holds": bool(n and k / n >= p.min_pass_rate),
            }
        )
    return pd.DataFrame(rows)
