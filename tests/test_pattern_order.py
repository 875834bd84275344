"""The `elimination_order` pattern and `factions validate --strict`."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from factions.cli import main
from factions.ensemble import run_ensemble
from factions.errors import ScenarioValidationError
from factions.scenario import load_scenario
from factions.scenario.patterns import EliminationOrder
from factions.validate import CHECKS

FACTIONS = ("a", "b", "c")


def results_with(ends: list[dict[str, int | None]]) -> SimpleNamespace:
    """A stand-in for Results whose factions table has one run per dict of end months (None:
    the faction survives)."""
    rows = [
        {
            "run_id": run,
            "faction": f,
            "eliminated": month is not None,
            "eliminated_at": pd.Timestamp(1950 + (month or 0) // 12, (month or 0) % 12 + 1, 1)
            if month is not None
            else pd.NaT,
        }
        for run, months in enumerate(ends)
        for f, month in months.items()
    ]
    return SimpleNamespace(factions=pd.DataFrame(rows))


def order_pattern(order: list[str], ties: bool = True) -> EliminationOrder:
    return EliminationOrder(kind="elimination_order", order=order, ties=ties)


def test_in_order_out_of_order_tied_and_survivor():
    runs = [
        {"a": 3, "b": 10, "c": 20},  # in order
        {"a": 10, "b": 3, "c": 20},  # b before a
        {"a": 5, "b": 5, "c": 20},  # a and b in the same month
        {"a": 3, "b": 10, "c": None},  # c survives
    ]
    check = CHECKS["elimination_order"]
    r = results_with(runs)
    assert check(r, order_pattern(["a", "b", "c"])).tolist() == [True, False, True, False]
    assert check(r, order_pattern(["a", "b", "c"], ties=False)).tolist() == [
        True,
        False,
        False,
        False,
    ]
    # factions not listed are ignored: only a before b matters
    assert check(r, order_pattern(["a", "b"])).tolist() == [True, False, True, True]


@given(st.lists(st.permutations(range(1, 4)), min_size=1, max_size=12))
def test_passes_exactly_when_the_months_rise_in_the_listed_order(permutations):
    runs = [dict(zip(FACTIONS, months, strict=True)) for months in permutations]
    passed = CHECKS["elimination_order"](results_with(runs), order_pattern(list(FACTIONS)))
    assert passed.tolist() == [list(m) == sorted(m) for m in permutations]


def test_a_faction_named_twice_or_alone_is_refused():
    with pytest.raises(ValidationError, match="more than once"):
        order_pattern(["a", "b", "a"])
    with pytest.raises(ValidationError):
        order_pattern(["a"])


def test_an_unknown_faction_in_the_order_is_refused_with_a_suggestion(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(
        'extends = "korea-1945"\n'
        "[[patterns]]\n"
        'kind = "elimination_order"\n'
        'order = ["domestic", "yanna"]\n',
        encoding="utf-8",
    )
    with pytest.raises(ScenarioValidationError) as error:
        load_scenario(path)
    message = str(error.value)
    assert "patterns" in message and "yanna" in message and "did you mean 'yanan'" in message


TINY = Path(__file__).parent / "data" / "tiny.toml"


def strict_scenario(tmp_path: Path, min_pass_rate: float) -> Path:
    """tiny.toml plus one order pattern that can never pass (the leader's faction, exempt from
    purges, never falls), required in no run (rate 0: holds) or in every run (rate 1: misses)."""
    path = tmp_path / f"s{min_pass_rate}.toml"
    path.write_text(
        f'extends = "{TINY}"\n'
        "[[patterns]]\n"
        'kind = "elimination_order"\n'
        'order = ["core", "locals"]\n'
        f"min_pass_rate = {min_pass_rate}\n",
        encoding="utf-8",
    )
    return path


@pytest.mark.parametrize(("rate", "status"), [(0.0, 0), (1.0, 1)])
def test_validate_strict_exits_1_only_when_a_pattern_misses(tmp_path, rate, status):
    path = strict_scenario(tmp_path, rate)
    args = ["validate", str(path), "-n", "4", "-j", "1"]
    done = CliRunner().invoke(main, [*args, "--strict"])
    assert done.exit_code == status, done.output
    assert "patterns hold" in done.output
    assert CliRunner().invoke(main, args).exit_code == 0  # without --strict: a report only


def test_the_pattern_scores_a_real_ensemble(tmp_path):
    spec = load_scenario(strict_scenario(tmp_path, 0.0))
    results = run_ensemble(spec, 4, seed=2, workers=1)
    passed = CHECKS["elimination_order"](results, spec.patterns[-1])
    assert len(passed) == 4 and not passed.any()  # the leader's faction is exempt: never falls
