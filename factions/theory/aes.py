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
of all ``2^n`` subsets is computed by dynamic programming over subset size:
``best(Y) = max power of a self-enforcing Z ⊆ Y``, and ``Y`` is self-enforcing iff the best
proper subset is not winning within ``Y``. That is ``O(n 2^n)``, vectorised over subsets of one
size, and fine up to about 20 players.

**Ties** (non-generic powers, where two candidate coalitions have equal power) are broken
deterministically: least power, then fewest members, then the lexicographically smallest sorted
tuple of member names.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from functools import lru_cache

import numpy as np

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


def _build_layout(n: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per coalition size ``k``: the subsets (bitmasks) of that size and, for each, its ``k``
    subsets one member smaller (the dynamic programme's predecessors)."""
    masks = np.arange(1 << n, dtype=np.int64)
    popcount = np.zeros(len(masks), dtype=np.int64)
    for i in range(n):
        popcount += (masks >> i) & 1
    layers = []
    for k in range(1, n + 1):
        layer = masks[popcount == k]
        smaller = np.empty((len(layer), k), dtype=np.int64)
        rest = layer.copy()
        for j in range(k):  # peel off the lowest set bit, one member at a time
            lowest = rest & -rest
            smaller[:, j] = layer ^ lowest
            rest ^= lowest
        layers.append((layer, smaller))
    return layers


_cached_layout = lru_cache(maxsize=None)(_build_layout)
CACHED_LAYOUT_PLAYERS = 12  # layouts up to 2^12 subsets are kept; larger ones are rebuilt


@lru_cache(maxsize=4096)
def _tables(ints: tuple[int, ...], alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """Power of every subset (bitmask) and whether it is self-enforcing."""
    n = len(ints)
    p, q = _alpha_ratio(alpha)
    layers = _cached_layout(n) if n <= CACHED_LAYOUT_PLAYERS else _build_layout(n)
    exact_fits = sum(ints) * max(p, q) < 2**62
    dtype = np.int64 if exact_fits else object
    masks = np.arange(1 << n, dtype=np.int64)
    power = np.zeros(len(masks), dtype=dtype)
    for i, value in enumerate(ints):
        power[(masks >> i) & 1 == 1] += value
    self_enforcing = np.zeros(len(masks), dtype=bool)
    best = np.zeros(len(masks), dtype=dtype)  # max power of a self-enforcing subset
    for layer, smaller in layers:
        best_proper = best[smaller].max(axis=1)
        se = best_proper * q <= power[layer] * p  # no proper SE subset is winning
        self_enforcing[layer] = se
        best[layer] = np.where(se, power[layer], best_proper)
    return power, self_enforcing


def _decode(mask: int, names: list[str]) -> frozenset[str]:
    return frozenset(name for i, name in enumerate(names) if mask >> i & 1)


def _pick(candidates: np.ndarray, power: np.ndarray, names: list[str]) -> int:
    """Apply the documented tie rule among candidate masks."""

    def key(mask: int) -> tuple:
        members = sorted(_decode(mask, names))
        return (power[mask], len(members), tuple(members))

    return min((int(m) for m in candidates), key=key)


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
    full = (1 << len(names)) - 1
    p, q = _alpha_ratio(alpha)
    masks = np.flatnonzero(se)
    winning = masks[power[masks] * q > power[full] * p]
    if must_include is None:
        if se[full]:
            return frozenset(names)
        candidates = winning[winning != full]
    else:
        if must_include not in powers:
            raise ValueError(f"must_include {must_include!r} is not a player")
        bit = 1 << names.index(must_include)
        candidates = winning[(winning & bit) != 0]
        if se[full] and len(candidates):
            candidates = np.array([full])
    if not len(candidates):
        return None
    return _decode(_pick(candidates, power, names), names)
