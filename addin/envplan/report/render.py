"""The Jinja2 environment for the report templates under `templates/`.

Autoescaping is on for every template, so workbook text is always escaped;
only the chart SVG and `paragraphs` output (escaped when built) are Markup.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from ..model import RATING_LEGEND
from ..paths import TEMPLATES_DIR
from ..targets import DIRECTION_LABELS
from ..years import range_label
from .context import PROJECT_STATUS_ICONS
from .formatting import era_short, fy, num, paragraphs, rate


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
    env.filters.update(fy=fy, num=num, rate=rate, paragraphs=paragraphs, era=era_short, css_string=css_string)
    env.globals.update(
        period=period,
        direction_label=lambda d: DIRECTION_LABELS.get(d, d),
        project_icon=lambda s: PROJECT_STATUS_ICONS.get(s, "－"),
        rating_legend=RATING_LEGEND,
    )
    return env


def css(name: str, templates: Path = TEMPLATES_DIR) -> str:
    return (templates / "css" / name).read_text(encoding="utf-8")
