"""Splits: a faction divides in two, at a date or when its cohesion collapses.

A ``split`` event (:class:`~factions.scenario.events.Split`) names the faction that divides, the
faction it gives birth to and the share that leaves. With ``when = "date"`` it happens at its
date, the movers drawn at random (:mod:`factions.exogenous` applies it). With ``when =
"cohesion"`` the model decides whether and when it happens: factionalism turns *degenerative*
when a faction stops holding its members together and its quarrels end in defection and schism
(Boucek 2009, "Rethinking factionalism: typologies, intra-party dynamics and three faces of
factionalism", *Party Politics* 15(4): 455-485). Here the collapse is read from the state.

* **Collapse.** The faction's *wing* is its cadres in office other than the leader (the leader
  never moves). Its *spread* is the standard deviation of their loyalties; its *collapse* is
  the spread above ``spread_floor``, as a share of the way from the floor to 0.5 (the largest
  spread loyalties in [0, 1] can have: half at 0, half at 1), clipped to [0, 1].
* **Hazard.** From the event's date on, while the faction stands and the split would move at
  least one cadre and leave at least one, the split happens in a month with probability
  ``rate * (1 - cohesion) * collapse``, ``cohesion`` being the faction's own (its organisation's
  hold on its cadres, a fixed trait): a cohesive faction, or one whose cadres think alike, does
  not split. The draw comes after the month's loyalty update.
* **Who leaves.** The least loyal ``share`` of the wing (seat holders and the others apart, so
  that ``share`` of the seats leaves) and the least loyal ``share`` of the members leaning to
  the faction: a disloyal wing breaks away. Force, offices and the rest of the bookkeeping are
  the dated split's (:func:`divide`). A split happens at most once; if the horizon comes first,
  the new faction is never born (it stays not standing, as before a dated split's date).

The rule is switched by ``mechanisms.split`` (off by default: it acts only on the scenarios that
declare a cohesion-triggered split and switch it on). It draws random numbers only for a
cohesion-triggered split whose hazard is above zero, so that other scenarios keep their results.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from factions.calendar import parse_month

if TYPE_CHECKING:
    from factions.model import FactionModel
    from factions.scenario.events import Split

__all__ = [
    "MAX_SPREAD",
    "at_random",
    "break_away",
    "divide",
    "hazard",
    "least_loyal",
    "movers",
    "part",
    "wing",
]

#: The largest standard deviation of values in [0, 1] (half at 0, half at 1).
MAX_SPREAD = 0.5

#: Chooses ``count`` of the indices ``group``, given each index's loyalty in ``loyalty``.
Pick = Callable[[np.ndarray, int, np.ndarray], np.ndarray]


def at_random(rng: np.random.Generator) -> Pick:
    """A :data:`Pick` that draws without replacement (the dated split)."""
    return lambda group, count, loyalty: rng.choice(group, count, replace=False)


def least_loyal(group: np.ndarray, count: int, loyalty: np.ndarray) -> np.ndarray:
    """The ``count`` members of ``group`` with the lowest loyalty (ties: the first indices)."""
    return group[np.argsort(loyalty[group], kind="stable")[:count]]


def part(share: float, count: int) -> int:
    """``share`` of ``count``, rounded half up."""
    return int(np.floor(share * count + 0.5))


def wing(model: FactionModel, faction: int) -> np.ndarray:
    """The cadres a split of ``faction`` may move: its cadres in office but the leader."""
    office = model.cadres.in_office().copy()
    office[model.leader.cadre] = False
    return np.flatnonzero(office & (model.cadres.faction == faction))


def movers(model: FactionModel, pool: np.ndarray, share: float, pick: Pick) -> np.ndarray:
    """``share`` of ``pool`` chosen by ``pick``, seat holders and the others apart (so that
    ``share`` of the seats moves, rounded), sorted."""
    cadres = model.cadres
    seated, others = pool[cadres.seat[pool]], pool[~cadres.seat[pool]]
    chosen = [pick(group, part(share, len(group)), cadres.loyalty) for group in (seated, others)]
    return np.sort(np.concatenate(chosen)).astype(np.int64)


def divide(model: FactionModel, event: Split, pick: Pick) -> str:
    """Faction ``event.faction`` divides: ``share`` of its wing (:func:`movers`), with ``share``
    of its armed force (the movers' force scaled to it, the stayers' to the rest), ``share`` of
    its members (chosen by ``pick`` too) and of its offices, found ``event.new_faction``. With
    ``event.loyalty``, the movers' loyalties shift (clipped to [0, 1]) to that mean. Returns the
    event log's detail: what moved."""
    parent, new = model.faction_index[event.faction], model.faction_index[event.new_faction]
    cadres, share = model.cadres, event.share
    pool = wing(model, parent)
    moved = movers(model, pool, share, pick)
    force = cadres.military[pool].sum()
    stay = np.setdiff1d(pool, moved)
    if len(moved) and len(stay):  # else one side keeps it all (nothing is lost)
        _rescale(cadres.military, moved, share * force)
        _rescale(cadres.military, stay, (1.0 - share) * force)
    if event.loyalty is not None and len(moved):
        shift = event.loyalty - cadres.loyalty[moved].mean()
        cadres.loyalty[moved] = np.clip(cadres.loyalty[moved] + shift, 0.0, 1.0)
    cadres.found(moved, new)
    members = model.members
    leaning = np.flatnonzero(members.alive & (members.leaning == parent))
    taken = pick(leaning, part(share, len(leaning)), members.loyalty)
    members.relean(taken, new)
    model.factions.split_off(parent, new, share, model.month)
    return (
        f"{len(moved)} cadres, {int(cadres.seat[moved].sum())} seats, "
        f"force {cadres.military[moved].sum():.3g}, {len(taken) * members.scale} members "
        f"from {event.faction}"
    )


def _rescale(values: np.ndarray, idx: np.ndarray, total: float) -> None:
    """Scale ``values[idx]`` to sum to ``total``; spread by equal parts if they sum to 0."""
    if not len(idx):
        return
    current = values[idx].sum()
    values[idx] = values[idx] * (total / current) if current > 0 else total / len(idx)


def hazard(model: FactionModel, event: Split) -> tuple[float, float]:
    """This month's probability that the cohesion-triggered ``event`` happens, and the spread of
    loyalty it was computed from (the module docstring gives the rule). Zero before the event's
    date, once its faction has fallen, or when the split would move nobody or everybody."""
    parent = model.faction_index[event.faction]
    if model.month < parse_month(event.date) or not model.standing[parent]:
        return 0.0, 0.0
    pool = wing(model, parent)
    if not 0 < len(movers(model, pool, event.share, least_loyal)) < len(pool):
        return 0.0, 0.0
    spread = float(model.cadres.loyalty[pool].std())
    p = model.spec.mechanisms.split
    collapse = min(1.0, max(0.0, (spread - p.spread_floor) / (MAX_SPREAD - p.spread_floor)))
    return p.rate * (1.0 - float(model.factions.cohesion[parent])) * collapse, spread


def break_away(model: FactionModel) -> None:
    """One month of the rule: each cohesion-triggered split still waiting happens with its
    :func:`hazard` (one draw each, only when the hazard is above zero), the least loyal
    leaving; it is logged as ``split`` with the spread measured, and waits no more."""
    if not model.spec.mechanisms.split.enabled:
        return
    for key, event in list(model.latent_splits.items()):
        level, spread = hazard(model, event)
        if level <= 0.0 or model.rng.random() >= level:
            continue
        del model.latent_splits[key]
        detail = divide(model, event, least_loyal)
        detail = f"cohesion collapse (loyalty spread {spread:.3f}): {detail}"
        if event.note:
            detail += f"; {event.note}"
        model.log("split", model.faction_index[event.new_faction], None, detail)
