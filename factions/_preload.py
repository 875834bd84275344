"""Imported by the workers' forkserver (:mod:`factions.executors`): the model, its tables and
its compiled kernels are loaded once there, and every worker forked from it starts warm."""

import factions.model
import factions.tables  # noqa: F401 - imported to be inherited by the workers
from factions.compiled import warm_up

warm_up()
