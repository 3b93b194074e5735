"""Kernels of the primitives: logsumexp, softmax, log_softmax and the elementwise logistic functions."""
from __future__ import annotations

import math

import mpmath
from mpmath import iv

from ..tensor import Tensor
from . import checks
from .core import DomainError, Evaluation, Out, X, log1p
from .row import Row


def _slices(inputs: dict[str, Tensor], params) -> tuple[Tensor, int, list[list[int]]]:
    """x, its normalised axis, and the flat indices of every slice along the axis (row-major order of the
    other axes). Checks in the spec's order: rank 1..MAX_RANK and a non-empty axis (step 2), then the
    axis in [-r, r) (step 4: a shape-dependent argument rule)."""
    x = inputs["x"]
    checks.rank(x, "x", 1, checks.MAX_RANK)
    axis = checks.axis(params.get("axis", -1), len(x.shape), "x")
    if x.shape[axis] == 0:
        raise DomainError("invalid_shape", f"x must not be empty along axis {axis} (shape {list(x.shape)})")
    n, inner = x.shape[axis], math.prod(x.shape[axis + 1:])
    outer = math.prod(x.shape[:axis])
    return x, axis, [[(o * n + i) * inner + r for i in range(n)] for o in range(outer) for r in range(inner)]


def _lse(row: Row) -> Out:
    if row.kind == "nan":
        return Out(math.nan)
    if row.kind in ("posinf", "multi_posinf"):
        return Out(math.inf)
    if row.kind == "all_neginf":
        return Out(-math.inf)
    return Out(row.lse(), row.weighted_abs_sum(), row.nu_logits())


def logsumexp(inputs, params) -> Evaluation:
    x, axis, slices = _slices(inputs, params)
    outs = [_lse(Row([x.data[i] for i in idx])) for idx in slices]
    return Evaluation(x.shape[:axis] + x.shape[axis + 1:], outs)


def _along_axis(inputs, params, row_outputs) -> Evaluation:
    """Apply row_outputs (a Row -> [Out] per entry) to every slice and scatter the results back."""
    x, _, slices = _slices(inputs, params)
    outs: list[Out | None] = [None] * x.size
    for idx in slices:
        for i, o in zip(idx, row_outputs(Row([x.data[i] for i in idx]))):
            outs[i] = o
    return Evaluation(x.shape, outs)


def _special_row(row: Row, on_limit_hot: float, on_limit_cold: float) -> list[Out] | None:
    """Outputs of a row with a non-finite classification, or None for a finite row."""
    if row.kind == "posinf":
        return [Out(on_limit_hot if j == row.k else on_limit_cold, limit=True) for j in range(row.n)]
    if row.kind != "finite":
        return [Out(math.nan) for _ in range(row.n)]
    return None


def _softmax_row(row: Row) -> list[Out]:
    outs = _special_row(row, 1.0, 0.0)
    if outs is None:
        peak = row.max_g() * mpmath.sqrt(row.n)  # normwise: max_j g_j times the summation allowance sqrt(n)
        outs = [Out(row.softmax(j), row.kappa_softmax(j) if row.live_mask(j) else 0, peak) for j in range(row.n)]
    return outs


def _log_softmax_row(row: Row) -> list[Out]:
    outs = _special_row(row, -0.0, -math.inf)
    if outs is None:
        nu = row.nu_logits()
        outs = [Out(row.log_softmax(j), row.kappa_log_softmax(j) if row.live_mask(j) else 0, nu)
                for j in range(row.n)]
    return outs


def softmax(inputs, params) -> Evaluation:
    return _along_axis(inputs, params, _softmax_row)


def log_softmax(inputs, params) -> Evaluation:
    return _along_axis(inputs, params, _log_softmax_row)


# ---------------------------------------------------------------- logistic building blocks

def softplus_iv(z: float):
    """log(1 + e^z) = max(z, 0) + log1p(e^-|z|) for finite z."""
    tail = log1p(iv.exp(X(-abs(z))))
    return X(z) + tail if z > 0 else tail


def sigmoid_iv(z: float):
    """1 / (1 + e^-z) for z >= 0, e^z / (1 + e^z) for z < 0, for finite z."""
    if z >= 0:
        return 1 / (1 + iv.exp(X(-z)))
    t = iv.exp(X(z))
    return t / (1 + t)


def _elementwise(inputs, kernel) -> Evaluation:
    z = inputs["z"]
    checks.rank(z, "z", 0, checks.MAX_RANK)
    return Evaluation(z.shape, [kernel(v) for v in z.data])


def _sigmoid(z: float) -> Out:
    if math.isnan(z):
        return Out(math.nan)
    if math.isinf(z):
        return Out(1.0 if z > 0 else 0.0)
    sig = sigmoid_iv(z)
    return Out(sig, sig * sigmoid_iv(-z) * abs(z), 0)  # normwise kind componentwise: nu = 0


def _log_sigmoid(z: float) -> Out:
    if math.isnan(z):
        return Out(math.nan)
    if math.isinf(z):
        return Out(-0.0 if z > 0 else -math.inf)
    return Out(-softplus_iv(-z), sigmoid_iv(-z) * abs(z), 0)


def _softplus(z: float) -> Out:
    if math.isnan(z):
        return Out(math.nan)
    if math.isinf(z):
        return Out(math.inf if z > 0 else 0.0)
    return Out(softplus_iv(z), sigmoid_iv(z) * abs(z), 0)


def sigmoid(inputs, params) -> Evaluation:
    return _elementwise(inputs, _sigmoid)


def log_sigmoid(inputs, params) -> Evaluation:
    return _elementwise(inputs, _log_sigmoid)


def softplus(inputs, params) -> Evaluation:
    return _elementwise(inputs, _softplus)
