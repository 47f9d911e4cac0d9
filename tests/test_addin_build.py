"""The add-in built on Linux from macros/, checked by independent readers:
oletools (olevba) must extract exactly our module sources, LibreOffice must
load the add-in and see the modules; and the ribbon, the VBA and the Python
functions must agree with each other."""

from __future__ import annotations

import inspect
import io
import re
import subprocess
import zipfile
from pathlib import Path

import olefile
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from oletools.olevba import VBA_Parser, decompress_stream

from conftest import examples, require, run_cli
from envplan.excel import udfs
from envplan.excel.addin_build import (
    ADDIN_NAME,
    PROJECT_NAME,
    UDF_MODULE,
    addin_versions,
    build_addin,
    build_addin_bytes,
    ribbon_actions,
    ribbon_xml,
    udf_module_source,
    xlwings_module,
)
from envplan.excel.addin_install import ribbon_commands
from envplan.excel.cfb_writer import NOSTREAM, _flatten, write_compound_file
from envplan.excel.ovba_compression import compress, decompress
from envplan.excel.vba_project import _encrypt, decrypt, project_id_for
from envplan.paths import MACROS_DIR


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    folder = tmp_path_factory.mktemp("addin")
    return build_addin(folder)


# --- the pieces -----------------------------------------------------------------


@given(st.binary(max_size=20000) | st.text(alphabet="Dim x As Long\r\n'=()\"_ab12", max_size=20000).map(str.encode))
@settings(max_examples=examples(60), deadline=None)
def test_compression_round_trips_and_oletools_agrees(data: bytes) -> None:
    try:
        packed = compress(data)
    except ValueError:
        assert len(data) % 4096 != 0  # only a short incompressible last chunk is refused
        return
    assert decompress(packed) == data
    assert decompress_stream(bytearray(packed)) == data


def test_source_text_compresses() -> None:
    # The module as the add-in stores it (code page 932). Not repeated: a chunk is 4 KB,
    # so how much a repeated text shrinks depended on the module's length.
    text = (MACROS_DIR / "EnvplanRibbon.bas").read_text(encoding="utf-8").encode("cp932")
    assert len(compress(text)) < len(text) * 0.6


names = st.text(alphabet="abcXYZ_0189あ", min_size=1, max_size=31)


@given(st.lists(st.tuples(names, st.binary(max_size=9000)), min_size=1, max_size=40, unique_by=lambda t: t[0].upper()))
@settings(max_examples=examples(40), deadline=None)
def test_compound_file_read_back_by_olefile(streams: list[tuple[str, bytes]]) -> None:
    tree = {"S": dict(streams), "top": b"x" * 5000}
    data = write_compound_file(tree)
    ole = olefile.OleFileIO(io.BytesIO(data))
    for name, content in streams:
        assert ole.openstream(["S", name]).read() == content
    assert ole.openstream("top").read() == b"x" * 5000


@pytest.mark.parametrize("n", list(range(1, 70)))
def test_sibling_trees_are_valid_red_black_search_trees(n: int) -> None:
    entries = _flatten({f"m{i:03d}": b"" for i in range(n)})
    by_index = dict(enumerate(entries))

    def check(i: int, lo: tuple | None, hi: tuple | None) -> int:
        if i == NOSTREAM:
            return 1
        e = by_index[i]
        key = (len(e.name), e.name.upper())
        assert (lo is None or lo < key) and (hi is None or key < hi)
        for child in (e.left, e.right):
            if child != NOSTREAM and not e.black:
                assert by_index[child].black, "a red node with a red child"
        left, right = check(e.left, lo, key), check(e.right, key, hi)
        assert left == right, "unequal black heights"
        return left + (1 if e.black else 0)

    root = entries[0].child
    assert by_index[root].black
    check(root, None, None)


@given(st.binary(max_size=40), st.integers(0, 255))
def test_protection_fields_round_trip(data: bytes, seed: int) -> None:
    pid = project_id_for(PROJECT_NAME)
    assert decrypt(_encrypt(data, pid, seed), pid) == data


# --- the built add-in -----------------------------------------------------------------


def test_build_is_reproducible(built) -> None:  # type: ignore[no-untyped-def]
    again, _ = build_addin_bytes()
    assert built.path.read_bytes() == again
    assert built.path.name == ADDIN_NAME


def test_olevba_extracts_exactly_our_module_sources(built) -> None:  # type: ignore[no-untyped-def]
    parser = VBA_Parser(str(built.path))
    assert parser.detect_vba_macros()
    found = {vba_filename.rsplit(".", 1)[0]: code for _, _, vba_filename, code in parser.extract_macros()}
    parser.close()
    expected = {m.name: m.source for m in built.modules}
    assert set(found) == set(expected)
    for name, source in expected.items():
        code = found[name]
        if isinstance(code, bytes):
            code = code.decode("cp932")
        assert code == source, f"module {name} differs as read by olevba"
    ribbon = expected["EnvplanRibbon"]
    assert "マスターワークブックを開いてから実行してください" in ribbon  # Japanese survives the cp932 code page
    code = found["EnvplanRibbon"]
    code = code.decode("cp932") if isinstance(code, bytes) else code
    assert "Public Sub EnvplanFrozenEdits(control As IRibbonControl)" in code
    assert "envplan.excel.actions.frozen_edits(reason_hex='\" & HexText(CStr(reason)) & \"')" in code


def test_project_stream_says_unprotected_and_visible(built) -> None:  # type: ignore[no-untyped-def]
    with zipfile.ZipFile(built.path) as z:
        ole = olefile.OleFileIO(io.BytesIO(z.read("xl/vbaProject.bin")))
    text = ole.openstream("PROJECT").read().decode("cp932")
    fields = dict(re.findall(r'^(\w+)="?([^"\r\n]*)"?\r$', text, re.M))
    pid = fields["ID"]
    assert decrypt(fields["CMG"], pid) == b"\x00\x00\x00\x00"
    assert decrypt(fields["DPB"], pid) == b"\x00"
    assert decrypt(fields["GC"], pid) == b"\xff"
    assert ole.openstream(["VBA", "_VBA_PROJECT"]).read() == bytes.fromhex("CC61FFFF000000")
    for m in built.modules:
        kind = {"document": f"Document={m.name}/&H00000000", "class": f"Class={m.name}", "standard": f"Module={m.name}"}[m.kind]
        assert kind in text


def test_package_parts_declare_an_add_in_with_our_ribbon(built) -> None:  # type: ignore[no-untyped-def]
    with zipfile.ZipFile(built.path) as z:
        types = z.read("[Content_Types].xml").decode()
        rels = z.read("_rels/.rels").decode()
        workbook = z.read("xl/workbook.xml").decode()
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
        assert z.read("customUI/customUI.xml") == ribbon_xml()
    assert "application/vnd.ms-excel.addin.macroEnabled.main+xml" in types
    assert 'Type="http://schemas.microsoft.com/office/2006/relationships/ui/extensibility" Target="customUI/customUI.xml"' in rels
    assert 'codeName="ThisWorkbook"' in workbook and 'codeName="Sheet1"' in sheet
    versions = addin_versions(built.path)
    import xlwings

    from envplan import __version__

    assert versions == {"envplan": __version__, "xlwings": xlwings.__version__}


@pytest.mark.libreoffice
def test_libreoffice_loads_the_add_in_and_sees_the_modules(built, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    soffice = require("soffice")
    proc = subprocess.run(
        [soffice, f"-env:UserInstallation=file://{tmp_path / 'profile'}", "--headless", "--infilter=Calc MS Excel 2007 VBA XML",
         "--convert-to", "ods", "--outdir", str(tmp_path), str(built.path)],
        capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    ods = tmp_path / "envplan.ods"
    assert ods.is_file(), f"LibreOffice could not load the add-in: {proc.stdout}\n{proc.stderr}"
    with zipfile.ZipFile(ods) as z:
        library = z.read(f"Basic/{PROJECT_NAME}/script-lb.xml").decode()
        seen = set(re.findall(r'library:element library:name="([^"]+)"', library))
        assert seen == {m.name for m in built.modules}
        for m in built.modules:
            xml = z.read(f"Basic/{PROJECT_NAME}/{m.name}.xml").decode()
            body = re.search(r"<script:module[^>]*>(.*)</script:module>", xml, re.S).group(1)
            import html

            lo_lines = [line for line in html.unescape(body).splitlines() if line and not line.startswith(("Rem Attribute", "Option VBASupport", "Option ClassModule"))]
            our_lines = [line for line in m.source.splitlines() if line and not line.startswith("Attribute ")]
            assert lo_lines == our_lines, f"LibreOffice reads module {m.name} differently"


# --- consistency of ribbon, VBA and Python ---------------------------------------------


def test_every_ribbon_action_has_its_vba_callback() -> None:
    vba = (MACROS_DIR / "EnvplanRibbon.bas").read_text(encoding="utf-8")
    subs = set(re.findall(r"^Public Sub (\w+)\(control As IRibbonControl\)", vba, re.M))
    actions = ribbon_actions(ribbon_xml())
    assert len(actions) >= 5
    assert {a for _, a in actions} == {f"EnvplanRibbon.{sub}" for sub in subs}, "every onAction needs a Public Sub (control As IRibbonControl) of EnvplanRibbon, named with its module, and no callback is unused"
    labels = re.findall(r'label="([^"]+)"', ribbon_xml().decode())
    for label in ("環境計画", "検証", "集計", "様式発行", "取込", "公表"):
        assert label in labels
    for button in re.findall(r"<button [^>]*>", ribbon_xml().decode(), re.S):
        assert "imageMso=" in button and "screentip=" in button and "supertip=" in button


def test_every_run_python_names_a_function_callable_without_arguments() -> None:
    import importlib

    commands = ribbon_commands()
    vba = (MACROS_DIR / "EnvplanRibbon.bas").read_text(encoding="utf-8")
    assert len(commands) == vba.count('RunPython "'), "a RunPython call is not in the expected form"
    assert len(commands) == len(ribbon_actions(ribbon_xml()))
    calls = dict(re.findall(r"Public Sub (\w+)\(control As IRibbonControl\).*?RunPython \"[^\n]*?\.\w+\(([^\n]*)\)\"\s*\n", vba, re.S))
    for sub, module, function in commands:
        target = getattr(importlib.import_module(module), function)
        params = inspect.signature(target).parameters
        assert all(p.default is not inspect.Parameter.empty for p in params.values()), f"{sub}: {function}() must be callable as RunPython calls it"
        keywords = re.findall(r"(\w+)=", calls[sub])
        assert set(keywords) <= set(params), f"{sub}: {function}() has no parameter {set(keywords) - set(params)}"
        assert not re.sub(r"\w+='\" & HexText\(\w+\(\w+\)\) & \"'", "", calls[sub]).strip(", "), f"{sub}: pass VBA text to Python only through HexText"


def test_udf_module_in_macros_is_generated_from_udfs_py() -> None:
    kept = (MACROS_DIR / f"{UDF_MODULE}.bas").read_bytes().decode("utf-8").replace("\r\n", "\n")
    assert kept == udf_module_source().replace("\r\n", "\n"), "run `envplan addin build --refresh-udfs`"
    for func in udfs.UDFS:
        # xlwings' reserved `caller` (the calling cell) is no Excel argument: call_udf puts the cell in its place
        params = ", ".join("Nothing" if p.name == "caller" else p.name for p in inspect.signature(func).parameters.values())
        assert "caller" not in kept.split(f"Function {func.__name__}(")[1].split(")")[0]
        assert f'XLPy.CallUDF("envplan.excel.udfs", "{func.__name__}", Array({params})' in kept
    defined = {name for name, obj in vars(udfs).items() if name.startswith("ENVPLAN_") and callable(obj)}
    assert defined == {f.__name__ for f in udfs.UDFS}, "every ENVPLAN_ function must be in UDFS"


def test_vba_sources_use_no_reserved_argument_names() -> None:
    reserved = {"year", "month", "day", "date", "time", "name", "string", "len", "val", "format", "type"}
    for func in udfs.UDFS:
        assert not {p.lower() for p in inspect.signature(func).parameters} & reserved, func.__name__


# --- CLI ---------------------------------------------------------------------------------


def test_cli_build_install_dry_run_and_doctor(tmp_path: Path) -> None:
    import json

    proc = run_cli("addin", "build", "--out", tmp_path, "--json", check=True)
    data = json.loads(proc.stdout)
    assert Path(data["path"]).is_file() and {m["name"] for m in data["modules"]} >= {"xlwings", "EnvplanRibbon", "EnvplanUdfs"}
    proc = run_cli("addin", "install", "--dry-run", "--os", "windows", "--json", check=True)
    plan = json.loads(proc.stdout)
    assert plan["dry_run"] and plan["addin_path"].endswith(r"Microsoft\Excel\XLSTART\envplan.xlam")
    assert plan["config_path"].endswith(r".envplan\envplan.conf") and plan["config_encoding"] == "cp932"
    assert set(plan["settings"]) == {"INTERPRETER_WIN", "PYTHONPATH", "ADD_WORKBOOK_TO_PYTHONPATH"}
    proc = run_cli("addin", "doctor", "--os", "windows", "--json")
    report = json.loads(proc.stdout)
    assert proc.returncode == 0 and report["ok"], report
    assert any(c["ok"] is None for c in report["checks"])  # Excel itself cannot be checked on Linux
    proc = run_cli("addin", "install", "--os", "windows")  # not Windows: the steps are shown, nothing is installed
    assert proc.returncode == 2
    assert "XLSTART" in proc.stderr and '"INTERPRETER_WIN"' in proc.stderr and "手順の表示だけ" in proc.stderr


# --- the server-mode add-in (envplan addin build --server URL) -----------------------------

SERVER_KEY = "key-for-the-addin-0123456789"


def _server_addin(folder: Path, url: str = "https://envplan.city.example/base") -> tuple[Path, dict[str, str]]:
    # The key in the environment, as the old build read it: it must not reach the add-in.
    r = run_cli("addin", "build", "--server", url, "--out", str(folder), "--json", env={"ENVPLAN_SERVER_API_KEY": SERVER_KEY})
    assert r.returncode == 0, r.stdout + r.stderr
    path = folder / ADDIN_NAME
    parser = VBA_Parser(str(path))
    found = {name.rsplit(".", 1)[0]: (code.decode("cp932") if isinstance(code, bytes) else code) for _, _, name, code in parser.extract_macros()}
    parser.close()
    return path, found


def test_server_addin_calls_run_remote_python_on_the_server(tmp_path: Path) -> None:
    from envplan.excel.actions import ACTIONS, SERVER_ACTIONS

    path, found = _server_addin(tmp_path / "a")
    assert {"Remote", "WebHelpers", "WebClient", "WebRequest", "WebResponse", "IWebAuthenticator", "Dictionary", xlwings_module().name, "EnvplanRibbon"} <= set(found)
    assert UDF_MODULE not in found  # worksheet functions need Python on the PC
    ribbon = found["EnvplanRibbon"]
    assert not [line for line in ribbon.splitlines() if "RunPython " in line and not line.lstrip().startswith("'")]
    assert 'Private Const ENVPLAN_SERVER As String = "https://envplan.city.example/base"' in ribbon
    # No key in the add-in: not in any module's source, nor anywhere in the file's bytes.
    assert not [name for name, code in found.items() if SERVER_KEY in code]
    assert SERVER_KEY.encode() not in path.read_bytes() and "ENVPLAN_API_KEY" not in ribbon
    called = re.findall(r'RunRemotePython ENVPLAN_SERVER & "/xlwings/(\w+)[?"]', ribbon)
    assert set(called) == set(ACTIONS) == set(SERVER_ACTIONS)
    assert called.count("frozen_edits") == 2  # the button, and EnvplanFrozenAnswer with the button pressed in its question
    assert "Public Sub EnvplanFrozenAnswer(answer As String)" in ribbon
    # Each call first reads the user's key from their profile (asked for once), and sends that.
    calls = [line.strip() for line in ribbon.splitlines() if "RunRemotePython" in line and not line.lstrip().startswith("'")]
    assert calls and all(c.startswith("If EnvplanKeyReady() Then RunRemotePython") and c.endswith("auth:=envplanKey, timeout:=ENVPLAN_TIMEOUT_MS") for c in calls)
    assert "Private Const ENVPLAN_TIMEOUT_MS As Long = 300000" in ribbon  # xlwings' 30 s would cut a publication short
    assert 'Environ("APPDATA") & "\\envplan"' in ribbon and 'Environ("HOME") & "/.envplan"' in ribbon and '"server-key.txt"' in ribbon
    assert "Open path For Input" in ribbon and "Open path For Output" in ribbon and "InputBox(" in ribbon
    # The remote VBA is xlwings' own, as shipped with the installed version.
    import xlwings

    shipped = (Path(xlwings.__file__).parent / "addin" / "Remote.bas").read_text(encoding="ascii").replace("\r\n", "\n")
    assert found["Remote"].replace("\r\n", "\n").strip() == shipped.strip()
    # Every button still has its callback; the same bytes from the same sources.
    actions = {a for _, a in ribbon_actions(ribbon_xml())}
    assert all(f"Public Sub {a.split('.')[-1]}(control As IRibbonControl)" in ribbon for a in actions)
    again, _ = _server_addin(tmp_path / "b")
    assert again.read_bytes() == path.read_bytes()


def test_server_addin_build_refuses_a_bad_url_or_a_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from envplan.cli.main import run

    for option in ("--key", "--api-key", "--api-key-env"):  # --api-key-env: what the build took before
        code = run(["addin", "build", "--server", "https://envplan.example", "--out", str(tmp_path), option, SERVER_KEY])
        output = "".join(capsys.readouterr())
        assert code == 2 and "API キーはアドインに書き込みません" in output and r"%APPDATA%\envplan\server-key.txt" in output, output
    r = run_cli("addin", "build", "--server", 'http://x" & Shell("calc") & "', "--out", str(tmp_path), env={"ENVPLAN_SERVER_API_KEY": SERVER_KEY})
    assert r.returncode == 2 and "URL" in r.stdout + r.stderr
    assert not (tmp_path / ADDIN_NAME).exists()


# --- hardening: details Excel writes (compared with xlwings' own Excel-saved add-in) ------------


def _reference_vba() -> tuple[dict[str, str], bytes]:
    import xlwings

    path = Path(xlwings.__file__).parent / "quickstart_addin_ribbon.xlam"
    parser = VBA_Parser(str(path))
    found = {name.rsplit(".", 1)[0]: (code.decode("latin-1") if isinstance(code, bytes) else code) for _, _, name, code in parser.extract_macros()}
    parser.close()
    with zipfile.ZipFile(path) as z:
        return found, z.read("xl/vbaProject.bin")


def _dir_records(vba_bin: bytes) -> dict[str, dict[int, bytes]]:
    """Per module, its records in the dir stream."""
    import struct

    ole = olefile.OleFileIO(io.BytesIO(vba_bin))
    data = bytes(decompress_stream(bytearray(ole.openstream("VBA/dir").read())))
    ole.close()
    out: dict[str, dict[int, bytes]] = {}
    i, current = 0, None
    while i < len(data):
        rid, size = struct.unpack_from("<HI", data, i)
        size = 6 if rid == 0x0009 else size
        body = data[i + 6 : i + 6 + size]
        if rid == 0x0019:
            current = body.decode("cp932")
            out[current] = {}
        elif current is not None:
            out[current][rid] = body
        i += 6 + size
    return out


def test_class_modules_have_the_attribute_lines_and_docstring_excel_writes(built) -> None:  # type: ignore[no-untyped-def]
    reference, reference_bin = _reference_vba()
    ours = {m.name: m.source for m in built.modules}
    head = lambda text: [line for line in text.replace("\r\n", "\n").split("\n") if line.startswith("Attribute ")]  # noqa: E731
    assert head(ours["Dictionary"]) == head(reference["Dictionary"])
    assert 'Attribute VB_Base = "0{FCFB3D2A-A0FA-1068-A738-08002B3371B5}"' in ours["Dictionary"]
    records = _dir_records(built.path.read_bytes() if built.path.suffix == ".bin" else zipfile.ZipFile(built.path).read("xl/vbaProject.bin"))
    expected = _dir_records(reference_bin)["Dictionary"]
    assert records["Dictionary"][0x001C] == expected[0x001C] and records["Dictionary"][0x0048] == expected[0x0048]
    assert records["Dictionary"][0x001C].startswith(b"Drop-in replacement for Scripting.Dictionary on Mac\r\n")
    assert records["EnvplanRibbon"][0x001C] == b""  # no description, no docstring


def _vba_bin(built) -> bytes:  # type: ignore[no-untyped-def]
    with zipfile.ZipFile(built.path) as z:
        return z.read("xl/vbaProject.bin")


def test_unused_mini_fat_entries_are_free(built) -> None:  # type: ignore[no-untyped-def]
    import struct

    data = _vba_bin(built)
    first, count = struct.unpack_from("<II", data, 0x3C)
    assert count >= 1
    ole = olefile.OleFileIO(io.BytesIO(data))
    used = (ole.root.size + 63) // 64
    ole.close()
    fat = [struct.unpack_from("<I", data, 512 + 4 * i)[0] for i in range(128)]
    entries: list[int] = []
    sector = first
    while sector != NOSTREAM - 1:  # ENDOFCHAIN
        entries += [struct.unpack_from("<I", data, (sector + 1) * 512 + 4 * i)[0] for i in range(128)]
        sector = fat[sector]
    assert len(entries) == count * 128 and used < len(entries)
    assert all(e != NOSTREAM for e in entries[:used])
    assert entries[used:] == [NOSTREAM] * (len(entries) - used)  # FREESECT


@pytest.mark.parametrize("n", [1, 2, 3, 4, 6])
def test_free_directory_entries_are_zero_but_their_three_pointers(n: int) -> None:
    import struct

    data = write_compound_file({"VBA": {f"m{i}": bytes([i]) * (100 + 5000 * (i % 2)) for i in range(n)}})
    first_dir = struct.unpack_from("<I", data, 0x30)[0]
    fat = [struct.unpack_from("<I", data, 512 + 4 * i)[0] for i in range(128)]
    directory = b""
    sector = first_dir
    while sector != NOSTREAM - 1:  # ENDOFCHAIN
        directory += data[(sector + 1) * 512 : (sector + 2) * 512]
        sector = fat[sector]
    entries = [directory[i : i + 128] for i in range(0, len(directory), 128)]
    used, free = entries[: n + 2], entries[n + 2 :]  # the root, the storage, its streams
    assert all(e[66] in (1, 2, 5) for e in used)
    assert len(free) == (-(n + 2)) % 4
    blank = b"\x00" * 68 + b"\xff" * 12 + b"\x00" * 48
    assert all(entry == blank for entry in free)
    ole = olefile.OleFileIO(io.BytesIO(data))
    assert sorted(ole.listdir()) == sorted([["VBA", f"m{i}"] for i in range(n)])
    ole.close()


def test_ribbon_callbacks_are_qualified_with_their_module(tmp_path: Path) -> None:
    from envplan.excel.addin_build import AddinSourceError

    actions = [a for _, a in ribbon_actions(ribbon_xml())]
    assert actions and all(a.startswith("EnvplanRibbon.Envplan") for a in actions)
    macros = tmp_path / "macros"
    macros.mkdir()
    for p in MACROS_DIR.iterdir():
        if p.is_file():
            (macros / p.name).write_bytes(p.read_bytes())
    (macros / "ribbon.xml").write_text(ribbon_xml().decode().replace('onAction="EnvplanRibbon.EnvplanValidate"', 'onAction="EnvplanValidate"'), encoding="utf-8")
    with pytest.raises(AddinSourceError, match="qualify each onAction"):
        build_addin_bytes(macros)
