"""Exact checks of details of the mechanisms that the tests of ``tests/test_mechanisms.py`` leave
open: which faction, cadre and text an event records, which factions an action reaches, and the
edges of the rules (a value exactly at a cut-off, a hazard of exactly zero).

Each test here was written to kill a mutant that survived mutation testing (docs/testing.md,
``tools/mutation.py``): a small change to the rule that no other test noticed. The tests drive the
mechanism functions directly on the freshly built ``tests/data/tiny.toml`` model, like
``tests/test_mechanisms.py``, whose helpers they use.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from test_mechanisms import (
    CLIENTS,
    CORE,
    INNER_SURE,
    LOCALS,
    challenge_ready,
    events,
    lieutenants,
    make,
    members_of,
    office,
    open_for,
    quiet_loyalty,
    target_only,
    tied,
)

from factions.mechanisms import (
    challenge,
    coalition,
    cooptation,
    elimination,
    inner_purge,
    loyalty,
    patrons,
    power,
    purge,
    rank_and_file,
    rehabilitation,
    threat,
)
from factions.state import NOT_YET, EndCause, Status
from factions.theory.aes import ruling_coalition

# --------------------------------------------------------------------------- elimination


def test_cause_of_end_counts_only_the_factions_own_cadres_who_have_entered():
    """Locals: five exiled, one absorbed (the rest, and the ten not yet entered, standing);
    clients: twenty arrested. The locals' cause is exile: the clients' arrests, and the locals
    still in office or not yet in the party, do not count."""
    model = make()
    c = model.cadres
    locals_ = members_of(model, LOCALS)
    model.set_status(locals_[:5], Status.EXILED)
    c.move(locals_[5:6], CORE)
    model.set_status(members_of(model, CLIENTS)[:20], Status.ARRESTED)
    assert ((c.origin == LOCALS) & (c.entered == NOT_YET)).sum() == 10
    assert elimination.cause_of_end(model, LOCALS) == EndCause.EXILED
    assert elimination.cause_of_end(model, CLIENTS) == EndCause.PURGED


def test_an_elimination_records_the_cadres_and_whole_seats_left_and_the_cause():
    model = make({"elimination.max_active_cadres": 3, "elimination.max_seats": 0})
    pool = members_of(model, LOCALS)
    model.set_status(pool[:-3], Status.ARRESTED)
    model.cadres.seat[pool[-3:]] = False
    elimination.check(model)
    assert events(model, "elimination") == [
        (model.month, "elimination", LOCALS, -1, "3 cadres, 0 seats left; purged")
    ]


# --------------------------------------------------------------------------- co-optation


def test_switch_chances_with_exactly_one_candidate_and_with_none():
    model = make(
        {
            "mechanisms.cooptation.rate": 0.5,
            "mechanisms.cooptation.threshold": 0.5,
            "mechanisms.cooptation.bandwagon": 0.0,
        }
    )
    c = model.cadres
    rivals = np.concatenate([members_of(model, CLIENTS), members_of(model, LOCALS)])
    c.loyalty[rivals] = 0.0
    candidates, chance = cooptation.switch_chances(model)
    assert candidates.tolist() == [] and chance.shape == (0,)
    c.loyalty[rivals[3]] = 0.9
    candidates, chance = cooptation.switch_chances(model)
    assert candidates.tolist() == [rivals[3]]
    np.testing.assert_allclose(chance, [0.5 * 0.4 / 0.5])


def test_a_single_candidate_switches_and_is_recorded():
    model = make({"mechanisms.cooptation.rate": 1.0, "mechanisms.cooptation.threshold": 0.5})
    c = model.cadres
    rivals = np.concatenate([members_of(model, CLIENTS), members_of(model, LOCALS)])
    c.loyalty[rivals] = 0.0
    cadre = int(rivals[3])
    c.loyalty[cadre] = 1.0  # chance rate * 1 * (1 - bandwagon + bandwagon * threat) = 1
    model.factions.in_coalition[:] = False  # every rival a target: threat 1
    cooptation.coopt(model)
    assert c.faction[cadre] == CORE
    assert events(model, "cooptation") == [
        (model.month, "cooptation", CLIENTS, cadre, "joins the leader's camp")
    ]


# --------------------------------------------------------------------------- coalition


def test_preemption_strikes_the_strongest_rival_of_the_unconstrained_coalition_at_alpha():
    """Four factions, the leader 0. At alpha 0.5 the unconstrained ruling coalition is {1, 2, 3}
    (strongest rival 2); at alpha 0.7 it is {0, 1, 3}, whose strongest rival 1 is not the one of
    highest index."""
    names = {"0": 0.485, "1": 0.182, "2": 0.184, "3": 0.148}
    eligible = [0, 1, 2, 3]
    assert coalition._preempt(names, 0.5, 0, eligible) == [0, 1, 3]
    assert coalition._preempt(names, 0.7, 0, eligible) == [0, 2, 3]


def test_the_coalition_uses_alpha_and_records_its_members():
    """Powers (0.67, 0.02, 0.31): at alpha 0.5 the leader's faction rules alone; at 0.7 it
    needs the locals."""
    model = make({"mechanisms.coalition.alpha": 0.7})
    model.power = np.array([0.67, 0.02, 0.31])
    coalition.update_coalition(model)
    assert model.in_coalition.tolist() == [True, False, True]
    assert events(model, "coalition")[-1] == (
        model.month,
        "coalition",
        -1,
        -1,
        "ruling coalition: core+locals",
    )


def test_enemies_are_not_players_and_without_preemption_the_others_rule_together():
    """Powers (0.27, 0.33, 0.39), the clients an enemy: among the core and the locals no
    self-enforcing coalition holds the leader's faction. Without pre-emption both rule (not the
    enemy); with it, the leader strikes the locals."""
    for preempt, expected in ((False, [True, False, True]), (True, [True, False, False])):
        model = make({"mechanisms.coalition.preempt": preempt})
        model.factions.enemy[CLIENTS] = True
        model.power = np.array([0.27, 0.33, 0.39])
        coalition.update_coalition(model)
        assert model.in_coalition.tolist() == expected, preempt


def test_an_unconstrained_leader_may_be_left_out_and_an_enemy_leader_is_no_player():
    """Powers (0.27, 0.33, 0.39), the clients an enemy: between the core and the locals, the
    unconstrained ruling coalition is the locals alone."""
    model = make({"mechanisms.coalition.leader_constrained": False})
    model.factions.enemy[CLIENTS] = True
    model.power = np.array([0.27, 0.33, 0.39])
    coalition.update_coalition(model)
    assert ruling_coalition({"core": 0.27, "locals": 0.39}, 0.5) == {"locals"}
    assert model.in_coalition.tolist() == [False, False, True]
    # the leader's own faction out of the game (an enemy): no constraint to impose
    model = make()
    model.factions.enemy[CORE] = True
    model.power = np.array([0.27, 0.33, 0.39])
    coalition.update_coalition(model)
    assert not model.in_coalition[CORE]


# --------------------------------------------------------------------------- challenge


def test_a_successful_challenge_records_who_took_over_and_hands_power_to_the_challengers():
    model = challenge_ready({"mechanisms.challenge.decisiveness": 20.0}, side_power=0.99)
    c = model.cadres
    pool = members_of(model, LOCALS)
    c.prominence[pool] = np.linspace(0.1, 0.5, len(pool))  # the most prominent is the last
    model.factions.enemy[CLIENTS] = True  # threatened too: the clients join the locals
    challenge.attempt(model)
    new = int(pool[-1])
    assert events(model, "challenge_success") == [
        (model.month, "challenge_success", LOCALS, new, "clients+locals: leader deposed")
    ]
    assert model.leader.cadre == new
    # the victors rule alone, nobody's enemies, until the coalition is recomputed
    assert model.in_coalition.tolist() == [False, True, True]
    assert model.factions.enemy.tolist() == [False, False, False]


def test_a_failed_challenge_records_the_leading_challenger_and_who_was_crushed():
    model = challenge_ready({"mechanisms.challenge.decisiveness": 20.0}, side_power=0.01)
    challenge.attempt(model)
    assert events(model, "challenge_failed") == [
        (model.month, "challenge_failed", LOCALS, -1, "locals crushed")
    ]


def test_a_failed_challenge_sends_the_first_least_loyal_abroad_and_records_each_flight():
    """Locals of alternating loyalty 0 and 0.2 (disloyal on average), flight share 0.1 of 35:
    the three first of loyalty 0 flee (a stable sort; numpy's default would take a later one)."""
    model = challenge_ready(
        {"mechanisms.challenge.decisiveness": 20.0, "mechanisms.challenge.flight": 0.1},
        side_power=0.01,
    )
    c = model.cadres
    pool = members_of(model, LOCALS)
    assert len(pool) > 16
    c.loyalty[pool] = np.where(np.arange(len(pool)) % 2 == 0, 0.0, 0.2)
    challenge.attempt(model)
    fled = pool[[0, 2, 4]]
    assert (c.status[fled] == Status.EXILED).all()
    assert events(model, "flight") == [
        (model.month, "flight", LOCALS, int(i), "fled abroad") for i in fled
    ]


def test_the_least_loyal_of_the_factions_that_fire_leads_and_only_challengers_cool_down():
    model = challenge_ready(challengers=(CLIENTS, LOCALS))
    c = model.cadres
    c.loyalty[members_of(model, CLIENTS)] = 0.2  # both fire (hazard 1); the locals lead
    cooldown = model.factions.challenge_cooldown.copy()
    challenge.attempt(model)
    assert [e[2] for e in events(model, "challenge")] == [LOCALS]
    assert model.factions.challenge_cooldown[CORE] == cooldown[CORE]
    assert (model.factions.challenge_cooldown[[CLIENTS, LOCALS]] > model.month).all()


def test_the_odds_count_against_the_challengers_only_the_coalition():
    """Powers (0.6, 0.1, 0.3): the locals challenge alone (the clients, out of the coalition, are
    no allies); the leader's camp is the core only: odds 0.3 / 0.9."""
    model = challenge_ready(
        {"mechanisms.challenge.ally_tie_threshold": 100.0, "mechanisms.challenge.decisiveness": 1.0}
    )
    model.factions.in_coalition[:] = [True, False, False]
    model.power = np.array([0.6, 0.1, 0.3])
    challenge.attempt(model)
    assert events(model, "challenge")[0][4] == "by locals; odds 0.33"


def test_a_faction_exactly_at_the_loyalty_threshold_may_not_challenge():
    """Locals' mean loyalty exactly 0.5, the threshold (with an opening, threatened): hazard 0;
    a little below it the hazard is positive."""
    model = challenge_ready()
    pool = members_of(model, LOCALS)
    model.cadres.loyalty[pool] = 0.5
    assert model.spec.mechanisms.challenge.loyalty_threshold == 0.5
    assert challenge.hazard(model)[LOCALS] == 0.0
    model.cadres.loyalty[pool] = 0.49
    assert challenge.hazard(model)[LOCALS] > 0.0


def test_the_leaders_own_faction_never_challenges_even_threatened_and_disloyal():
    """The core (the leader's faction) fully disloyal, with an opening and threatened by a fall
    from its peak power share: its hazard is still 0."""
    model = challenge_ready({"mechanisms.threat.decline": 1.0})
    assert model.leader.faction == CORE
    model.cadres.loyalty[members_of(model, CORE)] = 0.0
    open_for(model, CORE)
    model.power = np.array([0.2, 0.4, 0.4])
    model.factions.peak_power[CORE] = 1.0
    assert threat.threat(model)[CORE] == pytest.approx(0.8)
    assert challenge.hazard(model)[CORE] == 0.0
    assert challenge.hazard(model)[LOCALS] > 0.0  # the others still may


def first_challengers(model) -> str:
    challenge.attempt(model)
    return events(model, "challenge")[0][4].split(";")[0]


def test_a_threatened_faction_exactly_at_the_loyalty_threshold_does_not_join():
    """Locals fire; the clients, threatened and closely tied (any closeness joins), have a mean
    loyalty exactly at the threshold: they stay out (a little below it they join)."""

    def ally(loyalty: float) -> str:
        model = challenge_ready(
            {"mechanisms.challenge.ally_tie_threshold": 0.0}, challengers=(CLIENTS, LOCALS)
        )
        model.factions.opening_until[CLIENTS] = NOT_YET  # the clients do not fire themselves
        model.cadres.loyalty[members_of(model, CLIENTS)] = loyalty
        return first_challengers(model)

    assert ally(0.5) == "by locals"
    assert ally(0.49) == "by clients+locals"


def test_a_faction_cooling_down_through_this_month_does_not_join():
    """The clients' challenge cooldown runs to this very month: no ally yet; one month earlier
    it has ended and they join."""

    def ally(months_before: int) -> str:
        model = challenge_ready(
            {"mechanisms.challenge.ally_tie_threshold": 0.0}, challengers=(CLIENTS, LOCALS)
        )
        model.factions.opening_until[CLIENTS] = NOT_YET
        model.factions.challenge_cooldown[CLIENTS] = model.month - months_before
        return first_challengers(model)

    assert ally(0) == "by locals"
    assert ally(1) == "by clients+locals"


def test_a_tie_closeness_exactly_at_the_ally_threshold_joins():
    closeness = challenge.tie_closeness(make())[LOCALS, CLIENTS]
    assert closeness > 0
    model = challenge_ready(
        {"mechanisms.challenge.ally_tie_threshold": float(closeness)},
        challengers=(CLIENTS, LOCALS),
    )
    assert challenge.tie_closeness(model)[LOCALS, CLIENTS] == closeness
    model.factions.opening_until[CLIENTS] = NOT_YET
    assert first_challengers(model) == "by clients+locals"


def test_contest_odds_of_a_side_without_power_are_zero():
    assert challenge.contest_odds(0.0, 0.0, 2.0) == 0.0
    assert challenge.contest_odds(0.0, 1.0, 0.0) == 0.0


def test_tie_closeness_with_one_cadre_in_office_and_with_none():
    model = make()
    c = model.cadres
    pool = members_of(model, LOCALS)
    one = pool[
        np.argmax([tied(model, np.array([i]))[members_of(model, CLIENTS)].sum() for i in pool])
    ]
    model.set_status(np.setdiff1d(pool, [one]), Status.ARRESTED)
    ties = model.ties
    office = c.in_office()
    cross = ((ties.src == one) & (c.faction[ties.dst] == CLIENTS) & office[ties.dst]) | (
        (ties.dst == one) & (c.faction[ties.src] == CLIENTS) & office[ties.src]
    )
    weight = ties.weight[cross].sum() / 2  # each undirected tie is listed both ways
    assert weight > 0
    closeness = challenge.tie_closeness(model)
    assert closeness[CLIENTS, LOCALS] == pytest.approx(weight)  # per member of the smaller: 1
    model.set_status(np.array([one]), Status.ARRESTED)
    closeness = challenge.tie_closeness(model)
    assert closeness[LOCALS].tolist() == [0.0, 0.0, 0.0]
    assert closeness[:, LOCALS].tolist() == [0.0, 0.0, 0.0]


# --------------------------------------------------------------------------- patrons

INTERVENE: dict[str, Any] = {
    "patrons.big.presence": 1.0,
    "patrons.big.willingness": 1.0,
    "mechanisms.patrons.intervention_rate": 1.0,
    "mechanisms.patrons.restore_share": 0.5,
    "mechanisms.patrons.cooldown": 10,
    "mechanisms.patrons.halt_months": 6,
}
SMALL_FOR_LOCALS: dict[str, Any] = {
    "patrons.small.label": "Small Power",
    "patrons.small.presence": 1.0,
    "patrons.small.willingness": 1.0,
    "factions.locals.patron": "small",
    "factions.locals.patron_affinity": 1.0,
}


def attacked(model) -> np.ndarray:
    return model.factions.under_campaign(model.month) & model.factions.standing


def campaign_with_arrests(model, faction: int, n: int = 4) -> np.ndarray:
    model.factions.start_campaign(faction, model.month + 12)
    pool = members_of(model, faction)[:n]
    purge.arrest(model, pool, "test")
    return pool


def test_intervention_hazard_is_minus_one_exactly_for_a_patron_without_a_client_under_campaign():
    """Hazard ``0.5 * 0.8 * 0.5 * affinity``: -1 (not ``-0.2``) without a client under campaign,
    even when another faction (the locals, without a patron) is under campaign, and exactly 0 for
    a client under campaign whose affinity is 0."""
    model = make(
        {
            "mechanisms.patrons.intervention_rate": 0.5,
            "patrons.big.willingness": 0.8,
            "patrons.big.presence": 0.5,
        }
    )
    assert patrons.intervention_hazard(model, attacked(model)).tolist() == [-1.0]
    model.factions.start_campaign(LOCALS, model.month + 12)
    assert patrons.intervention_hazard(model, attacked(model)).tolist() == [-1.0]
    model.factions.start_campaign(CLIENTS, model.month + 12)
    np.testing.assert_allclose(patrons.intervention_hazard(model, attacked(model)), [0.2])
    model.factions.patron_affinity[CLIENTS] = 0.0
    assert patrons.intervention_hazard(model, attacked(model)).tolist() == [0.0]


def test_candidates_are_the_patrons_with_a_hazard_of_zero_or_more():
    model = make()
    assert patrons.candidates(model, np.array([0.0])) == [0]
    assert patrons.candidates(model, np.array([0.5])) == [0]
    assert patrons.candidates(model, np.array([-1.0])) == []


def test_an_intervention_reaches_only_the_patrons_own_clients_and_cools_only_it_down():
    """Big intervenes for the clients; the locals (small's client, small unwilling) stay under
    campaign and small may still intervene."""
    model = make(INTERVENE | SMALL_FOR_LOCALS | {"patrons.small.willingness": 0.0})
    campaign_with_arrests(model, CLIENTS)
    campaign_with_arrests(model, LOCALS)
    halted = model.factions.halted_until.copy()
    patrons.intervene(model)
    assert [e[2] for e in events(model, "intervention")] == [CLIENTS]
    assert model.factions.halted_until[CLIENTS] == model.month + 6
    assert model.factions.halted_until[LOCALS] == halted[LOCALS]
    assert model.factions.under_campaign(model.month)[LOCALS]
    small = model.patron_ids.index("small")
    assert model.patrons.next_intervention[small] <= model.month
    assert model.patrons.next_intervention[1 - small] == model.month + 10


def test_an_intervention_records_the_patron_the_count_and_each_restored_cadre():
    model = make(INTERVENE)
    pool = campaign_with_arrests(model, CLIENTS)
    patrons.intervene(model)
    restored = pool[model.cadres.status[pool] == Status.REHABILITATED]
    assert len(restored) == 2
    month = model.month
    assert events(model, "intervention") == [
        (month, "intervention", CLIENTS, -1, "big halts the purge; 2 restored")
    ]
    assert sorted(events(model, "rehabilitation")) == [
        (month, "rehabilitation", CLIENTS, int(i), "restored by big") for i in sorted(restored)
    ]


def test_a_joint_intervention_names_every_partner():
    """Three patrons, each with a client under campaign and a hazard of 1: all act, jointly."""
    third = {
        "patrons.third.label": "Third Power",
        "patrons.third.presence": 1.0,
        "patrons.third.willingness": 1.0,
        "factions.core.patron": "third",
        "factions.core.patron_affinity": 1.0,
    }
    model = make(INTERVENE | SMALL_FOR_LOCALS | third)
    for f in (CORE, CLIENTS, LOCALS):
        campaign_with_arrests(model, f)
    patrons.intervene(model)
    details = {e[2]: e[4] for e in events(model, "intervention")}
    assert details[CLIENTS] == "big halts the purge; 2 restored (joint, with small, third)"
    assert details[LOCALS] == "small halts the purge; 2 restored (joint, with big, third)"
    assert details[CORE] == "third halts the purge; 2 restored (joint, with big, small)"


# --------------------------------------------------------------------------- sentences


def test_a_patron_exactly_at_the_exile_presence_takes_exiles():
    model = make({"mechanisms.purge.execution": 0.2, "mechanisms.purge.exile": 0.5})
    model.patrons.presence[:] = purge.EXILE_PRESENCE
    draw = np.array([0.1, 0.3, 0.69, 0.8])
    out = purge.verdicts(model, draw, np.full(4, CLIENTS))
    assert out.dtype == np.int8
    assert out.tolist() == [Status.EXECUTED, Status.EXILED, Status.EXILED, Status.DEMOTED]
    model.patrons.presence[:] = np.nextafter(purge.EXILE_PRESENCE, 0.0)
    out = purge.verdicts(model, draw, np.full(4, CLIENTS))
    assert out.tolist() == [Status.EXECUTED, Status.DEMOTED, Status.DEMOTED, Status.DEMOTED]


@pytest.mark.parametrize("size", [purge.SHOW_TRIAL_SIZE - 1, purge.SHOW_TRIAL_SIZE])
def test_a_show_trial_from_exactly_its_size_records_the_accused_and_the_executed(size):
    model = make()
    ex, de = int(Status.EXECUTED), int(Status.DEMOTED)
    decided = [(100 + k, LOCALS, ex if k < 1 else de) for k in range(size)]
    decided += [(200, CLIENTS, ex), (201, CLIENTS, ex)]  # too few for a trial; not counted
    purge._log_show_trials(model, decided)
    expected = [(model.month, "show_trial", LOCALS, -1, f"{size} accused, 1 executed")]
    assert events(model, "show_trial") == (expected if size >= purge.SHOW_TRIAL_SIZE else [])


# --------------------------------------------------------------------------- rehabilitation


def test_a_single_purged_cadre_returns_and_is_recorded():
    model = make({"mechanisms.rehabilitation.rate": 1.0})
    cadre = int(members_of(model, LOCALS)[0])
    purge.arrest(model, np.array([cadre]), "test")
    model.set_status(np.array([cadre]), Status.DEMOTED)
    rehabilitation.rehabilitate(model)
    assert model.cadres.status[cadre] == Status.REHABILITATED
    assert events(model, "rehabilitation") == [
        (model.month, "rehabilitation", LOCALS, cadre, "returned to office")
    ]


# --------------------------------------------------------------------------- loyalty


def test_noise_adds_exactly_its_scaled_normal_shock_and_draws_nothing_when_zero():
    model = make(quiet_loyalty(noise=0.1))
    c = model.cadres
    inside = c.in_office()
    before = c.loyalty.copy()
    z = copy_of_stream(model.rng).standard_normal(c.n)
    loyalty.update_cadres(model)
    expected = np.clip(before + 0.1 * z, 0.0, 1.0)
    np.testing.assert_allclose(c.loyalty[inside], expected[inside], rtol=0, atol=1e-12)
    np.testing.assert_array_equal(c.loyalty[~inside], before[~inside])
    model = make(quiet_loyalty())
    state = model.rng.bit_generator.state
    loyalty.update_cadres(model)
    assert model.rng.bit_generator.state == state


def test_the_arrest_of_a_single_cadre_costs_its_ties_loyalty():
    model = make({"mechanisms.loyalty.fear": 0.5})
    c = model.cadres
    one = members_of(model, LOCALS)[:1]
    near = tied(model, one)
    near[one] = False
    assert near.any()
    before = c.loyalty.copy()
    purge.arrest(model, one, "test")
    assert (c.loyalty[near] < before[near]).all()
    np.testing.assert_array_equal(c.loyalty[~near], before[~near])


def test_an_ideological_shock_spares_the_cadres_out_of_office():
    model = make()
    c = model.cadres
    gone = members_of(model, LOCALS)[:3]
    purge.arrest(model, gone, "test")
    before = c.loyalty.copy()
    loyalty.ideological_shock(model, np.array([0.0, 0.0, 0.5]))
    np.testing.assert_array_equal(c.loyalty[gone], before[gone])
    stay = members_of(model, LOCALS)
    np.testing.assert_allclose(c.loyalty[stay], 0.5 * before[stay])


# --------------------------------------------------------------------------- power


def test_a_vacated_seat_goes_to_the_most_loyal_times_prominent_of_the_leaders_faction():
    model = make()
    c = model.cadres
    seated = np.flatnonzero(c.seat & c.in_office() & (c.faction == CLIENTS))[:1]
    heirs = np.flatnonzero(c.in_office() & ~c.seat & (c.faction == CORE))
    c.loyalty[heirs] = 0.5
    c.prominence[heirs] = np.linspace(0.2, 0.4, len(heirs))
    best = heirs[-1]
    c.prominence[best] = 0.3  # loyalty 1 * 0.3 beats 0.5 * 0.4
    c.loyalty[best] = 1.0
    model.set_status(seated, Status.ARRESTED)
    power.transfer_offices(model, seated)
    assert c.seat[best] and c.seat[heirs].sum() == 1


def test_vacated_seats_go_to_the_first_of_equal_heirs():
    """Heirs of alternating scores: the three seats go to the first three of the higher score
    in index order (a stable sort; numpy's default sort would take a later one)."""
    model = make()
    c = model.cadres
    model.factions.in_coalition[:] = [True, False, False]
    seated = np.flatnonzero(c.seat & c.in_office() & (c.faction == CLIENTS))[:3]
    heirs = np.flatnonzero(c.in_office() & ~c.seat & (c.faction == CORE))
    assert len(heirs) > 16  # more than numpy sorts by insertion
    c.loyalty[heirs] = 1.0
    c.prominence[heirs] = np.where(np.arange(len(heirs)) % 2 == 0, 0.5, 0.25)
    model.set_status(seated, Status.ARRESTED)
    power.transfer_offices(model, seated)
    assert np.flatnonzero(c.seat[heirs]).tolist() == [0, 2, 4]


# --------------------------------------------------------------------------- rank and file


def test_expulsion_chances_are_proportional_to_disloyalty_with_its_floor():
    disloyalty = np.array([0.0, 0.1, 0.2, 0.3], dtype=np.float32)
    d = disloyalty.astype(float) + rank_and_file.DISLOYALTY_FLOOR
    chances = rank_and_file.expulsion_chances(disloyalty, 0.25)
    np.testing.assert_allclose(chances, d / d.sum(), rtol=1e-12)  # mean 0.25, none capped


def test_expulsion_chances_cap_the_most_disloyal_and_share_the_rest_equally():
    chances = rank_and_file.expulsion_chances(np.array([1.0, 0.0, 0.0, 0.0]), 0.5)
    np.testing.assert_allclose(chances, [1.0, 1 / 3, 1 / 3, 1 / 3], rtol=1e-9)


def copy_of_stream(rng: np.random.Generator) -> np.random.Generator:
    twin = np.random.Generator(type(rng.bit_generator)())
    twin.bit_generator.state = rng.bit_generator.state
    return twin


def test_expel_draws_each_member_against_its_chance_from_disloyalty():
    model = make({"membership.initial": 100_000})
    m = model.members
    target = np.flatnonzero(m.alive & (m.leaning == LOCALS))
    m.loyalty[target] = np.linspace(0.0, 0.9, len(target))
    chance = rank_and_file.expulsion_chances(1.0 - m.loyalty[target], 0.3)
    out = copy_of_stream(model.rng).random(len(target)) < chance
    assert rank_and_file.expel(model, LOCALS, 0.3) == out.sum()
    np.testing.assert_array_equal(~m.alive[target], out)


def test_expel_without_a_faction_reaches_every_member_and_an_empty_pool_expels_nobody():
    model = make()
    m = model.members
    alive = int(m.alive.sum())
    assert rank_and_file.expel(model, None, 1.0) == alive
    assert not m.alive.any()
    assert rank_and_file.expel(model, LOCALS, 0.5) == 0


def test_an_expulsion_wave_records_the_members_expelled():
    model = make({"mechanisms.rank_and_file.wave_share": 1.0})
    m = model.members
    entries = int((m.alive & (m.leaning == LOCALS)).sum())
    rank_and_file.expulsion_wave(model, LOCALS)
    assert events(model, "expulsion_wave") == [
        (model.month, "expulsion_wave", LOCALS, -1, f"{entries * m.scale} members expelled")
    ]


# --------------------------------------------------------------------------- purge


def test_scapegoats_are_the_factions_with_blame_but_the_exempt_leaders():
    model = make()
    model.factions.blame[:] = [0.3, 0.0, 0.4]
    assert purge.scapegoats(model).tolist() == [False, False, True]  # the leader's is spared
    free = make({"mechanisms.purge.leader_exempt": False})
    free.factions.blame[:] = [0.3, 0.0, 0.4]
    assert purge.scapegoats(free).tolist() == [True, False, True]


def test_arrestable_are_those_in_office_less_the_exempt_leader_and_his_faction():
    model = make()
    mask = purge.arrestable(model)
    assert not mask[model.leader.cadre] and not mask[members_of(model, CORE)].any()
    np.testing.assert_array_equal(mask, office(model) & (model.cadres.faction != CORE))
    free = make({"mechanisms.purge.leader_exempt": False})
    last = free.cadres.n - 1  # not yet entered in the tiny scenario: put it in office
    free.set_status(np.array([last]), Status.ACTIVE)
    assert office(free)[last]
    np.testing.assert_array_equal(purge.arrestable(free), office(free))  # the last one too


def test_a_campaign_in_the_last_month_of_exposure_is_logged_as_exposed():
    def reason(until: int) -> str:
        model = make()
        model.factions.exposed_until[LOCALS] = model.month + until
        purge.start_campaign(model, LOCALS)
        ((_, _, faction, _, detail),) = events(model, "purge_campaign")
        assert faction == LOCALS
        return detail.rsplit(" (", 1)[1]

    assert reason(0) == "exposed)"
    assert reason(-1) == "pretext or strength)"


def test_launches_draw_once_per_faction_even_when_every_hazard_is_zero():
    """The stream is part of the rule: a candidate with a hazard of exactly 0 still means one
    draw per faction (else every later draw of the run would shift)."""
    model = make({"mechanisms.purge.launch_rate": 0.0})
    target_only(model, LOCALS)
    hazard = purge.launch_hazard(model)
    assert hazard[LOCALS] == 0.0 and (hazard[[CORE, CLIENTS]] < 0).all()
    stream = copy_of_stream(model.rng)
    stream.random(model.n_factions)
    purge.launch_campaigns(model)
    assert model.rng.bit_generator.state == stream.bit_generator.state
    assert not events(model, "purge_campaign")


# --------------------------------------------------------------------------- inner purge


def test_the_leader_turns_on_his_camp_exactly_when_the_draw_is_below_its_hazard():
    """Hazard ``rate * established * menace`` (all three below 1 here); the inner purge runs
    for the geometric length drawn next, which its event records."""
    overrides = {
        "mechanisms.inner_purge.rate": 0.8,
        "mechanisms.purge.established_share": 0.475,
        "mechanisms.purge.established_width": 0.01,
    }
    seen = set()
    for seed in range(30):
        model = make(INNER_SURE | overrides, seed)
        model.cadres.loyalty[lieutenants(model)] = 0.75  # suspicion factor 0.5
        model.power = np.array([0.48, 0.4, 0.12])  # established: 1 / (1 + e^-0.5)
        menace = inner_purge.menace(model)
        target = int(np.argmax(menace))
        established = purge.established(model)
        assert 0.2 < established < 0.9 and 0 < menace[target] < 1
        hazard = 0.8 * established * menace[target]
        stream = copy_of_stream(model.rng)
        inner_purge.turn_on_camp(model)
        fired = bool(stream.random() < hazard)
        seen.add(fired)
        assert model.leader.purging_camp(model.month) == fired
        if not fired:
            assert not events(model, "camp_purge")
            continue
        length = int(stream.geometric(1.0 / model.spec.mechanisms.purge.campaign_months))
        detail = f"inner purge of about {length} months"
        assert events(model, "camp_purge") == [(model.month, "camp_purge", CORE, target, detail)]
        assert model.leader.purging_camp(model.month + length)
        assert not model.leader.purging_camp(model.month + length + 1)
    assert seen == {True, False}


def test_menace_depends_on_the_following_relative_to_the_leaders_only():
    """All tie weights scaled down (the leader's following below 1): the menace is the same."""
    model = make(INNER_SURE)
    model.cadres.loyalty[:] = 0.0
    before = inner_purge.menace(model)
    ls = lieutenants(model)
    assert (before[ls] < 1).any()
    model.ties.weight[:] *= 1e-3
    assert model.ties.sum_over_ties(office(model).astype(float))[model.leader.cadre] < 1
    np.testing.assert_allclose(inner_purge.menace(model), before, rtol=1e-9)


def test_a_leader_without_a_following_fears_every_lieutenant_fully():
    """No tie of the leader (nor of one lieutenant) has weight: each lieutenant's rivalry is 1,
    his menace his suspicion factor (1 at loyalty 0), the isolated one's too."""
    model = make(INNER_SURE)
    model.cadres.loyalty[:] = 0.0
    ls = lieutenants(model)
    ties = model.ties
    for i in (model.leader.cadre, ls[0]):
        ties.weight[(ties.src == i) | (ties.dst == i)] = 0.0
    menace = inner_purge.menace(model)
    np.testing.assert_array_equal(menace[ls], np.ones(len(ls)))
    assert menace[model.leader.cadre] == 0.0


def test_no_arrest_in_the_camp_and_no_draw_unless_an_inner_purge_runs():
    model = make(INNER_SURE | {"mechanisms.inner_purge.direct_arrest": 1.0})
    assert not model.leader.purging_camp(model.month)
    state = model.rng.bit_generator.state
    inner_purge.spread_arrests(model)
    assert not events(model, "arrest")
    assert model.rng.bit_generator.state == state


def test_an_inner_purge_spares_the_ties_outside_the_camp():
    """A lieutenant tied to cadres of other factions is arrested; with a sure spread the camp
    cadres tied to him fall, those of other factions (no collateral) do not."""
    model = make(
        INNER_SURE | {"mechanisms.purge.spread": 1.0, "mechanisms.inner_purge.direct_arrest": 0.0}
    )
    model.patrons.presence[:] = 0.0  # no protection
    c = model.cadres
    camp = lieutenants(model)
    outside = np.flatnonzero(office(model) & (c.faction != CORE))
    crossing = [tied(model, np.array([i]))[outside].sum() for i in camp]
    lieutenant = camp[int(np.argmax(crossing))]
    reached = outside[tied(model, np.array([lieutenant]))[outside]]
    assert len(reached) > 0
    purge.arrest(model, np.array([lieutenant]), "lieutenant")
    model.leader.turn_on_camp(model.month + 3)
    inner_purge.spread_arrests(model)
    assert (c.status[reached] != Status.ARRESTED).all()
    comrades = camp[tied(model, np.array([lieutenant]))[camp]]
    assert (c.status[comrades] == Status.ARRESTED).all()
