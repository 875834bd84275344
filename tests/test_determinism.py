"""Same scenario + same seed = identical results, whatever the number of workers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from factions.ensemble import run_ensemble
from factions.model import FactionModel
from factions.scenario import load_scenario
from factions.seeds import replicate_seed
from factions.tables import TABLES


@pytest.fixture(scope="module")
def korea():
    return load_scenario("korea-1945")


def test_same_seed_same_model(korea):
    a = FactionModel(korea, rng=replicate_seed(5, 0)).run()
    b = FactionModel(korea, rng=replicate_seed(5, 0)).run()
    assert a.recorder.events == b.recorder.events
    for name, series in a.recorder.series.items():
        np.testing.assert_array_equal(series, b.recorder.series[name], err_msg=name)


def test_different_seeds_differ(korea):
    a = FactionModel(korea, rng=replicate_seed(5, 0)).run()
    b = FactionModel(korea, rng=replicate_seed(5, 1)).run()
    assert a.recorder.events != b.recorder.events


def test_results_do_not_depend_on_workers(korea):
    serial = run_ensemble(korea, replicates=6, seed=11, workers=1)
    parallel = run_ensemble(korea, replicates=6, seed=11, workers=2)
    for name in TABLES:
        pd.testing.assert_frame_equal(serial.tables[name], parallel.tables[name], obj=name)


def test_replicate_streams_are_common_random_numbers(korea):
    """Replicate i draws the same stream in every ensemble size (and every counterfactual)."""
    small = run_ensemble(korea, replicates=3, seed=4)
    large = run_ensemble(korea, replicates=5, seed=4)
    head = large.factions[large.factions["run_id"] < 3].reset_index(drop=True)
    pd.testing.assert_frame_equal(small.factions, head)
    assert list(large.runs["seed"]) == [f"4:({i},)" for i in range(5)]
