"""The fonts the PDF is set in, and a check that they cover every character.

The browser embeds (subsets of) the fonts it uses. A character that none of
the report's fonts covers would print as an empty box or in a stray fallback
font, so publishing checks the report's text against the fonts' character
maps and names what is missing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from functools import lru_cache
from pathlib import Path

# Same order as the font-family in templates/css/print.css. The Japanese font
# is Morisawa's BIZ UDPゴシック: a universal-design typeface (easy to read,
# made for public documents; shipped with Windows 10 and later) in TrueType
# outlines with a real bold, which Chromium embeds as proper font subsets
# (CFF fonts such as Noto Sans CJK would end up as Type 3 outlines).
PDF_FONT_STACK: tuple[str, ...] = ("BIZ UDPGothic", "DejaVu Sans", "Noto Sans CJK JP")
CJK_FONT_HINT = "PDF 用の日本語フォント（BIZ UDPゴシック）がありません。`make system-deps`（Debian では fonts-morisawa-bizud-gothic）で入れてください"
CJK_FONT_HINT_WINDOWS = "PDF 用の日本語フォント（BIZ UDPゴシック。Windows 10 以降に標準で入っています）が見つかりません（Windows のフォントフォルダーに BIZ-UDGothicR.ttc があるはずです）。情報システム担当に BIZ UDPゴシック のインストールを依頼してください"
FONT_SUFFIXES = (".ttf", ".ttc", ".otf", ".otc")


class FontError(RuntimeError):
    message_en = "the PDF needs the Japanese font BIZ UDPGothic (part of Windows 10 and later; Debian: fonts-morisawa-bizud-gothic)"


@lru_cache(maxsize=8)
def font_file(family: str) -> tuple[str, int] | None:
    """(file, face index) of an installed family, via fontconfig; None when absent."""
    fc_match = shutil.which("fc-match")
    if fc_match is None:  # Windows and macOS have no fontconfig: look in their font folders
        return _font_index(tuple(str(d) for d in font_dirs())).get(family.lower())
    proc = subprocess.run([fc_match, "-f", "%{family}\t%{file}\t%{index}", family], capture_output=True, text=True, timeout=30)
    if proc.returncode != 0 or not proc.stdout:
        return None
    families, path, index = (proc.stdout.split("\t") + ["", "", "0"])[:3]
    # fc-match always answers with something; only an exact family counts.
    if family.lower() not in [f.strip().lower() for f in families.split(",")]:
        return None
    return path, int(index or 0)


def font_dirs() -> list[Path]:
    """The system's and the user's font folders."""
    if sys.platform == "win32":
        dirs = [Path(os.environ.get("WINDIR", r"C:\Windows")) / "Fonts"]
        if os.environ.get("LOCALAPPDATA"):
            dirs.append(Path(os.environ["LOCALAPPDATA"]) / "Microsoft" / "Windows" / "Fonts")
        return dirs
    home = Path.home()
    if sys.platform == "darwin":
        return [Path("/System/Library/Fonts"), Path("/Library/Fonts"), home / "Library" / "Fonts"]
    return [Path("/usr/share/fonts"), Path("/usr/local/share/fonts"), home / ".local" / "share" / "fonts", home / ".fonts"]


@lru_cache(maxsize=4)
def _font_index(dirs: tuple[str, ...]) -> dict[str, tuple[str, int]]:
    """Family name (lower case, every language the font names it in) → (file, face
    index), the Regular face preferred. About a millisecond a face."""
    from fontTools.ttLib import TTCollection, TTFont

    index: dict[str, tuple[str, int]] = {}
    regular: set[str] = set()
    for folder in dirs:
        for path in sorted(Path(folder).rglob("*")) if Path(folder).is_dir() else []:
            if path.suffix.lower() not in FONT_SUFFIXES:
                continue
            try:
                faces = TTCollection(str(path), lazy=True).fonts if path.suffix.lower() in (".ttc", ".otc") else [TTFont(str(path), lazy=True)]
                for i, face in enumerate(faces):
                    names = face["name"].names
                    families = {str(n.toUnicode()).strip().lower() for n in names if n.nameID in (1, 16)}
                    is_regular = any(n.nameID == 2 and str(n.toUnicode()).strip().lower() in ("regular", "book", "normal") for n in names)
                    for fam in families:
                        if fam not in index or (is_regular and fam not in regular):
                            index[fam] = (str(path), i)
                            if is_regular:
                                regular.add(fam)
            except Exception:  # a broken or unusual font file: not one of ours
                continue
    return index


@lru_cache(maxsize=8)
def _cmap(path: str, index: int) -> frozenset[int]:
    from fontTools.ttLib import TTFont

    font = TTFont(path, fontNumber=index, lazy=True)
    try:
        return frozenset(font.getBestCmap() or {})
    finally:
        font.close()


def require_cjk_font() -> None:
    if font_file(PDF_FONT_STACK[0]) is None:
        raise FontError(CJK_FONT_HINT_WINDOWS if sys.platform == "win32" else CJK_FONT_HINT)


def missing_glyphs(text: str) -> set[str]:
    """Characters of `text` that no font of the PDF stack can draw."""
    require_cjk_font()
    maps = [_cmap(*f) for fam in PDF_FONT_STACK if (f := font_file(fam))]
    wanted = {ch for ch in set(text) if ch.isprintable() and not ch.isspace()}
    return {ch for ch in wanted if not any(ord(ch) in m for m in maps)}
