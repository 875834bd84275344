"""Outputs chosen in an experiment file: computed per run, summarised per point with intervals,
checked at load time, printed in 80 columns."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from factions.errors import ExperimentValidationError
from factions.experiment import SweepResults, load_experiment, run_sweep
from factions.experiment.outputs import (
    catalogue,
    holding_interval,
    median_interval,
    output_names,
)
from factions.experiment.text import outputs_text
from factions.validate import score

DATA = Path(__file__).parent / "data"
PATTERNS = DATA / "tiny-patterns.toml"

EXPERIMENT = f"""\
name = "tiny-outputs"
scenario = "{PATTERNS}"
replicates = 5
seed = 4

[parameters]
"factions.clients.military" = [0.1, 0.8]

[outputs]
factions = ["clients"]
survival = ["1952-06"]
end_causes = true
patterns = ["the clients survive", 2]
patterns_holding = true
events = ["challenge", "purge_campaign"]
custom = {{ arrests = "my_outputs:arrests" }}
"""

CUSTOM = '''\
def arrests(results):
    """Arrests per run."""
    events = results.events
    per_run = events[events["kind"] == "arrest"].groupby("run_id").size()
    return per_run.reindex(results.runs["run_id"], fill_value=0)
'''


@pytest.fixture
def custom_module(tmp_path, monkeypatch) -> Path:
    (tmp_path / "my_outputs.py").write_text(CUSTOM, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path


def write(tmp_path: Path, text: str, name: str = "exp.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def swept(tmp_path, custom_module) -> SweepResults:
    return run_sweep(load_experiment(write(tmp_path, EXPERIMENT)), tmp_path / "store")


def test_outputs_per_point_agree_with_the_tables(swept):
    table = swept.outputs()
    names = [o.name for o in catalogue(swept.experiment)]
    assert output_names(table) == names
    assert names[:2] == ["survival_clients_1952-06", "median_elimination_clients"]
    per_run = swept.run_outputs()
    events = swept.tables["events"]
    for point in (0, 1):
        row = table.set_index("point").loc[point]
        results = swept.point(point)
        scored = score(results).set_index("pattern")
        assert row["pattern_1"] == pytest.approx(scored.loc[1, "pass_rate"])
        assert row["pattern_2"] == pytest.approx(scored.loc[2, "pass_rate"])
        assert row["patterns_holding"] == scored["holds"].sum()
        mine = events[events["point"] == point]
        arrests = (mine["kind"] == "arrest").sum() / row["runs"]
        assert row["custom_arrests"] == pytest.approx(arrests)
        challenges = (mine["kind"] == "challenge").sum() / row["runs"]
        assert row["events_challenge"] == pytest.approx(challenges)
        causes = sum(row[f"end_{c}_clients"] for c in ("purged", "exiled", "absorbed"))
        assert causes + row["censored_clients"] == pytest.approx(1.0)
        for name in names:
            assert row[f"{name}_low"] <= row[name] + 1e-12 or name == "patterns_holding"
            assert row[name] <= row[f"{name}_high"] + 1e-12 or name == "patterns_holding"
    assert len(per_run) == 10


def test_the_outputs_table_fits_80_columns_and_shows_dates(swept):
    text = outputs_text(swept.experiment, swept.outputs())
    assert max(len(line) for line in text.splitlines()) <= 80
    assert "pattern_1: pass rate: the clients survive (Wilson)" in text
    assert "events_challenge: 'challenge' events per run (Student t)" in text
    median = text.split("median_elimination_clients")[1].splitlines()[1]
    assert "195" in median and "[" in median  # a date with its interval


def test_status_prints_the_outputs(swept, factions_cli, custom_module):
    done = factions_cli("status", str(swept.folder), cwd=custom_module)
    assert done.returncode == 0, done.stderr
    assert "patterns_holding" in done.stdout
    assert max(len(line) for line in done.stdout.splitlines()) <= 80


@pytest.mark.parametrize(
    ("outputs", "message"),
    [
        ('patterns = ["the clients survives"]', "did you mean 'the clients survive'"),
        ("patterns = [7]", "no such pattern"),
        ('events = ["chalenge"]', "did you mean 'challenge'"),
        ('custom = { x = "no_such_module_here:f" }', "cannot import module"),
        ('custom = { x = "math:no_such_function" }', "has no function"),
        ('custom = { x = "os.system(1)" }', "custom.x"),
    ],
)
def test_unknown_outputs_are_errors_at_load_time(tmp_path, outputs, message):
    text = EXPERIMENT.split("[outputs]")[0] + f"[outputs]\n{outputs}\n"
    with pytest.raises(ExperimentValidationError, match=message) as info:
        load_experiment(write(tmp_path, text))
    assert "outputs." in str(info.value)


def test_a_bad_output_exits_2_naming_the_line(tmp_path, factions_cli):
    text = EXPERIMENT.split("[outputs]")[0] + '[outputs]\npatterns = ["nope"]\n'
    done = factions_cli("sweep", str(write(tmp_path, text)), "--out", str(tmp_path / "o"))
    assert done.returncode == 2
    assert ":10: outputs.patterns: no pattern has this description" in done.stderr
    assert "the leader's core survives" in done.stderr  # the patterns it could name
    assert not (tmp_path / "o").exists()


def test_patterns_holding_needs_patterns(tmp_path):
    text = EXPERIMENT.replace(str(PATTERNS), str(DATA / "tiny.toml"))
    text = text.split("[outputs]")[0] + "[outputs]\npatterns_holding = true\n"
    with pytest.raises(ExperimentValidationError, match="declares no patterns"):
        load_experiment(write(tmp_path, text))


@given(st.lists(st.integers(0, 100), min_size=1, max_size=60), st.sampled_from([0.8, 0.95]))
def test_the_median_interval_brackets_the_median(values, confidence):
    median, low, high = median_interval(np.array(values, float), confidence)
    assert min(values) <= low <= median <= high <= max(values)
    assert low in values and high in values


def test_the_median_interval_covers_at_its_level():
    rng = np.random.default_rng(0)
    hits = 0
    for _ in range(2000):
        _, low, high = median_interval(rng.exponential(size=25), 0.9)
        hits += low <= np.log(2) <= high
    assert 0.89 <= hits / 2000 <= 0.97  # conservative, as order statistics are


@given(st.integers(1, 30), st.integers(1, 4), st.integers(0, 2**32 - 1))
def test_patterns_holding_stays_within_the_patterns(runs, patterns, seed):
    rng = np.random.default_rng(seed)
    passed = rng.integers(0, 2, size=(runs, patterns)).astype(float)
    required = rng.uniform(size=patterns)
    value, low, high = holding_interval(passed, required, 0.95, 50, seed)
    assert 0 <= low <= high <= patterns
    assert value == (passed.mean(axis=0) >= required).sum()


def test_outputs_without_runs_are_missing():
    table = pd.DataFrame({"point": [0], "a": [1.0], "a_low": [0.5], "a_high": [2.0], "b": [1]})
    assert output_names(table) == ["a"]


def test_the_documented_custom_output_example_runs(tmp_path, monkeypatch):
    """docs/experiments.md's custom output module, as printed there, computes arrests."""
    docs = (Path(__file__).parents[1] / "docs" / "experiments.md").read_text(encoding="utf-8")
    code = docs.split("```python\n# my_outputs.py\n")[1].split("```")[0]
    (tmp_path / "my_outputs.py").write_text(textwrap.dedent(code), encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    exp = load_experiment(write(tmp_path, EXPERIMENT))
    assert any(o.name == "custom_arrests" for o in catalogue(exp))


def test_every_experiment_file_is_packaged():
    """pyproject.toml ships each experiments/*.toml in the wheel (found by name after install)."""
    import tomllib

    root = Path(__file__).parents[1]
    pyproject = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    shipped = pyproject["tool"]["hatch"]["build"]["targets"]["wheel"]["force-include"]
    for path in sorted((root / "experiments").glob("*.toml")):
        key = f"experiments/{path.name}"
        assert shipped.get(key) == f"factions/experiments/{path.name}", f"{key} not packaged"


def test_a_bundled_experiment_is_found_from_any_folder(tmp_path, monkeypatch):
    from factions.experiment.spec import locate_experiment

    monkeypatch.chdir(tmp_path)
    assert locate_experiment("korea-grid-yanan").name == "korea-grid-yanan.toml"
    with pytest.raises(Exception, match="did you mean 'korea-grid-yanan'"):
        locate_experiment("korea-grid-yanann")
