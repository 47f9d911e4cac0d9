Attribute VB_Name = "EnvplanRibbon"
' envplan アドインのリボン（環境計画タブ）のボタン。
' 各ボタンは xlwings の RunPython で envplan.excel.actions の関数を1つ呼びます。
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
    RunPython "import envplan.excel.actions; envplan.excel.actions.validate()"
End Sub

Public Sub EnvplanCompute(control As IRibbonControl)
    If Not HasWorkbook() Then Exit Sub
    RunPython "import envplan.excel.actions; envplan.excel.actions.compute()"
End Sub

Public Sub EnvplanIssue(control As IRibbonControl)
    If Not HasWorkbook() Then Exit Sub
    RunPython "import envplan.excel.actions; envplan.excel.actions.issue_templates()"
End Sub

Public Sub EnvplanConsolidate(control As IRibbonControl)
    If Not HasWorkbook() Then Exit Sub
    RunPython "import envplan.excel.actions; envplan.excel.actions.consolidate()"
End Sub

Public Sub EnvplanPublish(control As IRibbonControl)
    If Not HasWorkbook() Then Exit Sub
    RunPython "import envplan.excel.actions; envplan.excel.actions.publish()"
End Sub

Public Sub EnvplanAbout(control As IRibbonControl)
    If Not HasWorkbook() Then Exit Sub
    RunPython "import envplan.excel.actions; envplan.excel.actions.about()"
End Sub

' 確定値: 理由を先に聞き（認めるときに変更履歴に残す。戻すとき・確認だけなら空欄）、Python が変更の一覧を示して
' はい（認める）・いいえ（記録の値に戻す）・キャンセルを尋ねます。
' 理由は UTF-16 の16進（1文字4桁）で渡すので、引用符・改行・どの文字も RunPython の行を壊しません。
Public Sub EnvplanFrozenEdits(control As IRibbonControl)
    Dim reason As Variant
    If Not HasWorkbook() Then Exit Sub
    reason = Application.InputBox( _
        "Excel で直接書き換えた確定済みの年度の値を確認し、認めるか記録の値に戻すかを選びます。" & vbLf & vbLf & _
        "認めるときの修正の理由（変更履歴に残します）を入力してください。" & vbLf & _
        "記録の値に戻すとき・確認だけのときは空欄のまま OK を押してください。", "環境計画 - 確定値", "", Type:=2)
    If VarType(reason) = vbBoolean Then Exit Sub  ' キャンセル
    RunPython "import envplan.excel.actions; envplan.excel.actions.frozen_edits(reason_hex='" & HexText(CStr(reason)) & "')"
End Sub

Private Function HexText(ByVal s As String) As String
    Dim i As Long, hexed As String
    For i = 1 To Len(s)
        hexed = hexed & Right$("000" & Hex$(AscW(Mid$(s, i, 1))), 4)
    Next i
    HexText = hexed
End Function
