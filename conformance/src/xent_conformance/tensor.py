"""Tensors as the vector files and the protocol carry them: a dtype, a shape and flat row-major data."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from .dtypes import DTYPES
from .hexfloat import HexFloatError, format_hex, parse_hex

FLOAT_DTYPES = tuple(DTYPES)  # float64, float32, float16, bfloat16
INT_DTYPE = "int64"
BOOL_DTYPE = "bool"  # protocol 1.3: a mask (softmax_cross_entropy's where), data JSON true/false
INT64_MIN, INT64_MAX = -2 ** 63, 2 ** 63 - 1


def is_int64(value: Any) -> bool:
    """A JSON integer within int64 (never a bool, a float such as 1.0, or a value that would wrap)."""
    return isinstance(value, int) and not isinstance(value, bool) and INT64_MIN <= value <= INT64_MAX


class TensorError(ValueError):
    """A tensor object that is malformed: bad dtype, shape, data length or element."""


@dataclass(frozen=True)
class Tensor:
    dtype: str
    shape: tuple[int, ...]
    data: tuple  # floats (exact values of dtype) or ints

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    @property
    def is_float(self) -> bool:
        return self.dtype in FLOAT_DTYPES

    def to_json(self) -> dict[str, Any]:
        data = [format_hex(v) for v in self.data] if self.is_float else list(self.data)
        return {"dtype": self.dtype, "shape": list(self.shape), "data": data}

    @staticmethod
    def from_json(obj: Any, where: str = "tensor") -> "Tensor":
        if not isinstance(obj, dict):
            raise TensorError(f"{where}: expected an object with dtype, shape, data")
        dtype, shape, data = obj.get("dtype"), obj.get("shape"), obj.get("data")
        if dtype not in (*FLOAT_DTYPES, INT_DTYPE, BOOL_DTYPE):
            raise TensorError(f"{where}.dtype: {dtype!r} is not {', '.join(FLOAT_DTYPES)}, int64 or bool")
        if not isinstance(shape, list) or not all(is_int64(d) and d >= 0 for d in shape):
            raise TensorError(f"{where}.shape: expected a list of non-negative int64 integers, got {shape!r}")
        if not isinstance(data, list) or len(data) != math.prod(shape):
            got = len(data) if isinstance(data, list) else type(data).__name__
            raise TensorError(f"{where}.data: expected {math.prod(shape)} elements for shape {shape}, got {got}")
        if dtype == INT_DTYPE:
            for i, v in enumerate(data):
                if not is_int64(v):
                    raise TensorError(f"{where}.data[{i}]: expected an integer within int64, got {v!r}")
            return Tensor(dtype, tuple(shape), tuple(data))
        if dtype == BOOL_DTYPE:
            for i, v in enumerate(data):
                if not isinstance(v, bool):
                    raise TensorError(f"{where}.data[{i}]: expected true or false (bool tensor), got {v!r}")
            return Tensor(dtype, tuple(shape), tuple(data))
        values = []
        for i, v in enumerate(data):
            try:
                values.append(parse_hex(v, dtype))
            except HexFloatError as exc:
                raise TensorError(f"{where}.data[{i}]: {exc}") from None
        return Tensor(dtype, tuple(shape), tuple(values))
