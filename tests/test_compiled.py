"""The compiled kernels are plain Python: interpreted (``NUMBA_DISABLE_JIT=1``, the debugging
mode ``factions/compiled.py`` documents) they give the same replicate, bit for bit; and they take
their inputs as the bundles' fields, in order."""

from __future__ import annotations

import inspect
import os
import subprocess
import sys

import pytest

from factions import kernels
from factions.compiled import as_python
from factions.network import Ties
from factions.state import CadreArrays

# a kernel names the ties' cadre count n_cadres (Ties.n)
TIE_FIELDS = tuple("n_cadres" if f == "n" else f for f in Ties._fields)

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


def _parameters(compiled) -> list[str]:
    return list(inspect.signature(as_python(compiled)).parameters)


def _holds(parameters: list[str], fields: tuple[str, ...]) -> bool:
    """Whether ``fields`` appear in ``parameters`` consecutively, in order."""
    k = len(fields)
    return any(tuple(parameters[i : i + k]) == fields for i in range(len(parameters) - k + 1))


@pytest.mark.parametrize(
    ("name", "bundles"),
    [
        ("mean_loyalty", [CadreArrays._fields]),
        ("step_cadres", [CadreArrays._fields, TIE_FIELDS, kernels.LoyaltyRule._fields]),
        ("fear", [TIE_FIELDS]),
        ("fill_components", [CadreArrays._fields]),
        ("faction_power", [CadreArrays._fields]),
        ("arrested_share", [CadreArrays._fields]),
        ("threat_level", [CadreArrays._fields, kernels.ThreatRule._fields]),
        ("launch_hazard", [CadreArrays._fields, kernels.LaunchRule._fields]),
        ("switch_candidates", [CadreArrays._fields]),
        ("arrest_probability", [CadreArrays._fields, TIE_FIELDS, kernels.SpreadRule._fields]),
    ],
)
def test_kernels_take_their_bundles_fields_in_order(name, bundles):
    # callers unpack the bundles into the kernels: the parameters must follow the fields
    parameters = _parameters(getattr(kernels, name))
    for fields in bundles:
        assert _holds(parameters, fields), (name, fields)
