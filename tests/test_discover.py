"""Scenario discovery: the --where parser, PRIM on a known box, and the commands end to end."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from factions.discover import OPERATORS, Condition, discover, parse_condition
from factions.errors import ExperimentError

pytest.importorskip("ema_workbench")

TINY = Path(__file__).parent / "data" / "tiny.toml"

names = st.from_regex(r"[A-Za-z_][A-Za-z0-9_.\-]{0,30}", fullmatch=True)
numbers = st.floats(allow_nan=False, allow_infinity=False, width=32)


@given(names, st.sampled_from(list(OPERATORS)), numbers, st.sampled_from(["", " ", "  "]))
def test_a_condition_reads_back_what_was_written(name, op, value, space):
    condition = parse_condition(f"{space}{name}{space}{op}{space}{value!r}{space}")
    assert condition == Condition(name, op, float(repr(value)))
    assert parse_condition(str(condition)).op == op


@given(st.text(max_size=40))
def test_any_text_is_a_condition_or_a_clear_error(text):
    try:
        condition = parse_condition(text)
    except ExperimentError as exc:
        assert "OUTPUT OP NUMBER" in str(exc)
    else:
        assert condition.op in OPERATORS


@pytest.mark.parametrize(
    "text",
    ["x >= __import__('os')", "x >= 1; y", "x => 1", "x >= ", ">= 1", "x >= 1 2", "x = 1"],
)
def test_expressions_are_refused(text):
    with pytest.raises(ExperimentError, match="OUTPUT OP NUMBER"):
        parse_condition(text)


def _points(n: int = 300) -> pd.DataFrame:
    """Points of interest exactly where a < 0.3 and b > 0.6; c does nothing."""
    rng = np.random.default_rng(1)
    x = rng.uniform(size=(n, 3))
    y = ((x[:, 0] < 0.3) & (x[:, 1] > 0.6)).astype(float)
    return pd.DataFrame({"a": x[:, 0], "b": x[:, 1], "c": x[:, 2], "y": y, "y_low": y, "y_high": y})


def test_prim_finds_a_known_box():
    found = discover(_points(), ["a", "b", "c"], "y >= 1", threshold=0.9, boxes=1)
    box = found.boxes.iloc[0]
    assert box["coverage"] > 0.8 and box["density"] > 0.9
    limits = found.limits.set_index("parameter")
    assert limits.loc["a", "high"] == pytest.approx(0.3, abs=0.05)
    assert limits.loc["b", "low"] == pytest.approx(0.6, abs=0.05)
    assert not limits.loc["c", "restricted"]
    assert found.trajectory["chosen"].sum() == 1


def test_discovery_refuses_what_it_cannot_tell_apart():
    with pytest.raises(ExperimentError, match="no design point has y >= 2"):
        discover(_points(), ["a", "b"], "y >= 2")
    with pytest.raises(ExperimentError, match="every design point"):
        discover(_points(), ["a", "b"], "y >= 0")
    with pytest.raises(ExperimentError, match="did you mean 'y'"):
        discover(_points(), ["a", "b"], "yy >= 0")


def test_discovery_figures_draw_from_the_tables():
    from matplotlib.figure import Figure

    from factions.plots import discovery_figure

    found = discover(_points(), ["a", "b", "c"], "y >= 1", boxes=2)
    axes = discovery_figure(found.trajectory, found.limits, "t", Figure())
    assert len(axes) == 2 and axes[0].get_xlabel().startswith("Coverage")
    assert len(axes[1].get_yticklabels()) == 3


EXPERIMENT = f"""\
name = "tiny-discover"
scenario = "{TINY}"
replicates = 3
seed = 2

[parameters]
"factions.clients.military" = {{ min = 0.05, max = 1.5 }}
"factions.clients.loyalty.mean" = {{ min = 0.1, max = 0.9 }}

[design]
kind = "lhs"
samples = 12

[outputs]
factions = ["clients"]
survival = ["1953-06"]
"""


def test_discover_and_its_figure_end_to_end(tmp_path, factions_cli):
    exp = tmp_path / "exp.toml"
    exp.write_text(EXPERIMENT, encoding="utf-8")
    out = tmp_path / "store"
    done = factions_cli("sweep", str(exp), "--workers", "1", "--out", str(out))
    assert done.returncode == 0, done.stderr
    table = pd.read_parquet(out / "analysis" / "outputs.parquet")
    values = np.sort(table["survival_clients_1953-06"].unique())
    assert len(values) > 1, "the tiny sweep must give both kinds of points"
    where = f"survival_clients_1953-06 >= {values[len(values) // 2]}"
    done = factions_cli("discover", str(out), "--where", where)
    assert done.returncode == 0, done.stderr
    assert "box 1: coverage" in done.stdout and "density" in done.stdout
    assert max(len(line) for line in done.stdout.splitlines()) <= 80
    figure = tmp_path / "discovery.png"
    done = factions_cli("plot", "discovery", str(out), "--where", where, "-o", str(figure))
    assert done.returncode == 0, done.stderr
    assert figure.stat().st_size > 10_000
    bad = factions_cli("discover", str(out), "--where", "survival_clients >= 0.5")
    assert bad.returncode == 2 and "did you mean" in bad.stderr
    bad = factions_cli("plot", "discovery", str(out))
    assert bad.returncode == 2 and "--where" in bad.stderr
