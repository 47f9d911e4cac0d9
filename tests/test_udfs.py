"""The worksheet functions give what `compute` gives, and read cells as the master does."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from envplan.excel import udfs
from envplan.rules.attainment import achievement_rate, expected_value, progress_rate, status_for, status_label

values = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)
positive = st.floats(min_value=0.001, max_value=1e6, allow_nan=False)


@given(values, positive, st.sampled_from([("大きいほどよい", "higher"), ("小さいほどよい", "lower"), ("↓", "lower"), ("higher", "higher")]))
def test_achievement_matches_attainment(actual: float, plan: float, direction: tuple[str, str]) -> None:
    expected = achievement_rate(actual, plan, direction[1])  # type: ignore[arg-type]
    assert udfs.ENVPLAN_ACHIEVEMENT(actual, plan, direction[0]) == ("" if expected is None else expected)


@given(values, values, values)
def test_progress_matches_attainment(actual: float, baseline: float, target: float) -> None:
    expected = progress_rate(actual, baseline, target)
    assert udfs.ENVPLAN_PROGRESS(actual, baseline, target) == ("" if expected is None else expected)


@given(st.integers(2000, 2030), values, st.integers(2000, 2040), values, st.integers(1995, 2045), values, st.sampled_from(["higher", "lower"]))
def test_status_with_years_matches_compute_rule(bfy: int, base: float, tfy: int, target: float, fy: int, actual: float, direction: str) -> None:
    exp = expected_value(bfy, base, tfy, target, fy)
    want = status_label(status_for(actual, direction=direction, baseline=base, target=target, expected=exp))  # type: ignore[arg-type]
    assert udfs.ENVPLAN_STATUS(actual, target, base, direction, fy, bfy, tfy) == want
    assert udfs.ENVPLAN_EXPECTED(bfy, base, tfy, target, fy) == ("" if exp is None else exp)


def test_cells_are_read_like_the_master() -> None:
    assert udfs.ENVPLAN_ACHIEVEMENT("１，３２４", "1,400", "小さいほどよい") == pytest.approx(1400 / 1324)
    assert udfs.ENVPLAN_WAREKI(2020) == "令和2年度"
    assert udfs.ENVPLAN_WAREKI(2019.0) == "令和元年度"
    assert udfs.ENVPLAN_WAREKI("H32") == "令和2年度"
    assert udfs.ENVPLAN_FY_LABEL("平成25年度") == "2013年度（平成25年度）"
    assert udfs.ENVPLAN_FY("R2") == 2020
    assert udfs.ENVPLAN_STATUS(None, 31, 20, "大きいほどよい") == "－ 評価不能"
    assert udfs.ENVPLAN_STATUS(31, 31, 20, "大きいほどよい") == "◎ 達成"


@pytest.mark.parametrize(
    "call, words",
    [
        (lambda: udfs.ENVPLAN_WAREKI("来年"), "年度"),
        (lambda: udfs.ENVPLAN_ACHIEVEMENT("abc", 10, "大きいほどよい"), "実績値"),
        (lambda: udfs.ENVPLAN_ACHIEVEMENT(1, 10, "右"), "方向"),
        (lambda: udfs.ENVPLAN_STATUS(1, 2, 0, "higher", 2020), "3つとも"),
        (lambda: udfs.ENVPLAN_PROGRESS(1, None, 3), "基準値が空欄"),
    ],
)
def test_bad_input_says_what_is_wrong_in_japanese(call, words: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(udfs.UdfInputError, match=words):
        call()
