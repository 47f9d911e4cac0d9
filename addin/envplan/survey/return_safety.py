"""Safety checks on a returned file before any parser reads it.

A return comes from another person's machine and may be broken or hostile.
Before python-calamine or openpyxl touch it, this module looks at it with
bounded work only:

- the file on disk: a regular file, not larger than the limit (checked before
  it is read into memory);
- an OLE container: a password-protected workbook (``EncryptionInfo`` +
  ``EncryptedPackage``), an ``.xls`` renamed, or another program's document;
- a zip: the sizes and ratios its directory declares, so a zip bomb is refused
  before anything is inflated; then every part inflated in chunks (Python's
  zipfile stops at the declared size and checks the CRC, so a part that lies
  about its size is refused as damaged) and every XML part parsed by expat in
  streaming mode with any DTD refused: no entity can be declared, so none can
  expand (billion laughs);
- while streaming: the highest row and column holding a value, the number of
  cells, string lengths, formulas (with or without a cached result), error
  values, merged ranges, macros (never run; flagged) and external links.

`scan_return` says whether the file may be opened at all (its errors) and
what to report if it is (warnings); `annotate` then adds what matters about
the input cells of the template reading: a formula (its cached result is used,
never evaluated), an error value, a merged input, invisible characters.
"""

from __future__ import annotations

import io
import os
import posixpath
import re
import stat
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from xml.parsers import expat

from envplan.plan.diagnostics import Diagnostic
from envplan.workbook.cells import cell_ref, col_number

if TYPE_CHECKING:
    from envplan.survey.return_reader import ReturnReading

MB = 1024 * 1024
OLE_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")
CHUNK = 64 * 1024
FAST_SCAN_MAX_BYTES = 2 * MB  # a part with cells this size at most is judged whole at C speed
XML_SUFFIXES = (".xml", ".rels", ".vml")
SPREADSHEET_MAIN_TYPES = (
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
    "application/vnd.ms-excel.sheet.macroEnabled.main+xml",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml",
    "application/vnd.ms-excel.template.macroEnabled.main+xml",
)
MACRO_PARTS = ("vbaproject.bin", "xl/macrosheets/", "xl/activex/", "xl/dialogsheets/")


@dataclass(frozen=True)
class SafetyLimits:
    """Far above what a department template needs (a few hundred cells, tens of KB)."""

    max_file_bytes: int = 20 * MB
    max_members: int = 1000
    max_part_bytes: int = 64 * MB  # one part, inflated
    max_total_bytes: int = 128 * MB  # all parts, inflated
    max_ratio: float = 100.0  # inflated / compressed, for parts over ratio_floor_bytes
    ratio_floor_bytes: int = 1 * MB
    max_sheets: int = 100
    max_rows: int = 5000  # highest row holding a value, per sheet
    max_cols: int = 256  # highest column holding a value (IV), per sheet
    max_cells: int = 200_000  # <c> elements in the whole workbook (what openpyxl would build)
    max_grid_cells: int = 2_000_000  # sum of rows x columns of the used ranges (what the fast reader builds)
    max_string_chars: int = 32_767  # Excel's own limit for one cell
    max_flagged_cells: int = 10_000  # formulas, error values and merged ranges recorded


LIMITS = SafetyLimits()

# Errors of the scan: a file refused with one of these is never opened by a parser
# (the feedback writer must not open it either).
REFUSED_UNOPENED = frozenset(
    {
        "RETURN_NOT_A_FILE",
        "RETURN_TOO_LARGE",
        "RETURN_ZIP_BOMB",
        "RETURN_ARCHIVE_UNSAFE",
        "RETURN_XML_ENTITIES",
        "RETURN_ENCRYPTED",
        "RETURN_XLS",
        "RETURN_NOT_WORKBOOK",
        "RETURN_TRUNCATED",
        "RETURN_UNREADABLE",
        "RETURN_TOO_MANY_SHEETS",
        "RETURN_TOO_MANY_ROWS",
        "RETURN_TOO_MANY_COLUMNS",
        "RETURN_TOO_MANY_CELLS",
        "RETURN_STRING_TOO_LONG",
    }
)


@dataclass(frozen=True)
class FormulaCell:
    formula: str  # as stored, without "=" (shortened)
    cached: bool  # a calculated result was saved with it


@dataclass
class SafetyScan:
    """What the scan found. `errors` refuse the file; the rest is for `annotate`."""

    label: str
    problems: list[Diagnostic] = field(default_factory=list)
    formulas: dict[tuple[str, str], FormulaCell] = field(default_factory=dict)
    error_values: dict[tuple[str, str], str] = field(default_factory=dict)
    merges: dict[str, list[tuple[int, int, int, int]]] = field(default_factory=dict)  # sheet → (r1, c1, r2, c2)
    sheets: list[str] = field(default_factory=list)
    parts: int = 0
    inflated_bytes: int = 0
    saved_at: str | None = None  # docProps/core.xml's last-saved time, read while it is inflated anyway
    # Whether xl/styles.xml may show a cell as a percentage (False: no percent format at all; None:
    # not known), judged while it is inflated anyway: most returns need no look for percent cells.
    percent_formats: bool | None = None
    # Scanned for a reading of some sheets (`only_sheets`): those sheets' parts and the shared
    # strings as inflated (the identity sheet is then read from them, survey/identity_sheet.py).
    kept: dict[str, bytes] = field(default_factory=dict)
    sheet_parts: dict[str, str] = field(default_factory=dict)  # sheet name → its part

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.problems if d.severity == "error"]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.problems if d.severity == "warning"]

    @property
    def ok(self) -> bool:
        return not self.errors

    def error(self, code: str, message: str, sheet: str = "", cell: str = "", value: object = "") -> None:
        self.problems.append(Diagnostic(code, message, sheet, cell, "error", file=self.label, value=_short(value)))

    def warning(self, code: str, message: str, sheet: str = "", cell: str = "", value: object = "") -> None:
        self.problems.append(Diagnostic(code, message, sheet, cell, "warning", file=self.label, value=_short(value)))


class _Refuse(Exception):
    """Stops a streaming parse as soon as the verdict is known."""


def _short(value: object, limit: int = 200) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= limit else text[:limit] + "…"


def _mb(n: int) -> str:
    return f"{n / MB:,.1f} MB"


# --- the file on disk ------------------------------------------------------------------


def check_file(path: Path, label: str = "", limits: SafetyLimits = LIMITS) -> Diagnostic | None:
    """A regular file within the size limit, checked before it is read into memory."""
    label = label or Path(path).name
    try:
        st = os.stat(path)
    except OSError as e:
        return Diagnostic("RETURN_UNREADABLE", f"ファイルを開けません（{e.strerror or e}）", file=label)
    if not stat.S_ISREG(st.st_mode):
        return Diagnostic("RETURN_NOT_A_FILE", "通常のファイルではありません（デバイスやパイプなど）。様式のファイルそのものを置いてください", file=label)
    if st.st_size > limits.max_file_bytes:
        return Diagnostic(
            "RETURN_TOO_LARGE",
            f"ファイルが大きすぎます（{_mb(st.st_size)}、上限 {_mb(limits.max_file_bytes)}）。画像や不要なシートを入れず、お送りした様式に入力して送ってください",
            file=label,
            value=str(st.st_size),
        )
    return None


# --- the whole scan ----------------------------------------------------------------------


def scan_return(data: bytes, label: str, limits: SafetyLimits = LIMITS, *, only_sheets: frozenset[str] | None = None) -> SafetyScan:
    """Everything that can be known about a returned file without handing it to a parser.

    With `only_sheets`, the worksheets not named are left uninflated (their declared sizes
    are still checked), and the formulas, error values and merges of those named are not always
    recorded (what `annotate` reports of a whole reading): for a reading of those sheets alone,
    with the same verdict; the file must be scanned whole before any other sheet of it is read."""
    scan = SafetyScan(label)
    if len(data) > limits.max_file_bytes:
        scan.error("RETURN_TOO_LARGE", f"ファイルが大きすぎます（{_mb(len(data))}、上限 {_mb(limits.max_file_bytes)}）。お送りした様式に入力して送ってください")
        return scan
    if data.startswith(OLE_MAGIC):
        _scan_ole(data, scan)
        return scan
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError):
        if data.startswith(b"PK"):
            scan.error("RETURN_TRUNCATED", "ファイルが途中で切れているか壊れています（送信やコピーの途中で欠けた可能性があります）。元のファイルを保存し直して送ってください")
        else:
            scan.error("RETURN_NOT_WORKBOOK", "このファイルの中身は Excel のワークブック（.xlsx）ではありません。お送りした様式に入力して保存したファイルを送ってください")
        return scan
    with zf:
        try:
            _scan_zip(zf, data, scan, limits, only_sheets)
        except _Refuse:
            pass
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError, RuntimeError) as e:
            # Bad CRC, a part shorter or longer than declared, a broken deflate stream.
            scan.error("RETURN_TRUNCATED", f"ファイルの中身が壊れています（{type(e).__name__}）。元のファイルを保存し直して送ってください", value=str(e))
    return scan


def _scan_ole(data: bytes, scan: SafetyScan) -> None:
    """An OLE compound file: what Office writes for a password-protected workbook, and for .xls/.doc."""
    import olefile

    try:
        ole = olefile.OleFileIO(io.BytesIO(data))
    except Exception as e:  # olefile raises many kinds on a damaged container
        scan.error("RETURN_TRUNCATED", f"ファイルが壊れています（{type(e).__name__}）。元のファイルを保存し直して送ってください", value=str(e))
        return
    try:
        if ole.exists("EncryptionInfo") and ole.exists("EncryptedPackage"):
            scan.error(
                "RETURN_ENCRYPTED",
                "パスワードが設定されているため開けません。Excel で「ファイル」→「情報」→「ブックの保護」→「パスワードを使用して暗号化」でパスワードを消して保存し、送り直してください",
            )
        elif ole.exists("Workbook") or ole.exists("Book"):
            scan.error("RETURN_XLS", "中身が .xls 形式のファイルです。「.xls形式は読み込めません。.xlsx形式で保存し直してください」（Excel の「名前を付けて保存」で「Excel ブック (*.xlsx)」を選びます）")
        else:
            scan.error("RETURN_NOT_WORKBOOK", "Excel のワークブックではありません（Word など別のソフトの文書です）。お送りした様式に入力して送ってください")
    finally:
        ole.close()


def _scan_zip(zf: zipfile.ZipFile, raw: bytes, scan: SafetyScan, limits: SafetyLimits, only_sheets: frozenset[str] | None = None) -> None:
    infos = zf.infolist()
    scan.parts = len(infos)
    _check_directory(infos, scan, limits)
    if not scan.ok:
        return
    names = {i.filename for i in infos}
    workbook_part = _check_package(zf, raw, names, scan, limits)
    if workbook_part is None:
        return
    sheets = _sheet_parts(zf, raw, workbook_part, scan, limits)
    if not scan.ok:
        return
    _check_macros_and_links(names, scan)
    budget = _Budget(limits)
    done = {"[Content_Types].xml", workbook_part, posixpath.join(posixpath.dirname(workbook_part), "_rels", posixpath.basename(workbook_part) + ".rels")}
    for info in infos:
        name = info.filename
        if name.endswith("/"):
            continue
        if name in done:  # parsed above (and counted there)
            budget.add(info.file_size, name, scan)
            continue
        if only_sheets is not None and (sheets[name] not in only_sheets if name in sheets else not _read_with_sheets(name)):
            continue  # not read now: scanned when the whole file is read
        cells = name in sheets or name.endswith("sharedStrings.xml")
        xml = cells or name.lower().endswith(XML_SUFFIXES)
        if info.file_size <= FAST_SCAN_MAX_BYTES:
            # Issue 13: a part of a return's size (tens of KB) is inflated whole by zlib and
            # judged by byte searches; what they cannot judge exactly goes to the full parser.
            data = _inflate(raw, info, limits, budget, scan)
            if name == "docProps/core.xml":
                scan.saved_at = _modified(data)
            elif name == "xl/styles.xml":
                scan.percent_formats = _may_show_percent(data)
            elif only_sheets is not None and cells:
                scan.kept[name] = data
            if not xml or (_plain_xml(data) and (not cells or _fast_scan(name, data, sheets, scan, limits, budget, record=only_sheets is None))):
                continue
            handler = _part_handler(name, sheets, zf, scan, limits, budget)
            _parse_xml(iter((data,)), name, scan, handler)
        elif xml:
            handler = _part_handler(name, sheets, zf, scan, limits, budget)
            _stream_xml(zf, info, scan, limits, budget, handler)
        else:
            _drain(zf, info, scan, limits, budget)
            continue
        if handler is not None and handler.finish is not None:
            handler.finish()
        if not scan.ok:
            return
    scan.inflated_bytes = budget.total


def _read_with_sheets(part: str) -> bool:
    """The parts a reader of some sheets opens besides them: the shared strings, the styles
    (number formats tell dates), and the last-saved time."""
    return part.endswith(("sharedStrings.xml", "styles.xml")) or part == "docProps/core.xml"


def _check_directory(infos: list[zipfile.ZipInfo], scan: SafetyScan, limits: SafetyLimits) -> None:
    """The zip's own directory: declared sizes only, nothing inflated yet."""
    if len(infos) > limits.max_members:
        scan.error("RETURN_ZIP_BOMB", f"ファイルの中の部品が多すぎます（{len(infos):,}個、上限 {limits.max_members:,}個）。お送りした様式に入力して送ってください", value=len(infos))
        return
    seen: set[str] = set()
    total = 0
    for info in infos:
        name = info.filename
        if name in seen:
            scan.error("RETURN_ARCHIVE_UNSAFE", f"ファイルの中に同じ名前の部品が二つあります（{name}）。Excel が作るファイルではないため読み込みません", value=name)
            return
        seen.add(name)
        if info.flag_bits & 0x1:
            scan.error("RETURN_ENCRYPTED", "ファイルの中身が暗号化されています。パスワードを外して保存し直し、送り直してください", value=name)
            return
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            scan.error("RETURN_ARCHIVE_UNSAFE", f"Excel が使わない圧縮方式のファイルです（{name}）。お送りした様式に入力し、Excel で保存して送ってください", value=name)
            return
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > limits.max_part_bytes or (info.file_size > limits.ratio_floor_bytes and ratio > limits.max_ratio):
            scan.error(
                "RETURN_ZIP_BOMB",
                f"展開すると極端に大きくなる部品があります（{name}: {_mb(info.compress_size)} → {_mb(info.file_size)}、{ratio:,.0f}倍）。圧縮爆弾の疑いがあるため開きません",
                value=name,
            )
            return
    if total > limits.max_total_bytes:
        scan.error("RETURN_ZIP_BOMB", f"展開すると大きすぎるファイルです（{_mb(total)}、上限 {_mb(limits.max_total_bytes)}）。圧縮爆弾の疑いがあるため開きません", value=total)


def _check_package(zf: zipfile.ZipFile, raw: bytes, names: set[str], scan: SafetyScan, limits: SafetyLimits) -> str | None:
    """The part path of the workbook, or an error naming what the file is instead."""
    if "mimetype" in names and "[Content_Types].xml" not in names:
        with zf.open("mimetype") as f:
            kind = f.read(100).decode("ascii", "replace")
        what = "OpenDocument の表計算（.ods）" if "spreadsheet" in kind else "OpenDocument 形式の文書"
        scan.error("RETURN_NOT_WORKBOOK", f"{what}のファイルです。「.ods形式は読み込めません。.xlsx形式で保存し直してください」（LibreOffice の「名前を付けて保存」で「Excel 2007-365 (.xlsx)」を選びます）", value=kind)
        return None
    for marker, what in (("word/document.xml", "Word の文書"), ("ppt/presentation.xml", "PowerPoint のプレゼンテーション")):
        if marker in names:
            scan.error("RETURN_NOT_WORKBOOK", f"Excel のワークブックではなく{what}です。お送りした様式に入力して送ってください", value=marker)
            return None
    if "[Content_Types].xml" not in names:
        scan.error("RETURN_NOT_WORKBOOK", "zip ファイルですが、Excel のワークブックではありません。お送りした様式に入力して保存したファイルを送ってください", value=", ".join(sorted(names)[:5]))
        return None
    types = _small_xml_attrs(zf, raw, "[Content_Types].xml", scan, "Override", ("PartName", "ContentType"), limits)
    if types is None:
        return None
    main = [part.lstrip("/") for part, ctype in types if ctype in SPREADSHEET_MAIN_TYPES]
    if not main or main[0] not in names:
        scan.error("RETURN_NOT_WORKBOOK", "Office のファイルですが、Excel のワークブックではありません。お送りした様式に入力して送ってください")
        return None
    return main[0]


def _sheet_parts(zf: zipfile.ZipFile, raw: bytes, workbook_part: str, scan: SafetyScan, limits: SafetyLimits) -> dict[str, str]:
    """Part path → sheet name, from the workbook and its relationships."""
    sheets = _small_xml_attrs(zf, raw, workbook_part, scan, "sheet", ("name", "id"), limits)
    if sheets is None:
        return {}
    if len(sheets) > limits.max_sheets:
        scan.error("RETURN_TOO_MANY_SHEETS", f"シートが多すぎます（{len(sheets):,}枚、上限 {limits.max_sheets}枚）。お送りした様式に入力して送ってください", value=len(sheets))
        return {}
    folder = posixpath.dirname(workbook_part)
    rels_part = posixpath.join(folder, "_rels", posixpath.basename(workbook_part) + ".rels")
    rels = _small_xml_attrs(zf, raw, rels_part, scan, "Relationship", ("Id", "Target"), limits) if rels_part in zf.NameToInfo else []
    if rels is None:
        return {}
    targets = {rid: _resolve(folder, target) for rid, target in rels}
    scan.sheets = [name for name, _ in sheets]
    scan.sheet_parts = {name: targets[rid] for name, rid in sheets if rid in targets}
    return {targets[rid]: name for name, rid in sheets if rid in targets}


def _resolve(folder: str, target: str) -> str:
    if target.startswith("/"):
        return posixpath.normpath(target.lstrip("/"))
    return posixpath.normpath(posixpath.join(folder, target))


# Issue 13: the returns of one template mostly carry the very same [Content_Types].xml, workbook.xml
# and its relationships: what the parser found in bytes already parsed is reused (keyed by the
# bytes themselves, so a part that differs in any byte is parsed; a refused part is never kept).
_SMALL_PARTS: dict[tuple[str, tuple[str, str], bytes], tuple[tuple[str, str], ...]] = {}
SMALL_PARTS_MAX = 256


def _small_xml_attrs(
    zf: zipfile.ZipFile, raw: bytes, part: str, scan: SafetyScan, element: str, attrs: tuple[str, str], limits: SafetyLimits
) -> list[tuple[str, str]] | None:
    """(attr1, attr2) of every `element` of a part; None when the part is refused."""
    found: list[tuple[str, str]] = []

    def start(name: str, attributes: dict[str, str]) -> None:
        if _local(name) == element:
            values = {_local(k): v for k, v in attributes.items()}
            found.append((values.get(attrs[0], ""), values.get(attrs[1], "")))

    info = zf.NameToInfo.get(part)
    if info is None:
        scan.error("RETURN_NOT_WORKBOOK", f"ワークブックの部品（{part}）がありません。お送りした様式に入力して保存したファイルを送ってください", value=part)
        return None
    try:
        if info.file_size <= FAST_SCAN_MAX_BYTES:  # inflated in one call (these small parts are read for every return)
            data = _inflate(raw, info, limits, _Budget(limits), scan)
            known = _SMALL_PARTS.get((element, attrs, data))
            if known is not None:
                return list(known)
            _parse_xml(iter((data,)), part, scan, _Handler(start=start))
            if scan.ok and len(_SMALL_PARTS) < SMALL_PARTS_MAX:
                _SMALL_PARTS[(element, attrs, data)] = tuple(found)
        else:
            _stream_xml(zf, info, scan, limits, _Budget(limits), _Handler(start=start))
    except _Refuse:
        return None
    return found if scan.ok else None


def _check_macros_and_links(names: set[str], scan: SafetyScan) -> None:
    lowered = sorted(n.lower() for n in names)
    macros = [n for n in lowered if any(marker in n for marker in MACRO_PARTS)]
    if macros:
        scan.warning(
            "RETURN_MACROS",
            "マクロ（VBA など）が含まれています。envplan はマクロを実行せず、入力欄の値だけを読みます。お送りした様式（.xlsx）のまま保存して送ってください",
            value=macros[0],
        )
    if any(n.startswith("xl/externallinks/") for n in lowered):
        scan.warning("RETURN_EXTERNAL_LINK", "ほかのブックへのリンク（外部参照）が含まれています。リンク先は読まず、保存されていた値だけを使います。値で入力してください", value="xl/externalLinks/")
    if "xl/connections.xml" in lowered or any(n.startswith("xl/querytables/") for n in lowered):
        scan.warning("RETURN_EXTERNAL_LINK", "外部データへの接続（クエリ）が含まれています。接続は使わず、保存されていた値だけを使います", value="xl/connections.xml")


# --- streaming ----------------------------------------------------------------------------


class _Budget:
    """Running count of inflated bytes across the whole file."""

    def __init__(self, limits: SafetyLimits) -> None:
        self.limits = limits
        self.total = 0
        self.cells = 0
        self.grid = 0
        self.flagged = 0

    def add(self, n: int, part: str, scan: SafetyScan) -> None:
        self.total += n
        if self.total > self.limits.max_total_bytes:
            scan.error("RETURN_ZIP_BOMB", f"展開すると大きすぎるファイルです（{_mb(self.total)} を超えました）。圧縮爆弾の疑いがあるため読み込みを止めました", value=part)
            raise _Refuse


@dataclass
class _Handler:
    start: Callable[[str, dict[str, str]], None] | None = None
    end: Callable[[str], None] | None = None
    text: Callable[[str], None] | None = None
    finish: Callable[[], None] | None = None


def _chunks(zf: zipfile.ZipFile, info: zipfile.ZipInfo, scan: SafetyScan, limits: SafetyLimits, budget: _Budget):
    part_total = 0
    with zf.open(info) as f:
        while True:
            chunk = f.read(CHUNK)
            if not chunk:
                return
            part_total += len(chunk)
            if part_total > limits.max_part_bytes:
                scan.error("RETURN_ZIP_BOMB", f"展開すると極端に大きくなる部品があります（{info.filename}）。圧縮爆弾の疑いがあるため読み込みを止めました", value=info.filename)
                raise _Refuse
            budget.add(len(chunk), info.filename, scan)
            yield chunk


def _drain(zf: zipfile.ZipFile, info: zipfile.ZipInfo, scan: SafetyScan, limits: SafetyLimits, budget: _Budget) -> None:
    for _ in _chunks(zf, info, scan, limits, budget):
        pass


def _stream_xml(zf: zipfile.ZipFile, info: zipfile.ZipInfo, scan: SafetyScan, limits: SafetyLimits, budget: _Budget, handler: _Handler | None) -> None:
    _parse_xml(_chunks(zf, info, scan, limits, budget), info.filename, scan, handler)


def _parse_xml(chunks: Iterator[bytes], part: str, scan: SafetyScan, handler: _Handler | None) -> None:
    parser = expat.ParserCreate()  # raw names ("c", "x:c"): cheaper than namespace processing
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.buffer_text = True  # one call per text run instead of one per line
    parser.buffer_size = CHUNK

    def refuse_dtd(*_: object) -> None:
        scan.error(
            "RETURN_XML_ENTITIES",
            f"ファイルの中（{part}）に、Excel が作らない XML の定義（DOCTYPE・ENTITY）があります。大量の展開を起こす細工の疑いがあるため読み込みません。お送りした様式に入力して送ってください",
            value=part,
        )
        raise _Refuse

    parser.StartDoctypeDeclHandler = refuse_dtd
    parser.EntityDeclHandler = refuse_dtd
    parser.ExternalEntityRefHandler = refuse_dtd  # type: ignore[assignment]
    if handler is not None:
        if handler.start:
            parser.StartElementHandler = handler.start
        if handler.end:
            parser.EndElementHandler = handler.end
        if handler.text:
            parser.CharacterDataHandler = handler.text
    try:
        for chunk in chunks:
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except expat.ExpatError as e:
        scan.error("RETURN_UNREADABLE", f"ファイルの中身（{part}）が壊れています（{expat.ErrorString(e.code)}）。元のファイルを保存し直して送ってください", value=part)
        raise _Refuse from None


_LOCAL_NAMES: dict[str, str] = {}


def _local(name: str) -> str:
    """'x:c' → 'c' (memoised: a part uses few distinct names)."""
    local = _LOCAL_NAMES.get(name)
    if local is None:
        local = name.rpartition(":")[2]
        if len(_LOCAL_NAMES) < 10_000:
            _LOCAL_NAMES[name] = local
    return local


def _part_handler(name: str, sheets: dict[str, str], zf: zipfile.ZipFile, scan: SafetyScan, limits: SafetyLimits, budget: _Budget) -> _Handler | None:
    if name in sheets:
        return _SheetScan(sheets[name], scan, limits, budget).handler()
    if name.endswith("sharedStrings.xml"):
        return _StringScan(name, scan, limits).handler()
    return None  # parsed for well-formedness and DTDs only


_REF = re.compile(r"^\$?([A-Za-z]{1,3})\$?([0-9]{1,7})$")


def parse_cell_ref(ref: str) -> tuple[int, int] | None:
    """'AB12' → (12, 28); None when not a cell reference."""
    m = _REF.match(ref.strip())
    if not m:
        return None
    return int(m[2]), col_number(m[1].upper())


class _StringScan:
    """The length of every shared string (`<si>`, all its runs together)."""

    def __init__(self, where: str, scan: SafetyScan, limits: SafetyLimits) -> None:
        self.where, self.scan, self.limit = where, scan, limits.max_string_chars
        self.length = 0

    def start(self, name: str, attrs: dict[str, str]) -> None:
        if name == "si" or _local(name) == "si":
            self.length = 0

    def text(self, data: str) -> None:
        self.length += len(data)
        if self.length > self.limit:
            self.scan.error(
                "RETURN_STRING_TOO_LONG",
                f"1つのセルの文字数が Excel の上限（{self.limit:,}字）を超えています（{self.where}）。貼り付けた文章を短くしてください",
                value=self.where,
            )
            raise _Refuse

    def handler(self) -> _Handler:
        return _Handler(start=self.start, text=self.text)


_CELL, _VALUE, _FORMULA, _STRING, _ROW, _MERGE = 1, 2, 3, 4, 5, 6
_SHEET_KINDS = {"c": _CELL, "v": _VALUE, "f": _FORMULA, "is": _STRING, "t": _STRING, "r": _STRING, "row": _ROW, "mergeCell": _MERGE}


class _SheetScan:
    """One worksheet, with a start handler and a text handler only (fast): the extent of
    the cells holding a value, the number of cells, the text length per cell, formulas,
    error values and merged ranges. A cell is judged when the next one starts."""

    def __init__(self, sheet: str, scan: SafetyScan, limits: SafetyLimits, budget: _Budget) -> None:
        self.sheet, self.scan, self.limits, self.budget = sheet, scan, limits, budget
        self.row = 0
        self.col = 0
        self.max_row = 0
        self.max_col = 0
        self.open = False  # a cell is being read
        self.ref = ""
        self.cell_type = ""
        self.has_value = False
        self.v_present = False  # a cached result, possibly the empty string
        self.formula: list[str] | None = None
        self.value: list[str] = []
        self.collect: list[str] | None = None
        self.text_length = 0
        self.kinds: dict[str, int] = {}

    def start(self, name: str, attrs: dict[str, str]) -> None:
        kind = self.kinds.get(name)
        if kind is None:  # first time this raw name is seen in the part
            kind = _SHEET_KINDS.get(_local(name), 0)
            if len(self.kinds) < 10_000:
                self.kinds[name] = kind
        if kind == _CELL:
            self._close_cell()
            ref = attrs.get("r")
            pos = parse_cell_ref(ref) if ref else (self.row, self.col + 1)
            if pos is None:
                self.scan.error("RETURN_UNREADABLE", f"シート「{self.sheet}」に読めないセル番地（{ref}）があります。元のファイルを保存し直して送ってください", self.sheet, value=ref)
                raise _Refuse
            self.row, self.col = pos
            self.ref = ref if ref and ref.isupper() and "$" not in ref else cell_ref(*pos)
            self.open = True
            self.cell_type = attrs.get("t", "n")
            self.has_value = self.v_present = False
            self.formula = None
            self.value = []
            self.collect = None
            self.text_length = 0
            self.budget.cells += 1
            if self.budget.cells > self.limits.max_cells:
                self.scan.error("RETURN_TOO_MANY_CELLS", f"セルの数が多すぎます（{self.limits.max_cells:,}個を超えました）。お送りした様式に入力して送ってください", self.sheet)
                raise _Refuse
        elif kind == _STRING:
            if self.open:
                self.has_value = True
                self.collect = None
        elif kind == _VALUE:
            if self.open:
                self.has_value = self.v_present = True
                self.collect = self.value
        elif kind == _FORMULA:
            if self.open:
                self.formula = []
                self.collect = self.formula
        elif kind == _ROW:
            self._close_cell()
            r = attrs.get("r")
            self.row = int(r) if r and r.isdigit() else self.row + 1
            self.col = 0
        elif kind == _MERGE:
            self._close_cell()
            self._merge(attrs.get("ref", ""))
        else:  # rich-text formatting inside a cell, or what follows the sheet data: stop collecting
            self.collect = None

    def text(self, data: str) -> None:
        if not self.open:
            return
        self.text_length += len(data)
        if self.text_length > self.limits.max_string_chars:
            self.scan.error(
                "RETURN_STRING_TOO_LONG",
                f"シート「{self.sheet}」のセル {self.ref} の文字数が Excel の上限（{self.limits.max_string_chars:,}字）を超えています。貼り付けた文章を短くしてください",
                self.sheet,
                self.ref,
            )
            raise _Refuse
        if self.collect is not None and len(self.collect) < 8:  # enough to show; the length is checked above
            self.collect.append(data)

    def _close_cell(self) -> None:
        if not self.open:
            return
        self.open = False
        self.collect = None
        if not (self.has_value or self.formula is not None):
            return
        row, col = self.row, self.col
        if row > self.max_row:
            self.max_row = row
            if row > self.limits.max_rows:
                self.scan.error(
                    "RETURN_TOO_MANY_ROWS",
                    f"シート「{self.sheet}」の{row:,}行目に値があります（上限 {self.limits.max_rows:,}行）。行を貼り付けたりせず、お送りした様式に入力して送ってください",
                    self.sheet,
                    self.ref,
                )
                raise _Refuse
        if col > self.max_col:
            self.max_col = col
            if col > self.limits.max_cols:
                self.scan.error(
                    "RETURN_TOO_MANY_COLUMNS",
                    f"シート「{self.sheet}」の{col:,}列目に値があります（上限 {self.limits.max_cols:,}列）。お送りした様式に入力して送ってください",
                    self.sheet,
                    self.ref,
                )
                raise _Refuse
        if self.formula is not None or self.cell_type == "e":
            cached = "".join(self.value).strip()
            if self.formula is not None:
                self._flag()
                # A saved result: a value, or an empty string result (t="str" with an empty <v/>).
                saved = bool(cached) or self.cell_type == "inlineStr" or (self.cell_type == "str" and self.v_present)
                self.scan.formulas[(self.sheet, self.ref)] = FormulaCell("".join(self.formula)[:200], saved)
            if self.cell_type == "e":
                self._flag()
                self.scan.error_values[(self.sheet, self.ref)] = cached or "#N/A"

    def _merge(self, ref: str) -> None:
        a, _, b = ref.partition(":")
        first, last = parse_cell_ref(a), parse_cell_ref(b or a)
        if first is None or last is None:
            return
        self._flag()
        r1, c1 = first
        r2, c2 = last
        self.scan.merges.setdefault(self.sheet, []).append((min(r1, r2), min(c1, c2), max(r1, r2), max(c1, c2)))

    def _flag(self) -> None:
        self.budget.flagged += 1
        if self.budget.flagged > self.limits.max_flagged_cells:
            self.scan.error("RETURN_TOO_MANY_CELLS", f"数式・エラー値・結合セルが多すぎます（{self.limits.max_flagged_cells:,}個を超えました）。お送りした様式に値で入力して送ってください", self.sheet)
            raise _Refuse

    def finish(self) -> None:
        self._close_cell()
        self.budget.grid += self.max_row * self.max_col
        if self.budget.grid > self.limits.max_grid_cells:
            self.scan.error("RETURN_TOO_MANY_CELLS", f"値のある範囲が広すぎます（シート「{self.sheet}」まで合計 {self.budget.grid:,}セル）。お送りした様式に入力して送ってください", self.sheet)
            raise _Refuse

    def handler(self) -> _Handler:
        return _Handler(start=self.start, text=self.text, finish=self.finish)


# --- the fast scan (issue 13): the same verdicts at C speed, or none -------------------------
#
# The full parser calls Python for every element; here zlib inflates a part whole and a few
# byte searches (C speed) give the same verdicts. They judge only what they can judge exactly —
# UTF-8 without DTD, CDATA, comments or processing instructions (any "<!" goes to the parser,
# which refuses a DTD), unprefixed cell elements, every cell written `<c r="A1"`, no formulas,
# error values or merged cells, no cell text near the length limit — and hand anything else to
# the full parser (False), so every limit holds for every file. Well-formedness is left to the
# reader (python-calamine refuses a broken part; openpyxl, for a feedback copy, likewise).

_LOCAL_HEADER = struct.Struct("<4s22xHH")
# Never in XML 1.0 text: expat refuses the part, as before. Found by deleting them (bytes.translate
# runs several times faster than a regular expression's search, on every part of every return).
_NOT_XML_BYTES = bytes([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20)])
_XML_DECL = re.compile(rb"(?:\xef\xbb\xbf)?<\?xml[^>]*\?>")
_UTF8_DECL = re.compile(rb"""(?:\xef\xbb\xbf)?<\?xml(?:(?!encoding)[^>])*(?:encoding\s*=\s*["'][Uu][Tt][Ff]-?8["'][^>]*)?\?>""")
_PREFIXED = re.compile(rb"<[A-Za-z_][\w.-]*:(?:c|v|f|is|t|r|row|si|mergeCell)[\s/>]")
_CELL_OPEN = re.compile(rb"<c[\s/>]")
_FORMULA_TAG = re.compile(rb"<f[\s/>]")
_CELL_TAG = re.compile(rb'<c r="([A-Za-z]{1,3})([0-9]{1,7})"([^>]*)>')
_VALUED_CELL_TAG = re.compile(rb'<c r="([A-Za-z]{1,3})([0-9]{1,7})"(?:[^>]*[^/>])?>')  # not <c .../>, which holds no value
_MODIFIED = re.compile(rb"<dcterms:modified[^>]*>([^<]+)<")


def _inflate(raw: bytes, info: zipfile.ZipInfo, limits: SafetyLimits, budget: _Budget, scan: SafetyScan) -> bytes:
    """One member, inflated by zlib in one call and bounded by its declared size; its CRC checked
    (what zipfile does, without a Python loop over chunks)."""
    header = _LOCAL_HEADER.unpack_from(raw, info.header_offset) if info.header_offset + 30 <= len(raw) else None
    if header is None or header[0] != b"PK\x03\x04":
        raise zipfile.BadZipFile(f"bad local header: {info.filename}")
    start = info.header_offset + 30 + header[1] + header[2]
    packed = raw[start : start + info.compress_size]
    if len(packed) != info.compress_size:
        raise zipfile.BadZipFile(f"truncated member: {info.filename}")
    if info.compress_type == zipfile.ZIP_STORED:
        data = packed
    else:
        inflater = zlib.decompressobj(-15)
        data = inflater.decompress(packed, info.file_size + 1)
        if len(data) == info.file_size and not inflater.eof:
            data += inflater.flush()  # a stream ending exactly at the declared size
    if len(data) != info.file_size or zlib.crc32(data) != info.CRC:
        raise zipfile.BadZipFile(f"Bad CRC-32 or size for {info.filename}")
    budget.add(len(data), info.filename, scan)
    return data


def _plain_xml(data: bytes) -> bool:
    """UTF-8 without characters XML forbids, with nothing but elements, attributes and text after the XML declaration."""
    if b"<!" in data or len(data.translate(None, _NOT_XML_BYTES)) != len(data):  # DTD, CDATA, comments; UTF-16/32 (NULs) or raw control characters
        return False
    decl = _XML_DECL.match(data)
    if decl is not None and not _UTF8_DECL.fullmatch(decl[0]):
        return False  # another encoding declared
    return data.count(b"<?") == (1 if decl is not None else 0)


BUILTIN_PERCENT_FORMATS = frozenset({9, 10})  # Excel's built-in 0% and 0.00% (numFmtId)
_PERCENT_TOKENS = (*(f'numFmtId="{i}"'.encode() for i in sorted(BUILTIN_PERCENT_FORMATS)), b"%", b"&#37;", b"&#x25;")


def _may_show_percent(styles: bytes) -> bool:
    """False only when no number format of the book can be a percentage: neither of Excel's
    built-in ones nor a format code with a % in it (return_files.cell_number_formats tells which cells)."""
    return any(token in styles for token in _PERCENT_TOKENS)


def _modified(core: bytes) -> str:
    m = _MODIFIED.search(core)
    return m[1].decode("utf-8", "replace").strip() if m else ""


# What `max_flagged_cells` counts takes this many bytes of its part at least: a cell is flagged at
# most twice (a formula and an error value: `<c t="e"><f/></c>`, 17 bytes), a merged range takes
# 21 (`<mergeCell ref="A1"/>`). A part smaller than this many times the flags left cannot exceed it.
_MIN_FLAG_BYTES = 8


def _fast_scan(name: str, data: bytes, sheets: dict[str, str], scan: SafetyScan, limits: SafetyLimits, budget: _Budget, *, record: bool = True) -> bool:
    """The part's verdict at C speed, or False for the full parser. `record`: formulas, error
    values and merges are to be recorded (for `annotate`); a scan for a reading of some sheets
    alone (the identity sheet) does not report them, and needs the parser for them only when
    they could be too many."""
    if _PREFIXED.search(data):
        return False
    # No text near the limit: no piece between two end tags is that long (bytes ≥ characters).
    end_tag = b"</c>" if name in sheets else b"</si>"
    if len(data) > limits.max_string_chars and max(map(len, data.split(end_tag))) > limits.max_string_chars:
        return False
    if name not in sheets:
        return True
    # Four passes over the part (a third of the time of a reading by the identity sheet): only when their finds matter.
    if record or len(data) >= _MIN_FLAG_BYTES * (limits.max_flagged_cells - budget.flagged):
        if b"<f" in data and _FORMULA_TAG.search(data) or b"<mergeCell" in data or b'"e"' in data or b"'e'" in data:
            return False  # formulas, merged cells, error values (or text that looks like one): recorded by the parser
    sheet = sheets[name]
    cells = len(_CELL_TAG.findall(data))
    if cells != len(_CELL_OPEN.findall(data)) or data.count(b' r="') != cells + data.count(b'<row r="'):
        return False  # a cell placed by its order, or an r attribute elsewhere: the full parser counts positions
    # Whole-list operations only (no Python step per cell): this runs on every sheet of every return.
    valued = _VALUED_CELL_TAG.findall(data)
    cols, rows = zip(*valued) if valued else ((), ())
    max_row = max(map(int, rows), default=0)
    max_col = max((col_number(c.upper().decode()) for c in set(cols)), default=0)
    row_at = next((c + r for c, r in valued if int(r) == max_row), b"") if max_row > limits.max_rows else b""
    col_at = next((c + r for c, r in valued if col_number(c.upper().decode()) == max_col), b"") if max_col > limits.max_cols else b""
    if max_row > limits.max_rows:
        scan.error(
            "RETURN_TOO_MANY_ROWS",
            f"シート「{sheet}」の{max_row:,}行目に値があります（上限 {limits.max_rows:,}行）。行を貼り付けたりせず、お送りした様式に入力して送ってください",
            sheet,
            row_at.decode().upper(),
        )
        raise _Refuse
    if max_col > limits.max_cols:
        scan.error("RETURN_TOO_MANY_COLUMNS", f"シート「{sheet}」の{max_col:,}列目に値があります（上限 {limits.max_cols:,}列）。お送りした様式に入力して送ってください", sheet, col_at.decode().upper())
        raise _Refuse
    budget.cells += cells
    if budget.cells > limits.max_cells:
        scan.error("RETURN_TOO_MANY_CELLS", f"セルの数が多すぎます（{limits.max_cells:,}個を超えました）。お送りした様式に入力して送ってください", sheet)
        raise _Refuse
    budget.grid += max_row * max_col
    if budget.grid > limits.max_grid_cells:
        scan.error("RETURN_TOO_MANY_CELLS", f"値のある範囲が広すぎます（シート「{sheet}」まで合計 {budget.grid:,}セル）。お送りした様式に入力して送ってください", sheet)
        raise _Refuse
    return True


# --- reporting on the input cells of a reading ---------------------------------------------

# Characters nobody types on purpose: removed from text inputs with a warning (never silently).
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_BIDI = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
_FORMULA_LIKE = re.compile(r"^\s*(=|@|[+\-]\s*[A-Za-z(]|\S+\|)")
_MARKUP = re.compile(r"<\s*/?\s*[A-Za-z][A-Za-z0-9:-]*(\s[^<>]*)?/?\s*>|javascript:", re.IGNORECASE)


def _codepoints(chars: list[str]) -> str:
    shown = sorted(set(chars))[:5]
    return "、".join(f"U+{ord(ch):04X}" for ch in shown)


def annotate(reading: ReturnReading, scan: SafetyScan) -> None:
    """Report what the scan found about the input cells, and clean invisible characters from text inputs."""
    diags = reading.diagnostics
    diags.items.extend(scan.warnings)
    for inp in reading.inputs:
        spec = inp.spec
        where = (spec.sheet, spec.ref)
        pos = parse_cell_ref(spec.ref)
        if where in scan.error_values:
            diags.error("RETURN_CELL_ERROR", f"{spec.label}: セルがエラー値（{scan.error_values[where]}）になっています。値を入力してください", spec.sheet, spec.ref, scan.error_values[where])
            inp.value = None
        elif where in scan.formulas:
            f = scan.formulas[where]
            if f.cached:
                diags.warning(
                    "RETURN_FORMULA",
                    f"{spec.label}: 数式（={f.formula[:60]}）が入力されています。保存されていた計算結果を値として読みました（数式は計算しません）。値で入力してください",
                    spec.sheet,
                    spec.ref,
                    "=" + f.formula,
                )
            else:
                diags.error(
                    "RETURN_FORMULA_NO_VALUE",
                    f"{spec.label}: 数式（={f.formula[:60]}）の計算結果がファイルに保存されていないため、値を読めません。数式ではなく値を入力してください",
                    spec.sheet,
                    spec.ref,
                    "=" + f.formula,
                )
                inp.value = None
        if pos is not None:
            for r1, c1, r2, c2 in scan.merges.get(spec.sheet, []):
                if r1 <= pos[0] <= r2 and c1 <= pos[1] <= c2 and (r1, c1) != pos:
                    merged = f"{cell_ref(r1, c1)}:{cell_ref(r2, c2)}"
                    diags.error("RETURN_MERGED_INPUT", f"{spec.label}: 入力欄が結合セル（{merged}）の中に入っていて、値が隠れています。セルの結合を解除して入力してください", spec.sheet, spec.ref, merged)
                    break
        if isinstance(inp.value, str):
            inp.value = _clean_text(inp.value, spec.label, spec.sheet, spec.ref, diags)


def _clean_text(value: str, label: str, sheet: str, ref: str, diags) -> str | None:
    control = _CONTROL.findall(value)
    if control:
        value = _CONTROL.sub("", value)
        diags.warning("TEXT_CONTROL_CHARS", f"{label}: 目に見えない制御文字（{_codepoints(control)}、{len(control)}字）を取り除いて取り込みました。内容を確認してください", sheet, ref, _codepoints(control))
    bidi = _BIDI.findall(value)
    if bidi:
        value = _BIDI.sub("", value)
        diags.warning("TEXT_BIDI_CONTROL", f"{label}: 文字の表示方向を変える見えない記号（{_codepoints(bidi)}）を取り除いて取り込みました。表示と中身が食い違わないようにするためです", sheet, ref, _codepoints(bidi))
    if _FORMULA_LIKE.match(value):
        diags.warning("TEXT_FORMULA_LIKE", f"{label}: 「{value[:20]}」は数式のように始まる文字列です。数式としては扱わず、文字のまま取り込みました", sheet, ref, value)
    if _MARKUP.search(value):
        diags.warning("TEXT_MARKUP", f"{label}: HTML のタグのような文字列があります。タグとしては働かず、文字のまま取り込みました。意図したものか確認してください", sheet, ref, value)
    value = value.strip()
    return value or None


__all__ = ["LIMITS", "REFUSED_UNOPENED", "SafetyLimits", "SafetyScan", "annotate", "check_file", "parse_cell_ref", "scan_return"]
