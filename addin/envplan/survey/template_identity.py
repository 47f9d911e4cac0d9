"""The hidden identity of a department template, and its signature.

A template carries, on a very hidden sheet, who it is for (plan, department,
fiscal year, template version, issue time), a manifest of every non-empty cell
as issued, and the list of its input cells with the master field each fills.
An HMAC-SHA256 over all of that, with a key kept beside the master (never in a
template), proves that a return is ours and that nothing but its input cells
was changed: a department cannot forge another department, another year, or
an input cell of its own choosing without the key.

Values are compared as canonical text (`canonical`), so that a return saved
by LibreOffice (which may store 2020 as 2020.0) verifies like one saved by Excel.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import math
import os
import secrets
import unicodedata
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from envplan.survey.template_layout import FORMAT, TEMPLATE_VERSION, InputSpec, SheetMode

KEY_SUFFIX = ".envplan-key"


class SigningKeyError(RuntimeError):
    """The signing key beside the master is missing or unreadable."""


def key_path(master: Path) -> Path:
    """`master.xlsx` → `master.envplan-key`: beside the master, never sent out."""
    master = Path(master)
    return master.with_name(master.stem + KEY_SUFFIX)


def load_key(master: Path) -> bytes:
    path = key_path(master)
    try:
        text = path.read_text(encoding="ascii").strip()
        key = bytes.fromhex(text)
    except FileNotFoundError:
        raise SigningKeyError(
            f"署名鍵 {path.name} が見つかりません。様式を発行したときのマスターと同じフォルダに置いてください"
            "（鍵がないと、返送された様式が本物か確かめられません）"
        ) from None
    except (OSError, ValueError) as e:
        raise SigningKeyError(f"署名鍵 {path.name} を読めません（{e}）") from e
    if len(key) < 16:
        raise SigningKeyError(f"署名鍵 {path.name} が短すぎます。ファイルが壊れています")
    return key


def load_or_create_key(master: Path) -> bytes:
    """The master's key; created (readable by the owner only) on first use."""
    path = key_path(master)
    if not path.exists():
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        except FileExistsError:
            return load_key(master)  # another run created it a moment ago
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(secrets.token_hex(32) + "\n")
    return load_key(master)


def key_id(key: bytes) -> str:
    """A public fingerprint of the key: tells 'issued from another master' from 'tampered'."""
    return hashlib.sha256(b"envplan-key-id" + key).hexdigest()[:12]


_CANONICAL_TEXT: dict[str, str] = {}


def canonical(value: Any) -> str:
    """A cell value as text that survives Excel and LibreOffice saving the file."""
    if type(value) is str and len(value) < 200:
        # Issue 13: this runs for every cell of every return, mostly on the same labels.
        text = _CANONICAL_TEXT.get(value)
        if text is None:
            text = _canonical(value)
            if len(_CANONICAL_TEXT) < 100_000:
                _CANONICAL_TEXT[value] = text
        return text
    return _canonical(value)


def _canonical(value: Any) -> str:
    if value is None:
        return ""
    if type(value) is str:  # the common case first: this runs for every cell of every return
        if "\r" in value:
            value = value.replace("\r\n", "\n").replace("\r", "\n")
        if not value.isascii() and not unicodedata.is_normalized("NFC", value):
            value = unicodedata.normalize("NFC", value)
        return value.strip()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, (int, float)):
        f = float(value)
        if math.isnan(f) or math.isinf(f):
            return str(f)
        if f.is_integer() and abs(f) < 1e15:
            return str(int(f))
        return format(f, ".15g")
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    text = unicodedata.normalize("NFC", str(value)).replace("\r\n", "\n").replace("\r", "\n")
    return text.strip()


@dataclass
class TemplateIdentity:
    plan: str
    municipality: str
    department: str  # Department.code
    department_name: str
    fy: int
    issued_at: str  # ISO 8601, local time with offset
    template_id: str
    key_id: str
    format: str = FORMAT
    version: str = TEMPLATE_VERSION

    def fields(self) -> dict[str, str]:
        return {k: str(v) for k, v in asdict(self).items()}

    @classmethod
    def from_fields(cls, fields: dict[str, str]) -> TemplateIdentity:
        missing = [k for k in ("plan", "department", "fy", "issued_at", "template_id", "key_id") if not fields.get(k)]
        if missing:
            raise ValueError(f"様式情報に {', '.join(missing)} がありません")
        fy_text = fields["fy"]
        if not fy_text.isdigit():
            raise ValueError(f"様式情報の年度「{fy_text}」が数字ではありません")
        return cls(
            plan=fields["plan"],
            municipality=fields.get("municipality", ""),
            department=fields["department"],
            department_name=fields.get("department_name", ""),
            fy=int(fy_text),
            issued_at=fields["issued_at"],
            template_id=fields["template_id"],
            key_id=fields["key_id"],
            format=fields.get("format", ""),
            version=fields.get("version", ""),
        )


@dataclass
class SignedContent:
    """Everything the signature covers."""

    identity: TemplateIdentity
    sheets: list[tuple[str, SheetMode]]
    manifest: dict[tuple[str, str], str]  # (sheet, cell) → canonical text as issued
    inputs: list[InputSpec] = field(default_factory=list)

    def payload(self) -> bytes:
        # Every text as it reads back from the file, so writer and reader sign the same bytes.
        c = canonical
        data = {
            "identity": {k: c(v) for k, v in self.identity.fields().items()},
            "sheets": [[c(name), c(mode)] for name, mode in self.sheets],
            # Manifest texts are canonical already, on both sides.
            "manifest": sorted([s, r, t] for (s, r), t in self.manifest.items()),
            "inputs": sorted([c(i.sheet), c(i.ref), c(i.key_text), c(i.kind), c(i.unit), c(i.label)] for i in self.inputs),
        }
        return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


# The inputs and the manifest travel on the identity sheet as one JSON text cut into cells, not a
# row per cell: the reader then parses a few dozen cells instead of thousands, for every return
# (issue 13). ASCII only, and no whitespace outside escapes, so neither Excel, LibreOffice nor the
# reader's trimming can change a piece; an earlier template's rows ([inputs], [manifest]) still read.
CONTENT_SECTION = "[content]"
CONTENT_CHUNK_CHARS = 4000  # far below Excel's 32,767 characters per cell


def content_chunks(content: SignedContent) -> list[str]:
    data = {
        "inputs": [[i.sheet, i.ref, i.key_text, i.kind, i.unit, i.label] for i in content.inputs],
        "manifest": [[sheet, ref, text] for (sheet, ref), text in content.manifest.items()],
    }
    text = json.dumps(data, ensure_ascii=True, separators=(",", ":")).replace(" ", "\\u0020")
    return [text[i : i + CONTENT_CHUNK_CHARS] for i in range(0, len(text), CONTENT_CHUNK_CHARS)]


def parse_content_chunks(chunks: list[str]) -> tuple[list[list[str]], list[list[str]]]:
    """(input rows [sheet, ref, key, kind, unit, label], manifest rows [sheet, ref, text]); ValueError when broken."""
    try:
        data = json.loads("".join(chunks))
        inputs = [[str(v) for v in row] for row in data["inputs"]]
        manifest = [[str(v) for v in row] for row in data["manifest"]]
    except (TypeError, KeyError) as e:
        raise ValueError(f"様式情報の内容が正しくありません（{type(e).__name__}）") from e
    except ValueError as e:
        raise ValueError(f"様式情報の内容を読めません（{e}）") from e
    if any(len(row) != 6 for row in inputs) or any(len(row) != 3 for row in manifest):
        raise ValueError("様式情報の内容の列数が正しくありません")
    return inputs, manifest


def sign(content: SignedContent, key: bytes) -> str:
    return hmac.new(key, content.payload(), hashlib.sha256).hexdigest()


def signature_ok(content: SignedContent, signature: str, key: bytes) -> bool:
    return hmac.compare_digest(sign(content, key), signature.strip().lower())


def now_iso() -> str:
    return dt.datetime.now().astimezone().isoformat(timespec="seconds")
