"""Writing a Compound File Binary (MS-CFB version 3), the container of vbaProject.bin.

Only what a VBA project needs: a tree of storages and streams written once.
Streams under 4096 bytes live in the mini stream (64-byte sectors), larger
ones in 512-byte sectors. Sibling entries form a balanced binary search tree
coloured as a valid red-black tree, as MS-CFB 2.6.4 asks. Every byte is
determined by the input, so the same sources build the same file.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

SECTOR = 512
MINI_SECTOR = 64
MINI_CUTOFF = 4096
FREESECT = 0xFFFFFFFF
ENDOFCHAIN = 0xFFFFFFFE
FATSECT = 0xFFFFFFFD
NOSTREAM = 0xFFFFFFFF
_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")
_HEADER_DIFAT = 109

# A storage is a dict of name → bytes (stream) or dict (storage).
Tree = dict[str, "bytes | Tree"]


@dataclass
class _Entry:
    name: str
    kind: int  # 1 storage, 2 stream, 5 root
    data: bytes = b""
    children: list[_Entry] = field(default_factory=list)
    left: int = NOSTREAM
    right: int = NOSTREAM
    child: int = NOSTREAM
    black: bool = True
    start: int = ENDOFCHAIN
    size: int = 0


def name_key(name: str) -> tuple[int, str]:
    """MS-CFB order of sibling names: shorter first, then by upper-cased UTF-16 code units."""
    return (len(name.encode("utf-16-le")), name.upper())


def _check_name(name: str) -> None:
    if not name or len(name) > 31 or any(c in name for c in "/\\:!"):
        raise ValueError(f"invalid compound file entry name: {name!r}")


def _flatten(tree: Tree) -> list[_Entry]:
    root = _Entry("Root Entry", 5)
    entries = [root]

    def add(parent: _Entry, subtree: Tree) -> None:
        keys = set()
        for name, value in subtree.items():
            _check_name(name)
            if name.upper() in keys:
                raise ValueError(f"duplicate entry name (names are case-insensitive): {name!r}")
            keys.add(name.upper())
            entry = _Entry(name, 1 if isinstance(value, dict) else 2, b"" if isinstance(value, dict) else bytes(value))
            parent.children.append(entry)
            entries.append(entry)
            if isinstance(value, dict):
                add(entry, value)

    add(root, tree)
    index = {id(e): i for i, e in enumerate(entries)}
    for e in entries:
        e.child = _link_siblings(sorted(e.children, key=lambda c: name_key(c.name)), index)
    return entries


def _link_siblings(ordered: list[_Entry], index: dict[int, int]) -> int:
    """Make a balanced search tree of siblings; nodes on the deepest level of an
    incomplete tree are red, the rest black, which satisfies the red-black rules."""
    if not ordered:
        return NOSTREAM
    depths: dict[int, int] = {}

    def build(lo: int, hi: int, depth: int) -> int:
        if lo >= hi:
            return NOSTREAM
        mid = (lo + hi) // 2
        node = ordered[mid]
        depths[id(node)] = depth
        node.left = build(lo, mid, depth + 1)
        node.right = build(mid + 1, hi, depth + 1)
        return index[id(node)]

    root = build(0, len(ordered), 0)
    deepest = max(depths.values())
    perfect = len(ordered) == 2 ** (deepest + 1) - 1
    for node in ordered:
        node.black = perfect or depths[id(node)] < deepest or depths[id(node)] == 0
    return root


def _sectors(length: int, size: int) -> int:
    return (length + size - 1) // size


def write_compound_file(tree: Tree) -> bytes:
    entries = _flatten(tree)
    streams = [e for e in entries if e.kind == 2]
    small = [e for e in streams if len(e.data) < MINI_CUTOFF]
    large = [e for e in streams if len(e.data) >= MINI_CUTOFF]

    # Mini stream: small streams packed in 64-byte sectors, chained in the mini FAT.
    mini_fat: list[int] = []
    mini_stream = bytearray()
    for e in small:
        e.size = len(e.data)
        if not e.data:
            e.start = ENDOFCHAIN
            continue
        n = _sectors(len(e.data), MINI_SECTOR)
        e.start = len(mini_fat)
        mini_fat += [e.start + i + 1 for i in range(n - 1)] + [ENDOFCHAIN]
        mini_stream += e.data.ljust(n * MINI_SECTOR, b"\x00")

    dir_sectors = _sectors(len(entries) * 128, SECTOR)
    minifat_sectors = _sectors(len(mini_fat) * 4, SECTOR)
    mini_fat += [FREESECT] * (minifat_sectors * SECTOR // 4 - len(mini_fat))  # unused entries are free (MS-CFB 2.3)
    ministream_sectors = _sectors(len(mini_stream), SECTOR)
    large_sectors = [_sectors(len(e.data), SECTOR) for e in large]
    payload = dir_sectors + minifat_sectors + ministream_sectors + sum(large_sectors)
    fat_sectors = 1
    while fat_sectors * (SECTOR // 4) < payload + fat_sectors:
        fat_sectors += 1
    if fat_sectors > _HEADER_DIFAT:
        raise ValueError("compound file too large for this writer (needs DIFAT sectors)")

    fat: list[int] = [FATSECT] * fat_sectors
    body: list[bytes] = []

    def chain(data: bytes, count: int) -> int:
        if count == 0:
            return ENDOFCHAIN
        start = len(fat)
        fat.extend(start + i + 1 for i in range(count - 1))
        fat.append(ENDOFCHAIN)
        body.append(bytes(data).ljust(count * SECTOR, b"\x00"))
        return start

    root = entries[0]
    dir_start_placeholder = len(fat)
    fat.extend(dir_start_placeholder + i + 1 for i in range(dir_sectors - 1))
    fat.append(ENDOFCHAIN)
    body.append(b"")  # directory, filled in once every start sector is known
    minifat_start = chain(b"".join(struct.pack("<I", v) for v in mini_fat), minifat_sectors)
    root.start = chain(bytes(mini_stream), ministream_sectors)
    root.size = len(mini_stream)
    for e, count in zip(large, large_sectors):
        e.start = chain(e.data, count)
        e.size = len(e.data)

    directory = bytearray()
    for e in entries:
        directory += _dir_entry(e)
    while len(directory) % SECTOR:
        directory += _dir_entry(None)
    body[0] = bytes(directory)

    fat_bytes = b"".join(struct.pack("<I", v) for v in fat).ljust(fat_sectors * SECTOR, b"\xff")
    difat = list(range(fat_sectors)) + [FREESECT] * (_HEADER_DIFAT - fat_sectors)
    header = bytearray()
    header += _MAGIC + b"\x00" * 16
    header += struct.pack("<HHHHH", 0x003E, 0x0003, 0xFFFE, 9, 6)
    header += b"\x00" * 6
    header += struct.pack("<II", 0, fat_sectors)  # directory sectors (0 in v3), FAT sectors
    header += struct.pack("<II", dir_start_placeholder, 0)  # first directory sector, transaction
    header += struct.pack("<I", MINI_CUTOFF)
    header += struct.pack("<II", minifat_start if minifat_sectors else ENDOFCHAIN, minifat_sectors)
    header += struct.pack("<II", ENDOFCHAIN, 0)  # no DIFAT sectors
    header += b"".join(struct.pack("<I", v) for v in difat)
    assert len(header) == SECTOR
    return bytes(header) + fat_bytes + b"".join(body)


def _dir_entry(e: _Entry | None) -> bytes:
    if e is None:  # a free entry: all zeros but its three pointers (MS-CFB 2.6.3)
        return b"\x00" * 64 + struct.pack("<HBB", 0, 0, 0) + struct.pack("<III", NOSTREAM, NOSTREAM, NOSTREAM) + b"\x00" * 36 + struct.pack("<IQ", 0, 0)
    name = (e.name + "\x00").encode("utf-16-le")
    out = name.ljust(64, b"\x00")
    out += struct.pack("<HBB", len(name), e.kind, 1 if e.black else 0)
    out += struct.pack("<III", e.left, e.right, e.child)
    out += b"\x00" * 16 + b"\x00" * 4 + b"\x00" * 16  # CLSID, state bits, times
    start = e.start if e.kind != 1 else 0
    out += struct.pack("<IQ", start, e.size if e.kind != 1 else 0)
    return out
