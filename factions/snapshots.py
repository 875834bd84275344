"""Snapshots of one run's patronage network, as tables: who stands where at chosen months.

:func:`network_snapshots` runs one replicate (the same random stream as replicate ``r`` of an
ensemble with the same root seed) and copies, at the start of each chosen month, every cadre's
faction and status. The ties are drawn once at the start and never change, so they are one
table. :func:`factions.plots.plot_network_filmstrip` draws the result.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import networkx as nx
import numpy as np
import pandas as pd

from factions.calendar import format_month
from factions.model import FactionModel
from factions.network import to_networkx
from factions.scenario import Scenario, load_scenario
from factions.seeds import replicate_seed
from factions.state import PURGED, Status

__all__ = ["NetworkSnapshots", "network_snapshots", "snapshot_months"]

_PURGED = np.array([int(s) for s in PURGED])


@dataclass(frozen=True)
class NetworkSnapshots:
    """One run's network at several months.

    ``panels``: one row per snapshot (``snapshot``, ``month`` as 'YYYY-MM', ``title``).
    ``nodes``: one row per snapshot × cadre (``snapshot``, ``cadre`` index, ``name``,
    ``faction``, ``status``, ``purged``: arrested, executed, exiled or demoted).
    ``edges``: the ties (``source``, ``target``, ``weight``), the same at every snapshot.
    """

    scenario: Scenario
    seed: int
    replicate: int
    panels: pd.DataFrame
    nodes: pd.DataFrame
    edges: pd.DataFrame


def snapshot_months(spec: Scenario, years: Sequence[int] | None = None) -> list[tuple[int, str]]:
    """(month, title) of each snapshot: the state at the start of that month.

    By default: the start, 1 January of every following year, and the end of the run.
    Otherwise 1 January of each of ``years`` (the start for the first year); years outside the
    scenario are refused.
    """
    first, last = spec.start_month // 12, spec.end_month // 12
    if years is None:
        panels = [(spec.start_month, f"{spec.start} (start)")]
        panels += [(year * 12, f"Jan {year}") for year in range(first + 1, last + 1)]
        return [*panels, (spec.end_month + 1, f"{spec.end} (end)")]
    bad = [y for y in years if not first <= y <= last + 1]
    if bad:
        raise ValueError(
            f"years outside the scenario ({spec.start} to {spec.end}): " + ", ".join(map(str, bad))
        )
    return [
        (
            max(year * 12, spec.start_month),
            f"Jan {year}" if year * 12 > spec.start_month else f"{spec.start} (start)",
        )
        for year in sorted(set(years))
    ]


def _nodes(model: FactionModel, snapshot: int) -> pd.DataFrame:
    c = model.cadres
    status = c.status.astype(np.int64)
    return pd.DataFrame(
        {
            "snapshot": snapshot,
            "cadre": np.arange(c.n),
            "name": [c.label(i) for i in range(c.n)],
            "faction": np.array(model.faction_ids, dtype=object)[c.faction],
            "status": [Status(s).name.lower() for s in status.tolist()],
            "purged": np.isin(status, _PURGED),
        }
    )


def network_snapshots(
    spec: Scenario | str, seed: int, years: Sequence[int] | None = None, replicate: int = 0
) -> NetworkSnapshots:
    """Run replicate ``replicate`` of root ``seed``; copy its network at each snapshot month.

    ``years`` as in :func:`snapshot_months`. The replicate draws the same random stream as in
    :func:`factions.ensemble.run_ensemble` with the same root seed.
    """
    spec = load_scenario(spec) if isinstance(spec, str) else spec
    model = FactionModel(spec, rng=replicate_seed(seed, replicate))
    panels, nodes = [], []
    for snapshot, (month, title) in enumerate(snapshot_months(spec, years)):
        while model.running and model.month < month:
            model.step()
        panels.append({"snapshot": snapshot, "month": format_month(month), "title": title})
        nodes.append(_nodes(model, snapshot))
    edges = nx.to_pandas_edgelist(to_networkx(model.ties))
    return NetworkSnapshots(
        scenario=spec,
        seed=seed,
        replicate=replicate,
        panels=pd.DataFrame(panels),
        nodes=pd.concat(nodes, ignore_index=True),
        edges=edges[["source", "target", "weight"]],
    )
