"""Words that follow the municipality: a ward's 区民 is a city's 市民, a town's
町民; 区の考え方 becomes 市の考え方. Derived from the municipality's name (its
last character), so that nothing of one city's wording reaches another's files.

Opinions are stored with the neutral 住民意見 and shown with the local word.
"""

from __future__ import annotations

from dataclasses import dataclass

# The kinds of local government, by the character their names end with.
KINDS = "区市町村都道府県"
RESIDENTS_OPINION = "住民意見"  # the stored, neutral value of 区民意見/市民意見/…
# Every resident word a user may type in the 区分 of an opinion.
RESIDENT_WORDS = tuple(f"{k}民" for k in KINDS) + ("住民",)


@dataclass(frozen=True)
class LocalWords:
    office: str  # 市 (the municipality as an actor), "" when unknown
    resident: str  # 市民, or 住民 when the kind is unknown

    @property
    def residents_opinion(self) -> str:
        return f"{self.resident}意見"

    @property
    def response(self) -> str:
        """The heading of the municipality's answer to an opinion."""
        return f"{self.office}の考え方・対応" if self.office else "考え方・対応"

    def opinion_source(self, source: str) -> str:
        """An opinion's 区分 as this municipality says it."""
        return self.residents_opinion if source == RESIDENTS_OPINION else source

    def fill(self, text: str) -> str:
        """A layout text with {resident} / {response} placeholders, in this municipality's words."""
        return text.replace("{resident}", self.resident).replace("{response}", self.response)


def local_words(municipality: str) -> LocalWords:
    name = (municipality or "").strip()
    kind = name[-1:] if name and name[-1] in KINDS else ""
    return LocalWords(office=kind, resident=f"{kind}民" if kind else "住民")


def opinion_source_value(text: str) -> str:
    """The stored value of a 区分 as typed: 市民意見, 区民意見, 住民意見 … → 住民意見."""
    if text.endswith("意見") and text[: -len("意見")] in RESIDENT_WORDS:
        return RESIDENTS_OPINION
    return text


def layout_variants(text: str) -> list[str]:
    """Every way a layout text with placeholders can appear in a workbook (any municipality's words)."""
    if "{" not in text:
        return [text]
    words = [LocalWords(k, f"{k}民") for k in KINDS] + [LocalWords("", "住民")]
    return list(dict.fromkeys(w.fill(text) for w in words))
