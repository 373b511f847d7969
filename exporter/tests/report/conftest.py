"""The fake server, fresh for each test of report/."""

from __future__ import annotations

from typing import Iterator

import pytest

from support.fake_server import FakeServer


@pytest.fixture
def server() -> Iterator[FakeServer]:
    with FakeServer() as srv:
        yield srv
