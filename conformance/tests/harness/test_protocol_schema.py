"""schema/protocol.schema.json agrees with what the harness sends and accepts."""
from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from xent_conformance.harness import protocol
from xent_conformance.harness.protocol import ProtocolViolation, parse_case_answer, parse_start_answer
from xent_conformance.harness.smoke import smoke_cases
from xent_conformance.harness.vectors import load_vectors

from .helpers import FIXTURES

SCHEMA = json.loads((Path(__file__).resolve().parents[2] / "schema" / "protocol.schema.json").read_text())
jsonschema.Draft202012Validator.check_schema(SCHEMA)
V = jsonschema.Draft202012Validator(SCHEMA)


def sub(name):
    return jsonschema.Draft202012Validator({"$defs": SCHEMA["$defs"], "$ref": f"#/$defs/{name}"})


def test_requests_the_harness_sends_are_valid():
    cases = load_vectors(FIXTURES)
    for msg in [protocol.start_request(), protocol.stop_request(), protocol.batch_request(cases),
                *[protocol.run_request(c) for c in cases],
                {"cmd": "run_batch", "cases": [c.payload() for c in smoke_cases()]}]:
        sub("request").validate(msg)
        V.validate(msg)


GOOD_ANSWERS = [
    {"id": "a", "output": {"dtype": "float64", "shape": [2], "data": ["0x1p+0", "0x1.6p-73"]}},
    {"id": "a", "output": {"dtype": "float32", "shape": [], "data": ["-0x0p+0"]}},
    {"id": "a", "output": {"dtype": "float64", "shape": [1], "data": ["0x0.0000000000001p-1022"]}},
    {"id": "a", "output": {"dtype": "float64", "shape": [3], "data": ["nan", "inf", "-inf"]}},
    {"id": "a", "error": {"kind": "invalid_shape", "message": "x must be non-empty"}},
    {"id": "a", "output": {"dtype": "float64", "shape": [2], "data": ["0x1p-1074", "0x0.0000000000001p-1022"]}},
    # protocol 1.1
    {"id": "a", "unsupported": "no class weights in this library"},
    {"id": "a", "error": {"kind": "bad_request", "message": "bad request: unknown parameter 'axis'"}},
    {"id": "a", "error": {"kind": "internal_error", "message": "internal error: ZeroDivisionError"}},
]
BAD_ANSWERS = [
    {"output": {"dtype": "float64", "shape": [1], "data": ["0x1p+0"]}},
    {"id": 7, "output": {"dtype": "float64", "shape": [1], "data": ["0x1p+0"]}},
    {"id": "a", "output": {"dtype": "float64", "shape": [1], "data": [1.0]}},
    {"id": "a", "output": {"dtype": "float64", "shape": [1], "data": ["0.5"]}},
    {"id": "a", "output": {"dtype": "float64", "shape": [-1], "data": []}},
    {"id": "a"},
    {"id": "a", "error": {"message": "no kind"}},
    {"id": "a", "error": {"kind": "invalid_shape"}, "output": {"dtype": "float64", "shape": [], "data": ["0x1p+0"]}},
    {"id": "a", "unsupported": 7},
    {"id": "a", "unsupported": "no", "output": {"dtype": "float64", "shape": [], "data": ["0x1p+0"]}},
]


@pytest.mark.parametrize("answer", GOOD_ANSWERS)
def test_good_answers(answer):
    sub("runAnswer").validate(answer)
    parse_case_answer(answer)


@pytest.mark.parametrize("answer", BAD_ANSWERS)
def test_bad_answers(answer):
    assert not sub("runAnswer").is_valid(answer)
    try:
        a = parse_case_answer(answer)
    except ProtocolViolation:
        return
    # the harness parses floats later: a decimal string is caught when the value is judged
    assert a.data == ["0.5"]


def test_start_answers():
    good = {"version": 1, "implementation": {"name": "x", "language": "go", "version": "0.1.0"},
            "capabilities": {"softmax": ["float64", "float32"]}}
    sub("startAnswer").validate(good)
    assert parse_start_answer(good).supports("softmax", "float32")
    refuse = {"error": {"kind": "unsupported_version", "message": "no"}}
    sub("startAnswer").validate(refuse)
    for bad in ({"version": 2, "implementation": {"name": "x"}, "capabilities": {}},
                {"version": 1, "capabilities": {}},
                {"version": 1, "implementation": {"name": "x"}, "capabilities": {"softmax": "float64"}}):
        assert not sub("startAnswer").is_valid(bad)
        with pytest.raises(ProtocolViolation):
            parse_start_answer(bad)


def test_request_error_answer():
    """D7: a line that cannot be parsed has no id: {"id": null, "error": {"kind": "bad_request", ...}}."""
    answer = {"id": None, "error": {"kind": "bad_request", "message": "bad request: invalid JSON"}}
    sub("requestErrorAnswer").validate(answer)
    V.validate(answer)
    assert not sub("requestErrorAnswer").is_valid({"id": None, "error": {"kind": "invalid_shape"}})
    assert not sub("runAnswer").is_valid(answer)


CAPABILITY_OBJECTS = [
    {"dtypes": ["float64"]},
    {"dtypes": ["float64", "float32"], "params": {"label_smoothing_mode": ["uniform"], "weight": [None],
                                                  "label_smoothing": ["0x0p+0"], "alpha": [None, "tensor"]},
     "ranks": [2, 2]},
    {"dtypes": ["float32"], "ranks": {"logits": [2, 3], "target": [1, 2]}},
]
BAD_CAPABILITY_OBJECTS = [{"params": {}}, {"dtypes": ["float64"], "params": {"weight": None}},
                          {"dtypes": ["float64"], "ranks": [2]}, {"dtypes": ["float64"], "ranks": [-1, 2]}]


@pytest.mark.parametrize("cap", CAPABILITY_OBJECTS)
def test_capability_objects(cap):
    answer = {"version": 1, "implementation": {"name": "x"}, "capabilities": {"softmax_cross_entropy": cap}}
    sub("startAnswer").validate(answer)
    declared = parse_start_answer(answer).capabilities_json()["softmax_cross_entropy"]
    assert declared == (cap["dtypes"] if set(cap) == {"dtypes"} else cap)  # a bare object reads as the plain list


@pytest.mark.parametrize("cap", BAD_CAPABILITY_OBJECTS)
def test_bad_capability_objects(cap):
    answer = {"version": 1, "implementation": {"name": "x"}, "capabilities": {"softmax": cap}}
    assert not sub("startAnswer").is_valid(answer)
    with pytest.raises(ProtocolViolation):
        parse_start_answer(answer)


def test_batch_answer():
    sub("batchAnswer").validate({"results": GOOD_ANSWERS})
    assert not sub("batchAnswer").is_valid({"results": {"a": 1}})
    with pytest.raises(ProtocolViolation):
        protocol.batch_results({"results": {"a": 1}})
