"""Faction power and the transfer of offices from the purged to loyalists.

Power is the gamma of Acemoglu, Egorov & Sonin (2008): the capacity to impose outcomes in a
contest inside the elite. It combines shares of armed force, central-committee seats, foreign
patron backing, legitimacy and mass membership, with weights from the scenario. Armed force is
counted after the leader's control of the army (party committees, political officers): a share
``army_control`` of every other faction's force answers to the leader.

When a cadre is removed from office, the seat passes to a cadre of the leader's own faction
without one (the most loyal and prominent first) or, when there is none, of the ruling
coalition; the armed units pass to the leader's faction in proportion to prominence: the purger
gains what the purged lose.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from factions import kernels
from factions.scenario.mechanisms import PowerParams

if TYPE_CHECKING:
    from factions.model import FactionModel


COMPONENTS = ("military", "seats", "patron", "legitimacy", "members")


def effective_military(model: FactionModel) -> np.ndarray:
    """Armed force per faction after the leader's control of the army."""
    return components(model)[0]


def patron_backing(model: FactionModel) -> np.ndarray:
    """Presence of each faction's patron times the patron's affinity with the faction."""
    return components(model)[2]


def components(model: FactionModel) -> np.ndarray:
    """Rows: military, seats, patron backing, legitimacy, members (raw, per faction)."""
    raw = np.empty((len(COMPONENTS), model.n_factions))
    kernels.fill_components(*model.cadres.arrays, raw, *_component_inputs(model))
    return raw


def _component_inputs(model: FactionModel) -> tuple:
    """The arguments of :func:`factions.kernels.fill_components` after the cadres and ``raw``."""
    factions = model.factions
    return (
        model.regime.army_control,
        model.leader.faction,
        factions.legitimacy,
        model.members.entries,
        model.members.scale,
        model.patrons.presence,
        factions.patron_slot,
        factions.patron_affinity,
    )


def component_weights(p: PowerParams) -> np.ndarray:
    """The scenario's weight of each component, in ``COMPONENTS`` order."""
    return np.array([getattr(p, f"{name}_weight") for name in COMPONENTS])


class Power(NamedTuple):
    """The factions' power shares and the raw components they come from."""

    shares: np.ndarray  # per faction, sums to 1
    components: np.ndarray  # COMPONENTS x factions, raw


def faction_power(model: FactionModel) -> Power:
    """Power shares of the standing factions (zero for eliminated ones; sums to 1), with the raw
    components (:meth:`FactionModel.refresh_power` stores both).

    Each component becomes a share among the standing factions; a component that is zero for all
    of them is left out (its weight goes to the others). With the mechanism disabled every
    standing faction has the same power (and the leader's faction gains no legitimacy).
    """
    standing = model.standing
    if not model.spec.mechanisms.power.enabled:  # ablation: every standing faction equally strong
        return Power(standing / standing.sum(), components(model))
    raw = np.empty((len(COMPONENTS), model.n_factions))
    shares = kernels.faction_power(
        *model.cadres.arrays, raw, *_component_inputs(model), standing, model.power_weights
    )
    return Power(shares, raw)


def grow_legitimacy(model: FactionModel) -> None:
    """The leader's faction gains legitimacy with the leader's charisma (Weber's routinised
    charisma; the cult of the partisan record in North Korea: Armstrong 2003)."""
    p = model.spec.mechanisms.power
    if not p.enabled:
        return
    model.factions.grow_legitimacy(
        model.leader.faction, p.legitimacy_growth * model.leader.charisma
    )


def transfer_offices(model: FactionModel, removed: np.ndarray) -> None:
    """Give the seats and armed units of ``removed`` cadres to loyalists.

    With ``mechanisms.power.transfer_offices = false`` they only lose them: every other
    faction's force and seats stay as they were.
    """
    if len(removed) == 0:
        return
    cadres = model.cadres
    force = cadres.military[removed].sum()
    vacated = int(np.count_nonzero(cadres.seat[removed]))
    cadres.military[removed] = 0.0
    cadres.seat[removed] = False
    if not model.spec.mechanisms.power.transfer_offices:
        return  # the units are disbanded and the seats stay empty: nobody gains
    office = cadres.in_office()
    if force > 0:
        heirs = np.flatnonzero(office & (cadres.faction == model.leader.faction))
        if len(heirs):
            share = cadres.prominence[heirs] / cadres.prominence[heirs].sum()
            cadres.military[heirs] += force * share
    if vacated:
        in_coalition = model.factions.in_coalition
        eligible = np.flatnonzero(office & ~cadres.seat & in_coalition[cadres.faction])
        if len(eligible):
            own = cadres.faction[eligible] == model.leader.faction
            score = own + cadres.loyalty[eligible] * cadres.prominence[eligible]
            chosen = eligible[np.argsort(-score, kind="stable")[:vacated]]
            cadres.seat[chosen] = True
