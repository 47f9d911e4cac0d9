"""The analyst's door: `envplan.read_master(path)` reads and validates a master workbook,
computes it, and hands its figures over as the tidy pandas DataFrames the open data is
written from (frames.py), e.g.

    import envplan
    m = envplan.read_master("master.xlsx")
    df = m.indicators_frame()
    df[df.status == "遅れ"][["indicator", "fiscal_year", "actual_value", "expected_value"]]
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from envplan.plan.diagnostics import Diagnostic
from envplan.plan.model import Plan
from envplan.report import frames
from envplan.rules.compute import compute_plan
from envplan.rules.results import PlanResult
from envplan.workbook.io import UnreadableWorkbook, open_workbook
from envplan.workbook.validation import validate_source


class MasterError(ValueError):
    """The master cannot be read, or has validation errors (`diagnostics`), so its figures
    would not be the ones `envplan compute` and `publish` give."""

    def __init__(self, message: str, diagnostics: list[Diagnostic] | None = None) -> None:
        super().__init__(message)
        self.diagnostics = diagnostics or []


@dataclass(frozen=True)
class MasterData:
    """A master's plan and its computed result as of `result.fy`, with its tables as frames.
    Each call builds a new frame: change it freely."""

    plan: Plan
    result: PlanResult

    @property
    def fy(self) -> int:
        return self.result.fy

    def indicators_frame(self) -> pd.DataFrame:
        """Indicator × fiscal year: plan and actual values, 見込み値, 達成率, 進捗率, status,
        baseline and target, as in the open data's indicators.csv (columns: frames.INDICATOR_FIELDS)."""
        return frames.indicators_frame(self.plan, self.result)

    def projects_frame(self) -> pd.DataFrame:
        """Priority project × fiscal year × reporting department: phase and status."""
        return frames.projects_frame(self.plan, self.result)

    def ratings_frame(self) -> pd.DataFrame:
        """Policy × fiscal year: the department's rating and the suggested one."""
        return frames.ratings_frame(self.plan, self.result)

    def budgets_frame(self) -> pd.DataFrame:
        """Policy × fiscal year × kind (予算・決算・計画事業費・決算見込): 事業費."""
        return frames.budgets_frame(self.plan, self.result)

    def columns(self, frame: str) -> pd.DataFrame:
        """What each column of a frame ("indicators", "projects", "ratings", "budgets") holds:
        key, the open data's Japanese header, description."""
        d = next((d for d in frames.DATASETS if d.name == frame), None)
        if d is None:
            raise ValueError(f"frame must be one of {', '.join(x.name for x in frames.DATASETS)}: {frame!r}")
        return pd.DataFrame([(f.key, f.header, f.description) for f in d.fields], columns=["key", "header", "description"])


def read_master(path: str | Path, fy: int | None = None) -> MasterData:
    """Read, validate and compute the master workbook at `path` as of fiscal year `fy`
    (default: the plan's 対象年度). Raises MasterError naming the cells when it has errors."""
    path = Path(path)
    if not path.is_file():
        raise MasterError(f"マスターワークブックが見つかりません: {path}")
    try:
        source = open_workbook(path)
    except UnreadableWorkbook as e:
        raise MasterError(e.message) from e
    checked = validate_source(source)
    errors = checked.diagnostics.errors
    if checked.plan is None or errors:
        first = "; ".join(f"{d.location}: {d.message}" for d in errors[:3])
        raise MasterError(f"{path.name} に検証エラーが {len(errors)} 件あります（envplan validate で確認してください）。{first}", errors)
    plan = checked.plan
    if fy is not None and not plan.start_fy <= fy <= plan.end_fy:
        raise MasterError(f"年度 {fy} は計画期間（{plan.start_fy}～{plan.end_fy}年度）の外です")
    return MasterData(plan, compute_plan(plan, fy))
