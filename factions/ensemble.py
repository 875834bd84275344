"""Monte Carlo ensembles: many replicates of one scenario, serial or in parallel.

An ensemble is a sweep of one design point whose tables are kept in memory: it runs on the
sweep's runner (:mod:`factions.experiment.runner`) and executors (:mod:`factions.executors`), so
batching, retries and Ctrl-C behave as in ``factions sweep``. Results are assembled in replicate
order, so they do not depend on the executor or on the number of workers.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from concurrent.futures import Executor
from typing import Any

import pandas as pd

from factions.executors import check_count, check_workers
from factions.experiment.resolve import Experiment
from factions.experiment.runner import Progress, SweepOptions, run_in_memory
from factions.results import Results
from factions.scenario import Scenario, load_scenario
from factions.seeds import MAX_REPLICATES

__all__ = ["run_ensemble"]

log = logging.getLogger(__name__)

#: Columns a sweep's tables carry that an ensemble's do not (one point, no failed runs kept).
SWEEP_COLUMNS = ("point", "status", "error")


def run_ensemble(
    scenario: Scenario | str,
    replicates: int = 200,
    seed: int = 0,
    *,
    overrides: Mapping[str, Any] | None = None,
    workers: int | None = 1,
    executor: Executor | None = None,
    progress: Progress | None = None,
) -> Results:
    """Run ``replicates`` replicates of ``scenario`` and return their tables.

    Replicate *i* draws from ``numpy.random.SeedSequence(seed, spawn_key=(i,))``, so the same
    scenario and seed give the same results on any number of workers, and two scenarios run
    with the same seed are paired on common random numbers.

    Parameters
    ----------
    scenario : Scenario or str
        A loaded scenario, or a bundled name or path passed to
        :func:`~factions.scenario.load_scenario`.
    replicates : int, default 200
        Number of replicates (1 to 1,000,000).
    seed : int, default 0
        Root seed.
    overrides : mapping, optional
        Dotted-path overrides; only with a scenario given by name or path.
    workers : int or None, default 1
        Local processes; ``None`` means one per CPU. Ignored when ``executor`` is given.
    executor : concurrent.futures.Executor, optional
        Any executor to run the batches on instead (a Dask ``Client.get_executor()``, say).
    progress : callable, optional
        Called as ``progress(done, total)`` at the start and as batches finish.

    Returns
    -------
    Results
        The ensemble's tables (``runs``, ``factions``, ``timeseries``, ``events``,
        ``congresses``, ``cadres``) and its manifest.

    Raises
    ------
    TypeError
        An argument of the wrong type (``replicates='5'``, say); the message names it.
    ValueError
        ``replicates`` outside 1 to 1,000,000, ``seed`` below 0, ``workers`` below 1, or
        ``overrides`` with an already loaded scenario.
    ScenarioError
        The scenario named cannot be loaded.
    RunFailed
        A replicate kept failing (a bug); the message holds its traceback.

    Examples
    --------
    >>> results = run_ensemble("korea-1945", replicates=4, seed=1)
    >>> sorted(results.factions.columns)[:3]
    ['duration_months', 'eliminated', 'eliminated_at']
    """
    check_count("replicates", replicates, 1, MAX_REPLICATES)
    check_count("seed", seed, 0)
    check_workers(workers)
    if overrides and not isinstance(scenario, str):
        raise ValueError("pass overrides with a scenario name, or apply them when loading")
    if not isinstance(scenario, str | Scenario):
        raise TypeError(f"scenario must be a Scenario or a name or path, got {scenario!r}")
    loaded = load_scenario(scenario, overrides) if isinstance(scenario, str) else scenario
    options = SweepOptions(workers=workers, executor=executor, progress=progress)
    tables = run_in_memory(Experiment.ensemble(loaded, replicates, seed), options)
    return Results.from_tables(loaded, _ensemble_tables(tables), root_seed=seed)


def _ensemble_tables(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """A one-point sweep's tables as an ensemble's: without the sweep's own columns."""
    return {
        name: frame.drop(columns=[c for c in SWEEP_COLUMNS if c in frame.columns])
        for name, frame in tables.items()
    }
