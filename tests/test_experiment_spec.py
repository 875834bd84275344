"""Experiment files: shipped ones load; malformed ones give clear errors (file, line, hint)."""

from __future__ import annotations

from pathlib import Path

import pytest

from factions.errors import ExperimentError, ScenarioError
from factions.experiment import ExperimentValidationError, load_experiment

ROOT = Path(__file__).resolve().parents[1]
TINY = Path(__file__).parent / "data" / "tiny.toml"

BASE = f"""\
name = "tiny-sweep"
scenario = "{TINY}"
replicates = 3
seed = 7

[parameters]
"factions.clients.military" = [0.1, 0.6]
"mechanisms.purge.launch_rate" = [0.1, 0.3]

[design]
kind = "grid"

[outputs]
survival = ["1952-06"]
"""


def _line(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def _invalid(write_toml, text: str) -> ExperimentValidationError:
    with pytest.raises(ExperimentValidationError) as caught:
        load_experiment(write_toml(text, "exp.toml"))
    return caught.value


def _problem(error: ExperimentValidationError, path: str):
    found = [p for p in error.problems if p.path == path]
    assert found, f"no problem at {path!r}: {error.problems}"
    assert found[0].message in str(error)
    return found[0]


@pytest.mark.parametrize(
    "path", sorted((ROOT / "experiments").glob("*.toml")), ids=lambda p: p.stem
)
def test_shipped_experiments_are_valid(path):
    exp = load_experiment(path)
    assert exp.n_points >= 2 and exp.replicates >= 10
    assert len(exp.point_hashes) == exp.n_points
    assert exp.name == path.stem


def test_experiments_are_found_by_name():
    assert load_experiment("korea-grid-yanan").name == "korea-grid-yanan"
    with pytest.raises(ExperimentError, match="did you mean 'korea-grid-yanan'"):
        load_experiment("korea-grid-yanna")


def test_a_valid_file_resolves(write_toml):
    exp = load_experiment(write_toml(BASE, "exp.toml"))
    assert (exp.n_points, exp.replicates, exp.n_runs, exp.seed) == (4, 3, 12, 7)
    assert exp.scenario(3).factions["clients"].military == 0.6
    assert exp.scenario(3).mechanisms.purge.launch_rate == 0.3
    assert exp.run_id(2, 1) == 7 and exp.key(7) == (2, 1)
    assert load_experiment(write_toml(BASE, "exp.toml"), replicates=5).n_runs == 20


def test_unquoted_dotted_keys_mean_the_same(write_toml):
    text = BASE.replace('"factions.clients.military"', "factions.clients.military")
    text = text.replace('"mechanisms.purge.launch_rate"', "mechanisms.purge.launch_rate")
    a = load_experiment(write_toml(BASE, "a.toml"))
    b = load_experiment(write_toml(text, "b.toml"))
    assert a.design.hash == b.design.hash


def test_unknown_key_names_line_and_suggests(write_toml):
    text = BASE.replace('kind = "grid"', 'kind = "grid"\nkinds = 3')
    problem = _problem(_invalid(write_toml, text), "design.kinds")
    assert problem.line == _line(text, "kinds = 3")
    assert problem.hint == "did you mean 'kind'?"


def test_unknown_design_kind(write_toml):
    text = BASE.replace('kind = "grid"', 'kind = "gird"')
    problem = _problem(_invalid(write_toml, text), "design.kind")
    assert problem.value == "gird" and problem.hint == "did you mean 'grid'?"
    text = BASE.replace('kind = "grid"', 'kind = "factorial"')
    problem = _problem(_invalid(write_toml, text), "design.kind")
    assert problem.value == "factorial" and "sobol" in problem.hint


def test_missing_replicates(write_toml):
    text = BASE.replace("replicates = 3\n", "")
    problem = _problem(_invalid(write_toml, text), "replicates")
    assert problem.message == "required field is missing"


def test_grid_needs_levels_and_sobol_needs_ranges(write_toml):
    text = BASE.replace("[0.1, 0.3]", "{ min = 0.1, max = 0.3 }")
    problem = _problem(_invalid(write_toml, text), "parameters.mechanisms.purge.launch_rate")
    assert "list of levels" in problem.message
    assert problem.line == _line(text, "launch_rate")
    text = BASE.replace('kind = "grid"', 'kind = "sobol"\nsamples = 8')
    error = _invalid(write_toml, text)
    assert "range {min, max}" in _problem(error, "parameters.factions.clients.military").message


def test_sobol_samples_must_be_a_power_of_two(write_toml):
    text = BASE.replace("[0.1, 0.6]", "{ min = 0.1, max = 0.6 }")
    text = text.replace("[0.1, 0.3]", "{ min = 0.1, max = 0.3 }")
    text = text.replace('kind = "grid"', 'kind = "sobol"\nsamples = 12')
    problem = _problem(_invalid(write_toml, text), "design.samples")
    assert "power of two (e.g. 8 or 16)" in problem.message and problem.value == 12
    assert problem.line == _line(text, "samples = 12")


def test_range_min_must_be_below_max(write_toml):
    text = BASE.replace("[0.1, 0.6]", "{ min = 0.6, max = 0.1 }").replace("grid", "lhs")
    text = text.replace('kind = "lhs"', 'kind = "lhs"\nsamples = 4')
    text = text.replace("[0.1, 0.3]", "{ min = 0.1, max = 0.3 }")
    problem = _problem(_invalid(write_toml, text), "parameters.factions.clients.military")
    assert "min must be below max" in problem.message


def test_levels_are_of_one_kind(write_toml):
    text = BASE.replace("[0.1, 0.3]", '[0.1, "high"]')
    problem = _problem(_invalid(write_toml, text), "parameters.mechanisms.purge.launch_rate")
    assert problem.message == "levels of one parameter must be of one kind"
    assert "numbers and strings" in problem.hint


def test_zip_needs_equal_lengths(write_toml):
    text = BASE.replace('kind = "grid"', 'kind = "zip"').replace("[0.1, 0.3]", "[0.1, 0.2, 0.3]")
    problem = _problem(_invalid(write_toml, text), "parameters")
    assert "equal length" in problem.message


def test_unknown_parameter_path_suggests_the_key(write_toml):
    text = BASE.replace("factions.clients.military", "factions.clients.militray")
    problem = _problem(_invalid(write_toml, text), "parameters.factions.clients.militray")
    assert problem.message == "no such value in the scenario"
    assert problem.hint == "did you mean 'military'?"
    assert problem.line == _line(text, "militray")


def test_a_table_cannot_be_varied(write_toml):
    text = BASE.replace(
        '"factions.clients.military" = [0.1, 0.6]', '"factions.clients.loyalty" = [1, 2]'
    )
    problem = _problem(_invalid(write_toml, text), "parameters.factions.clients.loyalty")
    assert "table" in problem.message and "mean" in problem.hint


def test_an_invalid_level_is_blamed_with_its_points(write_toml):
    text = BASE.replace("[0.1, 0.3]", "[0.1, 1.5]")  # a rate above 1
    problem = _problem(_invalid(write_toml, text), "parameters.mechanisms.purge.launch_rate")
    assert problem.message.startswith("level 1.5 gives an invalid scenario")
    assert problem.message.endswith("(design points 1, 3)")
    assert problem.line == _line(text, "launch_rate") and "<= 1" in problem.hint


def test_a_point_invalid_elsewhere_is_named(write_toml):
    # an earlier horizon leaves later events outside the span: the problem is not at `end`
    text = BASE.replace(
        '"factions.clients.military" = [0.1, 0.6]', '"end" = ["1953-12", "1951-06"]'
    )
    problem = _problem(_invalid(write_toml, text), "design")
    assert problem.message.startswith("design point 2 (end='1951-06', ")
    assert "must lie within the scenario's span" in problem.message


def test_a_range_needs_a_numeric_value(write_toml):
    text = (
        BASE.replace('kind = "grid"', 'kind = "lhs"\nsamples = 4')
        .replace(
            '"factions.clients.military" = [0.1, 0.6]',
            '"events.war.enabled" = { min = 0, max = 1 }',
        )
        .replace("[0.1, 0.3]", "{ min = 0.1, max = 0.3 }")
    )
    problem = _problem(_invalid(write_toml, text), "parameters.events.war.enabled")
    assert "numeric" in problem.message


def test_integer_parameters_are_rounded(write_toml):
    text = (
        BASE.replace('kind = "grid"', 'kind = "lhs"\nsamples = 6')
        .replace(
            '"factions.clients.military" = [0.1, 0.6]',
            '"mechanisms.coalition.interval" = { min = 3, max = 12 }',
        )
        .replace("[0.1, 0.3]", "{ min = 0.1, max = 0.3 }")
    )
    exp = load_experiment(write_toml(text, "exp.toml"))
    values = [p["mechanisms.coalition.interval"] for p in exp.design.points]
    assert all(isinstance(v, int) and 3 <= v <= 12 for v in values)
    assert exp.scenario(0).mechanisms.coalition.interval == values[0]


def test_outputs_are_checked_against_the_scenario(write_toml):
    text = BASE.replace(
        'survival = ["1952-06"]', 'survival = ["1960-01"]\nfactions = ["core", "clinets"]'
    )
    error = _invalid(write_toml, text)
    assert _problem(error, "outputs.factions").hint == "did you mean 'clients'?"
    assert "outside the scenario's span" in _problem(error, "outputs.survival").message


def test_analysis_must_fit_the_design(write_toml):
    text = BASE + '\n[analysis]\nkind = "sobol"\n'
    problem = _problem(_invalid(write_toml, text), "analysis.kind")
    assert "needs a sobol design" in problem.message
    text = BASE + '\n[analysis]\nkind = "compare"\nbaseline = 9\n'
    assert _problem(_invalid(write_toml, text), "analysis.baseline").value == 9


def test_varied_and_overridden_is_refused(write_toml):
    text = BASE.replace(
        "[parameters]", '[overrides]\n"factions.clients.military" = 0.3\n\n[parameters]'
    )
    problem = _problem(_invalid(write_toml, text), "parameters.factions.clients.military")
    assert "overrides" in problem.message


def test_bad_overrides_are_scenario_errors(write_toml):
    text = BASE.replace(
        "[parameters]", '[overrides]\n"factions.clients.cadres" = -4\n\n[parameters]'
    )
    with pytest.raises(ScenarioError, match="set by override"):
        load_experiment(write_toml(text, "exp.toml"))


def test_csv_design(write_toml, tmp_path):
    (tmp_path / "points.csv").write_text(
        "factions.clients.military,events.war.enabled\n0.2,true\n0.9,false\n"
    )
    text = BASE.split("[parameters]")[0] + '[design]\nkind = "csv"\nfile = "points.csv"\n'
    exp = load_experiment(write_toml(text, "exp.toml"))
    assert exp.n_points == 2
    assert exp.scenario(1).events["war"].enabled is False
    with_params = BASE.replace('kind = "grid"', 'kind = "csv"\nfile = "points.csv"')
    assert "header" in _problem(_invalid(write_toml, with_params), "parameters").message


def test_unreadable_files(write_toml, tmp_path):
    with pytest.raises(ExperimentError, match="not valid TOML"):
        load_experiment(write_toml("name = \n", "broken.toml"))
    text = BASE.replace(str(TINY), "no-such-scenario")
    problem = _problem(_invalid(write_toml, text), "scenario")
    assert problem.line == _line(text, "no-such-scenario")
