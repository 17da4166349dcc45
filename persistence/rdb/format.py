"""The RDB file layout (Redis 7.0, RDB version 10) and its on-disk constants.

    file    := "REDIS" version(4 ASCII digits) item* EOF(0xFF) crc64(8 bytes LE)
    item    := AUX key:string value:string
             | SELECTDB len | RESIZEDB len(keys) len(expires)
             | FUNCTION2 string            (refused: no functions here)
             | MODULE_AUX ...              (refused: no modules here)
             | [EXPIRETIME_MS int64 LE | EXPIRETIME int32 LE] [IDLE len] [FREQ byte]
               type:byte key:string payload
    len     := 00xxxxxx | 01xxxxxx yyyyyyyy (14 bits BE) | 0x80 uint32 BE | 0x81 uint64 BE
    string  := len bytes | 0xC0 int8 | 0xC1 int16 LE | 0xC2 int32 LE
             | 0xC3 len(compressed) len(original) lzf-bytes

Payloads by type are described in writer.py (what we write) and reader.py (what we
read, versions 1 to 11). The checksum covers every byte from "REDIS" through EOF
and is zero when written with rdbchecksum no. The numbers below never change
meaning: they are what Redis writes on disk.
"""

from __future__ import annotations

from enum import IntEnum

RDB_VERSION = 10
# Readable: everything up to Redis 7.2's version 11 (types 20, 21 are refused or
# loaded one by one, never misread).
MAX_READABLE_VERSION = 11
MAGIC = b"REDIS"


class RdbType(IntEnum):
    STRING = 0
    LIST = 1
    SET = 2
    ZSET = 3
    HASH = 4
    ZSET_2 = 5
    MODULE = 6
    MODULE_2 = 7
    HASH_ZIPMAP = 9
    LIST_ZIPLIST = 10
    SET_INTSET = 11
    ZSET_ZIPLIST = 12
    HASH_ZIPLIST = 13
    LIST_QUICKLIST = 14
    STREAM_LISTPACKS = 15
    HASH_LISTPACK = 16
    ZSET_LISTPACK = 17
    LIST_QUICKLIST_2 = 18
    STREAM_LISTPACKS_2 = 19
    SET_LISTPACK = 20
    STREAM_LISTPACKS_3 = 21


class RdbOpcode(IntEnum):
    FUNCTION2 = 245
    FUNCTION = 246
    MODULE_AUX = 247
    IDLE = 248
    FREQ = 249
    AUX = 250
    RESIZEDB = 251
    EXPIRETIME_MS = 252
    EXPIRETIME = 253
    SELECTDB = 254
    EOF = 255


class LengthEncoding(IntEnum):
    """The two top bits of a length's first byte."""

    BITS_6 = 0
    BITS_14 = 1
    WIDE = 2  # 0x80: 32-bit BE follows; 0x81: 64-bit BE follows
    SPECIAL = 3  # not a length: a string encoding follows in the low 6 bits


LEN_32BIT = 0x80
LEN_64BIT = 0x81


class StringEncoding(IntEnum):
    INT8 = 0
    INT16 = 1
    INT32 = 2
    LZF = 3


class QuicklistContainer(IntEnum):
    PLAIN = 1
    PACKED = 2


# Strings longer than this are tried with LZF when rdbcompression is yes.
LZF_MIN_LENGTH = 20
