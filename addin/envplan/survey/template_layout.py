"""What a department template is made of: sheet names, the kinds of input
cells, and how an input cell names the master field it fills.

Shared by the writer (`template_issue.py`), the reader of returns
(`return_reader.py`) and the feedback writer, so the three agree. The reader
does not need to know the layout: every input cell is listed, with its field
key, in the template's signed identity sheet.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from envplan.plan.vocabulary import PROJECT_STATUSES, RATINGS, VALUE_MARKS
from envplan.workbook.field_keys import FieldKey, encode_key
from envplan.workbook.layout import sheet_name_for

FORMAT = "envplan-return"
# Drop-down lists of choice inputs (kind "choice:<name>").
CHOICES: dict[str, tuple[str, ...]] = {"project_statuses": PROJECT_STATUSES, "ratings": RATINGS, "value_marks": VALUE_MARKS}
TEXT_LIMIT = 4000  # characters; a cell holds 32,767 but a form field this long is a paste error
TEMPLATE_VERSION = "1"

GUIDE_SHEET = "記入方法"
INDICATOR_SHEET = "指標"
PROJECT_SHEET = "重点プロジェクト"
POLICY_SHEET_PREFIX = "施策評価_"
CONTACT_SHEET = "担当者"
IDENTITY_SHEET = "_様式情報"
FEEDBACK_SHEET = "確認事項"  # added to feedback copies; ignored when they come back


def policy_sheet(code: str) -> str:
    """A policy's sheet in a template: 施策評価_<code>, shortened safely where the code is too
    long or holds characters a sheet name cannot (the master's 評価票 sheets follow the same rule)."""
    return sheet_name_for(POLICY_SHEET_PREFIX + "{code}", code)

# strict: every cell other than the inputs must stay as issued (definitions).
# info: text for the reader; a value typed there is reported, not imported.
SheetMode = Literal["strict", "info"]

# number: an indicator figure (read like the master: 全角, 約, units, －);
# amount: money (a number, not negative); text; choice:<list name>.
InputKind = str



@dataclass(frozen=True)
class InputSpec:
    """One input cell of a template."""

    sheet: str
    ref: str
    key: FieldKey
    kind: InputKind
    label: str  # what the cell is, in Japanese: 「S01 品川区のCO2排出量 2022年度の実績値」
    unit: str = ""

    @property
    def key_text(self) -> str:
        return encode_key(self.key)

    @property
    def choice_list(self) -> str:
        return self.kind.split(":", 1)[1] if self.kind.startswith("choice:") else ""


def safe_file_part(text: str) -> str:
    """A file name part without characters Windows forbids."""
    bad = '\\/:*?"<>|'
    return "".join("＿" if ch in bad or ord(ch) < 32 else ch for ch in text).strip() or "所管課"


def template_file_name(fy: int, department_name: str) -> str:
    return f"進行管理照会_{fy}年度_{safe_file_part(department_name)}.xlsx"
