"""The xent-conformance command line: generate, validate, run, smoke."""
from __future__ import annotations

import argparse
import sys


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="xent-conformance", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    from . import generate_cli, validate_cli
    generate_cli.register(commands)
    validate_cli.register(commands)
    try:
        from .harness import commands as harness_commands
    except ImportError:  # the harness is optional while it is being built
        harness_commands = None
    if harness_commands is not None:
        harness_commands.register(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.handler(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
