"""Accessibility test results (ウェブアクセシビリティ試験結果): what a run of axe-core
over the site's pages found, kept as a JSON file, and the view the results page
shows of it.

Results come only from a real run: `publish --a11y-check` (a11y_check.py) or a
file written by such a run (`--a11y-results`). Nothing here makes up a result; a
page that was not tested is listed as not tested, and a page whose content
changed after the test is marked so.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

FORMAT: Final = "envplan-a11y-results/1"
RESULTS_PAGE = "accessibility-results.html"  # the page showing the results: never tested itself (it holds them)
POLICY_PAGE = "accessibility.html"
RESULTS_JSON = "accessibility-results.json"  # the results the page shows, published beside it


class A11yResultsError(ValueError):
    def __init__(self, message: str, message_en: str) -> None:
        super().__init__(message)
        self.message_en = message_en


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RuleInfo(_Model):
    help: str  # what the rule checks, in the words of axe-core's locale
    tags: list[str] = Field(default_factory=list)


class Violation(_Model):
    id: str
    impact: str = ""
    nodes: int = 0  # how many elements of the page break the rule
    targets: list[str] = Field(default_factory=list)  # the first few, as CSS selectors


class PageCheck(_Model):
    page: str  # relative to the site's root, with "/"
    title: str = ""
    sha256: str  # of the page's HTML as tested
    violations: list[Violation] = Field(default_factory=list)
    passes: list[str] = Field(default_factory=list)
    incomplete: list[str] = Field(default_factory=list)  # needs a person's review: axe could not decide
    inapplicable: list[str] = Field(default_factory=list)


class A11yResults(_Model):
    format: Literal["envplan-a11y-results/1"] = FORMAT
    tool: str = "axe-core"
    tool_version: str
    browser: str = ""
    tested_at: str  # ISO date and time of the run
    plan: str = ""
    fy: int | None = None
    tags: list[str] = Field(default_factory=list)  # the rule sets run (wcag2a, wcag2aa…)
    rules: dict[str, RuleInfo] = Field(default_factory=dict)
    pages: list[PageCheck] = Field(default_factory=list)

    def to_json(self) -> str:
        return json.dumps(self.model_dump(mode="json"), ensure_ascii=False, indent=1)

    @property
    def tested_date(self) -> dt.date:
        return dt.datetime.fromisoformat(self.tested_at).date()


def page_hash(html: bytes) -> str:
    return hashlib.sha256(html).hexdigest()


def load_results(path: Path) -> A11yResults:
    """A results file written by `publish --a11y-check` or a test run; a clear error otherwise."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise A11yResultsError(f"試験結果のファイルが見つかりません: {path}", f"accessibility results file not found: {path}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise A11yResultsError(f"試験結果のファイル {path.name} を JSON として読めません（{e}）", f"cannot read {path.name} as JSON: {e}") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise A11yResultsError(
            f"{path.name} は envplan の試験結果のファイルではありません（format が {FORMAT} ではありません）",
            f"{path.name} is not an envplan accessibility results file (format is not {FORMAT})",
        )
    try:
        results = A11yResults.model_validate(data)
        results.tested_date  # noqa: B018 - the date must read
    except (ValidationError, ValueError) as e:
        raise A11yResultsError(f"試験結果のファイル {path.name} の内容が正しくありません: {e}", f"{path.name} is not valid: {e}") from None
    return results


# --- what the results page shows ---------------------------------------------------------

LEVEL_TAGS = {"wcag2a": "A", "wcag21a": "A", "wcag22a": "A", "wcag2aa": "AA", "wcag21aa": "AA", "wcag22aa": "AA", "wcag2aaa": "AAA"}
_SC_TAG = re.compile(r"^wcag(\d)(\d)(\d{1,2})$")


def criteria(tags: list[str]) -> list[str]:
    """The WCAG success criteria a rule belongs to, from axe's tags: wcag1410 → 1.4.10."""
    out = []
    for t in tags:
        m = _SC_TAG.match(t)
        if m:
            out.append(f"{m[1]}.{m[2]}.{int(m[3])}")
    return out


def _sc_key(sc: str) -> tuple[int, ...]:
    return tuple(int(x) for x in sc.split(".")) if sc else (99,)


@dataclass
class PageRow:
    page: str
    title: str
    violations: int  # rules broken on the page
    incomplete: int
    changed: bool  # the published page is not the one tested


@dataclass
class RuleRow:
    id: str
    help: str
    criteria: str  # 「1.1.1」, 「1.4.3、1.4.6」, or 「－」
    level: str  # A / AA, or ""
    wcag21: bool  # a criterion added by WCAG 2.1 (beyond JIS X 8341-3:2016, which is WCAG 2.0)
    passed: int  # pages
    failed: int
    review: int
    inapplicable: int


@dataclass
class A11yView:
    results: A11yResults
    tested_on: dt.date
    pages: list[PageRow]
    rules: list[RuleRow]
    untested: list[str] = field(default_factory=list)  # pages of the site not in the results
    problems: int = 0  # pages with at least one violation
    changed: int = 0
    from_file: bool = False  # given with --a11y-results, not run by this publish

    @property
    def checked(self) -> int:
        return len(self.pages)


def results_view(results: A11yResults, site_pages: dict[str, str], *, from_file: bool = False) -> A11yView:
    """The results as the page shows them. `site_pages`: every page of the site being published
    (relative path → sha256 of its HTML), so that only its own pages are listed."""
    rows = []
    for p in results.pages:
        if p.page not in site_pages or p.page == RESULTS_PAGE:
            continue  # a page this site does not have (any more), or the results page of an earlier run
        rows.append(PageRow(p.page, p.title.split("｜")[0].strip(), len(p.violations), len(p.incomplete), site_pages[p.page] != p.sha256))
    tested = {r.page for r in rows}
    untested = sorted(p for p in site_pages if p not in tested and p != RESULTS_PAGE)
    counted: dict[str, list[int]] = {}
    for p in results.pages:
        if p.page not in tested:
            continue
        for k, ids in enumerate((p.passes, [v.id for v in p.violations], p.incomplete, p.inapplicable)):
            for rid in ids:
                counted.setdefault(rid, [0, 0, 0, 0])[k] += 1
    rules = []
    for rid, (passed, failed, review, inapplicable) in counted.items():
        info = results.rules.get(rid, RuleInfo(help=rid))
        scs = criteria(info.tags)
        levels = sorted({LEVEL_TAGS[t] for t in info.tags if t in LEVEL_TAGS}, key=len)
        rules.append(RuleRow(rid, info.help, "、".join(scs) or "－", levels[0] if levels else "", any(t.startswith("wcag21") for t in info.tags), passed, failed, review, inapplicable))
    rules.sort(key=lambda r: (_sc_key(r.criteria.split("、")[0] if r.criteria != "－" else ""), r.id))
    return A11yView(
        results=results,
        tested_on=results.tested_date,
        pages=rows,
        rules=rules,
        untested=untested,
        problems=sum(1 for r in rows if r.violations),
        changed=sum(1 for r in rows if r.changed),
        from_file=from_file,
    )
