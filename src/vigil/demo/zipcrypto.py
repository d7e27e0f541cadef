"""Write password-protected zip files (traditional PKWARE encryption) for fixtures.

Python's zipfile reads such archives but cannot write them; the demo and the
tests need real encrypted entries to show that Vigil lists and flags them
without ever trying a password. Members are stored uncompressed.
"""

from __future__ import annotations

import os
import struct
import zlib
from pathlib import Path

_CRC_TABLE = []
for _n in range(256):
    _c = _n
    for _ in range(8):
        _c = (_c >> 1) ^ 0xEDB88320 if _c & 1 else _c >> 1
    _CRC_TABLE.append(_c)


class _Cipher:
    def __init__(self, password: bytes) -> None:
        self.keys = [0x12345678, 0x23456789, 0x34567890]
        for byte in password:
            self._update(byte)

    def _crc(self, crc: int, byte: int) -> int:
        return _CRC_TABLE[(crc ^ byte) & 0xFF] ^ (crc >> 8)

    def _update(self, byte: int) -> None:
        k0, k1, k2 = self.keys
        k0 = self._crc(k0, byte)
        k1 = ((k1 + (k0 & 0xFF)) * 134775813 + 1) & 0xFFFFFFFF
        k2 = self._crc(k2, k1 >> 24)
        self.keys = [k0, k1, k2]

    def encrypt(self, data: bytes) -> bytes:
        out = bytearray()
        for plain in data:
            temp = (self.keys[2] | 2) & 0xFFFF
            out.append(plain ^ (((temp * (temp ^ 1)) >> 8) & 0xFF))
            self._update(plain)
        return bytes(out)


def write_encrypted_zip(path: Path, members: dict[str, bytes], password: bytes) -> None:
    """Write ``members`` (name → data) to ``path`` as a ZipCrypto-encrypted, stored zip."""
    local = bytearray()
    central = bytearray()
    for name, data in members.items():
        raw_name = name.encode("utf-8")
        crc = zlib.crc32(data) & 0xFFFFFFFF
        cipher = _Cipher(password)
        header = os.urandom(11) + bytes([crc >> 24])
        payload = cipher.encrypt(header) + cipher.encrypt(data)
        offset = len(local)
        fields = (20, 0x0801, 0, 0, 0x21, crc, len(payload), len(data), len(raw_name), 0)
        local += struct.pack("<IHHHHHIIIHH", 0x04034B50, *fields) + raw_name + payload
        central += (
            struct.pack(
                "<IHHHHHHIIIHHHHHII",
                0x02014B50,
                20,
                *fields,
                0,
                0,
                0,
                0o100644 << 16,
                offset,
            )
            + raw_name
        )
    end = struct.pack(
        "<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(central), len(local), 0
    )
    path.write_bytes(bytes(local + central + end))
