"""Double-double arithmetic on pairs of float64 numpy arrays (hi, lo), |lo| <= ulp(hi) / 2.

Used for float64 results that plain float64 cannot certify (a chain of a few roundings exceeds the
spec's accurate bound), so that no platform needs an 80-bit ``longdouble``. Everything is vectorised
and elementwise; inputs are finite (callers keep their float64 special-value handling and overwrite
finite entries only). Relative errors (measured against mpmath in tests/test_dd.py): add / mul / div
about 2^-104; exp / expm1 / log1p / log about 2^-73 (the float64 Taylor tail of expm1 limits them),
below the 2^-64 of an 80-bit longdouble.
"""
from __future__ import annotations

import numpy as np

from ._numerics import two_prod, two_sum

#: ln 2 as a double-double (hi + lo = ln 2 to about 2^-110).
_LN2_HI = float.fromhex("0x1.62e42fefa39efp-1")
_LN2_LO = float.fromhex("0x1.abc9e3b39803fp-56")
_SQUARINGS = 8  # exp's argument is divided by 2^8, then the result squared back 8 times
#: 1/n! for n = 3..10, the tail of expm1's Taylor series (beyond r^2 / 2), evaluated in float64
_TAIL = [1.0 / 6, 1.0 / 24, 1.0 / 120, 1.0 / 720, 1.0 / 5040, 1.0 / 40320, 1.0 / 362880, 1.0 / 3628800]


def fast_two_sum(a, b):
    """s + e == a + b exactly when |a| >= |b| (or a == 0)."""
    s = a + b
    return s, b - (s - a)


def add(ah, al, bh, bl):
    """(ah + al) + (bh + bl), relative error about 2^-104 (accurate sum, Joldes-Muller-Popescu)."""
    s, e = two_sum(ah, bh)
    t, f = two_sum(al, bl)
    e = e + t
    s, e = fast_two_sum(s, e)
    return fast_two_sum(s, e + f)


def mul(ah, al, bh, bl):
    """(ah + al) (bh + bl), relative error about 2^-104 (no overflow: |factors| below 2^995)."""
    p, e = two_prod(ah, bh)
    return fast_two_sum(p, e + (ah * bl + al * bh))


def div(ah, al, bh, bl):
    """(ah + al) / (bh + bl): one float64 quotient corrected by the double-double remainder."""
    q = ah / bh
    ph, pl = mul(q, np.zeros_like(q), bh, bl)
    rh, rl = add(ah, al, -ph, -pl)
    return fast_two_sum(q, (rh + rl) / bh)


def expm1(xh, xl=0.0):
    """(e^x - 1, as (hi, lo)), and k with e^x = 2^k (1 + m): returns (mh, ml, k) where
    m = e^(x - k ln 2) - 1, |x - k ln 2| <= ln 2 / 2. Finite x with |x| < 709."""
    k = np.rint(xh / _LN2_HI)
    ph, pl = two_prod(k, np.full_like(k, _LN2_HI))  # k ln2_hi exactly (|k| < 2^11)
    rh, rl = two_sum(xh, -ph)
    rl = (rl - pl) + (xl - k * _LN2_LO)
    rh, rl = fast_two_sum(rh, rl)
    scale = 2.0 ** -_SQUARINGS
    rh, rl = rh * scale, rl * scale  # |r| <= 2^-9.5: the Taylor tail beyond r^10/10! is below 2^-110
    tail = _TAIL[-1]
    for c in reversed(_TAIL[:-1]):
        tail = tail * rh + c
    tail = tail * rh * rh * rh  # r^3/6 + ..., under 2^-30 |r|: float64 rounding costs 2^-83 |r|
    sh, sl = two_prod(rh, rh)
    sl = sl + 2 * rh * rl
    mh, ml = add(rh, rl, 0.5 * sh, 0.5 * sl + tail)
    for _ in range(_SQUARINGS):  # expm1(2r) = m (2 + m)
        th, tl = add(mh, ml, np.full_like(mh, 2.0), np.zeros_like(mh))
        mh, ml = mul(mh, ml, th, tl)
    return mh, ml, k


def exp(xh, xl=0.0, scale=0):
    """e^(xh + xl) 2^scale as (hi, lo) for finite x with -708 < x + scale ln 2 < 709 (normal results);
    ``scale`` lets an e^x far below the normal range (x down to about -1400) keep its digits."""
    mh, ml, k = expm1(xh, xl)
    h, l = add(mh, ml, np.ones_like(mh), np.zeros_like(mh))
    k = k.astype(np.int64) + scale
    return np.ldexp(h, k), np.ldexp(l, k)


def exp_m1(xh, xl=0.0):
    """e^x - 1 as (hi, lo), relative accuracy kept for tiny x (|x| < 709)."""
    mh, ml, k = expm1(xh, xl)
    small = k == 0
    h, l = exp(xh, xl)
    h2, l2 = add(h, l, -np.ones_like(h), np.zeros_like(h))
    return np.where(small, mh, h2), np.where(small, ml, l2)


def log1p(xh, xl=0.0):
    """log(1 + x) as (hi, lo) for x > -1 (finite, x + 1 normal): one Newton step on float64's log1p,
    y = y0 + (x - expm1(y0)) / (1 + expm1(y0)), relative to y0 (tiny x keeps its digits)."""
    xl = np.zeros_like(xh) + xl
    y0 = np.log1p(xh)
    mh, ml = exp_m1(y0)
    nh, nl = add(xh, xl, -mh, -ml)
    dh, dl = add(mh, ml, np.ones_like(mh), np.zeros_like(mh))
    ch, cl = div(nh, nl, dh, dl)
    return add(y0, np.zeros_like(y0), ch, cl)


def log(xh, xl=0.0):
    """log(x) as (hi, lo) for positive normal x: Newton on float64's log, y0 + (x - e^y0) / e^y0; the
    absolute error is about 2^-100 max(1, |log x|)."""
    xl = np.zeros_like(xh) + xl
    y0 = np.log(xh)
    eh, el = exp(y0)
    nh, nl = add(xh, xl, -eh, -el)
    ch, cl = div(nh, nl, eh, el)
    return add(y0, np.zeros_like(y0), ch, cl)


def to_float(h, l):
    """Round (hi, lo) to the nearest float64 (hi + lo, one rounding)."""
    return h + l


# ---------------------------------------------------------------- logistic functions (float64 z)
#: |z| up to this keeps exp(-|z|) normal; beyond it the float64 values are used as double-doubles
#: (hi, 0): sigmoid is then 1 or e^-|z| and softplus |z| or e^-|z| to far below 2^-1000 relative,
#: except that e^-|z| is subnormal there (absolute error under 2^-1075, inside every bound's eta).
LOGISTIC_RANGE = 700.0


def _exp_neg_abs(z):
    """e^-|z| as a double-double for finite z, and where |z| <= LOGISTIC_RANGE."""
    inside = np.abs(z) <= LOGISTIC_RANGE
    th, tl = exp(-np.abs(np.where(inside, z, 0.0)))
    with np.errstate(under="ignore"):
        far = np.exp(-np.abs(z))
    return np.where(inside, th, far), np.where(inside, tl, 0.0), inside


def sigmoid_pair(z):
    """(sigmoid(z), sigmoid(-z)) as double-doubles (hi, lo, hi, lo) for finite z, from one
    t = e^-|z|: 1 / (1 + t) and t / (1 + t)."""
    th, tl, _ = _exp_neg_abs(z)
    one, zero = np.ones_like(th), np.zeros_like(th)
    dh, dl = add(one, zero, th, tl)
    big_h, big_l = div(one, zero, dh, dl)   # sigmoid(|z|)
    sm_h, sm_l = div(th, tl, dh, dl)        # sigmoid(-|z|)
    pos = z >= 0
    return (np.where(pos, big_h, sm_h), np.where(pos, big_l, sm_l),
            np.where(pos, sm_h, big_h), np.where(pos, sm_l, big_l))


def softplus_pair(z):
    """(softplus(-z), softplus(z)) as double-doubles for finite z: max(+-z, 0) + log1p(e^-|z|)."""
    th, tl, inside = _exp_neg_abs(z)
    lh, ll = log1p(np.where(inside, th, 0.0), np.where(inside, tl, 0.0))
    lh, ll = np.where(inside, lh, th), np.where(inside, ll, 0.0)  # log1p(t) = t for t < 2^-1000
    zero = np.zeros_like(z)
    nh, nl = add(np.maximum(-z, 0), zero, lh, ll)
    ph, pl = add(np.maximum(z, 0), zero, lh, ll)
    return nh, nl, ph, pl


def one_minus(y):
    """1 - y exactly as a double-double (float64 y)."""
    return two_sum(np.ones_like(y), -y)


def scaled(y):
    """A float64 array as a double-double."""
    return y, np.zeros_like(y)
