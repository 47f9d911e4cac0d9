"""Building the master workbook from a plan, with openpyxl.

Every sheet is meant to be read and edited by hand: Excel Tables with filters,
drop-down lists fed from the code sheets, frozen headers, 西暦 and 和暦 year
headers, print areas on A4. `master_reader.py` reads it back into the same plan.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from envplan.plan.local_words import LocalWords, local_words
from envplan.plan.model import (
    OPINION_SUBJECT_LABELS,
    RATING_LEGEND,
    RELATED_PLAN_KIND_LABELS,
    Plan,
    Policy,
)
from envplan.plan.targets import DIRECTION_LABELS, KIND_LABELS, target_note, target_value, target_year
from envplan.plan.years import wareki
from envplan.workbook import xlsx_style as st
from envplan.workbook.cells import col_letter
from envplan.workbook.layout import FIRST_DATA_ROW, HEADER_ROW, MARK_ROW, NOTE_ROW, VALUE_ROW_KINDS, SheetSpec, layout
from envplan.workbook.settings_sheet import settings_rows

LIST_SHEET = "_リスト"
CONTINUES = "→"  # in the 工程表: the phase on the left continues in this year
# How many rows drop-downs and year checks reach below the data, for rows staff add:
# a city's plan grows by hundreds of rows (300 indicators are 900 rows of 指標実績),
# and a rule over an empty range costs nothing in the file.
SPARE_ROWS = 5000
LIST_REACH = 500  # rows of 分野 / 所管課 the drop-downs offer at least

# Policy form: section headings and field labels (the reader finds them in column A).
FORM_TITLE = "施策進行管理・評価票"
FORM_WIDTH = 8  # columns A..H, A4 portrait


def build_master(plan: Plan) -> Workbook:
    wb = Workbook()
    wb.remove(wb.active)
    lay = layout()
    words = local_words(plan.municipality)
    years = plan.years()
    _guide(wb, plan)
    _lists(wb, plan)
    settings = _table(wb, lay["settings"], settings_rows(plan))
    _text_cells(settings, lay["settings"], TEXT_SETTINGS)
    _table(wb, lay["categories"], [{"code": c.code, "name": c.name} for c in plan.categories])
    _table(wb, lay["departments"], [d.model_dump() for d in plan.departments])
    _table(wb, lay["indicators"], [_indicator_row(i) for i in plan.indicators])
    _values_sheet(wb, plan, years)
    _table(wb, lay["revisions"], [_revision_row(i.id, r) for i in plan.indicators for r in i.revisions])
    _table(wb, lay["judgements"], [{"id": i.id, "fy": j.fy, "level": j.level, "reason": j.reason} for i in plan.indicators for j in i.judgements])
    _table(
        wb,
        lay["projects"],
        [
            {"id": p.id, "number": p.number, "name": p.name, "category": p.category, "departments": ",".join(p.departments), "description": p.description}
            for p in plan.projects
        ],
    )
    _phases_sheet(wb, plan, years)
    _table(
        wb,
        lay["project_status"],
        [{"id": p.id, "fy": s.fy, "status": s.status, "comment": s.comment} for p in plan.projects for s in sorted(p.statuses, key=lambda s: s.fy)],
    )
    _table(
        wb,
        lay["project_parts"],
        [
            {"id": p.id, "fy": r.fy, "department": r.department, "status": r.status, "comment": r.comment}
            for p in plan.projects
            for r in p.part_reports
        ],
    )
    _related_sheet(wb, plan, years)
    _policy_index(wb, plan)
    for policy in plan.policies:
        write_policy_form(wb, plan, policy)
    _table(
        wb,
        lay["opinions"],
        [
            {"id": o.id, "fy": o.fy, "source": words.opinion_source(o.source), "subject": OPINION_SUBJECT_LABELS[o.subject], "subject_id": o.subject_id, "text": o.text, "response": o.response}
            for o in plan.opinions
        ],
        words=words,
    )
    _table(wb, lay["glossary"], [{"term": g.term, "description": g.description} for g in plan.glossary])
    _table(wb, lay["evaluation_levels"], _evaluation_level_rows(plan))
    for key in ("validation", "attainment", "attainment_years", "attainment_summary", "ratings", "attainment_rules", "submissions", "changelog"):
        spec = lay[key]
        ws = wb.create_sheet(spec.name)
        st.write_title(ws, spec.title, "まだ実行されていません。")
    _frozen_record(wb, plan)
    wb.active = 0
    return wb


# The sheets with one column per fiscal year, and how each is written.
YEAR_SHEETS = ("values", "phases", "related_plans")


def _replace_sheet(wb: Workbook, name: str, build: Any) -> None:
    """Write a sheet again with `build(wb)`, where staff had it."""
    index = wb.sheetnames.index(name) if name in wb.sheetnames else len(wb.sheetnames)
    if name in wb.sheetnames:
        wb.remove(wb[name])
    build(wb)
    ws = wb[name]
    wb._sheets.remove(ws)
    wb._sheets.insert(index, ws)


def refresh_plan_sheets(wb: Workbook, plan: Plan, sheets: dict[str, str] | None = None) -> None:
    """The sheets made from the plan as a whole — 使い方 (its name, period, current
    year, the list of sheets) and 施策一覧 (one row per policy sheet) — written again
    whenever envplan writes the master, so that they never go stale. `sheets`:
    policy code → the name of its sheet, when staff named it themselves."""
    lay = layout()
    _replace_sheet(wb, lay["guide"].name, lambda wb: _guide(wb, plan, sheets))
    _replace_sheet(wb, lay["policies"].name, lambda wb: _policy_index(wb, plan, sheets))


def _evaluation_level_rows(plan: Plan) -> list[dict[str, Any]]:
    """The plan's own levels, or the chosen ready scheme's (so staff see how status is judged)."""
    from envplan.plan.schemes import DEFAULT_SCHEME, SchemeError, resolve_scheme, scheme_rows

    if plan.evaluation_levels:
        return [lv.model_dump() for lv in plan.evaluation_levels]
    try:
        scheme = resolve_scheme(plan.settings.evaluation_scheme)
    except SchemeError:
        scheme = DEFAULT_SCHEME
    return [{"symbol": r.symbol, "label": r.label, "colour": r.colour, "rule": r.rule} for r in scheme_rows(scheme)]


def _frozen_record(wb: Workbook, plan: Plan) -> None:
    """A plan with closed years starts with their values recorded (see frozen_record)."""
    from envplan.workbook.frozen_record import initial_table
    from envplan.workbook.xlsx_results import OpenpyxlResultSink

    table = initial_table(plan)
    if table is not None:
        OpenpyxlResultSink(wb).write_table(table)


def save_master(plan: Plan, path: str | Path) -> None:
    """Write a new master file (see master_store for updating an existing one)."""
    from envplan.workbook.store import atomic_save

    atomic_save(build_master(plan), Path(path))


# --- rows -------------------------------------------------------------------


def _indicator_row(ind: Any) -> dict[str, Any]:
    return {
        "id": ind.id,
        "category": ind.category,
        "name": ind.name,
        "unit": ind.unit,
        "direction": DIRECTION_LABELS[ind.direction],
        "baseline_fy": ind.baseline_fy,
        "baseline_value": ind.baseline_value,
        "target_wording": ind.target_wording,
        "target_kind": KIND_LABELS[ind.target.kind],
        "target_year": target_year(ind.target),
        "target_value": target_value(ind.target),
        "target_note": target_note(ind.target),
        "department": ind.department,
        "data_lag": ind.data_lag,
        "lower_bound": ind.lower_bound,
        "upper_bound": ind.upper_bound,
        "policy": ind.policy,
        "description": ind.description,
        "notes": ind.notes,
        "source": ind.source,
        "update_frequency": ind.update_frequency,
        "illustrative": "○" if ind.illustrative else None,
    }


def _revision_row(indicator_id: str, rev: Any) -> dict[str, Any]:
    return {
        "id": indicator_id,
        "revised_fy": rev.revised_fy,
        "old_wording": rev.old_wording,
        "old_kind": KIND_LABELS[rev.old_target.kind],
        "old_year": target_year(rev.old_target),
        "old_value": target_value(rev.old_target),
        "old_note": target_note(rev.old_target),
        "valid_from_fy": rev.valid_from_fy,
        "valid_to_fy": rev.valid_to_fy,
        "reason": rev.reason,
    }


# --- generic table sheet ----------------------------------------------------


# Settings whose digits are a code, not a number: formatted as text (@) so that Excel keeps the
# leading zero when staff retype one (北海道's codes begin with 0).
TEXT_SETTINGS = ("municipality_code",)


def _text_cells(ws: Worksheet, spec: SheetSpec, keys: tuple[str, ...]) -> None:
    key_col, value_col = spec.index("key"), spec.index("value")
    for r in range(HEADER_ROW + 1, ws.max_row + 1):
        if ws.cell(r, key_col).value in keys:
            ws.cell(r, value_col).number_format = "@"


def _table(
    wb: Workbook,
    spec: SheetSpec,
    rows: list[dict[str, Any]],
    *,
    years: list[int] | None = None,
    year_cells: list[dict[int, Any]] | None = None,
    landscape: bool = True,
    freeze_cols: int = 1,
    words: LocalWords | None = None,
) -> Worksheet:
    """A sheet with title, note, header (row 3) and one row per dict, as an Excel Table.
    `words`: the municipality's, for the layout's {resident} / {response} texts."""
    words = words or local_words("")
    ws = wb.create_sheet(spec.name)
    st.write_title(ws, words.fill(spec.title), words.fill(spec.note) if spec.note else spec.note)
    years = years or []
    ncols = len(spec.columns) + len(years)
    for c, col in enumerate(spec.columns, 1):
        st.style_header(ws.cell(HEADER_ROW, c, words.fill(col.header)))
        ws.column_dimensions[col_letter(c)].width = col.width
    for j, fy in enumerate(years):
        c = len(spec.columns) + 1 + j
        st.style_header(ws.cell(HEADER_ROW, c, f"{fy}年度"))
        w = ws.cell(NOTE_ROW, c, wareki(fy))
        w.font = st.NOTE_FONT
        w.alignment = st.CENTER
        ws.column_dimensions[col_letter(c)].width = spec.year_width or 10
    if years and spec.note:
        # The note row carries the 和暦 labels over the year columns; keep the note left of them.
        ws.cell(NOTE_ROW, 1).alignment = st.Alignment(wrap_text=False)
    for r, row in enumerate(rows, FIRST_DATA_ROW):
        cells = []
        for c, col in enumerate(spec.columns, 1):
            value = row.get(col.key)
            cell = ws.cell(r, c)
            cells.append(cell)
            st.set_text(cell, value)
            cell.font = st.BODY_FONT
            if col.type == "year" and isinstance(value, int):
                cell.number_format = st.YEAR_FORMAT
            elif col.type == "number":
                cell.number_format = st.INPUT_NUMBER_FORMAT
            if col.type == "text" and st.wraps_in(value, col.width):
                cell.alignment = st.WRAP
        if year_cells is not None:
            for j, fy in enumerate(years):
                value = year_cells[r - FIRST_DATA_ROW].get(fy)
                cell = ws.cell(r, len(spec.columns) + 1 + j)
                cells.append(cell)
                st.set_text(cell, value)
                cell.font = st.BODY_FONT
                if spec.year_type == "number":
                    cell.number_format = st.INPUT_NUMBER_FORMAT
        st.fit_wrapped_row(ws, cells)  # a wrapped text shows whole, on screen and on paper
    last_row = max(FIRST_DATA_ROW, FIRST_DATA_ROW + len(rows) - 1)
    st.add_table(ws, f"tbl_{spec.key}", f"A{HEADER_ROW}:{col_letter(ncols)}{last_row}")
    ws.freeze_panes = ws.cell(FIRST_DATA_ROW, freeze_cols + 1)
    _choice_validations(ws, spec, last_row, words)
    st.a4(ws, landscape=landscape)
    ws.print_area = f"A1:{col_letter(ncols)}{last_row}"
    return ws


def _choice_validations(ws: Worksheet, spec: SheetSpec, last_row: int, words: LocalWords) -> None:
    end = last_row + SPARE_ROWS
    for c, col in enumerate(spec.columns, 1):
        rng = f"{col_letter(c)}{FIRST_DATA_ROW}:{col_letter(c)}{end}"
        header = words.fill(col.header)
        if col.type == "choice" and col.list:
            # Stored without "=", as Excel writes it (Excel shows it with one in the dialog).
            dv = DataValidation(type="list", formula1=f"list_{col.list}", allow_blank=not col.required)
            dv.error = f"{header}は一覧から選んでください"
            dv.errorTitle = "入力できない値です"
            dv.prompt = f"{header}を一覧から選んでください"
            dv.showErrorMessage = True
            dv.add(rng)
            ws.add_data_validation(dv)
        elif col.type == "year":
            ws.add_data_validation(year_validation(rng))


def year_validation(rng: str) -> DataValidation:
    """A year cell accepts every form the reader understands: 2021, 令和3年度, R3,
    2021(R3)年度. Any text passes (the reader reads it and validate names what it
    cannot); a number is checked to be a 西暦 year, with a warning only — Excel's
    Stop style would refuse what the README says may be typed."""
    first = rng.split(":")[0]
    dv = DataValidation(type="custom", formula1=f"OR(ISTEXT({first}),AND(ISNUMBER({first}),{first}>=1900,{first}<=2200,{first}=INT({first})))", allow_blank=True, errorStyle="warning")
    dv.error = "年度は西暦（例: 2021）か和暦（例: 令和3年度、R3）で入力してください。このままでよければ「はい」を押してください"
    dv.errorTitle = "年度の入力"
    dv.showErrorMessage = True
    dv.add(rng)
    return dv


def _lists(wb: Workbook, plan: Plan) -> None:
    """Drop-down lists: fixed lists on a hidden sheet; codes straight from their sheets."""
    lay = layout()
    ws = wb.create_sheet(LIST_SHEET)
    ws.sheet_state = "hidden"
    fixed = dict(lay.lists)
    fixed["target_kinds"] = tuple(KIND_LABELS.values())
    words = local_words(plan.municipality)
    fixed["opinion_sources"] = tuple(words.opinion_source(s) for s in fixed["opinion_sources"])
    for c, (name, items) in enumerate(sorted(fixed.items()), 1):
        ws.cell(1, c, name)
        for r, item in enumerate(items, 2):
            ws.cell(r, c, item)
        ref = f"'{LIST_SHEET}'!${col_letter(c)}$2:${col_letter(c)}${len(items) + 1}"
        wb.defined_names[f"list_{name}"] = DefinedName(f"list_{name}", attr_text=ref)
    for key, list_name, count in (("categories", "categories", len(plan.categories)), ("departments", "departments", len(plan.departments))):
        sheet = lay[key].name
        # Every code there is and room for as many again (or 500): a drop-down lists the blanks too.
        ref = f"'{sheet}'!$A${FIRST_DATA_ROW}:$A${FIRST_DATA_ROW + max(2 * count, LIST_REACH)}"
        wb.defined_names[f"list_{list_name}"] = DefinedName(f"list_{list_name}", attr_text=ref)


# --- sheets with one column per fiscal year ---------------------------------


def _values_sheet(wb: Workbook, plan: Plan, years: list[int]) -> None:
    lay = layout()
    spec = lay["values"]
    ind_sheet = lay["indicators"].name
    name_col = col_letter(lay["indicators"].index("name"))
    unit_col = col_letter(lay["indicators"].index("unit"))
    rows: list[dict[str, Any]] = []
    cells: list[dict[int, Any]] = []
    for ind in plan.indicators:
        for kind in VALUE_ROW_KINDS:
            r = FIRST_DATA_ROW + len(rows)
            rows.append(
                {
                    "id": ind.id,
                    "name": f"=IFERROR(INDEX('{ind_sheet}'!${name_col}:${name_col},MATCH($A{r},'{ind_sheet}'!$A:$A,0)),\"\")",
                    "unit": f"=IFERROR(INDEX('{ind_sheet}'!${unit_col}:${unit_col},MATCH($A{r},'{ind_sheet}'!$A:$A,0)),\"\")",
                    "row_kind": kind,
                }
            )
            field = VALUE_ROW_KINDS[kind]
            cells.append({fy: (getattr(v, field) if field != "note" else (v.note or None)) for fy, v in ind.values.items()})
    ws = _table(wb, spec, rows, years=years, year_cells=cells, freeze_cols=4)
    if years and rows:
        # 速報・確定 cells: a drop-down of the two marks (blank is a final figure).
        first, last = col_letter(len(spec.columns) + 1), col_letter(len(spec.columns) + len(years))
        dv = DataValidation(type="list", formula1="list_value_marks", allow_blank=True)
        dv.errorTitle = "入力できない値です"
        dv.error = "実績値が速報値なら「速報」、確定値なら「確定」（または空欄）を選んでください"
        dv.prompt = "実績値が速報値なら「速報」を選んでください（空欄は確定値）"
        dv.showErrorMessage = True
        for r, row in enumerate(rows, FIRST_DATA_ROW):
            if row["row_kind"] == MARK_ROW:
                dv.add(f"{first}{r}:{last}{r}")
        ws.add_data_validation(dv)
    # Formulas are written as formulas (set_text keeps '=' text only for plain strings).
    for r, row in enumerate(rows, FIRST_DATA_ROW):
        ws.cell(r, 2).value = row["name"]
        ws.cell(r, 3).value = row["unit"]
        if row["row_kind"] == "実績値":
            for c in range(1, len(spec.columns) + len(years) + 1):
                ws.cell(r, c).border = st.Border(bottom=st.Side(style="hair", color="BFBFBF"))
        if row["row_kind"] == MARK_ROW:
            for c in range(len(spec.columns) + 1, len(spec.columns) + len(years) + 1):
                ws.cell(r, c).alignment = st.CENTER
                ws.cell(r, c).number_format = "General"
        if row["row_kind"] == "備考":
            for c in range(len(spec.columns) + 1, len(spec.columns) + len(years) + 1):
                ws.cell(r, c).alignment = st.WRAP


def _phases_sheet(wb: Workbook, plan: Plan, years: list[int]) -> None:
    lay = layout()
    spec = lay["phases"]
    proj_sheet = lay["projects"].name
    name_col = col_letter(lay["projects"].index("name"))
    rows, cells = [], []
    for i, p in enumerate(plan.projects):
        r = FIRST_DATA_ROW + i
        rows.append({"id": p.id, "name": f"=IFERROR(INDEX('{proj_sheet}'!${name_col}:${name_col},MATCH($A{r},'{proj_sheet}'!$A:$A,0)),\"\")"})
        # The phase name in its first year, "→" in the years it continues: reads like the roadmap.
        cells.append({fy: (ph.name if fy == ph.start_fy else CONTINUES) for ph in p.phases for fy in range(ph.start_fy, ph.end_fy + 1)})
    ws = _table(wb, spec, rows, years=years, year_cells=cells, freeze_cols=2)
    for r, row in enumerate(rows, FIRST_DATA_ROW):
        ws.cell(r, 2).value = row["name"]
        ws.row_dimensions[r].height = 36
        ws.cell(r, 1).alignment = ws.cell(r, 2).alignment = st.Alignment(vertical="center", wrap_text=True)
        for c in range(3, 3 + len(years)):
            cell = ws.cell(r, c)
            cell.alignment = st.Alignment(horizontal="left" if cell.value != CONTINUES else "center", vertical="center", wrap_text=False)
            if cell.value:
                cell.fill = st.LABEL_FILL


def related_grid_years(plan: Plan, years: list[int]) -> list[int]:
    """The years of 関連計画's grid: from the earliest related plan's start to the last year."""
    return list(range(min(years + [rp.start_fy for rp in plan.related_plans if rp.start_fy]), max(years) + 1))


def related_grid_formula(row: int, col: int, start: str, end: str, kind: str) -> str:
    """■ (◆ for a milestone) in a year of the related plan's period; `start`, `end`,
    `kind`: the letters of its 開始年度, 終了年度 and 区分 columns."""
    y = f"VALUE(LEFT({col_letter(col)}${HEADER_ROW},4))"
    milestone = RELATED_PLAN_KIND_LABELS["milestone"]
    return (
        f'=IFERROR(IF(AND(${start}{row}<>"",{y}>=${start}{row},OR(${end}{row}="",{y}<=${end}{row})),'
        f'IF(${kind}{row}="{milestone}","◆","■"),""),"")'
    )


GRID_FONT = st.Font(name=st.FONT_NAME, size=10, color="2F5496")


def _related_sheet(wb: Workbook, plan: Plan, years: list[int]) -> None:
    spec = layout()["related_plans"]
    grid_years = related_grid_years(plan, years)
    rows = [
        {"id": rp.id, "kind": RELATED_PLAN_KIND_LABELS[rp.kind], "name": rp.name, "start_fy": rp.start_fy, "end_fy": rp.end_fy, "note": rp.note}
        for rp in plan.related_plans
    ]
    ws = _table(wb, spec, rows, years=grid_years, year_cells=[{} for _ in rows], freeze_cols=3)
    n = len(spec.columns)
    start, end, kind = (col_letter(spec.index(k)) for k in ("start_fy", "end_fy", "kind"))
    for r in range(FIRST_DATA_ROW, FIRST_DATA_ROW + len(rows)):
        for j in range(len(grid_years)):
            c = n + 1 + j
            cell = ws.cell(r, c)
            cell.value = related_grid_formula(r, c, start, end, kind)
            cell.alignment = st.CENTER
            cell.font = GRID_FONT


def _policy_index(wb: Workbook, plan: Plan, sheets: dict[str, str] | None = None) -> None:
    lay = layout()
    sheets = sheets or {}
    rows = [
        {
            "code": p.code,
            "sheet": sheets.get(p.code) or lay.policy_sheet_name(p.code),
            "title": p.title,
            "evaluation_fy": p.evaluation_fy,
            "department": p.department,
            "self_rating": p.self_rating or "",
            "indicators": "、".join(p.reference_indicators),
        }
        for p in plan.policies
    ]
    ws = _table(wb, lay["policies"], rows)
    for r, row in enumerate(rows, FIRST_DATA_ROW):
        cell = ws.cell(r, 2)
        st.internal_link(cell, f"'{row['sheet']}'!A1")


def _guide(wb: Workbook, plan: Plan, sheets: dict[str, str] | None = None) -> None:
    from envplan.workbook.guide_text import guide_lines, guide_title

    lay = layout()
    ws = wb.create_sheet(lay["guide"].name)
    st.write_title(ws, guide_title(plan))
    ws.column_dimensions["A"].width = 24
    ws.column_dimensions["B"].width = 100
    r = 3
    for kind, a, b in guide_lines(plan, sheets):
        if kind == "section":
            ws.cell(r, 1, a).font = st.SECTION_FONT
        elif kind == "link":
            cell = ws.cell(r, 1, a)
            st.internal_link(cell, f"'{a}'!A1")
            st.set_text(ws.cell(r, 2, b), b)
        else:
            ws.cell(r, 1, a).font = st.LABEL_FONT
            st.set_text(ws.cell(r, 2), b)
            ws.cell(r, 2).alignment = st.WRAP
        r += 1
    st.a4(ws, landscape=False, title_rows=None)


# --- policy evaluation form -------------------------------------------------


def write_policy_form(wb: Workbook, plan: Plan, policy: Policy) -> Worksheet:
    """One sheet per policy, laid out like the Kawasaki 施策進行管理・評価票."""
    from envplan.workbook import policy_form as pf

    lay = layout()
    ws = wb.create_sheet(lay.policy_sheet_name(policy.code))
    for c, w in enumerate((22, 12, 12, 12, 12, 12, 12, 12), 1):
        ws.column_dimensions[col_letter(c)].width = w
    ws.cell(1, 1, f"{FORM_TITLE}({policy.sheet_no})").font = st.TITLE_FONT
    ws.cell(1, 7, pf.EVALUATION_FY).font = st.LABEL_FONT
    fy_cell = ws.cell(1, 8, policy.evaluation_fy)
    fy_cell.number_format = st.YEAR_FORMAT
    fy_cell.fill = st.INPUT_FILL
    writer = pf.FormWriter(ws, start_row=3)
    pf.write_form(writer, plan, policy)
    ws.freeze_panes = "A2"
    st.a4(ws, landscape=False, title_rows="1:1")
    ws.print_area = f"A1:H{writer.row}"
    ws.sheet_view.showGridLines = False
    _form_validations(ws, writer)
    return ws


def _form_validations(ws: Worksheet, writer: Any) -> None:
    for ref, list_name in writer.choice_cells:
        dv = DataValidation(type="list", formula1=f"list_{list_name}", allow_blank=True)
        dv.add(ref)
        ws.add_data_validation(dv)


__all__ = ["build_master", "save_master", "write_policy_form", "RATING_LEGEND"]
