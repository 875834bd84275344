"""The results of an ensemble: tidy tables, a manifest, and a folder format to keep them in.

A results folder holds one Parquet file per table (``runs``, ``factions``, ``timeseries``,
``events``, ``congresses``, ``cadres``), ``summary.json`` and ``manifest.json``. It is written
to a temporary folder and renamed into place, so a failure never leaves half a folder behind.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import platform
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

from factions.errors import ExperimentError
from factions.scenario import Scenario
from factions.scenario.load import validate
from factions.tables import TABLES

log = logging.getLogger(__name__)

DEPENDENCIES = ("mesa", "numpy", "numba", "pandas", "pyarrow", "networkx", "pydantic", "lifelines")


def versions() -> dict[str, str]:
    """Versions of Python, this library and its main dependencies."""
    found = {"python": platform.python_version()}
    for name in ("factions", *DEPENDENCIES):
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


@contextlib.contextmanager
def staged_folder(folder: Path) -> Iterator[Path]:
    """Yield a temporary folder beside ``folder``; it replaces ``folder`` if the block succeeds.

    On any failure (or Ctrl-C) the temporary folder is removed and ``folder`` left as it was.
    """
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
    try:
        yield staging
        if folder.exists():
            shutil.rmtree(folder)
        os.replace(staging, folder)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


@dataclass
class Results:
    """Tables of one ensemble, with the scenario that produced them.

    Each table is also an attribute: ``results.runs``, ``results.factions``,
    ``results.timeseries``, ``results.events``, ``results.congresses``, ``results.cadres``
    (pandas DataFrames; their columns are listed on the results page of the docs).

    Parameters
    ----------
    scenario : Scenario
        The resolved scenario the tables came from.
    tables : dict of str to DataFrame
        The tables, by name.
    manifest : dict
        Versions, root seed, replicates and the resolved scenario.
    """

    scenario: Scenario
    tables: dict[str, pd.DataFrame]
    manifest: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_tables(
        cls, scenario: Scenario, tables: dict[str, pd.DataFrame], root_seed: int
    ) -> Results:
        manifest = {
            "scenario": scenario.name,
            "scenario_hash": scenario.hash,
            "root_seed": root_seed,
            "replicates": int(tables["runs"]["run_id"].nunique()),
            "start": scenario.start,
            "end": scenario.end,
            "versions": versions(),
            "resolved_scenario": scenario.model_dump(mode="json"),
        }
        return cls(scenario, tables, manifest)

    def __getattr__(self, name: str) -> pd.DataFrame:
        tables = self.__dict__.get("tables", {})
        if name in tables:
            return tables[name]
        raise AttributeError(name)

    def save(self, folder: str | Path, summary: dict[str, Any] | None = None) -> Path:
        """Write the tables as Parquet, ``manifest.json`` and ``summary.json``, atomically.

        Parameters
        ----------
        folder : str or Path
            Destination; an existing results folder is replaced.
        summary : dict, optional
            The summary to write as ``summary.json`` (see :func:`factions.summary.summarise`).

        Returns
        -------
        Path
            The folder written.

        Raises
        ------
        ExperimentError
            ``folder`` exists, is not empty and is not a results folder.
        """
        folder = Path(folder)
        if folder.exists() and not (folder / "manifest.json").exists() and any(folder.iterdir()):
            raise ExperimentError(
                f"{folder} exists and is not a results folder; choose another --out"
            )
        with staged_folder(folder) as staging:
            for name in TABLES:
                self.tables[name].to_parquet(staging / f"{name}.parquet", index=False)
            if summary is not None:
                (staging / "summary.json").write_text(json.dumps(summary, indent=2, default=str))
            (staging / "manifest.json").write_text(json.dumps(self.manifest, indent=2))
        log.info("wrote results to %s", folder)
        return folder

    @classmethod
    def load(cls, folder: str | Path) -> Results:
        """Read a results folder written by :meth:`save`.

        Parameters
        ----------
        folder : str or Path
            A folder written by :meth:`save` or ``factions run``.

        Returns
        -------
        Results

        Raises
        ------
        ExperimentError
            The folder has no ``manifest.json`` or misses a table.
        """
        folder = Path(folder)
        manifest_path = folder / "manifest.json"
        if not manifest_path.is_file():
            raise ExperimentError(f"{folder} is not a results folder (no manifest.json)")
        manifest = json.loads(manifest_path.read_text())
        scenario = validate(manifest["resolved_scenario"], source=str(manifest_path))
        tables = {}
        for name in TABLES:
            path = folder / f"{name}.parquet"
            if not path.is_file():
                raise ExperimentError(f"{folder} is missing {path.name}")
            tables[name] = pd.read_parquet(path)
        return cls(scenario, tables, manifest)
