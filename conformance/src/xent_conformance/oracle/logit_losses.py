"""Kernels of the losses from logits: softmax cross-entropy, BCE with logits and the two focal losses."""
from __future__ import annotations

import math

import mpmath
from mpmath import iv

from ..tensor import Tensor
from . import checks
from .core import Evaluation, Out, X, iv_sum, special_sum, upper
from .primitives import sigmoid_iv, softplus_iv
from .reduce import reduce_outputs
from .row import Row
from .sce_common import Position, position_row, read_problem, total_mass
from .vjp import loss_output_shape, upstream


# ---------------------------------------------------------------- softmax cross-entropy

def _position_loss(pos: Position) -> Out:
    if pos.ignored or pos.empty:
        return Out(0.0)
    row = pos.row
    if row.kind == "posinf":
        return Out(math.inf if any(c != row.k for c in pos.mass) else 0.0, limit=True)
    if not row.is_finite:
        return Out(math.nan)
    if any(not row.live_mask(c) for c in pos.mass):
        return Out(math.inf)
    # spec D4: a zero mass times lp_c = -inf contributes 0; frameworks that multiply compute NaN
    masked_zero = any(not row.live_mask(c) and c not in pos.mass for c in pos.touched)
    if not pos.mass:
        return Out(0.0, limit=masked_zero)
    value = iv_sum(m * row.neg_log_softmax(c) for c, m in pos.mass.items())
    mass = total_mass(pos)
    if len(pos.mass) == 1:
        (y, m), = pos.mass.items()
        kappa = m * row.kappa_log_softmax(y)
    else:
        kappa = iv_sum(abs(row.g(i) * mass - pos.mass.get(i, 0)) * row.abs_x(i) for i in row.live)
    kappa += iv_sum(f * row.neg_log_softmax(c) for c, f in pos.soft.items())
    return Out(value, kappa, upper(mass) * row.nu_logits(), limit=masked_zero)


def z_loss_term(pos: Position, z: float) -> Out:
    """z lse(x'')^2 of one position (issue 17): 0 when ignored, NaN where lse is NaN, +inf where lse is
    infinite as logsumexp gives it (one or more +inf, or every included logit -inf; specVersion 4: NaN
    acceptable there, specVersion 3's value where two +inf or all -inf leave the cross-entropy without a
    limit). kappa: 2 |z L| G (G = sum_i g_i |x''_i|, lse's condition) plus 2 z L^2, the term's
    sensitivity to the relative error of a rounded L (a kernel squares its computed lse). A position with
    no included class (the mask where) has no term."""
    if pos.ignored or pos.empty:
        return Out(0.0)
    row = pos.row
    if row.kind in ("posinf", "multi_posinf", "all_neginf"):
        return Out(math.inf, limit=True)
    if not row.is_finite:
        return Out(math.nan)
    lse = row.lse()
    term = X(z) * lse * lse
    kappa = 2 * X(z) * abs(lse) * row.weighted_abs_sum() + 2 * term
    return Out(term, kappa, 2 * z * upper(lse) * row.nu_logits())


def position_lse(row: Row | None) -> Out:
    """lse(x'') of one position for result lse (issue 17): every position, ignored ones included; the
    limit +inf for one or more +inf, -inf for all -inf or no included class (row None); kappa G, as
    logsumexp's."""
    if row is None:
        return Out(-math.inf)
    if row.kind in ("posinf", "multi_posinf"):
        return Out(math.inf)
    if row.kind == "all_neginf":
        return Out(-math.inf)
    if not row.is_finite:
        return Out(math.nan)
    return Out(row.lse(), row.weighted_abs_sum(), row.nu_logits())


def _lse_rows(inputs, params, problem) -> list[Row | None]:
    """The masked, transformed row of every position, ignored ones included (None: no included class)."""
    return [position_row(inputs, params, problem, index) for index in range(len(problem.positions))]


def add_outs(a: Out, b: Out) -> Out:
    """The sum of two outputs of one element (IEEE rules for the non-finite values)."""
    return Out(special_sum([a.value, b.value]), upper(a.kappa) + upper(b.kappa), mpmath.mpf(a.nu) + mpmath.mpf(b.nu),
               a.limit or b.limit)


def _mean_part(outs: list[Out], denominator, is_zero: bool, empty_mean: str) -> Out:
    """One quotient of a mean; with empty_mean zero a zero denominator gives 0 (issue 17)."""
    if is_zero and empty_mean == "zero":
        return Out(0.0)
    return reduce_outputs(outs, "mean", (), denominator, is_zero)[1][0]


def softmax_cross_entropy(inputs, params) -> Evaluation:
    problem = read_problem(inputs, params)
    shape = problem.shape[:1] + problem.shape[2:]
    result = params.get("result", "loss")
    if result == "lse":  # not reduced: one lse per position (issue 17)
        return Evaluation(shape, [position_lse(row) for row in _lse_rows(inputs, params, problem)])
    z = problem.z_loss
    if result == "z_loss":
        return _z_loss_result(problem, shape)
    outs = [_position_loss(p) for p in problem.positions]
    z_outs = [z_loss_term(p, z) for p in problem.positions] if z > 0 else None
    if problem.reduction == "mean" and (z_outs is not None or problem.empty_mean == "zero"):
        total = _mean_part(outs, problem.denominator, problem.denominator_is_zero, problem.empty_mean)
        if z_outs is not None:
            total = add_outs(total, _mean_part(z_outs, iv.mpf(problem.kept), problem.kept == 0, problem.empty_mean))
        return Evaluation((), [total])
    if z_outs is not None:
        outs = [add_outs(a, b) for a, b in zip(outs, z_outs)]
    return Evaluation(*reduce_outputs(outs, problem.reduction, shape, problem.denominator,
                                      problem.denominator_is_zero))


def _z_loss_result(problem, shape) -> Evaluation:
    """result z_loss: the z-loss part alone, reduced like the loss (mean over K kept positions); with
    z_loss 0 no term exists and every element is 0."""
    z = problem.z_loss
    if z == 0:
        if problem.reduction == "none":
            return Evaluation(shape, [Out(0.0) for _ in problem.positions])
        return Evaluation((), [Out(0.0)])
    z_outs = [z_loss_term(p, z) for p in problem.positions]
    if problem.reduction == "mean":
        return Evaluation((), [_mean_part(z_outs, iv.mpf(problem.kept), problem.kept == 0, problem.empty_mean)])
    return Evaluation(*reduce_outputs(z_outs, problem.reduction, shape))


# ---------------------------------------------------------------- binary cross-entropy with logits

def broadcast_last(t: Tensor | None, shape: tuple[int, ...], name: str) -> list[float]:
    """A weight tensor of the input's shape or of shape [C] (last axis), expanded elementwise."""
    size = math.prod(shape)
    if t is None:
        return [1.0] * size
    if t.shape == shape:
        return list(t.data)
    return [t.data[i % shape[-1]] for i in range(size)]


def read_logistic(inputs, params, weighted: bool = True):
    """The checks in the spec's errorPrecedence order (scalar parameters are checked by the caller first)."""
    z, y = inputs["z"], inputs["y"]
    checks.enum(params, "reduction", checks.REDUCTIONS)
    checks.rank(z, "z", 1, checks.MAX_RANK)
    checks.rank(y, "y", 1, checks.MAX_RANK)
    checks.same_shape(y, z, "y", "z")
    tensors = [(params[name], name) for name in ("weight", "pos_weight")] if weighted else []
    for t, name in tensors:
        checks.weight_shape(t, name, [z.shape, z.shape[-1:]])
    upstream(params, loss_output_shape(params["reduction"], z.shape))  # the gradient's grad_output (step 3)
    for t, name in tensors:
        checks.weight_values(t, name)
    checks.probabilities(y, "y")
    if not weighted:
        return z, y
    return z, y, *(broadcast_last(t, z.shape, name) for t, name in tensors)


def _bce_logits_element(z: float, y: float, w: float, pw: float) -> Out:
    pos_zero, neg_zero = w == 0 or pw == 0 or y == 0, w == 0 or y == 1  # exact zero tests (no underflow)
    if math.isnan(z):
        return Out(math.nan)
    # Every value at an infinite z is a limit that mainstream formulas return as NaN: PyTorch's (1 - y) z
    # gives 0 * inf, the closed form max(z, 0) - z y + log1p(exp(-|z|)) gives inf - inf or -inf * 0.
    if z == math.inf:
        return Out(math.inf if not neg_zero else 0.0, limit=True)
    if z == -math.inf:
        return Out(math.inf if not pos_zero else 0.0, limit=True)
    terms = []
    if not pos_zero:
        terms.append(X(w) * X(pw) * X(y) * softplus_iv(-z))
    if not neg_zero:
        terms.append(X(w) * (1 - X(y)) * softplus_iv(z))
    value = iv_sum(terms)
    slope = X(w) * ((1 - X(y)) * sigmoid_iv(z) - X(pw) * X(y) * sigmoid_iv(-z))
    kappa = abs(slope) * X(abs(z))
    if 0 < y < 1:
        kappa += X(w) * abs(X(pw) * softplus_iv(-z) - softplus_iv(z)) * X(y)
    return Out(value, kappa, 0)  # normwise kind componentwise: nu = 0


def binary_cross_entropy_with_logits(inputs, params) -> Evaluation:
    z, y, w, pw = read_logistic(inputs, params)
    outs = [_bce_logits_element(*args) for args in zip(z.data, y.data, w, pw)]
    return Evaluation(*reduce_outputs(outs, params["reduction"], z.shape))


# ---------------------------------------------------------------- softmax focal loss

def _focal_row(row: Row, y: int, alpha_y: float, gamma: float) -> Out:
    if row.kind == "posinf":
        return Out(0.0 if row.k == y or alpha_y == 0 else math.inf, limit=True)
    if not row.is_finite:
        return Out(math.nan)
    if alpha_y == 0:  # spec D4: 0 even times an infinite nll; frameworks give 0 * inf = NaN there
        return Out(0.0, limit=not row.live_mask(y))
    if not row.live_mask(y):
        return Out(math.inf)
    nll = row.neg_log_softmax(y)
    rest = row.one_minus_g(y)  # 1 - p_t without cancellation
    if len(row.live) == 1:     # p_t = 1 exactly: nll = 0 and the loss is 0
        return Out(0.0)
    r_gamma = rest ** X(gamma) if gamma != int(gamma) else rest ** int(gamma)
    a = X(alpha_y)
    value = a * r_gamma * nll
    p_t = row.g(y)
    d = r_gamma + (X(gamma) * rest ** (X(gamma) - 1) * p_t * nll if gamma != 0 else 0)
    kappa = a * d * row.kappa_log_softmax(y)
    return Out(value, kappa, alpha_y * row.nu_logits())


def focal_loss(inputs, params) -> Evaluation:
    logits, target, alpha, gamma, reduction, _ = checks.focal_arguments(inputs, params)
    n, c = logits.shape
    outs = []
    for i, y in enumerate(target.data):
        row = Row(list(logits.data[i * c:(i + 1) * c]))
        outs.append(_focal_row(row, y, alpha.data[y] if alpha is not None else 1.0, gamma))
    return Evaluation(*reduce_outputs(outs, reduction, (n,)))


# ---------------------------------------------------------------- sigmoid focal loss

def _sigmoid_focal_element(z: float, y: float, alpha: float | None, gamma: float) -> Out:
    a_weight = iv.mpf(1) if alpha is None else X(alpha) * X(y) + (1 - X(alpha)) * (1 - X(y))
    zero_weight = alpha is not None and ((alpha == 0 and y == 1) or (alpha == 1 and y == 0))
    if math.isnan(z):
        return Out(math.nan)
    if zero_weight:  # spec D4: 0 even at an infinite z; frameworks give 0 * inf = NaN there
        return Out(0.0, limit=math.isinf(z))
    if math.isinf(z):
        matching = (z > 0 and y == 1) or (z < 0 and y == 0)
        return Out(0.0 if matching else math.inf, limit=True)  # the closed form of BCE with logits: NaN
    terms = []
    if y > 0:
        terms.append(X(y) * softplus_iv(-z))
    if y < 1:
        terms.append((1 - X(y)) * softplus_iv(z))
    ce = iv_sum(terms)
    sig, sig_neg = sigmoid_iv(z), sigmoid_iv(-z)
    rest = X(y) * sig_neg + (1 - X(y)) * sig
    r_gamma = rest ** X(gamma) if gamma != int(gamma) else rest ** int(gamma)
    value = a_weight * ce * r_gamma
    r_gamma_1 = X(gamma) * rest ** (X(gamma) - 1) if gamma != 0 else 0
    dz = a_weight * ((sig - X(y)) * r_gamma + ce * r_gamma_1 * (1 - 2 * X(y)) * sig * sig_neg)
    kappa = abs(dz) * X(abs(z))
    if 0 < y < 1:
        dy = a_weight * (-X(z) * r_gamma + ce * r_gamma_1 * (sig_neg - sig))
        if alpha is not None:
            dy += (2 * X(alpha) - 1) * ce * r_gamma
        kappa += abs(dy) * X(y)
    return Out(value, kappa, 0)  # normwise kind componentwise: nu = 0


def sigmoid_focal_loss(inputs, params) -> Evaluation:
    alpha = params["alpha"]
    if alpha is not None:
        alpha = checks.float_param(params, "alpha", 0.0, 1.0)
    gamma = checks.non_negative_finite(params, "gamma")
    z, y = read_logistic(inputs, params, weighted=False)
    outs = [_sigmoid_focal_element(zv, yv, alpha, gamma) for zv, yv in zip(z.data, y.data)]
    return Evaluation(*reduce_outputs(outs, params["reduction"], z.shape))
