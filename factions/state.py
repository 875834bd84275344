"""Struct-of-arrays state of the cadres and of the rank-and-file membership.

Every per-agent quantity is a numpy array indexed by cadre (or member entry), so that each
mechanism is a vectorised function over the whole population. The Mesa agents in
:mod:`factions.agents` are thin views onto these arrays.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from typing import NamedTuple

import numpy as np

from factions.compiled import kernel

__all__ = [
    "FATE_CAUSE",
    "IN_OFFICE",
    "LEGAL_TRANSITIONS",
    "NOT_YET",
    "NO_CADRE",
    "NO_END",
    "NO_FACTION",
    "PURGED",
    "CadreArrays",
    "CadreState",
    "EndCause",
    "Fate",
    "MemberState",
    "Status",
    "end_cause",
    "fates",
]


class Status(IntEnum):
    """Where a cadre stands. Active and rehabilitated cadres hold office; the others do not."""

    PENDING = 0  # not yet in the party (arrives with a merger or a faction's entry)
    ACTIVE = 1
    ARRESTED = 2
    EXECUTED = 3
    EXILED = 4  # fled or sent to the patron's country
    DEMOTED = 5
    REHABILITATED = 6
    RETIRED = 7  # left office by death, incapacity or resignation (a leader_change event)


#: Status changes the model may make; anything else is a bug (tested as an invariant).
LEGAL_TRANSITIONS: frozenset[tuple[Status, Status]] = frozenset(
    {
        (Status.PENDING, Status.ACTIVE),  # a merger or a faction's entry brings the cadre in
        (Status.ACTIVE, Status.RETIRED),  # the leader leaves (leader_change)
        (Status.REHABILITATED, Status.RETIRED),
        (Status.ACTIVE, Status.ARRESTED),
        (Status.REHABILITATED, Status.ARRESTED),
        (Status.ACTIVE, Status.EXILED),  # flight after a failed challenge
        (Status.REHABILITATED, Status.EXILED),
        (Status.ARRESTED, Status.EXECUTED),
        (Status.ARRESTED, Status.EXILED),
        (Status.ARRESTED, Status.DEMOTED),
        (Status.ARRESTED, Status.REHABILITATED),  # released on a patron's intervention
        (Status.EXILED, Status.REHABILITATED),
        (Status.DEMOTED, Status.REHABILITATED),
    }
)


class Fate(IntEnum):
    """How a cadre's career stands at the end (or at its faction's end): still in office in its
    own faction, absorbed into another faction (co-opted), or one of the purge's outcomes."""

    STANDING = 0
    ABSORBED = 1
    EXECUTED = 2
    IMPRISONED = 3  # arrested and not yet sentenced
    DEMOTED = 4
    EXILED = 5  # fled or sent to the patron's country
    RETIRED = 6  # left office by death, incapacity or resignation: no purge, no end cause


class EndCause(IntEnum):
    """Why a faction ended; the order is the tie order (purged first, absorbed last)."""

    PURGED = 0
    EXILED = 1
    ABSORBED = 2


NO_END = -1  # a standing (censored) faction's end cause

#: The end cause each fate stands for (a standing cadre stands for none).
FATE_CAUSE: dict[Fate, EndCause] = {
    Fate.ABSORBED: EndCause.ABSORBED,
    Fate.EXECUTED: EndCause.PURGED,
    Fate.IMPRISONED: EndCause.PURGED,
    Fate.DEMOTED: EndCause.PURGED,
    Fate.EXILED: EndCause.EXILED,
}

_STATUS_FATE = {
    Status.EXECUTED: Fate.EXECUTED,
    Status.ARRESTED: Fate.IMPRISONED,
    Status.DEMOTED: Fate.DEMOTED,
    Status.EXILED: Fate.EXILED,
    Status.RETIRED: Fate.RETIRED,
}


def fates(status: np.ndarray, faction: np.ndarray, origin: np.ndarray) -> np.ndarray:
    """Each cadre's :class:`Fate` (int8): its purge outcome if it is out of office, else
    absorbed when it now sits in a faction other than its origin, else standing."""
    out = np.where(faction != origin, Fate.ABSORBED, Fate.STANDING).astype(np.int8)
    for state, fate in _STATUS_FATE.items():
        out[status == state] = fate
    return out


def end_cause(cadre_fates: np.ndarray) -> EndCause:
    """A faction's end cause from the fates of its origin cadres: the commonest cause among
    those who left (ties go to the earlier :class:`EndCause`: purged, exiled, absorbed); a
    faction none of whose cadres left (it fell below the elimination rule's floor without a
    loss) dissolved into the others: absorbed."""
    counts = np.zeros(len(EndCause), dtype=np.int64)
    for fate, cause in FATE_CAUSE.items():
        counts[cause] += int(np.count_nonzero(cadre_fates == fate))
    return EndCause(int(np.argmax(counts))) if counts.any() else EndCause.ABSORBED


IN_OFFICE = (Status.ACTIVE, Status.REHABILITATED)
PURGED = (Status.ARRESTED, Status.EXECUTED, Status.EXILED, Status.DEMOTED)

NOT_YET = -1  # month sentinel: no such month (yet)
NO_FACTION = -1  # faction index sentinel: no faction (in the event log, in exemptions)
NO_CADRE = -1  # cadre index sentinel: no cadre


class CadreArrays(NamedTuple):
    """The cadre arrays the compiled kernels read (:mod:`factions.kernels`), as one argument.

    The fields are the :class:`CadreState`'s own arrays (the same memory), so that a kernel's
    writes are the state's; ``office`` is the in-office mask :meth:`CadreState.set_status`
    keeps.
    """

    faction: np.ndarray
    office: np.ndarray
    loyalty: np.ndarray
    military: np.ndarray
    seat: np.ndarray
    status: np.ndarray
    arrested_at: np.ndarray


@dataclass
class CadreState:
    """Per-cadre arrays. ``n`` includes cadres that enter later through mergers."""

    faction: np.ndarray  # int, current faction index
    origin: np.ndarray  # int, faction at entry
    loyalty: np.ndarray  # float in [0, 1]
    military: np.ndarray  # float >= 0, armed force commanded
    prominence: np.ndarray  # float in (0, 1]
    seat: np.ndarray  # bool, full member of the central committee
    status: np.ndarray  # int8, a Status
    entered: np.ndarray  # int, month index of entry (NOT_YET while pending)
    left: np.ndarray  # int, month the cadre first left office (NOT_YET: never)
    arrested_at: np.ndarray  # int, month of the last arrest
    sentence_due: np.ndarray  # int, month the arrested cadre is sentenced
    names: list[str] = field(default_factory=list)

    @property
    def n(self) -> int:
        return len(self.faction)

    def __post_init__(self) -> None:
        s = self.status
        self._office = (s == Status.ACTIVE) | (s == Status.REHABILITATED)
        self._office_view = self._office.view()  # what callers get: same memory, read-only
        self._office_view.flags.writeable = False
        self._counts: np.ndarray | None = None  # in office per faction, until the next change
        self.arrays = CadreArrays(
            self.faction,
            self._office,
            self.loyalty,
            self.military,
            self.seat,
            self.status,
            self.arrested_at,
        )

    def in_office(self) -> np.ndarray:
        """Boolean mask of cadres holding office (active or rehabilitated); read-only view.

        Kept up to date by :meth:`set_status`, the only place statuses change, so that the many
        mechanisms that ask for it each month do not recompute it.
        """
        return self._office_view

    def office_counts(self, n_factions: int) -> np.ndarray:
        """Cadres in office per faction; read-only, kept until a status or faction changes."""
        if self._counts is None or len(self._counts) != n_factions:
            self._counts = np.bincount(self.faction[self._office], minlength=n_factions)
            self._counts.flags.writeable = False
        return self._counts

    def move(self, idx: np.ndarray, faction: int) -> None:
        """Move cadres to another faction (the only place factions change)."""
        self.faction[idx] = faction
        self._counts = None

    def found(self, idx: np.ndarray, faction: int) -> None:
        """Make cadres founders of a faction born of a split: it becomes their faction and
        their faction of origin (their fates and its end are reckoned from it)."""
        self.faction[idx] = faction
        self.origin[idx] = faction
        self._counts = None

    def label(self, i: int) -> str:
        """The cadre's historical name, or a stable id."""
        return self.names[i] or f"cadre-{i}"

    def set_status(self, idx: np.ndarray, new: Status, month: int) -> None:
        """Move cadres to ``new``; keep ``left``/``entered`` consistent."""
        if len(idx) == 0:
            return
        self.status[idx] = new
        self._office[idx] = new in IN_OFFICE
        self._counts = None
        if new in IN_OFFICE:
            entered = self.entered[idx]
            self.entered[idx] = np.where(entered == NOT_YET, month, entered)
        elif new == Status.ARRESTED or new == Status.EXILED:
            left = self.left[idx]
            self.left[idx] = np.where(left == NOT_YET, month, left)


@dataclass
class MemberState:
    """The rank-and-file: one entry per ``scale`` members (super-individuals when scale > 1)."""

    leaning: np.ndarray  # int8 faction index each entry leans to
    loyalty: np.ndarray  # float32 loyalty to the leader
    alive: np.ndarray  # bool, the entry is currently a member
    scale: int
    entries: np.ndarray  # live entries per faction, kept in step by add() and expel()
    used: int = 0  # slots ever filled form the prefix [:used]; later slots have never lived
    holes: int = 0  # free slots inside that prefix (left by expulsions), filled first

    @classmethod
    def empty(cls, slots: int, scale: int, n_factions: int) -> MemberState:
        return cls(
            leaning=np.zeros(slots, dtype=np.int8),
            loyalty=np.zeros(slots, dtype=np.float32),
            alive=np.zeros(slots, dtype=bool),
            scale=scale,
            entries=np.zeros(n_factions, dtype=np.int64),
        )

    def counts(self) -> np.ndarray:
        """Members per faction (in persons, not entries)."""
        return self.entries * self.scale

    def total(self) -> int:
        """Members in all (in persons); the entries are summed as a list, faster than numpy
        for a handful of factions."""
        return sum(self.entries.tolist()) * self.scale

    def add(self, leaning: np.ndarray, loyalty: float) -> int:
        """Enrol one entry per element of ``leaning`` (as many as fit); return how many fit.

        Entries take the lowest free slots: the holes expulsions left first, then fresh slots.
        """
        added, self.used, self.holes = _enrol(
            self.alive,
            self.leaning,
            self.loyalty,
            self.entries,
            self.used,
            self.holes,
            leaning,
            loyalty,
        )
        return added

    def relean(self, idx: np.ndarray, faction: int) -> None:
        """Make the live entries ``idx`` lean to ``faction`` (a split takes them along)."""
        idx = idx[self.alive[idx]]
        self.entries -= np.bincount(self.leaning[idx], minlength=len(self.entries))
        self.leaning[idx] = faction
        self.entries[faction] += len(idx)

    def expel(self, mask: np.ndarray) -> int:
        """Remove the live entries selected by ``mask``; return how many were removed."""
        mask = mask & self.alive
        self.alive[mask] = False
        removed = np.bincount(self.leaning[mask], minlength=len(self.entries))
        self.entries -= removed
        self.holes += int(removed.sum())
        return int(removed.sum())


@kernel
def _enrol(alive, slot_leaning, slot_loyalty, entries, used, holes, leaning, loyalty):
    """Enrol one entry per ``leaning`` in the lowest free slots, in place (see MemberState.add).

    Holes inside the prefix ``[:used]`` are refilled first, scanning only until none is left;
    then fresh slots extend the prefix. Returns how many entries fit and the new ``used`` and
    ``holes``.
    """
    wanted = leaning.shape[0]
    added = 0
    slot = 0
    while added < wanted and holes > 0:  # holes > 0: a free slot lies in [slot, used)
        if not alive[slot]:
            _fill(alive, slot_leaning, slot_loyalty, entries, slot, leaning[added], loyalty)
            holes -= 1
            added += 1
        slot += 1
    while added < wanted and used < alive.shape[0]:
        _fill(alive, slot_leaning, slot_loyalty, entries, used, leaning[added], loyalty)
        used += 1
        added += 1
    return added, used, holes


@kernel
def _fill(alive, slot_leaning, slot_loyalty, entries, slot, leaning, loyalty):
    """Make ``slot`` a live entry leaning to ``leaning`` and count it in ``entries``."""
    alive[slot] = True
    slot_leaning[slot] = leaning
    slot_loyalty[slot] = loyalty
    entries[leaning] += 1
