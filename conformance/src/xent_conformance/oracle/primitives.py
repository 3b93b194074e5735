"""Kernels of the primitives: logsumexp, softmax, log_softmax and the elementwise logistic functions."""
from __future__ import annotations

import math

import mpmath
from mpmath import iv

from ..tensor import Tensor
from . import checks
from .core import Evaluation, Out, X, log1p
from .row import Row


def _vector(inputs: dict[str, Tensor]) -> list[float]:
    x = inputs["x"]
    checks.rank(x, "x", 1, 1)
    checks.non_empty(x, "x")
    return list(x.data)


def logsumexp(inputs, params) -> Evaluation:
    row = Row(_vector(inputs))
    if row.kind == "nan":
        return Evaluation((), [Out(math.nan)])
    if row.kind in ("posinf", "multi_posinf"):
        return Evaluation((), [Out(math.inf)])
    if row.kind == "all_neginf":
        return Evaluation((), [Out(-math.inf)])
    return Evaluation((), [Out(row.lse(), row.weighted_abs_sum(), row.nu_logits())])


def _special_row(row: Row, on_limit_hot: float, on_limit_cold: float) -> list[Out] | None:
    """Outputs of a row with a non-finite classification, or None for a finite row."""
    if row.kind == "posinf":
        return [Out(on_limit_hot if j == row.k else on_limit_cold, limit=True) for j in range(row.n)]
    if row.kind != "finite":
        return [Out(math.nan) for _ in range(row.n)]
    return None


def softmax(inputs, params) -> Evaluation:
    row = Row(_vector(inputs))
    outs = _special_row(row, 1.0, 0.0)
    if outs is None:
        peak = row.max_g() * mpmath.sqrt(row.n)  # normwise: max_j g_j times the summation allowance sqrt(n)
        outs = [Out(row.softmax(j), row.kappa_softmax(j) if row.live_mask(j) else 0, peak) for j in range(row.n)]
    return Evaluation((row.n,), outs)


def log_softmax(inputs, params) -> Evaluation:
    row = Row(_vector(inputs))
    outs = _special_row(row, -0.0, -math.inf)
    if outs is None:
        nu = row.nu_logits()
        outs = [Out(row.log_softmax(j), row.kappa_log_softmax(j) if row.live_mask(j) else 0, nu)
                for j in range(row.n)]
    return Evaluation((row.n,), outs)


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
    checks.rank(z, "z", 0, 5)
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
