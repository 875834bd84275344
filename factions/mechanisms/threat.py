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

from factions import kernels
from factions.mechanisms import purge

if TYPE_CHECKING:
    from factions.model import FactionModel


def threat(model: FactionModel) -> np.ndarray:
    """Each faction's threat this month, in [0, 1] (0 for eliminated factions; the arithmetic
    in :func:`factions.kernels.threat_level`, one pass over the cadres)."""
    p = model.spec.mechanisms.threat
    target = purge.targets(model)
    if not p.enabled:
        return target.astype(float)
    rule = kernels.ThreatRule(model.month - purge.RECENT_MONTHS, p.target, p.arrests, p.decline)
    factions = model.factions
    return kernels.threat_level(
        *model.cadres.arrays, target, factions.standing, model.power, factions.peak_power, *rule
    )


def recently_arrested_share(model: FactionModel) -> np.ndarray:
    """Per faction, the share of its cadres (in office or arrested) arrested in the last
    ``purge.RECENT_MONTHS`` months."""
    since = model.month - purge.RECENT_MONTHS
    return kernels.arrested_share(*model.cadres.arrays, since, model.n_factions)


def power_decline(model: FactionModel) -> np.ndarray:
    """Per faction, ``1 - share / peak share`` in [0, 1] (0 for a faction never with power)."""
    return kernels.power_decline(model.power, model.factions.peak_power)
