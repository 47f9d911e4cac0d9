"""The fonts the PDF is set in, and a check that they cover every character.

The browser embeds (subsets of) the fonts it uses. A character that none of
the report's fonts covers would print as an empty box or in a stray fallback
font, so publishing checks the report's text against the fonts' character
maps and names what is missing.
"""

from __future__ import annotations

import shutil
import subprocess
from functools import lru_cache

# Same order as the font-family in templates/css/print.css. The Japanese font
# is Morisawa's BIZ UDPゴシック: a universal-design typeface (easy to read,
# made for public documents; shipped with Windows 10 and later) in TrueType
# outlines with a real bold, which Chromium embeds as proper font subsets
# (CFF fonts such as Noto Sans CJK would end up as Type 3 outlines).
PDF_FONT_STACK: tuple[str, ...] = ("BIZ UDPGothic", "DejaVu Sans", "Noto Sans CJK JP")
CJK_FONT_HINT = "PDF 用の日本語フォント（BIZ UDPゴシック）がありません。`make system-deps`（Debian では fonts-morisawa-bizud-gothic）で入れてください"


class FontError(RuntimeError):
    pass


@lru_cache(maxsize=8)
def font_file(family: str) -> tuple[str, int] | None:
    """(file, face index) of an installed family, via fontconfig; None when absent."""
    fc_match = shutil.which("fc-match")
    if fc_match is None:
        return None
    proc = subprocess.run([fc_match, "-f", "%{family}\t%{file}\t%{index}", family], capture_output=True, text=True, timeout=30)
    if proc.returncode != 0 or not proc.stdout:
        return None
    families, path, index = (proc.stdout.split("\t") + ["", "", "0"])[:3]
    # fc-match always answers with something; only an exact family counts.
    if family.lower() not in [f.strip().lower() for f in families.split(",")]:
        return None
    return path, int(index or 0)


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
        raise FontError(CJK_FONT_HINT)


def missing_glyphs(text: str) -> set[str]:
    """Characters of `text` that no font of the PDF stack can draw."""
    require_cjk_font()
    maps = [_cmap(*f) for fam in PDF_FONT_STACK if (f := font_file(fam))]
    wanted = {ch for ch in set(text) if ch.isprintable() and not ch.isspace()}
    return {ch for ch in wanted if not any(ord(ch) in m for m in maps)}
