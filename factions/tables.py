"""Turn one finished run into small tidy tables (the unit of work of every executor)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from factions.calendar import month_timestamps
from factions.state import NO_END, NOT_YET, EndCause, Fate, fates

__all__ = [
    "END_CAUSE_NAMES",
    "FATE_NAMES",
    "TABLES",
    "cadre_table",
    "concat_tables",
    "congress_table",
    "event_table",
    "faction_table",
    "run_tables",
    "timeseries_table",
]

if TYPE_CHECKING:
    from factions.model import FactionModel

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


def _dates(months: np.ndarray) -> pd.Series:
    """Month indices to timestamps, NaT where the month is NOT_YET."""
    months = np.asarray(months, dtype=np.int64)
    out = np.full(len(months), np.datetime64("NaT", "ns"), dtype="datetime64[ns]")
    ok = months != NOT_YET
    if ok.any():
        out[ok] = month_timestamps(months[ok]).to_numpy()
    return pd.Series(out)


def faction_table(model: FactionModel, run_id: int) -> pd.DataFrame:
    spec = model.spec
    eliminated = model.eliminated_at != NOT_YET
    end = np.where(eliminated, model.eliminated_at, spec.end_month + 1)
    duration = end - model.factions.entered_at  # from the start, or a faction_entry's month
    return pd.DataFrame(
        {
            "run_id": run_id,
            "faction": model.faction_ids,
            "eliminated": eliminated,
            "eliminated_at": _dates(model.eliminated_at),
            "duration_months": duration.astype(np.int64),
            "end_cause": _end_causes(model.factions.end_cause),
        }
    )


def _end_causes(codes: np.ndarray) -> pd.Series:
    """End-cause codes to names; a standing (censored) faction has none (null)."""
    names = np.full(len(codes), None, dtype=object)
    ended = codes != NO_END
    names[ended] = END_CAUSE_NAMES[codes[ended]]
    return pd.Series(names, dtype=object)


def timeseries_table(model: FactionModel, run_id: int) -> pd.DataFrame:
    spec = model.spec
    months = np.arange(spec.start_month, spec.start_month + spec.n_months)
    f = model.n_factions
    data = {
        "run_id": run_id,
        "date": np.repeat(month_timestamps(months).to_numpy(), f),
        "faction": np.tile(np.array(model.faction_ids, dtype=object), len(months)),
    }
    for name, values in model.recorder.series.items():  # in the recorder's SERIES order
        data[name] = values.reshape(-1)
    frame = pd.DataFrame(data)
    for name in ("active_cadres", "seats", "members"):
        frame[name] = frame[name].astype(np.int64)
    frame["in_coalition"] = frame["in_coalition"].astype(bool)
    frame["patron_presence"] = _patron_presence(model).reshape(-1)
    return frame


def _patron_presence(model: FactionModel) -> np.ndarray:
    """Month × faction presence of each faction's patron (NaN for a faction without one)."""
    slot = model.factions.patron
    presence = model.recorder.presence
    if not presence.shape[1]:
        return np.full((presence.shape[0], len(slot)), np.nan)
    return np.where(slot >= 0, presence[:, np.maximum(slot, 0)], np.nan)


def event_table(model: FactionModel, run_id: int) -> pd.DataFrame:
    events = model.recorder.events
    months = np.array([e[0] for e in events], dtype=np.int64)
    factions = np.array([*model.faction_ids, None], dtype=object)
    return pd.DataFrame(
        {
            "run_id": run_id,
            "date": month_timestamps(months) if len(events) else pd.to_datetime([]),
            "kind": [e[1] for e in events],
            "faction": factions[[e[2] for e in events]] if events else [],
            "cadre": [model.cadres.label(e[3]) if e[3] >= 0 else None for e in events],
            "detail": [e[4] for e in events],
        }
    )


def congress_table(model: FactionModel, run_id: int) -> pd.DataFrame:
    rows = [
        (month, key, fid, int(seats[i]), int(new[i]))
        for month, key, seats, new in model.recorder.congresses
        for i, fid in enumerate(model.faction_ids)
    ]
    frame = pd.DataFrame(rows, columns=["month", "congress", "faction", "seats", "new_members"])
    frame.insert(0, "run_id", run_id)
    frame.insert(1, "date", month_timestamps(frame.pop("month").to_numpy()))
    return frame


def cadre_table(model: FactionModel, run_id: int) -> pd.DataFrame:
    c = model.cadres
    entered = c.entered != NOT_YET
    idx = np.flatnonzero(entered)
    factions = np.array(model.faction_ids, dtype=object)
    initial = model.initial_cadres
    return pd.DataFrame(
        {
            "run_id": run_id,
            "cadre": [c.label(i) for i in idx],
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
    )


def run_tables(model: FactionModel, run_id: int) -> dict[str, pd.DataFrame]:
    """Every per-run table except ``runs`` (which the runner writes: it knows the seeds)."""
    return {
        "factions": faction_table(model, run_id),
        "timeseries": timeseries_table(model, run_id),
        "events": event_table(model, run_id),
        "congresses": congress_table(model, run_id),
        "cadres": cadre_table(model, run_id),
    }
