"""Monte Carlo ensembles: many replicates of one scenario, serial or in parallel.

Tasks carry (resolved scenario, replicate indices, root seed) and return small tidy tables, never
live models, so any ``concurrent.futures.Executor`` can run them. Results are assembled in
replicate order, so they do not depend on the executor or on the number of workers.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor, as_completed
from typing import Any

import pandas as pd

from factions.executors import local_pool
from factions.model import FactionModel
from factions.results import Results
from factions.scenario import Scenario, load_scenario
from factions.seeds import replicate_seed, spawn_key_text
from factions.tables import TABLES, run_tables

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]


def run_replicate(spec: Scenario, root_seed: int, replicate: int) -> dict[str, pd.DataFrame]:
    """Run one replicate; return its tables (``runs`` included)."""
    seed = replicate_seed(root_seed, replicate)
    model = FactionModel(spec, rng=seed).run()
    tables = run_tables(model, replicate)
    tables["runs"] = pd.DataFrame(
        {
            "run_id": [replicate],
            "replicate": [replicate],
            "seed": [spawn_key_text(seed)],
            "scenario_hash": [spec.hash],
        }
    )
    return tables


def run_batch(spec: Scenario, root_seed: int, replicates: Sequence[int]) -> dict[str, pd.DataFrame]:
    """Run several replicates in one task and concatenate their tables."""
    parts = [run_replicate(spec, root_seed, r) for r in replicates]
    return {name: pd.concat([p[name] for p in parts], ignore_index=True) for name in TABLES}


def _batches(replicates: int, workers: int) -> list[list[int]]:
    size = max(1, min(25, replicates // (4 * max(workers, 1)) or 1))
    return [list(range(i, min(i + size, replicates))) for i in range(0, replicates, size)]


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
        Number of replicates (at least 1).
    seed : int, default 0
        Root seed.
    overrides : mapping, optional
        Dotted-path overrides; only with a scenario given by name or path.
    workers : int or None, default 1
        Local processes; ``None`` means one per CPU. Ignored when ``executor`` is given.
    executor : concurrent.futures.Executor, optional
        Any executor to run the batches on instead (a Dask ``Client.get_executor()``, say).
    progress : callable, optional
        Called as ``progress(done, total)`` as batches finish.

    Returns
    -------
    Results
        The ensemble's tables (``runs``, ``factions``, ``timeseries``, ``events``,
        ``congresses``, ``cadres``) and its manifest.

    Raises
    ------
    ValueError
        ``replicates`` below 1, or ``overrides`` with an already loaded scenario.
    ScenarioError
        The scenario named cannot be loaded.

    Examples
    --------
    >>> results = run_ensemble("korea-1945", replicates=4, seed=1)
    >>> sorted(results.factions.columns)[:3]
    ['duration_months', 'eliminated', 'eliminated_at']
    """
    spec = load_scenario(scenario, overrides) if isinstance(scenario, str) else scenario
    if overrides and not isinstance(scenario, str):
        raise ValueError("pass overrides with a scenario name, or apply them when loading")
    if replicates < 1:
        raise ValueError(f"replicates must be at least 1, got {replicates}")
    workers = os.cpu_count() or 1 if workers is None else workers
    batches = _batches(replicates, workers)
    own = executor is None and workers > 1
    pool = local_pool(workers) if own else executor
    log.info("running %d replicates of %s on %s", replicates, spec.name, pool or "1 process")
    try:
        parts = _collect(spec, seed, batches, pool, progress, replicates)
    finally:
        if own:
            pool.shutdown(cancel_futures=True)
    tables = {name: pd.concat([p[name] for p in parts], ignore_index=True) for name in TABLES}
    return Results.from_tables(spec, tables, root_seed=seed)


def _collect(spec, seed, batches, pool, progress, total) -> list[dict[str, pd.DataFrame]]:
    results: list[dict[str, pd.DataFrame] | None] = [None] * len(batches)
    done = 0
    if pool is None:
        for i, batch in enumerate(batches):
            results[i] = run_batch(spec, seed, batch)
            done += len(batch)
            if progress:
                progress(done, total)
        return results  # type: ignore[return-value]
    futures = {pool.submit(run_batch, spec, seed, batch): i for i, batch in enumerate(batches)}
    for future in as_completed(futures):
        i = futures[future]
        results[i] = future.result()
        done += len(batches[i])
        if progress:
            progress(done, total)
    return results  # type: ignore[return-value]
