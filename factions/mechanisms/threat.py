"""How threatened each faction is, as its own cadres see it.

A faction's threat, in [0, 1], combines three signs that the leader means to destroy it
(Svolik 2012, ch. 3: an elite that expects to be purged has nothing to lose by striking first;
Bueno de Mesquita et al. 2003: cadres of a losing faction defect to keep their place):

* being a purge target or an enemy of the leader (weight ``target``);
* the share of its cadres arrested in the last ``RECENT_MONTHS`` months (times ``arrests``,
  capped at 1);
* the fall of its power share from its peak, ``1 - share / peak`` (times ``decline``).

The three combine like independent warnings: ``1 - (1 - a)(1 - b)(1 - c)``. With the mechanism
disabled a faction is fully threatened while it is a target and not at all otherwise (the rule
before threats were graded). Challenges (:mod:`factions.mechanisms.challenge`) and co-optation
(:mod:`factions.mechanisms.cooptation`) read it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from factions.mechanisms import purge
from factions.state import NOT_YET

if TYPE_CHECKING:
    from factions.model import FactionModel


def threat(model: FactionModel) -> np.ndarray:
    """Each faction's threat this month, in [0, 1] (0 for eliminated factions)."""
    p = model.spec.mechanisms.threat
    target = purge.targets(model).astype(float)
    if not p.enabled:
        return target
    arrests = np.minimum(1.0, p.arrests * recently_arrested_share(model))
    decline = power_decline(model)
    level = 1.0 - (1.0 - p.target * target) * (1.0 - arrests) * (1.0 - p.decline * decline)
    return np.where(model.standing, level, 0.0)


def recently_arrested_share(model: FactionModel) -> np.ndarray:
    """Per faction, the share of its cadres (in office or arrested) arrested in the last
    ``purge.RECENT_MONTHS`` months."""
    cadres = model.cadres
    since = model.month - purge.RECENT_MONTHS
    recent = (cadres.arrested_at >= since) & (cadres.arrested_at != NOT_YET)
    pool = cadres.in_office() | recent
    n = model.n_factions
    arrested = np.bincount(cadres.faction[recent], minlength=n).astype(float)
    counted = np.bincount(cadres.faction[pool], minlength=n).astype(float)
    return np.divide(arrested, counted, out=np.zeros(n), where=counted > 0)


def power_decline(model: FactionModel) -> np.ndarray:
    """Per faction, ``1 - share / peak share`` in [0, 1] (0 for a faction never with power)."""
    peak = model.factions.peak_power
    ratio = np.divide(model.power, peak, out=np.ones(model.n_factions), where=peak > 0)
    return np.clip(1.0 - ratio, 0.0, 1.0)
