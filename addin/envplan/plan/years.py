"""Fiscal years and Japanese era years, in one place.

A fiscal year (年度) is named by the calendar year in which it starts (April).
Plans written before 2019 keep counting in 平成 past its end (平成32年度 =
2020年度), so parsing accepts era years beyond an era's last year; display
always uses the era in force on 1 April of that fiscal year... except that
FY2019 is shown as 令和元年度, the form municipalities use.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

# (name, letter, first calendar year). Year 1 of an era = first calendar year.
ERAS: tuple[tuple[str, str, int], ...] = (
    ("明治", "M", 1868),
    ("大正", "T", 1912),
    ("昭和", "S", 1926),
    ("平成", "H", 1989),
    ("令和", "R", 2019),
)
_ERA_BY_NAME = {name: start for name, _, start in ERAS}
_ERA_BY_LETTER = {letter: start for _, letter, start in ERAS}

MIN_FY = 1868
MAX_FY = 2200


class YearError(ValueError):
    """A text that cannot be read as a fiscal year."""

    def __init__(self, text: object, reason: str) -> None:
        super().__init__(f"年度として読めません: 「{text}」（{reason}）")
        self.text = text
        self.reason = reason


def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).strip()
    # NFKC leaves these wave dashes alone; all mean "to".
    for ch in "〜～~―－–—":
        text = text.replace(ch, "～")
    return text.replace(" ", "").replace("\u3000", "")


_ERA_NAMES = "|".join(_ERA_BY_NAME)
_ERA_RE = re.compile(
    rf"^(?:(?P<name>{_ERA_NAMES})|(?P<letter>[MTSHRmtshr])\.?)(?P<n>\d{{1,3}}|元)(?:年度末|年度?)?$"
)
_WESTERN_RE = re.compile(r"^(?:FY|fy)?(?P<y>\d{4})(?:年度末|年度?)?$")  # 年度末: the end of that year (「令和2年度末」 in a table's head)
# "2011(H23)年度", "2011(H23)", "2020年度(令和2年度)"
_BOTH_RE = re.compile(r"^(?P<a>[^()]+?)(?:年度)?\((?P<b>[^()]+)\)(?:年度)?$")


def era_to_fy(era_start: int, n: int) -> int:
    return era_start + n - 1


def parse_fy(value: object) -> int:
    """Read one fiscal year from what people type: 2020, "2020年度", "平成32年度",
    "H32", "R2", "令和元年度", full-width digits, "2011(H23)年度"."""
    if isinstance(value, bool):
        raise YearError(value, "真偽値です")
    if isinstance(value, int):
        fy = value
    elif isinstance(value, float):
        if not value.is_integer():
            raise YearError(value, "整数ではありません")
        fy = int(value)
    elif isinstance(value, str):
        fy = _parse_fy_text(value)
    else:
        raise YearError(value, "文字列でも数値でもありません")
    if not MIN_FY <= fy <= MAX_FY:
        raise YearError(value, f"{MIN_FY}～{MAX_FY}年度の範囲外です")
    return fy


# 「2021年3月末時点」「令和3年3月末現在」: a figure at a month's end belongs to the fiscal year that
# month is in (April to March: March 2021 is in 2020年度).
_MONTH_RE = re.compile(r"^(?P<year>.+?年)(?P<m>\d{1,2})月(?:末)?(?:時点|現在)?$")


def _parse_fy_text(raw: str) -> int:
    text = _normalise(raw)
    if not text:
        raise YearError(raw, "空です")
    month = _MONTH_RE.match(text)
    if month:
        number = int(month["m"])
        if not 1 <= number <= 12:
            raise YearError(raw, f"{number}月はありません")
        calendar_year = _parse_fy_text(month["year"])  # (the year as written: 2021年, 令和3年)
        return calendar_year if number >= 4 else calendar_year - 1
    both = _BOTH_RE.match(text)
    if both:
        a, b = _parse_fy_text(both["a"]), _parse_fy_text(both["b"])
        if a != b:
            raise YearError(raw, f"西暦と和暦が一致しません（{a}と{b}）")
        return a
    m = _WESTERN_RE.match(text)
    if m:
        return int(m["y"])
    m = _ERA_RE.match(text)
    if m:
        start = _ERA_BY_NAME[m["name"]] if m["name"] else _ERA_BY_LETTER[m["letter"].upper()]
        n = 1 if m["n"] == "元" else int(m["n"])
        if n < 1:
            raise YearError(raw, "元年より前です")
        return era_to_fy(start, n)
    if re.fullmatch(r"\d+(?:\.0+)?", text):
        return int(float(text))
    raise YearError(raw, "年度の書き方として認識できません（例: 2020年度、令和2年度、H32）")


def parse_fy_range(value: object) -> tuple[int | None, int | None]:
    """Read a period: "平成25年度～平成34年度", "H25-H34", "平成23年度～" (open end),
    "～平成30年度" (open start) or a single year (start = end)."""
    if not isinstance(value, str):
        fy = parse_fy(value)
        return fy, fy
    text = _normalise(value)
    # A hyphen between two years is a range, but "H25-H34" only: years never contain one.
    if "～" not in text and "-" in text:
        text = text.replace("-", "～")
    if "～" not in text:
        fy = parse_fy(text)
        return fy, fy
    left, _, right = text.partition("～")
    if "～" in right:
        raise YearError(value, "期間の区切りが複数あります")
    start = parse_fy(left) if left else None
    end = parse_fy(right) if right else None
    if start is None and end is None:
        raise YearError(value, "開始年度も終了年度もありません")
    if start is not None and end is not None and end < start:
        raise YearError(value, "終了年度が開始年度より前です")
    return start, end


@dataclass(frozen=True)
class EraYear:
    era: str
    n: int

    @property
    def label(self) -> str:
        return f"{self.era}{'元' if self.n == 1 else self.n}"

    @property
    def short(self) -> str:
        letter = next(letter for name, letter, _ in ERAS if name == self.era)
        return f"{letter}{self.n}"


def era_of_fy(fy: int) -> EraYear:
    """The era year a fiscal year is shown with (FY2019 → 令和元)."""
    for name, _, start in reversed(ERAS):
        if fy >= start:
            return EraYear(name, fy - start + 1)
    raise YearError(fy, f"{MIN_FY}年度より前です")


def wareki(fy: int) -> str:
    """令和2年度"""
    return f"{era_of_fy(fy).label}年度"


def fy_label(fy: int) -> str:
    """2020年度（令和2年度）: the display form used everywhere."""
    return f"{fy}年度（{wareki(fy)}）"


def fy_short(fy: int) -> str:
    """2020年度"""
    return f"{fy}年度"


def range_label(start: int | None, end: int | None) -> str:
    left = fy_label(start) if start is not None else ""
    right = fy_label(end) if end is not None else ""
    if start is not None and start == end:
        return left
    return f"{left}～{right}"


_DATE_RE = re.compile(
    rf"^(?:(?P<name>{_ERA_NAMES})|(?P<letter>[MTSHRmtshr])\.?)?(?P<y>\d{{1,4}}|元)[-/.年](?P<m>\d{{1,2}})[-/.月](?P<d>\d{{1,2}})日?(?:\([^()]*\))?$"
)


def parse_date(value: object) -> dt.date:
    """A calendar date as people write it: 2026-12-15, 2026/12/15, 2026年12月15日, 令和8年12月15日,
    R8.12.15 (an era year is a calendar year here), full-width digits, a weekday in brackets;
    a date cell as the reader gives it. ValueError otherwise."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str):
        raise ValueError(f"not a date: {value!r}")
    text = unicodedata.normalize("NFKC", value).strip().replace(" ", "").replace("\u3000", "")
    m = _DATE_RE.match(text)
    if not m:
        raise ValueError(f"not a date: {value!r}")
    era = _ERA_BY_NAME[m["name"]] if m["name"] else _ERA_BY_LETTER[m["letter"].upper()] if m["letter"] else None
    if era is None and len(m["y"]) != 4:
        raise ValueError(f"not a date (a year without era has four digits): {value!r}")
    year = (era + (1 if m["y"] == "元" else int(m["y"])) - 1) if era is not None else int(m["y"])
    return dt.date(year, int(m["m"]), int(m["d"]))
