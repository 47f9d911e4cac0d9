"""Typesetting of the rendered HTML pages (site and print), done once on the
finished markup rather than in every template:

- Japanese line breaking by phrase (文節): BudouX finds the phrase boundaries and
  a <wbr> is put there; the CSS keeps the rest together (`word-break: keep-all`),
  so a line no longer breaks inside 「環境学習」 or 「事業の開始」.
- A number with its unit (「1,324千t-CO2」「9,800台」「22.5%」) and a year label
  (「2022年度（令和4年度）」「令和4年度」) never break: they are wrapped in
  `<span class="nb">` (white-space: nowrap).
- Runs of English words (「Open SDG」「CAGR」) are marked `lang="en"`, so that
  a screen reader reads them in English (WCAG 3.1.2).

Only text between tags is touched; tags, attributes, comments, and the content of
<svg>, <style>, <script>, <title>, <code> and <pre> are copied as they are.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

import budoux
from markupsafe import Markup, escape

# Elements whose text is left alone: not prose, or not HTML text at all.
SKIP = {"svg", "style", "script", "title", "code", "pre", "textarea"}



def _skipping(names: Iterable[str], hidden: bool = False) -> re.Pattern[str]:
    """Comments, and the named elements with their content, kept as they are (these do not nest in our
    pages); with `hidden`, also any element of class visually-hidden (up to its first closing tag of that
    name: what follows a nested one is typeset as usual)."""
    alternatives = [r"<!--.*?-->", r"<(" + "|".join(sorted(names)) + r")\b[^>]*>.*?</\2\s*>"]
    if hidden:
        alternatives.append(r"<([a-z][a-z0-9]*)\b[^>]*\bclass=\"(?:[^\"]*\s)?visually-hidden[\s\"][^>]*>.*?</\3\s*>")
    return re.compile("(" + "|".join(alternatives) + ")", re.S | re.I)


_SKIPPED = _skipping(SKIP)
# A run of text between two tags, with something other than white space in it.
_TEXT = re.compile(r"(?<=>)[^<>]*[^\s<>][^<>]*(?=<)")
_ENTITY = re.compile(r"(&(?:#\d+|#x[0-9a-fA-F]+|[a-zA-Z][a-zA-Z0-9]*);)")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\uff01-\uff60]")
# Two or more Latin letters in a row, with the words that follow (「Open SDG」「sdg-build」).
_ENGLISH = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]*[A-Za-z]{2}[A-Za-z]*(?:[ -][A-Za-z][A-Za-z]+)*(?![A-Za-z0-9])")
_ERA = r"(?:令和|平成|昭和|R|H|S)(?:\d{1,2}|元)年度?"
_YEAR_LABEL = rf"\d{{4}}年度?(?:（{_ERA}）)?|{_ERA}(?:（\d{{4}}年度?）)?"
# A phrase ends here (a particle, a comma, a closing bracket), so a number or a year may start the next line.
_PHRASE_END = re.compile(r"[\u3041-\u309f、。）」』]$")
_BOTH_FORMS = re.compile(r"(?=（)")  # where a year label's second form starts
_BREAKS_ANYWAY = re.compile(r"[-‐/／\s]")
_NUMBER = r"[-−+]?\d[\d,]*(?:\.\d+)?"
# Units that always stay with their number, in addition to the plan's own units.
BASE_UNITS = ("%", "％", "ポイント", "pt", "倍", "件", "人", "台", "回", "か所", "箇所", "年", "か月", "日", "円", "千円", "万円", "億円", "世帯", "社", "校", "団体")


SHORT = 10  # texts up to this many characters are not split into phrases (keep-all holds them whole)
LONG = 8  # a phrase longer than this may also break where the script changes (漢字｜カタカナ｜ひらがな)
_SCRIPT_CHANGE = re.compile(r"(?<=[\u3400-\u9fff])(?=[\u30a0-\u30ff])|(?<=[\u30a0-\u30ff])(?=[\u3400-\u9fff])|(?<=[\u3040-\u309f])(?=[\u3400-\u9fff])")


def _long_phrase(chunk: str) -> str:
    """BudouX keeps compounds whole (「防災まちづくり部河川下水道課」): in a narrow table
    cell such a phrase would stick out, so a long one may also break where the script changes."""
    if len(chunk) <= LONG:
        return chunk
    return _SCRIPT_CHANGE.sub("<wbr>", chunk)


@lru_cache(maxsize=1)
def _parser() -> budoux.Parser:
    return budoux.load_default_japanese_parser()


class Typesetter:
    """Typesets pages for one plan: the plan's units decide what counts as a number with its unit."""

    def __init__(self, units: Iterable[str] = (), skip_hidden: bool = False) -> None:
        """`skip_hidden` leaves the text of elements of class visually-hidden as it is: for print, where
        such text is not seen and a <wbr> only costs the tagged PDF's printing (on the site a screen
        reader's user may still enlarge and reflow it)."""
        self._skipped = _skipping(SKIP, hidden=True) if skip_hidden else _SKIPPED
        names = {u.strip() for u in (*BASE_UNITS, *units) if u and u.strip() and len(u.strip()) <= 16}
        alternatives = "|".join(re.escape(u) for u in sorted(names, key=len, reverse=True))
        # A number with its unit; a large-number prefix (千・万・億) may come between.
        self._keep = re.compile(rf"(?:{_YEAR_LABEL})|{_NUMBER}\s?(?:[千万億])?(?:{alternatives})")
        self._text = lru_cache(maxsize=20000)(self._typeset_text)

    def page(self, html: str) -> str:
        # Regions left alone are cut out first; in the rest only the text between tags is
        # visited (one regex pass, no walk over the tags in Python: a site has thousands of pages).
        out: list[str] = []
        pos = 0
        for m in self._skipped.finditer(html):
            out.append(_TEXT.sub(self._text_match, html[pos : m.start()]))
            out.append(m.group(0))
            pos = m.end()
        out.append(_TEXT.sub(self._text_match, html[pos:]))
        return "".join(out)

    def _text_match(self, m: re.Match[str]) -> str:
        return str(self._text(m.group(0)))

    def _typeset_text(self, text: str) -> str:
        # Entities (&amp; …) pass through whole; the text around them is typeset.
        pieces = _ENTITY.split(text)
        return "".join(p if k % 2 else self._plain(p) for k, p in enumerate(pieces))

    def _plain(self, text: str) -> str:
        out: list[str] = []
        pos = 0
        for m in self._keep.finditer(text):
            before = text[pos : m.start()]
            out.append(self._phrases(before, whole=len(text)))
            if _PHRASE_END.search(before):
                out.append("<wbr>")  # 「平成34年度までに｜31％」: a phrase ends before the number (keep-all would hold the whole run)
            # A year label may break only between its two forms: 「2022年度」「（令和4年度）」. Inside a
            # form, `word-break: keep-all` already holds digits and kanji together; a span is needed only
            # where the browser would break anyway (after 「-」「/」, at a space: 「1,324千t-/CO2」).
            kept = _BOTH_FORMS.sub("\x00", m.group(0))
            # (A line may break before 「（」 without a <wbr>.)
            out.append("".join(f'<span class="nb">{self._english(k)}</span>' if _BREAKS_ANYWAY.search(k) else self._english(k) for k in kept.split("\x00")))
            pos = m.end()
        out.append(self._phrases(text[pos:], whole=len(text)))
        return "".join(out)

    def _phrases(self, text: str, whole: int = 0) -> str:
        """`text` with its phrase breaks; `whole` is the length of the text it is part of (beside a
        number or a year): a short piece of a long text is split too (「までに導入施設数の増」)."""
        if not text:
            return ""
        if not _CJK.search(text):
            return self._english(text)
        if max(len(text), whole) <= SHORT:
            return self._english(text)  # BudouX splits short labels badly (「分/野」「関係/課」); and a tagged PDF pays for every <wbr>
        return "<wbr>".join(_long_phrase(self._english(chunk)) for chunk in _parser().parse(text))

    @staticmethod
    def _english(text: str) -> str:
        return _ENGLISH.sub(lambda m: f'<span lang="en">{m.group(0)}</span>', text)


def phrase_breaks(text: str) -> Markup:
    """`text` escaped, with a <wbr> at every phrase boundary however short it is: for a label in a
    cell narrower than the label (a one-year phase of the roadmap), which would otherwise be broken
    anywhere (「事業/の開/始」) rather than between phrases (「事業の/開始」)."""
    if not _CJK.search(text):
        return escape(text)
    return Markup("<wbr>").join(escape(chunk) for chunk in _parser().parse(text))


_OURS = re.compile(r'<wbr>|<span class="nb">|<span lang="en">|<span\b[^>]*>|</span>')


def plain(html: str) -> str:
    """The page as it was before `Typesetter.page`: its own <wbr> and spans taken out
    (other spans kept). For reading a page's text back, as the tests do."""
    out: list[str] = []
    ours: list[bool] = []
    pos = 0
    for m in _OURS.finditer(html):
        out.append(html[pos : m.start()])
        tag = m.group(0)
        if tag == "</span>":
            if not (ours.pop() if ours else False):
                out.append(tag)
        elif tag in ('<span class="nb">', '<span lang="en">'):
            ours.append(True)
        elif tag == "<wbr>":
            pass
        else:
            ours.append(False)
            out.append(tag)
        pos = m.end()
    out.append(html[pos:])
    return "".join(out)
