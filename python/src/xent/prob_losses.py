"""Losses from predicted probabilities: nll_from_probs, categorical_cross_entropy, binary_cross_entropy."""
from __future__ import annotations

import numpy as np

from . import _numerics as nm
from ._half import half_precision
from ._validate import (MAX_RANK, as_array, check_indices, check_probability, check_rank, check_reduction,
                        check_same_shape, float_array, float_param, index_array, out_dtype, peek_float_dtype,
                        reduce)
from .errors import InvalidShapeError, ShapeMismatchError


def _result(res):
    return res[()] if isinstance(res, np.ndarray) and res.ndim == 0 else res


@half_precision()
def nll_from_probs(probs, target, *, epsilon=1e-15, reduction="mean"):
    r"""Negative log-likelihood of the target class, clamped:
    :math:`l_n = -\log(\max(\mathrm{probs}[n, t_n], \epsilon))`, reduced over n.

    The seeds' Java/Go ``crossEntropyLoss`` (document 002). ``probs`` is [N, C], ``target`` [N]
    integer class indices. ``epsilon`` (a value of the dtype) in [0, 1]; 0 disables the clamp.
    ``reduction`` is ``'none'``, ``'sum'`` or ``'mean'`` (N = 0: mean NaN, sum 0).

    Raises ``InvalidShapeError``, ``ShapeMismatchError``, ``IndexOutOfRangeError``,
    ``InvalidProbabilityError``, ``InvalidArgumentError``.
    """
    out = peek_float_dtype(probs)
    eps = float_param("epsilon", epsilon, out, lo=0.0, hi=1.0)
    reduction = check_reduction(reduction)
    probs = float_array("probs", probs)
    target = as_array("target", target)
    check_rank("probs", probs, 2, 2)
    check_rank("target", target, 1, 1)
    if probs.shape[1] == 0:
        raise InvalidShapeError(f"probs must have at least one class (C > 0), got shape {probs.shape}")
    target = index_array("target", target)
    if target.shape[0] != probs.shape[0]:
        raise ShapeMismatchError(f"target length {target.shape[0]} differs from the number of rows of "
                                 f"probs {probs.shape[0]} (probs shape {probs.shape})")
    check_indices("target", target, probs.shape[1])
    check_probability("probs", probs)  # every entry, not only the targets' (DECISIONS D5)
    work = nm.work_dtype(out)
    pt = np.take_along_axis(probs, target[:, None], axis=1)[:, 0].astype(work)
    with np.errstate(divide="ignore"):
        losses = -np.log(np.maximum(pt, np.asarray(eps, dtype=work)))
    return _result(reduce(losses, reduction, out))


@half_precision()
def categorical_cross_entropy(t, p, *, reduction="mean"):
    r"""Cross-entropy between target rows and predicted probability rows, no clamp:
    :math:`l_n = -\sum_{c: t_{nc} > 0} t_{nc} \log p_{nc}`, reduced over n.

    ``t`` and ``p`` are [N, C]. t > 0 with p = 0 gives +inf; t = 0 with p = 0 contributes 0.

    Raises ``InvalidShapeError``, ``ShapeMismatchError``, ``InvalidProbabilityError``,
    ``InvalidArgumentError`` (unknown reduction).
    """
    reduction = check_reduction(reduction)
    t = float_array("t", t)
    p = float_array("p", p)
    check_rank("t", t, 2, 2)
    check_rank("p", p, 2, 2)
    if t.shape[1] == 0 or p.shape[1] == 0:
        raise InvalidShapeError(f"t and p must have at least one class (C > 0), got shapes {t.shape}, {p.shape}")
    check_same_shape("t", t, "p", p)
    check_probability("t", t)
    check_probability("p", p)
    out = out_dtype(t, p)
    work = nm.work_dtype(out)
    tw, pw = t.astype(work), p.astype(work)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = nm.mul0(tw, -np.log(pw))
    hi, lo = nm.compensated_sum(terms)
    return _result(reduce(hi + lo, reduction, out))


def bce_arguments(y, p, epsilon, reduction, more_shapes=lambda shape, reduction: None):
    """binary_cross_entropy's (and its gradient's) checks in the spec's order: scalars, ranks, shapes
    (`more_shapes(p's shape, reduction)` last), probabilities. Returns (y, p, epsilon, reduction, the
    result dtype)."""
    out = peek_float_dtype(y, p)
    eps = float_param("epsilon", epsilon, out, lo=0.0, hi=0.5, hi_open=True)
    reduction = check_reduction(reduction)
    y = float_array("y", y)
    p = float_array("p", p)
    check_rank("y", y, 0, MAX_RANK)
    check_rank("p", p, 0, MAX_RANK)
    check_same_shape("y", y, "p", p)
    more_shapes(p.shape, reduction)
    check_probability("y", y)
    check_probability("p", p)
    return y, p, eps, reduction, out


@half_precision()
def binary_cross_entropy(y, p, *, epsilon=1e-15, reduction="mean"):
    r"""Binary cross-entropy from probabilities with a clip:
    :math:`p' = \min(\max(p, \epsilon), 1 - \epsilon)` (1 - epsilon exact, not rounded),
    :math:`l = -(y \log p' + (1 - y) \log(1 - p'))`; terms with a zero coefficient contribute 0.

    ``log(1 - p')`` is ``log1p(-p')`` for p' < 1/2 and ``log(1 - p')`` with 1 - p' exact otherwise;
    when p > 1 - epsilon, 1 - p' = epsilon exactly. ``epsilon`` (a value of the dtype) in [0, 0.5);
    0 disables the clip. ``mean`` divides by the number of elements (empty: NaN).

    Raises ``ShapeMismatchError``, ``InvalidProbabilityError``, ``InvalidArgumentError``.
    """
    y, p, eps, reduction, out = bce_arguments(y, p, epsilon, reduction)
    work = nm.work_dtype(out)
    yw, pw = y.astype(work), p.astype(work)
    e = np.asarray(eps, dtype=work)
    with np.errstate(divide="ignore", invalid="ignore"):
        # p > 1 - eps exactly  <=>  1 - p < eps; 1 - p is exact for p >= 1/2
        high = (pw >= 0.5) & ((1 - pw) < e)
        pc = np.maximum(pw, e)
        log_p = np.where(high, np.log1p(-e), np.log(pc))
        one_minus = 1 - pc  # exact for pc >= 1/2 (Sterbenz); only used there
        log_1mp = np.where(high, np.log(e), np.where(pc < 0.5, np.log1p(-pc), np.log(one_minus)))
        one_minus_y = 1 - yw
        losses = nm.mul0(yw, -log_p) + nm.mul0(one_minus_y, -log_1mp)
    return _result(reduce(losses, reduction, out))
