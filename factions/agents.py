"""Mesa agents: thin views onto the model's arrays.

A :class:`Cadre` is a ``mesa.Agent`` so that Mesa's tools (agent sets, visualisation) work, but
its state lives in :class:`factions.state.CadreState`; reading an attribute reads the array.
Mechanisms never loop over agents: they act on the arrays directly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa

from factions.state import Status

__all__ = ["Cadre"]

if TYPE_CHECKING:
    from factions.model import FactionModel


class Cadre(mesa.Agent):
    """An elite cadre: faction, loyalty, force, seat, status, name."""

    model: FactionModel

    def __init__(self, model: FactionModel, index: int):
        super().__init__(model)
        self.index = index

    @property
    def name(self) -> str:
        return self.model.cadres.label(self.index)

    @property
    def faction(self) -> str:
        return self.model.faction_ids[self.model.cadres.faction[self.index]]

    @property
    def loyalty(self) -> float:
        return float(self.model.cadres.loyalty[self.index])

    @property
    def military(self) -> float:
        return float(self.model.cadres.military[self.index])

    @property
    def prominence(self) -> float:
        return float(self.model.cadres.prominence[self.index])

    @property
    def has_seat(self) -> bool:
        return bool(self.model.cadres.seat[self.index])

    @property
    def status(self) -> Status:
        return Status(int(self.model.cadres.status[self.index]))

    @property
    def is_leader(self) -> bool:
        return self.index == self.model.leader.cadre

    def __repr__(self) -> str:
        return f"Cadre({self.name!r}, {self.faction}, {self.status.name.lower()})"
