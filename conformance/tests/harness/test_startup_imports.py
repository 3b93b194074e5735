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


# the generator and the other commands: a run or a smoke test registers only the harness's commands
NOT_FOR_A_RUN = ["xent_conformance.generate_cli", "xent_conformance.generate", "multiprocessing"]


@pytest.mark.parametrize("module", NOT_FOR_A_RUN)
@pytest.mark.parametrize("command", ["run", "smoke"])
def test_a_run_does_not_import_the_other_commands(module: str, command: str) -> None:
    code = ("import sys\nfrom xent_conformance.cli import _command_named, build_parser\n"
            f"build_parser(_command_named(['--version', {command!r}, '--impl', 'x']))\n"
            f"print({module!r} in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_the_run_parser_is_the_same_alone_and_among_all_commands() -> None:
    from xent_conformance.cli import build_parser
    argv = ["run", "--impl", "go", "--function", "softmax", "--level", "compatible"]
    assert vars(build_parser("run").parse_args(argv)).keys() == vars(build_parser().parse_args(argv)).keys()
    alone, full = (build_parser(c)._subparsers._group_actions[0].choices["run"].format_help() for c in ("run", None))
    assert alone == full


def test_other_commands_and_misspelt_ones_still_get_the_full_command_line(capsys) -> None:
    from xent_conformance.cli import main
    with pytest.raises(SystemExit) as exc:
        main(["runn", "--impl", "go"])
    assert exc.value.code == 64 and "'validate'" in capsys.readouterr().err   # every command offered
    assert main(["list"]) == 0 and "softmax" in capsys.readouterr().out
