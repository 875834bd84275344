"""An ensemble is a one-point sweep kept in memory: same tables, progress, retries, options."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from factions.ensemble import run_ensemble
from factions.errors import ExperimentError
from factions.experiment import SweepOptions, make_experiment, run_sweep
from factions.experiment import runner as runner_module
from factions.experiment.runner import RunFailed, replicate_columns
from factions.scenario import load_scenario
from factions.tables import TABLES

TINY = Path(__file__).parent / "data" / "tiny.toml"
REPLICATES = 4
SEED = 3


@pytest.fixture(scope="module")
def tiny():
    return load_scenario(TINY)


@pytest.fixture(scope="module")
def ensemble(tiny):
    return run_ensemble(tiny, REPLICATES, SEED)


def test_an_ensemble_holds_the_tables_of_a_one_point_sweep(tiny, ensemble):
    swept = run_sweep(make_experiment(tiny, None, REPLICATES, SEED))
    for name in TABLES:
        expected = swept.tables[name].drop(columns=["point", "status", "error"], errors="ignore")
        pd.testing.assert_frame_equal(ensemble.tables[name], expected, obj=name)
    assert ensemble.runs["run_id"].tolist() == list(range(REPLICATES))


def test_an_ensemble_is_the_same_in_any_batches(tiny, ensemble, monkeypatch):
    monkeypatch.setattr(runner_module, "batch_size_for", lambda remaining, parallelism: 3)
    again = run_ensemble(tiny, REPLICATES, SEED)
    for name in TABLES:
        pd.testing.assert_frame_equal(again.tables[name], ensemble.tables[name], obj=name)


def test_progress_starts_at_zero_and_ends_at_the_total(tiny):
    calls = []
    run_ensemble(tiny, 3, SEED, progress=lambda done, total: calls.append((done, total)))
    assert calls[0] == (0, 3) and calls[-1] == (3, 3)
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)


def test_a_replicate_that_keeps_failing_raises_with_its_error(tiny, monkeypatch):
    calls = []

    def replicate(scenario, root, r):
        calls.append(r)
        if r == 1:
            raise ValueError("boom at replicate 1")
        return replicate_columns(scenario, root, r)

    monkeypatch.setattr(runner_module, "replicate_columns", replicate)
    with pytest.raises(RunFailed, match=r"(?s)replicate 1\).*boom at replicate 1"):
        run_ensemble(tiny, 3, SEED)
    assert calls.count(1) == 3  # the first try and the sweep's two retries


def test_a_replicate_that_fails_once_is_retried_in_order(tiny, ensemble, monkeypatch):
    failed: set[int] = set()

    def replicate(scenario, root, r):
        if r == 1 and r not in failed:
            failed.add(r)
            raise ValueError("flaky")
        return replicate_columns(scenario, root, r)

    monkeypatch.setattr(runner_module, "replicate_columns", replicate)
    monkeypatch.setattr(runner_module, "batch_size_for", lambda remaining, parallelism: 4)
    again = run_ensemble(tiny, REPLICATES, SEED)  # replicate 1 comes back after 0, 2 and 3
    for name in TABLES:
        pd.testing.assert_frame_equal(again.tables[name], ensemble.tables[name], obj=name)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"retries": -1}, "retries"),
        ({"executor": object(), "scheduler": "tcp://x:1"}, "not both"),
        ({"resume": True, "new": True}, "resume or new"),
    ],
)
def test_sweep_options_refuse_contradictions(settings, message):
    with pytest.raises(ExperimentError, match=message):
        SweepOptions(**settings)


def test_run_sweep_takes_options_or_their_fields_as_keywords(tiny):
    exp = make_experiment(tiny, None, 2, SEED)
    a = run_sweep(exp, options=SweepOptions(batch_size=1))
    b = run_sweep(exp, batch_size=1)
    for name in TABLES:
        pd.testing.assert_frame_equal(a.tables[name], b.tables[name], obj=name)
    with pytest.raises(TypeError, match="workerz"):
        run_sweep(exp, workerz=2)
