"""Local worker processes for ensembles and sweeps.

Workers start from a forkserver (forking a process that already runs threads, as pyarrow's do,
may deadlock) preloaded with the model and its compiled kernels, so that each worker starts
without re-importing or reloading them. Workers
ignore Ctrl-C: the parent decides how to stop. Any other ``concurrent.futures.Executor`` (a Dask
client's, for one) can be used instead wherever an ``executor=`` argument is taken.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.context
import signal
from concurrent.futures import ProcessPoolExecutor

PRELOAD = ["factions._preload"]  # the model, its tables and its warmed-up kernels


def quiet_worker() -> None:
    """Leave Ctrl-C to the parent process."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def process_context() -> multiprocessing.context.BaseContext:
    """Forkserver where available (preloaded with the model), else spawn."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)
    return context


def local_pool(workers: int) -> ProcessPoolExecutor:
    """A pool of ``workers`` local processes set up as described above."""
    return ProcessPoolExecutor(workers, mp_context=process_context(), initializer=quiet_worker)
