"""Kernels of entropy, cross-entropy and KL divergence over probability vectors (0 log 0 = 0)."""
from __future__ import annotations

import math

from mpmath import iv

from . import checks
from .core import Evaluation, Out, X, iv_sum


def _distribution(inputs, name: str) -> list[float]:
    t = inputs[name]
    checks.rank(t, name, 1, 1)
    checks.non_empty(t, name)
    checks.probabilities(t, name)
    return list(t.data)


def _pair(inputs) -> tuple[list[float], list[float]]:
    p_t, q_t = inputs["p"], inputs["q"]
    checks.rank(p_t, "p", 1, 1)
    checks.rank(q_t, "q", 1, 1)
    checks.same_shape(p_t, q_t, "p", "q")
    return _distribution(inputs, "p"), _distribution(inputs, "q")


def _log_base(params):
    base = checks.enum(params, "base", ("e", "2"))
    return iv.mpf(1) if base == "e" else iv.log(iv.mpf(2))


def entropy(inputs, params) -> Evaluation:
    p = _distribution(inputs, "p")
    log_base = _log_base(params)
    live = [X(v) for v in p if v > 0]
    logs = [iv.log(v) for v in live]
    value = -iv_sum(v * lg for v, lg in zip(live, logs)) / log_base
    kappa = iv_sum(v * abs(lg + 1) for v, lg in zip(live, logs)) / log_base
    return Evaluation((), [Out(value, kappa, 1.0)])


def cross_entropy(inputs, params) -> Evaluation:
    p, q = _pair(inputs)
    log_base = _log_base(params)
    eps = checks.float_param(params, "epsilon", 0.0, 1.0)
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
    return Evaluation((), [Out(value / log_base, kappa / log_base, 1.0)])


def kl_divergence(inputs, params) -> Evaluation:
    p, q = _pair(inputs)
    log_base = _log_base(params)
    live = [i for i, v in enumerate(p) if v > 0]
    if any(q[i] == 0 for i in live):
        return Evaluation((), [Out(math.inf)])
    logs = {i: iv.log(X(p[i]) / X(q[i])) for i in live}  # exactly 0 where p_i == q_i
    value = iv_sum(X(p[i]) * logs[i] for i in live)
    kappa = iv_sum(X(p[i]) * (abs(logs[i] + 1) + 1) for i in live)
    return Evaluation((), [Out(value / log_base, kappa / log_base, 1.0)])
