"""The static web site: plain HTML and CSS with relative links, so it reads
the same from `file://` and from any static host. No JavaScript is needed to
read any page (the search page's search box is an enhancement)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from envplan.report.a11y_results import POLICY_PAGE, RESULTS_PAGE, A11yView, page_hash
from envplan.report.context import ReportData
from envplan.report.platform import Platform, write_downloads
from envplan.report.render import css, environment
from envplan.report.typeset import Typesetter

ASSETS = ("site.css", "sheet.css", "platform.css", "search.js")


def navigation(r: ReportData) -> list[tuple[str, str]]:
    nav = [("index.html", "概要"), ("indicators.html", "指標の一覧"), ("search.html", "指標の検索"), ("roadmap.html", "ロードマップ")]
    if r.policies:
        nav.append(("policies/index.html", "施策の評価"))
    if r.plan.related_plans:
        nav.append(("related.html", "関連計画"))
    nav += [("glossary.html", "用語集"), ("method.html", "算出方法"), ("data.html", "オープンデータ")]
    return nav


def write_site(
    r: ReportData, out: Path, *, data_fields: list[Any], platform: Platform, a11y: Callable[[dict[str, str]], A11yView | None] | None = None
) -> list[Path]:
    """Write every page under `out`; returns the pages written (index first).

    The accessibility results page is written last: `a11y` is given every other page
    (relative path → sha256 of its HTML), may test them, and returns the results to show."""
    env = environment()
    typeset = Typesetter(i.unit for i in r.plan.indicators)
    nav = navigation(r)
    written: list[Path] = []

    def page(rel: str, template: str, title: str, current: str, crumbs: list[tuple[str, str]] | None = None, **extra: Any) -> None:
        depth = rel.count("/")
        html = env.get_template(template).render(
            r=r, pf=platform, root="../" * depth, nav=nav, current=current, crumbs=crumbs or [], page_title=title, data_fields=data_fields, **extra
        )
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(typeset.page(html), encoding="utf-8")
        written.append(path)

    (out / "assets").mkdir(parents=True, exist_ok=True)
    for name in ASSETS:
        (out / "assets" / name).write_text(css(name), encoding="utf-8")

    write_downloads(r, platform, out)
    page("index.html", "site/index.html", "概要", "index.html")
    page("indicators.html", "site/indicators.html", "指標の一覧", "indicators.html", [("", "指標の一覧")])
    for c in r.categories:
        page(f"categories/{c.slug}.html", "site/category.html", c.name, "indicators.html", [("indicators.html", "指標の一覧"), ("", c.name)], c=c)
    views = r.indicators
    for k, v in enumerate(views):
        page(
            f"indicators/{v.slug}.html",
            "site/indicator.html",
            v.ind.name,
            "indicators.html",
            [("indicators.html", "指標の一覧"), (f"categories/{v.category_slug}.html", v.category_name), ("", v.ind.name)],
            v=v,
            prev=views[k - 1] if k > 0 else None,
            next=views[k + 1] if k + 1 < len(views) else None,
        )
    page("search.html", "site/search.html", "指標の検索", "search.html", [("", "指標の検索")])
    page("status.html", "site/status.html", "データの報告状況", "", [("", "データの報告状況")])
    if platform.news:
        page("updates.html", "site/updates.html", "お知らせ（更新履歴）", "", [("", "お知らせ（更新履歴）")])
    page("roadmap.html", "site/roadmap.html", "ロードマップ", "roadmap.html", [("", "ロードマップ")])
    if r.policies:
        page("policies/index.html", "site/policies.html", "施策の評価", "policies/index.html", [("", "施策の評価")])
        for pv in r.policies:
            page(
                f"policies/{pv.slug}.html",
                "site/policy.html",
                pv.policy.title,
                "policies/index.html",
                [("policies/index.html", "施策の評価"), ("", pv.policy.title)],
                pv=pv,
            )
    if r.plan.related_plans:
        page("related.html", "site/related.html", "関連計画", "related.html", [("", "関連計画")])
    page("glossary.html", "site/glossary.html", "用語集", "glossary.html", [("", "用語集")])
    page("method.html", "site/method.html", "数値の算出方法", "method.html", [("", "数値の算出方法")])
    page("data.html", "site/data.html", "オープンデータ", "data.html", [("", "オープンデータ")])
    page(POLICY_PAGE, "site/accessibility.html", "ウェブアクセシビリティ方針", "", [("", "ウェブアクセシビリティ方針")], results_published=a11y is not None)
    hashes = {p.relative_to(out).as_posix(): page_hash(p.read_bytes()) for p in written}
    view = a11y(hashes) if a11y else None
    page(RESULTS_PAGE, "site/accessibility_results.html", "ウェブアクセシビリティ試験結果", "", [(POLICY_PAGE, "ウェブアクセシビリティ方針"), ("", "試験結果")], a11y=view)
    return written
