"""The policy evaluation form sheet (施策進行管理・評価票), written and read.

The form is laid out like Kawasaki's: sections headed <基本情報>, <成果の説明>…
in column A, one field per row (label in A, value in B:H). The reader finds
sections and labels by their text, so staff may insert rows or lengthen lists.
Reference indicator figures on the form are formulas onto 指標実績: the
indicator sheets stay the one place where figures are edited.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any, cast

from openpyxl.worksheet.worksheet import Worksheet

from envplan.plan.diagnostics import DiagnosticList
from envplan.plan.model import BUDGET_KINDS, RATING_LEGEND, RATINGS, BudgetKind, BudgetLine, GlossaryEntry, Plan, Policy, Rating, RatingValue, SubProject
from envplan.workbook import xlsx_style as st
from envplan.workbook.cells import Cell, CellReader, cell_ref, col_letter
from envplan.workbook.io import SheetGrid
from envplan.workbook.layout import layout

EVALUATION_FY = "評価年度"
LEGEND_LABEL = "評価区分の凡例"
CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩"

S_BASIC = "<基本情報>"
S_PLAN = "施策の概要及び施策の目標"
S_RESULTS = "<成果の説明>"
S_RATINGS = "<評価結果及びその評価区分とした理由>"
S_DIRECTION = "<今後の取組や方向性及び改善に向けた考え方>"
S_INDICATORS = "<参考指標>"
S_BUDGET = "<事業費>"
S_SUB = "<配下の事務事業一覧>"
S_GLOSSARY = "<用語説明>"

# (label in column A, Policy field, kind)
BASIC_FIELDS = (
    ("施策課題番号", "code", "code"),
    ("施策課題", "title", "text"),
    ("作成課", "department", "department"),
    ("基本政策", "basic_policy", "text"),
    ("政策の基本方向", "policy_direction", "text"),
    ("基本施策", "basic_measure", "text"),
    ("関係課", "related_departments", "text"),
    ("重点", "priority", "text"),
)
PLAN_FIELDS = (
    ("計画期間の名称", "period_name", "text"),
    ("計画期間（開始年度）", "period_start_fy", "year"),
    ("計画期間（終了年度）", "period_end_fy", "year"),
    ("当該施策によって解決すべき課題", "issues", "long"),
    ("施策の概要", "overview", "long"),
    ("施策の目標", "goals", "long"),
)
RESULT_FIELDS = (
    ("解決すべき課題に対する当該年度の成果", "results", "long"),
    ("残された課題、新たな課題、社会環境の変化等", "remaining_issues", "long"),
)
DIRECTION_FIELDS = (("方向性の開始年度", "direction_from_fy", "year"),)
DIRECTION_TEXT_SUFFIX = "以降の方向性"
DIRECTION_TEXT_LABEL = "今後の方向性"
BUDGET_FIELDS = (("単位", "budget_unit", "text"), ("区分名", "budget_label", "text"))


def _heading_plan(policy: Policy) -> str:
    period = ""
    if policy.period_start_fy or policy.period_end_fy:
        period = f"({_short_range(policy.period_start_fy, policy.period_end_fy)}年度)"
    return f"<{policy.period_name}{period}における{S_PLAN}>"


def _short_range(a: int | None, b: int | None) -> str:
    from envplan.plan.years import era_of_fy

    def one(y: int | None) -> str:
        return "" if y is None else f"{y}({era_of_fy(y).short})"

    return f"{one(a)}〜{one(b)}"


# --- writing ------------------------------------------------------------------


class Formula(str):
    """A formula of ours; any other text starting with '=' is written as text."""


@dataclass
class FormWriter:
    ws: Worksheet
    start_row: int
    row: int = 0
    choice_cells: list[tuple[str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.row = self.start_row

    def heading(self, text: str) -> None:
        self.row += 1 if self.row > self.start_row else 0
        c = self.ws.cell(self.row, 1, text)
        c.font = st.SECTION_FONT
        self.row += 1

    def field(self, label: str, value: Any, *, kind: str = "text", choice: str = "") -> None:
        ws, r = self.ws, self.row
        st.styled(ws.cell(r, 1, label), font=st.LABEL_FONT, fill=st.LABEL_FILL, alignment=st.WRAP, border=st.BOX)
        ws.merge_cells(start_row=r, start_column=2, end_row=r, end_column=8)
        cell = ws.cell(r, 2)
        st.set_text(cell, value)
        st.styled(cell, font=st.BODY_FONT, alignment=st.WRAP)
        for c in range(2, 9):
            st.styled(ws.cell(r, c), border=st.BOX)
        if kind == "year" and isinstance(value, int):
            cell.number_format = st.YEAR_FORMAT
        if choice:
            self.choice_cells.append((cell_ref(r, 2), choice))
        ws.row_dimensions[r].height = _height(value, 84)
        self.row += 1

    def header(self, cells: list[tuple[int, int, str]]) -> None:
        """cells: (first col, last col, text); spans are merged."""
        for a, b, text in cells:
            if b > a:
                self.ws.merge_cells(start_row=self.row, start_column=a, end_row=self.row, end_column=b)
            st.style_header(self.ws.cell(self.row, a, text))
            for c in range(a, b + 1):
                st.styled(self.ws.cell(self.row, c), border=st.BOX)
        self.row += 1

    def cells(self, cells: list[tuple[int, int, Any]], *, fmt: str = "", height_chars: int = 0, choice: dict[int, str] | None = None) -> None:
        tallest = 15.0
        for a, b, value in cells:
            if b > a:
                self.ws.merge_cells(start_row=self.row, start_column=a, end_row=self.row, end_column=b)
            cell = self.ws.cell(self.row, a)
            if isinstance(value, Formula):
                cell.value = str(value)
            else:
                st.set_text(cell, value)
            st.styled(cell, font=st.BODY_FONT, alignment=st.WRAP)
            if fmt and a > 1:
                cell.number_format = fmt
            for c in range(a, b + 1):
                st.styled(self.ws.cell(self.row, c), border=st.BOX)
            if choice and a in choice:
                self.choice_cells.append((cell_ref(self.row, a), choice[a]))
            if isinstance(value, str) and not isinstance(value, Formula):
                tallest = max(tallest, _height(value, (b - a + 1) * 12))
        self.ws.row_dimensions[self.row].height = tallest
        self.row += 1


def _height(value: Any, width_units: float) -> float:
    return st.wrapped_height(value, width_units, empty=18.0, padding=4.0)


def write_form(w: FormWriter, plan: Plan, policy: Policy) -> None:
    w.heading(S_BASIC)
    for label, attr, kind in BASIC_FIELDS:
        w.field(label, getattr(policy, attr), choice="departments" if kind == "department" else "")
    w.heading(_heading_plan(policy))
    for label, attr, kind in PLAN_FIELDS:
        w.field(label, getattr(policy, attr), kind=kind)
    w.heading(S_RESULTS)
    for label, attr, kind in RESULT_FIELDS:
        w.field(label, getattr(policy, attr), kind=kind)

    w.heading(S_RATINGS)
    w.header([(1, 1, "年度"), (2, 2, "評価区分"), (3, 8, "評価区分とした理由")])
    for r in sorted(policy.ratings, key=lambda r: r.fy):
        w.cells([(1, 1, r.fy), (2, 2, r.rating), (3, 8, r.reason)], fmt=st.YEAR_FORMAT, choice={2: "ratings"})
        w.ws.cell(w.row - 1, 1).number_format = st.YEAR_FORMAT
    w.field(LEGEND_LABEL, RATING_LEGEND)

    w.heading(S_DIRECTION)
    for label, attr, kind in DIRECTION_FIELDS:
        w.field(label, getattr(policy, attr), kind=kind)
    dir_label = f"{policy.direction_from_fy}年度{DIRECTION_TEXT_SUFFIX}" if policy.direction_from_fy else DIRECTION_TEXT_LABEL
    w.field(dir_label, policy.future_direction)

    _indicator_section(w, plan, policy)

    w.heading(S_BUDGET)
    for label, attr, _kind in BUDGET_FIELDS:
        w.field(label, getattr(policy, attr))
    w.header([(1, 1, "年度"), (2, 3, "区分"), (4, 5, "金額")])
    for b in policy.budget:
        w.cells([(1, 1, b.fy), (2, 3, b.kind), (4, 5, b.amount)], choice={2: "budget_kinds"})
        w.ws.cell(w.row - 1, 1).number_format = st.YEAR_FORMAT
        w.ws.cell(w.row - 1, 4).number_format = "#,##0"

    w.heading(S_SUB)
    period = policy.period_name or "計画"
    w.header([(1, 4, "事務事業名"), (5, 8, f"{period}期間の達成状況")])
    for s in policy.subprojects:
        w.cells([(1, 4, s.name), (5, 8, s.status)])

    w.heading(S_GLOSSARY)
    w.header([(1, 2, "用語"), (3, 8, "説明")])
    for g in policy.glossary:
        w.cells([(1, 2, g.term), (3, 8, g.description)])


def _indicator_section(w: FormWriter, plan: Plan, policy: Policy) -> None:
    lay = layout()
    ind_sheet = lay["indicators"].name
    val_sheet = lay["values"].name
    spec_i = lay["indicators"]
    w.heading(S_INDICATORS)
    w.header([(1, 1, "番号"), (2, 3, "指標ID"), (4, 6, "参考指標名"), (7, 7, "指標の方向性"), (8, 8, "単位")])
    for k, ind_id in enumerate(policy.reference_indicators):
        r = w.row

        def look(col_key: str, r: int = r) -> str:
            col = col_letter(spec_i.index(col_key))
            return Formula(f"=IFERROR(INDEX('{ind_sheet}'!${col}:${col},MATCH($B{r},'{ind_sheet}'!$A:$A,0)),\"\")")

        w.cells([(1, 1, CIRCLED[k] if k < len(CIRCLED) else str(k + 1)), (2, 3, ind_id), (4, 6, look("name")), (7, 7, look("direction")), (8, 8, look("unit"))])
        w.ws.cell(r, 1).alignment = st.CENTER
    if not policy.reference_indicators:
        return
    # Descriptions, then plan/actual by year, all looked up from the indicator sheets.
    first = w.row - len(policy.reference_indicators)
    w.header([(1, 1, "番号"), (2, 8, "指標の説明")])
    desc_col = col_letter(spec_i.index("description"))
    for k, ind_id in enumerate(policy.reference_indicators):
        ind = plan.indicator(ind_id)
        text = ind.description if ind else ""
        w.cells(
            [(1, 1, CIRCLED[k] if k < len(CIRCLED) else str(k + 1)), (2, 8, Formula(f"=IFERROR(INDEX('{ind_sheet}'!${desc_col}:${desc_col},MATCH($B{first + k},'{ind_sheet}'!$A:$A,0)),\"\")"))]
        )
        w.ws.row_dimensions[w.row - 1].height = _height(text, 84)
    years = sorted({fy for i in policy.reference_indicators if (ind := plan.indicator(i)) for fy in ind.values})
    if not years:
        return
    all_years = plan.years()
    n = len(policy.reference_indicators)
    heads = [(1, 1, "年度")]
    for k in range(min(n, 3)):
        heads += [(2 + 2 * k, 2 + 2 * k, f"{CIRCLED[k]}計画値"), (3 + 2 * k, 3 + 2 * k, f"{CIRCLED[k]}実績値")]
    w.header(heads)
    base_col = len(lay["values"].columns)
    for fy in years:
        yc = col_letter(base_col + 1 + all_years.index(fy))
        cells: list[tuple[int, int, Any]] = [(1, 1, fy)]
        for k in range(min(n, 3)):
            id_ref = f"$B{first + k}"
            for off, row_kind in ((0, 1), (1, 2)):
                formula = Formula(f"=IFERROR(INDEX('{val_sheet}'!${yc}:${yc},MATCH({id_ref},'{val_sheet}'!$A:$A,0)+{row_kind - 1}),\"\")")
                cells.append((2 + 2 * k + off, 2 + 2 * k + off, formula))
        w.cells(cells, fmt=st.INPUT_NUMBER_FORMAT)
        w.ws.cell(w.row - 1, 1).number_format = st.YEAR_FORMAT


# --- reading ------------------------------------------------------------------


def _norm(v: Any) -> str:
    return unicodedata.normalize("NFKC", str(v)).strip() if v is not None else ""


def is_policy_form(grid: SheetGrid) -> bool:
    """A1 reads 施策進行管理・評価票 or 施策進行管理・評価票(n)."""
    return re.fullmatch(r"施策進行管理・評価票(\(\d+\))?", _norm(grid.value(1, 1))) is not None


def _section_of(text: str) -> str | None:
    t = _norm(text)
    if not (t.startswith("<") and t.endswith(">")):
        return None
    for s in (S_BASIC, S_RESULTS, S_RATINGS, S_DIRECTION, S_INDICATORS, S_BUDGET, S_SUB, S_GLOSSARY):
        if t == _norm(s):
            return s
    if _norm(S_PLAN) in t:
        return S_PLAN
    return None


def read_form(grid: SheetGrid, diags: DiagnosticList, plan_departments: set[str] | None = None) -> tuple[Policy | None, dict[str, str]]:
    """Read one form sheet. Returns the policy (None when it cannot be built)
    and where each field was found (field → cell), for later messages."""
    rd = CellReader(diags)
    sheet = grid.name
    title = _norm(grid.value(1, 1))
    data: dict[str, Any] = {}
    where: dict[str, str] = {}
    # The number in the title, 施策進行管理・評価票(2), when staff wrote one; else the
    # reader numbers the sheet by its place among the policy sheets.
    sheet_no = title.split("(")[-1].rstrip(")") if "(" in title else ""
    data["sheet_no"] = int(sheet_no) if sheet_no.isdigit() else 1
    if sheet_no.isdigit():
        where["sheet_no"] = "A1"
    fy_cell = _find_label_cell(grid, 1, EVALUATION_FY)
    data["evaluation_fy"] = rd.year(fy_cell, required=True, what=EVALUATION_FY) if fy_cell else None
    if fy_cell:
        where["evaluation_fy"] = fy_cell.ref
    else:
        diags.error("LAYOUT_MISSING_COLUMN", f"1行目に「{EVALUATION_FY}」が見つかりません", sheet, "A1")

    labels: dict[str, tuple[str, str]] = {}
    for label, attr, kind in BASIC_FIELDS + PLAN_FIELDS + RESULT_FIELDS + DIRECTION_FIELDS + BUDGET_FIELDS:
        labels[_norm(label)] = (attr, kind)
    ratings: list[Rating] = []
    budget: list[BudgetLine] = []
    subs: list[SubProject] = []
    gloss: list[GlossaryEntry] = []
    ref_ids: list[str] = []
    section: str | None = None
    table_started = False
    indicator_table_done = False
    for r in range(2, grid.max_row + 1):
        a = grid.cell(r, 1)
        heading = _section_of(a.value) if isinstance(a.value, str) else None
        if heading:
            section, table_started = heading, False
            continue
        label = _norm(a.value)
        if label in labels:
            attr, kind = labels[label]
            cell = grid.cell(r, 2)
            where[attr] = cell.ref
            data[attr] = _typed(rd, cell, kind, label)
            continue
        if label.endswith(_norm(DIRECTION_TEXT_SUFFIX)) or label == _norm(DIRECTION_TEXT_LABEL):
            cell = grid.cell(r, 2)
            where["future_direction"] = cell.ref
            data["future_direction"] = rd.text(cell)
            continue
        if label == _norm(LEGEND_LABEL):
            continue
        if section in (S_RATINGS, S_INDICATORS, S_BUDGET, S_SUB, S_GLOSSARY):
            if not table_started:
                table_started = label in ("年度", "番号", "事務事業名", "用語")
                continue
            if grid.row_is_blank(r, range(1, 9)):
                continue
            if section == S_RATINGS:
                fy = rd.year(a, required=True, what="評価の年度")
                rating = rd.choice(grid.cell(r, 2), RATINGS, required=True, what="評価区分")
                if fy is not None and rating is not None:
                    ratings.append(Rating(fy=fy, rating=cast(RatingValue, rating), reason=rd.text(grid.cell(r, 3))))  # one of RATINGS
                    where[f"rating:{fy}"], where[f"rating_reason:{fy}"] = cell_ref(r, 2), cell_ref(r, 3)
            elif section == S_INDICATORS and not indicator_table_done:
                if label in ("番号", "年度"):
                    indicator_table_done = True  # the looked-up tables that follow are not ours to read
                    continue
                ind_id = rd.code(grid.cell(r, 2), required=True, what="参考指標の指標ID")
                if ind_id:
                    ref_ids.append(ind_id)
                    where[f"indicator:{ind_id}"] = cell_ref(r, 2)
            elif section == S_BUDGET:
                fy = rd.year(a, required=True, what="事業費の年度")
                budget_kind = rd.choice(grid.cell(r, 2), BUDGET_KINDS, required=True, what="事業費の区分")
                amount = rd.amount(grid.cell(r, 4), required=True, what="事業費の金額")
                if fy is not None and budget_kind is not None and amount is not None:
                    budget.append(BudgetLine(fy=fy, kind=cast(BudgetKind, budget_kind), amount=amount))  # one of BUDGET_KINDS
                    where[f"budget:{fy}:{budget_kind}"] = cell_ref(r, 4)
            elif section == S_SUB:
                name = rd.text(a)
                if name:
                    subs.append(SubProject(name=name, status=rd.text(grid.cell(r, 5))))
            elif section == S_GLOSSARY:
                term = rd.text(a)
                desc = rd.text(grid.cell(r, 3), required=bool(term), what="用語の説明")
                if term:
                    gloss.append(GlossaryEntry(term=term, description=desc))
    data.update(ratings=ratings, budget=budget, subprojects=subs, glossary=gloss, reference_indicators=ref_ids)
    for must in ("code", "title", "department"):
        if not data.get(must):
            if must not in where:
                diags.error("LAYOUT_MISSING_COLUMN", f"評価票に「{_label_of(must)}」の行が見つかりません", sheet, "A1")
            return None, where
    if data.get("evaluation_fy") is None:
        return None, where
    clean = {k: v for k, v in data.items() if v is not None}
    try:
        return Policy(**clean), where
    except ValueError as e:  # pydantic's message, kept whole so nothing is hidden
        diags.error("LAYOUT_MISSING_COLUMN", f"評価票を読み取れません: {e}", sheet, "A1")
        return None, where


def _label_of(attr: str) -> str:
    for label, a, _ in BASIC_FIELDS + PLAN_FIELDS + RESULT_FIELDS:
        if a == attr:
            return label
    return attr


def _typed(rd: CellReader, cell: Cell, kind: str, label: str) -> Any:
    if kind == "year":
        return rd.year(cell, what=label)
    if kind == "code" or kind == "department":
        return rd.code(cell, required=True, what=label)
    return rd.text(cell, required=label in ("施策課題",), what=label)


def _find_label_cell(grid: SheetGrid, row: int, label: str) -> Cell | None:
    for c in range(1, grid.max_col + 1):
        if _norm(grid.value(row, c)) == label:
            return grid.cell(row, c + 1)
    return None

