"""Performance regression guard: fails on a 2× slowdown of the engine.

Compares ratios of engine time to reference workloads measured in this process (see
``benchmarks/guard.py``) with the values recorded in ``benchmarks/guard.json``; absolute times
are never compared, so a slower or busier machine does not fail it.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

GUARD = Path(__file__).resolve().parents[1] / "benchmarks" / "guard.py"
SLOWDOWN = 2.0  # the guard fails beyond this factor


@pytest.fixture(scope="module")
def guard():
    """``benchmarks/guard.py`` (not a package, so loaded from its path)."""
    spec = importlib.util.spec_from_file_location("guard", GUARD)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def measured(guard):
    return guard.measure(rounds=9)


@pytest.mark.parametrize("key", ["replicate_over_small_calls", "members_over_floor"])
def test_no_twofold_slowdown(guard, measured, key):
    recorded = json.loads(guard.RECORD.read_text())[key]
    assert measured[key] < SLOWDOWN * recorded, (
        f"{key} is {measured[key]:.2f}, more than {SLOWDOWN}x the recorded {recorded:.2f}: "
        "the engine got slower (if on purpose, run `python benchmarks/guard.py --record`)"
    )


def test_guard_detects_a_slower_engine(guard):
    """The ratio doubles when the engine's work doubles (so the guard can fail)."""
    replicate = guard.replicate()
    once = guard.ratio(replicate, guard.small_calls, rounds=9)
    twice = guard.ratio(lambda: (replicate(), replicate()), guard.small_calls, rounds=9)
    assert twice > 1.3 * once, (once, twice)
