"""Shared helpers for the harness tests: the fixture vectors, the fake adapter, the CLI in-process."""
from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "fixtures" / "vectors"
FAKE = HERE / "adapters" / "fake.py"
N_FIXTURE_VECTORS = 19


def fake(mode: str, *args: str) -> str:
    """An --impl command line for the fake adapter in the given mode."""
    return shlex.join([sys.executable, str(FAKE), mode, *args])


def cli(argv: list[str]) -> int:
    """The run/smoke subcommands as xent-conformance has them (built here, independent of cli.py)."""
    from xent_conformance.harness import commands
    parser = argparse.ArgumentParser(prog="xent-conformance")
    sub = parser.add_subparsers(dest="command", required=True)
    commands.register(sub)
    args = parser.parse_args(argv)
    return args.handler(args)


