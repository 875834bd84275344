"""Purges inside the ruling camp: the leader turns on his own lieutenants.

A leader who no longer fears the rivals outside his coalition is threatened from inside it: the
lieutenants who could remove him are those with a following of their own (Svolik 2012, *The
Politics of Authoritarian Rule*, ch. 3: once the opposition is gone, the ruler's allies are the
ones able to depose him, and the ruler strikes first). Stalin's Great Terror fell mostly on his
own appointees (Khlevniuk 2009, *Master of the House*); Mao's designated successor Lin Biao and
the generals tied to him fell in 1971 (Teiwes & Sun 1996, *The Tragedy of Lin Biao*).

* **Menace.** A lieutenant is a cadre of the leader's faction in office, other than the leader.
  His *following* is the weight of his ties to cadres in office (:meth:`Ties.sum_over_ties`); his
  *rivalry*, ``min(1, following / (rivalry * the leader's following))``; his *menace*, the
  rivalry times the purge rule's suspicion factor on his own loyalty (a disloyal lieutenant
  with a following is feared most; :func:`factions.kernels.suspicion_factor`).
* **Launch.** While no inner purge runs and the leader is at home, the leader turns on the most
  menacing lieutenant with probability ``rate * established * menace``, ``established`` being
  the purge rule's smooth step in the leader faction's power share
  (:func:`factions.mechanisms.purge.established`): a leader still contending with outside rivals
  needs his camp. The lieutenant is arrested (reason ``lieutenant``) and the inner purge runs for
  a geometric number of months with the purge's ``campaign_months`` mean.
* **Spread.** While it runs, the cadres of the leader's faction tied to the recently arrested
  are arrested by association as in any campaign (``spread``, reduced by the faction's patron
  protection), and each with ``direct_arrest`` besides; the leader's person alone is exempt.
  Cadres of other factions are left to the outer campaigns' collateral. Trials, sentences, fear
  and the transfer of offices are the purge mechanism's.

The mechanism is off by default and needs ``mechanisms.purge`` on. It draws random numbers only
while it is enabled, so scenarios that leave it off keep their results.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from factions import kernels
from factions.mechanisms import purge
from factions.state import NO_FACTION

if TYPE_CHECKING:
    from factions.model import FactionModel


def _enabled(model: FactionModel) -> bool:
    mechanisms = model.spec.mechanisms
    return mechanisms.inner_purge.enabled and mechanisms.purge.enabled and not model.leader_absent


def menace(model: FactionModel) -> np.ndarray:
    """Each cadre's menace to the leader in [0, 1]: zero but for the lieutenants (the module
    docstring gives the rule)."""
    cadres, leader = model.cadres, model.leader
    office = cadres.in_office()
    following = model.ties.sum_over_ties(office.astype(float))
    lieutenant = office & (cadres.faction == leader.faction)
    lieutenant[leader.cadre] = False
    out = np.zeros(cadres.n)
    own = following[leader.cadre]
    if not lieutenant.any():
        return out
    rivalry_share = model.spec.mechanisms.inner_purge.rivalry
    rivalry = np.ones(cadres.n) if own <= 0 else np.minimum(1.0, following / (rivalry_share * own))
    p = model.spec.mechanisms.purge
    suspicion = kernels.suspicion_factor(cadres.loyalty[lieutenant], p.suspicion, p.suspect_loyalty)
    out[lieutenant] = rivalry[lieutenant] * suspicion
    return out


def turn_on_camp(model: FactionModel) -> None:
    """One month's chance that the leader turns on his most menacing lieutenant."""
    if not _enabled(model) or model.leader.purging_camp(model.month):
        return
    threat = menace(model)
    target = int(np.argmax(threat))
    hazard = model.spec.mechanisms.inner_purge.rate * purge.established(model) * threat[target]
    if model.rng.random() >= hazard:
        return
    length = int(model.rng.geometric(1.0 / model.spec.mechanisms.purge.campaign_months))
    model.leader.turn_on_camp(model.month + length)
    faction = model.leader.faction
    model.log("camp_purge", faction, target, f"inner purge of about {length} months")
    purge.arrest(model, np.array([target]), "lieutenant")


def spread_arrests(model: FactionModel) -> None:
    """One month of arrests inside the leader's camp while an inner purge runs."""
    if not _enabled(model) or not model.leader.purging_camp(model.month):
        return
    p = model.spec.mechanisms.purge
    campaign = np.zeros(model.n_factions, dtype=bool)
    campaign[model.leader.faction] = True
    rule = kernels.SpreadRule(
        model.month - purge.RECENT_MONTHS,
        p.spread,
        0.0,  # no collateral: other factions are the outer campaigns' business
        model.spec.mechanisms.inner_purge.direct_arrest,
        NO_FACTION,
        model.leader.cadre,
    )
    purge.arrest_by_association(model, campaign, rule)
