"""The differential fuzz tier: a short clean run against the Python implementation, a deliberately wrong
adapter that must be caught (with a seed and a spec case that loads), and the spec-case round trip."""
from __future__ import annotations

import json
import math
import re
import shlex
import sys
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings

from xent_conformance.cases import materialize
from xent_conformance.cli import main
from xent_conformance.dtypes import DTYPES
from xent_conformance.fuzz.promote import TCID_PLACEHOLDER, _same, yaml_case
from xent_conformance.fuzz.strategies import examples
from xent_conformance.spec import load_case_file, load_spec
from xent_conformance.tensor import Tensor

HERE = Path(__file__).resolve().parent
WRONG_SIGMOID = HERE / "fuzz_adapters" / "wrong_sigmoid.py"
SPEC = load_spec()


def _fuzz(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["fuzz", *argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def _load_entry(line: str, function: str, tmp_path: Path, tc_id: int = 9000) -> tuple[dict, list]:
    """A printed spec case, loaded as spec/cases/<function>.yaml would be: schema, cross-checks, materialize."""
    text = f"function: {function}\ncases:\n{line.replace(TCID_PLACEHOLDER, str(tc_id), 1)}\n"
    path = tmp_path / f"{function}.yaml"
    path.write_text(text, encoding="utf-8")
    document = load_case_file(path, SPEC)
    entry = document["cases"][0]
    cases = [c for d in entry["dtypes"] for c in materialize(document, SPEC, DTYPES[d], str(path))]
    return entry, cases


def _bits(t: Tensor) -> tuple:
    return t.dtype, t.shape, tuple(v.hex() if isinstance(v, float) else v for v in t.data)


def test_python_short_run_is_clean(capsys):
    code, out, err = _fuzz(capsys, "--impl", "python", "--budget", "6", "--seed", "20240601",
                           "--shrink-time", "5")
    assert code == 0, out + err
    table = {m.group(1): int(m.group(2)) for m in re.finditer(r"^   (\w+)\s+(\d+)\s+\d+", out, re.M)}
    assert set(table) == set(SPEC.functions), out
    assert all(n > 0 for n in table.values()), out   # every function was exercised
    assert "0 failure(s)" in out


def test_wrong_adapter_is_caught_with_seed_and_spec_case(capsys, tmp_path):
    impl = shlex.join([sys.executable, str(WRONG_SIGMOID)])
    report = tmp_path / "fuzz.json"
    # two functions share the budget (with every function, sigmoid's share is 4 s / 21, a few examples)
    code, out, err = _fuzz(capsys, "--impl", impl, "--budget", "4", "--seed", "4242", "--level", "accurate",
                           "--function", "sigmoid", "--function", "softmax", "--report-json", str(report))
    assert code == 1, out + err
    assert "FAILURE" in out and "(seed 4242)" in out
    results = json.loads(report.read_text())
    assert len(results) == 1
    (failure,) = results[0]["failures"]
    assert failure["function"] == "sigmoid" and failure["seed"] == 4242
    assert "--seed 4242" in failure["rerun"] and failure["yaml"] in out
    # functions the adapter does not declare are skipped, not failed
    assert results[0]["functions"]["softmax"]["examples"] == 0

    # hypothesis shrank it to one element that triggers the bug (|z| > 2)
    z = failure["inputs"]["z"]
    assert len(z["data"]) == 1
    value = float.fromhex(z["data"][0]) if z["data"][0] not in ("inf", "-inf", "nan") else float(z["data"][0])
    assert abs(value) > 2   # +-inf included: the bug multiplies sigmoid(inf) = 1 too

    # the printed spec case loads and rebuilds exactly the input that failed
    entry, cases = _load_entry(failure["yaml"], "sigmoid", tmp_path)
    assert entry["dtypes"] == [failure["dtype"]] and "error" not in entry
    assert [_bits(c.inputs["z"]) for c in cases] == [_bits(Tensor.from_json(z))]


def test_wrong_adapter_passes_where_it_is_right(capsys):
    """The same adapter is right for |z| <= 2: a run that cannot reach the bug finds nothing (the tier is not
    reporting failures indiscriminately)."""
    impl = shlex.join([sys.executable, str(WRONG_SIGMOID)])
    code, out, err = _fuzz(capsys, "--impl", impl, "--budget", "2", "--seed", "1", "--function", "softplus")
    assert code == 0, out + err
    assert "not supported" in out


@pytest.mark.parametrize("function", sorted(SPEC.functions))
def test_spec_case_round_trip(function, tmp_path):
    """Every generated example (valid or corrupted) printed as a spec case rebuilds the same inputs and params."""
    seen = []

    @settings(max_examples=12, derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(examples(SPEC, function, ["float64", "float32"]))
    def round_trip(example):
        line = yaml_case(example, SPEC, "round trip", error="invalid_argument" if example.corruption else None)
        document_path = tmp_path / f"{function}.yaml"
        document_path.write_text(f"function: {function}\ncases:\n{line.replace(TCID_PLACEHOLDER, '1', 1)}\n")
        document = load_case_file(document_path, SPEC)
        (case,) = materialize(document, SPEC, DTYPES[example.dtype], str(document_path))
        assert {k: _bits(t) for k, t in case.inputs.items()} == {k: _bits(t) for k, t in example.inputs.items()}
        for name, value in example.params.items():
            assert _same(case.params[name], value), (name, case.params[name], value)
        seen.append(example)

    round_trip()
    assert seen


def test_spec_case_special_values(tmp_path):
    line = yaml_case(
        _example("softmax_cross_entropy", "float32",
                 logits=Tensor("float32", (1, 3, 1), (math.nan, -0.0, 2.0 ** -149)),
                 target=Tensor("float32", (1, 3, 1), (0.0, 1.0, 0.0))),
        SPEC, "special values")
    entry = yaml.safe_load(line.replace(TCID_PLACEHOLDER, "1")[4:])
    assert entry["inputs"]["logits"] == [[["nan"], ["-0"], ["0x1p-149"]]]
    assert set(entry["flags"]) >= {"NaNInput", "SignedZero", "Subnormal", "ProbabilityTargets", "HigherRank"}
    _, (case,) = _load_entry(line, "softmax_cross_entropy", tmp_path)
    assert math.copysign(1.0, case.inputs["logits"].data[1]) < 0
    assert case.inputs["target"].is_float


def _example(function: str, dtype: str, **inputs: Tensor):
    from xent_conformance.cases import resolve_params
    from xent_conformance.fuzz.strategies import Example
    return Example(function, dtype, inputs, resolve_params(SPEC.functions[function], {}, DTYPES[dtype]))


@pytest.mark.parametrize("function", sorted(SPEC.functions))
def test_generated_floats_are_values_of_the_dtype(function):
    """Every float the strategies draw is exact in the example's dtype (hypothesis draws float32 at most,
    so a 16-bit value must be rounded once more; the golden reader refuses anything else)."""
    from xent_conformance.values import float_to_dtype

    @settings(max_examples=40, database=None, deadline=None, suppress_health_check=list(HealthCheck))
    @given(examples(SPEC, function, ["float16", "bfloat16"]))
    def check(example):
        dtype = DTYPES[example.dtype]
        for name, tensor in example.inputs.items():
            if tensor.dtype != example.dtype:
                continue
            inexact = [v for v in tensor.data if math.isfinite(v) and float_to_dtype(v, dtype) != v]
            assert not inexact, f"{name}: {[v.hex() for v in inexact[:3]]} are not {example.dtype} values"

    check()
