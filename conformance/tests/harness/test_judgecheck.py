"""Issue 14: the fast judge gives every vector the exact judge's verdict, on real answers.

A representative part: the three implementations and five of their mutants (a plain failure, a miss at
accurate only, an accepted variant near the bounds, float32 accumulation that misses almost everywhere,
an accepted port) over the vectors of four functions. The `judge_equivalence` nox session runs every
vector and every mutant (python -m xent_conformance.harness.judgecheck).
"""
from __future__ import annotations

import shutil

import pytest

from xent_conformance import paths
from xent_conformance.harness import fastjudge, judgecheck
from xent_conformance.harness.compare import Outcome
from xent_conformance.harness.protocol import Answer
from xent_conformance.harness.vectors import load_vectors

FUNCTIONS = ["softmax", "log_softmax", "logsumexp", "sigmoid"]
MUTANTS = ["softmax_no_max_shift", "log_softmax_x_minus_lse", "sigmoid_naive", "float32_accumulation",
           "port_max_shift"]
TOOLCHAIN = {"python": None, "go": "go", "java": "mvn"}


@pytest.fixture(scope="module")
def cases():
    return load_vectors(paths.vectors_dir(), FUNCTIONS)


@pytest.mark.parametrize("impl", list(TOOLCHAIN))
def test_fast_and_exact_judges_agree_on_recorded_answers(impl, cases):
    tool = TOOLCHAIN[impl]
    if tool is not None and shutil.which(tool) is None:
        pytest.skip(f"{tool} is not installed: the {impl} adapter cannot be built")
    if impl == "python":
        pytest.importorskip("xent_mutants", reason="the Python mutant catalogue (./python/mutants) is not installed")
    tally = judgecheck.check_impl(impl, cases, MUTANTS, log=lambda m: None)
    assert tally.differences == []
    assert tally.runs == 2 + len(MUTANTS)           # the unmutated run, the mutants' baseline, each mutant
    assert tally.answers > len(cases) * 2           # every vector of the unmutated run, and the mutants'
    assert 0 < tally.decided_fast < tally.answers   # clear passes (most) and the rest (misses above all)


def test_a_judgement_that_differs_is_reported(cases):
    """The check is not vacuous: a fast outcome with another status or detail is named."""
    case = next(c for c in cases if c.result == "valid")
    answer = Answer(id=case.key, kind="output", dtype=case.dtype, shape=case.expected_shape,
                    data=list(case.expected_text))
    exact = judgecheck.exact_outcomes([(case, answer)])
    assert exact[0].status == {"accurate": "passed", "compatible": "passed"}
    assert judgecheck.differences([(case, answer)], exact, exact) == []
    wrong = Outcome(case=case, status={"accurate": "failed", "compatible": "passed"})
    (line,) = judgecheck.differences([(case, answer)], [wrong], exact)
    assert case.key in line and "failed" in line


def test_exact_outcomes_switch_the_fast_judge_off_and_back_on(cases, monkeypatch):
    seen = []
    monkeypatch.setattr(fastjudge, "clear_elements", lambda *a: seen.append(fastjudge.ENABLED))
    case = next(c for c in cases if c.result == "valid" and c.expected)
    answer = Answer(id=case.key, kind="output", dtype=case.dtype, shape=case.expected_shape,
                    data=list(case.expected_text))
    judgecheck.exact_outcomes([(case, answer)])
    assert seen == [False] and fastjudge.ENABLED
