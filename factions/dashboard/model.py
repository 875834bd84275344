"""The model the dashboard steps: a :class:`~factions.model.FactionModel` on a Mesa network.

Mesa's ``SpaceRenderer`` draws ``model.grid``; here that is a ``mesa.discrete_space.Network``
over the patronage ties, one cell per cadre, each cadre agent in its cell; Mesa's drawer lays
the nodes out once per run with a fixed seed (the drawing does not jump between steps). Stepping is
the plain model's ``step()``: one month. The run is replicate 0 of root seed ``seed``, the same
stream ``factions run --seed SEED`` gives its first replicate.
"""

from __future__ import annotations

from typing import Any

from mesa.discrete_space import Network

from factions.dashboard import view
from factions.dashboard.parameters import resolve
from factions.model import FactionModel
from factions.seeds import replicate_seed


class DashboardModel(FactionModel):
    """One replicate of ``source`` (a bundled name or a file) with ``values`` applied.

    ``values`` maps dotted scenario paths to numbers (the sliders); Mesa's controller rebuilds
    the model from these three keyword arguments on Reset.
    """

    def __init__(
        self,
        source: str = "korea-1945",
        seed: int = 1,
        values: dict[str, Any] | None = None,
    ):
        super().__init__(resolve(source, values or {}), rng=replicate_seed(seed, 0))
        self.source = source
        self.seed = seed
        self.values = dict(values or {})
        # Mesa's network drawer lays the nodes out itself (once per renderer, seeded): no
        # layout here, which would cost a second spring layout per reset.
        self.grid = Network(view.graph(self), layout=None, random=self.random)
        for agent in self.cadre_agents:
            self.grid[view.cadre_index(agent)].add_agent(agent)
        self.presence_history = [list(view.presence(self).values())]

    def step(self) -> None:
        """One month of the model; the patrons' presence is kept for the presence chart."""
        super().step()
        self.presence_history.append(list(view.presence(self).values()))
