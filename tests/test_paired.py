"""Paired comparisons on common random numbers (factions.paired)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from factions.errors import ExperimentError
from factions.paired import (
    arrested_share,
    check_paired,
    compare,
    coopted_share,
    eliminated,
    event_count,
    months_standing,
    t_interval,
)
from factions.survival import horizon


def _series(values) -> pd.Series:
    return pd.Series(values, index=pd.RangeIndex(len(values), name="replicate"), dtype=float)


def test_sign_test_counts_directions_exactly():
    a = _series([0, 0, 0, 0, 0, 1])
    b = _series([1, 1, 1, 1, 1, 1])
    c = compare(a, b, test="sign")
    assert (c.pairs, c.higher, c.lower) == (6, 5, 0)
    assert c.p_higher == pytest.approx(0.5**5)  # 5 of 5 discordant pairs go up
    assert c.p_lower == 1.0
    assert c.difference == pytest.approx(5 / 6)


def test_t_test_direction_and_interval():
    a = _series([10, 20, 30, 40, 50])
    b = a + _series([1, 2, 3, 2, 1])
    c = compare(a, b)
    assert c.p_higher < 0.01 < 0.99 < c.p_lower
    assert c.difference == pytest.approx(1.8)
    assert c.ci_low < c.difference < c.ci_high


def test_identical_outcomes_show_no_effect():
    a = _series([3, 1, 4, 1, 5])
    for test in ("t", "sign"):
        c = compare(a, a, test=test)
        assert (c.p_higher, c.p_lower, c.difference) == (1.0, 1.0, 0.0)


def test_only_common_replicates_are_paired():
    a = _series([1, 2, 3])
    b = pd.Series([5.0, 6.0], index=pd.Index([1, 2], name="replicate"))
    assert compare(a, b).pairs == 2
    with pytest.raises(ExperimentError):
        compare(a, b.iloc[:1])
    with pytest.raises(ValueError, match="test"):
        compare(a, a, test="wilcoxon")


def test_per_replicate_outcomes(korea):
    months = months_standing(korea, "yanan")
    assert list(months.index) == sorted(korea.runs["replicate"])
    assert months.between(0, horizon(korea)).all()
    gone = eliminated(korea, "yanan")
    assert (months[gone == 0] == horizon(korea)).all()
    for share in (arrested_share(korea, "yanan"), coopted_share(korea, "yanan")):
        assert share.between(0, 1).all() and len(share) == len(months)
    assert event_count(korea, "arrest").sum() == (korea.events["kind"] == "arrest").sum()
    assert arrested_share(korea, "kapsan").max() < arrested_share(korea, "domestic").mean()


def test_check_paired_refuses_other_seeds(korea):
    check_paired(korea, korea)
    other = type(korea)(korea.scenario, korea.tables, {**korea.manifest, "root_seed": 99})
    with pytest.raises(ExperimentError, match="root seeds"):
        check_paired(korea, other)


def test_t_interval_is_the_paired_t_interval_of_compare_and_of_sweeps():
    d = np.array([1.0, 2.0, 4.0, 0.0])
    se, half = t_interval(d, 0.95)
    assert se == pytest.approx(d.std(ddof=1) / 2)
    assert half == pytest.approx(3.182446305284263 * se)
    result = compare(pd.Series(np.zeros(4)), pd.Series(d))
    assert (result.ci_low, result.ci_high) == pytest.approx((d.mean() - half, d.mean() + half))
    assert all(np.isnan(t_interval(np.array([1.0]))))
