"""The owners of faction, patron, leader and regime state (factions.polity)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from factions.polity import (
    NO_PATRON,
    FactionState,
    LeaderState,
    PatronState,
    Ramp,
    RegimeState,
)
from factions.scenario import load_scenario
from factions.state import NO_END, NOT_YET, EndCause


@pytest.fixture(scope="module")
def korea():
    return load_scenario("korea-1945")


def test_factions_from_the_scenario(korea):
    factions = FactionState.from_scenario(korea, list(korea.patrons))
    assert factions.n == len(korea.faction_ids)
    assert factions.standing.all() and factions.in_coalition.all() and not factions.enemy.any()
    unpatroned = factions.patron == NO_PATRON
    assert (factions.patron_affinity[unpatroned] == 0).all()
    assert (factions.patron_slot >= 0).all()


def test_elimination_and_coalition_changes_mark_the_coalition_stale(korea):
    factions = FactionState.from_scenario(korea, list(korea.patrons))
    factions.eliminate(1, 700, EndCause.ABSORBED)
    assert factions.end_cause[1] == EndCause.ABSORBED and factions.end_cause[0] == NO_END
    assert factions.eliminated_at[1] == 700 and not factions.standing[1]
    assert factions.coalition_stale
    members = np.array([True, False, True, True])
    assert factions.set_coalition(members) and not factions.coalition_stale
    assert not factions.set_coalition(members.copy())
    factions.enemy[2] = True
    factions.hand_power_to(np.array([2]))
    assert factions.in_coalition.tolist() == [False, False, True, False]
    assert not factions.enemy[2] and factions.coalition_stale


def test_standing_follows_eliminations_and_only_eliminate_writes_them(korea):
    factions = FactionState.from_scenario(korea, list(korea.patrons))
    standing = factions.standing
    factions.eliminate(2, 710, EndCause.PURGED)
    assert not standing[2] and standing[[0, 1]].all()  # the mask handed out follows
    np.testing.assert_array_equal(factions.standing, factions.eliminated_at == NOT_YET)
    for shared in (factions.standing, factions.eliminated_at):
        with pytest.raises(ValueError, match="read-only"):
            shared[0] = shared[1]


def test_campaigns_halts_and_openings(korea):
    factions = FactionState.from_scenario(korea, list(korea.patrons))
    factions.start_campaign(0, 710)
    assert factions.enemy[0] and factions.running(705)[0] and not factions.running(711)[0]
    factions.halt_campaign(0, 708)
    assert factions.campaign_until[0] == NOT_YET and not factions.running(705)[0]
    factions.open(700, 720, np.array([0.0, 0.5, 1.0, 0.0]))
    factions.open(710, 715, np.array([0.0, 0.8, 0.0, 0.0]))  # never shorter; the higher level
    assert factions.opening_until[1:3].tolist() == [720, 720]
    assert factions.opening(712).tolist() == [0.0, 0.8, 1.0, 0.0]
    assert factions.opening(721).tolist() == [0.0, 0.0, 0.0, 0.0]
    factions.open(730, 732, np.array([0.0, 0.2, 0.0, 0.0]))  # the old opening had expired
    assert factions.opening(731).tolist() == [0.0, 0.2, 0.0, 0.0]


def test_blame_by_portfolio_spares_the_exempt_and_the_eliminated(korea):
    factions = FactionState.from_scenario(korea, list(korea.patrons))
    factions.portfolio = {"war": np.array([0.2, 0.5, 0.3, 0.0])}
    factions.eliminate(0, 700, EndCause.PURGED)
    level = factions.take_blame("war", 0.6, exempt=2)
    assert level.tolist() == [0.0, 0.3, 0.0, 0.0]
    factions.take_blame("war", 0.2, exempt=2)  # a smaller setback never lowers blame
    assert factions.blame.tolist() == [0.0, 0.3, 0.0, 0.0]
    assert factions.take_blame("economy", 1.0, exempt=2).tolist() == [0.0] * 4
    factions.decay_blame(0.5)
    assert factions.blame.tolist() == [0.0, 0.15, 0.0, 0.0]


def test_tie_to_a_patron_or_to_any(korea):
    factions = FactionState.from_scenario(korea, list(korea.patrons))
    factions.patron = np.array([NO_PATRON, 1, 0, 0])
    factions.patron_affinity = np.array([0.0, 0.6, 0.6, 1.0])
    assert factions.tie_to(0).tolist() == [0.0, 0.0, 0.6, 1.0]
    assert factions.tie_to(1).tolist() == [0.0, 0.6, 0.0, 0.0]
    assert factions.tie_to(None).tolist() == [0.0, 0.6, 0.6, 1.0]


@given(
    start=st.floats(0, 1),
    target=st.floats(0, 1),
    months=st.integers(1, 36),
    offset=st.integers(0, 48),
)
def test_a_ramp_stays_between_its_ends_and_ends_exactly_at_its_target(
    start, target, months, offset
):
    value, done = Ramp(start, 100, target, months).value(100 + offset)
    assert min(start, target) - 1e-12 <= value <= max(start, target) + 1e-12
    assert done == (offset + 1 >= months)
    if done:
        assert value == target


def test_patrons_ramp_then_drop_the_completed_ramp(korea):
    patrons = PatronState.from_scenario(korea)
    patrons.presence[0] = 0.0
    patrons.start_ramp(0, 100, 1.0, 2)
    patrons.advance(100)
    assert patrons.presence[0] == 0.5 and 0 in patrons.ramps
    patrons.advance(101)
    assert patrons.presence[0] == 1.0 and 0 not in patrons.ramps


def test_patron_policy_changes_only_given_fields(korea):
    patrons = PatronState.from_scenario(korea)
    before = patrons.willingness[0]
    patrons.set_policy(0, protection=0.25, willingness=None)
    assert patrons.protection[0] == 0.25 and patrons.willingness[0] == before
    with pytest.raises(ValueError, match="not a patron policy field"):
        patrons.set_policy(0, presence=1.0)


def test_disabled_patrons_are_never_present():
    off = load_scenario("korea-1945", overrides=["mechanisms.patrons.enabled=false"])
    assert (PatronState.from_scenario(off).presence == 0).all()


def test_leader_absence_and_replacement():
    leader = LeaderState(cadre=3, faction=1, charisma=0.5)
    assert not leader.absent(500)
    leader.leave(502)
    assert leader.absent(502) and not leader.absent(503)
    leader.replace(7, 2)
    assert (leader.cadre, leader.faction) == (7, 2)


def test_regime_pretexts_war_and_army_control():
    regime = RegimeState()
    regime.raise_pretext(0.4)
    regime.raise_pretext(0.2)  # a smaller setback does not lower the pretext
    assert regime.pretext == 0.4
    regime.decay_pretext(0.5)
    assert regime.pretext == 0.2
    regime.start_war(610, 0.7)
    assert regime.war_pressure(610) == 0.7 and regime.war_pressure(611) == 0.0
    regime.set_committee_rate(0.1)
    regime.tighten_army_control(0.1)
    assert regime.army_control == pytest.approx(0.2)
    regime.tighten_army_control(0.1)
    assert regime.army_control == pytest.approx(0.2 + 0.2 * 0.8)
    regime.call_congress("third", 71)
    assert regime.congress_due == ("third", 71)
    regime.congress_held()
    assert regime.congress_due is None
