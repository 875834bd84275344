"""The results of a sweep: its tables, the experiment behind them, and their analysis."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd

from factions.errors import ExperimentError, FactionsError
from factions.experiment import outputs as chosen
from factions.experiment import sensitivity
from factions.experiment.resolve import Experiment, experiment_from_manifest
from factions.experiment.store import SweepStore, write_atomic
from factions.results import Results
from factions.tables import TABLES

__all__ = ["NAMES", "LazyTables", "SweepResults"]

log = logging.getLogger(__name__)

NAMES = (*TABLES, "points")


class LazyTables(Mapping[str, pd.DataFrame]):
    """The tables of a store, each read on first access (a large sweep's time series may not
    fit in memory, and most analyses need only ``runs``, ``factions`` and ``points``)."""

    def __init__(self, store: SweepStore):
        self.store = store
        self.loaded: dict[str, pd.DataFrame] = {}

    def __getitem__(self, name: str) -> pd.DataFrame:
        if name not in NAMES:
            raise KeyError(name)
        if name not in self.loaded:
            self.loaded[name] = self.store.table(name)
        return self.loaded[name]

    def __iter__(self) -> Iterator[str]:
        return iter(NAMES)

    def __len__(self) -> int:
        return len(NAMES)


@dataclass
class SweepResults:
    """Tables of a sweep (``runs``, ``factions``, ..., ``points``) sorted by run id.

    ``runs`` lists every stored run with its ``status`` (``ok`` or ``failed``, with ``error``);
    the other run tables hold rows of successful runs only. Every table carries ``run_id`` and
    ``point``; ``points`` gives each point's parameter values.
    """

    experiment: Experiment
    tables: Mapping[str, pd.DataFrame]
    manifest: dict[str, Any]
    folder: Path | None = None

    @classmethod
    def load(cls, folder: str | Path, experiment: Experiment | None = None) -> SweepResults:
        """Open a sweep folder (complete or not); tables are read when first used."""
        store = SweepStore.read(folder)
        try:
            exp = experiment or experiment_from_manifest(store.manifest)
        except (FactionsError, KeyError, TypeError, ValueError) as exc:
            where = store.folder / "manifest.json"
            raise ExperimentError(f"{where}: damaged manifest ({exc})") from exc
        return cls(exp, LazyTables(store), store.manifest, Path(folder))

    def in_memory(self) -> SweepResults:
        """The same results with every table read, detached from their folder."""
        return replace(self, tables={name: self.tables[name] for name in NAMES}, folder=None)

    def __getattr__(self, name: str) -> pd.DataFrame:
        tables = self.__dict__.get("tables", {})
        if name in tables:
            return tables[name]
        raise AttributeError(name)

    @property
    def complete(self) -> bool:
        return len(self.tables["runs"]) == self.experiment.n_runs

    def point(self, point: int) -> Results:
        """The successful runs of one design point as ensemble :class:`Results`.

        Survival, summary and validation functions then apply to it as to ``factions run``.
        """
        if not 0 <= point < self.experiment.n_points:
            raise ExperimentError(f"no design point {point} (0..{self.experiment.n_points - 1})")
        runs = self.tables["runs"]
        ids = runs.loc[(runs["point"] == point) & (runs["status"] == "ok"), "run_id"]
        tables = {}
        for name in TABLES:
            frame = self.tables[name]
            tables[name] = frame[frame["run_id"].isin(ids)].reset_index(drop=True)
        scenario = self.experiment.scenario(point)
        return Results.from_tables(scenario, tables, root_seed=self.experiment.seed)

    # ------------------------------------------------------------------ outputs and analysis

    def run_outputs(self) -> pd.DataFrame:
        """One row per successful run: the outputs the experiment asks for."""
        return chosen.per_run(self.experiment, self.tables)

    def outputs(self) -> pd.DataFrame:
        """One row per design point: parameter values, runs, and each output over the point's
        replicates with its interval (``NAME``, ``NAME_low``, ``NAME_high``)."""
        per_point = chosen.per_point(self.experiment, self.run_outputs())
        points = self.tables["points"].drop(columns=["scenario_hash"], errors="ignore")
        return points.merge(per_point, on="point", how="left")

    def analysis_kind(self) -> str:
        """The analysis to run: the experiment's, or the design's natural one."""
        kind = self.experiment.analysis.kind
        if kind != "auto":
            return kind
        design = self.experiment.design.kind
        return design if design in ("sobol", "morris") else "table"

    def analyse(self) -> dict[str, pd.DataFrame]:
        """``outputs`` per point, and the experiment's analysis (``sobol``, ``morris``,
        ``compare``) when there is one."""
        exp, a = self.experiment, self.experiment.analysis
        found = {"outputs": self.outputs()}
        kind = self.analysis_kind()
        if kind == "sobol":
            found["sobol"] = sensitivity.sobol_indices(
                exp.design, found["outputs"], a.confidence, a.resamples, exp.seed
            )
        elif kind == "morris":
            found["morris"] = sensitivity.morris_indices(
                exp.design, found["outputs"], a.confidence, a.resamples, exp.seed
            )
        elif kind == "compare":
            found["compare"] = sensitivity.compare_points(
                self.run_outputs(), a.baseline, a.confidence
            )
        return found

    def save_analysis(self, analysis: dict[str, pd.DataFrame]) -> list[Path]:
        """Write each analysis table to ``FOLDER/analysis/NAME.parquet`` (atomically)."""
        if self.folder is None:
            raise ExperimentError("these results have no folder to write to")
        target = self.folder / "analysis"
        target.mkdir(exist_ok=True)
        paths = []
        for name, frame in analysis.items():
            path = target / f"{name}.parquet"
            write_atomic(frame, path)
            paths.append(path)
        return paths
