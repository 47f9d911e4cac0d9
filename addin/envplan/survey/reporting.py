"""Who reports what in a survey round, and how a reported value reads in a message.

Shared by the template issue, the consolidation, the reminders and the server's tracker:
kept apart from the template builder so that what only needs these does not load it.
"""

from __future__ import annotations

from typing import Any

from envplan.plan.model import Department, Plan, Project
from envplan.plan.numbers import format_number


def project_lead(project: Project) -> str:
    """The department that reports a project's status: the first one listed (主担当)."""
    return project.departments[0] if project.departments else ""


def departments_to_issue(plan: Plan) -> list[Department]:
    """Departments that own something a template asks for, in the master's order."""
    owners = {i.department for i in plan.indicators}
    owners |= {d for p in plan.projects for d in p.departments}  # the lead its status, each co-department its part
    owners |= {p.department for p in plan.policies}
    return [d for d in plan.departments if d.code in owners]


def describe_value(value: Any, unit: str = "") -> str:
    """A value for messages: 1,324千t-CO2, 「文章」, （空欄）."""
    if value is None or value == "":
        return "（空欄）"
    if isinstance(value, float):
        return format_number(value, unit)
    text = str(value)
    return f"「{text if len(text) <= 40 else text[:40] + '…'}」"


__all__ = ["departments_to_issue", "describe_value", "project_lead"]
