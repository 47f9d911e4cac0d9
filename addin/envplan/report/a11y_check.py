"""Run axe-core over the site's pages in headless Chromium (the browser that prints
the PDF): `publish --a11y-check`, and the accessibility tests.

axe-core is the npm package (`make system-deps` puts it under tests/node); another
copy can be named with ENVPLAN_AXE (the path of axe.min.js). Its Japanese locale,
when beside it, gives the rules' descriptions on the results page.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

from envplan.paths import PROJECT_ROOT
from envplan.report.a11y_results import A11yResults, PageCheck, RuleInfo, Violation, page_hash
from envplan.report.chromium import Browser

AXE_ENV = "ENVPLAN_AXE"
BUNDLED_AXE = PROJECT_ROOT / "tests" / "node" / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")  # JIS X 8341-3:2016 is WCAG 2.0; 2.1's A/AA rules are run too


class AxeMissing(RuntimeError):
    def __init__(self, message: str, message_en: str) -> None:
        super().__init__(message)
        self.message_en = message_en


def locate_axe() -> Path:
    """axe.min.js: ENVPLAN_AXE when set, else the npm copy of this installation."""
    named = os.environ.get(AXE_ENV, "").strip()
    path = Path(named) if named else BUNDLED_AXE
    if not path.is_file():
        where = f"環境変数 {AXE_ENV} の {path}" if named else f"{path}"
        raise AxeMissing(
            f"アクセシビリティの検査に使う axe-core が見つかりません（{where}）。make system-deps で入れるか、環境変数 {AXE_ENV} に axe.min.js の場所を指定してください",
            f"axe-core not found at {path}; run `make system-deps` or set {AXE_ENV} to the path of axe.min.js",
        )
    return path


class AxeRunner:
    """axe-core loaded into each page of one browser; `check(page)` gives that page's results."""

    def __init__(self, browser: Browser, axe: Path, tags: tuple[str, ...] = WCAG_TAGS) -> None:
        self.browser = browser
        self.source = axe.read_text(encoding="utf-8")
        locale = axe.parent / "locales" / "ja.json"
        self.locale = locale.read_text(encoding="utf-8") if locale.is_file() else ""
        self.tags = list(tags)
        self.version = ""
        self.rules: dict[str, RuleInfo] = {}
        # Loaded with every document the tab opens: parsed once per page, no round trip per page.
        setup = self.source + (f"\n;axe.configure({{locale: {self.locale}}});" if self.locale else "")
        browser.page.call("Page.addScriptToEvaluateOnNewDocument", source=setup)

    def check(self, path: Path, rel: str) -> PageCheck:
        b = self.browser
        b.goto(path.as_uri())
        options = json.dumps({"runOnly": {"type": "tag", "values": self.tags}, "resultTypes": ["violations"]})
        rules = "" if self.rules else " rules: axe.getRules().map(x => ({id: x.ruleId, help: x.help, tags: x.tags})),"
        script = (
            f"axe.run(document, {options}).then(r => ({{version: axe.version, title: document.title,{rules}"
            " violations: r.violations.map(v => ({id: v.id, impact: v.impact || '', nodes: v.nodes.length, targets: v.nodes.slice(0, 3).map(n => n.target.join(' '))})),"
            " passes: r.passes.map(v => v.id), incomplete: r.incomplete.map(v => v.id), inapplicable: r.inapplicable.map(v => v.id)}))"
        )
        out = b.evaluate(script, await_promise=True)
        self.version = out["version"]
        for rule in out.get("rules", []):
            self.rules.setdefault(rule["id"], RuleInfo(help=rule["help"], tags=rule["tags"]))
        return PageCheck(
            page=rel,
            title=out["title"],
            sha256=page_hash(path.read_bytes()),
            violations=[Violation(**v) for v in out["violations"]],
            passes=out["passes"],
            incomplete=out["incomplete"],
            inapplicable=out["inapplicable"],
        )


def check_site(site: Path, pages: list[str], *, plan: str = "", fy: int | None = None, browser: Browser | None = None, axe: Path | None = None) -> A11yResults:
    """Test `pages` (relative to `site`) with axe-core; a browser of its own unless one is given."""
    axe = axe or locate_axe()
    started = dt.datetime.now().isoformat(timespec="seconds")
    own = browser is None
    b = browser or Browser(width=1280, height=900)
    try:
        runner = AxeRunner(b, axe)
        checks = [runner.check(site / rel, rel) for rel in pages]
        product = b.call("Browser.getVersion").get("product", "")
    finally:
        if own:
            b.close()
    used = {rid for c in checks for rid in (*c.passes, *(v.id for v in c.violations), *c.incomplete, *c.inapplicable)}
    return A11yResults(
        tool_version=runner.version,
        browser=product,
        tested_at=started,
        plan=plan,
        fy=fy,
        tags=list(runner.tags),
        rules={k: v for k, v in sorted(runner.rules.items()) if k in used},
        pages=checks,
    )
