"""Ruling coalitions in non-democracies (Acemoglu, Egorov & Sonin 2008).

Definitions, from "Coalition Formation in Non-Democracies", *Review of Economic Studies* 75(4):

* Player ``i`` has power ``gamma_i > 0``; a coalition's power is the sum of its members'.
* ``X`` is *winning within* ``Y`` (``X ⊆ Y``) when ``gamma_X > alpha * gamma_Y``.
* ``Y`` is *self-enforcing* when no proper subset ``Z ⊊ Y`` is both winning within ``Y`` and
  itself self-enforcing (a recursive definition; singletons are self-enforcing).
* The *ruling coalition* starting from ``N`` is ``N`` itself if ``N`` is self-enforcing, and
  otherwise the self-enforcing coalition winning within ``N`` with the least power (Theorem 1).

The computation is exact: float powers are converted to integers over a common denominator
(every float is a dyadic rational), so sums and comparisons involve no rounding. Self-enforcement
of all ``2^n`` subsets is computed by dynamic programming over subsets:
``best(Y) = max power of a self-enforcing Z ⊆ Y``, and ``Y`` is self-enforcing iff the best
proper subset is not winning within ``Y``. That is ``O(n 2^n)``, compiled, and fine up to about
20 players.

**Ties** (non-generic powers, where two candidate coalitions have equal power) are broken
deterministically: least power, then fewest members, then the lexicographically smallest sorted
tuple of member names.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from functools import lru_cache

import numpy as np

from factions.compiled import as_python, kernel

__all__ = ["MAX_PLAYERS", "is_self_enforcing", "ruling_coalition"]

MAX_PLAYERS = 22


def _exact_integers(values: Iterable[float]) -> list[int]:
    """Scale positive numbers to integers with the same ratios, exactly."""
    ratios = [float(v).as_integer_ratio() for v in values]
    denominator = math.lcm(*(d for _, d in ratios))
    return [n * (denominator // d) for n, d in ratios]


def _alpha_ratio(alpha: float) -> tuple[int, int]:
    return float(alpha).as_integer_ratio()


def _check(powers: Mapping[str, float], alpha: float) -> None:
    if not powers:
        raise ValueError("powers must name at least one player")
    if len(powers) > MAX_PLAYERS:
        raise ValueError(f"at most {MAX_PLAYERS} players are supported, got {len(powers)}")
    bad = {k: v for k, v in powers.items() if not (math.isfinite(v) and v > 0)}
    if bad:
        raise ValueError(f"powers must be positive and finite, got {bad}")
    if not 0.5 <= alpha < 1:
        raise ValueError(f"alpha must lie in [0.5, 1), got {alpha}")


@lru_cache(maxsize=4096)
def _tables(ints: tuple[int, ...], alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """Power of every subset (bitmask) and whether it is self-enforcing.

    In int64 when every product fits (compiled), otherwise in Python integers (the same code,
    run as plain Python on object arrays: slow, but exact at any size).
    """
    p, q = _alpha_ratio(alpha)
    size = 1 << len(ints)
    exact_fits = sum(ints) * max(p, q) < 2**62
    dtype = np.int64 if exact_fits else object
    power = np.zeros(size, dtype=dtype)
    best = np.zeros(size, dtype=dtype)
    self_enforcing = np.zeros(size, dtype=bool)
    solve = _self_enforcing if exact_fits else as_python(_self_enforcing)
    solve(np.array(ints, dtype=dtype), p, q, power, best, self_enforcing)
    return power, self_enforcing


@kernel
def _self_enforcing(ints, p, q, power, best, self_enforcing):
    """Fill, for every subset ``Y`` (a bitmask), its power, ``best[Y]`` (the largest power of a
    self-enforcing subset of ``Y``) and whether ``Y`` is self-enforcing: no proper
    self-enforcing subset is winning within it, ``best_proper * q <= power[Y] * p``.

    Subsets one member smaller have smaller bitmasks, so one pass in increasing order sees
    every predecessor first.
    """
    for mask in range(1, power.shape[0]):
        low = mask & -mask
        bit = 0
        while (1 << bit) != low:
            bit += 1
        power[mask] = power[mask ^ low] + ints[bit]
        best_proper = best[0]
        rest = mask
        while rest:
            one = rest & -rest
            best_proper = max(best_proper, best[mask ^ one])
            rest ^= one
        self_enforcing[mask] = best_proper * q <= power[mask] * p
        best[mask] = power[mask] if self_enforcing[mask] else best_proper


def _decode(mask: int, names: list[str]) -> frozenset[str]:
    return frozenset(name for i, name in enumerate(names) if mask >> i & 1)


def _prepare(powers: Mapping[str, float], alpha: float):
    _check(powers, alpha)
    names = sorted(powers)
    ints = tuple(_exact_integers(powers[name] for name in names))
    power, se = _tables(ints, float(alpha))
    return names, power, se


def is_self_enforcing(
    powers: Mapping[str, float], members: Iterable[str], alpha: float = 0.5
) -> bool:
    """Whether ``members`` is a self-enforcing coalition (depends only on members' powers)."""
    members = set(members)
    unknown = members - set(powers)
    if unknown:
        raise ValueError(f"members not in powers: {sorted(unknown)}")
    if not members:
        return False
    _, _, se = _prepare({m: powers[m] for m in members}, alpha)
    return bool(se[-1])


def ruling_coalition(
    powers: Mapping[str, float], alpha: float = 0.5, *, must_include: str | None = None
) -> frozenset[str] | None:
    """The AES ruling coalition starting from all players in ``powers``.

    With ``must_include``, the least-power self-enforcing winning coalition that contains that
    player (the leader's view: "whom can I rule with, and without whom?"); ``None`` when no such
    coalition exists.
    """
    names, power, se = _prepare(powers, alpha)
    if must_include is not None and must_include not in powers:
        raise ValueError(f"must_include {must_include!r} is not a player")
    required = 0 if must_include is None else 1 << names.index(must_include)
    p, q = _alpha_ratio(alpha)
    select = _select if power.dtype == np.int64 else as_python(_select)
    chosen = select(power, se, p, q, required)
    return None if chosen < 0 else _decode(chosen, names)


@kernel
def _select(power, self_enforcing, p, q, required):
    """The ruling coalition's bitmask, -1 for none: all players when they are self-enforcing;
    otherwise, among the self-enforcing coalitions winning within all players (and holding the
    ``required`` bits), the first by the tie rule: least power, then fewest members, then the
    earliest sorted tuple of member names. Bits follow the names' order, so of two coalitions
    of one size, the one holding the lowest bit in which they differ comes first.

    Self-contained (no call to another kernel), so that it also runs as plain Python on
    Python integers.
    """
    full = power.shape[0] - 1
    if self_enforcing[full]:
        return full
    chosen, chosen_size = -1, 0
    for mask in range(1, full):
        if not self_enforcing[mask] or (mask & required) != required:
            continue
        if power[mask] * q <= power[full] * p:
            continue  # not winning within all players
        size, rest = 0, mask
        while rest:
            rest &= rest - 1
            size += 1
        if chosen >= 0:
            if power[mask] != power[chosen]:
                if power[mask] > power[chosen]:
                    continue
            elif size != chosen_size:
                if size > chosen_size:
                    continue
            else:
                differ = mask ^ chosen
                if (mask & (differ & -differ)) == 0:
                    continue
        chosen, chosen_size = mask, size
    return chosen
