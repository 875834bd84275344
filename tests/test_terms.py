"""Exact tests of single terms inside the model's multi-term rules, each with the others on.

A test that switches every other term off cannot see a term that is dropped, added twice or
given the wrong sign once the others are back; these tests keep every term on, compute the rule
from an independent reference (plain numpy over the model's state, from the documented formula)
and check that each term moves the result by exactly its own amount. They call the mechanisms'
public functions on a model built from ``tests/data/tiny.toml``, not the kernels behind them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from factions.mechanisms import congress, loyalty, power, purge
from factions.model import FactionModel
from factions.scenario import load_scenario
from factions.state import IN_OFFICE, EndCause, Status

TINY = Path(__file__).parent / "data" / "tiny.toml"
CORE, CLIENTS, LOCALS = 0, 1, 2  # faction order in tiny.toml; CORE is the leader's
PRESENCE, PROTECTION, AFFINITY = 0.8, 0.5, 1.0  # tiny.toml's patron "big" and its clients


def make(overrides: dict[str, Any] | None = None, seed: int = 0) -> FactionModel:
    return FactionModel(load_scenario(TINY, overrides=overrides), rng=seed)


def office(model: FactionModel) -> np.ndarray:
    return np.isin(model.cadres.status, [int(s) for s in IN_OFFICE])


# --------------------------------------------------------------------------- loyalty

LOYALTY_ON = {
    "mechanisms.loyalty.charisma_pull": 0.03,
    "mechanisms.loyalty.indoctrination": 0.02,
    "mechanisms.loyalty.faction_pull": 0.04,
    "mechanisms.loyalty.network_pull": 0.05,
    "mechanisms.loyalty.noise": 0.0,
    "patrons.big.encouragement": 0.03,
}


def loyalty_terms(model: FactionModel) -> dict[str, np.ndarray]:
    """Each pull of the loyalty rule per cadre, from the module docstring (reference)."""
    p = model.spec.mechanisms.loyalty
    c, ties = model.cadres, model.ties
    x, inside, f = c.loyalty, office(model), c.faction
    n_f = model.n_factions
    size = np.bincount(f[inside], minlength=n_f)
    mean = np.bincount(f[inside], weights=x[inside], minlength=n_f) / np.maximum(size, 1)
    live = inside[ties.src]
    strength = np.bincount(ties.dst[live], weights=ties.weight[live], minlength=c.n)
    tied = np.bincount(ties.dst[live], weights=(ties.weight * x[ties.src])[live], minlength=c.n)
    tie_mean = np.where(strength > 0, tied / np.where(strength > 0, strength, 1), x)
    legitimacy = model.factions.legitimacy[model.spec.faction_ids.index(model.spec.leader.faction)]
    encouragement = np.zeros(n_f)
    encouragement[CLIENTS] = PRESENCE * model.spec.patrons["big"].encouragement * AFFINITY
    return {
        "charisma_pull": p.charisma_pull * model.spec.leader.charisma * legitimacy * (1 - x),
        "indoctrination": p.indoctrination * (1 - x),
        "faction_pull": p.faction_pull * model.factions.cohesion[f] * (mean[f] - x),
        "network_pull": p.network_pull * (tie_mean - x),
        "encouragement": -encouragement[f] * x,
    }


def loyalty_after(overrides: dict[str, Any]) -> tuple[np.ndarray, np.ndarray, dict]:
    """Loyalty before and after one month of the rule, and the reference terms."""
    model = make(overrides)
    before = model.cadres.loyalty.copy()
    terms = loyalty_terms(model)
    loyalty.update_cadres(model)
    return before, model.cadres.loyalty.copy(), terms


def test_loyalty_is_the_sum_of_its_pulls():
    before, after, terms = loyalty_after(LOYALTY_ON)
    inside = office(make(LOYALTY_ON))
    expected = np.clip(before + sum(terms.values()), 0, 1)
    np.testing.assert_allclose(after[inside], expected[inside], rtol=0, atol=1e-12)
    np.testing.assert_array_equal(after[~inside], before[~inside])
    assert all(np.abs(t[inside]).max() > 1e-4 for t in terms.values())  # every term matters


@pytest.mark.parametrize(
    ("term", "parameter"),
    [
        ("charisma_pull", "mechanisms.loyalty.charisma_pull"),
        ("indoctrination", "mechanisms.loyalty.indoctrination"),
        ("faction_pull", "mechanisms.loyalty.faction_pull"),
        ("network_pull", "mechanisms.loyalty.network_pull"),
        ("encouragement", "patrons.big.encouragement"),
    ],
)
def test_each_loyalty_pull_adds_exactly_its_term(term, parameter):
    _, full, terms = loyalty_after(LOYALTY_ON)
    _, without, _ = loyalty_after({**LOYALTY_ON, parameter: 0.0})
    inside = office(make(LOYALTY_ON))
    unclipped = inside & (full > 0) & (full < 1) & (without > 0) & (without < 1)
    assert unclipped.sum() > 0.8 * inside.sum()
    np.testing.assert_allclose(
        (full - without)[unclipped], terms[term][unclipped], rtol=0, atol=1e-12
    )
    assert np.abs(terms[term][unclipped]).max() > 1e-4


# --------------------------------------------------------------------------- power


def power_components(model: FactionModel) -> np.ndarray:
    """Raw components per faction, in ``power.COMPONENTS`` order, from the module docstring."""
    c, n_f = model.cadres, model.n_factions
    inside = office(model)
    force = np.bincount(c.faction[inside], weights=c.military[inside], minlength=n_f)
    control, leader = model.regime.army_control, model.leader.faction
    military = force * (1 - control)
    military[leader] = force[leader] + control * (force.sum() - force[leader])
    seats = np.bincount(c.faction[inside], weights=c.seat[inside], minlength=n_f)
    patron = np.zeros(n_f)
    patron[CLIENTS] = model.presence[0] * AFFINITY
    m = model.members
    members = np.bincount(m.leaning[m.alive], minlength=n_f) * m.scale
    return np.array([military, seats, patron, model.factions.legitimacy, members], dtype=float)


def reference_power(model: FactionModel, weights: np.ndarray) -> np.ndarray:
    raw = power_components(model) * model.standing
    shares = raw / raw.sum(axis=1, keepdims=True)
    gamma = weights @ shares
    return gamma / gamma.sum()


POWER_WEIGHTS = {
    "military": 0.3,
    "seats": 0.25,
    "patron": 0.2,
    "legitimacy": 0.15,
    "members": 0.1,
}


def power_model(weights: dict[str, float]) -> FactionModel:
    model = make({f"mechanisms.power.{k}_weight": v for k, v in weights.items()})
    model.regime.army_control = 0.3
    return model


def test_power_is_the_weighted_sum_of_component_shares():
    model = power_model(POWER_WEIGHTS)
    expected = reference_power(model, np.array(list(POWER_WEIGHTS.values())))
    np.testing.assert_allclose(power.faction_power(model).shares, expected, rtol=0, atol=1e-12)


@pytest.mark.parametrize("component", list(POWER_WEIGHTS))
def test_each_power_component_counts_with_its_own_weight(component):
    weights = {**POWER_WEIGHTS, component: POWER_WEIGHTS[component] + 0.5}
    model = power_model(weights)
    raw = power_components(model)
    assert np.ptp(raw[power.COMPONENTS.index(component)]) > 0  # the component tells factions apart
    expected = reference_power(model, np.array(list(weights.values())))
    np.testing.assert_allclose(power.faction_power(model).shares, expected, rtol=0, atol=1e-12)
    base = power_model(POWER_WEIGHTS)
    assert not np.allclose(power.faction_power(base).shares, expected, rtol=0, atol=1e-6)


def test_army_control_moves_force_to_the_leaders_faction():
    model = power_model(POWER_WEIGHTS)
    raw = power.components(model)
    np.testing.assert_allclose(raw, power_components(model), rtol=0, atol=1e-12)
    model.regime.army_control = 0.0
    assert power.components(model)[0, CORE] < raw[0, CORE]


# --------------------------------------------------------------------------- congress


CONGRESS = {"mechanisms.congress.power_weight": 1.5, "mechanisms.congress.size_weight": 0.7}


def test_quotas_follow_power_and_size_each_with_its_weight():
    for c, d in ((1.5, 0.7), (0.0, 0.7), (1.5, 0.0), (2.5, 1.3)):
        model = make({"mechanisms.congress.power_weight": c, "mechanisms.congress.size_weight": d})
        size = np.bincount(model.cadres.faction[office(model)], minlength=model.n_factions)
        assert np.ptp(model.power) > 0 and np.ptp(size) > 0
        target = model.power**c * size.astype(float) ** d
        np.testing.assert_allclose(congress.quotas(model, 20), 20 * target / target.sum())


def test_quotas_leave_out_fallen_factions():
    model = make(CONGRESS)
    model.factions.eliminate(LOCALS, model.month, EndCause.PURGED)
    quota = congress.quotas(model, 10)
    assert quota[LOCALS] == 0 and quota.sum() == pytest.approx(10)


def test_apportion_gives_whole_quotas_and_respects_capacity():
    rng = np.random.default_rng(0)
    assert congress.apportion(np.array([3.0, 5.0, 2.0]), np.array([9, 9, 9]), rng).tolist() == [
        3,
        5,
        2,
    ]
    seats = congress.apportion(np.array([6.0, 2.0, 2.0]), np.array([1, 9, 9]), rng)
    assert seats[0] == 1 and seats.sum() == 10
    seats = congress.apportion(np.array([1.5, 1.5, 0.0]), np.array([5, 5, 5]), rng)
    assert seats.sum() == 3 and seats[2] == 0 and (seats[:2] >= 1).all()
    assert congress.apportion(np.array([4.0, 4.0]), np.array([1, 2]), rng).tolist() == [1, 2]


QUOTA = np.array([0.3, 2.7, 1.25, 0.75])


def apportion_draws(n: int) -> np.ndarray:
    rng = np.random.default_rng(1)
    return np.array([congress.apportion(QUOTA, np.full(4, 10), rng) for _ in range(n)])


def test_apportion_rounds_each_quota_down_or_up():
    draws = apportion_draws(500)
    assert (draws.sum(axis=1) == 5).all()
    assert (draws >= np.floor(QUOTA)).all() and (draws <= np.ceil(QUOTA)).all()


@pytest.mark.xfail(
    strict=True,
    reason="model bug: the leftover seats are drawn one at a time in proportion to the "
    "remaining fractional parts, which is not inclusion in proportion to them; expected seats "
    "differ from the quotas by ~0.05 here (7 standard errors), against congress.py's docstring",
)
def test_apportion_expects_the_quota():
    # 4000 draws: each fractional part's standard error is at most 0.008; 0.035 is 4 of them.
    np.testing.assert_allclose(apportion_draws(4000).mean(axis=0), QUOTA, atol=0.035)


# --------------------------------------------------------------------------- arrests


class FixedDraws:
    """A generator whose next ``random(n)`` over all cadres returns ``draws``; the rest is real."""

    def __init__(self, rng: np.random.Generator, draws: np.ndarray):
        self._rng, self._draws = rng, draws

    def random(self, size=None):
        if size == len(self._draws):
            return self._draws
        return self._rng.random(size)

    def __getattr__(self, name):
        return getattr(self._rng, name)


PURGE = {
    "mechanisms.purge.spread": 0.3,
    "mechanisms.purge.direct_arrest": 0.1,
    "mechanisms.purge.collateral": 0.4,
}


def campaign_model(ages: dict[int, int]) -> FactionModel:
    """A tiny model in a campaign against the clients, with one purged cadre per entry of
    ``ages`` (faction: months since its arrest)."""
    model = make(PURGE)
    model.factions.start_campaign(CLIENTS, model.month + 6)
    c = model.cadres
    for faction, age in ages.items():
        victim = np.flatnonzero(office(model) & (c.faction == faction))[-1]
        model.set_status(np.array([victim]), Status.EXECUTED)
        c.arrested_at[victim] = model.month - age
    return model


def reference_arrest_probability(model: FactionModel) -> np.ndarray:
    """Probability of arrest per cadre, from the purge module's docstring."""
    p, c, ties = model.spec.mechanisms.purge, model.cadres, model.ties
    purged = np.isin(c.status, [int(s) for s in (Status.ARRESTED, Status.EXECUTED, Status.EXILED)])
    purged |= c.status == Status.DEMOTED
    recent = purged & (c.arrested_at >= model.month - purge.RECENT_MONTHS)
    w = np.bincount(ties.dst, weights=ties.weight * recent[ties.src], minlength=c.n)
    q = 1 - (1 - p.spread) ** w
    target = c.faction == CLIENTS
    q = np.where(target, 1 - (1 - q) * (1 - p.direct_arrest), q * p.collateral)
    protection = np.where(c.faction == CLIENTS, PRESENCE * PROTECTION * AFFINITY, 0.0)
    may = office(model) & (c.faction != model.leader.faction)
    return np.where(may, q * (1 - protection), 0.0)


def arrested_with_draws(ages: dict[int, int], shift: float) -> tuple[np.ndarray, np.ndarray]:
    """Cadres arrested by spread_arrests when each draw is its reference probability + shift."""
    model = campaign_model(ages)
    prob = reference_arrest_probability(model)
    before = model.cadres.status.copy()
    model.rng = FixedDraws(model.rng, np.maximum(prob + shift, 0.0))
    purge.spread_arrests(model)
    hit = (model.cadres.status == Status.ARRESTED) & (before != Status.ARRESTED)
    return hit, prob


@pytest.mark.parametrize(
    "ages",
    [
        {CLIENTS: 1, LOCALS: 3},
        {CLIENTS: purge.RECENT_MONTHS, LOCALS: purge.RECENT_MONTHS},
        {CLIENTS: purge.RECENT_MONTHS + 1, LOCALS: purge.RECENT_MONTHS + 1},
    ],
    ids=["recent", "at-the-window's-edge", "just-outside"],
)
def test_arrest_probability_is_exactly_the_documented_rule(ages):
    below, prob = arrested_with_draws(ages, -1e-9)
    np.testing.assert_array_equal(below, prob > 1e-9)  # every draw just below: arrested
    above, _ = arrested_with_draws(ages, +1e-9)
    assert not above.any()  # every draw just above: none
    distinct = len(np.unique(np.round(prob[prob > 0], 9)))
    in_window = max(ages.values()) <= purge.RECENT_MONTHS
    assert distinct > 2 if in_window else distinct == 1  # ties count only inside the window


def test_an_arrest_exactly_recent_months_ago_still_incriminates_ties():
    c_edge = campaign_model({LOCALS: purge.RECENT_MONTHS})
    c_out = campaign_model({LOCALS: purge.RECENT_MONTHS + 1})
    edge, out = reference_arrest_probability(c_edge), reference_arrest_probability(c_out)
    outside = c_edge.cadres.faction != CLIENTS  # no direct arrest: only ties count
    assert edge[outside].max() > 0 and out[outside].max() == 0
    hit_edge, _ = arrested_with_draws({LOCALS: purge.RECENT_MONTHS}, -1e-9)
    hit_out, _ = arrested_with_draws({LOCALS: purge.RECENT_MONTHS + 1}, -1e-9)
    assert hit_edge[outside].any() and not hit_out[outside].any()


def test_quotas_with_a_faction_out_of_office_or_down_to_one_cadre():
    # size_weight 0: an empty faction's size term would be 0**0 = 1 if it were not left out
    model = make({"mechanisms.congress.size_weight": 0.0})
    locals_ = np.flatnonzero(office(model) & (model.cadres.faction == LOCALS))
    model.set_status(locals_, Status.DEMOTED)
    assert model.standing[LOCALS] and model.power[LOCALS] > 0
    quota = congress.quotas(model, 10)
    assert quota.shape == (3,) and quota[LOCALS] == 0
    np.testing.assert_allclose(quota[:2], 10 * model.power[:2] / model.power[:2].sum())
    model.set_status(locals_[:1], Status.REHABILITATED)  # one cadre back: a full share again
    np.testing.assert_allclose(congress.quotas(model, 10), 10 * model.power / model.power.sum())


def test_quotas_fall_back_on_size_when_no_faction_has_power():
    model = make(CONGRESS)
    model.power = np.zeros(model.n_factions)
    size = np.bincount(model.cadres.faction[office(model)], minlength=model.n_factions)
    np.testing.assert_allclose(congress.quotas(model, 12), 12 * size / size.sum())


def test_apportion_returns_whole_seats():
    seats = congress.apportion(np.array([1.5, 2.5]), np.array([5, 5]), np.random.default_rng(0))
    assert seats.dtype.kind == "i"


def test_elect_with_the_last_faction_out_of_office():
    model = make(CONGRESS)
    model.set_status(
        np.flatnonzero(office(model) & (model.cadres.faction == LOCALS)), Status.DEMOTED
    )
    elected = congress.elect(model, 8)
    assert len(elected) == 8 and (model.cadres.faction[elected] != LOCALS).all()


def test_one_seat_goes_to_a_cadre_in_proportion_to_its_weight_within_the_faction():
    # Gumbel-top-1: given its faction, a cadre is drawn with probability weight / faction total.
    # 3000 draws; each rate's standard error is below 0.01; tolerance 0.04 is 4 of them.
    model = make({**CONGRESS, "mechanisms.congress.loyalty_weight": 0.0})
    c = model.cadres
    pool = np.flatnonzero(office(model) & (c.faction == CORE))
    weight = c.prominence[pool] ** model.spec.mechanisms.congress.prominence_weight
    hits = np.zeros(c.n)
    for _ in range(3000):
        hits[congress.elect(model, 1)] += 1
    within = hits[pool] / hits[pool].sum()
    assert hits[pool].sum() > 1000
    np.testing.assert_allclose(within, weight / weight.sum(), atol=0.04)
