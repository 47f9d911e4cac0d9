"""Reading one returned template (a department's answer) from a `WorkbookSource`.

The reader does not need to know the template's layout: the very hidden
identity sheet lists the sheets, every cell as issued (the manifest) and every
input cell with the master field it fills, all covered by the signature.
It returns:

- the signed content as found (`content`, `signature`), to be verified with
  the master's key (`check_signature`);
- every input cell, read by the same rules as the master (`CellReader`:
  全角 digits, separators, 約, units, 「－」), with the value as issued;
- every other cell that differs from the manifest (`deviations`): a changed
  definition, a row added below, a note typed on the instructions sheet;
- diagnostics with sheet and cell (file names are added by the caller).

It knows nothing of the master: whether the department may write a field,
the fiscal year, frozen years are decided in `consolidate.py`.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from typing import Any

from envplan.plan.diagnostics import Diagnostic, DiagnosticList
from envplan.plan.numbers import read_number
from envplan.survey.template_identity import CONTENT_SECTION, SignedContent, TemplateIdentity, canonical, parse_content_chunks, signature_ok
from envplan.survey.template_layout import CHOICES, FEEDBACK_SHEET, FORMAT, IDENTITY_SHEET, INDICATOR_SHEET, TEMPLATE_VERSION, TEXT_LIMIT, InputSpec, SheetMode
from envplan.workbook.cells import Cell, CellReader, col_letter, col_number
from envplan.workbook.field_keys import decode_key
from envplan.workbook.io import SheetGrid, WorkbookSource

_REF = re.compile(r"^([A-Z]{1,3})([1-9][0-9]{0,6})$")


def parse_ref(ref: str) -> tuple[int, int]:
    """'H12' → (12, 8)."""
    m = _REF.match(ref)
    if not m:
        raise ValueError(f"not a cell reference: {ref!r}")
    return int(m[2]), col_number(m[1])


@dataclass
class ReturnInput:
    """One input cell as returned."""

    spec: InputSpec
    found: Any  # the raw cell value
    value: Any  # typed: float | str | None
    issued: Any  # typed value the template was issued with

    @property
    def edited(self) -> bool:
        return not same_value(self.value, self.issued)


@dataclass
class CellDeviation:
    """A cell outside the inputs that is not as issued."""

    sheet: str
    ref: str
    issued: str  # canonical text; "" when the cell was blank
    found: str
    mode: SheetMode
    what: str = ""  # a grey year cell of an indicator row: 「S01 2019年度の実績値」


@dataclass
class ReturnReading:
    label: str
    content: SignedContent | None = None
    signature: str = ""
    inputs: list[ReturnInput] = field(default_factory=list)
    deviations: list[CellDeviation] = field(default_factory=list)
    extra_sheets: list[str] = field(default_factory=list)
    diagnostics: DiagnosticList = field(default_factory=DiagnosticList)
    verdicts: dict[bytes, bool] = field(default_factory=dict, repr=False)  # signature check per key, shared by identical identity sheets

    @property
    def identity(self) -> TemplateIdentity | None:
        return self.content.identity if self.content else None


def same_value(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return a == b or abs(a - b) <= 1e-9 * max(abs(a), abs(b))
    return (a if a != "" else None) == (b if b != "" else None)


def read_return(source: WorkbookSource, *, identity_only: bool = False) -> ReturnReading:
    """The whole return; with `identity_only`, its identity sheet alone (who sent it, for
    which year, when it was issued, and whether it is ours), for choosing which returns
    need reading whole."""
    reading = ReturnReading(source.label)
    diags = reading.diagnostics
    names = source.sheet_names()
    if IDENTITY_SHEET not in names:
        diags.error(
            "RETURN_NOT_OURS",
            "このファイルは envplan で発行した照会様式ではありません（様式情報のシートがありません）。発行した様式に入力して送ってください",
            value=", ".join(names[:5]),
        )
        return reading
    parsed = _identity(source.grid(IDENTITY_SHEET), diags)
    if parsed is None:
        return reading
    reading.content, reading.signature = parsed.content, parsed.signature
    reading.verdicts = parsed.verdicts
    content = reading.content
    if content.identity.format != FORMAT or content.identity.version != TEMPLATE_VERSION:
        diags.error(
            "RETURN_VERSION",
            f"様式の版（{content.identity.format} {content.identity.version}）はこの版の envplan では読めません（対応: {FORMAT} {TEMPLATE_VERSION}）。新しく発行した様式で提出してください",
            IDENTITY_SHEET,
        )
        return reading
    if identity_only:
        return reading
    known = {name for name, _ in content.sheets}
    reading.extra_sheets = [n for n in names if n not in known and n not in (IDENTITY_SHEET, FEEDBACK_SHEET)]
    inputs_by_sheet, manifest_by_sheet = parsed.inputs_by_sheet, parsed.manifest_by_sheet
    rd = CellReader(diags)
    for sheet, mode in content.sheets:
        if sheet not in names and not inputs_by_sheet.get(sheet):
            # A sheet without inputs (記入方法): nothing is lost, and a feedback copy could not restore it.
            diags.warning("RETURN_GUIDE_SHEET_MISSING", f"シート「{sheet}」が削除されています。入力欄のないシートのため、取り込みには影響しません", sheet)
            continue
        if sheet not in names:
            diags.error("RETURN_SHEET_MISSING", f"シート「{sheet}」がありません。シートを削除したり名前を変えたりせずに提出してください", sheet)
            continue
        grid = source.grid(sheet)
        specs = inputs_by_sheet.get(sheet, [])
        issued = manifest_by_sheet.get(sheet, {})
        if mode == "strict":
            refs = {s.ref for s in specs}
            change = structural_change(grid, issued, refs)
            moved = _rows_moved(grid, issued, refs) if change else None
            if change and moved is None:
                # One message naming what to undo, instead of a message for every shifted cell;
                # nothing of this sheet is read (the inputs are not where they were issued).
                diags.error("RETURN_STRUCTURE_CHANGED", change, sheet)
                continue
            if moved:
                # Rows sorted, each whole (its ID and every cell as issued): read each input where
                # its row went; every check below then sees the sheet as if it were in issued order.
                what = "指標ID" if sheet == INDICATOR_SHEET else "ID"
                diags.warning(
                    "RETURN_ROWS_SORTED",
                    f"行が並べ替えられていましたが、{what}で照合して受け付けました（値はそれぞれの行の{what}のものとして取り込みます）。次回は並べ替えずに提出してください",
                    sheet,
                )
                issued = {_moved_ref(ref, moved): text for ref, text in issued.items()}
                specs = [dataclasses.replace(spec, ref=_moved_ref(spec.ref, moved)) for spec in specs]
        for spec in specs:
            row, col = parse_ref(spec.ref)
            cell = grid.cell(row, col)
            value = _typed(rd, cell, spec)
            if spec.key[0] == "department" and spec.key[2] == "phone" and isinstance(cell.value, (int, float)) and not isinstance(cell.value, bool):
                diags.warning(
                    "PHONE_AS_NUMBER",
                    f"電話番号が数値として入力されています（{value}）。先頭の0が消えていることがあります。「03-1234-5678」のように、ハイフンを付けて入力してください",
                    spec.sheet,
                    spec.ref,
                    cell.value,
                )
            reading.inputs.append(ReturnInput(spec, cell.value, value, issued_value(spec, issued.get(spec.ref, ""))))
        deviations = _deviations(grid, issued, {s.ref for s in specs}, mode)
        if sheet == INDICATOR_SHEET:
            for dev in deviations:
                dev.what = _year_cell(issued, dev.ref)
        reading.deviations += deviations
    return reading


TEMPLATE_HEADER_ROW = 3  # the indicator sheet's heading row (years as 「2019年度」)
INDICATOR_KIND_COL = "I"  # 区分: 実績値 / 備考 / 計画値


def _year_cell(issued: dict[str, str], ref: str) -> str:
    """「S01 2019年度の実績値」 for a year cell of an indicator row, from the cells as issued."""
    col = "".join(ch for ch in ref if ch.isalpha())
    row = ref[len(col) :]
    header = issued.get(f"{col}{TEMPLATE_HEADER_ROW}", "")
    if not (header.endswith("年度") and header[:-2].isdigit()) or not issued.get(f"A{row}"):
        return ""
    return f"{issued[f'A{row}']} {header}の{issued.get(f'{INDICATOR_KIND_COL}{row}') or '値'}"


def issued_value(spec: InputSpec, text: str) -> Any:
    """The typed value an input cell was issued with (from its manifest text)."""
    if not text:
        return None
    if spec.kind in ("number", "amount"):
        try:
            return float(text)  # our own canonical form, which may be 1e-05
        except ValueError:
            return read_number(text, spec.unit).value
    return text


def _typed(rd: CellReader, cell: Cell, spec: InputSpec) -> Any:
    if spec.kind == "number":
        return rd.number(cell, unit=spec.unit, what=spec.label)
    if spec.kind == "amount":
        return rd.amount(cell, unit=spec.unit, what=spec.label)
    if spec.kind == "level":  # a symbol of the plan's scheme as it was when the template was issued (signed)
        return rd.choice(cell, tuple(x for x in spec.unit.split("・") if x), what=spec.label)
    if spec.choice_list:
        options = CHOICES.get(spec.choice_list)
        if options is None:
            rd.diags.error("RETURN_IDENTITY_BROKEN", f"選択肢「{spec.choice_list}」はこの版の envplan にありません", cell.sheet, cell.ref)
            return None
        return rd.choice(cell, options, what=spec.label)
    text = rd.text(cell, what=spec.label)
    if len(text) > TEXT_LIMIT:
        rd.diags.warning("TEXT_TOO_LONG", f"{spec.label}が{len(text):,}字あります（目安は{TEXT_LIMIT:,}字以内）。貼り付けの誤りがないか確認してください", cell.sheet, cell.ref)
    return text or None


FIRST_BODY_ROW = TEMPLATE_HEADER_ROW + 1
KEY_COLS = (1, 2)  # locked on every strict sheet: ID and name (or number)
_YEAR_HEADER = re.compile(r"\d{4}年度$")


@dataclass(frozen=True)
class _IssuedShape:
    """What the layout checks need of a sheet as issued (the same for every return of a template)."""

    last_col: int
    header: list[str]  # row 3 as issued, columns 1..last_col + 1
    last_row: int  # the last body row with an ID in column A (0: none)
    # The columns that tell a body row from its neighbours: every column of the table that holds
    # no input (ID, name, 区分…). An indicator's rows share its ID; 区分 tells 備考 from 評価.
    key_cols: tuple[int, ...]
    keys: list[tuple[str, ...]]  # their texts in every body row as issued


_SHAPES: dict[int, tuple[dict[str, str], _IssuedShape]] = {}  # id(issued) → (issued itself, kept alive; shape)


def _issued_shape(issued: dict[str, str], inputs: set[str]) -> _IssuedShape:
    """(`inputs`: the sheet's input cells, the same for every return of a template, like `issued`.)"""
    hit = _SHAPES.get(id(issued))
    if hit is not None and hit[0] is issued:
        return hit[1]
    last_col = max((parse_ref(ref)[1] for ref in issued), default=0)
    header = [issued.get(f"{col_letter(c)}{TEMPLATE_HEADER_ROW}", "") for c in range(1, last_col + 2)]
    rows = sorted({int(ref[1:]) for ref in issued if ref[:1] == "A" and ref[1:].isdigit()} - set(range(FIRST_BODY_ROW)))
    last_row = rows[-1] if rows else 0
    input_cols = {parse_ref(ref)[1] for ref in inputs}
    first_input = min(input_cols, default=last_col + 1)
    # (Not the year grid: past years' grey values are figures, not what names a row.)
    key_cols = tuple(c for c in range(1, first_input) if header[c - 1] and not _YEAR_HEADER.match(header[c - 1])) or KEY_COLS
    keys = [tuple(issued.get(f"{col_letter(c)}{r}", "") for c in key_cols) for r in range(FIRST_BODY_ROW, last_row + 1)]
    shape = _IssuedShape(last_col, header, last_row, key_cols, keys)
    if len(_SHAPES) < 512:
        _SHAPES[id(issued)] = (issued, shape)
    return shape


def structural_change(grid: SheetGrid, issued: dict[str, str], inputs: set[str]) -> str:
    """A row inserted or deleted, rows sorted, or a column inserted, on a sheet of fixed layout:
    the message saying what to undo, or "" when the rows and columns are where they were issued."""
    shape = _issued_shape(issued, inputs)
    width = max(grid.max_col, shape.last_col) + 1
    header_issued = shape.header + [""] * (width - len(shape.header))
    header_found = [canonical(grid.value(TEMPLATE_HEADER_ROW, c)) for c in range(1, width + 1)]
    last = max((i for i, t in enumerate(header_issued) if t), default=-1)
    if last >= 0 and header_found[: last + 1] != header_issued[: last + 1]:
        for i in range(last + 1):
            if header_found[i] != header_issued[i] and header_found[i + 1 : last + 2] == header_issued[i : last + 1]:
                return f"{col_letter(i + 1)}列に列が挿入されています（見出し「{header_found[i] or '空欄'}」）。挿入した列を削除して、元の形に戻してから提出してください"
            if header_found[i] != header_issued[i] and header_found[i : last] == header_issued[i + 1 : last + 1]:
                return f"{col_letter(i + 1)}列（見出し「{header_issued[i]}」）が削除されています。お送りした様式の形に戻してから提出してください"
    if not shape.last_row:
        return ""
    top = max(shape.last_row, grid.max_row)
    before = shape.keys
    after = [tuple(canonical(grid.value(r, c)) for c in shape.key_cols) for r in range(FIRST_BODY_ROW, top + 1)]
    while after and not any(after[-1]):
        after.pop()
    if after == before:
        return ""
    # The rows told apart by every definition column first; then by ID and name alone, as
    # where a definition was also changed (that change is then reported by the message's undo).
    coarse = [j for j, c in enumerate(shape.key_cols) if c in KEY_COLS]
    for keys_before, keys_after in ((before, after), ([tuple(k[j] for j in coarse) for k in x] for x in (before, after))):
        message = _row_change(keys_before, keys_after, before)
        if message:
            return message
    return ""


def _row_change(before: list[tuple[str, ...]], after: list[tuple[str, ...]], labels: list[tuple[str, ...]]) -> str:
    n_more = len(after) - len(before)
    if n_more > 0:
        extra = _extra_rows(after, before)
        # Rows added below the table are cells like any other (another department's row is named as such).
        extra = extra if any(i < len(before) for i in extra) else []
        if extra:
            rows = "・".join(str(FIRST_BODY_ROW + i) for i in extra)
            return f"{rows}行目に行が挿入されています。挿入した行を削除して（行の削除）、元の形に戻してから提出してください"
    if n_more < 0:
        gone = _extra_rows(before, after)
        if gone:
            rows = "・".join(f"{FIRST_BODY_ROW + i}行目（{_row_label(labels, i)}）" for i in gone)
            return f"発行時の{rows}が削除されています。お送りした様式（削除する前のファイル）に戻して入力してください"
    if n_more == 0 and sorted(after) == sorted(before):
        return "行が並べ替えられています。並べ替えを元に戻して（A列の指標ID・プロジェクトIDが発行時の順になるように）から提出してください"
    return ""


def _rows_moved(grid: SheetGrid, issued: dict[str, str], inputs: set[str]) -> dict[int, int] | None:
    """Issued row → the row it is found at, when the body rows were only put in another order:
    every body row found whole (its ID, name and every other cell as issued; the inputs may hold
    anything) and matched to exactly one issued row. None when that cannot be told for sure."""
    shape = _issued_shape(issued, inputs)
    if not shape.last_row:
        return None
    width = max(grid.max_col, shape.last_col)
    letters = [col_letter(c) for c in range(1, width + 1)]
    body = range(FIRST_BODY_ROW, shape.last_row + 1)
    wanted: dict[tuple[str, ...], list[tuple[int, list[str | None]]]] = {}
    for r in body:
        cells = [None if f"{L}{r}" in inputs else issued.get(f"{L}{r}", "") for L in letters]  # None: any value
        wanted.setdefault(shape.keys[r - FIRST_BODY_ROW], []).append((r, cells))
    moved: dict[int, int] = {}
    for f in body:
        found = [canonical(grid.value(f, c)) for c in range(1, width + 1)]
        key = tuple(found[c - 1] for c in shape.key_cols)
        if not any(key):
            return None  # a blank row moved: nothing tells which one it was
        matches = [r for r, cells in wanted.get(key, []) if all(w is None or w == v for w, v in zip(cells, found))]
        if len(matches) != 1 or matches[0] in moved:
            return None
        moved[matches[0]] = f
    return moved if len(moved) == len(body) else None


def _row_label(keys: list[tuple[str, ...]], i: int) -> str:
    """Row `i` as the clerk sees it: its ID, and where other rows share the ID, the last text
    that tells it from them (「S01 備考」, 「S01 実績値」)."""
    key = keys[i]
    same = [k for k in keys if k[0] == key[0]]
    told = [t for c, t in enumerate(key) if t and c and any(k[c] != t for k in same)]
    return " ".join([key[0] or "空欄", *told[-1:]])


def _moved_ref(ref: str, moved: dict[int, int]) -> str:
    row, col = parse_ref(ref)
    return f"{col_letter(col)}{moved.get(row, row)}"


def _extra_rows(longer: list[tuple[str, ...]], shorter: list[tuple[str, ...]]) -> list[int]:
    """Indexes of `longer` that, removed, leave `shorter` (greedy; [] when it does not)."""
    extra, j = [], 0
    for i, row in enumerate(longer):
        if j < len(shorter) and row == shorter[j]:
            j += 1
        else:
            extra.append(i)
    return extra if j == len(shorter) and len(extra) == len(longer) - len(shorter) else []


def _deviations(grid: SheetGrid, issued: dict[str, str], inputs: set[str], mode: SheetMode) -> list[CellDeviation]:
    found: dict[str, str] = {}
    letters = [col_letter(c) for c in range(1, grid.max_col + 1)]
    for r, row in enumerate(grid.rows, 1):
        for c, value in enumerate(row):
            if value is None or value == "":
                continue
            text = canonical(value)
            if text:
                found[f"{letters[c]}{r}"] = text
    differing = [ref for ref in set(found) | set(issued) if ref not in inputs and found.get(ref, "") != issued.get(ref, "")]
    return [CellDeviation(grid.name, ref, issued.get(ref, ""), found.get(ref, ""), mode) for ref in sorted(differing, key=parse_ref)]


@dataclass
class _ParsedIdentity:
    content: SignedContent
    signature: str
    verdicts: dict[bytes, bool] = field(default_factory=dict)
    inputs_by_sheet: dict[str, list[InputSpec]] = field(default_factory=dict)
    manifest_by_sheet: dict[str, dict[str, str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for spec in self.content.inputs:
            self.inputs_by_sheet.setdefault(spec.sheet, []).append(spec)
        for (sheet, ref), text in self.content.manifest.items():
            self.manifest_by_sheet.setdefault(sheet, {})[ref] = text


# Issue 13: returns of one template carry the same identity sheet (a few thousand cells): parsed
# and verified once per run and per worker, keyed by the cell values themselves (so a file whose
# sheet differs in any cell is parsed on its own). Never emptied while a run lasts.
_IDENTITY_CACHE: dict[tuple[tuple[Any, ...], ...], _ParsedIdentity] = {}
IDENTITY_CACHE_MAX = 512


def _identity(grid: SheetGrid, diags: DiagnosticList) -> _ParsedIdentity | None:
    key = tuple(map(tuple, grid.rows))
    try:
        cached = _IDENTITY_CACHE.get(key)
    except TypeError:  # an unhashable value: not from a workbook reader, parse it as it is
        key, cached = (), None
    if cached is not None:
        return cached
    parsed = _read_identity(grid, diags)
    if parsed is None:
        return None
    entry = _ParsedIdentity(parsed[0], parsed[1])
    if key and len(_IDENTITY_CACHE) < IDENTITY_CACHE_MAX:
        _IDENTITY_CACHE[key] = entry
    return entry


def _input_spec(row: list[str]) -> InputSpec:
    """An input cell from its row [sheet, ref, key, kind, unit, label]; ValueError when broken."""
    sheet, ref, key_text, kind, unit, label = row
    parse_ref(ref)
    return InputSpec(sheet, ref, decode_key(key_text), kind, label, unit)


def _add_issued_cell(manifest: dict[tuple[str, str], str], row: list[str], where: str) -> None:
    """A cell as issued from its row [sheet, ref, text]; ValueError naming `where` when its address is broken."""
    sheet, ref, text = row[:3]
    if not _REF.match(ref):
        raise ValueError(f"{where}セル番地「{ref}」が正しくありません")
    manifest[(sheet, ref)] = text


def _read_identity(grid: SheetGrid, diags: DiagnosticList) -> tuple[SignedContent, str] | None:
    fields: dict[str, str] = {}
    sheets: list[tuple[str, SheetMode]] = []
    manifest: dict[tuple[str, str], str] = {}
    inputs: list[InputSpec] = []
    chunks: list[str] = []
    signature = ""
    section = "identity"
    try:
        for r, raw in enumerate(grid.rows[2:], 3):
            a = canonical(raw[0]) if raw else ""
            if not a:
                continue
            if section == "content":  # pieces of one JSON text, to the end of the sheet
                chunks.append(a)
                continue
            width = 6 if section == "inputs" else 3
            row = [a] + [canonical(v) for v in raw[1:width]] + [""] * (width - len(raw[:width]))
            b = row[1]
            if a in ("[sheets]", "[inputs]", "[manifest]", CONTENT_SECTION):
                section = a.strip("[]")
                continue
            if section == "identity":
                if a == "signature":
                    signature = b
                else:
                    fields[a] = b
            elif section == "sheets":
                if b not in ("strict", "info"):
                    raise ValueError(f"{r}行目のシートの扱い「{b}」が不明です")
                sheets.append((a, b))  # type: ignore[arg-type]
            elif section == "inputs":
                inputs.append(_input_spec(row))
            else:
                _add_issued_cell(manifest, row, f"{r}行目の")
        if chunks:  # the compact form: the same rows, in one JSON text
            input_rows, manifest_rows = parse_content_chunks(chunks)
            inputs += [_input_spec(row) for row in input_rows]
            for row in manifest_rows:
                _add_issued_cell(manifest, row, "様式情報の")
        identity = TemplateIdentity.from_fields(fields)
    except ValueError as e:
        diags.error("RETURN_IDENTITY_BROKEN", f"様式情報を読めません（{e}）。発行した様式のシートを削除・変更せずに提出してください", grid.name)
        return None
    if not signature:
        diags.error("RETURN_IDENTITY_BROKEN", "様式情報に署名がありません。発行した様式で提出してください", grid.name)
        return None
    return SignedContent(identity, sheets, manifest, inputs), signature


def check_signature(reading: ReturnReading, key: bytes, key_fingerprint: str) -> Diagnostic | None:
    """None when the return is ours and its signed content is as issued."""
    if reading.content is None:
        return None
    ok = reading.verdicts.get(key)
    if ok is None:
        ok = reading.verdicts[key] = signature_ok(reading.content, reading.signature, key)
    if ok:
        return None
    if reading.content.identity.key_id != key_fingerprint:
        return Diagnostic(
            "RETURN_OTHER_KEY",
            "この様式は別のマスター（または作り直したマスター）から発行されたものです。このマスターから発行した様式で提出してください",
            IDENTITY_SHEET,
            value=reading.content.identity.key_id,
        )
    return Diagnostic(
        "RETURN_SIGNATURE_INVALID",
        "様式情報（所管課・年度・入力欄の位置など）が発行時から変更されているため、取り込めません。発行した様式に入力し直して提出してください",
        IDENTITY_SHEET,
    )
