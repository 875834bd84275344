"""The faction-elimination rule: when a faction stops existing as a bloc.

A standing faction is eliminated in the first month in which both hold: its cadres in office are
at most ``max(max_active_cadres, max_active_share * peak)`` (``peak`` its largest number in
office so far) and it holds at most ``max_seats`` central-committee seats. Elimination is
absorbing; a faction still standing at the horizon is right-censored, never "eliminated at the
end".
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from factions.mechanisms.power import seats_per_faction

if TYPE_CHECKING:
    from factions.model import FactionModel


def check(model: FactionModel) -> None:
    rule = model.spec.elimination
    cadres = model.cadres
    office = cadres.office_counts(model.n_factions)
    model.peak_active = np.maximum(model.peak_active, office)
    seats = seats_per_faction(model)
    limit = np.maximum(rule.max_active_cadres, rule.max_active_share * model.peak_active)
    gone = model.standing & (office <= limit) & (seats <= rule.max_seats)
    for f in np.flatnonzero(gone):
        model.eliminated_at[f] = model.month
        model.log("elimination", int(f), None, f"{office[f]} cadres, {seats[f]} seats left")
        model.coalition_stale = True
