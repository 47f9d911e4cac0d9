"""The Open SDG progress method: hand-computed cases for each rule, and a
property test against a port of sdg-build's calculation (tests/opensdg_reference.py)."""

from __future__ import annotations

import warnings

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import envplan
from conftest import examples
from envplan.rules.opensdg import OPENSDG_STATUSES, limit_coefficient, opensdg_progress, opensdg_status
from opensdg_reference import reference_status


def status(values, direction="positive", base_year=2015, target_year=2030, **kw) -> str:
    return opensdg_status(values, direction=direction, base_year=base_year, target_year=target_year, **kw)


def test_public_at_package_top_level() -> None:
    assert envplan.opensdg_status is opensdg_status
    assert set(OPENSDG_STATUSES) == {
        "target_achieved", "substantial_progress", "moderate_progress", "limited_progress", "deterioration", "not_available"
    }


@pytest.mark.parametrize(
    "values, expected",
    [
        # target 150 by 2030 from 100 in 2015: required CAGR 2.74%/year
        ({2015: 100, 2020: 120}, "substantial_progress"),  # observed 3.71% → ratio 1.35
        ({2015: 100, 2020: 110}, "moderate_progress"),  # 1.92% → 0.70
        ({2015: 100, 2020: 102}, "limited_progress"),  # 0.40% → 0.14
        ({2015: 100, 2020: 95}, "deterioration"),
        ({2015: 100, 2020: 151}, "target_achieved"),
        ({2015: 100, 2020: 150}, "target_achieved"),  # exactly at the target
    ],
)
def test_with_a_target_the_ratio_of_growth_rates(values, expected) -> None:
    assert status(values, target=150) == expected


def test_with_a_target_negative_direction() -> None:
    # 100 → 80 in 5 years against 50 by 2030: ratio 0.0436 / 0.0452 = 0.967
    p = opensdg_progress({2015: 100, 2020: 80}, direction="negative", base_year=2015, target_year=2030, target=50)
    assert p.progress_value == pytest.approx((1 - 0.8 ** 0.2) / (1 - 0.5 ** (1 / 15)), rel=1e-12)
    assert p.status == "substantial_progress"
    assert status({2015: 100, 2020: 50}, direction="negative", target=50) == "target_achieved"
    assert status({2015: 100, 2020: 110}, direction="negative", target=50) == "deterioration"


@pytest.mark.parametrize(
    "values, direction, expected",
    [
        ({2015: 100, 2020: 110}, "positive", "substantial_progress"),  # CAGR 1.92% ≥ 1.5%
        ({2015: 100, 2020: 104}, "positive", "moderate_progress"),  # 0.79%
        ({2015: 100, 2020: 101}, "positive", "limited_progress"),  # 0.20%
        ({2015: 100, 2020: 100}, "positive", "limited_progress"),  # 0% is not deterioration
        ({2015: 100, 2020: 99}, "positive", "deterioration"),
        ({2015: 100, 2020: 90}, "negative", "substantial_progress"),
        ({2015: -10, 2020: -5}, "positive", "substantial_progress"),  # all negative: the sign flips the growth
    ],
)
def test_without_a_target_the_growth_rate(values, direction, expected) -> None:
    assert status(values, direction=direction) == expected


def test_missing_base_year_uses_the_next_year_with_data() -> None:
    p = opensdg_progress({2014: 50, 2017: 100, 2020: 110}, direction="positive", base_year=2015, target_year=2030)
    assert p.base_year == 2017 and p.base_value == 100
    assert p.progress_value == pytest.approx(1.1 ** (1 / 3) - 1)
    assert opensdg_progress({2010: 1, 2012: 2}, direction="positive", base_year=2015, target_year=2030).status == "not_available"


def test_fewer_than_two_points_is_not_available_unless_the_target_is_met() -> None:
    assert status({2020: 5}, base_year=2020) == "not_available"
    assert status({}) == "not_available"
    assert status({2015: None, 2020: 5}, base_year=2020) == "not_available"  # values without a number are dropped
    assert status({2020: 5}, base_year=2020, target=4) == "target_achieved"  # sdg-build checks the target first


def test_zero_values_are_replaced() -> None:
    p = opensdg_progress({2015: 0, 2020: 5}, direction="positive", base_year=2015, target_year=2030)
    assert p.base_value == 0.001 and p.status == "substantial_progress"
    # target 0 → 0.001: 10 → 5 against 0.001 by 2030: ratio 0.129 / 0.459 = 0.28
    p = opensdg_progress({2015: 10, 2020: 5}, direction="negative", base_year=2015, target_year=2030, target=0)
    assert p.target == 0.001
    assert p.progress_value == pytest.approx((1 - 0.5 ** 0.2) / (1 - 0.0001 ** (1 / 15)), rel=1e-9)
    assert p.status == "limited_progress"


def test_opposite_signs_are_not_available() -> None:
    assert status({2015: 10, 2020: -5}) == "not_available"


def test_limits_scale_the_growth_thresholds() -> None:
    assert limit_coefficient(99, 100) == pytest.approx(1 - 0.99 ** 4.44)
    assert limit_coefficient(0, 0) == 1.0
    assert limit_coefficient(150, 100) == pytest.approx(1 - 0.5 ** 4.44)
    values = {2015: 99, 2020: 99.5}  # CAGR 0.10%
    assert status(values) == "limited_progress"
    assert status(values, limit=100) == "substantial_progress"  # near the 100% ceiling
    assert status({2015: 100, 2020: 100}, limit=100) == "substantial_progress"  # at the limit and kept
    assert status({2015: 100, 2020: 99}, limit=100) == "deterioration"
    assert status({2015: 100, 2020: 120}, target=150, limit=100) == "substantial_progress"  # ignored with a target


def test_user_thresholds() -> None:
    assert status({2015: 100, 2020: 110}, target=150, thresholds={"high": 0.6, "med": 0.3, "low": 0}) == "substantial_progress"


def test_bad_direction_is_refused() -> None:
    with pytest.raises(ValueError):
        opensdg_status({2015: 1}, direction="up", base_year=2015, target_year=2030)  # type: ignore[arg-type]


value = st.one_of(st.none(), st.floats(min_value=-1000, max_value=1000, allow_nan=False).filter(lambda v: v == 0 or abs(v) > 1e-3))
series = st.dictionaries(st.integers(2005, 2025), value, max_size=8)


@given(
    values=series,
    direction=st.sampled_from(["positive", "negative"]),
    base_year=st.integers(2005, 2025),
    target=st.one_of(st.none(), st.floats(min_value=-1000, max_value=1000, allow_nan=False)),
    limit=st.one_of(st.none(), st.floats(min_value=0, max_value=200, allow_nan=False)),
)
@settings(max_examples=examples(400), deadline=None)
def test_agrees_with_the_sdg_build_port(values, direction, base_year, target, limit) -> None:
    target_year = 2030  # after every data year, as in use (sdg-build divides by zero otherwise)
    if target is not None:
        limit = None  # sdg-build ignores the limit with a target (tested above)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = reference_status(values, direction, base_year, target_year, target, limit)
    assert status(values, direction=direction, base_year=base_year, target_year=target_year, target=target, limit=limit) == expected
