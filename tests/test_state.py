"""The bookkeeping that the struct-of-arrays state keeps instead of recomputing.

``MemberState`` tracks the slots in use and the holes expulsions leave; ``CadreState`` caches the
number of cadres in office per faction. Each must agree, after any sequence of changes, with the
plain computation it replaces.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from factions.state import NOT_YET, CadreState, MemberState, Status

N_FACTIONS = 3

# a step is ("add", count) or ("expel", seed of a random mask)
steps = st.lists(
    st.one_of(
        st.tuples(st.just("add"), st.integers(0, 40)),
        st.tuples(st.just("expel"), st.integers(0, 2**32 - 1)),
    ),
    max_size=25,
)


@settings(max_examples=150, deadline=None)
@given(slots=st.integers(1, 120), steps=steps)
def test_membership_matches_a_full_scan(slots: int, steps: list[tuple[str, int]]):
    members = MemberState.empty(slots, scale=1, n_factions=N_FACTIONS)
    for kind, value in steps:
        if kind == "add":
            expected = np.flatnonzero(~members.alive)[:value]  # lowest free slots
            leaning = np.arange(value, dtype=np.int8) % N_FACTIONS
            assert members.add(leaning, 0.5) == len(expected)
            assert members.alive[expected].all()
        else:
            mask = np.random.default_rng(value).random(slots) < 0.3
            members.expel(mask)
        alive = np.flatnonzero(members.alive)
        assert members.used >= (alive[-1] + 1 if len(alive) else 0)
        assert not members.alive[members.used :].any()
        assert members.holes == members.used - len(alive)
        counts = np.bincount(members.leaning[members.alive], minlength=N_FACTIONS)
        assert (members.entries == counts).all()


def test_indoctrination_touches_only_slots_in_use():
    from factions.kernels import indoctrinate

    members = MemberState.empty(10, scale=1, n_factions=N_FACTIONS)
    members.add(np.zeros(4, dtype=np.int8), 0.25)
    indoctrinate(members.loyalty, members.used, 0.5)
    assert members.used == 4
    assert (members.loyalty[:4] == np.float32(0.625)).all()
    assert (members.loyalty[4:] == 0).all()


def _cadres(faction: list[int], status: list[Status]) -> CadreState:
    n = len(faction)
    never = np.full(n, NOT_YET)
    return CadreState(
        faction=np.array(faction, dtype=np.int64),
        origin=np.array(faction, dtype=np.int64),
        loyalty=np.linspace(0.1, 0.9, n),
        military=np.ones(n),
        prominence=np.ones(n),
        seat=np.zeros(n, dtype=bool),
        status=np.array(status, dtype=np.int8),
        entered=np.zeros(n, dtype=np.int64),
        left=never.copy(),
        arrested_at=never.copy(),
        sentence_due=never.copy(),
    )


def test_office_counts_follow_status_and_faction_changes():
    cadres = _cadres([0, 0, 1, 2, 2], [Status.ACTIVE] * 4 + [Status.PENDING])
    assert cadres.office_counts(N_FACTIONS).tolist() == [2, 1, 1]
    cadres.set_status(np.array([0]), Status.ARRESTED, month=5)
    assert cadres.office_counts(N_FACTIONS).tolist() == [1, 1, 1]
    cadres.move(np.array([2]), 0)
    assert cadres.office_counts(N_FACTIONS).tolist() == [2, 0, 1]
    cadres.set_status(np.array([4]), Status.ACTIVE, month=6)
    assert cadres.office_counts(N_FACTIONS).tolist() == [2, 0, 2]
