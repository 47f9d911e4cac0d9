"""Compute from a workbook (file or live book) and write the result sheets:
what `envplan compute` and the ribbon's 集計 button both do."""

from __future__ import annotations

from dataclasses import dataclass

from envplan.rules.compute import PlanResult, compute_plan
from envplan.workbook.attainment_sheet import attainment_tables
from envplan.workbook.io import ResultSink, WorkbookSource
from envplan.workbook.validation import ValidationResult, validate_source


@dataclass
class ComputeRun:
    validation: ValidationResult
    result: PlanResult | None  # None when the workbook has errors: nothing is computed from a partial plan

    @property
    def ok(self) -> bool:
        return self.result is not None


def compute_source(source: WorkbookSource, fy: int | None = None) -> ComputeRun:
    """Validate first: with errors, values might be missing from the plan, so no result."""
    validation = validate_source(source)
    if not validation.ok or validation.plan is None:
        return ComputeRun(validation, None)
    return ComputeRun(validation, compute_plan(validation.plan, fy))


def write_results(sink: ResultSink, result: PlanResult) -> list[str]:
    """Write every result sheet; returns their names."""
    names = []
    for table in attainment_tables(result):
        sink.write_table(table)
        names.append(table.sheet)
    return names
