Attribute VB_Name = "EnvplanRibbon"
' envplan アドインのリボン（環境計画タブ）のボタン。
' 各ボタンは xlwings の RunPython で envplan.excel_actions の関数を1つ呼びます。
' 処理・進行状況・メッセージはすべて Python 側が扱い、エラーも日本語のメッセージで表示します。
Option Explicit

Private Function HasWorkbook() As Boolean
    If ActiveWorkbook Is Nothing Then
        MsgBox "マスターワークブックを開いてから実行してください。", vbExclamation, "環境計画"
        HasWorkbook = False
    Else
        HasWorkbook = True
    End If
End Function

Public Sub EnvplanValidate(control As IRibbonControl)
    If Not HasWorkbook() Then Exit Sub
    RunPython "import envplan.excel_actions; envplan.excel_actions.validate()"
End Sub

Public Sub EnvplanCompute(control As IRibbonControl)
    If Not HasWorkbook() Then Exit Sub
    RunPython "import envplan.excel_actions; envplan.excel_actions.compute()"
End Sub

Public Sub EnvplanIssue(control As IRibbonControl)
    If Not HasWorkbook() Then Exit Sub
    RunPython "import envplan.excel_actions; envplan.excel_actions.issue_templates()"
End Sub

Public Sub EnvplanConsolidate(control As IRibbonControl)
    If Not HasWorkbook() Then Exit Sub
    RunPython "import envplan.excel_actions; envplan.excel_actions.consolidate()"
End Sub

Public Sub EnvplanPublish(control As IRibbonControl)
    If Not HasWorkbook() Then Exit Sub
    RunPython "import envplan.excel_actions; envplan.excel_actions.publish()"
End Sub

Public Sub EnvplanAbout(control As IRibbonControl)
    If Not HasWorkbook() Then Exit Sub
    RunPython "import envplan.excel_actions; envplan.excel_actions.about()"
End Sub
