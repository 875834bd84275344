"""Checks that validation can fail (factions.robustness) and the script that reports them."""

from __future__ import annotations

import importlib.util
import math
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from factions import robustness as rb
from factions.calendar import parse_month
from factions.ensemble import run_ensemble
from factions.errors import ExperimentError
from factions.results import Results
from factions.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "tests" / "data" / "tiny.toml"

#: tiny.toml with a pattern on each faction's survival (so the null's sums can be checked
#: exactly), one of each other timing kind, a membership pattern, and roles.
PATTERNS = """
[[patterns]]
kind = "survives"
faction = "core"
role = "calibration"

[[patterns]]
kind = "survives"
faction = "clients"
role = "held_out"

[[patterns]]
kind = "survives"
faction = "locals"

[[patterns]]
kind = "eliminated_first"
faction = "locals"
role = "held_out"

[[patterns]]
kind = "elimination_window"
faction = "clients"
earliest = "1951-01"
latest = "1953-12"

[[patterns]]
kind = "membership"
date = "1952-01"
members = 60000
tolerance = 0.3
role = "calibration"
"""


@pytest.fixture(scope="module")
def tiny_path(tmp_path_factory) -> Path:
    """tiny.toml with patterns, co-optation off (for the ablation test) and a faster purge."""
    text = TINY.read_text(encoding="utf-8").replace(
        "[mechanisms.purge]\n", "[mechanisms.cooptation]\nenabled = false\n\n[mechanisms.purge]\n"
    )
    path = tmp_path_factory.mktemp("robustness") / "tiny.toml"
    path.write_text(text + PATTERNS, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def tiny_scenario(tiny_path):
    return load_scenario(tiny_path)


@pytest.fixture(scope="module")
def tiny_results(tiny_scenario) -> Results:
    return run_ensemble(tiny_scenario, replicates=4, seed=5)


def outcomes_of(passed: dict[int, list[float]], ends: list[tuple[int, str, int, bool]]):
    """Hand-made outcomes: pass columns by pattern, end rows (replicate, faction, months, seen)."""
    frame = pd.DataFrame(passed, dtype=float)
    frame.index.name = "replicate"
    table = pd.DataFrame(ends, columns=["replicate", "faction", "duration", "observed"])
    return rb.Outcomes("hand", parse_month("1950-01"), frame, table)


# --------------------------------------------------------------------------- McNemar


def test_mcnemar_matches_a_hand_computation():
    # 8 pairs where b passes and a misses, 2 the other way, 5 ties: two-sided exact p-value
    # 2 * P(X <= 2 | n = 10, 1/2) = 2 * (1 + 10 + 45) / 1024.
    a = pd.Series([0] * 8 + [1] * 2 + [1] * 3 + [0] * 2, dtype=float)
    b = pd.Series([1] * 8 + [0] * 2 + [1] * 3 + [0] * 2, dtype=float)
    assert rb.mcnemar(a, b) == pytest.approx(112 / 1024)
    assert rb.mcnemar(b, a) == pytest.approx(112 / 1024)
    assert rb.mcnemar(a, a) == 1.0


def test_mcnemar_pairs_by_replicate_not_by_position():
    a = pd.Series([1.0, 0.0] * 5, index=range(10))
    b = pd.Series([1.0, 0.0] * 5, index=range(10)).iloc[::-1]  # same values, reversed order
    assert rb.mcnemar(a, b) == 1.0


# --------------------------------------------------------------------------- outcomes


def test_outcomes_follow_the_ensemble(tiny_results):
    o = rb.outcomes(tiny_results)
    assert list(o.passed.index) == [0, 1, 2, 3]
    assert list(o.passed.columns) == list(range(6))
    assert set(o.passed.stack().unique()) <= {0.0, 1.0}
    assert len(o.ends) == 4 * 3
    standing = ~tiny_results.factions.set_index(["run_id", "faction"])["eliminated"]
    assert o.passed[0].tolist() == standing.xs("core", level="faction").astype(float).tolist()


def test_kaplan_meier_median_by_hand():
    # clients: ends at 10 and 20, two censored at 48: S(10) = 3/4, S(20) = 1/2 -> median 20.
    # locals: one end of four -> S never reaches 1/2 -> not reached.
    ends = [
        (r, "clients", d, seen)
        for r, (d, seen) in enumerate([(10, True), (20, True), (48, False), (48, False)])
    ]
    ends += [(r, "locals", 48 if r else 5, r == 0) for r in range(4)]
    o = outcomes_of({0: [1, 1, 0, 0]}, ends)
    assert o.median_ends().to_dict() == {"clients": 20.0, "locals": math.inf}
    assert o.median_dates().to_dict() == {"clients": "1951-09", "locals": None}
    assert o.subset([0, 1]).median_ends()["clients"] == 10.0


# --------------------------------------------------------------------------- ablation


def test_ablation_switches_off_each_enabled_mechanism_and_nothing_else(tiny_path):
    base = load_scenario(tiny_path)
    ablated = rb.ablation_scenarios(tiny_path)
    off = {"cooptation", "inner_purge", "split"}  # off in tiny.toml and by default
    assert not off & set(ablated)
    assert set(ablated) == set(rb.switchable_mechanisms(base)) - off
    for mechanism, spec in ablated.items():
        assert not getattr(spec.mechanisms, mechanism).enabled
        changed = {
            name
            for name in rb.switchable_mechanisms(base)
            if getattr(spec.mechanisms, name) != getattr(base.mechanisms, name)
        }
        assert changed == {mechanism}
        assert spec.model_dump(exclude={"mechanisms"}) == base.model_dump(exclude={"mechanisms"})


def test_ablation_table_flags_large_and_significant_changes():
    base = outcomes_of({0: [1.0] * 20, 1: [0.0] * 20}, [])
    big = outcomes_of({0: [0.0] * 12 + [1.0] * 8, 1: [0.0] * 19 + [1.0]}, [])
    small = outcomes_of({0: [1.0] * 19 + [0.0], 1: [0.0] * 20}, [])
    table = rb.ablation_table(base, {"big": big, "small": small}, threshold=0.10, alpha=0.05)
    row = table.set_index(["mechanism", "pattern"])
    assert row.loc[("big", 0), "difference"] == pytest.approx(-0.6)
    assert row.loc[("big", 0), "large"] and row.loc[("big", 0), "significant"]
    assert row.loc[("big", 0), "p_value"] == pytest.approx(2 * 0.5**12)
    assert not row.loc[("big", 1), "large"]  # +5 points
    assert not row.loc[("small", 0), "large"] and not row.loc[("small", 0), "significant"]
    assert rb.inert_mechanisms(table) == ["small"]


def test_a_difference_of_exactly_the_threshold_is_large():
    # 0.71 - 0.61 is 0.0999... in floating point: still 10 points.
    base = outcomes_of({0: [1.0] * 71 + [0.0] * 29}, [])
    other = outcomes_of({0: [1.0] * 61 + [0.0] * 39}, [])
    assert rb.ablation_table(base, {"x": other}, threshold=0.10)["large"].item()
    assert not rb.ablation_table(base, {"x": other}, threshold=0.11)["large"].item()


# --------------------------------------------------------------------------- event dates


def test_shift_moves_date_and_end_and_keeps_the_duration(tiny_path):
    base = load_scenario(tiny_path)
    war = base.events["war"]
    for months in (-12, 3, 11):
        overrides = rb.shift_overrides(base, rb.Shift("war", months))
        moved = load_scenario(tiny_path, overrides).events["war"]
        assert parse_month(moved.date) == parse_month(war.date) + months
        duration = parse_month(moved.end) - parse_month(moved.date)
        assert duration == parse_month(war.end) - parse_month(war.date)


def test_shifts_outside_the_span_are_skipped_and_said(tiny_path):
    base = load_scenario(tiny_path)
    with pytest.raises(ExperimentError, match="its end 1954-06 is outside"):
        rb.shift_overrides(base, rb.Shift("war", 24))
    scenarios, skipped = rb.shifted_scenarios(tiny_path, shifts=(-12, 24))
    assert "war+24" in skipped and "war-12" in scenarios and "disarm-12" in skipped
    assert set(scenarios) | set(skipped) == {
        rb.Shift(key, m).key for key in base.events for m in (-12, 24)
    }
    for key, spec in scenarios.items():
        shift = rb.Shift.from_key(key)
        others = {k: e for k, e in spec.events.items() if k != shift.event}
        assert others == {k: e for k, e in base.events.items() if k != shift.event}


@given(
    event=st.text("abz09_-", max_size=20).map(lambda tail: "e" + tail),
    months=st.integers(-600, 600),
)
def test_shift_keys_round_trip(event, months):
    shift = rb.Shift(event, months)
    assert rb.Shift.from_key(shift.key) == shift


def test_shift_table_reports_medians_and_pass_rates():
    base_ends = [(r, "a", 10 * (r + 1), True) for r in range(4)]  # median 20
    later = [(r, "a", 10 * (r + 1) + 15, True) for r in range(4)]  # median 35
    base = outcomes_of({0: [1, 1, 1, 1]}, base_ends)
    shifted = outcomes_of({0: [1, 1, 1, 0]}, later)
    table = rb.shift_table(base, {"war+12": shifted}, months=12, threshold=0.5)
    row = table.set_index("outcome")
    assert (table["event"] == "war").all() and (table["shift"] == 12).all()
    assert row.loc["median:a", "difference"] == 15 and row.loc["median:a", "moved"]
    assert row.loc["pattern:0", "difference"] == -0.25 and not row.loc["pattern:0", "moved"]
    never = outcomes_of({0: [1, 1, 1, 1]}, [(r, "a", 48, False) for r in range(4)])
    table = rb.shift_table(base, {"war-12": never})
    assert table.set_index("outcome").loc["median:a", "moved"]  # reached -> not reached
    assert rb.moving_events(table)["moved"].tolist() == [["median:a"]]


# --------------------------------------------------------------------------- null model


def _ends_of_run(table: pd.DataFrame, run: int) -> Counter:
    """The multiset of (eliminated, date, duration) of one run."""
    rows = table[table["run_id"] == run][["eliminated", "eliminated_at", "duration_months"]]
    return Counter(map(tuple, rows.astype(str).to_numpy()))


def _factions_table(draw_times: list[list[int | None]]) -> pd.DataFrame:
    rows = []
    for run, times in enumerate(draw_times):
        for i, t in enumerate(times):
            rows.append(
                {
                    "run_id": run,
                    "faction": f"f{i}",
                    "eliminated": t is not None,
                    "eliminated_at": pd.NaT
                    if t is None
                    else pd.Timestamp(1950 + t // 12, t % 12 + 1, 1),
                    "duration_months": 48 if t is None else t,
                }
            )
    return pd.DataFrame(rows)


@st.composite
def end_times(draw) -> list[list[int | None]]:
    """Runs × factions of end months (None: standing at the horizon)."""
    factions = draw(st.integers(2, 6))
    end = st.one_of(st.none(), st.integers(0, 47))
    run = st.lists(end, min_size=factions, max_size=factions)
    return draw(st.lists(run, min_size=1, max_size=6))


@settings(max_examples=25, deadline=None)
@given(times=end_times(), seed=st.integers(0, 2**32 - 1))
def test_the_null_keeps_each_runs_times_and_factions(tiny_scenario, times, seed):
    table = _factions_table(times)
    results = Results(tiny_scenario, {"factions": table})
    shuffled = rb.permute_ends(results, np.random.default_rng(seed)).factions
    assert shuffled["run_id"].tolist() == table["run_id"].tolist()
    assert shuffled["faction"].tolist() == table["faction"].tolist()
    assert shuffled.dtypes.to_dict() == table.dtypes.to_dict()
    for run in table["run_id"].unique():
        assert _ends_of_run(shuffled, run) == _ends_of_run(table, run)


def test_the_null_deals_ends_to_other_factions():
    table = _factions_table([[1, 2, 3, None]] * 50)
    scenario = load_scenario(TINY)
    shuffled = rb.permute_ends(Results(scenario, {"factions": table}), np.random.default_rng(0))
    shuffled = shuffled.factions
    first = shuffled[shuffled["faction"] == "f0"]["duration_months"]
    assert first.nunique() == 4  # f0 got each of the four ends in some run


def test_null_outcomes_score_timing_patterns_only_and_keep_sums(tiny_results):
    model = rb.outcomes(tiny_results)
    null = rb.null_outcomes(tiny_results, draws=5, seed=1)
    assert list(null.passed.columns) == rb.timing_patterns(tiny_results.scenario) == [0, 1, 2, 3, 4]
    assert ((null.passed >= 0) & (null.passed <= 1)).all().all()
    # One survives-pattern per faction: the number of factions standing in a run is kept by
    # any shuffle, so the sums over those patterns agree replicate by replicate.
    survive = [0, 1, 2]
    pd.testing.assert_series_equal(
        null.passed[survive].sum(axis=1), model.passed[survive].sum(axis=1)
    )
    assert rb.null_outcomes(tiny_results, draws=5, seed=1).passed.equals(null.passed)
    table = rb.null_table(model, null)
    assert table["pattern"].tolist() == [0, 1, 2, 3, 4]
    assert np.allclose(table["difference"], table["model"] - table["null"])
    with pytest.raises(ValueError, match="draws"):
        rb.null_outcomes(tiny_results, draws=0)


# --------------------------------------------------------------------------- held-out patterns


def test_role_table_groups_patterns_by_declared_role(tiny_path):
    scenario = load_scenario(tiny_path)
    assert rb.pattern_roles(scenario) == {
        0: "calibration",
        1: "held_out",
        2: rb.UNDECLARED,
        3: "held_out",
        4: rb.UNDECLARED,
        5: "calibration",
    }
    o = outcomes_of({i: [1.0, float(i % 2)] for i in range(6)}, [])
    table = rb.role_table(scenario, o)
    assert table["role"].tolist() == ["calibration"] * 2 + ["held_out"] * 2 + [rb.UNDECLARED] * 2
    rates = table.set_index("pattern")["pass_rate"]
    assert rates[2] == 0.5 and rates[3] == 1.0
    summary = rb.role_summary(table).set_index("role")
    assert summary.loc["held_out", "patterns"] == 2 and summary.loc["held_out", "hold"] == 2
    assert summary.loc["calibration", "mean_pass_rate"] == pytest.approx(0.75)


def test_patterns_without_role_load_as_before():
    korea = load_scenario("ussr-1923")  # korea-1945 declares roles
    assert set(rb.pattern_roles(korea).values()) == {rb.UNDECLARED}


# --------------------------------------------------------------------------- transfer


def test_transfer_copies_exactly_the_mechanisms_section():
    korea, ussr = load_scenario("korea-1945"), load_scenario("ussr-1923")
    moved = rb.transferred_scenario("ussr-1923", "korea-1945")
    assert moved.mechanisms == korea.mechanisms
    assert moved.mechanisms != ussr.mechanisms
    assert moved.model_dump(exclude={"mechanisms"}) == ussr.model_dump(exclude={"mechanisms"})


def test_transfer_table_compares_own_and_transferred():
    own = outcomes_of({0: [1.0] * 10, 1: [0.0] * 10}, [])
    moved = outcomes_of({0: [0.0] * 10, 1: [0.0] * 10}, [])
    table = rb.transfer_table(own, moved).set_index("pattern")
    assert table.loc[0, "own"] == 1.0 and table.loc[0, "transferred"] == 0.0
    assert table.loc[0, "significant"] and not table.loc[1, "significant"]


# --------------------------------------------------------------------------- AES exclusion


def test_exclusion_table_by_hand():
    shares = {"leader": 0.3, "a": 0.40, "b": 0.35, "c": 0.25}
    table = rb.exclusion_table(shares, "leader", [0.45, 0.6]).set_index("leader_share")
    # 0.45: rivals 0.22 / 0.1925 / 0.1375. No self-enforcing winning coalition holds the leader
    # (issue 13's switch point); the unconstrained ruling coalition is the three rivals.
    assert table.loc[0.45, "coalition"] is None and table.loc[0.45, "excluded"] is None
    assert table.loc[0.45, "aes_coalition"] == ("a", "b", "c")
    assert table.loc[0.45, "share:a"] == pytest.approx(0.55 * 0.40)
    # 0.6: more than half the power: the leader's faction rules alone.
    assert table.loc[0.6, "coalition"] == ("leader",)
    assert table.loc[0.6, "excluded"] == ("a", "b", "c")
    assert table["generic"].all()
    # A leader's share of exactly alpha is a tie: the leader alone is exactly at the threshold.
    assert not rb.exclusion_table(shares, "leader", [0.5])["generic"].item()


def test_exclusion_table_partitions_the_factions():
    shares = {"k": 0.25, "d": 0.4, "y": 0.35, "s": 0.25}
    table = rb.exclusion_table(shares, "k", rb.leader_share_grid())
    assert len(table) == 11 and table["leader_share"].iloc[-1] == 0.7
    shares_of = table[["leader_share", "share:d", "share:y", "share:s"]].sum(axis=1)
    assert np.allclose(shares_of, 1.0)
    for row in table.itertuples():
        if row.coalition is not None:
            assert "k" in row.coalition
            assert sorted(row.coalition + row.excluded) == sorted(shares)


def test_exclusion_table_refuses_bad_input():
    with pytest.raises(ValueError, match="not among"):
        rb.exclusion_table({"a": 1.0, "b": 1.0}, "z", [0.5])
    with pytest.raises(ValueError, match=r"\(0, 1\)"):
        rb.exclusion_table({"a": 1.0, "b": 1.0}, "a", [1.0])


def test_initial_shares_are_the_first_months_power(tiny_results):
    shares = rb.initial_shares(tiny_results)
    assert list(shares.index) == tiny_results.scenario.faction_ids
    assert shares.sum() == pytest.approx(1.0)


# --------------------------------------------------------------------------- cache and script


def test_outcomes_round_trip_through_the_cache(tmp_path, tiny_results):
    model = rb.outcomes(tiny_results)
    null = rb.null_outcomes(tiny_results, draws=2)
    rb.save_outcomes(tmp_path / "c", {"baseline": {"model": model, "null": null}}, {"seed": 5})
    sets, meta = rb.load_outcomes(tmp_path / "c")
    assert meta == {"seed": 5}
    for key, original in (("model", model), ("null", null)):
        back = sets["baseline"][key]
        pd.testing.assert_frame_equal(back.passed, original.passed, check_dtype=False)
        pd.testing.assert_frame_equal(back.ends, original.ends, check_dtype=False)
        assert (back.scenario, back.start_month) == (original.scenario, original.start_month)
    with pytest.raises(ExperimentError, match="no cached outcomes"):
        rb.load_outcomes(tmp_path)


def _script():
    path = ROOT / "experiments" / "validation_report.py"
    spec = importlib.util.spec_from_file_location("validation_report", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_report_script_runs_and_redraws_from_its_cache(tmp_path, tiny_path, capsys):
    script = _script()
    common = [str(tiny_path), "--cache", str(tmp_path / "cache"), "--null-draws", "2"]
    common += ["--checks", "null", "held_out", "aes", "--replicates", "2"]
    assert script.main([*common, "--out", str(tmp_path / "t.md")]) == 0
    text = (tmp_path / "t.md").read_text()
    for title in ("# Validation tables: `tiny`", "### Null model", "### Held-out", "### AES"):
        assert title in text
    assert "wrote" in capsys.readouterr().out
    assert script.main([*common, "--from-cache", "--out", "-"]) == 0
    assert capsys.readouterr().out.strip() == text.strip()
    assert (
        script.main([str(tiny_path), "--from-cache", "--cache", str(tmp_path), "--out", "-"]) == 2
    )


@pytest.mark.slow
def test_report_script_runs_every_check(tmp_path, tiny_path):
    script = _script()
    args = [str(tiny_path), "--cache", str(tmp_path / "cache"), "--replicates", "3"]
    other = tmp_path / "other.toml"  # the same case with other mechanism values
    other.write_text(
        tiny_path.read_text().replace("established_share = 0.55", "established_share = 0.45")
    )
    args += ["--shift-replicates", "3", "--null-draws", "2", "--transfer-to", str(other)]
    assert script.main([*args, "--out", str(tmp_path / "t.md")]) == 0
    text = (tmp_path / "t.md").read_text()
    for title in ("### Ablation", "### Event dates", "### Transfer: ", "war+24"):
        assert title in text


def test_a_shift_that_leaves_a_pattern_without_its_congress_is_skipped_and_said(tmp_path):
    path = tmp_path / "seats.toml"
    path.write_text(
        f'extends = "{TINY}"\n'
        "[[patterns]]\n"
        'kind = "congress_seats"\n'
        'date = "1953-03"\n'
        'faction = "clients"\n'
        "seats = 5\n",
        encoding="utf-8",
    )
    base = load_scenario(path)
    congress = next(
        k for k, e in base.events.items() if e.kind == "congress" and e.date == "1953-03"
    )
    scenarios, skipped = rb.shifted_scenarios(path, shifts=(-12,))
    assert f"{congress}-12" not in scenarios
    assert "no congress is held in this month" in skipped[f"{congress}-12"]
