"""Every enabled mechanism is wired into the monthly step of a standard korea-1945 replicate.

Three checks, from the most specific to the most general:

* **signatures**: each mechanism leaves its mark (its event kinds in the log, or a series it
  drives that moves) in at least one of three fixed-seed replicates;
* **ablation**: switching each enabled mechanism off changes the replicate (a mechanism that
  the step never calls changes nothing when disabled);
* **digest**: one replicate's event log and series match a recorded digest, so that any change
  of the model's behaviour is seen, and accepted deliberately. After an intended change:

      UPDATE_DIGEST=1 .venv/bin/pytest tests/test_wiring.py -k digest

  and commit ``tests/data/korea-1945-digest.json`` with the change (its diff shows which event
  counts moved).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from factions.model import FactionModel
from factions.scenario import Scenario, load_scenario

SCENARIO = "korea-1945"
SEEDS = (0, 1, 2)
DIGEST = Path(__file__).parent / "data" / f"{SCENARIO}-digest.json"
DIGITS = 9  # series are rounded to this many decimals before hashing (libm may differ in ulps)


def kinds(*names: str) -> Callable[[FactionModel], bool]:
    """The mark of a mechanism that logs events: every one of ``names`` occurs."""

    def check(model: FactionModel) -> bool:
        logged = {e[1] for e in model.recorder.events}
        return set(names) <= logged

    check.__doc__ = f"events {', '.join(names)}"
    return check


def moves(series: str) -> Callable[[FactionModel], bool]:
    """The mark of a mechanism that drives a series: it is not constant over the run."""

    def check(model: FactionModel) -> bool:
        values = model.recorder.series[series]
        return bool(np.ptp(values, axis=0).max() > 0)

    check.__doc__ = f"series {series} moves"
    return check


def reelects(model: FactionModel) -> bool:
    """Congresses are held and seat someone who had no seat before."""
    return any(new.sum() > 0 for *_, new in model.recorder.congresses)


def presence_moves(model: FactionModel) -> bool:
    """Some patron's presence changes over the run."""
    return bool(np.ptp(model.recorder.presence, axis=0).max() > 0)


#: Each mechanism section of the scenario and the mark it must leave. A new mechanism needs an
#: entry here (test_every_enabled_mechanism_has_a_signature says so).
SIGNATURES: dict[str, Callable[[FactionModel], bool]] = {
    "loyalty": moves("loyalty"),
    "power": moves("power_share"),
    "coalition": kinds("coalition"),
    "purge": kinds("purge_campaign", "arrest", "show_trial"),
    "rank_and_file": kinds("expulsion_wave"),
    "challenge": kinds("challenge"),
    "patrons": presence_moves,
    "rehabilitation": kinds("rehabilitation"),
    "cooptation": kinds("cooptation"),
    "congress": reelects,
    "recruitment": moves("members"),
    # threat has no events of its own: it grades the challenges and switches it drives (the
    # ablation test below checks that switching it off changes the run)
    "threat": kinds("challenge", "cooptation"),
}


@pytest.fixture(scope="module")
def spec() -> Scenario:
    return load_scenario(SCENARIO)


@pytest.fixture(scope="module")
def runs(spec) -> dict[int, FactionModel]:
    return {seed: FactionModel(spec, rng=seed).run() for seed in SEEDS}


def enabled(spec: Scenario) -> list[str]:
    """The mechanism sections of ``spec`` that are switched on."""
    return [name for name, p in spec.mechanisms if getattr(p, "enabled", False)]


def test_every_enabled_mechanism_has_a_signature(spec):
    missing = sorted(set(enabled(spec)) - set(SIGNATURES))
    assert not missing, f"add the mark of {missing} to SIGNATURES in {Path(__file__).name}"


@pytest.mark.parametrize("mechanism", sorted(SIGNATURES))
def test_each_enabled_mechanism_leaves_its_mark(spec, runs, mechanism):
    if mechanism not in enabled(spec):
        pytest.fail(f"{mechanism} is not enabled in {SCENARIO}: drop it from SIGNATURES")
    check = SIGNATURES[mechanism]
    marked = [seed for seed, model in runs.items() if check(model)]
    assert marked, f"{mechanism}: no replicate (seeds {SEEDS}) shows its mark ({check.__doc__})"


def fingerprint(model: FactionModel) -> dict:
    """The event counts by kind, and hashes of the event log and of the rounded series."""
    events = "\n".join("|".join(map(str, e)) for e in model.recorder.events)
    table = np.round(model.recorder.table, DIGITS) + 0.0  # + 0.0: no negative zeros
    presence = np.round(model.recorder.presence, DIGITS) + 0.0
    series = hashlib.sha256(table.tobytes() + presence.tobytes()).hexdigest()
    return {
        "scenario": SCENARIO,
        "seed": SEEDS[0],
        "event_counts": dict(sorted(Counter(e[1] for e in model.recorder.events).items())),
        "events_sha256": hashlib.sha256(events.encode()).hexdigest(),
        "series_sha256": series,
    }


@pytest.mark.parametrize("mechanism", sorted(SIGNATURES))
def test_switching_a_mechanism_off_changes_the_run(spec, runs, mechanism):
    if mechanism not in enabled(spec):
        pytest.skip(f"{mechanism} is not enabled in {SCENARIO}")
    off = load_scenario(SCENARIO, overrides={f"mechanisms.{mechanism}.enabled": False})
    ablated = FactionModel(off, rng=SEEDS[0]).run()
    assert fingerprint(ablated) != fingerprint(runs[SEEDS[0]]), (
        f"disabling {mechanism} changes nothing: the monthly step does not call it"
    )


def test_replicate_matches_the_recorded_digest(spec):
    # its own replicate (a fraction of a second), not the module fixture's: mutation testing
    # (tools/mutation.py) credits the functions a module fixture calls to the first test that
    # asks for it, and would not run this test, the one that sees every change, on their mutants
    found = fingerprint(FactionModel(spec, rng=SEEDS[0]).run())
    if os.environ.get("UPDATE_DIGEST"):
        DIGEST.write_text(json.dumps(found, indent=2) + "\n", encoding="utf-8")
    recorded = json.loads(DIGEST.read_text(encoding="utf-8"))
    assert found == recorded, (
        f"{SCENARIO} seed {SEEDS[0]} no longer gives the recorded run. If the model changed on "
        f"purpose: UPDATE_DIGEST=1 .venv/bin/pytest tests/test_wiring.py -k digest, and commit "
        f"{DIGEST.relative_to(DIGEST.parents[2])}"
    )
