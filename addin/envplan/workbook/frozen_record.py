"""The record of closed-year (確定済み) values, kept in the master so that an
edit made outside envplan is noticed.

Opening a year freezes the finished year's figures, and envplan changes them
only with an explicit flag, in the change log. Staff can still type over them
in Excel. So the master keeps one row per frozen field on a very hidden sheet
(確定値の記録): its field key, year, label and value as envplan last wrote it,
blanks included (typing into an empty closed cell is an edit too). `validate`
compares every recorded field with the master (FROZEN_EDITED, an error: compute,
publish, issue and consolidate refuse a master with errors); `envplan year
accept-frozen-edits` logs an intended edit and records it, `envplan year
restore-frozen` writes the recorded value back (in Excel: the ribbon's 確定値 button).

Values rather than digests: the message shows the recorded value and the
restore writes it back. A very hidden sheet rather than a visible or locked
one: Excel's 再表示 does not offer it, so nobody edits it by accident.

The record follows every write envplan makes through `changes.resolve_edits`:
a changed recorded field takes its new value, a field that became frozen (the
year opened, an indicator added) is recorded with its value, and a master made
before this record existed gets it on its first such write (validate warns until then).
Values are compared as the reader normalises them (numbers to a relative 1e-9,
text stripped, a date with or without its midnight), so a LibreOffice or Excel
round trip of the master is not an edit.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from envplan.plan.diagnostics import DiagnosticList
from envplan.plan.model import BUDGET_KINDS, Plan
from envplan.rules.freeze_rules import budget_frozen, value_frozen, year_frozen
from envplan.workbook.fields import FieldChange, FieldKey, decode_key, encode_key, now_text, plan_value
from envplan.workbook.io import ResultTable, WorkbookSource
from envplan.workbook.layout import layout
from envplan.workbook.reader import MasterReading
from envplan.workbook.sheet_tables import read_table
from envplan.workbook.xlsx_style import YEAR_FORMAT

SETTING_KEY: FieldKey = ("setting", "frozen_through_fy")
_WHAT = {
    "value": {"actual": "実績値", "plan": "計画値", "mark": "速報・確定", "note": "備考"},
    "project": {"status": "状況", "comment": "コメント"},
    "project_part": {"status": "状況", "comment": "取組の状況"},
    "rating": {"rating": "評価区分", "reason": "評価の理由"},
    "judgement": {"level": "所管課の評価", "reason": "評価の理由"},
}
_KIND_ORDER = {"setting": 0, "value": 1, "judgement": 2, "project": 3, "project_part": 4, "rating": 5, "budget": 6}
_KEY_LENGTH = {"project_part": 5}  # others: 4 (the setting key excepted)


@dataclass(frozen=True)
class Recorded:
    key: FieldKey
    value: Any  # None for a blank field
    label: str
    at: str


@dataclass
class FrozenRecord:
    rows: dict[FieldKey, Recorded]


@dataclass(frozen=True)
class FrozenEdit:
    """A recorded field whose value in the master is not the recorded one."""

    key: FieldKey
    label: str
    fy: int | None
    recorded: Any
    current: Any
    sheet: str
    cell: str

    @property
    def location(self) -> str:
        return f"{self.sheet}!{self.cell}" if self.cell else self.sheet

    def to_json(self) -> dict[str, Any]:
        return {
            "sheet": self.sheet,
            "cell": self.cell,
            "field_key": encode_key(self.key),
            "label": self.label,
            "fy": self.fy,
            "recorded": self.recorded,
            "current": self.current,
        }


# --- which fields are frozen ------------------------------------------------------------


def frozen_fields(plan: Plan) -> list[FieldKey]:
    """Every field of a closed year (blank ones included), by the same rules as consolidation."""
    through = plan.frozen_through_fy
    if through is None:
        return []
    first = _first_year(plan)
    keys: list[FieldKey] = [SETTING_KEY]
    for ind in plan.indicators:
        for fy in range(first, through + 1):
            if value_frozen(plan, ind, fy):
                keys += [("value", ind.id, fy, what) for what in ("plan", "actual", "mark", "note")]
                keys += [("judgement", ind.id, fy, what) for what in ("level", "reason")]  # judged on that figure
    for proj in plan.projects:
        for fy in range(first, through + 1):
            if year_frozen(plan, fy):
                keys += [("project", proj.id, fy, "status"), ("project", proj.id, fy, "comment")]
                keys += [("project_part", proj.id, fy, d, what) for d in proj.co_departments() for what in ("status", "comment")]
    for pol in plan.policies:
        for fy in range(first, through + 1):
            if year_frozen(plan, fy):
                keys += [("rating", pol.code, fy, "rating"), ("rating", pol.code, fy, "reason")]
            keys += [("budget", pol.code, fy, kind) for kind in BUDGET_KINDS if budget_frozen(plan, fy, kind)]
    return keys


def _first_year(plan: Plan) -> int:
    years = [plan.start_fy, *plan.years()]
    years += [s.fy for p in plan.projects for s in p.statuses]
    years += [j.fy for i in plan.indicators for j in i.judgements]
    years += [r.fy for p in plan.policies for r in p.ratings] + [b.fy for p in plan.policies for b in p.budget]
    return min(years)


def _fy(key: FieldKey) -> int | None:
    return key[2] if key[0] in ("value", "judgement", "project", "project_part", "rating", "budget") and isinstance(key[2], int) else None


def _numeric(key: FieldKey) -> bool:
    return key[0] in ("budget", "setting") or (key[0] == "value" and key[3] not in ("note", "mark"))


def subject_exists(plan: Plan, key: FieldKey) -> bool:
    """The indicator, project or policy a field belongs to is still in the plan."""
    kind = key[0]
    if kind in ("value", "judgement"):
        return plan.indicator(key[1]) is not None
    if kind in ("project", "project_part"):
        return any(p.id == key[1] for p in plan.projects)
    if kind in ("rating", "budget"):
        return plan.policy(key[1]) is not None
    return kind == "setting"


def field_label(plan: Plan, key: FieldKey, fallback: str = "") -> str:
    kind = key[0]
    if kind == "setting":
        return "確定済みの年度（この年度まで）"
    if kind == "value":
        ind = plan.indicator(key[1])
        return f"{key[1]} {ind.name} {key[2]}年度の{_WHAT['value'][key[3]]}" if ind else fallback or str(key)
    if kind == "judgement":
        ind = plan.indicator(key[1])
        return f"{key[1]} {ind.name} {key[2]}年度の{_WHAT['judgement'][key[3]]}" if ind else fallback or str(key)
    if kind == "project":
        proj = next((p for p in plan.projects if p.id == key[1]), None)
        return f"{key[1]} {proj.name} {key[2]}年度の{_WHAT['project'][key[3]]}" if proj else fallback or str(key)
    if kind == "project_part":
        proj = next((p for p in plan.projects if p.id == key[1]), None)
        dept = plan.department(key[3])
        return f"{key[1]} {proj.name} {key[2]}年度の{dept.name if dept else key[3]}の{_WHAT['project_part'][key[4]]}" if proj else fallback or str(key)
    if kind == "rating":
        return f"施策{key[1]} {key[2]}年度の{_WHAT['rating'][key[3]]}"
    if kind == "budget":
        return f"施策{key[1]} {key[2]}年度の事業費（{key[3]}）"
    return fallback or str(key)


def owner_of(plan: Plan, key: FieldKey) -> str:
    """The department the field belongs to (for the change log)."""
    if key[0] in ("value", "judgement"):
        ind = plan.indicator(key[1])
        return ind.department if ind else ""
    if key[0] == "project":
        proj = next((p for p in plan.projects if p.id == key[1]), None)
        return proj.departments[0] if proj and proj.departments else ""
    if key[0] == "project_part":
        return str(key[3])
    if key[0] in ("rating", "budget"):
        pol = plan.policy(key[1])
        return pol.department if pol else ""
    return ""


# --- comparing values -------------------------------------------------------------------

_MIDNIGHT = re.compile(r"^(\d{4}-\d{2}-\d{2})[T ]00:00:00$")


def _canon(key: FieldKey, value: Any) -> Any:
    """A value as the reader would normalise it: None for blank, floats for numbers, stripped text."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if _numeric(key):
        if isinstance(value, bool):
            return str(value)
        if isinstance(value, (int, float)):
            return float(value)
        try:
            return float(str(value).replace(",", ""))
        except ValueError:
            return str(value).strip()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if hasattr(value, "isoformat"):
        value = value.isoformat()
    text = str(value).replace("\r\n", "\n").strip()
    m = _MIDNIGHT.match(text)
    return m.group(1) if m else text


def same_value(key: FieldKey, a: Any, b: Any) -> bool:
    a, b = _canon(key, a), _canon(key, b)
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    return a == b


def show(value: Any, unit: str = "") -> str:
    """A value in a message: 1,324千t-CO2, 「予定どおり」, （空欄）."""
    if value is None or value == "":
        return "（空欄）"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        number = f"{int(value):,}" if float(value).is_integer() else f"{value:,.12g}"
        return number + unit
    return f"「{value}」"


def _as_found(value: Any) -> str:
    """The current value as a Diagnostic's `value` (what was found, as text)."""
    if value is None:
        return ""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else f"{value:.12g}"
    return str(value)


# --- reading the record and finding edits -------------------------------------------------


def read_record(source: WorkbookSource, diags: DiagnosticList) -> FrozenRecord | None:
    """The record on its sheet; None when the master has none (made before it existed)."""
    spec = layout()["frozen_record"]
    if spec.name not in source.sheet_names():
        return None
    grid = source.grid(spec.name)
    found = DiagnosticList()
    table = read_table(grid, spec, found)
    broken = "シートを削除すると次に envplan がマスターを書き込むときに今の値で記録し直します。それより前の変更を確かめるには、バックアップフォルダのマスターと比べてください"
    if table is None:
        diags.error("FROZEN_RECORD_BROKEN", f"「{spec.name}」シートを読めません（{'; '.join(d.message for d in found.errors)}）。{broken}", spec.name, "A1")
        return FrozenRecord({})
    rows: dict[FieldKey, Recorded] = {}
    for row in table.rows:
        cell = row["field_key"]
        try:
            key = decode_key(str(cell.value))
            if key[0] not in _KIND_ORDER or (key != SETTING_KEY and len(key) != _KEY_LENGTH.get(key[0], 4)):
                raise ValueError(key)
        except ValueError:
            diags.error("FROZEN_RECORD_BROKEN", f"「{spec.name}」シートの項目キー「{cell.value}」を読めません。{broken}", spec.name, cell.ref, cell.value)
            continue
        value = _canon(key, row["value"].value)
        rows.setdefault(key, Recorded(key, value, str(row["item"].value or ""), str(row["recorded_at"].value or "")))
    return FrozenRecord(rows)


def locate(reading: MasterReading, key: FieldKey) -> tuple[str, str]:
    """The master cell that holds a field (sheet only when the row or column is gone)."""
    lay = layout()
    kind = key[0]
    where = reading.where
    if kind == "setting":
        return where.get(key, (lay["settings"].name, ""))
    if kind == "value":
        return where.get(key, (lay["values"].name, ""))
    if kind == "project":
        return where.get(key, (lay["project_status"].name, ""))
    if kind == "project_part":
        return where.get(key, (lay["project_parts"].name, ""))
    if kind == "judgement":
        return where.get(key, (lay["judgements"].name, ""))
    code = key[1]
    sheet = reading.policy_sheets.get(code, lay.policy_sheet_name(code))
    attr = (f"rating:{key[2]}" if key[3] == "rating" else f"rating_reason:{key[2]}") if kind == "rating" else f"budget:{key[2]}:{key[3]}"
    return where.get(("policy", code, attr), (sheet, ""))


def find_edits(plan: Plan, reading: MasterReading, record: FrozenRecord) -> list[FrozenEdit]:
    edits = []
    for rec in record.rows.values():
        key = rec.key
        current = plan_value(plan, key)
        if key == SETTING_KEY:
            # Closing more years is not an edit of a closed value; reopening one is.
            if isinstance(current, (int, float)) and isinstance(rec.value, float) and current >= rec.value:
                continue
        elif same_value(key, rec.value, current):
            continue
        sheet, cell = locate(reading, key)
        edits.append(FrozenEdit(key, field_label(plan, key, rec.label), _fy(key), rec.value, current, sheet, cell))
    return sorted(edits, key=lambda e: _order(e.key))


def _order(key: FieldKey) -> tuple[Any, ...]:
    return (_KIND_ORDER.get(key[0], 9), *(str(k) if not isinstance(k, int) else f"{k:06d}" for k in key[1:]))


def check_frozen(source: WorkbookSource, reading: MasterReading) -> tuple[FrozenRecord | None, DiagnosticList]:
    """validate's part: every frozen value changed outside envplan is an error."""
    diags = DiagnosticList()
    plan = reading.plan
    if plan is None:
        return None, diags
    record = read_record(source, diags)
    if record is None:
        if plan.frozen_through_fy is not None:
            sheet, cell = reading.where.get(SETTING_KEY, (layout()["settings"].name, ""))
            diags.warning(
                "FROZEN_RECORD_MISSING",
                f"確定済みの年度（{plan.frozen_through_fy}年度まで）の値の記録がまだありません（記録を始める前に作られたマスターです）。"
                "いまは Excel で直接変えられた確定済みの値を検出できません。次に envplan がマスターに書き込むとき（取込・年度更新・修正）に"
                "その時点の値を記録し、それ以降の変更を検出します",
                sheet,
                cell,
            )
        return None, diags
    for e in find_edits(plan, reading, record):
        diags.error("FROZEN_EDITED", edit_message(plan, e), e.sheet, e.cell, _as_found(e.current))
    return record, diags


# What to do about an edit, for staff in Excel (the ribbon's 確定値 button) and on the command line.
EDIT_TODO = (
    "意図した修正なら、リボンの「確定値」ボタン（理由を入力して「はい」。コマンドでは envplan year accept-frozen-edits --reason 理由）で"
    "変更履歴に残し、誤りなら同じボタンの「いいえ」（envplan year restore-frozen）で記録の値に戻してください"
)


def edit_values(plan: Plan, e: FrozenEdit) -> str:
    """記録 1,324千t-CO2 → 現在 1,350千t-CO2 (the 確定済みの年度 setting as 2022年度まで)."""
    if e.key == SETTING_KEY:
        def year(v: Any) -> str:
            return f"{int(v)}年度まで" if isinstance(v, (int, float)) else show(v)

        return f"記録 {year(e.recorded)} → 現在 {year(e.current)}"
    ind = plan.indicator(e.key[1]) if e.key[0] == "value" else None
    unit = ind.unit if ind and e.key[3] != "note" else ""
    return f"記録 {show(e.recorded, unit)} → 現在 {show(e.current, unit)}"


def edit_message(plan: Plan, e: FrozenEdit) -> str:
    if e.key == SETTING_KEY:
        def year(v: Any) -> str:
            return f"{int(v)}年度まで" if isinstance(v, (int, float)) else "空欄" if v is None else f"「{v}」"

        return (
            f"確定済みの年度が、記録（{year(e.recorded)}）から{year(e.current)}に戻されています。"
            f"確定済みの年度は年度更新（envplan year open）でだけ進みます。{EDIT_TODO}"
        )
    return f"{e.label}（確定済み）が envplan を通さずに変更されています: {edit_values(plan, e)}。{EDIT_TODO}"


# --- keeping the record up to date ------------------------------------------------------------


def updated_record(record: FrozenRecord | None, plan_after: Plan, changes: Sequence[FieldChange], at: str) -> FrozenRecord | None:
    """The record after `changes`: changed fields take their new value, fields
    that became frozen are added with their value; an edit not made through
    envplan keeps its recorded value (it stays reported). None when unchanged."""
    old = record.rows if record is not None else {}
    changed = {ch.key for ch in changes}
    rows: dict[FieldKey, Recorded] = {}
    for key, rec in old.items():
        if key in changed:
            value = _canon(key, plan_value(plan_after, key))
            rows[key] = rec if same_value(key, rec.value, value) else Recorded(key, value, field_label(plan_after, key, rec.label), at)
        elif rec.value is not None or subject_exists(plan_after, key):
            rows[key] = rec
    for key in frozen_fields(plan_after):
        if key not in rows:
            rows[key] = Recorded(key, _canon(key, plan_value(plan_after, key)), field_label(plan_after, key), at)
    if not rows:
        return None
    if record is not None and rows.keys() == old.keys() and all(rows[k] is old[k] for k in rows):
        return None
    return FrozenRecord(rows)


def record_table(record: FrozenRecord) -> ResultTable:
    spec = layout()["frozen_record"]
    ordered = sorted(record.rows.values(), key=lambda r: _order(r.key))
    return ResultTable(
        sheet=spec.name,
        title=spec.title,
        note=spec.note,
        header=[c.header for c in spec.columns],
        rows=[[encode_key(r.key), _fy(r.key), r.label, r.value, r.at] for r in ordered],
        widths=[c.width for c in spec.columns],
        number_formats={1: YEAR_FORMAT},
        hidden=True,
    )


def record_edit(record: FrozenRecord | None, changes: Sequence[FieldChange], plan_after: Plan, at: str | None = None) -> ResultTable | None:
    """The record sheet to write with these changes, or None when it stays as it is."""
    new = updated_record(record, plan_after, changes, at or now_text())
    return record_table(new) if new is not None else None


def initial_table(plan: Plan, at: str | None = None) -> ResultTable | None:
    """The record of a master written from a model (envplan init) whose plan has closed years."""
    new = updated_record(None, plan, [], at or now_text())
    return record_table(new) if new is not None else None


__all__ = [
    "FrozenEdit",
    "FrozenRecord",
    "Recorded",
    "check_frozen",
    "edit_message",
    "edit_values",
    "field_label",
    "find_edits",
    "frozen_fields",
    "initial_table",
    "owner_of",
    "read_record",
    "record_edit",
    "record_table",
    "same_value",
    "show",
    "subject_exists",
    "updated_record",
]
