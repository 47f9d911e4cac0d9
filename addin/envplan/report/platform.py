"""The site as an indicator platform (as Open SDG sites are): a search page over a
static index, the reporting status (which years have figures), each indicator's
table and chart as files, its metadata, and the update history (お知らせ) built
from the change log.

Pure except `write_downloads`: the rest only gathers what the pages show.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from envplan.plan.years import wareki
from envplan.report.context import IndicatorView, ReportData
from envplan.report.formatting import neutralise_formula
from envplan.workbook.change_history import LoggedChange

DOWNLOADS = "downloads"  # the indicators' CSV and SVG files
SEARCH_INDEX_JSON = "search-index.json"  # for programs
SEARCH_INDEX_JS = "assets/search-index.js"  # the same, loaded by a <script> element: works from file://, where fetch() is refused
NEWS_SHOWN = 50  # update-history entries on the page, newest first

# The change log's kinds in the words of a notice to readers.
NEWS_WORDS: dict[str, str] = {
    "取込": "所管課からの報告により、数値などを更新しました",
    "取込（確定年度）": "所管課からの報告により、確定済みの年度の数値を修正しました",
    "年度更新": "新しい年度の記入欄を設けました",
    "目標見直し": "目標を見直しました",
    "修正": "数値などを修正しました",
    "確定年度の修正": "確定済みの年度の数値を修正しました",
    "計画期間の変更": "計画期間を変更しました",
    "確定値の復元": "確定済みの年度の数値を、記録の値に戻しました",
}


@dataclass
class IndicatorMeta:
    definition: str
    source: str
    frequency: str
    last_updated: dt.date | None
    department: str
    department_contact: str  # 担当者・電話・メール, as the 所管課 sheet has them
    csv: str  # relative to the site's root
    svg: str  # "" when the indicator has no chart


@dataclass
class StatusRow:
    name: str
    href: str
    total: int
    counts: list[int]  # indicators with an actual value, per year of StatusTable.years


@dataclass
class StatusTable:
    years: list[int]
    rows: list[StatusRow]
    total: StatusRow


@dataclass
class NewsItem:
    date: dt.date
    text: str
    count: int  # changed fields
    links: list[tuple[str, str]]  # (href, label): the indicators (and other pages) concerned
    more: int = 0  # indicators not listed


@dataclass
class Platform:
    meta: dict[str, IndicatorMeta]  # by indicator slug
    status: StatusTable
    news: list[NewsItem]
    news_total: int
    index: list[dict[str, Any]] = field(default_factory=list)


def build_platform(r: ReportData, history: list[LoggedChange]) -> Platform:
    last: dict[str, dt.datetime] = {}
    for ch in history:
        if ch.indicator and (ch.indicator not in last or ch.at > last[ch.indicator]):
            last[ch.indicator] = ch.at
    meta = {}
    for v in r.indicators:
        dept = r.plan.department(v.ind.department)
        contact = "　".join(x for x in ((dept.contact, f"電話 {dept.phone}" if dept.phone else "", dept.email) if dept else ()) if x)
        at = last.get(v.ind.id)
        meta[v.slug] = IndicatorMeta(
            definition=v.ind.description,
            source=v.ind.source,
            frequency=v.ind.update_frequency,
            last_updated=at.date() if at else None,
            department=v.department_name,
            department_contact=contact,
            csv=f"{DOWNLOADS}/{v.slug}.csv",
            svg=f"{DOWNLOADS}/{v.slug}.svg" if v.chart else "",
        )
    news, total = _news(r, history)
    return Platform(meta, _status(r), news, total, _index(r))


def _status(r: ReportData) -> StatusTable:
    """How many indicators of each category have an actual value for each year."""
    years = sorted({fy for v in r.indicators for fy, val in v.ind.values.items() if val.actual is not None})
    if years:
        years = list(range(min(years[0], r.plan.start_fy), max(years[-1], r.fy) + 1))
    rows = []
    for c in r.categories:
        counts = [sum(1 for v in c.indicators if v.ind.actual(y) is not None) for y in years]
        rows.append(StatusRow(c.name, f"categories/{c.slug}.html", len(c.indicators), counts))
    total = StatusRow("計", "", len(r.indicators), [sum(row.counts[k] for row in rows) for k in range(len(years))])
    return StatusTable(years, rows, total)


def _news(r: ReportData, history: list[LoggedChange]) -> tuple[list[NewsItem], int]:
    """One notice per day and kind of change, newest first."""
    by_slug = {v.ind.id: v for v in r.indicators}
    groups: dict[tuple[dt.date, str], list[LoggedChange]] = {}
    for ch in history:
        groups.setdefault((ch.at.date(), ch.kind), []).append(ch)
    items = []
    for (day, kind), changes in sorted(groups.items(), key=lambda kv: kv[0][0], reverse=True):
        links: list[tuple[str, str]] = []
        for ch in changes:
            v = by_slug.get(ch.indicator)
            target = (f"indicators/{v.slug}.html", v.ind.name) if v else _other_page(r, ch)
            if target and target not in links:
                links.append(target)
        shown = 10
        items.append(NewsItem(day, NEWS_WORDS.get(kind, f"{kind}を行いました"), len(changes), links[:shown], max(0, len(links) - shown)))
    return items[:NEWS_SHOWN], len(items)


def _other_page(r: ReportData, ch: LoggedChange) -> tuple[str, str] | None:
    if not ch.key:
        return None
    kind = ch.key[0]
    if kind in ("project", "project_part") and r.projects:
        return ("roadmap.html", "ロードマップ（重点プロジェクト）")
    if kind in ("policy", "rating", "budget"):
        pv = next((p for p in r.policies if p.policy.code == ch.key[1]), None)
        if pv:
            return (f"policies/{pv.slug}.html", pv.policy.title)
    return None


def fold(text: str) -> str:
    """The form the search compares: NFKC (全角 → 半角), lower case, katakana as hiragana.
    search.js folds what is typed the same way."""
    t = unicodedata.normalize("NFKC", text).lower()
    return "".join(chr(ord(ch) - 0x60) if "ァ" <= ch <= "ヶ" else ch for ch in t)


def _index(r: ReportData) -> list[dict[str, Any]]:
    out = []
    for v in r.indicators:
        words = [v.ind.id, v.ind.name, v.category_name, v.department_name, v.ind.unit, v.ind.target_wording, v.ind.description, v.ind.source, v.status.name]
        out.append(
            {
                "id": v.ind.id,
                "name": v.ind.name,
                "category": v.category_name,
                "department": v.department_name,
                "status": v.status.name,
                "url": f"indicators/{v.slug}.html",
                "text": fold(" ".join(w for w in words if w)),
            }
        )
    return out


# --- files ------------------------------------------------------------------------------

CSV_HEADER = ("指標ID", "指標名", "単位", "年度", "年度（和暦）", "計画値", "実績値", "見込み値", "達成率（1=100%）", "進捗率（1=100%）", "状況", "評価区分", "例示値", "備考")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{int(value)}" if value.is_integer() else f"{value:.12g}"
    if isinstance(value, int):
        return str(value)
    return neutralise_formula(str(value))


def indicator_csv(v: IndicatorView) -> str:
    """The indicator's year table, as its page shows it, as CSV (UTF-8 with BOM, for Excel)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(CSV_HEADER)
    for y in v.rows:
        raw = y.raw
        illustrative = 1 if v.ind.illustrative and raw.actual is not None else 0
        w.writerow(
            [_cell(x) for x in (v.ind.id, v.ind.name, v.ind.unit, y.fy, wareki(y.fy), raw.plan, raw.actual, raw.expected, raw.achievement_rate, raw.progress_rate, raw.status, f"{raw.level_symbol} {raw.level_label}".strip(), illustrative, y.note)]
        )
    return "\ufeff" + buf.getvalue()


def write_downloads(r: ReportData, pf: Platform, out: Path) -> list[Path]:
    """Each indicator's CSV and chart SVG, and the search index (JSON, and as a script)."""
    folder = out / DOWNLOADS
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for v in r.indicators:
        m = pf.meta[v.slug]
        (out / m.csv).write_text(indicator_csv(v), encoding="utf-8", newline="")
        written.append(out / m.csv)
        if m.svg and v.chart is not None:
            (out / m.svg).write_text('<?xml version="1.0" encoding="UTF-8"?>\n' + str(v.chart.svg) + "\n", encoding="utf-8")
            written.append(out / m.svg)
    index = json.dumps({"plan": r.plan.name, "fy": r.fy, "indicators": pf.index}, ensure_ascii=False)
    (out / SEARCH_INDEX_JSON).write_text(index, encoding="utf-8")
    # "</" cannot end the script early: the JSON escapes it.
    script = index.replace("</", "<\\/")
    (out / SEARCH_INDEX_JS).write_text(f"window.ENVPLAN_SEARCH_INDEX = {script};\n", encoding="utf-8")
    return written
