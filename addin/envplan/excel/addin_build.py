"""`envplan addin build`: the Excel add-in (envplan.xlam) made from the text in `macros/`.

The add-in is an Office Open XML package written here part by part: a
hidden information sheet, the ribbon (`macros/ribbon.xml`) and a VBA project
built by `vba_project.py` from

- xlwings' own custom-add-in module (`xlwings_custom_addin.bas`, BSD
  licence, taken from the installed xlwings so that the add-in and the
  Python package always have the same version) with its settings name set to
  `envplan` (so the settings file is `%USERPROFILE%\\.envplan\\envplan.conf`),
  and its `Dictionary` class (MIT licence, used on macOS);
- our modules in `macros/*.bas` (ribbon callbacks) and the UDF wrappers
  `macros/EnvplanUdfs.bas`, generated from `udfs.py`.

Everything is deterministic: the same sources give the same bytes.
"""

from __future__ import annotations

import hashlib
import inspect
import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree as ET
from xml.sax.saxutils import escape

import xlwings

from envplan import __version__
from envplan.excel.vba_project import (
    WORKBOOK_CLSID,
    WORKSHEET_CLSID,
    VbaModule,
    build_vba_project,
    document_module,
    module_from_export,
    normalise_newlines,
)
from envplan.paths import MACROS_DIR

ADDIN_NAME = "envplan.xlam"
PROJECT_NAME = "EnvplanAddin"
CONFIG_NAME = "envplan"  # xlwings' PROJECT_NAME: settings file .envplan\envplan.conf
UDF_MODULE = "EnvplanUdfs"
UDF_PYTHON_MODULE = "envplan.excel.udfs"
RIBBON_FILE = "ribbon.xml"
CUSTOMUI_NS = "http://schemas.microsoft.com/office/2006/01/customui"
INFO_SHEET = "アドイン情報"
XLWINGS_DIR = Path(xlwings.__file__).resolve().parent

_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


class AddinSourceError(ValueError):
    pass


@dataclass
class BuildResult:
    path: Path
    modules: list[VbaModule]
    sha256: str
    xlwings_version: str

    def to_json(self) -> dict[str, object]:
        return {
            "path": str(self.path),
            "sha256": self.sha256,
            "xlwings_version": self.xlwings_version,
            "envplan_version": __version__,
            "modules": [{"name": m.name, "kind": m.kind} for m in self.modules],
        }


# --- sources --------------------------------------------------------------------


def xlwings_module() -> VbaModule:
    text = (XLWINGS_DIR / "xlwings_custom_addin.bas").read_text(encoding="ascii")
    text, count = re.subn(r'(Public Const PROJECT_NAME As String = )"myaddin"', rf'\1"{CONFIG_NAME}"', text)
    if count != 1:
        raise AddinSourceError("xlwings_custom_addin.bas no longer has PROJECT_NAME = \"myaddin\"; check the xlwings version")
    if f'XLWINGS_VERSION As String = "{xlwings.__version__}"' not in text:
        raise AddinSourceError("xlwings_custom_addin.bas does not match the installed xlwings version")
    return module_from_export(text, "standard", "xlwings_custom_addin.bas")


def dictionary_class() -> VbaModule:
    return module_from_export((XLWINGS_DIR / "addin" / "Dictionary.cls").read_text(encoding="ascii"), "class", "Dictionary.cls")


def udf_module_source() -> str:
    """The VBA wrappers of the UDFs, in the form xlwings' "Import Functions"
    writes into an add-in: each calls the xlwings COM server with its arguments."""
    from envplan.excel import udfs

    lines = [
        f'Attribute VB_Name = "{UDF_MODULE}"',
        "' envplan のワークシート関数（envplan/udfs.py から生成。手で編集しないでください: envplan addin build --refresh-udfs）",
        "#Const App = \"Microsoft Excel\" 'Adjust when using outside of Excel",
    ]
    for func in udfs.UDFS:
        name = func.__name__
        params = []
        for p in inspect.signature(func).parameters.values():
            if p.name != "caller":  # xlwings' reserved argument: the calling cell, filled in by call_udf
                params.append(("Optional " if p.default is not inspect.Parameter.empty else "") + p.name)
        args = ", ".join("Nothing" if p.name == "caller" else p.name for p in inspect.signature(func).parameters.values())
        lines += [
            f"Function {name}({', '.join(params)})",
            '    #If App = "Microsoft Excel" Then',
            "        If TypeOf Application.Caller Is Range Then On Error GoTo failed",
            f'        {name} = XLPy.CallUDF("{UDF_PYTHON_MODULE}", "{name}", Array({args}), ActiveWorkbook, Application.Caller)',
            "        Exit Function",
            "    #Else",
            f'        {name} = XLPy.CallUDF("{UDF_PYTHON_MODULE}", "{name}", Array({args}))',
            "        Exit Function",
            "    #End If",
            "failed:",
            f"    {name} = Err.Description",
            "End Function",
            "",
        ]
    return normalise_newlines("\n".join(lines) + "\n")


def refresh_udf_module(macros: Path = MACROS_DIR) -> Path:
    path = macros / f"{UDF_MODULE}.bas"
    path.write_bytes(udf_module_source().encode("utf-8"))
    return path


def macro_modules(macros: Path = MACROS_DIR) -> list[VbaModule]:
    """Our modules as kept in `macros/` (UTF-8 text; converted to the project's code page)."""
    modules = []
    for path in sorted(macros.glob("*.bas")) + sorted(macros.glob("*.cls")):
        kind = "class" if path.suffix == ".cls" else "standard"
        module = module_from_export(path.read_text(encoding="utf-8"), kind, path.name)  # type: ignore[arg-type]
        if module.name != path.stem:
            raise AddinSourceError(f"{path.name}: Attribute VB_Name is {module.name!r}; name the file {module.name}{path.suffix}")
        modules.append(module)
    if not any(m.name == UDF_MODULE for m in modules):
        raise AddinSourceError(f"macros/{UDF_MODULE}.bas is missing; run `envplan addin build --refresh-udfs`")
    return modules


def ribbon_xml(macros: Path = MACROS_DIR) -> bytes:
    data = (macros / RIBBON_FILE).read_bytes()
    try:
        root = ET.fromstring(data)
    except ET.ParseError as e:
        raise AddinSourceError(f"macros/{RIBBON_FILE} is not well-formed XML: {e}") from e
    if root.tag != f"{{{CUSTOMUI_NS}}}customUI":
        raise AddinSourceError(f"macros/{RIBBON_FILE}: the root must be customUI in namespace {CUSTOMUI_NS}")
    unqualified = [a for el in root.iter() if (a := el.get("onAction")) and not re.fullmatch(r"[A-Za-z]\w*\.[A-Za-z]\w*", a)]
    if unqualified:
        raise AddinSourceError(f"macros/{RIBBON_FILE}: qualify each onAction with its module (EnvplanRibbon.Name): {', '.join(unqualified)}")
    return data


def ribbon_actions(xml: bytes) -> list[tuple[str, str]]:
    """(control id, onAction) of every control with an action (Module.Sub)."""
    root = ET.fromstring(xml)
    return [(el.get("id", ""), el.get("onAction", "")) for el in root.iter() if el.get("onAction")]


@dataclass(frozen=True)
class ServerTarget:
    """The section's server a server-mode add-in calls (`envplan addin build --server URL`).

    Only its address: the add-in's API key is never built into the add-in (its VBA can be read
    by anyone who has the file). Each user's key sits in a file of their own profile, read by
    the VBA at each button press (KEY_FILE_WINDOWS / KEY_FILE_MAC), asked for once when missing."""

    url: str

    def __post_init__(self) -> None:
        if not SERVER_URL.fullmatch(self.url):
            raise AddinSourceError(f"サーバーの URL は http:// または https:// で始まる、引用符や空白を含まないものにしてください（指定: {self.url}）")


SERVER_URL = re.compile(r"https?://[A-Za-z0-9.\-]+(:\d{1,5})?(/[A-Za-z0-9._~\-/]*)?")
RIBBON_TIMEOUT_SECONDS = 300  # how long a button waits for the server (publishing with its PDF takes a while)
KEY_FILE_WINDOWS = r"%APPDATA%\envplan\server-key.txt"
KEY_FILE_MAC = "~/.envplan/server-key.txt"  # in Excel's sandbox: ~/Library/Containers/com.microsoft.Excel/Data/.envplan/
# xlwings' own VBA for RunRemotePython (xlwings Server), shipped with the installed xlwings.
REMOTE_MODULES = (("Remote.bas", "standard"), ("WebHelpers.bas", "standard"), ("IWebAuthenticator.cls", "class"), ("WebClient.cls", "class"), ("WebRequest.cls", "class"), ("WebResponse.cls", "class"))
RIBBON_MODULE = "EnvplanRibbon"
_RUN_PYTHON = re.compile(r'RunPython "import envplan\.excel\.actions; envplan\.excel\.actions\.(\w+)\(\)"')
_RUN_FROZEN = re.compile(re.escape("RunPython \"import envplan.excel.actions; envplan.excel.actions.frozen_edits(reason_hex='\" & HexText(CStr(reason)) & \"')\""))

# The user's API key, read from their own profile at each press; asked for (and saved) when missing.
_KEY_VBA = """
' サーバー方式の API キー: アドインには書き込まず、この PC のユーザーごとのファイルに置きます
' （Windows: %APPDATA%\\envplan\\server-key.txt、macOS: ~/.envplan/server-key.txt）。ボタンを押すたびに読み、
' ないときは一度だけ尋ねて保存します。キーを入れ直すときは、このファイルを削除してからボタンを押してください。
Private Function EnvplanKeyFolder() As String
#If Mac Then
    EnvplanKeyFolder = Environ("HOME") & "/.envplan"
#Else
    EnvplanKeyFolder = Environ("APPDATA") & "\\envplan"
#End If
End Function

Private Function EnvplanKeyReady() As Boolean
    Dim folder As String, path As String, f As Integer, key As String
    folder = EnvplanKeyFolder()
    path = folder & Application.PathSeparator & "server-key.txt"
    envplanKey = ""
    If Len(Dir(path)) > 0 Then
        f = FreeFile
        Open path For Input As #f
        If Not EOF(f) Then Line Input #f, key
        Close #f
        envplanKey = Trim$(key)
    End If
    If Len(envplanKey) = 0 Then
        key = Trim$(InputBox("サーバー方式のアドインの API キーを入力してください（環境計画の担当課から受け取ったもの）。" & vbLf & vbLf & _
            "このユーザーのファイル " & path & " に保存し、次からは尋ねません。", "環境計画 - API キー"))
        If Len(key) = 0 Then Exit Function
        If Len(key) < 16 Then
            MsgBox "API キーは16文字以上です。もう一度ボタンを押して入力し直してください。", vbExclamation, "環境計画"
            Exit Function
        End If
        If Len(Dir(folder, vbDirectory)) = 0 Then MkDir folder
        f = FreeFile
        Open path For Output As #f
        Print #f, key
        Close #f
        envplanKey = key
    End If
    EnvplanKeyReady = True
End Function
"""


def remote_modules() -> list[VbaModule]:
    return [module_from_export((XLWINGS_DIR / "addin" / name).read_text(encoding="ascii"), kind, name) for name, kind in REMOTE_MODULES]  # type: ignore[arg-type]


def server_ribbon_source(text: str, server: ServerTarget) -> str:
    """The ribbon module with each RunPython call turned into RunRemotePython on the server's
    /xlwings/<action> (the same action names), the user's API key (read from their profile) as its auth."""
    text, frozen = _RUN_FROZEN.subn(
        'envplanPendingReason = HexText(CStr(reason))\n    If EnvplanKeyReady() Then RunRemotePython ENVPLAN_SERVER & "/xlwings/frozen_edits?reason_hex=" & envplanPendingReason, auth:=envplanKey, timeout:=ENVPLAN_TIMEOUT_MS', text
    )
    text, plain = _RUN_PYTHON.subn(lambda m: f'If EnvplanKeyReady() Then RunRemotePython ENVPLAN_SERVER & "/xlwings/{m[1]}", auth:=envplanKey, timeout:=ENVPLAN_TIMEOUT_MS', text)
    left = [line for line in text.splitlines() if "RunPython " in line and not line.lstrip().startswith("'")]
    if frozen != 1 or plain < 5 or left:
        raise AddinSourceError(f"macros/{RIBBON_MODULE}.bas: a RunPython call has a form the server build does not know; update addin_build.server_ribbon_source")
    constants = (
        "' サーバー方式（envplan addin build --server）: ボタンは xlwings の RunRemotePython でサーバーの envplan を呼びます（この PC に Python は不要）。\n"
        f'Private Const ENVPLAN_SERVER As String = "{server.url.rstrip("/")}"\n'
        f"Private Const ENVPLAN_TIMEOUT_MS As Long = {RIBBON_TIMEOUT_SECONDS * 1000}  ' 公表（PDF）などの長い処理も待つ（xlwings の既定は 30 秒。サーバーの limits.ribbon_timeout_seconds と同じ）\n"
        "Private envplanKey As String  ' ボタンを押したときにユーザーのファイルから読んだ API キー（アドインには保存しない）\n"
        "Private envplanPendingReason As String  ' 確定値: 理由を、質問の答えを送る2回目の呼び出しまで覚えておく\n"
    )
    answer = (
        _KEY_VBA + "\n' サーバー方式の「確定値」: サーバーが表示した質問で押したボタン（yes / no / cancel）を xlwings がここに渡し、\n"
        "' 同じ理由を付けてもう一度サーバーを呼びます（質問はモーダルなので、その間にブックは変わりません）。\n"
        "Public Sub EnvplanFrozenAnswer(answer As String)\n"
        '    If EnvplanKeyReady() Then RunRemotePython ENVPLAN_SERVER & "/xlwings/frozen_edits?reason_hex=" & envplanPendingReason & "&answer=" & answer, auth:=envplanKey, timeout:=ENVPLAN_TIMEOUT_MS\n'
        "End Sub\n"
    )
    return text.replace("Option Explicit\n", "Option Explicit\n" + constants, 1).rstrip("\n") + "\n" + answer


def addin_modules(macros: Path = MACROS_DIR, server: ServerTarget | None = None) -> list[VbaModule]:
    mine = macro_modules(macros)
    if server is None:
        return [document_module("ThisWorkbook", WORKBOOK_CLSID), document_module("Sheet1", WORKSHEET_CLSID), xlwings_module(), dictionary_class(), *mine]
    # Server mode: no worksheet functions (they need Python on the PC); the ribbon calls the server.
    ribbon_text = normalise_newlines((macros / f"{RIBBON_MODULE}.bas").read_text(encoding="utf-8")).replace("\r\n", "\n")
    ribbon = module_from_export(server_ribbon_source(ribbon_text, server), "standard", f"{RIBBON_MODULE}.bas")
    others = [m for m in mine if m.name not in (UDF_MODULE, RIBBON_MODULE)]
    return [document_module("ThisWorkbook", WORKBOOK_CLSID), document_module("Sheet1", WORKSHEET_CLSID), xlwings_module(), dictionary_class(), *remote_modules(), ribbon, *others]


# --- the package ----------------------------------------------------------------

_CONTENT_TYPES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/>
<Override PartName="/xl/workbook.xml" ContentType="application/vnd.ms-excel.addin.macroEnabled.main+xml"/>
<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>
<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>
<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>
<Override PartName="/docProps/app.xml" ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/>
</Types>"""

_ROOT_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>
<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/>
<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties" Target="docProps/app.xml"/>
<Relationship Id="rId4" Type="http://schemas.microsoft.com/office/2006/relationships/ui/extensibility" Target="customUI/customUI.xml"/>
</Relationships>"""

_WORKBOOK_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>
<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>
<Relationship Id="rId3" Type="http://schemas.microsoft.com/office/2006/relationships/vbaProject" Target="vbaProject.bin"/>
</Relationships>"""

_WORKBOOK = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">
<workbookPr codeName="ThisWorkbook"/>
<bookViews><workbookView/></bookViews>
<sheets><sheet name="{INFO_SHEET}" sheetId="1" r:id="rId1"/></sheets>
</workbook>"""

_STYLES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">
<fonts count="1"><font><sz val="11"/><name val="游ゴシック"/><family val="2"/><charset val="128"/></font></fonts>
<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>
<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>
<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>
<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>
<cellStyles count="1"><cellStyle name="標準" xfId="0" builtinId="0"/></cellStyles>
</styleSheet>"""


def _info_sheet(lines: list[str]) -> str:
    rows = "".join(
        f'<row r="{i}"><c r="A{i}" t="inlineStr"><is><t xml:space="preserve">{escape(text)}</t></is></c></row>' for i, text in enumerate(lines, 1)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<sheetPr codeName="Sheet1"/><cols><col min="1" max="1" width="100" customWidth="1"/></cols>'
        f"<sheetData>{rows}</sheetData></worksheet>"
    )


def _core(xlwings_version: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        "<dc:title>envplan アドイン（環境計画の進行管理）</dc:title>"
        f"<cp:keywords>envplan={__version__} xlwings={xlwings_version}</cp:keywords>"
        "<dc:creator>envplan addin build</dc:creator>"
        "</cp:coreProperties>"
    )


_APP = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"><Application>Microsoft Excel</Application></Properties>"""


def addin_versions(path: Path) -> dict[str, str]:
    """The envplan and xlwings versions an add-in was built with (from its properties)."""
    with zipfile.ZipFile(path) as z:
        core = z.read("docProps/core.xml").decode("utf-8")
    match = re.search(r"<cp:keywords>([^<]*)</cp:keywords>", core)
    return dict(pair.split("=", 1) for pair in match.group(1).split() if "=" in pair) if match else {}


def build_addin_bytes(macros: Path = MACROS_DIR, server: ServerTarget | None = None) -> tuple[bytes, list[VbaModule]]:
    modules = addin_modules(macros, server)
    vba = build_vba_project(modules, project_name=PROJECT_NAME)
    info = [
        "envplan アドイン（環境計画の進行管理）",
        f"envplan {__version__} / xlwings {xlwings.__version__}",
        "このファイルは envplan addin build で macros/ のテキストから作られています。直接編集しないでください。",
    ]
    if server is None:
        info += [
            "リボンの「環境計画」タブのボタンは、xlwings の RunPython で envplan.excel.actions の関数を呼びます。",
            "Python の場所などの設定: %USERPROFILE%\\.envplan\\envplan.conf（envplan addin install が書きます）",
        ]
    else:
        info += [
            f"サーバー方式: ボタンは xlwings の RunRemotePython でサーバー {server.url} の envplan を呼びます（この PC に Python は不要です）。",
            "サーバー方式で使えるボタン: 検証・集計・様式発行・取込・公表・確定値・診断（様式発行・公表はサーバーのフォルダに作ります）。ワークシート関数はデスクトップ方式が必要です。",
        ]
    parts: list[tuple[str, bytes]] = [
        ("[Content_Types].xml", _CONTENT_TYPES.encode()),
        ("_rels/.rels", _ROOT_RELS.encode()),
        ("docProps/core.xml", _core(xlwings.__version__).encode()),
        ("docProps/app.xml", _APP.encode()),
        ("xl/workbook.xml", _WORKBOOK.encode()),
        ("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS.encode()),
        ("xl/worksheets/sheet1.xml", _info_sheet(info).encode()),
        ("xl/styles.xml", _STYLES.encode()),
        ("xl/vbaProject.bin", vba),
        ("customUI/customUI.xml", ribbon_xml(macros)),
    ]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts:
            info_ = zipfile.ZipInfo(name, _ZIP_TIME)
            info_.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info_, data)
    return buffer.getvalue(), modules


def build_addin(out: Path, macros: Path = MACROS_DIR, server: ServerTarget | None = None) -> BuildResult:
    """Write the add-in to `out` (a file path, or a folder to put envplan.xlam in)."""
    if out.is_dir() or out.suffix.lower() != ".xlam":
        out = out / ADDIN_NAME
    data, modules = build_addin_bytes(macros, server)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    tmp.write_bytes(data)
    tmp.replace(out)
    return BuildResult(out, modules, hashlib.sha256(data).hexdigest(), xlwings.__version__)
