"""Sum the JUnit reports of `make test` into one last line: `N passed, M failed`.

Usage: summarize_junit.py DIR

DIR holds the `*.xml` reports and, for suites started through scripts/run_suite.py, a
`<report>.run.json` record each. Counting is per <testcase> element (pytest and node:test both
write one per test), so nested <testsuite> totals cannot be counted twice:
  - a testcase with <failure> or <error> is failed, with <skipped> is skipped, else passed;
  - a suite whose record exists but whose report is missing or unreadable crashed: 1 failed;
  - a suite that exited non-zero although its report shows no failure: 1 failed (a crash after
    the report was written, a failing hook, a timeout).
Exit status: 0 only when nothing failed and at least one test passed.
"""
from __future__ import annotations

import glob
import json
import os
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Dict, List, Optional


@dataclass
class SuiteResult:
    name: str
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    problems: List[str] = field(default_factory=list)
    failed_tests: List[str] = field(default_factory=list)


def count_report(path: str, result: SuiteResult) -> None:
    root = ET.parse(path).getroot()
    for case in root.iter("testcase"):
        tags = {child.tag for child in case}
        label = "%s::%s" % (case.get("classname", ""), case.get("name", "?"))
        if "failure" in tags or "error" in tags:
            result.failed += 1
            result.failed_tests.append(label)
        elif "skipped" in tags:
            result.skipped += 1
        else:
            result.passed += 1


def load_record(path: str) -> Optional[Dict[str, object]]:
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
        return data if isinstance(data, dict) else None
    except (OSError, ValueError):
        return None


def summarize(directory: str) -> List[SuiteResult]:
    results: List[SuiteResult] = []
    seen_reports = set()
    for record_path in sorted(glob.glob(os.path.join(directory, "*.xml.run.json"))):
        report_path = record_path[: -len(".run.json")]
        seen_reports.add(os.path.abspath(report_path))
        record = load_record(record_path) or {}
        result = SuiteResult(name=str(record.get("name") or os.path.basename(report_path)))
        rc = record.get("rc")
        try:
            count_report(report_path, result)
        except FileNotFoundError:
            result.failed += 1
            result.problems.append("crashed without a report (exit %s)" % rc)
            results.append(result)
            continue
        except ET.ParseError as exc:
            result.failed += 1
            result.problems.append("report is not valid XML (%s; exit %s)" % (exc, rc))
            results.append(result)
            continue
        if record.get("timed_out"):
            result.failed += 1
            result.problems.append("timed out and was killed")
        elif rc not in (0, None) and result.failed == 0:
            result.failed += 1
            result.problems.append("exited %s although no test in its report failed" % rc)
        results.append(result)
    # Reports written without run_suite.py (a suite run by hand into the same folder) count too.
    for report_path in sorted(glob.glob(os.path.join(directory, "*.xml"))):
        if os.path.abspath(report_path) in seen_reports:
            continue
        result = SuiteResult(name=os.path.basename(report_path)[: -len(".xml")])
        try:
            count_report(report_path, result)
        except ET.ParseError as exc:
            result.failed += 1
            result.problems.append("report is not valid XML (%s)" % exc)
        results.append(result)
    return results


def main(argv: List[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    results = summarize(argv[0])
    passed = sum(r.passed for r in results)
    failed = sum(r.failed for r in results)
    skipped = sum(r.skipped for r in results)
    print("\n==> test summary")
    for r in results:
        if r.passed == r.failed == r.skipped == 0 and not r.problems:
            print("  %-28s ok (no tests: an installation step)" % r.name)
            continue
        line = "  %-28s %4d passed, %d failed" % (r.name, r.passed, r.failed)
        if r.skipped:
            line += ", %d skipped" % r.skipped
        print(line)
        for problem in r.problems:
            print("      ! %s" % problem)
        for name in r.failed_tests[:20]:
            print("      x %s" % name)
        if len(r.failed_tests) > 20:
            print("      x ... and %d more" % (len(r.failed_tests) - 20))
    if not results:
        print("  no reports found in %s" % argv[0])
    if skipped:
        print("  (%d skipped tests are neither passed nor failed)" % skipped)
    print("%d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 and passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
