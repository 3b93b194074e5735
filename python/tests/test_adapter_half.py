"""The adapter's 16-bit dtypes and the output_dtype parameter (spec E1, protocol 1.2): hex floats exact in
float16/bfloat16 or bad_request, answers in the dtype (float32 under output_dtype 'float32')."""
from __future__ import annotations

import math

import ml_dtypes
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import xent
from xent import _half, adapter

EXACT = [
    ("0x1p-24", "float16", 2.0 ** -24),               # float16's smallest subnormal
    ("0x0.004p-14", "float16", 2.0 ** -24),           # the same, written as a subnormal
    ("0x1.ffcp+15", "float16", 65504.0),
    ("-0x1.8p+1", "float16", -3.0),
    ("0x1p-133", "bfloat16", 2.0 ** -133),            # bfloat16's smallest subnormal
    ("0x1.fep+127", "bfloat16", float(ml_dtypes.finfo(ml_dtypes.bfloat16).max)),
    ("0x1.02p+0", "bfloat16", 1 + 2.0 ** -7),
    ("inf", "bfloat16", math.inf),
]
NOT_EXACT = [
    ("0x1.002p+0", "float16"),      # 1 + 2^-11: a tie between two float16 values, not rounded
    ("0x1p-25", "float16"),         # half the smallest subnormal
    ("0x1.ffep+15", "float16"),     # between 65504 and the overflow threshold
    ("0x1p+16", "float16"),         # not inf
    ("0x1.01p+0", "bfloat16"),      # 1 + 2^-8
    ("0x1.000002p+0", "bfloat16"),  # a float32 that is no bfloat16
    ("0x1p-134", "bfloat16"),
    ("0x1p+128", "bfloat16"),
]


@pytest.mark.parametrize("text,dtype,value", EXACT, ids=[f"{t}-{d}" for t, d, _ in EXACT])
def test_exact_16_bit_hex_floats_are_read(text, dtype, value):
    assert adapter.parse_float(text, dtype) == value


@pytest.mark.parametrize("text,dtype", NOT_EXACT, ids=[f"{t}-{d}" for t, d in NOT_EXACT])
def test_16_bit_hex_floats_that_would_need_rounding_are_bad_requests(text, dtype):
    with pytest.raises(adapter.BadRequest, match=f"not exactly representable in {dtype}"):
        adapter.parse_float(text, dtype)


@given(bits=st.integers(0, 0xFFFF), name=st.sampled_from(["float16", "bfloat16"]))
def test_every_pattern_reads_back_from_its_hex_text(bits, name):
    dtype = _half.BY_NAME[name]
    with np.errstate(invalid="ignore"):
        value = float(np.array([bits], dtype=np.uint16).view(dtype).astype(np.float64)[0])
    tensor = {"dtype": name, "shape": [1], "data": [adapter.format_hex(value)]}
    got = adapter.decode_tensor("x", tensor, (name,))
    assert got.dtype == dtype
    with np.errstate(invalid="ignore"):
        assert math.isnan(value) or got.view(np.uint16)[0] == bits


def _tensor(name, values, shape=None):
    return {"dtype": name, "shape": [len(values)] if shape is None else shape,
            "data": [adapter.format_hex(v) for v in values]}


@pytest.mark.parametrize("name", ["float16", "bfloat16"])
def test_answers_are_in_the_dtype(name):
    x = [1.0, 2.0, 3.5]
    ans = adapter.run_case({"id": "a", "function": "softmax", "dtype": name, "params": {},
                            "inputs": {"x": _tensor(name, x)}})
    want = xent.softmax(np.array(x).astype(_half.BY_NAME[name]))
    assert ans["output"]["dtype"] == name
    assert [float.fromhex(v) for v in ans["output"]["data"]] == want.astype(np.float64).tolist()


@pytest.mark.parametrize("name", ["float16", "bfloat16"])
def test_output_dtype_float32_answers_in_float32(name):
    inputs = {"logits": _tensor(name, [1.0, 2.0, 3.5, -1.0], [2, 2]),
              "target": {"dtype": "int64", "shape": [2], "data": [0, 1]}}
    ans = adapter.run_case({"id": "a", "function": "softmax_cross_entropy", "dtype": name,
                            "params": {"output_dtype": "float32"}, "inputs": inputs})
    logits = np.array([[1.0, 2.0], [3.5, -1.0]]).astype(_half.BY_NAME[name])
    want = xent.softmax_cross_entropy(logits, np.array([0, 1]), output_dtype="float32")
    assert ans["output"]["dtype"] == "float32"
    assert float.fromhex(ans["output"]["data"][0]) == float(want)


def test_output_dtype_float32_with_float64_inputs_is_invalid_argument():
    ans = adapter.run_case({"id": "a", "function": "softplus", "dtype": "float64",
                            "params": {"output_dtype": "float32"}, "inputs": {"z": _tensor("float64", [1.0])}})
    assert ans["error"]["kind"] == "invalid_argument"


@pytest.mark.parametrize("params", [{"output_dtype": 32}, {"output_dtype": None}])
def test_output_dtype_must_be_a_string(params):
    ans = adapter.run_case({"id": "a", "function": "softplus", "dtype": "float16", "params": params,
                            "inputs": {"z": _tensor("float16", [1.0])}})
    assert ans["error"]["kind"] == "bad_request"


def test_output_dtype_is_no_parameter_of_sigmoid():
    ans = adapter.run_case({"id": "a", "function": "sigmoid", "dtype": "float16",
                            "params": {"output_dtype": "same"}, "inputs": {"z": _tensor("float16", [1.0])}})
    assert ans["error"]["kind"] == "bad_request"


def test_a_tensor_value_outside_the_dtype_is_a_bad_request():
    ans = adapter.run_case({"id": "a", "function": "sigmoid", "dtype": "bfloat16", "params": {},
                            "inputs": {"z": {"dtype": "bfloat16", "shape": [1], "data": ["0x1.01p+0"]}}})
    assert ans["error"]["kind"] == "bad_request" and "bfloat16" in ans["error"]["message"]


def test_float_parameters_are_read_in_the_dtype():
    """label_smoothing 0x1.001p-1 is no float16: bad_request, never rounded."""
    inputs = {"logits": _tensor("float16", [1.0, 2.0], [1, 2]), "target": {"dtype": "int64", "shape": [1], "data": [0]}}
    ans = adapter.run_case({"id": "a", "function": "softmax_cross_entropy", "dtype": "float16",
                            "params": {"label_smoothing": "0x1.001p-1"}, "inputs": inputs})
    assert ans["error"]["kind"] == "bad_request"
