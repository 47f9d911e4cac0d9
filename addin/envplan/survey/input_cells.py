"""How an input cell of each kind is issued: its number format and its data validation.

Shared by the template writer and the feedback copy (which gives a problem cell back the
format and validation it was issued with); kept apart from the template writer so that a
worker process rendering feedback copies does not import the plan model with it.
"""

from __future__ import annotations

from openpyxl.worksheet.datavalidation import DataValidation

from envplan.survey.template_layout import CHOICES, TEXT_LIMIT
from envplan.workbook import xlsx_style as st

LEVEL_SEPARATOR = "・"  # between the scheme's symbols in a 評価 input's spec (signed with the template)


def input_number_format(kind: str) -> str:
    """The number format an input cell of this kind is issued with (restored in feedback copies)."""
    return "#,##0" if kind == "amount" else st.INPUT_NUMBER_FORMAT


def validation_for(kind: str, unit: str) -> DataValidation:
    """The data validation of an input cell of this kind (no cells yet)."""
    if kind == "number":
        dv = DataValidation(type="decimal", operator="between", formula1="-1E+15", formula2="1E+15", allow_blank=True, errorStyle="warning")
        dv.errorTitle = "数値の入力"
        dv.error = "数値を入力してください。値がないときは空欄または「－」です（「はい」でこのまま確定できます）。"
        dv.promptTitle = "実績値"
        dv.prompt = f"数値を入力（単位: {unit}）" if unit else "数値を入力"
    elif kind == "amount":
        dv = DataValidation(type="decimal", operator="greaterThanOrEqual", formula1="0", allow_blank=True, errorStyle="warning")
        dv.errorTitle = "金額の入力"
        dv.error = "0以上の金額を数字で入力してください。"
        dv.promptTitle = "事業費"
        dv.prompt = f"金額を入力（単位: {unit}）" if unit else "金額を入力"
    elif kind == "level":  # the plan's own symbols travel in the signed spec (unit)
        options = tuple(unit.split(LEVEL_SEPARATOR)) if unit else ()
        dv = DataValidation(type="list", formula1='"' + ",".join(options) + '"', allow_blank=True, errorStyle="stop")
        dv.errorTitle = "評価の記号"
        dv.error = "評価区分の記号から選んでください: " + "、".join(options)
        dv.promptTitle = "評価"
        dv.prompt = "評価区分の記号を一覧から選んでください（計算した評価区分とは別に、課としての評価を記録します）"
    elif kind.startswith("choice:"):
        options = CHOICES[kind.split(":", 1)[1]]
        dv = DataValidation(type="list", formula1='"' + ",".join(options) + '"', allow_blank=True, errorStyle="stop")
        dv.errorTitle = "一覧から選んでください"
        dv.error = "次のいずれかを選んでください: " + "、".join(options)
        dv.promptTitle = "選択"
        dv.prompt = "一覧から選んでください"
    else:
        dv = DataValidation(type="textLength", operator="lessThanOrEqual", formula1=str(TEXT_LIMIT), allow_blank=True, errorStyle="warning")
        dv.errorTitle = "文字数"
        dv.error = f"{TEXT_LIMIT}字以内で入力してください。"
    dv.showErrorMessage = True
    dv.showInputMessage = bool(dv.prompt)
    return dv
