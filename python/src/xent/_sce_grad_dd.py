"""float64 softmax cross-entropy gradient in double-double, rounded once.

The float64 evaluation of grads._cancellation_free_grad chains about ten roundings (e^d, the masses
w (alpha t + k) with alpha = 1 - eps and k = eps / C rounded, their products with the sums); for a
dominant logit or an off-target smoothing with weights they reach 1.5x the accurate bound. Here the
same cancellation-free formula runs on double-doubles (dd.exp / dd.exp_m1 from the exact shift, alpha
and k from eps exactly, w t as an exact product), so only the final rounding to float64 remains.

With masses v the gradient is G(v)_c = ((a_c V - A v_c) + (f_c V - v_c F)) / S (notation of
grads._cancellation_free_grad), v = m = w (alpha t + k) in double-double. It is linear in the masses:
a smoothing whose k is below float64's normal range is formed as alpha G(w t) + k G(w), the k-part
carried at 2^-TINY_EXP (extremes.TINY_EXP) and the result scaled back after the mean's division.
"""
from __future__ import annotations

import numpy as np

from . import _dd as dd
from . import _extremes as ext
from . import _numerics as nm

#: logits within this distance of their row's maximum count as near it (as in grads._NEAR)
NEAR = -0.5


def _sum_last(h, l):
    """Double-double sum over the last axis (kept as a length-1 axis)."""
    sh = np.zeros(h.shape[:-1] + (1,))
    sl = np.zeros_like(sh)
    for j in range(h.shape[-1]):
        sh, sl = dd.add(sh, sl, h[..., j:j + 1], l[..., j:j + 1])
    return sh, sl


def _shift_terms(x, ok):
    """(near a_c in {0, 1}, f_c as (hi, lo)): f = expm1(x_c - a) near the row's maximum a, e^(x_c - a)
    elsewhere, from the exact TwoSum shift; rows that are not ok get zeros."""
    a = np.where(ok, x.max(axis=-1), 0.0)[..., None]
    xs = np.where(ok[..., None], x, 0.0)
    with np.errstate(invalid="ignore", over="ignore", under="ignore"):
        d, delta = nm.two_sum(xs, -a)
        delta = np.where(np.isfinite(d), delta, 0.0)
        near = d >= NEAR
        mid = ~near & (d > -700)
        mh, ml = dd.exp_m1(np.where(near, d, 0.0), np.where(near, delta, 0.0))
        eh, el = dd.exp(np.where(mid, d, 0.0), np.where(mid, delta, 0.0))
        fh = np.where(near, mh, np.where(mid, eh, np.exp(d)))
        fl = np.where(near, ml, np.where(mid, el, 0.0))
    return near.astype(np.float64), (fh, fl)


def _smoothing(eps, mode, classes, scale):
    """(alpha, k 2^scale) as double-doubles: uniform alpha = 1 - eps, k = eps / C; off_target
    k = eps / (C - 1), alpha = (1 - eps) - k."""
    one = np.ones(1)
    zero = np.zeros(1)
    alpha = nm.two_sum(one, -np.full(1, eps))
    if eps == 0:
        return alpha, (zero, zero)
    count = classes if mode == "uniform" else classes - 1
    k = dd.div(np.full(1, np.ldexp(eps, scale)), zero, np.full(1, float(count)), zero)
    if mode == "off_target":
        alpha = dd.add(*alpha, -np.ldexp(k[0], -scale), -np.ldexp(k[1], -scale))
    return alpha, k


def gradient(st):
    """(values, usable): the gradient in float64 from double-doubles (ignored positions 0, the mean's
    division done) where the position's row is finite with logits within 2^1000; usable says where."""
    x = np.asarray(st.parts.x, dtype=np.float64)
    ok = st.parts.ok & (np.abs(np.where(np.isinf(x), 0, x)).max(axis=-1) < 2.0 ** 1000)
    near, f = _shift_terms(x, ok)
    A = near.sum(axis=-1, keepdims=True)
    F = _sum_last(*f)
    S = dd.add(A, np.zeros_like(A), *F)
    w = np.asarray(st.w_pos, dtype=np.float64)
    t = np.broadcast_to(np.asarray(st.t, dtype=np.float64), w.shape)

    def SD(v):  # a_c V - A v_c, V = sum v: exactly 0 for equal masses at near logits
        V = _sum_last(*v)
        return dd.add(*dd.mul(near, np.zeros_like(near), *V), *dd.mul(A, np.zeros_like(A), -v[0], -v[1]))

    def G(v, D):
        R = dd.add(*dd.mul(*f, *_sum_last(*v)), *dd.mul(-v[0], -v[1], *F))
        return dd.div(*dd.add(*D, *R), *S)

    classes = x.shape[-1] if st.mode == "uniform" else x.shape[-1] - 1
    tiny = st.eps != 0 and classes >= 1 and st.eps / classes < 2.0 ** -900
    scale = -ext.TINY_EXP if tiny else 0
    alpha, k = _smoothing(float(st.eps), st.mode, x.shape[-1], scale)
    with np.errstate(invalid="ignore", over="ignore", under="ignore"):
        exps = np.zeros(w.shape, dtype=np.int64)
        zero = np.zeros_like(w)
        wt, w2 = nm.two_prod(w, t), (w, zero)
        if not tiny:
            # D from the raw weights and targets (equal masses cancel exactly), R from the masses
            # m = w (alpha t + k) (alpha t + k may cancel exactly: off_target with eps = 1)
            D = dd.add(*dd.mul(*alpha, *SD(wt)), *dd.mul(*k, *SD(w2)))
            grad = G(dd.mul(w, zero, *dd.add(*dd.mul(*alpha, t, zero), *k)), D)
        else:  # alpha G(w t) + 2^TINY_EXP (k 2^-TINY_EXP) G(w), at 2^TINY_EXP where alpha G(w t) allows it
            on = dd.mul(*alpha, *G(wt, SD(wt)))
            off = dd.mul(*k, *G(w2, SD(w2)))
            room = np.abs(on[0]) < 2.0 ** 400
            up = dd.add(np.ldexp(on[0], scale), np.ldexp(on[1], scale), *off)
            grad = np.where(room, up[0], on[0]), np.where(room, up[1], on[1])
            exps = np.where(room, ext.TINY_EXP, 0)
        usable = ok[..., None] & np.isfinite(grad[0])
        if st.reduction == "mean":
            den = float(st.denominator)
            if den == 0 or not np.isfinite(den):
                return grad[0], np.zeros(grad[0].shape, dtype=bool)
            den_m, den_e = np.frexp(den)
            grad = dd.div(*grad, np.full_like(grad[0], den_m), np.zeros_like(grad[0]))
            exps = exps - int(den_e)
        values = np.ldexp(dd.to_float(*grad), exps)
    values = np.where(st.ignored[..., None], 0.0, values)
    return values, usable & np.isfinite(values)
