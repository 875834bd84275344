"""Per-month observables of one run, recorded into preallocated arrays."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from factions.mechanisms.challenge import mean_loyalty
from factions.mechanisms.power import effective_military, seats_per_faction

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
        cadres = model.cadres
        office = cadres.in_office()
        s = self.series
        s["active_cadres"][row] = np.bincount(cadres.faction[office], minlength=self.n_factions)
        s["seats"][row] = seats_per_faction(model)
        s["military"][row] = effective_military(model)
        s["loyalty"][row] = mean_loyalty(model)
        s["power_share"][row] = model.power
        s["members"][row] = model.members.counts(self.n_factions)
        s["in_coalition"][row] = model.in_coalition
