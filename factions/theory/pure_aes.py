"""The pure-AES game as a scenario of the agent-based model.

Acemoglu, Egorov & Sonin (2008) model coalition formation with fixed powers and no noise: the
ruling coalition eliminates everyone outside it, and the survivors, being self-enforcing, stay
together. :func:`pure_aes_scenario` expresses that game with ordinary scenario parameters, so
that the agent-based model can be checked against the exact solver
(:func:`factions.theory.aes.ruling_coalition`):

* **Fixed powers.** One cadre per faction, commanding force equal to the faction's power; power
  is the military share alone; the purged cadres' force lapses instead of passing to the purger
  (``mechanisms.power.transfer_offices = false``); no recruitment, so no army control.
* **The unconstrained coalition.** ``mechanisms.coalition.leader_constrained = false``, a
  decision point every month.
* **No leader.** AES's players are symmetric; the format still names a leader, so
  ``mechanisms.purge.leader_exempt = false`` lets the ruling coalition's decision bind the
  leader's faction like any other. Which faction the leader sits in then does not matter.
* **Complete, certain elimination.** A campaign opens against every target in the first month:
  ``launch_rate = 1`` and an established leader from the start (``established_share = 0`` with a
  step-like ``established_width``, so the launch hazard is exactly 1). Its scapegoat is the
  faction's only cadre, every sentence is death, and a faction with no cadre in office is
  eliminated (``[elimination]`` thresholds at 0).
* **Nothing else.** Loyalty, challenges, patrons, rehabilitation, co-optation, congresses,
  recruitment and rank-and-file waves are switched off; there are no events, ties or members.

The random draws that remain (congress seats, campaign lengths, trial delays) cannot change the
outcome, so every seed gives the same final camp: :func:`final_camp`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from factions.scenario.load import scenario_from_document
from factions.scenario.mechanisms import Mechanisms
from factions.scenario.schema import Scenario

__all__ = [
    "GENERIC_MARGIN",
    "MIN_SHARE",
    "ON",
    "STEP_WIDTH",
    "final_camp",
    "is_generic",
    "pure_aes_document",
    "pure_aes_scenario",
]

if TYPE_CHECKING:
    from factions.model import FactionModel

#: Width of the "established" switch: a step at a power share of 0.
STEP_WIDTH = 1e-9
#: Smallest power share for which that step is exactly 1 in floating point (exp(-37) < 2**-53).
MIN_SHARE = 37 * STEP_WIDTH
#: Relative gap (to total power) below which two coalitions count as tied (:func:`is_generic`).
GENERIC_MARGIN = 1e-9
START, END = "2000-01", "2001-12"  # 24 months: the elimination takes one, the rest show stability

#: The mechanisms the game uses; every other one (present or added later) is switched off.
ON = ("power", "coalition", "purge")


def pure_aes_document(
    powers: Mapping[str, float], alpha: float = 0.5, *, leader: str | None = None
) -> dict[str, Any]:
    """The scenario document (a plain dict, as read from TOML) of the pure-AES game.

    ``powers`` maps faction ids (lower-case identifiers) to positive powers; ``leader`` is the
    faction the format's leader belongs to (default: the strongest; it does not affect the
    outcome).
    """
    if not powers:
        raise ValueError("powers must name at least one faction")
    total = sum(powers.values())
    if min(powers.values()) <= 0 or min(powers.values()) < MIN_SHARE * total:
        raise ValueError(
            f"every power must be positive and at least {MIN_SHARE:g} of the total, got {powers}"
        )
    if leader is None:
        leader = max(sorted(powers), key=lambda f: powers[f])
    factions = {
        fid: {
            "label": fid,
            "cadres": 1,
            "loyalty": {"mean": 0.5, "spread": 0.0},
            "military": float(power),
            "notables": [{"name": fid, "role": "the faction"}],
        }
        for fid, power in powers.items()
    }
    mechanisms: dict[str, Any] = {
        name: {"enabled": False} for name in Mechanisms.model_fields if name not in ON
    }
    mechanisms["power"] = {
        "military_weight": 1.0,
        "seats_weight": 0.0,
        "patron_weight": 0.0,
        "legitimacy_weight": 0.0,
        "members_weight": 0.0,
        "legitimacy_growth": 0.0,
        "transfer_offices": False,
    }
    mechanisms["coalition"] = {
        "alpha": alpha,
        "interval": 1,
        "leader_constrained": False,
        "preempt": False,
    }
    mechanisms["purge"] = {
        "launch_rate": 1.0,
        "suspicion": 0.0,
        "established_share": 0.0,
        "established_width": STEP_WIDTH,
        "direct_arrest": 1.0,
        "execution": 1.0,
        "exile": 0.0,
        "leader_exempt": False,
    }
    return {
        "name": "pure-aes",
        "title": "The pure AES game: fixed powers, the ruling coalition eliminates the others",
        "start": START,
        "end": END,
        "factions": factions,
        "leader": {"faction": leader, "name": leader, "charisma": 0.0},
        "network": {"within_degree": 0.0, "across_degree": 0.0},
        "committee": {"initial_seats": len(powers)},
        "membership": {"initial": 0, "capacity": 1, "scale": 1},
        "mechanisms": mechanisms,
        "elimination": {"max_active_share": 0.0, "max_active_cadres": 0, "max_seats": 0},
    }


def pure_aes_scenario(
    powers: Mapping[str, float], alpha: float = 0.5, *, leader: str | None = None
) -> Scenario:
    """The validated pure-AES :class:`~factions.scenario.Scenario` for these powers.

    >>> from factions.model import FactionModel
    >>> model = FactionModel(pure_aes_scenario({"a": 3, "b": 4, "c": 5, "d": 9.5}), rng=0).run()
    >>> sorted(final_camp(model))
    ['a', 'b', 'c']
    """
    document = pure_aes_document(powers, alpha, leader=leader)
    return scenario_from_document(document, source="pure_aes_scenario")


def final_camp(model: FactionModel) -> frozenset[str]:
    """Ids of the factions still standing (at the horizon, after :meth:`FactionModel.run`)."""
    return frozenset(f for f, up in zip(model.faction_ids, model.standing, strict=True) if up)


def is_generic(
    powers: Mapping[str, float], alpha: float = 0.5, margin: float = GENERIC_MARGIN
) -> bool:
    """Whether ``powers`` are generic for ``alpha``, with a relative ``margin``.

    Generic (AES 2008 assume it): no two coalitions have the same power and no coalition is
    exactly at the winning threshold within another, ``gamma_X = alpha * gamma_Y``. The model
    computes with power shares in floating point, so a tie closer than ``margin`` times the total
    power may be broken either way; the solver's tie rule then need not be the model's.
    Enumerates all ``3^n`` nested pairs: meant for the small games of the tests.
    """
    values = np.array([float(v) for v in powers.values()])
    n, total = len(values), values.sum()
    masks = np.arange(1 << n)
    sums = ((masks[:, None] >> np.arange(n)) & 1) @ values
    if np.diff(np.sort(sums)).min() <= margin * total:
        return False
    for y in range(1, 1 << n):
        x = y
        while x:
            if abs(sums[x] - alpha * sums[y]) <= margin * total:
                return False
            x = (x - 1) & y
    return True
