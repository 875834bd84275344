"""The ruling coalition at decision points (Acemoglu, Egorov & Sonin 2008).

Every ``interval`` months, and after a congress or an elimination, the leader's camp asks which
factions it can rule without: the least-power self-enforcing coalition that is winning within the
standing factions and, with ``leader_constrained``, contains the leader's own faction. Factions
outside it become targets of purges. With the mechanism disabled the leader treats every rival
faction as a target (no coalition reasoning at all).

When no self-enforcing winning coalition contains the leader's faction, the leader is under
threat: the coalition the factions would form without that constraint (the AES ruling
coalition) leaves the leader out, and AES's excluded players are eliminated. With ``preempt``
the leader strikes first at the strongest faction of that unconstrained ruling coalition, the one
that would lead a coalition without him: it becomes the only target, the others stay in (Svolik
2012, ch. 3, on pre-emptive purges). Without ``preempt`` (or when even the unconstrained game has
no ruling coalition) everyone rules together and nobody is a target.

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
        if members is not None:
            chosen = [int(m) for m in members]
        elif p.preempt:
            chosen = _preempt(names, p.alpha, leader, eligible)
        else:
            chosen = eligible
    in_coalition = np.zeros(model.n_factions, dtype=bool)
    in_coalition[chosen] = True
    if model.factions.set_coalition(in_coalition):
        label = "+".join(model.faction_ids[f] for f in np.flatnonzero(in_coalition))
        model.log("coalition", None, None, f"ruling coalition: {label}")


def _preempt(names: dict[str, float], alpha: float, leader: int, eligible: list[int]) -> list[int]:
    """Everyone but the strongest rival of the unconstrained ruling coalition (ties: the lower
    index); everyone when that coalition does not exist or holds no rival."""
    unconstrained = ruling_coalition(names, alpha)
    rivals = [int(m) for m in unconstrained or () if int(m) != leader]
    if not rivals:
        return eligible
    strongest = max(sorted(rivals), key=lambda f: names[str(f)])
    return [f for f in eligible if f != strongest]
