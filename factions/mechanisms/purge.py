"""Elite purges: when they can start, how they spread, how they end.

* **Launch.** A faction outside the ruling coalition is a target. A campaign against it needs a
  *pretext* (a failure to blame: war reverses, economic trouble; decaying with a half-life) or an
  *established* leader, whose own faction's power share has passed the threshold beyond which
  rivals' threats stop being credible (Svolik 2012, *The Politics of Authoritarian Rule*, ch. 3).
  The monthly hazard is ``launch_rate * max(pretext, blame, established)``, reduced by the
  target's patron protection and multiplied after a failed challenge. A setback in a domain
  (war, the southern underground, ...) is a pretext only against the factions that held its
  offices (``blame``, per faction, in proportion to their portfolio share; never the leader's
  own faction: Svolik 2012 on scapegoating). The leader launches nothing while abroad.
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

from factions.compiled import kernel
from factions.mechanisms import loyalty as loyalty_mechanism
from factions.mechanisms import rank_and_file
from factions.mechanisms.power import transfer_offices
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
    """Per faction, how feasible a campaign against it is: the general pretext, the war's, the
    blame it carries for setbacks in its domains, or an established leader, whichever is
    highest."""
    regime = model.regime
    general = max(regime.pretext, regime.war_pressure(model.month), established(model))
    return np.maximum(general, model.factions.blame)


def targets(model: FactionModel) -> np.ndarray:
    """Boolean mask of factions the leader may purge now: outside the coalition, or enemies."""
    exempt_faction, _ = exemptions(model)
    factions = model.factions
    return _targets(factions.eliminated_at, factions.in_coalition, factions.enemy, exempt_faction)


@kernel
def _targets(eliminated_at, in_coalition, enemy, exempt_faction):
    """Standing factions outside the coalition or enemies, less ``exempt_faction``."""
    n = eliminated_at.shape[0]
    mask = np.empty(n, dtype=np.bool_)
    for f in range(n):
        standing = eliminated_at[f] == NOT_YET
        mask[f] = standing and (enemy[f] or not in_coalition[f]) and f != exempt_faction
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
    return _arrestable(cadres.in_office(), cadres.faction, *exemptions(model))


@kernel
def _arrestable(office, faction, exempt_faction, exempt_cadre):
    """Cadres in office, less those of ``exempt_faction`` and ``exempt_cadre``."""
    n = office.shape[0]
    mask = np.empty(n, dtype=np.bool_)
    for i in range(n):
        mask[i] = office[i] and faction[i] != exempt_faction and i != exempt_cadre
    return mask


def running(model: FactionModel) -> np.ndarray:
    """Boolean mask of the factions under a campaign that runs this month, unhalted."""
    return _running(model.factions.campaign_until, model.factions.halted_until, model.month)


@kernel
def _running(campaign_until, halted_until, month):
    mask = np.empty(campaign_until.shape[0], dtype=np.bool_)
    for f in range(mask.shape[0]):
        mask[f] = campaign_until[f] >= month and halted_until[f] < month
    return mask


def launch_campaigns(model: FactionModel) -> None:
    """One month of launches: a campaign opens against each candidate target with its hazard
    (one draw per faction, made whenever any faction is a candidate)."""
    p = model.spec.mechanisms.purge
    if not p.enabled or model.leader_absent:
        return
    hazard = np.empty(model.n_factions)
    factions = model.factions
    found = _launch_hazard(
        p.launch_rate * feasibility(model),
        model.spec.mechanisms.challenge.exposure,
        model.protection_of_faction(),
        factions.eliminated_at,
        factions.in_coalition,
        factions.enemy,
        exemptions(model)[0],
        factions.campaign_until,
        factions.halted_until,
        factions.exposed_until,
        model.month,
        hazard,
    )
    if not found:
        return
    draws = model.rng.random(model.n_factions).tolist()
    for f, (draw, h) in enumerate(zip(draws, hazard.tolist(), strict=True)):
        if draw < h:
            start_campaign(model, f)


@kernel
def _launch_hazard(
    scale,
    exposure,
    protection,
    eliminated_at,
    in_coalition,
    enemy,
    exempt_faction,
    campaign_until,
    halted_until,
    exposed_until,
    month,
    hazard,
):
    """Each faction's monthly launch hazard into ``hazard`` and whether any faction may be
    launched against: ``scale * (1 - protection) * exposure`` (``scale``, per faction, is
    ``launch_rate`` times its feasibility; ``exposure`` applies only to factions exposed by a
    failed challenge) for targets with no campaign running or halted, and -1 (below any draw)
    for the others."""
    target = _targets(eliminated_at, in_coalition, enemy, exempt_faction)
    found = False
    for f in range(hazard.shape[0]):
        if target[f] and campaign_until[f] < month and halted_until[f] < month:
            factor = exposure if exposed_until[f] >= month else 1.0
            hazard[f] = scale[f] * (1.0 - protection[f]) * factor
            found = True
        else:
            hazard[f] = -1.0
    return found


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
    """One month of arrests in every running, unhalted campaign."""
    p = model.spec.mechanisms.purge
    if not p.enabled or model.leader_absent:
        return
    campaign = running(model)
    if not campaign.any():
        return
    cadres = model.cadres
    ties = model.ties
    prob = _arrest_probability(
        cadres.status,
        cadres.arrested_at,
        cadres.faction,
        cadres.in_office(),
        ties.src,
        ties.dst,
        ties.weight,
        model.protection_of_faction(),
        campaign,
        model.month,
        p.spread,
        p.collateral,
        p.direct_arrest,
        *exemptions(model),
    )
    hit = np.flatnonzero(model.rng.random(cadres.n) < prob)
    if len(hit):
        arrest(model, hit, "association")


@kernel
def _arrest_probability(
    status,
    arrested_at,
    faction,
    office,
    src,
    dst,
    weight,
    protection,
    campaign,
    month,
    spread,
    collateral,
    direct_arrest,
    exempt_faction,
    exempt_cadre,
):
    """Each cadre's probability of arrest this month (the spread rule of the module docstring):
    ``1 - (1 - spread)^w``, ``w`` the weight of its ties to cadres purged in the last
    ``RECENT_MONTHS`` months; combined with ``direct_arrest`` in a ``campaign``'s target,
    times ``collateral`` outside it; times one less its faction's protection. Zero for cadres
    a purge may not arrest (below any draw).

    ``w`` adds the ties' weights in tie order, as ``np.bincount`` does.
    """
    n = status.shape[0]
    since = month - RECENT_MONTHS
    exposure = np.zeros(n)
    for k in range(src.shape[0]):
        s = src[k]
        purged = status[s] != Status.ACTIVE and status[s] != Status.PENDING
        purged = purged and status[s] != Status.REHABILITATED
        if purged and arrested_at[s] >= since:
            exposure[dst[k]] += weight[k]
    may_arrest = _arrestable(office, faction, exempt_faction, exempt_cadre)
    prob = np.zeros(n)
    for i in range(n):
        if not may_arrest[i]:
            continue
        f = faction[i]
        q = 1.0 - (1.0 - spread) ** exposure[i]
        q = 1.0 - (1.0 - q) * (1.0 - direct_arrest) if campaign[f] else q * collateral
        prob[i] = q * (1.0 - protection[f])
    return prob


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
    p = model.spec.mechanisms.purge
    cadres = model.cadres
    due = _due(cadres.status, cadres.sentence_due, model.month)
    if len(due) == 0:
        return
    draw = model.rng.random(len(due))
    factions = cadres.faction[due]
    outcomes = _verdicts(
        draw, factions, model.factions.patron, model.patrons.presence, p.execution, p.exile
    )
    verdicts = list(zip(due.tolist(), factions.tolist(), outcomes.tolist(), strict=True))
    _log_show_trials(model, verdicts)
    for status, kind in VERDICTS:
        chosen = [(i, f) for i, f, outcome in verdicts if outcome == status]
        if chosen:
            model.set_status(np.array([i for i, _ in chosen]), status)
        for i, f in chosen:
            model.log(kind, f, i, "sentenced")
    cadres.sentence_due[due] = NOT_YET


@kernel
def _due(status, sentence_due, month):
    """Indices of the arrested cadres whose trial is due by ``month``."""
    due = np.empty(status.shape[0], dtype=np.int64)
    k = 0
    for i in range(status.shape[0]):
        if status[i] == Status.ARRESTED and sentence_due[i] <= month:
            due[k] = i
            k += 1
    return due[:k]


@kernel
def _verdicts(draw, faction, faction_patron, presence, execution, exile):
    """Each sentence from its uniform ``draw``: execution below ``execution``, else exile below
    ``execution + exile`` when the faction's patron has at least ``EXILE_PRESENCE``, else
    demotion."""
    outcomes = np.empty(draw.shape[0], dtype=np.int8)
    for k in range(draw.shape[0]):
        patron = faction_patron[faction[k]]
        can_exile = patron >= 0 and presence[patron] >= EXILE_PRESENCE
        if draw[k] < execution:
            outcomes[k] = Status.EXECUTED
        elif can_exile and draw[k] < execution + exile:
            outcomes[k] = Status.EXILED
        else:
            outcomes[k] = Status.DEMOTED
    return outcomes


def _log_show_trials(model: FactionModel, verdicts: list[tuple[int, int, int]]) -> None:
    """Log a show trial for each faction (in index order) with enough of the accused among
    ``verdicts`` (cadre, faction, outcome)."""
    factions = [f for _, f, _ in verdicts]
    for f in sorted(set(factions)):
        accused = factions.count(f)
        if accused >= SHOW_TRIAL_SIZE:
            executed = sum(1 for _, g, o in verdicts if g == f and o == Status.EXECUTED)
            model.log("show_trial", f, None, f"{accused} accused, {executed} executed")
