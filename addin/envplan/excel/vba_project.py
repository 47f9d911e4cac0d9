"""Building a VBA project binary (vbaProject.bin) from module source text (MS-OVBA).

The project holds no compiled code: `_VBA_PROJECT` is the 7-byte
version-independent header (Version 0xFFFF, no performance cache), which
MS-OVBA 2.3.4.1 prescribes for writers; Office then compiles the modules
from their source streams when it loads the project. The `dir` stream
describes the project and its modules, the `PROJECT` stream is the text
Office's VBA editor reads for module kinds and protection state.
"""

from __future__ import annotations

import hashlib
import re
import struct
import uuid
from dataclasses import dataclass
from typing import Literal

from envplan.excel.cfb_writer import Tree, write_compound_file
from envplan.excel.ovba_compression import compress

ModuleKind = Literal["standard", "class", "document"]

# Type libraries every Excel project references (resolved through the registry by GUID
# and major version, so the paths are only hints).
DEFAULT_REFERENCES: tuple[tuple[str, str], ...] = (
    ("stdole", r"*\G{00020430-0000-0000-C000-000000000046}#2.0#0#C:\Windows\System32\stdole2.tlb#OLE Automation"),
    (
        "Office",
        r"*\G{2DF8D04C-5BFA-101B-BDE5-00AA0044DE52}#2.0#0#C:\Program Files\Common Files\Microsoft Shared\OFFICE16\MSO.DLL#Microsoft Office 16.0 Object Library",
    ),
)
WORKBOOK_CLSID = "0{00020819-0000-0000-C000-000000000046}"
WORKSHEET_CLSID = "0{00020820-0000-0000-C000-000000000046}"
CLASS_CLSID = "0{FCFB3D2A-A0FA-1068-A738-08002B3371B5}"  # VB_Base of a class module, as Excel writes it
# The attribute lines Excel writes at the top of a class module, in its order (then VB_Description etc.).
CLASS_ATTRIBUTES = (
    ("VB_Name", None),
    ("VB_Base", f'"{CLASS_CLSID}"'),
    ("VB_GlobalNameSpace", "False"),
    ("VB_Creatable", "False"),
    ("VB_PredeclaredId", "False"),
    ("VB_Exposed", "False"),
    ("VB_TemplateDerived", "False"),
    ("VB_Customizable", "False"),
)
_ATTRIBUTE_RE = re.compile(r'^Attribute (\w+) = (.*)$')
_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,30}$")
_VB_NAME_RE = re.compile(r'^Attribute VB_Name = "([^"]+)"', re.MULTILINE)


class VbaSourceError(ValueError):
    pass


@dataclass(frozen=True)
class VbaModule:
    name: str
    kind: ModuleKind
    source: str  # the module stream's text: Attribute lines, then code (CRLF line ends)

    @property
    def docstring(self) -> str:
        """The module's VB_Description, which Excel also writes into the dir stream (MODULEDOCSTRING),
        its \\r\\n written out as line breaks."""
        for line in self.source.split("\r\n"):
            match = _ATTRIBUTE_RE.match(line)
            if not match:
                break
            if match[1] == "VB_Description" and match[2].startswith('"') and match[2].endswith('"'):
                return match[2][1:-1].replace('""', '"').replace("\\r\\n", "\r\n")
        return ""


def _class_header(text: str) -> str:
    """A class module's attribute lines as Excel writes them: VB_Base, VB_TemplateDerived and
    VB_Customizable added where an exported .cls leaves them out, all in Excel's order."""
    lines = text.split("\r\n")
    n = 0
    while n < len(lines) and _ATTRIBUTE_RE.match(lines[n]):
        n += 1
    given = {m[1]: m[2] for m in (_ATTRIBUTE_RE.match(line) for line in lines[:n]) if m}
    header = []
    for key, default in CLASS_ATTRIBUTES:
        value = given.pop(key, default)
        if value is not None:
            header.append(f"Attribute {key} = {value}")
    header += [f"Attribute {key} = {value}" for key, value in given.items()]
    return "\r\n".join(header + lines[n:])


def normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\r\n")


def module_from_export(text: str, kind: ModuleKind, origin: str = "") -> VbaModule:
    """A module from a file as the VBA editor exports it (.bas, or .cls with its
    VERSION/BEGIN…END header, which is not part of the stream)."""
    text = normalise_newlines(text.lstrip("\ufeff"))
    if kind == "class" and text.startswith("VERSION"):
        end = re.search(r"^END\r\n", text, re.MULTILINE)
        if not end:
            raise VbaSourceError(f"{origin}: class header VERSION…BEGIN has no END line")
        text = text[end.end() :]
    match = _VB_NAME_RE.match(text)
    if not match:
        raise VbaSourceError(f'{origin}: the first line must be Attribute VB_Name = "…"')
    if not text.endswith("\r\n"):
        text += "\r\n"
    if kind == "class":
        text = _class_header(text)
    return VbaModule(match.group(1), kind, text)


def document_module(name: str, clsid: str) -> VbaModule:
    attributes = [
        f'Attribute VB_Name = "{name}"',
        f'Attribute VB_Base = "{clsid}"',
        "Attribute VB_GlobalNameSpace = False",
        "Attribute VB_Creatable = False",
        "Attribute VB_PredeclaredId = True",
        "Attribute VB_Exposed = True",
        "Attribute VB_TemplateDerived = False",
        "Attribute VB_Customizable = True",
    ]
    return VbaModule(name, "document", "\r\n".join(attributes) + "\r\n")


def _record(rid: int, data: bytes) -> bytes:
    return struct.pack("<HI", rid, len(data)) + data


def _text_record(rid: int, unicode_rid: int, text: str, codepage: str) -> bytes:
    return _record(rid, text.encode(codepage)) + _record(unicode_rid, text.encode("utf-16-le"))


def _dir_stream(project_name: str, modules: list[VbaModule], references: tuple[tuple[str, str], ...], codepage: int) -> bytes:
    cp = f"cp{codepage}"
    out = bytearray()
    out += _record(0x0001, struct.pack("<I", 0x00000001))  # SysKind: 32-bit Windows
    out += _record(0x0002, struct.pack("<I", 0x0409))  # LCID (MUST be 0x409)
    out += _record(0x0014, struct.pack("<I", 0x0409))  # LCID for invoking (MUST be 0x409)
    out += _record(0x0003, struct.pack("<H", codepage))
    out += _record(0x0004, project_name.encode(cp))
    out += _text_record(0x0005, 0x0040, "", cp)  # description
    out += _text_record(0x0006, 0x003D, "", cp)  # help files 1 and 2
    out += _record(0x0007, struct.pack("<I", 0))  # help context
    out += _record(0x0008, struct.pack("<I", 0))  # library flags
    out += struct.pack("<HIIH", 0x0009, 4, 1, 0)  # version: Reserved=4, major, minor
    out += _text_record(0x000C, 0x003C, "", cp)  # conditional compilation constants
    for name, libid in references:
        out += _text_record(0x0016, 0x003E, name, cp)
        lib = libid.encode(cp)
        out += _record(0x000D, struct.pack("<I", len(lib)) + lib + struct.pack("<IH", 0, 0))
    out += _record(0x000F, struct.pack("<H", len(modules)))
    out += _record(0x0013, struct.pack("<H", 0xFFFF))  # project cookie
    for m in modules:
        out += _record(0x0019, m.name.encode(cp))
        out += _record(0x0047, m.name.encode("utf-16-le"))
        out += _text_record(0x001A, 0x0032, m.name, cp)  # stream name
        out += _text_record(0x001C, 0x0048, m.docstring, cp)  # MODULEDOCSTRING: the VB_Description
        out += _record(0x0031, struct.pack("<I", 0))  # source starts at offset 0: no p-code
        out += _record(0x001E, struct.pack("<I", 0))  # help context
        out += _record(0x002C, struct.pack("<H", 0xFFFF))  # cookie
        out += _record(0x0021 if m.kind == "standard" else 0x0022, b"")
        out += _record(0x002B, b"")  # module terminator
    out += _record(0x0010, b"")  # dir terminator
    return bytes(out)


def _encrypt(data: bytes, project_id: str, seed: int) -> str:
    """MS-OVBA 2.4.3.2 Data Encryption, used for the protection fields of PROJECT."""
    version = 2
    proj_key = sum(project_id.encode("ascii")) & 0xFF
    out = [seed, version ^ seed, proj_key ^ seed]
    unencrypted_1, encrypted_1, encrypted_2 = proj_key, out[2], out[1]
    ignored = [seed] * ((seed & 6) // 2)
    for byte in ignored + list(struct.pack("<I", len(data))) + list(data):
        enc = (byte ^ ((encrypted_2 + unencrypted_1) & 0xFF)) & 0xFF
        out.append(enc)
        encrypted_2, encrypted_1, unencrypted_1 = encrypted_1, enc, byte
    return bytes(out).hex().upper()


def decrypt(hex_text: str, project_id: str) -> bytes:
    """Inverse of `_encrypt` (MS-OVBA 2.4.3.3), for reading the fields back."""
    enc = bytes.fromhex(hex_text)
    seed = enc[0]
    version, proj_key = enc[1] ^ seed, enc[2] ^ seed
    if version != 2 or proj_key != sum(project_id.encode("ascii")) & 0xFF:
        raise ValueError("protection field is not encrypted with this project's key")
    unencrypted_1, encrypted_1, encrypted_2 = proj_key, enc[2], enc[1]
    plain = []
    for b in enc[3:]:
        byte = (b ^ ((encrypted_2 + unencrypted_1) & 0xFF)) & 0xFF
        plain.append(byte)
        encrypted_2, encrypted_1, unencrypted_1 = encrypted_1, b, byte
    skip = (seed & 6) // 2
    (length,) = struct.unpack("<I", bytes(plain[skip : skip + 4]))
    data = bytes(plain[skip + 4 : skip + 4 + length])
    if len(data) != length:
        raise ValueError("protection field is truncated")
    return data


def _project_stream(project_name: str, project_id: str, modules: list[VbaModule], codepage: int) -> bytes:
    lines = [f'ID="{project_id}"']
    for m in modules:
        if m.kind == "document":
            lines.append(f"Document={m.name}/&H00000000")
        elif m.kind == "class":
            lines.append(f"Class={m.name}")
        else:
            lines.append(f"Module={m.name}")
    # A deterministic seed keeps builds reproducible; any byte value is valid.
    seed = hashlib.sha256(project_id.encode()).digest()[0]
    lines += [
        f'Name="{project_name}"',
        'HelpContextID="0"',
        'VersionCompatible32="393222000"',
        f'CMG="{_encrypt(struct.pack("<I", 0), project_id, seed)}"',  # not protected
        f'DPB="{_encrypt(bytes([0]), project_id, seed ^ 0x55)}"',  # no password
        f'GC="{_encrypt(bytes([0xFF]), project_id, seed ^ 0xAA)}"',  # visible
        "",
        "[Host Extender Info]",
        "&H00000001={3832D640-CF90-11CF-8E43-00A0C911005A};VBE;&H00000000",
        "",
        "[Workspace]",
    ]
    lines += [f"{m.name}=0, 0, 0, 0, C" for m in modules]
    return ("\r\n".join(lines) + "\r\n").encode(f"cp{codepage}")


def _projectwm_stream(modules: list[VbaModule], codepage: int) -> bytes:
    out = bytearray()
    for m in modules:
        out += m.name.encode(f"cp{codepage}") + b"\x00" + m.name.encode("utf-16-le") + b"\x00\x00"
    return bytes(out + b"\x00\x00")


def project_id_for(project_name: str) -> str:
    return "{" + str(uuid.uuid5(uuid.NAMESPACE_URL, f"envplan-vba-project:{project_name}")).upper() + "}"


def build_vba_project(
    modules: list[VbaModule],
    *,
    project_name: str,
    codepage: int = 932,
    references: tuple[tuple[str, str], ...] = DEFAULT_REFERENCES,
) -> bytes:
    if not _NAME_RE.match(project_name):
        raise VbaSourceError(f"project name {project_name!r} is not a VBA identifier")
    seen: set[str] = set()
    for m in modules:
        if not _NAME_RE.match(m.name):
            raise VbaSourceError(f"module name {m.name!r} is not a VBA identifier of at most 31 characters")
        if m.name.lower() in seen:
            raise VbaSourceError(f"module {m.name!r} appears twice")
        seen.add(m.name.lower())
        named = _VB_NAME_RE.match(m.source)
        if not named or named.group(1) != m.name:
            raise VbaSourceError(f'module {m.name}: the source must start with Attribute VB_Name = "{m.name}"')
        try:
            m.source.encode(f"cp{codepage}")
        except UnicodeEncodeError as e:
            raise VbaSourceError(f"module {m.name}: character {e.object[e.start:e.end]!r} is not in code page {codepage}") from e
    project_id = project_id_for(project_name)
    vba: Tree = {
        "_VBA_PROJECT": struct.pack("<HHBH", 0x61CC, 0xFFFF, 0x00, 0x0000),
        "dir": compress(_dir_stream(project_name, modules, references, codepage)),
    }
    for m in modules:
        vba[m.name] = compress(m.source.encode(f"cp{codepage}"))
    return write_compound_file(
        {
            "VBA": vba,
            "PROJECT": _project_stream(project_name, project_id, modules, codepage),
            "PROJECTwm": _projectwm_stream(modules, codepage),
        }
    )
