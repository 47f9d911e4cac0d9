"""The demo's safety step: broken and hostile files dropped into an inbox of their
own are refused before any parser opens them, and the master is unchanged.

The files are made from an issued template on the spot (a truncated copy, a zip
bomb, a billion-laughs sheet, 100,000 pasted rows, a Word document renamed),
so the demo shows what `return_safety.py` does without shipping any of them.
"""

from __future__ import annotations

import hashlib
import io
import re
import shutil
import zipfile
from pathlib import Path

from envplan.demo.context import DEMO_SAMPLE, DemoContext
from envplan.survey.consolidate import consolidate

MB = 1024 * 1024
_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10))
    + "]>"
)


def _rewrite(data: bytes, part: str, change) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            content = zin.read(info.filename)
            zout.writestr(info.filename, change(content) if info.filename == part else content)
    return out.getvalue()


def hostile_files(template: Path, inbox: Path) -> dict[str, str]:
    """Write the demo's broken and hostile files; returns file name → what it is."""
    inbox.mkdir(parents=True, exist_ok=True)
    data = template.read_bytes()
    made: dict[str, str] = {}

    def put(name: str, content: bytes, what: str) -> None:
        (inbox / name).write_bytes(content)
        made[name] = what

    put("途中で切れた回答.xlsx", data[: len(data) // 2], "送信の途中で切れたファイル")
    bomb = io.BytesIO(data)
    with zipfile.ZipFile(bomb, "a", zipfile.ZIP_DEFLATED) as z, z.open("xl/media/image1.xml", "w", force_zip64=True) as f:
        for _ in range(100):
            f.write(b"\0" * MB)
    put("圧縮爆弾.xlsx", bomb.getvalue(), "展開すると 100 MB になる圧縮爆弾")
    put("実体展開.xlsx", _rewrite(data, "xl/worksheets/sheet1.xml", lambda b: _LAUGHS.encode() + re.sub(rb"^<\?xml[^>]*\?>", b"", b)), "XML の実体展開攻撃（billion laughs）")
    rows = "".join(f'<row r="{r}"><c r="A{r}"><v>{r}</v></c><c r="B{r}"><v>{r}</v></c></row>' for r in range(100, 100_100))
    put("10万行.xlsx", _rewrite(data, "xl/worksheets/sheet2.xml", lambda b: b.replace(b"</sheetData>", rows.encode() + b"</sheetData>")), "10万行を貼り付けた回答")
    word = io.BytesIO()
    with zipfile.ZipFile(word, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
    put("報告書.xlsx", word.getvalue(), "拡張子だけ .xlsx の Word 文書")
    return made


def step_safety(ctx: DemoContext) -> None:

    master = ctx.masters[DEMO_SAMPLE]
    template = sorted((ctx.out / "照会様式").glob("*.xlsx"))[0]
    inbox = ctx.out / "受付_安全確認"
    if inbox.exists():
        shutil.rmtree(inbox)
    made = hostile_files(template, inbox)
    before = hashlib.sha256(master.read_bytes()).hexdigest()
    result = consolidate(master, inbox)
    unchanged = hashlib.sha256(master.read_bytes()).hexdigest() == before
    if result.rejected != len(made) or not unchanged:
        raise RuntimeError(f"安全確認: 想定外の結果です（差戻し {result.rejected}/{len(made)}、マスター{'変更なし' if unchanged else '変更あり'}）")
    codes = "、".join(f"{made[f.file]} → {f.errors[0]['code']}" for f in result.files)
    ctx.lines.append(f"安全確認: 壊れた・危険なファイル {len(made)} 件をすべて開かずに差戻し、マスターは変更なし（{codes}）")
