"""The compiled kernels are plain Python: interpreted (``NUMBA_DISABLE_JIT=1``, the debugging
mode ``factions/compiled.py`` documents) they give the same replicate, bit for bit."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

REPLICATE_DIGEST = """
import hashlib, pickle
from factions.model import FactionModel
from factions.scenario import load_scenario
model = FactionModel(load_scenario("korea-1945"), rng=3).run()
digest = hashlib.sha256(pickle.dumps(model.recorder.events))
for name in sorted(model.recorder.series):
    digest.update(model.recorder.series[name].tobytes())
print(digest.hexdigest(), len(model.recorder.events))
"""


def _digest(**env: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", REPLICATE_DIGEST],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, **env},
    )
    return done.stdout.strip()


@pytest.mark.slow
def test_interpreted_kernels_give_the_compiled_replicate():
    compiled = _digest(NUMBA_DISABLE_JIT="0")
    interpreted = _digest(NUMBA_DISABLE_JIT="1")
    assert int(compiled.split()[1]) > 100  # a replicate with events to compare
    assert interpreted == compiled
