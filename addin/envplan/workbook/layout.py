"""The master workbook's layout, loaded from `workbook/layout.yaml`.

Table sheets share one shape: row 1 title, row 2 a note (or 和暦 year labels),
row 3 the header, data from row 4. Columns are found by their header text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

import yaml

from envplan.paths import WORKBOOK_DIR

TITLE_ROW = 1
NOTE_ROW = 2
HEADER_ROW = 3
FIRST_DATA_ROW = 4

ColumnType = Literal["text", "number", "year", "int", "choice", "bool", "codes", "formula"]


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    width: float = 12
    type: ColumnType = "text"
    required: bool = False
    list: str = ""  # name of the drop-down list for choice columns


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

    def index(self, key: str) -> int:
        """1-based column position in a freshly built sheet."""
        return next(i for i, c in enumerate(self.columns, 1) if c.key == key)

    @property
    def has_years(self) -> bool:
        return self.year_width is not None


@dataclass(frozen=True)
class Layout:
    sheets: dict[str, SheetSpec]
    lists: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def __getitem__(self, key: str) -> SheetSpec:
        return self.sheets[key]

    def policy_sheet_name(self, code: str) -> str:
        return self.sheets["policy_form"].name.replace("{code}", code)


@lru_cache(maxsize=1)
def layout() -> Layout:
    with open(WORKBOOK_DIR / "layout.yaml", encoding="utf-8") as f:
        raw = yaml.safe_load(f)
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
