"""Sweeps through the Python API: ids, seeds, executors, batching, resume, retries, failures.

The sweeps are small (the three-faction ``tests/data/tiny.toml``, a few points and replicates),
so every executor and interruption can be compared row for row with a serial reference run.
"""

from __future__ import annotations

from concurrent.futures import Executor, Future, ThreadPoolExecutor
from pathlib import Path

import pandas as pd
import pytest

from factions.errors import ExperimentError
from factions.experiment import grid, make_experiment, run_sweep
from factions.experiment import runner as runner_module
from factions.experiment.results import SweepResults
from factions.experiment.runner import (
    Task,
    make_tasks,
    manifest,
    points_table,
    replicate_columns,
    run_replicate,
    run_task,
)
from factions.experiment.store import SweepStore, open_store
from factions.scenario import load_scenario
from factions.tables import TABLES

TINY = Path(__file__).parent / "data" / "tiny.toml"
REPLICATES = 3
SEED = 5


@pytest.fixture(scope="module")
def tiny():
    return load_scenario(TINY)


@pytest.fixture(scope="module")
def experiment(tiny):
    design = grid(
        {"factions.clients.military": [0.1, 0.6], "mechanisms.purge.launch_rate": [0.1, 0.3]}
    )
    outputs = {"survival": ["1952-06"], "median_elimination": True}
    return make_experiment(tiny, design, REPLICATES, SEED, name="tiny-grid", outputs=outputs)


@pytest.fixture(scope="module")
def reference(experiment) -> SweepResults:
    """The serial run every other way of running must reproduce exactly."""
    return run_sweep(experiment)


def assert_same(a: SweepResults, b: SweepResults) -> None:
    for name in (*TABLES, "points"):
        pd.testing.assert_frame_equal(a.tables[name], b.tables[name], obj=name)


# --------------------------------------------------------------------------- ids and seeds


def test_run_ids_points_and_seeds(experiment, reference):
    runs = reference.runs
    n = experiment.n_runs
    assert runs["run_id"].tolist() == list(range(n))
    assert runs["point"].tolist() == [i // REPLICATES for i in range(n)]
    assert runs["replicate"].tolist() == [i % REPLICATES for i in range(n)]
    assert runs["seed"].tolist() == [f"{SEED}:({i % REPLICATES},)" for i in range(n)]
    assert (runs["status"] == "ok").all() and runs["error"].isna().all()
    for name in TABLES:
        frame = reference.tables[name]
        assert frame.columns[:2].tolist() == ["run_id", "point"], name
        assert (frame["point"] == frame["run_id"] // REPLICATES).all(), name
    points = reference.points
    assert points["point"].tolist() == [0, 1, 2, 3]
    assert points["mechanisms.purge.launch_rate"].tolist() == [0.1, 0.3, 0.1, 0.3]
    assert points["scenario_hash"].tolist() == list(experiment.point_hashes)


def test_each_run_is_the_replicate_of_its_point(experiment, reference):
    """Replicate r of point p is exactly run_replicate(scenario of p, root seed, r)."""
    for run_id in (0, 5, 11):
        point, r = experiment.key(run_id)
        alone = run_replicate(experiment.scenario(point), SEED, r)["factions"]
        mine = reference.factions[reference.factions["run_id"] == run_id]
        mine = mine.drop(columns=["point"]).reset_index(drop=True)
        pd.testing.assert_frame_equal(mine, alone.assign(run_id=run_id), check_dtype=False)


def test_common_random_numbers_across_points(tiny):
    """Two points with the same parameters draw the same streams: identical runs."""
    design = grid({"factions.clients.military": [0.3, 0.3]})
    results = run_sweep(make_experiment(tiny, design, 3, SEED))
    f = results.factions
    a = f[f["point"] == 0].drop(columns=["run_id", "point"]).reset_index(drop=True)
    b = f[f["point"] == 1].drop(columns=["run_id", "point"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)


# --------------------------------------------------------------------------- executors


def test_same_results_on_two_processes_with_small_batches(experiment, reference):
    assert_same(reference, run_sweep(experiment, workers=2, batch_size=1))


def test_same_results_on_a_thread_pool_with_other_batches(experiment, reference):
    with ThreadPoolExecutor(3) as pool:
        assert_same(reference, run_sweep(experiment, executor=pool, batch_size=3))
    assert_same(reference, run_sweep(experiment, batch_size=5))


def test_progress_reports_every_stored_run(experiment):
    seen = []
    run_sweep(experiment, progress=lambda done, total: seen.append((done, total)))
    n = experiment.n_runs
    assert seen[0] == (0, n) and seen[-1] == (n, n)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


# --------------------------------------------------------------------------- store and resume


def test_interrupted_sweep_resumes_to_the_same_rows(experiment, reference, tmp_path):
    out = tmp_path / "store"

    def stop_after_some(done: int, total: int) -> None:
        if done >= 5:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_sweep(experiment, out, batch_size=2, progress=stop_after_some)
    partial = SweepStore.read(out).status()
    assert 5 <= partial["stored"] < experiment.n_runs and not partial["running"]
    resumed = run_sweep(experiment, out, resume=True, workers=2, batch_size=3)
    assert_same(reference, resumed)
    assert SweepStore.read(out).status()["remaining"] == 0


def test_resume_order_does_not_matter(experiment, reference, tmp_path):
    """Chunks stored in any order, by any batching, read back as the same sorted tables."""
    out = tmp_path / "store"
    with open_store(out, manifest(experiment), points_table(experiment)) as store:
        for ids in ([10, 11], [2], [5, 6, 7]):
            task = next(make_tasks(experiment, ids, len(ids)))
            store.write_chunk(run_task(task).tables)
    assert SweepStore.read(out).stored_run_ids() == {2, 5, 6, 7, 10, 11}
    assert_same(reference, run_sweep(experiment, out, resume=True, batch_size=4))


def test_a_store_refuses_another_experiment(experiment, tmp_path, tiny):
    out = tmp_path / "store"
    run_sweep(experiment, out)
    with pytest.raises(ExperimentError, match="already holds this sweep"):
        run_sweep(experiment, out)
    other_seed = make_experiment(tiny, experiment.design, REPLICATES, SEED + 1)
    with pytest.raises(ExperimentError, match="root seed"):
        run_sweep(other_seed, out, resume=True)
    other_design = make_experiment(
        tiny, grid({"factions.clients.military": [0.2]}), REPLICATES, SEED
    )
    with pytest.raises(ExperimentError, match="design"):
        run_sweep(other_design, out, resume=True)
    fresh = run_sweep(other_design, out, new=True)
    assert len(fresh.runs) == REPLICATES


# --------------------------------------------------------------------------- failures


def _failing(monkeypatch, should_fail):
    """Patch the runner's replicate function; ``should_fail(spec, r, calls)`` decides."""
    calls: dict = {}

    def replicate(spec, root, r):
        key = (spec.hash, r)
        calls[key] = calls.get(key, 0) + 1
        if should_fail(spec, r, calls[key]):
            raise ValueError(f"boom at replicate {r}")
        return replicate_columns(spec, root, r)

    monkeypatch.setattr(runner_module, "replicate_columns", replicate)
    return calls


def _is_target(spec, r) -> bool:
    return (
        spec.mechanisms.purge.launch_rate == 0.3
        and spec.factions["clients"].military == 0.6
        and r == 2
    )


def test_a_run_that_keeps_failing_is_recorded(experiment, reference, monkeypatch):
    calls = _failing(monkeypatch, lambda spec, r, n: _is_target(spec, r))
    results = run_sweep(experiment, retries=2, batch_size=4)
    failed_id = experiment.run_id(3, 2)
    assert calls[(experiment.point_hashes[3], 2)] == 3  # first try and two retries
    runs = results.runs.set_index("run_id")
    assert runs.loc[failed_id, "status"] == "failed"
    assert "ValueError: boom at replicate 2" in runs.loc[failed_id, "error"]
    assert runs.loc[failed_id, "seed"] == f"{SEED}:(2,)"
    assert (runs.drop(index=failed_id)["status"] == "ok").all()
    for name in TABLES[1:]:
        assert failed_id not in set(results.tables[name]["run_id"]), name
        expected = reference.tables[name]
        expected = expected[expected["run_id"] != failed_id].reset_index(drop=True)
        pd.testing.assert_frame_equal(results.tables[name], expected, obj=name)
    assert results.outputs().set_index("point").loc[3, "runs"] == REPLICATES - 1


def test_a_transient_failure_is_retried_and_leaves_no_trace(experiment, reference, monkeypatch):
    _failing(monkeypatch, lambda spec, r, n: _is_target(spec, r) and n == 1)
    assert_same(reference, run_sweep(experiment, batch_size=3))


class FlakyExecutor(Executor):
    """Loses the first task it is given (as a worker that dies would), then works."""

    def __init__(self):
        self.lost = False

    def submit(self, fn, /, *args, **kwargs) -> Future:
        future: Future = Future()
        if not self.lost:
            self.lost = True
            future.set_exception(OSError("worker lost"))
        else:
            future.set_result(fn(*args, **kwargs))
        return future


def test_a_lost_task_is_retried(experiment, reference):
    assert_same(reference, run_sweep(experiment, executor=FlakyExecutor(), batch_size=4))


def test_tasks_carry_scenarios_and_seed_keys(experiment):
    tasks = list(make_tasks(experiment, [2, 3, 4, 9], 3))
    assert [t.run_ids for t in tasks] == [[2, 3, 4], [9]]
    first: Task = tasks[0]
    assert [(p, reps) for p, _, reps in first.items] == [(0, (2,)), (1, (0, 1))]
    assert first.items[1][1] == experiment.scenario(1) and first.root_seed == SEED


# --------------------------------------------------------------------------- results


def test_point_results_work_like_an_ensemble(experiment, reference):
    one = reference.point(2)
    assert one.scenario == experiment.scenario(2)
    assert one.runs["run_id"].tolist() == [6, 7, 8]
    outputs = reference.outputs()
    assert outputs["runs"].tolist() == [REPLICATES] * 4
    assert {"survival_clients_1952-06", "median_elimination_locals"} <= set(outputs.columns)
    assert outputs["survival_core_1952-06"].between(0, 1).all()


def test_saved_results_load_back(experiment, reference, tmp_path):
    out = tmp_path / "store"
    run_sweep(experiment, out)
    loaded = SweepResults.load(out)
    assert_same(reference, loaded)
    assert loaded.experiment.design.hash == experiment.design.hash
    assert loaded.experiment.scenario(1) == experiment.scenario(1)
    manifest = loaded.manifest
    assert manifest["root_seed"] == SEED and manifest["replicates"] == REPLICATES
    assert manifest["scenario_hash"] == experiment.base.hash
    assert {"factions", "numpy", "SALib"} <= set(manifest["versions"])


# --------------------------------------------------------------------------- Dask


@pytest.fixture(scope="module")
def dask_cluster():
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
    )
    client = distributed.Client(cluster)
    yield cluster, client
    client.close()
    cluster.close()


def test_dask_local_cluster_gives_the_same_rows(experiment, reference, dask_cluster):
    cluster, client = dask_cluster
    assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")
    assert_same(reference, run_sweep(experiment, executor=client.get_executor(), batch_size=2))
    assert_same(reference, run_sweep(experiment, scheduler=cluster.scheduler_address))
