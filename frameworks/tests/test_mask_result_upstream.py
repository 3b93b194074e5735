"""specVersion 4 in the framework adapters (issue 17): bool tensors, the class mask `where`, `result`, and
`grad_output`. A library that cannot express one answers the case unsupported (never a TypeError from an
unexpected keyword); the ones that can map it onto the library's own call. Values are compared with the
library's own results on other inputs (the mapping, not the accuracy)."""
from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from xent_frameworks.protocol import Library, decode_tensor

LOGITS = {"dtype": "float64", "shape": [2, 3], "data": ["0x1p+0", "0x1p+1", "0x1.8p+1", "0x1.8p+1", "0x1p+1", "0x1p+0"]}
TARGET = {"dtype": "int64", "shape": [2], "data": [0, 2]}
MASK = {"dtype": "bool", "shape": [3], "data": [True, False, True]}


def _case(function: str, params: dict, inputs: dict | None = None) -> dict:
    return {"id": "c", "function": function, "dtype": "float64", "params": params,
            "inputs": inputs or {"logits": LOGITS, "target": TARGET}}


def test_bool_tensors_decode_and_other_data_is_a_bad_request():
    assert decode_tensor(MASK, "where").tolist() == [True, False, True]
    library = Library("plain", "0", {"softmax_cross_entropy": lambda **kw: 0.0})
    answer = library.run_case(_case("softmax_cross_entropy", {"where": {**MASK, "data": [1, 0, 1]}}))
    assert answer["error"]["kind"] == "bad_request"


@pytest.mark.parametrize("params", [{"where": MASK}, {"result": "lse"}, {"grad_output": {"dtype": "float64", "shape": [], "data": ["0x1p+1"]}}])
def test_a_library_without_the_option_answers_unsupported(params):
    library = Library("plain", "0", {"softmax_cross_entropy": lambda logits, target: np.float64(0.0)})
    assert "unsupported" in library.run_case(_case("softmax_cross_entropy", params))


def test_null_options_are_dropped():
    library = Library("plain", "0", {"softmax_cross_entropy": lambda logits, target: np.float64(1.5)})
    answer = library.run_case(_case("softmax_cross_entropy", {"where": None, "grad_output": None, "result": "loss"}))
    assert _value(answer).tolist() == [1.5]


def _value(answer: dict) -> np.ndarray:
    return np.array([float.fromhex(v) for v in answer["output"]["data"]])


needs_torch = pytest.mark.skipif(importlib.util.find_spec("torch") is None, reason="torch not installed")
needs_jax = pytest.mark.skipif(importlib.util.find_spec("optax") is None, reason="jax/optax not installed")


@needs_torch
def test_torch_result_lse_and_z_loss():
    import torch
    from xent_frameworks import torch as adapter
    library = adapter.library()
    logits = torch.tensor([[1.0, 2.0, 3.0], [3.0, 2.0, 1.0]], dtype=torch.float64)
    lse = _value(library.run_case(_case("softmax_cross_entropy", {"result": "lse", "reduction": "mean"})))
    assert np.allclose(lse, torch.logsumexp(logits, dim=1).numpy(), rtol=1e-15)
    z = _value(library.run_case(_case("softmax_cross_entropy", {"result": "z_loss", "z_loss": "0x1p-1",
                                                                "reduction": "sum"})))
    assert np.allclose(z, 0.5 * (torch.logsumexp(logits, dim=1) ** 2).sum().item(), rtol=1e-15)
    assert "unsupported" in library.run_case(_case("softmax_cross_entropy", {"where": MASK}))


@needs_torch
def test_torch_gradients_take_grad_output():
    from xent_frameworks import torch as adapter
    library = adapter.library()
    upstream = {"dtype": "float64", "shape": [2], "data": ["0x1p+1", "-0x1p-1"]}
    plain = _value(library.run_case(_case("softmax_cross_entropy_grad", {"reduction": "none"}))).reshape(2, 3)
    scaled = _value(library.run_case(_case("softmax_cross_entropy_grad", {"reduction": "none",
                                                                          "grad_output": upstream}))).reshape(2, 3)
    assert np.allclose(scaled, plain * np.array([[2.0], [-0.5]]), rtol=1e-15)
    x = np.array([[1.0, 2.0, 3.0], [3.0, 2.0, 1.0]])
    v = np.array([[0.5, -1.0, 2.0], [1.0, 1.0, 0.25]])
    inputs = {"x": LOGITS, "grad_output": {"dtype": "float64", "shape": [2, 3],
                                           "data": [float(a).hex() for a in v.ravel()]}}
    g = np.exp(x) / np.exp(x).sum(axis=1, keepdims=True)
    got = _value(library.run_case(_case("softmax_grad", {"axis": -1}, inputs))).reshape(2, 3)
    assert np.allclose(got, g * (v - (g * v).sum(axis=1, keepdims=True)), rtol=1e-12)
    got = _value(library.run_case(_case("log_softmax_grad", {"axis": -1}, inputs))).reshape(2, 3)
    assert np.allclose(got, v - g * v.sum(axis=1, keepdims=True), rtol=1e-12)


@needs_jax
def test_jax_maps_a_class_mask_onto_optax_where():
    """A [C] mask broadcast over the positions: the loss of an included target is the loss of the row
    without the excluded class."""
    from xent_frameworks import jax as adapter
    library = adapter.library()
    masked = _value(library.run_case(_case("softmax_cross_entropy", {"where": MASK, "reduction": "none"})))
    sub = {"dtype": "float64", "shape": [2, 2], "data": ["0x1p+0", "0x1.8p+1", "0x1.8p+1", "0x1p+0"]}
    plain = _value(library.run_case(_case("softmax_cross_entropy", {"reduction": "none"},
                                          {"logits": sub, "target": {"dtype": "int64", "shape": [2], "data": [0, 1]}})))
    assert np.allclose(masked, plain, rtol=1e-15)
