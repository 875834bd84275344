"""Turn finished runs into tidy tables (the unit of work of every executor).

Each table of a run is first a dict of numpy columns (:func:`run_columns`); :func:`stack_runs`
joins the runs of a batch into one DataFrame per table at once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from factions.calendar import month_timestamps
from factions.state import NO_END, NOT_YET, EndCause, Fate, fates

__all__ = [
    "END_CAUSE_NAMES",
    "FATE_NAMES",
    "TABLES",
    "Columns",
    "concat_tables",
    "run_columns",
    "run_tables",
    "stack_runs",
]

if TYPE_CHECKING:
    from factions.model import FactionModel

#: The columns of one table of one run, by name.
Columns = dict[str, np.ndarray]

TABLES = ("runs", "factions", "timeseries", "events", "congresses", "cadres")

#: Cadre fates and faction end causes as the tables spell them.
FATE_NAMES = np.array([f.name.lower() for f in Fate], dtype=object)
END_CAUSE_NAMES = np.array([c.name.lower() for c in EndCause], dtype=object)


def concat_tables(parts: Sequence[dict[str, pd.DataFrame]]) -> dict[str, pd.DataFrame]:
    """Concatenate several runs' tables, table by table.

    Date columns are joined as their int64 nanoseconds and turned back into dates: pandas 2.x
    fills an empty or all-NaT date column through a unitless ``np.datetime64("NaT")``, which
    NumPy deprecates (and will reject); the integers join without it and give the same frame.
    """
    return {name: _concat_dated([p[name] for p in parts]) for name in TABLES}


def _concat_dated(frames: list[pd.DataFrame]) -> pd.DataFrame:
    dates = {c: dtype for c, dtype in frames[0].dtypes.items() if dtype.kind == "M"}
    joined = pd.concat(
        [f.assign(**{c: f[c].to_numpy().view(np.int64) for c in dates}) for f in frames],
        ignore_index=True,
    )
    return joined.assign(**{c: joined[c].to_numpy().view(dtype) for c, dtype in dates.items()})


def _dates(months: np.ndarray) -> np.ndarray:
    """Month indices to ``datetime64[ns]``, NaT where the month is NOT_YET."""
    months = np.asarray(months, dtype=np.int64)
    out = np.full(len(months), np.datetime64("NaT", "ns"), dtype="datetime64[ns]")
    ok = months != NOT_YET
    if ok.any():
        out[ok] = month_timestamps(months[ok]).to_numpy()
    return out


def faction_columns(model: FactionModel) -> Columns:
    """One row per faction: whether and when it ended, how long it stood, and why it ended."""
    spec = model.spec
    eliminated = model.eliminated_at != NOT_YET
    end = np.where(eliminated, model.eliminated_at, spec.end_month + 1)
    duration = end - model.factions.entered_at  # from the start, or a faction_entry's month
    return {
        "faction": np.array(model.faction_ids, dtype=object),
        "eliminated": eliminated,
        "eliminated_at": _dates(model.eliminated_at),
        "duration_months": duration.astype(np.int64),
        "end_cause": _end_causes(model.factions.end_cause),
    }


def _end_causes(codes: np.ndarray) -> np.ndarray:
    """End-cause codes to names; a standing (censored) faction has none (null)."""
    names = np.full(len(codes), None, dtype=object)
    ended = codes != NO_END
    names[ended] = END_CAUSE_NAMES[codes[ended]]
    return names


def timeseries_columns(model: FactionModel) -> Columns:
    """One row per month and faction: the recorder's series and the faction's patron presence."""
    spec = model.spec
    months = np.arange(spec.start_month, spec.start_month + spec.n_months)
    f = model.n_factions
    columns = {
        "date": np.repeat(month_timestamps(months).to_numpy(), f),
        "faction": np.tile(np.array(model.faction_ids, dtype=object), len(months)),
    }
    for name, values in model.recorder.series.items():  # in the recorder's SERIES order
        columns[name] = values.reshape(-1)
    for name in ("active_cadres", "seats", "members"):
        columns[name] = columns[name].astype(np.int64)
    columns["in_coalition"] = columns["in_coalition"].astype(bool)
    columns["patron_presence"] = _patron_presence(model).reshape(-1)
    return columns


def _patron_presence(model: FactionModel) -> np.ndarray:
    """Month × faction presence of each faction's patron (NaN for a faction without one)."""
    slot = model.factions.patron
    presence = model.recorder.presence
    if not presence.shape[1]:
        return np.full((presence.shape[0], len(slot)), np.nan)
    return np.where(slot >= 0, presence[:, np.maximum(slot, 0)], np.nan)


def event_columns(model: FactionModel) -> Columns:
    """One row per event-log entry, in the order the model logged them."""
    events = model.recorder.events
    months = np.array([e[0] for e in events], dtype=np.int64)
    factions = np.array([*model.faction_ids, None], dtype=object)
    cadres = [model.cadres.label(e[3]) if e[3] >= 0 else None for e in events]
    return {
        "date": month_timestamps(months).to_numpy(),
        "kind": _objects([e[1] for e in events]),
        "faction": factions[np.array([e[2] for e in events], dtype=np.int64)],
        "cadre": _objects(cadres),
        "detail": _objects([e[4] for e in events]),
    }


def _objects(values: list) -> np.ndarray:
    """A list as a one-dimensional object array (strings stay Python strings, None stays)."""
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def congress_columns(model: FactionModel) -> Columns:
    """One row per congress and faction: the seats won and the new members admitted."""
    congresses = model.recorder.congresses
    f = model.n_factions
    months = np.array([month for month, _, _, _ in congresses], dtype=np.int64)
    return {
        "date": np.repeat(month_timestamps(months).to_numpy(), f),
        "congress": np.repeat(_objects([key for _, key, _, _ in congresses]), f),
        "faction": np.tile(np.array(model.faction_ids, dtype=object), len(congresses)),
        "seats": _stacked([seats for _, _, seats, _ in congresses]),
        "new_members": _stacked([new for _, _, _, new in congresses]),
    }


def _stacked(rows: list[np.ndarray]) -> np.ndarray:
    """Per-congress faction vectors, one after the other, as int64."""
    return np.concatenate(rows).astype(np.int64) if rows else np.zeros(0, dtype=np.int64)


def cadre_columns(model: FactionModel) -> Columns:
    """One row per cadre who entered: origin and final faction, dates, fate, initial values."""
    c = model.cadres
    idx = np.flatnonzero(c.entered != NOT_YET)
    factions = np.array(model.faction_ids, dtype=object)
    initial = model.initial_cadres
    return {
        "cadre": _objects([c.label(i) for i in idx]),
        "faction": factions[c.origin[idx]],
        "final_faction": factions[c.faction[idx]],
        "entered": _dates(c.entered[idx]),
        "left": _dates(c.left[idx]),
        "fate": FATE_NAMES[fates(c.status[idx], c.faction[idx], c.origin[idx])],
        "prominence": c.prominence[idx],
        "initial_loyalty": initial["loyalty"][idx],
        "initial_military": initial["military"][idx],
        "tie_strength": model.ties.strength()[idx],
        "initial_seat": initial["seat"][idx],
    }


#: How each per-run table but ``runs`` (which the runner writes: it knows the seeds) is made.
_BUILDERS = {
    "factions": faction_columns,
    "timeseries": timeseries_columns,
    "events": event_columns,
    "congresses": congress_columns,
    "cadres": cadre_columns,
}


def run_columns(model: FactionModel) -> dict[str, Columns]:
    """Every per-run table but ``runs``, as columns of numpy arrays (no run id yet)."""
    return {name: make(model) for name, make in _BUILDERS.items()}


def stack_runs(
    runs: Sequence[dict[str, Columns]], labels: Mapping[str, Sequence[object]]
) -> dict[str, pd.DataFrame]:
    """Join several runs' columns into one DataFrame per table, column by column.

    ``labels`` gives each run's values of the leading columns (``run_id``, and ``point`` in a
    sweep), repeated over that run's rows. Joining numpy arrays once per table, rather than
    building a DataFrame per run and concatenating those, keeps the cost of recording a run
    small against the run itself (docs/performance.md).
    """
    tables = {}
    for name in runs[0]:
        parts = [run[name] for run in runs]
        rows = [len(next(iter(part.values()))) for part in parts]
        leading = {key: np.repeat(np.asarray(values), rows) for key, values in labels.items()}
        joined = {key: np.concatenate([part[key] for part in parts]) for key in parts[0]}
        tables[name] = pd.DataFrame({**leading, **joined}, copy=False)
    return tables


def run_tables(model: FactionModel, run_id: int) -> dict[str, pd.DataFrame]:
    """Every per-run table but ``runs``, as DataFrames whose first column is ``run_id``."""
    return stack_runs([run_columns(model)], {"run_id": [run_id]})
