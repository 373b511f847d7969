"""The pipe protocol between the training process and the shipper: frames survive any split."""

from __future__ import annotations

import math

import pytest

from primus_lens_wandb_exporter.report.shipper import frames

from support.seeded import seeded_random


def test_messages_come_back_whole_however_the_stream_is_cut() -> None:
    rows = [frames.dump_row((step, 1.5, {"loss": float(step), "nan": math.nan})) for step in range(50)]
    messages = [
        ("hello", {"a": 1}, {"b": None}),
        ("items", [("b", "run", "p", "n", rows)]),
        ("flush", 7, 2.5),
        ("stop", 0.0),
    ]
    stream = b"".join(frames.pack(m) for m in messages)
    rng = seeded_random(3)
    for _ in range(50):
        reader, got, at = frames.Reader(), [], 0
        while at < len(stream):
            step = rng.randint(1, 300)
            got.extend(reader.feed(stream[at : at + step]))
            at += step
        assert [m[0] for m in got] == ["hello", "items", "flush", "stop"], rng
        block = got[1][1][0]
        assert block[:4] == ("b", "run", "p", "n")
        entries = frames.load_rows(block[4])
        assert [e[0] for e in entries] == list(range(50))
        assert all(math.isnan(e[2]["nan"]) for e in entries)
        assert got[2] == ("flush", 7, 2.5)


def test_a_corrupt_length_is_refused_instead_of_buffering_forever() -> None:
    with pytest.raises(frames.FrameError):
        frames.Reader().feed(b"\xff\xff\xff\xff")


def test_only_plain_data_crosses() -> None:
    class Custom:
        pass

    with pytest.raises(ValueError):
        frames.pack(("items", [Custom()]))
