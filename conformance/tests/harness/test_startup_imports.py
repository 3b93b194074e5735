"""A run starts without what it never uses (issue 14: import time is part of the wall clock)."""
from __future__ import annotations

import subprocess
import sys

import pytest

# jsonschema: only `validate` and `generate` check schemas; importlib.metadata: only --version.
NOT_AT_START = ["jsonschema", "importlib.metadata"]


@pytest.mark.parametrize("module", NOT_AT_START)
def test_building_the_command_line_does_not_import(module: str) -> None:
    code = ("import sys\nfrom xent_conformance.cli import build_parser\nbuild_parser()\n"
            f"print({module!r} in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
