"""16-bit vector files (issue 16): the loader, the judges and validate read float16/bfloat16 files and the
mixed contract (output_dtype float32: 16-bit inputs, float32 expected values and answers)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from xent_conformance.cases import Case, resolve_params
from xent_conformance.dtypes import DTYPES
from xent_conformance.generate import Job, assemble, render, run_job
from xent_conformance.harness.compare import compare
from xent_conformance.harness.fastjudge import try_compare
from xent_conformance.harness.protocol import Answer
from xent_conformance.harness.vectors import VectorFileError, load_vector_file
from xent_conformance.spec import load_spec
from xent_conformance.tensor import Tensor
from xent_conformance.validate_cli import consistency_problems

SPEC = load_spec()
LOGITS = (1.5, -0.25)  # logsumexp = 1.6602241504...: 0x1.a9p+0 in float16, 0x1.a90474p+0 in float32


def _vector_file(tmp_path: Path, dtype: str, params: dict) -> Path:
    """A one-test logsumexp file made by the generator (oracle values, real bounds)."""
    fn = SPEC.functions["logsumexp"]
    case = Case(1, "two logits", [], {"x": Tensor(dtype, (2,), LOGITS)}, resolve_params(fn, params, DTYPES[dtype]))
    test = run_job(Job("logsumexp", dtype, case, SPEC.tolerance("logsumexp")))
    path = tmp_path / f"logsumexp_{dtype}.json"
    path.write_text(render(assemble("logsumexp", DTYPES[dtype], SPEC, [case], [test])))
    return path


@pytest.fixture
def mixed(tmp_path: Path) -> Path:
    return _vector_file(tmp_path, "float16", {"output_dtype": "float32"})


def _answer(case, dtype: str, data: list[str]) -> Answer:
    return Answer(id=case.key, kind="output", dtype=dtype, shape=case.expected_shape, data=data)


def test_mixed_file_holds_float32_results_and_tolerance(mixed: Path) -> None:
    doc = json.loads(mixed.read_text())
    group = doc["testGroups"][0]
    assert group["params"]["output_dtype"] == "float32"
    assert group["tolerance"]["accurate"]["u"] == "0x1p-24" and group["tolerance"]["accurate"]["eta"] == "0x1p-149"
    (case,) = load_vector_file(mixed, use_schema=True)
    assert case.dtype == "float16" and case.result_dtype == "float32"
    assert case.expected_text == ["0x1.a90474p+0"]
    assert consistency_problems(mixed, [case]) == []


def test_plain_16_bit_file(tmp_path: Path) -> None:
    (case,) = load_vector_file(_vector_file(tmp_path, "float16", {}), use_schema=True)
    assert case.result_dtype == "float16" and case.expected_text == ["0x1.a9p+0"]
    assert compare(case, _answer(case, "float16", ["0x1.a9p+0"])).status["accurate"] == "passed"
    inexact = compare(case, _answer(case, "float16", ["0x1.a904p+0"]))  # a float32 value, not a float16 one
    assert inexact.status["accurate"] == "failed" and "not exactly representable in float16" in inexact.detail


@pytest.mark.parametrize("judge", [compare, try_compare], ids=["compare", "fastjudge"])
def test_mixed_answer_is_judged_in_float32(mixed: Path, judge) -> None:
    (case,) = load_vector_file(mixed)
    outcome = judge(case, _answer(case, "float32", ["0x1.a90474p+0"]))
    assert outcome is not None and outcome.status == {"accurate": "passed", "compatible": "passed"}
    assert 0.4 < outcome.max_ulp < 0.5  # the correctly rounded float32, in float32 ulps (in float16 ulps: 2^-13 of that)


def test_mixed_answer_in_the_input_dtype_fails(mixed: Path) -> None:
    (case,) = load_vector_file(mixed)
    outcome = compare(case, _answer(case, "float16", ["0x1.a9p+0"]))
    assert outcome.status["accurate"] == "failed" and "expected 'float32'" in outcome.detail
    far = compare(case, _answer(case, "float32", ["0x1.a9p+0"]))  # the float16 value: 570 float32 ulps off
    assert far.status["accurate"] == "failed" and 569 < far.max_ulp < 571


def test_float32_expected_needs_output_dtype(mixed: Path) -> None:
    doc = json.loads(mixed.read_text())
    del doc["testGroups"][0]["params"]["output_dtype"]
    mixed.write_text(json.dumps(doc))
    with pytest.raises(VectorFileError, match=r"expected\.dtype.*'float32' in a float16 file"):
        load_vector_file(mixed)


def test_validate_rounds_mixed_results_into_float32(mixed: Path) -> None:
    """validate's consistency check rounds the exact value into float32 here: the float16 rounding is wrong."""
    (case,) = load_vector_file(mixed)
    case.expected = [float.fromhex("0x1.a9p+0")]
    case.expected_text = ["0x1.a9p+0"]
    (problem,) = consistency_problems(mixed, [case])
    assert "rounded to float32" in problem and "0x1.a90474p+0" in problem
