"""Order statistics used by every report (medians, nearest-rank percentiles)."""
from __future__ import annotations

import math
from typing import Iterable, List


def median(values: Iterable[float]) -> float:
    data = sorted(values)
    if not data:
        return math.nan
    mid = len(data) // 2
    return data[mid] if len(data) % 2 else (data[mid - 1] + data[mid]) / 2.0


def percentile(values: Iterable[float], q: float) -> float:
    data: List[float] = sorted(values)
    if not data:
        return math.nan
    idx = min(len(data) - 1, max(0, math.ceil(q * len(data)) - 1))
    return data[idx]


def ratio(a: float, b: float) -> float:
    return a / b if b else math.nan
