"""The ensemble tab's state: run replicates in the background, keep the result, pin a baseline.

Replicates run through :func:`factions.ensemble.run_ensemble` on local worker processes with
the dashboard's current scenario values and seed, so an ensemble here is the ensemble
``factions run`` would give for the downloaded scenario file and the same seed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import solara
import solara.lab

from factions.dashboard.parameters import resolve

if TYPE_CHECKING:
    from collections.abc import Callable

    from factions.results import Results

MAX_WORKERS = 4


def local_workers() -> int:
    """Worker processes for the ensemble tab: the CPUs, at most :data:`MAX_WORKERS`."""
    return max(1, min(MAX_WORKERS, os.cpu_count() or 1))


@dataclass(frozen=True)
class EnsembleResult:
    """An ensemble's tables, its summary as ``factions run`` prints it, and what it was run on."""

    results: Results
    summary: str
    label: str


def simulate(
    settings: Any, replicates: int, progress: Callable[[int, int], None]
) -> EnsembleResult:
    """Run ``replicates`` replicates of the settings' scenario (values applied) and summarise."""
    from factions.ensemble import run_ensemble  # with the summary: not needed to serve the page
    from factions.summary import render, summarise

    spec = resolve(settings.source, settings.values)
    results = run_ensemble(
        spec, replicates, settings.seed, workers=local_workers(), progress=progress
    )
    changed = ", ".join(f"{k.split('.', 1)[-1]}={v:g}" for k, v in sorted(settings.values.items()))
    label = f"{spec.name}, {replicates} runs, seed {settings.seed}" + (
        f"; {changed}" if changed else ""
    )
    return EnsembleResult(results, render(summarise(results)), label)


@dataclass
class Ensemble:
    """What the tab shows and can do (see :func:`use_ensemble`)."""

    run: Callable[[Any, int], None]
    pin: Callable[[], None]
    pending: bool
    progress: tuple[int, int]
    current: EnsembleResult | None
    pinned: EnsembleResult | None
    error: str | None
    workers: int


def use_ensemble() -> Ensemble:
    """Solara hook: a background ensemble task with progress, its last result and a pin."""
    progress = solara.use_reactive((0, 0))
    current = solara.use_reactive(None)
    pinned = solara.use_reactive(None)

    def job(settings: Any, replicates: int) -> None:
        progress.set((0, replicates))
        current.set(simulate(settings, replicates, lambda done, total: progress.set((done, total))))

    task = solara.lab.use_task(job, dependencies=None, raise_error=False)
    error = None
    if task.error:
        error = f"the ensemble failed: {task.exception}"
    return Ensemble(
        run=task,
        pin=lambda: pinned.set(current.value),
        pending=task.pending,
        progress=progress.value,
        current=current.value,
        pinned=pinned.value,
        error=error,
        workers=local_workers(),
    )
