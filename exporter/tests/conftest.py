"""Shared test helpers. The exporter is imported from exporter/src (unit tests); integration
tests run the wheel installed in the venvs made by setup_venvs.sh."""
from __future__ import annotations

import os
import sys

SRC = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "src")
if SRC not in sys.path:
    sys.path.insert(0, SRC)
