"""Redis 7's multi-part append-only file, split by direction as etcd splits its WAL:
manifest.py (which files make the AOF), records.py (the RESP record format, both
ways), writer.py (buffer, write, fsync policies), loader.py (replay at startup),
base.py (a RESP base from a dataset snapshot) and service.py (the lifecycle the
composition root drives: open or create at startup, enable/disable at run time,
INFO fields, shutdown).
"""
