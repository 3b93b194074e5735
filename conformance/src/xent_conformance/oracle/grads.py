"""Kernels of the gradients with respect to the logits."""
from __future__ import annotations

import math

import mpmath
from mpmath import iv

from . import checks
from .core import Evaluation, Out, X, iv_sum, upper
from .logit_losses import add_outs, read_logistic
from .primitives import sigmoid_iv
from .sce_common import Position, read_problem, total_mass
from .vjp import UPSTREAM, apply_upstream, loss_output_shape, upstream


def _position_grad(pos: Position, classes: int, coef) -> list[Out]:
    """coef * (g_c * M - m_c) for each class of one position (M = total target mass)."""
    if pos.ignored or pos.empty:
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


def _z_grad(pos: Position, classes: int, coef, z: float) -> list[Out]:
    """coef * 2 z L g_c of one position (issue 17's z-loss, L = lse(x'')); kappa from d(L g_c)/dx''_i:
    coef 2 z (g_c G + |L| kappa_softmax(c)), plus coef 2 z |L| g_c for a rounded L."""
    if pos.ignored or pos.empty:
        return [Out(0.0) for _ in range(classes)]
    row = pos.row
    if not row.is_finite:  # NaN, all -inf, or an infinite lse (+inf without a cap): inf * 0, inf - inf
        return [Out(math.nan) for _ in range(classes)]
    lse = row.lse()
    factor = coef * 2 * X(z)
    nu = upper(factor * lse) * row.max_g() * row.nu_logits()
    outs = []
    for c in range(classes):
        g = row.g(c)
        if not row.live_mask(c):
            outs.append(Out(0.0))
            continue
        kappa = factor * (g * row.weighted_abs_sum() + abs(lse) * row.kappa_softmax(c) + abs(lse) * g)
        outs.append(Out(factor * lse * g, kappa, nu))
    return outs


def _through_transform(out: Out, x: float, problem) -> Out:
    """d loss / dx_c = (d loss / dx''_c) dx''_c/dx_c (issue 17); kappa gains |value| 2 |t| for the slope
    1 / cosh^2(t), t = s x / c (its condition 2 |t tanh t| <= 2 |t|)."""
    transform = problem.transform
    if isinstance(out.value, float) and (math.isnan(out.value) or out.value == 0.0):
        return out
    slope = transform.slope(x)
    if transform.cap is not None and math.isinf(x):
        return Out(0.0, limit=out.limit)
    if isinstance(out.value, float):  # an infinite limit times a positive slope
        return out
    value = out.value * slope
    kappa = upper(out.kappa) * upper(slope)
    if transform.cap is not None:
        kappa += upper(value) * 2 * abs(mpmath.mpf(transform.scale) * x / transform.cap)
    return Out(value, kappa, mpmath.mpf(out.nu) * upper(slope), out.limit)


def softmax_cross_entropy_grad(inputs, params) -> Evaluation:
    problem = read_problem(inputs, params)
    classes = problem.classes
    size = math.prod(problem.shape)
    z = problem.z_loss
    coef, z_coef = iv.mpf(1), iv.mpf(1)
    if problem.reduction == "mean":
        if problem.denominator_is_zero and problem.empty_mean == "nan":
            return Evaluation(problem.shape, [Out(math.nan) for _ in range(size)])
        coef = None if problem.denominator_is_zero else 1 / problem.denominator
        z_coef = None if problem.kept == 0 else 1 / iv.mpf(problem.kept)
    batch, plane = problem.shape[0], math.prod(problem.shape[2:])
    zeros = [Out(0.0) for _ in range(classes)]
    per_position = [_position_grad(p, classes, coef) if coef is not None else zeros for p in problem.positions]
    if z > 0 and z_coef is not None:
        z_parts = [_z_grad(p, classes, z_coef, z) for p in problem.positions]
        per_position = [[add_outs(a, b) for a, b in zip(ce, zp)] for ce, zp in zip(per_position, z_parts)]
    # the mask where (issue 17): an excluded class's gradient is exactly 0, even in a NaN position
    per_position = [[Out(0.0) if c in p.excluded else o for c, o in enumerate(outs)]
                    for p, outs in zip(problem.positions, per_position)]
    if problem.transform is not None:
        logits = inputs["logits"].data
        per_position = [[_through_transform(per_position[n * plane + r][c], logits[(n * classes + c) * plane + r], problem)
                         for c in range(classes)] for n in range(batch) for r in range(plane)]
    # positions are (n, r); the output is laid out [n, c, r]
    outs = [per_position[n * plane + r][c] for n in range(batch) for c in range(classes) for r in range(plane)]
    return Evaluation(problem.shape, _sce_upstream(outs, problem, params.get(UPSTREAM)))


def _sce_upstream(outs: list[Out], problem, v) -> list[Out]:
    """grad_output (issue 17): output (n, c, r) times v[n, r] (reduction none) or the scalar v; an ignored
    position, and a class the mask `where` excludes, stay as they are without reading v (D2 extended: an
    excluded class never receives a gradient, even from an infinite v)."""
    classes, plane = problem.classes, math.prod(problem.shape[2:])

    def position(i: int) -> int:
        n, rest = divmod(i, classes * plane)
        return n * plane + rest % plane

    where = position if problem.reduction == "none" else (lambda i: 0)
    def skipped(i: int) -> bool:
        pos = problem.positions[position(i)]
        return pos.ignored or (i % (classes * plane)) // plane in pos.excluded

    return apply_upstream(outs, v, where, skipped)


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
    v = params.get(UPSTREAM)  # its shape was checked by read_logistic's caller below (step 3)
    return Evaluation(z.shape, apply_upstream(outs, v, (lambda i: i) if params["reduction"] == "none" else (lambda i: 0)))


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
    v = upstream(params, z.shape)
    checks.probabilities(y, "y")
    outs = [_sigmoid_mse_grad_element(a, b) for a, b in zip(z.data, y.data)]
    return Evaluation(z.shape, apply_upstream(outs, v, lambda i: i))
