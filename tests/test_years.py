import pytest
from hypothesis import given
from hypothesis import strategies as st

from envplan.plan.years import YearError, era_of_fy, fy_label, parse_fy, parse_fy_range, wareki

ERA_START = {"平成": 1989, "令和": 2019, "昭和": 1926}
LETTER = {"平成": "H", "令和": "R", "昭和": "S"}


@pytest.mark.parametrize(
    "text,fy",
    [
        ("平成32年度", 2020),
        ("2020年度", 2020),
        ("令和2年度", 2020),
        ("令和元年度", 2019),
        ("平成元年度", 1989),
        ("H25", 2013),
        ("H34", 2022),
        ("h32", 2020),
        ("R2", 2020),
        ("R元", 2019),
        ("２０２０年度", 2020),
        ("平成３２年度", 2020),
        ("2011(H23)年度", 2011),
        ("2020年度（令和2年度）", 2020),
        ("FY2020", 2020),
        (2020, 2020),
        (2020.0, 2020),
        (" 令和 2 年度 ", 2020),
        ("令和２年度末", 2020),  # a table's head: the figure at the end of that year
        ("2020年度末", 2020),
        ("2021年3月末時点", 2020),  # a figure at a month's end: the fiscal year of that month (April to March)
        ("令和3年3月末現在", 2020),
        ("2020年12月末", 2020),
        ("2021年4月", 2021),
    ],
)
def test_parse_fy_forms(text, fy):
    assert parse_fy(text) == fy


@pytest.mark.parametrize("bad", ["", "令和", "2020年度（令和3年度）", "H", "abc", 2020.5, True, "平成0年度", 99999, None, "2020年末", "2021年13月"])
def test_parse_fy_rejects(bad):
    with pytest.raises(YearError) as e:
        parse_fy(bad)
    assert "年度として読めません" in str(e.value)


def test_display():
    assert fy_label(2020) == "2020年度（令和2年度）"
    assert fy_label(2019) == "2019年度（令和元年度）"
    assert fy_label(2013) == "2013年度（平成25年度）"
    assert wareki(1989) == "平成元年度"


@pytest.mark.parametrize(
    "text,expected",
    [
        ("平成25年度～平成34年度", (2013, 2022)),
        ("平成23年度～", (2011, None)),
        ("～平成30年度", (None, 2018)),
        ("H25-H34", (2013, 2022)),
        ("2013〜2022", (2013, 2022)),
        ("平成25年度", (2013, 2013)),
        ("2011(H23)〜2013(H25)", (2011, 2013)),
    ],
)
def test_ranges(text, expected):
    assert parse_fy_range(text) == expected


def test_range_rejects_reversed():
    with pytest.raises(YearError):
        parse_fy_range("平成34年度～平成25年度")


@given(st.integers(min_value=1927, max_value=2100))
def test_display_round_trips(fy):
    era = era_of_fy(fy)
    assert parse_fy(wareki(fy)) == fy
    assert parse_fy(fy_label(fy)) == fy
    assert parse_fy(era.short) == fy
    assert parse_fy(f"{fy}年度") == fy


@given(st.sampled_from(sorted(ERA_START)), st.integers(min_value=1, max_value=60), st.booleans(), st.booleans())
def test_era_years_beyond_era_end(era, n, full_width, letter):
    """Plans keep counting in an era past its end (平成32年度 = 2020年度)."""
    number = str(n).translate(str.maketrans("0123456789", "０１２３４５６７８９")) if full_width else str(n)
    text = f"{LETTER[era]}{number}" if letter else f"{era}{number}年度"
    assert parse_fy(text) == ERA_START[era] + n - 1


@given(st.integers(min_value=1990, max_value=2100), st.integers(min_value=0, max_value=30))
def test_range_round_trip(start, length):
    end = start + length
    assert parse_fy_range(f"{wareki(start)}～{wareki(end)}") == (start, end)
    assert parse_fy_range(f"{wareki(start)}～") == (start, None)
