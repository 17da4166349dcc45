"""RDB snapshots (issue 5): the Redis 7 dump format, written and read.

format.py documents the record layout; writer.py and reader.py go each direction;
lzf, crc64, listpack, intset and ziplist are the byte-level codecs they share.
"""
