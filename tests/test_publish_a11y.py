"""Accessibility of the published site: axe-core (WCAG 2.0/2.1 A and AA rules)
on every page, in headless Chromium, for both samples."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from conftest import ROOT, cli_json, require
from envplan.report.a11y_check import check_site
from envplan.report.a11y_results import POLICY_PAGE, RESULTS_JSON, RESULTS_PAGE, A11yResults, PageCheck, RuleInfo, Violation, load_results, results_view
from envplan.report.chromium import Browser
from envplan.report.formatting import era_date
from envplan.report.publish import PublishError, publish
from envplan.report.typeset import plain
from envplan.workbook.io import CalamineSource
from envplan.workbook.validation import validate_source
from returns_kit import set_setting

AXE = ROOT / "tests" / "node" / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def axe_source() -> str:
    if not AXE.is_file():
        require("npm")  # skips locally / fails in CI when the tools are missing
        pytest.fail(f"axe-core is not installed at {AXE} (run `make system-deps`)")
    return AXE.read_text(encoding="utf-8")


def run_axe(browser: Browser, source: str, page: Path) -> list[dict]:
    browser.goto(page.as_uri())
    browser.evaluate(source)
    options = json.dumps({"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]})
    script = (
        f"axe.run(document, {options}).then(r => r.violations.map(v => ({{id: v.id, impact: v.impact, help: v.help, "
        "nodes: v.nodes.slice(0, 3).map(n => ({target: n.target.join(' '), summary: n.failureSummary}))})))"
    )
    return browser.evaluate(script, await_promise=True)


@pytest.fixture(scope="module")
def shinagawa_master(sample_masters: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Shinagawa sample with a correction in its change log: its site has the お知らせ page."""
    from envplan.survey.yearly import correction_changes, run_on_master

    master = tmp_path_factory.mktemp("a11y-master") / "shinagawa.xlsx"
    master.write_bytes(sample_masters["shinagawa"].read_bytes())
    run_on_master(master, lambda st: correction_changes(st, "S03", 2022, "actual", "99", reason="転記の誤り", at="2026-06-15T10:00:00"))
    return master


@pytest.fixture(scope="module")
def sites(sample_masters: dict[str, Path], shinagawa_master: Path, tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Both samples' sites; Kawasaki's through the CLI with `--a11y-check` (publish runs axe-core itself)."""
    out = tmp_path_factory.mktemp("a11y")
    publish(shinagawa_master, out / "shinagawa", pdf=False)
    assert (out / "shinagawa" / "updates.html").is_file()
    require("chromium")
    axe_source()
    code, data = cli_json("publish", str(sample_masters["kawasaki"]), "--out", str(out / "kawasaki"), "--no-pdf", "--a11y-check", "--json")
    assert code == 0, data
    assert data["a11y_pages"] == len(data["pages"]) - 1 and data["a11y_problem_pages"] == []  # every page but the results page itself
    return [out / "shinagawa", out / "kawasaki"]


@pytest.fixture(scope="module")
def shinagawa_results(sites: list[Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The test run's own results for every page of the Shinagawa site, as a results file (for `--a11y-results`)."""
    site = sites[0]
    pages = sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html"))
    with Browser(require("chromium"), width=1280, height=900) as browser:
        results = check_site(site, pages, plan="test run", browser=browser, axe=AXE)
    path = tmp_path_factory.mktemp("a11y-results") / "results.json"
    path.write_text(results.to_json(), encoding="utf-8")
    return path


def _violations(results: A11yResults) -> dict[str, list]:
    return {p.page: [v.model_dump() for v in p.violations] for p in results.pages if p.violations}


@pytest.mark.browser
def test_axe_finds_no_violation_on_any_page(sites: list[Path], shinagawa_results: Path) -> None:
    """axe-core on every page of both samples: Shinagawa's by the test run (the results file), Kawasaki's
    by `publish --a11y-check` itself (its published results), and Kawasaki's results page here."""
    shinagawa, kawasaki = sites
    tested = load_results(shinagawa_results)
    assert {p.page for p in tested.pages} == {p.relative_to(shinagawa).as_posix() for p in shinagawa.rglob("*.html")}
    assert not _violations(tested), json.dumps(_violations(tested), ensure_ascii=False, indent=1)
    published = load_results(kawasaki / RESULTS_JSON)
    pages = {p.relative_to(kawasaki).as_posix() for p in kawasaki.rglob("*.html")}
    assert {p.page for p in published.pages} == pages - {RESULTS_PAGE}
    assert not _violations(published), json.dumps(_violations(published), ensure_ascii=False, indent=1)
    assert len(tested.pages) + len(published.pages) >= 40
    assert published.tested_date == dt.date.today() and published.tool_version and "Chrome" in published.browser
    with Browser(require("chromium"), width=1280, height=900) as browser:
        violations = run_axe(browser, axe_source(), kawasaki / RESULTS_PAGE)
    assert not violations, json.dumps(violations, ensure_ascii=False, indent=1)


@pytest.mark.browser
def test_results_page_shows_what_was_run_and_nothing_else(sites: list[Path]) -> None:
    """Kawasaki's results page lists every tested page and the rules run, with the test's date and tool;
    Shinagawa's (no test with its publish) says that no results are published yet, and so does its policy."""
    shinagawa, kawasaki = sites
    published = load_results(kawasaki / RESULTS_JSON)
    html = (kawasaki / RESULTS_PAGE).read_text(encoding="utf-8")
    text = plain(html)
    assert f"axe-core {published.tool_version}" in text and era_date(published.tested_date) in text
    assert f"試験したページ（{len(published.pages)} ページ）" in text
    for p in published.pages:
        assert f'href="{p.page}"' in html
    assert "image-alt" in text and "<td>問題あり</td>" not in html and "<td>問題なし</td>" in html and "まだ公開していません" not in text
    assert "このページ自体は、試験の結果を載せるため試験の後に作成しており" in text and "次のページは試験していません" not in text
    assert "accessibility-results.html" in (kawasaki / POLICY_PAGE).read_text(encoding="utf-8")
    assert "試験の結果はまだ公開していません" not in plain((kawasaki / POLICY_PAGE).read_text(encoding="utf-8"))
    assert "このサイトの試験の結果は、まだ公開していません。" in plain((shinagawa / RESULTS_PAGE).read_text(encoding="utf-8"))
    assert "試験の結果はまだ公開していません" in plain((shinagawa / POLICY_PAGE).read_text(encoding="utf-8"))
    assert not (shinagawa / RESULTS_JSON).exists()
    for site in sites:  # the policy is linked from every page's footer, beside the contact
        for page in site.rglob("*.html"):
            assert 'accessibility.html">ウェブアクセシビリティ方針' in plain(page.read_text(encoding="utf-8")), page


@pytest.mark.browser
def test_publish_shows_the_results_file_of_a_test_run(sample_masters: dict[str, Path], shinagawa_master: Path, shinagawa_results: Path, tmp_path: Path) -> None:
    """`--a11y-results FILE`: the test run's results are published; the policy follows 設定, and the page
    changed by that (the policy) is marked as changed since the test. A bad setting or file is refused."""
    master = tmp_path / "m.xlsx"
    master.write_bytes(shinagawa_master.read_bytes())
    set_setting(master, "a11y_level", "ＡＡ")
    set_setting(master, "a11y_conformance", "一部準拠")
    set_setting(master, "a11y_deadline", "2027年3月31日")
    set_setting(master, "a11y_exceptions", "年次報告書の PDF は対象外です。")
    code, data = cli_json("publish", str(master), "--out", str(tmp_path / "site"), "--no-pdf", "--a11y-results", str(shinagawa_results), "--json")
    assert code == 0, data
    site = tmp_path / "site"
    policy = plain((site / POLICY_PAGE).read_text(encoding="utf-8"))
    assert "2027年3月31日までに、JIS X 8341-3:2016 の適合レベル AA に一部準拠することを目標とします。" in policy
    assert "年次報告書の PDF は対象外です。" in policy and "例外事項" in policy
    html = plain((site / RESULTS_PAGE).read_text(encoding="utf-8"))
    tested = load_results(shinagawa_results)
    assert f"試験したページ（{len(tested.pages) - 1} ページ）" in html  # the results page of the test run is not shown as this one's
    assert html.count("試験の後に内容が変わりました") == 1
    section = html.index("ページごとの結果")
    assert section < html.index('href="accessibility.html"', section) < html.index("試験の後に内容が変わりました")
    assert "公表資料の作成とは別に行った試験の記録です" in html and "適合レベル AA に一部準拠" in html
    assert load_results(site / RESULTS_JSON) == tested

    cell = set_setting(master, "a11y_level", "AAAA")
    errors = validate_source(CalamineSource(master)).diagnostics.errors
    assert [(e.code, e.sheet, e.cell) for e in errors] == [("SETTING_INVALID", "設定", cell)] and "A・AA・AAA" in errors[0].message
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "something-else"}', encoding="utf-8")
    with pytest.raises(PublishError, match="試験結果のファイルではありません") as e:
        publish(sample_masters["shinagawa"], tmp_path / "site2", pdf=False, a11y_results=bad)
    assert e.value.invalid_input and not (tmp_path / "site2").exists()


def test_results_view_keeps_only_this_sites_pages_and_marks_changed_ones() -> None:
    results = A11yResults(
        tool_version="4.0",
        tested_at="2026-11-30T10:00:00",
        rules={"image-alt": RuleInfo(help="画像には代替テキスト", tags=["wcag2a", "wcag111"]), "target-size": RuleInfo(help="x", tags=["wcag22aa", "wcag258"])},
        pages=[
            PageCheck(page="index.html", title="概要｜計画", sha256="a", passes=["image-alt"]),
            PageCheck(page="old.html", title="古い", sha256="b", violations=[Violation(id="image-alt", nodes=2)]),
            PageCheck(page="roadmap.html", title="ロードマップ", sha256="c", violations=[Violation(id="image-alt", nodes=1)], inapplicable=["target-size"]),
        ],
    )
    view = results_view(results, {"index.html": "a", "roadmap.html": "changed", "glossary.html": "d", RESULTS_PAGE: "e"})
    assert [(p.page, p.title, p.violations, p.changed) for p in view.pages] == [("index.html", "概要", 0, False), ("roadmap.html", "ロードマップ", 1, True)]
    assert view.untested == ["glossary.html"] and view.problems == 1 and view.changed == 1
    rows = {r.id: r for r in view.rules}
    assert (rows["image-alt"].criteria, rows["image-alt"].level, rows["image-alt"].passed, rows["image-alt"].failed) == ("1.1.1", "A", 1, 1)  # old.html not counted
    assert (rows["target-size"].criteria, rows["target-size"].level, rows["target-size"].inapplicable) == ("2.5.8", "AA", 1)


@pytest.mark.browser
def test_roadmap_with_co_department_reports_has_no_violation(tmp_path: Path) -> None:
    """The co-departments' reports (関係課の取組) on the roadmap page: axe-clean, and no sideways overflow on a phone."""
    from envplan.plan.illustrative import add_illustrative_actuals
    from envplan.plan.model import ProjectPartReport
    from envplan.plan.samples import load_sample
    from envplan.workbook.writer import save_master

    chromium = require("chromium")
    plan = add_illustrative_actuals(load_sample("shinagawa"))
    for proj in plan.projects:
        proj.part_reports = [ProjectPartReport(fy=fy, department=d, status="遅れ" if fy == plan.current_fy else None, comment="（例示）担当部分の取組" * 6) for d in proj.co_departments() for fy in (plan.current_fy - 1, plan.current_fy)]
    assert any(p.part_reports for p in plan.projects)
    save_master(plan, tmp_path / "m.xlsx")
    site = tmp_path / "site"
    publish(tmp_path / "m.xlsx", site, pdf=False)
    page = site / "roadmap.html"
    assert "関係課の取組" in page.read_text(encoding="utf-8")
    with Browser(chromium, width=1280, height=900) as browser:
        violations = run_axe(browser, axe_source(), page)
    assert not violations, json.dumps(violations, ensure_ascii=False, indent=1)
    with Browser(chromium, width=375, height=800) as browser:
        browser.goto(page.as_uri())
        assert browser.evaluate("document.documentElement.scrollWidth") <= 375


@pytest.mark.browser
def test_axe_catches_a_real_violation(tmp_path: Path) -> None:
    """The checker itself works (publish's and the tests'): a page with known faults is reported."""
    chromium = require("chromium")
    bad = tmp_path / "bad.html"
    bad.write_text('<!DOCTYPE html><html><head><title>x</title></head><body><img src="x.png"><p style="color:#ccc">薄い文字</p></body></html>', encoding="utf-8")
    with Browser(chromium) as browser:
        ids = {v["id"] for v in run_axe(browser, axe_source(), bad)}
        results = check_site(tmp_path, ["bad.html"], browser=browser, axe=AXE)
    assert {"image-alt", "html-has-lang", "color-contrast"} <= ids
    assert {v.id for v in results.pages[0].violations} == ids
    view = results_view(results, {"bad.html": results.pages[0].sha256})
    assert view.problems == 1 and {r.id for r in view.rules if r.failed} == ids
    assert "代替テキスト" in results.rules["image-alt"].help  # axe-core's Japanese locale


@pytest.mark.browser
def test_site_fits_a_phone_screen(sites: list[Path]) -> None:
    """At 375 px wide nothing overflows the page sideways (wide tables scroll in their own box)."""
    chromium = require("chromium")
    with Browser(chromium, width=375, height=800) as browser:
        for rel in ("index.html", "indicators/s01.html", "roadmap.html", "related.html"):
            browser.goto((sites[0] / rel).as_uri())
            width = browser.evaluate("document.documentElement.scrollWidth")
            assert width <= 375, f"{rel} is {width}px wide on a 375px screen"


# WCAG 1.4.12's text-spacing values, as the W3C's bookmarklet injects them.
TEXT_SPACING = "* { line-height: 1.5 !important; letter-spacing: 0.12em !important; word-spacing: 0.16em !important; } p { margin-bottom: 2em !important; }"
# Elements that stick out of the viewport, other than those inside a box that scrolls on its own.
OVERFLOWING = """(() => [...document.querySelectorAll('body *')].filter(e => {
  if (e.getBoundingClientRect().right <= innerWidth + 0.5) return false;
  for (let p = e.parentElement; p; p = p.parentElement) {
    const o = getComputedStyle(p).overflowX; if (o === 'auto' || o === 'scroll') return false;
  }
  return true;
}).slice(0, 3).map(e => e.tagName + '.' + e.className + ': ' + e.textContent.slice(0, 30)))()"""


def reflow_problems(browser: Browser, folders: list[Path]) -> list[str]:
    problems = []
    modes = (("320px", 320, 1, False), ("200%", 640, 2, False), ("320px+text-spacing", 320, 1, True))
    for mode, width, scale, spacing in modes:
        browser.page.call("Emulation.setDeviceMetricsOverride", width=width, height=800, deviceScaleFactor=scale, mobile=False)
        for site in folders:
            for page in sorted(site.rglob("*.html")):
                browser.goto(page.as_uri())
                if spacing:
                    browser.evaluate(f"document.head.insertAdjacentHTML('beforeend', {json.dumps('<style>' + TEXT_SPACING + '</style>')})")
                scroll_width = browser.evaluate("document.documentElement.scrollWidth")
                if scroll_width > width:
                    problems.append(f"{mode} {page.relative_to(site.parent)}: {scroll_width}px {browser.evaluate(OVERFLOWING)}")
                regions = browser.evaluate(
                    "[...document.querySelectorAll('.table-scroll, .chart-scroll')].filter(e => !(e.getAttribute('role') === 'region' && e.getAttribute('aria-label') && e.tabIndex === 0)).length"
                )
                if regions:
                    problems.append(f"{page.relative_to(site.parent)}: {regions} scroll boxes without a label, role or tabindex")
    return problems


@pytest.mark.browser
def test_every_page_reflows_at_320px_at_200_percent_zoom_and_with_text_spacing(sites: list[Path]) -> None:
    """WCAG 1.4.10 and 1.4.12 on every page of both samples: no sideways scrolling of the page at
    320 CSS px, at 200 % zoom (640 CSS px at twice the pixels), and with the text-spacing CSS added;
    a wide table scrolls in its own labelled, focusable region."""
    chromium = require("chromium")
    with Browser(chromium, width=320, height=800) as browser:
        problems = reflow_problems(browser, sites)
    assert not problems, "\n".join(problems)


@pytest.mark.browser
def test_a_larger_generated_plan_reflows_too(tmp_path: Path) -> None:
    """The benchmark's generated plan (more indicators, a 14-year period, ten policies with
    budgets): the same reflow checks on every page."""
    import importlib.util

    from envplan.workbook.writer import save_master

    chromium = require("chromium")
    spec = importlib.util.spec_from_file_location("bench_publish", ROOT / "benchmarks" / "bench_publish.py")
    bench = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(bench)  # type: ignore[union-attr]
    save_master(bench.make_plan(24, 14), tmp_path / "m.xlsx")
    publish(tmp_path / "m.xlsx", tmp_path / "site", pdf=False)
    with Browser(chromium, width=320, height=800) as browser:
        problems = reflow_problems(browser, [tmp_path / "site"])
    assert not problems, "\n".join(problems)


def _contrast(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    def lum(c: tuple[float, ...]) -> float:
        ch = [x / 255 for x in c[:3]]
        lin = [x / 12.92 if x <= 0.03928 else ((x + 0.055) / 1.055) ** 2.4 for x in ch]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    hi, lo = sorted((lum(a), lum(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


FOCUS_COLOURS = """(() => {
  const rgb = s => (s.match(/rgba?\\(([^)]+)\\)/) || [null, '0,0,0,0'])[1].split(',').map(Number);
  const out = [];
  const items = [...document.querySelectorAll('a[href], [tabindex="0"], summary')];
  for (const e of items) {
    e.focus();
    if (document.activeElement !== e) continue;  // inside a closed <details>: not reachable now
    const s = getComputedStyle(e);
    let bg = null;
    for (let p = e; p; p = p.parentElement) {
      const c = rgb(getComputedStyle(p).backgroundColor);
      if (c.length < 4 || c[3] > 0) { bg = c; break; }
    }
    out.push({what: e.tagName + ' ' + e.textContent.trim().slice(0, 20), outline: s.outlineStyle === 'none' ? null : rgb(s.outlineColor),
              width: parseFloat(s.outlineWidth), shadow: s.boxShadow === 'none' ? null : rgb(s.boxShadow), bg: bg || [255, 255, 255]});
  }
  return out;
})()"""


@pytest.mark.browser
def test_focus_indicator_has_3_to_1_contrast_everywhere(sites: list[Path]) -> None:
    """WCAG 1.4.11: every link, scroll region and summary, when focused, has a ring of at least 2 px in a
    colour of ≥ 3:1 against what it sits on (the yellow and black pair: one of the two always is)."""
    chromium = require("chromium")
    bad = []
    checked = 0
    with Browser(chromium, width=1280, height=900) as browser:
        for site in sites:
            for rel in ("index.html", "indicators/s01.html", "indicators.html", "roadmap.html", "method.html", "policies/41303000.html", "data.html", "search.html", "status.html", "updates.html", "accessibility.html", "accessibility-results.html"):
                page = site / rel
                if not page.is_file():
                    continue
                browser.goto(page.as_uri())
                for item in browser.evaluate(FOCUS_COLOURS):
                    checked += 1
                    rings = [c for c in (item["outline"], item["shadow"]) if c]
                    best = max((_contrast(tuple(c), tuple(item["bg"])) for c in rings), default=0)
                    if item["width"] < 2 or best < 3:
                        bad.append(f"{site.name}/{rel} {item['what']}: {best:.2f}:1 on {item['bg']}")
    assert checked > 200
    assert not bad, "\n".join(bad[:20])


@pytest.mark.browser
def test_all_content_is_inside_landmarks(sites: list[Path]) -> None:
    """axe's best-practice `region` rule (the 例示値 notice used to sit outside every landmark)."""
    chromium = require("chromium")
    source = axe_source()
    notices = 0
    with Browser(chromium, width=1280, height=900) as browser:
        for site in sites:
            for page in [site / "index.html", site / "roadmap.html", site / "data.html", sorted((site / "indicators").glob("*.html"))[0]]:
                rel = page.relative_to(site)
                notices += "notice-illustrative" in page.read_text(encoding="utf-8")
                browser.goto(page.as_uri())
                browser.evaluate(source)
                ids = browser.evaluate("axe.run(document, {runOnly: ['region', 'landmark-unique']}).then(r => r.violations.map(v => v.id))", await_promise=True)
                assert not ids, f"{site.name}/{rel}: {ids}"
    assert notices >= 4  # the 例示値 notice was among what was checked


@pytest.mark.browser
def test_search_works_from_file_and_the_print_works_in_forced_colours(sites: list[Path]) -> None:
    """The search page from file:// (no server): without JavaScript it is the whole list by category;
    with it, typing narrows the list and says how many were found. Printed in high contrast
    (forced colours), the charts keep their colours, badges get a border, nothing is wider than A4,
    and the search list prints whole."""
    from envplan.report.platform import fold

    chromium = require("chromium")
    site = sites[0]
    index = json.loads((site / "search-index.json").read_text(encoding="utf-8"))["indicators"]
    expected = sum(1 for e in index if all(w in e["text"] for w in fold("ＣＯ２ 排出").split()))
    assert 0 < expected < len(index)
    with Browser(chromium, width=1280, height=900) as browser:
        page = browser.page
        page.call("Emulation.setScriptExecutionDisabled", value=True)
        browser.goto((site / "search.html").as_uri())
        assert browser.evaluate("document.querySelectorAll('#search-list li').length") == len(index)
        assert browser.evaluate("document.querySelector('#search-input')") is None
        page.call("Emulation.setScriptExecutionDisabled", value=False)
        browser.goto((site / "search.html").as_uri())
        browser.evaluate("(() => { const i = document.getElementById('search-input'); i.value = 'ＣＯ２　排出'; i.dispatchEvent(new Event('input')); })()")
        assert browser.evaluate("document.querySelectorAll('#search-list li:not([hidden])').length") == expected
        assert browser.evaluate("document.getElementById('search-status').textContent") == f"{expected}件の指標が見つかりました。"
        assert browser.evaluate("document.querySelector('label[for=search-input]') !== null")
        page.call("Emulation.setEmulatedMedia", media="print", features=[{"name": "forced-colors", "value": "active"}])
        assert browser.evaluate("matchMedia('(forced-colors: active)').matches && matchMedia('print').matches")
        assert browser.evaluate("[...document.querySelectorAll('#search-list li')].every(li => getComputedStyle(li).display !== 'none')")
        assert browser.evaluate("getComputedStyle(document.querySelector('.search-form')).display") == "none"
        browser.set_viewport(718, 1000)  # A4 less the print margins, in CSS px
        wide = []
        for page in sorted(site.rglob("*.html")):
            browser.goto(page.as_uri())
            if browser.evaluate("document.documentElement.scrollWidth") > 718:
                wide.append(page.relative_to(site).as_posix())
        assert not wide, wide
        for rel in ("indicators/s01.html", "index.html", "indicators.html"):
            browser.goto((site / rel).as_uri())
            styles = browser.evaluate(
                "({chart: [...document.querySelectorAll('svg.chart')].map(s => getComputedStyle(s).forcedColorAdjust),"
                " badges: [...document.querySelectorAll('.status')].map(b => getComputedStyle(b).borderTopStyle)})"
            )
            assert styles["badges"] and set(styles["badges"]) == {"solid"}, rel
            assert set(styles["chart"]) <= {"none"}, rel
        browser.goto((site / "indicators/s01.html").as_uri())
        assert browser.evaluate("document.querySelectorAll('svg.chart').length") >= 1


def test_a11y_check_without_axe_core_says_what_to_install(sample_masters: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENVPLAN_AXE", str(tmp_path / "missing" / "axe.min.js"))
    with pytest.raises(PublishError, match="axe-core が見つかりません.*ENVPLAN_AXE") as e:
        publish(sample_masters["kawasaki"], tmp_path / "site", pdf=False, a11y_check=True)
    assert not e.value.invalid_input and not (tmp_path / "site").exists()  # nothing half-published
    with pytest.raises(PublishError, match="同時に指定できません"):
        publish(sample_masters["kawasaki"], tmp_path / "site", pdf=False, a11y_check=True, a11y_results=tmp_path / "r.json")
