"""Property test: thousands of random wandb.log payloads never raise into user code.

Random types (numbers, NaN, huge ints, strings, None, bytes, lists, numpy values, objects whose
__float__ or __eq__ raise), random nesting, huge dicts. Whatever wandb accepts must reach the
reporter without an internal error; nothing the exporter does may raise or mutate the dict.
"""

from __future__ import annotations

import copy
import math
import random
from typing import Any, Dict

import numpy as np
import pytest

from .patched_fake import fake_wandb
from support.seeded import seeded_random


class Hostile:
    def __float__(self) -> float:
        raise RuntimeError("no float for you")

    def __eq__(self, other: object) -> bool:
        raise RuntimeError("no eq either")

    __hash__ = object.__hash__


def random_value(rng: random.Random, depth: int) -> Any:
    choice = rng.randrange(16)
    if choice == 0 and depth < 4:
        return random_payload(rng, depth + 1, rng.randrange(0, 6))
    return [
        lambda: rng.random(),
        lambda: rng.randint(-(10**6), 10**6),
        lambda: float("nan"),
        lambda: rng.choice([math.inf, -math.inf]),
        lambda: 10 ** rng.randint(20, 400),
        lambda: rng.choice([True, False]),
        lambda: "s" * rng.randint(0, 5),
        lambda: None,
        lambda: b"bytes",
        lambda: [rng.random()],
        lambda: np.float32(rng.random()),
        lambda: np.array(rng.random()),
        lambda: np.zeros(rng.randint(0, 3)),
        lambda: Hostile(),
        lambda: object(),
    ][choice - 1 if choice else 0]()


def random_payload(rng: random.Random, depth: int, size: int) -> Dict[Any, Any]:
    payload: Dict[Any, Any] = {}
    for _ in range(size):
        key: Any = rng.choice(["loss", "a/b", "x.y", "", "step", "_private", "k%d" % rng.randint(0, 50)])
        if depth > 0 and rng.random() < 0.1:
            key = rng.choice([1, 2.5, None, ("t",)])  # nested dicts may have odd keys
        payload[key] = random_value(rng, depth)
    return payload


@pytest.mark.parametrize("shape", ["old", "new"])
def test_random_payloads_never_raise_into_user_code(shape: str) -> None:
    rng = seeded_random(1234)
    with fake_wandb(shape) as (wandb, reporter, tracker):
        run = wandb.init(project="fuzz")
        for i in range(3000):
            size = 2000 if i % 500 == 0 else rng.randrange(0, 12)
            payload = random_payload(rng, 0, size)
            before = copy.copy(payload)
            step = rng.choice([None, None, None, i, i + rng.randint(-5, 5), 0])
            commit = rng.choice([None, None, True, False])
            run.log(payload, step=step, commit=commit)
            assert payload.keys() == before.keys() and all(payload[k] is before[k] for k in before)
        run.finish()
        assert tracker.internal_errors == 0, rng
        # Every row we made is a row wandb stored, and every stored row holding a plain number
        # is one of ours. (Nested dicts merged across commit=False calls are combined key by key
        # on our side, as wandb-core's path tree does, but replaced whole by the fake's core.)
        ours = [s for s, _ in reporter.table()]
        assert len(ours) == len(set(ours)) and set(ours) <= {s for s, _ in run.history}
        plain = {s for s, row in run.history if any(type(v) in (int, float) for v in row.values())}
        assert plain <= set(ours)
        assert len(reporter.rows) > 1000
