"""Per-month observables of one run, recorded into preallocated arrays."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from factions.compiled import kernel
from factions.mechanisms.loyalty import mean_loyalty
from factions.mechanisms.power import COMPONENTS

__all__ = ["SERIES", "Recorder"]

if TYPE_CHECKING:
    from factions.model import FactionModel

SERIES = (
    "active_cadres",
    "seats",
    "military",
    "loyalty",
    "power_share",
    "members",
    "in_coalition",
)

MILITARY, SEATS, MEMBERS = (COMPONENTS.index(name) for name in ("military", "seats", "members"))


@dataclass
class Recorder:
    """Month × faction arrays of every observable, plus the event log and congress snapshots.

    Each patron's presence is kept apart from :data:`SERIES` (month × patron, not × faction).
    """

    n_months: int
    n_factions: int
    n_patrons: int = 0
    series: dict[str, np.ndarray] = field(init=False)
    events: list[tuple[int, str, int, int, str]] = field(default_factory=list)
    congresses: list[tuple[int, str, np.ndarray, np.ndarray]] = field(default_factory=list)
    table: np.ndarray = field(init=False, repr=False)  # the series stacked, in SERIES order
    presence: np.ndarray = field(init=False, repr=False)  # month × patron presence

    def __post_init__(self) -> None:
        self.table = np.zeros((len(SERIES), self.n_months, self.n_factions))
        self.series = dict(zip(SERIES, self.table, strict=True))  # views into the table
        self.presence = np.zeros((self.n_months, self.n_patrons))

    def record(self, model: FactionModel, row: int) -> None:
        """Store this month's values (called after the month's last power computation)."""
        components = model.power_components
        _record_row(
            self.table,
            row,
            model.cadres.office_counts(self.n_factions),
            components[SEATS],
            components[MILITARY],
            mean_loyalty(model),
            model.power,
            components[MEMBERS],
            model.in_coalition,
        )
        self.presence[row] = model.presence


@kernel
def _record_row(table, row, active, seats, military, loyalty, power, members, in_coalition):
    """Write month ``row`` of every series, given in SERIES order; the mean loyalty is NaN for
    a faction without cadres in office, and membership of the ruling coalition is 1 or 0."""
    for f in range(active.shape[0]):
        table[0, row, f] = active[f]
        table[1, row, f] = seats[f]
        table[2, row, f] = military[f]
        table[3, row, f] = loyalty[f] if active[f] > 0 else np.nan
        table[4, row, f] = power[f]
        table[5, row, f] = members[f]
        table[6, row, f] = in_coalition[f]
