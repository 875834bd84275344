"""Designs: sizes, orders, bounds, reproducibility and hashes of every design kind."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from factions.errors import ExperimentError
from factions.experiment import designs
from factions.experiment.designs import Design

RANGES = {"a.x": (0.0, 1.0), "b.y": (10.0, 20.0), "c.z": (-1.0, 1.0)}


def test_grid_is_the_full_factorial_last_parameter_fastest():
    d = designs.grid({"a": [1, 2], "b": ["x", "y", "z"]})
    assert len(d) == 6 and d.parameters == ("a", "b")
    assert d.points[:4] == (
        {"a": 1, "b": "x"},
        {"a": 1, "b": "y"},
        {"a": 1, "b": "z"},
        {"a": 2, "b": "x"},
    )
    table = d.table()
    assert table["point"].tolist() == list(range(6))
    assert table.columns.tolist() == ["point", "a", "b"]


def test_an_empty_grid_is_one_point_an_ensemble():
    d = designs.grid({})
    assert len(d) == 1 and d.points == ({},)


def test_zip_pairs_levels_and_needs_equal_lengths():
    d = designs.zipped({"a": [1, 2, 3], "b": [True, False, True]})
    assert d.points == ({"a": 1, "b": True}, {"a": 2, "b": False}, {"a": 3, "b": True})
    with pytest.raises(ExperimentError, match="equal length"):
        designs.zipped({"a": [1, 2], "b": [1]})


def test_levels_must_be_non_empty_lists():
    with pytest.raises(ExperimentError, match="non-empty list"):
        designs.grid({"a": []})
    with pytest.raises(ExperimentError, match="non-empty list"):
        designs.grid({"a": "abc"})


def test_latin_hypercube_stays_in_bounds_and_stratifies():
    d = designs.latin_hypercube(RANGES, samples=20, seed=3)
    x = np.array([[p[n] for n in d.parameters] for p in d.points])
    assert x.shape == (20, 3)
    for i, (low, high) in enumerate(RANGES.values()):
        assert (x[:, i] >= low).all() and (x[:, i] <= high).all()
        strata = np.floor((x[:, i] - low) / (high - low) * 20).astype(int)
        assert sorted(strata) == list(range(20))  # one sample per stratum


def test_sobol_has_saltelli_size_and_is_reproducible():
    first = designs.sobol(RANGES, samples=8, seed=1)
    assert len(first) == 8 * (3 + 2)
    assert len(designs.sobol(RANGES, samples=8, seed=1, second_order=True)) == 8 * (2 * 3 + 2)
    assert first.hash == designs.sobol(RANGES, samples=8, seed=1).hash
    assert first.hash != designs.sobol(RANGES, samples=8, seed=2).hash
    assert first.problem["names"] == list(RANGES)


def test_sobol_refuses_sizes_that_are_not_powers_of_two():
    with pytest.raises(ExperimentError, match="power of two"):
        designs.sobol(RANGES, samples=6)


def test_morris_has_trajectories_times_d_plus_one_points():
    d = designs.morris(RANGES, trajectories=5, levels=4, seed=0)
    assert len(d) == 5 * 4 and d.samples.shape == (20, 3)
    with pytest.raises(ExperimentError, match="even"):
        designs.morris(RANGES, trajectories=5, levels=3)


def test_ranges_need_min_below_max():
    with pytest.raises(ExperimentError, match="min < max"):
        designs.latin_hypercube({"a": (1.0, 1.0)}, samples=4)


def test_integers_are_rounded_but_raw_samples_kept():
    d = designs.latin_hypercube({"n": (3.0, 12.0), "x": (0.0, 1.0)}, samples=10, seed=0)
    rounded = d.coerce(["n"])
    assert all(isinstance(p["n"], int) for p in rounded.points)
    assert all(isinstance(p["x"], float) for p in rounded.points)
    np.testing.assert_array_equal(rounded.samples, d.samples)


def test_csv_points(tmp_path):
    path = tmp_path / "points.csv"
    path.write_text("factions.a.military,events.war.enabled\n0.5,true\n1.5,false\n")
    d = designs.from_csv(path)
    assert d.kind == "csv"
    assert d.points == (
        {"factions.a.military": 0.5, "events.war.enabled": True},
        {"factions.a.military": 1.5, "events.war.enabled": False},
    )
    assert all(type(v) in (float, bool) for p in d.points for v in p.values())


def test_csv_with_empty_cells_is_refused():
    with pytest.raises(ExperimentError, match="empty cells"):
        designs.from_table(pd.DataFrame({"a": [1.0, None]}))


def test_json_round_trip_keeps_the_hash():
    for d in (
        designs.grid({"a": [1, 2], "b": [0.5]}),
        designs.morris(RANGES, trajectories=3, seed=4),
        designs.sobol(RANGES, samples=4, seed=4),
    ):
        back = Design.from_json(d.to_json())
        assert back.hash == d.hash and back.points == d.points
        if d.samples is not None:
            np.testing.assert_array_equal(back.samples, d.samples)
