"""Persistence: the append-only file (aof/) and, with issue 5, RDB snapshots.

This package sees the server only through what the composition root (server/app.py)
hands it: records from the executor's write stream, the keyspace's snapshot entries,
and a replay callable for loading. It never imports server.executor or server.keyspace.
"""
