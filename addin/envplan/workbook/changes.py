"""Changes to the master, planned purely and applied through a small sink.

A `FieldChange` says which field of the plan changes (a field key, see
`template_layout.py`), from what to what, and where the new value came from.
`MasterState` is what a run needs to know about the master (the plan, where
each field sits, the submissions and change log so far), read from any
`WorkbookSource`. `resolve_edits` turns changes into `MasterEdits`: cell writes,
rows appended to a table, a year column added, a policy form rewritten, result
tables written. `apply_edits` plays them into a `MasterEditSink`: the file door
(`xlsx_master_edits.OpenpyxlMasterSink`) or the live workbook in Excel.

Consolidation, opening the next year, target revisions and corrections all
produce changes, so all of them are applied and logged the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol, TypeVar

from envplan.plan.diagnostics import Diagnostic, DiagnosticList
from envplan.plan.model import BudgetLine, Judgement, Plan, Policy, ProjectPartReport, ProjectStatus, Rating, TargetRevision, YearValue
from envplan.plan.targets import KIND_BY_LABEL, KIND_LABELS, build_target, target_note, target_value, target_year
from envplan.plan.years import fy_short
from envplan.workbook.cells import cell_ref
from envplan.workbook.fields import ChangeOrigin, FieldChange, FieldKey, encode_key, indicator_field, plan_value
from envplan.workbook.frozen_record import FrozenRecord, record_edit
from envplan.workbook.io import ResultSink, ResultTable, WorkbookSource
from envplan.workbook.layout import HEADER_ROW, MARK_ROW, layout
from envplan.workbook.reader import MasterReading, Where
from envplan.workbook.settings_sheet import SETTING_ROWS
from envplan.workbook.sheet_tables import Table, read_table
from envplan.workbook.validation import validate_source
from envplan.workbook.xlsx_style import INPUT_NUMBER_FORMAT, YEAR_FORMAT

# Kinds of change, as the change log names them.
KIND_IMPORT = "取込"
KIND_IMPORT_FROZEN = "取込（確定年度）"
KIND_YEAR_OPEN = "年度更新"
KIND_REVISION = "目標見直し"
KIND_CORRECTION = "修正"
KIND_CORRECTION_FROZEN = "確定年度の修正"
KIND_PERIOD = "計画期間の変更"
KIND_FROZEN_RESTORE = "確定値の復元"  # an edit made outside envplan undone (envplan year restore-frozen)
KIND_POLICY_ADD = "評価票の追加"  # envplan add policy

BLANK = "（空欄）"


class MasterStateError(RuntimeError):
    """The master cannot be used as it is (errors, a sheet that cannot be read)."""

    def __init__(self, message: str, diagnostics: list[Diagnostic] | None = None) -> None:
        super().__init__(message)
        self.diagnostics = diagnostics or []


# --- edits and the sink -----------------------------------------------------------


@dataclass(frozen=True)
class CellWrite:
    sheet: str
    ref: str
    value: Any
    number_format: str = ""


@dataclass
class RowAppend:
    """Rows added below the last row of the table on `sheet`."""

    sheet: str
    rows: list[list[Any]]
    links: dict[tuple[int, int], str] = field(default_factory=dict)  # (row index, col index) → "Sheet!A1"
    number_formats: dict[int, str] = field(default_factory=dict)


@dataclass
class MasterEdits:
    year_columns: list[tuple[str, int]] = field(default_factory=list)  # (sheet, fy), added at the right
    cells: list[CellWrite] = field(default_factory=list)
    appends: list[RowAppend] = field(default_factory=list)
    policy_forms: list[str] = field(default_factory=list)  # codes whose form sheet is rewritten from `plan`
    tables: list[ResultTable] = field(default_factory=list)  # result sheets written whole
    plan: Plan | None = None  # the plan after the changes

    @property
    def empty(self) -> bool:
        return not (self.year_columns or self.cells or self.appends or self.policy_forms or self.tables)


class MasterEditSink(ResultSink, Protocol):
    """What a door implements to apply edits to the master (file or live book)."""

    def write_cells(self, writes: Sequence[CellWrite]) -> None: ...

    def append_rows(self, append: RowAppend) -> None: ...

    def add_year_column(self, sheet: str, fy: int) -> None: ...

    def rewrite_policy_form(self, plan: Plan, policy: Policy, sheet: str) -> None: ...


def apply_edits(edits: MasterEdits, sink: MasterEditSink, policy_sheets: dict[str, str] | None = None) -> None:
    for sheet, fy in edits.year_columns:
        sink.add_year_column(sheet, fy)
    if edits.cells:
        sink.write_cells(edits.cells)
    for append in edits.appends:
        sink.append_rows(append)
    if edits.policy_forms:
        assert edits.plan is not None, "policy forms are rewritten from the plan after the changes"
        for code in edits.policy_forms:
            policy = edits.plan.policy(code)
            assert policy is not None
            sheet = (policy_sheets or {}).get(code) or layout().policy_sheet_name(code)
            sink.rewrite_policy_form(edits.plan, policy, sheet)
    for table in edits.tables:
        sink.write_table(table)


# --- what a run knows about the master ---------------------------------------------


@dataclass
class MasterState:
    reading: MasterReading
    plan: Plan
    warnings: list[Diagnostic]
    departments: dict[str, dict[str, str]]  # code → column key → cell
    project_rows: dict[tuple[str, int], dict[str, str]]  # (project, fy) → column key → cell
    project_columns: dict[str, int]
    project_last_row: int  # last non-blank row of the project status table (appends go below)
    revision_columns: dict[str, int]
    value_years: set[int]
    submissions: list[dict[str, Any]]  # rows of the submissions sheet, by column key
    changelog_started: bool
    last_change: dict[str, tuple[str, Any]]  # field key text → (department, new value as logged) of its latest change
    frozen_record: FrozenRecord | None = None  # the closed-year record of the master, None when it has none
    # The co-departments' reports (関係課の取組): (project, fy, department) → column key → cell.
    part_rows: dict[tuple[str, int, str], dict[str, str]] = field(default_factory=dict)
    part_columns: dict[str, int] = field(default_factory=dict)  # the layout's order when the sheet is missing
    part_last_row: int = HEADER_ROW
    part_sheet: bool = False  # False: a master made before the sheet existed; the first report creates it
    # The sections' own 評価 of indicators (指標の評価): (indicator, fy) → column key → cell.
    judgement_rows: dict[tuple[str, int], dict[str, str]] = field(default_factory=dict)
    judgement_columns: dict[str, int] = field(default_factory=dict)
    judgement_last_row: int = HEADER_ROW
    judgement_sheet: bool = False
    # 指標実績's columns (key → column, fiscal year → column) and last row: a 速報・確定 mark for an
    # indicator without that row (a master made before marks existed) appends the row.
    value_columns: dict[str, int] = field(default_factory=dict)
    value_year_columns: dict[int, int] = field(default_factory=dict)
    value_last_row: int = HEADER_ROW

    @property
    def where(self) -> Where:
        return self.reading.where


K = TypeVar("K")


def _cells_by_year(table: Table | None, key: Callable[[Any, int], K]) -> dict[K, dict[str, str]]:
    """The cell references of each row of a per-year table (a row without a year is not one of them)."""
    out: dict[K, dict[str, str]] = {}
    for row in table.rows if table else []:
        fy = row["fy"].value
        if isinstance(fy, (int, float)):
            out[key(row, int(fy))] = {k: c.ref for k, c in row.cells.items()}
    return out


def load_master_state(source: WorkbookSource, *, tolerate: Sequence[str] = ()) -> MasterState:
    """Read and validate the master; refuses a master with errors (except those
    with a code in `tolerate`: the run that resolves them, like FROZEN_EDITED)."""
    result = validate_source(source)
    errors = [d for d in result.diagnostics.errors if d.code not in tolerate]
    if result.plan is None or errors:
        raise MasterStateError(
            f"マスター {source.label} にエラーが {len(errors)} 件あります。envplan validate で確認して直してから実行してください", errors
        )
    lay = layout()
    names = set(source.sheet_names())
    diags = DiagnosticList()

    def table(key: str) -> Table | None:
        spec = lay[key]
        return read_table(source.grid(spec.name), spec, diags) if spec.name in names else None

    depts = table("departments")
    departments = {}
    for row in depts.rows if depts else []:
        code = str(row["code"].value or "").strip()
        departments[code] = {k: c.ref for k, c in row.cells.items()}
    statuses = table("project_status")
    project_rows: dict[tuple[str, int], dict[str, str]] = _cells_by_year(statuses, lambda row, fy: (str(row["id"].value).strip(), fy))
    parts = table("project_parts")
    part_rows: dict[tuple[str, int, str], dict[str, str]] = _cells_by_year(parts, lambda row, fy: (str(row["id"].value).strip(), fy, str(row["department"].value or "").strip()))
    part_spec = lay["project_parts"]
    judged = table("judgements")
    judgement_rows: dict[tuple[str, int], dict[str, str]] = _cells_by_year(judged, lambda row, fy: (str(row["id"].value).strip(), fy))
    revisions = table("revisions")
    values = table("values")
    submissions = _result_rows(source, "submissions", names)
    log_rows = _result_rows(source, "changelog", names)
    last_change: dict[str, tuple[str, Any]] = {}
    for logged in log_rows:
        if logged.get("field_key"):
            last_change[str(logged["field_key"])] = (str(logged.get("department") or ""), logged.get("new"))
    return MasterState(
        reading=result.reading,
        plan=result.plan,
        warnings=result.diagnostics.warnings,
        departments=departments,
        project_rows=project_rows,
        project_columns=statuses.columns if statuses else {},
        project_last_row=max((r.row for r in statuses.rows), default=statuses.header_row) if statuses else HEADER_ROW,
        revision_columns=revisions.columns if revisions else {},
        value_years=set(values.year_columns) if values else set(),
        submissions=submissions,
        changelog_started=_has_header(source, "changelog", names),
        last_change=last_change,
        frozen_record=result.frozen_record,
        part_rows=part_rows,
        part_columns=parts.columns if parts else {c.key: i for i, c in enumerate(part_spec.columns, 1)},
        part_last_row=max((r.row for r in parts.rows), default=parts.header_row) if parts else HEADER_ROW,
        part_sheet=parts is not None,
        judgement_rows=judgement_rows,
        judgement_columns=judged.columns if judged else {c.key: i for i, c in enumerate(lay["judgements"].columns, 1)},
        judgement_last_row=max((r.row for r in judged.rows), default=judged.header_row) if judged else HEADER_ROW,
        judgement_sheet=judged is not None,
        value_columns=values.columns if values else {},
        value_year_columns=dict(values.year_columns) if values else {},
        value_last_row=max((r.row for r in values.rows), default=values.header_row) if values else HEADER_ROW,
    )


def _has_header(source: WorkbookSource, key: str, names: set[str]) -> bool:
    spec = layout()[key]
    if spec.name not in names:
        return False
    grid = source.grid(spec.name)
    first = spec.columns[0].header
    return any(str(grid.value(HEADER_ROW, c) or "").strip() == first for c in range(1, grid.max_col + 1))


# Columns added to a result sheet after masters were in use (a master without them still reads).
LATER_COLUMNS: dict[str, set[str]] = {"submissions": {"applied_file", "applied_sha256"}}


def _result_rows(source: WorkbookSource, key: str, names: set[str]) -> list[dict[str, Any]]:
    """Rows kept on a result sheet we maintain (submissions, change log).
    A sheet that has content but no header is refused: rewriting it would lose history."""
    spec = layout()[key]
    if spec.name not in names:
        return []
    grid = source.grid(spec.name)
    if not _has_header(source, key, names):
        if grid.max_row > 2 and any(not grid.row_is_blank(r) for r in range(3, grid.max_row + 1)):
            raise MasterStateError(f"「{spec.name}」シートの見出し（3行目）が見つかりません。シートを元に戻してから実行してください（記録を失わないため処理を止めました）")
        return []
    diags = DiagnosticList()
    table = read_table(grid, spec, diags)
    if table is None and LATER_COLUMNS.get(key):
        # A master written before these columns existed: read it without them.
        diags = DiagnosticList()
        table = read_table(grid, replace(spec, columns=tuple(c for c in spec.columns if c.key not in LATER_COLUMNS[key])), diags)
    if table is None:
        raise MasterStateError(f"「{spec.name}」シートを読めません: {'; '.join(d.message for d in diags.errors)}")
    return [{k: _plain(row[k].value) for k in table.columns} for row in table.rows]


def _plain(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


# --- fields of the plan ------------------------------------------------------------


def apply_to_plan(plan: Plan, changes: Sequence[FieldChange], *, copy: bool = True) -> Plan:
    """A copy of the plan with the changes made (the model the master will hold).
    `copy=False`: made in `plan` itself (a caller's own throw-away copy)."""
    out = plan.model_copy(deep=True) if copy else plan
    targets: dict[str, dict[str, Any]] = {}
    for ch in changes:
        key, new = ch.key, ch.new
        kind = key[0]
        if kind == "value":
            _, ind_id, fy, what = key
            ind = out.indicator(ind_id)
            assert ind is not None
            yv = (ind.values.get(fy) or YearValue()).model_copy(update={what: new if new is not None or what != "note" else ""})
            if yv.is_empty():
                ind.values.pop(fy, None)
            else:
                ind.values[fy] = yv
        elif kind == "project":
            _, pid, fy, what = key
            proj = next(p for p in out.projects if p.id == pid)
            cur = proj.status_in(fy)
            if cur is None:
                if what == "status" and new is not None:
                    proj.statuses = sorted([*proj.statuses, ProjectStatus(fy=fy, status=new)], key=lambda s: s.fy)
                elif what == "comment" and new:
                    raise ValueError(f"project {pid} {fy}: a comment without a status")
            else:
                i = proj.statuses.index(cur)
                statuses = list(proj.statuses)
                statuses[i] = cur.model_copy(update={what: new if new is not None else ("" if what == "comment" else cur.status)})
                proj.statuses = statuses
        elif kind == "project_part":
            _, pid, fy, dept, what = key
            proj = next(p for p in out.projects if p.id == pid)
            part = proj.part_in(fy, dept) or ProjectPartReport(fy=fy, department=dept)
            part = part.model_copy(update={what: new if new is not None or what == "status" else ""})
            others = [r for r in proj.part_reports if not (r.fy == fy and r.department == dept)]
            proj.part_reports = [*others, part]  # the model orders them and drops an emptied one
        elif kind == "judgement":
            _, ind_id, fy, what = key
            ind = out.indicator(ind_id)
            assert ind is not None
            judged = ind.judgement(fy)
            kept = [j for j in ind.judgements if j.fy != fy]
            if judged is None:
                if new is not None:  # the level, or a reason whose level follows in the same changes
                    kept.append(Judgement(fy=fy, level=new if what == "level" else "", reason=new if what == "reason" else ""))
            elif not (what == "level" and new is None):  # no level: the year's 評価 is removed
                kept.append(judged.model_copy(update={what: new if new is not None else ""}))
            ind.judgements = sorted(kept, key=lambda j: j.fy)
        elif kind == "policy":
            _, code, attr = key
            pol = out.policy(code)
            assert pol is not None
            setattr(pol, attr, new if new is not None or attr == "evaluation_fy" else "")
        elif kind == "rating":
            _, code, fy, what = key
            pol = out.policy(code)
            assert pol is not None
            rating_now = pol.rating_in(fy)
            ratings = [r for r in pol.ratings if r.fy != fy]
            if rating_now is None:
                if what == "rating" and new is not None:
                    ratings.append(Rating(fy=fy, rating=new))
            elif what == "rating" and new is None:
                pass  # the rating of that year is removed
            else:
                ratings.append(rating_now.model_copy(update={what: new if new is not None else ""}))
            pol.ratings = sorted(ratings, key=lambda r: r.fy)
        elif kind == "budget":
            _, code, fy, budget_kind = key
            pol = out.policy(code)
            assert pol is not None
            lines = [b for b in pol.budget if not (b.fy == fy and b.kind == budget_kind)]
            if new is not None:
                lines.append(BudgetLine(fy=fy, kind=budget_kind, amount=new))
            pol.budget = sorted(lines, key=lambda b: (b.fy, _BUDGET_ORDER.get(b.kind, 9)))
        elif kind == "department":
            _, code, attr = key
            d = out.department(code)
            assert d is not None
            setattr(d, attr, new or "")
        elif kind == "setting":
            s = next(s for s in SETTING_ROWS if s.key == key[1])
            setattr(out if s.on_plan else out.settings, s.key, new)
        elif kind == "indicator":
            _, ind_id, attr = key
            if attr.startswith("target_") and attr != "target_wording":
                targets.setdefault(ind_id, {})[attr] = new
            else:
                ind = out.indicator(ind_id)
                assert ind is not None
                setattr(ind, attr, new)
        elif kind == "revision":
            ind = out.indicator(key[1])
            assert ind is not None and isinstance(new, TargetRevision)
            ind.revisions = [*ind.revisions, new]
        else:
            raise ValueError(f"unknown field key {key!r}")
    for ind_id, fields in targets.items():
        ind = out.indicator(ind_id)
        assert ind is not None
        now = {a: indicator_field(ind, a) for a in ("target_kind", "target_year", "target_value", "target_note")}
        now.update(fields)
        ind.target = build_target(KIND_BY_LABEL[now["target_kind"]], year=now["target_year"], value=now["target_value"], note=now["target_note"] or "")
    return out


_BUDGET_ORDER = {"予算": 0, "決算": 1, "計画事業費": 2, "決算見込": 3}


# --- from changes to edits ------------------------------------------------------------


class UnplaceableChange(Exception):
    """The master has no cell for a change (a missing row or year column)."""


def resolve_edits(state: MasterState, changes: Sequence[FieldChange], plan_after: Plan) -> MasterEdits:
    """Where each change goes in the master. Raises UnplaceableChange (with a
    Japanese message) when the master has no place for one; check with
    `place_of` beforehand to report it against the change's origin."""
    lay = layout()
    edits = MasterEdits(plan=plan_after)
    new_projects: dict[tuple[str, int], dict[str, Any]] = {k: {} for k in new_project_rows(state, changes)}
    new_parts: dict[tuple[str, int, str], dict[str, Any]] = {k: {} for k in new_part_rows(state, changes)}
    new_judgements: dict[tuple[str, int], dict[str, Any]] = {k: {} for k in new_judgement_rows(state, changes)}
    revisions: list[tuple[str, TargetRevision]] = []
    new_marks = new_mark_rows(state, changes)
    mark_cells: dict[str, dict[int, Any]] = {ind_id: {} for ind_id in new_marks}
    for ch in changes:
        kind = ch.key[0]
        if kind == "value" and ch.key[1] in new_marks and ch.key[3] == "mark":
            mark_cells[ch.key[1]][ch.key[2]] = ch.new
        elif kind in ("policy", "rating", "budget"):
            if ch.key[1] not in edits.policy_forms:
                edits.policy_forms.append(ch.key[1])
        elif kind == "project" and (ch.key[1], ch.key[2]) not in state.project_rows:
            new_projects.setdefault((ch.key[1], ch.key[2]), {})[ch.key[3]] = ch.new
        elif kind == "project_part" and ch.key[1:4] not in state.part_rows:
            new_parts[ch.key[1:4]][ch.key[4]] = ch.new
        elif kind == "judgement" and ch.key[1:3] not in state.judgement_rows:
            new_judgements[ch.key[1:3]][ch.key[3]] = ch.new
        elif kind == "revision":
            revisions.append((ch.key[1], ch.new))
        else:
            sheet, ref = place_of(state, ch.key)
            edits.cells.append(CellWrite(sheet, ref, cell_value(ch.key, ch.new), _format_of(ch.key)))
    if new_projects:
        cols = state.project_columns
        if not cols:
            raise UnplaceableChange(f"マスターに「{lay['project_status'].name}」シートがありません")
        rows = []
        for (pid, fy), fields in new_projects.items():
            rows.append(_row(cols, {"id": pid, "fy": fy, "status": fields.get("status"), "comment": fields.get("comment")}))
        edits.appends.append(RowAppend(lay["project_status"].name, rows, number_formats={cols["fy"] - 1: YEAR_FORMAT}))
    if new_parts:
        _append_parts(edits, state, new_parts)
    if new_judgements:
        spec, cols = lay["judgements"], state.judgement_columns
        rows = [_row(cols, {"id": i, "fy": fy, "level": f.get("level"), "reason": f.get("reason")}) for (i, fy), f in new_judgements.items()]
        added = rows_for_sheet(spec, rows, exists=state.judgement_sheet, number_formats={cols["fy"] - 1: YEAR_FORMAT})
        (edits.appends if isinstance(added, RowAppend) else edits.tables).append(added)  # type: ignore[arg-type]
    if mark_cells:
        width = max([*state.value_columns.values(), *state.value_year_columns.values()])
        rows = []
        for ind_id, years in mark_cells.items():
            row = _row(state.value_columns, {"id": ind_id, "row_kind": MARK_ROW})
            row += [None] * (width - len(row))
            for fy, mark in years.items():
                row[state.value_year_columns[fy] - 1] = mark
            rows.append(row)
        edits.appends.append(RowAppend(lay["values"].name, rows))
    if revisions:
        cols = state.revision_columns
        if not cols:
            raise UnplaceableChange(f"マスターに「{lay['revisions'].name}」シートがありません")
        rows = []
        for ind_id, rev in revisions:
            rows.append(
                _row(
                    cols,
                    {
                        "id": ind_id,
                        "revised_fy": rev.revised_fy,
                        "old_wording": rev.old_wording,
                        "old_kind": KIND_LABELS[rev.old_target.kind],
                        "old_year": target_year(rev.old_target),
                        "old_value": target_value(rev.old_target),
                        "old_note": target_note(rev.old_target) or None,
                        "valid_from_fy": rev.valid_from_fy,
                        "valid_to_fy": rev.valid_to_fy,
                        "reason": rev.reason or None,
                    },
                )
            )
        formats = {cols[k] - 1: YEAR_FORMAT for k in ("revised_fy", "old_year", "valid_from_fy", "valid_to_fy") if k in cols}
        edits.appends.append(RowAppend(lay["revisions"].name, rows, number_formats=formats))
    record = record_edit(state.frozen_record, changes, plan_after)  # closed-year values follow every write envplan makes
    if record is not None:
        edits.tables.append(record)
    return edits


def _append_parts(edits: MasterEdits, state: MasterState, new_parts: dict[tuple[str, int, str], dict[str, Any]]) -> None:
    """Rows for co-department reports the master has no row for; a master made before
    the 関係課の取組 sheet existed gets the sheet, rows included."""
    spec = layout()["project_parts"]
    cols = state.part_columns
    rows = [_row(cols, {"id": pid, "fy": fy, "department": dept, "status": f.get("status"), "comment": f.get("comment")}) for (pid, fy, dept), f in new_parts.items()]
    added = rows_for_sheet(spec, rows, exists=state.part_sheet, number_formats={cols["fy"] - 1: YEAR_FORMAT})
    if isinstance(added, RowAppend):
        edits.appends.append(added)
    else:
        edits.tables.append(added)


def _row(cols: dict[str, int], values: dict[str, Any]) -> list[Any]:
    row: list[Any] = [None] * max(cols.values())
    for k, v in values.items():
        if k in cols:
            row[cols[k] - 1] = v
    return row


def place_of(state: MasterState, key: FieldKey) -> tuple[str, str]:
    """The master cell of a field key that is written in place."""
    lay = layout()
    kind = key[0]
    if kind == "value":
        _, ind_id, fy, what = key
        at = state.where.get(("value", ind_id, fy, what))
        if at is None:
            row_name = {"actual": "実績値", "plan": "計画値", "mark": MARK_ROW, "note": "備考"}[what]
            if fy not in state.value_years:
                raise UnplaceableChange(f"マスターの「{lay['values'].name}」シートに{fy_short(fy)}の列がありません（envplan year open で年度を開いてください）")
            raise UnplaceableChange(f"マスターの「{lay['values'].name}」シートに指標「{ind_id}」の「{row_name}」の行がありません")
        return at
    if kind == "project":
        _, pid, fy, what = key
        row = state.project_rows.get((pid, fy))
        if row is None or what not in row:
            raise UnplaceableChange(f"プロジェクト「{pid}」の{fy_short(fy)}の行がありません")
        return lay["project_status"].name, row[what]
    if kind == "project_part":
        row = state.part_rows.get(key[1:4])
        if row is None or key[4] not in row:
            raise UnplaceableChange(f"プロジェクト「{key[1]}」の{fy_short(key[2])}の{key[3]}の取組の行がありません")
        return lay["project_parts"].name, row[key[4]]
    if kind == "judgement":
        row = state.judgement_rows.get(key[1:3])
        if row is None or key[3] not in row:
            raise UnplaceableChange(f"指標「{key[1]}」の{fy_short(key[2])}の評価の行がありません")
        return lay["judgements"].name, row[key[3]]
    if kind == "department":
        _, code, attr = key
        row = state.departments.get(code)
        if row is None or attr not in row:
            raise UnplaceableChange(f"マスターの「{lay['departments'].name}」シートに所管課「{code}」の「{attr}」の欄がありません")
        return lay["departments"].name, row[attr]
    if kind == "setting":
        at = state.where.get(("setting", key[1]))
        if at is None:
            raise UnplaceableChange(f"マスターの「{lay['settings'].name}」シートに項目キー「{key[1]}」の行がありません")
        return at
    if kind == "indicator":
        at = state.where.get(("indicator", key[1], key[2]))
        if at is None:
            raise UnplaceableChange(f"マスターの「{lay['indicators'].name}」シートに指標「{key[1]}」の「{key[2]}」の欄がありません")
        return at
    if kind in ("policy", "rating", "budget"):
        code = key[1]
        sheet = state.reading.policy_sheets.get(code, lay.policy_sheet_name(code))
        attr = key[2] if kind == "policy" else ""
        return sheet, state.where.get(("policy", code, attr), (sheet, ""))[1] if attr else ""
    raise UnplaceableChange(f"項目 {key!r} の場所がわかりません")


def new_mark_rows(state: MasterState, changes: Sequence[FieldChange]) -> dict[str, int]:
    """Indicators whose 速報・確定 row the master lacks (made before marks existed), by the
    row each takes at the end of 指標実績, in change order."""
    out: dict[str, int] = {}
    for ch in changes:
        if ch.key[0] == "value" and ch.key[3] == "mark" and ch.key not in state.where and _mark_row_missing(state, ch.key) and ch.key[1] not in out:
            out[ch.key[1]] = state.value_last_row + 1 + len(out)
    return out


def _mark_row_missing(state: MasterState, key: FieldKey) -> bool:
    """For a mark key not in `where`: the indicator has no 速報・確定 row, and one can be appended.
    (The reader places every year cell of a row it reads, so a key missing for a year that has a
    column means the row is missing.)"""
    fy = key[2]
    return fy in state.value_year_columns and "id" in state.value_columns and "row_kind" in state.value_columns


def check_placeable(state: MasterState, key: FieldKey) -> str | None:
    """None when the master has a place for the field; else why not (Japanese)."""
    try:
        if key[0] == "value" and key[3] == "mark" and key not in state.where and _mark_row_missing(state, key):
            return None  # the indicator's 速報・確定 row is appended
        if key[0] == "project" and (key[1], key[2]) not in state.project_rows:
            return None if state.project_columns else f"マスターに「{layout()['project_status'].name}」シートがありません"
        if key[0] == "revision":
            return None if state.revision_columns else f"マスターに「{layout()['revisions'].name}」シートがありません"
        if key[0] == "project_part" and key[1:4] not in state.part_rows:
            return None  # a row is appended (the sheet created when missing)
        if key[0] == "judgement" and key[1:3] not in state.judgement_rows:
            return None
        place_of(state, key)
        return None
    except UnplaceableChange as e:
        return str(e)


def cell_value(key: FieldKey, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer() and key[0] in ("setting",):
        return int(value)
    return value


def _format_of(key: FieldKey) -> str:
    if key[0] == "value" and key[3] not in ("note", "mark"):
        return INPUT_NUMBER_FORMAT
    if key[0] == "setting" and key[1] in ("start_fy", "end_fy", "current_fy", "frozen_through_fy"):
        return YEAR_FORMAT
    if key[0] == "indicator" and key[2] == "target_year":
        return YEAR_FORMAT
    return ""


# --- the change log -------------------------------------------------------------------


def display(value: Any) -> Any:
    """A value as the change log shows it: numbers stay numbers."""
    if value is None or value == "":
        return BLANK
    if isinstance(value, TargetRevision):
        return value.old_wording
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def same_as_logged(logged: Any, value: Any) -> bool:
    """Whether a value equals what the change log recorded for it (as `display` wrote it)."""
    shown = display(value)
    if isinstance(shown, (int, float)) and isinstance(logged, (int, float)):
        return abs(float(shown) - float(logged)) <= 1e-9 * max(1.0, abs(float(shown)))
    return str(shown) == str(logged)


def changelog_rows(state: MasterState, changes: Sequence[FieldChange]) -> tuple[list[list[Any]], dict[tuple[int, int], str]]:
    spec = layout()["changelog"]
    keys = [c.key for c in spec.columns]
    rows: list[list[Any]] = []
    links: dict[tuple[int, int], str] = {}
    appended = new_project_rows(state, changes)
    appended_parts = new_part_rows(state, changes)
    appended_judgements = new_judgement_rows(state, changes)
    appended_marks = new_mark_rows(state, changes)
    # A provisional figure restated by its final one: its actual's row says so (the mark's row follows).
    restated = {(ch.key[1], ch.key[2]) for ch in changes if ch.key[0] == "value" and ch.key[3] == "mark" and ch.old == "速報" and ch.new != "速報"}
    for i, ch in enumerate(changes):
        if ch.key[0] == "project" and (ch.key[1], ch.key[2]) in appended:
            col = state.project_columns.get(ch.key[3])
            sheet, ref = _sheet_of(ch.key), (cell_ref(appended[(ch.key[1], ch.key[2])], col) if col else "")
        elif ch.key[0] == "value" and ch.key[3] == "mark" and ch.key[1] in appended_marks:
            col = state.value_year_columns.get(ch.key[2])
            sheet, ref = _sheet_of(ch.key), (cell_ref(appended_marks[ch.key[1]], col) if col else "")
        elif ch.key[0] == "project_part" and ch.key[1:4] in appended_parts:
            col = state.part_columns.get(ch.key[4])
            sheet, ref = _sheet_of(ch.key), (cell_ref(appended_parts[ch.key[1:4]], col) if col else "")
        elif ch.key[0] == "judgement" and ch.key[1:3] in appended_judgements:
            col = state.judgement_columns.get(ch.key[3])
            sheet, ref = _sheet_of(ch.key), (cell_ref(appended_judgements[ch.key[1:3]], col) if col else "")
        else:
            try:
                sheet, ref = place_of(state, ch.key) if ch.key[0] != "revision" else (_sheet_of(ch.key), "")
            except UnplaceableChange:
                sheet, ref = _sheet_of(ch.key), ""
        fy = _fy_of(ch.key)
        values = {
            "at": ch.origin.at,
            "kind": ch.origin.kind,
            "fy": fy,
            "department": ch.origin.department,
            "item": ch.label + ("（速報値を確定値に改定）" if ch.key[0] == "value" and ch.key[3] == "actual" and (ch.key[1], ch.key[2]) in restated else "")
            + (f"（{ch.origin.note}）" if ch.origin.note else ""),
            "sheet": sheet,
            "cell": ref,
            "old": display(ch.old),
            "new": display(ch.new),
            "file": ch.origin.file,
            "sha256": ch.origin.sha256,
            "source_cell": ch.origin.cell,
            "field_key": encode_key(ch.key),
        }
        rows.append([values[k] for k in keys])
        # A link on an empty cell would show the link itself: link the sheet name then.
        if sheet:
            links[(i, keys.index("cell" if ref else "sheet"))] = f"'{sheet}'!{ref or 'A1'}"
    return rows, links


def changelog_edit(state: MasterState, changes: Sequence[FieldChange]) -> RowAppend | ResultTable | None:
    if not changes:
        return None
    spec = layout()["changelog"]
    rows, links = changelog_rows(state, changes)
    return rows_for_sheet(spec, rows, exists=state.changelog_started, links=links, number_formats={2: YEAR_FORMAT})


def changelog_note_row(origin: ChangeOrigin, item: str, sheet: str, old: Any, new: Any, *, fy: int | None = None, cell: str = "", key: str = "") -> list[Any]:
    """A change-log row for a change to the master that is no field of the plan
    (year columns added or deleted), in the columns of 変更履歴."""
    values = {
        "at": origin.at,
        "kind": origin.kind,
        "fy": fy,
        "department": origin.department,
        "item": item,
        "sheet": sheet,
        "cell": cell,
        "old": display(old),
        "new": display(new),
        "file": origin.file,
        "sha256": origin.sha256,
        "source_cell": origin.cell,
        "field_key": key,
    }
    return [values[c.key] for c in layout()["changelog"].columns]


def rows_for_sheet(spec: Any, rows: list[list[Any]], *, exists: bool, links: dict[tuple[int, int], str] | None = None, number_formats: dict[int, str] | None = None) -> RowAppend | ResultTable:
    """Rows for a log-like table sheet of the layout: appended below its table when the
    master has the sheet, else the sheet made with them (a master older than the sheet)."""
    if exists:
        return RowAppend(spec.name, rows, links or {}, number_formats or {})
    return ResultTable(
        sheet=spec.name,
        title=spec.title,
        note=spec.note,
        header=[c.header for c in spec.columns],
        rows=rows,
        widths=[c.width for c in spec.columns],
        links=links or {},
        number_formats=number_formats or {},
    )


def new_project_rows(state: MasterState, changes: Sequence[FieldChange]) -> dict[tuple[str, int], int]:
    """Rows that project statuses not yet in the master will take, in change order
    (the same order `resolve_edits` appends them in)."""
    out: dict[tuple[str, int], int] = {}
    for ch in changes:
        if ch.key[0] == "project" and (ch.key[1], ch.key[2]) not in state.project_rows and (ch.key[1], ch.key[2]) not in out:
            out[(ch.key[1], ch.key[2])] = state.project_last_row + 1 + len(out)
    return out


def new_part_rows(state: MasterState, changes: Sequence[FieldChange]) -> dict[tuple[str, int, str], int]:
    """Rows that co-department reports not yet in the master will take, in change order."""
    out: dict[tuple[str, int, str], int] = {}
    for ch in changes:
        if ch.key[0] == "project_part" and ch.key[1:4] not in state.part_rows and ch.key[1:4] not in out:
            out[ch.key[1:4]] = state.part_last_row + 1 + len(out)
    return out


def new_judgement_rows(state: MasterState, changes: Sequence[FieldChange]) -> dict[tuple[str, int], int]:
    """Rows that sections' 評価 not yet in the master will take, in change order."""
    out: dict[tuple[str, int], int] = {}
    for ch in changes:
        if ch.key[0] == "judgement" and ch.key[1:3] not in state.judgement_rows and ch.key[1:3] not in out:
            out[ch.key[1:3]] = state.judgement_last_row + 1 + len(out)
    return out


def _sheet_of(key: FieldKey) -> str:
    lay = layout()
    return {
        "value": lay["values"].name,
        "project": lay["project_status"].name,
        "project_part": lay["project_parts"].name,
        "judgement": lay["judgements"].name,
        "department": lay["departments"].name,
        "setting": lay["settings"].name,
        "indicator": lay["indicators"].name,
        "revision": lay["revisions"].name,
    }.get(key[0], lay.policy_sheet_name(str(key[1])) if key[0] in ("policy", "rating", "budget") else "")


def _fy_of(key: FieldKey) -> int | None:
    if key[0] in ("value", "project", "project_part", "rating", "budget", "judgement") and isinstance(key[2], int):
        return key[2]
    if key[0] == "revision" and len(key) > 2 and isinstance(key[2], int):
        return key[2]
    return None


__all__ = [
    "ChangeOrigin",
    "FieldChange",
    "CellWrite",
    "RowAppend",
    "MasterEdits",
    "MasterEditSink",
    "MasterState",
    "MasterStateError",
    "UnplaceableChange",
    "apply_edits",
    "apply_to_plan",
    "changelog_edit",
    "check_placeable",
    "load_master_state",
    "plan_value",
    "resolve_edits",
]
