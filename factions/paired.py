"""Paired comparisons of two ensembles run on common random numbers.

Two ensembles run with the same root seed give replicate ``r`` the same random stream
(:mod:`factions.seeds`), so an outcome can be compared replicate by replicate: the pairs share
everything but the change under study, until the change makes the runs diverge. Used by the
comparative-statics tests and ``experiments/comparative_statics.py`` (``docs/validation.md``).

Per-replicate outcomes, each a Series indexed by replicate:

- :func:`months_standing` — months a faction stands, censored at the horizon (the restricted
  survival time; its mean is the restricted mean survival time of Royston & Parmar 2013);
- :func:`eliminated` — 1 if the faction is eliminated within the horizon, else 0;
- :func:`arrested_share`, :func:`coopted_share` — the share of a faction's cadres (by faction of
  origin) ever arrested, or co-opted into the leader's faction;
- :func:`event_count` — the number of events of one kind in a run.

:func:`compare` reports the mean paired difference ``b - a`` with a Student-t interval and a
one-sided p-value in each direction, from one of two tests:

- ``"t"``, the paired t-test: differences of restricted survival times are bounded (by the
  horizon) and, over 40 or more pairs, their mean is close enough to normal;
- ``"sign"``, the exact sign test (Conover 1999, §3.4): among the pairs that differ, the number in
  which ``b`` is higher is Binomial(n, 1/2) if the change has no effect (the two members of a pair
  are then exchangeable). On 0/1 outcomes such as :func:`eliminated` it is the exact McNemar
  (1947) test, the test for paired proportions.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from factions.errors import ExperimentError
from factions.results import Results
from factions.survival import survival_table

__all__ = [
    "Paired",
    "arrested_share",
    "check_paired",
    "compare",
    "coopted_share",
    "eliminated",
    "event_count",
    "months_standing",
    "t_interval",
]


def _by_replicate(results: Results, values: pd.Series) -> pd.Series:
    """Values indexed by run id, re-indexed by replicate (every run present)."""
    replicate = results.runs.set_index("run_id")["replicate"]
    out = values.reindex(replicate.index)
    out.index = pd.Index(replicate.to_numpy(), name="replicate")
    return out.sort_index()


def _faction_column(results: Results, faction: str, column: str) -> pd.Series:
    table = survival_table(results)
    if faction not in results.scenario.faction_ids:
        raise ExperimentError(f"unknown faction {faction!r}")
    rows = table[table["faction"] == faction].set_index("run_id")[column]
    return _by_replicate(results, rows)


def months_standing(results: Results, faction: str) -> pd.Series:
    """Months from the start until the faction's elimination, or the horizon if it stands."""
    return _faction_column(results, faction, "duration").astype(float)


def eliminated(results: Results, faction: str) -> pd.Series:
    """1.0 where the faction is eliminated within the horizon, else 0.0."""
    return _faction_column(results, faction, "observed").astype(float)


def _cadre_share(results: Results, faction: str, kind: str) -> pd.Series:
    """Share of the faction's cadres (by origin) named in at least one event of ``kind``."""
    cadres = results.cadres[results.cadres["faction"] == faction]
    events = results.events
    named = events[events["kind"] == kind][["run_id", "cadre"]].drop_duplicates()
    mine = cadres.merge(named.assign(hit=True), on=["run_id", "cadre"], how="left")
    share = mine["hit"].notna().groupby(mine["run_id"]).mean()
    return _by_replicate(results, share)


def arrested_share(results: Results, faction: str) -> pd.Series:
    """Share of the faction's cadres (by origin, whoever they later joined) ever arrested."""
    return _cadre_share(results, faction, "arrest")


def coopted_share(results: Results, faction: str) -> pd.Series:
    """Share of the faction's cadres (by origin) co-opted into the leader's faction."""
    return _cadre_share(results, faction, "cooptation")


def event_count(results: Results, kind: str) -> pd.Series:
    """Number of events of ``kind`` (e.g. ``"arrest"``) in each run."""
    events = results.events
    per_run = events[events["kind"] == kind].groupby("run_id").size()
    return _by_replicate(results, per_run).fillna(0).astype(float)


def check_paired(a: Results, b: Results) -> None:
    """Refuse ensembles that are not on common random numbers over the same months."""
    if a.manifest.get("root_seed") != b.manifest.get("root_seed"):
        raise ExperimentError("the ensembles have different root seeds: no common random numbers")
    sa, sb = a.scenario, b.scenario
    if (sa.start_month, sa.n_months) != (sb.start_month, sb.n_months):
        raise ExperimentError(f"different spans: {sa.start}–{sa.end} vs {sb.start}–{sb.end}")


@dataclass(frozen=True)
class Paired:
    """Outcome ``b - a`` over the replicates both ensembles ran (see :func:`compare`)."""

    pairs: int
    mean_a: float
    mean_b: float
    difference: float
    ci_low: float
    ci_high: float
    higher: int  # pairs in which b is higher
    lower: int  # pairs in which b is lower
    p_higher: float  # one-sided test: b tends to be higher
    p_lower: float  # one-sided test: b tends to be lower

    def as_dict(self) -> dict[str, float | int]:
        return asdict(self)


def t_interval(d: np.ndarray, confidence: float = 0.95) -> tuple[float, float]:
    """Standard error of the mean of paired differences ``d``, and the half-width of its
    Student-t ``confidence`` interval (both NaN with fewer than two pairs)."""
    n = len(d)
    if n < 2:
        return math.nan, math.nan
    se = d.std(ddof=1) / np.sqrt(n)
    return se, stats.t.ppf(0.5 + confidence / 2, n - 1) * se


def compare(
    a: pd.Series, b: pd.Series, test: Literal["t", "sign"] = "t", confidence: float = 0.95
) -> Paired:
    """Paired comparison of two per-replicate outcomes (Series indexed by replicate).

    Parameters
    ----------
    a, b : Series
        One outcome per replicate (e.g. :func:`months_standing`), of two ensembles run with
        the same seed; only replicates present in both count.
    test : {'t', 'sign'}, default 't'
        Paired t test, or exact sign test (McNemar's test on 0/1 outcomes).
    confidence : float, default 0.95
        Level of the t interval of the mean difference.

    Returns
    -------
    Paired
        ``b - a``: means, difference, its interval, and one-sided p-values.

    Raises
    ------
    ValueError
        Unknown ``test``.
    ExperimentError
        Fewer than two common replicates.
    """
    if test not in ("t", "sign"):
        raise ValueError(f"test must be 't' or 'sign', got {test!r}")
    both = pd.concat({"a": a, "b": b}, axis=1, join="inner").dropna()
    if len(both) < 2:
        raise ExperimentError("a paired comparison needs at least two common replicates")
    d = (both["b"] - both["a"]).to_numpy(dtype=float)
    n = len(d)
    se, half = t_interval(d, confidence)
    higher, lower = int((d > 0).sum()), int((d < 0).sum())
    untied = higher + lower

    def tail(k: int, sign: float) -> float:
        if test == "t":
            return float(stats.t.sf(sign * d.mean() / se, n - 1)) if se > 0 else float(k == 0)
        return float(stats.binomtest(k, untied, 0.5, "greater").pvalue) if untied else 1.0

    return Paired(
        pairs=n,
        mean_a=float(both["a"].mean()),
        mean_b=float(both["b"].mean()),
        difference=float(d.mean()),
        ci_low=float(d.mean() - half),
        ci_high=float(d.mean() + half),
        higher=higher,
        lower=lower,
        p_higher=tail(higher, 1.0),
        p_lower=tail(lower, -1.0),
    )


def two_sided(result: Paired) -> float:
    """The two-sided p-value of a :class:`Paired` result (twice the smaller one-sided one)."""
    return min(1.0, 2 * min(result.p_higher, result.p_lower))


def survival_tests(a: Results, b: Results, faction: str) -> dict[str, Paired]:
    """A faction's fate in ``b`` against ``a``, run by run on common random numbers.

    ``eliminated``: the exact McNemar test (the sign test on 0/1 outcomes) on whether the
    faction is eliminated within the horizon; ``months``: the paired t-test on the months it
    stands (censored at the horizon). These replace the log-rank test, which assumes
    independent samples, when the two ensembles share their seeds.
    """
    check_paired(a, b)
    return {
        "eliminated": compare(eliminated(a, faction), eliminated(b, faction), test="sign"),
        "months": compare(months_standing(a, faction), months_standing(b, faction), test="t"),
    }
