"""A department's upload, judged at once by the checks of `consolidate`, and
stored in the inbox when accepted.

The uploaded bytes are written to a staging folder inside the inbox (hidden,
never read by consolidate) under a random name, judged there exactly as
consolidate judges a file of the inbox (`inspect_return`: the pre-parse safety
scan, the signature, then the `Consolidator`: plan, department, fiscal year,
ownership, frozen years, values), and then either renamed into the inbox under
a name made from its signed identity and its SHA-256 (one rename: the inbox
never holds half a file), or removed, with a feedback copy kept in the
server's work folder for download. Nothing the request names is used as a
path: the client's file name is shown, never opened.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import secrets
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from envplan.plan.diagnostics import Diagnostic
from envplan.plan.model import Plan
from envplan.server.config import ServerConfig
from envplan.server.shared_state import file_lock
from envplan.survey.consolidate import Consolidator
from envplan.survey.feedback import feedback_for
from envplan.survey.inbox import RETURN_SUFFIXES
from envplan.survey.return_files import inspect_return
from envplan.survey.template_identity import key_id, load_key
from envplan.workbook.changes import MasterState, load_master_state
from envplan.workbook.io import CalamineSource
from envplan.workbook.store import fsync_dir, master_version

TOKEN = re.compile(r"[0-9a-f]{32}")
SUFFIX = re.compile(r"\.[A-Za-z0-9]{1,8}")
UNSAFE = re.compile(r"[^\w\-]+")


class MasterUnavailable(RuntimeError):
    """The master cannot be read now (missing, invalid, no key): uploads wait."""


class MasterSnapshot:
    """The master's state and signing key as last read, read again only when the file
    changed (an atomic save gives it a new inode and time): a verdict need not read it each time."""

    def __init__(self, master: Path) -> None:
        self.master = master
        self._lock = threading.Lock()
        self._version: tuple[int, int, int] | None = None
        self._state: MasterState | None = None
        self._key = b""

    def get(self) -> tuple[MasterState, bytes]:
        with self._lock:
            try:
                version = master_version(self.master)
            except OSError as e:
                raise MasterUnavailable(f"マスターを読めません（{e.strerror or e}）") from e
            if version != self._version or self._state is None:
                try:
                    key = load_key(self.master)
                    source = CalamineSource(self.master)
                    try:
                        state = load_master_state(source)
                    finally:
                        source.close()
                except Exception as e:  # an invalid master, a missing key: said plainly, nothing accepted
                    raise MasterUnavailable(str(e)) from e
                self._version, self._state, self._key = version, state, key
            return self._state, self._key

    @property
    def plan(self) -> Plan:
        return self.get()[0].plan


@dataclass
class Problem:
    code: str
    severity: str
    sheet: str
    cell: str
    message: str
    value: str

    @classmethod
    def of(cls, d: Diagnostic) -> Problem:
        return cls(d.code, "エラー" if d.severity == "error" else "警告", d.sheet, d.cell, d.message, d.value)


@dataclass
class Verdict:
    """What the department sees, and what the tracker records."""

    status: str  # accepted | rejected | unchanged | duplicate | abandoned (timed out: not filed)
    file: str  # the client's file name, for display only
    sha256: str
    size: int
    at: str
    department: str = ""
    department_name: str = ""
    fy: int | None = None
    stored_as: str = ""  # the name in the inbox
    feedback: str = ""  # token of the feedback copy
    changes: int = 0  # values this return would change in the master (0: nothing entered, 未記入)
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def display_name(name: str | None) -> str:
    """The client's file name, for showing only: its last component, without control characters, short."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = "".join(ch for ch in base if ch.isprintable())
    return base[:120] or "（名前なし）"


def _suffix(name: str) -> str:
    """The extension, kept so that consolidate's own format checks (.xls, .csv, …) speak to the file."""
    suffix = os.path.splitext(name)[1]
    return suffix.lower() if SUFFIX.fullmatch(suffix) else ""


class UploadDesk:
    """Judges uploads and files the accepted ones; safe to call from several threads."""

    def __init__(self, config: ServerConfig, snapshot: MasterSnapshot) -> None:
        self.config = config
        self.snapshot = snapshot
        self._store_lock = threading.Lock()
        config.staging_dir.mkdir(parents=True, exist_ok=True)
        config.feedback_dir.mkdir(parents=True, exist_ok=True)
        self._filing = config.work / "uploads.lock"  # the same lock in every worker process

    def judge(self, data: bytes, client_name: str | None, abandoned: threading.Event | None = None) -> Verdict:
        """`abandoned`: set when the request timed out (its answer already sent): the file is then not
        filed, so that nothing is received that the department was told was not."""
        state, key = self.snapshot.get()
        token = secrets.token_hex(16)
        shown = display_name(client_name)
        staged = self.config.staging_dir / f"{token}{_suffix(shown)}"
        _write_synced(staged, data)
        try:
            rf = inspect_return(staged, key, key_id(key))
            rf.file = shown
            consolidator = Consolidator(state)
            consolidator.add(rf)
            cplan = consolidator.finish()
            (a,) = cplan.assessments
            ident = a.identity if rf.attributable else None
            dept = state.plan.department(ident.department) if ident else None
            verdict = Verdict(
                status=a.status,
                file=shown,
                sha256=rf.sha256,
                size=len(data),
                at=cplan.at,
                department=ident.department if ident else "",
                department_name=dept.name if dept else "",
                fy=ident.fy if ident else None,
                changes=len(a.changes),
                errors=[Problem.of(d) for d in a.errors],
                warnings=[Problem.of(d) for d in a.warnings],
            )
            if a.status == "accepted" and abandoned is not None and abandoned.is_set():
                verdict.status = "abandoned"
            elif a.status == "accepted":
                self._file(staged, verdict)
            if a.needs_feedback:
                out = self.config.feedback_dir / token
                out.mkdir()
                feedback_for(a, out, cplan.at)
                verdict.feedback = token
        finally:
            staged.unlink(missing_ok=True)
        self._record(verdict)
        return verdict

    def _file(self, staged: Path, verdict: Verdict) -> None:
        """Rename into the inbox, once per content: the same file sent twice is filed once."""
        inbox = self.config.inbox
        with self._store_lock, file_lock(self._filing):
            same = [p.name for p in inbox.glob(f"*_{verdict.sha256[:16]}.*") if p.is_file()]
            if same:
                verdict.status, verdict.stored_as = "duplicate", same[0]
                return
            stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
            dept = UNSAFE.sub("_", verdict.department)[:40] or "dept"
            suffix = staged.suffix if staged.suffix in RETURN_SUFFIXES else ".xlsx"
            name = f"{dept}_{verdict.fy}_{stamp}_{verdict.sha256[:16]}{suffix}"
            os.replace(staged, inbox / name)
            fsync_dir(inbox)
            verdict.stored_as = name

    def _record(self, verdict: Verdict) -> None:
        """The tracker's own record of uploads (the master's 提出状況 says what was consolidated)."""
        line = json.dumps(verdict.to_json(), ensure_ascii=False)
        with self._store_lock, file_lock(self._filing), open(self.config.work / "uploads.jsonl", "a", encoding="utf-8") as f:
            f.write(line + "\n")
            f.flush()
            os.fsync(f.fileno())

    def uploads(self) -> list[dict[str, Any]]:
        path = self.config.work / "uploads.jsonl"
        if not path.exists():
            return []
        rows = []
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                rows.append(json.loads(line))
            except ValueError:  # a line cut by a crash: the rest still count
                continue
        return rows

    def feedback_file(self, token: str) -> Path | None:
        """The feedback copy of an upload, by its token only (never a path from the request)."""
        if not TOKEN.fullmatch(token):
            return None
        folder = self.config.feedback_dir / token
        files = sorted(folder.iterdir()) if folder.is_dir() else []
        return files[0] if len(files) == 1 and files[0].is_file() else None


def clear_staging(config: ServerConfig) -> list[Path]:
    """What a server killed mid-upload left in the staging folder (never in the inbox itself). Only
    when the server starts, before any worker takes an upload."""
    config.staging_dir.mkdir(parents=True, exist_ok=True)
    left = [p for p in config.staging_dir.iterdir() if p.is_file()]
    for p in left:
        p.unlink(missing_ok=True)
    return left


def _write_synced(path: Path, data: bytes) -> None:
    with open(path, "xb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())

