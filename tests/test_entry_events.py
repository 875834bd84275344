"""The ``leader_change``, ``faction_entry`` and ``split`` events (issue 14): the leader's
departure and a successor by a documented rule or named; a faction declared up front that enters
at a date; a faction that divides in two. Each loads, runs end to end from the CLI, changes the
state as specified, and refuses bad names at load time with the file and line."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from factions import exogenous
from factions.cli import main
from factions.errors import ScenarioValidationError
from factions.model import FactionModel
from factions.scenario import load_scenario
from factions.scenario.events import EVENT_LOG_KINDS
from factions.scenario.load import json_schema
from factions.state import NOT_YET, Status
from factions.tables import run_tables

TINY = Path(__file__).parent / "data" / "tiny.toml"
CORE, CLIENTS, LOCALS = 0, 1, 2  # faction order in tiny.toml; CORE is the leader's


def scenario_with(tmp_path: Path, *events: str) -> Path:
    path = tmp_path / "structure.toml"
    path.write_text(f'extends = "{TINY}"\n' + "\n".join(events), encoding="utf-8")
    return path


def event(key: str, kind: str, date: str, **fields: object) -> str:
    lines = [f"[events.{key}]", f'date = "{date}"', f'kind = "{kind}"']
    for name, value in fields.items():
        lines.append(f'{name} = "{value}"' if isinstance(value, str) else f"{name} = {value}")
    return "\n".join(lines) + "\n"


def make(path: Path, seed: int = 1) -> FactionModel:
    return FactionModel(load_scenario(path), rng=seed, check_transitions=True)


def months_until(model: FactionModel, date: str) -> None:
    while model.date() != date:
        model.step()


def logged(model: FactionModel, kind: str) -> list[tuple]:
    return [e for e in model.recorder.events if e[1] == kind]


def test_the_kinds_are_registered_in_the_schema_and_the_log():
    defs = json_schema()["$defs"]
    assert defs["LeaderChange"]["properties"]["kind"]["const"] == "leader_change"
    assert defs["FactionEntry"]["properties"]["kind"]["const"] == "faction_entry"
    assert defs["Split"]["properties"]["kind"]["const"] == "split"
    assert {"leader_change", "faction_entry", "split"} <= EVENT_LOG_KINDS


# --------------------------------------------------------------------------- leader_change


class TestLeaderChange:
    def change(self, tmp_path: Path, date: str = "1951-03", **fields: object) -> FactionModel:
        path = scenario_with(tmp_path, event("exit", "leader_change", date, **fields))
        model = make(path)
        months_until(model, date)
        return model

    def test_without_a_successor_the_strongest_coalition_faction_succeeds(self, tmp_path):
        model = self.change(tmp_path, reason="death")
        old = model.leader.cadre
        c = model.cadres
        force = float(c.military[old])
        seats = int((c.seat & c.in_office()).sum())
        pool = model.standing & model.in_coalition
        expected = int(np.argmax(np.where(pool, model.power, -1.0)))
        office = model.cadres.in_office() & (model.cadres.faction == expected)
        office[old] = False
        candidates = np.flatnonzero(office)
        heir = int(candidates[np.argmax(model.cadres.prominence[candidates])])
        camp = c.military[office].sum()
        exogenous.apply(model, "exit", model.spec.events["exit"])
        assert (model.leader.faction, model.leader.cadre) == (expected, heir)
        assert model.leader.cadre != old
        assert model.cadres.status[old] == Status.RETIRED
        assert not model.cadres.in_office()[old]
        assert model.cadres.seat[old] == 0 and model.cadres.military[old] == 0.0
        assert model.cadres.loyalty[heir] == 1.0
        assert model.factions.coalition_stale
        # the old leader's seat and force pass on (power.transfer_offices): none is lost
        assert int((c.seat & c.in_office()).sum()) == seats
        assert c.military[office].sum() == pytest.approx(camp + force)
        row = logged(model, "leader_change")[-1]
        assert row[2:4] == (expected, heir)
        old_label, heir_label = model.cadres.label(old), model.cadres.label(heir)
        fid = model.faction_ids[expected]
        assert row[4] == f"death: {old_label} (core) -> {heir_label} ({fid})"

    def test_the_default_rule_picks_by_power_not_by_the_leaders_faction(self, tmp_path):
        model = self.change(tmp_path, reason="incapacity")
        model.power = np.array([0.1, 0.2, 0.7])  # locals strongest now
        model.factions.set_coalition(np.array([True, True, False]))
        assert exogenous.default_successor(model, model.leader.cadre)[0] == CLIENTS
        model.factions.set_coalition(np.zeros(3, dtype=bool))  # no coalition: strongest overall
        assert exogenous.default_successor(model, model.leader.cadre)[0] == LOCALS

    def test_a_named_faction_provides_its_most_prominent_cadre(self, tmp_path):
        model = self.change(tmp_path, "1950-03", reason="resignation", successor="locals")
        exogenous.apply(model, "exit", model.spec.events["exit"])
        assert model.leader.faction == LOCALS
        assert model.cadres.label(model.leader.cadre) == "Local Chief"  # first notable
        assert not model.factions.enemy[LOCALS]

    def test_a_named_notable_succeeds_in_person(self, tmp_path):
        model = self.change(tmp_path, "1950-03", reason="death", successor="Client Second")
        exogenous.apply(model, "exit", model.spec.events["exit"])
        assert model.leader.faction == CLIENTS
        assert model.cadres.label(model.leader.cadre) == "Client Second"

    def test_a_successor_out_of_office_falls_back_to_the_rule(self, tmp_path):
        model = self.change(tmp_path, "1950-03", reason="death", successor="Local Chief")
        chief = model.cadres.names.index("Local Chief")
        model.set_status(np.array([chief]), Status.ARRESTED)
        expected = exogenous.default_successor(model, model.leader.cadre)
        exogenous.apply(model, "exit", model.spec.events["exit"])
        assert (model.leader.faction, model.leader.cadre) == expected
        assert "Local Chief could not succeed" in logged(model, "leader_change")[-1][4]

    def test_the_absence_of_the_former_leader_ends(self, tmp_path):
        model = self.change(tmp_path, reason="death")
        model.leader.leave(model.month + 5)
        exogenous.apply(model, "exit", model.spec.events["exit"])
        assert not model.leader_absent

    def test_it_changes_the_run_and_the_run_stays_sound(self, tmp_path):
        path = scenario_with(tmp_path, event("exit", "leader_change", "1951-03", reason="death"))
        plain = FactionModel(load_scenario(TINY), rng=4).run()
        changed = make(path, seed=4).run()
        assert changed.cadres.status[plain.leader.cadre] == Status.RETIRED
        assert plain.cadres.status[plain.leader.cadre] != Status.RETIRED
        assert not np.array_equal(plain.recorder.table, changed.recorder.table)
        assert len(logged(changed, "leader_change")) == 1

    @pytest.mark.parametrize(
        ("fields", "found"),
        [
            ({"reason": "death", "successor": "lokals"}, "did you mean 'locals'"),
            ({"reason": "death", "successor": "Nobody At All"}, "unknown faction or notable"),
        ],
    )
    def test_an_unknown_successor_is_refused_with_the_line(self, tmp_path, fields, found):
        path = scenario_with(tmp_path, event("exit", "leader_change", "1951-03", **fields))
        with pytest.raises(ScenarioValidationError) as error:
            load_scenario(path)
        assert found in str(error.value)
        assert f"{path.name}:6" in str(error.value)  # the line of `successor`

    def test_a_reason_outside_the_three_is_refused(self, tmp_path):
        path = scenario_with(tmp_path, event("exit", "leader_change", "1951-03", reason="coup"))
        with pytest.raises(ScenarioValidationError, match="death"):
            load_scenario(path)


# --------------------------------------------------------------------------- faction_entry


def entry(date: str = "1950-05", **fields: object) -> str:
    return event("arrive", "faction_entry", date, faction="locals", **fields)


class TestFactionEntry:
    def test_the_faction_waits_with_nothing_then_enters_with_its_table(self, tmp_path):
        model = make(scenario_with(tmp_path, entry()))
        spec = model.spec
        assert not model.standing[LOCALS]
        assert model.cadres.office_counts(3)[LOCALS] == 0
        assert model.members.entries[LOCALS] == 0
        assert model.power[LOCALS] == 0.0
        assert model.factions.entered_at[LOCALS] == NOT_YET
        waiting = model.cadres.faction == LOCALS
        assert (model.cadres.status[waiting] == Status.PENDING).sum() == 35 + 10  # and merger's
        months_until(model, "1950-05")
        assert model.cadres.office_counts(3)[LOCALS] == 0  # still waiting in April
        model.step()  # 1950-05: it enters
        assert model.standing[LOCALS]
        assert model.factions.entered_at[LOCALS] == 1950 * 12 + 4
        assert model.cadres.office_counts(3)[LOCALS] == 35
        # its share of the initial membership: 0.3 / (0.5 + 0.2 + 0.3) of 20,000, in 100s
        assert int(model.members.entries[LOCALS]) >= 60
        assert model.power[LOCALS] > 0
        names = [model.cadres.label(i) for i in np.flatnonzero(waiting)]
        assert "Local Chief" in names
        force = model.cadres.military[waiting & model.cadres.in_office()].sum()
        assert force == pytest.approx(spec.factions["locals"].military * (1 - 0.0), rel=1e-9)
        assert [e[2] for e in logged(model, "faction_entry")] == [LOCALS]

    def test_the_members_it_brings_are_its_share_of_the_initial_membership(self, tmp_path):
        model = make(scenario_with(tmp_path, entry()))
        assert model.entry_members == {LOCALS: 60}  # 0.3 of 20,000 members, in entries of 100
        before = model.members.entries.copy()
        exogenous.apply(model, "arrive", model.spec.events["arrive"])
        assert model.members.entries[LOCALS] == before[LOCALS] + 60
        # the others shared the whole initial membership between them at the start
        assert before[CORE] + before[CLIENTS] == 200

    def test_the_event_may_bring_fewer_cadres_than_the_table(self, tmp_path):
        model = make(scenario_with(tmp_path, entry(cadres=12)))
        assert np.count_nonzero(model.cadres.origin == LOCALS) == 12 + 10  # and the merger's
        exogenous.apply(model, "arrive", model.spec.events["arrive"])
        assert model.cadres.office_counts(3)[LOCALS] == 12

    def test_its_duration_counts_from_its_entry(self, tmp_path):
        model = make(scenario_with(tmp_path, entry("1950-08")), seed=2).run()
        table = run_tables(model, 0)["factions"].set_index("faction")
        end = model.eliminated_at[LOCALS]
        end = model.spec.end_month + 1 if end == NOT_YET else end
        assert table.loc["locals", "duration_months"] == end - (1950 * 12 + 7)
        assert table.loc["core", "duration_months"] <= model.spec.n_months

    def test_it_changes_the_run(self, tmp_path):
        plain = FactionModel(load_scenario(TINY), rng=3).run()
        late = make(scenario_with(tmp_path, entry("1950-05")), seed=3).run()
        assert late.recorder.series["active_cadres"][0, LOCALS] == 0
        assert plain.recorder.series["active_cadres"][0, LOCALS] > 0

    def test_disabled_the_faction_is_there_from_the_start_bit_for_bit(self, tmp_path):
        path = scenario_with(tmp_path, entry() + "enabled = false\n")
        plain = FactionModel(load_scenario(TINY), rng=5).run()
        same = make(path, seed=5).run()
        np.testing.assert_array_equal(plain.recorder.table, same.recorder.table)
        assert plain.recorder.events == same.recorder.events

    @pytest.mark.parametrize(
        ("text", "line", "found"),
        [
            (event("arrive", "faction_entry", "1950-05", faction="lokals"), 5, "'locals'"),
            (event("arrive", "faction_entry", "1950-05", faction="core"), 5, "leader's faction"),
            (entry(cadres=0), 6, "greater than or equal to 1"),
            (entry("1951-01"), 12, "exists only from 1951-01"),  # the merger is dated before
        ],
    )
    def test_bad_entries_are_refused_with_the_line(self, tmp_path, text, line, found):
        path = scenario_with(tmp_path, text)
        with pytest.raises(ScenarioValidationError) as error:
            load_scenario(path)
        assert found in str(error.value)
        if "exists only" not in found:
            assert f"{path.name}:{line}" in str(error.value)


# --------------------------------------------------------------------------- split

DISSIDENTS = 3  # the faction born of the split: after the declared ones


def split(date: str = "1950-04", faction: str = "clients", **fields: object) -> str:
    fields = {"new_faction": "dissidents", "share": 0.4} | fields
    return event("rift", "split", date, faction=faction, **fields)


class TestSplit:
    def at_split(self, tmp_path: Path, text: str, date: str = "1950-04") -> FactionModel:
        model = make(scenario_with(tmp_path, text))
        months_until(model, date)
        return model

    def test_the_new_faction_has_a_slot_from_the_start_and_nothing_in_it(self, tmp_path):
        spec = load_scenario(scenario_with(tmp_path, split()))
        assert spec.faction_ids == ["core", "clients", "locals", "dissidents"]
        table = spec.faction_table("dissidents")
        assert table.label == "dissidents" and table.patron == "big" and table.members == 0
        model = FactionModel(spec, rng=1)
        assert model.n_factions == 4 and not model.standing[DISSIDENTS]
        assert model.members.entries[DISSIDENTS] == 0
        assert model.cadres.office_counts(4)[DISSIDENTS] == 0
        assert model.power[DISSIDENTS] == 0.0

    def test_without_members_shares_the_waiting_factions_get_no_members(self, tmp_path):
        path = scenario_with(tmp_path, split(), entry())
        zero = {f"factions.{f}.members": 0.0 for f in ("core", "clients", "locals")}
        model = FactionModel(load_scenario(path, overrides=zero), rng=1)
        assert model.members.entries[[LOCALS, DISSIDENTS]].tolist() == [0, 0]
        assert model.members.entries[CORE] > 0 and model.members.entries[CLIENTS] > 0
        assert model.entry_members == {LOCALS: 0}

    def test_cadres_seats_force_members_and_offices_split_by_share(self, tmp_path):
        text = split(share=0.4) + "[factions.clients.portfolio]\nwar = 0.5\n"
        model = self.at_split(tmp_path, text)
        c = model.cadres
        pool = np.flatnonzero(c.in_office() & (c.faction == CLIENTS))
        seated = int(c.seat[pool].sum())
        force = c.military[pool].sum()
        members = int(model.members.entries[CLIENTS])
        legitimacy = model.factions.legitimacy[CLIENTS]
        exogenous.apply(model, "rift", model.spec.events["rift"])
        moved = np.flatnonzero(c.faction == DISSIDENTS)
        expect = int(np.floor(0.4 * seated + 0.5)) + int(np.floor(0.4 * (len(pool) - seated) + 0.5))
        assert len(moved) == expect
        assert (c.origin[moved] == DISSIDENTS).all()  # the new faction's founders
        assert c.seat[moved].sum() == int(np.floor(0.4 * seated + 0.5))
        assert c.military[moved].sum() == pytest.approx(0.4 * force)
        stay = np.flatnonzero(c.in_office() & (c.faction == CLIENTS))
        assert c.military[stay].sum() == pytest.approx(0.6 * force)
        assert len(stay) + len(moved) == len(pool)
        assert model.members.entries[DISSIDENTS] == int(np.floor(0.4 * members + 0.5))
        assert model.members.entries[[CLIENTS, DISSIDENTS]].sum() == members
        assert model.standing[DISSIDENTS]
        assert model.factions.entered_at[DISSIDENTS] == 1950 * 12 + 3
        assert model.factions.legitimacy[DISSIDENTS] == legitimacy
        war = model.factions.portfolio["war"]
        assert (war[CLIENTS], war[DISSIDENTS]) == pytest.approx((0.3, 0.2))
        assert model.factions.coalition_stale
        row = logged(model, "split")[-1]
        assert row[2] == DISSIDENTS and row[4].startswith(f"{len(moved)} cadres")

    def test_loyalty_moves_the_new_factions_mean(self, tmp_path):
        model = self.at_split(tmp_path, split(loyalty=0.5))
        exogenous.apply(model, "rift", model.spec.events["rift"])
        moved = model.cadres.faction == DISSIDENTS
        assert model.cadres.loyalty[moved].mean() == pytest.approx(0.5)

    def test_the_leader_never_moves(self, tmp_path):
        model = self.at_split(tmp_path, split(faction="core", share=0.9))
        exogenous.apply(model, "rift", model.spec.events["rift"])
        assert model.cadres.faction[model.leader.cadre] == CORE
        assert model.leader.faction == CORE

    def test_it_changes_the_run_and_the_run_stays_sound(self, tmp_path):
        plain = FactionModel(load_scenario(TINY), rng=6).run()
        rift = make(scenario_with(tmp_path, split()), seed=6).run()
        assert rift.recorder.series["active_cadres"][-1, DISSIDENTS] >= 0
        assert rift.recorder.series["active_cadres"][3, DISSIDENTS] > 0  # April 1950
        assert not np.array_equal(
            plain.recorder.series["active_cadres"][3], rift.recorder.series["active_cadres"][3, :3]
        )

    def test_disabled_nothing_is_allocated_bit_for_bit(self, tmp_path):
        path = scenario_with(tmp_path, split() + "enabled = false\n")
        assert load_scenario(path).faction_ids == ["core", "clients", "locals"]
        plain = FactionModel(load_scenario(TINY), rng=5).run()
        same = make(path, seed=5).run()
        np.testing.assert_array_equal(plain.recorder.table, same.recorder.table)
        assert plain.recorder.events == same.recorder.events

    def test_events_and_patterns_may_name_the_new_faction(self, tmp_path):
        text = (
            split()
            + event("arm", "arms_transfer", "1950-07", faction="dissidents", fraction=1.0)
            + '[[patterns]]\nkind = "survives"\nfaction = "dissidents"\n'
        )
        spec = load_scenario(scenario_with(tmp_path, text))
        assert spec.patterns[-1].faction == "dissidents"

    @pytest.mark.parametrize(
        ("text", "line", "found"),
        [
            (split(faction="clientz"), 5, "did you mean 'clients'"),
            (split(new_faction="locals"), 6, "declared in [factions]"),
            (split(share=1.0), 7, "less than 1"),
            (split() + split(date="1950-05").replace("rift", "rift2"), 12, "already born"),
            (
                split()
                + event("arm", "arms_transfer", "1950-02", faction="dissidents", fraction=1.0),
                9,
                "exists only from 1950-04",
            ),
            (
                split() + event("in", "faction_entry", "1950-06", faction="dissidents"),
                11,
                "born of a split",
            ),
        ],
    )
    def test_bad_splits_are_refused_with_the_line(self, tmp_path, text, line, found):
        path = scenario_with(tmp_path, text)
        with pytest.raises(ScenarioValidationError) as error:
            load_scenario(path)
        assert found in str(error.value)
        assert f"{path.name}:{line}" in str(error.value)


def test_a_scenario_with_every_new_kind_runs_from_the_cli(tmp_path):
    path = scenario_with(
        tmp_path,
        entry("1950-05"),
        event("exit", "leader_change", "1951-03", reason="death", successor="clients"),
        split("1950-08", faction="locals"),
    )
    out = tmp_path / "out"
    done = CliRunner().invoke(main, ["run", str(path), "-n", "2", "-j", "1", "-o", str(out)])
    assert done.exit_code == 0, done.output
    import pandas as pd

    events = pd.read_parquet(out / "events.parquet")
    assert set(events["kind"]) >= {"leader_change", "faction_entry", "split"}
    factions = pd.read_parquet(out / "factions.parquet")
    assert set(factions["faction"]) == {"core", "clients", "locals", "dissidents"}
    assert (events[events["kind"] == "leader_change"]["faction"] == "clients").all()
