"""A JUnit XML file with one testcase per scenario, for the `make test` summary."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import List, Optional, Tuple


def write(path: str, suite: str, cases: List[Tuple[str, float, Optional[str]]]) -> None:
    """cases: (name, seconds, failure message or None)."""
    failures = sum(1 for _, _, err in cases if err)
    root = ET.Element("testsuite", name=suite, tests=str(len(cases)), failures=str(failures),
                      errors="0", skipped="0", time=f"{sum(t for _, t, _ in cases):.3f}")
    for name, seconds, err in cases:
        case = ET.SubElement(root, "testcase", classname=suite, name=name, time=f"{seconds:.3f}")
        if err:
            ET.SubElement(case, "failure", message=err.splitlines()[0][:200] if err else "").text = err
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)
