"""Figures and the ``factions plot`` command."""

from __future__ import annotations

import tomllib
from types import SimpleNamespace

import matplotlib
import numpy as np
import pytest
from click.testing import CliRunner
from matplotlib.colors import to_hex
from matplotlib.figure import Figure

from factions import plots
from factions.cli import main
from factions.ensemble import run_ensemble
from factions.errors import ExperimentError
from factions.model import FactionModel
from factions.results import Results
from factions.scenario.load import validate

matplotlib.use("Agg")

MAGIC = {"png": b"\x89PNG", "pdf": b"%PDF", "svg": b"<?xml"}


@pytest.fixture
def mini(minimal_scenario) -> Results:
    """Two factions, one patron, a war, no historical dates (the conftest minimal scenario)."""
    return run_ensemble(validate(tomllib.loads(minimal_scenario)), replicates=3, seed=1)


def new_axes(rows: int = 1):
    return Figure(figsize=(8, 3 * rows), layout="constrained").subplots(rows, 1)


def written(path) -> bool:
    return path.is_file() and path.read_bytes().startswith(MAGIC[path.suffix[1:]])


# --------------------------------------------------------------------------- colours


def test_each_faction_keeps_one_okabe_ito_colour(korea):
    colours = plots.faction_colours(korea.scenario)
    assert list(colours) == korea.scenario.faction_ids
    assert list(colours.values()) == list(plots.OKABE_ITO[: len(colours)])
    survival_ax = plots.plot_survival(korea, new_axes(), at_risk=False)
    shares_axes = plots.plot_shares(korea, new_axes(2))
    for ax in (survival_ax, *shares_axes):
        by_label = {line.get_label(): to_hex(line.get_color()) for line in ax.get_lines()}
        for fid, colour in colours.items():
            assert by_label[korea.scenario.factions[fid].label] == to_hex(colour)


def test_fourteen_factions_get_fourteen_colours():
    spec = SimpleNamespace(faction_ids=[f"f{i}" for i in range(14)])
    assert len(set(plots.faction_colours(spec).values())) == 14


# --------------------------------------------------------------------------- figures


def test_survival_plot_marks_history_and_censoring(korea):
    ax = plots.plot_survival(korea, new_axes())
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "historical elimination" in labels and "censored at horizon" in labels
    historical = plots.historical_eliminations(korea.scenario)
    diamonds = [line for line in ax.get_lines() if line.get_marker() == "D"]
    assert len(diamonds) == len(historical) == 3
    start = korea.scenario.start_month
    expected = {int(m[:4]) * 12 + int(m[5:]) - 1 - start for m in historical.values()}
    assert {int(line.get_xdata()[0]) for line in diamonds} == expected
    tick_years = [t.get_text() for t in ax.get_xticklabels()]
    assert tick_years[0] == "1946" and all(len(y) == 4 for y in tick_years)
    assert any(t.get_text() == "Runs at risk" for t in ax.texts)


def test_share_quantiles_are_shares(korea):
    for measure in ("seats", "power"):
        table = plots.share_quantiles(korea, measure)
        values = table[["low", "median", "high"]].to_numpy()
        assert np.nanmin(values) >= 0 and np.nanmax(values) <= 1 + 1e-9
        assert (table["low"] <= table["median"] + 1e-12).all()
    with pytest.raises(ValueError, match="measure"):
        plots.share_quantiles(korea, "members")


def test_declared_seat_shares_use_the_congress_size(korea):
    declared = plots.declared_seat_shares(korea).set_index("faction")
    assert declared.loc["soviet", "share"] == pytest.approx(14 / 67)
    assert declared.loc["yanan", "tolerance"] == pytest.approx(3 / 67)


def test_shares_plot_has_one_panel_per_measure(korea):
    axes = plots.plot_shares(korea, new_axes(2))
    assert len(axes) == 2
    assert axes[0].get_ylabel() != axes[1].get_ylabel()
    only_power = plots.plot_shares(korea, new_axes(), measures=("power",))
    assert len(only_power) == 1
    with pytest.raises(ValueError, match="need 2 axes"):
        plots.plot_shares(korea, new_axes())


def test_patron_presence_matches_the_model(korea):
    spec = korea.scenario
    presence = plots.patron_presence(spec)
    model = FactionModel(spec, rng=np.random.SeedSequence(0))
    for month in range(spec.n_months):
        model.step()
        expected = presence.iloc[month].to_numpy()
        assert model.presence == pytest.approx(expected), presence.index[month]


def test_timeline_rows_and_war(korea):
    ax = plots.plot_timeline(korea, new_axes())
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[: len(plots.TIMELINE_KINDS)] == [
        k.replace("_", " ") for k in plots.TIMELINE_KINDS
    ]
    assert "Soviet Union presence" in labels and "China presence" in labels
    assert any(t.get_text() == "Korean War" for t in ax.texts)
    freq = plots.event_frequency(korea)
    assert freq["share"].between(0, 1).all()
    assert set(freq["kind"]) <= set(plots.TIMELINE_KINDS)


def test_figures_of_a_scenario_without_history(mini, tmp_path):
    paths = plots.write_default_figures(mini, tmp_path)
    assert [p.name for p in paths] == ["survival.png", "shares.png", "timeline.png"]
    assert all(written(p) and p.stat().st_size > 5000 for p in paths)


def test_write_default_figures_in_several_formats(mini, tmp_path):
    paths = plots.write_default_figures(mini, tmp_path / "figures", formats=("svg", "pdf"))
    assert [p.name for p in paths] == [
        f"{kind}.{fmt}" for kind in ("survival", "shares", "timeline") for fmt in ("svg", "pdf")
    ]
    assert all(written(p) and p.stat().st_size > 5000 for p in paths)


def test_unknown_kind_and_format_are_refused(korea, tmp_path):
    with pytest.raises(ExperimentError, match="unknown figure"):
        plots.save_figure(korea, "network", tmp_path / "network.png")
    with pytest.raises(ExperimentError, match="must end in"):
        plots.save_figure(korea, "survival", tmp_path / "survival.jpg")
    with pytest.raises(ExperimentError, match="must end in"):
        plots.write_default_figures(korea, tmp_path, formats=("png", "gif"))
    assert not list(tmp_path.iterdir())


# --------------------------------------------------------------------------- command line


def test_cli_kinds_are_the_figure_kinds():
    command = main.commands["plot"]
    kinds = [*plots.FIGURES, *plots.RERUN_FIGURES, *plots.COMPARISON_FIGURES]
    assert list(command.params[0].type.choices) == [*kinds, *plots.SWEEP_FIGURES]


@pytest.mark.parametrize("kind", ["survival", "shares", "timeline"])
def test_cli_plot_writes_the_default_file(results_folder, kind):
    result = CliRunner().invoke(main, ["plot", kind, str(results_folder)])
    assert result.exit_code == 0, result.output
    assert written(results_folder / "figures" / f"{kind}.png")


def test_cli_plot_format_follows_the_suffix(results_folder, tmp_path):
    out = tmp_path / "deep" / "km.svg"
    result = CliRunner().invoke(main, ["plot", "survival", str(results_folder), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert written(out)


@pytest.mark.parametrize(
    "args, message",
    [
        (["plot", "survival", "{tmp}/missing"], "not a results folder"),
        (["plot", "pie", "{folder}"], "Invalid value"),
        (["plot", "survival", "{folder}", "--out", "{tmp}/x.jpg"], "must end in"),
    ],
)
def test_cli_plot_errors_exit_2_without_traceback(results_folder, tmp_path, args, message):
    args = [a.format(tmp=tmp_path, folder=results_folder) for a in args]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit)
