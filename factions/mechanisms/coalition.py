"""The ruling coalition at decision points (Acemoglu, Egorov & Sonin 2008).

Every ``interval`` months, and after a congress or an elimination, the leader's camp asks which
factions it can rule without: the least-power self-enforcing coalition that is winning within the
standing factions and, with ``leader_constrained``, contains the leader's own faction. Factions
outside it become targets of purges. When no such coalition exists the leader is too weak to rule
without anyone, and nobody is a target. With the mechanism disabled the leader treats every
rival faction as a target (no coalition reasoning at all).

A faction the leader has begun to purge is an *enemy* for good: it cannot credibly commit not to
retaliate, so it is no longer a potential partner (the commitment problem behind AES's
elimination of excluded players, and Svolik 2012, ch. 3). Enemies stay targets and are left out
of later coalition computations.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from factions.theory.aes import ruling_coalition

if TYPE_CHECKING:
    from factions.model import FactionModel

POWER_FLOOR = 1e-9  # AES needs positive powers; a standing faction with nothing has almost none


def is_decision_point(model: FactionModel) -> bool:
    p = model.spec.mechanisms.coalition
    return model.month_index % p.interval == 0 or model.factions.coalition_stale


def update_coalition(model: FactionModel) -> None:
    """Recompute the ruling coalition (``model.factions.in_coalition``) from the current
    powers."""
    p = model.spec.mechanisms.coalition
    leader = model.leader.faction
    eligible = np.flatnonzero(model.standing & ~model.factions.enemy).tolist()
    if not p.enabled:
        chosen = [leader]
    else:
        power = model.power.tolist()
        names = {str(f): max(power[f], POWER_FLOOR) for f in eligible}
        must = str(leader) if p.leader_constrained and leader in eligible else None
        members = ruling_coalition(names, p.alpha, must_include=must)
        chosen = eligible if members is None else [int(m) for m in members]
    in_coalition = np.zeros(model.n_factions, dtype=bool)
    in_coalition[chosen] = True
    if model.factions.set_coalition(in_coalition):
        label = "+".join(model.faction_ids[f] for f in np.flatnonzero(in_coalition))
        model.log("coalition", None, None, f"ruling coalition: {label}")
