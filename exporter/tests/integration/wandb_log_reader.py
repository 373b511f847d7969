"""Reads the history rows wandb-core stored in an offline run's `run-<id>.wandb` file.

This is the ground truth our step mirror must match: the rows and `_step`s wandb itself
recorded. The file is wandb's transaction log, a LevelDB-style log: a 7-byte file header
(":W&B", magic, version), then 32 KiB blocks of records, each with a 7-byte header
(crc32, little-endian length, type FULL/FIRST/MIDDLE/LAST) and a protobuf `Record` payload.
Runs inside a venv with wandb installed (it uses wandb's own protobuf classes).
"""

from __future__ import annotations

import json
import struct
import sys
from typing import Any, Dict, Iterator, List, Tuple

BLOCK = 32768
FILE_HEADER = 7
FULL, FIRST, MIDDLE, LAST = 1, 2, 3, 4


def records(path: str) -> Iterator[bytes]:
    with open(path, "rb") as handle:
        data = handle.read()
    assert data[:4] == b":W&B", "not a wandb transaction log"
    pos = FILE_HEADER
    pending = b""
    while pos + 7 <= len(data):
        left_in_block = BLOCK - (pos % BLOCK)
        if left_in_block < 7:  # block trailer padding
            pos += left_in_block
            continue
        _crc, length, kind = struct.unpack("<IHB", data[pos : pos + 7])
        payload = data[pos + 7 : pos + 7 + length]
        pos += 7 + length
        if kind == FULL:
            yield payload
        elif kind == FIRST:
            pending = payload
        elif kind == MIDDLE:
            pending += payload
        elif kind == LAST:
            yield pending + payload
            pending = b""
        elif kind == 0 and length == 0:
            pos += BLOCK - (pos % BLOCK)  # zero padding at a block end


def history(path: str) -> List[Tuple[int, Dict[str, Any]]]:
    from wandb.proto import wandb_internal_pb2

    rows: List[Tuple[int, Dict[str, Any]]] = []
    for raw in records(path):
        record = wandb_internal_pb2.Record()
        record.ParseFromString(raw)
        if record.WhichOneof("record_type") != "history":
            continue
        row: Dict[str, Any] = {}
        step = None
        for item in record.history.item:
            key = item.key if item.key else ".".join(item.nested_key)
            value = json.loads(item.value_json) if item.value_json else None
            if key == "_step":
                step = int(value)
            elif not key.startswith("_"):
                row[key] = value
        if record.history.HasField("step"):
            step = record.history.step.num
        rows.append((step, row))
    return rows


if __name__ == "__main__":
    # One process for every file: importing wandb's protobuf classes costs about a second.
    json.dump({path: history(path) for path in sys.argv[1:]}, sys.stdout)
