"""Reading one cell's value into a typed value, with a diagnostic when it cannot be.

Shared by the master reader and the reader of returned templates, so that a
number or a year typed by a department is read by the same rules as staff's.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass
from typing import Any

from envplan.plan.diagnostics import DiagnosticList
from envplan.plan.numbers import read_number
from envplan.plan.years import YearError, parse_fy


def col_letter(col: int) -> str:
    letters = ""
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def col_number(letters: str) -> int:
    """'AB' → 28 (letters in upper case)."""
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def cell_ref(row: int, col: int) -> str:
    return f"{col_letter(col)}{row}"


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


@dataclass(frozen=True)
class Cell:
    """A value read from a sheet, with where it came from."""

    sheet: str
    row: int
    col: int
    value: Any

    @property
    def ref(self) -> str:
        return cell_ref(self.row, self.col)

    @property
    def blank(self) -> bool:
        return is_blank(self.value)


class CellReader:
    """Typed reads that record a diagnostic (with sheet and cell) on failure
    and return None, so one pass reports every problem in a sheet."""

    def __init__(self, diags: DiagnosticList) -> None:
        self.diags = diags

    def text(self, cell: Cell, *, required: bool = False, what: str = "") -> str:
        if cell.blank:
            if required:
                self.diags.error("REQUIRED", f"{what or 'この欄'}が空欄です。入力してください", cell.sheet, cell.ref)
            return ""
        value = cell.value
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        if isinstance(value, (dt.datetime, dt.date)):
            return value.isoformat()
        return str(value).replace("\r\n", "\n").strip()

    def code(self, cell: Cell, *, required: bool = False, what: str = "") -> str:
        """An identifier: full-width letters and digits folded to half-width."""
        return unicodedata.normalize("NFKC", self.text(cell, required=required, what=what))

    def number(self, cell: Cell, *, unit: str = "", required: bool = False, what: str = "") -> float | None:
        reading = read_number(cell.value, unit)
        label = what or "この欄"
        if not reading.ok:
            self.diags.error(reading.error or "NUMBER_INVALID", f"{label}: {reading.error_message}", cell.sheet, cell.ref, cell.value)
            return None
        for code, message in reading.warnings:
            self.diags.warning(code, f"{label}: {message}", cell.sheet, cell.ref, cell.value)
        if reading.value is None and required:
            self.diags.error("REQUIRED", f"{label}が空欄です。数値を入力してください", cell.sheet, cell.ref)
        return reading.value

    def amount(self, cell: Cell, *, unit: str = "", required: bool = False, what: str = "") -> float | None:
        """A budget figure: a number that cannot be negative (予算・決算 are never below zero)."""
        value = self.number(cell, unit=unit, required=required, what=what)
        if value is not None and value < 0:
            self.diags.error("NUMBER_INVALID", f"{what or 'この欄'}: 金額は0以上の数値で入力してください", cell.sheet, cell.ref, cell.value)
            return None
        return value

    def year(self, cell: Cell, *, required: bool = False, what: str = "") -> int | None:
        label = what or "年度"
        if cell.blank:
            if required:
                self.diags.error("REQUIRED", f"{label}が空欄です。年度を入力してください（例: 2020、令和2年度）", cell.sheet, cell.ref)
            return None
        try:
            return parse_fy(cell.value)
        except YearError as e:
            self.diags.error("YEAR_INVALID", f"{label}: {e.reason}。例: 2020、2020年度、令和2年度、H32", cell.sheet, cell.ref, cell.value)
            return None

    def integer(self, cell: Cell, *, what: str = "", minimum: int | None = None, maximum: int | None = None) -> int | None:
        value = self.number(cell, what=what)
        if value is None:
            return None
        if not float(value).is_integer() or (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
            lo = "" if minimum is None else f"{minimum}以上"
            hi = "" if maximum is None else f"{maximum}以下"
            self.diags.error("NUMBER_INVALID", f"{what or 'この欄'}には{lo}{hi}の整数を入力してください", cell.sheet, cell.ref, cell.value)
            return None
        return int(value)

    def choice(self, cell: Cell, options: dict[str, str] | tuple[str, ...], *, required: bool = False, what: str = "") -> str | None:
        """Map a displayed choice to its stored value (options: label → value)."""
        mapping = options if isinstance(options, dict) else {o: o for o in options}
        text = unicodedata.normalize("NFKC", self.text(cell, required=required, what=what))
        if not text:
            return None
        normalised = {unicodedata.normalize("NFKC", k): v for k, v in mapping.items()}
        if text in normalised:
            return normalised[text]
        folded = {_fold_choice(k): (k, v) for k, v in mapping.items()}
        if len(folded) == len(mapping) and _fold_choice(text) in folded:
            label, stored = folded[_fold_choice(text)]
            self.diags.warning(
                "CHOICE_VARIANT",
                f"{what or 'この欄'}の「{text}」を「{label}」として読みました。一覧から選ぶと確実です",
                cell.sheet,
                cell.ref,
                cell.value,
            )
            return stored
        self.diags.error(
            "CHOICE_INVALID",
            f"{what or 'この欄'}の「{text}」は選択肢にありません。次のいずれかを選んでください: {'、'.join(mapping)}",
            cell.sheet,
            cell.ref,
            cell.value,
        )
        return None

    def flag(self, cell: Cell, *, what: str = "") -> bool:
        if cell.blank:
            return False
        value = cell.value
        if isinstance(value, bool):
            return value
        if isinstance(value, (int, float)):
            return value != 0
        text = unicodedata.normalize("NFKC", str(value)).strip().lower()
        if text in ("○", "〇", "◯", "はい", "yes", "true", "1", "✓", "✔", "例示"):
            return True
        if text in ("×", "いいえ", "no", "false", "0", "-"):
            return False
        self.diags.error("CHOICE_INVALID", f"{what or 'この欄'}は「○」または空欄で入力してください", cell.sheet, cell.ref, value)
        return False


# Obvious other spellings of a choice word (予定通り for 予定どおり, 完了済み for 完了): read with a
# warning. Only when the folding keeps every option of the list distinct, so it never guesses.
# Marks that look alike (〇 U+3007 and ◯ for ○, × and ✖ for ✕), 速報値 for 速報, A2 for AⅡ (which NFKC reads as AII).
_CHOICE_SPELLINGS = (
    ("通り", "どおり"),
    ("どうり", "どおり"),
    ("遅延", "遅れ"),
    ("遅れている", "遅れ"),
    ("前倒し済み", "前倒し"),
    ("〇", "○"),
    ("◯", "○"),
    ("×", "✕"),
    ("✖", "✕"),
    ("☓", "✕"),
    ("速報値", "速報"),
    ("確定値", "確定"),
    ("A1", "AI"),
    ("A2", "AII"),
)
_CHOICE_DROPPED = " 　。、.,・「」『』()（）"


def _fold_choice(text: str) -> str:
    t = unicodedata.normalize("NFKC", text).upper()
    t = "".join(ch for ch in t if ch not in _CHOICE_DROPPED)
    for variant, word in _CHOICE_SPELLINGS:
        t = t.replace(variant, word)
    for tail in ("済み", "済", "です", "である"):
        if t.endswith(tail) and len(t) > len(tail):
            t = t[: -len(tail)]
    return t
