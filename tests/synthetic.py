"""Hand-made results tables for figure and analysis tests, independent of the model's dynamics.

:func:`synthetic_results` builds a :class:`~factions.results.Results` of the conftest minimal
scenario (two factions, one patron; extended here with a war label, a leader absence and
historical patterns) whose every number is known: the tests check what is drawn against it.
"""

from __future__ import annotations

import tomllib
from typing import Any

import numpy as np
import pandas as pd

from factions.calendar import month_timestamps, parse_month
from factions.results import Results
from factions.scenario.load import scenario_from_document

START, END = "1950-01", "1955-12"
N_MONTHS = 72
#: Blues fall in runs 0 and 1 (months since the start), never in runs 2 and 3.
BLUES_FALL = {0: 26, 1: 53}
SEATS = {"reds": 8, "blues": 4}  # every month of every run: shares 2/3 and 1/3
PRESENCE = (0.5, 0.2)  # the patron's presence before and from 1953-01
PRESENCE_CHANGE = "1953-01"
LABEL_WITH_DOLLARS = r"Blues $\undefinedcommand{x}$"  # invalid mathtext


def scenario_document(minimal_scenario: str, **changes: Any) -> dict[str, Any]:
    """The minimal scenario with a labelled war, a leader absence and historical patterns."""
    doc = tomllib.loads(minimal_scenario)
    doc["events"]["war"]["label"] = "The War"
    doc["events"]["war"]["note"] = "a long account of the war that must never be printed"
    doc["events"]["away"] = {"kind": "leader_absence", "date": "1954-06", "months": 3}
    doc["patterns"] += [
        {
            "kind": "elimination_window",
            "faction": "blues",
            "earliest": "1952-01",
            "latest": "1954-12",
            "historical": "1953-03",
        },
        {"kind": "congress_seats", "date": "1954-01", "faction": "reds", "seats": 9},
    ]
    for path, value in changes.items():
        *parents, key = path.split(".")
        node = doc
        for parent in parents:
            node = node[parent]
        node[key] = value
    return doc


def _dates(months: np.ndarray) -> np.ndarray:
    return month_timestamps(np.asarray(months)).to_numpy()


def synthetic_results(
    minimal_scenario: str,
    runs: int = 4,
    seed: int = 1,
    falls: dict[int, int] = BLUES_FALL,
    **changes: Any,
) -> Results:
    """Results whose tables are written by hand (see the module's constants).

    ``falls`` gives the month (since the start) the blues fall in each run that eliminates
    them; ``changes`` are dotted paths into the scenario document and their new values.
    """
    spec = scenario_from_document(scenario_document(minimal_scenario, **changes))
    start = parse_month(START)
    ids = list(range(runs))
    table_runs = pd.DataFrame(
        {"run_id": ids, "replicate": ids, "seed": [f"{seed}:{r}" for r in ids]}
    ).assign(scenario_hash=spec.hash)
    fall = {r: falls.get(r) for r in ids}
    factions = pd.DataFrame(
        [
            {
                "run_id": r,
                "faction": fid,
                "eliminated": fid == "blues" and fall[r] is not None,
                "eliminated_at": (
                    _dates([start + fall[r]])[0]
                    if fid == "blues" and fall[r] is not None
                    else pd.NaT
                ),
                "duration_months": (
                    fall[r] if fid == "blues" and fall[r] is not None else N_MONTHS
                ),
                "end_cause": "purged" if fid == "blues" and fall[r] is not None else None,
            }
            for r in ids
            for fid in spec.faction_ids
        ]
    )
    months = np.arange(start, start + N_MONTHS)
    presence = np.where(months < parse_month(PRESENCE_CHANGE), *PRESENCE)
    series = []
    for r in ids:
        for f, fid in enumerate(spec.faction_ids):
            series.append(
                pd.DataFrame(
                    {
                        "run_id": r,
                        "date": _dates(months),
                        "faction": fid,
                        "active_cadres": 10,
                        "seats": SEATS[fid],
                        "military": 1.0,
                        "loyalty": 0.5,
                        "power_share": 0.6 + 0.05 * r if f == 0 else 0.4 - 0.05 * r,
                        "members": 100,
                        "in_coalition": True,
                        "patron_presence": presence if fid == "blues" else np.nan,
                    }
                )
            )
    timeseries = pd.concat(series, ignore_index=True).sort_values(["run_id", "date"])
    events = pd.DataFrame(
        [
            # a cadre of the blues, rehabilitated into the leader's faction (the reds)
            (0, "1953-02", "rehabilitation", "reds", "Blue One", "returned to office"),
            (1, "1953-02", "rehabilitation", "reds", "Blue One", "returned to office"),
            (0, "1951-08", "purge_campaign", "blues", None, ""),
            (1, "1951-09", "purge_campaign", "blues", None, ""),
            (2, "1951-08", "purge_campaign", "blues", None, ""),
            (0, "1952-03", "elimination", "blues", None, ""),
            (3, "1954-01", "challenge", None, None, ""),
        ],
        columns=["run_id", "month", "kind", "faction", "cadre", "detail"],
    )
    events.insert(1, "date", _dates([parse_month(m) for m in events.pop("month")]))
    congresses = pd.DataFrame(
        [
            (r, _dates([parse_month("1954-01")])[0], "congress", fid, SEATS[fid], 1)
            for r in ids
            for fid in spec.faction_ids
        ],
        columns=["run_id", "date", "congress", "faction", "seats", "new_members"],
    )
    cadres = pd.DataFrame(
        [
            (r, name, origin, origin, start, None, "active", 0.5, 0.5, 0.1, 1.0, True)
            for r in ids
            for name, origin in (("Red One", "reds"), ("Red Two", "reds"), ("Blue One", "blues"))
        ],
        columns=[
            "run_id",
            "cadre",
            "faction",
            "final_faction",
            "entered",
            "left",
            "fate",
            "prominence",
            "initial_loyalty",
            "initial_military",
            "tie_strength",
            "initial_seat",
        ],
    )
    cadres["entered"] = _dates(cadres["entered"].to_numpy(dtype=np.int64))
    cadres["left"] = pd.NaT
    tables = {
        "runs": table_runs,
        "factions": factions,
        "timeseries": timeseries.reset_index(drop=True),
        "events": events,
        "congresses": congresses,
        "cadres": cadres,
    }
    return Results.from_tables(spec, tables, root_seed=seed)
