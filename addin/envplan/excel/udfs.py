"""Worksheet functions (UDFs) for Excel through xlwings, e.g. `=ENVPLAN_WAREKI(2020)`.

Each is a thin door onto the same pure functions `envplan compute` uses
(`attainment.py`, `years.py`, `scheme_eval.py`), reading cell values by the same rules as the
master (full-width digits, 約, era years). A value that cannot be read makes
the function fail with a Japanese message, which Excel shows in the cell.
The VBA wrappers Excel calls (`macros/EnvplanUdfs.bas`) are generated from
these signatures by `addin_build.udf_module_source`; argument names must not
clash with VBA's own (hence `fy`, never `year`). An argument named `caller` is
xlwings' reserved one (the calling cell, so a function can read its workbook's
設定); it is not an argument in Excel.
"""

from __future__ import annotations

import unicodedata
from typing import Any

import xlwings as xw

from envplan.excel.live_workbook import LiveBookSource
from envplan.plan.numbers import read_number
from envplan.plan.schemes import DEFAULT_SCHEME, Scheme, SchemeError, level_key
from envplan.plan.targets import DIRECTION_LABELS
from envplan.plan.years import YearError, fy_label, parse_fy, wareki
from envplan.rules.attainment import achievement_rate, expected_value, progress_rate, status_for
from envplan.rules.scheme_eval import Facts, level_for
from envplan.workbook.layout import layout
from envplan.workbook.reader import read_scheme

UDF_CATEGORY = "環境計画"

_DIRECTIONS = {
    "higher": "higher",
    "lower": "lower",
    "大きいほどよい": "higher",
    "小さいほどよい": "lower",
    "増": "higher",
    "減": "lower",
    "増加": "higher",
    "減少": "lower",
    "高": "higher",
    "低": "lower",
    "↑": "higher",
    "↓": "lower",
}


class UdfInputError(ValueError):
    """A cell value the function cannot use; the message is shown in the cell."""


def _number(value: Any, what: str, *, required: bool = True) -> float | None:
    reading = read_number(value)
    if not reading.ok:
        raise UdfInputError(f"{what}: {reading.error_message}")
    if reading.value is None and required:
        raise UdfInputError(f"{what}が空欄です")
    return reading.value


def _year(value: Any, what: str) -> int:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise UdfInputError(f"{what}が空欄です")
    try:
        return parse_fy(value)
    except YearError as e:
        raise UdfInputError(f"{what}: {e.reason}（例: 2020、令和2年度、H32）") from None


def _direction(value: Any) -> str:
    text = unicodedata.normalize("NFKC", str(value or "")).strip().lower()
    if text in _DIRECTIONS:
        return _DIRECTIONS[text]
    raise UdfInputError(f"方向は「{DIRECTION_LABELS['higher']}」または「{DIRECTION_LABELS['lower']}」で指定してください（指定: {value}）")


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


@xw.func(category=UDF_CATEGORY)
@xw.arg("actual", doc="実績値")
@xw.arg("plan", doc="計画値または目標値")
@xw.arg("direction", doc="方向: 大きいほどよい / 小さいほどよい")
def ENVPLAN_ACHIEVEMENT(actual: Any, plan: Any, direction: Any = "大きいほどよい") -> float | str:
    """達成率（1 = 100%）。大きいほどよい指標は実績÷計画、小さいほどよい指標は計画÷実績。"""
    rate = achievement_rate(_number(actual, "実績値"), _number(plan, "計画値"), _direction(direction))  # type: ignore[arg-type]
    return "" if rate is None else rate


@xw.func(category=UDF_CATEGORY)
@xw.arg("actual", doc="実績値")
@xw.arg("baseline", doc="基準値")
@xw.arg("target", doc="目標値")
def ENVPLAN_PROGRESS(actual: Any, baseline: Any, target: Any) -> float | str:
    """進捗率（1 = 100%）: 基準値から目標値までのうち、実績値が進んだ割合。"""
    rate = progress_rate(_number(actual, "実績値"), _number(baseline, "基準値"), _number(target, "目標値"))
    return "" if rate is None else rate


@xw.func(category=UDF_CATEGORY)
@xw.arg("baseline_fy", doc="基準年度")
@xw.arg("baseline", doc="基準値")
@xw.arg("target_fy", doc="目標年度")
@xw.arg("target", doc="目標値")
@xw.arg("fy", doc="見込みを求める年度")
def ENVPLAN_EXPECTED(baseline_fy: Any, baseline: Any, target_fy: Any, target: Any, fy: Any) -> float | str:
    """基準値から目標値へ直線で進んだときの、その年度の見込み値。"""
    value = expected_value(
        _year(baseline_fy, "基準年度"), _number(baseline, "基準値"), _year(target_fy, "目標年度"), _number(target, "目標値"), _year(fy, "年度")
    )
    return "" if value is None else value


def _book_scheme(caller: Any) -> Scheme:
    """The scheme chosen in the calling cell's workbook (設定・評価区分); the six levels when the
    function is called outside a workbook or the book is not a master."""
    book = getattr(getattr(caller, "sheet", None), "book", None)
    if book is None:
        return DEFAULT_SCHEME
    source = LiveBookSource(book)
    if layout()["settings"].name not in source.sheet_names():
        return DEFAULT_SCHEME
    try:
        return read_scheme(source)
    except SchemeError as e:
        raise UdfInputError(f"評価区分: {e}") from None


@xw.func(category=UDF_CATEGORY)
@xw.arg("actual", doc="実績値")
@xw.arg("target", doc="目標値")
@xw.arg("baseline", doc="基準値")
@xw.arg("direction", doc="方向: 大きいほどよい / 小さいほどよい")
@xw.arg("fy", doc="（省略可）実績の年度")
@xw.arg("baseline_fy", doc="（省略可）基準年度")
@xw.arg("target_fy", doc="（省略可）目標年度")
@xw.arg("plan_value", doc="（省略可）その年度の計画値（年度目標）")
@xw.arg("previous", doc="（省略可）前年度の実績値")
def ENVPLAN_STATUS(
    actual: Any, target: Any, baseline: Any, direction: Any, fy: Any = None, baseline_fy: Any = None, target_fy: Any = None,
    plan_value: Any = None, previous: Any = None, caller: Any = None,
) -> str:
    """状況を、ブックの設定で選んだ評価区分の記号と区分名で返します（既定の6区分なら ◎ 達成 / ○ 順調 / △ やや遅れ / ▲ 遅れ / ✕ 悪化 / － 評価不能）。
    年度を3つとも指定すると、その年度の見込み値と比べます。省略すると目標値までの進み具合で判定します。
    計画値（年度目標）・前年度の実績値は、それを使う評価区分（達成率の帯・前年度比など）のときに指定します。"""
    dir_ = _direction(direction)
    value = _number(actual, "実績値", required=False)
    goal = _number(target, "目標値", required=False)
    base = _number(baseline, "基準値", required=False)
    year_plan = _number(plan_value, "計画値", required=False)
    before = _number(previous, "前年度の実績値", required=False)
    if _blank(fy) and _blank(baseline_fy) and _blank(target_fy):
        expected = goal
    elif _blank(fy) or _blank(baseline_fy) or _blank(target_fy):
        raise UdfInputError("年度・基準年度・目標年度は3つとも指定するか、3つとも省略してください")
    else:
        expected = expected_value(_year(baseline_fy, "基準年度"), base, _year(target_fy, "目標年度"), goal, _year(fy, "年度"))
    status = status_for(value, direction=dir_, baseline=base, target=goal, expected=expected)  # type: ignore[arg-type]
    scheme = _book_scheme(caller)
    facts = Facts(
        actual=value, direction=dir_, year_target=year_plan if year_plan is not None else expected,  # type: ignore[arg-type]
        final_target=goal, progress=progress_rate(value, base, goal), previous=before, baseline=base, status=status,
    )
    level, _why = level_for(scheme, facts)
    return level_key(level.symbol, level.label)


@xw.func(category=UDF_CATEGORY)
@xw.arg("fy", doc="年度（2020、2020年度、令和2年度、H32 など）")
def ENVPLAN_WAREKI(fy: Any) -> str:
    """和暦の年度: 2020 → 令和2年度"""
    return wareki(_year(fy, "年度"))


@xw.func(category=UDF_CATEGORY)
@xw.arg("fy", doc="年度（2020、令和2年度、H32 など）")
def ENVPLAN_FY_LABEL(fy: Any) -> str:
    """表示用の年度: 2020 → 2020年度（令和2年度）"""
    return fy_label(_year(fy, "年度"))


@xw.func(category=UDF_CATEGORY)
@xw.arg("fy", doc="年度（令和2年度、H32、R2、2020年度 など）")
def ENVPLAN_FY(fy: Any) -> int:
    """西暦の年度: 令和2年度 → 2020、H32 → 2020"""
    return _year(fy, "年度")


UDFS = (ENVPLAN_ACHIEVEMENT, ENVPLAN_PROGRESS, ENVPLAN_EXPECTED, ENVPLAN_STATUS, ENVPLAN_WAREKI, ENVPLAN_FY_LABEL, ENVPLAN_FY)
