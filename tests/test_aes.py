"""The Acemoglu–Egorov–Sonin (2008) ruling-coalition solver, against hand derivations.

Definitions (AES 2008, *Review of Economic Studies* 75(4); ``factions.theory.aes``):

* a coalition's power is the sum of its members' powers ``γ``;
* ``X ⊆ Y`` is *winning within* ``Y`` when ``γ_X > α γ_Y`` (strictly);
* ``Y`` is *self-enforcing* (SE) when no proper subset ``Z ⊊ Y`` is both winning within ``Y``
  and itself SE; singletons are SE;
* the *ruling coalition* of ``N`` is ``N`` if ``N`` is SE, else the least-power SE coalition
  that is winning within ``N``;
* ties: least power, then fewest members, then the smallest sorted tuple of names.

Each hand-derived case below spells out the derivation. A brute-force reference written
straight from the definitions (exact rationals, recursion over subsets) backs the property
tests.
"""

from __future__ import annotations

import time
from fractions import Fraction
from functools import cache
from itertools import combinations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from factions.theory.aes import MAX_PLAYERS, is_self_enforcing, ruling_coalition

# --------------------------------------------------------------------------- a reference


class Reference:
    """AES straight from the definitions, on exact rationals (exponential; n <= 8 or so)."""

    def __init__(self, powers: dict[str, float], alpha: float = 0.5):
        self.gamma = {k: Fraction(v) for k, v in powers.items()}
        self.alpha = Fraction(alpha)
        self.players = frozenset(powers)

    def power(self, members) -> Fraction:
        return sum((self.gamma[m] for m in members), Fraction(0))

    def winning(self, x, y) -> bool:
        return self.power(x) > self.alpha * self.power(y)

    def subsets(self, y, proper: bool = True):
        top = len(y) - 1 if proper else len(y)
        for k in range(1, top + 1):
            for z in combinations(sorted(y), k):
                yield frozenset(z)

    @cache  # noqa: B019 - instances are short-lived test objects
    def self_enforcing(self, y: frozenset) -> bool:
        return not any(self.winning(z, y) and self.self_enforcing(z) for z in self.subsets(y))

    def key(self, c) -> tuple:
        return (self.power(c), len(c), tuple(sorted(c)))

    def ruling(self, must_include: str | None = None):
        n = self.players
        if must_include is None and self.self_enforcing(n):
            return n
        candidates = [
            c
            for c in self.subsets(n, proper=must_include is None)
            if self.self_enforcing(c)
            and self.winning(c, n)
            and (must_include is None or must_include in c)
        ]
        if must_include is not None and self.self_enforcing(n) and candidates:
            return n
        return min(candidates, key=self.key) if candidates else None


def names(n: int) -> list[str]:
    return [f"p{i}" for i in range(n)]


def near_equal(n: int) -> dict[str, float]:
    """Powers 100, 101, ..., distinct integers (exact in binary), all within 10% of each other."""
    return {name: 100.0 + i for i, name in enumerate(names(n))}


# --------------------------------------------------------------------------- hand-derived cases


def test_singleton_rules_alone():
    # One player: no proper non-empty subset, so {a} is SE and rules.
    assert ruling_coalition({"a": 0.3}) == {"a"}
    assert is_self_enforcing({"a": 0.3}, ["a"])


def test_two_players_the_stronger_rules_alone():
    # {a, b} with 3 > 2: {a} is SE and winning within {a, b} (3 > 5/2), so {a, b} is not SE.
    # SE coalitions winning within N: {a} only ({b}: 2 < 5/2). Ruling coalition: {a}.
    assert ruling_coalition({"a": 3.0, "b": 2.0}) == {"a"}
    assert ruling_coalition({"a": 2.0, "b": 3.0}) == {"b"}
    assert not is_self_enforcing({"a": 3.0, "b": 2.0}, ["a", "b"])


def test_two_equal_players_rule_together():
    # 1 = 1/2 * 2 is not *strictly* more than half: neither singleton wins, {a, b} is SE.
    assert ruling_coalition({"a": 1.0, "b": 1.0}) == {"a", "b"}
    assert is_self_enforcing({"a": 1.0, "b": 1.0}, ["a", "b"])


def test_three_near_equal_players_all_rule():
    # 100, 101, 102 (total 303): a pair is not SE (its stronger member has more than half of
    # it); a singleton is SE but not winning (102 < 151.5). No SE proper subset wins: N is SE.
    powers = near_equal(3)
    assert ruling_coalition(powers) == set(powers)
    assert is_self_enforcing(powers, powers)


def test_four_near_equal_players_leave_out_the_strongest():
    # 100..103 (total 406, half 203). Each triple satisfies the triangle inequality, so it is SE
    # (previous case), and it is winning (>= 303 > 203): N is not SE. Pairs are not SE and
    # singletons not winning, so the SE winning coalitions are the four triples; the least
    # powerful is the three weakest, 100 + 101 + 102 = 303.
    assert ruling_coalition(near_equal(4)) == {"p0", "p1", "p2"}
    assert not is_self_enforcing(near_equal(4), names(4))


@pytest.mark.parametrize(
    ("n", "expected"),
    [
        (2, {"p1"}),
        (3, {"p0", "p1", "p2"}),
        (4, {"p0", "p1", "p2"}),
        (5, {"p0", "p1", "p2"}),
        # 6 players, total 615, half 307.5: the three weakest (303) do not win; the least power
        # of a winning triple is 308, reached by {p0,p3,p5}, {p1,p2,p5} and {p1,p3,p4}. Equal
        # power and size: the smallest sorted name tuple, ('p0', 'p3', 'p5').
        (6, {"p0", "p3", "p5"}),
        (7, set(names(7))),
        (8, set(names(7))),
    ],
)
def test_near_equal_ruling_coalition_sizes_are_2k_minus_1(n, expected):
    # Among near-equal players, SE coalitions have 1, 3, 7, ... = 2^k - 1 members: a coalition
    # of m is SE iff no SE smaller size is more than half of m (size 2: 1 > 2/2; 4, 5, 6:
    # 3 > m/2; 7: 3 < 7/2). The ruling coalition of N is the largest such size <= n, since
    # sizes above n/2 win (the size-3 case of n = 6 is decided by the powers: see above).
    powers = near_equal(n)
    result = ruling_coalition(powers)
    assert result == expected
    assert len(result) == max(2**k - 1 for k in range(1, 5) if 2**k - 1 <= n)
    assert result == Reference(powers).ruling()


def test_a_clear_majority_player_rules_alone():
    # a has 0.6 of the total: {a} is SE and winning; nothing has less power and still wins.
    powers = {"a": 6.0, "b": 2.0, "c": 1.0, "d": 1.0}
    assert ruling_coalition(powers) == {"a"}
    assert ruling_coalition(powers, must_include="a") == {"a"}


@pytest.mark.parametrize(
    ("powers", "members", "expected"),
    [
        # (2, 1, 1): {a} has 2 = half, not more; {b, c} has 2 = half; pairs with a: a alone
        # wins in them, so they are not SE and cannot make N non-SE. N is SE.
        ({"a": 2.0, "b": 1.0, "c": 1.0}, "abc", True),
        # (3, 1, 1): {a} has 3 > 5/2 and is SE: N is not SE.
        ({"a": 3.0, "b": 1.0, "c": 1.0}, "abc", False),
        # {b, c} = (1, 1) is SE whatever else is in `powers` (SE depends on members only).
        ({"a": 3.0, "b": 1.0, "c": 1.0}, "bc", True),
        ({"a": 3.0, "b": 1.0, "c": 1.0}, "ab", False),
        ({"a": 3.0, "b": 1.0, "c": 1.0}, "a", True),
        # (1, 1, 1, 3): every subset with power > 3 contains d and a lesser player, and there d
        # alone is winning: no SE subset wins, so the set is SE.
        ({"a": 1.0, "b": 1.0, "c": 1.0, "d": 3.0}, "abcd", True),
        # (2, 3, 4): triangle inequality holds: SE, like three near-equal players.
        ({"a": 2.0, "b": 3.0, "c": 4.0}, "abc", True),
        # (2, 3, 6): 6 > 11/2: not SE.
        ({"a": 2.0, "b": 3.0, "c": 6.0}, "abc", False),
    ],
)
def test_is_self_enforcing_known_cases(powers, members, expected):
    assert is_self_enforcing(powers, list(members)) is expected
    assert Reference(powers).self_enforcing(frozenset(members)) is expected


def test_is_self_enforcing_of_no_one_is_false():
    assert is_self_enforcing({"a": 1.0}, []) is False


def test_alpha_above_one_half_two_players():
    # {a: 3, b: 2}: with α = 1/2, 3 > 2.5 and a rules alone; with α = 3/4, 3 < 3.75: {a} does
    # not win within {a, b}, so {a, b} is SE and rules.
    powers = {"a": 3.0, "b": 2.0}
    assert ruling_coalition(powers, 0.5) == {"a"}
    assert ruling_coalition(powers, 0.75) == {"a", "b"}
    assert is_self_enforcing(powers, "ab", 0.75)


def test_alpha_three_quarters_four_near_equal():
    # 100..103 (total 406), α = 3/4: winning needs > 304.5. Pairs are SE (no singleton has 3/4
    # of a pair) but win nothing (<= 205). Triples are SE (no pair has 3/4 of a triple), and
    # only {p0,p2,p3} = 305 and {p1,p2,p3} = 306 win. So N is not SE and the least-power SE
    # winning coalition is {p0, p2, p3} (with α = 1/2 it would be {p0, p1, p2}).
    powers = near_equal(4)
    assert ruling_coalition(powers, 0.75) == {"p0", "p2", "p3"}
    assert ruling_coalition(powers, 0.75) == Reference(powers, 0.75).ruling()


def test_winning_is_strict_at_the_alpha_boundary():
    # {a: 3, b: 1} with α = 3/4: 3 is exactly 3/4 of 4, not more: {a, b} is SE and rules.
    assert ruling_coalition({"a": 3.0, "b": 1.0}, 0.75) == {"a", "b"}
    assert ruling_coalition({"a": 3.0 + 1e-9, "b": 1.0}, 0.75) == {"a"}


def test_tie_rule_fewest_members_before_names():
    # (a, b, c, d, e) = (1, 1, 1, 3, 3), total 9: winning needs > 4.5. {d, e} is SE (equal pair)
    # and has 6. {a, b, c, d} is SE (any subset with power > 3 contains d and a unit, where d
    # alone wins, so none is SE) and also has 6; so has {a, b, c, e}. Power-5 sets (d or e with
    # two units) are not SE (3 > 5/2). Least power 6, three candidates: fewest members picks
    # {d, e}, although ('a', 'b', 'c', 'd') < ('d', 'e') by name.
    powers = {"a": 1.0, "b": 1.0, "c": 1.0, "d": 3.0, "e": 3.0}
    assert ruling_coalition(powers) == {"d", "e"}


def test_tie_rule_names_last():
    # Equal power and size (the n = 6 case above, relabelled): the smallest sorted name tuple.
    powers = {"x": 100.0, "b": 101.0, "c": 102.0, "a": 103.0, "d": 104.0, "y": 105.0}
    # the 308 triples are {x, a, y}, {b, c, y}, {b, a, d}: sorted ('a','x','y'), ('b','c','y'),
    # ('a','b','d'); the smallest is ('a', 'b', 'd').
    assert ruling_coalition(powers) == {"a", "b", "d"}


def test_exact_arithmetic_at_the_last_bit():
    # a = 1 + 2^-52, b = 1, c = 2^-53. Exactly, half the total is 1 + 2^-53 + 2^-54 < a: {a}
    # is SE and winning, so it rules. In double precision the total rounds to 2 (or to
    # 2 + 2^-51, depending on the order of the sums) and a may compare equal to half of it.
    a, b, c = 1.0 + 2.0**-52, 1.0, 2.0**-53
    assert ruling_coalition({"a": a, "b": b, "c": c}) == {"a"}
    # Only ratios matter, exactly: scaling by 2^-40 changes nothing.
    scaled = {k: v * 2.0**-40 for k, v in near_equal(5).items()}
    assert ruling_coalition(scaled) == {"p0", "p1", "p2"}


def test_must_include_the_leaders_view():
    # 100..103: triples containing p3: {p0,p1,p3} = 304 is the least powerful.
    assert ruling_coalition(near_equal(4), must_include="p3") == {"p0", "p1", "p3"}
    # when N is SE, N itself
    assert ruling_coalition(near_equal(3), must_include="p0") == set(names(3))
    # {a: 3, b: 1}: the only SE winning coalition is {a}; none contains b
    assert ruling_coalition({"a": 3.0, "b": 1.0}, must_include="b") is None


def test_input_validation():
    with pytest.raises(ValueError, match="at least one"):
        ruling_coalition({})
    too_many = {f"p{i}": 1.0 + i for i in range(MAX_PLAYERS + 1)}
    with pytest.raises(ValueError, match="at most"):
        ruling_coalition(too_many)
    for bad in (0.0, -1.0, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="positive and finite"):
            ruling_coalition({"a": 1.0, "b": bad})
    for alpha in (0.49, 1.0, 1.5, -0.5):
        with pytest.raises(ValueError, match="alpha"):
            ruling_coalition({"a": 1.0, "b": 2.0}, alpha)
    with pytest.raises(ValueError, match="must_include"):
        ruling_coalition({"a": 1.0}, must_include="z")
    with pytest.raises(ValueError, match="not in powers"):
        is_self_enforcing({"a": 1.0}, ["a", "z"])
    with pytest.raises(ValueError, match="alpha"):
        is_self_enforcing({"a": 1.0}, ["a"], alpha=1.0)


def test_twenty_players_finish_in_a_few_seconds():
    rng = np.random.default_rng(20)
    powers = {f"p{i:02d}": float(x) for i, x in enumerate(rng.uniform(0.5, 1.5, 20))}
    start = time.perf_counter()
    result = ruling_coalition(powers)
    elapsed = time.perf_counter() - start
    assert elapsed < 10.0
    assert is_self_enforcing(powers, result)
    # and the near-equal rule still holds at n = 20: the largest 2^k - 1 <= 20 is 15
    equal = {f"p{i:02d}": 1.0 + i / 1024 for i in range(20)}
    assert len(ruling_coalition(equal)) == 15


# --------------------------------------------------------------------------- properties


powers_strategy = st.integers(min_value=1, max_value=7).flatmap(
    lambda n: st.lists(
        st.one_of(
            st.integers(min_value=1, max_value=20).map(float),
            st.floats(min_value=1e-3, max_value=1e3, allow_nan=False, allow_infinity=False),
        ),
        min_size=n,
        max_size=n,
    )
)
alpha_strategy = st.sampled_from([0.5, 0.5, 0.6, 0.75, 0.9])


@settings(max_examples=150, deadline=None)
@given(values=powers_strategy, alpha=alpha_strategy)
def test_ruling_coalition_is_self_enforcing_and_winning(values, alpha):
    powers = dict(zip(names(len(values)), values, strict=True))
    result = ruling_coalition(powers, alpha)
    reference = Reference(powers, alpha)
    assert result is not None  # without must_include, some coalition always rules
    assert result <= set(powers)
    assert is_self_enforcing(powers, result, alpha)
    assert reference.self_enforcing(frozenset(result))
    total = sum(powers.values())
    if result != set(powers):
        assert not is_self_enforcing(powers, powers, alpha)
        assert reference.winning(result, reference.players)
        assert sum(powers[m] for m in result) > alpha * total * (1 - 1e-12)
    assert result == reference.ruling()


@settings(max_examples=80, deadline=None)
@given(values=powers_strategy, alpha=alpha_strategy, data=st.data())
def test_must_include_matches_the_reference(values, alpha, data):
    powers = dict(zip(names(len(values)), values, strict=True))
    leader = data.draw(st.sampled_from(sorted(powers)))
    result = ruling_coalition(powers, alpha, must_include=leader)
    expected = Reference(powers, alpha).ruling(must_include=leader)
    assert result == expected
    if result is not None:
        assert leader in result
        assert is_self_enforcing(powers, result, alpha)


@settings(max_examples=80, deadline=None)
@given(values=powers_strategy, alpha=alpha_strategy, data=st.data())
def test_is_self_enforcing_matches_the_reference(values, alpha, data):
    powers = dict(zip(names(len(values)), values, strict=True))
    members = data.draw(st.sets(st.sampled_from(sorted(powers)), min_size=1))
    expected = Reference(powers, alpha).self_enforcing(frozenset(members))
    assert is_self_enforcing(powers, members, alpha) is expected


@settings(max_examples=50, deadline=None)
@given(values=powers_strategy, alpha=alpha_strategy, factor=st.sampled_from([0.25, 2.0, 1024.0]))
def test_scale_invariance(values, alpha, factor):
    # Only ratios of powers matter (scaling by a power of two is exact in binary).
    powers = dict(zip(names(len(values)), values, strict=True))
    scaled = {k: v * factor for k, v in powers.items()}
    assert ruling_coalition(powers, alpha) == ruling_coalition(scaled, alpha)


@settings(max_examples=60, deadline=None)
@given(
    ints=st.lists(st.integers(min_value=1, max_value=2**40), min_size=1, max_size=8),
    alpha=st.sampled_from([0.5, 0.625, 0.75, 0.875]),  # p/q with small q: no int64 overflow
)
def test_compiled_and_python_integer_tables_agree(ints, alpha):
    """The self-enforcement table and the choice of coalition run compiled in int64 and, when
    int64 could overflow, as plain Python on Python integers: both must give the same."""
    from factions.compiled import as_python
    from factions.theory import aes

    p, q = float(alpha).as_integer_ratio()
    assert sum(ints) * max(p, q) < 2**62  # the compiled path's precondition
    tables = []
    kernels = (aes._self_enforcing, aes._select)
    for solve, select, dtype in (
        (*kernels, np.int64),
        (*(as_python(k) for k in kernels), object),
    ):
        size = 1 << len(ints)
        power, best = np.zeros(size, dtype=dtype), np.zeros(size, dtype=dtype)
        se = np.zeros(size, dtype=bool)
        solve(np.array(ints, dtype=dtype), p, q, power, best, se)
        chosen = [select(power, se, p, q, required) for required in range(size)]
        tables.append((power.astype(object), best.astype(object), se, np.array(chosen)))
    for compiled, python in zip(*tables, strict=True):
        assert (compiled == python).all()
