"""Per-month observables of one run, recorded into preallocated arrays."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from factions.mechanisms.challenge import mean_loyalty

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


@dataclass
class Recorder:
    """Month × faction arrays of every observable, plus the event log and congress snapshots."""

    n_months: int
    n_factions: int
    series: dict[str, np.ndarray] = field(init=False)
    events: list[tuple[int, str, int, int, str]] = field(default_factory=list)
    congresses: list[tuple[int, str, np.ndarray, np.ndarray]] = field(default_factory=list)

    def __post_init__(self) -> None:
        shape = (self.n_months, self.n_factions)
        self.series = {name: np.zeros(shape) for name in SERIES}

    def record(self, model: FactionModel, row: int) -> None:
        """Store this month's values (called after the month's last power computation)."""
        military, seats, _, _, members = model.power_components
        active = model.cadres.office_counts(self.n_factions)
        loyalty = np.where(active > 0, mean_loyalty(model), np.nan)
        s = self.series
        s["active_cadres"][row] = active
        s["seats"][row] = seats
        s["military"][row] = military
        s["loyalty"][row] = loyalty
        s["power_share"][row] = model.power
        s["members"][row] = members
        s["in_coalition"][row] = model.in_coalition
