"""The README stays true: its configuration tables list every variable both halves read, with
the defaults the code uses, and the files and commands it points to exist."""
from __future__ import annotations

import os
import re
import sys
from typing import Dict

from harness import ROOT

README = os.path.join(ROOT, "README.md")


def readme() -> str:
    with open(README, encoding="utf-8") as handle:
        return handle.read()


def table_rows(section_title: str) -> Dict[str, str]:
    """`variable -> default cell` for the table under a README heading."""
    text = readme()
    start = text.index(section_title)
    end = text.find("\n#", start + len(section_title))
    rows: Dict[str, str] = {}
    for line in text[start:end if end != -1 else None].splitlines():
        match = re.match(r"^\| `([A-Z_]+)` \| (.*?) \|", line)
        if match:
            rows[match.group(1)] = match.group(2)
    return rows


def test_exporter_table_matches_config_py() -> None:
    sys.path.insert(0, os.path.join(ROOT, "exporter", "src"))
    try:
        from primus_lens_wandb_exporter.config import VARIABLES
    finally:
        sys.path.pop(0)
    rows = table_rows("### Exporter")
    assert set(rows) == {v.name for v in VARIABLES}
    for var in VARIABLES:
        if var.default:
            assert "`%s`" % var.default in rows[var.name], (var.name, var.default, rows[var.name])
        else:
            assert "unset" in rows[var.name] or "`$" in rows[var.name], (var.name, rows[var.name])


def test_server_table_lists_every_variable_config_ts_reads() -> None:
    with open(os.path.join(ROOT, "server", "src", "config.ts"), encoding="utf-8") as handle:
        source = handle.read()
    # env.NAME, env['NAME'] and readX(env, 'NAME', …) are the ways config.ts reads a variable.
    read = set(re.findall(r"env\.([A-Z][A-Z0-9_]+)", source))
    read |= set(re.findall(r"env\[['\"]([A-Z][A-Z0-9_]+)['\"]\]", source))
    read |= set(re.findall(r"\(\s*env\s*,\s*['\"]([A-Z][A-Z0-9_]+)['\"]", source))
    assert {"PORT", "LENS_DATABASE_URL"} <= read
    assert set(table_rows("### Telemetry processor")) == read


def test_linked_files_and_make_targets_exist() -> None:
    text = readme()
    for target in re.findall(r"\]\(((?:docs|deploy|examples|exporter|server|bench)/[^)#]*|BENCHMARKS\.md)\)", text):
        assert os.path.exists(os.path.join(ROOT, target)), target
    with open(os.path.join(ROOT, "Makefile"), encoding="utf-8") as handle:
        makefile = handle.read()
    for target in set(re.findall(r"`make ([\w-]+)", text)):
        assert re.search(r"^%s:" % target, makefile, flags=re.M), target
