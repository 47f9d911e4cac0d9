"""Reading the master workbook back into a plan, normalising what people typed.

Every problem is recorded with its sheet and cell; a row that cannot be read
is left out of the plan (and reported), so one pass reports everything.
`validation.py` adds the checks that need the whole plan (links, duplicates).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from typing import Any, cast

from pydantic import ValidationError

from envplan.plan.diagnostics import DiagnosticList
from envplan.plan.local_words import RESIDENT_WORDS, RESIDENTS_OPINION, LocalWords, local_words
from envplan.plan.model import (
    OPINION_SOURCES,
    OPINION_SUBJECT_LABELS,
    PROJECT_STATUSES,
    RELATED_PLAN_KIND_LABELS,
    Category,
    Department,
    EvaluationLevel,
    GlossaryEntry,
    Indicator,
    Judgement,
    Opinion,
    OpinionSource,
    OpinionSubject,
    Phase,
    Plan,
    Project,
    ProjectPartReport,
    ProjectStatus,
    ProjectStatusValue,
    RelatedPlan,
    RelatedPlanKind,
    Settings,
    TargetRevision,
    YearValue,
)
from envplan.plan.schemes import CUSTOM_SCHEME, DEFAULT_SCHEME, LevelRow, Scheme, SchemeError, check_scheme, resolve_scheme, scheme_rows
from envplan.plan.targets import DIRECTION_LABELS, KIND_BY_LABEL, KIND_LABELS, build_target
from envplan.plan.years import parse_date
from envplan.workbook.cells import Cell, CellReader
from envplan.workbook.io import WorkbookSource
from envplan.workbook.layout import MARK_ROW, VALUE_ROW_KINDS, layout
from envplan.workbook.policy_form import is_policy_form, read_form
from envplan.workbook.settings_sheet import SETTING_ROWS
from envplan.workbook.sheet_tables import Table, read_table

# Where each value was found: ("indicator", id, field) → (sheet, cell)
Where = dict[tuple[Any, ...], tuple[str, str]]

# 速報・確定 cells: the mark, or the word with 値 (速報値) as a clerk may write it.
MARK_CHOICES = {"速報": "速報", "確定": "確定", "速報値": "速報", "確定値": "確定"}
CONTINUATION_MARKS = ("→", "⇒", "〃", "同上")  # 工程表: same phase as the year on the left
REQUIRED_SHEETS = ("settings", "categories", "departments", "indicators", "values")
OPTIONAL_SHEETS = ("revisions", "judgements", "projects", "phases", "project_status", "project_parts", "related_plans", "opinions", "glossary")


@dataclass
class MasterReading:
    plan: Plan | None
    diagnostics: DiagnosticList
    where: Where = field(default_factory=dict)
    policy_sheets: dict[str, str] = field(default_factory=dict)  # policy code → sheet name
    # Sheets with one column per fiscal year: layout key → (sheet name, year → column number).
    year_columns: dict[str, tuple[str, dict[int, int]]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.plan is not None and not self.diagnostics.errors


def read_master(source: WorkbookSource) -> MasterReading:
    return _Reader(source).read()


def read_scheme(source: WorkbookSource) -> Scheme:
    """The evaluation scheme the master chose (設定 and 評価区分 sheets only, so a worksheet function
    can ask for it cheaply); SchemeError says why it cannot be used."""
    r = _Reader(source)
    basics = r._settings()
    setting = basics["settings"].evaluation_scheme if basics is not None and "settings" in basics else ""
    rows = [LevelRow(lv.symbol, lv.label, lv.colour, lv.rule) for lv in r._evaluation_levels(setting)]
    scheme = resolve_scheme(setting, rows)
    problems = check_scheme(scheme)
    if problems:
        raise SchemeError(f"評価区分「{scheme.name}」は使えません: {problems[0]}")
    return scheme


class _Reader:
    def __init__(self, source: WorkbookSource) -> None:
        self.source = source
        self.lay = layout()
        self.diags = DiagnosticList()
        self.rd = CellReader(self.diags)
        self.where: Where = {}
        self.names = set(source.sheet_names())
        self.year_columns: dict[str, tuple[str, dict[int, int]]] = {}

    def _table(self, key: str, required: bool) -> Table | None:
        spec = self.lay[key]
        if spec.name not in self.names:
            if required:
                self.diags.error("LAYOUT_MISSING_SHEET", f"シート「{spec.name}」がありません。削除や名前の変更をしていないか確認してください", spec.name)
            return None
        return read_table(self.source.grid(spec.name), spec, self.diags)

    def _at(self, key: tuple[Any, ...], cell: Cell) -> None:
        self.where[key] = (cell.sheet, cell.ref)

    def read(self) -> MasterReading:
        for key in REQUIRED_SHEETS:
            if self.lay[key].name not in self.names:
                self.diags.error("LAYOUT_MISSING_SHEET", f"シート「{self.lay[key].name}」がありません。削除や名前の変更をしていないか確認してください", self.lay[key].name)
        basics = self._settings()
        categories = self._categories()
        departments = self._departments()
        indicators = self._indicators()
        self._values(indicators)
        self._revisions(indicators)
        self._judgements(indicators)
        projects = self._projects()
        related = self._related()
        policies, policy_sheets = self._policies()
        opinions = self._opinions(local_words(str((basics or {}).get("municipality") or "")))
        glossary = self._glossary()
        setting = basics["settings"].evaluation_scheme if basics is not None and "settings" in basics else ""
        evaluation_levels = self._evaluation_levels(setting)
        plan = None
        if basics is not None:
            try:
                plan = Plan(
                    **basics,
                    categories=categories,
                    departments=departments,
                    indicators=list(indicators.values()),
                    projects=list(projects.values()),
                    related_plans=related,
                    policies=policies,
                    opinions=opinions,
                    glossary=glossary,
                    evaluation_levels=evaluation_levels,
                )
            except ValidationError as e:
                self.diags.error("SETTING_INVALID", f"計画を組み立てられません: {e}", self.lay["settings"].name)
        return MasterReading(plan, self.diags, self.where, policy_sheets, self.year_columns)

    # --- sheets ---------------------------------------------------------------

    def _settings(self) -> dict[str, Any] | None:
        table = self._table("settings", True)
        if table is None:
            return None
        by_key = {self.rd.code(row["key"]): row for row in table.rows}
        plan_fields: dict[str, Any] = {}
        settings: dict[str, Any] = {}
        ok = True
        for s in SETTING_ROWS:
            row = by_key.get(s.key)
            if row is None:
                if s.required:
                    self.diags.error("REQUIRED", f"設定「{s.label}」（項目キー {s.key}）の行がありません", table.sheet, "A1")
                    ok = False
                continue
            cell = row["value"]
            self._at(("setting", s.key), cell)
            if s.kind == "year":
                value: Any = self.rd.year(cell, required=s.required, what=s.label)
            elif s.kind == "number":
                value = self.rd.number(cell, what=s.label)
            elif s.kind == "int":
                value = self.rd.integer(cell, what=s.label, minimum=1, maximum=20)
            elif s.kind == "date":
                value = None
                if not cell.blank:
                    try:
                        value = parse_date(cell.value)
                    except ValueError:
                        self.diags.error("DATE_INVALID", f"{s.label}: 「{cell.value}」を日付として読めません。例: 2026-12-15、2026年12月15日、令和8年12月15日", cell.sheet, cell.ref, cell.value)
            else:
                value = self.rd.text(cell, required=s.required, what=s.label)
                if s.choices and value:
                    typed = unicodedata.normalize("NFKC", value)  # ＡＡ, aa → AA
                    value = typed.upper() if typed.isascii() else typed
                if s.choices and value and value not in s.choices:
                    self.diags.error("SETTING_INVALID", f"設定「{s.label}」は {'・'.join(s.choices)} のどれかを入力してください（入力: {value}）", table.sheet, cell.ref, value)
                    continue
            if value is None or value == "" and s.required:
                ok = ok and not s.required
                continue
            (plan_fields if s.on_plan else settings)[s.key] = value
        if not ok:
            return None
        try:
            plan_fields["settings"] = Settings(**settings)
        except ValidationError as e:
            self.diags.error("SETTING_INVALID", f"設定値が正しくありません: {e}", table.sheet)
            plan_fields["settings"] = Settings()
        return plan_fields

    def _categories(self) -> list[Category]:
        table = self._table("categories", True)
        out = []
        for row in table.rows if table else []:
            code = self.rd.code(row["code"], required=True, what="分野のコード")
            name = self.rd.text(row["name"], required=True, what="分野名")
            if code and name:
                self._at(("category", code), row["code"])
                out.append(Category(code=code, name=name))
        return out

    def _departments(self) -> list[Department]:
        table = self._table("departments", True)
        out = []
        for row in table.rows if table else []:
            code = self.rd.code(row["code"], required=True, what="所管課のコード")
            name = self.rd.text(row["name"], required=True, what="課名")
            if code and name:
                self._at(("department", code), row["code"])
                out.append(
                    Department(code=code, name=name, contact=self.rd.text(row["contact"]), phone=self.rd.text(row["phone"]), email=self.rd.text(row["email"]))
                )
        return out

    def _indicators(self) -> dict[str, Indicator]:
        table = self._table("indicators", True)
        out: dict[str, Indicator] = {}
        directions = {label: key for key, label in DIRECTION_LABELS.items()}
        for row in table.rows if table else []:
            rd = self.rd
            before = len(self.diags.errors)
            ind_id = rd.code(row["id"], required=True, what="指標ID")
            unit = rd.text(row["unit"])
            fields: dict[str, Any] = dict(
                id=ind_id,
                category=rd.code(row["category"], required=True, what="分野"),
                name=rd.text(row["name"], required=True, what="指標名"),
                unit=unit,
                direction=rd.choice(row["direction"], directions, required=True, what="方向"),
                baseline_fy=rd.year(row["baseline_fy"], what="基準年度"),
                baseline_value=rd.number(row["baseline_value"], unit=unit, what="基準値"),
                target_wording=rd.text(row["target_wording"], required=True, what="目標（原文）"),
                department=rd.code(row["department"], required=True, what="所管課"),
                data_lag=rd.integer(row["data_lag"], what="データの遅れ（年）", minimum=0, maximum=10) or 0,
                lower_bound=rd.number(row["lower_bound"], unit=unit, what="想定範囲（下限）"),
                upper_bound=rd.number(row["upper_bound"], unit=unit, what="想定範囲（上限）"),
                policy=rd.code(row["policy"]),
                description=rd.text(row["description"]),
                notes=rd.text(row["notes"]),
                source=rd.text(row["source"]),
                update_frequency=rd.text(row["update_frequency"]),
                illustrative=rd.flag(row["illustrative"], what="例示値"),
            )
            target = self._target(row["target_kind"], row["target_year"], row["target_value"], row["target_note"])
            if ind_id:
                for key in ("id", "category", "name", "unit", "direction", "baseline_fy", "baseline_value", "target_wording", "target_kind", "target_year", "target_value", "target_note", "department", "data_lag", "lower_bound", "upper_bound", "policy"):
                    self._at(("indicator", ind_id, key), row[key])
                self.where.setdefault(("indicator_row", ind_id), (row["id"].sheet, row["id"].ref))
            if len(self.diags.errors) > before or target is None or not ind_id:
                continue
            if ind_id in out:
                self.diags.error("DUPLICATE_ID", f"指標ID「{ind_id}」が重複しています（最初は{self.where[('indicator_row', ind_id)][1]}）", row["id"].sheet, row["id"].ref, ind_id)
                continue
            out[ind_id] = Indicator(**fields, target=target)
        return out

    def _target(self, kind_cell: Cell, year_cell: Cell, value_cell: Cell, note_cell: Cell) -> Any:
        kind = self.rd.choice(kind_cell, KIND_BY_LABEL, required=True, what="目標種別")
        year = self.rd.year(year_cell, what="目標年度")
        value = self.rd.number(value_cell, what="目標値")
        note = self.rd.text(note_cell)
        if kind is None:
            return None
        try:
            return build_target(kind, year=year, value=value, note=note)
        except (ValueError, ValidationError) as e:
            self.diags.error("TARGET_INVALID", f"{e}（目標種別「{KIND_LABELS[kind]}」）", kind_cell.sheet, kind_cell.ref)
            return None

    def _values(self, indicators: dict[str, Indicator]) -> None:
        table = self._table("values", True)
        if table is None:
            return
        self.year_columns["values"] = (table.sheet, dict(table.year_columns))
        kinds = VALUE_ROW_KINDS
        seen: dict[tuple[str, str], int] = {}
        for row in table.rows:
            ind_id = self.rd.code(row["id"], required=True, what="指標ID")
            kind = self.rd.choice(row["row_kind"], kinds, required=True, what="区分")
            if not ind_id or kind is None:
                continue
            if (ind_id, kind) in seen:
                self.diags.error("DUPLICATE_ID", f"指標「{ind_id}」の「{row['row_kind'].value}」の行が重複しています（{seen[(ind_id, kind)]}行目にもあります）", table.sheet, row["id"].ref, ind_id)
                continue
            seen[(ind_id, kind)] = row.row
            ind = indicators.get(ind_id)
            if ind is None:
                self.diags.error("UNKNOWN_INDICATOR", f"指標ID「{ind_id}」は「{self.lay['indicators'].name}」シートにありません", table.sheet, row["id"].ref, ind_id)
                continue
            for fy, cell in row.years.items():
                self._at(("value", ind_id, fy, kind), cell)
                if kind == "note":
                    value: Any = self.rd.text(cell)
                elif kind == "mark":
                    value = self.rd.choice(cell, MARK_CHOICES, what=f"{ind.name}の{fy}年度の{MARK_ROW}")
                else:
                    value = self.rd.number(cell, unit=ind.unit, what=f"{ind.name}の{fy}年度{row['row_kind'].value}")
                if value is None or value == "":
                    continue
                yv = ind.values.get(fy) or YearValue()
                ind.values[fy] = yv.model_copy(update={kind: value})

    def _revisions(self, indicators: dict[str, Indicator]) -> None:
        table = self._table("revisions", False)
        for row in table.rows if table else []:
            assert table is not None  # (for mypy: the loop runs over a table's rows only)
            ind_id = self.rd.code(row["id"], required=True, what="指標ID")
            revised = self.rd.year(row["revised_fy"], required=True, what="見直し年度")
            wording = self.rd.text(row["old_wording"], required=True, what="旧目標（原文）")
            target = self._target(row["old_kind"], row["old_year"], row["old_value"], row["old_note"])
            start = self.rd.year(row["valid_from_fy"], what="適用開始年度")
            end = self.rd.year(row["valid_to_fy"], what="適用終了年度")
            if ind_id not in indicators:
                if ind_id:
                    self.diags.error("UNKNOWN_INDICATOR", f"指標ID「{ind_id}」は指標シートにありません", table.sheet, row["id"].ref, ind_id)
                continue
            if revised is None or not wording or target is None:
                continue
            indicators[ind_id].revisions.append(
                TargetRevision(revised_fy=revised, old_wording=wording, old_target=target, valid_from_fy=start, valid_to_fy=end, reason=self.rd.text(row["reason"]))
            )

    def _judgements(self, indicators: dict[str, Indicator]) -> None:
        table = self._table("judgements", False)
        for row in table.rows if table else []:
            assert table is not None  # (for mypy: the loop runs over a table's rows only)
            ind_id = self.rd.code(row["id"], required=True, what="指標ID")
            fy = self.rd.year(row["fy"], required=True, what="年度")
            if row["level"].value in (None, "") and row["reason"].value in (None, ""):
                continue  # an emptied 評価 (restored to blank, or cleared by a return) is no 評価
            level = self.rd.text(row["level"], required=True, what="評価")
            if ind_id not in indicators:
                if ind_id:
                    self.diags.error("UNKNOWN_INDICATOR", f"指標ID「{ind_id}」は指標シートにありません", table.sheet, row["id"].ref, ind_id)
                continue
            if fy is None or not level:
                continue
            if indicators[ind_id].judgement(fy) is not None:
                self.diags.error("DUPLICATE_ID", f"指標「{ind_id}」の{fy}年度の評価が2行あります", table.sheet, row["fy"].ref, fy)
                continue
            self._at(("judgement", ind_id, fy), row["level"])
            self._at(("judgement", ind_id, fy, "level"), row["level"])
            self._at(("judgement", ind_id, fy, "reason"), row["reason"])
            indicators[ind_id].judgements.append(Judgement(fy=fy, level=level, reason=self.rd.text(row["reason"])))

    def _projects(self) -> dict[str, Project]:
        table = self._table("projects", False)
        out: dict[str, Project] = {}
        for row in table.rows if table else []:
            assert table is not None  # (for mypy: the loop runs over a table's rows only)
            pid = self.rd.code(row["id"], required=True, what="プロジェクトID")
            name = self.rd.text(row["name"], required=True, what="プロジェクト名")
            cat = self.rd.code(row["category"], required=True, what="分野")
            depts = [d.strip() for d in self.rd.code(row["departments"]).replace("、", ",").split(",") if d.strip()]
            if not (pid and name and cat):
                continue
            if pid in out:
                self.diags.error("DUPLICATE_ID", f"プロジェクトID「{pid}」が重複しています", table.sheet, row["id"].ref, pid)
                continue
            for key in ("id", "category", "departments"):
                self._at(("project", pid, key), row[key])
            out[pid] = Project(id=pid, number=self.rd.text(row["number"]), name=name, category=cat, departments=depts, description=self.rd.text(row["description"]))
        self._phases(out)
        self._statuses(out)
        self._parts(out)
        return out

    def _phases(self, projects: dict[str, Project]) -> None:
        table = self._table("phases", False)
        if table is not None:
            self.year_columns["phases"] = (table.sheet, dict(table.year_columns))
        for row in table.rows if table else []:
            assert table is not None  # (for mypy: the loop runs over a table's rows only)
            pid = self.rd.code(row["id"], required=True, what="プロジェクトID")
            if pid not in projects:
                if pid:
                    self.diags.error("UNKNOWN_PROJECT", f"プロジェクトID「{pid}」は「{self.lay['projects'].name}」シートにありません", table.sheet, row["id"].ref, pid)
                continue
            phases: list[Phase] = []
            for fy in sorted(row.years):
                name = self.rd.text(row.years[fy])
                if not name:
                    continue
                last = phases[-1] if phases else None
                if name in CONTINUATION_MARKS:
                    if not last or last.end_fy != fy - 1:
                        self.diags.error("PHASE_OVERLAP", f"「{name}」は左の年度の段階が続くことを表しますが、左の年度に段階がありません", row.years[fy].sheet, row.years[fy].ref, name)
                        continue
                    name = last.name
                if last and last.name == name and last.end_fy == fy - 1:
                    phases[-1] = last.model_copy(update={"end_fy": fy})
                else:
                    phases.append(Phase(name=name, start_fy=fy, end_fy=fy))
            projects[pid].phases = phases

    def _statuses(self, projects: dict[str, Project]) -> None:
        table = self._table("project_status", False)
        for row in table.rows if table else []:
            assert table is not None  # (for mypy: the loop runs over a table's rows only)
            pid = self.rd.code(row["id"], required=True, what="プロジェクトID")
            fy = self.rd.year(row["fy"], required=True)
            status = self.rd.choice(row["status"], PROJECT_STATUSES, required=True, what="状況")
            if pid not in projects:
                if pid:
                    self.diags.error("UNKNOWN_PROJECT", f"プロジェクトID「{pid}」は「{self.lay['projects'].name}」シートにありません", table.sheet, row["id"].ref, pid)
                continue
            if fy is None or status is None:
                continue
            if projects[pid].status_in(fy):
                self.diags.error("DUPLICATE_ID", f"プロジェクト「{pid}」の{fy}年度の進捗が2行あります", table.sheet, row["fy"].ref, fy)
                continue
            self._at(("project_status", pid, fy), row["status"])
            # The field keys' cells, for messages about a closed year's status (確定値の記録).
            self._at(("project", pid, fy, "status"), row["status"])
            self._at(("project", pid, fy, "comment"), row["comment"])
            projects[pid].statuses.append(ProjectStatus(fy=fy, status=cast(ProjectStatusValue, status), comment=self.rd.text(row["comment"])))  # one of PROJECT_STATUSES

    def _parts(self, projects: dict[str, Project]) -> None:
        """The co-departments' reports; whether the department is on the project is
        checked by validation (it needs the departments sheet)."""
        table = self._table("project_parts", False)
        for row in table.rows if table else []:
            assert table is not None  # (for mypy: the loop runs over a table's rows only)
            pid = self.rd.code(row["id"], required=True, what="プロジェクトID")
            fy = self.rd.year(row["fy"], required=True)
            dept = self.rd.code(row["department"], required=True, what="所管課")
            status = self.rd.choice(row["status"], PROJECT_STATUSES, what="状況")
            comment = self.rd.text(row["comment"])
            if pid not in projects:
                if pid:
                    self.diags.error("UNKNOWN_PROJECT", f"プロジェクトID「{pid}」は「{self.lay['projects'].name}」シートにありません", table.sheet, row["id"].ref, pid)
                continue
            if fy is None or not dept or (status is None and str(row["status"].value or "").strip()):
                continue
            proj = projects[pid]
            if proj.part_in(fy, dept) or ("project_part_row", pid, fy, dept) in self.where:
                self.diags.error("DUPLICATE_ID", f"プロジェクト「{pid}」の{fy}年度の{dept}の取組が2行あります", table.sheet, row["fy"].ref, fy)
                continue
            self._at(("project_part_row", pid, fy, dept), row["department"])
            self._at(("project_part", pid, fy, dept, "status"), row["status"])
            self._at(("project_part", pid, fy, dept, "comment"), row["comment"])
            proj.part_reports = [*proj.part_reports, ProjectPartReport(fy=fy, department=dept, status=cast(ProjectStatusValue | None, status), comment=comment)]

    def _related(self) -> list[RelatedPlan]:
        table = self._table("related_plans", False)
        out: list[RelatedPlan] = []
        kinds = {label: key for key, label in RELATED_PLAN_KIND_LABELS.items()}
        for row in table.rows if table else []:
            assert table is not None  # (for mypy: the loop runs over a table's rows only)
            rid = self.rd.code(row["id"], required=True, what="ID")
            name = self.rd.text(row["name"], required=True, what="計画名")
            kind = self.rd.choice(row["kind"], kinds, required=True, what="区分")
            start = self.rd.year(row["start_fy"], what="開始年度")
            end = self.rd.year(row["end_fy"], what="終了年度")
            if not (rid and name and kind):
                continue
            if start is not None and end is not None and end < start:
                self.diags.error("YEAR_INVALID", f"終了年度（{end}年度）が開始年度（{start}年度）より前です", table.sheet, row["end_fy"].ref, row["end_fy"].value)
                continue
            self._at(("related", rid), row["id"])
            out.append(RelatedPlan(id=rid, name=name, kind=cast(RelatedPlanKind, kind), start_fy=start, end_fy=end, note=self.rd.text(row["note"])))
        return out

    def _policies(self) -> tuple[list[Any], dict[str, str]]:
        policies: list[Any] = []
        sheets: dict[str, str] = {}
        for name in self.source.sheet_names():
            grid = self.source.grid(name)
            if not is_policy_form(grid):
                continue
            policy, where = read_form(grid, self.diags)
            if policy is None:
                continue
            if policy.code in sheets:
                self.diags.error("DUPLICATE_ID", f"施策コード「{policy.code}」の評価票が2枚あります（シート「{sheets[policy.code]}」）", name, where.get("code", "A1"), policy.code)
                continue
            sheets[policy.code] = name
            if "sheet_no" not in where:
                policy.sheet_no = len(policies) + 1
            for key, ref in where.items():
                self.where[("policy", policy.code, key)] = (name, ref)
            policies.append(policy)
        return policies, sheets

    def _opinions(self, words: LocalWords) -> list[Opinion]:
        table = self._table("opinions", False)
        out = []
        subjects = {label: key for key, label in OPINION_SUBJECT_LABELS.items()}
        # The municipality's own word first (the error lists it first), then every other one typed.
        sources = {words.opinion_source(s): s for s in OPINION_SOURCES} | {f"{w}意見": RESIDENTS_OPINION for w in RESIDENT_WORDS}
        for row in table.rows if table else []:
            oid = self.rd.code(row["id"], required=True, what="意見ID")
            fy = self.rd.year(row["fy"], required=True)
            source = self.rd.choice(row["source"], sources, required=True, what="区分")
            subject = self.rd.choice(row["subject"], subjects, required=True, what="対象種別")
            text = self.rd.text(row["text"], required=True, what="意見")
            if oid and fy and source and subject and text:
                self._at(("opinion", oid, "subject_id"), row["subject_id"])
                out.append(Opinion(id=oid, fy=fy, source=cast(OpinionSource, source), subject=cast(OpinionSubject, subject), subject_id=self.rd.code(row["subject_id"]), text=text, response=self.rd.text(row["response"])))
        return out

    def _evaluation_levels(self, setting: str) -> list[EvaluationLevel]:
        """The 評価区分 sheet's rows. They are the plan's own only when 設定 says 評価区分シート;
        otherwise the sheet shows the chosen ready scheme, and rows changed there are flagged, never used silently."""
        table = self._table("evaluation_levels", False)
        rows: list[EvaluationLevel] = []
        for i, row in enumerate(table.rows if table else [], start=1):
            symbol = self.rd.text(row["symbol"], required=True, what="記号")
            label = self.rd.text(row["label"], required=True, what="区分")
            rule = self.rd.text(row["rule"], required=True, what="判定の条件")
            if symbol and label and rule:
                self._at(("evaluation_level", i, "rule"), row["rule"])
                self._at(("evaluation_level", i, "colour"), row["colour"])
                rows.append(EvaluationLevel(symbol=symbol, label=label, colour=self.rd.text(row["colour"]), rule=rule))
        if setting.strip() == CUSTOM_SCHEME:
            return rows
        try:
            shown = [EvaluationLevel(symbol=r.symbol, label=r.label, colour=r.colour, rule=r.rule) for r in scheme_rows(resolve_scheme(setting))]
        except SchemeError:
            return []  # validate explains the setting
        if table is not None and rows and rows != shown:
            self.diags.warning(
                "SCHEME_SHEET_UNUSED",
                f"評価区分シートの区分が、設定の評価区分「{setting or DEFAULT_SCHEME.name}」と違います。シートの区分を使うには、設定の評価区分を「{CUSTOM_SCHEME}」にしてください",
                table.sheet, "A1",
            )
        return []

    def _glossary(self) -> list[GlossaryEntry]:
        table = self._table("glossary", False)
        out = []
        for row in table.rows if table else []:
            term = self.rd.text(row["term"], required=True, what="用語")
            desc = self.rd.text(row["description"], required=True, what="説明")
            if term and desc:
                out.append(GlossaryEntry(term=term, description=desc))
        return out
