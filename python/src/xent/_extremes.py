"""Range extremes of float64 results without an extended format: values carried with an exponent.

A float64 loss term can overflow though the mean it enters is finite (a weight of 2 times a loss near
the largest double, or logits +max and -max in one row), and terms far below the normal range lose
their digits to the subnormal grid before they are summed. Here such terms are carried as pairs
(value, exp) meaning value * 2^exp, and a reduction brings them to one common exponent (chosen from
the largest term) before the compensated sum, the division by the mean's denominator and the single
rounding to float64 (``np.ldexp`` rounds once, subnormals included).
"""
from __future__ import annotations

import numpy as np

from . import _dd as dd

#: the largest term of a split reduction is scaled to about 2^SPLIT_TOP (room for 2^100 terms)
SPLIT_TOP = 900
#: float64 terms (or per-element results) outside [TINY, RANGE] are recomputed with an exponent
RANGE = 2.0 ** 1000
TINY = 2.0 ** -1000
#: the exponent a huge term is carried with (value = term * 2^-64), and a tiny one (value = term * 2^600:
#: full precision for terms down to far below the subnormal range)
HUGE_EXP, TINY_EXP = 64, -600


def reduce_split(values, exps, reduction, out, denominator=None):
    """reduce(values * 2^exps) with one rounding, for float64 ``out``: 'none' gives ldexp per element;
    'sum' and 'mean' scale every term to the largest term's exponent minus SPLIT_TOP first."""
    from ._validate import reduce
    values = np.asarray(values, dtype=np.float64)
    exps = np.broadcast_to(np.asarray(exps, dtype=np.int64), values.shape)
    if reduction == "none":
        return np.ldexp(values, exps).astype(out)
    with np.errstate(invalid="ignore"):
        usable = np.isfinite(values) & (values != 0)
    top = 0
    if usable.any():
        _, e = np.frexp(values[usable])
        top = int((e + exps[usable]).max()) - SPLIT_TOP
    scaled = np.ldexp(values, exps - top)
    if reduction == "sum":
        return out.type(np.ldexp(reduce(scaled, "sum", out), top))
    den = np.float64(values.size if denominator is None else denominator)
    den_exp = 0
    if np.isfinite(den) and den != 0:
        den, den_exp = np.frexp(den)
    return out.type(np.ldexp(reduce(scaled, "mean", out, den), top - int(den_exp)))


def exp_neg_scaled(a, scale):
    """e^-a 2^scale (float64) for a >= 0, digits kept where e^-a alone would be subnormal; 0 where even
    the scaled value is far below the normal range (a beyond 1100 + scale ln 2)."""
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        room = a < 1100 + scale * 0.6931471805599453
        h, l = dd.exp(-np.where(room, a, 0.0), 0.0, scale)
        return np.where(room, h + l, 0.0)


def softplus_pair_scaled(z, exp):
    """(softplus(-z), softplus(z)) * 2^-exp for finite z (exp per element): max(+-z, 0) + log1p(e^-|z|),
    the small term e^-|z| taken from :func:`exp_neg_scaled` once it leaves float64's normal range."""
    a = np.abs(z)
    with np.errstate(under="ignore"):
        near = np.ldexp(np.log1p(np.exp(-np.minimum(a, 700.0))), -exp)
    small = np.where(a > 700.0, exp_neg_scaled(a, -exp), near)
    return np.ldexp(np.maximum(-z, 0.0), -exp) + small, np.ldexp(np.maximum(z, 0.0), -exp) + small


def split_scale(values, finite_input):
    """Per element: the exponent a float64 term is recomputed with (HUGE_EXP where it is above RANGE or
    infinite, TINY_EXP where it is below TINY, 0 elsewhere and where the input itself is not finite)."""
    with np.errstate(invalid="ignore"):
        big = finite_input & (values > RANGE)
        tiny = finite_input & (values < TINY)
    return np.where(big, HUGE_EXP, np.where(tiny, TINY_EXP, 0)).astype(np.int64)
