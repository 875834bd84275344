"""The `set` event: a dated change of mechanism values, checked at load time like `--set`."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from factions import exogenous
from factions.cli import main
from factions.errors import ScenarioValidationError
from factions.mechanisms import power
from factions.model import FactionModel
from factions.scenario import load_scenario

TINY = Path(__file__).parent / "data" / "tiny.toml"


def scenario_with(tmp_path: Path, *events: str) -> Path:
    path = tmp_path / "dated.toml"
    path.write_text(f'extends = "{TINY}"\n' + "\n".join(events), encoding="utf-8")
    return path


def set_event(key: str, date: str, values: str) -> str:
    return f'[events.{key}]\ndate = "{date}"\nkind = "set"\nvalues = {{ {values} }}\n'


def months_until(model: FactionModel, date: str) -> None:
    while model.date() != date:
        model.step()


def test_values_change_in_the_month_of_the_event_and_compound(tmp_path):
    path = scenario_with(
        tmp_path,
        set_event("faster", "1951-06", '"mechanisms.purge.launch_rate" = 0.9'),
        set_event("harsher", "1952-01", '"mechanisms.purge.execution" = 0.6'),
    )
    model = FactionModel(load_scenario(path), rng=1)
    months_until(model, "1951-06")
    assert model.spec.mechanisms.purge.launch_rate == 0.2  # the scenario's own value
    model.step()  # 1951-06: the event applies
    assert model.spec.mechanisms.purge.launch_rate == 0.9
    months_until(model, "1952-01")
    model.step()
    purge = model.spec.mechanisms.purge
    assert (purge.launch_rate, purge.execution) == (0.9, 0.6)  # the earlier change holds
    logged = [e for e in model.recorder.events if e[1] == "set"]
    assert [e[4] for e in logged] == ["faster", "harsher"]


def test_power_weights_follow_a_dated_change(tmp_path):
    path = scenario_with(tmp_path, set_event("w", "1950-03", '"mechanisms.power.seats_weight" = 0'))
    model = FactionModel(load_scenario(path), rng=1)
    before = model.power_weights
    months_until(model, "1950-03")
    model.step()
    assert not np.array_equal(model.power_weights, before)
    assert model.spec.mechanisms.power.seats_weight == 0
    np.testing.assert_array_equal(
        model.power_weights, power.component_weights(model.spec.mechanisms.power)
    )


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_setting_a_value_to_what_it_is_changes_nothing(tmp_path_factory, seed):
    tmp_path = tmp_path_factory.mktemp("same")
    same = scenario_with(tmp_path, set_event("same", "1951-01", '"mechanisms.purge.spread" = 0.15'))
    plain = FactionModel(load_scenario(TINY), rng=seed).run()
    dated = FactionModel(load_scenario(same), rng=seed).run()
    np.testing.assert_array_equal(plain.recorder.table, dated.recorder.table)
    assert [e for e in dated.recorder.events if e[1] != "set"] == plain.recorder.events


def test_a_dated_change_changes_the_run(tmp_path):
    path = scenario_with(
        tmp_path, set_event("stop", "1950-02", '"mechanisms.purge.launch_rate" = 0.0')
    )
    stopped = FactionModel(load_scenario(path), rng=3).run()
    campaigns = [e for e in stopped.recorder.events if e[1] == "purge_campaign"]
    assert all(e[0] < 1950 * 12 + 1 for e in campaigns)  # none after the pace drops to zero


@pytest.mark.parametrize(
    ("values", "found"),
    [
        ('"mechanisms.purge.executon" = 0.5', "did you mean 'execution'"),
        ('"mechanisms.purg.execution" = 0.5', "did you mean 'purge'"),
        ('"mechanisms.purge.execution" = 1.5', "less than or equal to 1"),
        ('"mechanisms.purge.enabled" = false', "for the whole run"),
        ('"factions.core.military" = 0.5', "'mechanisms.<section>.<name>'"),
    ],
)
def test_a_bad_path_or_value_is_an_error_with_the_line(tmp_path, values, found):
    path = scenario_with(tmp_path, set_event("bad", "1951-01", values))
    with pytest.raises(ScenarioValidationError) as error:
        load_scenario(path)
    message = str(error.value)
    assert found in message
    assert f"{path.name}:5" in message  # the line of `values`
    done = CliRunner().invoke(main, ["scenarios", "check", str(path)])
    assert done.exit_code == 2


# --------------------------------------------------------------------------- expulsion


def expulsion_event(date: str, share: float, faction: str | None = None) -> str:
    line = f'faction = "{faction}"\n' if faction else ""
    return f'[events.cards]\ndate = "{date}"\nkind = "expulsion"\n{line}share = {share}\n'


def members_by_leaning(model: FactionModel) -> np.ndarray:
    m = model.members
    return np.bincount(m.leaning[m.alive], minlength=model.n_factions)


@pytest.mark.parametrize("faction", ["locals", None])
def test_an_expulsion_shrinks_the_members_it_names_and_no_others(tmp_path, faction):
    path = scenario_with(tmp_path, expulsion_event("1951-06", 0.5, faction))
    model = FactionModel(load_scenario(path), rng=2)
    months_until(model, "1951-06")
    before = members_by_leaning(model)
    exogenous.apply(model, "cards", model.spec.events["cards"])
    after = members_by_leaning(model)
    hit = [model.faction_index[faction]] if faction else list(range(model.n_factions))
    for f in range(model.n_factions):
        if f in hit:
            assert 0.3 * before[f] < before[f] - after[f] < 0.7 * before[f]  # about half
        else:
            assert after[f] == before[f]
    assert [e[1] for e in model.recorder.events][-1] == "expulsion"


def test_an_expulsion_needs_a_share_in_0_1_and_a_known_faction(tmp_path):
    for event, found in [
        (expulsion_event("1951-06", 0.0), "greater than 0"),
        (expulsion_event("1951-06", 1.5), "less than or equal to 1"),
        (expulsion_event("1951-06", 0.2, "lokals"), "did you mean 'locals'"),
    ]:
        with pytest.raises(ScenarioValidationError, match=found):
            load_scenario(scenario_with(tmp_path, event))
