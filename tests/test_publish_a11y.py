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
