"""The pure-AES configuration of the agent-based model reproduces the exact solver.

With powers fixed, no noise and no loyalty dynamics (:mod:`factions.theory.pure_aes`), the
factions standing at the horizon must be the ruling coalition that
:func:`factions.theory.aes.ruling_coalition` predicts for the initial powers (Acemoglu, Egorov &
Sonin 2008, Theorem 1), whatever the seed and whoever the nominal leader is. AES assume generic
powers (no two coalitions equally strong, no coalition exactly at the winning threshold); the
property test draws only such vectors, with a margin, because the model computes with power
shares in floating point.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from factions.errors import ScenarioValidationError
from factions.model import FactionModel
from factions.scenario import Scenario
from factions.theory.aes import ruling_coalition
from factions.theory.pure_aes import (
    final_camp,
    is_generic,
    pure_aes_document,
    pure_aes_scenario,
)


def run(powers, alpha=0.5, seed=0, leader=None) -> frozenset[str]:
    return final_camp(FactionModel(pure_aes_scenario(powers, alpha, leader=leader), rng=seed).run())


power_vectors = st.integers(min_value=2, max_value=7).flatmap(
    lambda n: st.lists(
        st.floats(min_value=0.01, max_value=1.0, allow_nan=False, allow_infinity=False),
        min_size=n,
        max_size=n,
        unique=True,
    )
)
alphas = st.sampled_from([0.5, 0.5, 0.55, 0.6, 2 / 3, 0.75, 0.9])


def check_against_solver(values, alpha, data) -> None:
    powers = {f"f{i}": v for i, v in enumerate(values)}
    assume(is_generic(powers, alpha))
    predicted = ruling_coalition(powers, alpha)
    # AES: the ruling coalition is self-enforcing, so it is also the ruling coalition among
    # the survivors once the others are gone (what the model recomputes every month).
    assert ruling_coalition({f: powers[f] for f in predicted}, alpha) == predicted
    leader = data.draw(st.sampled_from(sorted(powers)), label="leader")
    seed = data.draw(st.integers(min_value=0, max_value=2**32 - 1), label="seed")
    event("strongest left out" if max(powers, key=powers.get) not in predicted else "strongest in")
    event("leader left out" if leader not in predicted else "leader in")
    assert run(powers, alpha, seed, leader) == predicted


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(values=power_vectors, alpha=alphas, data=st.data())
def test_final_camp_is_the_ruling_coalition(values, alpha, data):
    check_against_solver(values, alpha, data)


@pytest.mark.slow
@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(values=power_vectors, alpha=alphas, data=st.data())
def test_final_camp_is_the_ruling_coalition_many(values, alpha, data):
    check_against_solver(values, alpha, data)


# --------------------------------------------------------------------------- determinism


def test_seeds_do_not_change_the_outcome():
    powers = {"a": 3.0, "b": 4.0, "c": 5.0, "d": 9.0}
    models = [FactionModel(pure_aes_scenario(powers), rng=seed).run() for seed in range(5)]
    camps = {final_camp(m) for m in models}
    assert camps == {frozenset("abc")}
    elimination_months = {tuple(m.eliminated_at) for m in models}
    assert len(elimination_months) == 1  # eliminated in the same month, too


def test_powers_stay_fixed_among_the_survivors():
    """No transfer of offices: survivors' powers keep their initial ratios to the end."""
    powers = {"a": 3.0, "b": 4.0, "c": 5.0, "d": 9.0}
    model = FactionModel(pure_aes_scenario(powers), rng=1).run()
    military = model.recorder.series["military"]
    np.testing.assert_array_equal(military[-1], [3.0, 4.0, 5.0, 0.0])
    assert model.recorder.series["power_share"][-1, :3] == pytest.approx(np.array([3, 4, 5]) / 12)


# --------------------------------------------------------------------------- hand cases


@pytest.mark.parametrize(
    ("powers", "alpha", "expected"),
    [
        # a+b+c (12 of 21.5) wins, and no pair or single inside it beats the rest of it; the
        # strongest, d (9.5), is left out.
        ({"a": 3, "b": 4, "c": 5, "d": 9.5}, 0.5, "abc"),
        # Four near-equal players: the three weakest rule without the strongest.
        ({"a": 100, "b": 100.5, "c": 101, "d": 104.5}, 0.5, "abc"),
        # The same at alpha = 3/4: winning needs > 304.5 of 406, so a+b+c (301.5) falls short
        # and the cheapest winning triple a+b+d (305) rules.
        ({"a": 100, "b": 100.5, "c": 101, "d": 104.5}, 0.75, "abd"),
        # A majority player (8 of 15) rules alone.
        ({"a": 1, "b": 2, "c": 4, "d": 8}, 0.5, "d"),
        # Everyone rules: no self-enforcing proper subset wins; a+b+c is self-enforcing but too
        # weak (33.5 of 76.75), and the stronger subsets are not self-enforcing.
        ({"a": 10, "b": 11, "c": 12.5, "d": 13.25, "e": 30}, 0.5, "abcde"),
        # Five: the strongest (e) and the middle one (c) are left out.
        ({"a": 3, "b": 4.25, "c": 5.5, "d": 6.125, "e": 7}, 0.5, "abd"),
    ],
)
def test_hand_cases(powers, alpha, expected):
    powers = {k: float(v) for k, v in powers.items()}
    assert is_generic(powers, alpha)
    assert ruling_coalition(powers, alpha) == frozenset(expected)
    for leader in powers:  # the nominal leader does not matter, not even when it is left out
        assert run(powers, alpha, leader=leader) == frozenset(expected)


def test_the_strongest_is_purged():
    powers = {"a": 3.0, "b": 4.0, "c": 5.0, "d": 9.0}
    model = FactionModel(pure_aes_scenario(powers), rng=0).run()
    kinds = [(kind, model.faction_ids[f]) for _, kind, f, _, _ in model.recorder.events]
    assert ("purge_campaign", "d") in kinds
    assert ("elimination", "d") in kinds
    assert model.eliminated_at[3] == model.spec.start_month  # all at once, in the first month


# --------------------------------------------------------------------------- the builder


@pytest.mark.parametrize(
    ("powers", "alpha", "expected"),
    [
        ({"a": 1.0, "b": 2.0, "c": 4.0}, 0.5, True),
        ({"a": 1.0, "b": 1.0, "c": 4.0}, 0.5, False),  # two equal coalitions
        ({"a": 1.0, "b": 2.0, "c": 3.0}, 0.5, False),  # a+b = c
        ({"a": 1.0, "b": 3.0, "c": 7.0}, 0.75, False),  # b = 3/4 of a+b, exactly at the threshold
        ({"a": 1.0, "b": 3.0, "c": 7.0}, 0.5, True),
    ],
)
def test_is_generic(powers, alpha, expected):
    assert is_generic(powers, alpha) is expected


def test_the_builder_goes_through_the_schema():
    scenario = pure_aes_scenario({"a": 1.0, "b": 2.0}, 0.6, leader="a")
    assert isinstance(scenario, Scenario)
    m = scenario.mechanisms
    assert m.coalition.alpha == 0.6 and not m.coalition.leader_constrained
    assert not m.power.transfer_offices and not m.purge.leader_exempt
    enabled = [name for name in type(m).model_fields if getattr(m, name).enabled]
    assert enabled == ["power", "coalition", "purge"]
    assert scenario.leader.faction == "a"
    assert pure_aes_scenario({"a": 1.0, "b": 2.0}).leader.faction == "b"  # default: strongest


@pytest.mark.parametrize(
    "powers",
    [{}, {"a": 1.0, "b": 0.0}, {"a": 1.0, "b": -1.0}, {"a": 1.0, "b": 1e-12}],
)
def test_the_builder_refuses_bad_powers(powers):
    with pytest.raises(ValueError):
        pure_aes_document(powers)


def test_the_builder_refuses_bad_ids_and_alpha():
    with pytest.raises(ScenarioValidationError):
        pure_aes_scenario({"A b": 1.0, "c": 2.0})
    with pytest.raises(ScenarioValidationError):
        pure_aes_scenario({"a": 1.0, "b": 2.0}, alpha=1.0)
