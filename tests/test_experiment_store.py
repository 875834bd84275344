"""The sweep store: atomic chunks, commit by the runs part, repair, locks, refusals, status."""

from __future__ import annotations

import pandas as pd
import pytest

from factions.errors import ExperimentError
from factions.experiment.store import SweepStore, open_store, write_atomic

IDENTITY = {"scenario_hash": "a" * 64, "design_hash": "b" * 64, "replicates": 2, "root_seed": 1}
MANIFEST = {
    "identity": IDENTITY,
    "experiment": {"name": "toy", "source": "toy.toml"},
    "scenario": "toy-scenario",
    "design": {"kind": "grid"},
    "points": 3,
    "replicates": 2,
    "runs": 6,
    "root_seed": 1,
    "resolved_scenario": {},
}
POINTS = pd.DataFrame({"point": [0, 1, 2], "x": [0.1, 0.2, 0.3]})


def chunk(*run_ids: int, failed: tuple[int, ...] = ()) -> dict[str, pd.DataFrame]:
    """Tables of a chunk: a runs row per run, two ``factions`` rows per successful run."""
    runs = pd.DataFrame(
        {
            "run_id": list(run_ids),
            "point": [i // 2 for i in run_ids],
            "replicate": [i % 2 for i in run_ids],
            "seed": [f"1:({i % 2},)" for i in run_ids],
            "scenario_hash": "h",
            "status": ["failed" if i in failed else "ok" for i in run_ids],
            "error": ["ValueError: x" if i in failed else None for i in run_ids],
        }
    )
    ok = [i for i in run_ids if i not in failed]
    factions = pd.DataFrame(
        {
            "run_id": [i for i in ok for _ in range(2)],
            "point": [i // 2 for i in ok for _ in range(2)],
        }
    )
    factions["faction"] = ["a", "b"] * len(ok)
    return {"runs": runs, "factions": factions}


def opened(folder, manifest=MANIFEST, **options) -> SweepStore:
    """The store :func:`open_store` gives (its lock released again)."""
    with open_store(folder, dict(manifest), POINTS, **options) as store:
        return store


@pytest.fixture
def store(tmp_path) -> SweepStore:
    return opened(tmp_path / "store")


def test_a_new_store_has_manifest_points_and_table_folders(store):
    assert store.manifest["format"] == "factions-sweep/1"
    pd.testing.assert_frame_equal(store.points(), POINTS)
    assert store.runs().empty and store.stored_run_ids() == set()
    assert sorted(p.name for p in store.folder.iterdir() if p.is_dir()) == [
        "cadres",
        "congresses",
        "events",
        "factions",
        "runs",
        "timeseries",
    ]


def test_chunks_read_back_sorted_whatever_the_write_order(store):
    store.write_chunk(chunk(4, 5))
    store.write_chunk(chunk(0))
    store.write_chunk(chunk(2, 3, failed=(3,)))
    runs = store.runs()
    assert runs["run_id"].tolist() == [0, 2, 3, 4, 5]
    assert runs["status"].tolist() == ["ok", "ok", "failed", "ok", "ok"]
    assert runs["error"].isna().tolist() == [True, True, False, True, True]
    f = store.table("factions")
    assert f["run_id"].tolist() == [0, 0, 2, 2, 4, 4, 5, 5]
    assert f["faction"].tolist() == ["a", "b"] * 4  # order within a run is kept
    assert store.table("events").empty


def test_a_chunk_is_written_once(store):
    store.write_chunk(chunk(0, 1))
    with pytest.raises(ExperimentError, match="already stored"):
        store.write_chunk(chunk(0))


def test_parts_without_a_runs_part_are_uncommitted_and_repaired(store):
    store.write_chunk(chunk(0, 1))
    # A crash after writing the factions part of chunk 2 but before its runs part:
    write_atomic(chunk(2, 3)["factions"], store.folder / "factions" / "part-000000000002.parquet")
    (store.folder / "runs" / ".part-000000000002.parquet.123.tmp").write_bytes(b"half a file")
    assert store.table("factions")["run_id"].unique().tolist() == [0, 1]
    assert store.stored_run_ids() == {0, 1}
    assert store.repair() == 2
    assert sorted(p.name for p in (store.folder / "factions").iterdir()) == [
        "part-000000000000.parquet"
    ]
    assert not list((store.folder / "runs").glob(".*"))


def test_duplicated_runs_are_reported_as_corruption(store):
    store.write_chunk(chunk(0, 1))
    write_atomic(chunk(1)["runs"], store.folder / "runs" / "part-000000000001.parquet")
    with pytest.raises(ExperimentError, match="stored twice"):
        store.runs()


def test_the_lock_is_exclusive(store):
    with store.locked():
        assert SweepStore.read(store.folder).is_running()
        with pytest.raises(ExperimentError, match="in use"), SweepStore.read(store.folder).locked():
            pass
    assert not store.is_running()


def test_status_counts_points_runs_and_failures(store):
    store.write_chunk(chunk(0, 1))
    store.write_chunk(chunk(2, failed=(2,)))
    s = store.status()
    assert (s["stored"], s["failed"], s["remaining"], s["runs"]) == (3, 1, 3, 6)
    assert (s["points"], s["points_done"]) == (3, 1)
    assert s["experiment"] == "toy" and not s["running"] and s["eta_seconds"] is None
    assert s["updated"] is not None


def test_existing_stores_need_resume_or_new(store):
    store.write_chunk(chunk(0))
    with pytest.raises(ExperimentError, match="use --resume"):
        opened(store.folder)
    assert opened(store.folder, resume=True).stored_run_ids() == {0}
    fresh = opened(store.folder, new=True)
    assert fresh.stored_run_ids() == set()
    with pytest.raises(ExperimentError, match="not both"):
        opened(store.folder, resume=True, new=True)


@pytest.mark.parametrize(
    ("key", "label"),
    [("scenario_hash", "scenario"), ("design_hash", "design"), ("root_seed", "root seed")],
)
def test_a_store_refuses_another_identity(store, key, label):
    other = {**MANIFEST, "identity": {**IDENTITY, key: "c" * 64 if "hash" in key else 9}}
    with pytest.raises(ExperimentError, match=f"the {label} .* differ; use --new"):
        opened(store.folder, other, resume=True)


def test_folders_that_are_not_stores_are_refused(tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")
    with pytest.raises(ExperimentError, match="not a sweep folder"):
        opened(tmp_path / "mine", new=True)
    assert (tmp_path / "mine" / "notes.txt").exists()
    run_results = tmp_path / "run"
    run_results.mkdir()
    (run_results / "manifest.json").write_text('{"scenario": "korea-1945"}')
    with pytest.raises(ExperimentError, match=r"Results\.load"):
        SweepStore.read(run_results)
    empty = tmp_path / "empty"
    empty.mkdir()
    assert opened(empty).runs().empty


# --------------------------------------------------------------------------- issue 15


PART_2 = "part-000000000002.parquet"


def truncate(path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


@pytest.mark.parametrize(
    "damage",
    [
        lambda f: (f / "factions" / "part-000000000002.parquet").unlink(),
        lambda f: truncate(f / "factions" / "part-000000000002.parquet"),
        lambda f: truncate(f / "runs" / "part-000000000002.parquet"),
        lambda f: write_atomic(chunk(2)["factions"].head(1), f / "factions" / PART_2),
    ],
    ids=["part deleted", "part truncated", "commit mark truncated", "rows missing"],
)
def test_resume_verifies_committed_chunks_and_reruns_damaged_ones(store, damage):
    store.write_chunk(chunk(0, 1))
    store.write_chunk(chunk(2, 3))
    damage(store.folder)
    with store.locked():
        store.repair()
    assert store.stored_run_ids() == {0, 1}
    assert sorted(store.table("factions")["run_id"].unique()) == [0, 1]
    assert not list((store.folder / "factions").glob("part-000000000002*"))


def test_stray_files_are_ignored(store):
    store.write_chunk(chunk(0, 1))
    for table in ("runs", "factions"):
        part = store.folder / table / "part-000000000000.parquet"
        (part.parent / "part-000000000000 (copy).parquet").write_bytes(part.read_bytes())
        (part.parent / "notes.txt").write_text("mine")
    with store.locked():
        store.repair()
    assert store.stored_run_ids() == {0, 1}
    assert store.status()["stored"] == 2
    assert (store.folder / "runs" / "notes.txt").exists()


def test_a_damaged_part_is_named_when_read(store):
    store.write_chunk(chunk(0, 1))
    truncate(store.folder / "runs" / "part-000000000000.parquet")
    with pytest.raises(ExperimentError, match=r"part-000000000000\.parquet: damaged part"):
        store.status()


def test_status_only_reads(store, monkeypatch):
    import builtins

    store.write_chunk(chunk(0, 1))
    real_open = builtins.open

    def read_only(file, mode="r", *args, **kwargs):
        if any(c in mode for c in "wax+"):
            raise PermissionError(13, "Read-only file system", str(file))
        return real_open(file, mode, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", read_only)
    assert SweepStore.read(store.folder).status()["stored"] == 2


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[1, 2]", "not a JSON object"),
        ("{", "unreadable manifest"),
        ('{"format": "factions-sweep/1"}', "missing experiment"),
        (None, "bad runs"),
    ],
)
def test_a_damaged_manifest_is_named(store, text, message):
    path = store.folder / "manifest.json"
    if text is None:
        text = path.read_text().replace('"runs": 6', '"runs": "six"')
    path.write_text(text)
    with pytest.raises(ExperimentError, match=f"manifest.json: .*{message}"):
        SweepStore.read(store.folder)


def test_a_refused_folder_gets_no_lock_file(tmp_path):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    with pytest.raises(ExperimentError, match="not a sweep folder"):
        opened(mine, resume=True)
    assert [p.name for p in mine.iterdir()] == ["notes.txt"]


def test_an_unfinished_creation_is_completed(tmp_path):
    folder = tmp_path / "store"
    folder.mkdir()
    (folder / "runs").mkdir()
    write_atomic(POINTS, folder / "points.parquet")
    assert opened(folder, resume=True).manifest["runs"] == 6


def test_a_store_left_without_runs_by_a_failure_is_removed(tmp_path):
    folder = tmp_path / "store"
    with pytest.raises(KeyboardInterrupt), open_store(folder, dict(MANIFEST), POINTS):
        raise KeyboardInterrupt
    assert not (folder / "manifest.json").exists()


def _race(folders, barrier, results) -> None:
    """One of two processes creating the same stores at the same moment (see below)."""
    import time

    for i, folder in enumerate(folders):
        barrier.wait()
        try:
            with open_store(folder, dict(MANIFEST), POINTS, resume=True) as store:
                store.write_chunk(chunk(0, 1))
                time.sleep(0.2)  # still holding the store when the other one tries
            results.put((i, "ok"))
        except ExperimentError as exc:
            results.put((i, "in use" if "in use" in str(exc) else str(exc)))


@pytest.mark.slow
def test_two_processes_creating_one_store_at_once(tmp_path):
    """20 trials: exactly one proceeds, the other is refused, the store is complete."""
    import multiprocessing

    trials = 20
    folders = [tmp_path / f"store-{i}" for i in range(trials)]
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(2), context.Queue()
    procs = [context.Process(target=_race, args=(folders, barrier, results)) for _ in range(2)]
    for proc in procs:
        proc.start()
    outcomes = [results.get(timeout=120) for _ in range(2 * trials)]
    for proc in procs:
        proc.join(timeout=60)
    for i, folder in enumerate(folders):
        mine = sorted(outcome for trial, outcome in outcomes if trial == i)
        assert mine == ["in use", "ok"], (i, mine)
        store = SweepStore.read(folder)
        assert store.stored_run_ids() == {0, 1}
        pd.testing.assert_frame_equal(store.points(), POINTS)
