"""The 16-bit dtypes in the framework adapters (spec E1, protocol 1.2): tensors decoded and encoded exactly
in float16 and bfloat16, the mixed contract (output_dtype 'float32') as torch.autocast runs it, and only
where the library has it."""
from __future__ import annotations

import importlib

import ml_dtypes
import numpy as np
import pytest

from xent_frameworks.protocol import AUTOCAST_FUNCTIONS, Library, decode_tensor, encode_tensor


def adapter(module: str, needs: str) -> Library:
    pytest.importorskip(needs)
    return importlib.import_module(f"xent_frameworks.{module}").library()


def tensor(dtype: str, values, shape=None) -> dict:
    return {"dtype": dtype, "shape": [len(values)] if shape is None else shape,
            "data": [float(v).hex() for v in values]}


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_every_16_bit_pattern_survives_decode_and_encode(dtype):
    np_dtype = np.dtype(np.float16) if dtype == "float16" else np.dtype(ml_dtypes.bfloat16)
    with np.errstate(invalid="ignore"):
        values = np.arange(1 << 16, dtype=np.uint32).astype(np.uint16).view(np_dtype).astype(np.float64)
    values = values[np.isfinite(values)]
    arr = decode_tensor(tensor(dtype, values), "x")
    assert arr.dtype == np_dtype and np.array_equal(arr.astype(np.float64), values)
    out = encode_tensor(arr)
    assert out["dtype"] == dtype and [float.fromhex(v) for v in out["data"]] == values.tolist()


@pytest.mark.parametrize("module,needs,dtypes", [
    ("torch", "torch", {"float64", "float32", "float16", "bfloat16"}),
    ("jax", "optax", {"float64", "float32", "float16", "bfloat16"}),
    ("numpy_stable", "numpy", {"float64", "float32", "float16"}),
])
def test_declared_dtypes_and_output_dtype_values(module, needs, dtypes):
    caps = adapter(module, needs).capabilities()
    assert all(set(c["dtypes"] if isinstance(c, dict) else c) == dtypes for c in caps.values())
    autocast = ["same", "float32"] if module == "torch" else ["same"]
    for name in AUTOCAST_FUNCTIONS:
        if name in caps:
            assert caps[name]["params"]["output_dtype"] == autocast, name


@pytest.mark.parametrize("module,needs", [("torch", "torch"), ("jax", "optax"), ("numpy_stable", "numpy")])
def test_softmax_answers_in_the_16_bit_dtype(module, needs):
    lib = adapter(module, needs)
    for dtype in lib.capabilities()["softmax"]["dtypes"]:
        answer = lib.run_case({"id": "a", "function": "softmax", "dtype": dtype, "params": {},
                               "inputs": {"x": tensor(dtype, [0.0, 0.0])}})
        assert answer["output"]["dtype"] == dtype and answer["output"]["shape"] == [2], answer
        assert [float.fromhex(v) for v in answer["output"]["data"]] == [0.5, 0.5]


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
@pytest.mark.parametrize("function", ["softmax_cross_entropy", "binary_cross_entropy_with_logits"])
def test_torch_output_dtype_float32_is_what_cpu_autocast_computes(dtype, function):
    torch = pytest.importorskip("torch")
    import torch.nn.functional as F
    lib = adapter("torch", "torch")
    logits = [3.0, -1.5, 0.25, 8.0, 2.0, -0.75]
    second = {"target": {"dtype": "int64", "shape": [2], "data": [2, 0]}} if function == "softmax_cross_entropy" \
        else {"y": tensor(dtype, [1.0, 0.0, 0.5, 1.0, 0.0, 0.25], [2, 3])}
    first = "logits" if function == "softmax_cross_entropy" else "z"
    answer = lib.run_case({"id": "a", "function": function, "dtype": dtype, "params": {"output_dtype": "float32"},
                           "inputs": {first: tensor(dtype, logits, [2, 3]), **second}})
    assert answer["output"]["dtype"] == "float32"
    t_dtype = torch.float16 if dtype == "float16" else torch.bfloat16
    x = torch.tensor(logits, dtype=t_dtype).reshape(2, 3)
    with torch.autocast("cpu", dtype=t_dtype):
        if function == "softmax_cross_entropy":
            want = F.cross_entropy(x, torch.tensor([2, 0]))
        else:
            y = torch.tensor([1.0, 0.0, 0.5, 1.0, 0.0, 0.25], dtype=t_dtype).reshape(2, 3)
            want = F.binary_cross_entropy_with_logits(x, y)
    assert want.dtype == torch.float32
    assert float.fromhex(answer["output"]["data"][0]) == want.item()


def test_torch_output_dtype_float32_needs_16_bit_inputs():
    lib = adapter("torch", "torch")
    answer = lib.run_case({"id": "a", "function": "softplus", "dtype": "float64", "params": {"output_dtype": "float32"},
                           "inputs": {"z": tensor("float64", [1.0])}})
    assert "unsupported" in answer
