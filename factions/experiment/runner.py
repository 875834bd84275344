"""Run a sweep: batch runs into tasks, hand them to an executor, store what comes back.

A :class:`Task` carries everything a worker needs — the resolved scenario of each design point
in it, the replicate indices to run there, the root seed — and :func:`run_task` returns small
tidy tables, never live models, so any ``concurrent.futures.Executor`` can run it: the serial
default, local processes, or Dask through ``Client.get_executor()``.

Seeds follow :mod:`factions.seeds`: replicate ``r`` of *every* design point draws from
``SeedSequence(root, spawn_key=(r,))``. Points therefore differ only by their parameters, not by
their luck (common random numbers), and results do not depend on the executor, the number of
workers, how runs are batched into tasks, or the order in which a resumed sweep runs them.

A task that raises is retried (split into single runs first); a run that raises is retried on its
own; a run that keeps failing is stored as failed, with its error, and the sweep goes on.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import math
import os
import tempfile
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import (
    FIRST_COMPLETED,
    CancelledError,
    Executor,
    Future,
    ProcessPoolExecutor,
    as_completed,
    wait,
)
from concurrent.futures.process import BrokenProcessPool
from concurrent.futures.thread import BrokenThreadPool
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

from factions.ensemble import run_replicate
from factions.errors import ExperimentError
from factions.executors import local_pool
from factions.experiment.resolve import Experiment, load_experiment
from factions.experiment.results import SweepResults
from factions.experiment.store import SweepStore, open_store
from factions.results import versions
from factions.scenario import Scenario
from factions.seeds import replicate_seed, spawn_key_text
from factions.tables import TABLES

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
#: Most runs in one task: small enough that an interruption loses little, large enough that
#: per-task overhead (pickling the scenario, writing a chunk) stays negligible.
MAX_BATCH = 10
#: Extra versions recorded in the manifest.
SWEEP_DEPENDENCIES = ("SALib", "dask", "distributed")


# --------------------------------------------------------------------------- tasks


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
            replace(self, items=((p, spec, (r,)),), attempt=self.attempt + 1)
            for p, spec, reps in self.items
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


def _label(tables: dict[str, pd.DataFrame], point: int, run_id: int) -> dict[str, pd.DataFrame]:
    """Give one replicate's tables its sweep-wide run id and its design point."""
    for frame in tables.values():
        frame["run_id"] = run_id
        frame.insert(1, "point", point)
    runs = tables["runs"]
    runs["status"] = "ok"
    runs["error"] = None
    return tables


def run_task(task: Task) -> TaskResult:
    """Run every replicate of ``task``; a failing run is reported, not raised."""
    parts, failures = [], []
    for point, spec, reps in task.items:
        for r in reps:
            try:
                tables = run_replicate(spec, task.root_seed, r)
            except Exception as exc:  # recorded with its error; the task goes on
                failures.append((point, r, _error_text(exc)))
                continue
            parts.append(_label(tables, point, point * task.replicates + r))
    if not parts:
        return TaskResult({}, failures)
    tables = {name: pd.concat([p[name] for p in parts], ignore_index=True) for name in TABLES}
    return TaskResult(tables, failures)


def make_tasks(exp: Experiment, run_ids: Sequence[int], batch_size: int) -> Iterator[Task]:
    """Consecutive run ids, ``batch_size`` at a time, grouped by design point."""
    for start in range(0, len(run_ids), batch_size):
        batch = run_ids[start : start + batch_size]
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


# --------------------------------------------------------------------------- executors


class SerialExecutor(Executor):
    """Runs each task when it is submitted, in this process (the default: no overhead)."""

    def submit(self, fn, /, *args, **kwargs) -> Future:
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as exc:
            future.set_exception(exc)
        return future


class Workers:
    """The executor a sweep runs on, and whether (and how) it may be replaced or closed."""

    def __init__(
        self,
        workers: int | None = 1,
        scheduler: str | None = None,
        executor: Executor | None = None,
    ):
        self.workers = (os.cpu_count() or 1) if workers is None else workers
        self.client = None
        self.owned = executor is None
        if executor is not None:
            self.executor, self.parallelism = executor, _parallelism_of(executor, self.workers)
        elif scheduler is not None:
            self.client = _dask_client(scheduler)
            self.executor = self.client.get_executor()
            self.parallelism = max(sum(self.client.nthreads().values()), 1)
        elif self.workers > 1:
            self.executor, self.parallelism = self._pool(), self.workers
        else:
            self.executor, self.parallelism = SerialExecutor(), 1
        self.generation = 0

    def _pool(self) -> ProcessPoolExecutor:
        return local_pool(self.workers)

    def __str__(self) -> str:
        if self.client is not None:
            return f"Dask scheduler {self.client.scheduler.address}"
        if isinstance(self.executor, ProcessPoolExecutor) and self.owned:
            return f"{self.workers} local processes"
        return "1 process" if isinstance(self.executor, SerialExecutor) else str(self.executor)

    def renew(self) -> bool:
        """Replace a broken process pool of ours; False when the executor is not ours."""
        if not (self.owned and isinstance(self.executor, ProcessPoolExecutor)):
            return False
        self.executor.shutdown(wait=False, cancel_futures=True)
        self.executor = self._pool()
        self.generation += 1
        log.warning("a worker process died; started a new pool")
        return True

    def close(self, wait: bool = True) -> None:
        if not self.owned:
            return
        if isinstance(self.executor, ProcessPoolExecutor):
            self.executor.shutdown(wait=wait, cancel_futures=True)
        if self.client is not None:
            with contextlib.suppress(Exception):
                self.executor.shutdown(wait=False)
                self.client.close()


def _parallelism_of(executor: Executor, default: int) -> int:
    """How many tasks an executor runs at once (its workers, or Dask's threads), if it says."""
    client = getattr(executor, "_client", None)
    if client is not None:
        with contextlib.suppress(Exception):
            return max(sum(client.nthreads().values()), 1)
    workers = getattr(executor, "_max_workers", None)
    if isinstance(workers, int) and workers > 0:
        return workers
    return max(default, os.cpu_count() or 1) if not isinstance(executor, SerialExecutor) else 1


def _dask_client(address: str):
    try:
        from distributed import Client
    except ImportError as exc:
        raise ExperimentError(
            "--scheduler needs dask.distributed: pip install 'factions[dask]'"
        ) from exc
    try:
        return Client(address, timeout="15s")
    except (OSError, TimeoutError, ValueError) as exc:
        raise ExperimentError(f"cannot reach the Dask scheduler at {address}: {exc}") from exc


# --------------------------------------------------------------------------- the loop


class _Driver:
    """Submits tasks, keeps a bounded number in flight, retries, and stores chunks in order."""

    def __init__(
        self,
        exp: Experiment,
        store: SweepStore,
        workers: Workers,
        retries: int,
        progress: Progress | None,
        done: int,
    ):
        self.exp, self.store, self.workers = exp, store, workers
        self.retries, self.progress = retries, progress
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
                spec = self.exp.scenario(point)
                retry = Task(task.root_seed, task.replicates, ((point, spec, (r,)),))
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
        self.store.write_chunk(chunk)
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
    """About four tasks per worker, at most :data:`MAX_BATCH` runs each."""
    return max(1, min(MAX_BATCH, math.ceil(remaining / (4 * max(parallelism, 1)))))


def run_sweep(
    experiment: Experiment | str | Path,
    out: str | Path | None = None,
    *,
    workers: int | None = 1,
    executor: Executor | None = None,
    scheduler: str | None = None,
    resume: bool = False,
    new: bool = False,
    batch_size: int | None = None,
    retries: int = 2,
    progress: Progress | None = None,
) -> SweepResults:
    """Run (or continue) a sweep and return its tables.

    ``experiment`` is an :class:`Experiment` (see :func:`make_experiment`) or an experiment
    file's name or path. Results go to the store ``out`` (a temporary one, deleted afterwards,
    when ``None``); ``resume`` continues a store, ``new`` discards one. ``workers`` > 1 runs
    local processes (``None``: one per CPU); ``executor`` takes any
    ``concurrent.futures.Executor`` instead, and ``scheduler`` a Dask scheduler address.
    ``progress(done, total)`` is called as chunks are stored. Ctrl-C stores the runs in flight
    and re-raises ``KeyboardInterrupt``.
    """
    exp = experiment if isinstance(experiment, Experiment) else load_experiment(experiment)
    if retries < 0:
        raise ExperimentError(f"retries must be >= 0, got {retries}")
    if executor is not None and scheduler is not None:
        raise ExperimentError("give an executor or a scheduler address, not both")
    if out is None:
        with tempfile.TemporaryDirectory(prefix="factions-sweep-") as folder:
            results = _run(
                exp,
                Path(folder) / "store",
                workers,
                executor,
                scheduler,
                False,
                False,
                batch_size,
                retries,
                progress,
            )
            return results.in_memory()
    return _run(
        exp, Path(out), workers, executor, scheduler, resume, new, batch_size, retries, progress
    )


def _run(exp, out, workers, executor, scheduler, resume, new, batch_size, retries, progress):
    store = open_store(out, manifest(exp), points_table(exp), resume=resume, new=new)
    with store.locked():
        store.repair()
        stored = store.stored_run_ids()
        remaining = [rid for rid in range(exp.n_runs) if rid not in stored]
        if progress:
            progress(len(stored), exp.n_runs)
        if remaining:
            _execute(
                exp,
                store,
                remaining,
                workers,
                executor,
                scheduler,
                batch_size,
                retries,
                progress,
                len(stored),
            )
    return SweepResults.load(out, experiment=exp)


def _execute(
    exp, store, remaining, workers, executor, scheduler, batch_size, retries, progress, done
) -> None:
    pool = Workers(workers, scheduler, executor)
    size = batch_size or batch_size_for(len(remaining), pool.parallelism)
    log.info("%s: %d runs to go on %s, %d per task", exp.name, len(remaining), pool, size)
    started, clean = time.perf_counter(), False
    try:
        _Driver(exp, store, pool, retries, progress, done).run(make_tasks(exp, remaining, size))
        clean = True
    finally:
        pool.close(wait=clean)
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
        Passed to :func:`run_sweep` (``out``, ``workers``, ``executor``, ``progress``...).

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
