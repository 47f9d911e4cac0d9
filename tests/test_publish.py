"""`envplan publish`: the web site, the PDF report and evaluation sheets, open
data, escaping and the output folder's safety, on real masters."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import ROOT, cli_json, require, run_cli
from envplan.plan.illustrative import add_illustrative_actuals
from envplan.plan.model import GlossaryEntry, Opinion, YearValue
from envplan.plan.samples import load_sample
from envplan.report.context import build_report
from envplan.report.formatting import neutralise_formula, paragraphs, slug
from envplan.report.opendata import FIELDS
from envplan.report.pdf import report_html, sheets_html
from envplan.report.publish import MARKER, PublishError, publish
from envplan.report.render import css_string, environment
from envplan.report.typeset import plain
from envplan.rules.compute import compute_plan
from envplan.workbook.writer import save_master

# --- helpers -------------------------------------------------------------------

OWN_SCRIPTS = re.compile(r'<script src="assets/search(?:-index)?\.js"></script>')


class _Page(HTMLParser):
    """Links, ids, scripts and status badges of one page."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.ids: set[str] = set()
        self.scripts = 0
        self.text: list[str] = []
        self.badges: list[str] = []
        self._badge_depth = 0
        self._depth = 0
        self._badge_text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self._depth += 1
        if tag == "script":
            self.scripts += 1
        for key in ("href", "src"):
            if a.get(key):
                self.links.append(a[key] or "")
        if a.get("id"):
            self.ids.add(a["id"] or "")
        classes = (a.get("class") or "").split()
        if tag == "span" and "status" in classes and not self._badge_depth:
            self._badge_depth = self._depth
            self._badge_text = []

    def handle_endtag(self, tag: str) -> None:
        if self._badge_depth and self._depth == self._badge_depth:
            self.badges.append("".join(self._badge_text))
            self._badge_depth = 0
        self._depth -= 1

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._badge_depth:
            self._badge_text.append(data)


def parse(path: Path) -> _Page:
    p = _Page()
    p.feed(path.read_text(encoding="utf-8"))
    return p


def pdftext(pdf: Path) -> str:
    tool = require("pdftotext")
    return subprocess.run([tool, "-layout", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True, check=True).stdout


def pdffonts(pdf: Path) -> list[list[str]]:
    tool = require("pdffonts")
    out = subprocess.run([tool, str(pdf)], capture_output=True, text=True, check=True).stdout.splitlines()[2:]
    return [line.split() for line in out if line.strip()]


def pdfinfo(pdf: Path) -> dict[str, str]:
    tool = require("pdfinfo")
    out = subprocess.run([tool, str(pdf)], capture_output=True, text=True, check=True).stdout
    return {k.strip(): v.strip() for k, _, v in (line.partition(":") for line in out.splitlines())}


# The structure types of PDF 1.7 (ISO 32000-1, 14.8.4), which PDF/UA-1 builds on: any other type
# (/Strong, /Em, /Aside of PDF 2.0) must be mapped to one of these in the StructTreeRoot's /RoleMap.
STANDARD_STRUCTURE = set(
    "Document Part Art Sect Div BlockQuote Caption TOC TOCI Index NonStruct Private P H H1 H2 H3 H4 H5 H6 "
    "L LI Lbl LBody Table TR TH TD THead TBody TFoot Span Quote Note Reference BibEntry Code Link Annot "
    "Ruby RB RT RP Warichu WT WP Figure Formula Form".split()
)


def outline_titles(pdf: Path) -> list[tuple[int, str]]:
    """The PDF's bookmarks, depth first: (level, title)."""
    from pypdf import PdfReader

    out: list[tuple[int, str]] = []

    def walk(items: list, level: int) -> None:  # type: ignore[type-arg]
        for item in items:
            if isinstance(item, list):
                walk(item, level + 1)
            else:
                out.append((level, item.title))

    walk(PdfReader(pdf).outline, 0)
    return out


def _structure_elements(pdf: Path) -> tuple[dict, list[dict]]:
    """(the structure tree's root, every structure element of the tagged PDF)."""
    from pypdf import PdfReader

    root = PdfReader(pdf).trailer["/Root"]["/StructTreeRoot"].get_object()
    elements = []
    todo = [root.get("/K")]
    while todo:
        node = todo.pop()
        node = node.get_object() if hasattr(node, "get_object") else node
        if isinstance(node, list):
            todo.extend(node)
        elif hasattr(node, "get") and "/S" in node:
            elements.append(node)
            todo.append(node.get("/K"))
    return root, elements


def unmapped_structure_types(pdf: Path) -> set[str]:
    """Structure types in the tagged PDF that are neither standard nor role-mapped."""
    root, elements = _structure_elements(pdf)
    role_map = {str(k).lstrip("/") for k in (root.get("/RoleMap") or {})}
    return {str(node["/S"]).lstrip("/") for node in elements} - STANDARD_STRUCTURE - role_map


def figure_alts(pdf: Path) -> list[str]:
    """The alternate text (/Alt) of every Figure structure element of the tagged PDF."""
    return [str(node["/Alt"]) for node in _structure_elements(pdf)[1] if node["/S"] == "/Figure" and "/Alt" in node]


def shrunk_pages(pdf: Path) -> list[tuple[int, str, str]]:
    """Pages whose body Chromium drew smaller than their margin boxes (running head, page number): it
    shrinks the whole document when something is wider than the page. (page, margin scale, body scale)"""
    from pypdf import PdfReader

    out = []
    for n, page in enumerate(PdfReader(pdf).pages[1:], 2):  # the cover has no margin boxes
        content = page.get_contents().get_data().decode("latin-1")
        margin = re.search(r"(?m)^([\d.]+) 0 0 \1 [\d.]+ -?[\d.]+ cm$", content)
        body = re.search(r"re\nW\* n\nq\n([\d.]+) 0 0 \1 [\d.]+ -?[\d.]+ cm", content)
        if margin and body and abs(float(margin.group(1)) - float(body.group(1))) > 1e-4:
            out.append((n, margin.group(1), body.group(1)))
    return out


def stranded_lines(pdf: Path) -> list[tuple[int, list[str]]]:
    """Pages that hold only the last line or two of a paragraph begun on the page before
    (a widow): at most 3 lines under the running head, the first of them not a heading."""
    from pypdf import PdfReader

    out = []
    pages = pdftext(pdf).split("\f")
    for n, page in enumerate(PdfReader(pdf).pages, 1):
        lines = [line.strip() for line in pages[n - 1].splitlines() if line.strip()]
        body = [line for line in lines[1:] if not re.fullmatch(r"－\s*\d+\s*－", line)]  # below the running head, above the number
        if n == 1 or not body or len(body) > 3:
            continue
        sizes: list[float] = []

        def visit(text: str, cm: list[float], tm: list[float], font: object, size: float, sizes: list[float] = sizes, first: str = body[0]) -> None:
            if text.strip() and not sizes and text.strip()[:4] in first:
                sizes.append(size * abs(tm[3] * cm[3] + tm[2] * cm[1]))

        page.extract_text(visitor_text=visit)
        if not sizes or sizes[0] < 11.5:  # headings are 12 pt and larger, body text 9.5 pt
            out.append((n, body))
    return out


# --- fixtures ------------------------------------------------------------------


@pytest.fixture(scope="module")
def shinagawa_site(sample_masters: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """The Shinagawa sample published through the CLI, with the PDF."""
    require("chromium")
    out = tmp_path_factory.mktemp("pub") / "shinagawa-site"
    code, data = cli_json("publish", str(sample_masters["shinagawa"]), "--out", str(out), "--json")
    assert code == 0, data
    return out, data


@pytest.fixture(scope="module")
def kawasaki_site(sample_masters: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    require("chromium")
    out = tmp_path_factory.mktemp("pub") / "kawasaki-site"
    res = publish(sample_masters["kawasaki"], out)
    return out, res.to_json()


# --- the site ------------------------------------------------------------------


def test_site_has_every_page(shinagawa_site: tuple[Path, dict]) -> None:
    out, data = shinagawa_site
    plan = add_illustrative_actuals(load_sample("shinagawa"))
    for rel in ("index.html", "indicators.html", "roadmap.html", "related.html", "glossary.html", "method.html", "data.html", "assets/site.css"):
        assert (out / rel).is_file(), rel
    for ind in plan.indicators:
        page = out / "indicators" / f"{slug(ind.id)}.html"
        text = plain(page.read_text(encoding="utf-8"))
        assert ind.name in text and ind.target_wording in text
    assert len(list((out / "categories").glob("*.html"))) == len(plan.categories)
    assert data["site_index"] == str(out / "index.html")
    assert len(data["pages"]) == len(list(out.rglob("*.html")))
    assert (out / MARKER).is_file()
    # Nothing but the publication in the folder: no staging or print leftovers beside it.
    assert [p.name for p in out.parent.iterdir()] == [out.name]


def test_links_resolve_and_no_script(shinagawa_site: tuple[Path, dict], kawasaki_site: tuple[Path, dict]) -> None:
    for out, _ in (shinagawa_site, kawasaki_site):
        pages = list(out.rglob("*.html"))
        parsed = {p: parse(p) for p in pages}
        for page, info in parsed.items():
            # Only the search page has scripts (its search box, an enhancement), and only ours.
            own = OWN_SCRIPTS.findall(page.read_text(encoding="utf-8"))
            assert info.scripts == len(own) == (2 if page.name == "search.html" else 0), f"{page} has a script: the site must read without JavaScript"
            for link in info.links:
                parts = urlsplit(link)
                assert not parts.scheme and not parts.netloc, f"{page}: absolute link {link} would not work from file://"
                target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
                assert target.is_file(), f"{page}: broken link {link}"
                if parts.fragment and target.suffix == ".html":
                    assert parts.fragment in parsed[target].ids, f"{page}: no #{parts.fragment} in {target}"


def test_summary_page(shinagawa_site: tuple[Path, dict]) -> None:
    out, _ = shinagawa_site
    html = plain((out / "index.html").read_text(encoding="utf-8"))
    plan = add_illustrative_actuals(load_sample("shinagawa"))
    result = compute_plan(plan)
    total = next(r for r in result.summary if r.category == "")
    assert f"全{total.total}指標" in html
    assert "2022年度（令和4年度）" in html
    assert "前年度からの変化" in html and "2021年度（令和3年度）" in html
    assert "例示値" in html  # the illustrative figures are said to be so
    for c in plan.categories:
        assert c.name in html
    # Every status badge carries its icon and its word, never the colour alone.
    from envplan.rules.attainment import STATUS_ICONS

    badges = parse(out / "index.html").badges
    assert badges
    for b in badges:
        assert any(b.strip() == f"{icon}{name}" for name, icon in STATUS_ICONS.items()), b


def test_indicator_page_content(shinagawa_site: tuple[Path, dict]) -> None:
    out, _ = shinagawa_site
    html = plain((out / "indicators" / "s01.html").read_text(encoding="utf-8"))
    assert "平成32年度までに1,324千t-CO2" in html  # the original wording
    assert "2020年度（令和2年度）までに 1,324千t-CO2" in html  # the structured form
    assert re.search(r"<svg[^>]+role=\"img\"[^>]+aria-labelledby=", html)
    assert "<figcaption>" in html and "折れ線グラフ" in html  # text alternative shown too
    assert "データの遅れ（2年）" in html  # the lag note
    assert "評価の根拠" in html and "達成率 =" in html  # how the figures were obtained
    assert "2013年度（平成25年度）" in html  # years in the data table
    assert re.search(r"1,\d{3}千t-CO2", html)  # separators and units
    assert "寄せられた意見" in html
    # The chart is well-formed SVG named by its title; its description is the figure's caption only
    # (a <desc> as well would be read twice).
    figure = re.search(r"<figure.*?</figure>", html, re.S).group(0)  # type: ignore[union-attr]
    svg = re.search(r"<svg.*?</svg>", figure, re.S).group(0)  # type: ignore[union-attr]
    root = ET.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    assert root.find(f"{ns}title").text == "品川区のCO2排出量の推移"  # type: ignore[union-attr]
    assert root.find(f"{ns}desc") is None and root.get("aria-labelledby") == root.find(f"{ns}title").get("id")  # type: ignore[union-attr]
    assert "1,324千t-CO2" in re.search(r"<figcaption>(.*?)</figcaption>", figure, re.S).group(1)  # type: ignore[union-attr]


def test_roadmap_related_glossary_method(shinagawa_site: tuple[Path, dict]) -> None:
    out, _ = shinagawa_site
    plan = load_sample("shinagawa")
    roadmap = plain((out / "roadmap.html").read_text(encoding="utf-8"))
    for p in plan.projects:
        assert p.name in roadmap
        for ph in p.phases:
            assert ph.name in roadmap
    assert "今年度" in roadmap and "2022年度" in roadmap
    related = plain((out / "related.html").read_text(encoding="utf-8"))
    for rp in plan.related_plans:
        assert rp.name in related
    assert "2009年度（平成21年度）～2018年度（平成30年度）" in related  # 品川区長期基本計画
    assert "終期の定めなし" in related
    glossary = plain((out / "glossary.html").read_text(encoding="utf-8"))
    assert "達成率" in glossary and "データの遅れ" in glossary
    method = plain((out / "method.html").read_text(encoding="utf-8"))
    assert "Open SDG" in method and "100.0%以上" in method


def test_policy_pages(kawasaki_site: tuple[Path, dict]) -> None:
    out, data = kawasaki_site
    page = out / "policies" / "41303000.html"
    html = plain(page.read_text(encoding="utf-8"))
    for text in (
        "施策進行管理・評価票(1)",
        "41303000",
        "環境技術を活かした国際貢献",
        "環境局地球環境推進室",
        "2011年度（平成23年度）",
        "AⅡ",
        "施策が順調に推進したもの",
        "海外からの視察受入人数累計数",
        "大きいほどよい",
        "43,769",
        "国際環境施策推進事業",
        "かわさきコンパクト",
        "集計による評価案",
    ):
        assert text in html, text
    # No priority projects: no empty part about them, on the site or in the report.
    roadmap = plain((out / "roadmap.html").read_text(encoding="utf-8"))
    assert "登録されていません" not in roadmap and "重点プロジェクトの工程" not in roadmap and "指標・目標値の年度" in roadmap
    report = pdftext(out / "annual-report.pdf")
    assert "重点プロジェクト" not in report and "登録されていません" not in report
    assert "例示値" not in plain((out / "index.html").read_text(encoding="utf-8"))  # real figures: no notice
    assert data["policies"] == 1


# --- the PDFs --------------------------------------------------------------------


def test_report_pdf(shinagawa_site: tuple[Path, dict]) -> None:
    out, data = shinagawa_site
    pdf = out / "annual-report.pdf"
    assert data["report_pdf"] == str(pdf) and pdf.is_file()
    info = pdfinfo(pdf)
    assert info["Page size"].startswith("594.96 x 841.92") or "A4" in info["Page size"]
    assert info["Tagged"] == "yes"
    assert int(info["Pages"]) == data["report_pdf_pages"] >= 10
    assert "第二次品川区環境計画" in info["Title"]
    text = pdftext(pdf)
    plan = load_sample("shinagawa")
    for ind in plan.indicators:
        # Long names may wrap in a cell: look for their first ten characters.
        assert ind.name[:10] in text, ind.name
    for word in ("進捗状況報告書", "目次", "2022年度（令和4年度）", "重点プロジェクト", "関連計画", "用語集"):
        assert word in text, word
    pages = text.split("\f")
    assert re.search(r"－\s*3\s*－", pages[2]), "page numbers in the footer"
    assert not re.search(r"－\s*1\s*－", pages[0]), "no page number on the cover"
    # The contents page carries page numbers that match where the chapters are.
    toc = re.search(r"指標の達成状況\s*\.*\s*(\d+)", pages[1])
    assert toc, "contents without page numbers"
    assert "指標の達成状況" in pages[int(toc.group(1)) - 1] and "地球環境の指標の一覧" in pages[int(toc.group(1)) - 1]
    fonts = pdffonts(pdf)
    assert fonts and all(f[-5] == "yes" for f in fonts), fonts  # every font embedded
    names = " ".join(f[0] for f in fonts)
    assert "BIZUDPGothic" in names
    assert not any("Type" in f and "3" in f for f in fonts), "glyphs drawn as Type 3 outlines instead of a font"
    assert not [w for w in data["warnings"] if "フォントにない文字" in w]
    # Bookmarks read as words, not run together (「1品川区のCO2排出量やや遅れ」): number, name and status apart.
    titles = outline_titles(pdf)
    assert (0, "第二次品川区環境計画 進捗状況報告書") in titles
    first = plan.indicators[0]
    status = next(t for level, t in titles if level == 2 and t.startswith(f"1 {first.name}（"))
    assert re.fullmatch(rf"1 {re.escape(first.name)}（(達成|順調|やや遅れ|遅れ|悪化|評価不能)）", status), status
    entries = [t for level, t in titles if level == 2]
    assert len(entries) == len(plan.indicators) and all(re.fullmatch(r"\d+ .+（.+）", t) for t in entries), entries
    assert not unmapped_structure_types(pdf)  # PDF/UA: no /Strong without a /RoleMap
    # Each chart's Figure carries its title and its description (as the site's chart has for a screen reader).
    alts = figure_alts(pdf)
    described = [a for a in alts if "の年度別の値を示す折れ線グラフ。" in a]
    assert len(described) == len(plan.indicators), alts[:4]  # every indicator of the sample has a chart
    for ind in plan.indicators:
        alt = next(a for a in described if a.startswith(f"{ind.name}の推移。"))
        assert f"{ind.name}（単位: {ind.unit or 'なし'}）の年度別の値" in alt and "評価は「" in alt, alt
    assert any("計画期間を年度の横棒で示す図" in a for a in alts)  # the related plans' periods
    # Printed at print.css's sizes: a roadmap badge 2 px wider than its cell made the report wider than
    # the page, and Chromium laid it out twice and printed it shrunk (99.7 %: 8 pt became 7.98 pt).
    assert not shrunk_pages(pdf), shrunk_pages(pdf)[:3]
    assert not stranded_lines(pdf)  # the summary's last lines were left alone on a page of their own


def test_report_text_has_no_missing_glyph() -> None:
    """Every character the sample reports use is in the PDF's fonts."""
    from envplan.report.fonts import font_file, missing_glyphs

    if font_file("BIZ UDPGothic") is None:
        require("fc-match")
        pytest.skip("BIZ UDPGothic is not installed (make system-deps)")
    plan = add_illustrative_actuals(load_sample("all"))
    r = build_report(plan, compute_plan(plan), compute_plan(plan, plan.current_fy - 1))
    r.files = {"csv": "data/indicators.csv", "json": "data/indicators.json"}
    html = report_html(r)
    assert missing_glyphs(html + sheets_html(r)) == set()
    # Text not seen in print (the tables' hidden captions) gets no phrase breaks: each costs the tagged printing.
    hidden = re.findall(r'<caption class="visually-hidden">(.*?)</caption>', html, re.S)
    assert hidden and all("<wbr>" not in c for c in hidden)
    assert "<wbr>" in html
    # A chart is an image of its SVG whose alt text is its description (the tagged PDF's /Alt), and the
    # text drawn in it is still in the page's characters checked against the fonts above.
    charts = re.findall(r'<figure class="chart[^"]*"><img class="chart[^"]*" width="[\d.]+" height="[\d.]+" alt="([^"]*)" src="data:image/svg\+xml;charset=utf-8,([^"]*)"></figure>', html)
    assert len(charts) == sum(1 for v in r.indicators if v.print_chart) + 1  # and the related plans' periods
    assert all("折れ線グラフ" in alt for alt, _ in charts[:-1]) and "計画期間" in charts[-1][0]
    assert "<svg" not in html and all("%3Csvg" in src and "%3Ctext" in src for _, src in charts)


def test_report_roadmap_breaks_phases_between_phrases(shinagawa_site: tuple[Path, dict]) -> None:
    """A phase in a one-year cell wraps between phrases (「事業の/開始」), never inside one (「事業/の開/始」);
    a target's number stays with its unit (「31/%」 was split)."""
    from envplan.report.typeset import phrase_breaks

    out, _ = shinagawa_site
    pdf = out / "annual-report.pdf"
    pages = pdftext(pdf).split("\f")
    page = next(p for p in pages if "重点プロジェクトの工程表" in p)
    raw = subprocess.run([require("pdftotext"), "-enc", "UTF-8", "-f", str(pages.index(page) + 1), "-l", str(pages.index(page) + 1), str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    lines = [line.strip() for line in raw.splitlines() if line.strip()]
    plan = load_sample("shinagawa")
    wrapped = 0
    for name in {ph.name for p in plan.projects for ph in p.phases if ph.start_fy == ph.end_fy}:
        parts = str(phrase_breaks(name)).split("<wbr>")
        allowed = {sum(len(x) for x in parts[:k]) for k in range(len(parts) + 1)} | {m.end() for m in re.finditer(r"・", name)}
        found = [(i, j) for i in range(len(lines)) for j in range(i + 1, min(i + 6, len(lines)) + 1) if "".join(lines[i:j]) == name]
        assert found, name
        i, j = found[0]
        cuts = {sum(len(x) for x in lines[i:k]) for k in range(i, j + 1)}
        assert cuts <= allowed, (name, lines[i:j])
        wrapped += j - i > 1
    assert wrapped, "no one-year phase wraps in the sample: the test would not see a bad break"
    assert not any(re.search(r"\d$", a) and re.match(r"[%％]", b) for a, b in zip(lines, lines[1:]))


def test_evaluation_sheets_pdf(kawasaki_site: tuple[Path, dict]) -> None:
    out, data = kawasaki_site
    pdf = out / "evaluation-sheets.pdf"
    assert data["evaluation_sheets"] == str(pdf)
    assert data["evaluation_sheet_pages"] == 2  # the sample's one sheet at 9 pt or more: two A4 pages
    text = pdftext(pdf)
    for word in ("施策進行管理・評価票(1)", "環境技術を活かした国際貢献", "基本情報", "成果の説明", "AⅡ", "参考指標", "事業費", "43,769", "配下の事務事業一覧", "国際環境施策推進事業", "用語説明", "グリーン・イノベーション"):
        assert word in text, word
    assert all(f[-5] == "yes" for f in pdffonts(pdf))
    assert outline_titles(pdf)[0] == (0, "施策進行管理・評価票(1) 環境技術を活かした国際貢献")
    assert not unmapped_structure_types(pdf)  # the sheet's 評価年度 was a /Strong without a /RoleMap


def test_no_pdf_option(sample_masters: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "site"
    proc = run_cli("publish", str(sample_masters["kawasaki"]), "--out", str(out), "--no-pdf")
    assert proc.returncode == 0, proc.stderr
    assert not list(out.glob("*.pdf"))
    assert ".pdf" not in plain((out / "index.html").read_text(encoding="utf-8"))
    assert "index.html" in proc.stderr


# --- open data -------------------------------------------------------------------


def _hostile_master(tmp_path: Path) -> Path:
    plan = add_illustrative_actuals(load_sample("shinagawa"))
    ind = plan.indicators[0]
    ind.name = "<script>alert('x')</script>=HYPERLINK(\"http://evil\")"
    plan.indicators[1].name = "=1+2"
    plan.indicators[2].unit = "@SUM(A1)"
    plan.indicators[3].values[2014] = YearValue(actual=3, note="+cmd|' /C calc'!A0")
    plan.indicators[4].target_wording = "-2+3 平成34年度までに440g/人・日"
    plan.opinions.append(Opinion(id="O1", fy=2022, source="区民意見", subject="indicator", subject_id=ind.id, text="<img src=x onerror=alert(1)> 大変よい取組です"))
    plan.glossary.append(GlossaryEntry(term="<b>用語</b>", description="説明 & <i>注</i>"))
    master = tmp_path / "hostile.xlsx"
    save_master(plan, master)
    return master


def test_open_data_csv_and_json(tmp_path: Path) -> None:
    master = _hostile_master(tmp_path)
    res = publish(master, tmp_path / "site", pdf=False)
    raw = Path(res.open_data["csv"]).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads it as UTF-8
    text = raw.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == [f.header for f in FIELDS]
    body = rows[1:]
    # One row per indicator × fiscal year: the evaluated years, and the baseline year (2012) the demo's actuals start from.
    plan_years = sum(len(i.years) + (1 if i.baseline_fy is not None and i.baseline_fy < 2013 else 0) for i in compute_plan(add_illustrative_actuals(load_sample("shinagawa"))).indicators)
    assert len(body) == plan_years
    for row in body:
        for cell in row:
            assert not cell or cell[0] not in "=+-@\t\r", f"formula injection not neutralised: {cell!r}"
    cells = {c for row in body for c in row}
    assert "'=1+2" in cells and "'@SUM(A1)" in cells and "'+cmd|' /C calc'!A0" in cells
    assert any(c.startswith("'-2+3") for c in cells)
    # Numbers stay numbers (negative ones too would keep their sign: they are not text).
    col = {h: k for k, h in enumerate(rows[0])}
    s01 = [r for r in body if r[col["指標ID"]] == "S01" and r[col["年度"]] == "2020"][0]
    assert float(s01[col["実績値"]]) > 1000 and s01[col["例示値"]] == "1"  # actual value; illustrative flag
    doc = json.loads(Path(res.open_data["json"]).read_text(encoding="utf-8"))
    assert len(doc["records"]) == len(body)
    assert [f["key"] for f in doc["fields"]] == [f.key for f in FIELDS]
    assert doc["records"][0]["indicator"].startswith("<script>")  # JSON keeps the text as it is
    readme = Path(res.open_data["readme"]).read_text(encoding="utf-8")
    assert "UTF-8" in readme and "例示値" in readme


def test_workbook_text_is_escaped(tmp_path: Path) -> None:
    master = _hostile_master(tmp_path)
    out = tmp_path / "site"
    publish(master, out, pdf=False)
    for page in out.rglob("*.html"):
        html = OWN_SCRIPTS.sub("", plain(page.read_text(encoding="utf-8")))
        assert "<script" not in html and "<img" not in html and "<b>用語" not in html, page
    ind_page = plain((out / "indicators" / "s01.html").read_text(encoding="utf-8"))
    assert "&lt;script&gt;alert(" in ind_page and "&lt;img src=x onerror=alert(1)&gt; 大変よい取組です" in ind_page
    # The SVG chart's title and description are escaped too, and still parse.
    svg = re.search(r"<svg.*?</svg>", ind_page, re.S).group(0)  # type: ignore[union-attr]
    assert ET.fromstring(svg).find("{http://www.w3.org/2000/svg}title").text.startswith("<script>")  # type: ignore[union-attr]
    # The print version as well.
    plan = add_illustrative_actuals(load_sample("shinagawa"))
    plan.indicators[0].name = "<script>x</script>"
    r = build_report(plan, compute_plan(plan))
    r.files = {"csv": "c", "json": "j"}
    assert "<script>x" not in report_html(r) and "&lt;script&gt;x" in report_html(r)


# --- the output folder and errors ------------------------------------------------


def test_republish_replaces_and_foreign_folder_is_refused(sample_masters: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "site"
    publish(sample_masters["kawasaki"], out, pdf=False)
    (out / "stale.html").write_text("old", encoding="utf-8")
    publish(sample_masters["kawasaki"], out, pdf=False)
    assert not (out / "stale.html").exists()  # a fresh publication, not a mixture
    foreign = tmp_path / "documents"
    foreign.mkdir()
    (foreign / "keep.txt").write_text("mine", encoding="utf-8")
    code, data = cli_json("publish", str(sample_masters["kawasaki"]), "--out", str(foreign), "--no-pdf", "--json")
    assert code == 2 and data["ok"] is False and "公表用以外のファイル" in data["error"]["message"]
    assert [p.name for p in foreign.iterdir()] == ["keep.txt"]


def test_invalid_master_is_not_published(sample_masters: dict[str, Path], tmp_path: Path) -> None:
    import openpyxl

    master = tmp_path / "bad.xlsx"
    shutil.copy2(sample_masters["kawasaki"], master)
    wb = openpyxl.load_workbook(master)
    ws = wb["指標"]
    ws.cell(4, 1).value = None  # an indicator without its ID
    wb.save(master)
    code, data = cli_json("publish", str(master), "--out", str(tmp_path / "site"), "--no-pdf", "--json")
    assert code == 1 and data["ok"] is False
    assert data["errors"] and data["errors"][0]["sheet"] == "指標"
    assert not (tmp_path / "site").exists()
    with pytest.raises(PublishError):
        publish(tmp_path / "missing.xlsx", tmp_path / "x", pdf=False)


# --- small rules ----------------------------------------------------------------


@given(st.text(max_size=30))
def test_neutralise_formula(text: str) -> None:
    out = neutralise_formula(text)
    if text and text[0] in "=+-@\t\r":
        assert out == "'" + text
    else:
        assert out == text


@given(st.text(max_size=40))
def test_css_string_cannot_break_out(text: str) -> None:
    out = str(css_string(text))
    assert not set(out) & set('"<>&\n\r')
    # Undoing the escapes gives the text back.
    assert re.sub(r"\\([0-9a-f]+) ", lambda m: chr(int(m.group(1), 16)), out) == text


@given(st.text(min_size=1, max_size=20))
def test_slugs_are_file_name_safe(text: str) -> None:
    assert re.fullmatch(r"[a-z0-9_-]+", slug(text))


def test_pages_of_similar_ids_do_not_clash() -> None:
    plan = load_sample("kawasaki")
    first = plan.indicators[0]
    twin = first.model_copy(update={"id": first.id.lower()})  # the same file name on a case-blind disk
    kanji = first.model_copy(update={"id": "指標１"})
    plan.indicators += [twin, kanji]
    r = build_report(plan, compute_plan(plan))
    slugs = [v.slug for v in r.indicators]
    assert len(set(slugs)) == len(slugs)
    assert all(re.fullmatch(r"[a-z0-9_-]+", s) for s in slugs)


def test_paragraphs_escape_and_list() -> None:
    html = str(paragraphs("●一つ目 <b>\n●二つ目\n普通の段落 & 記号"))
    assert html == '<ul class="bullets"><li>一つ目 &lt;b&gt;</li><li>二つ目</li></ul><p>普通の段落 &amp; 記号</p>'


def test_a_printed_site_page_prints_its_folded_parts(shinagawa_site: tuple[Path, dict], tmp_path: Path) -> None:
    """A reader who prints an indicator page gets 各年度の算出内容 too: paper cannot be clicked open."""
    site, _ = shinagawa_site
    page = next(p for p in sorted((site / "indicators").glob("*.html")) if "<details>" in plain(p.read_text(encoding="utf-8")))
    folded = re.search(r"<details>.*?<li><strong>[^<]*</strong>([^<]{12})", plain(page.read_text(encoding="utf-8")), re.S)
    assert folded, page
    pdf = tmp_path / "printed.pdf"
    subprocess.run(
        [require("chromium"), "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer", f"--print-to-pdf={pdf}", page.as_uri()],
        capture_output=True, timeout=120, check=True,
    )
    printed = re.sub(r"\s", "", pdftext(pdf))
    assert "各年度の算出内容" in printed and re.sub(r"\s", "", folded.group(1)) in printed


# --- plans of any shape publish (issue 11) -----------------------------------------


def test_policy_whose_references_have_different_years_publishes(tmp_path: Path) -> None:
    """A lagged reference indicator beside ordinary ones (and one with plan values
    beyond the others) used to crash the evaluation sheet: `publish` must succeed."""
    plan = load_sample("kawasaki")
    refs = plan.policies[0].reference_indicators
    first, second = plan.indicator(refs[0]), plan.indicator(refs[1])
    assert first is not None and second is not None
    del first.values[2013]  # lagged: the last year has not arrived
    del second.values[2010]
    master = tmp_path / "m.xlsx"
    save_master(plan, master)
    out = tmp_path / "site"
    proc = run_cli("publish", str(master), "--out", str(out), "--no-pdf")
    assert proc.returncode == 0, proc.stderr
    page = out / "policies" / f"{slug(plan.policies[0].code, 'policy')}.html"
    table = page.read_text(encoding="utf-8").split('class="sheet-table sheet-ref-values"')[1].split("</table>")[0]
    rows = re.findall(r"<tr>(.*?)</tr>", table.split("<tbody>")[1], re.S)
    assert len(rows) == 4  # 2010–2013: the union of the indicators' years
    assert rows[0].count("－") >= 2 and rows[-1].count("－") >= 2  # each indicator's missing year shown as －


def test_municipality_is_not_doubled_when_the_plan_name_has_it(shinagawa_site: tuple[Path, dict], kawasaki_site: tuple[Path, dict]) -> None:
    """「川崎市 第3期実行計画」: not 「川崎市は、川崎市 第3期…」 nor 「川崎市　川崎市」; a name that does not
    start with the municipality (「第二次品川区環境計画」) keeps it in front."""
    k_out, _ = kawasaki_site
    index = plain((k_out / "index.html").read_text(encoding="utf-8"))
    assert "川崎市は、第3期実行計画 施策進行管理（" in index
    for page in k_out.rglob("*.html"):
        text = re.sub(r"<[^>]+>", "", plain(page.read_text(encoding="utf-8")))
        assert not re.search(r"川崎市[\s　]*(は、)?川崎市", text), page
    assert "川崎市は、川崎市" not in pdftext(k_out / "annual-report.pdf").replace("\n", "")
    s_out, _ = shinagawa_site
    s_index = plain((s_out / "index.html").read_text(encoding="utf-8"))
    assert "品川区は、第二次品川区環境計画（" in s_index and '<p class="site-owner">品川区</p>' in s_index


def test_one_displayed_precision_per_indicator_and_readers_words(shinagawa_site: tuple[Path, dict]) -> None:
    """S02 is typed with two decimals (1.95 → 1.7): every figure of it, computed 見込み値 included, shows
    two decimals on the page and in 評価の根拠 (1.92, not 1.919 beside 1.93). Open SDG's text names
    fiscal years and the reader's word only; the CSV calls the path value 見込み値 as the site does."""
    from envplan.plan.numbers import indicator_digits

    assert indicator_digits([1.95, 1.7, None, 2.0]) == 2 and indicator_digits([745.0, 1520.0]) == 0 and indicator_digits([1 / 3]) == 3
    out, data = shinagawa_site
    html = re.sub(r"<[^>]+>", "", plain((out / "indicators" / "s02.html").read_text(encoding="utf-8")))
    assert "1.92t-CO2/世帯" in html and "1.70t-CO2/世帯" in html
    # Only the plan's own wording, kept as written (平成32年度までに1.7t-CO2/世帯), has another form.
    assert not re.search(r"\d\.\d{3}t-CO2/世帯", html) and not re.search(r"(?<![\d.])(?<!平成32年度までに)1\.7t-CO2", html)
    for page in out.rglob("*.html"):
        text = plain(page.read_text(encoding="utf-8"))
        assert not re.search(r"（(substantial|moderate|limited)_progress|（deterioration|（target_achieved", text), page
        assert "を記録しました" not in text and "期待値" not in text, page
    assert re.search(r"基準年度 \d{4}年度（", html)
    header = Path(data["open_data"]["csv"]).read_text(encoding="utf-8-sig").splitlines()[0]
    assert "見込み値" in header and "期待値" not in header


def test_summary_lists_lagged_indicators_and_is_capped_on_big_plans() -> None:
    """A lagged indicator's figure that arrived this year is 「新しい実績値」, and its move from 達成 to worse
    on that figure is a change from last year (last year it was judged on the year before);
    on an 80-indicator plan the lists are capped, with the rest counted."""
    import importlib.util

    from envplan.report.context import CHANGES_SHOWN, NEW_FIGURES_SHOWN
    from envplan.report.platform import build_platform
    from envplan.rules.compute import compute_plan

    plan = add_illustrative_actuals(load_sample("shinagawa"))
    s02 = next(i for i in plan.indicators if i.id == "S02")
    assert s02.data_lag == 2 and plan.current_fy == 2022
    s02.values[2019].actual, s02.values[2020].actual = 1.69, 1.90  # 2019 達成; 2020 (arrived in FY2022) short of the target
    r = build_report(plan, compute_plan(plan), compute_plan(plan, 2021))
    name = s02.name
    assert any(c.text.startswith(f"{name}: 達成 → ") and c.kind == "worse" for c in r.changes), [c.text for c in r.changes]
    assert any(c.text.startswith(f"{name}（2020年度") for c in r.new_figures), [c.text for c in r.new_figures]
    assert r.changes[0].kind == "worse"  # the worst news first

    spec = importlib.util.spec_from_file_location("bench_publish", ROOT / "benchmarks" / "bench_publish.py")
    bench = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(bench)  # type: ignore[union-attr]
    big = bench.make_plan(80, 10)
    big_r = build_report(big, compute_plan(big), compute_plan(big, big.current_fy - 1))
    big_r.files = {"csv": "c", "json": "j"}
    assert big_r.new_figures_total > NEW_FIGURES_SHOWN and len(big_r.new_figures) == NEW_FIGURES_SHOWN
    assert len(big_r.changes) <= CHANGES_SHOWN
    html = environment().get_template("site/index.html").render(r=big_r, pf=build_platform(big_r, []), root="", nav=[], current="", crumbs=[], page_title="t", data_fields=[])
    assert f"ほか {big_r.new_figures_total - NEW_FIGURES_SHOWN} 件" in html


def test_data_note_in_words_and_era_dates() -> None:
    import datetime as dt

    from envplan.report.formatting import era_date, years_in_words

    assert years_in_words("H34時点で入手可能な最新データがH32") == "2022年度（令和4年度）時点で入手可能な最新データが2020年度（令和2年度）"
    assert years_in_words("R2年度の値、CH4・H2O は変えない") == "2020年度（令和2年度）の値、CH4・H2O は変えない"
    assert era_date(dt.date(2026, 12, 1)) == "令和8年12月1日" and era_date(dt.date(2019, 5, 1)) == "令和元年5月1日" and era_date(dt.date(2019, 4, 30)) == "平成31年4月30日"


def _edges_are_white(pdf: Path, page: int, margin_mm: float = 8.0) -> bool:
    """Nothing printed within `margin_mm` of the paper's edge (office printers cannot print there)."""
    tool = require("pdftoppm")
    raw = subprocess.run([tool, "-r", "30", "-gray", "-f", str(page), "-l", str(page), str(pdf)], capture_output=True, check=True).stdout
    parts = raw.split(maxsplit=4)  # P5 width height maxval data
    w, h, data = int(parts[1]), int(parts[2]), parts[4]
    m = max(1, round(margin_mm / 25.4 * 30))
    edge = [data[y * w + x] for y in range(h) for x in range(w) if x < m or x >= w - m or y < m or y >= h - m]
    return min(edge) > 250


def test_cover_footer_and_pdf_structure_with_publisher_and_contact(tmp_path: Path) -> None:
    """発行者・問い合わせ先 from 設定 on every page's footer and the cover; the cover dated in the era
    too and printable on an office printer (no full-bleed band)."""
    from pypdf import PdfReader

    require("chromium")
    plan = add_illustrative_actuals(load_sample("shinagawa"))
    plan.publisher, plan.contact = "環境部環境課", "環境部環境課 電話 00-0000-0000"
    master = tmp_path / "m.xlsx"
    save_master(plan, master)
    res = publish(master, tmp_path / "site", today=dt.date(2026, 12, 1))
    for page in (tmp_path / "site").rglob("*.html"):
        text = plain(page.read_text(encoding="utf-8"))
        assert "問い合わせ先: 環境部環境課 電話 00-0000-0000" in text and "発行: 環境部環境課" in text, page
    pdf = Path(res.report_pdf)  # type: ignore[arg-type]
    reader = PdfReader(pdf)
    cover = reader.pages[0].extract_text()
    assert "令和8年12月1日" in cover and "発行: 環境部環境課" in cover and "00-0000-0000" in cover
    assert _edges_are_white(pdf, 1)


def test_published_pages_mark_english_and_break_by_phrase(shinagawa_site: tuple[Path, dict]) -> None:
    """The typesetting reaches the real pages: English marked lang="en", phrase breaks, units held."""
    out, _ = shinagawa_site
    method = (out / "method.html").read_text(encoding="utf-8")
    assert '<span lang="en">CAGR</span>' in method and '<span lang="en">Open SDG</span>' in method
    page = (out / "indicators" / "s01.html").read_text(encoding="utf-8")
    assert '<span class="nb">1,324千t-CO2</span>' in page and "<wbr>" in page
    assert "千t-<wbr>" not in page and "年<wbr>度" not in page


def test_open_sdg_word_pointing_the_other_way_is_explained(shinagawa_site: tuple[Path, dict]) -> None:
    from envplan.report.context import opensdg_note

    assert opensdg_note("悪化", "substantial_progress", "大きく前進").startswith("この計画の判定（悪化）は")
    assert opensdg_note("達成", "deterioration", "悪化") and not opensdg_note("達成", "target_achieved", "目標達成")
    assert not opensdg_note("遅れ", "limited_progress", "わずかな前進")
    out, _ = shinagawa_site
    explained = 0
    for page in (out / "indicators").glob("*.html"):
        text = re.sub(r"<[^>]+>", "", plain(page.read_text(encoding="utf-8")))
        if "見る点が違うため" in text:
            explained += 1
            assert "Open SDG の評価（" in text
    assert explained >= 1
    from pypdf import PdfReader

    printed = re.sub(r"\s+", "", "".join(p.extract_text() for p in PdfReader(out / "annual-report.pdf").pages))
    assert "見る点が違う別の方法" in printed and "参考:国際比較の方法" in printed


def test_basis_leads_with_a_plain_sentence_and_folds_the_formulas(shinagawa_site: tuple[Path, dict]) -> None:
    out, _ = shinagawa_site
    html = plain((out / "indicators" / "s01.html").read_text(encoding="utf-8"))
    section = html[html.index('id="h-basis"') :]
    lead = re.search(r'<p class="basis-lead">(.*?)</p>', section).group(1)  # type: ignore[union-attr]
    assert "の実績値" in lead and "と比べ、「" in lead and "=" not in lead  # words, no formula
    details = section[section.index('<details class="basis-details">') :]
    assert section.index("basis-lead") < section.index("basis-details") and "達成率 =" in details[: details.index("</details>")]


def test_anchor_pages_reads_a_pdf_strict_reading_refuses(tmp_path: Path) -> None:
    """The page numbers are read strictly (fast), and leniently from a file strict reading refuses."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.errors import PdfReadError

    from envplan.report.pdf import anchor_pages

    writer = PdfWriter()
    for _ in range(3):
        writer.add_blank_page(595, 842)
    writer.add_named_destination("ch-summary", 2)
    good = tmp_path / "good.pdf"
    writer.write(good)
    counts: dict[str, int] = {}
    assert anchor_pages(good, counts) == {"ch-summary": 3} and counts == {"pages": 3}
    # A startxref pointing a few bytes off, as a damaged file may have: strict pypdf refuses it.
    data = good.read_bytes()
    head, _, tail = data.rpartition(b"startxref\n")
    offset, _, rest = tail.partition(b"\n")
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(head + b"startxref\n" + str(int(offset) + 3).encode() + b"\n" + rest)
    with pytest.raises(PdfReadError):
        len(PdfReader(broken, strict=True).pages)
    assert anchor_pages(broken) == {"ch-summary": 3}
