"""The PDF annual report and the printed evaluation sheets, printed by a
headless Chromium from the print templates.

A4 from the CSS @page rules, page numbers in the page margin, fonts embedded
(subsets), a tagged PDF with a document outline. The contents page needs the
pages its entries land on, which only printing tells: the report is printed
once to read where each anchor fell, then again with those numbers filled in
(the numbers take no more room than the placeholders, so nothing moves).
Each evaluation sheet is made to fit one A4 page by lowering its type size
in the browser before printing.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .chromium import Browser
from .context import ReportData
from .fonts import missing_glyphs, require_cjk_font
from .render import css, environment

MM_PX = 96 / 25.4  # CSS px per millimetre
A4_W, A4_H = 210.0, 297.0
SHEET_MARGINS = (10.0, 11.0, 11.0, 11.0)  # top right bottom left, as @page sheet in print.css
SHEET_MAX_PT, SHEET_MIN_PT = 10.0, 6.0
PAGE_PLACEHOLDER = "000"


@dataclass
class PdfOutcome:
    path: Path
    pages: int
    missing_glyphs: set[str] = field(default_factory=set)
    notes: list[str] = field(default_factory=list)


def _toc(r: ReportData) -> list[tuple[str, str, list[tuple[str, str]]]]:
    toc: list[tuple[str, str, list[tuple[str, str]]]] = [
        ("ch-summary", "概要", []),
        ("ch-indicators", "指標の達成状況", [(f"cat-{c.slug}", c.name) for c in r.categories]),
        ("ch-roadmap", "重点プロジェクトとロードマップ", []),
    ]
    if r.policies:
        toc.append(("ch-policies", "施策の評価", [(f"policy-{pv.slug}", pv.policy.title) for pv in r.policies]))
    if r.plan.related_plans:
        toc.append(("ch-related", "関連計画", []))
    toc += [("ch-glossary", "用語集", []), ("ch-method", "数値の算出方法", [])]
    return toc


def _stylesheet() -> str:
    return css("sheet.css") + "\n" + css("print.css")


def report_html(r: ReportData, pages: dict[str, int] | None = None) -> str:
    """The report as one HTML document; `pages` maps anchors to page numbers
    (None: placeholders of the same width, for the first printing)."""
    page_of: Callable[[str], str] = (lambda a: str(pages.get(a, ""))) if pages is not None else (lambda a: PAGE_PLACEHOLDER)
    return environment().get_template("print/report.html").render(r=r, toc=_toc(r), css_text=_stylesheet(), page_of=page_of)


def sheets_html(r: ReportData) -> str:
    return environment().get_template("print/sheets.html").render(r=r, css_text=_stylesheet())


def anchor_pages(pdf: Path) -> dict[str, int]:
    """Page number (1-based) of every named destination Chromium wrote for a linked anchor."""
    from pypdf import PdfReader

    reader = PdfReader(pdf)
    out = {}
    for name, dest in reader.named_destinations.items():
        try:
            out[name.lstrip("/")] = reader.get_destination_page_number(dest) + 1
        except Exception:  # a destination to a page that is not there: leave it out
            continue
    return out


def page_count(pdf: Path) -> int:
    from pypdf import PdfReader

    return len(PdfReader(pdf).pages)


def write_pdfs(r: ReportData, report_path: Path, sheets_path: Path | None) -> tuple[PdfOutcome, PdfOutcome | None]:
    """Print the report, and the evaluation sheets when the plan has policies."""
    require_cjk_font()
    with tempfile.TemporaryDirectory(prefix="envplan-print-") as tmp, Browser(width=1200, height=1600) as browser:
        work = Path(tmp)
        browser.emulate_media("print")
        report = _print_report(browser, r, report_path, work)
        sheets = _print_sheets(browser, r, sheets_path, work) if sheets_path is not None and r.policies else None
    return report, sheets


def _load(browser: Browser, html: str, path: Path) -> None:
    path.write_text(html, encoding="utf-8")
    browser.goto(path.as_uri())


def _print_report(browser: Browser, r: ReportData, out: Path, work: Path) -> PdfOutcome:
    first = report_html(r)
    _load(browser, first, work / "report-pass1.html")
    draft = browser.print_pdf(work / "report-pass1.pdf", tagged=False, outline=False)
    pages = anchor_pages(draft)
    final = report_html(r, pages)
    _load(browser, final, work / "report.html")
    browser.print_pdf(out, tagged=True, outline=True)
    return PdfOutcome(out, page_count(out), missing_glyphs(final))


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


def _print_sheets(browser: Browser, r: ReportData, out: Path, work: Path) -> PdfOutcome:
    top, right, bottom, left = SHEET_MARGINS
    width_px = round((A4_W - left - right) * MM_PX)
    limit_px = (A4_H - top - bottom) * MM_PX - 6  # a little slack for rounding in print layout
    browser.set_viewport(width_px, round(limit_px))
    html = sheets_html(r)
    _load(browser, html, work / "sheets.html")
    fitted = browser.evaluate(_FIT_SCRIPT % {"limit": limit_px, "max": SHEET_MAX_PT, "min": SHEET_MIN_PT})
    notes = []
    for pv, f in zip(r.policies, fitted):
        if not f["fits"]:
            notes.append(f"施策「{pv.policy.title}」の評価票は文章が長く、最小の文字（{SHEET_MIN_PT:g}pt）でも A4 1ページに収まりません")
    browser.print_pdf(out, tagged=True, outline=True)
    return PdfOutcome(out, page_count(out), missing_glyphs(html), notes)
