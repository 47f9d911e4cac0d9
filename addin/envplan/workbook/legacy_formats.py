"""Number formats envplan once wrote into the master, retired when the master is next saved.

Before 2026-12-03 the figures staff type (指標, 指標実績, the 評価票's 事業費) were written with
`#,##0.########` or `#,##0.##`, which Excel shows for a whole number as 「1,324.」 (LibreOffice
hides the point). Every save through envplan gives those cells General, as new masters have,
on envplan's own sheets only: a format staff chose on a sheet of their own stays.
"""

from __future__ import annotations

from openpyxl import Workbook

from envplan.workbook.layout import layout
from envplan.workbook.xlsx_style import INPUT_NUMBER_FORMAT

LEGACY_NUMBER_FORMATS = frozenset({"#,##0.########", "#,##0.##"})


def retire_legacy_number_formats(wb: Workbook) -> int:
    """Cells of envplan's sheets still in a legacy format get General; returns how many."""
    if not any(code in LEGACY_NUMBER_FORMATS for code in wb._number_formats):
        return 0  # nothing to look for (every master since): no cell is visited
    lay = layout()
    ours = {spec.name for spec in lay.sheets.values()}
    policy_prefix = lay["policy_form"].name.split("{code}")[0]
    changed = 0
    for ws in wb.worksheets:
        if ws.title not in ours and not ws.title.startswith(policy_prefix):
            continue
        for row in ws.iter_rows():
            for cell in row:
                if cell.number_format in LEGACY_NUMBER_FORMATS:
                    cell.number_format = INPUT_NUMBER_FORMAT
                    changed += 1
    return changed


__all__ = ["LEGACY_NUMBER_FORMATS", "retire_legacy_number_formats"]
