"""Summarise a V8 .cpuprofile (from `node --cpu-prof`) into the top functions by CPU time."""
from __future__ import annotations

import json
import os
from typing import Dict, List, Set, Tuple


def _name(frame: Dict[str, object]) -> str:
    url = os.path.basename(str(frame.get("url", ""))) or "native"
    return f"{frame.get('functionName') or '(anonymous)'} @ {url}:{int(frame.get('lineNumber', 0) or 0) + 1}"  # type: ignore[call-overload]


def top_self_time(path: str, limit: int = 15, inclusive: bool = False) -> List[Tuple[str, float]]:
    """[(function @ file:line, share of busy samples)], largest first.

    Self time by default; with `inclusive`, the share of busy samples in which the function is
    anywhere on the stack (itself or what it called), which is where a cost is attributable."""
    with open(path) as fh:
        prof = json.load(fh)
    nodes = {n["id"]: n for n in prof["nodes"]}
    parent: Dict[int, int] = {}
    for n in prof["nodes"]:
        for child in n.get("children", []):
            parent[child] = n["id"]
    counts: Dict[int, int] = {}
    for sample in prof.get("samples", []):
        counts[sample] = counts.get(sample, 0) + 1
    by_name: Dict[str, int] = {}
    total = 0
    for node_id, count in counts.items():
        frame = nodes[node_id]["callFrame"]
        if frame.get("functionName") == "(idle)":
            continue  # waiting for the network is not cost; shares are of busy samples
        total += count
        if not inclusive:
            name = _name(frame)
            by_name[name] = by_name.get(name, 0) + count
            continue
        seen: Set[str] = set()
        cur = node_id
        while True:
            frame = nodes[cur]["callFrame"]
            name = _name(frame)
            if name not in seen and frame.get("functionName") != "(root)":
                seen.add(name)
                by_name[name] = by_name.get(name, 0) + count
            if cur not in parent:
                break
            cur = parent[cur]
    ranked = sorted(by_name.items(), key=lambda kv: kv[1], reverse=True)[:limit]
    return [(name, count / (total or 1)) for name, count in ranked]
