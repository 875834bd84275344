"""Sweeps: designs over scenario parameters, replicates, executors, a resumable store, analysis.

::

    from factions.experiment import load_experiment, run_sweep

    exp = load_experiment("experiments/korea-grid-yanan.toml")
    results = run_sweep(exp, out="results/korea-grid-yanan", workers=2)
    results.outputs()          # one row per design point
    results.analyse()          # outputs, and Sobol / Morris / paired comparison if asked

From Python objects::

    from factions.experiment import grid, sweep

    results = sweep("korea-1945", grid({"factions.yanan.military": [0.2, 0.6, 1.0]}),
                    replicates=50, seed=1, executor=client.get_executor())

Files: :mod:`~factions.experiment.spec` (experiment files), :mod:`~.designs` (designs),
:mod:`~.resolve` (checked experiments), :mod:`~.runner` (tasks, executors, retries),
:mod:`~.store` (the Parquet store), :mod:`~.sensitivity` (SALib analyses), :mod:`~.results`.
"""

from factions.experiment.designs import (
    Design,
    from_csv,
    from_table,
    grid,
    latin_hypercube,
    morris,
    sobol,
    zipped,
)
from factions.experiment.resolve import Experiment, load_experiment, make_experiment
from factions.experiment.results import SweepResults
from factions.experiment.runner import SweepOptions, run_sweep, sweep
from factions.experiment.spec import ExperimentSpec, ExperimentValidationError
from factions.experiment.store import SweepStore

__all__ = [
    "Design",
    "Experiment",
    "ExperimentSpec",
    "ExperimentValidationError",
    "SweepOptions",
    "SweepResults",
    "SweepStore",
    "from_csv",
    "from_table",
    "grid",
    "latin_hypercube",
    "load_experiment",
    "make_experiment",
    "morris",
    "run_sweep",
    "sobol",
    "sweep",
    "zipped",
]
