"""Numerical building blocks: working precision, error-free transformations, compensated sums,
stable softplus / sigmoid, and the Blanchard-Higham-Higham decomposition of a row of logits.

Strategy (accuracy note, sections 0 and 5):

* float32 data are evaluated in float64 and rounded once at the end.
* float64 data are evaluated in the platform's extended ``numpy.longdouble`` when it has at least a
  64-bit significand (x86 80-bit, or binary128), and in float64 otherwise; the algorithms are the same
  compensated ones either way, the extended format only adds margin.
* Every sum is a compensated (TwoSum / Neumaier) sum, returned as a double-word ``(hi, lo)``.
* Shifts ``x_i - a`` are exact: TwoSum gives ``d_i + delta_i = x_i - a`` and ``exp(d_i)(1 + delta_i)``
  is used for ``exp(x_i - a)``.
"""
from __future__ import annotations

import math
import os

import numpy as np

#: True when numpy.longdouble carries more precision than float64 on this platform (and the environment
#: variable XENT_NO_EXTENDED is not set, which forces the pure float64 path, e.g. to test it).
EXTENDED_AVAILABLE = np.finfo(np.longdouble).nmant >= 63 and not os.environ.get("XENT_NO_EXTENDED")

_CHUNK = 64  # rows longer than this are summed blockwise (about 2 sqrt(n) vectorised steps)


def work_dtype(out_dtype) -> np.dtype:
    """The dtype computations run in for results of ``out_dtype``."""
    if np.dtype(out_dtype) == np.float32:
        return np.dtype(np.float64)
    return np.dtype(np.longdouble) if EXTENDED_AVAILABLE else np.dtype(np.float64)


def compensation_needed(out_dtype) -> bool:
    """Whether sums for results of ``out_dtype`` need compensation and exact shifts.

    float32 results are computed in float64, whose 29 extra bits keep a plain (pairwise) sum of
    non-negative terms and a rounded shift x - a far inside float32's bound; only float64 results need
    the error-free transformations (and pay their cost).
    """
    return np.dtype(out_dtype) != np.float32


def two_sum(a, b):
    """Knuth's TwoSum: s + e == a + b exactly, s = fl(a + b) (finite inputs)."""
    s = a + b
    bp = s - a
    e = (a - (s - bp)) + (b - bp)
    return s, e


def two_prod(a, b):
    """Dekker's TwoProduct: p + e == a * b exactly, p = fl(a * b) (no overflow or underflow).

    Veltkamp's split with 2^ceil(t/2) + 1 cuts each factor into halves whose products are exact in the
    dtype's t-bit significand (float64, or the extended longdouble).
    """
    dtype = np.result_type(a, b)
    factor = dtype.type(2.0 ** ((np.finfo(dtype).nmant + 2) // 2) + 1)

    def split(v):
        c = factor * v
        hi = c - (c - v)
        return hi, v - hi

    p = a * b
    ah, al = split(a)
    bh, bl = split(b)
    e = ((ah * bh - p) + ah * bl + al * bh) + al * bl
    return p, e


def _neumaier_columns(t):
    """Compensated sum over the last axis of a 2-D array, one vectorised step per column."""
    rows, n = t.shape
    s = np.zeros(rows, dtype=t.dtype)
    c = np.zeros(rows, dtype=t.dtype)
    for j in range(n):
        s, e = two_sum(s, t[:, j])
        c += e
    return s, c


def compensated_sum(t, axis=-1, compensated=True):
    """Compensated sum of ``t`` along ``axis`` as a pair ``(hi, lo)`` with hi + lo ~= the exact sum.

    The error is about u |sum| + n u^2 sum |t_i| (Neumaier / Ogita-Rump-Oishi Sum2). Non-finite sums
    (an inf or NaN term, or overflow) come back in ``hi`` with ``lo = 0``. With ``compensated=False``
    (see :func:`compensation_needed`) it is numpy's pairwise sum with ``lo = 0``.
    """
    if not compensated:
        hi = np.sum(t, axis=axis)
        return hi, np.zeros_like(hi)
    t = np.moveaxis(np.asarray(t), axis, -1)
    lead = t.shape[:-1]
    n = t.shape[-1]
    rows = int(np.prod(lead, dtype=np.int64))
    flat = t.reshape(rows, n)
    with np.errstate(invalid="ignore", over="ignore"):
        if n == 0:
            hi = np.zeros(rows, dtype=t.dtype)
            lo = np.zeros(rows, dtype=t.dtype)
        elif n <= _CHUNK or rows == 0:
            hi, lo = _neumaier_columns(flat)
        else:
            width = int(math.ceil(math.sqrt(n)))
            blocks = -(-n // width)
            padded = np.zeros((rows, blocks * width), dtype=t.dtype)
            padded[:, :n] = flat
            h1, l1 = _neumaier_columns(padded.reshape(rows * blocks, width))
            h1 = h1.reshape(rows, blocks)
            l1 = l1.reshape(rows, blocks)
            hi, lo = _neumaier_columns(h1)
            lo = lo + np.where(np.isfinite(l1), l1, 0).sum(axis=1)
        plain = flat.sum(axis=1) if n else hi
        finite = np.isfinite(hi) & np.isfinite(lo)
        hi2, lo2 = two_sum(hi, lo)
        hi = np.where(finite, hi2, np.where(np.isnan(hi), hi, plain))
        lo = np.where(finite, lo2, 0)
    return hi.reshape(lead), lo.reshape(lead)


#: rows up to this length use split_sum (its low parts' rounding stays below 2^-6 u of the sum)
SPLIT_SUM_MAX = 4096


def split_sum(t, scratch=None):
    """Sum over the last axis of finite NON-NEGATIVE terms as (hi, lo), in a few vectorised passes.

    Each term is split as t = h + l with h on the grid of 2^(e - 30), where 2^e > the row's largest
    term (h = (t + 2^(e+22)) - 2^(e+22), exact): the sum of the h is exact in any order (n < 2^22 terms
    of at most 52 significant bits under 2^(e+22)), and the l (|l| <= 2^(e-31)) are summed plainly, with
    error at most (n - 1) n 2^-31 u max(t) <= 2^-6 u sum(t) for n <= SPLIT_SUM_MAX. Longer rows take
    :func:`compensated_sum`. ``scratch``: an optional buffer of t's shape to work in.
    """
    n = t.shape[-1]
    if n > SPLIT_SUM_MAX or n == 0:
        return compensated_sum(t)
    _, e = np.frexp(t.max(axis=-1))
    sigma = np.ldexp(np.ones(e.shape, dtype=t.dtype), e + 22)[..., None]
    h = np.add(t, sigma, out=scratch)
    h -= sigma
    h_sum = h.sum(axis=-1)
    np.subtract(t, h, out=h)
    return two_sum(h_sum, h.sum(axis=-1))


def fsum(t, axis=-1):
    """Compensated sum rounded to the work dtype (hi + lo)."""
    hi, lo = compensated_sum(t, axis)
    return hi + lo


def mul0(coef, value):
    """coef * value, where a coefficient that is exactly 0 contributes 0 even if value is infinite
    (the spec's 0 * log 0 = 0 convention). NaN is never masked."""
    with np.errstate(invalid="ignore", over="ignore"):
        prod = coef * value
        return np.where((coef == 0) & ~np.isnan(value), np.zeros_like(prod), prod)


def softplus(z):
    """log(1 + exp(z)) = max(z, 0) + log1p(exp(-|z|)) (exact limits at +-inf, NaN propagates)."""
    with np.errstate(over="ignore", invalid="ignore"):
        return np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))


def softplus_pair(z):
    """(softplus(-z), softplus(z)), sharing one exp and one log1p per element."""
    with np.errstate(over="ignore", invalid="ignore"):
        t = np.log1p(np.exp(-np.abs(z)))
        return np.maximum(-z, 0) + t, np.maximum(z, 0) + t


def sigmoid(z):
    """1 / (1 + exp(-z)) for z >= 0 and exp(z) / (1 + exp(z)) for z < 0, with a double-word
    denominator (t = exp(-|z|) <= 1, so 1 + t is a Fast2Sum)."""
    with np.errstate(over="ignore", invalid="ignore"):
        t = np.exp(-np.abs(z))
        den = 1 + t
        den_lo = (1 - den) + t
        num = np.where(z >= 0, np.ones_like(t), t)
        q = num / den
        q = q - q * (den_lo / den)
        return np.where(np.isnan(z), z, q)


#: float64 rows whose largest |logit| reaches this take their shift x - a at 2^-_HUGE_SHIFT_EXP
_HUGE_LOGIT = 2.0 ** 1000
_HUGE_SHIFT_EXP = 64
#: float64 rows whose s = sum e^(x_i - a) is below this have it summed again at 2^_TINY_SCALE
_TINY_SUM = 2.0 ** -960
_TINY_SCALE = 600


def _dd_exp(dh, dl, scale):
    from . import _dd  # _dd imports two_sum / two_prod from here
    return _dd.exp(dh, dl, scale)


class LseParts:
    """The Blanchard-Higham-Higham decomposition of rows of logits (class axis last).

    With a = max_i x_i attained at k, d_i + delta_i = x_i - a exactly (TwoSum),
    e_i = exp(d_i)(1 + delta_i) (e_k = 1) and s = sum_{i != k} e_i (compensated, as s_hi + s_lo):

        lse = a + log1p(s),  log_softmax_i = (d_i - L) + delta_i,  softmax_i = e_i / (1 + s),
        1 - softmax_i = (sum_{j != i} e_j) / (1 + s).

    Rows that are not finite-valued follow the spec's special values: a NaN row is NaN everywhere;
    a row with exactly one +inf has the limit (softmax one-hot); two or more +inf, or every entry -inf,
    have no limit (NaN), except that lse is +inf / -inf there.
    """

    def __init__(self, x, compensated=True):
        x = np.asarray(x)
        self.x = x
        n = x.shape[-1]
        self.n = n
        with np.errstate(invalid="ignore", over="ignore"):
            self.nan_row = np.isnan(x).any(axis=-1)
            self.pinf_count = (x == np.inf).sum(axis=-1)
            a = x.max(axis=-1) if n else np.full(x.shape[:-1], -np.inf, dtype=x.dtype)
            self.ok = np.isfinite(a)  # finite max: no NaN, no +inf, not all -inf
            self.single_inf = (~self.nan_row) & (self.pinf_count == 1)
            self.bad = ~self.ok & ~self.single_inf  # rows whose vector outputs are NaN
            self.all_neginf = (~self.nan_row) & (a == -np.inf)
            a_safe = np.where(self.ok, a, 0).astype(x.dtype, copy=False)
            self.a = a
            self.k = np.argmax(np.where(np.isnan(x), -np.inf, x), axis=-1) if n else np.zeros(x.shape[:-1], int)
            xs = np.where(self.ok[..., None], x, 0).astype(x.dtype, copy=False)
            # float64 rows with a logit beyond 2^1000 take the shift at 2^-64 (x - a may overflow)
            self.huge = None
            if compensated and x.dtype == np.float64 and n:
                huge = self.ok & (np.abs(np.where(np.isinf(xs), 0, xs)).max(axis=-1) >= _HUGE_LOGIT)
                self.huge = huge if huge.any() else None
            if self.huge is not None:
                row_exp = np.where(self.huge, _HUGE_SHIFT_EXP, 0)[..., None]
                self.dh, self.dl = two_sum(np.ldexp(xs, -row_exp), -np.ldexp(a_safe[..., None], -row_exp))
                d, delta = np.ldexp(self.dh, row_exp), np.ldexp(self.dl, row_exp)
                delta = np.where(np.isfinite(d), delta, 0)
            elif compensated:
                d, delta = two_sum(xs, -a_safe[..., None])
                delta = np.where(np.isfinite(d), delta, 0)
            else:
                d = xs - a_safe[..., None]
                delta = np.zeros_like(d)
            self.d = d
            self.delta = delta
            ed = np.exp(d)
            e = ed + ed * delta if compensated else ed
            self.kmask = np.zeros(x.shape, dtype=bool)
            if n:
                np.put_along_axis(self.kmask, self.k[..., None], True, axis=-1)
            e = np.where(self.kmask, 1, e).astype(x.dtype, copy=False)
            self.e = e
            self.s_hi, self.s_lo = compensated_sum(np.where(self.kmask, 0, e).astype(x.dtype, copy=False), compensated=compensated)
            self.L = np.log1p(self.s_hi) + self.s_lo / (1 + self.s_hi)
            self.tiny = None
            if compensated and x.dtype == np.float64:
                tiny = self.ok & (self.s_hi < _TINY_SUM)
                if tiny.any():
                    self._tiny_sum(tiny)

    def _tiny_sum(self, tiny):
        """float64 rows whose s is far below the normal range (terms e^d near or under the subnormal
        grid, as in lse([0, -745, -745])): s summed again from e^(d + delta) 2^TINY_SCALE in double-double
        (then log1p(s) = s to far below the bound), so lse = a + s and -log_softmax_k = s are rounded
        once, from the exact sum, to the subnormal grid."""
        d, delta = self.d[tiny], self.delta[tiny]
        room = ~self.kmask[tiny] & (d > -1100)
        h, l = _dd_exp(np.where(room, d, 0.0), np.where(room, delta, 0.0), _TINY_SCALE)
        s_hi, s_lo = compensated_sum(np.where(room, h + l, 0.0))
        self.tiny = tiny
        self.tiny_s = s_hi + s_lo  # s 2^TINY_SCALE
        self.L = np.array(self.L)  # a copy, 0-d for a single row
        self.L[tiny] = np.ldexp(self.tiny_s, -_TINY_SCALE)

    # ---- scalar per row
    def lse(self):
        with np.errstate(invalid="ignore", over="ignore"):
            out = self.a + self.L
            if self.tiny is not None:  # a + s rounded once where a is small enough to feel s
                a_t = self.a[self.tiny]
                close = np.abs(a_t) < 2.0 ** -400
                out = np.asarray(out).copy()
                out[self.tiny] = np.where(close, np.ldexp(np.ldexp(np.where(close, a_t, 0), _TINY_SCALE)
                                                          + self.tiny_s, -_TINY_SCALE), out[self.tiny])
            out = np.where(self.ok, out, np.where(self.pinf_count > 0, np.inf, -np.inf))
            return np.where(self.nan_row, np.nan, out).astype(self.x.dtype)

    # ---- vectors per row
    def _special(self, value, inf_at_k, inf_elsewhere):
        """Overwrite the non-finite rows: one +inf -> limit; bad rows -> NaN."""
        if self.ok.all():
            return value.astype(self.x.dtype, copy=False)
        pinf = self.x == np.inf
        lim = np.where(pinf, inf_at_k, inf_elsewhere).astype(value.dtype)
        value = np.where(self.single_inf[..., None], lim, value)
        return np.where(self.bad[..., None], np.nan, value).astype(self.x.dtype)

    def log_softmax(self):
        with np.errstate(invalid="ignore", over="ignore"):
            v = (self.d - self.L[..., None]) + self.delta
            return self._special(v, 0.0, -np.inf)

    def nll(self):
        """-log_softmax, each entry a sum of two non-negative terms."""
        with np.errstate(invalid="ignore", over="ignore"):
            v = (self.L[..., None] - self.d) - self.delta
            return self._special(v, 0.0, np.inf)

    def nll_split(self):
        """-log_softmax as (values, exps) with -log_softmax = values 2^exps (exps per row, class axis
        kept as 1): rows with a logit beyond 2^1000 carry their values at 2^-64, where the shift and
        the loss (up to twice the largest double) cannot overflow."""
        v = self.nll()
        if self.huge is None:
            return v, np.zeros(v.shape[:-1] + (1,), dtype=np.int64)
        with np.errstate(invalid="ignore", over="ignore"):
            scaled = (np.ldexp(self.L, -_HUGE_SHIFT_EXP)[..., None] - self.dh) - self.dl
        huge = self.huge[..., None]
        return np.where(huge, scaled, v), np.where(huge, _HUGE_SHIFT_EXP, 0).astype(np.int64)

    def softmax(self):
        with np.errstate(invalid="ignore", over="ignore"):
            den, den_lo = two_sum(np.ones_like(self.s_hi), self.s_hi)
            den_lo = den_lo + self.s_lo
            q = self.e / den[..., None]
            q = q - q * (den_lo / den)[..., None]
            return self._special(q, 1.0, 0.0)

    def one_minus_softmax(self):
        """1 - softmax_i = (sum_{j != i} e_j) / (1 + s), without cancellation."""
        with np.errstate(invalid="ignore", over="ignore"):
            h, l = two_sum(self.s_hi[..., None], -self.e)
            oh, ol = two_sum(np.ones_like(h), h)
            other = np.where(self.kmask, self.s_hi[..., None], oh)
            other_lo = np.where(self.kmask, self.s_lo[..., None], ol + l + self.s_lo[..., None])
            den, den_lo = two_sum(np.ones_like(self.s_hi), self.s_hi)
            den_lo = den_lo + self.s_lo
            q = other / den[..., None]
            q = q + (other_lo - q * den_lo[..., None]) / den[..., None]
            return self._special(q, 0.0, 1.0)
