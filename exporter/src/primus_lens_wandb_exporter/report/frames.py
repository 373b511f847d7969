"""Messages between the training process and its shipper process: length-prefixed marshal.

marshal, not pickle or JSON: it is C, in the standard library, writes a 500-point batch in tens
of microseconds, and cannot run code when read. Both ends are the same interpreter (the shipper
is started with sys.executable), so the marshal version always matches. Only plain data crosses:
tuples, lists, dicts, str, int, float (NaN and infinities included), bool and None.

Training process -> shipper:
    ("hello", config: dict, identity: dict)
    ("items", [("r", run_id, project, name, step, timestamp, {key: number}) |
               ("e", run_id, project, name, exit_code, finished_at) |
               ("d", detection_body), ...])          # in submission order
    ("flush", token, timeout_s)
    ("stop", budget_s)
Shipper -> training process:
    ("ready",)
    ("flushed", token, done, stats)
    ("stopped", stats, used)
"""
from __future__ import annotations

import marshal
import struct
from typing import Any, List

_HEADER = struct.Struct("!I")
MARSHAL_VERSION = 4
MAX_FRAME_BYTES = 256 * 1024 * 1024  # far above any batch; a corrupt length stops the stream


class FrameError(Exception):
    pass


def pack(message: Any) -> bytes:
    payload = marshal.dumps(message, MARSHAL_VERSION)
    return _HEADER.pack(len(payload)) + payload


class Reader:
    """Splits a byte stream into messages; feed() whatever a read returned."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, data: bytes) -> List[Any]:
        self._buffer += data
        messages: List[Any] = []
        buffer = self._buffer
        offset = 0
        while len(buffer) - offset >= _HEADER.size:
            (size,) = _HEADER.unpack_from(buffer, offset)
            if size > MAX_FRAME_BYTES:
                raise FrameError("frame of %d bytes" % size)
            end = offset + _HEADER.size + size
            if len(buffer) < end:
                break
            messages.append(marshal.loads(bytes(buffer[offset + _HEADER.size:end])))
            offset = end
        if offset:
            del buffer[:offset]
        return messages
