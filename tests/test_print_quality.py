"""Print quality: what is printed stays legible. Wide content (many fiscal
years) is split or turned to landscape rather than shrunk; every evaluation
sheet is one A4 page; the workbooks print at a readable scale with their key
columns and header rows repeated. Sizes are read back from the PDFs
themselves (pypdf), not from the stylesheets."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from conftest import require, soffice_convert
from envplan.paths import TEMPLATES_DIR
from envplan.plan.illustrative import add_illustrative_actuals
from envplan.plan.model import TargetRevision
from envplan.plan.samples import load_sample
from envplan.plan.targets import AnnualMinimumTarget, LevelTarget
from envplan.report.charts import PeriodRow, period_chart, text_width
from envplan.report.pdf import MM_PX, PORTRAIT_MAX_YEARS, REPORT_CONTENT_WIDTH_MM, SHEET_MIN_PT, report_html
from envplan.report.publish import publish
from envplan.report.render import GRID_CELL_PAD_MM, GRID_PT, GRID_WIDTH_MM, PT_MM, year_blocks
from envplan.workbook import xlsx_style as st
from envplan.workbook.writer import save_master

A4 = (595, 842)  # points, rounded
REPORT_MIN_PT = 8.0  # tables, notes, era years, the running head; body text is 9.5 pt


def text_sizes(pdf: Path) -> list[list[tuple[float, str]]]:
    """Per page, the printed size in points of every piece of text."""
    from pypdf import PdfReader

    def times(a: list[float], b: list[float]) -> list[float]:
        return [a[0] * b[0] + a[1] * b[2], a[0] * b[1] + a[1] * b[3], a[2] * b[0] + a[3] * b[2], a[2] * b[1] + a[3] * b[3]]

    pages = []
    for page in PdfReader(pdf).pages:
        found: list[tuple[float, str]] = []

        def visit(text: str, cm: list[float], tm: list[float], font: object, size: float, found: list[tuple[float, str]] = found) -> None:
            if text.strip():
                m = times(tm, cm)
                found.append((round(size * (m[2] ** 2 + m[3] ** 2) ** 0.5, 2), text.strip()))

        page.extract_text(visitor_text=visit)
        pages.append(found)
    return pages


def page_sizes(pdf: Path) -> list[tuple[int, int]]:
    from pypdf import PdfReader

    return [(round(float(p.mediabox.width)), round(float(p.mediabox.height))) for p in PdfReader(pdf).pages]


def long_plan(years: int = 20):
    """Both samples as one plan running `years` fiscal years: a wide year grid and roadmap."""
    plan = add_illustrative_actuals(load_sample("all"))
    plan.end_fy = plan.start_fy + years - 1
    return plan


@pytest.fixture(scope="module")
def long_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    require("chromium")
    folder = tmp_path_factory.mktemp("print")
    master = folder / "long.xlsx"
    save_master(long_plan(), master)
    out = folder / "site"
    publish(master, out)
    return out


# --- the PDF report and the evaluation sheets -----------------------------------


def test_report_text_is_never_below_8pt(long_site: Path) -> None:
    small = [(n, size, text) for n, page in enumerate(text_sizes(long_site / "annual-report.pdf"), 1) for size, text in page if size < REPORT_MIN_PT - 0.05]
    assert not small, small[:10]


def test_wide_roadmap_turns_to_landscape_and_the_rest_stays_portrait(long_site: Path) -> None:
    from pypdf import PdfReader

    pdf = long_site / "annual-report.pdf"
    sizes = page_sizes(pdf)
    landscape = [n for n, (w, h) in enumerate(sizes, 1) if (w, h) == (A4[1], A4[0])]
    assert landscape, "a 20-year roadmap on a portrait page"
    assert all(s in (A4, (A4[1], A4[0])) for s in sizes)
    reader = PdfReader(pdf)
    assert landscape == list(range(landscape[0], landscape[-1] + 1))  # one run: the roadmap chapter
    assert "重点プロジェクトの工程表" in reader.pages[landscape[0] - 1].extract_text()
    for n in landscape:
        assert "2032" in reader.pages[n - 1].extract_text(), n  # every year across the page
    assert sizes[0] == A4 and sizes[-1] == A4  # cover and back matter stay portrait


def test_year_grid_is_split_into_blocks_that_repeat_the_row_labels(long_site: Path) -> None:
    from pypdf import PdfReader

    text = "\n".join(p.extract_text() for p in PdfReader(long_site / "annual-report.pdf").pages)
    first = re.search(r"品川区のCO2排出量.*?状況", text, re.S)
    assert first
    # 20 years in two blocks of ten: both halves have their own 実績値 row label.
    block = text[first.start() : first.start() + 4000]
    assert block.count("実績値") >= 2 and "2032" in block


def test_each_evaluation_sheet_is_printed_at_9pt_or_more_over_as_many_a4_pages_as_it_needs(long_site: Path) -> None:
    """No shrinking below 9 pt: the sample's long sheet takes two A4 pages, every page headed with
    the sheet's title (the running head), no section heading left at the foot of a page."""
    from pypdf import PdfReader

    pdf = long_site / "evaluation-sheets.pdf"
    assert page_sizes(pdf) == [A4, A4]
    head = "施策進行管理・評価票(1)　環境技術を活かした国際貢献　評価年度 2013年度（平成25年度）"
    pages = text_sizes(pdf)
    for n, page in enumerate(pages, 1):
        texts = [t for _, t in page]
        assert head in texts, n  # the heading repeated on each page
        body = [(size, t) for size, t in page if t != head and not re.fullmatch(r"－ \d+ －", t)]
        small = [(size, t) for size, t in body if size < SHEET_MIN_PT - 0.05]
        assert not small, (n, small[:5])
        assert SHEET_MIN_PT >= 9.0
    text = [p.extract_text() for p in PdfReader(pdf).pages]
    for section in ("<基本情報>", "<成果の説明>", "<参考指標>", "<事業費>", "<用語説明>"):
        where = [n for n, t in enumerate(text) if section in t]
        assert len(where) == 1, section
        assert not text[where[0]].rstrip().endswith(section), section  # not orphaned at a page foot
    # Each section whole: 事業費's table sits on the page of its heading.
    budget = next(t for t in text if "<事業費>" in t)
    assert "43,769" in budget and "21,165" in budget


def _revised_plan():  # type: ignore[no-untyped-def]
    """The Shinagawa sample with two targets revised: a path target and an annual level."""
    plan = add_illustrative_actuals(load_sample("shinagawa"))
    path_ind = next(i for i in plan.indicators if i.target.kind == "level")
    path_ind.revisions.append(TargetRevision(revised_fy=2017, old_wording="旧目標", old_target=LevelTarget(year=path_ind.target.year, value=path_ind.target.value * 1.05)))  # type: ignore[union-attr]
    level_ind = next(i for i in plan.indicators if i.target.kind == "annual_minimum")
    level_ind.revisions.append(TargetRevision(revised_fy=2016, old_wording="年1回以上開催", old_target=AnnualMinimumTarget(value=1)))
    return plan, path_ind, level_ind


# In the browser: every text's box, and each target label's box against every drawn line.
_CHART_GEOMETRY = """
(() => {
  const out = [];
  for (const svg of document.querySelectorAll('svg.chart-indicator')) {
    const W = svg.viewBox.baseVal.width, H = svg.viewBox.baseVal.height;
    const segs = [];
    for (const el of svg.querySelectorAll('polyline')) {
      const p = Array.from(el.points);
      for (let i = 1; i < p.length; i++) segs.push([p[i-1].x, p[i-1].y, p[i].x, p[i].y]);
    }
    for (const el of svg.querySelectorAll('line')) {
      const [x1, y1, x2, y2] = ['x1', 'y1', 'x2', 'y2'].map(a => el[a].baseVal.value);
      if (y1 !== y2 || el.getAttribute('stroke-dasharray')) segs.push([x1, y1, x2, y2]);  // series and target lines, not the grid
    }
    for (const t of svg.querySelectorAll('text')) {
      const b = t.getBBox();
      if (b.x < 0 || b.x + b.width > W || b.y < 0 || b.y + b.height > H) out.push(['outside', svg.id || svg.querySelector('title').textContent, t.textContent, b.x, b.x + b.width]);
      if (t.getAttribute('font-weight') === 'bold' && t.textContent.startsWith('目標')) {
        const [x0, y0, x1, y1] = [b.x, b.y + b.height * 0.15, b.x + b.width, b.y + b.height * 0.85];
        for (const [ax, ay, bx, by] of segs) {
          if (ax > x1 && bx > x1 || ax < x0 && bx < x0 || ay > y1 && by > y1 || ay < y0 && by < y0) continue;
          let hit = false;
          for (let k = 0; k <= 40 && !hit; k++) {
            const x = ax + (bx - ax) * k / 40, y = ay + (by - ay) * k / 40;
            hit = x >= x0 && x <= x1 && y >= y0 && y <= y1;
          }
          if (hit) { out.push(['crossed', svg.querySelector('title').textContent, t.textContent]); break; }
        }
      }
    }
  }
  return out;
})()
"""


def test_charts_keep_their_labels_inside_and_off_the_lines_and_draw_each_target_for_its_years(tmp_path: Path) -> None:
    """Measured in Chromium on the report's charts of both samples: no label outside the chart (the
    y axis's 「10,000」 was clipped at x = −2.6), no target label across a line. A revised target is drawn
    for the years it applied next to the current one (the table judges those years on it)."""
    from envplan.report.chromium import Browser
    from envplan.report.context import build_report
    from envplan.rules.compute import compute_plan

    require("chromium")
    views = []
    for plan in (_revised_plan()[0], load_sample("kawasaki")):
        r = build_report(plan, compute_plan(plan), compute_plan(plan, plan.current_fy - 1))
        views += [v for c in r.categories for v in c.indicators if v.print_chart]
    page = tmp_path / "charts.html"
    page.write_text("<!doctype html><meta charset=utf-8><body>" + "".join(f"<div>{v.print_chart.svg}</div>" for v in views) + "</body>", encoding="utf-8")
    report = tmp_path / "report.html"
    report.write_text(report_html(_report_with_project_statuses()), encoding="utf-8")
    with Browser(width=600, height=800) as b:
        b.page.goto(page.as_uri())
        assert b.page.evaluate("document.fonts.ready.then(() => document.querySelectorAll('svg.chart-indicator').length)", await_promise=True) == len(views)
        bad = b.page.evaluate(_CHART_GEOMETRY)
        # The report is no wider than the page's content box (180 mm): anything that sticks out (a roadmap
        # badge did, by 2 px) makes Chromium lay the whole report out twice and print it shrunk.
        b.page.emulate_media("print")
        b.page.set_viewport(round(REPORT_CONTENT_WIDTH_MM * MM_PX), 800)
        b.page.goto(report.as_uri())
        wider = b.page.evaluate("document.fonts.ready.then(() => [document.documentElement.clientWidth, document.documentElement.scrollWidth])", await_promise=True)
    assert not bad, bad
    assert wider[1] <= wider[0], f"the report is {wider[1]} px wide on a page of {wider[0]} px"

    plan, path_ind, level_ind = _revised_plan()
    r = build_report(plan, compute_plan(plan), compute_plan(plan, plan.current_fy - 1))
    by_id = {v.ind.id: v for c in r.categories for v in c.indicators}
    svg = str(by_id[path_ind.id].print_chart.svg)  # type: ignore[union-attr]
    assert "目標への道筋（改定前）" in svg and "目標への道筋（改定後）" in svg and "目標（改定後: " in svg
    old = re.search(r'<polyline class="target-old" points="([\d.]+),[\d.]+ ([\d.]+),', svg)
    assert old, "the replaced target's path is not drawn"
    svg = str(by_id[level_ind.id].print_chart.svg)  # type: ignore[union-attr]
    assert "目標（改定前: 1回）" in svg and "目標（改定後: 2回）" in svg
    # A step: the old level ends where the new one starts (half a year before the revision).
    old_x = float(re.search(r'<polyline class="target-old" points="[\d.]+,[\d.]+ ([\d.]+),', svg).group(1))  # type: ignore[union-attr]
    new_x = float(re.search(r'<line x1="([\d.]+)" y1="[\d.]+" x2="[\d.]+" y2="[\d.]+" stroke="#b0182f" stroke-width="2" stroke-dasharray="9 4"', svg).group(1))  # type: ignore[union-attr]
    assert abs(old_x - new_x) < 0.2
    assert "2016年度（平成28年度）以降" not in by_id[level_ind.id].print_chart.summary  # type: ignore[union-attr]
    assert "見直し前の目標で判定" in by_id[level_ind.id].print_chart.summary  # type: ignore[union-attr]


def _report_with_project_statuses():
    """The Shinagawa report with every project's status given for the current year, the longest word
    (予定どおり) among them: the roadmap's status column then holds its badges."""
    from envplan.plan.model import ProjectStatus
    from envplan.report.context import build_report
    from envplan.rules.compute import compute_plan

    plan = add_illustrative_actuals(load_sample("shinagawa"))
    for p, status in zip(plan.projects, ("予定どおり", "前倒し", "遅れ", "完了", "未着手")):
        p.statuses = [ProjectStatus(fy=plan.current_fy, status=status)]
    r = build_report(plan, compute_plan(plan), compute_plan(plan, plan.current_fy - 1))
    r.files = {"csv": "data/indicators.csv", "json": "data/indicators.json"}
    return r


def test_chart_draws_a_baseline_typed_apart_from_the_actuals() -> None:
    """A baseline year with its 基準値 but no actual: the year is on the axis and its value drawn."""
    from envplan.report.context import build_report
    from envplan.rules.compute import compute_plan

    plan = add_illustrative_actuals(load_sample("shinagawa"))
    ind = next(i for i in plan.indicators if i.baseline_fy is not None and i.target.kind == "increase")
    ind.values.pop(ind.baseline_fy)  # type: ignore[arg-type]
    r = build_report(plan, compute_plan(plan), compute_plan(plan, plan.current_fy - 1))
    v = next(v for c in r.categories for v in c.indicators if v.ind.id == ind.id)
    svg = str(v.print_chart.svg)  # type: ignore[union-attr]
    assert f"基準値（{ind.baseline_fy}年度）" in svg and f">{ind.baseline_fy}<" in svg
    assert "基準値は" in v.print_chart.summary  # type: ignore[union-attr]


def test_print_css_has_no_tiny_type() -> None:
    """No declared size under 8 pt in the print stylesheet (relative sizes are
    checked in the PDFs above)."""
    css = (TEMPLATES_DIR / "css" / "print.css").read_text(encoding="utf-8")
    sizes = [float(x) for x in re.findall(r"font-size:\s*(?:max\()?\s*([\d.]+)pt", css)]
    assert sizes and min(sizes) >= 8.0, sorted(sizes)[:5]


@pytest.mark.parametrize("years, blocks", [(5, 1), (10, 1), (12, 2), (20, 2), (31, 4)])
def test_year_blocks_fit_the_page_at_8pt(years: int, blocks: int) -> None:
    from types import SimpleNamespace as NS

    rows = [NS(fy=2000 + k, raw=NS(plan=1234.5, actual=1359.46, expected=1400.25, provisional=k == 0), achievement="97.4%", status=NS(name="やや遅れ")) for k in range(years)]
    out = year_blocks(rows)
    assert len(out) == blocks and sum(len(b) for b in out) == years
    assert max(len(b) for b in out) - min(len(b) for b in out) <= 1  # even blocks
    widest = text_width("1,359.46", GRID_PT) * PT_MM + GRID_CELL_PAD_MM
    assert max(len(b) for b in out) * widest <= GRID_WIDTH_MM


def test_very_wide_numbers_make_more_blocks() -> None:
    from types import SimpleNamespace as NS

    rows = [NS(fy=2000 + k, raw=NS(plan=None, actual=123456789.123, expected=None, provisional=False), achievement="－", status=NS(name="達成")) for k in range(10)]
    assert len(year_blocks(rows)) >= 2


def test_period_chart_year_labels_do_not_collide() -> None:
    rows = [PeriodRow(label=f"計画{k}", start=2008 + k, end=2020 + k) for k in range(12)]
    chart = period_chart("t", "t", rows, 2022, "s", font=17, cell_px=24, min_width=900)
    labels = re.findall(r'<text x="([\d.]+)" y="[\d.]+" font-size="15.64"[^>]*>([^<]+)</text>', str(chart.svg))
    era = [(float(x), t) for x, t in labels if not t.isdigit()]  # the era years (the western ones are the same size)
    assert len(era) >= 5
    for (x0, t0), (x1, _) in zip(era, era[1:]):
        assert x1 - x0 >= text_width(t0, 15.64), (t0, x0, x1)


def test_roadmap_portrait_limit_matches_the_demo() -> None:
    assert 10 <= PORTRAIT_MAX_YEARS < 20  # the sample's 10 years stay portrait; 20 turn


# --- workbooks -------------------------------------------------------------------


def _print_setup_ok(ws) -> None:  # type: ignore[no-untyped-def]
    assert int(ws.page_setup.paperSize) == int(ws.PAPERSIZE_A4), ws.title
    fit = ws.sheet_properties.pageSetUpPr is not None and ws.sheet_properties.pageSetUpPr.fitToPage
    if fit:
        assert ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 0, ws.title
        assert st.width_scale(ws) >= st.MIN_FIT_SCALE, (ws.title, st.width_scale(ws))
    else:
        assert int(ws.page_setup.scale) == st.SPLIT_SCALE, ws.title
        frozen = st.frozen_columns(ws)
        if frozen:
            assert ws.print_title_cols == f"$A:${chr(64 + frozen)}", (ws.title, ws.print_title_cols)
        assert ws.print_title_rows, ws.title


def test_master_print_setup_read_back(tmp_path: Path) -> None:
    master = tmp_path / "long.xlsx"
    save_master(long_plan(), master)
    wb = load_workbook(master)
    checked = {ws.title: ws for ws in wb.worksheets if ws.sheet_state == "visible" and ws.page_setup.orientation}
    assert len(checked) >= 10
    for ws in checked.values():
        _print_setup_ok(ws)
    split = [t for t, ws in checked.items() if not ws.sheet_properties.pageSetUpPr.fitToPage]
    fitted = [t for t, ws in checked.items() if ws.sheet_properties.pageSetUpPr.fitToPage]
    assert "指標" in split and "指標実績" in split and "分野" in fitted
    assert checked["指標実績"].print_title_cols  # the indicator's key columns on every page across


def test_refit_after_adding_columns() -> None:
    wb = Workbook()
    ws = wb.active
    for c in range(1, 6):
        ws.cell(3, c, f"列{c}")
        ws.column_dimensions[chr(64 + c)].width = 12
    ws.freeze_panes = "C4"
    st.a4(ws, landscape=True)
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    for c in range(6, 30):
        ws.cell(3, c, f"{2000 + c}年度")
        ws.column_dimensions[ws.cell(3, c).column_letter].width = 12
    st.fit_print_width(ws)
    assert not ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.scale == st.SPLIT_SCALE
    assert ws.print_title_cols == "$A:$B"


def test_text_overflowing_the_last_column_is_wrapped() -> None:
    wb = Workbook()
    ws = wb.active
    ws.column_dimensions["A"].width = 10
    ws["A4"] = "これは最後の列からはみ出してしまうほど長い説明の文です"
    ws["A5"] = "短い"
    st.a4(ws, landscape=False)
    assert ws["A4"].alignment.wrap_text and not ws["A5"].alignment.wrap_text
    # ...in a row tall enough for its lines: neither Excel nor LibreOffice grows it on opening.
    assert st.wrapped_lines(ws["A4"].value, 10) == 6
    assert ws.row_dimensions[4].height == st.wrapped_height(ws["A4"].value, 10) == 15.0 * 6 + 3
    assert ws.row_dimensions[5].height is None


def test_a_result_table_grows_rows_for_text_but_does_not_wrap_tokens() -> None:
    """A message wraps in a row tall enough for it, its other cells read from the top; a SHA-256
    or a field key (one word of ASCII) is not wrapped in the table (it is cut at its column's edge
    on paper, whole in the cell). In the last column it is wrapped all the same, so as not to run
    past the page, and its row grows for it (drawn over the rows below otherwise)."""
    from envplan.workbook.io import ResultTable
    from envplan.workbook.xlsx_results import OpenpyxlResultSink

    sha = "dcfa97d3d20f1404dac7360420a1e528be42f998e66ada8370000000000000000"
    message = "指標 S05 の2022年度の実績値: 「たくさん」は数値として読めません。数字だけを入力してください"
    wb = Workbook()
    rows = [["a.xlsx", sha, message, "短い"], ["b.xlsx", sha, "短い", "短い"], ["c.xlsx", sha, "短い", sha]]
    OpenpyxlResultSink(wb).write_table(ResultTable(sheet="表", title="t", header=["ファイル", "SHA-256", "内容", "記録"], rows=rows, widths=[12, 20, 30, 20]))
    ws = wb["表"]
    assert not ws["B4"].alignment.wrap_text and ws["C4"].alignment.wrap_text
    assert ws.row_dimensions[4].height == st.wrapped_height(message, 30) > 18
    assert ws["A4"].alignment.vertical == "top" and ws["B4"].alignment.vertical == "top"
    assert ws.row_dimensions[5].height is None and ws["A5"].alignment.vertical is None  # its token alone: one line
    assert ws["D6"].alignment.wrap_text and ws.row_dimensions[6].height == st.wrapped_height(sha, 20) == 15.0 * 4 + 3
    assert ws["A6"].alignment.vertical == "top"


def test_the_submissions_sheet_keeps_one_line_a_department(sample_masters: dict[str, Path], tmp_path: Path) -> None:
    """提出状況 ends with the SHA-256 of the file whose values were taken: its column holds the
    64 characters on one line, so no row of the sheet grows for it."""
    from conftest import cli_json
    from returns_kit import fill, issued_master

    master, templates = issued_master(sample_masters["all"], tmp_path)
    inbox = tmp_path / "inbox"
    fill(templates["公園課"], {("value", "S11", 2022, "actual"): 22.0}, inbox / "公園課.xlsx")
    rc, data = cli_json("consolidate", str(master), str(inbox), "--json")
    assert rc == 0 and data["accepted"] == 1, data
    ws = load_workbook(master)["提出状況"]
    last = ws.cell(3, ws.max_column)
    assert "SHA-256" in last.value
    taken = [r for r in range(4, ws.max_row + 1) if ws.cell(r, ws.max_column).value]
    assert taken and all(len(ws.cell(r, ws.max_column).value) == 64 for r in taken)
    assert all(not ws.cell(r, ws.max_column).alignment.wrap_text and ws.row_dimensions[r].height is None for r in taken)


@pytest.mark.parametrize(
    "text, width, lines",
    [("短い", 10, 1), ("あ" * 5, 10, 2), ("a" * 9, 10, 1), ("a" * 10, 10, 2), ("一行目\n二行目", 90, 2), ("あ" * 300, 90, 8)],
)
def test_wrapped_lines_count_a_cjk_character_as_two(text: str, width: float, lines: int) -> None:
    assert st.wrapped_lines(text, width) == lines


def test_feedback_list_prints_each_message_whole(sample_masters: dict[str, Path], tmp_path: Path) -> None:
    """The 確認事項 sheet of a feedback copy: a message longer than its column wraps, in a row
    tall enough for it. Without the height written, the clerk's print (and LibreOffice's PDF)
    cut the advice after its first line (「…数字だけを入」)."""
    from conftest import cli_json
    from returns_kit import fill, issued_master

    require("soffice")
    master, templates = issued_master(sample_masters["all"], tmp_path)
    inbox = tmp_path / "inbox"
    fill(templates["清掃事務所"], {("value", "S05", 2022, "actual"): "たくさん"}, inbox / "清掃事務所.xlsx")
    rc, data = cli_json("consolidate", str(master), str(inbox), "--json")
    assert rc == 1 and data["rejected"] == 1, data
    copy = next((inbox / "フィードバック").glob("*_要修正.xlsx"))
    ws = load_workbook(copy)["確認事項"]
    width = ws.column_dimensions["D"].width
    long = [(r, ws.cell(r, 4).value) for r in range(4, ws.max_row + 1) if isinstance(ws.cell(r, 4).value, str) and st.wrapped_lines(ws.cell(r, 4).value, width) > 1]
    assert long, "the sample's message for 「たくさん」 is longer than its column"
    for r, message in long:
        assert (ws.row_dimensions[r].height or 0) >= st.wrapped_height(message, width), (r, message)
        assert ws.cell(r, 1).alignment.vertical == "top"  # the row's other cells read from its top
    pdf = soffice_convert(copy, "pdf", tmp_path)
    printed = re.sub(r"\s", "", subprocess.run(["pdftotext", "-f", "1", "-l", "1", str(pdf), "-"], capture_output=True, text=True, check=True).stdout)
    for _, message in long:
        assert message.replace(" ", "")[-8:] in printed, message  # its last line is on the page


def test_master_prints_legibly_in_libreoffice(sample_masters: dict[str, Path], tmp_path: Path) -> None:
    """LibreOffice honours the print setup: no page of the master prints its
    10 pt body under 7.5 pt (its 9 pt notes under 6.75 pt)."""
    require("soffice")
    fc = shutil.which("fc-list")
    if fc is None or "Carlito" not in subprocess.run([fc], capture_output=True, text=True).stdout:
        require("fonts-crosextra-carlito")  # Calibri's metrics, or LibreOffice sizes the columns wider than Excel
    src = tmp_path / "master.xlsx"
    shutil.copy2(sample_masters["shinagawa"], src)
    pdf = soffice_convert(src, "pdf", tmp_path)
    pages = text_sizes(pdf)
    assert len(pages) >= 10
    for n, page in enumerate(pages, 1):
        if page:
            assert min(size for size, _ in page) >= 6.7, (n, sorted(page)[:3])


def test_template_headings_that_wrap_get_a_tall_enough_row(sample_masters: dict[str, Path], tmp_path: Path) -> None:
    """「プロジェクトID」 and 「データの遅れ」 wrap in their narrow columns; a header row of
    the default height cut them in half on paper."""
    from envplan.survey.template_issue import issue_templates

    master = tmp_path / "master.xlsx"
    shutil.copy2(sample_masters["shinagawa"], master)
    checked = 0
    for path in issue_templates(master, tmp_path / "templates"):
        wb = load_workbook(path)
        for ws in wb.worksheets:
            if ws.sheet_state != "visible" or ws.max_row < 3 or ws.cell(3, 1).fill.fgColor.rgb != st.HEADER_FILL.fgColor.rgb:
                continue
            height = ws.row_dimensions[3].height
            for c in range(1, ws.max_column + 1):
                text = ws.cell(3, c).value
                width = ws.column_dimensions[ws.cell(3, c).column_letter].width
                if isinstance(text, str) and width and st.wrapped_height(text, width) > 18:
                    assert height is not None and height >= st.wrapped_height(text, width), (path.name, ws.title, text, height)
                    checked += 1
    assert checked  # the sample's templates do have such headings


def test_master_input_sheets_show_long_texts_whole(sample_masters: dict[str, Path], tmp_path: Path) -> None:
    """A text wider than its column on a master's input sheet (a project's name, a department's
    comment taken in by the consolidation) wraps, in a row tall enough for it: neither Excel nor
    LibreOffice grows the row on opening, so the text was cut at the column's edge, on screen and
    on paper (「…導入推進プロジェク」). A code or a number next to it is left as it was."""
    from conftest import cli_json
    from returns_kit import fill, issued_master

    require("soffice")
    from envplan.plan.model import ProjectStatus

    plan = load_sample("shinagawa")
    project, appended = plan.projects[0], plan.projects[2]  # both 環境課's; the first has a 2022 row already
    long_name = project.name + "（区内事業者・区民との協働による太陽光発電設備の共同購入を含む）"
    plan.projects[0] = project.model_copy(update={"name": long_name, "statuses": [ProjectStatus(fy=2022, status="予定どおり", comment="（例示）")]})
    src = tmp_path / "src" / "master.xlsx"
    src.parent.mkdir()
    save_master(plan, src)
    ws = load_workbook(src)["重点プロジェクト"]
    row = next(r for r in range(4, ws.max_row + 1) if ws.cell(r, 1).value == project.id)
    name = next(c for c in ws[3] if c.value == "プロジェクト名")
    cell = ws.cell(row, name.column)
    width = ws.column_dimensions[name.column_letter].width
    assert cell.value == long_name and st.wrapped_lines(long_name, width) > 1
    assert cell.alignment.wrap_text and (ws.row_dimensions[row].height or 0) >= st.wrapped_height(long_name, width)
    assert not ws.cell(row, 1).alignment.wrap_text  # the ID reads from the row's top, not wrapped

    master, templates = issued_master(src, tmp_path)
    comment = "太陽光発電設備の共同購入事業を継続し、区内の集合住宅の管理組合向け説明会を年3回開催した。次年度は事業者向けにも拡大する予定である"
    inbox = tmp_path / "inbox"
    answers = {("project", p.id, 2022, f): v for p in (project, appended) for f, v in (("status", "予定どおり"), ("comment", comment))}
    fill(templates["環境課"], answers, inbox / "環境課.xlsx")
    rc, data = cli_json("consolidate", str(master), str(inbox), "--json")
    assert rc == 0 and data["accepted"] == 1, data
    wb = load_workbook(master)
    ws = wb["プロジェクト進捗"]
    width = ws.column_dimensions["D"].width
    assert st.wrapped_lines(comment, width) > 1
    for p in (project, appended):  # a comment written into its row, and one in a row added for it
        row = next(r for r in range(4, ws.max_row + 1) if ws.cell(r, 1).value == p.id and ws.cell(r, 2).value == 2022)
        assert ws.cell(row, 4).value == comment, p.id
        assert ws.cell(row, 4).alignment.wrap_text and (ws.row_dimensions[row].height or 0) >= st.wrapped_height(comment, width), p.id
        assert ws.cell(row, 2).number_format == st.YEAR_FORMAT  # the row's other cells keep their formats
    # On paper: the sheet alone, printed by LibreOffice, holds the comment's last words.
    pdf = _sheet_alone_as_pdf(wb, "プロジェクト進捗", tmp_path / "print")
    printed = re.sub(r"\s", "", subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout)
    assert comment[-12:] in printed and long_name[-12:] not in printed  # (the name is on the other sheet)


def test_the_submissions_sheet_prints_what_the_section_chases_on_one_page_across(sample_masters: dict[str, Path], tmp_path: Path) -> None:
    """提出状況 on paper: per department its status, when, the counts and what to fix (内容),
    on one page's width at a legible scale. The files and their SHA-256 are for checking on
    screen and come after it, left off the printout (they made it three pages across, the
    reason for a 差戻し on the second). 様式の発行日時 reads as 受付日時 does."""
    from conftest import cli_json
    from returns_kit import fill, issued_master

    require("soffice")
    master, templates = issued_master(sample_masters["all"], tmp_path)
    inbox = tmp_path / "inbox"
    fill(templates["公園課"], {("value", "S11", 2022, "actual"): 22.0}, inbox / "公園課.xlsx")
    fill(templates["清掃事務所"], {("value", "S05", 2022, "actual"): "たくさん"}, inbox / "清掃事務所.xlsx")
    rc, data = cli_json("consolidate", str(master), str(inbox), "--json")
    assert rc == 1 and data["accepted"] == 1 and data["rejected"] == 1, data
    wb = load_workbook(master)
    ws = wb["提出状況"]
    header = [c.value for c in ws[3]]
    assert header.index("内容") < header.index("ファイル") < header.index("SHA-256")
    assert header[:4] == ["年度", "所管課コード", "課名", "状況"]  # where the readers of the sheet look (tests, server)
    printed = header.index("内容") + 1
    assert ws.print_area == f"'提出状況'!$A$1:${chr(64 + printed)}${ws.max_row}"
    assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth == 1 and st.width_scale(ws) >= st.MIN_FIT_SCALE
    rows = {r[1]: dict(zip(header, r)) for r in ws.iter_rows(min_row=4, values_only=True) if r[1]}
    rejected = rows["清掃事務所"]
    assert rejected["状況"] == "差戻し" and "たくさん" in rejected["内容"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", rejected["様式の発行日時"]), rejected["様式の発行日時"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", rejected["受付日時"])
    pdf = _sheet_alone_as_pdf(wb, "提出状況", tmp_path / "print")
    pages = text_sizes(pdf)
    assert len(pages) == 1, len(pages)
    assert min(size for size, _ in pages[0]) >= 6.7
    text = re.sub(r"\s", "", subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout)
    assert "たくさん" in text and "差戻し" in text and "公園課" in text
    assert "（印刷しません）。）" in text  # the note above the table is on the page whole
    assert rejected["SHA-256"][:12] not in text and "取り込んだファイルのSHA-256" not in text and "清掃事務所.xlsx" not in text


def _sheet_alone_as_pdf(wb: Workbook, sheet: str, folder: Path) -> Path:
    """The workbook's one sheet, printed by LibreOffice (the others removed from this copy)."""
    for other in [s for s in wb.sheetnames if s != sheet]:
        del wb[other]
    folder.mkdir()
    alone = folder / "sheet.xlsx"
    wb.save(alone)
    return soffice_convert(alone, "pdf", folder)
