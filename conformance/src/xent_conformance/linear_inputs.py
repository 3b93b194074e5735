"""Seeded random inputs of the fused linear cross-entropy (issue 18): hidden [N, H], linear_weight [C, H]
and class-index targets [N], for the generator's families and the option-pair coverage family.

A family's `shapes` are the logits' shape [N, C]; its key `hidden` is H (default 2: the vectors stay
small). Values are scale times a normal draw (Irwin-Hall, exact float arithmetic), rounded into the dtype.
"""
from __future__ import annotations

import math

from .dtypes import DType
from .tensor import INT_DTYPE, Tensor
from .values import float_to_dtype

#: the roles whose inputs this module draws (spec/xent.yaml, `role`)
ROLES = frozenset({"hidden", "linear_weight"})
DEFAULT_HIDDEN = 2


def handles(fn: dict) -> bool:
    return any(decl["role"] in ROLES for decl in fn["inputs"].values())


def classes_of(inputs: dict[str, Tensor]) -> int | None:
    """C, the rows of linear_weight (the [C] of weight and linear_bias), or None for other functions."""
    weight_matrix = inputs.get("linear_weight")
    return weight_matrix.shape[0] if weight_matrix is not None else None


def random_inputs(src, fn: dict, shape, family: dict, scale: float, dtype: DType) -> dict[str, Tensor]:
    """hidden, linear_weight and target for the logits' shape [N, C]."""
    n, classes = shape[0], shape[1]
    h = int(family.get("hidden", DEFAULT_HIDDEN))

    def drawn(rows: int) -> Tensor:
        values = [float_to_dtype(src.normal() * scale, dtype) for _ in range(rows * h)]
        return Tensor(dtype.name, (rows, h), tuple(values))

    hidden, weight_matrix = drawn(n), drawn(classes)
    target = Tensor(INT_DTYPE, (n,), tuple(src.index(classes) for _ in range(math.prod((n,)))))
    return {"hidden": hidden, "linear_weight": weight_matrix, "target": target}
