"""Each framework adapter that can import its library: protocol behaviour and a few golden vectors.

Expected values come from the vector files (the oracle), compared loosely: these tests check the
mapping (right call, right parameters, right shape and dtype), not the library's accuracy, which is
what the leaderboard measures.
"""
from __future__ import annotations

import importlib
import io
import json
import math
from pathlib import Path

import pytest

from xent_frameworks.protocol import BAD_REQUEST_KIND, Library

VECTORS = Path(__file__).resolve().parents[2] / "vectors"
ADAPTERS = {"numpy_stable": "numpy", "scipy": "scipy", "torch": "torch", "jax": "optax"}


def adapter(module: str) -> Library:
    pytest.importorskip(ADAPTERS[module])
    return importlib.import_module(f"xent_frameworks.{module}").library()


@pytest.fixture(params=sorted(ADAPTERS))
def lib(request) -> Library:
    return adapter(request.param)


def vector(function: str, dtype: str, tc_id: int) -> tuple[dict, dict]:
    """(the run request for a vector, the vector's test object)."""
    data = json.loads((VECTORS / f"{function}_{dtype}.json").read_text())
    for group in data["testGroups"]:
        for test in group["tests"]:
            if test["tcId"] == tc_id:
                return ({"id": f"{function}/{dtype}/{tc_id}", "function": function, "dtype": dtype,
                         "params": group["params"], "inputs": test["inputs"]}, test)
    raise LookupError(tc_id)


def assert_close(answer: dict, test: dict, rel: float) -> None:
    assert "output" in answer, answer
    out, exp = answer["output"], test["expected"]
    assert (out["dtype"], out["shape"]) == (exp["dtype"], exp["shape"])
    for got, want in zip(out["data"], exp["data"]):
        assert math.isclose(float.fromhex(got), float.fromhex(want), rel_tol=rel, abs_tol=1e-300)


def test_start_declares_only_spec_functions_and_dtypes(lib):
    from xent_conformance.harness.protocol import parse_start_answer
    spec_functions = {p.name.rsplit("_float", 1)[0] for p in VECTORS.glob("*_float64.json")}
    answer, keep = lib.handle({"cmd": "start", "version": 1})
    assert keep and answer["version"] == 1
    caps = parse_start_answer(answer).capabilities  # the harness accepts them (lists or 1.1 objects)
    assert set(caps) <= spec_functions
    assert all(set(c.dtypes) <= {"float64", "float32", "float16", "bfloat16"} for c in caps.values())


def test_serve_answers_each_line_and_stops(lib):
    out = io.StringIO()
    lines = [json.dumps({"cmd": "start", "version": 1}), "not json", json.dumps({"cmd": "stop"}), "ignored"]
    assert lib.serve(lines, out) == 0
    answers = [json.loads(line) for line in out.getvalue().splitlines()]
    assert len(answers) == 2
    # D7: an unparseable line has no id: {"id": null, "error": {"kind": "bad_request", ...}}
    assert answers[1]["id"] is None and answers[1]["error"]["kind"] == BAD_REQUEST_KIND
    assert answers[1]["error"]["message"].startswith("bad request:")


def test_unknown_function_is_a_bad_request(lib):
    answer = lib.run_case({"id": "x", "function": "no_such_function", "dtype": "float64", "params": {}, "inputs": {}})
    assert answer == {"id": "x", "error": {"kind": BAD_REQUEST_KIND,
                                           "message": "bad request: unknown function 'no_such_function'"}}


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_softmax_seed_vector(lib, dtype):
    request, test = vector("softmax", dtype, 1)
    if "softmax" not in lib.functions:
        pytest.skip("not declared")
    assert_close(lib.run_case(request), test, 1e-5 if dtype == "float32" else 1e-12)


def test_rank_zero_outputs_keep_their_shape(lib):
    request, test = vector("sigmoid", "float64", 11)
    if "sigmoid" not in lib.functions:
        pytest.skip("not declared")
    assert_close(lib.run_case(request), test, 1e-12)


def test_cross_entropy_seed_example_or_unsupported(lib):
    request, test = vector("softmax_cross_entropy", "float64", 1)
    if "softmax_cross_entropy" not in lib.functions:
        pytest.skip("not declared")
    assert_close(lib.run_case(request), test, 1e-12)


def test_torch_off_target_smoothing_is_unsupported_not_wrong():
    lib = adapter("torch")
    request, _ = vector("softmax_cross_entropy", "float64", 1)
    request["params"] = {**request["params"], "label_smoothing": "0x1.999999999999ap-4",
                         "label_smoothing_mode": "off_target"}
    assert "off_target" in lib.run_case(request)["unsupported"]


@pytest.mark.parametrize("function", ["softmax_cross_entropy", "softmax_cross_entropy_grad"])
def test_torch_ignore_index_has_no_effect_on_probability_targets(function):
    # PyTorch refuses a non-default ignore_index with float targets; the spec says it has no effect there
    lib = adapter("torch")
    data = json.loads((VECTORS / f"{function}_float64.json").read_text())
    group, test = next((g, t) for g in data["testGroups"] for t in g["tests"]
                       if t["inputs"]["target"]["dtype"] == "float64" and "expected" in t
                       and g["params"].get("weight") is None and float.fromhex(g["params"]["label_smoothing"]) == 0)
    request = {"id": "x", "function": function, "dtype": "float64", "inputs": test["inputs"],
               "params": {**group["params"], "ignore_index": 1}}
    assert_close(lib.run_case(request), test, 1e-12)


def test_torch_gradient_is_autograd_of_the_same_call():
    lib = adapter("torch")
    request, test = vector("softmax_cross_entropy_grad", "float64", 1)
    assert_close(lib.run_case(request), test, 1e-12)


def test_jax_has_no_class_weights():
    lib = adapter("jax")
    request, _ = vector("softmax_cross_entropy", "float64", 1)
    request["params"] = {**request["params"], "weight": {"dtype": "float64", "shape": [3],
                                                         "data": ["0x1p+0", "0x1p+0", "0x1p+1"]}}
    assert "class weights" in lib.run_case(request)["unsupported"]
    assert lib.capabilities()["softmax_cross_entropy"]["params"]["weight"] == [None]


def test_scipy_has_no_base_2():
    lib = adapter("scipy")
    request, _ = vector("entropy", "float64", 1)  # seed 000 prints bits
    assert request["params"]["base"] == "2"
    assert "base" in lib.run_case(request)["unsupported"]  # per case, should the harness send it anyway


def test_scipy_declares_what_it_cannot_express_so_the_harness_never_sends_it():
    from xent_conformance.harness.protocol import parse_start_answer
    from xent_conformance.harness.vectors import load_vectors
    lib = adapter("scipy")
    info = parse_start_answer(lib.handle({"cmd": "start", "version": 1})[0])
    cases = {c.tc_id: c for c in load_vectors(VECTORS, ["entropy"], ["float64"])}
    assert info.unsupported_reason(cases[1]) == 'base = "2" not declared (declared: "e")'
    assert info.unsupported_reason(next(c for c in cases.values() if c.params.get("base", "e") == "e")) is None


def test_numpy_stable_prints_the_seed_bits():
    lib = adapter("numpy_stable")
    request, test = vector("entropy", "float64", 1)
    assert_close(lib.run_case(request), test, 1e-12)


# issue 19: the porting calls map one to one
@pytest.mark.parametrize(("function", "tc_id"), [("nll_loss", 4), ("nll_loss", 13), ("nll_loss", 22),
                                                 ("kl_div", 2), ("kl_div", 5), ("kl_div", 7),
                                                 ("softmax", 302), ("logsumexp", 300)])
def test_torch_porting_calls_match_the_vectors(function, tc_id):
    request, test = vector(function, "float64", tc_id)
    assert_close(adapter("torch").run_case(request), test, 1e-12)


def test_torch_ignore_index_null_ignores_nothing():
    request, _ = vector("nll_loss", "float64", 52)   # ignore_index null with a target -100
    assert request["params"]["ignore_index"] is None
    assert adapter("torch").run_case(request)["error"]["kind"] == "index_out_of_range"
    request["params"] = {**request["params"], "ignore_index": -100}
    assert "output" in adapter("torch").run_case(request)
