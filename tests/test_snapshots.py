"""Network snapshots of one run, as tables (factions.snapshots)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from factions.model import FactionModel
from factions.scenario import load_scenario
from factions.seeds import replicate_seed
from factions.snapshots import network_snapshots, snapshot_months
from factions.state import PURGED

TINY = Path(__file__).parent / "data" / "tiny.toml"


@pytest.fixture(scope="module")
def tiny():
    return load_scenario(str(TINY))


def test_default_snapshots_and_bad_years(tiny):
    months = snapshot_months(tiny)
    assert months[0][1].endswith("(start)") and months[-1][1].endswith("(end)")
    assert len(months) == 1 + 3 + 1  # start, Jan 1951-1953, end
    with pytest.raises(ValueError, match="1990"):
        snapshot_months(tiny, years=[1990])


def test_snapshots_are_the_runs_state_at_each_month(tiny):
    shots = network_snapshots(tiny, seed=1, years=[1950, 1952, 1954])
    assert shots.panels["month"].tolist() == ["1950-01", "1952-01", "1954-01"]
    model = FactionModel(tiny, rng=replicate_seed(1, 0))
    n = model.cadres.n
    assert len(shots.nodes) == 3 * n
    while model.month < 1952 * 12:
        model.step()
    middle = shots.nodes[shots.nodes["snapshot"] == 1]
    statuses = [s.name.lower() for s in PURGED]
    assert middle["purged"].tolist() == middle["status"].isin(statuses).tolist()
    assert (middle["faction"].to_numpy() == np.array(model.faction_ids)[model.cadres.faction]).all()
    assert middle["status"].tolist() == [model.network().nodes[i]["status"] for i in range(n)]
    assert (shots.edges["source"] < shots.edges["target"]).all()
    assert shots.edges["weight"].gt(0).all()
