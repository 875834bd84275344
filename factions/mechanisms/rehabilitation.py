"""Rehabilitation: purged cadres who were not executed may return to office.

It was not uncommon in Leninist regimes for the demoted or exiled to be brought back to
responsible posts (docs/history/korea.md; for North Korea, Lankov 2002). A returning cadre of a
faction that no longer exists returns as a member of the leader's camp.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from factions import kernels
from factions.state import Status

if TYPE_CHECKING:
    from factions.model import FactionModel


def rehabilitate(model: FactionModel) -> None:
    """One month of rehabilitation: each demoted or exiled cadre returns with probability
    ``rate`` (one draw each)."""
    p = model.spec.mechanisms.rehabilitation
    if not p.enabled or p.rate == 0:
        return
    cadres = model.cadres
    purged = kernels.returnable(cadres.status)
    if len(purged) == 0:
        return
    chosen = purged[model.rng.random(len(purged)) < p.rate]
    if len(chosen) == 0:
        return
    gone = ~model.standing[cadres.faction[chosen]]
    cadres.move(chosen[gone], model.leader.faction)
    model.set_status(chosen, Status.REHABILITATED)
    cadres.loyalty[chosen] = np.maximum(cadres.loyalty[chosen], p.loyalty)
    for f, i in zip(cadres.faction[chosen].tolist(), chosen.tolist(), strict=True):
        model.log("rehabilitation", f, i, "returned to office")
