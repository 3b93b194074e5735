"""`xent-conformance smoke`: broken adapter (2) versus non-conforming implementation (1)."""
from __future__ import annotations

import math

import pytest

from xent_conformance.harness.smoke import smoke_cases

from .helpers import fake

T = ["--timeout", "1", "--startup-timeout", "2"]


def test_smoke_expected_values_are_the_facts():
    cases = {(c.function, c.dtype, tuple(c.shape), len(c.inputs)): c for c in smoke_cases()}
    # the subnormal results: sigmoid(-745) and softplus(-745) are 0.57 * 2^-1074, rounding to 2^-1074
    assert cases[("sigmoid", "float64", (1,), 1)].expected == [2.0 ** -1074]
    assert cases[("softplus", "float64", (1,), 1)].expected == [2.0 ** -1074]
    assert cases[("sigmoid", "float32", (1,), 1)].expected == [2.0 ** -149]
    first = cases[("sigmoid", "float64", (6,), 6)]
    assert math.isnan(first.expected[0]) and first.expected[1:] == [1.0, 0.0, 0.5, 0.5, 0.5]
    assert len({c.id for c in smoke_cases()}) == len(smoke_cases())


def test_smoke_good(run_cli):
    code, out, _ = run_cli("smoke", "--impl", fake("good"), *T)
    assert code == 0 and "SMOKE OK" in out


@pytest.mark.parametrize("mode", ["crash", "garbage", "wrong_id", "bad_hex", "hang", "refuse", "twice_in_batch"])
def test_smoke_broken_adapter(run_cli, mode):
    code, out, _ = run_cli("smoke", "--impl", fake(mode), *T)
    assert code == 2 and "BROKEN ADAPTER" in out


@pytest.mark.parametrize("mode", ["wrong_value", "ulps"])
def test_smoke_non_conforming_implementation(run_cli, mode):
    code, out, _ = run_cli("smoke", "--impl", fake(mode, "1") if mode == "ulps" else fake(mode), *T)
    assert code == 1 and "IMPLEMENTATION DOES NOT CONFORM" in out


def test_smoke_only_declared_functions(run_cli):
    code, out, _ = run_cli("smoke", "--impl", fake("sigmoid_only"), *T)
    assert code == 0 and "not smoke-tested: log_sigmoid/float32" in out


def test_smoke_command_not_found(run_cli):
    code, out, _ = run_cli("smoke", "--impl", "/nonexistent/adapter", *T)
    assert code == 2 and "cannot start" in out


def test_smoke_and_run_share_the_default_level_and_say_which(run_cli):
    code, out, _ = run_cli("smoke", "--impl", fake("good"), *T)
    assert "level: compatible (the default for any other adapter command" in out
    code, out, _ = run_cli("smoke", "--impl", fake("good"), *T, "--level", "accurate")
    assert "level: accurate (chosen with --level)" in out


def test_smoke_range_extremes_follow_the_level(run_cli):
    """Subnormal results flushed to 0: accepted at compatible (as run accepts range extremes there),
    rejected at accurate."""
    code, out, _ = run_cli("smoke", "--impl", fake("ftz"), *T)
    assert code == 0, out
    code, out, _ = run_cli("smoke", "--impl", fake("ftz"), *T, "--level", "accurate")
    assert code == 1 and "is subnormal" in out


def test_smoke_counts_a_per_case_unsupported_answer_as_not_tested(run_cli):
    code, out, _ = run_cli("smoke", "--impl", fake("unsupported_on", "softplus"), *T)
    assert code == 0 and "answered unsupported" in out
