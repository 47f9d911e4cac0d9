"""The licence of the open data (設定「オープンデータの利用条件」): the names Japanese
governments use, each with the page a user of the data reads. A name typed in another
form (CC-BY4.0, 公共データ利用規約(第1.0版)) is recognised; an unknown one is reported,
never replaced."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass


@dataclass(frozen=True)
class Licence:
    name: str  # as written in the README and the JSON
    url: str
    attribution: str  # how a user credits the source, in Japanese


LICENCES: tuple[Licence, ...] = (
    Licence("CC BY 4.0", "https://creativecommons.org/licenses/by/4.0/deed.ja", "クリエイティブ・コモンズ 表示 4.0 国際 ライセンス。出典（作成者）を表示すれば、複製・加工・再配布・商用利用ができます"),
    Licence(
        "公共データ利用規約（第1.0版）",
        "https://www.digital.go.jp/resources/open_data/public_data_license_v1.0",
        "公共データ利用規約（第1.0版）（PDL1.0。CC BY 4.0 と互換）。出典を表示すれば、複製・加工・再配布・商用利用ができます",
    ),
    Licence("CC0 1.0", "https://creativecommons.org/publicdomain/zero/1.0/deed.ja", "クリエイティブ・コモンズ CC0 1.0（権利を放棄）。出典の表示なしで自由に利用できます"),
)


def _key(text: str) -> str:
    t = unicodedata.normalize("NFKC", text).lower()
    return re.sub(r"[\s\-_()（）]|ライセンス|license|licence", "", t)


_ALIASES = {
    "ccby4.0": 0, "ccby40": 0, "クリエイティブコモンズ表示4.0国際": 0,
    "公共データ利用規約第1.0版": 1, "公共データ利用規約1.0": 1, "pdl1.0": 1,
    "cc01.0": 2, "cc0": 2,  # CC0 has one version only; CC BY and PDL without a version are not guessed
}


def find_licence(text: str) -> Licence | None:
    """The licence a typed name means, or None when it is not one of LICENCES."""
    k = _key(text)
    if k in _ALIASES:
        return LICENCES[_ALIASES[k]]
    return next((lic for lic in LICENCES if _key(lic.name) == k), None)


def licence_names() -> str:
    return "、".join(f"「{lic.name}」" for lic in LICENCES)
