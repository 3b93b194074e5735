"""Kernels of the gradients with respect to the logits."""
from __future__ import annotations

import math

from mpmath import iv

from . import checks
from .core import Evaluation, Out, X, iv_sum, upper
from .logit_losses import read_logistic
from .primitives import sigmoid_iv
from .sce_common import Position, read_problem, total_mass


def _position_grad(pos: Position, classes: int, coef) -> list[Out]:
    """coef * (g_c * M - m_c) for each class of one position (M = total target mass)."""
    if pos.ignored:
        return [Out(0.0) for _ in range(classes)]
    row = pos.row
    if row.kind in ("nan", "multi_posinf", "all_neginf"):
        return [Out(math.nan) for _ in range(classes)]
    mass = total_mass(pos)
    if row.kind == "posinf":
        return [Out(coef * ((mass if c == row.k else 0) - pos.mass.get(c, iv.mpf(0))), limit=True)
                for c in range(classes)]
    soft_total = iv_sum(pos.soft.values())
    nu = upper(coef * mass) * row.max_g()
    outs = []
    for c in range(classes):
        m_c = pos.mass.get(c, iv.mpf(0))
        if not row.live_mask(c):
            outs.append(Out(coef * (-m_c) if c in pos.mass else 0.0, 0, nu))
            continue
        g = row.g(c)
        if len(pos.mass) == 1 and c in pos.mass:  # one-hot: -m (1 - g) without cancellation
            value = -coef * m_c * row.one_minus_g(c)
        else:
            value = coef * (g * mass - m_c)
        kappa = coef * mass * row.kappa_softmax(c)
        if pos.soft:
            kappa += coef * (g * soft_total + pos.soft.get(c, 0))
        outs.append(Out(value, kappa, nu))
    return outs


def softmax_cross_entropy_grad(inputs, params) -> Evaluation:
    problem = read_problem(inputs, params)
    classes = problem.classes
    if problem.reduction == "mean":
        if problem.denominator_is_zero:
            return Evaluation(problem.shape, [Out(math.nan) for _ in range(math.prod(problem.shape))])
        coef = 1 / problem.denominator
    else:
        coef = iv.mpf(1)
    batch, plane = problem.shape[0], math.prod(problem.shape[2:])
    per_position = [_position_grad(p, classes, coef) for p in problem.positions]
    # positions are (n, r); the output is laid out [n, c, r]
    outs = [per_position[n * plane + r][c] for n in range(batch) for c in range(classes) for r in range(plane)]
    return Evaluation(problem.shape, outs)


def _bce_logits_grad_element(z: float, y: float, w: float, pw: float, coef) -> Out:
    """coef * w * ((1 - y) sigmoid(z) - pw y sigmoid(-z))."""
    if math.isnan(z):
        return Out(math.nan)
    if math.isinf(z):
        value = coef * X(w) * (1 - X(y)) if z > 0 else -coef * X(w) * X(pw) * X(y)
        return Out(value, limit=True)
    sig, sig_neg = sigmoid_iv(z), sigmoid_iv(-z)
    value = coef * X(w) * ((1 - X(y)) * sig - X(pw) * X(y) * sig_neg)
    kappa = coef * X(w) * ((1 - X(y)) + X(pw) * X(y)) * sig * sig_neg * X(abs(z))
    if 0 < y < 1:
        kappa += coef * X(w) * (sig + X(pw) * sig_neg) * X(y)
    # normwise exponent: autodiff of a log-space loss forms each sigmoid as exp(z - logaddexp(z, 0))
    exp_mass = coef * X(w) * ((1 - X(y)) * sig + X(pw) * X(y) * sig_neg)
    return Out(value, kappa, upper(coef) * w * max(1.0, pw), exp_mass=exp_mass, exp_arg=abs(z))


def binary_cross_entropy_with_logits_grad(inputs, params) -> Evaluation:
    z, y, w, pw = read_logistic(inputs, params)
    if params["reduction"] == "mean":
        coef = 1 / iv.mpf(z.size) if z.size else iv.mpf(1)
    else:
        coef = iv.mpf(1)
    outs = [_bce_logits_grad_element(*args, coef) for args in zip(z.data, y.data, w, pw)]
    return Evaluation(z.shape, outs)


def _sigmoid_mse_grad_element(z: float, y: float) -> Out:
    """(p - y) p (1 - p) with p = sigmoid(z), 1 - p = sigmoid(-z)."""
    if math.isnan(z):
        return Out(math.nan)
    if math.isinf(z):
        return Out(0.0)
    sig, sig_neg = sigmoid_iv(z), sigmoid_iv(-z)
    spread = sig * sig_neg
    value = (sig - X(y)) * spread
    kappa = abs(spread * (spread + (sig - X(y)) * (sig_neg - sig))) * X(abs(z))
    if 0 < y < 1:
        kappa += spread * X(y)
    return Out(value, kappa, 1.0)


def sigmoid_mse_grad(inputs, params) -> Evaluation:
    z, y = inputs["z"], inputs["y"]
    checks.rank(z, "z", 0, checks.MAX_RANK)
    checks.rank(y, "y", 0, checks.MAX_RANK)
    checks.same_shape(y, z, "y", "z")
    checks.probabilities(y, "y")
    return Evaluation(z.shape, [_sigmoid_mse_grad_element(a, b) for a, b in zip(z.data, y.data)])
