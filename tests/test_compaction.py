"""Compaction of a sweep store: one part per table once a sweep completes (or on demand), the
same tables as before, bounded memory (row groups), and a failure that leaves the store as it
was."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from factions.cli import main
from factions.experiment import store as store_module
from factions.experiment.resolve import load_experiment
from factions.experiment.runner import SweepOptions, run_in_memory, run_sweep
from factions.experiment.store import SweepStore, hold_lock
from factions.tables import TABLES

TINY = Path(__file__).parent / "data" / "tiny.toml"

EXPERIMENT = f"""\
name = "tiny-compaction"
scenario = "{TINY}"
replicates = 4
seed = 5

[parameters]
"factions.clients.military" = [0.1, 0.8]
"""


@pytest.fixture
def experiment(tmp_path):
    path = tmp_path / "tiny-compaction.toml"
    path.write_text(EXPERIMENT, encoding="utf-8")
    return load_experiment(path)


def parts(folder: Path, table: str) -> list[str]:
    return sorted(p.name for p in (folder / table).iterdir() if p.name.startswith("part-"))


def assert_same_tables(folder: Path, expected: dict[str, pd.DataFrame]) -> None:
    store = SweepStore.read(folder)
    for name in TABLES:
        got = store.table(name)
        pd.testing.assert_frame_equal(got, expected[name], check_dtype=False, obj=name)


def uncompacted(experiment, folder: Path) -> None:
    """A complete store of one chunk per run, as a sweep leaves it before compacting."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(SweepStore, "compact", lambda self, group_bytes=0: 0)
        run_sweep(experiment, folder, batch_size=1)


@pytest.fixture
def in_memory(experiment):
    return run_in_memory(experiment, SweepOptions())


def test_a_completed_sweep_keeps_one_part_per_table_with_the_same_rows(
    experiment, in_memory, tmp_path
):
    folder = tmp_path / "store"
    run_sweep(experiment, folder, batch_size=1)  # 8 runs, 8 chunks before compaction
    for name in TABLES:
        assert parts(folder, name) == ["part-000000000000.parquet"], name
    assert_same_tables(folder, in_memory)
    assert SweepStore.read(folder).repair() == 0  # the joined chunk verifies as whole


def test_an_interrupted_store_compacts_then_resumes_to_the_same_tables(
    experiment, in_memory, tmp_path
):
    folder = tmp_path / "store"
    run_sweep(experiment, folder, batch_size=1)
    store = SweepStore.read(folder)
    for name in TABLES:  # emptied, then three chunks of two runs: an interrupted store
        for path in (folder / name).iterdir():
            path.unlink()
    with hold_lock(folder):
        for chunk in (0, 2, 4):
            rows = in_memory["runs"]["run_id"].isin([chunk, chunk + 1])
            ids = set(in_memory["runs"].loc[rows, "run_id"])
            store.write_chunk({n: f[f["run_id"].isin(ids)] for n, f in in_memory.items()})
        assert store.compact() == 3
    assert parts(folder, "runs") == ["part-000000000000.parquet"]
    assert sorted(SweepStore.read(folder).stored_run_ids()) == [0, 1, 2, 3, 4, 5]
    run_sweep(experiment, folder, resume=True, batch_size=1)  # runs 6 and 7, then compacts
    assert parts(folder, "runs") == ["part-000000000000.parquet"]
    assert_same_tables(folder, in_memory)


def test_small_row_groups_bound_what_is_held_in_memory(experiment, tmp_path):
    folder = tmp_path / "store"
    run_sweep(experiment, folder, batch_size=1)
    big = pq.ParquetFile(folder / "timeseries" / "part-000000000000.parquet")
    assert big.metadata.num_row_groups == 1  # 8 runs of a tiny scenario: far below 64 MiB
    joined = tmp_path / "joined.parquet"
    again = sorted((folder / "timeseries").iterdir())
    rows = store_module._join_parts(again * 3, joined, group_bytes=1)
    assert pq.ParquetFile(joined).metadata.num_row_groups == 3  # one group per part read
    assert rows == 3 * big.metadata.num_rows


def test_a_failed_compaction_leaves_the_store_as_it_was(
    experiment, in_memory, tmp_path, monkeypatch
):
    folder = tmp_path / "store"
    uncompacted(experiment, folder)
    before = {name: parts(folder, name) for name in TABLES}
    (folder / "analysis").mkdir()
    (folder / "analysis" / "notes.txt").write_text("mine")
    calls = []

    def fail_on_events(parts, path, group_bytes, metadata=None):
        calls.append(path.parent.name)
        if path.parent.name == "events":
            raise OSError("disk full")
        return original(parts, path, group_bytes, metadata)

    original = store_module._join_parts
    monkeypatch.setattr(store_module, "_join_parts", fail_on_events)
    with pytest.raises(OSError, match="disk full"), hold_lock(folder):
        SweepStore.read(folder).compact()
    assert "events" in calls
    assert {name: parts(folder, name) for name in TABLES} == before
    assert (folder / "analysis" / "notes.txt").read_text() == "mine"
    assert not [p for p in folder.parent.iterdir() if p.name.startswith(".")]  # no staging
    assert_same_tables(folder, in_memory)


def test_compaction_keeps_other_files_and_drops_uncommitted_parts(experiment, tmp_path):
    folder = tmp_path / "store"
    uncompacted(experiment, folder)
    (folder / "analysis").mkdir()
    (folder / "analysis" / "outputs.parquet").write_bytes(b"kept")
    (folder / "factions" / "README.txt").write_text("a note")
    (folder / "factions" / "part-000000000099.parquet").write_bytes(b"uncommitted")
    with hold_lock(folder):
        assert SweepStore.read(folder).compact() == 8
    assert (folder / "analysis" / "outputs.parquet").read_bytes() == b"kept"
    assert (folder / "factions" / "README.txt").read_text() == "a note"
    assert parts(folder, "factions") == ["part-000000000000.parquet"]


def test_the_command_compacts_a_store(experiment, tmp_path):
    folder = tmp_path / "store"
    uncompacted(experiment, folder)
    assert len(parts(folder, "runs")) == 8
    (folder / "factions" / "notes.txt").write_text("a note")
    done = CliRunner().invoke(
        main, ["sweep", str(experiment.source), "-o", str(folder), "--compact"]
    )
    assert done.exit_code == 0, done.output
    assert "8 chunks joined into one" in done.output
    assert parts(folder, "runs") == ["part-000000000000.parquet"]
    assert (folder / "factions" / "notes.txt").read_text() == "a note"
    refused = CliRunner().invoke(
        main, ["sweep", str(experiment.source), "-o", str(folder), "--compact", "--resume"]
    )
    assert refused.exit_code == 2 and "--compact runs nothing" in refused.output
