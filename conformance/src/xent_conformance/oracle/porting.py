"""Kernels of the porting-parity functions (issue 19): nll_loss on log-probabilities and PyTorch's kl_div."""
from __future__ import annotations

import math
from fractions import Fraction

import mpmath
from mpmath import iv

from ..tensor import Tensor
from . import checks
from .core import DomainError, Evaluation, Out, X, upper
from .reduce import reduce_outputs

KL_REDUCTIONS = ("none", "sum", "mean", "batchmean")


# ---------------------------------------------------------------- nll_loss

def _nll_checks(inputs, params) -> tuple[Tensor, Tensor, Tensor | None, int]:
    """The checks in the spec's errorPrecedence order: reduction, ranks and C, shapes, weight values, indices."""
    x, target, weight = inputs["input"], inputs["target"], params["weight"]
    checks.enum(params, "reduction", checks.REDUCTIONS)
    checks.rank(x, "input", 1, checks.MAX_RANK)
    classes = x.shape[1] if len(x.shape) >= 2 else x.shape[0]
    if classes == 0:
        raise DomainError("invalid_shape", f"input must have at least one class (C = 0, shape {list(x.shape)})")
    want = x.shape[:1] + x.shape[2:] if len(x.shape) >= 2 else ()
    if target.shape != want:
        raise DomainError("shape_mismatch", f"target has shape {list(target.shape)}, expected {list(want)}")
    checks.weight_shape(weight, "weight", [(classes,)])
    checks.weight_values(weight, "weight")
    checks.class_targets(target, classes, params["ignore_index"])
    return x, target, weight, classes


def _nll_position(value: float, w: float) -> Out:
    """-w * value, with the spec's zero-coefficient rule (D4) for w = 0 and an infinite value."""
    if math.isnan(value):
        return Out(math.nan)
    if w == 0:
        return Out(0.0, limit=math.isinf(value))  # PyTorch and ONNX: -0 * inf = NaN
    if math.isinf(value):
        return Out(-value)
    loss = -X(w) * X(value)
    return Out(loss, abs(loss), 0)  # kappa = w |x| (one multiplication); normwise kind componentwise


def nll_loss(inputs, params) -> Evaluation:
    x, target, weight, classes = _nll_checks(inputs, params)
    plane = math.prod(x.shape[2:])
    w = list(weight.data) if weight is not None else [1.0] * classes
    outs, denominator = [], Fraction(0)
    for p, y in enumerate(target.data):
        if y == params["ignore_index"]:
            outs.append(Out(0.0))
            continue
        outs.append(_nll_position(x.data[_flat(p, y, classes, plane)], w[y]))
        denominator += Fraction(w[y])
    den = _enclosure(denominator)
    shape, reduced = reduce_outputs(outs, params["reduction"], target.shape, den, denominator == 0)
    if params["reduction"] == "mean" and not isinstance(reduced[0].value, float):
        # the mean of exact products is rational: enclose it from the exact fraction, so that a mean that
        # is exactly a rounding midpoint (bfloat16 has 8 bits) becomes a point and certifies
        total = sum((-Fraction(w[y]) * Fraction(x.data[_flat(p, y, classes, plane)])
                     for p, y in enumerate(target.data) if y != params["ignore_index"] and w[y] != 0), Fraction(0))
        reduced[0].value = _enclosure(total / denominator)
    return Evaluation(shape, reduced)


def _flat(position: int, y: int, classes: int, plane: int) -> int:
    n, r = divmod(position, plane)
    return (n * classes + y) * plane + r


def _enclosure(x: Fraction):
    """Exact when the fraction is dyadic (a power-of-two denominator) and the precision suffices."""
    if x.denominator & (x.denominator - 1) == 0:
        return iv.mpf(x.numerator) * mpmath.ldexp(1, -(x.denominator.bit_length() - 1))
    return iv.mpf(x.numerator) / x.denominator


# ---------------------------------------------------------------- kl_div

def _kl_plain(x: float, t: float) -> Out:
    """t (log t - x) = xlogy(t, t) - t x; nu = t (the rounding of t log t in a port, see the spec)."""
    if math.isnan(x) or math.isnan(t) or t < 0:
        return Out(math.nan)
    if t == 0:
        return Out(0.0, limit=math.isinf(x))        # PyTorch: 0 - 0 * (+-inf) = NaN
    if t == math.inf:
        return Out(math.nan if x == math.inf else math.inf, limit=0 <= x < math.inf)  # PyTorch: inf - inf * x
    if math.isinf(x):
        return Out(-x)
    log_t = iv.log(X(t))
    value = X(t) * (log_t - X(x))
    kappa = X(t) * abs(log_t + 1 - X(x)) + X(t) * X(abs(x))  # |dl/dt| t + |dl/dx| |x|
    return Out(value, kappa, mpmath.mpf(t))


def _kl_log_target(x: float, t: float) -> Out:
    """exp(t) (t - x); nu = exp(t)."""
    if math.isnan(x) or math.isnan(t):
        return Out(math.nan)
    if t == -math.inf:
        return Out(0.0, limit=True)                 # PyTorch: 0 * (-inf - x) = NaN
    if t == math.inf:
        return Out(math.nan if x == math.inf else math.inf)
    if math.isinf(x):
        return Out(-x)
    e = iv.exp(X(t))
    diff = X(t) - X(x)
    kappa = e * abs(diff + 1) * X(abs(t)) + e * X(abs(x))
    return Out(e * diff, kappa, upper(e))


def kl_div(inputs, params) -> Evaluation:
    x, t = inputs["input"], inputs["target"]
    reduction = checks.enum(params, "reduction", KL_REDUCTIONS)
    checks.rank(x, "input", 0, checks.MAX_RANK)
    checks.rank(t, "target", 0, checks.MAX_RANK)
    checks.same_shape(t, x, "target", "input")
    element = _kl_log_target if params["log_target"] else _kl_plain
    outs = [element(xv, tv) for xv, tv in zip(x.data, t.data)]
    if reduction != "batchmean":
        return Evaluation(*reduce_outputs(outs, reduction, x.shape))
    if not x.shape:                                 # PyTorch: a 0-d input's batchmean is its sum
        return Evaluation(*reduce_outputs(outs, "sum", x.shape))
    batch = x.shape[0]
    return Evaluation(*reduce_outputs(outs, "mean", x.shape, iv.mpf(batch), batch == 0))
