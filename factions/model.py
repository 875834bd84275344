"""The faction model: one replicate of one scenario, one month per step.

``FactionModel`` is a ``mesa.Model``. It builds the world from a resolved scenario in
``__init__`` (cadres, network, membership, patrons) and runs the monthly schedule in
:meth:`FactionModel.step`. All per-agent state is held in numpy arrays
(:mod:`factions.state`); each mechanism in :mod:`factions.mechanisms` is a vectorised function of
those arrays. ``docs/model.md`` describes the model in the ODD protocol.
"""

from __future__ import annotations

import logging

import mesa
import numpy as np

from factions import exogenous
from factions.agents import Cadre
from factions.calendar import format_month, parse_month
from factions.mechanisms import (
    challenge,
    coalition,
    congress,
    cooptation,
    elimination,
    loyalty,
    patrons,
    power,
    purge,
    recruitment,
    rehabilitation,
)
from factions.network import build_ties, to_networkx
from factions.observe import Recorder
from factions.scenario.schema import Faction, Scenario
from factions.state import LEGAL_TRANSITIONS, NOT_YET, CadreState, Membership, Status

log = logging.getLogger(__name__)

NOTABLE_TOP = 1.0  # prominence of a faction's first notable; the next ones step down
NOTABLE_STEP = 0.03
ORDINARY_PROMINENCE = (1.0, 4.0)  # Beta(a, b) for cadres without a name: most are minor


def beta_from_mean_spread(mean: float, spread: float) -> tuple[float, float] | None:
    """Beta parameters with this mean and standard deviation (None for a point mass)."""
    variance = spread**2
    limit = mean * (1 - mean)
    if variance <= 0 or limit <= 0:
        return None
    variance = min(variance, 0.95 * limit)
    concentration = limit / variance - 1
    return mean * concentration, (1 - mean) * concentration


class FactionModel(mesa.Model):
    """Rival factions of elite cadres under a leader and foreign patrons.

    Parameters
    ----------
    spec:
        A resolved :class:`~factions.scenario.Scenario`.
    rng:
        Anything :func:`numpy.random.default_rng` accepts (a seed, a ``SeedSequence``, a
        ``Generator``). The same ``spec`` and ``rng`` give the same run.
    check_transitions:
        Verify every status change against :data:`factions.state.LEGAL_TRANSITIONS` (tests).

    Examples
    --------
    >>> from factions import load_scenario
    >>> model = FactionModel(load_scenario("korea-1945"), rng=42)
    >>> model.date()
    '1945-09'
    >>> model.run().date()   # the month after the horizon (1961-12)
    '1962-01'
    """

    def __init__(self, spec: Scenario, rng=None, *, check_transitions: bool = False):
        super().__init__(rng=np.random.default_rng(rng))
        self.spec = spec
        self.check_transitions = check_transitions
        self.transitions: set[tuple[int, int]] = set()
        self.faction_ids = spec.faction_ids
        self.faction_index = {f: i for i, f in enumerate(self.faction_ids)}
        self.n_factions = len(self.faction_ids)
        self.patron_ids = list(spec.patrons)
        self.patron_index = {p: i for i, p in enumerate(self.patron_ids)}
        self.month = spec.start_month
        self.recorder = Recorder(spec.n_months, self.n_factions, len(self.patron_ids))
        self._init_factions()
        self._init_patrons()
        self._init_cadres()
        self._init_membership()
        self._init_clock()
        self.cadre_agents = [Cadre(self, i) for i in range(self.cadres.n)]
        self._schedule = self._events_by_month()
        self.power = power.faction_power(self)
        congress.elect(self, spec.committee.initial_seats)
        self.initial_cadres = {
            "loyalty": self.cadres.loyalty.copy(),
            "military": self.cadres.military.copy(),
            "seat": self.cadres.seat.copy(),
        }
        self.power = power.faction_power(self)
        coalition.update_coalition(self)

    # ------------------------------------------------------------------ construction

    def _init_factions(self) -> None:
        factions = self.spec.factions.values()
        self.legitimacy = np.array([f.legitimacy for f in factions])
        self.cohesion = np.array([f.cohesion for f in factions])
        self.faction_patron = np.array(
            [self.patron_ids.index(f.patron) if f.patron else -1 for f in factions]
        )
        self.patron_affinity = np.array([f.patron_affinity if f.patron else 0.0 for f in factions])
        self.patron_slot = np.maximum(self.faction_patron, 0)
        n = self.n_factions
        self.eliminated_at = np.full(n, NOT_YET)
        self.peak_active = np.zeros(n, dtype=np.int64)
        self.campaign_until = np.full(n, NOT_YET)
        self.halted_until = np.full(n, NOT_YET)
        self.exposed_until = np.full(n, NOT_YET)
        self.challenge_cooldown = np.full(n, NOT_YET)
        self.opening_until = np.full(n, NOT_YET)
        self.in_coalition = np.ones(n, dtype=bool)
        self.enemy = np.zeros(n, dtype=bool)  # factions the leader has begun to purge
        self.coalition_stale = False
        self.leader_faction = self.faction_index[self.spec.leader.faction]
        self.charisma = self.spec.leader.charisma
        self.power_weights = power.component_weights(self.spec.mechanisms.power)

    def _init_patrons(self) -> None:
        patrons_ = self.spec.patrons.values()
        self.presence = np.array([p.presence for p in patrons_], dtype=float)
        if not self.spec.mechanisms.patrons.enabled:
            self.presence[:] = 0.0  # ablation: no patron is ever present
        self.protection = np.array([p.protection for p in patrons_], dtype=float)
        self.willingness = np.array([p.willingness for p in patrons_], dtype=float)
        self.encouragement = np.array([p.encouragement for p in patrons_], dtype=float)
        self.next_intervention = np.full(len(self.patron_ids), NOT_YET)
        self.ramps: dict[int, tuple[float, int, float, int]] = {}

    def _draw_cadres(self, faction: Faction, count: int, loyalty_mean: float, notables: bool):
        rng = self.rng
        prominence = rng.beta(*ORDINARY_PROMINENCE, size=count)
        names = [""] * count
        if notables:
            for k, notable in enumerate(faction.notables):
                prominence[k] = NOTABLE_TOP - NOTABLE_STEP * k
                names[k] = notable.name
        ab = beta_from_mean_spread(loyalty_mean, faction.loyalty.spread)
        loyal = rng.beta(*ab, size=count) if ab else np.full(count, loyalty_mean)
        return prominence, loyal, names

    def _init_cadres(self) -> None:
        blocks = []  # (faction index, prominence, loyalty, names, military, status, merger key)
        for fid, faction in self.spec.factions.items():
            f = self.faction_index[fid]
            prom, loyal, names = self._draw_cadres(
                faction, faction.cadres, faction.loyalty.mean, True
            )
            force = faction.military * prom / prom.sum()
            blocks.append((f, prom, loyal, names, force, Status.ACTIVE, None))
        for key, event in self.spec.active_events():
            if event.kind == "merger" and event.cadres:
                f = self.faction_index[event.faction]
                faction = self.spec.factions[event.faction]
                prom, loyal, names = self._draw_cadres(faction, event.cadres, event.loyalty, False)
                blocks.append((f, prom, loyal, names, np.zeros(event.cadres), Status.PENDING, key))
        sizes = [len(b[1]) for b in blocks]
        n = sum(sizes)
        faction_idx = np.concatenate([np.full(s, b[0]) for s, b in zip(sizes, blocks, strict=True)])
        status = np.concatenate([np.full(s, b[5]) for s, b in zip(sizes, blocks, strict=True)])
        entered = np.where(status == Status.ACTIVE, self.month, NOT_YET)
        self.cadres = CadreState(
            faction=faction_idx.astype(np.int64),
            origin=faction_idx.astype(np.int64),
            loyalty=np.concatenate([b[2] for b in blocks]),
            military=np.concatenate([b[4] for b in blocks]),
            prominence=np.concatenate([b[1] for b in blocks]),
            seat=np.zeros(n, dtype=bool),
            status=status.astype(np.int8),
            entered=entered.astype(np.int64),
            left=np.full(n, NOT_YET),
            arrested_at=np.full(n, NOT_YET),
            sentence_due=np.full(n, NOT_YET),
            names=[name for b in blocks for name in b[3]],
        )
        offsets = np.cumsum([0, *sizes])
        self.pending = {
            b[6]: np.arange(offsets[i], offsets[i + 1]) for i, b in enumerate(blocks) if b[6]
        }
        self.leader_cadre = self.cadres.names.index(self.spec.leader.name)
        self.cadres.loyalty[self.leader_cadre] = 1.0
        self.ties = build_ties(
            self.spec.network,
            self.cadres.faction,
            self.cadres.prominence,
            self.faction_ids,
            self.rng,
        )

    def _init_membership(self) -> None:
        spec = self.spec.membership
        merged = sum(e.members for _, e in self.spec.active_events() if e.kind == "merger")
        slots = (spec.capacity + merged) // spec.scale + 1
        self.members = Membership.empty(slots, spec.scale, self.n_factions)
        shares = np.array([f.members for f in self.spec.factions.values()], dtype=float)
        if shares.sum() == 0:
            shares[:] = 1.0
        entries = spec.initial // spec.scale
        leaning = self.rng.choice(self.n_factions, size=entries, p=shares / shares.sum())
        self.members.add(leaning.astype(np.int8), spec.initial_loyalty)

    def _init_clock(self) -> None:
        self.pretext = 0.0
        self.last_arrest = NOT_YET - 12  # month of the latest arrest (none yet)
        self.war_until = NOT_YET
        self.war_pretext = 0.0
        self.absent_until = NOT_YET
        self.army_control = 0.0
        self.army_committee_rate = 0.0
        self.congress_due: tuple[str, int] | None = None

    def _events_by_month(self) -> dict[int, list]:
        schedule: dict[int, list] = {}
        for key, event in self.spec.active_events():
            schedule.setdefault(parse_month(event.date), []).append((key, event))
        return schedule

    # ------------------------------------------------------------------ helpers for mechanisms

    @property
    def month_index(self) -> int:
        """Months since the start (0 in the first month)."""
        return self.month - self.spec.start_month

    @property
    def standing(self) -> np.ndarray:
        """Boolean mask of factions not yet eliminated."""
        return self.eliminated_at == NOT_YET

    @property
    def leader_absent(self) -> bool:
        return self.month <= self.absent_until

    def protection_of_faction(self) -> np.ndarray:
        """Share of purge hazard each faction's patron presence removes."""
        return self.patron_term(self.presence * self.protection)

    def encouragement_of_faction(self) -> np.ndarray:
        """Monthly pull of each faction's loyalty away from the leader by its patron."""
        return self.patron_term(self.presence * self.encouragement)

    def patron_term(self, per_patron: np.ndarray) -> np.ndarray:
        """Per faction, its patron's value times its affinity (zero without a patron)."""
        if not len(per_patron):
            return np.zeros(self.n_factions)
        # a faction without a patron reads patron 0's value but has affinity 0
        return per_patron[self.patron_slot] * self.patron_affinity

    def set_status(self, idx: np.ndarray, new: Status) -> None:
        """Change cadres' status (the only place statuses change)."""
        idx = np.asarray(idx, dtype=np.int64)
        if self.check_transitions and len(idx):
            for old in np.unique(self.cadres.status[idx]):
                if (Status(int(old)), new) not in LEGAL_TRANSITIONS:
                    raise AssertionError(
                        f"illegal transition {Status(int(old)).name} -> {new.name}"
                    )
                self.transitions.add((int(old), int(new)))
        self.cadres.set_status(idx, new, self.month)

    def log(self, kind: str, faction: int | None, cadre: int | None, detail: str = "") -> None:
        """Append to the event log (library code logs; it never prints)."""
        f = -1 if faction is None else int(faction)
        c = -1 if cadre is None else int(cadre)
        self.recorder.events.append((self.month, kind, f, c, detail))

    # ------------------------------------------------------------------ the schedule

    def step(self) -> None:
        """One month: events, environment, loyalty, decisions, purges, bookkeeping."""
        if self.month > self.spec.end_month:
            raise RuntimeError(
                f"the run has reached its horizon ({self.spec.end}); start a new model"
            )
        for key, event in self._schedule.get(self.month, ()):
            exogenous.apply(self, key, event)
        patrons.update_presence(self)
        purge.decay_pretext(self)
        recruitment.grow_membership(self)
        recruitment.tighten_army_control(self)
        power.grow_legitimacy(self)
        loyalty.update_cadres(self)
        loyalty.update_members(self)
        self.power = power.faction_power(self)
        if self.congress_due is not None:
            self._hold_congress(*self.congress_due)
        if coalition.is_decision_point(self):
            coalition.update_coalition(self)
        challenge.attempt(self)
        purge.launch_campaigns(self)
        purge.spread_arrests(self)
        purge.sentence(self)
        patrons.intervene(self)
        rehabilitation.rehabilitate(self)
        cooptation.coopt(self)
        elimination.check(self)
        self.power = power.faction_power(self)
        self.recorder.record(self, self.month_index)
        if self.month >= self.spec.end_month:
            self.running = False
        self.month += 1

    def _hold_congress(self, key: str, seats: int) -> None:
        before = self.cadres.seat.copy()
        if self.spec.mechanisms.congress.enabled:
            elected = congress.elect(self, seats)
        else:  # ablation: the committee is never re-elected
            elected = np.flatnonzero(before & self.cadres.in_office())
        per_faction = np.bincount(self.cadres.faction[elected], minlength=self.n_factions)
        new = np.bincount(self.cadres.faction[elected[~before[elected]]], minlength=self.n_factions)
        self.recorder.congresses.append((self.month, key, per_faction, new))
        self.congress_due = None
        self.power = power.faction_power(self)
        self.coalition_stale = True

    def run(self) -> FactionModel:
        """Run to the horizon and return ``self`` (for chaining).

        Afterwards :meth:`date` is the month after the scenario's ``end``: the last month
        simulated is ``end``.

        Raises
        ------
        RuntimeError
            From :meth:`step`, never in practice: the loop stops at the horizon.
        """
        while self.running:
            self.step()
        return self

    # ------------------------------------------------------------------ views

    def date(self) -> str:
        """The current month as ``'YYYY-MM'``: the next month :meth:`step` will simulate.

        Returns
        -------
        str
            ``start`` before the first step; the month after ``end`` once the run is over.
        """
        return format_month(self.month)

    def network(self):
        """The patronage network as a ``networkx.Graph`` with faction, status and name."""
        c = self.cadres
        return to_networkx(
            self.ties,
            {
                "faction": np.array(self.faction_ids, dtype=object)[c.faction],
                "status": np.array([Status(int(s)).name.lower() for s in c.status], dtype=object),
                "name": np.array([c.label(i) for i in range(c.n)], dtype=object),
            },
        )
