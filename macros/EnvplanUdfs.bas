Attribute VB_Name = "EnvplanUdfs"
' envplan のワークシート関数（envplan/udfs.py から生成。手で編集しないでください: envplan addin build --refresh-udfs）
#Const App = "Microsoft Excel" 'Adjust when using outside of Excel
Function ENVPLAN_ACHIEVEMENT(actual, plan, Optional direction)
    #If App = "Microsoft Excel" Then
        If TypeOf Application.Caller Is Range Then On Error GoTo failed
        ENVPLAN_ACHIEVEMENT = XLPy.CallUDF("envplan.excel.udfs", "ENVPLAN_ACHIEVEMENT", Array(actual, plan, direction), ActiveWorkbook, Application.Caller)
        Exit Function
    #Else
        ENVPLAN_ACHIEVEMENT = XLPy.CallUDF("envplan.excel.udfs", "ENVPLAN_ACHIEVEMENT", Array(actual, plan, direction))
        Exit Function
    #End If
failed:
    ENVPLAN_ACHIEVEMENT = Err.Description
End Function

Function ENVPLAN_PROGRESS(actual, baseline, target)
    #If App = "Microsoft Excel" Then
        If TypeOf Application.Caller Is Range Then On Error GoTo failed
        ENVPLAN_PROGRESS = XLPy.CallUDF("envplan.excel.udfs", "ENVPLAN_PROGRESS", Array(actual, baseline, target), ActiveWorkbook, Application.Caller)
        Exit Function
    #Else
        ENVPLAN_PROGRESS = XLPy.CallUDF("envplan.excel.udfs", "ENVPLAN_PROGRESS", Array(actual, baseline, target))
        Exit Function
    #End If
failed:
    ENVPLAN_PROGRESS = Err.Description
End Function

Function ENVPLAN_EXPECTED(baseline_fy, baseline, target_fy, target, fy)
    #If App = "Microsoft Excel" Then
        If TypeOf Application.Caller Is Range Then On Error GoTo failed
        ENVPLAN_EXPECTED = XLPy.CallUDF("envplan.excel.udfs", "ENVPLAN_EXPECTED", Array(baseline_fy, baseline, target_fy, target, fy), ActiveWorkbook, Application.Caller)
        Exit Function
    #Else
        ENVPLAN_EXPECTED = XLPy.CallUDF("envplan.excel.udfs", "ENVPLAN_EXPECTED", Array(baseline_fy, baseline, target_fy, target, fy))
        Exit Function
    #End If
failed:
    ENVPLAN_EXPECTED = Err.Description
End Function

Function ENVPLAN_STATUS(actual, target, baseline, direction, Optional fy, Optional baseline_fy, Optional target_fy, Optional plan_value, Optional previous)
    #If App = "Microsoft Excel" Then
        If TypeOf Application.Caller Is Range Then On Error GoTo failed
        ENVPLAN_STATUS = XLPy.CallUDF("envplan.excel.udfs", "ENVPLAN_STATUS", Array(actual, target, baseline, direction, fy, baseline_fy, target_fy, plan_value, previous, Nothing), ActiveWorkbook, Application.Caller)
        Exit Function
    #Else
        ENVPLAN_STATUS = XLPy.CallUDF("envplan.excel.udfs", "ENVPLAN_STATUS", Array(actual, target, baseline, direction, fy, baseline_fy, target_fy, plan_value, previous, Nothing))
        Exit Function
    #End If
failed:
    ENVPLAN_STATUS = Err.Description
End Function

Function ENVPLAN_WAREKI(fy)
    #If App = "Microsoft Excel" Then
        If TypeOf Application.Caller Is Range Then On Error GoTo failed
        ENVPLAN_WAREKI = XLPy.CallUDF("envplan.excel.udfs", "ENVPLAN_WAREKI", Array(fy), ActiveWorkbook, Application.Caller)
        Exit Function
    #Else
        ENVPLAN_WAREKI = XLPy.CallUDF("envplan.excel.udfs", "ENVPLAN_WAREKI", Array(fy))
        Exit Function
    #End If
failed:
    ENVPLAN_WAREKI = Err.Description
End Function

Function ENVPLAN_FY_LABEL(fy)
    #If App = "Microsoft Excel" Then
        If TypeOf Application.Caller Is Range Then On Error GoTo failed
        ENVPLAN_FY_LABEL = XLPy.CallUDF("envplan.excel.udfs", "ENVPLAN_FY_LABEL", Array(fy), ActiveWorkbook, Application.Caller)
        Exit Function
    #Else
        ENVPLAN_FY_LABEL = XLPy.CallUDF("envplan.excel.udfs", "ENVPLAN_FY_LABEL", Array(fy))
        Exit Function
    #End If
failed:
    ENVPLAN_FY_LABEL = Err.Description
End Function

Function ENVPLAN_FY(fy)
    #If App = "Microsoft Excel" Then
        If TypeOf Application.Caller Is Range Then On Error GoTo failed
        ENVPLAN_FY = XLPy.CallUDF("envplan.excel.udfs", "ENVPLAN_FY", Array(fy), ActiveWorkbook, Application.Caller)
        Exit Function
    #Else
        ENVPLAN_FY = XLPy.CallUDF("envplan.excel.udfs", "ENVPLAN_FY", Array(fy))
        Exit Function
    #End If
failed:
    ENVPLAN_FY = Err.Description
End Function

