"""Reading a child's reply: only plain, checked, capped data becomes an Outcome."""

from __future__ import annotations

import numpy as np
import pytest

from grader.sandbox import compact, protocol, reply


def _payload(header: dict, blobs=()) -> bytes:
    return protocol.pack(header, blobs)[4:]


def test_a_returned_value_and_its_watched_inputs():
    blobs: list = []
    header = {"kind": "returned", "value": protocol.encode_value((np.arange(3), 2), blobs),
              "watched": [protocol.UNCHANGED_NODE, protocol.encode_value(np.zeros(2), blobs)], "elapsed": 0.5}
    outcome = reply.decode(_payload(header, blobs), 0.75, 1024)
    assert outcome.kind == "returned" and outcome.seconds == 0.75 and outcome.reported_seconds == 0.5
    assert np.array_equal(outcome.value[0], np.arange(3)) and outcome.value[1] == 2
    assert outcome.watched[0] is protocol.UNCHANGED and np.array_equal(outcome.watched[1], np.zeros(2))


def test_a_compact_reply_reads_like_the_json_one():
    parts, _ = compact.encode((np.ones(2), np.zeros(1)), 2, 0.25)
    outcome = reply.decode(b"".join(bytes(part) for part in parts)[4:], 0.5, 1024)
    assert outcome.kind == "returned" and outcome.watched == [protocol.UNCHANGED] * 2
    assert outcome.reported_seconds == 0.25 and np.array_equal(outcome.value[0], np.ones(2))


def test_printing_past_the_limit_is_an_output_limit_whatever_was_returned():
    header = {"kind": "returned", "value": {"t": "int", "v": "1"}, "watched": [], "output": "x" * 10,
              "output_bytes": 5000}
    outcome = reply.decode(_payload(header), 0.1, 4096)
    assert outcome.kind == "output_limit" and outcome.output == "x" * 10


def test_printing_much_while_loading_is_no_failure():
    header = {"kind": "loaded", "errors": [], "output": "x" * 10, "output_bytes": 5000, "output_truncated": True}
    outcome = reply.decode(_payload(header), 0.1, 4096)
    assert outcome.kind == "loaded" and outcome.output == "x" * 10


def test_an_exception_keeps_only_known_fields_checked_and_capped():
    header = {"kind": "raised", "exc_type": "E" * 1000, "mro": ["A"] * 100 + [7], "message": "m" * 9000,
              "frames": [{"line": 3, "function": "f"}, {"line": "3"}, "junk"], "category": 5, "extra": "x"}
    exception = reply.decode(_payload(header), 0.1, 1024).exception
    assert set(exception) == {"exc_type", "mro", "category", "message", "frames"}
    assert len(exception["exc_type"]) == 200 and len(exception["mro"]) == 32 and len(exception["message"]) == 500
    assert exception["frames"] == [{"line": 3, "function": "f"}] and exception["category"] == "5"


def test_a_time_the_child_claims_is_capped_and_a_bad_one_ignored():
    base = {"kind": "missing"}
    assert reply.decode(_payload(dict(base, elapsed=1e300)), 0.1, 1024).reported_seconds == 1e4
    assert reply.decode(_payload(dict(base, elapsed=-1.0)), 0.1, 1024).reported_seconds == 0.1
    assert reply.decode(_payload(dict(base, elapsed="1")), 0.1, 1024).reported_seconds == 0.1


@pytest.mark.parametrize("header", [
    {"kind": "passed"}, {"kind": "returned", "value": {"t": "int", "v": "1"}, "watched": "all"},
    {"kind": "loaded", "errors": {}}, {"kind": "raised", "exc_type": "E", "frames": [], "mro": []} | {"kind": 1},
])
def test_anything_else_is_a_protocol_error(header):
    with pytest.raises(protocol.ProtocolError):
        reply.decode(_payload(header), 0.1, 1024)


def test_a_value_too_large_to_send_is_a_protocol_error_outcome():
    outcome = reply.decode(_payload({"kind": "unsendable", "reason": "big"}), 0.1, 1024)
    assert outcome.kind == "protocol_error" and "too large" in outcome.detail


def test_a_loaded_reply_keeps_no_more_errors_than_the_runner_notes():
    header = {"kind": "loaded", "errors": [{}] * 10_000}
    assert len(reply.decode(_payload(header), 0.1, 4096).errors) == reply.MAX_LOAD_ERRORS


def test_a_blob_referred_to_by_many_nodes_is_a_protocol_error():
    """One large blob behind many nodes would be copied once per node in the parent."""
    blobs: list = []
    node = protocol.encode_value(np.bytes_(b"A" * 4096), blobs)
    header = {"kind": "returned", "value": {"t": "list", "items": [node] * 100}, "watched": []}
    with pytest.raises(protocol.ProtocolError, match="twice"):
        reply.decode(_payload(header, blobs), 0.1, 4096)
    header = {"kind": "returned", "value": node, "watched": [node]}
    with pytest.raises(protocol.ProtocolError, match="twice"):
        reply.decode(_payload(header, blobs), 0.1, 4096)
    header = {"kind": "returned", "value": {"t": "list", "items": [node]}, "watched": []}
    assert reply.decode(_payload(header, blobs), 0.1, 4096).value == [np.bytes_(b"A" * 4096)]
