"""Losses from logits: softmax cross-entropy (index or probability targets, class weights, ignore_index,
label smoothing), binary cross-entropy with logits, softmax focal loss and sigmoid focal loss."""
from __future__ import annotations

import numpy as np

from . import _ce
from . import _large_model
from . import _dd as dd
from . import _extremes as ext
from . import _fast
from . import _numerics as nm
from ._half import half_precision
from ._validate import (MAX_RANK, as_array, check_indices, check_probability, check_rank, check_reduction,
                        check_same_shape, check_weight_values, float_array, float_param, index_array,
                        out_dtype, peek_float_dtype, real_array, reduce)
from .errors import InvalidShapeError, ShapeMismatchError


def _result(res):
    return res[()] if isinstance(res, np.ndarray) and res.ndim == 0 else res


@half_precision(mixed=True)
def softmax_cross_entropy(logits, target, *, weight=None, ignore_index=-100, label_smoothing=0.0,
                          label_smoothing_mode="uniform", reduction="mean", logit_scale=1.0, softcap=None,
                          z_loss=0.0, empty_mean="nan", where=None, result="loss"):
    r"""Cross-entropy of softmax(logits) over axis 1 against class indices or class probabilities
    (PyTorch's ``F.cross_entropy`` semantics).

    With :math:`lp = \mathrm{log\_softmax}(\mathrm{logits}, \mathrm{axis}=1)` at each position
    (n, d1..dk) the loss is :math:`-\sum_c w_c q_c\, lp_c`, where for an index target y

    * ``'uniform'``:    :math:`q_c = (1-\epsilon)[c=y] + \epsilon/C`
    * ``'off_target'``: :math:`q_c = (1-\epsilon)[c=y] + \epsilon/(C-1)[c \ne y]`

    and for a probability target t (a float array of the logits' shape)
    :math:`t'_c = (1-\epsilon)t_c + \epsilon/C` or :math:`(1-\epsilon)t_c + \epsilon(1-t_c)/(C-1)`.
    Positions whose index target equals ``ignore_index`` are ignored. ``mean`` divides by the sum of
    :math:`w_y` over non-ignored positions (index targets) or by the number of positions (probability
    targets); a zero denominator gives NaN (numerator 0) or +inf.

    Each :math:`-lp_c = (a - x_c) + \mathrm{log1p}(s)` is a sum of non-negative terms, so a confident
    correct prediction keeps its tiny loss. ``logits`` is [N, C, d1..dk] (rank 2 to 5).

    Large-model options (specVersion 3, issue 17): the logits are scaled by ``logit_scale`` and, with a
    ``softcap`` c, capped as c tanh(x / c) before everything else; ``z_loss`` adds z lse^2 per kept
    position (unweighted; ``mean`` divides it by the number of kept positions); ``empty_mean='zero'``
    gives 0 where a mean's denominator is 0. They take the general path of :mod:`xent._large_model`.

    Class mask and extra outputs (specVersion 4, issue 17): ``where`` (a bool array of shape [C] or of
    the logits' shape) excludes the classes where it is False: out of the log-sum-exp whatever they hold,
    their target mass dropped; a position with no included class has loss 0 and still counts in the
    mean. ``result='z_loss'`` returns the z-loss part alone (reduced like the loss), ``result='lse'`` the
    per-position lse of the scaled, capped, masked logits ([N, d1..dk], every position, not reduced).

    Raises ``InvalidShapeError``, ``ShapeMismatchError``, ``IndexOutOfRangeError``,
    ``InvalidProbabilityError``, ``InvalidArgumentError``.
    """
    opts = _large_model.options(logits, target, logit_scale, softcap, z_loss, empty_mean, where, result)
    if not opts.is_default:
        return _large_model.loss(softmax_cross_entropy, logits, target, weight, ignore_index, label_smoothing,
                                 label_smoothing_mode, reduction, opts)
    if _ce.setup is _ce.SHIPPED_SETUP:
        v = _ce.validate(logits, target, weight, ignore_index, label_smoothing, label_smoothing_mode, reduction)
        if _ce.index_fast_eligible(v):
            losses, exps, denominator = _ce.index_losses(v)
            if exps.any():
                return _result(ext.reduce_split(losses, exps, v.reduction, v.out, denominator))
            return _result(reduce(losses, v.reduction, v.out, denominator))
        st = _ce.build(v)
    else:
        st = _ce.setup(logits, target, weight, ignore_index, label_smoothing, label_smoothing_mode, reduction)
    losses, exps = _sce_losses(st)
    if exps.any():
        return _result(ext.reduce_split(losses, exps, st.reduction, st.out, st.denominator))
    return _result(reduce(losses, st.reduction, st.out, st.denominator))


def _sce_losses(st):
    """Per-position losses sum_c m_c (-log_softmax_c) as (values, exps), loss = values 2^exps: rows
    with huge logits carry their values at 2^-64 (LseParts.nll_split); with a label smoothing so small
    that its constant mass k = w eps / C leaves the normal range, the loss is split as
    alpha sum w t nll + k sum w nll and carried at 2^TINY_EXP."""
    nll, exps = st.parts.nll_split()
    compensated = nm.compensation_needed(st.out)
    with np.errstate(invalid="ignore", over="ignore"):
        if st.k_scaled is None:
            hi, lo = nm.compensated_sum(nm.mul0(st.mass, nll), compensated=compensated)
            values = hi + lo
        else:
            on_hi, on_lo = nm.compensated_sum(nm.mul0(st.wt, nll))
            off_hi, off_lo = nm.compensated_sum(nm.mul0(st.w_pos, nll))
            on = st.alpha * (on_hi + on_lo)
            room = np.abs(on) < 2.0 ** 400
            values = np.where(room, np.ldexp(np.where(room, on, 0), -ext.TINY_EXP)
                              + st.k_scaled * (off_hi + off_lo), on)
            exps = exps + np.where(room, ext.TINY_EXP, 0)[..., None]
    values = np.where(st.ignored, 0, values).astype(st.work, copy=False)
    return values, np.broadcast_to(exps[..., 0], values.shape)


def _weight_shape(name, w, z):
    """A weight or pos_weight (None, or z's shape or [C]) as a float array; values checked later."""
    if w is None:
        return None
    arr = real_array(name, w)
    if arr.shape != z.shape and arr.shape != (z.shape[-1],):
        raise ShapeMismatchError(f"{name} must have z's shape {z.shape} or [C] = ({z.shape[-1]},), got {arr.shape}")
    return arr


def _logistic_inputs(z, y, min_rank=1):
    """z and y of equal shape and rank min_rank..5: ranks (invalid_shape) before the mismatch (D1)."""
    z = float_array("z", z)
    y = float_array("y", y)
    check_rank("z", z, min_rank, MAX_RANK)
    check_rank("y", y, min_rank, MAX_RANK)
    check_same_shape("z", z, "y", y)
    return z, y


def _bce_logits_args(z, y, weight, pos_weight, reduction):
    """Shared validation of BCE with logits and its gradient, in the order of D1."""
    reduction = check_reduction(reduction)
    z, y = _logistic_inputs(z, y)
    w = _weight_shape("weight", weight, z)
    pw = _weight_shape("pos_weight", pos_weight, z)
    check_weight_values("weight", w)
    check_weight_values("pos_weight", pw)
    check_probability("y", y)
    return z, y, w, pw, reduction


@half_precision(mixed=True)
def binary_cross_entropy_with_logits(z, y, *, weight=None, pos_weight=None, reduction="mean"):
    r"""Binary cross-entropy of sigmoid(z) against targets y, from logits:
    :math:`l = w\,(p_w\, y\, \mathrm{softplus}(-z) + (1 - y)\, \mathrm{softplus}(z))`.

    All terms are non-negative (no cancellation, no overflow). ``weight`` and ``pos_weight`` have z's
    shape or [C] (C = z's last dimension, broadcast along the last axis). ``mean`` divides by numel(z).
    Limits: z = +inf gives 0 when y = 1, +inf otherwise; z = -inf gives 0 when y = 0.

    Raises ``InvalidShapeError`` (rank 0 or above 5), ``ShapeMismatchError``, ``InvalidProbabilityError``,
    ``InvalidArgumentError``.
    """
    z, y, w, pw, reduction = _bce_logits_args(z, y, weight, pos_weight, reduction)
    out = out_dtype(z, y)
    if w is None and pw is None and reduction != "none" and z.size >= _fast.BLOCK_ELEMENTS:
        total = _fast.bce_logits_sum(z, y, nm.compensation_needed(out))
        if total is not None:  # every term in range and finite: one blockwise pass, no [N, C] temporaries
            return _result(reduce(np.asarray(total, dtype=np.float64), "sum" if reduction == "sum" else "mean",
                                  out, z.size))
    f64 = np.dtype(np.float64)
    losses = _bce_logits_terms(z.astype(f64, copy=False), y.astype(f64, copy=False), w, pw, f64)
    if out == f64 and losses.size and not (losses.min() >= ext.TINY and losses.max() <= ext.RANGE):  # NaN: False
        return _result(_bce_logits_split(losses, z, y, w, pw, reduction, out))
    return _result(reduce(losses, reduction, out))


def _bce_logits_split(losses, z, y, w, pw, reduction, out):
    """float64 terms are accurate (every term non-negative, no cancellation) except where float64's
    range cuts them: a loss above 2^1000 (a weight times a huge softplus overflows) or below 2^-1000
    (subnormal terms must be summed before rounding to the subnormal grid). Those elements are
    recomputed as value * 2^exp (the softplus pair scaled) and reduced with their exponents."""
    exps = ext.split_scale(losses, np.isfinite(z))
    redo = exps != 0
    full = (lambda a: None if a is None else np.broadcast_to(a, z.shape)[redo])
    sp = ext.softplus_pair_scaled(z[redo], exps[redo])
    losses[redo] = _bce_logits_terms(z[redo], y[redo], full(w), full(pw), np.dtype(np.float64), sp)
    return ext.reduce_split(losses, exps, reduction, out)


def _bce_logits_terms(zw, yw, w, pw, work, sp=None):
    """w (p_w y softplus(-z) + (1 - y) softplus(z)) elementwise (``sp``: the softplus pair, if given);
    the D4 rule (a zero coefficient times an infinite softplus is 0) is only needed, and only paid for,
    when some z is infinite."""
    with np.errstate(invalid="ignore", over="ignore"):
        mul = nm.mul0 if not np.isfinite(zw).all() else np.multiply
        pos = yw if pw is None else mul_exact(pw.astype(work), yw)
        sp_neg, sp_pos = nm.softplus_pair(zw) if sp is None else sp
        l = mul(pos, sp_neg) + mul(1 - yw, sp_pos)
        if w is not None:
            l = nm.mul0(np.broadcast_to(w.astype(work), l.shape), l)
    return l


def mul_exact(a, b):
    with np.errstate(invalid="ignore", over="ignore"):
        return a * b


def focal_arguments(logits, target, gamma, alpha, reduction, more_shapes=lambda n, reduction: None):
    """focal_loss's (and its gradient's) checks in the spec's order: scalars (step 1), ranks and C (2),
    shapes (3; `more_shapes(N, reduction)` adds the caller's last ones), alpha values and targets (4).
    Returns (logits, target, gamma, alpha, reduction, the result dtype)."""
    out = peek_float_dtype(logits)
    g = float_param("gamma", gamma, out, lo=0.0)
    reduction = check_reduction(reduction)
    logits = float_array("logits", logits)
    target = as_array("target", target)
    check_rank("logits", logits, 2, 2)
    check_rank("target", target, 1, 1)
    n, c = logits.shape
    if c == 0:
        raise InvalidShapeError(f"logits must have at least one class (C > 0), got shape {logits.shape}")
    target = index_array("target", target)
    a = None if alpha is None else real_array("alpha", alpha)
    if target.shape[0] != n:
        raise ShapeMismatchError(f"target length {target.shape[0]} differs from N = {n} (logits shape {logits.shape})")
    if a is not None and a.shape != (c,):
        raise ShapeMismatchError(f"alpha must have shape [C] = ({c},), got {a.shape}")
    more_shapes(n, reduction)
    check_weight_values("alpha", a)
    check_indices("target", target, c)
    return logits, target, g, a, reduction, out


@half_precision()
def focal_loss(logits, target, *, gamma=2.0, alpha=None, reduction="mean"):
    r"""Softmax focal loss (seed document 000):
    :math:`p_t = \mathrm{softmax}(\mathrm{logits}_n)_{y_n}`,
    :math:`FL_n = \alpha_{y_n} (1 - p_t)^\gamma (-\log p_t)`, with :math:`\alpha_y = 1` when ``alpha``
    is None and :math:`0^0 = 1`. ``mean`` divides by N.

    Evaluated with :math:`-\log p_t = (a - x_y) + \mathrm{log1p}(s)` and
    :math:`1 - p_t = \sum_{i \ne y} e^{x_i - a} / (1 + s)` (no cancellation for a confident target).
    ``logits`` is [N, C], ``target`` [N] integer classes; ``alpha`` is None or [C].

    Raises ``InvalidShapeError``, ``ShapeMismatchError``, ``IndexOutOfRangeError``,
    ``InvalidArgumentError`` (gamma or alpha negative or non-finite; unknown reduction).
    """
    logits, target, g, a, reduction, out = focal_arguments(logits, target, gamma, alpha, reduction)
    work = nm.work_dtype(out)
    parts = nm.LseParts(logits.astype(work), compensated=nm.compensation_needed(out))
    idx = target[:, None]
    nll, exps = parts.nll_split()
    nll, exps = np.take_along_axis(nll, idx, axis=1)[:, 0], exps[:, 0]
    omp = np.take_along_axis(parts.one_minus_softmax(), idx, axis=1)[:, 0]
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        mod = np.power(omp, np.asarray(g, dtype=work))
        fl = nm.mul0(mod, nll)
        alpha_y = None if a is None else a.astype(work)[target]
        if a is not None:
            fl = nm.mul0(alpha_y, fl)
    if out == np.float64:
        rows = parts.ok & (exps == 0)
        if rows.any():
            fl = np.array(fl)  # writable, in the work dtype (an extended one keeps rows beyond float64's range)
            fl[rows] = _focal_dd(logits[rows].astype(np.float64), target[rows], g,
                                 None if a is None else a.astype(np.float64)[target[rows]], fl[rows])
    if exps.any():
        return _result(ext.reduce_split(fl, exps, reduction, out))
    return _result(reduce(fl.astype(work), reduction, out))


def _focal_dd(x, y, g, alpha_y, fast):
    """float64: the focal loss of rows with a finite maximum and logits within 2^1000, in
    double-double (e^(x_i - a) by dd.exp from the exact shift; -log p_t = (a - x_y) + log1p(s) and
    1 - p_t = sum_{i != y} e_i / (1 + s)), rounded once: (1 - p_t)^gamma amplifies the float64
    roundings of 1 - p_t by gamma, past the bound for gamma = 5. Entries the double-double evaluation
    cannot carry keep the float64 value."""
    rows = np.arange(x.shape[0])
    k = x.argmax(axis=1)
    a = x[rows, k][:, None]
    with np.errstate(invalid="ignore", over="ignore", under="ignore"):
        d, delta = nm.two_sum(x, -a)
        delta = np.where(np.isfinite(d), delta, 0.0)
        normal = d > -700
        eh, el = dd.exp(np.where(normal, d, 0.0), np.where(normal, delta, 0.0))
        eh, el = np.where(normal, eh, np.exp(d)), np.where(normal, el, 0.0)
        not_y = np.arange(x.shape[1])[None, :] != y[:, None]
        zero = np.zeros(x.shape[0])
        sh, sl, th, tl = zero, zero, zero, zero  # s = sum_{i != k} e_i, t = sum_{i != y} e_i (e_k = 1)
        for j in range(x.shape[1]):
            is_k, keep = k == j, not_y[:, j]
            sh, sl = dd.add(sh, sl, np.where(is_k, 0.0, eh[:, j]), np.where(is_k, 0.0, el[:, j]))
            th, tl = dd.add(th, tl, np.where(keep, np.where(is_k, 1.0, eh[:, j]), 0.0),
                            np.where(keep & ~is_k, el[:, j], 0.0))
        nll = dd.add(-d[rows, y], -delta[rows, y], *dd.log1p(sh, sl))
        omp = dd.div(th, tl, *dd.add(np.ones_like(sh), zero, sh, sl))
        factor = None if alpha_y is None else dd.scaled(alpha_y)
        res, usable = _dd_power_times(omp, g, nll, factor)
    return np.where(usable & np.isfinite(res), res, fast)


def _dd_power_times(base, g, value, factor=None):
    """base^gamma * value (* factor), double-doubles in, rounded once to float64, with base in [0, 1]:
    base^gamma = exp(gamma log base), taken 2^1024 larger when it would fall below the normal range.
    Also returns where the result is usable: for gamma > 0 a base that is normal and a power not far
    below the normal range (the caller keeps its float64 value elsewhere: 0^gamma = 0 among them)."""
    if g == 0:  # base^0 = 1, 0^0 included
        res = value if factor is None else dd.mul(*value, *factor)
        return dd.to_float(*res), np.ones(value[0].shape, dtype=bool)
    bh, bl = base
    zero = np.zeros_like(bh)
    normal = bh > 2.0 ** -1000  # dd.log needs a normal argument with room
    lh, ll = dd.log(np.where(normal, bh, 1.0), np.where(normal, bl, 0.0))
    lh, ll = dd.mul(lh, ll, np.full_like(bh, g), zero)  # gamma log(base) <= 0
    shift = np.where(lh < -700, _FOCAL_SHIFT, 0)
    usable = normal & (lh > -1400)
    lh, ll = dd.add(lh, ll, shift * dd._LN2_HI, shift * dd._LN2_LO)
    lh = np.where(usable, lh, 0.0)
    res = dd.mul(*dd.exp(lh, ll), *value)
    if factor is not None:
        res = dd.mul(*res, *factor)
    return np.ldexp(dd.to_float(*res), -shift), usable


@half_precision()
def sigmoid_focal_loss(z, y, *, alpha=0.25, gamma=2.0, reduction="none"):
    r"""Sigmoid focal loss, RetinaNet form (``torchvision.ops.sigmoid_focal_loss``):
    :math:`ce = y\,\mathrm{softplus}(-z) + (1-y)\,\mathrm{softplus}(z)`,
    :math:`1 - p_t = y\,\sigma(-z) + (1-y)\,\sigma(z)`, loss :math:`= ce\,(1-p_t)^\gamma`, multiplied by
    :math:`\alpha y + (1-\alpha)(1-y)` unless ``alpha`` is None. :math:`0^0 = 1`; ``mean`` divides by numel.

    Raises ``InvalidShapeError``, ``ShapeMismatchError``, ``InvalidProbabilityError``,
    ``InvalidArgumentError`` (alpha outside [0, 1]; gamma negative or non-finite; unknown reduction).
    """
    out = peek_float_dtype(z, y)
    al = None if alpha is None else float_param("alpha", alpha, out, lo=0.0, hi=1.0)
    g = float_param("gamma", gamma, out, lo=0.0)
    reduction = check_reduction(reduction)
    z, y = _logistic_inputs(z, y)
    check_probability("y", y)
    work = nm.work_dtype(out)
    zw, yw = z.astype(work), y.astype(work)
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        one_minus_y = 1 - yw
        ce = nm.mul0(yw, nm.softplus(-zw)) + nm.mul0(one_minus_y, nm.softplus(zw))
        omp = nm.mul0(yw, nm.sigmoid(-zw)) + nm.mul0(one_minus_y, nm.sigmoid(zw))
        loss = nm.mul0(np.power(omp, np.asarray(g, dtype=work)), ce)
        if al is not None:
            aw = np.asarray(al, dtype=work)
            loss = nm.mul0(aw * yw + (1 - aw) * one_minus_y, loss)
        if out == np.float64:
            loss = _sigmoid_focal_dd(z, y, al, g, loss)
    return _result(reduce(np.asarray(loss, dtype=work), reduction, out))


#: exp's argument is raised by this many ln 2 (and the result scaled back by 2^-SHIFT at the end) when
#: the modulating factor (1 - p_t)^gamma alone would be subnormal though the loss is not.
_FOCAL_SHIFT = 1024


def _sigmoid_focal_dd(z, y, al, g, fast):
    """float64: the sigmoid focal loss in double-double, rounded once (the float64 formula's roundings
    reach 1.8x the accurate bound). (1 - p_t)^gamma = exp(gamma log(1 - p_t)), taken 2^1024 larger
    when it would fall below the normal range. Entries outside the logistic domain, or whose
    modulating factor is far below it (or 1 - p_t itself below 2^-1000), keep the float64 value."""
    inside = np.isfinite(z)
    zc = np.where(inside, z, 0.0)
    nh, nl, ph, pl = dd.softplus_pair(zc)
    sh, sl, ch, cl = dd.sigmoid_pair(zc)
    omy = dd.one_minus(y)
    zero = np.zeros_like(y)
    ce = dd.add(*dd.mul(y, zero, nh, nl), *dd.mul(*omy, ph, pl))
    omp = dd.add(*dd.mul(y, zero, ch, cl), *dd.mul(*omy, sh, sl))
    factor = None
    if al is not None:
        a = np.full_like(y, al)
        factor = dd.add(*nm.two_prod(a, y), *dd.mul(*dd.one_minus(a), *omy))
    res, usable = _dd_power_times(omp, g, ce, factor)
    return np.where(inside & usable & np.isfinite(res), res, fast)
