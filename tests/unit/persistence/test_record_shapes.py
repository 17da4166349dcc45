"""encode_command has templates for two and three arguments; every arity must give
the canonical RESP array that Redis writes to its AOF."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from persistence.aof.records import encode_command


@given(st.lists(st.one_of(st.binary(max_size=30), st.builds(bytearray, st.binary(max_size=5))),
                min_size=1, max_size=8))
def test_every_arity_is_canonical_resp(argv: list[bytes]) -> None:
    expected = b"*%d\r\n" % len(argv) + b"".join(
        b"$%d\r\n%b\r\n" % (len(arg), arg) for arg in argv)
    assert encode_command(argv) == expected
