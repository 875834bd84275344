"""Figures as files: the figure kinds of a results folder, and writing any drawing to disk.

Figures are built on :class:`matplotlib.figure.Figure` objects directly (the Agg canvas, no
screen, no pyplot state), so writing them is safe in scripts, servers and workers. The format
follows the file's suffix.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from matplotlib.axes import Axes
from matplotlib.figure import Figure

from factions.errors import ExperimentError
from factions.plots.shares import plot_shares
from factions.plots.survival import plot_end_causes, plot_survival
from factions.plots.timeline import plot_timeline
from factions.results import Results

__all__ = [
    "COMPARISON_FIGURES",
    "DPI",
    "FIGURES",
    "FORMATS",
    "RERUN_FIGURES",
    "SWEEP_FIGURES",
    "check_format",
    "make_figure",
    "save_drawing",
    "save_figure",
    "write",
    "write_default_figures",
]

FORMATS = ("png", "svg", "pdf")
DPI = 150


def _survival_figure(results: Results, fig: Figure) -> None:
    survival, causes = fig.subplots(1, 2, width_ratios=(3, 2))
    plot_survival(results, survival)
    plot_end_causes(results, causes)


def _shares_figure(results: Results, fig: Figure) -> None:
    plot_shares(results, fig.subplots(2, 1, sharex=True))


def _timeline_figure(results: Results, fig: Figure) -> None:
    plot_timeline(results, fig.subplots())


#: Figure kinds drawn from a results folder's tables: how to draw each on a new figure, and the
#: figure's size in inches.
FIGURES: dict[str, tuple[Callable[[Results, Figure], None], tuple[float, float]]] = {
    "survival": (_survival_figure, (13.0, 6.0)),
    "shares": (_shares_figure, (8.0, 6.5)),
    "timeline": (_timeline_figure, (10.0, 5.0)),
}
#: Figure kinds of ``factions plot`` drawn by re-running a replicate, not from the tables.
RERUN_FIGURES = ("network",)
#: ... from two results folders (a baseline and a counterfactual).
COMPARISON_FIGURES = ("counterfactual",)
#: ... from a sweep folder.
SWEEP_FIGURES = ("heatmap", "sensitivity", "discovery")


def make_figure(results: Results, kind: str) -> Figure:
    """A new figure of ``kind`` (one of :data:`FIGURES`), not registered with pyplot."""
    if kind not in FIGURES:
        raise ExperimentError(f"unknown figure {kind!r} (choose from {', '.join(FIGURES)})")
    draw, size = FIGURES[kind]
    fig = Figure(figsize=size, layout="constrained")
    draw(results, fig)
    return fig


def check_format(path: Path) -> str:
    """The format of ``path`` from its suffix; refuse one that is not in :data:`FORMATS`."""
    fmt = path.suffix.lstrip(".").lower()
    if fmt not in FORMATS:
        raise ExperimentError(
            f"cannot write {path.name!r}: the file name must end in .{', .'.join(FORMATS)}"
        )
    return fmt


def write(fig: Figure, path: Path) -> Path:
    """Write ``fig`` to ``path`` (parents created; format by suffix)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format=check_format(path), dpi=DPI)
    return path


def save_drawing(draw: Callable[[Axes], object], path: str | Path, figsize=(8.0, 5.5)) -> Path:
    """Call ``draw(ax)`` on a new one-panel figure and write it to ``path`` (format by suffix)."""
    path = Path(path)
    check_format(path)  # refuse a bad suffix before drawing
    fig = Figure(figsize=figsize, layout="constrained")
    draw(fig.add_subplot())
    return write(fig, path)


def save_figure(results: Results, kind: str, path: str | Path) -> Path:
    """Draw figure ``kind`` and write it to ``path``; the format follows the suffix."""
    path = Path(path)
    check_format(path)  # refuse a bad suffix before drawing
    return write(make_figure(results, kind), path)


def write_default_figures(
    results: Results, folder: str | Path, formats: Sequence[str] = ("png",)
) -> list[Path]:
    """Write the survival, shares and timeline figures to ``folder``, in each of ``formats``.

    Returns the written paths, figure by figure and format by format.
    """
    folder = Path(folder)
    paths = [folder / f"{kind}.{fmt}" for kind in FIGURES for fmt in formats]
    for path in paths:
        check_format(path)
    written = []
    for kind in FIGURES:
        fig = make_figure(results, kind)
        written += [write(fig, folder / f"{kind}.{fmt}") for fmt in formats]
    return written
