"""Elite purges: when they can start, how they spread, how they end.

* **Launch.** A faction outside the ruling coalition is a target. A campaign against it needs a
  *pretext* (a failure to blame: war reverses, economic trouble; decaying with a half-life) or an
  *established* leader, whose own faction's power share has passed the threshold beyond which
  rivals' threats stop being credible (Svolik 2012, *The Politics of Authoritarian Rule*, ch. 3).
  The monthly hazard is ``launch_rate * max(pretext, established)``, reduced by the target's patron
  protection and multiplied after a failed challenge. The leader launches nothing while abroad.
* **Spread.** A campaign opens by arresting a scapegoat, the target's most prominent cadre, and
  then spreads: every month each cadre of the target is arrested with probability
  ``direct_arrest``, and anyone with ties to the recently arrested with probability
  ``1 - (1 - spread)^w`` (``w`` the weight of such ties; guilt by association, Gregory 2009 on
  the Great Terror's network logic), reduced by ``collateral`` outside the target faction and by
  the cadre's patron protection (Soviet Koreans were Soviet citizens, hard to arrest while Soviet
  advisers were present: Lankov 2002). The leader's own faction is not purged by the leader
  (unless ``leader_exempt`` is false: then the ruling coalition, not the leader, decides who is
  purged, and the leader's faction falls with the others when it is outside the coalition, as in
  the pure-AES game of :mod:`factions.theory.pure_aes`).
* **End.** After a trial delay the arrested are sentenced together in a show trial: execution,
  exile to the patron's country (when the faction's patron has a presence), or demotion.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from factions.mechanisms import loyalty as loyalty_mechanism
from factions.mechanisms import rank_and_file
from factions.mechanisms.power import transfer_offices
from factions.state import NOT_YET, Status

if TYPE_CHECKING:
    from factions.model import FactionModel

RECENT_MONTHS = 12  # arrests this recent still incriminate one's ties
SHOW_TRIAL_SIZE = 3  # sentences handed down together to this many or more make a show trial
EXILE_PRESENCE = 0.05  # a patron with less presence than this takes no exiles


def decay_pretext(model: FactionModel) -> None:
    half_life = model.spec.mechanisms.purge.pretext_half_life
    model.pretext *= 0.5 ** (1.0 / half_life)


def established(model: FactionModel) -> float:
    """Smooth step in the leader faction's power share around ``established_share`` (Svolik)."""
    p = model.spec.mechanisms.purge
    share = model.power[model.leader_faction]
    return float(1.0 / (1.0 + np.exp(-(share - p.established_share) / p.established_width)))


def feasibility(model: FactionModel) -> float:
    war = model.war_pretext if model.month <= model.war_until else 0.0
    return max(model.pretext, war, established(model))


def targets(model: FactionModel) -> np.ndarray:
    """Boolean mask of factions the leader may purge now: outside the coalition, or enemies."""
    mask = model.standing & (~model.in_coalition | model.enemy)
    if model.spec.mechanisms.purge.leader_exempt:
        mask[model.leader_faction] = False
    return mask


def arrestable(model: FactionModel) -> np.ndarray:
    """Boolean mask of the cadres a purge may arrest: those in office, less the leader's faction
    and the leader while ``leader_exempt`` holds."""
    cadres = model.cadres
    if not model.spec.mechanisms.purge.leader_exempt:
        return cadres.in_office()
    mask = cadres.in_office() & (cadres.faction != model.leader_faction)
    mask[model.leader_cadre] = False
    return mask


def launch_campaigns(model: FactionModel) -> None:
    p = model.spec.mechanisms.purge
    if not p.enabled or model.leader_absent:
        return
    month = model.month
    candidates = targets(model) & (model.campaign_until < month) & (model.halted_until < month)
    if not candidates.any():
        return
    exposure = np.where(model.exposed_until >= month, model.spec.mechanisms.challenge.exposure, 1.0)
    protection = model.protection_of_faction()
    hazard = p.launch_rate * feasibility(model) * (1.0 - protection) * exposure
    draws = model.rng.random(model.n_factions)
    for f in np.flatnonzero(candidates & (draws < hazard)):
        start_campaign(model, int(f))


def start_campaign(model: FactionModel, faction: int) -> None:
    """Open a campaign against ``faction``: a scapegoat first, then a rank-and-file wave."""
    p = model.spec.mechanisms.purge
    length = int(model.rng.geometric(1.0 / p.campaign_months))
    model.campaign_until[faction] = model.month + length
    model.enemy[faction] = True
    reason = "exposed" if model.exposed_until[faction] >= model.month else "pretext or strength"
    model.log("purge_campaign", faction, None, f"campaign of about {length} months ({reason})")
    cadres = model.cadres
    pool = np.flatnonzero(arrestable(model) & (cadres.faction == faction))
    if len(pool):
        arrest(model, pool[[int(np.argmax(cadres.prominence[pool]))]], "scapegoat")
    rank_and_file.expulsion_wave(model, faction)


def spread_arrests(model: FactionModel) -> None:
    """One month of arrests in every running, unhalted campaign."""
    p = model.spec.mechanisms.purge
    if not p.enabled or model.leader_absent:
        return
    month = model.month
    running = (model.campaign_until >= month) & (model.halted_until < month)
    if not running.any():
        return
    cadres = model.cadres
    recent = (cadres.status != Status.ACTIVE) & (cadres.status != Status.PENDING)
    recent &= cadres.status != Status.REHABILITATED
    recent &= cadres.arrested_at >= month - RECENT_MONTHS
    exposure = model.ties.sum_over_ties(recent.astype(float))
    in_target = running[cadres.faction]
    prob = 1.0 - (1.0 - p.spread) ** exposure
    prob = np.where(in_target, prob, prob * p.collateral)
    prob = np.where(in_target, 1.0 - (1.0 - prob) * (1.0 - p.direct_arrest), prob)
    prob *= 1.0 - model.protection_of_faction()[cadres.faction]
    hit = np.flatnonzero(arrestable(model) & (model.rng.random(cadres.n) < prob))
    if len(hit):
        arrest(model, hit, "association")


def arrest(model: FactionModel, idx: np.ndarray, reason: str) -> None:
    p = model.spec.mechanisms.purge
    cadres = model.cadres
    model.set_status(idx, Status.ARRESTED)
    cadres.arrested_at[idx] = model.month
    model.last_arrest = model.month
    delay = model.rng.geometric(1.0 / p.trial_delay, size=len(idx))
    cadres.sentence_due[idx] = model.month + delay
    transfer_offices(model, idx)
    loyalty_mechanism.fear_shock(model, idx)
    for i in idx:
        model.log("arrest", int(cadres.faction[i]), int(i), reason)


def sentence(model: FactionModel) -> None:
    """Sentence every arrested cadre whose trial is due; large batches are show trials."""
    p = model.spec.mechanisms.purge
    cadres = model.cadres
    due = np.flatnonzero((cadres.status == Status.ARRESTED) & (cadres.sentence_due <= model.month))
    if len(due) == 0:
        return
    draw = model.rng.random(len(due))
    patron = model.faction_patron[cadres.faction[due]]
    can_exile = patron >= 0
    can_exile[can_exile] = model.presence[patron[can_exile]] > EXILE_PRESENCE
    execute = draw < p.execution
    exile = ~execute & can_exile & (draw < p.execution + p.exile)
    outcomes = np.where(execute, Status.EXECUTED, np.where(exile, Status.EXILED, Status.DEMOTED))
    for f in np.unique(cadres.faction[due]):
        batch = cadres.faction[due] == f
        if batch.sum() >= SHOW_TRIAL_SIZE:
            executed = int((execute & batch).sum())
            model.log("show_trial", int(f), None, f"{batch.sum()} accused, {executed} executed")
    for status, kind in (
        (Status.EXECUTED, "execution"),
        (Status.EXILED, "exile"),
        (Status.DEMOTED, "demotion"),
    ):
        chosen = due[outcomes == status]
        model.set_status(chosen, status)
        for i in chosen:
            model.log(kind, int(cadres.faction[i]), int(i), "sentenced")
    cadres.sentence_due[due] = NOT_YET
