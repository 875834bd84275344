"""What the dashboard reads from a running model: the one place that knows its attribute names.

The model core keeps its state in struct-of-arrays classes whose names may change; every panel of
the dashboard reads the model through the functions here (date, network and statuses, share
series, event log, patron presence), so that a rename is fixed in this file alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import networkx as nx
import numpy as np

from factions.calendar import format_month
from factions.network import to_networkx
from factions.state import IN_OFFICE, Status

if TYPE_CHECKING:
    from factions.model import FactionModel

#: Event kinds the log panel lists, with the words it uses for them (others are left out: the
#: monthly arrests and sentences would drown the story in hundreds of lines).
EVENT_WORDS = {
    "purge_campaign": "Purge campaign",
    "show_trial": "Show trial",
    "expulsion_wave": "Expulsion wave",
    "challenge": "Challenge",
    "challenge_failed": "Challenge failed",
    "challenge_success": "Leader deposed",
    "intervention": "Patron intervention",
    "elimination": "Faction eliminated",
    "coalition": "Ruling coalition",
    "cooptation": "Co-opted",
    "flight": "Fled abroad",
}

#: How a cadre is marked in the network: office, purge outcome, or a switch to the leader's camp.
MARKS = ("in office", "co-opted", "arrested", "executed", "exiled", "demoted", "not yet in")


@dataclass(frozen=True)
class Cadres:
    """Per-cadre facts for drawing: faction id, mark (one of :data:`MARKS`), label, leader."""

    faction: np.ndarray  # object array of faction ids
    mark: np.ndarray  # object array of MARKS
    label: list[str]
    leader: int


def date(model: FactionModel) -> str:
    """The month the next step will simulate, as ``'YYYY-MM'``; the last month once finished."""
    return format_month(min(model.month, model.spec.end_month))


def months_done(model: FactionModel) -> int:
    """How many months have been simulated."""
    return model.month - model.spec.start_month


def faction_labels(model: FactionModel) -> dict[str, str]:
    """Faction id -> its label, in scenario order."""
    return {fid: model.spec.faction_table(fid).label for fid in model.spec.faction_ids}


def graph(model: FactionModel) -> nx.Graph:
    """The patronage network (ties never change during a run), one node per cadre index."""
    return to_networkx(model.ties)


def cadres(model: FactionModel) -> Cadres:
    """Each cadre's current faction and mark."""
    state = model.cadres
    status = state.status
    mark = np.full(state.n, "not yet in", dtype=object)
    names = {
        Status.ARRESTED: "arrested",
        Status.EXECUTED: "executed",
        Status.EXILED: "exiled",
        Status.DEMOTED: "demoted",
    }
    for code, name in names.items():
        mark[status == code] = name
    office = np.isin(status, IN_OFFICE)
    mark[office] = "in office"
    mark[office & (state.faction != state.origin)] = "co-opted"
    ids = np.array(model.faction_ids, dtype=object)
    return Cadres(
        faction=ids[state.faction],
        mark=mark,
        label=[state.label(i) for i in range(state.n)],
        leader=int(model.leader.cadre),
    )


def shares(model: FactionModel) -> dict[str, np.ndarray]:
    """Seat share and power share: months simulated × factions (in :attr:`faction_ids` order).

    Plain arrays, read at every step: a data frame with a date index cost more than the drawing.
    """
    done = months_done(model)
    series = model.recorder.series
    seats = series["seats"][:done]
    totals = seats.sum(axis=1, keepdims=True)
    seat_share = np.divide(seats, totals, out=np.zeros_like(seats), where=totals > 0)
    return {"seats": seat_share, "power": series["power_share"][:done]}


def events(model: FactionModel) -> list[dict[str, str]]:
    """The run's notable events so far, oldest first, as readable rows."""
    labels = list(faction_labels(model).values())
    rows = []
    for month, kind, faction, cadre, detail in model.recorder.events:
        if kind not in EVENT_WORDS:
            continue
        rows.append(
            {
                "date": format_month(month),
                "event": EVENT_WORDS[kind],
                "faction": labels[faction] if faction >= 0 else "",
                "who": model.cadres.label(cadre) if cadre >= 0 else "",
                "detail": detail,
            }
        )
    return rows


def presence(model: FactionModel) -> dict[str, float]:
    """Each patron's current presence in [0, 1], by patron label."""
    return {
        patron.label: float(model.presence[i])
        for i, patron in enumerate(model.spec.patrons.values())
    }


def cadre_index(agent) -> int:
    """The array index of a cadre agent (its node in the network)."""
    return agent.index
