"""The xent-conformance command line: generate, validate, run, smoke."""
from __future__ import annotations

import argparse
import sys


USAGE_ERROR = 64  # EX_USAGE; 2 is reserved for "the adapter could not be started or spoke the protocol wrong"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):
        self.print_usage(sys.stderr)
        self.exit(USAGE_ERROR, f"{self.prog}: error: {message}\n")


def version_text() -> str:
    """The package version, and where spec and vectors come from (a checkout or the packaged copy)."""
    from importlib.metadata import PackageNotFoundError, version
    from . import paths
    try:
        number = version("xent-conformance")
    except PackageNotFoundError:
        number = "unknown"
    try:
        where = paths.source()
    except paths.NoCheckout:
        where = "no spec found"
    return f"xent-conformance {number} (spec and vectors: {where})"


class _VersionAction(argparse.Action):
    """--version, its text computed only when asked (importlib.metadata costs a run 40 ms; issue 14)."""

    def __init__(self, option_strings: list[str], dest: str = argparse.SUPPRESS, **kwargs) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS,
                         help="show the program's version number and exit", **kwargs)

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        print(version_text())  # on standard output, as argparse's own version action
        parser.exit()


#: commands whose module is registered alone when the command line names them: a run imports neither
#: the generator (mpmath, yaml, multiprocessing, rich's progress) nor the other commands (issue 14)
HARNESS_COMMANDS = ("run", "smoke")


def _command_named(argv: list[str]) -> str | None:
    """The subcommand of a command line (its first word that is not an option), or None."""
    return next((word for word in argv if not word.startswith("-")), None)


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The command line; with `command` one of HARNESS_COMMANDS, only the harness's own commands are
    registered (the same parsers, help and errors for them; other words are then not commands)."""
    parser = _Parser(prog="xent-conformance", description=__doc__)
    parser.add_argument("--version", action=_VersionAction)
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    if command in HARNESS_COMMANDS:
        from .harness import commands as harness_commands
        harness_commands.register(commands)
        return parser
    from . import generate_cli, validate_cli
    generate_cli.register(commands)
    validate_cli.register(commands)
    from .harness import combined, commands as harness_commands
    harness_commands.register(commands)
    combined.register(commands)
    from .harness import listing; listing.register(commands)  # noqa: E702
    from .mutants import register as register_mutants; register_mutants(commands)  # noqa: E702
    from .fuzz import register as register_fuzz; register_fuzz(commands)  # noqa: E702
    from .leaderboard import register as register_leaderboard; register_leaderboard(commands)  # noqa: E702
    return parser


def main(argv: list[str] | None = None) -> int:
    words = sys.argv[1:] if argv is None else argv
    args = build_parser(_command_named(words)).parse_args(argv)
    from .paths import NoCheckout
    try:
        return int(args.handler(args) or 0)
    except NoCheckout as exc:  # no checkout and no packaged data: a usage error, never a traceback
        print(f"xent-conformance {args.command}: {exc}", file=sys.stderr)
        return USAGE_ERROR


if __name__ == "__main__":
    sys.exit(main())
