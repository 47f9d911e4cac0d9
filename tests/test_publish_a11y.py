"""Accessibility of the published site: axe-core (WCAG 2.0/2.1 A and AA rules)
on every page, in headless Chromium, for both samples."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import ROOT, require
from envplan.report.chromium import Browser
from envplan.report.publish import publish

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
def sites(sample_masters: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    out = tmp_path_factory.mktemp("a11y")
    folders = []
    for name in ("shinagawa", "kawasaki"):
        site = out / name
        publish(sample_masters[name], site, pdf=False)
        folders.append(site)
    return folders


@pytest.mark.browser
def test_axe_finds_no_violation_on_any_page(sites: list[Path]) -> None:
    chromium = require("chromium")
    source = axe_source()
    problems: dict[str, list[dict]] = {}
    checked = 0
    with Browser(chromium, width=1280, height=900) as browser:
        for site in sites:
            for page in sorted(site.rglob("*.html")):
                violations = run_axe(browser, source, page)
                checked += 1
                if violations:
                    problems[str(page.relative_to(site.parent))] = violations
    assert checked >= 40
    assert not problems, json.dumps(problems, ensure_ascii=False, indent=1)


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
    """The harness itself works: a page with known faults is reported."""
    chromium = require("chromium")
    bad = tmp_path / "bad.html"
    bad.write_text('<!DOCTYPE html><html><head><title>x</title></head><body><img src="x.png"><p style="color:#ccc">薄い文字</p></body></html>', encoding="utf-8")
    with Browser(chromium) as browser:
        ids = {v["id"] for v in run_axe(browser, axe_source(), bad)}
    assert {"image-alt", "html-has-lang", "color-contrast"} <= ids


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
            for rel in ("index.html", "indicators/s01.html", "indicators.html", "roadmap.html", "method.html", "policies/41303000.html", "data.html"):
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
