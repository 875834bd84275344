"""Figures of an ensemble (survival, shares, timeline), files, and the ``factions plot`` command.

The figures are drawn from hand-made tables (:mod:`synthetic`), so that what is drawn can be
checked number by number, whatever the model does.
"""

from __future__ import annotations

import ast
from pathlib import Path
from types import SimpleNamespace

import matplotlib
import numpy as np
import pytest
from click.testing import CliRunner
from matplotlib.collections import PolyCollection
from matplotlib.colors import to_hex, to_rgba
from matplotlib.figure import Figure
from matplotlib.image import imread
from synthetic import (
    BLUES_FALL,
    LABEL_WITH_DOLLARS,
    N_MONTHS,
    PRESENCE,
    SEATS,
    synthetic_results,
)

from factions import plots
from factions.analysis import TIMELINE_KINDS, share_quantiles
from factions.cli import main
from factions.errors import ExperimentError
from factions.plots.timeline import ABSENCE_SHADE, WAR_SHADE
from factions.results import Results

matplotlib.use("Agg")

MAGIC = {"png": b"\x89PNG", "pdf": b"%PDF", "svg": b"<?xml"}
PLOTS = Path(__file__).resolve().parents[1] / "factions" / "plots"


@pytest.fixture
def synthetic(minimal_scenario) -> Results:
    return synthetic_results(minimal_scenario)


def new_axes(rows: int = 1):
    return Figure(figsize=(8, 3 * rows), layout="constrained").subplots(rows, 1)


def written(path) -> bool:
    return path.is_file() and path.read_bytes().startswith(MAGIC[path.suffix[1:]])


def line_labelled(ax, label: str):
    return next(line for line in ax.get_lines() if line.get_label() == label)


# --------------------------------------------------------------------------- the package


def test_nothing_under_plots_imports_the_model():
    for path in PLOTS.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = [n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
        imported += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
        bad = [m for m in imported if m and m.startswith(("factions.model", "factions.mechanisms"))]
        assert not bad, f"{path.name} imports {bad}"


def test_public_names_are_re_exported():
    for name in plots.__all__:
        assert hasattr(plots, name), name
    assert {"plot_survival", "save_figure", "write_default_figures"} <= set(plots.__all__)


# --------------------------------------------------------------------------- colours


def test_each_faction_keeps_one_okabe_ito_colour(synthetic):
    colours = plots.faction_colours(synthetic.scenario)
    assert list(colours) == synthetic.scenario.faction_ids
    assert list(colours.values()) == list(plots.OKABE_ITO[: len(colours)])
    survival_ax = plots.plot_survival(synthetic, new_axes(), at_risk=False)
    shares_axes = plots.plot_shares(synthetic, new_axes(2))
    for ax in (survival_ax, *shares_axes):
        for fid, colour in colours.items():
            line = line_labelled(ax, synthetic.scenario.factions[fid].label)
            assert to_hex(line.get_color()) == to_hex(colour)


def test_fourteen_factions_get_fourteen_colours():
    spec = SimpleNamespace(faction_ids=[f"f{i}" for i in range(14)])
    assert len(set(plots.faction_colours(spec).values())) == 14


# --------------------------------------------------------------------------- survival


def test_survival_curve_steps_at_each_elimination(synthetic):
    ax = plots.plot_survival(synthetic, new_axes())
    blues = line_labelled(ax, "Blues")
    x, y = np.asarray(blues.get_xdata(), float), np.asarray(blues.get_ydata(), float)
    # four runs: one falls in month 26, one in month 53, two are censored at the horizon
    assert y[x < 26].max() == 1.0
    assert y[(x >= 26) & (x < 53)] == pytest.approx(0.75)
    assert y[x >= 53] == pytest.approx(0.5)
    reds = line_labelled(ax, "Reds")
    assert set(np.asarray(reds.get_ydata(), float)) == {1.0}


def test_survival_marks_history_censoring_and_runs_at_risk(synthetic):
    ax = plots.plot_survival(synthetic, new_axes())
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[:2] == ["Reds", "Blues"]
    assert "historical elimination" in labels and "censored at horizon" in labels
    diamonds = [line for line in ax.get_lines() if line.get_marker() == "D"]
    assert [float(d.get_xdata()[0]) for d in diamonds] == [38.0]  # 1953-03, from 1950-01
    assert [float(d.get_ydata()[0]) for d in diamonds] == [0.5]
    assert [t.get_text() for t in ax.get_xticklabels()][:2] == ["1950", "1951"]
    texts = [t.get_text() for t in ax.texts]
    assert "Runs at risk" in texts
    # at the ticks (months 0, 12, ..., 60): reds 4 at risk throughout; blues 4, 4, 4, 3, 3, 2
    assert texts.count("4") == 6 + 3 and texts.count("3") == 2 and texts.count("2") == 1
    assert "4 runs" in ax.get_title(loc="left")


# --------------------------------------------------------------------------- shares


def test_shares_plot_draws_the_quantiles(synthetic):
    axes = plots.plot_shares(synthetic, new_axes(2))
    assert len(axes) == 2 and axes[0].get_ylabel() != axes[1].get_ylabel()
    seats = line_labelled(axes[0], "Reds")
    assert set(np.round(np.asarray(seats.get_ydata(), float), 12)) == {round(2 / 3, 12)}
    assert len(seats.get_xdata()) == N_MONTHS + 1  # each month, and the end of the last
    power = line_labelled(axes[1], "Reds")
    expected = share_quantiles(synthetic, "power")
    median = expected[expected["faction"] == "reds"]["median"].iloc[0]
    assert np.asarray(power.get_ydata(), float)[0] == pytest.approx(median)
    diamonds = [c for c in axes[0].containers]  # the declared seat share, with its tolerance
    assert len(diamonds) == 1
    y = diamonds[0].lines[0].get_ydata()[0]
    assert y == pytest.approx(9 / 12)


def test_shares_plot_needs_one_axes_per_measure(synthetic):
    only_power = plots.plot_shares(synthetic, new_axes(), measures=("power",))
    assert len(only_power) == 1
    with pytest.raises(ValueError, match="need 2 axes"):
        plots.plot_shares(synthetic, new_axes())


# --------------------------------------------------------------------------- timeline


def spans(ax, colour: str) -> list:
    return [p for p in ax.patches if to_hex(p.get_facecolor()) == to_hex(to_rgba(colour))]


def test_timeline_rows_war_label_and_absence(synthetic):
    ax = plots.plot_timeline(synthetic, new_axes())
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == [k.replace("_", " ") for k in TIMELINE_KINDS] + ["Big Power presence"]
    texts = [t.get_text() for t in ax.texts]
    assert texts == ["The War"]  # the label, never the long note
    assert len(spans(ax, WAR_SHADE)) == 1 and len(spans(ax, ABSENCE_SHADE)) == 1
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "war" in legend and "leader absent" in legend


def test_a_war_without_a_label_is_labelled_by_its_kind(minimal_scenario):
    results = synthetic_results(minimal_scenario, **{"events.war.label": ""})
    ax = plots.plot_timeline(results, new_axes())
    assert [t.get_text() for t in ax.texts] == ["war"]


def test_timeline_draws_rehabilitations_in_the_lane_of_the_cadres_origin(synthetic):
    ax = plots.plot_timeline(synthetic, new_axes())
    row = TIMELINE_KINDS.index("rehabilitation")
    blues = to_hex(plots.faction_colours(synthetic.scenario)["blues"])
    dots = [
        c for c in ax.collections if len(c.get_offsets()) and abs(c.get_offsets()[0][1] - row) < 0.5
    ]
    assert len(dots) == 1
    assert to_hex(dots[0].get_facecolor()[0], keep_alpha=False) == blues
    # lanes: reds, blues, and events of no faction (the challenge): the blues' is the middle one
    assert dots[0].get_offsets()[0][1] == pytest.approx(row)


def test_timeline_presence_profile_is_the_recorded_presence(synthetic):
    ax = plots.plot_timeline(synthetic, new_axes())
    profile = next(c for c in ax.collections if isinstance(c, PolyCollection))
    depths = {round(float(v), 9) for v in profile.get_paths()[0].vertices[:, 1]}
    base = len(TIMELINE_KINDS) + 0.4
    assert {round(base - 0.8 * p, 9) for p in PRESENCE} <= depths
    no_presence = plots.plot_timeline(synthetic, new_axes(), presence=False)
    assert "Big Power presence" not in [t.get_text() for t in no_presence.get_yticklabels()]


# --------------------------------------------------------------------------- labels are text


def test_labels_with_dollars_are_text_not_mathtext(minimal_scenario, tmp_path):
    results = synthetic_results(
        minimal_scenario,
        **{
            "factions.blues.label": LABEL_WITH_DOLLARS,
            "patrons.big.label": "$$ power",
            "events.war.label": "war $1$ {",
        },
    )
    paths = plots.write_default_figures(results, tmp_path, formats=("png", "svg"))
    assert all(written(p) for p in paths)
    fig = plots.make_figure(results, "survival")
    fig.canvas.draw()  # mathtext would raise here
    legend = fig.axes[0].get_legend()
    shown = [t for t in legend.get_texts() if "undefinedcommand" in t.get_text()]
    assert len(shown) == 1 and not shown[0]._preprocess_math(shown[0].get_text())[1]
    assert plots.plain("a $b$") == r"a \$b\$"


def test_pattern_fit_with_a_dollar_in_a_description():
    import pandas as pd

    patterns = pd.DataFrame(
        {
            "description": ["costs $5 $\\alpha"],
            "required": [0.5],
            "first_population": [0.2],
            "last_population": [0.7],
        }
    )
    ax = plots.plot_pattern_fit(patterns, new_axes())
    ax.figure.canvas.draw()
    assert [p.get_width() for p in ax.patches] == pytest.approx([0.2, 0.7])


# --------------------------------------------------------------------------- files


def test_default_figures_of_a_scenario_without_history(minimal_scenario, tmp_path):
    results = synthetic_results(minimal_scenario, patterns=[])
    paths = plots.write_default_figures(results, tmp_path)
    assert [p.name for p in paths] == ["survival.png", "shares.png", "timeline.png"]
    for path, (_, size) in zip(paths, plots.FIGURES.values(), strict=True):
        assert written(path)
        height, width = imread(path).shape[:2]
        assert (width, height) == (round(size[0] * plots.DPI), round(size[1] * plots.DPI))


def test_write_default_figures_in_several_formats(synthetic, tmp_path):
    paths = plots.write_default_figures(synthetic, tmp_path / "figures", formats=("svg", "pdf"))
    assert [p.name for p in paths] == [
        f"{kind}.{fmt}" for kind in ("survival", "shares", "timeline") for fmt in ("svg", "pdf")
    ]
    assert all(written(p) for p in paths)
    assert "The War" in (tmp_path / "figures" / "timeline.svg").read_text()


def test_unknown_kind_and_format_are_refused(synthetic, tmp_path):
    with pytest.raises(ExperimentError, match="unknown figure"):
        plots.save_figure(synthetic, "network", tmp_path / "network.png")
    with pytest.raises(ExperimentError, match="must end in"):
        plots.save_figure(synthetic, "survival", tmp_path / "survival.jpg")
    with pytest.raises(ExperimentError, match="must end in"):
        plots.write_default_figures(synthetic, tmp_path, formats=("png", "gif"))
    assert not list(tmp_path.iterdir())


def test_survival_durations_match_the_synthetic_tables(synthetic):
    falls = synthetic.factions[synthetic.factions["eliminated"]]["duration_months"]
    assert sorted(falls) == sorted(BLUES_FALL.values())
    assert set(synthetic.congresses["seats"]) == set(SEATS.values())


# --------------------------------------------------------------------------- command line


def test_cli_kinds_are_the_figure_kinds():
    command = main.commands["plot"]
    kinds = [*plots.FIGURES, *plots.RERUN_FIGURES, *plots.COMPARISON_FIGURES]
    assert list(command.params[0].type.choices) == [*kinds, *plots.SWEEP_FIGURES]


@pytest.mark.parametrize("kind", ["survival", "shares", "timeline"])
def test_cli_plot_writes_the_default_file(results_folder, kind):
    result = CliRunner().invoke(main, ["plot", kind, str(results_folder)])
    assert result.exit_code == 0, result.output
    path = results_folder / "figures" / f"{kind}.png"
    assert written(path)
    size = plots.FIGURES[kind][1]
    assert imread(path).shape[1] == round(size[0] * plots.DPI)


def test_cli_plot_format_follows_the_suffix(results_folder, tmp_path):
    out = tmp_path / "deep" / "km.svg"
    result = CliRunner().invoke(main, ["plot", "survival", str(results_folder), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert written(out) and "Runs at risk" in out.read_text()


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
