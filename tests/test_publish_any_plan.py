"""Any plan that validates publishes (issue 11): generated plans of every shape
— any period, data lags, missing years, policies with and without ratings and
budgets, plans without projects or policies — give a site whose every page is
well formed."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from conftest import examples
from envplan.plan.model import Plan
from envplan.report.publish import publish
from envplan.workbook.io import CalamineSource
from envplan.workbook.validation import validate_source
from envplan.workbook.writer import save_master
from strategies import publishable_plans

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class WellFormed(HTMLParser):
    """Every element that is opened is closed, in order; nothing is closed that was not opened."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.problems: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        pass

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'} at {self.getpos()}")
            if tag in self.stack:
                del self.stack[len(self.stack) - 1 - self.stack[::-1].index(tag) :]
            return
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def check_page(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    assert source.lstrip().lower().startswith("<!doctype html>"), path
    parser = WellFormed()
    parser.feed(source)
    parser.close()
    assert parser.problems == [], (path, parser.problems[:5])
    assert parser.stack == [], (path, parser.stack)
    text = "".join(parser.text)
    for leftover in ("{{", "{%", "Undefined", "None"):
        assert leftover not in text, (path, leftover)


def test_well_formed_checker_catches_broken_pages(tmp_path: Path) -> None:
    page = tmp_path / "p.html"
    page.write_text("<!DOCTYPE html><html><body><table><tr><td>x</tr></table></body></html>", encoding="utf-8")
    with pytest.raises(AssertionError):
        check_page(page)


@settings(max_examples=examples(8), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large])
@given(plan=publishable_plans())
def test_any_valid_plan_publishes_well_formed_pages(plan: Plan, tmp_path_factory: pytest.TempPathFactory) -> None:
    work = tmp_path_factory.mktemp("plan")
    master = work / "master.xlsx"
    save_master(plan, master)
    validation = validate_source(CalamineSource(master))
    assert [d.code for d in validation.diagnostics.errors] == []
    out = work / "site"
    result = publish(master, out, pdf=False)
    assert result.pages and (out / "index.html").is_file()
    pages = sorted(out.rglob("*.html"))
    assert {str(p.relative_to(out)) for p in pages} == set(result.pages)
    for page in pages:
        check_page(page)
    if plan.policies:
        assert len(list((out / "policies").glob("*.html"))) == len(plan.policies) + 1  # each sheet and the list


def test_a_chart_of_values_too_close_to_tell_apart_publishes(tmp_path: Path) -> None:
    """Found by the property above: 0 beside 3e-254 gave a zero-height axis (ZeroDivisionError)."""
    from envplan.plan.model import Category, Department, Indicator, YearValue
    from envplan.plan.targets import LevelTarget

    plan = Plan(
        name="計画",
        start_fy=2000,
        end_fy=2000,
        current_fy=2000,
        categories=[Category(code="C", name="分野")],
        departments=[Department(code="D", name="課")],
        indicators=[Indicator(id="I", name="指標", category="C", direction="higher", target_wording="0", target=LevelTarget(year=2000, value=0.0), department="D", values={2000: YearValue(actual=3.24937e-254)})],
    )
    master = tmp_path / "m.xlsx"
    save_master(plan, master)
    result = publish(master, tmp_path / "site", pdf=False)
    for page in result.pages:
        check_page(tmp_path / "site" / page)
