"""Issue 15, items 1, 2, 10, 18, 20: where `factions run` writes, and what it may replace.

Only a folder recognisably written by `factions run` is replaced, as a whole and atomically; an
unusable location is refused before anything is simulated; folders follow the umask.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from factions.errors import ExperimentError
from factions.results import Results, check_run_folder, is_run_folder

TINY = Path(__file__).parent / "data" / "tiny.toml"


def snapshot(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def web_project(folder: Path) -> Path:
    folder.mkdir()
    (folder / "manifest.json").write_text('{"name": "my web app"}')
    (folder / "index.html").write_text("<html></html>")
    (folder / "src").mkdir()
    (folder / "src" / "app.js").write_text("main()")
    return folder


def sweep_store(folder: Path) -> Path:
    folder.mkdir()
    (folder / "manifest.json").write_text(json.dumps({"format": "factions-sweep/1"}))
    (folder / "runs").mkdir()
    return folder


def run_with_a_stray_file(folder: Path, korea: Results) -> Path:
    korea.save(folder)
    (folder / "notes.txt").write_text("mine")
    return folder


def run_without_marker(folder: Path, korea: Results) -> Path:
    korea.save(folder)
    manifest = json.loads((folder / "manifest.json").read_text())
    del manifest["kind"]
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return folder


@pytest.mark.parametrize(
    "make", [web_project, sweep_store, run_with_a_stray_file, run_without_marker]
)
def test_only_a_run_folder_is_replaced(tmp_path, korea, make):
    args = (tmp_path / "out", korea) if make.__code__.co_argcount == 2 else (tmp_path / "out",)
    folder = make(*args)
    before = snapshot(folder)
    assert not is_run_folder(folder)
    with pytest.raises(ExperimentError, match="not a results folder of `factions run`"):
        korea.save(folder)
    assert snapshot(folder) == before


def test_a_run_folder_is_replaced_as_a_whole(tmp_path, korea):
    folder = tmp_path / "out"
    korea.save(folder)
    (folder / "figures").mkdir()
    (folder / "figures" / "old.png").write_bytes(b"png")
    assert is_run_folder(folder)
    korea.save(folder)
    assert not (folder / "figures").exists()
    assert json.loads((folder / "manifest.json").read_text())["kind"] == "run"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # nothing left beside it


@pytest.mark.parametrize("where", [".", "cwd", "parent"])
def test_the_current_folder_and_its_parents_are_refused(tmp_path, korea, monkeypatch, where):
    inner = tmp_path / "project" / "sub"
    inner.mkdir(parents=True)
    (inner / "manifest.json").write_text("{}")
    monkeypatch.chdir(inner)
    target = {".": Path("."), "cwd": inner, "parent": inner.parent}[where]
    with pytest.raises(ExperimentError, match="current folder"):
        korea.save(target)
    assert (inner / "manifest.json").read_text() == "{}"


def test_unusable_locations_are_refused_before_writing(tmp_path):
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "link").symlink_to(real)
    (tmp_path / "file").write_text("x")
    cases = {
        tmp_path / "link": "symbolic link",
        tmp_path / "file" / "out": "is a file",
        Path("/proc/factions-out"): "cannot create a folder",
        tmp_path / "file": "not a folder",
    }
    for folder, message in cases.items():
        with pytest.raises(ExperimentError, match=message):
            check_run_folder(folder)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file", "link", "real"]


class Boom(Exception):
    pass


@pytest.mark.parametrize("error", [Boom, KeyboardInterrupt])
def test_a_failed_save_leaves_the_old_folder_intact(tmp_path, korea, monkeypatch, error):
    folder = tmp_path / "out"
    korea.save(folder, {"old": True})
    before = snapshot(folder)

    def fail(*args, **kwargs):
        raise error

    # the summary and manifest are written after the tables
    monkeypatch.setattr("factions.results.json", SimpleNamespace(dumps=fail, loads=json.loads))
    with pytest.raises(error):
        korea.save(folder, {"new": True})
    assert snapshot(folder) == before
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_a_failed_swap_puts_the_old_folder_back(tmp_path, korea, monkeypatch):
    folder = tmp_path / "out"
    korea.save(folder)
    before = snapshot(folder)
    real_replace, calls = os.replace, []

    def replace(src, dst):
        calls.append(src)
        if len(calls) == 2:  # the new folder into place
            raise PermissionError(13, "Permission denied", str(dst))
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    with pytest.raises(PermissionError):
        korea.save(folder)
    assert snapshot(folder) == before
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_an_undeletable_old_folder_does_not_lose_the_new_results(tmp_path, korea, monkeypatch):
    import shutil

    folder = tmp_path / "out"
    korea.save(folder, {"n": 1})
    real = shutil.rmtree

    def rmtree(path, onexc=None, **kwargs):
        if ".old-" in str(path) and onexc is not None:
            onexc(os.unlink, str(path), PermissionError(13, "Permission denied"))
            return
        real(path, onexc=onexc, **kwargs)

    monkeypatch.setattr(shutil, "rmtree", rmtree)
    korea.save(folder, {"n": 2})
    assert json.loads((folder / "summary.json").read_text()) == {"n": 2}


@pytest.mark.parametrize("umask", [0o022, 0o002])
def test_folders_follow_the_umask(tmp_path, korea, umask):
    old = os.umask(umask)
    try:
        korea.save(tmp_path / "out")
    finally:
        os.umask(old)
    assert (tmp_path / "out").stat().st_mode & 0o777 == 0o777 & ~umask


def test_run_refuses_a_folder_before_simulating(tmp_path, factions_cli):
    web = web_project(tmp_path / "web")
    before = snapshot(web)
    for out in (str(web), ".", str(tmp_path / "web" / "index.html" / "x")):
        done = factions_cli("run", str(TINY), "-n", "2", "-j", "1", "--out", out, cwd=web)
        assert done.returncode == 2, done.stderr
        assert "Traceback" not in done.stderr and "run" not in done.stdout
    assert snapshot(web) == before


def test_too_many_replicates_are_refused(factions_cli):
    done = factions_cli("run", str(TINY), "-n", "100000000000")
    assert done.returncode == 2
    assert "1000000" in done.stderr


@pytest.mark.slow
def test_ctrl_c_during_run_exits_130_and_keeps_the_old_folder(tmp_path, korea):
    folder = tmp_path / "out"
    korea.save(folder)
    before = snapshot(folder)
    command = ["run", str(TINY), "-n", "5000", "-j", "1", "--no-figures", "--out", str(folder)]
    proc = subprocess.Popen(
        [sys.executable, "-m", "factions.cli", *command],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(12)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert snapshot(folder) == before


def test_files_added_while_saving_are_part_of_the_atomic_folder(tmp_path, korea):
    """``save(also=...)`` writes more files (the figures) into the folder being staged, while
    a second thread writes the tables: the folder appears with both, or not at all."""
    folder = tmp_path / "run"

    def draw(staging: Path) -> None:
        assert not folder.exists()  # still staged
        (staging / "figures").mkdir()
        (staging / "figures" / "survival.png").write_bytes(b"png")

    korea.save(folder, also=draw)
    assert (folder / "figures" / "survival.png").read_bytes() == b"png"
    assert (folder / "timeseries.parquet").is_file() and is_run_folder(folder)
    old = snapshot(folder)

    def fail(staging: Path) -> None:
        raise OSError("cannot draw")

    with pytest.raises(OSError, match="cannot draw"):
        korea.save(folder, also=fail)
    assert snapshot(folder) == old
    assert [p.name for p in tmp_path.iterdir()] == ["run"]  # no staged folder left


@pytest.mark.parametrize(
    ("runs", "workers", "used"), [(19, 2, 1), (20, 2, 2), (1, 2, 1), (5, 1, 1)]
)
def test_a_handful_of_runs_uses_no_worker_processes(runs, workers, used):
    from factions.executors import MIN_RUNS_PER_WORKER, useful_workers

    assert MIN_RUNS_PER_WORKER == 10
    assert useful_workers(runs, workers) == used
