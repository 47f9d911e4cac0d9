"""The change log (変更履歴) read back, for publication: when which field of the
plan last changed and by what kind of run (取込, 目標見直し, 修正…).

Only what the log itself says is returned; a row whose field key cannot be read
keeps its time and kind without a field.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from envplan.workbook.changes import MasterStateError, _result_rows
from envplan.workbook.fields import FieldKey, decode_key
from envplan.workbook.io import WorkbookSource


@dataclass(frozen=True)
class LoggedChange:
    at: dt.datetime
    kind: str
    department: str  # the department's code, as the log keeps it ("" for the section's own runs)
    key: FieldKey | None

    @property
    def indicator(self) -> str:
        """The indicator the change is about ("" when it is about something else)."""
        if self.key and self.key[0] in ("value", "indicator", "revision") and len(self.key) > 1:
            return str(self.key[1])
        return ""


def read_change_history(source: WorkbookSource) -> list[LoggedChange]:
    """Every row of the change log with a time it can read, oldest first (as the log is written)."""
    try:
        rows = _result_rows(source, "changelog", set(source.sheet_names()))
    except MasterStateError:
        return []  # a log without its header: nothing can be said from it (validate reports the sheet)
    out = []
    for row in rows:
        at = _time(row.get("at"))
        if at is None:
            continue
        key: FieldKey | None = None
        text = row.get("field_key")
        if text:
            try:
                key = decode_key(str(text))
            except ValueError:
                key = None
        out.append(LoggedChange(at, str(row.get("kind") or "").strip(), str(row.get("department") or "").strip(), key))
    return out


def _time(value: object) -> dt.datetime | None:
    """The log's time as its wall-clock time (an offset, when written, is dropped: all rows are the section's)."""
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    try:
        return dt.datetime.fromisoformat(str(value).strip()).replace(tzinfo=None)
    except ValueError:
        return None
