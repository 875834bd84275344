"""The flagship scenario against the historical record (slow: hundreds of replicates).

The thresholds are the model issue's bar. Seed 1 is the calibration seed; seed 2 was never used
for tuning, so it checks that the calibration is not one lucky seed.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from factions.ensemble import run_ensemble
from factions.summary import challenge_stats, faction_rows, summarise

pytestmark = pytest.mark.slow

CHECKER = Path(__file__).resolve().parents[2] / "shared" / "tools" / "check_patterns.py"


@pytest.fixture(scope="module", params=[(1, 500), (2, 300)], ids=["seed1-tuned", "seed2-untuned"])
def flagship(request):
    seed, replicates = request.param
    return run_ensemble("korea-1945", replicates=replicates, seed=seed, workers=2)


def _year(month: str | None) -> int:
    assert month is not None, "median elimination not reached"
    return int(month[:4])


def test_order_and_survival(flagship):
    rows = {r["faction"]: r for r in faction_rows(flagship)}
    assert rows["domestic"]["first_share"] >= 0.60
    assert 1 - rows["kapsan"]["eliminated_share"] >= 0.90


def test_median_elimination_dates(flagship):
    rows = {r["faction"]: r for r in faction_rows(flagship)}
    assert 1952 <= _year(rows["domestic"]["median_elimination"]) <= 1956
    assert 1955 <= _year(rows["soviet"]["median_elimination"]) <= 1959
    assert 1956 <= _year(rows["yanan"]["median_elimination"]) <= 1959


def test_one_failed_challenge_by_yanan_and_soviet(flagship):
    e = flagship.events
    attempts = e[(e["kind"] == "challenge") & e["date"].dt.year.between(1953, 1958)]
    per_run = attempts.groupby("run_id").size().reindex(flagship.runs["run_id"], fill_value=0)
    by_rivals = attempts[attempts["faction"].isin(["yanan", "soviet"])]["run_id"]
    assert (per_run[per_run == 1].index.isin(by_rivals)).sum() / len(per_run) >= 0.5
    assert attempts["faction"].isin(["yanan", "soviet"]).mean() >= 0.9  # the rare rest: domestic
    runs_with_one = per_run[per_run >= 1].index
    succeeded = e[e["kind"] == "challenge_success"]["run_id"].unique()
    assert 1 - len(set(succeeded) & set(runs_with_one)) / len(runs_with_one) >= 0.8
    assert challenge_stats(flagship)["failure_share"] >= 0.8


def test_1948_congress_seats(flagship):
    c = flagship.congresses
    c48 = c[c["date"] == pd.Timestamp("1948-03-01")]
    median = c48.groupby("faction")["seats"].median()
    assert abs(median["soviet"] - 14) <= 3
    assert abs(median["yanan"] - 17) <= 3
    assert c48.groupby("run_id")["seats"].sum().eq(67).all()


def test_independent_checker_agrees(flagship, tmp_path):
    if not CHECKER.exists():
        pytest.skip("shared/tools/check_patterns.py not present")
    folder = flagship.save(tmp_path / "korea", summarise(flagship))
    done = subprocess.run(
        [sys.executable, str(CHECKER), str(folder)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
