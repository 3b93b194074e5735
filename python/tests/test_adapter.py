"""The adapter speaks the JSON Lines protocol and never crashes on a bad request (DECISIONS D7, D9).

The cross-language corpus (conformance/tests/corpus/bad_requests.yaml) checks the kinds end to end in all
three adapters; these tests pin the Python adapter's decoding rules one by one, in process."""
from __future__ import annotations

import io
import json
import math
import subprocess
import sys

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import xent
from xent import adapter

X = {"dtype": "float64", "shape": [2], "data": ["0x1.9p+5", "0x0p+0"]}


def run_adapter(lines):
    proc = subprocess.run([sys.executable, "-m", "xent.adapter"], input="\n".join(lines) + "\n",
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return [json.loads(line) for line in proc.stdout.splitlines()]


@pytest.fixture
def ask():
    """Feed raw lines (str or bytes) to adapter.main in process; returns the parsed answers."""
    def go(*lines):
        data = b"".join((ln if isinstance(ln, bytes) else ln.encode()) + b"\n" for ln in lines)
        out = io.StringIO()
        assert adapter.main(io.BytesIO(data), out) == 0
        return [json.loads(line) for line in out.getvalue().splitlines()]
    return go


def run(function, inputs, params=None, dtype="float64", case_id="c"):
    return adapter.run_case({"cmd": "run", "id": case_id, "function": function, "dtype": dtype,
                             "params": params or {}, "inputs": inputs})


def kind(answer):
    return "unsupported" if "unsupported" in answer else answer.get("error", {}).get("kind", "output")


def test_session():
    reqs = [
        {"cmd": "start", "version": 1},
        {"cmd": "run", "id": "a", "function": "log_softmax", "dtype": "float64", "params": {}, "inputs": {"x": X}},
        {"cmd": "run", "id": "b", "function": "softmax", "dtype": "float64", "params": {},
         "inputs": {"x": {"dtype": "float64", "shape": [0], "data": []}}},
        {"cmd": "run_batch", "cases": [
            {"id": "c", "function": "no_such_function", "dtype": "float64", "params": {}, "inputs": {}},
            {"id": "d", "function": "softmax_cross_entropy", "dtype": "float32",
             "params": {"weight": None, "ignore_index": -100, "label_smoothing": "0x0p+0",
                        "label_smoothing_mode": "uniform", "reduction": "mean"},
             "inputs": {"logits": {"dtype": "float32", "shape": [1, 2], "data": ["0x1.4p+4", "0x0p+0"]},
                        "target": {"dtype": "int64", "shape": [1], "data": [0]}}},
            {"id": "e", "function": "softmax", "dtype": "float64", "params": {},
             "inputs": {"x": {"dtype": "float64", "shape": [1], "data": ["1.5"]}}},
            {"id": "f", "function": "softmax", "dtype": "float8_e5m2", "params": {},
             "inputs": {"x": {"dtype": "float8_e5m2", "shape": [1], "data": ["0x1p+0"]}}},
        ]},
        {"cmd": "stop"},
    ]
    lines = [json.dumps(r) for r in reqs]
    lines.insert(2, "this is not json")
    ans = run_adapter(lines)
    assert ans[0]["version"] == 1
    assert set(ans[0]["capabilities"]) == set(xent.FUNCTIONS)
    assert all(v == ["float64", "float32", "float16", "bfloat16"] for v in ans[0]["capabilities"].values())
    a = ans[1]
    assert a["id"] == "a" and a["output"]["shape"] == [2]
    got = [float.fromhex(v) for v in a["output"]["data"]]
    assert got == [float(v) for v in xent.log_softmax([50.0, 0.0])]
    assert got[0] < 0  # the dominant entry keeps its tiny value
    assert ans[2] == {"id": None, "error": {"kind": "bad_request", "message": ans[2]["error"]["message"]}}
    assert ans[2]["error"]["message"].startswith("bad request: invalid JSON")
    assert ans[3] == {"id": "b", "error": {"kind": "invalid_shape", "message": ans[3]["error"]["message"]}}
    results = {r["id"]: r for r in ans[4]["results"]}
    assert results["c"]["error"]["kind"] == "bad_request"
    assert "unknown function" in results["c"]["error"]["message"]
    assert results["d"]["output"]["dtype"] == "float32" and results["d"]["output"]["shape"] == []
    assert float.fromhex(results["d"]["output"]["data"][0]) > 0
    assert results["e"]["error"]["kind"] == "bad_request"
    assert results["f"] == {"id": "f", "unsupported": results["f"]["unsupported"]} and "float8_e5m2" in results["f"]["unsupported"]
    assert len(ans) == 5


def test_unsupported_version():
    ans = run_adapter([json.dumps({"cmd": "start", "version": 99})])
    assert ans[0]["error"]["kind"] == "unsupported_version"


# ------------------------------------------------------------------------------ hex floats (D7, D9)
EXACT = [
    ("0x1p+0", "float64", 1.0),
    ("-0x1.8p+1", "float32", -3.0),
    ("0x1.fffffffffffffp+1023", "float64", sys.float_info.max),
    ("0x1p-1022", "float64", sys.float_info.min),
    ("0x0.0000000000001p-1022", "float64", 2.0**-1074),  # subnormals either way (D9)
    ("0x1p-1074", "float64", 2.0**-1074),
    ("0x1.8p-1073", "float64", 3 * 2.0**-1074),
    ("0x1p-149", "float32", 2.0**-149),
    ("0x1.fffffep+127", "float32", float(np.finfo(np.float32).max)),
    ("0X1.8P1", "float64", 3.0),
    ("0x18p-4", "float64", 1.5),
    ("0x.8p+1", "float64", 1.0),
    ("inf", "float32", math.inf),
    ("-inf", "float64", -math.inf),
]


@pytest.mark.parametrize("text,dtype,value", EXACT, ids=[f"{t}-{d}" for t, d, _ in EXACT])
def test_exact_hex_floats_are_read(text, dtype, value):
    assert adapter.parse_float(text, dtype) == value


def test_signed_zeros_and_nan_are_read():
    assert math.copysign(1, adapter.parse_float("-0x0p+0")) == -1
    assert math.copysign(1, adapter.parse_float("0x0p+99999999999999999")) == 1  # zero at any exponent
    assert math.isnan(adapter.parse_float("nan", "float32"))


NOT_EXACT = [
    ("0x1.0000001p+0", "float32"),            # 1 + 2^-28 is not a float32 (never rounded to 1)
    ("0x1.0000000000000001p+0", "float32"),
    ("0x1.0000000000000001p+0", "float64"),
    ("0x1.00000000000008p+0", "float64"),     # 1 + 2^-53: a tie, not rounded either way
    ("0x1p-99999", "float64"),                # not 0
    ("0x1p-1075", "float64"),
    ("0x1.8p-1074", "float64"),
    ("0x1p-150", "float32"),
    ("0x1p+99999", "float64"),                # not inf
    ("0x1p+1024", "float64"),
    ("0x1.fffffffffffff8p+1023", "float64"),
    ("0x1p+128", "float32"),
    ("0x1p+99999999999999999999", "float64"),
]


@pytest.mark.parametrize("text,dtype", NOT_EXACT, ids=[f"{t}-{d}" for t, d in NOT_EXACT])
def test_hex_floats_that_would_need_rounding_are_bad_requests(text, dtype):
    with pytest.raises(adapter.BadRequest, match="not exactly representable in float"):
        adapter.parse_float(text, dtype)


def _representable(mantissa: int, exp: int, dtype: str) -> float | None:
    """The value mantissa * 2^exp if it is a finite value of dtype, else None (rational arithmetic)."""
    exact = Fraction(mantissa) * Fraction(2) ** exp
    try:
        value = float.fromhex(f"0x{mantissa:x}p{exp:+d}")
    except OverflowError:
        return None
    if Fraction(value) != exact or math.isinf(value):
        return None
    with np.errstate(over="ignore"):
        if dtype == "float32" and float(np.float32(value)) != value:
            return None
    return value


@given(st.integers(1, 2**70), st.integers(-1250, 1100), st.sampled_from(["float64", "float32"]),
       st.booleans(), st.booleans())
def test_exactness_agrees_with_rational_arithmetic(mantissa, exp, dtype, upper, negative):
    text = ("-" if negative else "") + f"0x{mantissa:x}p{exp:+d}"
    text = text.upper().replace("0X", "0x") if upper else text
    value = _representable(mantissa, exp, dtype)
    if value is None:
        with pytest.raises(adapter.BadRequest, match="not exactly representable"):
            adapter.parse_float(text, dtype)
    else:
        assert adapter.parse_float(text, dtype) == (-value if negative else value)


@given(st.floats(allow_nan=False), st.sampled_from(["float64", "float32"]))
def test_every_formatted_float_reads_back(x, dtype):
    with np.errstate(over="ignore"):  # a float beyond float32's range reads back as inf
        x = float(np.float32(x)) if dtype == "float32" else x
    assert adapter.parse_float(adapter.format_hex(x), dtype) == x


@pytest.mark.parametrize("text", ["1.5", "0.5", "1e-3", "", "0x", "0xp+1", " 0x1p+0", "0x1p+0 ", "Infinity",
                                  "+inf", "NaN", "0x1g", 1.5, None, True, ["0x1p+0"]])
def test_strings_that_are_not_hex_floats_are_bad_requests(text):
    with pytest.raises(adapter.BadRequest):
        adapter.parse_float(text)


# ------------------------------------------------------------------------------ integers, shapes, tensors
@pytest.mark.parametrize("value", [-2**63, 2**63 - 1, 0])
def test_int64_limits_are_read(value):
    assert adapter.parse_int64("t", value) == value


@pytest.mark.parametrize("value", [2**63, -2**63 - 1, 2**64 - 100, 2**64, 1.0, "1", True, None])
def test_integers_outside_int64_or_of_another_type_are_bad_requests(value):
    with pytest.raises(adapter.BadRequest):
        adapter.parse_int64("t", value)


BAD_TENSORS = {
    "product wraps to 0": {"dtype": "float64", "shape": [2**32, 2**32], "data": []},
    "product beyond int64": {"dtype": "float64", "shape": [3037000500, 3037000500], "data": []},
    "entry beyond int64": {"dtype": "float64", "shape": [2**64 + 1], "data": ["0x0p+0"]},
    "negative entries": {"dtype": "float64", "shape": [-1, -1], "data": ["0x0p+0"]},
    "float entry": {"dtype": "float64", "shape": [1.0], "data": ["0x0p+0"]},
    "bool entry": {"dtype": "float64", "shape": [True], "data": ["0x0p+0"]},
    "data too short": {"dtype": "float64", "shape": [2], "data": ["0x0p+0"]},
    "ragged data": {"dtype": "float64", "shape": [2, 2], "data": [["0x0p+0", "0x0p+0"], ["0x0p+0"]]},
    "nested data": {"dtype": "float64", "shape": [1, 1], "data": [["0x0p+0"]]},
    "other dtype": {"dtype": "float32", "shape": [1], "data": ["0x0p+0"]},
    "no shape": {"dtype": "float64", "data": ["0x0p+0"]},
    "not an object": ["0x0p+0"],
}


@pytest.mark.parametrize("name", list(BAD_TENSORS))
def test_malformed_tensors_are_bad_requests(name):
    with pytest.raises(adapter.BadRequest):
        adapter.decode_tensor("x", BAD_TENSORS[name], ("float64",))


def test_a_float32_tensor_is_checked_as_a_whole():
    ok = adapter.decode_tensor("x", {"dtype": "float32", "shape": [2], "data": ["0x1.fffffep+127", "nan"]},
                               ("float32",))
    assert ok.dtype == np.float32 and ok[0] == np.finfo(np.float32).max and np.isnan(ok[1])
    with pytest.raises(adapter.BadRequest, match="0x1.0000001"):
        adapter.decode_tensor("x", {"dtype": "float32", "shape": [2], "data": ["0x1p+0", "0x1.0000001p+0"]},
                              ("float32",))


# ------------------------------------------------------------------------------ cases
Z = {"dtype": "float64", "shape": [1, 2], "data": ["0x0p+0", "0x1p+0"]}
T = {"dtype": "int64", "shape": [1], "data": [0]}
CASES = {
    "unknown parameter": ("softmax_cross_entropy", {"logits": Z, "target": T}, {"pos_weight": None}, "bad_request"),
    "missing input": ("kl_divergence", {"p": X}, {}, "bad_request"),
    "unknown input": ("softmax", {"x": X, "y": X}, {}, "bad_request"),
    "reduction null": ("softmax_cross_entropy", {"logits": Z, "target": T}, {"reduction": None}, "bad_request"),
    "reduction unknown": ("softmax_cross_entropy", {"logits": Z, "target": T}, {"reduction": "avg"},
                          "invalid_argument"),
    "ignore_index 1.5": ("softmax_cross_entropy", {"logits": Z, "target": T}, {"ignore_index": 1.5}, "bad_request"),
    "ignore_index beyond int64": ("softmax_cross_entropy", {"logits": Z, "target": T},
                                  {"ignore_index": 2**64 - 100}, "bad_request"),
    "label_smoothing as a number": ("softmax_cross_entropy", {"logits": Z, "target": T},
                                    {"label_smoothing": 0.1}, "bad_request"),
    "label_smoothing nan": ("softmax_cross_entropy", {"logits": Z, "target": T}, {"label_smoothing": "nan"},
                            "invalid_argument"),
    "focal alpha scalar": ("focal_loss", {"logits": Z, "target": T}, {"alpha": "0x1p-2"}, "bad_request"),
    "focal alpha tensor": ("focal_loss", {"logits": Z, "target": T},
                           {"alpha": {"dtype": "float64", "shape": [2], "data": ["0x1p+0", "0x1p+0"]}}, "output"),
    "sigmoid focal alpha tensor": ("sigmoid_focal_loss", {"z": X, "y": X},
                                   {"alpha": {"dtype": "float64", "shape": [1], "data": ["0x1p-2"]}}, "bad_request"),
    "sigmoid focal alpha null": ("sigmoid_focal_loss", {"z": X, "y": {**X, "data": ["0x1p+0", "0x0p+0"]}},
                                 {"alpha": None}, "output"),
    "float target for focal": ("focal_loss", {"logits": Z, "target": {**T, "dtype": "float64", "data": ["0x0p+0"]}},
                               {}, "bad_request"),
    "probability target": ("softmax_cross_entropy",
                           {"logits": Z, "target": {**Z, "data": ["0x1p-1", "0x1p-1"]}}, {}, "output"),
    "target beyond int64": ("nll_from_probs", {"probs": Z, "target": {**T, "data": [2**64 - 100]}}, {}, "bad_request"),
    "target int64 max": ("nll_from_probs", {"probs": Z, "target": {**T, "data": [2**63 - 1]}}, {},
                         "index_out_of_range"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_case_kinds(name):
    function, inputs, params, expected = CASES[name]
    answer = run(function, inputs, params)
    assert kind(answer) == expected, answer
    assert answer["id"] == "c"


@pytest.mark.parametrize("dtype", ["float8_e5m2", "float128", "int64"])
def test_an_unsupported_dtype_gets_the_per_case_unsupported_answer(dtype):
    answer = run("sigmoid", {"z": {"dtype": dtype, "shape": [], "data": ["0x1p+0"]}}, dtype=dtype)
    assert set(answer) == {"id", "unsupported"} and dtype in answer["unsupported"]


@pytest.mark.parametrize("dtype", [None, 64, ["float64"]])
def test_a_dtype_that_is_not_a_string_is_a_bad_request(dtype):
    assert kind(run("sigmoid", {"z": X}, dtype=dtype)) == "bad_request"


def test_an_exception_inside_a_function_is_an_internal_error(monkeypatch, capsys):
    def boom(z):
        raise RuntimeError("boom\nsecond line")
    monkeypatch.setitem(xent.FUNCTIONS, "sigmoid", boom)
    answer = run("sigmoid", {"z": X})
    assert answer == {"id": "c", "error": {"kind": "internal_error",
                                           "message": "internal error: RuntimeError: boom second line"}}
    assert "Traceback" in capsys.readouterr().err


# ------------------------------------------------------------------------------ lines
@pytest.mark.parametrize("line", [
    b'{"cmd": "run", "id": "x", ',
    b"hello",
    b'{"cmd": "run", "id": "x", "function": "sigmoid", "dtype": "float64", "params": {"p": NaN}, "inputs": {}}',
    b'{"cmd": "run", "id": "x", "function": "sigmoid", "dtype": "float64", "params": {}, "inputs": '
    b'{"z": {"dtype": "float64", "shape": [], "data": [Infinity]}}}',
    b'{"cmd": "run", "id": "\xff\xfe"}',          # not UTF-8
    b"[1, 2]",
    b'"run"',
    b"[" * 100000,                               # nesting beyond the parser's recursion limit
], ids=["truncated", "text", "NaN literal", "Infinity literal", "invalid UTF-8", "array", "string", "deep"])
def test_unreadable_lines_are_bad_requests_with_id_null(ask, line):
    answers = ask(line, b'{"cmd": "stop"}')
    assert len(answers) == 1
    assert answers[0]["id"] is None and answers[0]["error"]["kind"] == "bad_request"
    assert answers[0]["error"]["message"].startswith("bad request: ")


@pytest.mark.parametrize("request_", [{"id": "k"}, {"cmd": "frobnicate", "id": "k"}, {"cmd": None, "id": "k"}])
def test_a_missing_or_unknown_cmd_is_a_bad_request_with_its_id(ask, request_):
    (answer,) = ask(json.dumps(request_))
    assert answer["id"] == "k" and answer["error"]["kind"] == "bad_request"


def test_main_also_reads_text_streams():
    out = io.StringIO()
    adapter.main(io.StringIO('{"cmd": "start", "version": 1}\n{"cmd": "stop"}\n'), out)
    assert json.loads(out.getvalue())["version"] == 1


@pytest.mark.parametrize("case_id", [None, 5, ["a"]], ids=["missing", "number", "list"])
def test_a_case_without_a_string_id_is_a_bad_request_with_id_null(case_id):
    case = {"cmd": "run", "function": "sigmoid", "dtype": "float64", "params": {}, "inputs": {"z": X}}
    if case_id is not None:
        case["id"] = case_id
    answer = adapter.run_case(case)
    assert answer["id"] is None and answer["error"]["kind"] == "bad_request"


def test_an_integer_too_long_for_python_still_lets_the_line_parse(ask):
    # Python's int() refuses over 4300 digits; the line is valid JSON, so its id is echoed
    huge = "9" * 5000
    line = ('{"cmd": "run", "id": "h", "function": "softmax_cross_entropy", "dtype": "float64", '
            '"params": {"reduction": %s}, "inputs": {"logits": {"dtype": "float64", "shape": [1, 2], '
            '"data": ["0x0p+0", "0x1p+0"]}, "target": {"dtype": "int64", "shape": [1], "data": [%s]}}}')
    for params_value, target in ((huge, "0"), ('"mean"', huge)):
        (answer,) = ask(line % (params_value, target))
        assert answer["id"] == "h" and answer["error"]["kind"] == "bad_request", answer
