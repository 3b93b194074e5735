"""The friendly command line (issue 14 item 2): --version, `list`, suggestions for misspelt function,
dtype and flag names, and a progress bar only on a terminal."""
from __future__ import annotations

import json

import pytest

from xent_conformance.cli import main
from xent_conformance.harness.vectors import load_vectors

from .helpers import FIXTURES, fake


def test_version(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("xent-conformance ") and "spec and vectors:" in out


def test_list_counts_the_vectors_and_describes_the_flags(capsys):
    assert main(["list", "--vectors", str(FIXTURES), "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    counts: dict[str, dict[str, int]] = {}
    for case in load_vectors(FIXTURES):
        counts.setdefault(case.function, {}).setdefault(case.dtype, 0)
        counts[case.function][case.dtype] += 1
    assert listed["functions"] == counts
    assert listed["flags"] and all(f["description"] for f in listed["flags"].values())
    assert main(["list", "--vectors", str(FIXTURES)]) == 0
    table = capsys.readouterr().out
    assert "softmax" in table and "flags" in table


def test_list_without_vectors_is_a_usage_error(tmp_path, capsys):
    assert main(["list", "--vectors", str(tmp_path / "none")]) == 64


@pytest.mark.parametrize("option, typo, meant", [("--function", "sofmax", "softmax"), ("--dtype", "float46", "float64")])
def test_a_misspelt_name_gets_a_suggestion(option, typo, meant, capsys):
    assert main(["run", "--impl", fake("good"), "--vectors", str(FIXTURES), option, typo]) == 64
    err = capsys.readouterr().err
    assert f"did you mean {meant!r}" in err


def test_flag_filter_and_its_suggestion(capsys):
    flag = next(f for c in load_vectors(FIXTURES) for f in c.flags)
    wrong = flag.lower()
    assert main(["run", "--impl", fake("good"), "--vectors", str(FIXTURES), "--flag", wrong]) == 64
    assert f"did you mean {flag!r}" in capsys.readouterr().err
    carrying = sum(flag in c.flags for c in load_vectors(FIXTURES))
    report_code = main(["run", "--impl", fake("good"), "--vectors", str(FIXTURES), "--flag", flag])
    out = capsys.readouterr()
    assert report_code == 0 and f"= {carrying} vectors" in out.out
    assert "━" not in out.err  # no progress bar: stderr is not a terminal here (as in CI logs)
