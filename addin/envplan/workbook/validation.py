"""Validation of the master: the reader's per-cell checks plus the checks
that need the whole plan (links between sheets, duplicates, plausibility)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from envplan.plan.diagnostics import Diagnostic, DiagnosticList
from envplan.plan.model import Indicator, Plan
from envplan.plan.municipality_code import code_problem, normalise_code
from envplan.plan.open_licence import find_licence, licence_names
from envplan.plan.schemes import SchemeError, check_scheme, colour_problems, level_key, pair_levels, plan_scheme
from envplan.plan.target_wording import TargetWordingError, compare_reading, read_target
from envplan.plan.targets import DIRECTION_LABELS, target_year
from envplan.workbook.frozen_record import FrozenRecord, check_frozen
from envplan.workbook.io import ResultTable, WorkbookSource
from envplan.workbook.layout import MARK_ROW, layout
from envplan.workbook.reader import MasterReading, read_master


@dataclass
class ValidationResult:
    reading: MasterReading
    diagnostics: DiagnosticList
    frozen_record: FrozenRecord | None = None  # 確定値の記録, None when the master has none

    @property
    def plan(self) -> Plan | None:
        return self.reading.plan

    @property
    def ok(self) -> bool:
        return self.plan is not None and not self.diagnostics.errors

    def counts(self) -> dict[str, int]:
        p = self.plan
        return {
            "indicators": len(p.indicators) if p else 0,
            "projects": len(p.projects) if p else 0,
            "related_plans": len(p.related_plans) if p else 0,
            "policies": len(p.policies) if p else 0,
        }

    @property
    def summary(self) -> str:
        return f"エラー {len(self.diagnostics.errors)} 件、警告 {len(self.diagnostics.warnings)} 件"

    def table(self) -> ResultTable:
        """The 検証結果 sheet, the same whichever door writes it."""
        return validation_table(self.diagnostics.items, f"{self.summary}（セルの場所をクリックすると移動します）")

    def to_json(self, file: str = "") -> dict[str, Any]:
        return {
            "file": file,
            "ok": self.ok,
            **self.counts(),
            "errors": [d.to_json() for d in self.diagnostics.errors],
            "warnings": [d.to_json() for d in self.diagnostics.warnings],
        }


def validate_source(source: WorkbookSource) -> ValidationResult:
    reading = read_master(source)
    diags = DiagnosticList(list(reading.diagnostics.items))
    record = None
    if reading.plan is not None:
        diags.extend(check_plan(reading.plan, reading))
        record, frozen = check_frozen(source, reading)
        diags.extend(frozen)
    for d in diags.items:
        d.file = d.file or source.label
    return ValidationResult(reading, diags, record)


def _check_open_data_settings(diags: DiagnosticList, plan: Plan, at: Any) -> None:
    """The open data's identity: the 全国地方公共団体コード with its check digit, and a licence
    a reader of the data can look up (an unknown name is published as written, with a warning)."""
    settings_sheet = layout()["settings"].name
    if not normalise_code(plan.municipality_code):
        sheet, cell = at(("setting", "municipality_code"))
        diags.warning(
            "OPEN_DATA_CODE_MISSING",
            "設定「全国地方公共団体コード」が空です。公表するオープンデータの全国地方公共団体コードの列が空になります"
            "（検査数字を含む6桁の数字を、先頭の0が消えないよう文字列で入力してください）",
            sheet or settings_sheet,
            cell,
        )
    if not plan.licence.strip():
        sheet, cell = at(("setting", "licence"))
        diags.warning(
            "OPEN_DATA_LICENCE_MISSING",
            f"設定「オープンデータの利用条件」が空です。利用条件のないオープンデータは利用者が二次利用できません（次のどれかを入力してください: {licence_names()}）",
            sheet or settings_sheet,
            cell,
        )
    problem = code_problem(plan.municipality_code)
    if problem:
        sheet, cell = at(("setting", "municipality_code"))
        diags.error("SETTING_INVALID", f"設定シートの{problem}", sheet, cell, plan.municipality_code)
    if plan.licence and find_licence(plan.licence) is None:
        sheet, cell = at(("setting", "licence"))
        diags.warning(
            "SETTING_INVALID",
            f"設定「オープンデータの利用条件」の「{plan.licence}」は envplan の知っているライセンスではありません（{licence_names()}）。書かれたとおりに載せ、リンクは付けません",
            sheet,
            cell,
            plan.licence,
        )


def check_plan(plan: Plan, reading: MasterReading) -> DiagnosticList:
    diags = DiagnosticList()
    where = reading.where

    def at(key: tuple[Any, ...]) -> tuple[str, str]:
        return where.get(key, ("", ""))

    lay = layout()
    if not plan.start_fy <= plan.end_fy:
        diags.error("YEAR_INVALID", f"計画期間の終了年度（{plan.end_fy}）が開始年度（{plan.start_fy}）より前です", *at(("setting", "end_fy")))
    if not plan.start_fy <= plan.current_fy <= plan.end_fy + 5:
        diags.error("YEAR_OUTSIDE_PLAN", f"対象年度（{plan.current_fy}年度）が計画期間（{plan.start_fy}～{plan.end_fy}年度）から外れています", *at(("setting", "current_fy")))
    if plan.settings.slightly_behind_ratio > plan.settings.on_track_ratio:
        diags.error("SETTING_INVALID", "「やや遅れ」の割合は「順調」の割合以下にしてください", *at(("setting", "slightly_behind_ratio")))
    for low, high, what in (
        ("rating_b_score", "rating_a_score", "施策の評価案を B とする評価点は A とする評価点以下"),
        ("opensdg_med", "opensdg_high", "Open SDG の一定の進捗の比率は順調の比率以下"),
        ("opensdg_low", "opensdg_med", "Open SDG の限定的な進捗の比率は一定の進捗の比率以下"),
        ("opensdg_growth_med", "opensdg_growth_high", "Open SDG の数値目標なしの一定の進捗の成長率は順調の成長率以下"),
        ("opensdg_low", "opensdg_growth_med", "Open SDG の限定的な進捗のしきい値は数値目標なしの一定の進捗の成長率以下"),
    ):
        if getattr(plan.settings, low) > getattr(plan.settings, high):
            diags.error("SETTING_INVALID", f"{what}にしてください", *at(("setting", low)))
    _check_scheme(diags, plan, at)
    _check_open_data_settings(diags, plan, at)

    diags.extend(check_year_columns(plan, reading))

    categories = {c.code for c in plan.categories}
    departments = {d.code for d in plan.departments}
    policies = {p.code for p in plan.policies}
    _duplicates(diags, [c.code for c in plan.categories], "分野のコード", lambda code: at(("category", code)))
    _duplicates(diags, [d.code for d in plan.departments], "所管課のコード", lambda code: at(("department", code)))
    _duplicates(diags, [r.id for r in plan.related_plans], "関連計画のID", lambda rid: at(("related", rid)))

    for ind in plan.indicators:
        if ind.category not in categories:
            diags.error("UNKNOWN_CATEGORY", f"分野「{ind.category}」は「{lay['categories'].name}」シートにありません", *at(("indicator", ind.id, "category")), value=ind.category)
        if ind.department not in departments:
            diags.error("UNKNOWN_DEPARTMENT", f"所管課「{ind.department}」は「{lay['departments'].name}」シートにありません", *at(("indicator", ind.id, "department")), value=ind.department)
        if ind.policy and ind.policy not in policies:
            diags.error("UNKNOWN_POLICY", f"施策コード「{ind.policy}」の評価票がありません", *at(("indicator", ind.id, "policy")), value=ind.policy)
        ty = target_year(ind.target)
        if ty is not None and not plan.start_fy <= ty <= plan.end_fy:
            diags.error(
                "YEAR_OUTSIDE_PLAN",
                f"目標年度（{ty}年度）が計画期間（{plan.start_fy}～{plan.end_fy}年度）の外です。目標年度を確認してください",
                *at(("indicator", ind.id, "target_year")),
                value=ty,
            )
        if ind.target.kind == "change" and ind.baseline_fy is None:
            diags.error("TARGET_INVALID", "基準年比の目標には基準年度が必要です", *at(("indicator", ind.id, "baseline_fy")))
        _check_wording(diags, ind, at)
        _check_values(diags, plan, ind, at)

    for proj in plan.projects:
        if proj.category not in categories:
            diags.error("UNKNOWN_CATEGORY", f"分野「{proj.category}」は「{lay['categories'].name}」シートにありません", *at(("project", proj.id, "category")), value=proj.category)
        for d in proj.departments:
            if d not in departments:
                diags.error("UNKNOWN_DEPARTMENT", f"所管課「{d}」は「{lay['departments'].name}」シートにありません", *at(("project", proj.id, "departments")), value=d)
        for part in proj.part_reports:
            place = at(("project_part_row", proj.id, part.fy, part.department))
            if part.department not in departments:
                diags.error("UNKNOWN_DEPARTMENT", f"所管課「{part.department}」は「{lay['departments'].name}」シートにありません", *place, value=part.department)
            elif part.department not in proj.co_departments():
                # A warning, not an error: a department taken off the project keeps its past reports.
                lead = part.department in proj.departments[:1]
                diags.warning(
                    "PROJECT_PART_NOT_ON_PROJECT",
                    f"所管課「{part.department}」は{proj.id}の"
                    + ("主担当です。主担当の報告は「" + lay["project_status"].name + "」シートに入力します" if lead else "関係課ではありません（「" + lay["projects"].name + "」シートの所管課にありません）")
                    + "。この行は取組として残りますが、様式では照会しません",
                    *place,
                    value=part.department,
                )

    ids = {i.id for i in plan.indicators}
    for pol in plan.policies:
        if pol.department not in departments:
            diags.error("UNKNOWN_DEPARTMENT", f"作成課「{pol.department}」は「{lay['departments'].name}」シートにありません", *at(("policy", pol.code, "department")), value=pol.department)
        for ind_id in pol.reference_indicators:
            if ind_id not in ids:
                diags.error("UNKNOWN_INDICATOR", f"参考指標「{ind_id}」は指標シートにありません", *at(("policy", pol.code, f"indicator:{ind_id}")), value=ind_id)
        sheet_name = lay.policy_sheet_name(pol.code)
        if sheet_name != lay["policy_form"].name.replace("{code}", pol.code):
            diags.warning(
                "POLICY_CODE_SHEET_NAME",
                f"施策コード「{pol.code}」はそのままではシート名にできません（31字まで、[]:*?/\\ は使えません）。評価票のシート名は「{sheet_name}」になります",
                *at(("policy", pol.code, "code")),
                value=pol.code,
            )
        if len(pol.reference_indicators) > plan.settings.max_reference_indicators:
            diags.warning(
                "TOO_MANY_REFERENCE_INDICATORS",
                f"参考指標が{len(pol.reference_indicators)}件あります（設定の上限は{plan.settings.max_reference_indicators}件）。印刷用の評価票には上限までを載せます",
                *at(("policy", pol.code, "code")),
            )

    subjects = {"indicator": ids, "project": {p.id for p in plan.projects}, "policy": policies}
    for op in plan.opinions:
        if op.subject != "plan" and op.subject_id not in subjects[op.subject]:
            diags.error("UNKNOWN_INDICATOR", f"意見の対象ID「{op.subject_id}」が見つかりません", *at(("opinion", op.id, "subject_id")), value=op.subject_id)
    return diags


# Where a field key's cell is: (sheet, cell), ("", "") when unknown.
At = Callable[[tuple[Any, ...]], tuple[str, str]]


def _check_scheme(diags: DiagnosticList, plan: Plan, at: At) -> None:
    """The evaluation scheme must be usable: a name it knows, rules it can read, a level for every case."""
    try:
        scheme = plan_scheme(plan)
    except SchemeError as e:
        m = re.search(r"(\d+)番目の区分", str(e))
        where = at(("evaluation_level", int(m[1]), "rule")) if m else at(("setting", "evaluation_scheme"))
        diags.error("SCHEME_INVALID", str(e), *where)
        return
    for problem in check_scheme(scheme):
        diags.error("SCHEME_INVALID", f"評価区分「{scheme.name}」は使えません: {problem}", *at(("setting", "evaluation_scheme")))
    if scheme.key == "custom":  # a colour typed in the 評価区分 sheet that black text cannot be read on
        keys = [level_key(lv.symbol, lv.label) for lv in scheme.levels]
        for key, problem in colour_problems(scheme):
            where = at(("evaluation_level", keys.index(key) + 1, "colour"))
            diags.warning("SCHEME_COLOUR_ADJUSTED", problem, *where)
    symbols = {lv.symbol.strip() for lv in pair_levels(scheme)}
    for ind in plan.indicators:
        for j in ind.judgements:
            if j.level.strip() not in symbols:
                diags.warning(
                    "JUDGEMENT_UNKNOWN_LEVEL",
                    f"指標「{ind.id}」の{j.fy}年度の評価「{j.level}」は評価区分「{scheme.name}」の記号（{'・'.join(sorted(symbols))}）にありません。計算した評価区分とは比べられません",
                    *at(("judgement", ind.id, j.fy)), value=j.level,
                )


def _duplicates(diags: DiagnosticList, codes: list[str], what: str, at: Callable[[str], tuple[str, str]]) -> None:
    seen: set[str] = set()
    for code in codes:
        if code in seen:
            diags.error("DUPLICATE_ID", f"{what}「{code}」が重複しています", *at(code), value=code)
        seen.add(code)


def _check_wording(diags: DiagnosticList, ind: Any, at: At) -> None:
    """The wording is read with the indicator's unit, base year and direction; a part it
    cannot read exactly is flagged, and every field that says otherwise is named with both values."""
    try:
        reading = read_target(ind.target_wording, unit=ind.unit, base_fy=ind.baseline_fy, direction=ind.direction, name=ind.name)
    except TargetWordingError as e:
        if ind.target.kind != "plan_values":
            diags.warning("TARGET_WORDING_UNREADABLE", f"{e.reason}。目標種別・目標年度・目標値が文言と合っているか確認してください", *at(("indicator", ind.id, "target_wording")))
        return
    plans = {fy: v.plan for fy, v in ind.values.items()}
    for mm in compare_reading(reading, ind.target, baseline_fy=ind.baseline_fy, plan_values=plans):
        key = ("indicator", ind.id, mm.key) if mm.key != "plan" else ("indicator", ind.id, "target_wording")
        diags.warning(
            "TARGET_WORDING_MISMATCH",
            f"目標の文言「{ind.target_wording}」は「{reading.reading}」と読めますが、{mm.text()}",
            *at(key),
        )
    if reading.direction and reading.direction != ind.direction and ind.target.kind not in ("increase", "decrease"):
        diags.warning(
            "DIRECTION_MISMATCH",
            f"目標の文言からは「{DIRECTION_LABELS[reading.direction]}」と読めますが、方向は「{DIRECTION_LABELS[ind.direction]}」です",
            *at(("indicator", ind.id, "direction")),
        )


def _check_values(diags: DiagnosticList, plan: Plan, ind: Any, at: At) -> None:
    factor = plan.settings.jump_warning_factor
    previous: tuple[int, float] | None = None
    for fy in sorted(ind.values):
        v = ind.values[fy]
        for kind, value in (("plan", v.plan), ("actual", v.actual)):
            if value is None:
                continue
            if (ind.lower_bound is not None and value < ind.lower_bound) or (ind.upper_bound is not None and value > ind.upper_bound):
                lo = "" if ind.lower_bound is None else f"{ind.lower_bound:g}"
                hi = "" if ind.upper_bound is None else f"{ind.upper_bound:g}"
                diags.warning(
                    "VALUE_OUT_OF_RANGE",
                    f"{ind.name}の{fy}年度の値 {value:g}{ind.unit} が想定範囲（{lo}～{hi}）の外です。入力を確認してください",
                    *at(("value", ind.id, fy, kind)),
                    value=value,
                )
        if v.mark is not None and v.actual is None:
            diags.error(
                "VALUE_MARK_WITHOUT_ACTUAL",
                f"{ind.name}の{fy}年度は「{v.mark}」となっていますが、実績値がありません。"
                f"実績値を入力するか、「{MARK_ROW}」の欄を空欄にしてください（速報・確定は実績値に付ける印です）",
                *at(("value", ind.id, fy, "mark")),
                value=v.mark,
            )
        if v.actual is None:
            continue
        # Small counts (1 → 5 events) swing naturally; only larger figures are checked.
        if previous and factor > 1 and previous[1] > 0 and v.actual > 0 and max(previous[1], v.actual) >= 10:
            ratio = v.actual / previous[1]
            if ratio > factor or ratio < 1 / factor:
                diags.warning(
                    "VALUE_JUMP",
                    f"{ind.name}の{fy}年度の実績 {v.actual:g}{ind.unit} は{previous[0]}年度（{previous[1]:g}{ind.unit}）の{ratio:.1f}倍です。桁や単位の誤りがないか確認してください",
                    *at(("value", ind.id, fy, "actual")),
                    value=v.actual,
                )
        previous = (fy, v.actual)


def validation_table(diags: list[Diagnostic], summary: str) -> ResultTable:
    lay = layout()
    spec = lay["validation"]
    rows = []
    links: dict[tuple[int, int], str] = {}
    styles: dict[int, str] = {}
    for i, d in enumerate(sorted(diags, key=lambda d: (d.severity != "error", d.sheet, d.cell))):
        rows.append(["エラー" if d.severity == "error" else "警告", d.sheet, d.cell, d.code, d.message, d.value])
        if d.sheet and d.cell:
            links[(i, 2)] = f"'{d.sheet}'!{d.cell}"
        styles[i] = d.severity
    return ResultTable(
        sheet=spec.name,
        title=spec.title,
        note=summary,
        header=[c.header for c in spec.columns],
        rows=rows,
        widths=[c.width for c in spec.columns],
        links=links,
        row_styles=styles,
    )


def meaningful_years(plan: Plan, ind: Indicator) -> set[int]:
    """The years outside the plan period in which an indicator's values are expected:
    its baseline year; the years a plan records before its period as the reference
    (現状値), i.e. the years holding values that run into the period without a gap
    (the 2010 row of a 2011–2013 evaluation sheet); and the late years opened after
    the period's end, up to the current year (figures that arrive late)."""
    years = set(range(plan.end_fy + 1, plan.current_fy + 1))
    if ind.baseline_fy is not None:
        years.add(ind.baseline_fy)
    fy = plan.start_fy - 1
    while (fy in ind.values and not ind.values[fy].is_empty()) or fy == ind.baseline_fy:
        years.add(fy)
        fy -= 1
    return years


def check_year_columns(plan: Plan, reading: MasterReading) -> DiagnosticList:
    """The year columns agree with the period in 設定: every year of the period has
    its column, and a value typed in a column outside the period is reported (it
    is kept and read, but the user may have meant another year) — unless the year
    is one where the indicator's values belong (`meaningful_years`)."""
    diags = DiagnosticList()
    period = range(plan.start_fy, plan.end_fy + 1)
    label = f"計画期間（{plan.start_fy}～{plan.end_fy}年度）"
    for sheet, columns in reading.year_columns.values():
        missing = [fy for fy in period if fy not in columns]
        if missing:
            span = f"{missing[0]}年度" if len(missing) == 1 else f"{missing[0]}～{missing[-1]}年度" if missing == list(range(missing[0], missing[-1] + 1)) else "・".join(f"{fy}年度" for fy in missing)
            diags.error(
                "YEAR_COLUMNS_MISSING",
                f"「設定」の{label}のうち {span} の列がありません。`envplan period` で計画期間を設定し直すと列が作られます",
                sheet,
                "",
                span,
            )
    for ind in plan.indicators:
        expected = meaningful_years(plan, ind)
        for fy, value in sorted(ind.values.items()):
            if fy in period or fy in expected or value.is_empty():
                continue
            for kind in ("plan", "actual", "note"):
                if getattr(value, kind) not in (None, ""):
                    sheet, ref = reading.where.get(("value", ind.id, fy, kind), ("", ""))
                    diags.warning(
                        "VALUE_OUTSIDE_PERIOD",
                        f"指標「{ind.id}」の {fy}年度の値は{label}の外の列にあります（基準年度でも、計画期間の直前から続く年度や開いた年度の値でもありません）。年度を確かめてください",
                        sheet,
                        ref,
                        getattr(value, kind),
                    )
    for proj in plan.projects:
        for ph in proj.phases:
            if ph.start_fy < plan.start_fy or ph.end_fy > plan.end_fy:
                sheet, _ = reading.year_columns.get("phases", ("", {}))
                diags.warning("VALUE_OUTSIDE_PERIOD", f"プロジェクト「{proj.id}」の段階「{ph.name}」（{ph.start_fy}～{ph.end_fy}年度）は{label}の外の列にあります", sheet, "", ph.name)
    return diags
