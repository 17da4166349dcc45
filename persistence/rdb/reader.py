"""RDB versions 1 to 11 into values of EmberKV's types.

Read: every opcode of format.py; strings in all four forms; value types 0-5
(plain list, set, string-score zset, hash, binary-score zset), 9 zipmap, 10-14
ziplists and intset, 16-18 listpacks and quicklists (of ziplists or listpacks), 20
set listpack. Refused, with the byte offset: streams (15, 19, 21), modules (6, 7,
MODULE_AUX) and functions (FUNCTION, FUNCTION2), which EmberKV cannot represent, so a
file holding them never loads partially.

Encodings on load follow Redis: a value gets the compact form when it fits the
limits of this server (`Limits`), whatever form the file used. Empty aggregates are
skipped; keys already expired are dropped unless the file is an AOF base (then their
DEL follows in the incr file). Any malformation, truncation or checksum mismatch
raises RdbFormatError naming the byte offset in the file.

`batches()` is the reader: it hands over keys a thousand or so at a time, as lists a
loader can add to a dict in one call (`Keyspace.load_entries`). Its inner loop reads
the common record (a string key and value, each a plain string under 64 bytes, no
TTL) straight from the buffer; any other record, and any doubt (a record that would
run past the end), goes through the general path, which says what is wrong and where.
`entries()` gives the same keys one by one.
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass, field
from typing import Any, Iterator, NamedTuple

from persistence.rdb import intset, listpack, lzf, ziplist
from persistence.rdb.crc64 import crc64
from persistence.rdb.format import (
    MAGIC, MAX_READABLE_VERSION, RDB_VERSION, RdbOpcode, RdbType,
)
from server.hash_type import Hash
from server.quicklist import QuickList
from server.set_type import Set
from server.sorted_set import SortedSet


class RdbFormatError(Exception):
    """The file cannot be loaded; `offset` is the byte where reading failed."""

    def __init__(self, detail: str, offset: int) -> None:
        super().__init__(f"{detail} (at RDB byte offset {offset})")
        self.detail = detail
        self.offset = offset


class ShortRead(RdbFormatError):
    """The file ends inside a record (truncated)."""


@dataclass(frozen=True)
class Limits:
    """This server's encoding limits (config), applied to loaded values."""

    list_fill: int = -2
    hash_max_entries: int = 512
    hash_max_value: int = 64
    zset_max_entries: int = 128
    zset_max_value: int = 64
    set_max_intset_entries: int = 512
    databases: int = 16


class LoadedKey(NamedTuple):
    db_index: int
    key: bytes
    value: Any
    expire_at_ms: int | None
    offset: int  # where the key's record starts, for errors found later (duplicates)
    idle_s: int | None = None  # RDB_OPCODE_IDLE: seconds since the last access
    freq: int | None = None  # RDB_OPCODE_FREQ: the LFU counter


class KeyBatch(NamedTuple):
    """Consecutive keys of one database, in file order (parallel lists)."""

    db_index: int
    keys: list[bytes]
    values: list[Any]
    offsets: list[int]  # where each key's record starts, for errors found later
    expire_ats: dict[int, int]  # position in `keys` -> expiry (unix ms), keys with a TTL
    # position in `keys` -> (idle seconds, LFU counter), keys with IDLE or FREQ records
    access: dict[int, tuple[int | None, int | None]]

    def loaded_keys(self) -> Iterator[LoadedKey]:
        expire_ats, access = self.expire_ats, self.access
        for index, key in enumerate(self.keys):
            idle_s, freq = access.get(index, (None, None))
            yield LoadedKey(self.db_index, key, self.values[index], expire_ats.get(index),
                            self.offsets[index], idle_s, freq)


BATCH_KEYS = 1024


@dataclass
class ReadState:
    """What a read found besides keys (available once it finishes)."""

    version: int = 0
    aux: dict[bytes, bytes] = field(default_factory=dict)
    end_offset: int = 0  # just past the checksum: an AOF preamble's RESP tail starts here
    keys_loaded: int = 0
    keys_expired: int = 0
    checksum_skipped: bool = False


_STREAM_TYPES = {RdbType.STREAM_LISTPACKS, RdbType.STREAM_LISTPACKS_2,
                 RdbType.STREAM_LISTPACKS_3}
_MODULE_TYPES = {RdbType.MODULE, RdbType.MODULE_2}
# The value types Redis 7.0's rdbIsObjectType accepts: 0-7 and 9-19.
_VALUE_TYPES_70 = frozenset(
    kind.value for kind in RdbType if kind <= RdbType.STREAM_LISTPACKS_2)


class RdbReader:
    def __init__(self, data: bytes, limits: Limits = Limits(), *, verify_checksum: bool = True,
                 now_ms: int | None = None, is_aof_base: bool = False,
                 check_duplicates: bool = True) -> None:
        """`check_duplicates=False` leaves a key repeated in the file to the loader, which
        finds it when adding it to a database that already holds it."""
        self.data = data
        self.pos = 0
        self.limits = limits
        self.verify_checksum = verify_checksum
        self.now_ms = now_ms
        self.is_aof_base = is_aof_base
        self.check_duplicates = check_duplicates
        self.state = ReadState()

    # ------------------------------------------------------------ primitives

    def _take(self, count: int) -> bytes:
        start = self.pos
        end = start + count
        if end > len(self.data):
            raise ShortRead("Short read: the file ends inside a record", len(self.data))
        self.pos = end
        return self.data[start:end]

    def _byte(self) -> int:
        pos = self.pos
        if pos >= len(self.data):
            raise ShortRead("Short read: the file ends inside a record", pos)
        self.pos = pos + 1
        return self.data[pos]

    def read_len(self) -> int:
        """A length; RdbFormatError for a string encoding or an unknown form."""
        length, is_encoded = self._len_or_encoding()
        if is_encoded:
            raise RdbFormatError("Unknown length encoding: a string encoding where a "
                                 "length belongs", self.pos - 1)
        return length

    def _len_or_encoding(self) -> tuple[int, bool]:
        start = self.pos
        first = self._byte()
        kind = first >> 6
        if kind == 0:
            return first & 0x3F, False
        if kind == 1:
            return ((first & 0x3F) << 8) | self._byte(), False
        if kind == 3:
            return first & 0x3F, True
        if first == 0x80:
            return struct.unpack(">I", self._take(4))[0], False
        if first == 0x81:
            return struct.unpack(">Q", self._take(8))[0], False
        raise RdbFormatError(f"Unknown length encoding 0x{first:02x}", start)

    def read_string(self) -> bytes:
        start = self.pos
        data = self.data
        if start < len(data) and data[start] < 64:  # the common short plain string
            end = start + 1 + data[start]
            if end <= len(data):
                self.pos = end
                return data[start + 1:end]
        length, is_encoded = self._len_or_encoding()
        if not is_encoded:
            return self._take(length)
        if length == 0:
            return b"%d" % struct.unpack("<b", self._take(1))[0]
        if length == 1:
            return b"%d" % struct.unpack("<h", self._take(2))[0]
        if length == 2:
            return b"%d" % struct.unpack("<i", self._take(4))[0]
        if length == 3:
            packed_len = self.read_len()
            original_len = self.read_len()
            packed = self._take(packed_len)
            try:
                return lzf.decompress(packed, original_len)
            except lzf.LzfError as error:
                raise RdbFormatError(f"Invalid LZF compressed string: {error}", start) from None
        raise RdbFormatError(f"Unknown RDB string encoding type {length}", start)

    def _read_millis(self) -> int:
        return int(struct.unpack("<q", self._take(8))[0])

    def _read_binary_double(self) -> float:
        return float(struct.unpack("<d", self._take(8))[0])

    def _read_string_double(self) -> float:
        start = self.pos
        length = self._byte()
        if length == 253:
            return math.nan
        if length == 254:
            return math.inf
        if length == 255:
            return -math.inf
        text = self._take(length)
        try:
            return float(text)
        except ValueError:
            raise RdbFormatError("Invalid double score", start) from None

    # ------------------------------------------------------------ file

    def entries(self) -> Iterator[LoadedKey]:
        """Every key of the file, in order; check `state` afterwards."""
        for batch in self.batches():
            yield from batch.loaded_keys()

    def batches(self, size: int = BATCH_KEYS) -> Iterator[KeyBatch]:
        """Every key of the file, in order, at most `size` a batch and one database per
        batch; `pos` is past the last key of each batch when it is handed over. Check
        `state` afterwards."""
        state = self.state
        data = self.data
        end = len(data)
        magic = self._take(9) if end >= 9 else None
        if magic is None:
            raise ShortRead("Short read: the file is shorter than the RDB header", end)
        if magic[:5] != MAGIC:
            raise RdbFormatError("Wrong signature trying to load DB from file", 0)
        try:
            version = int(magic[5:])
        except ValueError:
            version = -1
        if version < 1 or version > MAX_READABLE_VERSION:
            raise RdbFormatError(f"Can't handle RDB format version {magic[5:].decode('latin-1')}", 5)
        state.version = version
        db_index = 0
        expire_at: int | None = None
        idle_s: int | None = None
        freq: int | None = None
        limits = self.limits
        seen_keys: dict[int, set[bytes]] = {}
        seen = seen_keys.setdefault(0, set()) if self.check_duplicates else None
        keys: list[bytes] = []
        values: list[Any] = []
        offsets: list[int] = []
        expire_ats: dict[int, int] = {}
        access: dict[int, tuple[int | None, int | None]] = {}
        pos = self.pos
        while True:
            if len(keys) >= size:
                self.pos = pos
                state.keys_loaded += len(keys)
                yield KeyBatch(db_index, keys, values, offsets, expire_ats, access)
                keys, values, offsets, expire_ats, access = [], [], [], {}, {}
            if expire_at is None and idle_s is None and freq is None:
                # The common record, read in place: type 0, a plain key and a plain value
                # under 64 bytes each. Anything else (or a key seen before) falls through.
                add_key, add_value, add_offset = keys.append, values.append, offsets.append
                stop = end - 2
                for _ in range(size - len(keys)):
                    if pos >= stop or data[pos]:
                        break
                    key_len = data[pos + 1]
                    key_end = pos + 2 + key_len
                    if key_len > 63 or key_end >= end:
                        break
                    value_len = data[key_end]
                    value_end = key_end + 1 + value_len
                    if value_len > 63 or value_end > end:
                        break
                    key = data[pos + 2:key_end]
                    if seen is not None:
                        if key in seen:
                            break
                        seen.add(key)
                    add_key(key)
                    add_value(data[key_end + 1:value_end])
                    add_offset(pos)
                    pos = value_end
                if len(keys) >= size:
                    continue
            self.pos = record_start = pos
            kind = self._byte()
            if kind == RdbOpcode.EXPIRETIME_MS:
                expire_at = self._read_millis()
                pos = self.pos
                continue
            if kind == RdbOpcode.EXPIRETIME:
                expire_at = int(struct.unpack("<i", self._take(4))[0]) * 1000
                pos = self.pos
                continue
            if kind == RdbOpcode.IDLE:
                idle_s = self.read_len()
                pos = self.pos
                continue
            if kind == RdbOpcode.FREQ:
                freq = self._byte()
                pos = self.pos
                continue
            if kind == RdbOpcode.SELECTDB:
                selected = self.read_len()
                if selected >= limits.databases:
                    raise RdbFormatError(
                        "FATAL: Data file was created with a Redis server configured to "
                        f"handle more than {limits.databases} databases", record_start)
                pos = self.pos
                if selected != db_index:
                    if keys:
                        self.pos = record_start
                        state.keys_loaded += len(keys)
                        yield KeyBatch(db_index, keys, values, offsets, expire_ats, access)
                        keys, values, offsets, expire_ats, access = [], [], [], {}, {}
                    db_index = selected
                    if seen is not None:
                        seen = seen_keys.setdefault(db_index, set())
                continue
            if kind == RdbOpcode.RESIZEDB:
                self.read_len()
                self.read_len()
                pos = self.pos
                continue
            if kind == RdbOpcode.AUX:
                name = self.read_string()
                state.aux[name] = self.read_string()
                pos = self.pos
                continue
            if kind == RdbOpcode.EOF:
                break
            if kind in (RdbOpcode.FUNCTION2, RdbOpcode.FUNCTION):
                raise RdbFormatError("The file holds a function library (FUNCTION LOAD), "
                                     "which EmberKV cannot load: it has no scripting",
                                     record_start)
            if kind == RdbOpcode.MODULE_AUX:
                raise RdbFormatError("The file holds module data (MODULE_AUX), which "
                                     "EmberKV cannot load: it has no modules", record_start)
            key = self.read_string()
            if kind == 0:  # most keys are strings: skip the type dispatch
                value = self.read_string()
            else:
                value = self.read_value(kind, record_start, key)
            pos = self.pos
            at, expire_at = expire_at, None
            key_idle_s, key_freq, idle_s, freq = idle_s, freq, None, None
            if value is None:
                continue  # an empty aggregate, skipped as Redis does
            if seen is not None:
                if key in seen:
                    raise RdbFormatError(
                        f"Duplicated key '{key.decode('utf-8', 'backslashreplace')}' found "
                        "in RDB file", record_start)
                seen.add(key)
            if at is not None:
                if self.now_ms is not None and at <= self.now_ms and not self.is_aof_base:
                    state.keys_expired += 1
                    continue
                expire_ats[len(keys)] = at
            if key_idle_s is not None or key_freq is not None:
                access[len(keys)] = (key_idle_s, key_freq)
            keys.append(key)
            values.append(value)
            offsets.append(record_start)
        if keys:
            self.pos = pos
            state.keys_loaded += len(keys)
            yield KeyBatch(db_index, keys, values, offsets, expire_ats, access)
        self.pos = pos + 1  # past EOF
        if version >= 5:
            checksum_at = self.pos
            stored = struct.unpack("<Q", self._take(8))[0]
            if self.verify_checksum:
                if stored == 0:
                    state.checksum_skipped = True
                else:
                    computed = crc64(0, memoryview(data)[:checksum_at])
                    if computed != stored:
                        raise RdbFormatError(
                            f"Wrong RDB checksum expected: ({stored:016x}) but got "
                            f"({computed:016x}). Aborting now.", checksum_at)
        state.end_offset = self.pos

    # ------------------------------------------------------------ values

    def read_value(self, kind: int, record_start: int, key: bytes) -> Any:
        """The value of a record of type `kind` (its key already read); None when the
        value is an empty aggregate."""
        start = self.pos
        try:
            rdb_type = RdbType(kind)
        except ValueError:
            raise RdbFormatError(f"Unknown RDB encoding type {kind}", record_start) from None
        shown = key.decode("utf-8", "backslashreplace")
        if rdb_type in _STREAM_TYPES:
            raise RdbFormatError(f"Key '{shown}' is a stream, which EmberKV cannot load "
                                 "(no stream type)", record_start)
        if rdb_type in _MODULE_TYPES:
            raise RdbFormatError(f"Key '{shown}' holds a module type, which EmberKV cannot "
                                 "load (no modules)", record_start)
        try:
            return self._read_typed(rdb_type)
        except (listpack.ListpackError, intset.IntsetError, ziplist.ZiplistError) as error:
            raise RdbFormatError(f"Invalid encoded value of key '{shown}': {error}",
                                 start) from None
        except _Invalid as invalid:
            raise RdbFormatError(f"{invalid.args[0]} (key '{shown}')", start) from None

    def _read_typed(self, rdb_type: RdbType) -> Any:
        limits = self.limits
        if rdb_type is RdbType.STRING:
            return self.read_string()
        if rdb_type is RdbType.LIST:
            return self._list([self.read_string() for _ in range(self.read_len())])
        if rdb_type is RdbType.LIST_QUICKLIST_2:
            elements: list[bytes] = []
            for _ in range(self.read_len()):
                container_at = self.pos
                container = self.read_len()
                blob = self.read_string()
                if container == 1:
                    elements.append(blob)
                elif container == 2:
                    elements += listpack.decode(blob)
                else:
                    raise RdbFormatError("Quicklist integrity check failed: unknown "
                                         f"container {container}", container_at)
            return self._list(elements)
        if rdb_type is RdbType.LIST_QUICKLIST:
            elements = []
            for _ in range(self.read_len()):
                elements += ziplist.decode(self.read_string())
            return self._list(elements)
        if rdb_type is RdbType.LIST_ZIPLIST:
            return self._list(ziplist.decode(self.read_string()))
        if rdb_type is RdbType.SET:
            return self._set([self.read_string() for _ in range(self.read_len())])
        if rdb_type is RdbType.SET_INTSET:
            return self._set([b"%d" % member for member in intset.decode(self.read_string())])
        if rdb_type is RdbType.SET_LISTPACK:
            return self._set(listpack.decode(self.read_string()))
        if rdb_type is RdbType.HASH:
            count = self.read_len()
            pairs = []
            for _ in range(count):
                pairs.append(self.read_string())
                pairs.append(self.read_string())
            return self._hash(pairs)
        if rdb_type is RdbType.HASH_LISTPACK or rdb_type is RdbType.HASH_ZIPLIST:
            blob = self.read_string()
            decode = listpack.decode if rdb_type is RdbType.HASH_LISTPACK else ziplist.decode
            return self._hash(decode(blob))
        if rdb_type is RdbType.HASH_ZIPMAP:
            return self._hash(ziplist.decode_zipmap(self.read_string()))
        if rdb_type is RdbType.ZSET_2 or rdb_type is RdbType.ZSET:
            count = self.read_len()
            read_score = (self._read_binary_double if rdb_type is RdbType.ZSET_2
                          else self._read_string_double)
            items = []
            for _ in range(count):
                member = self.read_string()
                items.append((member, read_score()))
            return self._zset(items)
        if rdb_type is RdbType.ZSET_LISTPACK or rdb_type is RdbType.ZSET_ZIPLIST:
            blob = self.read_string()
            flat = (listpack.decode if rdb_type is RdbType.ZSET_LISTPACK
                    else ziplist.decode)(blob)
            if len(flat) % 2:
                raise _Invalid("Sorted set listpack with an odd number of elements")
            items = []
            for index in range(0, len(flat), 2):
                try:
                    score = float(flat[index + 1])
                except ValueError:
                    raise _Invalid("Invalid sorted set score") from None
                items.append((flat[index], score))
            return self._zset(items)
        raise _Invalid(f"Unknown RDB encoding type {int(rdb_type)}")

    # ------------------------------------------------------------ building values

    def _list(self, elements: list[bytes]) -> QuickList | None:
        if not elements:
            return None
        return QuickList(self.limits.list_fill, elements)

    def _set(self, members: list[bytes]) -> Set | None:
        if not members:
            return None
        value = Set(members, self.limits.set_max_intset_entries)
        if len(value) != len(members):
            raise _Invalid("Duplicate set members detected")
        return value

    def _hash(self, flat: list[bytes]) -> Hash | None:
        if len(flat) % 2:
            raise _Invalid("Hash with an odd number of elements")
        if not flat:
            return None
        value = Hash()
        for index in range(0, len(flat), 2):
            value[flat[index]] = flat[index + 1]
        if len(value) * 2 != len(flat):
            raise _Invalid("Duplicate hash fields detected")
        limits = self.limits
        value.is_listpack = value.fits_listpack(limits.hash_max_entries, limits.hash_max_value)
        return value

    def _zset(self, items: list[tuple[bytes, float]]) -> SortedSet | None:
        if not items:
            return None
        for _, score in items:
            if math.isnan(score):
                raise _Invalid("Zset with NAN score detected")
        limits = self.limits
        fits = len(items) <= limits.zset_max_entries and all(
            len(member) <= limits.zset_max_value for member, _ in items)
        value = SortedSet.from_items(items, fits)
        if len(value) != len(items):
            raise _Invalid("Duplicate zset fields detected")
        return value


class _Invalid(Exception):
    """A value that decoded but breaks its type's rules; wrapped with the offset."""


def read_rdb(data: bytes, limits: Limits = Limits(), **options: Any) -> tuple[list[LoadedKey],
                                                                            ReadState]:
    """Every key of a whole file at once (tests, tools, DEBUG RELOAD)."""
    reader = RdbReader(data, limits, **options)
    keys = list(reader.entries())
    return keys, reader.state


class PayloadCheckError(RdbFormatError):
    """A DUMP payload whose RDB version is newer than ours or whose CRC64 differs."""


def load_payload(payload: bytes, limits: Limits = Limits()) -> Any:
    """RESTORE: the value in a DUMP payload, checked as Redis 7.0's verifyDumpPayload
    and read as its restoreCommand does.

    PayloadCheckError when the payload is shorter than its footer, its version is
    above RDB_VERSION (7.0 refuses 7.2's version 11 too) or the CRC64 differs (a zero
    CRC is not skipped: DUMP always writes one). RdbFormatError when the value does
    not decode or is empty. The value is read from the whole payload, footer included,
    because Redis's rio reads from the whole buffer: bytes after the value are
    ignored, and a value that runs into the footer is read from it.
    """
    if len(payload) < 10:
        raise PayloadCheckError("DUMP payload version or checksum are wrong", 0)
    body = payload[:-8]
    version = struct.unpack("<H", body[-2:])[0]
    if version > RDB_VERSION:
        raise PayloadCheckError("DUMP payload version or checksum are wrong", len(body) - 2)
    if crc64(0, body) != struct.unpack("<Q", payload[-8:])[0]:
        raise PayloadCheckError("DUMP payload version or checksum are wrong", len(body))
    reader = RdbReader(payload, limits)
    kind = reader._byte()
    if kind not in _VALUE_TYPES_70:
        raise RdbFormatError("Bad data format", 0)
    value = reader.read_value(kind, 0, b"")
    if value is None:
        raise RdbFormatError("Bad data format: an empty value", 0)
    return value
