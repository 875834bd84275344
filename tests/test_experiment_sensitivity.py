"""Outputs per run and per point, Sobol and Morris indices (SALib), paired comparisons."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from factions.errors import ExperimentError
from factions.experiment import designs, make_experiment, outputs, run_sweep, sensitivity
from factions.scenario import load_scenario

TINY = Path(__file__).parent / "data" / "tiny.toml"
RANGES = {"x1": (0.0, 1.0), "x2": (0.0, 1.0), "x3": (0.0, 1.0)}


def _outputs_of(design, function) -> pd.DataFrame:
    x = np.array([[p[n] for n in design.parameters] for p in design.points])
    y = function(x)
    return pd.DataFrame(
        {
            "point": np.arange(len(x)),
            "survival_f_1950-01": y,
            "survival_f_1950-01_low": y,
            "survival_f_1950-01_high": y,
        }
    )


def test_sobol_indices_recover_a_known_function():
    design = designs.sobol(RANGES, samples=256, seed=0)
    table = _outputs_of(design, lambda x: 4 * x[:, 0] + x[:, 1] + 2 * x[:, 0] * x[:, 1])
    si = sensitivity.sobol_indices(design, table, seed=1).set_index("parameter")
    assert list(si.columns) == ["output", "S1", "S1_conf", "ST", "ST_conf"]
    assert si.loc["x1", "S1"] > 0.7 > si.loc["x2", "S1"] > 0.02
    assert abs(si.loc["x3", "ST"]) < 0.02  # x3 does nothing
    assert (si.loc[["x1", "x2"], ["S1_conf", "ST_conf"]] > 0).all().all()
    again = sensitivity.sobol_indices(design, table, seed=1)
    pd.testing.assert_frame_equal(si.reset_index()[again.columns], again)  # seeded bootstrap


def test_morris_ranks_parameters():
    design = designs.morris(RANGES, trajectories=20, seed=0)
    table = _outputs_of(design, lambda x: 5 * x[:, 0] + x[:, 1] ** 2)
    mu = sensitivity.morris_indices(design, table).set_index("parameter")["mu_star"]
    assert mu["x1"] > mu["x2"] > mu["x3"] == 0


def test_constant_outputs_get_missing_indices_and_gaps_are_refused():
    design = designs.sobol(RANGES, samples=8, seed=0)
    flat = _outputs_of(design, lambda x: np.ones(len(x)))
    assert sensitivity.sobol_indices(design, flat)["S1"].isna().all()
    holes = _outputs_of(design, lambda x: x[:, 0])
    holes.loc[3, "survival_f_1950-01"] = np.nan
    with pytest.raises(ExperimentError, match=r"missing at points \[3\]"):
        sensitivity.sobol_indices(design, holes)
    with pytest.raises(ExperimentError, match="sobol design"):
        sensitivity.sobol_indices(designs.grid({"a": [1, 2]}), holes)


def test_run_outputs_count_survival_to_the_end_of_the_month():
    exp = make_experiment(
        load_scenario(TINY),
        designs.grid({"factions.clients.military": [0.1, 0.2]}),
        replicates=3,
        outputs={"factions": ["clients"], "survival": ["1950-06"]},
    )
    runs = pd.DataFrame(
        {"run_id": [0, 1, 2], "point": [0, 0, 0], "replicate": [0, 1, 2], "status": ["ok"] * 3}
    )
    factions = pd.DataFrame(
        {
            "run_id": [0, 1, 2],
            "faction": ["clients"] * 3,
            "eliminated": [True, True, False],
            "eliminated_at": pd.to_datetime(["1950-06-01", "1950-07-01", None]),
            "duration_months": [5, 6, 48],
            "end_cause": ["purged", "exiled", None],
        }
    )
    out = outputs.per_run(exp, {"runs": runs, "factions": factions})
    assert out["survival_clients_1950-06"].tolist() == [0.0, 1.0, 1.0]
    assert out["elimination_clients"].tolist() == [5.0, 6.0, 48.0]
    per_point = outputs.per_point(exp, out)
    assert per_point["runs"].tolist() == [3, 0]
    assert per_point.loc[0, "survival_clients_1950-06"] == pytest.approx(2 / 3)
    assert per_point.loc[0, "median_elimination_clients"] == 6.0
    assert per_point.loc[0, "censored_clients"] == pytest.approx(1 / 3)
    assert np.isnan(per_point.loc[1, "median_elimination_clients"])


def test_paired_comparison_uses_common_random_numbers():
    rng = np.random.default_rng(0)
    luck = rng.normal(size=200)  # replicate r's luck, the same at both points
    per_run = pd.DataFrame(
        {
            "point": np.repeat([0, 1], 200),
            "replicate": np.tile(np.arange(200), 2),
            "elimination_a": np.concatenate([luck, luck + 1.0 + rng.normal(0, 0.1, 200)]),
        }
    )
    row = sensitivity.compare_points(per_run, baseline=0).iloc[0]
    assert row["point"] == 1 and row["pairs"] == 200
    assert row["ci_low"] < 1.0 < row["ci_high"]
    assert row["se_paired"] < row["se_independent"] / 5


def test_a_small_sobol_sweep_end_to_end():
    design = designs.sobol(
        {"factions.clients.military": (0.1, 1.0), "mechanisms.purge.launch_rate": (0.05, 0.4)},
        samples=2,
        seed=0,
    )
    exp = make_experiment(
        load_scenario(TINY), design, replicates=2, seed=3, outputs={"survival": ["1952-12"]}
    )
    results = run_sweep(exp)
    analysis = results.analyse()
    assert set(analysis) == {"outputs", "sobol"}
    assert len(analysis["outputs"]) == 8 and (analysis["outputs"]["runs"] == 2).all()
    sobol = analysis["sobol"]
    assert set(sobol["parameter"]) == set(design.parameters)
    assert set(sobol["output"]) == set(sensitivity.output_names(analysis["outputs"]))
