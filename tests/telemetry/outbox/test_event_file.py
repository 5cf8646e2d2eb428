"""An event file's bytes: exactly what ``json.dumps`` writes, without loading ``json`` to write them."""

from __future__ import annotations

import json
import re

from hypothesis import given
from hypothesis import strategies as st

from archon.telemetry.outbox.event_file import StoredEvent, _is_canonical_uuid, decode_event, encode_event
from archon.telemetry.schema import PropertyValue
from tests.support.delivery import make_event

text = st.text(st.characters(exclude_categories=["Cs"]), max_size=30)  # lone surrogates are not UTF-8 at all
values = st.one_of(text, st.booleans(), st.integers(min_value=-(2**70), max_value=2**70))


@given(text, text, st.dictionaries(text, values, max_size=8))
def test_the_bytes_are_json_dumps_exactly(name: str, stamp: str, properties: dict[str, PropertyValue]) -> None:
    uuid = "00000000-0000-4000-8000-000000000000"
    event = StoredEvent(event=name, distinct_id=stamp, uuid=uuid, timestamp=stamp, properties=properties)
    expected = json.dumps(event, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    assert encode_event(event) == expected
    assert decode_event(expected) == event


def test_a_recorded_event_reads_back_as_it_was() -> None:
    event = make_event()
    assert decode_event(encode_event(event)) == event


@given(st.one_of(st.uuids().map(str), st.text(alphabet="0123456789abcdefABCDEF-g", min_size=30, max_size=40)))
def test_a_canonical_uuid_is_what_the_pattern_says(text: str) -> None:
    pattern = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
    assert _is_canonical_uuid(text) == (re.fullmatch(pattern, text) is not None)
