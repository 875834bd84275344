"""The faction-elimination rule: when a faction stops existing as a bloc.

A standing faction is eliminated in the first month in which both hold: its cadres in office are
at most ``max(max_active_cadres, max_active_share * peak)`` (``peak`` its largest number in
office so far) and it holds at most ``max_seats`` central-committee seats; while
``purge.leader_exempt`` holds, the leader's faction stands while it leads, however few of its
cadres an inner purge (:mod:`factions.mechanisms.inner_purge`) leaves. Elimination is
absorbing; a faction still standing at the horizon is right-censored, never "eliminated at the
end". Each end has one cause (purged, exiled, absorbed), the commonest among the fates of the
faction's own cadres who have left it (:func:`factions.state.end_cause`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from factions.compiled import kernel
from factions.state import NOT_YET, EndCause, end_cause, fates

if TYPE_CHECKING:
    from factions.model import FactionModel


def check(model: FactionModel) -> None:
    """Raise each faction's peak in office, then eliminate the standing factions that meet the
    rule this month."""
    rule = model.spec.elimination
    cadres = model.cadres
    factions = model.factions
    office = cadres.office_counts(model.n_factions)
    factions.raise_peak(office)
    seats = np.empty(model.n_factions, dtype=np.int64)
    gone = np.empty(model.n_factions, dtype=np.bool_)
    if not _apply_rule(
        factions.standing,
        office,
        factions.peak_active,
        cadres.seat,
        cadres.in_office(),
        cadres.faction,
        rule.max_active_cadres,
        rule.max_active_share,
        rule.max_seats,
        seats,
        gone,
    ):
        return
    if model.spec.mechanisms.purge.leader_exempt:
        gone[model.leader.faction] = False  # it stands while it leads, however few remain
    for f in np.flatnonzero(gone):
        cause = cause_of_end(model, int(f))
        factions.eliminate(f, model.month, cause)
        model.log(
            "elimination",
            int(f),
            None,
            f"{office[f]} cadres, {seats[f]} seats left; {cause.name.lower()}",
        )


def cause_of_end(model: FactionModel, faction: int) -> EndCause:
    """The cause of ``faction``'s end now: :func:`factions.state.end_cause` of the fates of the
    cadres it started with or received in a merger (those who have entered the party)."""
    cadres = model.cadres
    mine = (cadres.origin == faction) & (cadres.entered != NOT_YET)
    return end_cause(fates(cadres.status[mine], cadres.faction[mine], cadres.origin[mine]))


@kernel
def _apply_rule(
    standing,
    office,
    peak,
    seat,
    in_office,
    faction,
    max_active_cadres,
    max_active_share,
    max_seats,
    seats,
    gone,
):
    """The elimination rule of the module docstring, in one pass (it runs every month): fills
    ``seats`` (seats held by cadres in office) and ``gone`` (``standing`` factions that meet
    the rule, given their ``peak`` in office), and returns whether any faction is gone; a
    faction that has not entered yet is not standing, so it cannot be eliminated."""
    seats[:] = 0
    for i in range(faction.shape[0]):
        if seat[i] and in_office[i]:
            seats[faction[i]] += 1
    any_gone = False
    for f in range(office.shape[0]):
        limit = max(max_active_cadres, max_active_share * peak[f])
        gone[f] = standing[f] and office[f] <= limit and seats[f] <= max_seats
        any_gone |= gone[f]
    return any_gone
