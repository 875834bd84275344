"""The results of an ensemble: tidy tables, a manifest, and a folder format to keep them in.

A results folder holds one Parquet file per table (``runs``, ``factions``, ``timeseries``,
``events``, ``congresses``, ``cadres``), ``summary.json`` and ``manifest.json`` (marked
``kind = "run"``). It is written to a new folder beside its place and swapped in by renames, so a
failure or Ctrl-C never leaves half a folder behind, and the folder it replaces stays intact
until the new one is complete. Only such a folder is ever replaced.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import platform
import secrets
import shutil
import tempfile
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

from factions.errors import ExperimentError
from factions.scenario import Scenario
from factions.scenario.load import scenario_from_document
from factions.tables import TABLES

__all__ = [
    "DEPENDENCIES",
    "KIND",
    "RUN_FILES",
    "RUN_FOLDERS",
    "Results",
    "check_location",
    "check_run_folder",
    "is_run_folder",
    "read_manifest",
    "read_parquet",
    "staged_folder",
    "versions",
]

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


#: The marker of a results folder written by :meth:`Results.save` (``manifest["kind"]``).
KIND = "run"
#: Everything :meth:`Results.save` and ``factions run`` write into a results folder.
RUN_FILES = frozenset({*(f"{name}.parquet" for name in TABLES), "summary.json", "manifest.json"})
RUN_FOLDERS = frozenset({"figures"})


def check_location(folder: str | Path) -> Path:
    """Refuse an output folder that cannot be written or must never be replaced.

    Called before anything is simulated: a symbolic link, the current folder or one of its
    ancestors, a path under a file, or a place where no folder can be created is refused with an
    :class:`ExperimentError` saying why. What can only fail while writing (a full disk) fails then.
    """
    folder = Path(folder)
    if folder.is_symlink():
        raise ExperimentError(f"{folder} is a symbolic link; give the real folder as --out")
    if folder.exists() and not folder.is_dir():
        raise ExperimentError(f"{folder} exists and is not a folder; choose another --out")
    resolved = folder.resolve()
    if resolved == Path.cwd().resolve() or resolved in Path.cwd().resolve().parents:
        raise ExperimentError(
            f"{folder} is the current folder or one of its parents; give a new folder as --out"
        )
    parent = resolved.parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        raise ExperimentError(f"{folder}: {parent} is a file, not a folder; choose another --out")
    try:
        Path(tempfile.mkdtemp(prefix=".factions-probe-", dir=parent)).rmdir()
    except OSError as exc:
        raise ExperimentError(
            f"{folder}: cannot create a folder in {parent} ({exc.strerror or exc}); "
            "choose another --out"
        ) from exc
    return folder


def _new_folder_beside(folder: Path, tag: str) -> Path:
    """A new, hidden, uniquely named folder beside ``folder``, made with the umask's mode."""
    while True:
        candidate = folder.with_name(f".{folder.name}.{tag}-{secrets.token_hex(4)}")
        try:
            candidate.mkdir()  # mode 0o777 & ~umask, unlike tempfile.mkdtemp's 0o700
        except FileExistsError:
            continue
        return candidate


@contextlib.contextmanager
def staged_folder(folder: Path) -> Iterator[Path]:
    """Yield a new folder beside ``folder``; it replaces ``folder`` if the block succeeds.

    The caller decides whether ``folder`` may be replaced. The old folder is renamed aside, the
    new one renamed into place, then the old one removed: at every moment ``folder`` is either
    the old folder, intact, or the new one, complete. On any failure (or Ctrl-C) the new folder
    is removed and the old one is back in place.
    """
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = _new_folder_beside(folder, "new")
    aside: Path | None = None
    try:
        yield staging
        if folder.exists():
            aside = _new_folder_beside(folder, "old")
            os.replace(folder, aside)  # an empty folder is replaced by a rename
        os.replace(staging, folder)
    except BaseException:
        if aside is not None and not folder.exists():
            os.replace(aside, folder)
            aside = None
        shutil.rmtree(staging, ignore_errors=True)
        raise
    finally:
        if aside is not None:
            shutil.rmtree(aside, onexc=_left_behind)


def _left_behind(function, path, exc) -> None:
    log.warning("could not remove %s of the replaced folder: %s", path, exc)


def is_run_folder(folder: Path) -> bool:
    """Whether ``folder`` is recognisably a results folder of ``factions run``.

    Its manifest says ``kind = "run"`` and it holds nothing but what a run writes (tables,
    summary, manifest, ``figures/``): such a folder may be replaced by a new run, nothing else.
    """
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        entries = list(folder.iterdir())
    except (OSError, ValueError):
        return False
    if not isinstance(manifest, dict) or manifest.get("kind") != KIND:
        return False
    return all(
        (p.name in RUN_FILES and p.is_file() and not p.is_symlink())
        or (p.name in RUN_FOLDERS and p.is_dir() and not p.is_symlink())
        for p in entries
    )


def check_run_folder(folder: str | Path) -> Path:
    """Check (before simulating) that ``factions run`` may write ``folder``: a new or empty
    folder, or a results folder of an earlier run, which is then replaced as a whole."""
    folder = check_location(folder)
    if folder.exists() and any(folder.iterdir()) and not is_run_folder(folder):
        raise ExperimentError(
            f"{folder} exists and is not a results folder of `factions run` "
            "(only those are replaced); choose another --out"
        )
    return folder


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

    def save(
        self,
        folder: str | Path,
        summary: dict[str, Any] | None = None,
        also: Callable[[Path], object] | None = None,
    ) -> Path:
        """Write the tables as Parquet, ``manifest.json`` and ``summary.json``, atomically.

        Parameters
        ----------
        folder : str or Path
            Destination. Only a results folder of an earlier run (``kind = "run"`` in its
            manifest, nothing but the files a run writes) is replaced, atomically.
        summary : dict, optional
            The summary to write as ``summary.json`` (see :func:`factions.summary.summarise`).
        also : callable, optional
            Called with the folder being written, to add files to it (the command line's
            ``figures/``) while a second thread writes the tables; the folder appears only
            when both are done, and not at all if either fails.

        Returns
        -------
        Path
            The folder written.

        Raises
        ------
        ExperimentError
            ``folder`` exists, is not empty and is not a results folder of a run, or cannot
            be used (see :func:`check_location`).
        """
        folder = check_run_folder(folder)
        with staged_folder(folder) as staging, ThreadPoolExecutor(1, "tables") as writer:
            tables = writer.submit(self._write, staging, summary)
            if also is not None:
                also(staging)
            tables.result()
        log.info("wrote results to %s", folder)
        return folder

    def _write(self, folder: Path, summary: dict[str, Any] | None) -> None:
        for name in TABLES:
            self.tables[name].to_parquet(folder / f"{name}.parquet", index=False)
        if summary is not None:
            (folder / "summary.json").write_text(json.dumps(summary, indent=2, default=str))
        manifest = {**self.manifest, "kind": KIND}
        (folder / "manifest.json").write_text(json.dumps(manifest, indent=2))

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
            The folder has no ``manifest.json``, misses a table, or a file is damaged (the
            message names it).
        """
        folder = Path(folder)
        manifest_path = folder / "manifest.json"
        if not manifest_path.is_file():
            raise ExperimentError(f"{folder} is not a results folder (no manifest.json)")
        manifest = read_manifest(manifest_path, ("resolved_scenario",))
        if "format" in manifest:  # the sweep store's marker
            raise ExperimentError(
                f"{folder} is a sweep folder, not a results folder of `factions run`; "
                "read it with factions.experiment.SweepResults.load"
            )
        scenario = scenario_from_document(manifest["resolved_scenario"], source=str(manifest_path))
        tables = {}
        for name in TABLES:
            path = folder / f"{name}.parquet"
            if not path.is_file():
                raise ExperimentError(f"{folder} is missing {path.name}")
            tables[name] = read_parquet(path)
        return cls(scenario, tables, manifest)


def read_manifest(path: Path, required: tuple[str, ...]) -> dict[str, Any]:
    """A manifest: a JSON object with the ``required`` keys, else an error naming the file."""
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ExperimentError(f"{path}: unreadable manifest ({exc})") from exc
    if not isinstance(manifest, dict):
        raise ExperimentError(f"{path}: damaged manifest (not a JSON object)")
    missing = [key for key in required if key not in manifest]
    if missing:
        raise ExperimentError(f"{path}: damaged manifest (missing {', '.join(missing)})")
    return manifest


def read_parquet(path: Path) -> pd.DataFrame:
    """A Parquet file as a table; a damaged or truncated file raises an error naming it."""
    try:
        return pd.read_parquet(path)
    except (OSError, ValueError) as exc:  # pyarrow's ArrowInvalid is a ValueError
        raise ExperimentError(f"{path}: damaged Parquet file ({exc})") from exc
