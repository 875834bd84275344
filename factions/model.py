"""The faction model: one replicate of one scenario, one month per step.

``FactionModel`` is a ``mesa.Model``. It builds the world from a resolved scenario in
``__init__`` (cadres, network, membership, patrons) and runs the monthly schedule in
:meth:`FactionModel.step`. All per-agent state is held in numpy arrays
(:mod:`factions.state`); each mechanism in :mod:`factions.mechanisms` is a vectorised function of
those arrays. ``docs/model.md`` describes the model in the ODD protocol.
"""

from __future__ import annotations

import logging
from typing import NamedTuple

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
    inner_purge,
    loyalty,
    patrons,
    power,
    purge,
    recruitment,
    rehabilitation,
    split,
)
from factions.network import build_ties, to_networkx
from factions.observe import Recorder
from factions.polity import FactionState, LeaderState, PatronState, RegimeState
from factions.scenario.mechanisms import revise
from factions.scenario.schema import Faction, Scenario
from factions.state import (
    LEGAL_TRANSITIONS,
    NO_CADRE,
    NO_FACTION,
    NOT_YET,
    CadreState,
    MemberState,
    Status,
)

__all__ = [
    "NOTABLE_STEP",
    "NOTABLE_TOP",
    "ORDINARY_PROMINENCE",
    "CadreBlock",
    "FactionModel",
    "beta_from_mean_spread",
]

log = logging.getLogger(__name__)

NOTABLE_TOP = 1.0  # prominence of a faction's first notable; the next ones step down
NOTABLE_STEP = 0.03
ORDINARY_PROMINENCE = (1.0, 4.0)  # Beta(a, b) for cadres without a name: most are minor


class CadreBlock(NamedTuple):
    """Cadres drawn together at the start: a faction's founders or a merger's newcomers."""

    faction: int
    prominence: np.ndarray
    loyalty: np.ndarray
    names: list[str]
    military: np.ndarray
    status: Status
    merger: str | None = None  # key of the merger (or faction_entry) event they arrive with


def beta_from_mean_spread(mean: float, spread: float) -> tuple[float, float] | None:
    """Beta parameters with this mean and standard deviation (None for a point mass, also when
    a mean within a few subnormals of 0 or 1 leaves no Beta distribution to draw from)."""
    variance = spread**2
    limit = mean * (1 - mean)
    if variance <= 0 or limit <= 0:
        return None
    variance = min(variance, 0.95 * limit)
    concentration = limit / variance - 1
    a, b = mean * concentration, (1 - mean) * concentration
    return (a, b) if a > 0 and b > 0 else None


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
        self.entries = {  # faction index -> key of its faction_entry event (if it enters late)
            self.faction_index[e.faction]: key
            for key, e in spec.active_events()
            if e.kind == "faction_entry"
        }
        born = [self.faction_index[fid] for fid in spec.split_factions]  # by a split, later
        self.factions = FactionState.from_scenario(spec, self.patron_ids, [*self.entries, *born])
        self.patrons = PatronState.from_scenario(spec)
        self.regime = RegimeState()
        self.power_weights = power.component_weights(spec.mechanisms.power)
        self._init_cadres()
        self.leader = LeaderState(
            cadre=self.cadres.names.index(spec.leader.name),
            faction=self.faction_index[spec.leader.faction],
            charisma=spec.leader.charisma,
        )
        self.cadres.loyalty[self.leader.cadre] = 1.0
        self.ties = build_ties(  # the declared factions: those born of a split have no cadres
            spec.network, self.cadres.faction, self.cadres.prominence, list(spec.factions), self.rng
        )
        self._init_membership()
        self.cadre_agents = [Cadre(self, i) for i in range(self.cadres.n)]
        self.latent_splits = {  # key -> cohesion-triggered split that has not happened yet
            key: e for key, e in spec.active_events() if e.kind == "split" and e.when == "cohesion"
        }
        self._schedule = self._events_by_month()
        self.refresh_power()
        congress.elect(self, spec.committee.initial_seats)
        self.initial_cadres = {
            "loyalty": self.cadres.loyalty.copy(),
            "military": self.cadres.military.copy(),
            "seat": self.cadres.seat.copy(),
        }
        self.refresh_power()
        coalition.update_coalition(self)

    # ------------------------------------------------------------------ construction

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
        blocks: list[CadreBlock] = []
        for fid, faction in self.spec.factions.items():
            f = self.faction_index[fid]
            entry = self.entries.get(f)  # a faction entering later: its cadres wait for it
            count = faction.cadres
            if entry is not None:
                count = self.spec.events[entry].cadres or count
            prom, loyal, names = self._draw_cadres(faction, count, faction.loyalty.mean, True)
            force = faction.military * prom / prom.sum()
            status = Status.ACTIVE if entry is None else Status.PENDING
            blocks.append(CadreBlock(f, prom, loyal, names, force, status, entry))
        for key, event in self.spec.active_events():
            if event.kind == "merger" and event.cadres:
                faction = self.spec.faction_table(event.faction)
                prom, loyal, names = self._draw_cadres(faction, event.cadres, event.loyalty, False)
                force = np.zeros(event.cadres)
                f = self.faction_index[event.faction]
                blocks.append(CadreBlock(f, prom, loyal, names, force, Status.PENDING, key))
        sizes = [len(b.prominence) for b in blocks]
        n = sum(sizes)
        faction_idx = np.concatenate([np.full(len(b.prominence), b.faction) for b in blocks])
        status = np.concatenate([np.full(len(b.prominence), b.status) for b in blocks])
        entered = np.where(status == Status.ACTIVE, self.month, NOT_YET)
        self.cadres = CadreState(
            faction=faction_idx.astype(np.int64),
            origin=faction_idx.astype(np.int64),
            loyalty=np.concatenate([b.loyalty for b in blocks]),
            military=np.concatenate([b.military for b in blocks]),
            prominence=np.concatenate([b.prominence for b in blocks]),
            seat=np.zeros(n, dtype=bool),
            status=status.astype(np.int8),
            entered=entered.astype(np.int64),
            left=np.full(n, NOT_YET),
            arrested_at=np.full(n, NOT_YET),
            sentence_due=np.full(n, NOT_YET),
            names=[name for b in blocks for name in b.names],
        )
        offsets = np.cumsum([0, *sizes])
        self.pending = {
            b.merger: np.arange(offsets[i], offsets[i + 1])
            for i, b in enumerate(blocks)
            if b.merger
        }

    def _init_membership(self) -> None:
        spec = self.spec.membership
        merged = sum(e.members for _, e in self.spec.active_events() if e.kind == "merger")
        shares = np.array(
            [self.spec.faction_table(f).members for f in self.faction_ids], dtype=float
        )
        self.entry_members = {  # faction entering later -> entries it brings (its share)
            f: int(shares[f] / shares.sum() * spec.initial) // spec.scale if shares.sum() else 0
            for f in self.entries
        }
        merged += sum(self.entry_members.values()) * spec.scale
        slots = (spec.capacity + merged) // spec.scale + 1
        self.members = MemberState.empty(slots, spec.scale, self.n_factions)
        present = self.factions.standing  # those that enter or are born later have none now
        shares = np.where(present, shares, 0.0)
        if shares.sum() == 0:
            shares = present.astype(float)
        entries = spec.initial // spec.scale
        leaning = self.rng.choice(self.n_factions, size=entries, p=shares / shares.sum())
        self.members.add(leaning.astype(np.int8), spec.initial_loyalty)

    def _events_by_month(self) -> dict[int, list]:
        """The dated events by month; a cohesion-triggered split has no month of its own (the
        split mechanism decides when it happens)."""
        schedule: dict[int, list] = {}
        for key, event in self.spec.active_events():
            if key in self.latent_splits:
                continue
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
        return self.factions.standing

    @property
    def in_coalition(self) -> np.ndarray:
        """Boolean mask of the factions in the ruling coalition (read it; the coalition
        mechanism changes it)."""
        return self.factions.in_coalition

    @property
    def eliminated_at(self) -> np.ndarray:
        """Month each faction was eliminated (``NOT_YET``: standing)."""
        return self.factions.eliminated_at

    @property
    def presence(self) -> np.ndarray:
        """Each patron's presence this month (troops, advisers; in [0, 1])."""
        return self.patrons.presence

    @property
    def leader_absent(self) -> bool:
        return self.leader.absent(self.month)

    def protection_of_faction(self) -> np.ndarray:
        """Share of purge hazard each faction's patron presence removes."""
        return self.patron_term(self.patrons.presence * self.patrons.protection)

    def encouragement_of_faction(self) -> np.ndarray:
        """Monthly pull of each faction's loyalty away from the leader by its patron."""
        return self.patron_term(self.patrons.presence * self.patrons.encouragement)

    def patron_term(self, per_patron: np.ndarray) -> np.ndarray:
        """Per faction, its patron's value times its affinity (zero without a patron)."""
        if not len(per_patron):
            return np.zeros(self.n_factions)
        factions = self.factions
        return per_patron[factions.patron_slot] * factions.patron_affinity

    def refresh_power(self) -> None:
        """Recompute the factions' power shares (``power``) and their raw components
        (``power_components``, for the observers): the only place either is set. Each faction's
        peak share follows."""
        self.power, self.power_components = power.faction_power(self)
        self.factions.raise_peak_power(self.power)

    def revise_mechanisms(self, values: dict[str, object]) -> None:
        """A dated change (a ``set`` event): from this month on, the mechanisms read ``values``
        ('mechanisms.<section>.<name>' -> value, checked when the scenario was loaded)."""
        mechanisms = revise(self.spec.mechanisms, values)
        self.spec = self.spec.model_copy(update={"mechanisms": mechanisms})
        self.power_weights = power.component_weights(mechanisms.power)

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
        f = NO_FACTION if faction is None else int(faction)
        c = NO_CADRE if cadre is None else int(cadre)
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
        split.break_away(self)
        self.refresh_power()
        if self.regime.congress_due is not None:
            self._hold_congress(*self.regime.congress_due)
        if coalition.is_decision_point(self):
            coalition.update_coalition(self)
        challenge.attempt(self)
        purge.launch_campaigns(self)
        purge.spread_arrests(self)
        inner_purge.turn_on_camp(self)
        inner_purge.spread_arrests(self)
        purge.sentence(self)
        patrons.intervene(self)
        rehabilitation.rehabilitate(self)
        cooptation.coopt(self)
        elimination.check(self)
        self.refresh_power()
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
        self.regime.congress_held()
        self.refresh_power()
        self.factions.mark_coalition_stale()

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
