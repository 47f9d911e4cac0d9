"""The master workbook's layout, loaded from `workbook/layout.yaml`.

Table sheets share one shape: row 1 title, row 2 a note (or 和暦 year labels),
row 3 the header, data from row 4. Columns are found by their header text.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

from envplan.paths import WORKBOOK_DIR
from envplan.yaml_cache import load_yaml

TITLE_ROW = 1
NOTE_ROW = 2
HEADER_ROW = 3
FIRST_DATA_ROW = 4

# The rows of 指標実績 for each indicator, in the order written, and the field each fills.
# 速報・確定 marks an actual as provisional (速報) or final (確定; blank is final too).
MARK_ROW = "速報・確定"
VALUE_ROW_KINDS: dict[str, str] = {"計画値": "plan", "実績値": "actual", MARK_ROW: "mark", "備考": "note"}

ColumnType = Literal["text", "number", "year", "int", "choice", "bool", "codes", "formula"]


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    width: float = 12
    type: ColumnType = "text"
    required: bool = False
    list: str = ""  # name of the drop-down list for choice columns
    optional: bool = False  # added to the layout later: an older sheet without it reads as blank
    screen_only: bool = False  # for checking on screen (a file's SHA-256), after the printed columns


@dataclass(frozen=True)
class SheetSpec:
    key: str
    name: str
    title: str = ""
    note: str = ""
    columns: tuple[Column, ...] = ()
    year_width: float | None = None  # set when the sheet has one column per fiscal year
    year_type: ColumnType = "number"

    def column(self, key: str) -> Column:
        return next(c for c in self.columns if c.key == key)

    def printed_columns(self) -> int:
        """How many columns, from the first, are printed: all but the screen-only ones at the end."""
        n = len(self.columns)
        while n and self.columns[n - 1].screen_only:
            n -= 1
        return n

    def index(self, key: str) -> int:
        """1-based column position in a freshly built sheet."""
        return next(i for i, c in enumerate(self.columns, 1) if c.key == key)

    @property
    def has_years(self) -> bool:
        return self.year_width is not None


MAX_SHEET_NAME = 31  # Excel's limit
SHEET_NAME_FORBIDDEN = set("[]:*?/\\")


@dataclass(frozen=True)
class Layout:
    sheets: dict[str, SheetSpec]
    lists: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def __getitem__(self, key: str) -> SheetSpec:
        return self.sheets[key]

    def policy_sheet_name(self, code: str) -> str:
        """The evaluation sheet's name for a policy code (the reader finds forms by their
        content, not their name)."""
        return sheet_name_for(self.sheets["policy_form"].name, code)


def sheet_name_for(pattern: str, code: str) -> str:
    """`pattern` ("評価票_{code}") with a code in it, as a sheet name Excel accepts: at most 31
    characters, none of []:*?/\\ (replaced by ＿), not starting or ending with '. A code too
    long is cut, with a short hash of the whole code so that two long codes never share a sheet."""
    safe = "".join("＿" if ch in SHEET_NAME_FORBIDDEN else ch for ch in code)
    name = pattern.replace("{code}", safe)
    if len(name) > MAX_SHEET_NAME or safe != code:
        digest = hashlib.sha1(code.encode("utf-8")).hexdigest()[:4]
        room = MAX_SHEET_NAME - len(pattern.replace("{code}", "")) - len(digest) - 1
        name = pattern.replace("{code}", f"{safe[:room]}~{digest}")
    return name.strip("'")


def text_column(sheet: str, column: int, header: object) -> Column | None:
    """The layout's text column at this place of a table sheet, when the sheet still has it
    there (its header in row 3 as written); None for any other cell (a number, a year grid, a
    評価票's merged field, a column staff moved). Only there a long text is wrapped."""
    spec = next((s for s in layout().sheets.values() if s.name == sheet), None)
    if spec is None or not 1 <= column <= len(spec.columns):
        return None
    col = spec.columns[column - 1]
    if col.type != "text" or not isinstance(header, str) or (header != col.header and "{" not in col.header):
        return None  # ({resident} and the like: the header is in the municipality's words)
    return col


@lru_cache(maxsize=1)
def layout() -> Layout:
    raw = load_yaml(WORKBOOK_DIR / "layout.yaml")  # parsed once, then read as JSON (yaml_cache)
    sheets: dict[str, SheetSpec] = {}
    for key, spec in raw["sheets"].items():
        years = spec.get("year_columns")
        sheets[key] = SheetSpec(
            key=key,
            name=spec["name"],
            title=spec.get("title", ""),
            note=spec.get("note", ""),
            columns=tuple(Column(**c) for c in spec.get("columns", [])),
            year_width=years["width"] if years else None,
            year_type=years["type"] if years else "number",
        )
    lists = {k: tuple(v) for k, v in raw.get("lists", {}).items()}
    return Layout(sheets, lists)
