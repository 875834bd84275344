"""Elite purges: when they can start, how they spread, how they end.

* **Launch.** A faction outside the ruling coalition is a target. A campaign against it needs a
  *pretext* (a failure to blame: war reverses, economic trouble; decaying with a half-life) or an
  *established* leader, whose own faction's power share has passed the threshold beyond which
  rivals' threats stop being credible (Svolik 2012, *The Politics of Authoritarian Rule*, ch. 3).
  The monthly hazard is ``launch_rate * max(pretext, blame, established)``, reduced by the
  target's patron protection, scaled by its *suspicion* and multiplied after a failed challenge.
  A setback in a domain (war, the southern underground, ...) is a pretext only against the
  factions that held its offices (``blame``, per faction, in proportion to their portfolio
  share; never the leader's own faction: Svolik 2012 on scapegoating). Blame is the one pretext
  that reaches a partner *inside* the coalition: against a partner the hazard is ``launch_rate *
  blame`` (a setback lets the leader remove an ally without alarming the others, who accept
  the blame; Svolik 2012, ch. 3; in North Korea, Pak Hon-yong, vice-premier and foreign
  minister, was arrested in 1953 for the failure in the South: Lankov 2002). Suspicion is
  ``1 - suspicion + suspicion * min(1, (1 - loyalty) / (1 - suspect_loyalty))`` with ``loyalty``
  the target's mean cadre loyalty: the leader's threat assessment weighs disloyalty as well as
  power, so a loyal faction outside the coalition is purged less (Wintrobe 1998 on the
  dictator's uncertainty about loyalty; Svolik 2012, ch. 3). The leader launches nothing while
  abroad.
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

from factions import kernels
from factions.mechanisms import loyalty as loyalty_mechanism
from factions.mechanisms import rank_and_file
from factions.mechanisms.power import transfer_offices
from factions.polity import NO_PATRON
from factions.state import NO_CADRE, NO_FACTION, NOT_YET, Status

if TYPE_CHECKING:
    from factions.model import FactionModel

RECENT_MONTHS = 12  # arrests this recent still incriminate one's ties
SHOW_TRIAL_SIZE = 3  # sentences handed down together to this many or more make a show trial
EXILE_PRESENCE = 0.05  # a patron with less presence than this takes no exiles (at it: it does)
VERDICTS = (
    (Status.EXECUTED, "execution"),
    (Status.EXILED, "exile"),
    (Status.DEMOTED, "demotion"),
)


def decay_pretext(model: FactionModel) -> None:
    half_life = model.spec.mechanisms.purge.pretext_half_life
    model.regime.decay_pretext(0.5 ** (1.0 / half_life))
    model.factions.decay_blame(0.5 ** (1.0 / half_life))


def established(model: FactionModel) -> float:
    """Smooth step in the leader faction's power share around ``established_share`` (Svolik)."""
    p = model.spec.mechanisms.purge
    share = model.power[model.leader.faction]
    return float(1.0 / (1.0 + np.exp(-(share - p.established_share) / p.established_width)))


def feasibility(model: FactionModel) -> np.ndarray:
    """Per faction, how feasible a campaign against it is. Against a faction outside the
    coalition (or an enemy): the general pretext, the war's, the blame it carries for setbacks
    in its domains, or an established leader, whichever is highest. Against a coalition partner:
    its blame alone (a partner is purged only as a scapegoat)."""
    regime = model.regime
    factions = model.factions
    general = max(regime.pretext, regime.war_pressure(model.month), established(model))
    outside = factions.enemy | ~factions.in_coalition
    return np.where(outside, np.maximum(general, factions.blame), factions.blame)


def targets(model: FactionModel) -> np.ndarray:
    """Boolean mask of factions the leader may purge now: standing, outside the coalition or
    enemies, less the leader's own while ``leader_exempt`` holds."""
    factions = model.factions
    mask = factions.standing & (factions.enemy | ~factions.in_coalition)
    exempt_faction, _ = exemptions(model)
    if exempt_faction != NO_FACTION:
        mask[exempt_faction] = False
    return mask


def scapegoats(model: FactionModel) -> np.ndarray:
    """Boolean mask of standing factions that carry blame for a setback, less the leader's own
    while ``leader_exempt`` holds: candidates for a campaign even inside the coalition."""
    factions = model.factions
    mask = factions.standing & (factions.blame > 0)
    exempt_faction, _ = exemptions(model)
    if exempt_faction != NO_FACTION:
        mask[exempt_faction] = False
    return mask


def exemptions(model: FactionModel) -> tuple[int, int]:
    """The faction and the cadre no purge may touch: the leader's while ``leader_exempt`` holds,
    else none (``NO_FACTION``, ``NO_CADRE``)."""
    if model.spec.mechanisms.purge.leader_exempt:
        return model.leader.faction, model.leader.cadre
    return NO_FACTION, NO_CADRE


def arrestable(model: FactionModel) -> np.ndarray:
    """Boolean mask of the cadres a purge may arrest: those in office, less the leader's faction
    and the leader while ``leader_exempt`` holds."""
    cadres = model.cadres
    exempt_faction, exempt_cadre = exemptions(model)
    mask = cadres.in_office() & (cadres.faction != exempt_faction)
    if exempt_cadre != NO_CADRE:
        mask[exempt_cadre] = False
    return mask


def launch_campaigns(model: FactionModel) -> None:
    """One month of launches: a campaign opens against each candidate target with its hazard
    (one draw per faction, made whenever any faction is a candidate).

    A candidate is a target with no campaign running or halted; its hazard is ``launch_rate``
    times its feasibility, times one less its protection, times ``exposure`` while it is exposed
    by a failed challenge.
    """
    p = model.spec.mechanisms.purge
    if not p.enabled or model.leader_absent:
        return
    hazard = launch_hazard(model)
    if not (hazard >= 0).any():
        return
    draws = model.rng.random(model.n_factions).tolist()
    for f, (draw, h) in enumerate(zip(draws, hazard.tolist(), strict=True)):
        if draw < h:
            start_campaign(model, f)


def launch_hazard(model: FactionModel) -> np.ndarray:
    """Each faction's monthly launch hazard: ``launch_rate * feasibility * (1 - protection) *
    suspicion * exposure`` (``exposure`` only while exposed by a failed challenge; suspicion as
    in the module docstring) for targets and scapegoats with no campaign running or halted, and
    -1 (below any draw) for the others. The arithmetic is :func:`factions.kernels.launch_hazard`."""
    p = model.spec.mechanisms.purge
    factions = model.factions
    exposure = model.spec.mechanisms.challenge.exposure
    rule = kernels.LaunchRule(model.month, p.launch_rate, exposure, p.suspicion, p.suspect_loyalty)
    return kernels.launch_hazard(
        *model.cadres.arrays,
        targets(model) | scapegoats(model),
        feasibility(model),
        model.protection_of_faction(),
        factions.campaign_until,
        factions.halted_until,
        factions.exposed_until,
        *rule,
    )


def suspicion(model: FactionModel) -> np.ndarray:
    """Each faction's suspicion in [0, 1], the launch hazard's disloyalty factor (the rule of
    the module docstring, :func:`factions.kernels.suspicion_factor`)."""
    p = model.spec.mechanisms.purge
    means = loyalty_mechanism.mean_loyalty(model)
    return kernels.suspicion_factor(means, p.suspicion, p.suspect_loyalty)


def start_campaign(model: FactionModel, faction: int) -> None:
    """Open a campaign against ``faction``: a scapegoat first, then a rank-and-file wave."""
    p = model.spec.mechanisms.purge
    length = int(model.rng.geometric(1.0 / p.campaign_months))
    model.factions.start_campaign(faction, model.month + length)
    exposed = model.factions.exposed_until[faction] >= model.month
    reason = "exposed" if exposed else "pretext or strength"
    model.log("purge_campaign", faction, None, f"campaign of about {length} months ({reason})")
    cadres = model.cadres
    pool = np.flatnonzero(arrestable(model) & (cadres.faction == faction))
    if len(pool):
        arrest(model, pool[[int(np.argmax(cadres.prominence[pool]))]], "scapegoat")
    rank_and_file.expulsion_wave(model, faction)


def spread_arrests(model: FactionModel) -> None:
    """One month of arrests in every running, unhalted campaign (the arithmetic in
    :func:`factions.kernels.arrest_probability`)."""
    p = model.spec.mechanisms.purge
    if not p.enabled or model.leader_absent:
        return
    campaign = model.factions.under_campaign(model.month)
    if not campaign.any():
        return
    rule = kernels.SpreadRule(
        model.month - RECENT_MONTHS, p.spread, p.collateral, p.direct_arrest, *exemptions(model)
    )
    arrest_by_association(model, campaign, rule)


def arrest_by_association(model: FactionModel, campaign: np.ndarray, rule: kernels.SpreadRule):
    """Draw this month's arrests in the ``campaign`` factions (a mask) by ``rule`` (the
    arithmetic in :func:`factions.kernels.arrest_probability`) and make them."""
    prob = kernels.arrest_probability(
        *model.cadres.arrays, *model.ties, model.protection_of_faction(), campaign, *rule
    )
    hit = np.flatnonzero(model.rng.random(model.cadres.n) < prob)
    if len(hit):
        arrest(model, hit, "association")


def arrest(model: FactionModel, idx: np.ndarray, reason: str) -> None:
    p = model.spec.mechanisms.purge
    cadres = model.cadres
    model.set_status(idx, Status.ARRESTED)
    cadres.arrested_at[idx] = model.month
    delay = model.rng.geometric(1.0 / p.trial_delay, size=len(idx))
    cadres.sentence_due[idx] = model.month + delay
    transfer_offices(model, idx)
    loyalty_mechanism.fear_shock(model, idx)
    for f, i in zip(cadres.faction[idx].tolist(), idx.tolist(), strict=True):
        model.log("arrest", f, i, reason)


def sentence(model: FactionModel) -> None:
    """Sentence every arrested cadre whose trial is due; large batches are show trials."""
    cadres = model.cadres
    due = kernels.trials_due(cadres.status, cadres.sentence_due, model.month)
    if len(due) == 0:
        return
    draw = model.rng.random(len(due))
    factions = cadres.faction[due]
    outcomes = verdicts(model, draw, factions)
    decided = list(zip(due.tolist(), factions.tolist(), outcomes.tolist(), strict=True))
    _log_show_trials(model, decided)
    for status, kind in VERDICTS:
        chosen = [(i, f) for i, f, outcome in decided if outcome == status]
        if chosen:
            model.set_status(np.array([i for i, _ in chosen]), status)
        for i, f in chosen:
            model.log(kind, f, i, "sentenced")
    cadres.sentence_due[due] = NOT_YET


def verdicts(model: FactionModel, draw: np.ndarray, factions: np.ndarray) -> np.ndarray:
    """Each sentence (a ``Status``) from its uniform ``draw``: execution below ``execution``,
    else exile below ``execution + exile`` when the faction's patron has at least
    ``EXILE_PRESENCE``, else demotion."""
    p = model.spec.mechanisms.purge
    patron = model.factions.patron[factions]
    can_exile = np.zeros(len(draw), dtype=bool)
    has = patron != NO_PATRON
    can_exile[has] = model.patrons.presence[patron[has]] >= EXILE_PRESENCE
    exiled = np.where(can_exile & (draw < p.execution + p.exile), Status.EXILED, Status.DEMOTED)
    return np.where(draw < p.execution, Status.EXECUTED, exiled).astype(np.int8)


def _log_show_trials(model: FactionModel, verdicts: list[tuple[int, int, int]]) -> None:
    """Log a show trial for each faction (in index order) with enough of the accused among
    ``verdicts`` (cadre, faction, outcome)."""
    factions = [f for _, f, _ in verdicts]
    for f in sorted(set(factions)):
        accused = factions.count(f)
        if accused >= SHOW_TRIAL_SIZE:
            executed = sum(1 for _, g, o in verdicts if g == f and o == Status.EXECUTED)
            model.log("show_trial", f, None, f"{accused} accused, {executed} executed")
