"""Driving the Excel door without Excel: xlwings' remote engine.

`book_payload(path)` builds the JSON an Excel client sends (every sheet's
values from A1 to its used range, tables, notes) from a real workbook file;
`xw.Book(json=payload)` then behaves like the book open in Excel, and the
actions it queues (`book.json()["actions"]`) are what Excel would carry out.
`apply_actions` carries them out on the payload's grids, so a test can look
at the resulting sheets as a user would.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import openpyxl
import xlwings as xw


def _json_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return float(value)  # Excel sends every number as a double
    if isinstance(value, dt.datetime):
        return value.isoformat() + ".000Z"
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day).isoformat() + ".000Z"
    return str(value)


def book_payload(path: Path, *, saved: bool = True, name: str | None = None) -> dict[str, Any]:
    wb = openpyxl.load_workbook(path, data_only=True)
    sheets = []
    for ws in wb.worksheets:
        values = [[_json_value(c.value) for c in row] for row in ws.iter_rows(min_row=1, max_row=ws.max_row, max_col=ws.max_column)]
        tables = []
        for t in ws.tables.values():
            first, last = t.ref.split(":")
            fc, fr = re.match(r"([A-Z]+)(\d+)", first).groups()
            lc, lr = re.match(r"([A-Z]+)(\d+)", last).groups()
            tables.append(
                {
                    "name": t.displayName,
                    "range_address": f"${fc}${fr}:${lc}${lr}",
                    "header_row_range_address": f"${fc}${fr}:${lc}${fr}",
                    "data_body_range_address": f"${fc}${int(fr) + 1}:${lc}${lr}",
                    "total_row_range_address": None,
                    "show_headers": True,
                    "show_totals": False,
                    "table_style": "TableStyleLight9",
                    "show_autofilter": True,
                }
            )
        notes = [{"address": f"${c.column_letter}${c.row}"} for row in ws.iter_rows() for c in row if c.comment]
        sheets.append(
            {
                "name": ws.title,
                "values": values or [[]],
                "pictures": [],
                "tables": tables,
                "notes": notes,
                "notes_supported": True,
                "shapes": [],
                "charts": [],
            }
        )
    return {
        "client": "Office.js",
        "version": xw.__version__,
        "book": {"name": name or str(path), "active_sheet_index": 0, "selection": "A1", "saved": saved},
        "names": [],
        "sheets": sheets,
    }


def open_book(path: Path, **kwargs: Any) -> xw.Book:
    return xw.Book(json=book_payload(path, **kwargs))


@dataclass
class AppliedBook:
    """Sheets after the actions: values by sheet, colours and notes by (sheet, A1)."""

    values: dict[str, list[list[Any]]]
    order: list[str]
    colors: dict[tuple[str, str], str | None] = field(default_factory=dict)
    notes: dict[tuple[str, str], str] = field(default_factory=dict)
    alerts: list[dict[str, str]] = field(default_factory=list)
    other: list[dict[str, Any]] = field(default_factory=list)

    def value(self, sheet: str, row: int, col: int) -> Any:
        grid = self.values[sheet]
        if row <= len(grid) and col <= len(grid[row - 1]):
            return grid[row - 1][col - 1]
        return ""


def _a1(row: int, col: int) -> str:
    letters = ""
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return f"{letters}{row}"


def apply_actions(payload: dict[str, Any], actions: list[dict[str, Any]]) -> AppliedBook:
    order = [s["name"] for s in payload["sheets"]]
    values = {s["name"]: [list(r) for r in s["values"]] for s in payload["sheets"]}
    notes = {}
    for s in payload["sheets"]:
        for n in s.get("notes", []):
            notes[(s["name"], n["address"].replace("$", ""))] = "(existing)"
    book = AppliedBook(values, order, notes=notes)

    def cells(a: dict[str, Any]):  # noqa: ANN202
        name = order[a["sheet_position"]]
        for r in range(a["start_row"], a["start_row"] + min(a["row_count"], 2000)):
            for c in range(a["start_column"], a["start_column"] + min(a["column_count"], 200)):
                yield name, r, c

    for a in actions:
        f = a["func"]
        if f == "addSheet":
            ix, name = a["args"]
            order.insert(ix, name)
            values[name] = [[]]
        elif f in ("setValues", "rangeClearContents"):
            name = order[a["sheet_position"]]
            grid = values[name]
            for r_off in range(a["row_count"] if f == "rangeClearContents" else len(a["values"])):
                r = a["start_row"] + r_off
                while len(grid) <= r:
                    grid.append([])
                row = a["values"][r_off] if f == "setValues" else [""] * a["column_count"]
                for c_off, v in enumerate(row):
                    c = a["start_column"] + c_off
                    while len(grid[r]) <= c:
                        grid[r].append("")
                    grid[r][c] = v
        elif f == "setRangeColor":
            for name, r, c in cells(a):
                book.colors[(name, _a1(r + 1, c + 1))] = a["args"][0]
        elif f == "addNote":
            book.notes[(order[a["sheet_position"]], a["args"][0].replace("$", ""))] = a["args"][1]
        elif f == "deleteNote":
            book.notes.pop((order[a["sheet_position"]], a["args"][0].replace("$", "")), None)
        elif f == "alert":
            prompt, title, buttons, mode, _ = a["args"]
            book.alerts.append({"prompt": prompt, "title": title, "mode": mode, "buttons": buttons})
        else:
            book.other.append(a)
    return book
