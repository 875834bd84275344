"""Monthly loyalty dynamics of cadres and of the rank-and-file.

Loyalty to the leader moves, each month, by the sum of:

* the leader's charisma, scaled by the leader's faction's legitimacy (Weber 1922; the
  "on-the-spot guidance" style of mass leadership);
* mass indoctrination, a pull toward full loyalty (compulsory study groups: Armstrong 2003);
* conformity: a pull toward the faction's mean, in proportion to its cohesion, and toward one's
  ties' mean (DeGroot 1974 averaging over the patronage network);
* a patron's encouragement of its clients' independence, in proportion to its presence;
* idiosyncratic noise.

Purges of one's ties cost loyalty at once (fear turned to resentment; Wintrobe 1998 on the
loyalty-repression trade-off): see :func:`fear_shock`, called by the purge mechanism.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from factions import kernels

if TYPE_CHECKING:
    from factions.model import FactionModel


NO_NOISE = np.zeros(0)  # the cadre kernel's shocks when ``noise`` is zero (nothing is drawn)


def mean_loyalty(model: FactionModel) -> np.ndarray:
    """Mean loyalty of each faction's cadres in office (1 for a faction without any)."""
    return kernels.mean_loyalty(*model.cadres.arrays, model.n_factions)


def update_cadres(model: FactionModel) -> None:
    """One month of cadre loyalty (the rule above; the arithmetic in
    :func:`factions.kernels.step_cadres`)."""
    p = model.spec.mechanisms.loyalty
    if not p.enabled:
        return
    cadres = model.cadres
    leader = model.leader
    pull_up = p.charisma_pull * leader.charisma * model.factions.legitimacy[leader.faction]
    pull_up += p.indoctrination
    shocks = model.rng.standard_normal(cadres.n) if p.noise > 0 else NO_NOISE
    kernels.step_cadres(
        *cadres.arrays,
        *model.ties,
        model.factions.cohesion,
        model.encouragement_of_faction(),
        *kernels.LoyaltyRule(pull_up, p.faction_pull, p.network_pull, p.noise),
        shocks,
    )


def update_members(model: FactionModel) -> None:
    """Indoctrination of the rank-and-file: ``loyalty += rate * (1 - loyalty)``, over the slots
    in use, in float32 (see :func:`_indoctrinate`)."""
    p = model.spec.mechanisms.loyalty
    if not p.enabled:
        return
    members = model.members
    kernels.indoctrinate(members.loyalty, members.used, p.indoctrination)


def fear_shock(model: FactionModel, arrested: np.ndarray) -> None:
    """Cadres whose ties were just arrested lose loyalty in proportion to the lost tie weight."""
    p = model.spec.mechanisms.loyalty
    if not p.enabled or p.fear == 0 or len(arrested) == 0:
        return
    kernels.fear(model.cadres.loyalty, arrested, *model.ties, p.fear)


def ideological_shock(model: FactionModel, magnitude: np.ndarray) -> None:
    """A shock to the leader's legitimacy (e.g. the 1956 denunciation of Stalin's personality
    cult): each cadre in office loses the share ``magnitude[f]`` of its loyalty, ``f`` its
    faction (the event's magnitude times the faction's reach)."""
    cadres = model.cadres
    hit = cadres.in_office()
    cadres.loyalty[hit] *= 1.0 - magnitude[cadres.faction[hit]]
