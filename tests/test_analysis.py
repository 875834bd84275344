"""Ensemble tables the figures draw (factions.analysis); the patron presence the model records."""

from __future__ import annotations

import tomllib

import numpy as np
import pandas as pd
import pytest
from synthetic import PRESENCE, PRESENCE_CHANGE, synthetic_results

from factions import analysis
from factions.calendar import month_index, month_timestamps, parse_month
from factions.model import FactionModel
from factions.scenario.load import scenario_from_document
from factions.tables import run_tables


@pytest.fixture
def synthetic(minimal_scenario):
    return synthetic_results(minimal_scenario)


def test_month_index_inverts_month_timestamps_and_keeps_missing_dates():
    months = np.array([parse_month("1950-01"), parse_month("1961-12")])
    dates = pd.Series([*month_timestamps(months), pd.NaT])
    index = month_index(dates)
    assert index.iloc[:2].tolist() == months.tolist()
    assert index.isna().tolist() == [False, False, True]


def test_share_quantiles_of_constant_seats(synthetic):
    table = analysis.share_quantiles(synthetic, "seats").set_index("faction")
    assert table.loc["reds", "median"].to_numpy() == pytest.approx(2 / 3)
    assert table.loc["blues", ["low", "high"]].to_numpy() == pytest.approx(1 / 3)
    power = analysis.share_quantiles(synthetic, "power", band=(0.0, 1.0))
    reds = power[power["faction"] == "reds"].iloc[0]
    assert (reds["low"], reds["high"]) == pytest.approx((0.6, 0.75))
    with pytest.raises(ValueError, match="measure"):
        analysis.share_quantiles(synthetic, "members")


def test_declared_seat_shares_use_the_congress_size(synthetic):
    declared = analysis.declared_seat_shares(synthetic).set_index("faction")
    assert declared.loc["reds", "share"] == pytest.approx(9 / 12)
    assert declared.loc["reds", "tolerance"] == pytest.approx(3 / 12)


def test_historical_eliminations(synthetic):
    assert analysis.historical_eliminations(synthetic.scenario) == {"blues": "1953-03"}


def test_event_frequency_counts_runs_and_attributes_rehabilitations_to_the_origin(synthetic):
    freq = analysis.event_frequency(synthetic)
    assert freq["share"].between(0, 1).all()
    assert set(freq["kind"]) <= set(analysis.TIMELINE_KINDS)
    rehab = freq[freq["kind"] == "rehabilitation"]
    assert rehab["faction"].tolist() == ["blues"]  # logged for the reds, came from the blues
    assert rehab["share"].tolist() == [0.5]  # two runs of four
    purges = freq[freq["kind"] == "purge_campaign"]
    assert purges["share"].tolist() == [0.75]  # 1951-08 and 1951-09 share a three-month bin
    challenge = freq[freq["kind"] == "challenge"]
    assert challenge["faction"].isna().all()


def test_patron_presence_is_read_from_the_recorded_column(synthetic):
    presence = analysis.patron_presence(synthetic)
    assert list(presence.columns) == ["big"]
    change = month_timestamps(np.array([parse_month(PRESENCE_CHANGE)]))[0]
    assert set(presence["big"][presence.index < change]) == {PRESENCE[0]}
    assert set(presence["big"][presence.index >= change]) == {PRESENCE[1]}
    old = synthetic.timeseries.drop(columns="patron_presence")  # a folder from before
    synthetic.tables["timeseries"] = old
    assert analysis.patron_presence(synthetic).empty


def test_the_model_records_each_patrons_presence(minimal_scenario):
    doc = tomllib.loads(minimal_scenario)
    doc["events"]["leave"] = {
        "kind": "patron_presence",
        "date": "1952-03",
        "patron": "big",
        "level": 0.1,
        "over_months": 4,
    }
    model = FactionModel(scenario_from_document(doc), rng=3)
    seen = []
    while model.running:
        model.step()
        seen.append(model.presence.copy())
    assert model.recorder.presence == pytest.approx(np.array(seen))
    assert model.recorder.presence[:, 0].min() == pytest.approx(0.1)
    table = run_tables(model, 0)["timeseries"]
    blues = table[table["faction"] == "blues"]["patron_presence"].to_numpy()
    assert blues == pytest.approx(model.recorder.presence[:, 0])
    assert table[table["faction"] == "reds"]["patron_presence"].isna().all()  # no patron
