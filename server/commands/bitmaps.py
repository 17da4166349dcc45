"""Bitmap commands over string values: SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD."""

from __future__ import annotations

from server.registry import CommandGroup

group = CommandGroup("bitmap", category="bitmap")
