"""Kernels of the losses from probabilities: nll_from_probs, categorical and binary cross-entropy."""
from __future__ import annotations

import math
from fractions import Fraction

import mpmath
from mpmath import iv

from . import checks
from .core import Evaluation, Out, X, iv_sum, log1p, upper
from .reduce import reduce_outputs


def _soft(v: float) -> bool:
    """Targets strictly between 0 and 1 are perturbable data; 0 and 1 are exact labels."""
    return 0.0 < v < 1.0


def nll_from_probs(inputs, params) -> Evaluation:
    probs, target = inputs["probs"], inputs["target"]
    eps = checks.float_param(params, "epsilon", 0.0, 1.0)
    reduction = checks.enum(params, "reduction", checks.REDUCTIONS)
    checks.rank(probs, "probs", 2, 2)
    checks.rank(target, "target", 1, 1)
    n, c = probs.shape
    if c == 0:
        raise checks.DomainError("invalid_shape", "probs must have at least one class (C = 0)")
    if target.shape[0] != n:
        raise checks.DomainError("shape_mismatch", f"target has length {target.shape[0]} but probs has N = {n}")
    checks.class_targets(target, c)
    checks.probabilities(probs, "probs")  # every entry, not only the targets' (spec D5)
    outs = []
    for row, y in enumerate(target.data):
        p = probs.data[row * c + y]
        clamped = max(p, eps)
        if clamped == 0:
            outs.append(Out(math.inf))
        else:
            outs.append(Out(-iv.log(X(clamped)), 1.0 if p > eps else 0.0, 1.0))
    return Evaluation(*reduce_outputs(outs, reduction, (n,)))


def categorical_cross_entropy(inputs, params) -> Evaluation:
    t, p = inputs["t"], inputs["p"]
    reduction = checks.enum(params, "reduction", checks.REDUCTIONS)
    for tensor, name in ((t, "t"), (p, "p")):
        checks.rank(tensor, name, 2, 2)
        if tensor.shape[1] == 0:
            raise checks.DomainError("invalid_shape", f"{name} must have at least one class (C = 0)")
    checks.same_shape(t, p, "t", "p")
    n, c = p.shape
    checks.probabilities(t, "t")
    checks.probabilities(p, "p")
    outs = []
    for row in range(n):
        pairs = [(t.data[row * c + j], p.data[row * c + j]) for j in range(c) if t.data[row * c + j] > 0]
        if any(pv == 0 for _, pv in pairs):
            outs.append(Out(math.inf))
            continue
        logs = [iv.log(X(pv)) for _, pv in pairs]
        value = -iv_sum(X(tv) * lg for (tv, _), lg in zip(pairs, logs))
        kappa = iv_sum(X(tv) * (1 + (abs(lg) if _soft(tv) else 0)) for (tv, _), lg in zip(pairs, logs))
        outs.append(Out(value, kappa, 1 + mpmath.sqrt(len(pairs)) * upper(value)))  # terms of one sign
    return Evaluation(*reduce_outputs(outs, reduction, (n,)))


def _bce_element(y: float, p: float, eps: float) -> Out:
    """-(y log p' + (1 - y) log(1 - p')) with p' = clip(p, eps, 1 - eps), 1 - eps exact."""
    low_clip = p < eps
    high_clip = Fraction(p) > 1 - Fraction(eps)
    p_clipped = eps if low_clip else p
    terms = []
    log_p = log_q = None
    if y > 0:
        if high_clip:
            log_p = log1p(-X(eps))
        else:
            log_p = iv.log(X(p_clipped)) if p_clipped > 0 else -math.inf
    if y < 1:
        if high_clip:
            log_q = iv.log(X(eps))
        elif p_clipped == 1:
            log_q = -math.inf
        elif p_clipped < 0.5:
            log_q = log1p(-X(p_clipped))
        else:
            log_q = iv.log(1 - X(p_clipped))  # 1 - p is exact here (Sterbenz)
    # coefficients y and 1 - y as exact enclosures: 1 - y rounded to the dtype first is wrong for soft y
    for coef, lg in ((X(y), log_p), (1 - X(y), log_q)):
        if lg is None:
            continue
        if isinstance(lg, float):  # -inf
            return Out(math.inf)
        terms.append(coef * lg)
    value = -iv_sum(terms)
    clipped = low_clip or high_clip
    if clipped or y == p:
        kappa = iv.mpf(0)
    else:
        kappa = abs(X(y) - X(p)) / (1 - X(p))
    if _soft(y) and log_p is not None and log_q is not None:
        kappa = kappa + X(y) * abs(log_p - log_q)
    return Out(value, kappa, 1.0)


def binary_cross_entropy(inputs, params) -> Evaluation:
    y, p, eps, reduction, _ = checks.bce_arguments(inputs, params)
    outs = [_bce_element(yv, pv, eps) for yv, pv in zip(y.data, p.data)]
    return Evaluation(*reduce_outputs(outs, reduction, p.shape))
