"""What ensembles and sweeps run on: this process, local worker processes, or any executor.

:class:`Workers` holds the executor of one ensemble or sweep: a :class:`SerialExecutor` (this
process, no overhead), a pool of local worker processes, a Dask scheduler's, or any
``concurrent.futures.Executor`` given (a Dask client's, for one), and knows whether it may
replace or close it.

Local workers start from a forkserver (forking a process that already runs threads, as pyarrow's
do, may deadlock) preloaded with the model and its compiled kernels, so that each worker starts
without re-importing or reloading them. Workers ignore Ctrl-C: the parent decides how to stop.
They exit by themselves within a second or two when the parent dies (killed with SIGKILL, say),
rather than linger holding memory; the forkserver and the resource tracker then exit too.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import multiprocessing.context
import multiprocessing.forkserver
import os
import signal
import threading
import time
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from pathlib import Path

from factions.errors import ExperimentError

__all__ = [
    "MIN_RUNS_PER_WORKER",
    "PRELOAD",
    "SerialExecutor",
    "Workers",
    "check_count",
    "check_workers",
    "local_pool",
    "process_context",
    "quiet_worker",
    "start_forkserver",
    "useful_workers",
]

log = logging.getLogger(__name__)

PRELOAD = ["factions._preload"]  # the model, its tables and its warmed-up kernels

#: Below this many runs per worker, local processes do not pay for their start: the forkserver
#: imports the model and loads its kernels (about two seconds of one core, as much as some
#: forty runs of korea-1945; docs/performance.md), so a handful of runs is faster in-process.
MIN_RUNS_PER_WORKER = 10


def quiet_worker(parent: int) -> None:
    """Leave Ctrl-C to the parent process; exit when the ``parent`` process is gone."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_with, args=(parent,), daemon=True, name="parent-watch").start()


def _exit_with(parent: int, interval: float = 1.0) -> None:
    while _alive(parent):
        time.sleep(interval)
    os._exit(1)


def _alive(pid: int) -> bool:
    """Whether process ``pid`` runs (a zombie, dead but not yet reaped, does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:  # no /proc (not Linux): trust os.kill
        return True
    return stat.rpartition(")")[2].split()[0] != "Z"


def check_count(name: str, value: object, low: int = 1, high: int | None = None) -> int:
    """``value`` as a count argument of the API, or a TypeError / ValueError naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    if value < low or (high is not None and value > high):
        bounds = f"between {low} and {high:,}" if high is not None else f"at least {low}"
        raise ValueError(f"{name} must be {bounds}, got {value}")
    return value


def check_workers(workers: object) -> int:
    """The number of worker processes (``None``: one per CPU); a bad one names ``workers``."""
    return (os.cpu_count() or 1) if workers is None else check_count("workers", workers)


def process_context() -> multiprocessing.context.BaseContext:
    """Forkserver where available (preloaded with the model), else spawn."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)
    return context


def useful_workers(runs: int, workers: int) -> int:
    """The local processes worth starting for ``runs`` runs: ``workers``, or 1 (this process)
    when that would give a worker fewer than :data:`MIN_RUNS_PER_WORKER` runs."""
    return workers if runs >= MIN_RUNS_PER_WORKER * workers else 1


def start_forkserver() -> None:
    """Start the workers' forkserver now, in the background.

    The forkserver imports the model and loads its kernels (:data:`PRELOAD`) while this process
    goes on with its own imports and loading the scenario, so that a pool started afterwards
    finds it ready rather than waiting for it. Nothing to do where there is no forkserver.
    """
    if process_context().get_start_method() == "forkserver":
        multiprocessing.forkserver.ensure_running()


def local_pool(workers: int) -> ProcessPoolExecutor:
    """A pool of ``workers`` local processes set up as described above."""
    return ProcessPoolExecutor(
        workers, mp_context=process_context(), initializer=quiet_worker, initargs=(os.getpid(),)
    )


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
        self.workers = check_workers(workers)
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
