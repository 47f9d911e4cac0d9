"""The plan's figures as tidy pandas DataFrames: one row per observation (indicator ×
fiscal year, project × year × reporting department, policy × year, policy × year × kind
of budget), one column per variable. The open data (opendata.py) is written from these
frames, and `envplan.read_master(path)` (analysis.py) hands them to Python users.

Pure: reads a `Plan` and its `PlanResult`, writes nothing. The columns of each frame
are its dataset's `fields` (key = column name, header = the CSV's Japanese column name).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

import pandas as pd

from envplan.plan.model import Indicator, Plan
from envplan.plan.municipality_code import normalise_code
from envplan.plan.targets import DIRECTION_LABELS
from envplan.plan.years import wareki
from envplan.rules.indicator_rules import as_of
from envplan.rules.results import PlanResult

Kind = Literal["text", "int", "float"]

DEFAULT_UPDATE_FREQUENCY = "毎年度"  # the plan's own cycle: progress is compiled and published once a fiscal year


@dataclass(frozen=True)
class Field:
    key: str  # the frame's column, the JSON's key
    header: str  # the CSV's column name (Japanese)
    description: str
    kind: Kind = "text"

    @property
    def numeric(self) -> bool:
        return self.kind != "text"


# Every dataset starts with who publishes it, as the 自治体標準オープンデータセット do.
IDENTITY: tuple[Field, ...] = (
    Field("municipality_code", "全国地方公共団体コード", "6桁の全国地方公共団体コード（検査数字を含む）。設定シートの値"),
    Field("prefecture", "都道府県名", "計画を所管する地方公共団体の都道府県名"),
    Field("city", "市区町村名", "計画を所管する市区町村名（都道府県の計画では空欄）"),
    Field("municipality", "地方公共団体名", "計画を所管する地方公共団体"),
    Field("plan", "計画名", "計画の名称"),
)

YEAR: tuple[Field, ...] = (
    Field("fiscal_year", "年度", "年度（西暦。4月から翌年3月まで）", "int"),
    Field("fiscal_year_wareki", "年度（和暦）", "年度の和暦表記"),
)

INDICATOR_FIELDS: tuple[Field, ...] = IDENTITY + (
    Field("category_code", "分野コード", "指標の分野のコード（計画が定めたもの）"),
    Field("category", "分野", "指標の分野の名称"),
    Field("indicator_id", "指標ID", "指標の識別子（計画の中で一意）"),
    Field("indicator", "指標名", "指標の名称"),
    Field("unit", "単位", "計画値・実績値・見込み値・基準値・目標値の単位"),
    Field("direction", "望ましい方向", "大きいほどよい／小さいほどよい"),
    Field("target_wording", "目標（原文）", "計画書に記載された目標の文言"),
    Field("baseline_fy", "基準年度", "目標への道筋の出発点の年度。計画に基準年度がなければ、計画期間の最初の実績値の年度（判定に使ったもの）", "int"),
    Field("baseline_value", "基準値", "基準年度の値（判定に使ったもの）", "float"),
    Field("target_fy", "目標年度", "数値目標の年度（数値目標のない指標は空欄）", "int"),
    Field("target_value", "目標値", "数値目標の値（数値目標のない指標は空欄）", "float"),
    Field("department", "所管課", "指標を所管する課"),
    Field("source", "出典", "指標の値の出典（統計・調査の名称）。空欄はマスターに記載なし"),
    Field("update_frequency", "更新頻度", f"指標の値の更新頻度。マスターに記載がなければ、進行管理の周期の「{DEFAULT_UPDATE_FREQUENCY}」"),
    *YEAR,
    Field("year_kind", "年度の区分", "基準年度／計画期間／計画期間前／計画期間後"),
    Field("plan_value", "計画値", "その年度の計画値（空欄は計画値なし）", "float"),
    Field("actual_value", "実績値", "その年度の実績値（空欄は未集計・データなし）", "float"),
    Field("expected_value", "見込み値", "目標への道筋（基準値と目標値を結ぶ直線）上の、その年度の値（空欄は対象外）。サイトの「見込み値」と同じ", "float"),
    Field("compared_with", "達成率の比較値", "達成率を求めるときに実績値と比べた値（比較の対象の列を参照）", "float"),
    Field("compared_label", "比較の対象", "達成率の比較値が何か（目標値、計画値、前年度の実績など）"),
    Field(
        "achievement_rate",
        "達成率",
        "実績値の比較値に対する割合。1 = 100%。大きいほどよい指標は 実績値÷比較値、小さいほどよい指標は 比較値÷実績値",
        "float",
    ),
    Field("progress_rate", "進捗率", "基準値から目標値までのうち進んだ割合。（実績値−基準値）÷（目標値−基準値）。1 = 100%", "float"),
    Field("status", "状況", "達成／順調／やや遅れ／遅れ／悪化／評価不能。空欄は判定の対象外の年度（計画期間の外、報告の対象年度より後）"),
    Field("evaluation_level", "評価区分", "計画が選んだ評価区分（記号と区分名）。方式は設定の「評価区分」"),
    Field("evaluated", "評価年度", "報告の対象年度に評価に使った年度なら 1", "int"),
    Field("illustrative", "例示値", "実績値がデモ用の例示値（実際の数値ではない）なら 1", "int"),
    Field("note", "備考", "その年度の値についての注記"),
    Field("value_status", "速報・確定", "実績値が速報値（後に確定値で改められることがある）なら「速報値」、確定値なら「確定値」（実績値がなければ空欄）"),
)

PROJECT_FIELDS: tuple[Field, ...] = IDENTITY + (
    Field("category_code", "分野コード", "重点プロジェクトの分野のコード"),
    Field("category", "分野", "重点プロジェクトの分野の名称"),
    Field("project_id", "プロジェクトID", "重点プロジェクトの識別子"),
    Field("project_number", "番号", "計画での番号"),
    Field("project", "プロジェクト名", "重点プロジェクトの名称"),
    *YEAR,
    Field("phase", "工程の段階", "工程表でその年度にあたる段階（空欄は段階なし）"),
    Field("department", "報告した課", "その行の状況を報告した課"),
    Field("role", "報告の区分", "主担当（プロジェクト全体の状況）／関係課（その課の担当部分）"),
    Field("status", "状況", "予定どおり／前倒し／遅れ／完了／未着手。空欄はその年度の報告なし"),
    Field("comment", "取組の状況", "報告の内容"),
)

RATING_FIELDS: tuple[Field, ...] = IDENTITY + (
    Field("policy_code", "施策コード", "施策（評価票）のコード（施策課題番号）"),
    Field("policy", "施策名", "施策課題"),
    Field("department", "所管課", "評価票を作成した課"),
    *YEAR,
    Field("self_rating", "所管課の評価", "所管課が付けた評価区分（AⅠ／AⅡ／B／C）。空欄は評価なし"),
    Field("self_reason", "評価の理由", "所管課が記した評価の理由"),
    Field("suggested_rating", "評価案", "参考指標と事務事業の状況から envplan が導いた評価区分の案"),
    Field("disagrees", "評価案と不一致", "所管課の評価と評価案が違えば 1", "int"),
    Field("suggestion_reason", "評価案の根拠", "評価案の求め方（参考指標の状況と評価点）"),
)

BUDGET_FIELDS: tuple[Field, ...] = IDENTITY + (
    Field("policy_code", "施策コード", "施策（評価票）のコード（施策課題番号）"),
    Field("policy", "施策名", "施策課題"),
    Field("budget_label", "区分名", "評価票の事業費の区分名（例: 事業費合計）"),
    *YEAR,
    Field("kind", "種別", "予算／決算／計画事業費／決算見込"),
    Field("amount", "金額", "事業費の金額（単位の列を参照）", "float"),
    Field("budget_unit", "単位", "金額の単位（例: 千円）"),
)


def _identity(plan: Plan) -> dict[str, Any]:
    return {
        "municipality_code": normalise_code(plan.municipality_code),
        "prefecture": plan.prefecture,
        "city": plan.city,
        "municipality": plan.municipality,
        "plan": plan.name,
    }


@lru_cache(maxsize=256)
def _era(fy: int) -> str:
    return wareki(fy)


def _year(fy: int) -> dict[str, Any]:
    return {"fiscal_year": fy, "fiscal_year_wareki": _era(fy)}


def _frame(rows: list[dict[str, Any]], fields: tuple[Field, ...]) -> pd.DataFrame:
    """A frame with exactly the dataset's columns, in order; numbers as numbers (an absent
    value is missing, never 0), whole numbers as nullable integers."""
    df = pd.DataFrame.from_records(rows, columns=[f.key for f in fields])
    for f in fields:
        if f.kind == "int":
            df[f.key] = df[f.key].astype("Int64")
        elif f.kind == "float":
            df[f.key] = pd.to_numeric(df[f.key]).astype("Float64")
    return df  # texts keep pandas' own string type (every text cell holds a str; absent is "")


def _round(v: float | None) -> float | None:
    return None if v is None else round(v, 6)


def _year_kind(plan: Plan, fy: int, baseline_fy: int | None) -> str:
    # Only the plan's own 基準年度 is called so: a path started from the first actual is not.
    if fy == baseline_fy:
        return "基準年度"
    if fy < plan.start_fy:
        return "計画期間前"
    if fy > plan.end_fy:
        return "計画期間後"
    return "計画期間"


def indicators_frame(plan: Plan, result: PlanResult) -> pd.DataFrame:
    """Indicator × fiscal year: every year the report evaluated, and the years around it the
    master holds a value for (the baseline year, a year before the plan, plan values ahead),
    as of the result's fiscal year (a figure that arrived later is not shown)."""
    rows: list[dict[str, Any]] = []
    ident = _identity(plan)
    for ind in plan.indicators:
        res = result.indicator(ind.id)
        if res is None:
            continue
        cat = plan.category(ind.category)
        dept = plan.department(ind.department)
        known, _hidden = as_of(ind, result.fy, plan.current_fy)
        head = {
            **ident,
            "category_code": ind.category,
            "category": cat.name if cat else ind.category,
            "indicator_id": ind.id,
            "indicator": ind.name,
            "unit": ind.unit,
            "direction": DIRECTION_LABELS.get(ind.direction, ind.direction),
            "target_wording": ind.target_wording,
            "baseline_fy": res.baseline_fy,
            "baseline_value": res.baseline_value,
            "target_fy": res.target_fy,
            "target_value": res.target_value,
            "department": dept.name if dept else ind.department,
            "source": ind.source,
            "update_frequency": ind.update_frequency or DEFAULT_UPDATE_FREQUENCY,
        }
        evaluated = {y.fy: y for y in res.years}
        years = set(evaluated) | _other_years(known, result.fy)
        if res.baseline_fy is not None:
            years.add(res.baseline_fy)
        for fy in sorted(years):
            y = evaluated.get(fy)
            value = known.values.get(fy)
            # 実績値 holds only a typed actual: the baseline value is in 基準値, on every row.
            actual = y.actual if y else (value.actual if value and fy <= result.fy else None)
            rows.append(
                {
                    **head,
                    **_year(fy),
                    "year_kind": _year_kind(plan, fy, ind.baseline_fy),
                    "plan_value": y.plan if y else (value.plan if value else None),
                    "actual_value": actual,
                    "expected_value": y.expected if y else None,
                    "compared_with": y.compared_with if y else None,
                    "compared_label": y.compared_label if y else "",
                    "achievement_rate": _round(y.achievement_rate) if y else None,
                    "progress_rate": _round(y.progress_rate) if y else None,
                    "status": y.status if y else "",
                    "evaluation_level": f"{y.level_symbol} {y.level_label}".strip() if y else "",
                    "evaluated": 1 if fy == res.evaluated_fy else 0,
                    "illustrative": 1 if ind.illustrative and actual is not None else 0,
                    "note": value.note if value else "",
                    "value_status": "" if actual is None else "速報値" if (value is not None and value.provisional) else "確定値",
                }
            )
    return _frame(rows, INDICATOR_FIELDS)


def _other_years(ind: Indicator, fy: int) -> set[int]:
    """Years outside the evaluated range that hold a value: actuals up to `fy`, plan values any year."""
    return {y for y, v in ind.values.items() if (v.actual is not None and y <= fy) or v.plan is not None or (v.note and y <= fy)}


def projects_frame(plan: Plan, result: PlanResult) -> pd.DataFrame:
    """Project × fiscal year × reporting department: the lead's status of the whole project
    (a row for every year of the plan and of the project's phases, blank when not reported)
    and each co-department's report on its part, up to the result's fiscal year."""
    rows: list[dict[str, Any]] = []
    ident = _identity(plan)
    for p in plan.projects:
        cat = plan.category(p.category)
        head = {**ident, "category_code": p.category, "category": cat.name if cat else p.category, "project_id": p.id, "project_number": p.number, "project": p.name}
        years = set(range(plan.start_fy, plan.end_fy + 1)) | {y for ph in p.phases for y in range(ph.start_fy, ph.end_fy + 1)}
        years |= {s.fy for s in p.statuses if s.fy <= result.fy}
        lead = p.departments[0] if p.departments else ""
        for fy in sorted(years):
            phase = p.phase_in(fy)
            st = p.status_in(fy) if fy <= result.fy else None
            common = {**head, **_year(fy), "phase": phase.name if phase else ""}
            rows.append({**common, "department": _dept_name(plan, lead), "role": "主担当", "status": st.status if st else "", "comment": st.comment if st else ""})
            if fy <= result.fy:
                for part in p.parts_in(fy):
                    rows.append({**common, "department": _dept_name(plan, part.department), "role": "関係課", "status": part.status or "", "comment": part.comment})
    return _frame(rows, PROJECT_FIELDS)


def ratings_frame(plan: Plan, result: PlanResult) -> pd.DataFrame:
    """Policy × fiscal year: the department's rating beside the suggested one, for every year
    the policy's evaluation covers (as computed: the years of its sheet up to its evaluation year)."""
    rows: list[dict[str, Any]] = []
    ident = _identity(plan)
    for pol in plan.policies:
        res = result.policy(pol.code)
        if res is None:
            continue
        for h in res.history:
            own = pol.rating_in(h.fy)
            rows.append(
                {
                    **ident,
                    "policy_code": pol.code,
                    "policy": pol.title,
                    "department": _dept_name(plan, pol.department),
                    **_year(h.fy),
                    "self_rating": h.self_rating or "",
                    "self_reason": own.reason if own else "",
                    "suggested_rating": h.suggested_rating or "",
                    "disagrees": 1 if h.disagrees else 0,
                    "suggestion_reason": h.reason,
                }
            )
    return _frame(rows, RATING_FIELDS)


def budgets_frame(plan: Plan, result: PlanResult | None = None) -> pd.DataFrame:
    """Policy × fiscal year × kind (予算・決算・計画事業費・決算見込): the 事業費 of the evaluation sheets."""
    rows: list[dict[str, Any]] = []
    ident = _identity(plan)
    for pol in plan.policies:
        for b in sorted(pol.budget, key=lambda b: b.fy):
            rows.append(
                {**ident, "policy_code": pol.code, "policy": pol.title, "budget_label": pol.budget_label, **_year(b.fy), "kind": b.kind, "amount": b.amount, "budget_unit": pol.budget_unit}
            )
    return _frame(rows, BUDGET_FIELDS)


def _dept_name(plan: Plan, code: str) -> str:
    d = plan.department(code)
    return d.name if d else code


@dataclass(frozen=True)
class Dataset:
    name: str  # file stem: indicators → indicators.csv, indicators.json
    title: str  # 指標の年度別データ
    row: str  # what one row is, in Japanese
    fields: tuple[Field, ...]
    build: Callable[[Plan, PlanResult], pd.DataFrame]


DATASETS: tuple[Dataset, ...] = (
    Dataset("indicators", "指標の年度別データ", "指標 × 年度", INDICATOR_FIELDS, indicators_frame),
    Dataset("projects", "重点プロジェクトの年度別の状況", "重点プロジェクト × 年度 × 報告した課", PROJECT_FIELDS, projects_frame),
    Dataset("ratings", "施策の年度別の評価", "施策 × 年度", RATING_FIELDS, ratings_frame),
    Dataset("budgets", "施策の事業費", "施策 × 年度 × 種別", BUDGET_FIELDS, budgets_frame),
)
