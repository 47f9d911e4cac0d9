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
    "DATE_INVALID": "the value is not a date",
    "YEAR_OUTSIDE_PLAN": "the fiscal year is outside the plan period",
    "YEAR_COLUMNS_MISSING": "a sheet has no column for some years of the plan period set on the settings sheet",
    "VALUE_OUTSIDE_PERIOD": "a value is in a year column outside the plan period",
    "CHOICE_INVALID": "the value is not one of the allowed choices",
    "POLICY_CODE_SHEET_NAME": "the policy code cannot be a sheet name as it is (over 31 characters with the prefix, or []:*?/\\); the evaluation sheet gets a shortened safe name",
    "NUMBER_NO_VALUE": "a character that looks like a dash (the kana long mark) was read as no value",
    "NUMBER_IS_PERCENT": "a figure of an indicator not in % was typed as a percentage (the cell is formatted as a percentage); it is not read",
    "CHOICE_VARIANT": "another spelling of a choice was read as that choice",
    "PHONE_AS_NUMBER": "a phone number was typed as a number (a leading 0 may be lost)",
    "RETURN_ROWS_SORTED": "the rows of a sheet were sorted; each row was matched back by its ID (all its cells as issued) and read",
    "RETURN_GUIDE_SHEET_MISSING": "the instructions sheet was deleted (it has no inputs; the return is read without it)",
    "DUPLICATE_ID": "the ID is used more than once",
    "UNKNOWN_CATEGORY": "the category code is not defined on the categories sheet",
    "UNKNOWN_DEPARTMENT": "the department code is not defined on the departments sheet",
    "UNKNOWN_INDICATOR": "the indicator ID is not defined",
    "UNKNOWN_POLICY": "the policy code is not defined",
    "UNKNOWN_PROJECT": "the project ID is not defined",
    "PROJECT_PART_NOT_ON_PROJECT": "a co-department report is by a department that is not a co-department of the project",
    "TARGET_INVALID": "the structured target is incomplete or inconsistent",
    "TARGET_WORDING_MISMATCH": "the target wording reads differently from the structured target",
    "TARGET_WORDING_UNREADABLE": "the target wording could not be read automatically",
    "DIRECTION_MISMATCH": "the direction differs from what the target wording implies",
    "VALUE_OUT_OF_RANGE": "the value is outside the indicator's plausible range",
    "VALUE_JUMP": "the value changed implausibly from the previous year",
    "VALUE_MARK_WITHOUT_ACTUAL": "a 速報/確定 (provisional/final) mark is on a year without an actual value",
    "PHASE_OVERLAP": "project phases overlap",
    "TOO_MANY_REFERENCE_INDICATORS": "a policy has more reference indicators than allowed",
    "SETTING_INVALID": "a setting has an invalid value",
    "OPEN_DATA_CODE_MISSING": "the setting 全国地方公共団体コード (6-digit local government code with its check digit) is empty: the open data's code column will be empty",
    "OPEN_DATA_LICENCE_MISSING": "the setting オープンデータの利用条件 (the open data's licence) is empty: the open data is published without terms of use",
    "TEXT_TOO_LONG": "the text is longer than allowed",
    # Returned department templates (consolidate)
    "RETURN_XLS": "an .xls file cannot be read; save it again as .xlsx",
    "RETURN_WRONG_FORMAT": "the file is not an .xlsx/.xlsm workbook",
    "RETURN_TRUNCATED": "the file is empty, truncated or damaged",
    "RETURN_ENCRYPTED_OR_XLS": "the file is password-protected or an .xls renamed to .xlsx",
    "RETURN_NOT_WORKBOOK": "the file's content is not a workbook",
    "RETURN_UNREADABLE": "the workbook cannot be read",
    "RETURN_NOT_OURS": "the workbook is not a template issued by envplan",
    "RETURN_IDENTITY_BROKEN": "the template's hidden identity sheet is damaged",
    "RETURN_VERSION": "the template's version is not supported",
    "RETURN_OTHER_KEY": "the template was issued from another master (different signing key)",
    "RETURN_SIGNATURE_INVALID": "the template's identity or layout was changed after issue (signature mismatch)",
    "RETURN_OTHER_PLAN": "the template belongs to another plan",
    "RETURN_UNKNOWN_DEPARTMENT": "the template's department is not in the master",
    "RETURN_WRONG_YEAR": "the template is for another fiscal year",
    "RETURN_SHEET_MISSING": "a sheet of the template is missing",
    "RETURN_LOCKED_CHANGED": "a locked cell was changed",
    "RETURN_UNEXPECTED_CELL": "a value was typed outside the input cells",
    "RETURN_FOREIGN_ROW": "a row of another department's indicator or project was added",
    "RETURN_IGNORED_CELL": "a value typed on the instructions sheet is not imported",
    "RETURN_EXTRA_SHEET": "a sheet that is not part of the template is not imported",
    "RETURN_UNKNOWN_ROW": "the field no longer exists in the master",
    "RETURN_NOT_OWNER": "the field belongs to another department",
    "RETURN_FROZEN_YEAR": "the fiscal year is closed (frozen); the value cannot be changed",
    "RETURN_MASTER_NO_PLACE": "the master has no row or column for the value",
    "RETURN_MASTER_NEWER": "the master was changed after issue and the return left the field as issued; the master's value was kept",
    "RETURN_OVERRIDES_MASTER": "the return replaced a value that was changed in the master after issue",
    "RETURN_SUPERSEDED": "a newer return of the same department replaces this file",
    "RETURN_CHANGED_WHILE_READING": "the file was replaced while it was being read; run the consolidation again",
    "RETURN_PAST_YEAR_EDITED": "a grey cell of a past year was edited; past years are corrected through the plan's secretariat, not the template",
    "PERCENT_LOOKS_LIKE_FRACTION": "a % indicator got a value of 1 or less that looks like a fraction (0.284 for 28.4%)",
    "RETURN_BLANK": "every input cell is blank (returned as issued); the tracker shows it as not filled in",
    "RETURN_REQUIRED_BLANK": "required inputs are blank",
    "RETURN_STATUS_CLEARED": "a project status cannot be cleared",
    "YEAR_FROZEN": "the fiscal year is closed; use --allow-frozen to change it",
    "FROZEN_EDITED": "a value of a closed fiscal year was changed outside envplan (not logged); accept it with envplan year accept-frozen-edits --reason, or undo it with envplan year restore-frozen (in Excel: the ribbon's 確定値 button)",
    "FROZEN_RECORD_MISSING": "the master has no record of its closed-year values yet (made before the record existed); it is created by the next envplan write",
    "FROZEN_RECORD_BROKEN": "the hidden record of closed-year values cannot be read",
    "FROZEN_NOT_EDITED": "no closed-year value was changed outside envplan at the given cell",
    "FROZEN_NOT_RESTORABLE": "a recorded closed-year value cannot be written back (its row, sheet or subject is gone)",
    # Safety checks before a return is parsed (return_safety.py)
    "RETURN_NOT_A_FILE": "the entry is not a regular file (device, pipe)",
    "RETURN_TOO_LARGE": "the file is larger than the limit for a return",
    "RETURN_ZIP_BOMB": "the file would inflate to an excessive size or has too many parts (zip bomb); refused before inflating",
    "RETURN_ARCHIVE_UNSAFE": "the zip has duplicate parts or a compression method Excel does not use",
    "RETURN_XML_ENTITIES": "an XML part declares a DTD or entities (entity expansion attack); refused",
    "RETURN_ENCRYPTED": "the file is password-protected; remove the password and send it again",
    "RETURN_TOO_MANY_SHEETS": "the workbook has more sheets than allowed",
    "RETURN_TOO_MANY_ROWS": "a sheet has values beyond the row limit",
    "RETURN_TOO_MANY_COLUMNS": "a sheet has values beyond the column limit",
    "RETURN_TOO_MANY_CELLS": "the workbook has more cells, or formulas/merged ranges, than allowed",
    "RETURN_STRING_TOO_LONG": "a cell holds more characters than Excel allows",
    "RETURN_MACROS": "the workbook contains macros; they are never run, only values are read",
    "RETURN_EXTERNAL_LINK": "the workbook links to other workbooks or data sources; only saved values are used",
    "RETURN_FORMULA": "an input cell holds a formula; its saved result was used (never evaluated)",
    "RETURN_FORMULA_NO_VALUE": "an input cell holds a formula without a saved result; enter a value",
    "RETURN_CELL_ERROR": "an input cell holds an error value (#DIV/0! etc.)",
    "RETURN_MERGED_INPUT": "an input cell is hidden inside a merged range",
    "TEXT_CONTROL_CHARS": "invisible control characters were removed from the text",
    "TEXT_BIDI_CONTROL": "bidirectional control characters (right-to-left marks, overrides) were removed from the text",
    "TEXT_FORMULA_LIKE": "the text starts like a formula; it is kept as text",
    "TEXT_MARKUP": "the text contains HTML-like tags; it is kept as text",
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

    def extend(self, other: DiagnosticList | list[Diagnostic]) -> None:
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
