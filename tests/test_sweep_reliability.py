"""Issue 15, items 7, 11, 13, 14, 17: damaged folders, the resume command, a failed scheduler,
orphaned workers — each ends in a message and a documented exit status, never a traceback."""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from factions.cli import main
from factions.experiment.resolve import load_experiment
from factions.experiment.runner import failed_runs, manifest, points_table
from factions.experiment.store import SweepStore, open_store

TINY = Path(__file__).parent / "data" / "tiny.toml"

EXPERIMENT = f"""\
name = "tiny-reliability"
scenario = "{TINY}"
replicates = 10
seed = 3

[parameters]
"factions.clients.military" = [0.1, 0.8]
"mechanisms.purge.launch_rate" = [0.1, 0.3]
"""


@pytest.fixture
def experiment_file(tmp_path) -> Path:
    path = tmp_path / "my experiments" / "tiny reliability.toml"
    path.parent.mkdir()
    path.write_text(EXPERIMENT, encoding="utf-8")
    return path


@pytest.fixture
def stopped_store(experiment_file, tmp_path) -> Path:
    """A store made with ``-n 3`` in a folder whose name needs quoting, one (failed) run in."""
    exp = load_experiment(experiment_file, replicates=3)
    folder = tmp_path / "results dir" / "it's here"
    with open_store(folder, manifest(exp), points_table(exp)) as store:
        store.write_chunk({"runs": failed_runs(exp, [(0, 0, "ValueError: stopped")])})
    return folder


def test_status_prints_a_quoted_resume_command_that_matches_the_store(stopped_store):
    done = CliRunner().invoke(main, ["status", str(stopped_store)])
    assert done.exit_code == 0, done.output
    line = next(x for x in done.output.splitlines() if x.startswith("state"))
    command = shlex.split(line.split("resume with: ", 1)[1])
    assert command[:2] == ["factions", "sweep"] and command[-1] == "--resume"
    assert command[command.index("--out") + 1] == str(stopped_store)
    replicates = int(command[command.index("--replicates") + 1])
    assert replicates == 3
    again = load_experiment(command[2], replicates=replicates)
    assert again.identity() == SweepStore.read(stopped_store).manifest["identity"]


def damage_list(folder: Path) -> None:
    (folder / "manifest.json").write_text("[1, 2]")


def damage_keys(folder: Path) -> None:
    data = json.loads((folder / "manifest.json").read_text())
    del data["design"]
    (folder / "manifest.json").write_text(json.dumps(data))


def damage_design(folder: Path) -> None:
    data = json.loads((folder / "manifest.json").read_text())
    data["design"] = {"kind": "grid"}
    (folder / "manifest.json").write_text(json.dumps(data))


@pytest.mark.parametrize("damage", [damage_list, damage_keys, damage_design])
@pytest.mark.parametrize(
    "command", [["status"], ["plot", "heatmap"], ["plot", "survival"], ["validate"]]
)
def test_damaged_sweep_manifests_exit_2_naming_the_file(stopped_store, damage, command):
    damage(stopped_store)
    done = CliRunner().invoke(main, [*command, str(stopped_store)])
    if command == ["status"] and damage is damage_design:
        assert done.exit_code == 0  # status needs no design
        return
    assert done.exit_code == 2, (done.output, done.exception)
    assert "manifest.json" in done.output or "is a sweep folder, not" in done.output


def test_a_truncated_results_table_is_named(results_folder, tmp_path):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(results_folder, copy)
    part = copy / "events.parquet"
    part.write_bytes(part.read_bytes()[:100])
    done = CliRunner().invoke(main, ["validate", str(copy)])
    assert done.exit_code == 2
    assert "events.parquet: damaged Parquet file" in done.output


def test_a_heatmap_of_one_parameter_against_itself_is_refused(stopped_store):
    name = "factions.clients.military"
    done = CliRunner().invoke(
        main, ["plot", "heatmap", str(stopped_store), "--x", name, "--y", name]
    )
    assert done.exit_code == 2
    assert "two different parameters" in done.output


def test_a_failed_scheduler_leaves_nothing_behind(experiment_file, tmp_path, factions_cli):
    out = tmp_path / "out"
    done = factions_cli("sweep", str(experiment_file), "--scheduler", "not a url", "-o", str(out))
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert not out.exists()


@pytest.mark.slow
def test_workers_exit_when_the_sweep_is_killed(experiment_file, tmp_path):
    """SIGKILL the main process only: its workers, forkserver and resource tracker follow."""
    out = tmp_path / "out"
    command = ["sweep", str(experiment_file), "-j", "2", "--batch-size", "1", "--out", str(out)]
    proc = subprocess.Popen(
        [sys.executable, "-m", "factions.cli", *command],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 180
    while not list((out / "runs").glob("part-*.parquet")):
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.1)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    started = time.monotonic()
    while time.monotonic() - started < 30:
        try:
            os.killpg(proc.pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.2)
    raise AssertionError("processes of the killed sweep still run after 30 s")


def test_a_figure_that_cannot_be_written_exits_2(results_folder):
    done = CliRunner().invoke(
        main, ["plot", "survival", str(results_folder), "--out", "/proc/factions/survival.png"]
    )
    assert done.exit_code == 2, (done.output, done.exception)
    assert "error: " in done.output
