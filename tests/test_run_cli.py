"""End-to-end: `factions run` writes a complete results folder that pandas can load."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from factions.executors import MIN_RUNS_PER_WORKER
from factions.results import Results

TINY = Path(__file__).parent / "data" / "tiny.toml"

COLUMNS = {
    "runs": {"run_id", "replicate", "seed", "scenario_hash"},
    "factions": {"run_id", "faction", "eliminated", "eliminated_at", "duration_months"},
    "timeseries": {
        "run_id",
        "date",
        "faction",
        "active_cadres",
        "seats",
        "military",
        "loyalty",
        "power_share",
        "members",
        "in_coalition",
    },
    "events": {"run_id", "date", "kind", "faction", "cadre", "detail"},
    "congresses": {"run_id", "date", "faction", "seats", "new_members"},
    "cadres": {"run_id", "cadre", "faction", "entered", "left", "fate"},
}


@pytest.fixture(scope="module")
def results_folder(tmp_path_factory, factions_cli):
    out = tmp_path_factory.mktemp("run") / "korea"
    done = factions_cli(
        "run", "korea-1945", "-n", "8", "--seed", "3", "-j", "2", "--no-figures", "--out", str(out)
    )
    assert done.returncode == 0, done.stderr
    return out, done


def test_run_writes_every_table(results_folder):
    out, _ = results_folder
    for name, columns in COLUMNS.items():
        frame = pd.read_parquet(out / f"{name}.parquet")
        assert columns <= set(frame.columns), name
    assert pd.read_parquet(out / "runs.parquet")["run_id"].tolist() == list(range(8))


def test_run_prints_summary_and_writes_json(results_folder):
    out, done = results_folder
    assert "Kapsan (partisans)" in done.stdout and "historical patterns" in done.stdout
    summary = json.loads((out / "summary.json").read_text())
    assert summary["runs"] == 8 and len(summary["factions"]) == 4
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["root_seed"] == 3
    assert manifest["resolved_scenario"]["name"] == "korea-1945"
    assert {"factions", "mesa", "numpy"} <= set(manifest["versions"])


def test_censored_factions_are_not_eliminated_at_the_end(results_folder):
    out, _ = results_folder
    f = pd.read_parquet(out / "factions.parquet")
    censored = f[~f["eliminated"]]
    assert censored["eliminated_at"].isna().all()
    assert (censored["duration_months"] == 196).all()  # 1945-09 .. 1961-12 inclusive
    assert f[f["eliminated"]]["eliminated_at"].notna().all()


def test_results_round_trip(results_folder):
    out, _ = results_folder
    loaded = Results.load(out)
    assert loaded.scenario.name == "korea-1945"
    assert len(loaded.factions) == 8 * 4


def test_same_seed_identical_files_whatever_workers(tmp_path, factions_cli):
    paths = []
    replicates = str(2 * MIN_RUNS_PER_WORKER)  # fewer would run in-process even with -j 2
    for workers in ("1", "2"):
        out = tmp_path / f"w{workers}"
        done = factions_cli(
            "run", "korea-1945", "-n", replicates, "--seed", "9", "-j", workers, "--no-figures",
            "--out", str(out),
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        paths.append(out)
    for name in COLUMNS:
        a = (paths[0] / f"{name}.parquet").read_bytes()
        b = (paths[1] / f"{name}.parquet").read_bytes()
        assert a == b, name


def test_bad_override_exits_2_and_writes_nothing(tmp_path, factions_cli):
    out = tmp_path / "never"
    done = factions_cli(
        "run", "korea-1945", "--set", "factions.yanan.militray=0.6", "--out", str(out)
    )
    assert done.returncode == 2
    assert "did you mean 'military'" in done.stderr
    assert "Traceback" not in done.stderr
    assert not out.exists()


def test_figures_are_written_inside_the_results_folder_and_listed(tmp_path, factions_cli):
    out = tmp_path / "tiny"
    done = factions_cli("run", str(TINY), "-n", "3", "--seed", "2", "--out", str(out))
    assert done.returncode == 0, done.stderr
    listed = [line.removeprefix("figure: ") for line in done.stdout.splitlines()]
    figures = [path for path in listed if path.endswith(".png")]
    assert figures == [
        str(out / "figures" / f"{k}.png") for k in ("survival", "shares", "timeline")
    ]
    for path in figures:
        assert Path(path).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
