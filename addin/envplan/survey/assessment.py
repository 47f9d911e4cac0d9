"""What a consolidation run decides about each returned file, and about the run:
the types shared by the planner (`consolidate.py`) and the feedback writer
(`feedback.py`), so that neither has to import the other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel

from envplan.plan.diagnostics import Diagnostic
from envplan.plan.model import Plan
from envplan.survey.return_files import ReturnFile
from envplan.survey.template_identity import TemplateIdentity
from envplan.workbook.changes import MasterEdits
from envplan.workbook.fields import FieldChange

Status = Literal["accepted", "rejected", "unchanged", "superseded", "blank"]


class FileOutcome(BaseModel):
    """What happened to one file (also the --json entry)."""

    file: str
    sha256: str = ""
    department: str = ""
    department_name: str = ""
    fy: int | None = None
    status: Status
    errors: list[dict[str, str]] = []
    warnings: list[dict[str, str]] = []
    changes: int = 0
    superseded_by: str = ""
    feedback: str = ""


class ConsolidationResult(BaseModel):
    master: str
    inbox: str
    fy: int
    accepted: int
    rejected: int
    unchanged: int
    changes: int
    superseded: int = 0
    blank: int = 0  # sent back as issued: 未記入 in the tracker
    written: bool  # the master was written (False when nothing changed)
    backup: str = ""
    ignored: list[str] = []
    not_returns: list[str] = []  # files of a kind that is never a return (cover letters, PDFs)
    files: list[FileOutcome]
    submissions: list[dict[str, Any]] = []

    def to_json(self) -> dict[str, Any]:
        return self.model_dump()


@dataclass
class Assessment:
    """A file being judged: its diagnostics, its changes, its status."""

    rf: ReturnFile
    diagnostics: list[Diagnostic] = field(default_factory=list)
    changes: list[FieldChange] = field(default_factory=list)
    status: Status = "rejected"
    superseded_by: str = ""
    feedback: str = ""
    # (sheet, cell) → (input kind, unit) of the input cells a diagnostic is about: the feedback
    # copy restores their number format and validation (the reading itself is not kept).
    problem_inputs: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict)

    @property
    def identity(self) -> TemplateIdentity | None:
        return self.rf.reading.identity if self.rf.reading else None

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "error"]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "warning"]

    @property
    def needs_feedback(self) -> bool:
        return not self.superseded_by and bool(self.diagnostics)

    def add(self, code: str, message: str, sheet: str = "", cell: str = "", severity: str = "error", value: Any = "") -> None:
        text = "" if value in (None, "") else str(value)[:200]
        self.diagnostics.append(Diagnostic(code, message, sheet, cell, severity, file=self.rf.file, value=text))  # type: ignore[arg-type]

    def outcome(self, plan: Plan) -> FileOutcome:
        ident = self.identity
        dept = plan.department(ident.department) if ident else None
        return FileOutcome(
            file=self.rf.file,
            sha256=self.rf.sha256,
            department=ident.department if ident and self.rf.attributable else "",
            department_name=(dept.name if dept else "") if ident and self.rf.attributable else "",
            fy=ident.fy if ident and self.rf.attributable else None,
            status=self.status,
            errors=[_diag_json(d) for d in self.errors],
            warnings=[_diag_json(d) for d in self.warnings],
            changes=len(self.changes),
            superseded_by=self.superseded_by,
            feedback=self.feedback,
        )


def _diag_json(d: Diagnostic) -> dict[str, str]:
    return {"sheet": d.sheet, "cell": d.cell, "code": d.code, "message": d.message, "message_en": d.message_en, "value": d.value}


@dataclass
class ConsolidationPlan:
    """Everything a run decided; nothing written yet."""

    fy: int
    at: str
    assessments: list[Assessment]
    changes: list[FieldChange]
    edits: MasterEdits
    submissions: list[dict[str, Any]]
    submissions_changed: bool
    plan_after: Plan
    ignored: list[str] = field(default_factory=list)
    not_returns: list[str] = field(default_factory=list)

    @property
    def write_needed(self) -> bool:
        return bool(self.changes) or self.submissions_changed

    def count(self, status: Status) -> int:
        return sum(1 for a in self.assessments if a.status == status)
