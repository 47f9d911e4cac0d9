"""The PDF annual report and the printed evaluation sheets, printed by a
headless Chromium from the print templates.

A4 from the CSS @page rules, page numbers in the page margin, fonts embedded
(subsets), a tagged PDF with a document outline.

The contents page needs the pages its entries land on, which only printing
tells. So the report is first printed as a light draft, in which each
indicator block (the bulk of the report, never split across pages) is
replaced by an empty box of the same measured height: it paginates the same
and prints in a fraction of the time. The draft's link destinations give the
page numbers; the real blocks are put back, the numbers filled in (they take
no more room than the placeholders), and the report printed for good. The
final PDF is checked against the numbers and reprinted in the rare case a
page moved.

Each evaluation sheet is made to fit one A4 page by lowering its type size in
the browser; the sheets print in a second tab while the draft prints.
"""

from __future__ import annotations

import json
import re
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from markupsafe import Markup, escape

from envplan.report.chromium import Browser, Page, print_together
from envplan.report.context import ReportData
from envplan.report.devtools_transport import BrowserStopped
from envplan.report.fonts import PDF_FONT_STACK, missing_glyphs, require_cjk_font
from envplan.report.render import css, environment
from envplan.report.typeset import Typesetter

if TYPE_CHECKING:
    from pypdf import PdfReader

MM_PX = 96 / 25.4  # CSS px per millimetre
A4_W, A4_H = 210.0, 297.0
SHEET_MARGINS = (13.0, 10.0, 10.0, 10.0)  # top right bottom left, as @page sheet in print.css (the top one holds the running head)
REPORT_CONTENT_WIDTH_MM = A4_W - 15.0 - 15.0  # the left and right margins of @page in print.css
# A sheet's type is lowered from 10 pt to fit one A4 page, never under 9 pt: a longer sheet
# takes a second page (sections kept whole, the sheet's heading repeated at the top of each page).
SHEET_MAX_PT, SHEET_MIN_PT = 10.0, 9.0
PAGE_PLACEHOLDER = "000"
# The charts' type in print: the page's, named in the image itself (an <img>'s SVG gets no page CSS).
CHART_FONT = ", ".join(f"'{f}'" for f in PDF_FONT_STACK) + ", sans-serif"
# A roadmap of more fiscal years than this does not fit a portrait page at
# 8 pt (print.css .roadmap): its chapter is printed on landscape pages.
PORTRAIT_MAX_YEARS = 10


@dataclass
class PdfOutcome:
    path: Path
    pages: int
    missing_glyphs: set[str] = field(default_factory=set)
    notes: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)  # time per printing stage


def _toc(r: ReportData) -> list[tuple[str, str, list[tuple[str, str]]]]:
    toc: list[tuple[str, str, list[tuple[str, str]]]] = [
        ("ch-summary", "概要", []),
        ("ch-indicators", "指標の達成状況", [(f"cat-{c.slug}", c.name) for c in r.categories]),
        ("ch-roadmap", "重点プロジェクトとロードマップ" if r.projects else "指標・目標値の年度", []),
    ]
    if r.policies:
        toc.append(("ch-policies", "施策の評価", [(f"policy-{pv.slug}", pv.policy.title) for pv in r.policies]))
    if r.plan.related_plans:
        toc.append(("ch-related", "関連計画", []))
    toc += [("ch-glossary", "用語集", []), ("ch-method", "数値の算出方法", [])]
    return toc


def _stylesheet() -> Markup:
    # Our own files, put in a <style> element: not to be HTML-escaped (entities are not decoded there).
    return Markup(css("sheet.css") + "\n" + css("print.css"))


def report_html(r: ReportData) -> str:
    """The report as one HTML document; page references are placeholders of
    the width of a page number, filled in the browser once the pages are known."""

    def page_of(anchor: str) -> Markup:
        return Markup(f'<span class="page-ref" data-page-of="{escape(anchor)}">{PAGE_PLACEHOLDER}</span>')

    html = environment().get_template("print/report.html").render(
        r=r, toc=_toc(r), css_text=_stylesheet(), page_of=page_of, wide_roadmap=len(r.years) > PORTRAIT_MAX_YEARS, chart_font=CHART_FONT
    )
    # Text the report does not show (a table's caption for the reader of the tagged text, print.css
    # .visually-hidden) gets no phrase breaks: each <wbr> costs the tagged printing, and there it breaks nothing.
    return _standard_structure(Typesetter((i.unit for i in r.plan.indicators), skip_hidden=True).page(html))


def sheets_html(r: ReportData) -> str:
    html = environment().get_template("print/sheets.html").render(r=r, css_text=_stylesheet())
    return _standard_structure(Typesetter(i.unit for i in r.plan.indicators).page(html))


# Chromium tags <strong> as /Strong and <em> as /Em, which PDF 1.7 (the base of PDF/UA-1) does not
# define: a tagged PDF using them needs a /RoleMap, which Chromium does not write. Printed as <b>/<i>
# they are tagged as plain text and look the same. The markup is ours (the workbook's text is
# escaped), so a tag name is never text here.
_NON_STANDARD = re.compile(r"<(/?)(strong|em)(?=[\s>])")


def _standard_structure(html: str) -> str:
    return _NON_STANDARD.sub(lambda m: f"<{m.group(1)}{'b' if m.group(2) == 'strong' else 'i'}", html)


def anchor_pages(pdf: Path, counts: dict[str, int] | None = None) -> dict[str, int]:
    """Page number (1-based) of every named destination Chromium wrote for a
    linked anchor; the page count goes into `counts["pages"]` when asked."""
    from pypdf import PdfReader

    # Strictly first: a lenient reader checks every object's offset, half the time for a tagged report of
    # 60,000 objects (Chromium's PDFs are well formed); a file strict reading refuses is read leniently.
    try:
        return _anchor_pages(PdfReader(pdf, strict=True), counts)
    except Exception:
        return _anchor_pages(PdfReader(pdf), counts)


def _anchor_pages(reader: PdfReader, counts: dict[str, int] | None) -> dict[str, int]:
    # Page objects by number, once: pypdf's get_destination_page_number searches the page tree per call.
    index = {page.indirect_reference.idnum: n for n, page in enumerate(reader.pages, 1) if page.indirect_reference is not None}
    if counts is not None:
        counts["pages"] = len(reader.pages)
    out = {}
    for name, dest in reader.named_destinations.items():
        ref = getattr(dest.page, "idnum", None)
        if ref in index:
            out[name.lstrip("/")] = index[ref]
        else:  # a destination given otherwise, or to a page that is not there
            try:
                number = reader.get_destination_page_number(dest)
            except Exception:
                continue
            if number is not None:
                out[name.lstrip("/")] = number + 1
    return out


def page_count(pdf: Path) -> int:
    from pypdf import PdfReader

    return len(PdfReader(pdf).pages)


def _missing_glyphs_of(html: str, sheets_html_text: str) -> tuple[set[str], set[str]]:
    return missing_glyphs(html), missing_glyphs(sheets_html_text)


def write_pdfs(
    r: ReportData, report_path: Path, sheets_path: Path | None, *, final_print: Callable[[], None] | None = None
) -> tuple[PdfOutcome, PdfOutcome | None]:
    """Print the report, and the evaluation sheets when the plan has policies.

    `final_print` is called when the report's final printing starts (or when printing failed before):
    until then two tabs keep both cores busy, from then on one process at a time works on the PDF (the
    renderer, then the browser, then its PDF compositor), so a caller running this in a thread may do
    its own Python work beside it on the other core (publish writes the open data and the site)."""
    require_cjk_font()
    clock = _Clock()
    with_sheets = sheets_path is not None and bool(r.policies)
    # Python's work runs beside the browser's: the pages are rendered while the browser starts, and
    # their characters checked against the fonts while it prints (the main thread only waits then).
    with ThreadPoolExecutor(max_workers=1) as helper, tempfile.TemporaryDirectory(prefix="envplan-print-") as tmp:
        pages = helper.submit(lambda: (report_html(r), sheets_html(r) if with_sheets else ""))
        glyphs = None
        for attempt in (1, 2):
            try:
                with Browser(width=1200, height=1600) as browser:
                    clock.lap("browser_start")
                    html, sheets_html_text = pages.result()
                    if glyphs is None:
                        glyphs = helper.submit(_missing_glyphs_of, html, sheets_html_text)
                    report, sheets = _print_all(
                        browser, r, Path(tmp), html, sheets_html_text, report_path, sheets_path if with_sheets else None, clock, final_print or (lambda: None)
                    )
                break
            except BrowserStopped:
                # A browser that crashed midway (seen on a machine under heavy load) is started once more;
                # a second crash is reported. What was printed the first time is printed again whole.
                if attempt == 2:
                    raise
                clock.lap("browser_crash")
        if attempt == 2:
            report.notes.append("PDF の作成中にブラウザーが終了したため、ブラウザーを起動し直して作り直しました")
        clock.lap("close")
        assert glyphs is not None
        report.missing_glyphs, sheets_glyphs = glyphs.result()
        if sheets is not None:
            sheets.missing_glyphs = sheets_glyphs
    clock.lap("check")
    report.seconds = clock.laps
    return report, sheets


def _print_all(
    browser: Browser,
    r: ReportData,
    work: Path,
    html: str,
    sheets_html_text: str,
    report_path: Path,
    sheets_path: Path | None,
    clock: _Clock,
    final_print: Callable[[], None],
) -> tuple[PdfOutcome, PdfOutcome | None]:
    """Load, fit, draft, number and print; the browser is started and the HTML rendered."""
    report_page = browser.page
    report_page.emulate_media("print")
    (work / "report.html").write_text(html, encoding="utf-8")
    pages_to_load = [(report_page, work / "report.html")]
    jobs: list[tuple[Page, Path, bool, bool]] = []
    sheets: PdfOutcome | None = None
    sheets_page: Page | None = None
    if sheets_path is not None:
        sheets_page = browser.new_page()
        _setup_sheets(sheets_page, sheets_html_text, work)
        pages_to_load.append((sheets_page, work / "sheets.html"))
        report_page.bring_to_front()  # the sheets' tab opened last and took the front; the report's is the heavy one
    clock.lap("html")
    browser.load_together(pages_to_load)  # two tabs, two renderer processes: both cores busy
    clock.lap("load")
    if sheets_page is not None and sheets_path is not None:
        sheets = _fit_sheets(sheets_page, r, sheets_path)
        jobs.append((sheets_page, sheets_path, True, True))
    clock.lap("fit_sheets")
    report_page.evaluate(_LIGHTEN_SCRIPT % {"width_mm": REPORT_CONTENT_WIDTH_MM})
    draft = work / "draft.pdf"
    print_together([(report_page, draft, False, False), *jobs])
    pages = anchor_pages(draft)
    report_page.evaluate(_RESTORE_SCRIPT)
    clock.lap("draft_and_sheets")
    final_print()
    for _ in range(3):
        report_page.evaluate(_FILL_SCRIPT % {"pages": json.dumps(pages)})
        report_page.print_pdf(report_path, tagged=True, outline=True)
        clock.lap("print")
        counted: dict[str, int] = {}
        final = anchor_pages(report_path, counted)
        clock.lap("verify")
        if all(final.get(k) == v for k, v in pages.items()):
            break
        clock.laps["reprints"] = clock.laps.get("reprints", 0) + 1
        pages = final  # a block paginated differently from its box: number again from the real layout
    if sheets is not None:
        sheets.pages = page_count(sheets.path)
    return PdfOutcome(report_path, counted["pages"]), sheets


class _Clock:
    def __init__(self) -> None:
        self.last = time.perf_counter()
        self.laps: dict[str, float] = {}

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name] = round(self.laps.get(name, 0.0) + now - self.last, 3)
        self.last = now


# Measure every indicator block at the page's width, then empty it and give it that height.
_LIGHTEN_SCRIPT = """
(() => {
  const root = document.documentElement;
  root.style.width = '%(width_mm).3fmm';
  const saved = [];
  const blocks = Array.from(document.querySelectorAll('.indicator'));
  const heights = blocks.map(el => el.getBoundingClientRect().height);
  blocks.forEach((el, i) => {
    const kids = document.createDocumentFragment();
    while (el.firstChild) kids.appendChild(el.firstChild);
    saved.push([el, kids, el.getAttribute('style')]);
    el.style.boxSizing = 'border-box';
    el.style.height = heights[i] + 'px';
  });
  root.style.width = '';
  window.__envplanSaved = saved;
  return blocks.length;
})()
"""
_RESTORE_SCRIPT = """
(() => {
  for (const [el, kids, style] of window.__envplanSaved || []) {
    el.appendChild(kids);
    if (style === null) el.removeAttribute('style'); else el.setAttribute('style', style);
  }
  window.__envplanSaved = [];
  return true;
})()
"""
_FILL_SCRIPT = """
(() => {
  const pages = %(pages)s;
  for (const el of document.querySelectorAll('[data-page-of]')) {
    const n = pages[el.dataset.pageOf];
    el.textContent = n === undefined ? '' : String(n);
  }
  return true;
})()
"""


# Lower each sheet's type size until it fits the page's content box.
_FIT_SCRIPT = """
(() => {
  const limit = %(limit).2f, max = %(max).2f, min = %(min).2f;
  const out = [];
  for (const page of document.querySelectorAll('.sheet-page')) {
    let size = max;
    page.style.fontSize = size + 'pt';
    while (page.getBoundingClientRect().height > limit && size > min) {
      size = Math.round((size - 0.25) * 100) / 100;
      page.style.fontSize = size + 'pt';
    }
    out.push({id: page.id, size: size, fits: page.getBoundingClientRect().height <= limit});
  }
  return out;
})()
"""


def _sheet_box() -> tuple[int, float]:
    top, right, bottom, left = SHEET_MARGINS
    width_px = round((A4_W - left - right) * MM_PX)
    limit_px = (A4_H - top - bottom) * MM_PX - 6  # a little slack for rounding in print layout
    return width_px, limit_px


def _setup_sheets(page: Page, html: str, work: Path) -> None:
    """The sheets' tab at the width of a sheet's content box, and its HTML written."""
    width_px, limit_px = _sheet_box()
    page.emulate_media("print")
    page.set_viewport(width_px, round(limit_px))
    (work / "sheets.html").write_text(html, encoding="utf-8")


def _fit_sheets(page: Page, r: ReportData, out: Path) -> PdfOutcome:
    """Fit each loaded sheet to its page; printing follows."""
    _, limit_px = _sheet_box()
    fitted = page.evaluate(_FIT_SCRIPT % {"limit": limit_px, "max": SHEET_MAX_PT, "min": SHEET_MIN_PT})
    notes = []
    for pv, f in zip(r.policies, fitted):
        if not f["fits"]:
            notes.append(f"施策「{pv.policy.title}」の評価票は {SHEET_MIN_PT:g}pt の文字で A4 1ページに収まらないため、2ページ以上に印刷しました（欄は途中で分けず、各ページの上に評価票の見出しを付けています）")
    return PdfOutcome(out, 0, set(), notes)

