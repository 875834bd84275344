"""Local worker processes for ensembles and sweeps.

Workers start from a forkserver (forking a process that already runs threads, as pyarrow's do,
may deadlock) preloaded with the model and its compiled kernels, so that each worker starts
without re-importing or reloading them. Workers
ignore Ctrl-C: the parent decides how to stop. They exit by themselves within a second or two
when the parent dies (killed with SIGKILL, say), rather than linger holding memory; the
forkserver and the resource tracker then exit too. Any other ``concurrent.futures.Executor`` (a Dask
client's, for one) can be used instead wherever an ``executor=`` argument is taken.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.context
import os
import signal
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

PRELOAD = ["factions._preload"]  # the model, its tables and its warmed-up kernels


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


def local_pool(workers: int) -> ProcessPoolExecutor:
    """A pool of ``workers`` local processes set up as described above."""
    return ProcessPoolExecutor(
        workers, mp_context=process_context(), initializer=quiet_worker, initargs=(os.getpid(),)
    )
