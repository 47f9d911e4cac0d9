import datetime as dt
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from envplan.plan.numbers import format_number, read_number

FW = str.maketrans("0123456789,.", "０１２３４５６７８９，．")


@pytest.mark.parametrize(
    "raw,value,warnings",
    [
        ("１，３２４", 1324, []),
        ("1,324", 1324, []),
        ("約500", 500, ["NUMBER_APPROXIMATE"]),
        ("1,500程度", 1500, ["NUMBER_APPROXIMATE"]),
        ("1 000", 1000, []),  # grouped by threes with a space
        ("31％", 31, ["NUMBER_UNIT_STRIPPED"]),
        ("△5", -5, []),
        ("▲1.5", -1.5, []),
        (" 12.5 ", 12.5, []),
        (7, 7, []),
        (2.25, 2.25, []),
    ],
)
def test_reads(raw, value, warnings):
    r = read_number(raw)
    assert r.ok and r.value == value
    assert [c for c, _ in r.warnings] == warnings


@pytest.mark.parametrize("raw", [None, "", "－", "-", "未集計", "―", "　"])
def test_no_value_markers(raw):
    r = read_number(raw)
    assert r.ok and r.value is None


def test_unit_typed_into_cell():
    r = read_number("440g/人・日", "g/人・日")
    assert r.value == 440 and r.warnings[0][0] == "NUMBER_UNIT_STRIPPED"
    r = read_number("440g", "g/人・日")
    assert r.value == 440
    assert read_number("440kg", "g/人・日").error == "NUMBER_INVALID"


@pytest.mark.parametrize(
    "raw,code",
    [
        ("abc", "NUMBER_INVALID"),
        ("1,32,4", "NUMBER_BAD_SEPARATOR"),
        (dt.date(2020, 4, 1), "NUMBER_IS_DATE"),
        (True, "NUMBER_BOOLEAN"),
        (float("nan"), "NUMBER_NOT_FINITE"),
        (float("inf"), "NUMBER_NOT_FINITE"),
        ("12..5", "NUMBER_INVALID"),
        ("12 5", "NUMBER_BAD_SEPARATOR"),  # 125, 12.5 or two figures: not guessed
    ],
)
def test_errors(raw, code):
    r = read_number(raw)
    assert not r.ok and r.value is None and r.error == code and r.error_message


@pytest.mark.parametrize(
    "raw,unit,advice",
    [
        ("105・3", "g", "「105.3」のように「.」で"),  # ・ as the decimal point (a real plan's quirk): said, never guessed
        ("約70万t", "t", "すべての桁を数字で"),
        ("延べ2万3千人", "人", "すべての桁を数字で"),
        ("15%増", "%", "その年度の値を"),
        ("3O.5", "", "英字の「O」"),
        ("5.", "", "整数なら「5」"),
        ("たくさん", "", "数字だけを入力してください"),
        # The unit holds the scale already: all the digits would be a thousand times too much.
        ("1,346千t", "千t-CO2", "「千t-CO2」単位の数を数字だけで"),
        ("2万1959", "千円", "「千円」単位の数を数字だけで"),
    ],
)
def test_says_how_to_type_what_it_cannot_read(raw, unit, advice):
    r = read_number(raw, unit)
    assert r.error == "NUMBER_INVALID" and r.value is None
    assert f"「{raw}」は数値として読めません" in r.error_message and advice in r.error_message


@given(st.integers(min_value=0, max_value=10**12), st.booleans(), st.booleans())
def test_integers_as_typed(n, grouped, full_width):
    text = f"{n:,}" if grouped else str(n)
    if full_width:
        text = text.translate(FW)
    assert read_number(text).value == n


@given(st.floats(min_value=-1e9, max_value=1e9, allow_nan=False, allow_infinity=False))
def test_formatted_numbers_read_back(x):
    x = round(x, 3)
    text = format_number(x)
    if x < 0:
        text = "△" + text.lstrip("-")
    assert math.isclose(read_number(text).value, x, abs_tol=1e-9)


def test_a_dash_look_alike_is_no_value_and_said_so():
    """「ー」 (the kana long mark, what an IME gives for a dash) is read as 「－」 meant, with a warning;
    「－」 itself is read silently."""
    look_alike = read_number("ー")
    assert look_alike.ok and look_alike.value is None and [code for code, _ in look_alike.warnings] == ["NUMBER_NO_VALUE"]
    assert read_number("－").warnings == [] and read_number("－").value is None
