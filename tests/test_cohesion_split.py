"""The endogenous split rule (:mod:`factions.mechanisms.split`): a ``split`` event with
``when = "cohesion"`` happens from its date with the hazard ``rate * (1 - cohesion) *
collapse``, the least loyal leaving; at most once; never with ``mechanisms.split`` off; checked
at load time with the file and line; and runs end to end from the CLI.

Each test builds ``tests/data/tiny.toml`` with the split declared by overrides (the locals, 34
cadres without the leader, may break away from April 1950) and drives the rule directly or
month by month. The loyalties of the wing are set by hand so that the spread is known exactly.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from factions import exogenous
from factions.cli import main
from factions.errors import ScenarioValidationError
from factions.mechanisms import split
from factions.model import FactionModel
from factions.scenario import load_scenario
from factions.state import EndCause

TINY = Path(__file__).parent / "data" / "tiny.toml"
CORE, CLIENTS, LOCALS, DISSIDENTS = 0, 1, 2, 3  # DISSIDENTS: born of the split, after the rest
APRIL = 1950 * 12 + 3  # the split's date, 1950-04

RIFT = {"date": "1950-04", "kind": "split", "faction": "locals"}
RIFT |= {"new_faction": "dissidents", "share": 0.3, "when": "cohesion"}
#: 34 locals: an even wing, so that half at 0 and half at 1 is the largest spread, 0.5, exactly.
ON = {"events.rift": RIFT, "mechanisms.split.enabled": True, "factions.locals.cadres": 34}
#: Nothing but the split moves a cadre or a loyalty: a run's months are the rule's alone.
QUIET = {f"mechanisms.{m}.enabled": False for m in ("loyalty", "purge", "challenge")}


def make(overrides: dict[str, Any] | None = None, seed: int = 0) -> FactionModel:
    # a deep copy: the loader merges "events.rift.<field>" overrides into the table in place
    spec = load_scenario(TINY, overrides=copy.deepcopy(ON | (overrides or {})))
    return FactionModel(spec, rng=seed, check_transitions=True)


def at_date(overrides: dict[str, Any] | None = None, seed: int = 0) -> FactionModel:
    """A model whose month is the split's date (nothing simulated: the state of the start)."""
    model = make(overrides, seed)
    model.month = APRIL
    return model


def polarise(model: FactionModel, faction: int = LOCALS) -> np.ndarray:
    """Half the wing at loyalty 0 (the first half), half at 1: the largest spread, 0.5."""
    wing = split.wing(model, faction)
    half = len(wing) // 2
    model.cadres.loyalty[wing[:half]] = 0.0
    model.cadres.loyalty[wing[half:]] = 1.0
    return wing


def logged(model: FactionModel, kind: str = "split") -> list[tuple]:
    return [e for e in model.recorder.events if e[1] == kind]


# --------------------------------------------------------------------------- the hazard


class TestHazard:
    @pytest.mark.parametrize(
        ("rate", "cohesion", "floor"), [(0.1, 0.5, 0.15), (0.4, 0.5, 0.15), (0.1, 0.2, 0.15)]
    )
    def test_hazard_is_rate_times_incohesion_times_collapse(self, rate, cohesion, floor):
        model = at_date({"mechanisms.split.rate": rate, "mechanisms.split.spread_floor": floor})
        model.factions.cohesion[LOCALS] = cohesion
        wing = split.wing(model, LOCALS)
        model.cadres.loyalty[wing] = np.linspace(0.0, 1.0, len(wing))  # spread ~0.29
        spread = np.std(np.linspace(0.0, 1.0, len(wing)))
        collapse = (spread - floor) / (0.5 - floor)
        level, measured = split.hazard(model, model.spec.events["rift"])
        assert measured == pytest.approx(spread, abs=1e-15)
        assert level == pytest.approx(rate * (1 - cohesion) * collapse, rel=1e-12)

    @pytest.mark.parametrize("floor", [0.0, 0.2])
    def test_full_collapse_is_the_largest_spread_whatever_the_floor(self, floor):
        model = at_date({"mechanisms.split.rate": 0.3, "mechanisms.split.spread_floor": floor})
        model.factions.cohesion[LOCALS] = 0.25
        polarise(model)
        level, spread = split.hazard(model, model.spec.events["rift"])
        assert len(split.wing(model, LOCALS)) % 2 == 0 and spread == 0.5
        assert level == pytest.approx(0.3 * 0.75)

    def test_the_leader_is_no_part_of_the_wing(self):
        model = at_date({"events.rift.faction": "core"})
        wing = split.wing(model, CORE)
        assert model.leader.cadre not in wing
        assert len(wing) == model.cadres.office_counts(4)[CORE] - 1

    def test_a_cohesive_faction_does_not_split_and_nothing_is_drawn(self):
        model = at_date({"mechanisms.split.spread_floor": 0.2, "mechanisms.split.rate": 1.0})
        model.factions.cohesion[LOCALS] = 0.0
        wing = split.wing(model, LOCALS)
        model.cadres.loyalty[wing] = np.where(np.arange(len(wing)) % 2, 0.36, 0.74)  # sd 0.19
        assert split.hazard(model, model.spec.events["rift"]) == (0.0, pytest.approx(0.19))
        state = model.rng.bit_generator.state
        split.break_away(model)
        assert model.rng.bit_generator.state == state
        assert not logged(model) and "rift" in model.latent_splits

    def test_a_fully_cohesive_faction_does_not_split(self):
        model = at_date({"mechanisms.split.rate": 1.0, "mechanisms.split.spread_floor": 0.0})
        model.factions.cohesion[LOCALS] = 1.0
        polarise(model)
        assert split.hazard(model, model.spec.events["rift"])[0] == 0.0

    def test_nothing_before_the_date(self):
        model = at_date({"factions.locals.cohesion": 0.0, "mechanisms.split.rate": 1.0})
        polarise(model)
        model.month = APRIL - 1
        assert split.hazard(model, model.spec.events["rift"]) == (0.0, 0.0)
        state = model.rng.bit_generator.state
        split.break_away(model)
        assert model.rng.bit_generator.state == state and not logged(model)
        model.month = APRIL
        assert split.hazard(model, model.spec.events["rift"])[0] == 1.0

    def test_nothing_once_the_faction_has_fallen(self):
        model = at_date({"factions.locals.cohesion": 0.0, "mechanisms.split.rate": 1.0})
        polarise(model)
        model.factions.eliminate(LOCALS, APRIL, EndCause.PURGED)
        assert split.hazard(model, model.spec.events["rift"]) == (0.0, 0.0)

    @pytest.mark.parametrize("share", [0.01, 0.99])
    def test_nothing_when_it_would_move_nobody_or_everybody(self, share):
        model = at_date({"factions.locals.cohesion": 0.0, "events.rift.share": share})
        polarise(model)
        assert split.hazard(model, model.spec.events["rift"]) == (0.0, 0.0)


# --------------------------------------------------------------------------- the split


CERTAIN = {"factions.locals.cohesion": 0.0, "mechanisms.split.rate": 1.0}


class TestBreakAway:
    def test_the_least_loyal_leave_seat_holders_and_others_apart(self, monkeypatch):
        model = at_date()
        monkeypatch.setattr(split, "hazard", lambda model, event: (1.0, 0.3))  # it happens
        c, members = model.cadres, model.members
        wing = split.wing(model, LOCALS)
        c.loyalty[wing] = np.random.default_rng(7).permutation(np.linspace(0, 1, len(wing)))
        seated = wing[c.seat[wing]]
        groups = seated, wing[~c.seat[wing]]
        expected = [g[np.argsort(c.loyalty[g])][: split.part(0.3, len(g))] for g in groups]
        leaning = np.flatnonzero(members.alive & (members.leaning == LOCALS))
        order = np.random.default_rng(8).permutation(len(leaning))
        members.loyalty[leaning] = (order / len(leaning)).astype(np.float32)
        poorest = np.sort(leaning[np.argsort(order)][: split.part(0.3, len(leaning))])
        split.break_away(model)
        moved = np.flatnonzero(c.faction == DISSIDENTS)
        np.testing.assert_array_equal(moved, np.sort(np.concatenate(expected)))
        assert len(seated) > 0 and c.seat[moved].sum() == split.part(0.3, len(seated))
        np.testing.assert_array_equal(np.flatnonzero(members.leaning == DISSIDENTS), poorest)
        assert model.standing[DISSIDENTS] and model.factions.entered_at[DISSIDENTS] == APRIL

    def test_at_full_collapse_only_the_disloyal_half_leaves(self):
        model = at_date(CERTAIN)
        wing = polarise(model)
        split.break_away(model)
        moved = model.cadres.faction[wing] == DISSIDENTS
        assert moved.any() and (model.cadres.loyalty[wing][moved] == 0.0).all()

    def test_it_is_logged_as_a_split_with_the_spread(self):
        model = at_date(CERTAIN | {"events.rift.note": "the wing walks out"})
        polarise(model)
        split.break_away(model)
        ((month, kind, faction, cadre, detail),) = logged(model)
        moved = int((model.cadres.faction == DISSIDENTS).sum())
        assert (month, kind, faction, cadre) == (APRIL, "split", DISSIDENTS, -1)
        assert detail.startswith(f"cohesion collapse (loyalty spread 0.500): {moved} cadres, ")
        assert detail.endswith("from locals; the wing walks out")

    def test_it_happens_at_most_once(self):
        model = at_date(CERTAIN)
        polarise(model)
        split.break_away(model)
        assert not model.latent_splits
        polarise(model)  # the parent is polarised again: still no second split
        before = model.cadres.faction.copy()
        state = model.rng.bit_generator.state
        split.break_away(model)
        assert len(logged(model)) == 1
        np.testing.assert_array_equal(model.cadres.faction, before)
        assert model.rng.bit_generator.state == state

    def test_the_hazard_sets_the_frequency(self):
        overrides = {"factions.locals.cohesion": 0.5, "mechanisms.split.rate": 0.6}
        count = 0
        for seed in range(200):
            model = at_date(overrides, seed)
            polarise(model)
            split.break_away(model)
            count += len(logged(model))
        p = 0.6 * 0.5
        assert abs(count - 200 * p) <= 4 * np.sqrt(200 * p * (1 - p))

    def test_switched_off_it_never_happens_and_nothing_is_drawn(self):
        model = at_date(CERTAIN | {"mechanisms.split.enabled": False})
        polarise(model)
        state = model.rng.bit_generator.state
        split.break_away(model)
        assert model.rng.bit_generator.state == state
        assert not logged(model) and not model.standing[DISSIDENTS]

    def test_a_certain_hazard_splits_in_the_first_eligible_month(self):
        model = make(CERTAIN | QUIET)
        polarise(model)  # the loyalty rule is off: the spread stays 0.5
        while model.month < APRIL:
            model.step()
            assert not logged(model) and not model.standing[DISSIDENTS]
        model.step()
        assert [e[0] for e in logged(model)] == [APRIL]
        assert model.recorder.series["active_cadres"][3, DISSIDENTS] > 0  # April 1950

    def test_switched_off_a_run_never_splits_and_dated_splits_still_happen(self):
        dated = {"events.old_rift": RIFT | {"when": "date", "faction": "clients"}}
        dated["events.old_rift"]["new_faction"] = "old-dissidents"
        model = make(CERTAIN | QUIET | dated | {"mechanisms.split.enabled": False})
        polarise(model)
        model.run()
        assert [(e[0], model.faction_ids[e[2]]) for e in logged(model)] == [
            (APRIL, "old-dissidents")
        ]
        never = model.faction_index["dissidents"]  # after old-dissidents ("old_rift" < "rift")
        assert not model.standing[never] and "rift" in model.latent_splits
        assert (model.recorder.series["active_cadres"][:, never] == 0).all()

    def test_a_dated_split_is_not_applied_by_the_rule_nor_the_rule_by_the_schedule(self):
        model = make(CERTAIN)
        assert all(key != "rift" for day in model._schedule.values() for key, _ in day)
        dated = make({"events.rift.when": "date"})
        assert not dated.latent_splits

    def test_without_a_cohesion_split_the_switch_changes_nothing(self):
        plain = FactionModel(load_scenario(TINY), rng=3).run()
        spec = load_scenario(TINY, overrides={"mechanisms.split.enabled": True})
        same = FactionModel(spec, rng=3).run()
        np.testing.assert_array_equal(plain.recorder.table, same.recorder.table)
        assert plain.recorder.events == same.recorder.events


# --------------------------------------------------------------------------- what a split moves


def rift(model: FactionModel):
    return model.spec.events["rift"]


class TestDivide:
    def test_among_equally_loyal_the_first_leave(self):
        """Forty cadres of alternating loyalty 0 and 0.2: the three least loyal are the first three
        of loyalty 0 (a stable sort; numpy's default sort takes a later one)."""
        group = np.arange(100, 140)
        loyalty = np.zeros(140)
        loyalty[group] = np.where(np.arange(40) % 2 == 0, 0.0, 0.2)
        np.testing.assert_array_equal(split.least_loyal(group, 3, loyalty), [100, 102, 104])

    @pytest.mark.parametrize("target", [0.9, 0.1])
    def test_the_movers_loyalties_shift_to_the_events_mean_clipped_to_the_unit_interval(
        self, target
    ):
        """Wing loyalties spread over [0, 1]; the least loyal 0.3 leave and their loyalties move by
        ``loyalty - their mean``: to 0.9 some pass 1, to 0.1 some pass 0 (both clipped)."""
        model = at_date({"events.rift.loyalty": target})
        c = model.cadres
        wing = split.wing(model, LOCALS)
        c.loyalty[wing] = np.linspace(0.0, 1.0, len(wing))
        moved = split.movers(model, wing, 0.3, split.least_loyal)
        before = c.loyalty[moved].copy()
        shift = target - before.mean()
        expected = np.clip(before + shift, 0.0, 1.0)
        assert ((before + shift > 1.0) | (before + shift < 0.0)).any()  # the clip matters
        split.divide(model, rift(model), split.least_loyal)
        assert (c.faction[moved] == DISSIDENTS).all()
        np.testing.assert_allclose(c.loyalty[moved], expected, rtol=0, atol=1e-12)

    def test_force_goes_in_proportion_to_each_cadres_own_or_in_equal_parts_without_any(self):
        """The movers' force is scaled to 0.3 of the wing's, the stayers' to 0.7, each cadre keeping
        his proportion (a total below 1 here); movers without any force share theirs equally."""
        model = at_date()
        c = model.cadres
        wing = split.wing(model, LOCALS)
        c.military[wing] = np.linspace(0.01, 0.02, len(wing))
        force = c.military[wing].sum()
        assert force < 1
        moved = split.movers(model, wing, 0.3, split.least_loyal)
        stay = np.setdiff1d(wing, moved)
        before = c.military.copy()
        split.divide(model, rift(model), split.least_loyal)
        np.testing.assert_allclose(
            c.military[moved], before[moved] * 0.3 * force / before[moved].sum()
        )
        np.testing.assert_allclose(
            c.military[stay], before[stay] * 0.7 * force / before[stay].sum()
        )

        model = at_date()
        c = model.cadres
        c.military[moved] = 0.0
        c.military[stay] = 0.5
        force = c.military[wing].sum()
        split.divide(model, rift(model), split.least_loyal)
        np.testing.assert_allclose(c.military[moved], np.full(len(moved), 0.3 * force / len(moved)))
        np.testing.assert_allclose(c.military[stay], np.full(len(stay), 0.7 * force / len(stay)))

    def test_a_split_that_moves_nobody_leaves_the_force_where_it_was(self):
        model = at_date({"events.rift.share": 0.01})  # 0.01 of 34 rounds to nobody
        c = model.cadres
        before = c.military.copy()
        split.divide(model, rift(model), split.least_loyal)
        assert not (c.faction == DISSIDENTS).any()
        np.testing.assert_array_equal(c.military, before)

    def test_the_new_faction_takes_the_share_of_the_offices_and_the_detail_counts_members(self):
        model = at_date({"factions.locals.portfolio": {"war": 0.5}})
        members = model.members
        detail = split.divide(model, rift(model), split.least_loyal)
        war = model.factions.portfolio["war"]
        assert war[DISSIDENTS] == pytest.approx(0.15) and war[LOCALS] == pytest.approx(0.35)
        count = int((members.alive & (members.leaning == DISSIDENTS)).sum()) * members.scale
        assert count > 0
        assert detail.endswith(f", {count} members from locals")

    @pytest.mark.parametrize("share", [0.03, 0.9])
    def test_a_split_of_a_single_cadre_or_of_all_but_a_few_may_happen(self, share):
        model = at_date({"events.rift.share": share})
        wing = polarise(model)
        model.cadres.seat[wing[:4]] = True  # four seats (rounded apart from the other 30)
        seated = int(model.cadres.seat[wing].sum())
        count = split.part(share, seated) + split.part(share, len(wing) - seated)
        assert count == 1 if share < 0.5 else len(wing) - 4 <= count < len(wing)
        level, spread = split.hazard(model, rift(model))
        assert spread == 0.5 and level > 0.0

    def test_a_split_waiting_for_its_date_does_not_hold_up_the_next(self):
        model = at_date(CERTAIN)
        polarise(model)
        later = rift(model).model_copy(update={"date": "1952-01"})
        model.latent_splits = {"later": later, **model.latent_splits}
        split.break_away(model)
        assert len(logged(model)) == 1
        assert list(model.latent_splits) == ["later"]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    share=st.floats(0.05, 0.95),
    loyalties=st.lists(st.floats(0.0, 1.0), min_size=34, max_size=34),
    pick=st.sampled_from(["least_loyal", "at_random"]),
)
def test_a_split_conserves_cadres_seats_force_and_members(share, loyalties, pick):
    model = at_date({"events.rift.share": share})
    c, members = model.cadres, model.members
    wing = split.wing(model, LOCALS)
    c.loyalty[wing] = loyalties[: len(wing)]
    before = (len(wing), int(c.seat[wing].sum()), c.military[wing].sum())
    entries = int(members.entries[LOCALS])
    chooser = split.least_loyal if pick == "least_loyal" else split.at_random(model.rng)
    split.divide(model, model.spec.events["rift"], chooser)
    both = np.flatnonzero(c.in_office() & np.isin(c.faction, [LOCALS, DISSIDENTS]))
    assert (len(both), int(c.seat[both].sum())) == before[:2]
    assert c.military[both].sum() == pytest.approx(before[2])
    assert members.entries[[LOCALS, DISSIDENTS]].sum() == entries
    moved = c.faction[wing] == DISSIDENTS
    if pick == "least_loyal":
        for seat in (True, False):
            group = c.seat[wing] == seat
            if (moved & group).any() and (~moved & group).any():
                assert c.loyalty[wing][moved & group].max() <= c.loyalty[wing][~moved & group].min()


# --------------------------------------------------------------------------- load time and CLI


def scenario_with(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rift.toml"
    path.write_text(f'extends = "{TINY}"\n' + text, encoding="utf-8")
    return path


RIFT_TOML = """[mechanisms.split]
enabled = true
rate = 1.0
spread_floor = 0.0

[events.rift]
date = "1950-04"
kind = "split"
faction = "locals"
new_faction = "dissidents"
share = 0.3
when = "{when}"
"""


@pytest.mark.parametrize(
    ("text", "line", "found"),
    [
        (RIFT_TOML.format(when="collapse"), 13, "'date' or 'cohesion'"),
        (
            RIFT_TOML.format(when="cohesion")
            + '[events.later]\ndate = "1951-01"\nkind = "split"\nfaction = "dissidents"\n'
            + 'new_faction = "splinter"\nshare = 0.5\n',
            17,
            "born of the cohesion-triggered split 'rift'",
        ),
        (RIFT_TOML.format(when="cohesion").replace("0.0\n", "0.5\n"), 5, "less than 0.5"),
    ],
)
def test_bad_cohesion_splits_are_refused_with_the_line(tmp_path, text, line, found):
    path = scenario_with(tmp_path, text)
    with pytest.raises(ScenarioValidationError) as error:
        load_scenario(path)
    assert found in str(error.value)
    assert f"{path.name}:{line}" in str(error.value)


def test_a_cohesion_split_of_a_cohesion_born_faction_is_accepted(tmp_path):
    text = RIFT_TOML.format(when="cohesion") + (
        '[events.later]\ndate = "1951-01"\nkind = "split"\nfaction = "dissidents"\n'
        'new_faction = "splinter"\nshare = 0.5\nwhen = "cohesion"\n'
    )
    spec = load_scenario(scenario_with(tmp_path, text))
    assert spec.faction_ids[-2:] == ["dissidents", "splinter"]


def test_a_scenario_with_a_cohesion_split_runs_from_the_cli(tmp_path):
    text = RIFT_TOML.format(when="cohesion") + (
        "[factions.locals]\ncohesion = 0.0\nloyalty = { mean = 0.5, spread = 0.35 }\n"
    )
    path = scenario_with(tmp_path, text)
    out = tmp_path / "out"
    # no figures: the end-cause figure warns when no faction ends (left alone here)
    args = ["run", str(path), "-n", "2", "-j", "1", "-o", str(out), "--no-figures"]
    done = CliRunner().invoke(main, args)
    assert done.exit_code == 0, done.output
    import pandas as pd

    events = pd.read_parquet(out / "events.parquet")
    rows = events[events["kind"] == "split"]
    assert len(rows) == 2  # one in each run: the spread starts far above the floor
    assert (rows["faction"] == "dissidents").all()
    assert rows["detail"].str.startswith("cohesion collapse (loyalty spread ").all()
    factions = pd.read_parquet(out / "factions.parquet")
    assert set(factions["faction"]) == {"core", "clients", "locals", "dissidents"}


def test_the_dated_split_still_draws_its_movers_at_random(tmp_path):
    model = make({"events.rift.when": "date"}, seed=4)
    while model.month < APRIL:
        model.step()
    c = model.cadres
    wing = split.wing(model, LOCALS)
    exogenous.apply(model, "rift", model.spec.events["rift"])
    moved = c.faction[wing] == DISSIDENTS
    assert c.loyalty[wing][moved].max() > c.loyalty[wing][~moved].min()  # not the least loyal
