"""Fixtures for the harness tests."""
from __future__ import annotations

import pytest

from .helpers import cli


@pytest.fixture
def run_cli(capsys):
    def go(*argv: str) -> tuple[int, str, str]:
        code = cli(list(argv))
        out = capsys.readouterr()
        return code, out.out, out.err
    return go
