"""The compression of VBA source in a vbaProject.bin (MS-OVBA 2.4.1).

VBA stores module source and the `dir` stream as a CompressedContainer: a
signature byte 0x01, then chunks each holding up to 4096 decompressed bytes,
as LZ77-style tokens whose offset/length split depends on the position in
the chunk. Decompression is here too, so the build can read back what it
wrote (the tests also read it with oletools, an independent implementation).
"""

from __future__ import annotations

import struct

CHUNK = 4096
_SIGNATURE = 0x01


def _bit_count(position: int) -> int:
    """Bits used by the offset of a copy token at `position` within a chunk."""
    bits = 4
    while (1 << bits) < position:
        bits += 1
    return min(bits, 12)


def _compress_chunk(data: bytes) -> bytes:
    out = bytearray()
    pos = 0
    end = len(data)
    # Positions of each 3-byte prefix seen so far in this chunk (newest last).
    index: dict[bytes, list[int]] = {}
    while pos < end:
        flag_at = len(out)
        out.append(0)
        flags = 0
        for bit in range(8):
            if pos >= end:
                break
            bits = _bit_count(pos)
            max_len = (0xFFFF >> bits) + 3
            best_len, best_off = 0, 0
            key = data[pos : pos + 3]
            if len(key) == 3:
                # The newest few candidates suffice for source text and keep this linear.
                for cand in reversed(index.get(key, ())[-48:]):
                    length = 3
                    limit = min(max_len, end - pos)
                    while length < limit and data[cand + length] == data[pos + length]:
                        length += 1
                    if length > best_len:
                        best_len, best_off = length, pos - cand
                        if length == limit:
                            break
            if best_len >= 3:
                token = ((best_off - 1) << (16 - bits)) | (best_len - 3)
                out += struct.pack("<H", token)
                flags |= 1 << bit
                step = best_len
            else:
                out.append(data[pos])
                step = 1
            for p in range(pos, pos + step):
                k = data[p : p + 3]
                if len(k) == 3:
                    index.setdefault(k, []).append(p)
            pos += step
        out[flag_at] = flags
    return bytes(out)


def compress(data: bytes) -> bytes:
    out = bytearray([_SIGNATURE])
    for start in range(0, len(data), CHUNK):
        chunk = data[start : start + CHUNK]
        body = _compress_chunk(chunk)
        if len(body) < CHUNK:
            header = 0xB000 | (len(body) + 2 - 3)  # signature 0b011, flag 1
            out += struct.pack("<H", header) + body
        elif len(chunk) == CHUNK:
            # Incompressible: stored raw; a raw chunk is always 4096 bytes (MS-OVBA 2.4.1.3.10).
            out += struct.pack("<H", 0x3000 | (CHUNK + 2 - 3)) + chunk
        else:
            # The format would pad a short raw chunk with zeros that come back on
            # reading; source text never gets here, so refuse rather than alter it.
            raise ValueError("incompressible data shorter than 4096 bytes cannot be stored exactly")
    return bytes(out)


class DecompressionError(ValueError):
    pass


def decompress(data: bytes) -> bytes:
    if not data or data[0] != _SIGNATURE:
        raise DecompressionError("not a VBA compressed container (signature byte is not 0x01)")
    out = bytearray()
    pos = 1
    while pos < len(data):
        if pos + 2 > len(data):
            raise DecompressionError("truncated chunk header")
        (header,) = struct.unpack_from("<H", data, pos)
        size = (header & 0x0FFF) + 3
        if (header >> 12) & 0b0111 != 0b011:
            raise DecompressionError(f"bad chunk signature at byte {pos}")
        compressed = bool(header & 0x8000)
        chunk_end = min(pos + size, len(data))
        pos += 2
        start = len(out)
        if not compressed:
            out += data[pos : pos + CHUNK]
            pos += CHUNK
            continue
        while pos < chunk_end:
            flags = data[pos]
            pos += 1
            for bit in range(8):
                if pos >= chunk_end:
                    break
                if not flags & (1 << bit):
                    out.append(data[pos])
                    pos += 1
                    continue
                (token,) = struct.unpack_from("<H", data, pos)
                pos += 2
                bits = _bit_count(len(out) - start)
                length = (token & (0xFFFF >> bits)) + 3
                offset = (token >> (16 - bits)) + 1
                if offset > len(out) - start:
                    raise DecompressionError("copy token points before the chunk")
                for _ in range(length):
                    out.append(out[-offset])
    return bytes(out)
