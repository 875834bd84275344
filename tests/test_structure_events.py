"""Events reach factions through declared structure (issue 13): blame for a setback by the
factions' portfolios, an ideological shock by their ties to its origin; patrons intervene in
campaigns against their clients, jointly; exile at the presence cut-off; the schema and its
cross-checks for the new fields and the removed one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from factions import exogenous
from factions.errors import ScenarioValidationError
from factions.mechanisms import challenge, patrons, purge
from factions.model import FactionModel
from factions.scenario import load_scenario
from factions.scenario.events import IdeologicalShock, Setback
from factions.scenario.load import json_schema
from factions.state import Status

TINY = Path(__file__).parent / "data" / "tiny.toml"
CORE, CLIENTS, LOCALS = 0, 1, 2  # faction order in tiny.toml; CORE is the leader's

PORTFOLIOS = {
    "factions.core.portfolio": {"war": 0.2},
    "factions.clients.portfolio": {"war": 0.5, "economy": 0.4},
    "factions.locals.portfolio": {"war": 0.3},
}
#: A second patron, "small", with the locals as its clients.
SECOND_PATRON = {
    "patrons.small.label": "Small Power",
    "patrons.small.presence": 0.6,
    "patrons.small.willingness": 1.0,
    "factions.locals.patron": "small",
    "factions.locals.patron_affinity": 0.5,
}


def make(overrides: dict[str, Any] | None = None, seed: int = 0) -> FactionModel:
    return FactionModel(load_scenario(TINY, overrides=overrides), rng=seed, check_transitions=True)


def kinds(model: FactionModel, kind: str) -> list[tuple]:
    return [e for e in model.recorder.events if e[1] == kind]


# --------------------------------------------------------------------------- blame


class TestBlame:
    def setback(self, model: FactionModel, domain: str | None, magnitude: float) -> None:
        event = Setback(kind="setback", date=model.date(), domain=domain, magnitude=magnitude)
        exogenous.apply(model, "s", event)

    def test_blame_falls_by_portfolio_share_and_never_on_the_leader(self):
        model = make(PORTFOLIOS)
        self.setback(model, "war", 0.6)
        np.testing.assert_allclose(model.factions.blame, [0.0, 0.3, 0.18])
        assert model.regime.pretext == 0.0  # a setback with a domain is no general pretext

    def test_without_a_domain_it_is_a_general_pretext(self):
        model = make(PORTFOLIOS)
        self.setback(model, None, 0.6)
        assert model.regime.pretext == 0.6
        assert (model.factions.blame == 0).all()

    def test_a_faction_without_the_domain_takes_none(self):
        model = make(PORTFOLIOS)
        self.setback(model, "economy", 0.5)
        np.testing.assert_allclose(model.factions.blame, [0.0, 0.2, 0.0])

    def test_blame_decays_with_the_pretext_half_life(self):
        model = make(PORTFOLIOS | {"mechanisms.purge.pretext_half_life": 2.0})
        self.setback(model, "war", 0.6)
        purge.decay_pretext(model)
        purge.decay_pretext(model)
        np.testing.assert_allclose(model.factions.blame, [0.0, 0.15, 0.09])

    def test_feasibility_outside_the_coalition_is_the_highest_of_pretext_and_blame(self):
        model = make(PORTFOLIOS)
        model.factions.in_coalition[:] = [True, False, False]
        model.regime.raise_pretext(0.25)
        self.setback(model, "war", 0.6)
        general = max(0.25, model.regime.war_pressure(model.month), purge.established(model))
        expected = np.maximum(general, [0.0, 0.3, 0.18])
        np.testing.assert_allclose(purge.feasibility(model)[[CLIENTS, LOCALS]], expected[1:])

    def test_against_a_coalition_partner_only_its_blame_counts(self):
        model = make(PORTFOLIOS)
        model.factions.in_coalition[:] = [True, True, False]
        model.regime.raise_pretext(0.9)
        self.setback(model, "war", 0.6)
        feasible = purge.feasibility(model)
        assert feasible[CLIENTS] == pytest.approx(0.3)  # its blame, not the pretext of 0.9
        assert feasible[LOCALS] == pytest.approx(0.9)  # outside: the pretext

    def test_a_blamed_partner_is_a_launch_candidate_and_an_unblamed_one_is_not(self):
        model = make(PORTFOLIOS | {"mechanisms.purge.launch_rate": 1.0})
        model.factions.in_coalition[:] = [True, True, True]
        model.regime.raise_pretext(1.0)
        assert (purge.launch_hazard(model) < 0).all()  # partners without blame: no campaign
        self.setback(model, "economy", 1.0)  # the clients carry blame 0.4, the locals none
        hazard = purge.launch_hazard(model)
        assert hazard[CLIENTS] > 0
        assert hazard[CORE] < 0 and hazard[LOCALS] < 0
        assert purge.scapegoats(model).tolist() == [False, True, False]

    def test_blame_raises_the_launch_hazard_of_the_blamed_only(self):
        overrides = PORTFOLIOS | {
            "mechanisms.purge.launch_rate": 1.0,
            "mechanisms.purge.established_share": 0.99,
            "mechanisms.purge.established_width": 0.001,
            "patrons.big.protection": 0.0,
        }
        model = make(overrides)
        model.factions.in_coalition[:] = [True, False, False]
        model.factions.portfolio["war"][LOCALS] = 0.0
        c = model.cadres
        c.loyalty[c.faction != CORE] = 0.0  # fully disloyal: no discount for loyalty
        before = purge.launch_hazard(model)
        self.setback(model, "war", 1.0)  # the clients carry blame 0.5, the locals none
        after = purge.launch_hazard(model)
        assert after[CLIENTS] > before[CLIENTS] + 0.1
        assert after[LOCALS] == before[LOCALS]


# --------------------------------------------------------------------------- shock reach


class TestShockReach:
    def test_reach_by_origin(self):
        model = make(
            SECOND_PATRON | {"factions.clients.patron_affinity": 0.6, "factions.core.patron": "big"}
        )
        np.testing.assert_allclose(exogenous.shock_reach(model, "big"), [0.0, 0.6, 0.0])
        np.testing.assert_allclose(exogenous.shock_reach(model, "small"), [0.0, 0.0, 0.5])
        np.testing.assert_allclose(exogenous.shock_reach(model, None), [0.0, 0.6, 0.5])

    def test_dent_and_opening_scale_with_reach(self):
        model = make(SECOND_PATRON | quiet_challenge())
        before = model.cadres.loyalty.copy()
        event = IdeologicalShock(
            kind="ideological_shock", date=model.date(), magnitude=0.4, opening_months=2
        )
        exogenous.apply(model, "shock", event)
        c = model.cadres
        office = c.in_office()
        for f, reach in ((CORE, 0.0), (CLIENTS, 1.0), (LOCALS, 0.5)):
            mine = office & (c.faction == f)
            np.testing.assert_allclose(c.loyalty[mine], before[mine] * (1 - 0.4 * reach))
        np.testing.assert_allclose(challenge.opening(model), [0.0, 1.0, 0.5])
        model.month += 2
        np.testing.assert_allclose(challenge.opening(model), [0.0, 0.0, 0.0])


def quiet_challenge() -> dict[str, Any]:
    return {"mechanisms.challenge.spontaneous": 0.0}


# --------------------------------------------------------------------------- interventions


def campaign_against(model: FactionModel, faction: int) -> None:
    model.factions.start_campaign(faction, model.month + 12)


INTERVENE = {
    "patrons.big.presence": 1.0,
    "patrons.big.willingness": 1.0,
    "mechanisms.patrons.intervention_rate": 1.0,
    "mechanisms.patrons.cooldown": 10,
}


class TestInterventions:
    def test_collateral_arrests_of_clients_set_off_nothing(self):
        model = make(INTERVENE)
        clients = np.flatnonzero(model.cadres.faction == CLIENTS)[:5]
        purge.arrest(model, clients, "association")  # no campaign against the clients
        for _ in range(5):
            patrons.intervene(model)
        assert not kinds(model, "intervention")

    def test_a_campaign_against_a_client_sets_off_its_patron(self):
        model = make(INTERVENE)
        campaign_against(model, CLIENTS)
        patrons.intervene(model)
        (event,) = kinds(model, "intervention")
        assert event[2] == CLIENTS and "joint" not in event[4]

    def test_hazard_is_rate_willingness_presence_affinity(self):
        model = make(
            INTERVENE
            | {
                "mechanisms.patrons.intervention_rate": 0.5,
                "patrons.big.willingness": 0.8,
                "patrons.big.presence": 0.5,
                "factions.clients.patron_affinity": 0.5,
            }
        )
        campaign_against(model, CLIENTS)
        attacked = model.factions.under_campaign(model.month) & model.factions.standing
        np.testing.assert_allclose(patrons.intervention_hazard(model, attacked), [0.1])
        attacked[:] = False
        np.testing.assert_allclose(patrons.intervention_hazard(model, attacked), [-1.0])

    def test_a_second_patron_joins_in_the_same_month(self):
        # the small patron's own hazard: 1 * 1 * 1 * 0.5; over seeds it joins about half the time
        joint = 0
        for seed in range(100):
            m = make(INTERVENE | SECOND_PATRON | {"patrons.small.presence": 1.0}, seed)
            campaign_against(m, CLIENTS)
            campaign_against(m, LOCALS)
            patrons.intervene(m)
            acts = kinds(m, "intervention")
            assert acts and acts[0][2] == CLIENTS  # the big patron always acts (hazard 1)
            if len(acts) == 2:
                assert acts[1][2] == LOCALS
                assert "(joint, with small)" in acts[0][4] and "(joint, with big)" in acts[1][4]
                joint += 1
        assert 60 <= joint <= 90  # first draw or the joining draw: 1 - 0.5^2 = 0.75

    def test_no_joining_without_a_client_under_campaign(self):
        model = make(INTERVENE | SECOND_PATRON | {"patrons.small.presence": 1.0})
        campaign_against(model, CLIENTS)
        patrons.intervene(model)
        assert [e[2] for e in kinds(model, "intervention")] == [CLIENTS]


# --------------------------------------------------------------------------- exile cut-off


class TestExileCutOff:
    @pytest.mark.parametrize(
        ("presence", "exiled"),
        [(purge.EXILE_PRESENCE, True), (np.nextafter(purge.EXILE_PRESENCE, 0), False)],
    )
    def test_exile_possible_at_the_cut_off(self, presence, exiled):
        model = make({"mechanisms.purge.execution": 0.0, "mechanisms.purge.exile": 1.0})
        model.patrons.presence[0] = presence
        outcome = purge.verdicts(model, np.array([0.5]), np.array([CLIENTS]))[0]
        assert outcome == (Status.EXILED if exiled else Status.DEMOTED)


# --------------------------------------------------------------------------- schema


class TestSchema:
    def test_portfolio_shares_must_be_shares(self):
        for bad in (1.5, -0.1, float("nan"), float("inf")):
            with pytest.raises(ScenarioValidationError) as info:
                load_scenario(TINY, overrides={"factions.clients.portfolio": {"war": bad}})
            assert "factions.clients.portfolio.war" in str(info.value)

    def test_a_domain_shared_out_more_than_once_is_refused(self):
        overrides = PORTFOLIOS | {"factions.locals.portfolio": {"war": 0.5}}
        with pytest.raises(ScenarioValidationError) as info:
            load_scenario(TINY, overrides=overrides)
        assert "sum to 1.2" in str(info.value)

    def test_a_setback_in_a_domain_nobody_holds_is_refused(self):
        overrides = PORTFOLIOS | {"events.reverse.domain": "wra"}
        with pytest.raises(ScenarioValidationError) as info:
            load_scenario(TINY, overrides=overrides)
        problem = info.value.problems[0]
        assert problem.path == "events.reverse.domain" and "did you mean 'war'" in problem.hint

    def test_an_unknown_origin_is_refused(self):
        with pytest.raises(ScenarioValidationError) as info:
            load_scenario(TINY, overrides={"events.shock.origin": "bgi"})
        assert info.value.problems[0].path == "events.shock.origin"

    def test_a_shock_listing_factions_is_refused_with_the_replacement(self):
        with pytest.raises(ScenarioValidationError) as info:
            load_scenario(TINY, overrides={"events.shock.factions": ["clients"]})
        text = str(info.value)
        assert "`factions` was removed" in text and "origin" in text

    def test_json_schema_has_the_new_fields_and_not_the_removed_one(self):
        defs = json_schema()["$defs"]
        assert "portfolio" in defs["Faction"]["properties"]
        assert "domain" in defs["Setback"]["properties"]
        assert "origin" in defs["IdeologicalShock"]["properties"]
        assert "factions" not in defs["IdeologicalShock"]["properties"]

    @pytest.mark.parametrize(
        "name",
        [
            "korea-1945",
            "ussr-1923",
            "ccp-1959",
            "korea-no-war",
            "korea-no-1956-opening",
            "korea-soviets-stay",
        ],
    )
    def test_no_shipped_event_names_target_factions(self, name):
        for key, event in load_scenario(name).events.items():
            assert not hasattr(event, "factions"), key
