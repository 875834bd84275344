"""Compiled kernels: the one place the engine's numba options are set.

At the default scale a month of the model works on arrays of a few hundred cadres and a few
thousand ties, where numpy's fixed cost per call (about a microsecond) outweighs the arithmetic.
The loops over every cadre or tie are therefore written as plain loops and compiled with numba
(:mod:`factions.kernels`); the rules, the random draws, masks and small reductions stay in the
Python functions that call them (``docs/performance.md``).

Kernels are compiled on first use and cached on disk next to the source (``cache=True``), so
that only the first run on a machine pays the compilation. ``NUMBA_DISABLE_JIT=1`` runs them as
plain Python (slow, but debuggable).

One rule keeps the cache honest: a kernel calls only kernels of its own module, and reads other
modules' constants only when they are fixed codes (``Status``, ``NOT_YET``). Numba invalidates a
cached kernel when its own source file changes, not when a module it borrows from does, so a
cross-module call could silently run stale code; kernels that share a loop therefore live
together in :mod:`factions.kernels`. Python code may call any kernel.
"""

from __future__ import annotations

from collections.abc import Callable

import numba

__all__ = ["WARM_UP_SCENARIO", "as_python", "kernel", "warm_up"]

#: Decorator for the engine's kernels: no Python objects, no fast-math (results must be
#: bit-for-bit those of the documented arithmetic), cached compilation.
kernel = numba.njit(cache=True, nogil=True, fastmath=False, error_model="numpy")


def as_python(compiled: Callable) -> Callable:
    """The plain-Python function behind a kernel (for arguments numba cannot type, such as
    arrays of Python integers); the kernel itself when JIT is disabled."""
    return getattr(compiled, "py_func", compiled)


def warm_up() -> None:
    """Load (or compile) the kernels by running one bundled replicate.

    The first call of the first kernel in a process initialises numba's compiler, about a
    second; :mod:`factions.executors` has its forkserver do this once, so that the workers
    forked from it start warm.
    """
    from factions.model import FactionModel
    from factions.scenario import load_scenario

    FactionModel(load_scenario(WARM_UP_SCENARIO), rng=0).run()


WARM_UP_SCENARIO = "korea-1945"
