"""Fates of cadres and end causes of factions (issue 13): the vocabulary, the rule that picks a
faction's cause, its record by the model and in the tables, and the Aalen–Johansen cumulative
incidence by cause."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from factions import survival
from factions.calendar import month_timestamps
from factions.mechanisms import elimination
from factions.model import FactionModel
from factions.results import Results
from factions.scenario import load_scenario
from factions.scenario.load import scenario_from_document
from factions.state import NO_END, EndCause, Fate, Status, end_cause, fates
from factions.tables import END_CAUSE_NAMES, FATE_NAMES, run_tables

TINY = Path(__file__).parent / "data" / "tiny.toml"
CORE, CLIENTS, LOCALS = 0, 1, 2


def test_fates_from_status_and_faction():
    status = np.array(
        [
            Status.ACTIVE,
            Status.ACTIVE,
            Status.REHABILITATED,
            Status.ARRESTED,
            Status.EXECUTED,
            Status.DEMOTED,
            Status.EXILED,
            Status.EXECUTED,
        ],
        dtype=np.int8,
    )
    faction = np.array([1, 2, 1, 1, 1, 1, 1, 2])
    origin = np.ones(8, dtype=np.int64)
    expected = [
        Fate.STANDING,
        Fate.ABSORBED,
        Fate.STANDING,
        Fate.IMPRISONED,
        Fate.EXECUTED,
        Fate.DEMOTED,
        Fate.EXILED,
        Fate.EXECUTED,
    ]  # an absorbed cadre purged: executed
    assert fates(status, faction, origin).tolist() == expected


@pytest.mark.parametrize(
    ("cadre_fates", "cause"),
    [
        ([Fate.EXECUTED, Fate.DEMOTED, Fate.ABSORBED], EndCause.PURGED),
        ([Fate.IMPRISONED, Fate.EXILED, Fate.EXILED], EndCause.EXILED),
        ([Fate.ABSORBED, Fate.ABSORBED, Fate.EXILED, Fate.STANDING], EndCause.ABSORBED),
        ([Fate.EXECUTED, Fate.EXILED], EndCause.PURGED),  # tie: purged before exiled
        ([Fate.EXILED, Fate.ABSORBED], EndCause.EXILED),  # tie: exiled before absorbed
        ([Fate.STANDING, Fate.STANDING, Fate.STANDING, Fate.ABSORBED], EndCause.ABSORBED),
        ([Fate.STANDING], EndCause.ABSORBED),  # nobody left: dissolved into the others
        ([], EndCause.ABSORBED),
    ],
)
def test_end_cause_is_the_commonest_with_the_documented_tie_order(cadre_fates, cause):
    assert end_cause(np.array(cadre_fates, dtype=np.int8)) == cause


def make(overrides=None, seed: int = 0) -> FactionModel:
    return FactionModel(load_scenario(TINY, overrides=overrides), rng=seed, check_transitions=True)


def test_the_model_records_the_cause_at_elimination():
    model = make({"elimination.max_active_cadres": 0, "elimination.max_seats": 1000})
    c = model.cadres
    clients = np.flatnonzero((c.faction == CLIENTS) & c.in_office())
    locals_ = np.flatnonzero((c.faction == LOCALS) & c.in_office())
    model.set_status(clients[:-3], Status.ARRESTED)
    model.set_status(clients[-3:], Status.EXILED)
    c.move(locals_, CORE)  # every local co-opted into the leader's faction
    elimination.check(model)
    assert model.factions.end_cause.tolist() == [NO_END, EndCause.PURGED, EndCause.ABSORBED]
    table = run_tables(model, 0)["factions"]
    assert table["end_cause"].tolist() == [None, "purged", "absorbed"]
    fate = run_tables(model, 0)["cadres"].set_index("cadre")["fate"]
    assert set(fate[[c.label(i) for i in clients[:-3]]]) == {"imprisoned"}
    assert set(fate[[c.label(i) for i in locals_]]) == {"absorbed"}


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**31),
    launch=st.floats(0.0, 1.0),
    cooptation=st.floats(0.0, 0.2),
    exile=st.floats(0.0, 0.7),
)
def test_every_end_has_exactly_one_cause_and_the_standing_none(seed, launch, cooptation, exile):
    model = make(
        {
            "mechanisms.purge.launch_rate": launch,
            "mechanisms.cooptation.rate": cooptation,
            "mechanisms.cooptation.threshold": 0.3,
            "mechanisms.purge.exile": exile,
            "mechanisms.purge.execution": 0.2,
        },
        seed,
    ).run()
    table = run_tables(model, 0)["factions"]
    ended = table["eliminated"].to_numpy()
    causes = table["end_cause"]
    assert causes[ended].isin(END_CAUSE_NAMES).all()
    assert causes[~ended].isna().all()
    assert (model.factions.end_cause[~ended] == NO_END).all()
    assert run_tables(model, 0)["cadres"]["fate"].isin(FATE_NAMES).all()


# --------------------------------------------------------------------------- incidence


def results_with_causes(ends: list[tuple[int | None, str | None]]) -> Results:
    """Results of one faction 'b' over runs whose ends are (months after start, cause)."""
    spec = scenario_from_document(
        {
            "name": "tiny",
            "start": "2000-01",
            "end": "2000-12",
            "factions": {
                fid: {"label": fid, "cadres": 5, "loyalty": {"mean": 0.5}, "military": 0.5}
                | ({"notables": [{"name": "Boss"}]} if fid == "a" else {})
                for fid in ("a", "b")
            },
            "leader": {"faction": "a", "name": "Boss"},
            "committee": {"initial_seats": 4},
            "membership": {"initial": 100, "capacity": 500},
        }
    )
    rows = []
    for run, (offset, cause) in enumerate(ends):
        ended = offset is not None
        rows.append(
            {
                "run_id": run,
                "faction": "b",
                "eliminated": ended,
                "eliminated_at": month_timestamps([spec.start_month + offset])[0]
                if ended
                else pd.NaT,
                "duration_months": offset if ended else spec.n_months,
                "end_cause": cause,
            }
        )
    factions = pd.DataFrame(rows)
    return Results(spec, {"factions": factions, "runs": factions[["run_id"]]})


def test_cumulative_incidence_by_hand_with_censoring():
    results = results_with_causes([(2, "purged"), (3, "exiled"), (None, None), (5, "purged")])
    table = survival.cumulative_incidence(results, "b").set_index(["cause", "month"])
    # Aalen–Johansen: S(t-) * d_k(t) / at risk(t): purged 1/4 at 2, exiled 3/4 * 1/3 at 3,
    # purged 1/2 * 1/2 at 5; the censored run stays at risk to the horizon.
    assert table.loc[("purged", 1), "incidence"] == 0.0
    assert table.loc[("purged", 2), "incidence"] == pytest.approx(0.25)
    assert table.loc[("exiled", 3), "incidence"] == pytest.approx(0.25)
    assert table.loc[("purged", 5), "incidence"] == pytest.approx(0.5)
    assert table.loc[("purged", 12), "incidence"] == pytest.approx(0.5)
    assert (table.xs("absorbed")["incidence"] == 0).all()
    km = survival.kaplan_meier(results, "b")["b"].survival_function_at_times([5]).iloc[0]
    total = sum(table.loc[(cause, 5), "incidence"] for cause in END_CAUSE_NAMES)
    assert total == pytest.approx(1 - km)
    assert table.loc[("purged", 5), "ci_lower"] <= 0.5 <= table.loc[("purged", 5), "ci_upper"]


def test_cumulative_incidence_with_tied_months_and_no_censoring():
    ends = [(4, "purged")] * 3 + [(4, "absorbed")] * 2 + [(7, "purged")] * 5
    first = survival.cumulative_incidence(results_with_causes(ends), "b")
    again = survival.cumulative_incidence(results_with_causes(ends), "b")
    pd.testing.assert_frame_equal(first, again)  # the tie-breaking jitter is seeded
    table = first.set_index(["cause", "month"])
    assert table.loc[("purged", 4), "incidence"] == pytest.approx(0.3)
    assert table.loc[("absorbed", 4), "incidence"] == pytest.approx(0.2)
    assert table.loc[("purged", 7), "incidence"] == pytest.approx(0.8)
    assert table.loc[("purged", 3), "incidence"] == 0.0
    assert first["date"].iloc[4] == "2000-05"


def test_end_cause_panel_draws_one_line_per_cause_that_occurs():
    from matplotlib.figure import Figure

    from factions.plots import plot_end_causes

    results = results_with_causes([(2, "purged"), (3, "exiled"), (None, None), (5, "purged")])
    ax = Figure().subplots()
    plot_end_causes(results, ax)
    lines = [line for line in ax.get_lines() if not line.get_label().startswith("_")]
    assert [line.get_label() for line in lines] == ["b: purged", "b: exiled"]
    purged = lines[0]
    assert purged.get_ydata()[5] == pytest.approx(0.5) and purged.get_linestyle() == "-"


def test_end_cause_panel_says_so_when_no_faction_ended():
    """Without an end there is nothing to label: a note instead of an empty legend (matplotlib
    warns about one, and the default suite turns warnings into errors)."""
    from matplotlib.figure import Figure

    from factions.plots import plot_end_causes

    ax = Figure().subplots()
    plot_end_causes(results_with_causes([(None, None), (None, None)]), ax)
    assert ax.get_legend() is None
    assert [t.get_text() for t in ax.texts] == ["no faction ended in any run"]
