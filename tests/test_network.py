"""The patronage network (:mod:`factions.network`): structure, storage and conversions."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from factions.network import Ties, build_ties, to_networkx
from factions.scenario.schema import Network

FACTIONS = ["a", "b", "c"]
SIZES = (40, 30, 20)


def population(sizes=SIZES, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    faction = np.repeat(np.arange(len(sizes)), sizes)
    prominence = rng.beta(1.0, 4.0, size=len(faction))
    return faction, prominence


def build(spec: Network, sizes=SIZES, seed: int = 0) -> tuple[Ties, np.ndarray, np.ndarray]:
    faction, prominence = population(sizes, seed)
    names = [chr(ord("a") + i) for i in range(len(sizes))]
    ties = build_ties(spec, faction, prominence, names, np.random.default_rng(seed + 100))
    return ties, faction, prominence


def pairs(ties: Ties) -> set[tuple[int, int]]:
    return {(int(u), int(v)) for u, v in zip(ties.src, ties.dst, strict=True) if u < v}


def test_within_faction_density_far_above_across():
    ties, faction, _ = build(Network(within_degree=6.0, across_degree=0.5))
    same = faction[ties.src] == faction[ties.dst]
    within_pairs = sum(s * (s - 1) / 2 for s in SIZES)
    n = sum(SIZES)
    across_pairs = n * (n - 1) / 2 - within_pairs
    within_density = np.count_nonzero(same) / 2 / within_pairs
    across_density = np.count_nonzero(~same) / 2 / across_pairs
    assert across_density > 0
    assert within_density > 10 * across_density


def test_mean_degrees_follow_the_spec():
    spec = Network(within_degree=6.0, across_degree=1.0, chain_weight=0.0)
    degree_within, degree_across = [], []
    for seed in range(5):
        ties, faction, _ = build(spec, seed=seed)
        same = faction[ties.src] == faction[ties.dst]
        n = len(faction)
        degree_within.append(np.count_nonzero(same) / n)
        degree_across.append(np.count_nonzero(~same) / n)
    # within: 6 random ties plus a chain tie (n - 1 per faction), less duplicates
    assert np.mean(degree_within) == pytest.approx(6.0 + 2.0, rel=0.15)
    # across: expected ties a-b are degree * |a||b| / n, summed: degree * sum|a||b| / n;
    # each adds 2 to the degree sum
    n = sum(SIZES)
    cross = SIZES[0] * SIZES[1] + SIZES[0] * SIZES[2] + SIZES[1] * SIZES[2]
    assert np.mean(degree_across) == pytest.approx(2 * 1.0 * cross / n / n, rel=0.25)


@pytest.mark.parametrize("seed", range(5))
def test_chain_ties_make_each_faction_a_tree_toward_its_top_cadre(seed):
    spec = Network(within_degree=0.0, across_degree=0.0, chain_weight=1.0)
    ties, faction, prominence = build(spec, seed=seed)
    graph = to_networkx(ties)
    for f, size in enumerate(SIZES):
        members = np.flatnonzero(faction == f)
        sub = graph.subgraph(members.tolist())
        assert nx.is_tree(sub)  # connected, size - 1 edges
        assert sub.number_of_edges() == size - 1
        top = int(members[np.argmax(prominence[members])])
        # every cadre but the top one has exactly one patron more prominent than itself,
        # so following patrons climbs to the top cadre
        for node in members:
            up = [v for v in sub.neighbors(int(node)) if prominence[v] > prominence[node]]
            assert len(up) == (0 if node == top else 1)
    # no cross-faction chain ties
    assert (faction[ties.src] == faction[ties.dst]).all()


def test_chain_ties_connect_each_faction_in_the_full_network():
    ties, faction, _ = build(Network(within_degree=2.0, across_degree=0.5))
    graph = to_networkx(ties)
    for f in range(len(SIZES)):
        assert nx.is_connected(graph.subgraph(np.flatnonzero(faction == f).tolist()))


def test_chain_is_biased_to_the_top():
    spec = Network(within_degree=0.0, across_degree=0.0)
    clients = np.zeros(SIZES[0])
    for seed in range(20):
        ties, faction, prominence = build(spec, seed=seed)
        members = np.flatnonzero(faction == 0)
        order = members[np.argsort(-prominence[members], kind="stable")]
        degree = np.bincount(ties.src, minlength=len(faction))
        clients += degree[order] - 1  # minus the tie up to one's own patron
    clients[0] += 20  # the top cadre has no patron
    # The top few cadres have far more clients than the bottom ones (who have none).
    assert clients[:3].mean() > 5 * clients[-10:].mean()


def test_storage_is_symmetric_without_self_loops():
    ties, _, _ = build(Network(within_degree=6.0, across_degree=0.5))
    forward = sorted(zip(ties.src.tolist(), ties.dst.tolist(), ties.weight.tolist(), strict=True))
    backward = sorted(zip(ties.dst.tolist(), ties.src.tolist(), ties.weight.tolist(), strict=True))
    assert forward == backward
    assert (ties.src != ties.dst).all()
    assert ties.n == sum(SIZES)
    assert len(ties.src) == len(ties.dst) == len(ties.weight)


def test_weights_by_kind():
    spec = Network(
        within_degree=4.0, across_degree=1.0, within_weight=0.7, across_weight=0.2, chain_weight=0.9
    )
    ties, faction, _ = build(spec)
    same = faction[ties.src] == faction[ties.dst]
    assert set(np.unique(ties.weight[~same]).tolist()) == {0.2}
    assert set(np.unique(ties.weight[same]).tolist()) <= {0.7, 0.9}


def test_across_pairs_multiplier():
    spec = Network(within_degree=2.0, across_degree=3.0, across_pairs={"a-b": 0.0, "c-b": 3.0})
    ties, faction, _ = build(spec)
    link = {tuple(sorted((int(faction[u]), int(faction[v])))) for u, v in pairs(ties)}
    assert (0, 1) not in link
    counts = {
        key: sum(1 for u, v in pairs(ties) if tuple(sorted((faction[u], faction[v]))) == key)
        for key in ((0, 2), (1, 2))
    }
    # expected ties: 3 * |a||c| / n = 26.7 for a-c and 3 * 3 * |b||c| / n = 60 for b-c
    assert counts[(1, 2)] > 1.5 * counts[(0, 2)] > 0


def test_to_networkx_counts_and_weights():
    ties, faction, _ = build(Network(within_degree=6.0, across_degree=0.5))
    status = np.array(["active"] * len(faction), dtype=object)
    graph = to_networkx(ties, {"faction": faction, "status": status})
    assert graph.number_of_nodes() == ties.n
    assert graph.number_of_edges() == len(pairs(ties))
    # parallel ties of different kinds (a within tie and a chain tie) are summed
    assert graph.size(weight="weight") == pytest.approx(ties.weight.sum() / 2)
    assert graph.nodes[5]["faction"] == faction[5]
    assert graph.nodes[5]["status"] == "active"
    assert not any(u == v for u, v in graph.edges)


def test_to_networkx_of_an_empty_network():
    spec = Network(within_degree=0.0, across_degree=0.0)
    ties, _, _ = build(spec, sizes=(1, 1))
    graph = to_networkx(ties)
    assert graph.number_of_nodes() == 2 and graph.number_of_edges() == 0


def test_sums_over_ties_agree_with_networkx():
    ties, _, _ = build(Network(within_degree=3.0, across_degree=1.0))
    graph = to_networkx(ties)
    rng = np.random.default_rng(1)
    values = rng.random(ties.n)
    active = rng.random(ties.n) < 0.7
    expected_sum = np.zeros(ties.n)
    expected_strength = np.zeros(ties.n)
    for u, v, w in graph.edges(data="weight"):
        for a, b in ((u, v), (v, u)):
            if active[b]:
                expected_sum[a] += w * values[b]
                expected_strength[a] += w
    np.testing.assert_allclose(ties.sum_over_ties(values * active), expected_sum)
    np.testing.assert_allclose(ties.sum_over_ties(active.astype(float)), expected_strength)
    np.testing.assert_allclose(ties.strength(), [d for _, d in graph.degree(weight="weight")])


def test_between_factions_matrix():
    ties, faction, _ = build(Network(within_degree=3.0, across_degree=1.0))
    graph = to_networkx(ties)
    matrix = ties.between(faction, len(SIZES))
    np.testing.assert_allclose(matrix, matrix.T)
    # each cell is the total weight of the ties between (or, on the diagonal, within) factions
    for a in range(len(SIZES)):
        for b in range(len(SIZES)):
            weight = sum(
                w for u, v, w in graph.edges(data="weight") if {faction[u], faction[v]} == {a, b}
            )
            assert matrix[a, b] == pytest.approx(weight)
    assert np.triu(matrix).sum() == pytest.approx(graph.size(weight="weight"))


@settings(max_examples=30, deadline=None)
@given(
    sizes=st.lists(st.integers(min_value=1, max_value=25), min_size=2, max_size=5),
    within=st.floats(min_value=0.0, max_value=10.0),
    across=st.floats(min_value=0.0, max_value=5.0),
    seed=st.integers(min_value=0, max_value=2**16),
)
def test_network_invariants(sizes, within, across, seed):
    ties, faction, _ = build(
        Network(within_degree=within, across_degree=across), sizes=tuple(sizes), seed=seed
    )
    assert ties.n == sum(sizes)
    assert (ties.src != ties.dst).all()
    assert ((ties.src >= 0) & (ties.src < ties.n)).all()
    forward = np.sort(ties.src * ties.n + ties.dst)
    backward = np.sort(ties.dst * ties.n + ties.src)
    np.testing.assert_array_equal(forward, backward)
    graph = to_networkx(ties)
    for f in range(len(sizes)):
        members = np.flatnonzero(faction == f).tolist()
        assert nx.is_connected(graph.subgraph(members))
