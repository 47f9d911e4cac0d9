"""全国地方公共団体コード: 5 digits (2 for the prefecture, 3 for the municipality) and a check
digit, as open data of Japanese local governments carries it (自治体標準オープンデータセット).

The check digit (総務省「全国地方公共団体コード」): multiply the five digits by 6, 5, 4, 3, 2,
add, take the remainder of dividing by 11; the check digit is the last digit of 11 − remainder.
"""

from __future__ import annotations

import unicodedata

WEIGHTS = (6, 5, 4, 3, 2)


def check_digit(five: str) -> int:
    if len(five) != 5 or not five.isdigit():
        raise ValueError(f"5 digits expected: {five!r}")
    total = sum(int(d) * w for d, w in zip(five, WEIGHTS))
    return (11 - total % 11) % 10


def normalise_code(text: str) -> str:
    """Full-width digits and surrounding spaces, as people type them, to plain digits."""
    return unicodedata.normalize("NFKC", text).strip()


def code_problem(text: str) -> str:
    """What is wrong with a 全国地方公共団体コード, in Japanese; "" when it is right (or empty)."""
    code = normalise_code(text)
    if not code:
        return ""
    if not code.isdigit():
        return f"全国地方公共団体コード「{text}」に数字以外の文字があります。6桁の数字で入力してください"
    if len(code) == 5:
        return (
            f"全国地方公共団体コード「{code}」は5桁です。検査数字を含む6桁で入力してください"
            f"（5桁の団体コードなら末尾に検査数字 {check_digit(code)} を付けた {code}{check_digit(code)}。"
            "先頭の0が消えた6桁のコードなら、セルを文字列にして0から入力してください）。どちらか決められないため、読み替えません"
        )
    if len(code) != 6:
        return f"全国地方公共団体コード「{code}」は{len(code)}桁です。検査数字を含む6桁で入力してください"
    if not 1 <= int(code[:2]) <= 47:
        return f"全国地方公共団体コード「{code}」の先頭2桁（都道府県の番号）{code[:2]} は 01～47 のどれでもありません"
    expected = check_digit(code[:5])
    if int(code[5]) != expected:
        return f"全国地方公共団体コード「{code}」の検査数字（6桁目）が {code[5]} ですが、前の5桁から計算すると {expected} です（正しくは {code[:5]}{expected}）。入力の誤りがないか確認してください"
    return ""
