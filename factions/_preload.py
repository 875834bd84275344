"""Imported by the workers' forkserver (:mod:`factions.executors`): the model, the runner that
turns runs into tables (with the storage libraries it imports) and the compiled kernels are
loaded once there, and every worker forked from it starts warm instead of spending about half a
second importing them again."""

import factions.experiment.runner  # noqa: F401 - imported to be inherited by the workers
from factions.compiled import warm_up

warm_up()
