"""The pure attainment rules: known values and properties over many cases."""

from __future__ import annotations

import math

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from conftest import examples
from envplan.rules.attainment import (
    STATUS_ICONS,
    STATUSES,
    achievement_rate,
    band,
    expected_value,
    plan_value_status,
    progress_rate,
    status_for,
)

values = st.floats(min_value=0.01, max_value=1e6, allow_nan=False, allow_infinity=False)
signed = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)
years = st.integers(min_value=1990, max_value=2060)
directions = st.sampled_from(["higher", "lower"])
ratios = st.tuples(
    st.floats(min_value=0.0, max_value=1.5, allow_nan=False), st.floats(min_value=0.0, max_value=1.5, allow_nan=False)
).map(lambda t: (max(t), min(t)))  # (on_track, slightly_behind) with slightly_behind ≤ on_track


def test_every_status_has_a_text_icon() -> None:
    assert set(STATUS_ICONS) == set(STATUSES)
    assert len(set(STATUS_ICONS.values())) == len(STATUSES)  # icons tell statuses apart without colour


def test_achievement_rate_known_values() -> None:
    assert achievement_rate(273, 250, "higher") == pytest.approx(1.092)
    assert achievement_rate(1400, 1324, "lower") == pytest.approx(1324 / 1400)  # lower: plan ÷ actual
    assert achievement_rate(None, 250) is None
    assert achievement_rate(10, None) is None
    assert achievement_rate(10, 0, "higher") is None  # no division by zero
    assert achievement_rate(0, 10, "lower") is None
    assert achievement_rate(0, 10, "higher") == 0.0


def test_progress_rate_and_expected_value_known_values() -> None:
    assert progress_rate(1422, 1520, 1324) == pytest.approx(0.5)  # lower is better: sign carried by target − baseline
    assert progress_rate(5, 5, 5) is None
    assert expected_value(2012, 1520, 2020, 1324, 2016) == pytest.approx(1422)
    assert expected_value(2012, 1520, 2020, 1324, 2022) == 1324  # after the target year: the target
    assert expected_value(2012, 1520, 2020, 1324, 2011) is None  # before the baseline
    assert expected_value(2012, None, 2020, 1324, 2016) is None


@given(fy0=years, span=st.integers(1, 30), b=signed, t=signed, direction=directions, data=st.data())
@settings(max_examples=examples(300))
def test_a_value_exactly_on_the_path_is_on_track(fy0: int, span: int, b: float, t: float, direction: str, data: st.DataObject) -> None:
    # A target on the good side of the baseline, and a year before the target year.
    assume(abs(t - b) > 1e-6 * max(abs(b), abs(t), 1.0))
    if (direction == "higher") != (t > b):
        b, t = t, b
    fy = data.draw(st.integers(fy0, fy0 + span - 1))
    e = expected_value(fy0, b, fy0 + span, t, fy)
    assert e is not None
    assert status_for(e, direction=direction, baseline=b, target=t, expected=e) == "順調"


@given(b=signed, t=signed, actual=signed, e=signed, direction=directions, r=ratios)
@settings(max_examples=examples(300))
def test_an_achieved_target_is_achieved_whatever_the_path(b: float, t: float, actual: float, e: float, direction: str, r: tuple[float, float]) -> None:
    reached = actual >= t if direction == "higher" else actual <= t
    assume(reached)
    assert status_for(actual, direction=direction, baseline=b, target=t, expected=e, on_track=r[0], slightly_behind=r[1]) == "達成"
    assert plan_value_status(actual, t, direction=direction) == "達成"  # a year's plan value met


@given(b=signed, t=signed, actual=signed, e=signed, direction=directions, r=ratios)
@settings(max_examples=examples(500))
def test_swapping_the_direction_mirrors_the_status(b: float, t: float, actual: float, e: float, direction: str, r: tuple[float, float]) -> None:
    other = "lower" if direction == "higher" else "higher"
    kw = dict(on_track=r[0], slightly_behind=r[1])
    assert status_for(actual, direction=direction, baseline=b, target=t, expected=e, **kw) == status_for(
        -actual, direction=other, baseline=-b, target=-t, expected=-e, **kw
    )


@given(a=values, p=values)
def test_swapping_the_direction_inverts_the_achievement_rate(a: float, p: float) -> None:
    higher, lower = achievement_rate(a, p, "higher"), achievement_rate(a, p, "lower")
    assert higher is not None and lower is not None
    assert higher * lower == pytest.approx(1.0)
    # and mirrors which side of 100% the value is on
    assert (higher >= 1) == (a >= p) and (lower >= 1) == (a <= p)


@given(b=signed, t=signed, actual=signed, direction=directions)
def test_worse_than_the_baseline_is_worsened_unless_achieved(b: float, t: float, actual: float, direction: str) -> None:
    worse = actual < b if direction == "higher" else actual > b
    reached = actual >= t if direction == "higher" else actual <= t
    assume(worse and not reached)
    assert status_for(actual, direction=direction, baseline=b, target=t, expected=(b + t) / 2) == "悪化"


@given(p=st.floats(min_value=-2, max_value=3, allow_nan=False), r=ratios)
def test_bands_are_ordered(p: float, r: tuple[float, float]) -> None:
    s = band(p, *r)
    assert s == ("順調" if p >= r[0] else "やや遅れ" if p >= r[1] else "遅れ")


def test_path_status_bands_with_default_thresholds() -> None:
    # baseline 100 → target 200; expected in this year 150 (half way)
    kw = dict(direction="higher", baseline=100.0, target=200.0, expected=150.0)
    assert status_for(150.0, **kw) == "順調"
    assert status_for(141.0, **kw) == "やや遅れ"  # pace 82%
    assert status_for(139.0, **kw) == "遅れ"  # pace 78%
    assert status_for(99.0, **kw) == "悪化"
    assert status_for(200.0, **kw) == "達成"
    assert status_for(None, **kw) == "評価不能"
    assert status_for(150.0, direction="higher", baseline=None, target=200.0, expected=None) == "評価不能"


def test_plan_value_status_rules() -> None:
    assert plan_value_status(36, 40, direction="higher", previous=37) == "やや遅れ"  # 90%
    assert plan_value_status(428, 600, direction="higher", previous=273) == "遅れ"  # 71.3%, but up on last year
    assert plan_value_status(28, 40, direction="higher", previous=37) == "悪化"  # 70% and down on last year
    assert plan_value_status(None, 40, direction="higher") == "評価不能"
    assert plan_value_status(100, 110, direction="lower") == "達成"
    assert math.isclose(achievement_rate(868, 950) or 0, 0.9136842, rel_tol=1e-6)
