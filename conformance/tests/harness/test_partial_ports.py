"""Issue 12: partial ports get a clean verdict. Per-case `unsupported` answers, capability objects,
protocol error kinds (D7), scores per function, the exit code of a run that tested nothing, crashes
that cost only their own batch, and the start-up hint."""
from __future__ import annotations

import json
import shutil
import time

import pytest

from xent_conformance.harness.protocol import (ProtocolViolation, parse_capability, parse_case_answer,
                                               parse_start_answer)
from xent_conformance.harness.vectors import load_vectors

from .helpers import FIXTURES, N_FIXTURE_VECTORS, fake
from .test_broken_adapters import by_id, run_json


def test_per_case_unsupported_answers_are_unsupported_not_failed(run_cli, tmp_path):
    code, counts, data, _ = run_json(run_cli, tmp_path, fake("unsupported_on", "softmax"))
    assert code == 0
    assert counts["unsupported"] == 4 and counts["failed"] == 0
    assert data["verdict"] == "CONFORMS (on what it supports)"
    assert data["unsupportedReasons"] == [{"reason": "the adapter answered unsupported: softmax: not in this library",
                                           "count": 4}]
    # the softmax vector that expects an error is unsupported too, not a validation failure
    assert by_id(data)["softmax/float64/2"]["status"] == "unsupported"
    assert data["inputValidation"]["judged"] == 0


def test_unsupported_reasons_are_listed_with_counts_in_the_terminal(run_cli):
    code, out, _ = run_cli("run", "--impl", fake("unsupported_on", "softmax"), "--vectors", str(FIXTURES),
                           "--timeout", "2", "--batch-size", "1")  # `run` answers too, not only run_batch
    assert code == 0
    assert "unsupported: 4 vectors, by reason:" in out
    assert "4 x the adapter answered unsupported: softmax: not in this library" in out


def test_capability_objects_keep_cases_outside_from_being_sent(run_cli, tmp_path):
    folder = tmp_path / "v"
    shutil.copytree(FIXTURES, folder)
    doc = json.loads((folder / "softmax_float64.json").read_text())
    group = doc["testGroups"][0]
    other = json.loads(json.dumps(group))
    other["params"] = {"label_smoothing_mode": "off_target"}
    other["tests"] = [t for t in group["tests"] if t["tcId"] == 4]
    group["tests"] = [t for t in group["tests"] if t["tcId"] != 4]
    doc["testGroups"].append(other)
    (folder / "softmax_float64.json").write_text(json.dumps(doc))
    report = tmp_path / "r.json"
    code, out, err = run_cli("run", "--impl", fake("caps_object"), "--vectors", str(folder), "--timeout", "2",
                             "--report-json", str(report))
    assert code == 0, out + err
    data = json.loads(report.read_text())
    results = by_id(data)
    # sigmoid declares ranks 0..1: the rank-2 vectors are unsupported, never sent
    assert results["sigmoid/float64/5"]["status"] == "unsupported"
    assert results["sigmoid/float64/5"]["detail"] == "capabilities: rank 2 of z not declared (declared: 0..1)"
    assert results["sigmoid/float64/3"]["status"] == "passed"  # rank 0 is inside
    assert results["softmax/float64/4"]["detail"] == ('capabilities: label_smoothing_mode = "off_target" not declared '
                                                      '(declared: "uniform")')
    assert results["softmax/float64/1"]["status"] == "passed"  # no label_smoothing_mode: the default
    assert data["counts"]["unsupported"] == 3
    assert data["capabilities"]["sigmoid"] == {"dtypes": ["float64", "float32"], "ranks": [0, 1]}
    assert data["capabilities"]["softplus"] == ["float64", "float32"]  # the plain list stays valid


def test_capability_matching_rules():
    cases = {c.key: c for c in load_vectors(FIXTURES)}
    soft = cases["softmax/float64/1"]
    soft.params = {"weight": {"dtype": "float64", "shape": [2], "data": ["0x1p+0", "0x1p+0"]},
                   "label_smoothing": "0x0.0p+0", "ignore_index": -100}
    assert parse_capability("softmax", {"dtypes": ["float64"], "params": {"weight": [None]}}).unsupported_reason(soft) \
        == "weight = a tensor not declared (declared: null)"
    assert parse_capability("softmax", {"dtypes": ["float64"], "params": {"weight": [None, "tensor"]}}) \
        .unsupported_reason(soft) is None
    # hex floats compare by value, integers as integers
    assert parse_capability("softmax", {"dtypes": ["float64"], "params": {"label_smoothing": ["0x0p+0"],
                                                                        "ignore_index": [-100]}}).unsupported_reason(soft) is None
    assert "ignore_index = -100" in parse_capability(
        "softmax", {"dtypes": ["float64"], "params": {"ignore_index": [-1]}}).unsupported_reason(soft)
    assert parse_capability("softmax", {"dtypes": ["float32"]}).unsupported_reason(soft) == "dtype float64 not declared"
    assert parse_capability("softmax", {"dtypes": ["float64"], "ranks": {"x": [2, 2]}}).unsupported_reason(soft) \
        == "rank 1 of x not declared (declared: 2..2)"


@pytest.mark.parametrize("bad", [
    {"dtypes": "float64"}, {"params": {}}, {"dtypes": ["float64"], "params": {"weight": None}},
    {"dtypes": ["float64"], "ranks": [2]}, {"dtypes": ["float64"], "ranks": [3, 2]},
    {"dtypes": ["float64"], "ranks": [-1, 2]}, {"dtypes": ["float64"], "ranks": {"x": [True, 2]}}, 7])
def test_malformed_capability_objects_are_protocol_violations(bad):
    with pytest.raises(ProtocolViolation):
        parse_start_answer({"version": 1, "implementation": {"name": "x"}, "capabilities": {"softmax": bad}})


def test_unsupported_answer_shape():
    assert parse_case_answer({"id": "a", "unsupported": "no weights"}).kind == "unsupported"
    for bad in ({"id": "a", "unsupported": 3}, {"id": "a", "unsupported": "x", "error": {"kind": "invalid_shape"}}):
        with pytest.raises(ProtocolViolation):
            parse_case_answer(bad)


def test_protocol_error_kinds_fail_that_vector_with_their_kind(run_cli, tmp_path):
    code, counts, data, _ = run_json(run_cli, tmp_path, fake("protocol_errors"))
    assert code == 1 and counts["failed"] == 2 and counts["errored"] == 0
    results = by_id(data)
    assert results["softmax/float64/1"]["status"] == "failed"
    assert results["softmax/float64/1"]["detail"].startswith("bad_request (it could not read the request): bad request:")
    assert results["softmax/float64/4"]["detail"].startswith("internal_error (the implementation failed unexpectedly)")
    assert data["protocolErrors"] == {"bad_request": 1, "internal_error": 1}
    assert data["restarts"] == 0


def test_null_id_answer_to_a_batch_retries_its_cases_one_by_one(run_cli, tmp_path):
    code, counts, data, _ = run_json(run_cli, tmp_path, fake("null_id_batch"))
    assert code == 0 and counts["passed"] == 18 and data["restarts"] == 0
    assert any("retrying its cases one by one" in e for e in data["events"])


def test_null_id_answer_to_run_is_that_vectors_failure(run_cli, tmp_path):
    code, counts, data, _ = run_json(run_cli, tmp_path, fake("null_id"))
    assert code == 1 and counts["failed"] == N_FIXTURE_VECTORS and counts["errored"] == 0
    assert all(r["got"]["kind"] == "bad_request" for r in data["results"])


def test_nothing_tested_has_its_own_exit_code(run_cli, tmp_path):
    report = tmp_path / "r.json"
    code, out, _ = run_cli("run", "--impl", fake("sigmoid_only"), "--vectors", str(FIXTURES), "--function", "softmax",
                           "--report-json", str(report))
    assert code == 3
    assert "NOTHING TESTED" in out and "CONFORMS" not in out
    assert json.loads(report.read_text())["numerics"]["line"] == "numerics: NOTHING TESTED"


def test_scores_per_function_supported_and_passing(run_cli, tmp_path):
    code, counts, data, _ = run_json(run_cli, tmp_path, fake("caps_object"))
    functions = {f["function"]: f for f in data["functions"]}
    assert functions["sigmoid"]["supported"] == 10 and functions["sigmoid"]["total"] == 12
    assert functions["sigmoid"]["supportedShare"] == pytest.approx(10 / 12)
    assert functions["sigmoid"]["passingShareOfSupported"] == 1.0
    groups = {(g["function"], g["dtype"]): g for g in data["groups"]}
    assert groups[("sigmoid", "float32")]["supportedShare"] == pytest.approx(5 / 6)


def test_numerics_and_input_validation_are_reported_apart(run_cli, tmp_path):
    code, counts, data, _ = run_json(run_cli, tmp_path, fake("no_error"))
    assert code == 1
    assert data["numerics"]["line"] == "numerics: CONFORMS 18/18 (1 acceptable)"
    assert data["inputValidation"]["line"] == ("input validation: 0/1 rejected with the expected kind "
                                               "(1 accepted (a value came back))")
    assert by_id(data)["softmax/float64/2"]["kind"] == "inputValidation"
    # --numerics-only: validation is reported, the exit code follows the numerics
    code, counts, data, _ = run_json(run_cli, tmp_path, fake("no_error"), "--numerics-only")
    assert code == 0 and counts["failed"] == 1
    assert data["inputValidation"]["countsForExitCode"] is False
    assert data["verdict"].endswith("(numerics only)")


def test_a_crashing_function_costs_only_its_own_vectors(run_cli, tmp_path):
    """Every softmax case crashes the adapter; with one restart allowed in a row, softplus (after softmax
    in the fixture order) used to be marked "not run"; now it is judged."""
    code, counts, data, elapsed = run_json(run_cli, tmp_path, fake("crash_function", "softmax"),
                                           "--batch-size", "2", "--max-restarts", "1")
    assert code == 2
    results = by_id(data)
    assert all(results[f"softmax/float64/{i}"]["status"] == "errored" for i in (1, 2, 3, 4))
    assert all(results[f"softplus/float64/{i}"]["status"] == "passed" for i in (1, 2, 3))
    assert counts["errored"] == 4 and counts["passed"] == 15
    # the second softmax batch is not retried one by one once the first spent its budget
    assert "used up its restarts" in results["softmax/float64/3"]["detail"]
    assert elapsed < 15


def test_an_adapter_that_never_flushes_start_gets_a_hint(run_cli, tmp_path):
    began = time.monotonic()
    code, counts, data, _ = run_json(run_cli, tmp_path, fake("no_flush"))
    assert code == 2 and time.monotonic() - began < 8
    assert "stdout flushed" in data["startError"] and "line buffering" in data["startError"]
    code, out, _ = run_cli("smoke", "--impl", fake("no_flush"), "--timeout", "1", "--startup-timeout", "1")
    assert code == 2 and "stdout flushed" in out
