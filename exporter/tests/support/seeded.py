"""Random test inputs that repeat: every random choice in the exporter's tests comes from here.

Each test names its own default seed, so a failure repeats exactly. PRIMUS_LENS_TEST_SEED=<n>
runs them all on other inputs (each test mixes its default in, so tests still differ). A
generator's repr names its seed and the variable's value; the tests put it in their failure
messages.
"""

from __future__ import annotations

import os
import random

SEED_VARIABLE = "PRIMUS_LENS_TEST_SEED"


def seed_for(default: int) -> int:
    """`default`, or, when PRIMUS_LENS_TEST_SEED is set, a seed derived from it and `default`."""
    override = os.environ.get(SEED_VARIABLE, "").strip()
    return default if not override else int(override) * 1_000_003 + default


class SeededRandom(random.Random):
    def __init__(self, seed: int) -> None:
        super().__init__(seed)
        self.seed_value = seed

    def __repr__(self) -> str:
        return "SeededRandom(seed=%d, %s=%r)" % (self.seed_value, SEED_VARIABLE, os.environ.get(SEED_VARIABLE, ""))


def seeded_random(default: int) -> SeededRandom:
    return SeededRandom(seed_for(default))
