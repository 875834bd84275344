"""The printed summary never lets a missed pattern read as meeting its threshold."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from factions.summary import MISS_NOTE, rate_digits, render


def summary_with(rate: float, required: float) -> dict:
    return {
        "scenario": "x",
        "runs": 200,
        "factions": [
            {
                "label": "A",
                "eliminated_share": 0.5,
                "first_share": 0.5,
                "median_elimination": None,
                "median_ci": [None, None],
                "historical": None,
                "end_causes": {"purged": 0.5, "exiled": 0.0, "absorbed": 0.0},
            }
        ],
        "most_common_order": {"order": "a", "share": 1.0},
        "challenges": {
            "challenges_per_run": 0.0,
            "runs_with_exactly_one": 0.0,
            "failure_share": None,
            "interventions_per_run": 0.0,
        },
        "patterns": [
            {
                "description": "survives: faction=a",
                "pass_rate": rate,
                "ci_low": 0.4,
                "ci_high": 0.6,
                "required": required,
                "holds": rate >= required,
            }
        ],
    }


def test_a_miss_just_below_the_threshold_shows_its_decimals():
    text = render(summary_with(0.495, 0.5))
    assert "MISS survives: faction=a: 49.5% [40%, 60%] (≥50%)" in text
    assert MISS_NOTE in text and "docs/validation.md" in text


def test_rates_far_from_the_threshold_stay_whole_and_no_note_when_all_hold():
    text = render(summary_with(0.62, 0.5))
    assert "ok   survives: faction=a: 62% [40%, 60%] (≥50%)" in text
    assert MISS_NOTE not in text


@given(k=st.integers(0, 2000), n=st.integers(1, 2000), required=st.integers(0, 100))
def test_the_printed_rate_is_on_the_same_side_of_the_threshold(k, n, required):
    rate, req = min(k, n) / n, required / 100
    digits = rate_digits(rate, req)
    shown = float(f"{rate * 100:.{digits}f}")
    assert (shown >= required) == (rate >= req)


def test_leaders_over_time_from_the_event_log():
    from types import SimpleNamespace

    import pandas as pd

    from factions.summary import leader_stats

    events = pd.DataFrame(
        {
            "run_id": [0, 0, 1, 1, 2],
            "date": pd.to_datetime(["1950-01", "1952-01", "1951-01", "1951-06", "1950-05"]),
            "kind": ["challenge_success", "leader_change", "challenge", "leader_change", "arrest"],
            "faction": ["b", "c", "b", "b", "a"],
        }
    )
    results = SimpleNamespace(
        events=events,
        runs=pd.DataFrame({"run_id": [0, 1, 2, 3]}),
        scenario=SimpleNamespace(leader=SimpleNamespace(faction="a")),
    )
    stats = leader_stats(results)
    assert stats["at_start"] == "a"
    assert stats["at_end"] == {"a": 0.5, "c": 0.25, "b": 0.25}
    assert stats["changes_per_run"] == 3 / 4
    line = render(summary_with(0.6, 0.5) | {"leaders": stats})
    assert "leaders: a at the start; at the end a 50%, c 25%, b 25%; 0.75 changes" in line
