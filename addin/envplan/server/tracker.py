"""The section's view of the round: per department, what the master's 提出状況 says
(what was consolidated) and what was uploaded since; and a consolidation run."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from envplan.plan.model import Plan
from envplan.server.config import ServerConfig
from envplan.survey.assessment import ConsolidationResult
from envplan.survey.consolidate import ConsolidationError, consolidate
from envplan.survey.reporting import departments_to_issue

UPLOAD_STATUS = {"accepted": "受付済み（取込待ち）", "duplicate": "受付済み（取込待ち）", "rejected": "差戻し", "unchanged": "受理"}


@dataclass
class TrackerRow:
    department: str
    name: str
    status: str  # 未提出 / 未記入 / 受付済み（取込待ち） / 受理 / 差戻し
    consolidated_at: str
    uploaded_at: str
    file: str
    errors: int
    warnings: int
    feedback: str  # token of the latest upload's feedback copy


def tracker_rows(plan: Plan, submissions: list[dict[str, Any]], uploads: list[dict[str, Any]], inbox: Path) -> list[TrackerRow]:
    fy = plan.current_fy
    recorded = {r.get("department"): r for r in submissions if r.get("fy") == fy}
    latest: dict[str, dict[str, Any]] = {}
    for u in uploads:
        if u.get("fy") == fy and u.get("department") and u.get("status") != "abandoned":
            latest[u["department"]] = u  # the log is in time order
    rows = []
    for dept in departments_to_issue(plan):
        rec = recorded.get(dept.code) or {}
        up = latest.get(dept.code)
        status = str(rec.get("status") or "未提出")
        received = str(rec.get("received_at") or "")
        if up is not None and (not received or str(up.get("at", "")) > received):
            status = UPLOAD_STATUS.get(up.get("status", ""), status)
            if up.get("status") in ("accepted", "duplicate") and not up.get("changes"):
                status = "未記入"  # accepted, but not one value entered
        rows.append(
            TrackerRow(
                department=dept.code,
                name=dept.name,
                status=status,
                consolidated_at=received,
                uploaded_at=str(up.get("at", "")) if up else "",
                file=str(up.get("file", "")) if up else str(rec.get("file") or ""),
                errors=len(up.get("errors", [])) if up else int(rec.get("errors") or 0),
                warnings=len(up.get("warnings", [])) if up else int(rec.get("warnings") or 0),
                feedback=str(up.get("feedback", "")) if up else "",
            )
        )
    return rows


def consolidate_now(config: ServerConfig) -> tuple[ConsolidationResult | None, str | None]:
    """The inbox into the master, under the master's lock (consolidate takes it): (result, None) or (None, the reason)."""
    try:
        return consolidate(config.master, config.inbox, feedback_dir=config.work / "取込フィードバック"), None
    except ConsolidationError as e:
        return None, str(e)
