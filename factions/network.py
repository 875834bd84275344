"""The patronage network: weighted ties among cadres, dense inside factions, sparse across.

Ties are held as a symmetric edge list (both directions stored) in numpy arrays, so that
"sum over my ties" is one ``np.bincount``. Three kinds of tie are drawn once, at the start:

* within a faction, ``within_degree`` ties per cadre on average, uniformly at random;
* across factions, ``across_degree * (1 - s)`` ties per cadre on average (``s`` its faction's
  share of all cadres), spread over the other factions in proportion to their size and to the
  ``across_pairs`` multipliers;
* a patron-client chain: each cadre is tied to one more prominent cadre of its faction, chosen
  with a bias to the top, so that every faction is a tree of clients under its leaders
  (the clientelist structure of Leninist elites: Walder 1986; Shih 2008).
"""

from __future__ import annotations

from typing import NamedTuple

import networkx as nx
import numpy as np

from factions.scenario.schema import Network as NetworkSpec

__all__ = ["Ties", "build_ties", "to_networkx"]


class Ties(NamedTuple):
    """A symmetric weighted edge list over ``n`` cadres (a named tuple, so that the compiled
    kernels take it as one argument)."""

    src: np.ndarray
    dst: np.ndarray
    weight: np.ndarray
    n: int

    def sum_over_ties(self, values: np.ndarray) -> np.ndarray:
        """For each cadre, the tie-weighted sum of ``values`` over its ties."""
        return np.bincount(self.dst, weights=self.weight * values[self.src], minlength=self.n)

    def strength(self) -> np.ndarray:
        """For each cadre, the total weight of its ties."""
        return np.bincount(self.dst, weights=self.weight, minlength=self.n)

    def between(self, faction: np.ndarray, n_factions: int) -> np.ndarray:
        """Symmetric matrix of the total weight of ties between (and within) factions."""
        matrix = np.zeros((n_factions, n_factions))
        np.add.at(matrix, (faction[self.src], faction[self.dst]), self.weight)
        matrix[np.diag_indices(n_factions)] /= 2  # a tie inside a faction is stored twice there
        return matrix


def _pairs_within(members: np.ndarray, degree: float, rng: np.random.Generator) -> np.ndarray:
    n = len(members)
    if n < 2 or degree <= 0:
        return np.empty((0, 2), dtype=np.int64)
    m = rng.poisson(degree * n / 2)
    a = rng.integers(0, n, size=m)
    b = rng.integers(0, n - 1, size=m)
    b = b + (b >= a)  # uniform over the other members
    return np.stack([members[a], members[b]], axis=1)


def _pairs_between(
    first: np.ndarray, second: np.ndarray, expected: float, rng: np.random.Generator
) -> np.ndarray:
    m = rng.poisson(expected) if len(first) and len(second) else 0
    return np.stack(
        [first[rng.integers(0, len(first), size=m)], second[rng.integers(0, len(second), size=m)]],
        axis=1,
    )


def _chain(members: np.ndarray, prominence: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Tie each cadre (but the top one) to a more prominent one, biased toward the top."""
    order = members[np.argsort(-prominence[members], kind="stable")]
    if len(order) < 2:
        return np.empty((0, 2), dtype=np.int64)
    position = np.arange(1, len(order))
    parent = np.floor(rng.random(len(position)) ** 2 * position).astype(np.int64)
    return np.stack([order[position], order[parent]], axis=1)


def _dedupe(pairs: np.ndarray, n: int) -> np.ndarray:
    lo, hi = np.minimum(pairs[:, 0], pairs[:, 1]), np.maximum(pairs[:, 0], pairs[:, 1])
    keys = np.unique(lo * n + hi)
    return np.stack([keys // n, keys % n], axis=1)


def build_ties(
    spec: NetworkSpec,
    faction: np.ndarray,
    prominence: np.ndarray,
    faction_ids: list[str],
    rng: np.random.Generator,
) -> Ties:
    """Draw the network for cadres with the given faction indices and prominence."""
    n = len(faction)
    groups = [np.flatnonzero(faction == f) for f in range(len(faction_ids))]
    kinds: list[tuple[np.ndarray, float]] = []
    within = [_pairs_within(g, spec.within_degree, rng) for g in groups]
    kinds.append((_dedupe(np.concatenate(within), n), spec.within_weight))
    chain = [_chain(g, prominence, rng) for g in groups]
    kinds.append((_dedupe(np.concatenate(chain), n), spec.chain_weight))
    across = []
    for a in range(len(groups)):
        for b in range(a + 1, len(groups)):
            key = f"{faction_ids[a]}-{faction_ids[b]}"
            alt = f"{faction_ids[b]}-{faction_ids[a]}"
            multiplier = spec.across_pairs.get(key, spec.across_pairs.get(alt, 1.0))
            expected = spec.across_degree * len(groups[a]) * len(groups[b]) / max(n, 1)
            across.append(_pairs_between(groups[a], groups[b], expected * multiplier, rng))
    if across:
        kinds.append((_dedupe(np.concatenate(across), n), spec.across_weight))
    src, dst, weight = [], [], []
    for pairs, w in kinds:
        pairs = pairs[pairs[:, 0] != pairs[:, 1]]
        src += [pairs[:, 0], pairs[:, 1]]
        dst += [pairs[:, 1], pairs[:, 0]]
        weight.append(np.full(2 * len(pairs), w))
    return Ties(
        src=np.concatenate(src).astype(np.int64),
        dst=np.concatenate(dst).astype(np.int64),
        weight=np.concatenate(weight),
        n=n,
    )


def to_networkx(ties: Ties, node_attributes: dict[str, np.ndarray] | None = None) -> nx.Graph:
    """The network as an undirected ``networkx.Graph`` (parallel ties' weights summed)."""
    graph = nx.Graph()
    graph.add_nodes_from(range(ties.n))
    for key, values in (node_attributes or {}).items():
        nx.set_node_attributes(graph, {i: v for i, v in enumerate(values.tolist())}, key)
    keep = ties.src < ties.dst
    for u, v, w in zip(ties.src[keep], ties.dst[keep], ties.weight[keep], strict=True):
        if graph.has_edge(u, v):
            graph[u][v]["weight"] += float(w)
        else:
            graph.add_edge(int(u), int(v), weight=float(w))
    return graph
