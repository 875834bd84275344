"""`factions sweep` and `factions status` end to end, including SIGKILL, Ctrl-C and --resume.

The acceptance check of the sweep store: a sweep killed with SIGKILL midway and rerun with
``--resume`` ends with exactly the rows of an uninterrupted run (no run lost, none duplicated),
and those equal the rows of runs with ``--workers 1``, ``--workers 2`` and a Dask LocalCluster.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from factions.experiment.store import SweepStore
from factions.tables import TABLES

TINY = Path(__file__).parent / "data" / "tiny.toml"

EXPERIMENT = f"""\
name = "tiny-cli"
scenario = "{TINY}"
replicates = 10
seed = 11

[parameters]
"factions.clients.military" = [0.1, 0.8]
"mechanisms.purge.launch_rate" = [0.1, 0.3]

[outputs]
survival = ["1952-06"]
"""


def start_cli(*args: str) -> subprocess.Popen:
    """A sweep in its own process group, so that a signal reaches its workers too."""
    return subprocess.Popen(
        [sys.executable, "-m", "factions.cli", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def wait_for_chunks(folder: Path, count: int, proc: subprocess.Popen, timeout: float = 120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if len(list((folder / "runs").glob("part-*.parquet"))) >= count:
            return
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.02)
    raise AssertionError(f"no {count} chunks in {folder} after {timeout} s")


def assert_same_store(a: Path, b: Path) -> None:
    left, right = SweepStore.read(a).tables(), SweepStore.read(b).tables()
    for name in (*TABLES, "points"):
        pd.testing.assert_frame_equal(left[name], right[name], obj=name)


@pytest.fixture(scope="module")
def experiment_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("exp") / "tiny-cli.toml"
    path.write_text(EXPERIMENT, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def reference(
    experiment_file, tmp_path_factory, factions_cli
) -> tuple[Path, subprocess.CompletedProcess]:
    """An uninterrupted sweep with --workers 1."""
    out = tmp_path_factory.mktemp("ref") / "store"
    done = factions_cli("sweep", str(experiment_file), "--workers", "1", "--out", str(out))
    assert done.returncode == 0, done.stderr
    return out, done


def test_sweep_stores_every_table_and_analysis(reference):
    out, done = reference
    tables = SweepStore.read(out).tables()
    assert tables["runs"]["run_id"].tolist() == list(range(40))
    assert set(tables["points"].columns) >= {"point", "factions.clients.military"}
    assert (out / "manifest.json").is_file() and (out / "analysis" / "outputs.parquet").is_file()
    assert "stored 40 of 40 runs (0 failed)" in done.stdout
    assert "outputs per design point" in done.stdout and "survival_clients_1952-06" in done.stdout
    assert "4 points x 10 replicates = 40 runs" in done.stderr
    assert "Traceback" not in done.stderr


def test_status_of_a_complete_sweep(reference, factions_cli):
    out, _ = reference
    done = factions_cli("status", str(out))
    assert done.returncode == 0, done.stderr
    assert "points     4 of 4 complete (10 replicates)" in done.stdout
    assert "runs       40 of 40 stored (0 failed), 0 remaining" in done.stdout
    assert "state      complete" in done.stdout


def test_sigkill_midway_then_resume_gives_the_uninterrupted_rows(
    experiment_file, reference, tmp_path, factions_cli
):
    out = tmp_path / "killed"
    proc = start_cli(
        "sweep", str(experiment_file), "--workers", "2", "--batch-size", "2", "--out", str(out)
    )
    wait_for_chunks(out, 3, proc)
    os.killpg(proc.pid, signal.SIGKILL)  # the sweep and its workers, like a power cut
    proc.communicate()  # reaps the process and closes its pipes
    stored = len(SweepStore.read(out).runs())
    assert 6 <= stored < 40
    status = factions_cli("status", str(out))
    assert "stopped; resume with: factions sweep" in status.stdout

    refused = factions_cli("sweep", str(experiment_file), "--out", str(out))
    assert refused.returncode == 2 and "--resume" in refused.stderr
    resumed = factions_cli(
        "sweep", str(experiment_file), "--workers", "1", "--out", str(out), "--resume"
    )
    assert resumed.returncode == 0, resumed.stderr
    assert_same_store(reference[0], out)


def test_bad_experiment_files_exit_2_with_the_problem(tmp_path, factions_cli):
    path = tmp_path / "bad.toml"
    path.write_text(EXPERIMENT.replace("factions.clients.military", "factions.clients.militray"))
    done = factions_cli("sweep", str(path), "--out", str(tmp_path / "out"))
    assert done.returncode == 2
    assert "invalid experiment (1 problem)" in done.stderr
    assert f"{path}:7: parameters.factions.clients.militray: no such value" in done.stderr
    assert "did you mean 'military'?" in done.stderr
    assert "Traceback" not in done.stderr and not (tmp_path / "out").exists()
    missing = factions_cli("sweep", "no-such-experiment")
    assert missing.returncode == 2 and "not found" in missing.stderr


def test_conflicting_options_exit_2(experiment_file, tmp_path, factions_cli):
    both = factions_cli(
        "sweep", str(experiment_file), "--workers", "2", "--scheduler", "tcp://127.0.0.1:1"
    )
    assert both.returncode == 2 and "not both" in both.stderr
    flags = factions_cli("sweep", str(experiment_file), "--resume", "--new")
    assert flags.returncode == 2 and "not both" in flags.stderr
    status = factions_cli("status", str(tmp_path))
    assert status.returncode == 2 and "not a sweep folder" in status.stderr


def test_a_store_of_another_design_is_refused(experiment_file, reference, factions_cli):
    out, _ = reference
    other = factions_cli("sweep", str(experiment_file), "-n", "3", "--out", str(out), "--resume")
    assert other.returncode == 2
    assert "number of replicates (10 here, 3 now) differ; use --new" in other.stderr
    assert len(SweepStore.read(out).runs()) == 40  # untouched


@pytest.mark.slow
def test_ctrl_c_stops_cleanly_and_says_how_to_resume(experiment_file, tmp_path, factions_cli):
    # Many replicates, so that the sweep is still running when Ctrl-C arrives however fast the
    # machine is (with the reference's 40 runs it could finish first and exit 0).
    out = tmp_path / "interrupted"
    many = ("-n", "200")
    proc = start_cli(
        "sweep", str(experiment_file), *many, "--workers", "2", "--batch-size", "2", "--out",
        str(out),
    )  # fmt: skip
    wait_for_chunks(out, 2, proc)
    os.killpg(proc.pid, signal.SIGINT)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, stderr
    assert "interrupted:" in stderr and "--resume" in stderr and "Traceback" not in stderr
    assert not list(out.glob("*/.*.tmp"))
    stored = SweepStore.read(out).runs()
    assert 0 < len(stored) < 4 * 200
    resumed = factions_cli("sweep", str(experiment_file), *many, "--out", str(out), "--resume")
    assert resumed.returncode == 0, resumed.stderr
    run_ids = SweepStore.read(out).runs()["run_id"]
    assert sorted(run_ids) == list(range(4 * 200))  # none lost, none duplicated


@pytest.mark.slow
def test_two_workers_and_a_dask_cluster_give_the_same_rows(
    experiment_file, reference, tmp_path, factions_cli
):
    two = tmp_path / "two"
    done = factions_cli("sweep", str(experiment_file), "--workers", "2", "--out", str(two))
    assert done.returncode == 0, done.stderr
    assert_same_store(reference[0], two)
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address=None
    ) as cluster:
        dask = tmp_path / "dask"
        address = cluster.scheduler_address
        done = factions_cli("sweep", str(experiment_file), "--scheduler", address, "-o", str(dask))
    assert done.returncode == 0, done.stderr
    assert_same_store(reference[0], dask)


@pytest.mark.slow
def test_an_unreachable_scheduler_exits_2(experiment_file, tmp_path, factions_cli):
    done = factions_cli(
        "sweep", str(experiment_file), "--scheduler", "tcp://127.0.0.1:9", "-o", str(tmp_path / "x")
    )
    assert done.returncode == 2 and "cannot reach the Dask scheduler" in done.stderr
