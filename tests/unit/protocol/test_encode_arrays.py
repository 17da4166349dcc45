"""Arrays of bulk strings take a batched path in the encoder; it must give exactly the
bytes that encoding each element on its own gives, whatever the array holds."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from protocol.resp import encode


def element_by_element(items: list, protocol: int) -> bytes:
    return b"*%d\r\n" % len(items) + b"".join(encode(item, protocol) for item in items)


elements = st.one_of(
    st.binary(max_size=40),
    st.binary(min_size=8186, max_size=8196),  # around the end of the header table
    st.builds(bytearray, st.binary(max_size=10)),
    st.integers(),
    st.none(),
    st.text(max_size=5),
    st.lists(st.binary(max_size=3), max_size=6),
)


@given(st.lists(elements, max_size=12), st.sampled_from([2, 3]))
def test_any_array_encodes_like_its_elements(items: list, protocol: int) -> None:
    assert encode(items, protocol) == element_by_element(items, protocol)


@given(st.lists(st.binary(max_size=20), min_size=5, max_size=50))
def test_bulk_string_arrays(items: list[bytes]) -> None:
    expected = b"*%d\r\n" % len(items) + b"".join(
        b"$%d\r\n%b\r\n" % (len(item), item) for item in items)
    assert encode(items) == expected
