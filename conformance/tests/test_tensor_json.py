"""Tensor.from_json (the frameworks adapters read requests with it): int64 shapes and elements are never
wrapped, and floats are exact in the dtype (DECISIONS.md D7, D8, D9)."""
from __future__ import annotations

import pytest

from xent_conformance.tensor import Tensor, TensorError


@pytest.mark.parametrize(("obj", "words"), [
    ({"dtype": "int64", "shape": [1], "data": [2 ** 64 - 100]}, "data[0]: expected an integer within int64"),
    ({"dtype": "int64", "shape": [1], "data": [1.0]}, "data[0]: expected an integer within int64"),
    ({"dtype": "float64", "shape": [2 ** 64 + 1, 0], "data": []}, "shape: expected a list of non-negative int64"),
    ({"dtype": "float32", "shape": [1], "data": ["0x1.0000000000000001p+0"]}, "not exactly representable in float32"),
    ({"dtype": "float64", "shape": [1], "data": ["0x1p-99999"]}, "not exactly representable in float64"),
])
def test_refused(obj, words):
    with pytest.raises(TensorError, match=words.replace("[", r"\[").replace("]", r"\]")):
        Tensor.from_json(obj)


def test_int64_extremes_are_kept():
    data = [-2 ** 63, 2 ** 63 - 1]
    assert Tensor.from_json({"dtype": "int64", "shape": [2], "data": data}).data == tuple(data)


def test_bool_tensors_round_trip():
    """Protocol 1.3: the class mask where is a bool tensor of JSON true/false."""
    obj = {"dtype": "bool", "shape": [2, 2], "data": [True, False, False, True]}
    t = Tensor.from_json(obj)
    assert t.data == (True, False, False, True) and not t.is_float and t.to_json() == obj


@pytest.mark.parametrize("element", [1, 0, "true", None, "0x1p+0"])
def test_bool_tensors_hold_true_or_false_only(element):
    with pytest.raises(TensorError, match=r"data\[1\]: expected true or false"):
        Tensor.from_json({"dtype": "bool", "shape": [2], "data": [True, element]})
