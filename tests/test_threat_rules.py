"""Unit tests of the issue-13 rules: graded threat, challenges from threat, the pre-emptive
coalition rule, suspicion in the launch hazard and co-optation by threat.

Each term is checked exactly with every other term on (the tiny fixture, ``tests/data/tiny.toml``,
with its state set by hand), and each rule is shown to change a run's outcome when switched off
(``korea-1945``, one replicate, same seed).
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from factions.experiment.runner import run_replicate
from factions.mechanisms import challenge, coalition, cooptation, purge, threat
from factions.mechanisms.loyalty import mean_loyalty
from factions.model import FactionModel
from factions.scenario import load_scenario
from factions.scenario.mechanisms import Mechanisms
from factions.scenario.schema import Scenario
from factions.state import Status
from factions.theory.aes import ruling_coalition

TINY = Path(__file__).parent / "data" / "tiny.toml"
CORE, CLIENTS, LOCALS = 0, 1, 2


@functools.cache
def _spec(items: tuple[tuple[str, Any], ...]) -> Scenario:
    return load_scenario(TINY, overrides=dict(items) or None)


def make(overrides: dict[str, Any] | None = None, seed: int = 0) -> FactionModel:
    return FactionModel(_spec(tuple(sorted((overrides or {}).items()))), rng=seed)


def of(model: FactionModel, f: int) -> np.ndarray:
    c = model.cadres
    return np.flatnonzero(c.in_office() & (c.faction == f))


def target_only(model: FactionModel, *targets: int) -> None:
    model.factions.in_coalition[:] = True
    model.factions.in_coalition[list(targets)] = False


def arrest_some(model: FactionModel, f: int, k: int) -> tuple[int, int]:
    """Arrest ``k`` cadres of ``f`` last month; return (arrested, cadres counted)."""
    pool = of(model, f)
    chosen = pool[:k]
    model.set_status(chosen, Status.ARRESTED)
    model.cadres.arrested_at[chosen] = model.month - 1
    return k, len(pool)


# --------------------------------------------------------------------------- threat


class TestThreat:
    def test_defaults_are_on(self):
        m = Mechanisms()
        assert m.challenge.spontaneous > 0
        assert m.threat.enabled and m.coalition.preempt
        assert m.purge.suspicion > 0 and m.cooptation.bandwagon > 0

    def test_target_term(self):
        model = make()
        target_only(model, LOCALS)
        model.factions.peak_power[:] = model.power  # no decline
        w = model.spec.mechanisms.threat.target
        np.testing.assert_allclose(threat.threat(model), [0.0, 0.0, w])

    def test_arrest_term(self):
        model = make()
        target_only(model)  # nobody a target
        model.factions.peak_power[:] = model.power
        k, n = arrest_some(model, CLIENTS, 3)
        share = threat.recently_arrested_share(model)
        assert share[CLIENTS] == pytest.approx(k / n)
        w = model.spec.mechanisms.threat.arrests
        assert threat.threat(model)[CLIENTS] == pytest.approx(min(1.0, w * k / n))
        assert threat.threat(model)[LOCALS] == 0.0

    def test_old_arrests_do_not_count(self):
        model = make()
        arrest_some(model, CLIENTS, 3)
        model.month += purge.RECENT_MONTHS + 1
        assert threat.recently_arrested_share(model)[CLIENTS] == 0.0

    def test_decline_term(self):
        model = make()
        target_only(model)
        model.factions.peak_power[:] = model.power
        model.factions.peak_power[LOCALS] = model.power[LOCALS] * 2
        np.testing.assert_allclose(threat.power_decline(model), [0.0, 0.0, 0.5])
        w = model.spec.mechanisms.threat.decline
        assert threat.threat(model)[LOCALS] == pytest.approx(0.5 * w)

    def test_terms_combine_as_independent_warnings(self):
        model = make()
        target_only(model, CLIENTS)
        model.factions.peak_power[:] = model.power
        model.factions.peak_power[CLIENTS] = model.power[CLIENTS] / 0.8
        k, n = arrest_some(model, CLIENTS, 2)
        p = model.spec.mechanisms.threat
        expected = 1 - (1 - p.target) * (1 - min(1, p.arrests * k / n)) * (1 - p.decline * 0.2)
        assert threat.threat(model)[CLIENTS] == pytest.approx(expected)

    def test_disabled_is_the_target_indicator(self):
        model = make({"mechanisms.threat.enabled": False})
        target_only(model, LOCALS)
        arrest_some(model, CLIENTS, 5)
        np.testing.assert_array_equal(threat.threat(model), [0.0, 0.0, 1.0])

    def test_peak_power_follows_refresh(self):
        model = make()
        assert (model.factions.peak_power >= model.power - 1e-12).all()
        model.step()
        assert (model.factions.peak_power >= model.power - 1e-12).all()


# --------------------------------------------------------------------------- challenges


class TestChallengeHazard:
    def ready(self, overrides: dict[str, Any] | None = None) -> FactionModel:
        model = make(overrides)
        target_only(model, LOCALS)
        model.factions.peak_power[:] = model.power
        model.cadres.loyalty[of(model, LOCALS)] = 0.2
        return model

    def expected(self, model: FactionModel, opening: float) -> float:
        p = model.spec.mechanisms.challenge
        level = p.spontaneous + (1 - p.spontaneous) * opening
        t = threat.threat(model)[LOCALS]
        odds = challenge.solo_odds(model)[LOCALS] ** p.capacity
        return p.rate * level * t * (1 - mean_loyalty(model)[LOCALS]) * odds

    def test_spontaneous_term_without_opening(self):
        model = self.ready()
        h = challenge.hazard(model)
        assert h[LOCALS] == pytest.approx(self.expected(model, 0.0))
        assert h[LOCALS] > 0
        assert h[CORE] == 0.0  # the leader's faction never challenges

    def test_opening_term(self):
        model = self.ready()
        model.factions.open(model.month, model.month, np.array([0.0, 0.0, 0.7]))
        assert challenge.hazard(model)[LOCALS] == pytest.approx(self.expected(model, 0.7))

    def test_capacity_term(self):
        model = self.ready({"mechanisms.challenge.decisiveness": 2.0})
        model.power = np.array([0.6, 0.1, 0.3])
        model.factions.peak_power[:] = model.power
        odds = challenge.solo_odds(model)
        # LOCALS (outside) against CORE + CLIENTS; CLIENTS (inside) against CORE alone
        assert odds[LOCALS] == pytest.approx(0.09 / (0.09 + 0.49))
        assert odds[CLIENTS] == pytest.approx(0.01 / (0.01 + 0.36))
        assert challenge.hazard(model)[LOCALS] == pytest.approx(self.expected(model, 0.0))
        free = self.ready({"mechanisms.challenge.capacity": 0.0})
        free.power = model.power.copy()
        free.factions.peak_power[:] = free.power
        ratio = challenge.hazard(model)[LOCALS] / challenge.hazard(free)[LOCALS]
        assert ratio == pytest.approx(odds[LOCALS] ** model.spec.mechanisms.challenge.capacity)

    def test_threat_term_scales_the_hazard(self):
        model = self.ready()
        base = challenge.hazard(model)[LOCALS]
        arrest_some(model, LOCALS, 4)
        model.cadres.loyalty[of(model, LOCALS)] = 0.2
        assert challenge.hazard(model)[LOCALS] == pytest.approx(self.expected(model, 0.0))
        assert challenge.hazard(model)[LOCALS] > base

    def test_no_threat_no_loyalty_or_cooldown_no_hazard(self):
        safe = self.ready()
        target_only(safe)  # nobody a target, no arrests, no decline
        assert challenge.hazard(safe)[LOCALS] == 0.0
        loyal = self.ready()
        loyal.cadres.loyalty[of(loyal, LOCALS)] = 0.9
        assert challenge.hazard(loyal)[LOCALS] == 0.0
        cooling = self.ready()
        cooling.factions.challenge_cooldown[LOCALS] = cooling.month
        assert challenge.hazard(cooling)[LOCALS] == 0.0

    def test_a_spontaneous_challenge_fires_without_any_opening(self):
        sure = {
            "mechanisms.challenge.rate": 1.0,
            "mechanisms.challenge.spontaneous": 1.0,
            "mechanisms.challenge.capacity": 0.0,
        }
        model = self.ready(sure | {"mechanisms.threat.target": 1.0})
        model.cadres.loyalty[of(model, LOCALS)] = 0.0
        challenge.attempt(model)
        assert any(e[1] == "challenge" for e in model.recorder.events)


# --------------------------------------------------------------------------- coalition


def leaderless_powers() -> np.ndarray:
    """Powers (core, clients, locals) with no self-enforcing winning coalition holding core."""
    for a in np.arange(0.30, 0.50, 0.01):
        for b in np.arange(0.05, 1 - a, 0.01):
            power = np.array([a, b, 1 - a - b])
            names = {str(f): float(x) for f, x in enumerate(power)}
            if ruling_coalition(names, 0.5, must_include="0") is None:
                unconstrained = ruling_coalition(names, 0.5)
                if unconstrained and "0" not in unconstrained:
                    return power
    raise AssertionError("no such powers")


class TestPreempt:
    def test_the_strongest_of_the_leaderless_coalition_is_the_only_target(self):
        model = make()
        model.power = leaderless_powers()
        names = {str(f): float(x) for f, x in enumerate(model.power)}
        rivals = [int(m) for m in ruling_coalition(names, 0.5)]
        strongest = max(sorted(rivals), key=lambda f: model.power[f])
        coalition.update_coalition(model)
        expected = np.ones(3, dtype=bool)
        expected[strongest] = False
        np.testing.assert_array_equal(model.factions.in_coalition, expected)

    def test_without_preempt_everyone_rules(self):
        model = make({"mechanisms.coalition.preempt": False})
        model.power = leaderless_powers()
        coalition.update_coalition(model)
        assert model.factions.in_coalition.all()

    def test_a_leader_with_a_coalition_is_unaffected(self):
        for preempt in (True, False):
            model = make({"mechanisms.coalition.preempt": preempt})
            model.power = np.array([0.7, 0.2, 0.1])
            coalition.update_coalition(model)
            np.testing.assert_array_equal(model.factions.in_coalition, [True, False, False])


# --------------------------------------------------------------------------- suspicion


class TestSuspicion:
    @pytest.mark.parametrize("loyalty", [0.0, 0.3, 0.5, 0.75, 1.0])
    def test_launch_hazard_scales_with_disloyalty(self, loyalty):
        model = make({"mechanisms.purge.suspicion": 0.8, "mechanisms.purge.suspect_loyalty": 0.5})
        target_only(model, LOCALS)
        model.regime.raise_pretext(1.0)
        model.cadres.loyalty[of(model, LOCALS)] = loyalty
        suspect = min(1.0, (1 - loyalty) / 0.5)
        factor = 1 - 0.8 + 0.8 * suspect
        assert purge.suspicion(model)[LOCALS] == pytest.approx(factor)
        hazard = purge.launch_hazard(model)
        p = model.spec.mechanisms.purge
        protection = model.protection_of_faction()[LOCALS]
        scale = p.launch_rate * purge.feasibility(model)[LOCALS]
        assert hazard[LOCALS] == pytest.approx(scale * (1 - protection) * factor)
        assert hazard[CORE] == -1.0

    def test_zero_weight_ignores_loyalty(self):
        model = make({"mechanisms.purge.suspicion": 0.0})
        model.cadres.loyalty[:] = 0.95
        np.testing.assert_array_equal(purge.suspicion(model), [1.0, 1.0, 1.0])


# --------------------------------------------------------------------------- co-optation


class TestBandwagon:
    @pytest.mark.parametrize("bandwagon", [0.0, 0.5, 1.0])
    def test_switch_chance_scales_with_the_factions_threat(self, bandwagon):
        model = make({"mechanisms.cooptation.bandwagon": bandwagon})
        target_only(model, LOCALS)
        model.factions.peak_power[:] = model.power
        model.cadres.loyalty[:] = 0.8
        p = model.spec.mechanisms.cooptation
        t = threat.threat(model)
        idx, chance = cooptation.switch_chances(model)
        assert len(idx) and (model.cadres.faction[idx] != CORE).all()
        excess = (0.8 - p.threshold) / (1 - p.threshold)
        f = model.cadres.faction[idx]
        expected = p.rate * excess * (1 - bandwagon + bandwagon * t[f])
        np.testing.assert_allclose(chance, expected)
        if bandwagon == 1.0:
            assert (chance[f == CLIENTS] == 0).all() and (chance[f == LOCALS] > 0).all()


# --------------------------------------------------------------------------- outcomes


@functools.cache
def korea(overrides: tuple[tuple[str, Any], ...] = ()) -> Scenario:
    return load_scenario("korea-1945", overrides=dict(overrides) or None)


def outcome(overrides: tuple[tuple[str, Any], ...] = ()) -> list[tuple]:
    """The event log of korea-1945's first replicates at a fixed seed."""
    logs = []
    for replicate in range(3):
        events = run_replicate(korea(overrides), 7, replicate)["events"]
        logs.append(list(events.itertuples(index=False)))
    return logs


@pytest.mark.parametrize(
    "switch",
    [
        ("mechanisms.threat.enabled", False),
        ("mechanisms.challenge.spontaneous", 0.0),
        ("mechanisms.coalition.preempt", False),
        ("mechanisms.cooptation.bandwagon", 0.0),
    ],
)
def test_each_rule_changes_outcomes_when_switched(switch):
    assert outcome((switch,)) != outcome()


def test_suspicion_changes_outcomes_for_a_loyal_faction():
    # korea-1945's targets are disloyal (mean loyalty below 0.5: suspicion 1 either way), so the
    # rule shows with a loyal Yan'an faction
    loyal = ("factions.yanan.loyalty.mean", 0.8)
    assert outcome((loyal, ("mechanisms.purge.suspicion", 0.0))) != outcome((loyal,))


def test_loyalty_check_script_end_to_end(capsys):
    import importlib.util

    path = Path(__file__).parents[1] / "experiments" / "loyalty_check.py"
    spec = importlib.util.spec_from_file_location("loyalty_check", path)
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    args = [str(TINY), "--faction", "locals", "--low", "0.3", "--high", "0.9"]
    assert script.main([*args, "--replicates", "3", "--seed", "1", "--workers", "1"]) == 0
    out = capsys.readouterr().out
    assert "cadres ever arrested" in out and "runs ending purged" in out
    assert script.main(["no-such-scenario", *args[1:], "--replicates", "2"]) == 2
