"""Problems found in a workbook: each with a stable code, a position and a message.

Messages are Japanese for the people who fix them; `message_en` exists for the
CLI's `--json`. Errors block (exit 1); warnings are reported, never dropped.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal

Severity = Literal["error", "warning"]

# English descriptions of every code, for --json consumers.
CODES_EN: dict[str, str] = {
    "LAYOUT_MISSING_SHEET": "a required sheet is missing",
    "LAYOUT_MISSING_COLUMN": "a required column header is missing",
    "LAYOUT_BAD_YEAR_COLUMN": "a year column header cannot be read as a fiscal year",
    "LAYOUT_BAD_ROW_ORDER": "rows of an indicator are not in the expected order",
    "REQUIRED": "a required value is empty",
    "NUMBER_INVALID": "the value is not a number",
    "NUMBER_BAD_SEPARATOR": "thousands separators are misplaced",
    "NUMBER_IS_DATE": "a date was entered where a number is expected",
    "NUMBER_BOOLEAN": "TRUE/FALSE was entered where a number is expected",
    "NUMBER_NOT_FINITE": "the number is NaN or infinite",
    "NUMBER_APPROXIMATE": "an approximate value (約…) was read as a number",
    "NUMBER_UNIT_STRIPPED": "a unit typed into a number cell was removed",
    "YEAR_INVALID": "the value is not a fiscal year",
    "YEAR_OUTSIDE_PLAN": "the fiscal year is outside the plan period",
    "CHOICE_INVALID": "the value is not one of the allowed choices",
    "DUPLICATE_ID": "the ID is used more than once",
    "UNKNOWN_CATEGORY": "the category code is not defined on the categories sheet",
    "UNKNOWN_DEPARTMENT": "the department code is not defined on the departments sheet",
    "UNKNOWN_INDICATOR": "the indicator ID is not defined",
    "UNKNOWN_POLICY": "the policy code is not defined",
    "UNKNOWN_PROJECT": "the project ID is not defined",
    "TARGET_INVALID": "the structured target is incomplete or inconsistent",
    "TARGET_WORDING_MISMATCH": "the target wording reads differently from the structured target",
    "TARGET_WORDING_UNREADABLE": "the target wording could not be read automatically",
    "DIRECTION_MISMATCH": "the direction differs from what the target wording implies",
    "VALUE_OUT_OF_RANGE": "the value is outside the indicator's plausible range",
    "VALUE_JUMP": "the value changed implausibly from the previous year",
    "PHASE_OVERLAP": "project phases overlap",
    "TOO_MANY_REFERENCE_INDICATORS": "a policy has more reference indicators than allowed",
    "SETTING_INVALID": "a setting has an invalid value",
    "TEXT_TOO_LONG": "the text is longer than allowed",
}


@dataclass
class Diagnostic:
    code: str
    message: str  # Japanese, says what is wrong and what is expected
    sheet: str = ""
    cell: str = ""
    severity: Severity = "error"
    file: str = ""
    value: str = ""  # what was found, as text

    @property
    def message_en(self) -> str:
        where = f"{self.sheet}!{self.cell}: " if self.sheet and self.cell else (f"{self.sheet}: " if self.sheet else "")
        found = f" (found: {self.value!r})" if self.value else ""
        return f"{where}{CODES_EN.get(self.code, self.code)}{found}"

    @property
    def location(self) -> str:
        if self.sheet and self.cell:
            return f"{self.sheet}!{self.cell}"
        return self.sheet

    def to_json(self) -> dict[str, str]:
        data = asdict(self)
        data["message_en"] = self.message_en
        return data


@dataclass
class DiagnosticList:
    items: list[Diagnostic] = field(default_factory=list)

    def error(self, code: str, message: str, sheet: str = "", cell: str = "", value: object = "") -> None:
        self.items.append(Diagnostic(code, message, sheet, cell, "error", value=_text(value)))

    def warning(self, code: str, message: str, sheet: str = "", cell: str = "", value: object = "") -> None:
        self.items.append(Diagnostic(code, message, sheet, cell, "warning", value=_text(value)))

    def extend(self, other: "DiagnosticList | list[Diagnostic]") -> None:
        self.items.extend(other.items if isinstance(other, DiagnosticList) else other)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.items if d.severity == "error"]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.items if d.severity == "warning"]


def _text(value: object) -> str:
    if value is None or value == "":
        return ""
    text = str(value)
    return text if len(text) <= 200 else text[:200] + "…"
