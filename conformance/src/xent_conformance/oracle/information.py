"""Kernels of entropy, cross-entropy and KL divergence over probability vectors (0 log 0 = 0)."""
from __future__ import annotations

import math

import mpmath
from mpmath import iv

from . import checks
from .core import Evaluation, Out, X, iv_sum, summation_allowance, upper


def _vector(inputs, name: str) -> None:
    t = inputs[name]
    checks.rank(t, name, 1, 1)
    checks.non_empty(t, name)


def _distribution(inputs, name: str) -> list[float]:
    checks.probabilities(inputs[name], name)
    return list(inputs[name].data)


def _pair(inputs) -> tuple[list[float], list[float]]:
    """Shapes of both (an empty p or q is invalid_shape before any length comparison), then values."""
    _vector(inputs, "p")
    _vector(inputs, "q")
    checks.same_shape(inputs["p"], inputs["q"], "p", "q")
    return _distribution(inputs, "p"), _distribution(inputs, "q")


def _log_base(params):
    base = checks.enum(params, "base", ("e", "2"))
    return iv.mpf(1) if base == "e" else iv.log(iv.mpf(2))


def entropy(inputs, params) -> Evaluation:
    log_base = _log_base(params)
    _vector(inputs, "p")
    p = _distribution(inputs, "p")
    live = [X(v) for v in p if v > 0]
    logs = [iv.log(v) for v in live]
    value = -iv_sum(v * lg for v, lg in zip(live, logs)) / log_base
    kappa = iv_sum(v * abs(lg + 1) for v, lg in zip(live, logs)) / log_base
    return Evaluation((), [Out(value, kappa, 1 + mpmath.sqrt(len(live)) * upper(value))])  # terms of one sign


def cross_entropy(inputs, params) -> Evaluation:
    log_base = _log_base(params)
    eps = checks.float_param(params, "epsilon", 0.0, 1.0)
    p, q = _pair(inputs)
    live = [i for i, v in enumerate(p) if v > 0]
    if eps == 0:
        if any(q[i] == 0 for i in live):
            return Evaluation((), [Out(math.inf)])
        logs = {i: iv.log(X(q[i])) for i in live}
        value = -iv_sum(X(p[i]) * logs[i] for i in live)
        kappa = iv_sum(X(p[i]) * (1 + abs(logs[i])) for i in live)
    else:
        e = X(eps)
        total = iv_sum(X(v) for v in q) + len(q) * e
        log_total = iv.log(total)
        logs = {i: iv.log(X(q[i]) + e) - log_total for i in live}
        value = -iv_sum(X(p[i]) * logs[i] for i in live)
        mass = iv_sum(X(p[i]) for i in live)
        from_q = iv_sum(abs(mass / total - (X(p[j]) / (X(q[j]) + e) if p[j] > 0 else 0)) * X(q[j])
                        for j in range(len(q)))
        kappa = from_q + iv_sum(X(p[i]) * abs(logs[i]) for i in live)
    nu = 1 + mpmath.sqrt(len(live)) * upper(value / log_base)  # terms of one sign: sum |t_i| = |value|
    return Evaluation((), [Out(value / log_base, kappa / log_base, nu)])


def kl_divergence(inputs, params) -> Evaluation:
    log_base = _log_base(params)
    p, q = _pair(inputs)
    live = [i for i, v in enumerate(p) if v > 0]
    if any(q[i] == 0 for i in live):
        return Evaluation((), [Out(math.inf)])
    logs = {i: iv.log(X(p[i]) / X(q[i])) for i in live}  # exactly 0 where p_i == q_i
    value = iv_sum(X(p[i]) * logs[i] for i in live)
    kappa = iv_sum(X(p[i]) * (abs(logs[i] + 1) + 1) for i in live)
    nu = 1 + summation_allowance([X(p[i]) * logs[i] / log_base for i in live])
    return Evaluation((), [Out(value / log_base, kappa / log_base, nu)])
