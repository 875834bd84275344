"""The sweep store: a folder of Parquet tables written incrementally, safe to interrupt.

Layout::

    DIR/manifest.json          versions, scenario hash, design, seeds, replicates (written once)
    DIR/points.parquet         one row per design point: its parameter values and scenario hash
    DIR/runs/part-*.parquet    one row per stored run: run_id, point, replicate, seed, status
    DIR/factions/part-*.parquet, timeseries/, events/, congresses/, cadres/

Each finished task becomes one *chunk*: a ``part-<id>.parquet`` in every table folder, named
after the smallest run id it holds. Every part is written to a hidden temporary name, flushed to
disk and renamed into place (a rename is atomic), and the ``runs`` part is written last: it is
the chunk's commit mark, and it records (in its Parquet metadata) the row count of every other
part of the chunk. A run is stored exactly when its row is in a ``runs`` part. Whatever kills
the sweep — Ctrl-C, SIGKILL, a power cut — leaves at most hidden temporary files and parts of an
uncommitted chunk, which :meth:`SweepStore.repair` deletes before a resumed sweep starts; it also
verifies every committed chunk (each part readable, with the recorded row count) and uncommits a
damaged one (a part deleted or truncated), so that its runs are run again. Runs are never written
twice, so a resumed sweep neither loses nor duplicates one. Files that are not parts (``part-1
(copy).parquet``, notes) are ignored.

A store belongs to one experiment identity (base scenario hash, design hash, replicates, root
seed); opening it for another is refused unless the caller asks for a new store. An exclusive
lock (``.lock``, released by the kernel when the process dies) keeps two sweeps from writing to
the same folder at once; it is taken before anything in the folder is created or removed, so of
two sweeps started at once into the same new folder exactly one proceeds.

Each table folder is also a Parquet dataset that pandas can read
directly (``pd.read_parquet("DIR/timeseries")``); :meth:`SweepStore.tables` is the reference
reader: committed chunks only, sorted by run id, whatever the order the chunks were written in.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
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
from factions.results import check_location, read_manifest, read_parquet, staged_folder
from factions.tables import TABLES

__all__ = [
    "FORMAT",
    "GROUP_BYTES",
    "LOCK",
    "MANIFEST",
    "POINTS",
    "REQUIRED",
    "ROWS_KEY",
    "RUN_COLUMNS",
    "WRITE_ORDER",
    "SweepStore",
    "hold_lock",
    "open_store",
    "write_atomic",
    "write_json_atomic",
]

log = logging.getLogger(__name__)

FORMAT = "factions-sweep/1"
MANIFEST = "manifest.json"
POINTS = "points.parquet"
LOCK = ".lock"
#: Tables in the order a chunk writes them: ``runs`` last, as the commit mark.
WRITE_ORDER = (*[t for t in TABLES if t != "runs"], "runs")
RUN_COLUMNS = ("run_id", "point", "replicate", "seed", "scenario_hash", "status", "error")
#: Row groups of a compacted part hold about this many bytes (as Arrow tables in memory).
GROUP_BYTES = 64 * 2**20
#: Keys of the ``runs`` part's metadata: the row count of each part of its chunk.
ROWS_KEY = b"factions.rows"
#: What a manifest must hold to be read (a damaged one is refused, naming the file).
REQUIRED = (
    "experiment",
    "identity",
    "scenario",
    "resolved_scenario",
    "design",
    "points",
    "replicates",
    "runs",
    "root_seed",
)
_PART = re.compile(r"^part-(\d{12})\.parquet$")
_TEMPORARY = re.compile(r"^\..+\.\d+\.tmp$")


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


def write_atomic(
    frame: pd.DataFrame, path: Path, metadata: Mapping[bytes, bytes] | None = None
) -> None:
    """Write a Parquet file under a hidden temporary name, flush it, rename it into place."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    table = _arrow(frame)
    if metadata:
        table = table.replace_schema_metadata({**(table.schema.metadata or {}), **metadata})
    try:
        with open(temporary, "wb") as handle:
            pq.write_table(table, handle)
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
        """Open an existing store (read-only use: no lock, no repair, nothing written)."""
        folder = Path(folder)
        path = folder / MANIFEST
        if not path.is_file():
            raise ExperimentError(f"{folder} is not a sweep folder (no {MANIFEST})")
        manifest = read_manifest(path, ())
        if manifest.get("format") != FORMAT:
            raise ExperimentError(
                f"{folder} is not a sweep folder (format {manifest.get('format')!r}); "
                "`factions run` results are read with factions.results.Results.load"
            )
        _check_manifest(path, manifest)
        return cls(folder, manifest)

    @classmethod
    def create(cls, folder: Path, manifest: dict, points: pd.DataFrame) -> SweepStore:
        """Make a new store in ``folder`` (locked by the caller, holding nothing else).

        The manifest is written last: a folder without one is an unfinished creation.
        """
        for name in TABLES:
            (folder / name).mkdir(exist_ok=True)
        write_atomic(points, folder / POINTS)
        write_json_atomic({**manifest, "format": FORMAT}, folder / MANIFEST)
        _fsync_dir(folder)
        log.info("created sweep store %s", folder)
        return cls.read(folder)

    # ------------------------------------------------------------------ locking and repair

    @contextlib.contextmanager
    def locked(self) -> Iterator[SweepStore]:
        """Hold the store's exclusive lock; refuse if another process holds it."""
        with hold_lock(self.folder):
            yield self

    def is_running(self) -> bool:
        """Whether another process holds the lock (a sweep is writing here now).

        Only reads: the lock file is opened read-only, so this works on a read-only folder.
        """
        try:
            handle = open(self.folder / LOCK, "rb")  # noqa: SIM115 - closed below
        except OSError:
            return False
        with handle:
            return not _try_lock(handle, shared=True)

    def repair(self) -> int:
        """Uncommit damaged chunks, delete temporary files and parts of uncommitted chunks;
        return how many files were removed."""
        removed = self._uncommit_damaged()
        committed = {_chunk_of(p) for p in self._parts("runs")}
        strays = []
        for name in TABLES:
            folder = self.folder / name
            folder.mkdir(exist_ok=True)
            for path in folder.iterdir():
                part = _PART.match(path.name)
                if _TEMPORARY.match(path.name) or (part and int(part[1]) not in committed):
                    path.unlink(missing_ok=True)
                    removed += 1
                elif not part:
                    strays.append(path)
        if removed:
            log.warning("removed %d incomplete files left by an interrupted sweep", removed)
        if strays:
            log.warning("ignoring files that are not parts of the store: %s", strays[:5])
        return removed

    def _uncommit_damaged(self) -> int:
        """Delete the ``runs`` part of every committed chunk that fails :meth:`_verify`."""
        damaged = [p for p in self._parts("runs") if not self._verify(p)]
        for path in damaged:
            log.warning("chunk %s is damaged (a part missing or truncated): runs again", path)
            path.unlink()
        return len(damaged)

    def _verify(self, runs_part: Path) -> bool:
        """Whether a committed chunk is whole: every part readable, with its recorded rows."""
        try:
            schema = pq.read_schema(runs_part)
            expected = json.loads((schema.metadata or {}).get(ROWS_KEY, b"{}"))
            name = runs_part.name
            return all(
                pq.read_metadata(self.folder / table / name).num_rows == rows
                for table, rows in expected.items()
                if rows
            )
        except (OSError, ValueError):  # missing, truncated, or not Parquet (ArrowInvalid)
            return False

    # ------------------------------------------------------------------ writing

    def write_chunk(self, tables: Mapping[str, pd.DataFrame]) -> int:
        """Store one chunk (the runs of one task); return its id. ``runs`` is written last,
        with the row counts of the other parts in its metadata."""
        runs = tables["runs"]
        if runs.empty:
            raise ValueError("a chunk must hold at least one run")
        chunk = int(runs["run_id"].min())
        name = _part_name(chunk)
        if (self.folder / "runs" / name).exists():
            raise ExperimentError(f"chunk {chunk} is already stored in {self.folder}")
        rows = {}
        for table in WRITE_ORDER:
            frame = tables.get(table)
            if frame is None or (table != "runs" and frame.empty):
                continue
            rows[table] = len(frame)
            metadata = {ROWS_KEY: json.dumps(rows).encode()} if table == "runs" else None
            write_atomic(frame, self.folder / table / name, metadata)
            _fsync_dir(self.folder / table)
        return chunk

    # ------------------------------------------------------------------ compacting

    def compact(self, group_bytes: int = GROUP_BYTES) -> int:
        """Join the committed chunks into one chunk, one part per table; return how many
        chunks there were.

        A long sweep leaves a part per task in every table folder (thousands, for a large
        sweep), which makes reading it slow. The joined parts are written, part by part, into
        a copy of the store (row groups of about ``group_bytes``, so memory stays bounded
        whatever the number of runs), which then replaces the store as a ``factions run``
        folder is replaced (:func:`~factions.results.staged_folder`): a failure leaves the
        store as it was. Uncommitted parts are dropped (:meth:`repair` would delete them);
        files that are not parts are copied. The caller holds the lock.
        """
        chunks = self._parts("runs")
        if len(chunks) <= 1:
            return len(chunks)
        committed = {_chunk_of(p) for p in chunks}
        name = _part_name(min(committed))
        with staged_folder(self.folder) as staging:
            _copy_others(self.folder, staging)
            rows = {}
            for table in WRITE_ORDER:
                parts = [p for p in self._parts(table) if _chunk_of(p) in committed]
                if table == "runs":
                    metadata = {ROWS_KEY: json.dumps(rows).encode()}
                    _join_parts(parts, staging / table / name, group_bytes, metadata)
                elif parts:
                    rows[table] = _join_parts(parts, staging / table / name, group_bytes)
        log.info("compacted %d chunks of %s into one", len(chunks), self.folder)
        return len(chunks)

    # ------------------------------------------------------------------ reading

    def _parts(self, table: str) -> list[Path]:
        """The parts of a table folder, by chunk; other files there are ignored."""
        folder = self.folder / table
        if not folder.is_dir():
            return []
        return sorted(p for p in folder.iterdir() if _PART.match(p.name))

    def _read_parts(self, parts: list[Path]) -> pd.DataFrame:
        tables = []
        for path in parts:
            try:
                tables.append(pq.read_table(path))
            except (OSError, ValueError) as exc:
                raise ExperimentError(
                    f"{path}: damaged part ({exc}); resume the sweep (--resume) to run its "
                    "runs again"
                ) from exc
        return _concat(tables)

    def runs(self) -> pd.DataFrame:
        """Every stored run (ok and failed), sorted by run id."""
        parts = self._parts("runs")
        if not parts:
            return pd.DataFrame({c: pd.Series(dtype=_RUN_DTYPES[c]) for c in RUN_COLUMNS})
        frame = self._read_parts(parts).sort_values("run_id", kind="stable", ignore_index=True)
        duplicated = frame["run_id"].duplicated()
        if duplicated.any():
            ids = frame.loc[duplicated, "run_id"].head(5).tolist()
            raise ExperimentError(f"{self.folder}: runs stored twice (run ids {ids}); corrupt")
        return frame

    def stored_run_ids(self) -> set[int]:
        return set(self.runs()["run_id"].tolist())

    def points(self) -> pd.DataFrame:
        return read_parquet(self.folder / POINTS)

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
        return self._read_parts(parts).sort_values("run_id", kind="stable", ignore_index=True)

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


def _join_parts(
    parts: list[Path], path: Path, group_bytes: int, metadata: Mapping[bytes, bytes] | None = None
) -> int:
    """Write ``parts`` (of one table, in chunk order) as one Parquet file; return its rows.

    Parts are read one at a time and written in row groups of about ``group_bytes``; their
    schemas are unified first (a column that is all missing in one part is typed as a string
    there, :func:`_arrow`).
    """
    schema = pa.unify_schemas([pq.read_schema(p) for p in parts], promote_options="permissive")
    if metadata:
        schema = schema.with_metadata({**(schema.metadata or {}), **metadata})
    path.parent.mkdir(parents=True, exist_ok=True)
    group, size, rows = [], 0, 0
    with pq.ParquetWriter(path, schema) as writer:
        for part in parts:
            table = pq.read_table(part).cast(schema)
            group.append(table)
            size += table.nbytes
            rows += table.num_rows
            if size >= group_bytes:
                writer.write_table(pa.concat_tables(group))
                group, size = [], 0
        if group:
            writer.write_table(pa.concat_tables(group))
    return rows


def _copy_others(folder: Path, into: Path) -> None:
    """Copy everything in a store but its lock and its parts (manifest, points, analysis,
    files a user left) into the folder that will replace it."""
    for path in folder.iterdir():
        if path.name == LOCK:
            continue
        if path.name in TABLES and path.is_dir() and not path.is_symlink():
            (into / path.name).mkdir()
            for inner in path.iterdir():
                if not (_PART.match(inner.name) or _TEMPORARY.match(inner.name)):
                    _copy(inner, into / path.name / inner.name)
        else:
            _copy(path, into / path.name)


def _copy(path: Path, target: Path) -> None:
    """Copy a file or a folder (symbolic links as links)."""
    if path.is_dir() and not path.is_symlink():
        shutil.copytree(path, target, symlinks=True)
    else:
        shutil.copy2(path, target, follow_symlinks=False)


def _try_lock(handle, shared: bool = False) -> bool:
    try:
        import fcntl
    except ImportError:  # not POSIX: no lock, one sweep per folder is then the user's care
        return True
    try:
        fcntl.flock(handle.fileno(), (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


@contextlib.contextmanager
def hold_lock(folder: Path) -> Iterator[None]:
    """Hold the exclusive lock of ``folder`` (its ``.lock`` file) for the block, or refuse.

    The lock file is created if missing. If the folder was deleted or re-created while we
    waited (the lock file we hold is no longer the folder's), that is refused too.
    """
    path = folder / LOCK
    handle = open(path, "a+")  # noqa: SIM115 - held for the whole block
    try:
        if not _try_lock(handle) or not _same_file(handle, path):
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            raise ExperimentError(
                f"{folder} is in use by another sweep (pid {holder}); "
                "wait for it to finish or stop it first"
            )
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        yield
    finally:
        handle.close()  # closing releases the lock


def _same_file(handle, path: Path) -> bool:
    try:
        return os.fstat(handle.fileno()).st_ino == path.stat().st_ino
    except OSError:
        return False


def _check_manifest(path: Path, manifest: Mapping[str, Any]) -> None:
    """Refuse a damaged sweep manifest (keys missing, of the wrong type), naming the file."""
    missing = [key for key in REQUIRED if key not in manifest]
    tables = ("experiment", "identity", "design", "resolved_scenario")
    wrong = [k for k in tables if k in manifest and not isinstance(manifest[k], dict)]
    wrong += [
        k
        for k in ("points", "replicates", "runs", "root_seed")
        if k in manifest and (not isinstance(manifest[k], int) or manifest[k] < 0)
    ]
    for table, key in (("experiment", "name"), ("design", "kind")):
        if isinstance(manifest.get(table), dict) and not isinstance(manifest[table].get(key), str):
            wrong.append(f"{table}.{key}")
    if missing or wrong:
        said = ([f"missing {', '.join(missing)}"] if missing else []) + (
            [f"bad {', '.join(wrong)}"] if wrong else []
        )
        raise ExperimentError(f"{path}: damaged manifest ({'; '.join(said)})")


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


@contextlib.contextmanager
def open_store(
    folder: str | Path,
    manifest: dict[str, Any],
    points: pd.DataFrame,
    *,
    resume: bool = False,
    new: bool = False,
) -> Iterator[SweepStore]:
    """The store to write a sweep into, locked for the whole block: created, resumed, or refused.

    The lock is taken before anything in the folder is created or removed. A folder that does
    not exist (or is empty, or holds an unfinished creation) becomes a new store. An existing
    store is continued only with ``resume`` and only if its identity (``manifest["identity"]``)
    matches; ``new`` discards it and starts over. Anything else in the way is refused. A store
    created here that is left without a single run (the block failed) is removed again.
    """
    folder = Path(folder)
    if resume and new:
        raise ExperimentError("choose either resume or new, not both")
    check_location(folder)
    if folder.is_dir() and not (folder / MANIFEST).is_file():
        _refuse_foreign(folder)  # before the lock file is made in someone else's folder
    folder.mkdir(parents=True, exist_ok=True)
    with hold_lock(folder):
        store, created = _prepare(folder, manifest, points, resume, new)
        try:
            yield store
        except BaseException:
            if created and not store._parts("runs"):
                _clear(folder)
                log.info("removed the unused new store %s", folder)
            raise


def _prepare(folder: Path, manifest, points, resume: bool, new: bool) -> tuple[SweepStore, bool]:
    """Under the lock: the store to use, and whether it was created now."""
    if not (folder / MANIFEST).is_file():
        _refuse_foreign(folder)
        _clear(folder)
        return SweepStore.create(folder, manifest, points), True
    store = SweepStore.read(folder)
    if new:
        _clear(folder)
        log.warning("discarded the sweep in %s (new)", folder)
        return SweepStore.create(folder, manifest, points), True
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
    return store, False


def _refuse_foreign(folder: Path) -> None:
    """Refuse a folder without a manifest that holds more than an unfinished creation."""
    if not all(p.name == LOCK or _unfinished(p) for p in folder.iterdir()):
        raise ExperimentError(f"{folder} exists and is not a sweep folder; choose another --out")


def _unfinished(path: Path) -> bool:
    """Whether ``path`` may be left by a creation interrupted before its manifest."""
    if path.name in TABLES and path.is_dir() and not path.is_symlink():
        return not any(path.iterdir())
    return path.name == POINTS or bool(_TEMPORARY.match(path.name))


def _clear(folder: Path) -> None:
    """Remove everything in ``folder`` but its lock file (which the caller holds)."""
    for path in folder.iterdir():
        if path.name == LOCK:
            continue
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()
