"""Reading numbers as people really type them into cells.

`１，３２４` → 1324, `約500` → 500 (with a warning), `－` / `未集計` → no value,
`440g` → 440 when `g` is the indicator's unit (with a warning), `△5` → −5.
Anything else that is not a number is an error, never a silent zero.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from dataclasses import dataclass, field

# Typed in a number cell to mean "no figure (yet)".
NO_VALUE_MARKERS = frozenset(
    {"", "-", "－", "−", "‐", "―", "—", "–", "ー", "…", "未集計", "集計中", "未定", "なし", "無", "n/a", "na", "N/A", "NA", "*", "＊", "×"}
)
_APPROX_PREFIXES = ("約", "およそ", "概ね", "おおむね", "ca.", "≒", "~", "～")
_NEGATIVE_MARKS = ("△", "▲", "−", "－", "-")
_GROUPED = re.compile(r"^\d{1,3}(,\d{3})+(\.\d+)?$")
_PLAIN = re.compile(r"^\d+(\.\d+)?$|^\.\d+$")


@dataclass
class NumberReading:
    """The outcome of reading one cell as a number."""

    value: float | None = None
    error: str | None = None  # error code; value is None then
    error_message: str = ""
    warnings: list[tuple[str, str]] = field(default_factory=list)  # (code, message)

    @property
    def ok(self) -> bool:
        return self.error is None


def _fail(code: str, message: str) -> NumberReading:
    return NumberReading(error=code, error_message=message)


def read_number(raw: object, unit: str = "") -> NumberReading:
    """Read a cell value as a number, normalising what people type."""
    if raw is None:
        return NumberReading()
    if isinstance(raw, bool):
        return _fail("NUMBER_BOOLEAN", "TRUE/FALSE が入力されています。数値を入力してください")
    if isinstance(raw, (dt.date, dt.datetime, dt.time)):
        return _fail(
            "NUMBER_IS_DATE",
            f"日付（{raw}）として保存されています。セルの表示形式が「日付」のため、入力した数値が日付になりました。表示形式を「標準」に戻して、数値を入力してください",
        )
    if isinstance(raw, (int, float)):
        value = float(raw)
        if math.isnan(value) or math.isinf(value):
            return _fail("NUMBER_NOT_FINITE", "数値が非数または無限大です")
        return NumberReading(value=value)
    if not isinstance(raw, str):
        return _fail("NUMBER_INVALID", f"数値として読めない値です（{type(raw).__name__}）")
    return _read_text(raw, unit)


def _read_text(raw: str, unit: str) -> NumberReading:
    text = unicodedata.normalize("NFKC", raw).strip()
    spaced = re.search(r"\d +\d", text)
    if spaced and not re.search(r"(?<![\d ])\d{1,3}(?: \d{3})+(?![\d ])", text):
        # 「12 5」: 125, 12.5 or two figures? (「1 000」, grouped by threes, is 1000)
        return _fail("NUMBER_BAD_SEPARATOR", f"「{raw}」は数字の間に空白があり、1つの数として読めません。空白を除いて入力してください")
    text = text.replace(" ", "")
    text = text.replace("，", ",").replace("．", ".")
    if text in NO_VALUE_MARKERS:
        reading = NumberReading()
        if text in _DASH_LOOK_ALIKES:  # 「ー」 (the kana long mark) typed for 「－」: read as meant, but said
            reading.warnings.append(("NUMBER_NO_VALUE", f"「{raw}」を「値なし（－）」として読みました。値があれば数値を入力してください"))
        return reading
    reading = NumberReading()
    for prefix in _APPROX_PREFIXES:
        if text.startswith(prefix) and len(text) > len(prefix):
            text = text[len(prefix):]
            reading.warnings.append(("NUMBER_APPROXIMATE", f"「{raw}」の「{prefix}」を除いて数値として読みました。確定値があれば入力してください"))
            break
    negative = False
    for mark in _NEGATIVE_MARKS:
        if text.startswith(mark):
            negative, text = True, text[len(mark):]
            break
    if text.startswith("+"):
        text = text[1:]
    if text.endswith("程度") and len(text) > 2 and not reading.warnings:  # 「1,500程度」 as 「約1,500」
        text = text[:-2]
        reading.warnings.append(("NUMBER_APPROXIMATE", f"「{raw}」の「程度」を除いて数値として読みました。確定値があれば入力してください"))
    number_part, suffix = _split_suffix(text)
    if suffix:
        allowed = _unit_variants(unit)
        if suffix not in allowed:
            expected = f"（単位は「{unit}」）" if unit else ""
            return _fail("NUMBER_INVALID", f"「{raw}」は数値として読めません{expected}。{_how_to_type(text, unit)}")
        reading.warnings.append(("NUMBER_UNIT_STRIPPED", f"「{raw}」の単位「{suffix}」を除いて数値として読みました"))
    if _GROUPED.match(number_part):
        number_part = number_part.replace(",", "")
    elif "," in number_part:
        return _fail("NUMBER_BAD_SEPARATOR", f"「{raw}」の桁区切りが正しくありません（例: 1,324）")
    if not _PLAIN.match(number_part):
        return _fail("NUMBER_INVALID", f"「{raw}」は数値として読めません。{_how_to_type(text, unit)}")
    value = float(number_part)
    if math.isinf(value):  # 400 typed digits overflow to inf; never write inf into a workbook
        return _fail("NUMBER_NOT_FINITE", f"「{raw[:30]}…」は大きすぎて数値として扱えません")
    reading.value = -value if negative else value
    return reading


# Characters that look like 「－」 but are other letters: the kana long mark, the horizontal bar.
_DASH_LOOK_ALIKES = frozenset({"ー", "―"})


def _how_to_type(text: str, unit: str = "") -> str:
    """What to type instead, for the ways of writing a figure that are not read (never guessed:
    「105・3」 may be 105.3 or two figures; 「70万」 a rounded figure)."""
    if re.search(r"\d・\d", text):
        return "「・」が小数点なら「105.3」のように「.」で入力してください"
    if re.search(r"\d[万千億]", text):
        scaled = re.match(r"(百万|千|万|億)", unicodedata.normalize("NFKC", unit))
        if scaled:  # 「1,346千t」 for 千t-CO2: all the digits of 1,346,000 would be a thousand times too much
            return (
                f"単位「{unit}」に「{scaled[1]}」が含まれています。「万」「千」などの文字や単位を付けず、"
                f"「{unit}」単位の数を数字だけで入力してください（例: 1万2345{unit} → 12345）"
            )
        return "「万」「千」などは使わず、すべての桁を数字で入力してください（例: 70万 → 700000）"
    if re.search(r"\d.*(増|減|削減|増加|減少)$", text):
        return "増減の量や割合ではなく、その年度の値を入力してください"
    letter = re.search(r"(?<=\d)[OoIl]|[OoIl](?=[\d.])", text)
    if letter:
        return f"数字の中に英字の「{letter[0]}」があります。数字（{'0' if letter[0] in 'Oo' else '1'}）で入力してください"
    if re.fullmatch(r"\d+\.", text):
        return f"小数点のあとの数字がありません（整数なら「{text[:-1]}」と入力してください）"
    return "数字だけを入力してください"


def _split_suffix(text: str) -> tuple[str, str]:
    m = re.match(r"^([\d,]*\.?\d*)(.*)$", text)
    assert m  # the pattern matches any string
    return m[1], m[2]


def _unit_variants(unit: str) -> set[str]:
    """Suffixes accepted as 'the unit typed into the cell'."""
    if not unit:
        return {"%"}
    u = unicodedata.normalize("NFKC", unit).replace(" ", "")
    variants = {u, u.split("/")[0], "%" if "%" in u else u}
    # "5ヶ所" for unit "ヶ所", "31%" for "%", "2回" for "回"
    return {v for v in variants if v}


def format_number(value: float | None, unit: str = "", *, digits: int | None = None) -> str:
    """1324.0 → "1,324", 1.75 → "1.75"; with unit appended when given."""
    if value is None:
        return "－"
    if digits is None:
        if float(value).is_integer():
            text = f"{int(value):,}"
        else:
            text = f"{value:,.3f}".rstrip("0").rstrip(".")
    else:
        text = f"{value:,.{digits}f}"
    return f"{text}{unit}" if unit else text


MAX_DIGITS = 3


def _decimals(value: float) -> int:
    text = f"{value:.{MAX_DIGITS}f}".rstrip("0")
    return len(text.split(".")[1]) if "." in text else 0


def indicator_digits(values: list[float | None]) -> int:
    """The decimal places an indicator is shown with everywhere: as many as its
    most precise typed figure (baseline, target, plan and actual values), at most
    three. A computed figure (the 見込み値 on the path to the target) is then
    rounded to it, so 25.364% does not stand beside 23%."""
    return max((_decimals(float(v)) for v in values if v is not None), default=0)
