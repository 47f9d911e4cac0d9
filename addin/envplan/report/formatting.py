"""How figures and texts look in the report: years, numbers, rates, paragraphs.

Every text from the workbook passes through `markupsafe.escape` before it is
marked safe, so a value holding `<script>` shows as text.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import unicodedata

from markupsafe import Markup, escape

from envplan.plan.numbers import format_number
from envplan.plan.years import fy_label, fy_short, wareki

BULLETS = ("●", "・", "○", "◆", "■", "-", "*")


def fy(value: int | None) -> str:
    """2020年度（令和2年度）, or － when there is no year."""
    return "－" if value is None else fy_label(value)


def fy_compact(value: int) -> str:
    """2020年度 (for cramped table headers whose full form is given nearby)."""
    return fy_short(value)


def era_short(value: int) -> str:
    return wareki(value).removesuffix("年度")


# 「H34」「R2年度」: the short era forms of a fiscal year, as people type them in notes.
_SHORT_ERA = re.compile(r"(?<![A-Za-z0-9])([HRS])(\d{1,2})(?:年度|年)?(?![0-9A-Za-z])")
_ERA_START = {"S": 1925, "H": 1988, "R": 2018}


def years_in_words(text: str) -> str:
    """A note typed with short era years (「H34時点で入手可能な最新データがH32」) in words:
    「2022年度（令和4年度）時点で入手可能な最新データが2020年度（令和2年度）」. An era year past
    the era's end (H34) is the fiscal year it stands for."""
    return _SHORT_ERA.sub(lambda m: fy_label(_ERA_START[m[1]] + int(m[2])), text)


def era_date(d: dt.date) -> str:
    """2026-12-01 → 令和8年12月1日 (the date on a Japanese public document)."""
    if d >= dt.date(2019, 5, 1):
        era, n = "令和", d.year - 2018
    elif d >= dt.date(1989, 1, 8):
        era, n = "平成", d.year - 1988
    else:
        era, n = "昭和", d.year - 1925
    return f"{era}{'元' if n == 1 else n}年{d.month}月{d.day}日"


def num(value: float | None, unit: str = "", digits: int | None = None) -> str:
    """1,324千t-CO2; － for no value. Rounds long fractions to three places, or
    to `digits` places: an indicator's own precision (see `indicator_digits`)."""
    return format_number(value, unit, digits=digits)



def rate(value: float | None) -> str:
    """A fraction as a percentage with one decimal: 0.932 → 93.2%."""
    if value is None:
        return "－"
    return f"{value * 100:,.1f}%"


def paragraphs(text: str | None) -> Markup:
    """Plain text with line breaks as HTML: lines starting with a bullet mark
    become a list, other lines paragraphs. Always escaped."""
    if not text:
        return Markup("")
    out: list[str] = []
    items: list[str] = []

    def flush() -> None:
        if items:
            out.append("<ul class=\"bullets\">" + "".join(f"<li>{i}</li>" for i in items) + "</ul>")
            items.clear()

    for raw in str(text).splitlines():
        line = raw.strip()
        if not line:
            flush()
            continue
        if line.startswith(BULLETS[:4]):
            items.append(str(escape(line[1:].strip())))
        else:
            flush()
            out.append(f"<p>{escape(line)}</p>")
    flush()
    return Markup("".join(out))


def slug(text: str, prefix: str = "p") -> str:
    """A file-name-safe, stable name for an ID typed by people: ASCII IDs stay
    readable (S01 → s01); anything else gets a short hash so two IDs never clash."""
    norm = unicodedata.normalize("NFKC", text).strip()
    ascii_part = re.sub(r"[^A-Za-z0-9_-]+", "-", norm).strip("-").lower()
    if ascii_part and ascii_part == norm.lower():
        return ascii_part
    digest = hashlib.sha1(norm.encode("utf-8")).hexdigest()[:8]
    return f"{ascii_part}-{digest}" if ascii_part else f"{prefix}-{digest}"


def neutralise_formula(text: str) -> str:
    """Open data opened in a spreadsheet must not run as a formula: a text that
    starts with = + - @ (or a tab / carriage return that some programs skip)
    gets a leading apostrophe."""
    if text and text[0] in "=+-@\t\r":
        return "'" + text
    return text
