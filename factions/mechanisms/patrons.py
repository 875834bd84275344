"""Foreign patrons: their presence over time, the protection it gives, and interventions.

A patron's presence (troops, advisers) moves along linear ramps set by dated events. Presence
shields its client factions from purges (protection) and, when a client is being purged, the
patron may intervene: the campaign halts for ``halt_months`` and a share of the client's purged
cadres are restored (the September 1956 Soviet–Chinese delegation that forced the rehabilitation
of the August plotters: Lankov 2005, ch. 6). A patron does not intervene again before
``cooldown`` months have passed. With the mechanism disabled patrons have no presence at all: no
backing, protection, encouragement, exile or intervention.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from factions.polity import NO_PATRON
from factions.state import Status

if TYPE_CHECKING:
    from factions.model import FactionModel

RECENT_ARRESTS = 3  # months: arrests this recent count as an ongoing purge


def update_presence(model: FactionModel) -> None:
    """Advance every patron's presence along its current ramp (all zero when disabled)."""
    if model.spec.mechanisms.patrons.enabled:
        model.patrons.advance(model.month)
    else:
        model.patrons.withdraw()


def intervene(model: FactionModel) -> None:
    """Each patron off cooldown with a client under attack (a running campaign or recent
    arrests) intervenes with its monthly hazard (one draw per such patron)."""
    p = model.spec.mechanisms.patrons
    if not p.enabled:
        return
    month = model.month
    since = month - RECENT_ARRESTS + 1
    campaign = model.factions.running(month)
    if model.regime.last_arrest < since and not campaign.any():
        return  # no purge under way anywhere: nothing to intervene in
    factions = model.factions
    patrons = model.patrons
    attacked = _attacked(model, since, campaign)
    affinity = np.full(patrons.n, -1.0)  # per patron, its largest affinity with an attacked client
    clients = np.flatnonzero(attacked & (factions.patron != NO_PATRON))
    np.maximum.at(affinity, factions.patron[clients], factions.patron_affinity[clients])
    for patron in range(patrons.n):
        if patrons.next_intervention[patron] > month or affinity[patron] < 0:
            continue
        hazard = p.intervention_rate * patrons.willingness[patron] * patrons.presence[patron]
        if model.rng.random() >= hazard * affinity[patron]:
            continue
        patrons.cool_down(patron, month + p.cooldown)
        for f in np.flatnonzero(attacked & (factions.patron == patron)):
            _halt_and_restore(model, int(f), patron)


def _attacked(model: FactionModel, since: int, campaign: np.ndarray) -> np.ndarray:
    """Boolean mask of the standing factions under a running ``campaign`` or with a cadre of
    theirs arrested since ``since``."""
    cadres = model.cadres
    attacked = np.zeros(model.n_factions, dtype=bool)
    attacked[cadres.origin[cadres.arrested_at >= since]] = True
    return model.factions.standing & (attacked | campaign)


def _halt_and_restore(model: FactionModel, faction: int, patron: int) -> None:
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
        f"{model.patron_ids[patron]} halts the purge; {count} restored",
    )
    model.set_status(restored, Status.REHABILITATED)
    cadres.move(restored, faction)
    for i in restored:
        model.log("rehabilitation", faction, int(i), f"restored by {model.patron_ids[patron]}")
