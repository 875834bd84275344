"""Figures 4-7: sweep heatmap, sensitivity indices, network filmstrip, counterfactual.

Each is drawn from hand-made tables, so that what is drawn is checked against known numbers.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from matplotlib.image import imread
from synthetic import synthetic_results

from factions import plots
from factions.ensemble import run_ensemble
from factions.scenario import load_scenario
from factions.snapshots import NetworkSnapshots

matplotlib.use("Agg")

TINY = Path(__file__).parent / "data" / "tiny.toml"
X, Y = "factions.clients.military", "factions.clients.loyalty.mean"


@pytest.fixture(scope="module")
def tiny():
    return load_scenario(str(TINY))


def png(fig: Figure, path: Path) -> Path:
    fig.savefig(path, dpi=60)
    return path


def is_png(path: Path) -> bool:
    return path.read_bytes().startswith(b"\x89PNG") and imread(path).ndim == 3


def new_axes(size=(6.0, 4.0)):
    return Figure(figsize=size, layout="constrained").subplots()


# --------------------------------------------------------------------------- sweep heatmap


def grid_outputs() -> pd.DataFrame:
    xs, ys = np.meshgrid([0.1, 1.0, 3.0], [0.2, 0.5, 0.8])
    return pd.DataFrame(
        {
            "point": range(9),
            X: xs.ravel(),
            Y: ys.ravel(),
            "runs": 4,
            "survival_clients_1952-12": np.linspace(0, 1, 9),
            "median_elimination_clients": np.arange(9.0) * 5,
        }
    )


@pytest.mark.parametrize("output", ["survival_clients_1952-12", "median_elimination_clients"])
def test_sweep_heatmap_from_an_outputs_table(tmp_path, output):
    ax = plots.plot_sweep_heatmap(grid_outputs(), X, Y, output, ax=new_axes())
    image = ax.images[0].get_array()
    assert image.shape == (3, 3)
    assert image[0, 0] == grid_outputs()[output].iloc[0]  # origin lower: first y, first x
    assert len(ax.texts) == 9
    assert ax.get_xlabel() == X and ax.get_ylabel() == Y
    assert len(ax.figure.axes) == 2  # the colourbar
    assert is_png(png(ax.figure, tmp_path / "heat.png"))


def test_sweep_heatmap_from_sweep_results(tmp_path, tiny):
    from factions.experiment import grid, sweep

    results = sweep(tiny, grid({X: [0.1, 2.0], Y: [0.2, 0.8]}), replicates=2, seed=1, workers=1)
    ax = plots.plot_sweep_heatmap(results, X, Y, "median_elimination_clients", ax=new_axes())
    assert ax.images[0].get_array().shape == (2, 2)
    assert is_png(png(ax.figure, tmp_path / "heat.png"))


def test_sweep_heatmap_in_dates_marks_censored_runs():
    table = grid_outputs().assign(censored_clients=np.linspace(0, 0.8, 9))
    table.loc[8, "median_elimination_clients"] = 48.0  # the horizon: not reached
    ax = plots.plot_sweep_heatmap(
        table, X, Y, "median_elimination_clients", ax=new_axes(), start_month=1950 * 12, horizon=48
    )
    texts = [t.get_text() for t in ax.texts]
    assert texts[0] == "1950-01\n0% standing"
    assert texts[1] == "1950-06\n10% standing"
    assert texts[8] == ">1953-12\n80% standing"
    hatched = [p for p in ax.patches if p.get_hatch() == "//"]
    assert len(hatched) == 4  # the cells with 50% to 80% of runs standing
    assert "(date)" in ax.get_title(loc="left") and "hatched" in ax.get_title(loc="left")


def test_sweep_heatmap_names_a_missing_column():
    with pytest.raises(ValueError, match="nope"):
        plots.plot_sweep_heatmap(grid_outputs(), X, "nope", "runs", ax=new_axes())


# --------------------------------------------------------------------------- sensitivity

PARAMS = ["mechanisms.purge.launch_rate", "mechanisms.purge.spread", "leader.charisma"]


def sobol_table() -> pd.DataFrame:
    rows = [
        ("a", PARAMS[0], 0.5, 0.1, 0.6, 0.1),
        ("a", PARAMS[1], 0.1, 0.05, 0.2, 0.06),
        ("a", PARAMS[2], 0.02, 0.03, 0.05, 0.02),
        ("b", PARAMS[0], np.nan, np.nan, np.nan, np.nan),
    ]
    return pd.DataFrame(rows, columns=["output", "parameter", "S1", "S1_conf", "ST", "ST_conf"])


def test_sobol_bars_one_pair_per_parameter_largest_on_top(tmp_path):
    ax = plots.plot_sensitivity(sobol_table(), ax=new_axes())
    assert len(ax.patches) == 6
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[-1] == "purge.launch_rate"
    assert "a" in ax.get_title(loc="left")
    assert is_png(png(ax.figure, tmp_path / "sobol.png"))


def test_sobol_of_a_constant_output_is_refused():
    with pytest.raises(ValueError, match="constant"):
        plots.plot_sensitivity(sobol_table(), ax=new_axes(), output="b")
    with pytest.raises(ValueError, match="no output"):
        plots.plot_sensitivity(sobol_table(), ax=new_axes(), output="c")


def test_morris_scatter_labels_each_parameter(tmp_path):
    morris = pd.DataFrame(
        {
            "output": "a",
            "parameter": PARAMS,
            "mu": [0.5, -0.1, 0.02],
            "mu_star": [0.5, 0.1, 0.02],
            "sigma": [0.3, 0.2, 0.01],
            "mu_star_conf": [0.1, 0.05, 0.01],
        }
    )
    ax = plots.plot_sensitivity(morris, ax=new_axes())
    assert {t.get_text() for t in ax.texts} == {
        "purge.launch_rate",
        "purge.spread",
        "leader.charisma",
    }
    assert "Morris" in ax.get_title(loc="left")
    assert is_png(png(ax.figure, tmp_path / "morris.png"))


def test_sensitivity_needs_index_columns():
    with pytest.raises(ValueError, match="Sobol"):
        plots.plot_sensitivity(pd.DataFrame({"parameter": ["x"], "value": [1]}), ax=new_axes())


# --------------------------------------------------------------------------- network filmstrip


def snapshots(spec) -> NetworkSnapshots:
    """Three snapshots of four cadres on a square of ties: one purged, then one pending."""
    nodes = pd.DataFrame(
        {
            "snapshot": np.repeat([0, 1, 2], 4),
            "cadre": np.tile(np.arange(4), 3),
            "name": np.tile(["a", "b", "c", "d"], 3),
            "faction": np.tile(["core", "core", "clients", "clients"], 3),
            "status": ["active"] * 4
            + ["active", "arrested", "active", "active"]
            + ["active", "executed", "active", "pending"],
        }
    )
    nodes["purged"] = nodes["status"].isin(["arrested", "executed"])
    panels = pd.DataFrame(
        {"snapshot": [0, 1, 2], "month": ["1950-01", "1951-01", "1952-01"], "title": list("xyz")}
    )
    edges = pd.DataFrame({"source": [0, 1, 2, 0], "target": [1, 2, 3, 3], "weight": 1.0})
    return NetworkSnapshots(spec, seed=1, replicate=0, panels=panels, nodes=nodes, edges=edges)


def test_filmstrip_one_panel_per_snapshot_fixed_layout(tmp_path, tiny):
    fig = Figure(figsize=(8, 3), layout="constrained")
    axes = plots.plot_network_filmstrip(snapshots(tiny), fig)
    assert len(axes) == 3
    points = [np.asarray(ax.collections[-1].get_offsets()) for ax in axes]
    assert [len(p) for p in points] == [4, 4, 3]  # the pending cadre is not drawn
    assert np.array_equal(points[0], points[1])  # one layout for every panel
    alphas = [ax.collections[-1].get_facecolors()[:, 3] for ax in axes]
    assert alphas[0] == pytest.approx([0.95] * 4)
    assert alphas[1] == pytest.approx([0.95, 0.15, 0.95, 0.95])  # the purged cadre fades
    assert [len(ax.collections[0].get_segments()) for ax in axes] == [4, 4, 2]
    assert [ax.get_title() for ax in axes] == ["x\n4 in office", "y\n3 in office", "z\n2 in office"]
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "Core" in legend and any(t.startswith("purged (arrested") for t in legend)


def test_save_network_figure_sizes_the_figure_to_its_panels(tmp_path, tiny):
    path = plots.save_network_figure(snapshots(tiny), tmp_path / "film.png")
    height, width = imread(path).shape[:2]
    assert (width, height) == (3 * 3 * plots.DPI, round(3.8 * plots.DPI))


# --------------------------------------------------------------------------- counterfactual


def test_counterfactual_solid_and_dashed_curves_with_p_values(minimal_scenario):
    base = synthetic_results(minimal_scenario, seed=1)
    other = synthetic_results(minimal_scenario, runs=8, seed=2, falls={})  # blues never fall
    ax = plots.plot_counterfactual(base, other, ax=new_axes((8, 5)))
    styles = [line.get_linestyle() for line in ax.lines if line.get_linestyle() in ("-", "--")]
    assert styles.count("-") == styles.count("--") == 2
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[0] == "Reds (log-rank p = 1.000)"  # never eliminated in either
    blues_p = float(labels[1].removeprefix("Blues (log-rank p = ").removesuffix(")"))
    assert 0 < blues_p < 0.2
    assert labels[2:] == ["mini (baseline)", "mini (counterfactual)"]
    assert "different seeds" in ax.get_title(loc="left")

    one = plots.plot_counterfactual(base, base, faction="blues", ax=new_axes())
    assert "same seeds: paired tests" in one.get_title(loc="left")
    texts = [t.get_text() for t in one.get_legend().get_texts()]
    assert texts[0] == "Blues (McNemar p = 1.000; +0.0 months, paired t p = 1.000)"
    assert not any("log-rank" in t for t in texts)
    dashed = next(line for line in one.lines if line.get_linestyle() == "--")
    assert min(dashed.get_ydata()) == pytest.approx(0.5)


def test_counterfactual_on_shared_seeds_shows_paired_tests(minimal_scenario):
    """Same seeds, blues fall in 8 of 8 runs against none: McNemar's exact p is 2 / 2^8."""
    falls = dict.fromkeys(range(8), 30)
    base = synthetic_results(minimal_scenario, runs=8, seed=1, falls=falls)
    other = synthetic_results(minimal_scenario, runs=8, seed=1, falls={})
    ax = plots.plot_counterfactual(base, other, faction="blues", ax=new_axes())
    text = ax.get_legend().get_texts()[0].get_text()
    assert text.startswith("Blues (McNemar p = 0.008; +")
    assert "paired t p < 0.001" in text
    assert "exact McNemar" in ax.get_title(loc="left")


def test_cli_plot_network_reruns_the_first_replicate(tmp_path, tiny):
    from click.testing import CliRunner

    from factions.cli import main

    folder = tmp_path / "tiny"
    run_ensemble(tiny, replicates=2, seed=4).save(folder)
    out = tmp_path / "net.png"
    result = CliRunner().invoke(main, ["plot", "network", str(folder), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert is_png(out)
