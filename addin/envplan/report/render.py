"""The Jinja2 environment for the report templates under `templates/`.

Autoescaping is on for every template, so workbook text is always escaped;
only the chart SVG and `paragraphs` output (escaped when built) are Markup.
"""

from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from envplan.paths import TEMPLATES_DIR
from envplan.plan.model import RATING_LEGEND
from envplan.plan.targets import DIRECTION_LABELS
from envplan.plan.years import range_label
from envplan.report.charts import text_width
from envplan.report.context import PROJECT_STATUS_ICONS
from envplan.report.formatting import era_date, era_short, fy, num, paragraphs, rate, years_in_words
from envplan.report.typeset import phrase_breaks


def css_string(text: str) -> Markup:
    """Text for inside a double-quoted CSS string in a <style> element. Marked
    safe for Jinja: HTML escaping would be wrong there (a <style> element does
    not decode entities), and every character that matters is CSS-escaped."""
    out = []
    for ch in str(text):
        if ch in '\\"<>&' or ord(ch) < 0x20:
            out.append(f"\\{ord(ch):x} ")  # a CSS escape; also keeps "</style>" out of the element
        else:
            out.append(ch)
    return Markup("".join(out))


# The printed year grid (print.css .year-grid): 8 pt type in the report's
# 180 mm measure, less the row labels' column. Wider than that, the years
# are split into stacked blocks, each repeating the row labels, rather than
# shrinking the type.
GRID_PT = 8.0
GRID_WIDTH_MM = 180.0 - 21.0
GRID_CELL_PAD_MM = 1.6
PT_MM = 25.4 / 72


def year_blocks(rows: list[Any], digits: int | None = None) -> list[list[Any]]:
    """The rows of a year grid cut into blocks of years that fit the page at GRID_PT."""
    if not rows:
        return []
    texts = ["令和10"]  # the widest era label of a column head
    for y in rows:
        texts += [num(y.raw.plan, "", digits), num(y.raw.actual, "", digits), num(y.raw.expected, "", digits), y.achievement, y.status.name]
        if y.raw.provisional:
            texts.append("（速報）")  # under the actual (macros.year_grid)
    widest_mm = max(text_width(t, GRID_PT) for t in texts) * PT_MM + GRID_CELL_PAD_MM
    per_block = max(1, int(GRID_WIDTH_MM // widest_mm))
    blocks = math.ceil(len(rows) / per_block)
    size = math.ceil(len(rows) / blocks)  # even blocks: 2 × 8 years rather than 12 + 4
    return [rows[k : k + size] for k in range(0, len(rows), size)]


def leads_with_owner(plan: Any) -> bool:
    """Whether the plan's name starts with the municipality's (「川崎市 第3期実行計画」): then
    the name alone already says whose plan it is."""
    owner = (plan.municipality or "").strip()
    return bool(owner) and plan.name.strip().startswith(owner)


def name_after_owner(plan: Any) -> str:
    """The plan's name for a sentence that begins with the municipality (「川崎市は、…」):
    without the municipality a second time."""
    if not leads_with_owner(plan):
        return str(plan.name)
    rest = plan.name.strip()[len(plan.municipality.strip()) :].lstrip(" 　・の")
    return rest or str(plan.name)


def period(start: int | None, end: int | None) -> str:
    return range_label(start, end) if (start is not None or end is not None) else "－"


@lru_cache(maxsize=4)
def environment(templates: Path = TEMPLATES_DIR) -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(templates)),
        autoescape=True,  # every template, whatever its name
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(fy=fy, num=num, rate=rate, paragraphs=paragraphs, era=era_short, css_string=css_string, years_in_words=years_in_words, era_date=era_date, phrases=phrase_breaks)
    env.globals.update(
        period=period,
        leads_with_owner=leads_with_owner,
        name_after_owner=name_after_owner,
        year_blocks=year_blocks,
        direction_label=lambda d: DIRECTION_LABELS.get(d, d),
        project_icon=lambda s: PROJECT_STATUS_ICONS.get(s, "－"),
        rating_legend=RATING_LEGEND,
    )
    return env


def css(name: str, templates: Path = TEMPLATES_DIR) -> str:
    return (templates / "css" / name).read_text(encoding="utf-8")
