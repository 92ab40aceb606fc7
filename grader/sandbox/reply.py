"""A child's reply, read with suspicion: a frame's payload -> an Outcome.

Replies are JSON headers with ``.npy`` blobs (``protocol``) or, for the usual
answer, compact binary fields (``compact``); either way only plain data comes
out, with every field's type checked and every text capped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from . import compact, protocol

MAX_LOAD_ERRORS = 50  # as many as the runner notes: more are the child's invention


@dataclass
class Outcome:
    """What happened to one request: the only thing the sandbox reports."""

    kind: str  # returned | raised | missing | loaded | timeout | crashed | output_limit | protocol_error
    value: Any = None
    watched: list[Any] = field(default_factory=list)
    exception: dict | None = None
    errors: list[dict] = field(default_factory=list)
    output: str = ""
    output_truncated: bool = False
    seconds: float = 0.0  # measured here: what limits are enforced on
    detail: str = ""
    # The child's own measure of the call alone (its word, capped): shown for
    # public cases, never used to enforce anything.
    reported_seconds: float = 0.0
    # The reply's size: decoded arrays are views of it, so keeping the outcome keeps all of it.
    frame_bytes: int = 0
    # A load past its time is interrupted rather than killed (see session): how many times.
    interrupted: int = 0


def decode(payload, elapsed: float, output_limit: int) -> Outcome:
    """A reply frame's payload and how long it took to come -> an Outcome;
    ProtocolError (or any other error) for anything malformed."""
    if payload[:4] == compact.MARK:
        value, unchanged, reported = compact.decode(memoryview(payload)[4:])
        return Outcome("returned", value, [protocol.UNCHANGED] * unchanged, None, [], "", False, elapsed, "",
                       elapsed if reported is None else min(reported, 1e4))
    header, blobs = protocol.unpack(payload, protocol.MAX_HEADER_BYTES)
    blobs = protocol.SingleUse(blobs)
    get = header.get
    kind = get("kind")
    output = get("output", "")
    if type(output) is not str:
        output = ""
    truncated = get("output_truncated") is True
    reported = get("elapsed")
    reported = min(reported, 1e4) if type(reported) is float and reported >= 0 else elapsed
    printed = get("output_bytes", 0)
    # Loading is not held to it: printing a large array at the top of a
    # notebook is common, costs only its time, and was already cut to a few KiB.
    if type(printed) is int and printed > output_limit and kind != "loaded":
        return Outcome("output_limit", None, [], None, [], output, truncated, elapsed,
                       f"printed {printed // 1024} KiB", reported)
    if kind == "returned":
        watched = get("watched")
        if type(watched) is not list:
            raise protocol.ProtocolError("malformed watch list")
        value, unchanged = protocol.decode_value, protocol.UNCHANGED_NODE
        return Outcome("returned", value(get("value"), blobs),
                       [protocol.UNCHANGED if node == unchanged else value(node, blobs) for node in watched],
                       None, [], output, truncated, elapsed, "", reported)
    if kind == "raised":
        return Outcome("raised", None, [], clean_exception(header), [], output, truncated, elapsed, "", reported)
    if kind == "missing":
        return Outcome("missing", None, [], None, [], output, truncated, elapsed, "", reported)
    if kind == "loaded":
        errors = get("errors")
        if type(errors) is not list:
            raise protocol.ProtocolError("malformed error list")
        return Outcome("loaded", None, [], None, [clean_exception(error) for error in errors[:MAX_LOAD_ERRORS]],
                       output, truncated, elapsed, "", reported)
    if kind == "unsendable":
        return Outcome("protocol_error", None, [], None, [], output, truncated, elapsed,
                       "the returned value is too large to send", reported)
    raise protocol.ProtocolError("unknown reply")


def clean_exception(node: Any) -> dict:
    """Keep only the plain fields we know, with their types checked."""
    if not isinstance(node, dict):
        raise protocol.ProtocolError("malformed exception")
    frames = [
        {"line": frame["line"], "function": str(frame.get("function", ""))[:100]}
        for frame in node.get("frames", [])[:16]
        if isinstance(frame, dict) and type(frame.get("line")) is int
    ]
    mro = node.get("mro", [])
    return {
        "exc_type": str(node.get("exc_type", "Exception"))[:200],
        "mro": [str(name)[:100] for name in mro[:32]] if isinstance(mro, list) else [],
        "category": str(node.get("category", "exception"))[:20],
        "message": str(node.get("message", ""))[:500],
        "frames": frames,
    }


