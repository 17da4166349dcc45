"""RDB version 10 out of snapshot entries, in the encodings Redis 7.0 would choose.

Payloads written (type byte, then):
    STRING (0)            string: int8/16/32 for canonical integers up to 11 bytes, LZF
                          (rdbcompression yes) for longer than 20 bytes when it saves 4+
    LIST_QUICKLIST_2 (18) len(nodes) { len(2 = packed) string(listpack of the node) }*
    SET_INTSET (11)       string(intset)               a set Redis keeps as an intset
    SET (2)               len(n) string{n}             otherwise (7.0 has no set listpack)
    HASH_LISTPACK (16)    string(listpack f1 v1 ...)   in insertion order
    HASH (4)              len(n) {string string}{n}
    ZSET_LISTPACK (17)    string(listpack m1 s1 ...)   ascending; integral scores as
                          integers, others in %.17g
    ZSET_2 (5)            len(n) {string double(8 bytes LE)}{n}, highest score first
Which of the two forms a type takes is what `encoding()` of the value says, i.e. what
OBJECT ENCODING answers, so the file is what Redis would write for the same history.

`RdbWriter` streams through a `write(bytes)` callable in ~1 MiB chunks and keeps the
CRC64 as it goes. Nothing here knows the keyspace: it gets entries and db sizes.

Most keys of a large dataset are short strings written as they are, so `entry` writes
such a record (key and value under 64 bytes, neither an integer candidate nor long
enough for LZF) with one formatting operation into the chunk buffer; everything else
goes through `encode_value` and `encode_string`, which decide the same bytes.
"""

from __future__ import annotations

import struct
import time
from typing import Any, Callable, Iterable, Protocol

from persistence.rdb import intset, listpack, lzf
from persistence.rdb.crc64 import crc64
from persistence.rdb.format import (
    LEN_32BIT, LEN_64BIT, LZF_MIN_LENGTH, MAGIC, RDB_VERSION, QuicklistContainer,
    RdbOpcode, RdbType,
)
from protocol.resp import parse_strict_int
from server.hash_type import Hash
from server.quicklist import QuickList
from server.set_type import Set
from server.sorted_set import SortedSet

CHUNK_BYTES = 1 << 20
REDIS_VERSION = b"7.0.15"
# A string of at most 11 bytes starting with one of these may be an integer, which
# rdbSaveRawString writes in the INT8/16/32 forms; any other is written as it is.
_INTEGER_START = b"-0123456789"
_EXPIRE_MS_PREFIX = struct.Struct("<Bq").pack


class SnapshotEntry(Protocol):
    db_index: int
    key: bytes
    value: Any
    expire_at_ms: int | None
    # Set under an LRU (idle seconds) or LFU (counter) policy: written as RDB_OPCODE_IDLE
    # or RDB_OPCODE_FREQ before the key, as rdbSaveKeyValuePair does.
    idle_s: int | None
    freq: int | None


def encode_len(length: int) -> bytes:
    if length < 64:
        return bytes((length,))
    if length < 16384:
        return bytes((0x40 | (length >> 8), length & 0xFF))
    if length <= 0xFFFFFFFF:
        return bytes((LEN_32BIT,)) + struct.pack(">I", length)
    return bytes((LEN_64BIT,)) + struct.pack(">Q", length)


def encode_int_string(value: int) -> bytes | None:
    """The INT8/16/32 form of value, None if it needs more than 32 bits."""
    if -128 <= value <= 127:
        return struct.pack("<Bb", 0xC0, value)
    if -32768 <= value <= 32767:
        return struct.pack("<Bh", 0xC1, value)
    if -2147483648 <= value <= 2147483647:
        return struct.pack("<Bi", 0xC2, value)
    return None


def encode_string(data: bytes | bytearray, compress: bool) -> bytes:
    """A string as rdbSaveRawString writes it (see the module docstring)."""
    length = len(data)
    if length <= 11 and length:
        number = parse_strict_int(bytes(data))
        if number is not None:
            encoded = encode_int_string(number)
            if encoded is not None:
                return encoded
    if compress and length > LZF_MIN_LENGTH:
        packed = lzf.compress(bytes(data), length - 4)
        if packed is not None:
            return b"\xc3" + encode_len(len(packed)) + encode_len(length) + packed
    if length < 64:
        return bytes((length,)) + data
    return encode_len(length) + data


def score_element(score: float) -> bytes:
    """A zset listpack score entry: an integer when integral and within ±LLONG_MAX/2
    (Redis's double2ll, so -0.0 is 0), else %.17g text."""
    if -4.611686018427388e18 <= score <= 4.611686018427388e18 and score == int(score):
        return listpack.encode_int(int(score))
    if score == float("inf"):
        text = b"inf"
    elif score == float("-inf"):
        text = b"-inf"
    else:
        text = b"%.17g" % score
    return listpack.encode_entry(text)


def encode_value(value: Any, compress: bool) -> tuple[RdbType, bytes]:
    """(type, payload) of one value."""
    kind = type(value)
    if kind is bytes or kind is bytearray:
        return RdbType.STRING, encode_string(value, compress)
    if kind is QuickList:
        parts = [encode_len(value.node_count())]
        for node in value.nodes:
            parts.append(b"\x02")  # QuicklistContainer.PACKED
            parts.append(encode_string(listpack.encode(node.elements()), compress))
        return RdbType.LIST_QUICKLIST_2, b"".join(parts)
    if kind is Set:
        if value.is_intset:
            return RdbType.SET_INTSET, encode_string(
                intset.encode([int(member) for member in value]), compress)
        parts = [encode_len(len(value))]
        parts += [encode_string(member, compress) for member in value]
        return RdbType.SET, b"".join(parts)
    if kind is Hash:
        if value.is_listpack:
            elements: list[bytes] = []
            for field, field_value in value.items():
                elements.append(field)
                elements.append(field_value)
            return RdbType.HASH_LISTPACK, encode_string(listpack.encode(elements), compress)
        parts = [encode_len(len(value))]
        for field, field_value in value.items():
            parts.append(encode_string(field, compress))
            parts.append(encode_string(field_value, compress))
        return RdbType.HASH, b"".join(parts)
    if kind is SortedSet:
        if value.is_listpack:
            body = []
            for member, score in value.items():
                body.append(listpack.encode_entry(member))
                body.append(score_element(score))
            blob = listpack.assemble(b"".join(body), 2 * len(value))
            return RdbType.ZSET_LISTPACK, encode_string(blob, compress)
        parts = [encode_len(len(value))]
        pack = struct.Struct("<d").pack
        for score, member in reversed(value.order):
            parts.append(encode_string(member, compress))
            parts.append(pack(score))
        return RdbType.ZSET_2, b"".join(parts)
    raise TypeError(f"no RDB encoding for values of type {kind.__name__}")


def aux_fields(used_memory: int, is_aof_base: bool) -> list[tuple[bytes, bytes]]:
    """The AUX fields Redis 7.0 writes in a standalone save, in its order."""
    return [
        (b"redis-ver", REDIS_VERSION),
        (b"redis-bits", b"64"),
        (b"ctime", b"%d" % int(time.time())),
        (b"used-mem", b"%d" % used_memory),
        (b"aof-base", b"1" if is_aof_base else b"0"),
    ]


class RdbWriter:
    def __init__(self, write: Callable[[bytes], None], *, compress: bool = True,
                 checksum: bool = True) -> None:
        self._write = write
        self.compress = compress
        self.checksum = checksum
        self.crc = 0
        self.size = 0
        self.keys = 0
        self._buffer = bytearray()
        # The longest string written as it is: longer ones are tried with LZF.
        self._plain_max = LZF_MIN_LENGTH if compress else 63

    def _emit(self, data: bytes) -> None:
        buffer = self._buffer
        buffer += data
        if len(buffer) >= CHUNK_BYTES:
            self.flush()

    def flush(self) -> None:
        chunk = self._buffer
        if not chunk:
            return
        self._buffer = bytearray()
        if self.checksum:
            self.crc = crc64(self.crc, chunk)
        self.size += len(chunk)
        self._write(chunk)

    def header(self, aux: Iterable[tuple[bytes, bytes]]) -> None:
        self._emit(MAGIC + b"%04d" % RDB_VERSION)
        for name, value in aux:
            self._emit(bytes((RdbOpcode.AUX,)) + encode_string(name, False)
                       + encode_string(value, False))

    def select_db(self, index: int, keys: int, expires: int) -> None:
        self._emit(bytes((RdbOpcode.SELECTDB,)) + encode_len(index)
                   + bytes((RdbOpcode.RESIZEDB,)) + encode_len(keys) + encode_len(expires))

    def entry(self, key: bytes, value: Any, expire_at_ms: int | None,
              idle_s: int | None = None, freq: int | None = None) -> None:
        buffer = self._buffer
        if expire_at_ms is not None:
            buffer += _EXPIRE_MS_PREFIX(RdbOpcode.EXPIRETIME_MS, expire_at_ms)
        if idle_s is not None:  # Redis's order: expiry, then LRU idle, then LFU counter
            buffer.append(RdbOpcode.IDLE)
            buffer += encode_len(idle_s)
        if freq is not None:
            buffer.append(RdbOpcode.FREQ)
            buffer.append(freq)
        plain_max = self._plain_max
        key_len = len(key)
        if type(value) is bytes:
            value_len = len(value)
            if (key_len <= plain_max and (key_len > 11 or key[:1] not in _INTEGER_START)
                    and value_len <= plain_max
                    and (value_len > 11 or value[:1] not in _INTEGER_START)):
                # Type STRING, then each string as its 6-bit length and its bytes.
                buffer += b"\x00%c%b%c%b" % (key_len, key, value_len, value)
            else:
                buffer.append(RdbType.STRING)
                buffer += encode_string(key, self.compress)
                buffer += encode_string(value, self.compress)
        else:
            kind, payload = encode_value(value, self.compress)
            buffer.append(kind)
            buffer += encode_string(key, self.compress)
            buffer += payload
        self.keys += 1
        if len(buffer) >= CHUNK_BYTES:
            self.flush()

    def finish(self) -> None:
        """EOF, then the checksum (zeros with rdbchecksum no), and flush."""
        self._emit(bytes((RdbOpcode.EOF,)))
        self.flush()
        trailer = struct.pack("<Q", self.crc if self.checksum else 0)
        self.size += len(trailer)
        self._write(trailer)


def write_rdb(write: Callable[[bytes], None], entries: Iterable[SnapshotEntry],
              db_sizes: dict[int, tuple[int, int]], *, compress: bool = True,
              checksum: bool = True, used_memory: int = 0,
              is_aof_base: bool = False) -> RdbWriter:
    """A whole file: header and AUX, then every entry (grouped by ascending db, as
    snapshot_entries yields them), EOF and checksum. `db_sizes` gives the RESIZEDB
    hints (keys, keys with a TTL) per db index."""
    writer = RdbWriter(write, compress=compress, checksum=checksum)
    writer.header(aux_fields(used_memory, is_aof_base))
    current = -1
    entry_method = writer.entry
    for item in entries:
        if item.db_index != current:
            current = item.db_index
            keys, expires = db_sizes.get(current, (0, 0))
            writer.select_db(current, keys, expires)
        entry_method(item.key, item.value, item.expire_at_ms, item.idle_s, item.freq)
    writer.finish()
    return writer


def dump_payload(value: Any, compress: bool = True) -> bytes:
    """DUMP's serialization: type byte, payload, RDB version (2 bytes LE), CRC64 of all
    of that (8 bytes LE), as createDumpPayload builds it."""
    kind, payload = encode_value(value, compress)
    body = bytes((kind,)) + payload + struct.pack("<H", RDB_VERSION)
    return body + struct.pack("<Q", crc64(0, body))
