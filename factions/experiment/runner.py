"""Run replicates: batch runs into tasks, hand them to an executor, collect what comes back.

The one way the package runs replicates. A sweep stores what comes back in a resumable store
(:func:`run_sweep`); an ensemble is a sweep of one point whose tables are kept in memory
(:func:`run_in_memory`, behind :func:`factions.ensemble.run_ensemble`).

A :class:`Task` carries everything a worker needs — the resolved scenario of each design point
in it, the replicate indices to run there, the root seed — and :func:`run_task` returns small
tidy tables, never live models, so any ``concurrent.futures.Executor`` can run it: the serial
default, local processes, or Dask through ``Client.get_executor()``.

Seeds follow :mod:`factions.seeds`: replicate ``r`` of *every* design point draws from
``SeedSequence(root, spawn_key=(r,))``. Points therefore differ only by their parameters, not by
their luck (common random numbers), and results do not depend on the executor, the number of
workers, how runs are batched into tasks, or the order in which a resumed sweep runs them.

A task that raises is retried (split into single runs first); a run that raises is retried on its
own; a run that keeps failing is stored as failed, with its error, and the sweep goes on (in
memory, it raises :class:`RunFailed`).
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import math
import tempfile
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, CancelledError, Executor, Future, as_completed, wait
from concurrent.futures.process import BrokenProcessPool
from concurrent.futures.thread import BrokenThreadPool
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd

from factions.errors import ExperimentError
from factions.executors import SerialExecutor, Workers
from factions.experiment.resolve import Experiment, load_experiment
from factions.experiment.results import SweepResults
from factions.experiment.store import open_store
from factions.model import FactionModel
from factions.results import versions
from factions.scenario import Scenario
from factions.seeds import replicate_seed, spawn_key_text
from factions.tables import TABLES, Columns, concat_tables, run_columns, stack_runs

__all__ = [
    "MAX_BATCH",
    "SWEEP_DEPENDENCIES",
    "MemorySink",
    "Progress",
    "RunFailed",
    "Sink",
    "SweepOptions",
    "Task",
    "TaskResult",
    "batch_size_for",
    "failed_runs",
    "make_tasks",
    "manifest",
    "points_table",
    "replicate_columns",
    "run_in_memory",
    "run_replicate",
    "run_sweep",
    "run_task",
    "sweep",
]

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
#: Most runs in one task: small enough that an interruption loses little, large enough that
#: per-task overhead (pickling the scenario, writing a chunk) stays negligible.
MAX_BATCH = 10
#: Extra versions recorded in the manifest.
SWEEP_DEPENDENCIES = ("SALib", "dask", "distributed")


# --------------------------------------------------------------------------- tasks


def replicate_columns(scenario: Scenario, root_seed: int, replicate: int) -> dict[str, Columns]:
    """Run one replicate; return its tables as columns, ``runs`` included (no run id yet)."""
    seed = replicate_seed(root_seed, replicate)
    model = FactionModel(scenario, rng=seed).run()
    columns = run_columns(model)
    columns["runs"] = {
        "replicate": np.array([replicate]),
        "seed": np.array([spawn_key_text(seed)], dtype=object),
        "scenario_hash": np.array([scenario.hash], dtype=object),
    }
    return columns


def run_replicate(scenario: Scenario, root_seed: int, replicate: int) -> dict[str, pd.DataFrame]:
    """Run one replicate; return its tables (``runs`` included), whose run id is the replicate."""
    return stack_runs([replicate_columns(scenario, root_seed, replicate)], {"run_id": [replicate]})


@dataclass(frozen=True)
class Task:
    """Runs of one or more design points: ``items`` holds (point, scenario, replicates)."""

    root_seed: int
    replicates: int
    items: tuple[tuple[int, Scenario, tuple[int, ...]], ...]
    attempt: int = 0

    @property
    def run_ids(self) -> list[int]:
        return [p * self.replicates + r for p, _, reps in self.items for r in reps]

    def singles(self) -> list[Task]:
        """One task per run (to isolate a run that breaks its batch)."""
        return [
            replace(self, items=((p, scenario, (r,)),), attempt=self.attempt + 1)
            for p, scenario, reps in self.items
            for r in reps
        ]


@dataclass
class TaskResult:
    """Tables of the runs that succeeded, and (point, replicate, error) of those that did not."""

    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    failures: list[tuple[int, int, str]] = field(default_factory=list)


def _error_text(exc: BaseException, limit: int = 4000) -> str:
    """The exception and the end of its traceback, for the ``error`` column."""
    text = "".join(traceback.format_exception(exc, limit=-3)).strip()
    return text[-limit:]


def run_task(task: Task) -> TaskResult:
    """Run every replicate of ``task``; a failing run is reported, not raised."""
    parts, run_ids, points, failures = [], [], [], []
    for point, scenario, reps in task.items:
        for r in reps:
            try:
                parts.append(replicate_columns(scenario, task.root_seed, r))
            except Exception as exc:  # recorded with its error; the task goes on
                failures.append((point, r, _error_text(exc)))
                continue
            run_ids.append(point * task.replicates + r)
            points.append(point)
    if not parts:
        return TaskResult({}, failures)
    tables = stack_runs(parts, {"run_id": run_ids, "point": points})
    tables["runs"]["status"] = "ok"
    tables["runs"]["error"] = None
    return TaskResult(tables, failures)


def make_tasks(
    exp: Experiment, run_ids: Sequence[int], batch_size: int | Callable[[int], int]
) -> Iterator[Task]:
    """Consecutive run ids in batches, grouped by design point.

    ``batch_size`` is a number of runs, or a function giving the next batch's size from the
    number of runs not yet handed out (:func:`batch_size_for`).
    """
    size_for = batch_size if callable(batch_size) else lambda _: batch_size
    start = 0
    while start < len(run_ids):
        batch = run_ids[start : start + size_for(len(run_ids) - start)]
        start += len(batch)
        items = tuple(
            (point, exp.scenario(point), tuple(rid % exp.replicates for rid in group))
            for point, group in itertools.groupby(batch, key=lambda rid: rid // exp.replicates)
        )
        yield Task(exp.seed, exp.replicates, items)


def failed_runs(exp: Experiment, failures: Sequence[tuple[int, int, str]]) -> pd.DataFrame:
    """``runs`` rows of runs that kept failing."""
    return pd.DataFrame(
        {
            "run_id": [exp.run_id(p, r) for p, r, _ in failures],
            "point": [p for p, _, _ in failures],
            "replicate": [r for _, r, _ in failures],
            "seed": [spawn_key_text(replicate_seed(exp.seed, r)) for _, r, _ in failures],
            "scenario_hash": [exp.point_hashes[p] for p, _, _ in failures],
            "status": "failed",
            "error": [e for _, _, e in failures],
        }
    )


# --------------------------------------------------------------------------- the loop


class Sink(Protocol):
    """Where the driver puts each chunk of runs: a sweep's store, or memory."""

    def write_chunk(self, tables: dict[str, pd.DataFrame]) -> Any: ...


class RunFailed(RuntimeError):
    """A run kept failing in a run kept in memory (a bug, most likely: the error is its text)."""


class MemorySink:
    """Chunks kept in memory; :meth:`tables` joins them in run order. A failed run raises."""

    def __init__(self) -> None:
        self.chunks: list[dict[str, pd.DataFrame]] = []

    def write_chunk(self, tables: dict[str, pd.DataFrame]) -> None:
        runs = tables["runs"]
        failed = runs[runs["status"] != "ok"]
        if len(failed):
            run = failed.iloc[0]
            where = f"run {run['run_id']} (point {run['point']}, replicate {run['replicate']})"
            raise RunFailed(f"{where} failed:\n{run['error']}")
        self.chunks.append(tables)

    def tables(self) -> dict[str, pd.DataFrame]:
        """Every table, sorted by run id (stable within a run), as a store would give them."""
        self.chunks.sort(key=lambda chunk: int(chunk["runs"]["run_id"].iloc[0]))
        tables = concat_tables(self.chunks)
        return {name: _by_run(frame) for name, frame in tables.items()}


def _by_run(frame: pd.DataFrame) -> pd.DataFrame:
    if frame["run_id"].is_monotonic_increasing:
        return frame
    return frame.sort_values("run_id", kind="stable", ignore_index=True)


class _Driver:
    """Submits tasks, keeps a bounded number in flight, retries, and hands chunks to a sink."""

    def __init__(
        self, exp: Experiment, sink: Sink, workers: Workers, options: SweepOptions, done: int = 0
    ):
        self.exp, self.sink, self.workers = exp, sink, workers
        self.retries, self.progress = options.retries, options.progress
        self.done = done
        self.window = 1 if isinstance(workers.executor, SerialExecutor) else 2 * workers.parallelism
        self.queue: deque[Task] = deque()  # retries, run before new tasks
        self.tasks: Iterator[Task] = iter(())
        self.in_flight: dict[Future, tuple[Task, int]] = {}

    def run(self, tasks: Iterator[Task]) -> None:
        """Run ``tasks`` (made lazily: only the tasks in flight hold their scenarios)."""
        self.tasks = iter(tasks)
        try:
            while self._fill() or self.in_flight:
                if self.in_flight:
                    finished, _ = wait(self.in_flight, return_when=FIRST_COMPLETED)
                    for future in finished:
                        self._collect(future, *self.in_flight.pop(future))
        except KeyboardInterrupt:
            self._drain()
            raise

    def _next(self) -> Task | None:
        if self.queue:
            return self.queue.popleft()
        return next(self.tasks, None)

    def _fill(self) -> bool:
        """Submit tasks until the window is full; False when there is nothing left to submit."""
        while len(self.in_flight) < self.window:
            task = self._next()
            if task is None:
                return False
            try:
                future = self.workers.executor.submit(run_task, task)
            except (BrokenProcessPool, BrokenThreadPool, RuntimeError) as exc:
                if not self.workers.renew():
                    raise ExperimentError(f"the executor cannot take tasks: {exc}") from exc
                self.queue.appendleft(task)
                continue
            self.in_flight[future] = (task, self.workers.generation)
        return True

    def _collect(self, future: Future, task: Task, generation: int) -> None:
        try:
            result = future.result()
        except CancelledError:
            return
        except (BrokenProcessPool, BrokenThreadPool) as exc:
            if generation == self.workers.generation and not self.workers.renew():
                raise ExperimentError(f"the executor broke: {exc}") from exc
            self._retry_or_fail(task, exc)
        except Exception as exc:
            self._retry_or_fail(task, exc)
        else:
            self._store(task, result)

    def _retry_or_fail(self, task: Task, exc: BaseException) -> None:
        """A whole task failed: run its runs again one by one, or record them as failed."""
        if task.attempt < self.retries:
            log.warning("task of runs %s failed (%s); retrying", task.run_ids, exc)
            self.queue.extendleft(reversed(task.singles()))
            return
        text = _error_text(exc)
        failures = [(p, r, text) for p, _, reps in task.items for r in reps]
        self._write({}, failures)

    def _store(self, task: Task, result: TaskResult, final: bool = True) -> None:
        """Write the runs that succeeded; retry the others, or record them as failed."""
        given_up = []
        for point, r, error in result.failures:
            if not final:
                continue  # left unstored: a resumed sweep runs them again
            if task.attempt < self.retries:
                scenario = self.exp.scenario(point)
                retry = Task(task.root_seed, task.replicates, ((point, scenario, (r,)),))
                self.queue.appendleft(replace(retry, attempt=task.attempt + 1))
            else:
                log.warning("run %d failed: %s", self.exp.run_id(point, r), error.splitlines()[-1])
                given_up.append((point, r, error))
        self._write(result.tables, given_up)

    def _write(self, tables: dict[str, pd.DataFrame], failures: list) -> None:
        runs = [tables["runs"]] if tables else []
        if failures:
            runs.append(failed_runs(self.exp, failures))
        if not runs:
            return
        chunk = {**tables, "runs": pd.concat(runs, ignore_index=True)}
        self.sink.write_chunk(chunk)
        self.done += len(chunk["runs"])
        if self.progress:
            self.progress(self.done, self.exp.n_runs)

    def _drain(self) -> None:
        """After Ctrl-C: cancel what has not started, store what finishes, then stop."""
        for future in self.in_flight:
            future.cancel()
        running = sum(not f.done() for f in self.in_flight)
        if running:
            log.warning(
                "stopping: storing %d tasks already running (Ctrl-C again to abort)", running
            )
        try:
            for future in as_completed(list(self.in_flight)):
                task, _ = self.in_flight.pop(future)
                if not future.cancelled() and future.exception() is None:
                    self._store(task, future.result(), final=False)
        except KeyboardInterrupt:
            log.warning("aborted: %d tasks in flight not stored", len(self.in_flight))


# --------------------------------------------------------------------------- the API


def manifest(exp: Experiment) -> dict[str, Any]:
    """What the store records: versions, scenario, design, seeds, identity."""
    found = versions()
    for name in SWEEP_DEPENDENCIES:
        with contextlib.suppress(Exception):
            from importlib import metadata

            found[name] = metadata.version(name)
    return {
        "experiment": exp.to_json(),
        "identity": exp.identity(),
        "scenario": exp.base.name,
        "scenario_hash": exp.base.hash,
        "resolved_scenario": exp.base.model_dump(mode="json"),
        "design": exp.design.to_json(),
        "design_hash": exp.design.hash,
        "points": exp.n_points,
        "replicates": exp.replicates,
        "runs": exp.n_runs,
        "root_seed": exp.seed,
        "seeds": "replicate r of every point: numpy.random.SeedSequence(root_seed, spawn_key=(r,))",
        "run_ids": "point * replicates + replicate",
        "point_hashes": list(exp.point_hashes),
        "tables": [*TABLES, "points"],
        "versions": found,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


def points_table(exp: Experiment) -> pd.DataFrame:
    """One row per design point: parameter values and the point's scenario hash."""
    table = exp.design.table()
    table["scenario_hash"] = list(exp.point_hashes)
    return table


def batch_size_for(remaining: int, parallelism: int) -> int:
    """The next batch's size: a quarter of a worker's share of the ``remaining`` runs, between 1
    and :data:`MAX_BATCH`.

    Asked again for every batch, this is guided self-scheduling (Polychronopoulos and Kuck 1987,
    IEEE Trans. Computers 36(12)): batches shrink towards the end, so that workers finish
    together rather than one idling while another runs a last full batch.
    """
    return max(1, min(MAX_BATCH, math.ceil(remaining / (4 * max(parallelism, 1)))))


@dataclass(frozen=True)
class SweepOptions:
    """How replicates run: on what, in batches of how many, with how many retries, and (for a
    stored sweep) what to do with the results folder.

    ``workers`` > 1 runs local processes (``None``: one per CPU); ``executor`` takes any
    ``concurrent.futures.Executor`` instead, and ``scheduler`` a Dask scheduler address.
    ``resume`` continues a store, ``new`` discards one. ``batch_size`` runs go in one task
    (``None``: batches that shrink towards the end, :func:`batch_size_for`); a failed
    run is retried ``retries`` times. ``progress(done, total)`` is called at the start and as
    chunks come in.
    """

    workers: int | None = 1
    executor: Executor | None = None
    scheduler: str | None = None
    resume: bool = False
    new: bool = False
    batch_size: int | None = None
    retries: int = 2
    progress: Progress | None = None

    def __post_init__(self) -> None:
        if self.retries < 0:
            raise ExperimentError(f"retries must be >= 0, got {self.retries}")
        if self.executor is not None and self.scheduler is not None:
            raise ExperimentError("give an executor or a scheduler address, not both")
        if self.resume and self.new:
            raise ExperimentError("give resume or new, not both")

    def workers_for(self) -> Workers:
        """The executor these options ask for."""
        return Workers(self.workers, self.scheduler, self.executor)


def run_sweep(
    experiment: Experiment | str | Path,
    out: str | Path | None = None,
    options: SweepOptions | None = None,
    **settings: Any,
) -> SweepResults:
    """Run (or continue) a sweep and return its tables.

    ``experiment`` is an :class:`Experiment` (see :func:`make_experiment`) or an experiment
    file's name or path. Results go to the store ``out`` (a temporary one, deleted afterwards,
    when ``None``). How it runs is a :class:`SweepOptions`, or its fields given as keywords:
    ``workers`` > 1 runs local processes (``None``: one per CPU); ``executor`` takes any
    ``concurrent.futures.Executor`` instead, and ``scheduler`` a Dask scheduler address;
    ``resume`` continues a store, ``new`` discards one; ``batch_size``, ``retries``;
    ``progress(done, total)`` is called at the start and as chunks are stored. Ctrl-C stores
    the runs in flight and re-raises ``KeyboardInterrupt``.
    """
    exp = experiment if isinstance(experiment, Experiment) else load_experiment(experiment)
    options = replace(options or SweepOptions(), **settings)
    if out is None:
        with tempfile.TemporaryDirectory(prefix="factions-sweep-") as folder:
            fresh = replace(options, resume=False, new=False)
            return _run(exp, Path(folder) / "store", fresh).in_memory()
    return _run(exp, Path(out), options)


def run_in_memory(exp: Experiment, options: SweepOptions) -> dict[str, pd.DataFrame]:
    """Run every run of ``exp`` and return the tables, sorted by run id, stored nowhere.

    Tables carry ``point`` and ``runs`` carries ``status`` and ``error``, as a store's do. A run
    that keeps failing raises :class:`RunFailed` (there is nowhere to record it).
    """
    workers = options.workers_for()
    sink = MemorySink()
    try:
        _execute(exp, sink, list(range(exp.n_runs)), workers, options)
    except BaseException:
        workers.close(wait=False)
        raise
    workers.close()
    return sink.tables()


def _run(exp: Experiment, out: Path, options: SweepOptions) -> SweepResults:
    workers = options.workers_for()  # a scheduler that fails leaves no store behind
    try:
        with open_store(
            out, manifest(exp), points_table(exp), resume=options.resume, new=options.new
        ) as store:
            store.repair()
            stored = store.stored_run_ids()
            remaining = [rid for rid in range(exp.n_runs) if rid not in stored]
            _execute(exp, store, remaining, workers, options, len(stored))
            if len(store.runs()) == exp.n_runs:  # complete: one part per table from now on
                store.compact()
    except BaseException:
        workers.close(wait=False)
        raise
    workers.close()
    return SweepResults.load(out, experiment=exp)


def _execute(
    exp: Experiment,
    sink: Sink,
    remaining: list[int],
    workers: Workers,
    options: SweepOptions,
    done: int = 0,
) -> None:
    """Run the runs ``remaining`` (``done`` are stored already) and hand them to ``sink``."""
    if options.progress:
        options.progress(done, exp.n_runs)
    if not remaining:
        return
    size = options.batch_size or partial(batch_size_for, parallelism=workers.parallelism)
    log.info("%s: %d runs to go on %s", exp.name, len(remaining), workers)
    started = time.perf_counter()
    _Driver(exp, sink, workers, options, done).run(make_tasks(exp, remaining, size))
    elapsed = time.perf_counter() - started
    log.info(
        "%s: %d runs in %.1f s (%.2f runs/s)",
        exp.name,
        len(remaining),
        elapsed,
        len(remaining) / max(elapsed, 1e-9),
    )


def sweep(
    scenario: Scenario | str,
    design=None,
    replicates: int = 10,
    seed: int = 1,
    **kwargs: Any,
) -> SweepResults:
    """Run ``design`` (``None``: a single point, i.e. an ensemble) over ``scenario``.

    A shortcut for ``run_sweep(make_experiment(scenario, design, replicates, seed), ...)``.

    Parameters
    ----------
    scenario : Scenario or str
        A loaded scenario, or a bundled name or path.
    design : Design, optional
        Points to run, e.g. :func:`~factions.experiment.grid`; ``None`` runs one point.
    replicates : int, default 10
        Replicates per point.
    seed : int, default 1
        Root seed; every point runs the same replicate seeds (common random numbers).
    **kwargs
        Passed to :func:`run_sweep`: ``out``, ``options``, or the fields of
        :class:`SweepOptions` (``workers``, ``executor``, ``progress``...).

    Returns
    -------
    SweepResults
        Per-run and per-point tables; ``outputs()`` gives one row per point.

    Examples
    --------
    >>> from factions.experiment import grid
    >>> res = sweep("korea-1945", grid({"factions.yanan.military": [0.2, 1.0]}), replicates=2)
    >>> len(res.outputs())
    2
    """
    from factions.experiment.resolve import make_experiment

    return run_sweep(make_experiment(scenario, design, replicates, seed), **kwargs)
