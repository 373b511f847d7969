"""Summarise a V8 .cpuprofile (from `node --cpu-prof`) into the top self-time functions."""
from __future__ import annotations

import json
import os
from typing import Dict, List, Tuple


def top_self_time(path: str, limit: int = 15) -> List[Tuple[str, float]]:
    """[(function @ file:line, share of busy samples)], largest first."""
    with open(path) as fh:
        prof = json.load(fh)
    nodes = {n["id"]: n for n in prof["nodes"]}
    counts: Dict[int, int] = {}
    for sample in prof.get("samples", []):
        counts[sample] = counts.get(sample, 0) + 1
    by_name: Dict[str, int] = {}
    for node_id, count in counts.items():
        frame = nodes[node_id]["callFrame"]
        if frame.get("functionName") == "(idle)":
            continue  # waiting for the network is not cost; shares are of busy samples
        url = os.path.basename(frame.get("url", "")) or "native"
        name = f"{frame.get('functionName') or '(anonymous)'} @ {url}:{frame.get('lineNumber', 0) + 1}"
        by_name[name] = by_name.get(name, 0) + count
    total = sum(by_name.values()) or 1
    ranked = sorted(by_name.items(), key=lambda kv: kv[1], reverse=True)[:limit]
    return [(name, count / total) for name, count in ranked]
