"""Typesetting of the published pages (envplan.report.typeset): phrase breaks, unbreakable numbers
with units and year labels, English marked lang="en" — and nothing of the text lost or changed."""

from __future__ import annotations

import html as htmllib
import re

from hypothesis import given
from hypothesis import strategies as st

from envplan.report.typeset import Typesetter

ADDED = re.compile(r'<wbr>|<span class="nb">|<span lang="en">|</span>')


def test_numbers_with_units_and_year_labels_do_not_break() -> None:
    t = Typesetter(["千t-CO2", "台"])
    out = t.page("<p>2022年度（令和4年度）までに1,324千t-CO2、9,800台、22.5%にします。</p>")
    # 「-」 is a break opportunity for the browser: held by a span. Digits, kanji and 「%」 are held by
    # `word-break: keep-all` (site.css, print.css): no phrase break (<wbr>) is put inside them.
    assert '<span class="nb">1,324千t-CO2</span>' in out
    assert "9,800台" in out and "22.5%" in out
    # A year label breaks only between its two forms, never inside 「令和4年度」.
    assert "2022年度（令和4年度）までに" in out  # (a line may break before 「（」)


def test_phrases_get_break_opportunities_and_short_labels_stay_whole() -> None:
    t = Typesetter()
    out = t.page("<p>環境学習の推進と事業の開始を図ります。</p><th>分野</th><td>事業の開始</td>")
    assert "環境学習の<wbr>" in out and "事業の<wbr>開始" in out
    assert "<th>分野</th>" in out and "<td>事業の開始</td>" in out  # BudouX would split 「分/野」; keep-all holds short texts


def test_english_is_marked_and_markup_is_left_alone() -> None:
    t = Typesetter()
    page = '<p title="環境学習">Open SDG の CAGR &amp; 環境</p><svg><text>2022年度 CAGR</text></svg><style>.a>b{x:1}</style><code>abc de</code>'
    out = t.page(page)
    assert '<span lang="en">Open SDG</span>' in out and '<span lang="en">CAGR</span> &amp;' in out
    assert '<p title="環境学習">' in out
    assert "<svg><text>2022年度 CAGR</text></svg><style>.a>b{x:1}</style><code>abc de</code>" in out
    assert "CO2" in t.page("<p>CO2の排出</p>") and 'lang="en">CO' not in t.page("<p>CO2の排出</p>")


TEXT = st.text(alphabet=st.sampled_from(list("環境学習の推進と事業開始年度令和平成ガスエネルギー、。（）0123456789,.%台千 ABCDEFGHopensdg-&<>")), max_size=80)


@given(TEXT, TEXT)
def test_nothing_of_the_text_is_lost_or_changed(a: str, b: str) -> None:
    t = Typesetter(["千t-CO2", "台", "%"])
    page = f"<div><p>{htmllib.escape(a)}</p><td>{htmllib.escape(b)}</td></div>"
    out = t.page(page)
    assert ADDED.sub("", out) == page
    assert out.count("<span") == out.count("</span>")


@given(TEXT)
def test_plain_gives_back_the_page_as_rendered(a: str) -> None:
    from envplan.report.typeset import plain

    page = f'<p><span class="status">{htmllib.escape(a)}</span>{htmllib.escape(a)}</p>'
    assert plain(Typesetter(["台"]).page(page)) == page
