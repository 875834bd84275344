"""The sweep store: a folder of Parquet tables written incrementally, safe to interrupt.

Layout::

    DIR/manifest.json          versions, scenario hash, design, seeds, replicates (written once)
    DIR/points.parquet         one row per design point: its parameter values and scenario hash
    DIR/runs/part-*.parquet    one row per stored run: run_id, point, replicate, seed, status
    DIR/factions/part-*.parquet, timeseries/, events/, congresses/, cadres/

Each finished task becomes one *chunk*: a ``part-<id>.parquet`` in every table folder, named
after the smallest run id it holds. Every part is written to a hidden temporary name, flushed to
disk and renamed into place (a rename is atomic), and the ``runs`` part is written last: it is
the chunk's commit mark. A run is stored exactly when its row is in a ``runs`` part. Whatever
kills the sweep — Ctrl-C, SIGKILL, a power cut — leaves at most hidden temporary files and parts
of an uncommitted chunk, which :meth:`SweepStore.repair` deletes before a resumed sweep starts.
Runs are never written twice, so a resumed sweep neither loses nor duplicates one.

A store belongs to one experiment identity (base scenario hash, design hash, replicates, root
seed); opening it for another is refused unless the caller asks for a new store. An exclusive
lock (``.lock``, released by the kernel when the process dies) keeps two sweeps from writing to
the same folder at once. Each table folder is also a Parquet dataset that pandas can read
directly (``pd.read_parquet("DIR/timeseries")``); :meth:`SweepStore.tables` is the reference
reader: committed chunks only, sorted by run id, whatever the order the chunks were written in.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from factions.errors import ExperimentError
from factions.results import staged_folder
from factions.tables import TABLES

log = logging.getLogger(__name__)

FORMAT = "factions-sweep/1"
MANIFEST = "manifest.json"
POINTS = "points.parquet"
LOCK = ".lock"
#: Tables in the order a chunk writes them: ``runs`` last, as the commit mark.
WRITE_ORDER = (*[t for t in TABLES if t != "runs"], "runs")
RUN_COLUMNS = ("run_id", "point", "replicate", "seed", "scenario_hash", "status", "error")


def _part_name(chunk: int) -> str:
    return f"part-{chunk:012d}.parquet"


def _chunk_of(path: Path) -> int:
    return int(path.stem.removeprefix("part-"))


def _fsync_dir(folder: Path) -> None:
    """Make a rename durable (POSIX); a no-op where directories cannot be opened."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _arrow(frame: pd.DataFrame) -> pa.Table:
    """A table with all-missing columns typed as strings, so that parts concatenate."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    for i, column in enumerate(table.schema):
        if pa.types.is_null(column.type):
            table = table.set_column(i, column.name, table.column(i).cast(pa.string()))
    return table


def write_atomic(frame: pd.DataFrame, path: Path) -> None:
    """Write a Parquet file under a hidden temporary name, flush it, rename it into place."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(temporary, "wb") as handle:
            pq.write_table(_arrow(frame), handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def write_json_atomic(data: Mapping[str, Any], path: Path) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(temporary, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=2, default=str)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


@dataclass
class SweepStore:
    """A sweep folder. Create or open it with :func:`open_store`."""

    folder: Path
    manifest: dict[str, Any]

    # ------------------------------------------------------------------ opening

    @classmethod
    def read(cls, folder: str | Path) -> SweepStore:
        """Open an existing store (read-only use: no lock, no repair)."""
        folder = Path(folder)
        path = folder / MANIFEST
        if not path.is_file():
            raise ExperimentError(f"{folder} is not a sweep folder (no {MANIFEST})")
        try:
            manifest = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ExperimentError(f"{path}: unreadable manifest: {exc}") from exc
        if manifest.get("format") != FORMAT:
            raise ExperimentError(
                f"{folder} is not a sweep folder (format {manifest.get('format')!r}); "
                "`factions run` results are read with factions.results.Results.load"
            )
        return cls(folder, manifest)

    @classmethod
    def create(cls, folder: str | Path, manifest: dict, points: pd.DataFrame) -> SweepStore:
        """Make a new store: manifest and points written in a staging folder, then renamed."""
        folder = Path(folder)
        with staged_folder(folder) as staging:  # only a missing or empty folder gets here
            for name in TABLES:
                (staging / name).mkdir()
            write_atomic(points, staging / POINTS)
            write_json_atomic({**manifest, "format": FORMAT}, staging / MANIFEST)
        _fsync_dir(folder.parent)
        log.info("created sweep store %s", folder)
        return cls.read(folder)

    # ------------------------------------------------------------------ locking and repair

    @contextlib.contextmanager
    def locked(self) -> Iterator[SweepStore]:
        """Hold the store's exclusive lock; refuse if another process holds it."""
        handle = open(self.folder / LOCK, "a+")  # noqa: SIM115 - held for the whole block
        try:
            if not _try_lock(handle):
                raise ExperimentError(
                    f"{self.folder} is in use by another sweep (pid {_holder(handle)}); "
                    "wait for it to finish or stop it first"
                )
            handle.seek(0)
            handle.truncate()
            handle.write(str(os.getpid()))
            handle.flush()
            yield self
        finally:
            handle.close()  # closing releases the lock

    def is_running(self) -> bool:
        """Whether another process holds the lock (a sweep is writing here now)."""
        path = self.folder / LOCK
        if not path.exists():
            return False
        with open(path, "a+") as handle:
            return not _try_lock(handle)

    def repair(self) -> int:
        """Delete temporary files and parts of uncommitted chunks; return how many."""
        committed = {_chunk_of(p) for p in self._parts("runs")}
        removed = 0
        for name in TABLES:
            folder = self.folder / name
            folder.mkdir(exist_ok=True)
            for path in folder.iterdir():
                stale = path.name.startswith(".") and path.name.endswith(".tmp")
                orphan = path.name.startswith("part-") and _chunk_of(path) not in committed
                if stale or orphan:
                    path.unlink(missing_ok=True)
                    removed += 1
        if removed:
            log.warning("removed %d incomplete files left by an interrupted sweep", removed)
        return removed

    # ------------------------------------------------------------------ writing

    def write_chunk(self, tables: Mapping[str, pd.DataFrame]) -> int:
        """Store one chunk (the runs of one task); return its id. ``runs`` is written last."""
        runs = tables["runs"]
        if runs.empty:
            raise ValueError("a chunk must hold at least one run")
        chunk = int(runs["run_id"].min())
        name = _part_name(chunk)
        if (self.folder / "runs" / name).exists():
            raise ExperimentError(f"chunk {chunk} is already stored in {self.folder}")
        for table in WRITE_ORDER:
            frame = tables.get(table)
            if frame is not None and (table == "runs" or not frame.empty):
                write_atomic(frame, self.folder / table / name)
                _fsync_dir(self.folder / table)
        return chunk

    # ------------------------------------------------------------------ reading

    def _parts(self, table: str) -> list[Path]:
        folder = self.folder / table
        if not folder.is_dir():
            return []
        return sorted(folder.glob("part-*.parquet"))

    def runs(self) -> pd.DataFrame:
        """Every stored run (ok and failed), sorted by run id."""
        parts = self._parts("runs")
        if not parts:
            return pd.DataFrame({c: pd.Series(dtype=_RUN_DTYPES[c]) for c in RUN_COLUMNS})
        frame = _concat([pq.read_table(p) for p in parts])
        frame = frame.sort_values("run_id", kind="stable", ignore_index=True)
        duplicated = frame["run_id"].duplicated()
        if duplicated.any():
            ids = frame.loc[duplicated, "run_id"].head(5).tolist()
            raise ExperimentError(f"{self.folder}: runs stored twice (run ids {ids}); corrupt")
        return frame

    def stored_run_ids(self) -> set[int]:
        return set(self.runs()["run_id"].tolist())

    def points(self) -> pd.DataFrame:
        return pd.read_parquet(self.folder / POINTS)

    def table(self, name: str) -> pd.DataFrame:
        """One table over the committed chunks, sorted by run id (stable within a run)."""
        if name == "runs":
            return self.runs()
        if name == "points":
            return self.points()
        committed = {_chunk_of(p) for p in self._parts("runs")}
        parts = [p for p in self._parts(name) if _chunk_of(p) in committed]
        if not parts:
            return pd.DataFrame()
        frame = _concat([pq.read_table(p) for p in parts])
        return frame.sort_values("run_id", kind="stable", ignore_index=True)

    def tables(self) -> dict[str, pd.DataFrame]:
        """Every table, ``points`` included."""
        return {name: self.table(name) for name in (*TABLES, "points")}

    # ------------------------------------------------------------------ progress

    def status(self) -> dict[str, Any]:
        """Points and runs done, failed and remaining; recent rate and ETA (from part times)."""
        runs = self.runs()
        m = self.manifest
        total, replicates = int(m["runs"]), int(m["replicates"])
        failed = int((runs["status"] != "ok").sum()) if len(runs) else 0
        per_point = runs.groupby("point").size() if len(runs) else pd.Series(dtype=int)
        rate = _recent_rate(self._parts("runs"))
        running = self.is_running()
        remaining = total - len(runs)
        return {
            "folder": str(self.folder),
            "experiment": m["experiment"]["name"],
            "scenario": m["scenario"],
            "design": m["design"]["kind"],
            "points": int(m["points"]),
            "points_done": int((per_point >= replicates).sum()),
            "replicates": replicates,
            "runs": total,
            "stored": len(runs),
            "failed": failed,
            "remaining": remaining,
            "running": running,
            "rate": rate,
            "eta_seconds": remaining / rate if rate and remaining and running else None,
            "updated": _last_update(self._parts("runs")),
        }


_RUN_DTYPES = {
    "run_id": "int64",
    "point": "int64",
    "replicate": "int64",
    "seed": "object",
    "scenario_hash": "object",
    "status": "object",
    "error": "object",
}


def _concat(tables: list[pa.Table]) -> pd.DataFrame:
    """Concatenate parts whose schemas may differ by all-missing columns."""
    return pa.concat_tables(tables, promote_options="permissive").to_pandas()


def _try_lock(handle) -> bool:
    try:
        import fcntl
    except ImportError:  # not POSIX: no lock, one sweep per folder is then the user's care
        return True
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


def _holder(handle) -> str:
    handle.seek(0)
    return handle.read().strip() or "unknown"


def _recent_rate(parts: list[Path], gap: float = 120.0) -> float | None:
    """Runs per second over the latest stretch of chunks written without a long pause."""
    if len(parts) < 2:
        return None
    stamped = sorted((p.stat().st_mtime, p) for p in parts)
    start = len(stamped) - 1
    while start > 0 and stamped[start][0] - stamped[start - 1][0] < gap:
        start -= 1
    window = stamped[start:]
    elapsed = window[-1][0] - window[0][0]
    if len(window) < 2 or elapsed <= 0:
        return None
    runs = sum(pq.read_metadata(p).num_rows for _, p in window[1:])
    return runs / elapsed


def _last_update(parts: list[Path]) -> str | None:
    if not parts:
        return None
    latest = max(p.stat().st_mtime for p in parts)
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(latest))


# --------------------------------------------------------------------------- opening a store


def _describe_mismatch(old: Mapping[str, Any], new: Mapping[str, Any]) -> str:
    labels = {
        "scenario_hash": "scenario",
        "design_hash": "design",
        "replicates": "number of replicates",
        "root_seed": "root seed",
    }
    differ = []
    for key, label in labels.items():
        if old.get(key) != new.get(key):
            a, b = str(old.get(key)), str(new.get(key))
            differ.append(f"{label} ({a[:12]} here, {b[:12]} now)")
    return ", ".join(differ)


def open_store(
    folder: str | Path,
    manifest: dict[str, Any],
    points: pd.DataFrame,
    *,
    resume: bool = False,
    new: bool = False,
) -> SweepStore:
    """The store to write a sweep into: created, resumed, or refused.

    A folder that does not exist (or is empty) becomes a new store. An existing store is
    continued only with ``resume`` and only if its identity (``manifest["identity"]``) matches;
    ``new`` discards it and starts over. Anything else in the way is refused.
    """
    folder = Path(folder)
    if resume and new:
        raise ExperimentError("choose either resume or new, not both")
    if not folder.exists() or (folder.is_dir() and not any(folder.iterdir())):
        return SweepStore.create(folder, manifest, points)
    if not (folder / MANIFEST).is_file():
        raise ExperimentError(f"{folder} exists and is not a sweep folder; choose another --out")
    store = SweepStore.read(folder)
    if new:
        if store.is_running():
            raise ExperimentError(f"{folder} is in use by another sweep; stop it first")
        shutil.rmtree(folder)
        log.warning("discarded the sweep in %s (new)", folder)
        return SweepStore.create(folder, manifest, points)
    mismatch = _describe_mismatch(store.manifest["identity"], manifest["identity"])
    if mismatch:
        raise ExperimentError(
            f"{folder} holds results of another experiment: the {mismatch} differ; "
            "use --new to discard them and start a new sweep, or choose another --out"
        )
    if not resume:
        count = len(store.runs())
        raise ExperimentError(
            f"{folder} already holds this sweep ({count} of {manifest['runs']} runs stored); "
            "use --resume to continue it, or --new to start over"
        )
    return store
