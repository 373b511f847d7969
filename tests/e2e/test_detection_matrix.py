"""Framework detection proven end to end: labelled jobs run through the installed exporter (its
`.pth` start-up, real wandb offline) against a real server process, and the server's merged
answer must be the label. Also: the exporter imported no framework module in any job, and the
table in server/src/detection/README.md is this run's table (the original's first-match ladder
given the same reports, and ours).
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Dict, Iterator, List

import pytest

from detection_matrix import ladder, packages
from detection_matrix.cases import CASES, Case
from detection_matrix.runner import EXPORTER_DIR, WATCH, CaseRun, ours, run_case, stack
from harness import ROOT, Server, clean_env

README = os.path.join(ROOT, "server", "src", "detection", "README.md")
ARTIFACT = os.path.join(ROOT, "test-artifacts", "detection-matrix.md")
# Jobs are mostly waiting on wandb's service and the exporter's exit flush; two at a time keeps
# a 2-core machine responsive. The real-library jobs run alone (each loads PyTorch).
WORKERS = 2


@pytest.fixture(scope="module")
def matrix(tmp_path_factory: pytest.TempPathFactory, installed_exporter: str) -> Iterator[Dict[str, CaseRun]]:
    server = Server(str(tmp_path_factory.mktemp("matrix-server"))).start()
    root = str(tmp_path_factory.mktemp("matrix"))
    try:
        light = [c for c in CASES if all(j.venv == "dev" for j in c.jobs)]
        heavy = [c for c in CASES if c not in light]
        with ThreadPoolExecutor(max_workers=WORKERS) as pool:
            runs = list(pool.map(lambda c: run_case(server, c, os.path.join(root, c.id)), light))
        runs += [run_case(server, c, os.path.join(root, c.id)) for c in heavy]
        yield {r.case.id: r for r in runs}
    finally:
        server.stop()


def original(run: CaseRun) -> str:
    """The original ladder per report (one per pod), given the evidence the server stored."""
    if not run.reports:
        return "unknown (no report reached it)"
    answers = []
    for report in run.reports:
        evidence = report["evidence"]
        installed = [name.replace("_", "-") for name in ((evidence.get("software") or {}).get("packages") or {})]
        wrappers, bases = ladder.v02_lists(installed, evidence)
        answers.append(ladder.describe(ladder.answer(evidence, wrappers, bases)))
    return " · ".join(answers)


def table(runs: Dict[str, CaseRun]) -> List[str]:
    rows = ["| case | what runs | label | original ladder | ours |", "|---|---|---|---|---|"]
    for case in CASES:
        run = runs[case.id]
        label = stack(*case.expect) + (" (%s)" % case.status if case.status else "")
        ours_stack, ours_status = ours(run)
        rows.append("| `%s` | %s | %s | %s | %s (%s) |" % (case.id, case.title, label, original(run), ours_stack, ours_status))
    return rows


def test_matrix_has_the_labelled_cases_it_promises() -> None:
    assert len(CASES) >= 24
    assert len({c.id for c in CASES}) == len(CASES)
    groups = {c.group for c in CASES}
    assert {"alone", "wrapper over base", "trap", "pods", "no report", "real"} <= groups
    assert any(len(c.jobs) > 1 and len({j.pod for j in c.jobs}) > 1 for c in CASES)
    assert any(all(j.drop_detection for j in c.jobs) for c in CASES)


def test_the_import_watch_names_the_code_that_imported(tmp_path: Any, installed_exporter: str) -> None:
    """The watch must be able to fail: code compiled as if it were the exporter's is named as such."""
    site, out = str(tmp_path / "site"), str(tmp_path / "imports.jsonl")
    packages.write_site(site, ["deepspeed", "jax"])
    as_exporter = os.path.join(os.path.dirname(installed_exporter), "collect", "probe.py")
    code = "import jax\nexec(compile('import deepspeed', %r, 'exec'))\n" % as_exporter
    env = clean_env({"PYTHONPATH": os.pathsep.join([site, WATCH]), "LENS_IMPORT_WATCH_OUT": out}, str(tmp_path))
    done = subprocess.run([sys.executable, "-c", code], env=env, cwd=str(tmp_path), timeout=60,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, universal_newlines=True)
    assert done.returncode == 0, done.stderr
    with open(out, encoding="utf-8") as handle:
        lines = {json.loads(line)["module"]: json.loads(line)["importer"] for line in handle}
    assert EXPORTER_DIR in lines["deepspeed"], lines
    assert EXPORTER_DIR not in lines["jax"] and lines["jax"] == "<string>", lines
    assert EXPORTER_DIR not in lines["torch"], "deepspeed's own import of torch is deepspeed's: %s" % lines


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case(matrix: Dict[str, CaseRun], case: Case) -> None:
    run = matrix[case.id]
    assert run.error is None, run.error
    for job in run.jobs:
        assert job.returncode == 0, "%s exited %d:\n%s\n%s" % (case.id, job.returncode, job.stdout[-2000:], job.stderr[-4000:])
        assert "Started (API:" in job.stderr, job.stderr[-3000:]
        assert job.imports, "the import watch saw no framework import in %s: it did not run" % case.id
        if job.job.drop_detection:
            assert job.dropped >= 1, "the job's detection report was expected (and dropped)"
    assert run.exporter_imports() == [], "the exporter imported a framework module: %s" % run.exporter_imports()
    d = run.detection
    assert d is not None, "no detection for %s" % run.workload
    got = (d["framework"], d["wrapper_framework"], d["base_framework"])
    assert got == case.expect, "%s: got %s, label %s\n%s" % (case.id, got, case.expect, d)
    if case.status is not None:
        assert d["status"] == case.status, d
    else:
        assert d["status"] in ("confirmed", "verified"), d
    sources = d["sources"]
    reports = [s for s in sources if s["source"] == "wandb"]
    if all(j.job.drop_detection for j in run.jobs):
        assert reports == [] and run.reports == []
    else:
        assert len(reports) == len({j.job.pod for j in run.jobs}), "one report source per pod (re-reports replace)"
    fingerprints = [s for s in sources if s["source"] == "metrics"]
    if case.metrics is not None:
        assert any(s["framework"] == case.metrics and s["method"] == "metric_names" for s in fingerprints), sources
    for s in fingerprints:
        assert s["confidence"] < 0.5 and all(i["kind"] == "metrics" for i in s["indicators"]), s


def test_readme_table_is_this_runs_table(matrix: Dict[str, CaseRun]) -> None:
    rows = table(matrix)
    os.makedirs(os.path.dirname(ARTIFACT), exist_ok=True)
    with open(ARTIFACT, "w", encoding="utf-8") as handle:
        handle.write("\n".join(rows) + "\n")
    with open(README, encoding="utf-8") as handle:
        text = handle.read()
    found = re.search(r"(\| case \| what runs \|.*?)(?:\n\n|\Z)", text, re.S)
    assert found is not None, "server/src/detection/README.md has no matrix table"
    assert found.group(1).strip().splitlines() == rows, "README table differs from this run's (see %s)" % ARTIFACT
