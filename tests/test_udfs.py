"""The worksheet functions give what `compute` gives, and read cells as the master does."""

from __future__ import annotations

import shutil

import pytest
import xlwings as xw
from hypothesis import given
from hypothesis import strategies as st

from envplan.excel import udfs
from envplan.rules.attainment import achievement_rate, expected_value, progress_rate, status_for, status_label
from returns_kit import set_setting, type_levels
from xlwings_remote import book_payload

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


# ---- the plan's chosen evaluation scheme drives ENVPLAN_STATUS -------------------------------------


def _master_with(sample_masters, tmp_path, scheme: str, levels: list[tuple[str, str, str, str]] | None = None):
    path = tmp_path / "master.xlsx"
    shutil.copy2(sample_masters["shinagawa"], path)
    set_setting(path, "evaluation_scheme", scheme)
    if levels is not None:
        type_levels(path, levels)
    # the remote engine's book, as Excel sends it: the calling cell is in it
    return xw.Book(json=book_payload(path)).sheets["指標"]["H5"]


def test_status_follows_the_ready_scheme_the_book_chose(sample_masters, tmp_path) -> None:
    cell = _master_with(sample_masters, tmp_path, "年度目標と達成率70%（A・B・C）")
    # the year's target is its plan value: 100 met → A; 80 → 80% → B; 60 → C; no figure → －
    assert udfs.ENVPLAN_STATUS(100, 120, 50, "大きいほどよい", plan_value=100, caller=cell) == "A 年度目標を達成"
    assert udfs.ENVPLAN_STATUS(80, 120, 50, "大きいほどよい", plan_value=100, caller=cell) == "B 達成率70%以上"
    assert udfs.ENVPLAN_STATUS(60, 120, 50, "大きいほどよい", plan_value=100, caller=cell) == "C 達成率70%未満"
    assert udfs.ENVPLAN_STATUS(None, 120, 50, "大きいほどよい", plan_value=100, caller=cell) == "－ 評価できない"
    # lower is better: 125 against 100 is 80% → B; without a plan value the final target is the year's target
    assert udfs.ENVPLAN_STATUS(125, 90, 150, "小さいほどよい", plan_value=100, caller=cell) == "B 達成率70%以上"
    assert udfs.ENVPLAN_STATUS(90, 90, 150, "小さいほどよい", caller=cell) == "A 年度目標を達成"
    # called outside a workbook, the function keeps envplan's six levels (progress 50 of 70 toward 120: 71% < 80%)
    assert udfs.ENVPLAN_STATUS(100, 120, 50, "大きいほどよい", plan_value=100) == "▲ 遅れ"


def test_status_follows_the_plans_own_scheme_and_explains_an_unusable_one(sample_masters, tmp_path) -> None:
    own = [("○", "目標達成又は改善", "C6EFCE", "年度目標を達成"), ("○", "目標達成又は改善", "C6EFCE", "前年度より改善（±1%）"),
           ("△", "変化なし", "FFEB9C", "前年度から変化なし（±1%）"), ("×", "悪化", "FFC7CE", "その他")]
    cell = _master_with(sample_masters, tmp_path, "評価区分シート", own)
    assert udfs.ENVPLAN_STATUS(80, 100, 50, "higher", plan_value=90, previous=70, caller=cell) == "○ 目標達成又は改善"
    assert udfs.ENVPLAN_STATUS(80.5, 100, 50, "higher", plan_value=90, previous=80, caller=cell) == "△ 変化なし"
    assert udfs.ENVPLAN_STATUS(70, 100, 50, "higher", plan_value=90, previous=80, caller=cell) == "× 悪化"
    bad = _master_with(sample_masters, tmp_path, "評価区分シート", [("A", "達成", "C6EFCE", "年度目標を達成")])
    with pytest.raises(udfs.UdfInputError, match="評価区分.*その他"):
        udfs.ENVPLAN_STATUS(1, 2, 0, "higher", caller=bad)


@given(values, values, values, st.one_of(st.none(), values), st.one_of(st.none(), values), st.sampled_from(["higher", "lower"]))
def test_status_is_the_schemes_first_matching_level(actual: float, target: float, base: float, plan: float | None, previous: float | None, direction: str) -> None:
    """What the cell shows is what compute's scheme evaluation gives for the same facts, for every shipped scheme."""
    from envplan.plan.schemes import READY_SCHEMES, level_key
    from envplan.rules.scheme_eval import Facts, level_for

    class _Cell:  # a calling cell whose book chose the scheme (the book read is tested above)
        sheet = None

    status = status_for(actual, direction=direction, baseline=base, target=target, expected=target)  # type: ignore[arg-type]
    for scheme in READY_SCHEMES:
        facts = Facts(actual, direction, plan if plan is not None else target, target, progress_rate(actual, base, target), previous, base, status)  # type: ignore[arg-type]
        want = level_key(*[getattr(level_for(scheme, facts)[0], k) for k in ("symbol", "label")])
        original = udfs._book_scheme
        try:
            udfs._book_scheme = lambda caller, s=scheme: s  # type: ignore[assignment]
            assert udfs.ENVPLAN_STATUS(actual, target, base, direction, plan_value=plan, previous=previous, caller=_Cell()) == want
        finally:
            udfs._book_scheme = original  # type: ignore[assignment]
