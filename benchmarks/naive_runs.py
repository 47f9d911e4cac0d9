"""The two runs `bench_consolidate.py` compares envplan's against, each in a process of its own,
started from this script so that nothing of the benchmark's own imports is counted in them:

- `--baseline MASTER INBOX`: the naive program, every return loaded whole with openpyxl;
- `--floor INBOX`: the reader's floor, python-calamine reading every sheet of every file.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


class OpenpyxlSource:
    """The naive reader: every return loaded fully with openpyxl."""

    def __init__(self, path: Path) -> None:
        import openpyxl

        self.label = Path(path).name
        self._wb = openpyxl.load_workbook(path, data_only=True)

    def sheet_names(self) -> list[str]:
        return list(self._wb.sheetnames)

    def grid(self, sheet: str):
        from envplan.workbook.io import SheetGrid

        return SheetGrid(sheet, [list(r) for r in self._wb[sheet].iter_rows(values_only=True)])


def baseline(master: str, inbox: str) -> None:
    """Run in a child process: the naive program — every return loaded whole with openpyxl, one
    after another, each judged by the consolidation's own rules, the master written once (the
    same run with its reading swapped for one plain loop). Its process is set up as the envplan
    command's is (cli/startup.py): what is compared is the reading."""
    from envplan.cli.startup import imports_done, prepare_process

    prepare_process()
    import envplan.survey.consolidate as run
    from envplan.survey.inbox import list_inbox
    from envplan.survey.return_files import inspect_return
    from envplan.survey.template_identity import key_id

    imports_done()  # after more imports than the command's own (cli/main.py): never to the baseline's loss

    def one_pass(state, inbox, key, *, jobs=1, allow_frozen=False, open_source=None, progress=None, reader=None, settled=None):  # type: ignore[no-untyped-def]
        files, _ = list_inbox(inbox)
        consolidator = run.Consolidator(state, allow_frozen=allow_frozen)
        for path in files:
            consolidator.add(inspect_return(path, key, key_id(key), OpenpyxlSource))
        return consolidator.finish()

    run.prepare_consolidation = one_pass  # the file door calls it by this name
    result = run.consolidate(Path(master), Path(inbox), jobs=1)
    print(json.dumps({k: v for k, v in result.to_json().items() if k in ("accepted", "rejected", "unchanged", "changes")}))


def floor(inbox: str) -> None:
    """Run in a child process: the reader's floor — python-calamine reading every sheet of
    every file of the inbox, one process, start-up included; nothing checked or written."""
    from python_calamine import CalamineWorkbook

    cells = 0
    for path in sorted(Path(inbox).glob("*.xlsx")):
        wb = CalamineWorkbook.from_path(str(path))
        for name in wb.sheet_names:
            cells += sum(len(r) for r in wb.get_sheet_by_name(name).to_python())
    print(json.dumps({"accepted": 0, "rejected": 0, "unchanged": 0, "changes": 0, "cells": cells}))


if __name__ == "__main__":
    if sys.argv[1] == "--baseline":
        baseline(sys.argv[2], sys.argv[3])
    else:
        floor(sys.argv[2])
