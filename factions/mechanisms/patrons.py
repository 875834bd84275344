"""Foreign patrons: their presence over time, the protection it gives, and interventions.

A patron's presence (troops, advisers) moves along linear ramps set by dated events. Presence
shields its client factions from purges (protection) and, when a campaign runs against a client
(arrests of its cadres in someone else's campaign do not count), the patron may intervene: the
campaign halts for ``halt_months`` and a share of the client's purged cadres are restored. When
one patron intervenes, another with a client under campaign may join it in the same month, with
its own hazard: a joint intervention (the September 1956 Soviet–Chinese delegation of Mikoyan and
Peng Dehuai that forced the rehabilitation of the August plotters: Lankov 2005, ch. 6). A patron
does not intervene again before ``cooldown`` months have passed. With the mechanism disabled
patrons have no presence at all: no backing, protection, encouragement, exile or intervention.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from factions.polity import NO_PATRON
from factions.state import Status

if TYPE_CHECKING:
    from factions.model import FactionModel


def update_presence(model: FactionModel) -> None:
    """Advance every patron's presence along its current ramp (all zero when disabled)."""
    if model.spec.mechanisms.patrons.enabled:
        model.patrons.advance(model.month)
    else:
        model.patrons.withdraw()


def intervene(model: FactionModel) -> None:
    """Each patron off cooldown with a client under a running campaign intervenes with its
    monthly hazard (one draw per such patron, in patron order). When one does, every other
    patron off cooldown with a client under a campaign decides in the same month whether to
    join it, with its own hazard (one more draw each): the intervention is joint."""
    p = model.spec.mechanisms.patrons
    if not p.enabled:
        return
    attacked = model.factions.under_campaign(model.month) & model.factions.standing
    if not attacked.any():
        return  # no campaign under way against anyone: nothing to intervene in
    hazard = intervention_hazard(model, attacked)
    acting = [k for k in candidates(model, hazard) if model.rng.random() < hazard[k]]
    if not acting:
        return
    joining = [k for k in candidates(model, hazard) if k not in acting]
    joined = [k for k in joining if model.rng.random() < hazard[k]]
    joint = len(acting) + len(joined) > 1
    for patron in [*acting, *joined]:
        partners = [model.patron_ids[k] for k in [*acting, *joined] if k != patron]
        _act(model, patron, attacked, partners if joint else [])


def intervention_hazard(model: FactionModel, attacked: np.ndarray) -> np.ndarray:
    """Per patron, its monthly hazard of intervening for its clients under campaign
    (``attacked``): ``intervention_rate * willingness * presence * affinity``, ``affinity`` its
    largest with such a client; -1 (below any draw) for a patron without one."""
    factions = model.factions
    patrons = model.patrons
    affinity = np.full(patrons.n, -1.0)
    clients = np.flatnonzero(attacked & (factions.patron != NO_PATRON))
    np.maximum.at(affinity, factions.patron[clients], factions.patron_affinity[clients])
    rate = model.spec.mechanisms.patrons.intervention_rate
    hazard = rate * patrons.willingness * patrons.presence * affinity
    return np.where(affinity < 0, -1.0, hazard)


def candidates(model: FactionModel, hazard: np.ndarray) -> list[int]:
    """Patrons off cooldown with a client under campaign (``hazard >= 0``), in index order."""
    off = model.patrons.next_intervention <= model.month
    return np.flatnonzero(off & (hazard >= 0)).tolist()


def _act(model: FactionModel, patron: int, attacked: np.ndarray, partners: list[str]) -> None:
    """The patron intervenes (jointly with ``partners``, if any): it halts the campaigns
    against its clients and restores some of their purged cadres; it then cools down."""
    model.patrons.cool_down(patron, model.month + model.spec.mechanisms.patrons.cooldown)
    for f in np.flatnonzero(attacked & (model.factions.patron == patron)).tolist():
        _halt_and_restore(model, f, patron, partners)


def _halt_and_restore(model: FactionModel, faction: int, patron: int, partners: list[str]) -> None:
    p = model.spec.mechanisms.patrons
    cadres = model.cadres
    model.factions.halt_campaign(faction, model.month + p.halt_months)
    purged = np.flatnonzero(
        (cadres.origin == faction)
        & np.isin(cadres.status, [Status.ARRESTED, Status.EXILED, Status.DEMOTED])
    )
    count = round(p.restore_share * len(purged))
    restored = model.rng.choice(purged, size=count, replace=False) if count else purged[:0]
    model.log(
        "intervention",
        faction,
        None,
        f"{model.patron_ids[patron]} halts the purge; {count} restored"
        + (f" (joint, with {', '.join(partners)})" if partners else ""),
    )
    model.set_status(restored, Status.REHABILITATED)
    cadres.move(restored, faction)
    for i in restored:
        model.log("rehabilitation", faction, int(i), f"restored by {model.patron_ids[patron]}")
