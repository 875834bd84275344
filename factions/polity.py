"""The state above the cadres: factions, foreign patrons, the leader and the regime's conditions.

Each piece of state has one owner, a small class whose methods are the only code that changes
it, so that every write to (say) a faction's campaign lies in :class:`FactionState`. Mechanisms
read these objects and call their methods; the model builds them from the scenario. Per-cadre
and per-member state is in :mod:`factions.state`.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from factions.scenario.schema import Scenario
from factions.state import NO_END, NOT_YET, EndCause

__all__ = ["NO_PATRON", "FactionState", "LeaderState", "PatronState", "Ramp", "RegimeState"]

NO_PATRON = -1  # a faction's patron index when it has none


@dataclass
class FactionState:
    """Per-faction arrays (indexed by faction) and whether the ruling coalition is out of date.

    Month fields hold the last month of the state they name (``NOT_YET``: none so far), so that
    "under a campaign this month" reads ``campaign_until >= month``.
    """

    legitimacy: np.ndarray  # float in [0, 1]
    cohesion: np.ndarray  # float in [0, 1]
    patron: np.ndarray  # int, patron index (NO_PATRON: none)
    patron_affinity: np.ndarray  # float in [0, 1], 0 without a patron
    eliminated_at: np.ndarray  # int, month of elimination (read-only: see eliminate())
    peak_active: np.ndarray  # int, the most cadres in office so far
    peak_power: np.ndarray  # float, the highest power share so far
    campaign_until: np.ndarray  # int, last month of the purge campaign against the faction
    halted_until: np.ndarray  # int, last month of a patron's halt of purges against it
    exposed_until: np.ndarray  # int, last month of exposure after a failed challenge
    challenge_cooldown: np.ndarray  # int, last month it may not challenge again
    opening_until: np.ndarray  # int, last month of an opening to challenge the leader
    opening_level: np.ndarray  # float in [0, 1], strength of that opening
    blame: np.ndarray  # float in [0, 1], the pretext a setback in its domains gives against it
    portfolio: dict[str, np.ndarray]  # domain -> each faction's share of its offices
    end_cause: np.ndarray  # int8, an EndCause once eliminated (NO_END while standing)
    in_coalition: np.ndarray  # bool, in the ruling coalition
    enemy: np.ndarray  # bool, the leader has begun to purge it (for good)
    entered_at: np.ndarray  # int, month it entered (NOT_YET: awaiting its faction_entry or split)
    coalition_stale: bool = False  # the coalition must be recomputed this month

    @classmethod
    def from_scenario(
        cls, spec: Scenario, patron_ids: list[str], waiting: Collection[int] = ()
    ) -> FactionState:
        """The factions of ``spec`` at its start (``spec.faction_ids``: those born of a split
        too); those in ``waiting`` (indices) enter or are born later (:meth:`enter`,
        :meth:`split_off`) and are not standing until then."""
        factions = [spec.faction_table(fid) for fid in spec.faction_ids]
        n = len(factions)
        entered_at = np.full(n, spec.start_month)
        entered_at[list(waiting)] = NOT_YET
        return cls(
            legitimacy=np.array([f.legitimacy for f in factions]),
            cohesion=np.array([f.cohesion for f in factions]),
            patron=np.array(
                [patron_ids.index(f.patron) if f.patron else NO_PATRON for f in factions]
            ),
            patron_affinity=np.array([f.patron_affinity if f.patron else 0.0 for f in factions]),
            eliminated_at=np.full(n, NOT_YET),
            peak_active=np.zeros(n, dtype=np.int64),
            peak_power=np.zeros(n),
            campaign_until=np.full(n, NOT_YET),
            halted_until=np.full(n, NOT_YET),
            exposed_until=np.full(n, NOT_YET),
            challenge_cooldown=np.full(n, NOT_YET),
            opening_until=np.full(n, NOT_YET),
            opening_level=np.zeros(n),
            blame=np.zeros(n),
            portfolio={
                domain: np.array([f.portfolio.get(domain, 0.0) for f in factions])
                for domain in sorted({d for f in factions for d in f.portfolio})
            },
            end_cause=np.full(n, NO_END, dtype=np.int8),
            in_coalition=np.ones(n, dtype=bool),
            enemy=np.zeros(n, dtype=bool),
            entered_at=entered_at,
        )

    def __post_init__(self) -> None:
        # a faction without a patron reads patron 0's values, times its affinity 0
        self.patron_slot = np.maximum(self.patron, 0)
        # eliminate() is the only writer of the elimination months, and keeps the standing mask
        # with them (read many times a month); callers get read-only views of both
        self._eliminated_at = self.eliminated_at
        self.eliminated_at = _read_only(self._eliminated_at)
        self._standing = (self._eliminated_at == NOT_YET) & (self.entered_at != NOT_YET)
        self._standing_view = _read_only(self._standing)

    @property
    def n(self) -> int:
        return len(self.legitimacy)

    @property
    def standing(self) -> np.ndarray:
        """Boolean mask of factions that have entered and are not yet eliminated (read-only,
        kept by :meth:`enter` and :meth:`eliminate`)."""
        return self._standing_view

    def under_campaign(self, month: int) -> np.ndarray:
        """Boolean mask of the factions under a campaign that runs in ``month``, unhalted."""
        return (self.campaign_until >= month) & (self.halted_until < month)

    def grow_legitimacy(self, faction: int, rate: float) -> None:
        """Move the faction's legitimacy a share ``rate`` of the way to 1."""
        self.legitimacy[faction] += rate * (1.0 - self.legitimacy[faction])

    def raise_peak(self, office: np.ndarray) -> None:
        """Raise each faction's peak in office to ``office`` (cadres in office now)."""
        np.maximum(self.peak_active, office, out=self.peak_active)

    def raise_peak_power(self, power: np.ndarray) -> None:
        """Raise each faction's peak power share to ``power`` (its share now)."""
        np.maximum(self.peak_power, power, out=self.peak_power)

    def eliminate(self, faction: int, month: int, cause: EndCause) -> None:
        """Eliminate the faction (absorbing) by ``cause``; the coalition must be recomputed."""
        self._eliminated_at[faction] = month
        self._standing[faction] = False
        self.end_cause[faction] = cause
        self.coalition_stale = True

    def enter(self, faction: int, month: int) -> None:
        """The faction, awaiting entry, enters the party in ``month`` and stands from now on;
        the coalition must be recomputed."""
        if self.entered_at[faction] != NOT_YET:
            raise RuntimeError(f"faction {faction} has already entered")
        self.entered_at[faction] = month
        self._standing[faction] = True
        self.coalition_stale = True

    def split_off(self, parent: int, new: int, share: float, month: int) -> None:
        """Faction ``new``, awaiting its birth, splits off ``parent`` in ``month``: it stands
        from now on, with the parent's legitimacy, cohesion and blame and ``share`` of its
        offices in each domain (the parent keeps the rest); the coalition must be recomputed."""
        self.enter(new, month)
        for name in ("legitimacy", "cohesion", "blame"):
            values = getattr(self, name)
            values[new] = values[parent]
        for shares in self.portfolio.values():
            shares[new] = share * shares[parent]
            shares[parent] -= shares[new]

    def follow_new_leader(self, faction: int) -> None:
        """A new leader from ``faction`` (a ``leader_change``): the leader's own faction is
        nobody's enemy, and the coalition must be recomputed around the new leader."""
        self.enemy[faction] = False
        self.coalition_stale = True

    def take_blame(self, domain: str, magnitude: float, exempt: int) -> np.ndarray:
        """A setback of ``magnitude`` in ``domain``: each standing faction but ``exempt`` (the
        leader's, who scapegoats others) has blame at least ``magnitude`` times its share of
        the domain's offices. Returns the blame it assigned (0 where none)."""
        shares = self.portfolio.get(domain, np.zeros(self.n))
        level = magnitude * shares * self.standing
        if 0 <= exempt < self.n:
            level[exempt] = 0.0
        np.maximum(self.blame, level, out=self.blame)
        return level

    def decay_blame(self, factor: float) -> None:
        self.blame *= factor

    def tie_to(self, patron: int | None) -> np.ndarray:
        """Each faction's tie to ``patron``'s line: its ``patron_affinity`` if that is its
        patron, else 0; with ``patron`` None (the whole movement's line) its affinity to
        whatever foreign patron it has (0 without one)."""
        if patron is None:
            return self.patron_affinity.copy()
        return np.where(self.patron == patron, self.patron_affinity, 0.0)

    def opening(self, month: int) -> np.ndarray:
        """Each faction's opening level in ``month`` (0 where none runs)."""
        return np.where(self.opening_until >= month, self.opening_level, 0.0)

    def set_coalition(self, members: np.ndarray) -> bool:
        """Make ``members`` (a boolean mask) the ruling coalition; return whether it changed."""
        changed = not np.array_equal(members, self.in_coalition)
        self.in_coalition = members
        self.coalition_stale = False
        return changed

    def mark_coalition_stale(self) -> None:
        """Have the coalition recomputed at the next opportunity (after a congress, say)."""
        self.coalition_stale = True

    def hand_power_to(self, victors: np.ndarray) -> None:
        """After a successful challenge the ``victors`` rule alone and are nobody's enemies,
        until the coalition is recomputed."""
        self.enemy[victors] = False
        self.in_coalition[:] = False
        self.in_coalition[victors] = True
        self.coalition_stale = True

    def start_campaign(self, faction: int, until: int) -> None:
        """A purge campaign against ``faction`` runs to ``until``; it is an enemy for good."""
        self.campaign_until[faction] = until
        self.enemy[faction] = True

    def halt_campaign(self, faction: int, until: int) -> None:
        """End the campaign against ``faction`` and allow no new one before ``until`` is past."""
        self.halted_until[faction] = until
        self.campaign_until[faction] = NOT_YET

    def challenged(self, challengers: np.ndarray, until: int) -> None:
        """The ``challengers`` may not challenge again before ``until`` is past."""
        self.challenge_cooldown[challengers] = until

    def expose(self, challengers: np.ndarray, until: int) -> None:
        """A failed challenge: the challengers are exposed until ``until`` and enemies."""
        self.exposed_until[challengers] = until
        self.enemy[challengers] = True

    def open(self, month: int, until: int, level: np.ndarray) -> None:
        """From ``month`` to ``until`` each faction has an opening to challenge the leader at
        ``level`` (per faction; 0: none). An opening still running keeps the later end and the
        higher level; an expired one is replaced."""
        new = level > 0
        running = self.opening_until >= month
        keep = new & running
        self.opening_level[keep] = np.maximum(self.opening_level[keep], level[keep])
        fresh = new & ~running
        self.opening_level[fresh] = level[fresh]
        self.opening_until[new] = np.maximum(self.opening_until[new], until)


def _read_only(values: np.ndarray) -> np.ndarray:
    """A read-only view of ``values`` (same memory: it follows their changes)."""
    view = values.view()
    view.flags.writeable = False
    return view


class Ramp(NamedTuple):
    """A patron's presence moving linearly from ``start`` (in month ``begin``) to ``target``."""

    start: float
    begin: int
    target: float
    months: int

    def value(self, month: int) -> tuple[float, bool]:
        """Presence in ``month`` and whether the ramp is complete (it ends exactly at
        ``target``)."""
        progress = (month - self.begin + 1) / self.months
        if progress >= 1.0:
            return self.target, True
        return self.start + (self.target - self.start) * progress, False


@dataclass
class PatronState:
    """Per-patron arrays (indexed by patron), the presence ramps under way and cooldowns."""

    presence: np.ndarray  # float in [0, 1]: troops, advisers
    protection: np.ndarray  # share of purge hazard presence removes from clients
    willingness: np.ndarray  # propensity to intervene
    encouragement: np.ndarray  # pull of clients' loyalty away from the leader
    next_intervention: np.ndarray  # int, last month of the cooldown after an intervention
    ramps: dict[int, Ramp] = field(default_factory=dict)

    POLICY = ("protection", "willingness", "encouragement")

    @classmethod
    def from_scenario(cls, spec: Scenario) -> PatronState:
        patrons = spec.patrons.values()
        state = cls(
            presence=np.array([p.presence for p in patrons], dtype=float),
            protection=np.array([p.protection for p in patrons], dtype=float),
            willingness=np.array([p.willingness for p in patrons], dtype=float),
            encouragement=np.array([p.encouragement for p in patrons], dtype=float),
            next_intervention=np.full(len(spec.patrons), NOT_YET),
        )
        if not spec.mechanisms.patrons.enabled:
            state.withdraw()
        return state

    @property
    def n(self) -> int:
        return len(self.presence)

    def withdraw(self) -> None:
        """No patron is present (the ablation of the patron mechanism)."""
        self.presence[:] = 0.0

    def start_ramp(self, patron: int, month: int, target: float, months: int) -> None:
        """Move the patron's presence from its current level to ``target`` over ``months``
        months, starting in ``month`` (replacing any ramp under way)."""
        self.ramps[patron] = Ramp(float(self.presence[patron]), month, target, months)

    def advance(self, month: int) -> None:
        """Set every ramping patron's presence for ``month``; drop the ramps completed."""
        for patron, ramp in list(self.ramps.items()):
            self.presence[patron], done = ramp.value(month)
            if done:
                del self.ramps[patron]

    def set_policy(self, patron: int, **values: float | None) -> None:
        """Change the patron's policy fields (``POLICY``) given a value (None: unchanged)."""
        for name, value in values.items():
            if name not in self.POLICY:
                raise ValueError(f"not a patron policy field: {name!r}")
            if value is not None:
                getattr(self, name)[patron] = value

    def cool_down(self, patron: int, until: int) -> None:
        """The patron does not intervene again before ``until`` is past."""
        self.next_intervention[patron] = until


@dataclass
class LeaderState:
    """Who leads (cadre and faction), with what charisma, and when the leader is abroad."""

    cadre: int
    faction: int
    charisma: float
    absent_until: int = NOT_YET  # last month of the leader's absence abroad
    camp_purge_until: int = NOT_YET  # last month of a purge inside the leader's own camp

    def absent(self, month: int) -> bool:
        return month <= self.absent_until

    def purging_camp(self, month: int) -> bool:
        """Whether a purge inside the leader's own camp runs in ``month``."""
        return month <= self.camp_purge_until

    def turn_on_camp(self, until: int) -> None:
        """A purge inside the leader's camp runs through month ``until``."""
        self.camp_purge_until = until

    def leave(self, until: int) -> None:
        """The leader is abroad through month ``until``."""
        self.absent_until = until

    def replace(self, cadre: int, faction: int) -> None:
        """A new leader (after a successful challenge); a purge of the old leader's camp ends."""
        self.cadre = cadre
        self.faction = faction
        self.camp_purge_until = NOT_YET

    def succeed(self, cadre: int, faction: int) -> None:
        """A successor takes over after the leader left (a ``leader_change``): the successor is
        at home, whatever absence abroad the former leader had."""
        self.replace(cadre, faction)
        self.absent_until = NOT_YET


@dataclass
class RegimeState:
    """The regime's conditions month to month: pretexts for purges, war, the
    leader's control of the army, and the congress on the agenda."""

    pretext: float = 0.0  # a failure to blame on someone, decaying
    war_until: int = NOT_YET  # last month of the war
    war_pretext: float = 0.0  # the pretext the war gives while it lasts
    army_control: float = 0.0  # share of other factions' force answering to the leader
    army_committee_rate: float = 0.0  # monthly tightening from party committees in the army
    congress_due: tuple[str, int] | None = None  # (event key, seats) of a congress this month

    def war_pressure(self, month: int) -> float:
        """The war's pretext while it lasts, else 0."""
        return self.war_pretext if month <= self.war_until else 0.0

    def decay_pretext(self, factor: float) -> None:
        self.pretext *= factor

    def raise_pretext(self, level: float) -> None:
        """The pretext is at least ``level`` now."""
        self.pretext = max(self.pretext, level)

    def start_war(self, until: int, pretext: float) -> None:
        self.war_until = until
        self.war_pretext = pretext

    def tighten_army_control(self, base_rate: float) -> None:
        """Bring a further share of the army under the leader: ``base_rate`` plus the party
        committees' rate (at most 1) of what is not yet."""
        rate = min(1.0, base_rate + self.army_committee_rate)
        self.army_control += rate * (1.0 - self.army_control)

    def set_committee_rate(self, rate: float) -> None:
        self.army_committee_rate = rate

    def call_congress(self, key: str, seats: int) -> None:
        self.congress_due = (key, seats)

    def congress_held(self) -> None:
        self.congress_due = None
