"""Gradients with respect to the logits: softmax cross-entropy, binary cross-entropy with logits, and
the seed's sigmoid + squared-error comparison."""
from __future__ import annotations

import numpy as np

from . import _ce
from . import _large_model
from . import _dd as dd
from . import _numerics as nm
from . import _sce_grad_dd
from ._half import half_precision
from ._validate import check_probability, out_dtype
from .logit_losses import _bce_logits_args, _logistic_inputs
from .vjp import elementwise_positions, same_scatter, sce_ignored, sce_positions, sce_scatter, with_upstream


@half_precision()
def softmax_cross_entropy_grad(logits, target, *, weight=None, ignore_index=-100, label_smoothing=0.0,
                               label_smoothing_mode="uniform", reduction="mean", logit_scale=1.0, softcap=None,
                               z_loss=0.0, empty_mean="nan", where=None, grad_output=None):
    r"""Gradient of :func:`softmax_cross_entropy` with respect to the logits (same parameters).

    With target mass :math:`m_c = w_c q_c` (smoothed, weighted) and g = softmax over the class axis,
    :math:`\partial l / \partial x_c = g_c \sum_j m_j - m_c`, evaluated as
    :math:`g_c \sum_{j \ne c} m_j - m_c (1 - g_c)` with :math:`1 - g_c` formed without cancellation.
    Ignored positions have gradient 0; ``mean`` divides by the mean's denominator (a zero denominator
    gives NaN everywhere). Returns an array of the logits' shape.

    Limits: a single +inf logit at k gives g = onehot(k); NaN logits, two or more +inf, or all -inf
    give NaN for that position.

    Large-model options (issue 17, as in :func:`softmax_cross_entropy`): the gradient with respect to
    the scaled and capped logits x'' times dx''/dx = logit_scale / cosh^2(logit_scale x / softcap).
    ``grad_output`` (issue 17; the loss output's shape: [N, d1..dk] for none, a scalar for sum and mean)
    multiplies the gradient (the vector-Jacobian product); an ignored position stays exactly 0.
    ``where`` (issue 17): an excluded class's gradient is exactly 0; the softmax runs over the included
    classes.
    """
    if grad_output is not None:  # issue 17: the vector-Jacobian product under an upstream gradient
        return with_upstream(softmax_cross_entropy_grad, locals(), "logits", sce_positions, sce_scatter,
                             relax=_sce_relaxed, ignored=sce_ignored)
    opts = _large_model.options(logits, target, logit_scale, softcap, z_loss, empty_mean, where)
    if not opts.is_default:
        return _large_model.grad(softmax_cross_entropy_grad, logits, target, weight, ignore_index, label_smoothing,
                                 label_smoothing_mode, reduction, opts)
    st = _ce.setup(logits, target, weight, ignore_index, label_smoothing, label_smoothing_mode, reduction)
    parts = st.parts
    g = parts.softmax()
    omg = parts.one_minus_softmax()
    m = st.mass
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        M_hi, M_lo = nm.compensated_sum(m)
        r_hi, r_lo = nm.two_sum(M_hi[..., None], -m)
        rest = r_hi + (r_lo + M_lo[..., None])  # sum_{j != c} m_j
        grad = nm.mul0(rest, g) - nm.mul0(m, omg)
        grad = np.where(parts.ok[..., None], _cancellation_free_grad(st, M_hi, M_lo), grad)
        grad = np.where(st.ignored[..., None], 0, grad)
        if st.reduction == "mean":
            den = np.asarray(st.denominator, dtype=st.work)
            grad = grad / den if den != 0 else np.full_like(grad, np.nan)
        if st.out == np.float64:  # the same formula in double-double, rounded once
            exact, usable = _sce_grad_dd.gradient(st)
            grad = np.where(usable, exact, grad)
    res = np.moveaxis(grad.astype(st.out), -1, 1)
    return res


def _sce_relaxed(args: dict) -> dict:
    """The arguments without what step 4 rejects as invalid_argument: weight values, off_target with C = 1."""
    mode = args["label_smoothing_mode"]
    return {"weight": None, "label_smoothing_mode": "uniform" if mode == "off_target" else mode}


def _scaled_difference(a, A, v):
    """a_c sum_j v_j - A v_c along the class axis, from a compensated sum and an exact product."""
    V_hi, V_lo = nm.compensated_sum(v)
    av, av_lo = nm.two_prod(A, v)
    hi, lo = nm.two_sum(a * V_hi[..., None], -av)
    return hi + ((lo - av_lo) + a * V_lo[..., None])


#: Logits within this distance of their row's maximum count as "near" it in _cancellation_free_grad.
_NEAR = -0.5


def _cancellation_free_grad(st, M_hi, M_lo):
    r"""g_c M - m_c for rows with a finite maximum, without cancelling g_c M against m_c.

    When g_c is close to m_c / M (nearly equal logits with a nearly uniform target, as label smoothing
    near 1 gives), even the rounding of exp(x_c - a) exceeds the spec's bound, which scales with |x|.
    So each e_k = exp(x_k - a) is held as a_k + f_k: near the maximum a_k = 1 and f_k = expm1(x_k - a)
    (accurate relative to the small shift); elsewhere a_k = 0 and f_k = e_k. With A = sum a (an integer),
    F = sum f and S = A + F:

        g_c M - m_c = (e_c M - m_c S) / S = ((a_c M - A m_c) + (f_c M - m_c F)) / S,

    where a_c M - A m_c = alpha (a_c P - A w_c t_c) + k (a_c W - A w_c) with m_c = w_c (alpha t_c + k),
    P = sum w t and W = sum w, each from a compensated sum and an exact product: a small target
    probability is not rounded away inside its smoothed mass. Every rounding error is then
    proportional to |f| (the logits' spread) or to the exact difference of the masses.
    """
    parts, m = st.parts, st.mass
    near = parts.ok[..., None] & (parts.d >= _NEAR)
    f_near = np.expm1(np.where(near, parts.d, 0))
    f_near = f_near + (1 + f_near) * parts.delta  # expm1(d + delta); delta is below ulp(d)
    f = np.where(near, f_near, parts.e)
    a = near.astype(m.dtype)
    A = a.sum(axis=-1)[..., None]
    F_hi, F_lo = nm.compensated_sum(f)
    D = st.alpha * _scaled_difference(a, A, st.wt) + st.k * _scaled_difference(a, A, st.w_pos)  # a_c M - A m_c
    M = (M_hi + M_lo)[..., None]
    F = (F_hi + F_lo)[..., None]
    S_hi, S_lo = nm.two_sum(A[..., 0], F_hi)
    S = (S_hi + (S_lo + F_lo))[..., None]
    return (D + (f * M - m * F)) / S


@half_precision()
def binary_cross_entropy_with_logits_grad(z, y, *, weight=None, pos_weight=None, reduction="mean", grad_output=None):
    r"""Gradient of :func:`binary_cross_entropy_with_logits` with respect to z:
    :math:`w\,((1 - y)\,\sigma(z) - p_w\, y\, \sigma(-z))` (for :math:`p_w = 1` this is
    :math:`w(\sigma(z) - y)`), divided by numel(z) for ``mean``. z = +inf gives w(1 - y),
    z = -inf gives -w p_w y. ``grad_output`` (issue 17: z's shape for none, a scalar otherwise)
    multiplies it."""
    if grad_output is not None:
        return with_upstream(binary_cross_entropy_with_logits_grad, locals(), "z", elementwise_positions("z"),
                             same_scatter, relax=lambda a: {"weight": None, "pos_weight": None})
    z, y, w, pw, reduction = _bce_logits_args(z, y, weight, pos_weight, reduction)
    out = out_dtype(z, y)
    work = nm.work_dtype(out)
    zw, yw = z.astype(work), y.astype(work)
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        pos = yw if pw is None else pw.astype(work) * yw
        gr = nm.mul0(1 - yw, nm.sigmoid(zw)) - nm.mul0(pos, nm.sigmoid(-zw))
        if w is not None:
            gr = nm.mul0(np.broadcast_to(w.astype(work), gr.shape), gr)
        den = zw.size if reduction == "mean" and zw.size else 1
        gr = gr / np.asarray(den, dtype=work) if den != 1 else gr
        if out == np.float64:
            gr = _bce_logits_grad_dd(z, y, w, pw, den, gr)
    res = np.asarray(gr).astype(out)
    return res


def _bce_logits_grad_dd(z, y, w, pw, den, fast):
    """float64: w ((1 - y) sigmoid(z) - p_w y sigmoid(-z)) in double-double for finite z (the float64
    formula's four roundings reach 1.1x the bound), divided by the mean's den and rounded once.
    Entries whose double-double evaluation is not finite (an overflowing weight product) keep the
    float64 value."""
    inside = np.isfinite(z)
    ph, pl, qh, ql = dd.sigmoid_pair(np.where(inside, z, 0.0))
    ah, al = dd.mul(*dd.one_minus(y), ph, pl)
    ch, cl = (y, np.zeros_like(y)) if pw is None else nm.two_prod(np.broadcast_to(pw, y.shape).astype(np.float64), y)
    bh, bl = dd.mul(ch, cl, qh, ql)
    h, l = dd.add(ah, al, -bh, -bl)
    if w is not None:
        h, l = dd.mul(h, l, *dd.scaled(np.broadcast_to(w, y.shape).astype(np.float64)))
    if den != 1:
        h, l = dd.div(h, l, *dd.scaled(np.full_like(h, den)))
    res = dd.to_float(h, l)
    return np.where(inside & np.isfinite(fast) & np.isfinite(res), res, fast)


@half_precision()
def sigmoid_mse_grad(z, y, *, grad_output=None):
    r"""Gradient of the squared error :math:`(y - \sigma(z))^2 / 2` with respect to z:
    :math:`(p - y)\,p\,(1 - p)` with :math:`p = \sigma(z)` and :math:`1 - p = \sigma(-z)`, and
    :math:`p - y` formed as :math:`(1 - y)\sigma(z) - y\,\sigma(-z)`. Elementwise,
    any shape; z = +-inf gives 0. ``grad_output`` (issue 17, z's shape) multiplies it."""
    if grad_output is not None:
        return with_upstream(sigmoid_mse_grad, locals(), "z", elementwise_positions("z"), same_scatter)
    z, y = _logistic_inputs(z, y, min_rank=0)
    check_probability("y", y)
    out = out_dtype(z, y)
    work = nm.work_dtype(out)
    zw, yw = z.astype(work), y.astype(work)
    with np.errstate(invalid="ignore", over="ignore"):
        p = nm.sigmoid(zw)
        q = nm.sigmoid(-zw)
        # p - y = (1 - y) p - y (1 - p): no cancellation for hard targets (p = 1 - 4e-18 at z = 40)
        pmy = nm.mul0(1 - yw, p) - nm.mul0(yw, q)
        res = (pmy * p * q).astype(out)
        if out == np.float64:
            res = _sigmoid_mse_grad_dd(z, y, res)
    return res[()] if res.ndim == 0 else res


def _sigmoid_mse_grad_dd(z, y, fast):
    """float64: the five roundings of the float64 formula reach 1.8x the accurate bound, so the finite
    entries are recomputed in double-double ((1 - y) p - y q) p q, rounded once."""
    inside = np.isfinite(z)
    ph, pl, qh, ql = dd.sigmoid_pair(np.where(inside, z, 0.0))
    ah, al = dd.mul(*dd.one_minus(y), ph, pl)
    bh, bl = dd.mul(y, np.zeros_like(y), qh, ql)
    h, l = dd.add(ah, al, -bh, -bl)
    h, l = dd.mul(*dd.mul(h, l, ph, pl), qh, ql)
    res = dd.to_float(h, l)
    return np.where(inside & np.isfinite(z) & np.isfinite(res), res, fast)
