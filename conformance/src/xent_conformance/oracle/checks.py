"""Domain checks shared by the oracle's kernels; each failure names the spec's error kind."""
from __future__ import annotations

import math

from ..tensor import Tensor
from .core import DomainError

REDUCTIONS = ("none", "sum", "mean")
#: The highest rank of any input with a free rank (specVersion 3: N, C and six spatial dimensions).
MAX_RANK = 8


def rank(t: Tensor, name: str, low: int, high: int) -> None:
    if not low <= len(t.shape) <= high:
        want = f"rank {low}" if low == high else f"rank {low} to {high}"
        raise DomainError("invalid_shape", f"{name} must have {want}, got shape {list(t.shape)}")


def axis(value: int, rank_of_x: int, name: str) -> int:
    """An axis in [-r, r), normalised to [0, r); outside is invalid_argument (step 4 of the precedence)."""
    if not -rank_of_x <= value < rank_of_x:
        raise DomainError("invalid_argument", f"axis {value} is outside [-{rank_of_x}, {rank_of_x}) for {name} of rank {rank_of_x}")
    return value % rank_of_x


def non_empty(t: Tensor, name: str) -> None:
    if t.size == 0:
        raise DomainError("invalid_shape", f"{name} must not be empty (shape {list(t.shape)})")


def same_shape(a: Tensor, b: Tensor, name_a: str, name_b: str) -> None:
    if a.shape != b.shape:
        raise DomainError("shape_mismatch", f"{name_a} has shape {list(a.shape)} but {name_b} has {list(b.shape)}")


def probabilities(t: Tensor, name: str) -> None:
    for i, v in enumerate(t.data):
        if not 0.0 <= v <= 1.0:  # NaN fails too
            raise DomainError("invalid_probability", f"{name}[{i}] = {v!r} is not in [0, 1]")


def enum(params: dict, name: str, values) -> str:
    value = params[name]
    if value not in values:
        raise DomainError("invalid_argument", f"{name} = {value!r} is not one of {list(values)}")
    return value


def float_param(params: dict, name: str, low: float, high: float, *, high_open: bool = False) -> float:
    value = params[name]
    ok = isinstance(value, float) and low <= value <= high and not (high_open and value == high)
    if not ok:
        interval = f"[{low}, {high})" if high_open else f"[{low}, {high}]"
        raise DomainError("invalid_argument", f"{name} = {value!r} is not in {interval}")
    return value


def non_negative_finite(params: dict, name: str) -> float:
    value = params[name]
    if not (isinstance(value, float) and math.isfinite(value) and value >= 0):
        raise DomainError("invalid_argument", f"{name} = {value!r} must be finite and >= 0")
    return value


def weight_shape(t: Tensor | None, name: str, allowed_shapes: list[tuple[int, ...]]) -> None:
    """Step 3 of the spec's errorPrecedence: a tensor parameter's shape, before any value is read."""
    if t is not None and t.shape not in allowed_shapes:
        want = " or ".join(str(list(s)) for s in allowed_shapes)
        raise DomainError("shape_mismatch", f"{name} has shape {list(t.shape)}, expected {want}")


def weight_values(t: Tensor | None, name: str) -> None:
    """Step 4 (first part): a tensor parameter's entries are finite and >= 0."""
    for i, v in enumerate(t.data if t is not None else ()):
        if not (math.isfinite(v) and v >= 0):
            raise DomainError("invalid_argument", f"{name}[{i}] = {v!r} must be finite and >= 0")


def class_targets(target: Tensor, classes: int, ignore_index: int | None = None) -> None:
    for i, y in enumerate(target.data):
        if not 0 <= y < classes and y != ignore_index:
            raise DomainError("index_out_of_range", f"target[{i}] = {y} is outside [0, {classes})")


def focal_arguments(inputs, params, more_shapes=lambda n, reduction: None):
    """focal_loss's (and its gradient's) checks in the spec's order: scalars, ranks and C, shapes (with
    `more_shapes(N, reduction)` last, whose result is returned as `extra`), alpha values, targets.
    Returns (logits, target, alpha, gamma, reduction, extra)."""
    logits, target, alpha = inputs["logits"], inputs["target"], params["alpha"]
    gamma = non_negative_finite(params, "gamma")
    reduction = enum(params, "reduction", REDUCTIONS)
    rank(logits, "logits", 2, 2)
    rank(target, "target", 1, 1)
    n, c = logits.shape
    if c == 0:
        raise DomainError("invalid_shape", "logits must have at least one class (C = 0)")
    if target.shape[0] != n:
        raise DomainError("shape_mismatch", f"target has length {target.shape[0]} but logits has N = {n}")
    weight_shape(alpha, "alpha", [(c,)])
    extra = more_shapes(n, reduction)
    weight_values(alpha, "alpha")
    class_targets(target, c)
    return logits, target, alpha, gamma, reduction, extra


def bce_arguments(inputs, params, more_shapes=lambda shape, reduction: None):
    """binary_cross_entropy's (and its gradient's) checks in the spec's order: scalars, ranks, shapes
    (with `more_shapes(p's shape, reduction)` last, whose result is returned as `extra`), probabilities.
    Returns (y, p, epsilon, reduction, extra)."""
    y, p = inputs["y"], inputs["p"]
    eps = float_param(params, "epsilon", 0.0, 0.5, high_open=True)
    reduction = enum(params, "reduction", REDUCTIONS)
    rank(y, "y", 0, MAX_RANK)
    rank(p, "p", 0, MAX_RANK)
    same_shape(y, p, "y", "p")
    extra = more_shapes(p.shape, reduction)
    probabilities(y, "y")
    probabilities(p, "p")
    return y, p, eps, reduction, extra
