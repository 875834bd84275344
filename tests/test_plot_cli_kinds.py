"""`factions plot` for the figures drawn from a sweep folder or from two results folders."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from matplotlib.image import imread

from factions.cli import main
from factions.ensemble import run_ensemble
from factions.plots import DPI

TINY = Path(__file__).parent / "data" / "tiny.toml"
GRID = f"""\
name = "tiny-grid"
scenario = "{TINY}"
replicates = 2
seed = 3
[parameters]
"factions.clients.military" = [0.1, 0.8]
"mechanisms.purge.launch_rate" = [0.1, 0.3]
[outputs]
survival = ["1952-06"]
"""
MORRIS = f"""\
name = "tiny-morris"
scenario = "{TINY}"
replicates = 2
seed = 3
[parameters]
"factions.clients.military" = {{ min = 0.1, max = 0.8 }}
"mechanisms.purge.launch_rate" = {{ min = 0.1, max = 0.3 }}
[design]
kind = "morris"
trajectories = 6
[outputs]
survival = ["1953-12"]
"""


def drawn(path: Path) -> bool:
    """A PNG of the size of a one-panel figure (``plots.save_drawing``'s default)."""
    height, width = imread(path).shape[:2]
    return (width, height) == (round(8.0 * DPI), round(5.5 * DPI))


def invoke(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def sweep_folder(tmp_path: Path, text: str, name: str) -> Path:
    experiment = tmp_path / f"{name}.toml"
    experiment.write_text(text, encoding="utf-8")
    out = tmp_path / name
    done = invoke("sweep", str(experiment), "--workers", "1", "--out", str(out))
    assert done.exit_code == 0, done.output
    return out


def test_heatmap_from_a_grid_sweep(tmp_path):
    out = sweep_folder(tmp_path, GRID, "grid")
    done = invoke("plot", "heatmap", str(out), "--out", str(tmp_path / "h.png"))
    assert done.exit_code == 0, done.output
    assert drawn(tmp_path / "h.png")


def test_sensitivity_from_a_morris_sweep_and_refused_for_a_grid(tmp_path):
    out = sweep_folder(tmp_path, MORRIS, "morris")
    done = invoke("plot", "sensitivity", str(out), "--out", str(tmp_path / "s.svg"))
    assert done.exit_code == 0, done.output
    svg = (tmp_path / "s.svg").read_text(encoding="utf-8")
    assert svg.startswith("<?xml") and "Morris screening" in svg
    grid = sweep_folder(tmp_path, GRID, "grid")
    refused = invoke("plot", "sensitivity", str(grid))
    assert refused.exit_code == 2 and "no Sobol or Morris" in refused.output


@pytest.mark.parametrize("with_against", [True, False])
def test_counterfactual_beside_its_baseline(tmp_path, with_against):
    base, other = tmp_path / "base", tmp_path / "other"
    run_ensemble(str(TINY), replicates=4, seed=5).save(base)
    run_ensemble(str(TINY), replicates=4, seed=5).save(other)
    args = ["plot", "counterfactual", str(base), "--out", str(tmp_path / "c.png")]
    done = invoke(*args, *(["--against", str(other)] if with_against else []))
    if with_against:
        assert done.exit_code == 0, done.output
        assert drawn(tmp_path / "c.png")
    else:
        assert done.exit_code == 2 and "--against" in done.output
