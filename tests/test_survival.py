"""Survival analysis: checked against a hand-written Kaplan–Meier estimator.

The reference implementation below follows the textbook product-limit formula with Greenwood's
variance and log(-log) ("exponential Greenwood") intervals; it reads the raw ``factions`` table
(``eliminated``, ``duration_months``), not :func:`factions.survival.survival_table`.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lifelines import CoxPHFitter, KaplanMeierFitter

from factions import survival
from factions.calendar import format_month, month_timestamps
from factions.errors import ExperimentError
from factions.results import Results
from factions.scenario.load import scenario_from_document

Z95 = 1.959963984540054
HALF = 0.5 + 1e-9  # S = 2/3 * 3/4 is 0.5 on paper, not always in floating point

# --------------------------------------------------------------------------- reference KM


@dataclass
class HandKM:
    """Product-limit estimate at each distinct event time, with Greenwood's sum."""

    times: list[float]
    survival: list[float]
    greenwood: list[float]

    @classmethod
    def fit(cls, durations: np.ndarray, observed: np.ndarray) -> HandKM:
        durations = np.asarray(durations, dtype=float)
        observed = np.asarray(observed, dtype=bool)
        s, g = 1.0, 0.0
        times, surv, green = [], [], []
        for t in sorted(set(durations[observed])):
            at_risk = int((durations >= t).sum())
            deaths = int(((durations == t) & observed).sum())
            s *= 1.0 - deaths / at_risk
            g += deaths / (at_risk * (at_risk - deaths)) if at_risk > deaths else math.inf
            times.append(t)
            surv.append(s)
            green.append(g)
        return cls(times, surv, green)

    def _last(self, t: float) -> int | None:
        ok = [i for i, time in enumerate(self.times) if time <= t]
        return ok[-1] if ok else None

    def at(self, t: float) -> float:
        i = self._last(t)
        return 1.0 if i is None else self.survival[i]

    def band(self, t: float) -> tuple[float, float]:
        """Log(-log) interval (Kalbfleisch & Prentice); degenerate at S = 1 and S = 0."""
        i = self._last(t)
        s = 1.0 if i is None else self.survival[i]
        if s >= 1.0 or s <= 0.0:
            return (s, s)
        log_s = math.log(s)
        se = math.sqrt(self.greenwood[i]) / abs(log_s)
        centre = math.log(-log_s)
        return (math.exp(-math.exp(centre + Z95 * se)), math.exp(-math.exp(centre - Z95 * se)))

    def median(self) -> float | None:
        return next((t for t, s in zip(self.times, self.survival, strict=True) if s <= HALF), None)

    def band_median(self, side: int) -> float | None:
        return next((t for t in self.times if self.band(t)[side] <= HALF), None)


def hand_km(results: Results, faction: str) -> HandKM:
    f = results.factions[results.factions["faction"] == faction]
    return HandKM.fit(f["duration_months"].to_numpy(), f["eliminated"].to_numpy())


def as_date(results: Results, months: float | None) -> str | None:
    return None if months is None else format_month(results.scenario.start_month + int(months))


# --------------------------------------------------------------------------- fixtures


@functools.cache
def tiny_scenario(start: str = "2000-01", end: str = "2000-12"):
    factions = {
        fid: {"label": fid.upper(), "cadres": 10, "loyalty": {"mean": 0.5}, "military": 0.5}
        for fid in ("a", "b", "c")
    }
    factions["a"]["notables"] = [{"name": "Boss"}]
    return scenario_from_document(
        {
            "name": "tiny",
            "start": start,
            "end": end,
            "factions": factions,
            "leader": {"faction": "a", "name": "Boss"},
            "committee": {"initial_seats": 9},
            "membership": {"initial": 1000, "capacity": 5000},
        }
    )


def synthetic(rows: dict[str, list[int | None]], start: str = "2000-01", end: str = "2000-12"):
    """Results whose faction ``fid`` is eliminated ``rows[fid][run]`` months after the start.

    None means the faction survives the run (censored at the horizon).
    """
    spec = tiny_scenario(start, end)
    records = []
    for fid, offsets in rows.items():
        for run, offset in enumerate(offsets):
            eliminated = offset is not None
            month = spec.start_month + (offset or 0)
            records.append(
                {
                    "run_id": run,
                    "faction": fid,
                    "eliminated": eliminated,
                    "eliminated_at": month_timestamps([month])[0] if eliminated else pd.NaT,
                    "duration_months": offset if eliminated else spec.n_months,
                }
            )
    factions = pd.DataFrame(records)
    runs = pd.DataFrame({"run_id": sorted(factions["run_id"].unique())})
    return Results(spec, {"factions": factions, "runs": runs})


# --------------------------------------------------------------------------- real ensemble


def test_survival_table_follows_the_factions_table(korea):
    table = survival.survival_table(korea)
    f = korea.factions
    assert len(table) == len(f)
    assert (table["observed"].to_numpy() == f["eliminated"].to_numpy()).all()
    assert (table["duration"].to_numpy() == f["duration_months"].to_numpy()).all()
    censored = table[~table["observed"]]
    assert (censored["duration"] == korea.scenario.n_months).all()


def test_medians_agree_with_hand_kaplan_meier(korea):
    medians = survival.median_elimination(korea).set_index("faction")
    assert list(medians.index) == korea.scenario.faction_ids
    for fid in korea.scenario.faction_ids:
        hand = hand_km(korea, fid)
        row = medians.loc[fid]
        assert row["median"] == as_date(korea, hand.median())
        assert row["ci_lower"] == as_date(korea, hand.band_median(0))
        assert row["ci_upper"] == as_date(korea, hand.band_median(1))


def test_survival_at_agrees_with_hand_kaplan_meier(korea):
    spec = korea.scenario
    dates = ["1945-09", "1950-06", "1953-07", "1956-08", "1958-12", spec.end]
    table = survival.survival_at(korea, dates)
    assert len(table) == len(dates) * len(spec.faction_ids)
    for row in table.itertuples():
        hand = hand_km(korea, row.faction)
        t = (int(row.date[:4]) * 12 + int(row.date[5:]) - 1) - spec.start_month
        assert row.survival == pytest.approx(hand.at(t), abs=1e-12)
        low, high = hand.band(t)
        assert row.ci_lower == pytest.approx(low, abs=1e-9)
        assert row.ci_upper == pytest.approx(high, abs=1e-9)


def test_the_leaders_faction_survives_and_has_no_median(korea):
    leader = korea.scenario.leader.faction
    fell = korea.factions.loc[korea.factions["faction"] == leader, "eliminated"]
    assert not fell.any(), "the leader's faction fell in a run of this fixed-seed ensemble"
    row = survival.median_elimination(korea).set_index("faction").loc[leader]
    assert row["median"] is None and row["ci_lower"] is None and row["ci_upper"] is None


def test_kaplan_meier_one_faction_is_labelled(korea):
    fitters = survival.kaplan_meier(korea, "yanan")
    assert list(fitters) == ["yanan"]
    kmf = fitters["yanan"]
    assert isinstance(kmf, KaplanMeierFitter)
    assert kmf.label == korea.scenario.factions["yanan"].label


def test_nelson_aalen_is_the_sum_of_hazards(korea):
    f = korea.factions[korea.factions["faction"] == "soviet"]
    d, e = f["duration_months"].to_numpy(), f["eliminated"].to_numpy()
    expected = 0.0
    for t in np.unique(d[e]):  # ties as successive events: 1/n + 1/(n-1) + ...
        n, deaths = (d >= t).sum(), ((d == t) & e).sum()
        expected += sum(1 / (n - i) for i in range(deaths))
    naf = survival.nelson_aalen(korea, "soviet")
    assert naf.cumulative_hazard_.iloc[-1, 0] == pytest.approx(expected)


def test_cadre_table_times_in_office(korea):
    table = survival.cadre_survival_table(korea)
    c = korea.cadres
    assert len(table) == len(c)
    horizon = korea.scenario.start_month + korea.scenario.n_months
    entered = c["entered"].dt.year * 12 + c["entered"].dt.month - 1
    left = c["left"].dt.year * 12 + c["left"].dt.month - 1
    expected = left.fillna(horizon) - entered
    assert (table["duration"].to_numpy() == expected.to_numpy()).all()
    assert (table["observed"].to_numpy() == c["left"].notna().to_numpy()).all()
    assert (table["duration"] >= 0).all()


def test_cox_purge_risk_fits_on_the_named_covariates(korea):
    cph = survival.cox_purge_risk(korea)
    assert isinstance(cph, CoxPHFitter)
    names = set(cph.params_.index)
    others = {f"faction_{f}" for f in korea.scenario.faction_ids} - {"faction_kapsan"}
    assert others <= names
    assert {"initial_military", "initial_loyalty", "tie_strength", "initial_seat"} <= names
    assert np.isfinite(cph.params_).all()
    assert cph.concordance_index_ > 0.5


def test_logrank_of_an_ensemble_with_itself(korea):
    result = survival.logrank(korea, korea, "domestic")
    assert result.test_statistic == pytest.approx(0.0, abs=1e-9)
    assert result.p_value == pytest.approx(1.0)


def test_unknown_faction_and_late_dates_are_refused(korea):
    with pytest.raises(ExperimentError, match="unknown faction 'nope'"):
        survival.kaplan_meier(korea, "nope")
    with pytest.raises(ValueError, match="after the scenario's end"):
        survival.survival_at(korea, ["1962-01"])


# --------------------------------------------------------------------------- synthetic tables


def test_censored_runs_are_never_counted_as_eliminated():
    r = synthetic({"a": [None] * 4, "b": [2, 5, None, None], "c": [3, 3, 3, 3]})
    table = survival.survival_table(r)
    b = table[table["faction"] == "b"]
    assert list(b["observed"]) == [True, True, False, False]
    assert list(b["duration"]) == [2, 5, 12, 12]
    at_end = survival.survival_at(r, ["2000-12"]).set_index("faction")["survival"]
    assert at_end["b"] == pytest.approx(0.5)  # not 0: two runs are censored, not eliminated
    assert at_end["a"] == 1.0
    assert at_end["c"] == 0.0


def test_ties_count_together():
    r = synthetic({"a": [None] * 5, "b": [4, 4, 4, 7, None], "c": [1, 2, 3, 4, 5]})
    s = survival.survival_at(r, ["2000-04", "2000-05", "2000-08"]).set_index(["faction", "date"])
    # three of five eliminated in May (offset 4), one of the remaining two in August
    assert s.loc[("b", "2000-04"), "survival"] == 1.0
    assert s.loc[("b", "2000-05"), "survival"] == pytest.approx(0.4)
    assert s.loc[("b", "2000-08"), "survival"] == pytest.approx(0.2)
    medians = survival.median_elimination(r).set_index("faction")["median"]
    assert medians["b"] == "2000-05"
    assert medians["c"] == "2000-04"  # S: 0.8, 0.6, then 0.4 three months after the start


def test_a_faction_never_eliminated_has_no_median():
    r = synthetic({"a": [None] * 6, "b": [1, None, None, None, None, None], "c": [2] * 6})
    medians = survival.median_elimination(r).set_index("faction")
    assert medians.loc["a", ["median", "ci_lower", "ci_upper"]].isna().all()
    assert medians.loc["b", "median"] is None  # 5/6 survive: the median is not reached
    assert medians.loc["c", "median"] == "2000-03"
    assert medians.loc["a", "eliminated"] == 0 and medians.loc["c", "eliminated"] == 6
    band = survival.survival_at(r, ["2000-12"]).set_index("faction").loc["a"]
    assert (band["survival"], band["ci_lower"], band["ci_upper"]) == (1.0, 1.0, 1.0)


def test_median_at_exactly_one_half_is_the_first_month_reaching_it():
    r = synthetic({"a": [None] * 6, "b": [0, 0, 0, None, None, None], "c": [1, 2, 6, 8, 9, 9]})
    medians = survival.median_elimination(r).set_index("faction")["median"]
    assert medians["b"] == "2000-01"  # lifelines' own median_survival_time_ says inf here
    assert medians["c"] == "2000-07"


def test_logrank_separates_different_ensembles_and_needs_a_common_start():
    early = synthetic({"a": [None] * 20, "b": [1, 2] * 10, "c": [None] * 20})
    late = synthetic({"a": [None] * 20, "b": [None] * 20, "c": [None] * 20})
    assert survival.logrank(early, late, "b").p_value < 0.001
    shifted = synthetic({"a": [None], "b": [None], "c": [None]}, start="2001-01", end="2001-12")
    with pytest.raises(ExperimentError, match="start in different months"):
        survival.logrank(early, shifted, "b")


@settings(max_examples=25, deadline=None)
@given(
    st.lists(st.one_of(st.none(), st.integers(min_value=0, max_value=11)), min_size=1, max_size=25)
)
def test_survival_matches_hand_kaplan_meier_on_any_table(offsets):
    r = synthetic({"a": [None] * len(offsets), "b": offsets, "c": [None] * len(offsets)})
    dates = [format_month(r.scenario.start_month + m) for m in range(12)]
    got = survival.survival_at(r, dates).query("faction == 'b'")["survival"].to_numpy()
    hand = hand_km(r, "b")
    assert got == pytest.approx([hand.at(m) for m in range(12)], abs=1e-12)
    median = survival.median_elimination(r).set_index("faction").loc["b", "median"]
    assert median == as_date(r, hand.median())
