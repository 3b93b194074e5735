"""Kernels of the split-and-merge functions (issue 18): online_softmax_merge, lse_merge and
cross_entropy_from_shards.

A merge combines per-partition statistics along axis 0. Everything is exact: b^(m_i - M) is an
enclosure (an exact power of two when base 2 and m_i - M is an integer, so that sums of dyadic terms
become points at a high enough precision and exact rounding midpoints certify), and the non-finite
values follow the spec's special_values (a state whose m_i equals M contributes d_i without forming
inf - inf; a zero coefficient contributes 0 but never masks NaN).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import mpmath
from mpmath import iv

from ..tensor import Tensor
from . import checks
from .core import DomainError, Evaluation, Out, X, iv_sum, log1p, special_sum, upper
from .reduce import reduce_outputs

BASES = ("e", "2")
EMPTY_MEAN = ("nan", "zero")


# ---------------------------------------------------------------- columns along axis 0

def _columns(t: Tensor) -> list[list[float]]:
    """The K entries along axis 0 of every other index (row-major order of axes 1..)."""
    count = math.prod(t.shape[1:])
    k = t.shape[0]
    return [[t.data[i * count + j] for i in range(k)] for j in range(count)]


def _power(exponent_of: tuple[float, float], base: str):
    """b^(m - top) for finite m <= top: exact (an mpf power of two) for base 2 and an integer difference."""
    m, top = exponent_of
    if m == top:
        return iv.mpf(1)
    if base == "2":
        diff = Fraction(m) - Fraction(top)
        if diff.denominator == 1:
            return iv.mpf(mpmath.ldexp(1, int(diff)))
        return iv.exp((X(m) - X(top)) * iv.log(2))
    return iv.exp(X(m) - X(top))


def _ln_base(base: str):
    return iv.log(2) if base == "2" else iv.mpf(1)


# ---------------------------------------------------------------- online_softmax_merge

def _merge_column(ms: list[float], ds: list[float], base: str) -> tuple[Out, Out]:
    """(M, D) of one column of states."""
    if any(math.isnan(v) for v in ms + ds):
        return Out(math.nan), Out(math.nan)
    top = max(ms, default=-math.inf)
    if math.isinf(top):  # every state at M = -inf (all empty, or K = 0), or the +inf states only
        parts = [d for m, d in zip(ms, ds) if m == top]
        total = special_sum(parts) if parts else 0.0
        return Out(top), _exact_sum_out(total)
    terms, kappa, contributing = [], [], 0
    ln_b = _ln_base(base)
    infinite = False
    for m, d in zip(ms, ds):
        if m == -math.inf:
            continue  # b^(-inf) = 0: contributes 0 whatever d is (zero coefficient)
        contributing += 1
        if d == math.inf:
            infinite = True
            continue
        term = X(d) * _power((m, top), base)
        terms.append(term)
        sensitivity = term if m == top else term * (1 + ln_b * (X(abs(m)) + X(abs(top))))
        kappa.append(sensitivity)
    m_out = Out(top, X(abs(top)), 0)
    if infinite:
        return m_out, Out(math.inf)
    if not terms:
        return m_out, Out(0.0)
    total = iv_sum(terms)
    return m_out, Out(total, iv_sum(kappa), mpmath.sqrt(contributing) * upper(total))


def _exact_sum_out(total) -> Out:
    """A sum of d_i taken exactly (the states at an infinite M): kappa |D|, nu sqrt(n) |D|."""
    if isinstance(total, float):
        return Out(total)
    return Out(total, upper(total), upper(total))


def online_softmax_merge(inputs, params) -> Evaluation:
    m, d = inputs["m"], inputs["d"]
    base = checks.enum(params, "base", BASES)
    checks.rank(m, "m", 1, checks.MAX_RANK)
    checks.rank(d, "d", 1, checks.MAX_RANK)
    checks.same_shape(d, m, "d", "m")
    for i, v in enumerate(d.data):
        if v < 0:
            raise DomainError("invalid_argument", f"d[{i}] = {v!r} < 0 is no state (a sum of exponentials)")
    merged = [_merge_column(ms, ds, base) for ms, ds in zip(_columns(m), _columns(d))]
    outs = [pair[0] for pair in merged] + [pair[1] for pair in merged]
    return Evaluation((2,) + m.shape[1:], outs)


# ---------------------------------------------------------------- lse_merge

@dataclass
class Merged:
    """The merged log-sum-exp of one column: a special float, or an enclosure with its condition
    G = sum_i g_i |lse_i| and the logits-kind nu (max |lse_i| + sqrt(K))."""
    value: object
    G: object = 0
    nu: object = 0


def _power_of_two_exponent(ks: list[int]) -> int | None:
    """log2 of sum_i 2^k_i (k_i <= 0 integers, one of them 0) when that sum is a power of two, else None.
    Terms below 2^-100000 cannot complete a power of two with fewer than 100000 terms: skipped."""
    low = min(ks)
    if low < -100000:
        return None
    total = sum(1 << (k - low) for k in ks)
    if total & (total - 1):
        return None
    return total.bit_length() - 1 + low


def merge_lse_column(ls: list[float], base: str) -> Merged:
    if any(math.isnan(v) for v in ls):
        return Merged(math.nan)
    if math.inf in ls:
        return Merged(math.inf)
    live = [v for v in ls if v != -math.inf]
    if not live:
        return Merged(-math.inf)
    top = max(live)
    k = live.index(top)
    shares = [_power((v, top), base) for v in live]
    s = iv_sum(e for i, e in enumerate(shares) if i != k)
    nu = mpmath.mpf(max(abs(v) for v in live)) + mpmath.sqrt(len(ls))
    G = iv_sum(e * X(abs(v)) for e, v in zip(shares, live)) / (1 + s)
    exact = None
    if base == "2":
        diffs = [Fraction(v) - Fraction(top) for v in live]
        if all(q.denominator == 1 for q in diffs):
            exact = _power_of_two_exponent([int(q) for q in diffs])
    if exact is not None:  # a rational result (log2 of a power of two): a point at enough precision
        return Merged(X(top) + exact, G, nu)
    return Merged(X(top) + log1p(s) / _ln_base(base), G, nu)


def lse_merge(inputs, params) -> Evaluation:
    lse = inputs["lse"]
    base = checks.enum(params, "base", BASES)
    checks.rank(lse, "lse", 1, checks.MAX_RANK)
    outs = []
    for column in _columns(lse):
        merged = merge_lse_column(column, base)
        outs.append(Out(merged.value, merged.G, merged.nu) if not isinstance(merged.value, float) else Out(merged.value))
    return Evaluation(lse.shape[1:], outs)


# ---------------------------------------------------------------- cross_entropy_from_shards

def _check_shards(inputs, params) -> tuple[int, list[Fraction]]:
    """The checks in the spec's errorPrecedence order; returns C and the class weights."""
    lse, sums, x_y, target, sizes = (inputs[n] for n in ("shard_lse", "shard_logit_sum", "target_logit", "target", "shard_size"))
    weight = params["weight"]
    eps = checks.float_param(params, "label_smoothing", 0.0, 1.0)
    mode = checks.enum(params, "label_smoothing_mode", ("uniform", "off_target"))
    checks.enum(params, "reduction", checks.REDUCTIONS)
    checks.enum(params, "empty_mean", EMPTY_MEAN)
    checks.rank(lse, "shard_lse", 2, 2)
    checks.rank(sums, "shard_logit_sum", 2, 2)
    checks.rank(x_y, "target_logit", 1, 1)
    checks.rank(target, "target", 1, 1)
    checks.rank(sizes, "shard_size", 1, 1)
    if sizes.size == 0 or all(v == 0 for v in sizes.data):
        raise DomainError("invalid_shape", f"no classes: shard_size = {list(sizes.data)} (C = 0)")
    checks.same_shape(sums, lse, "shard_logit_sum", "shard_lse")
    shards, positions = lse.shape
    for t, name in ((x_y, "target_logit"), (target, "target")):
        if t.shape != (positions,):
            raise DomainError("shape_mismatch", f"{name} has shape {list(t.shape)}, expected [{positions}]")
    if sizes.shape != (shards,):
        raise DomainError("shape_mismatch", f"shard_size has shape {list(sizes.shape)}, expected [{shards}]")
    classes = sum(sizes.data)
    checks.weight_shape(weight, "weight", [(classes,)])
    for s, v in enumerate(sizes.data):
        if v < 0:
            raise DomainError("invalid_argument", f"shard_size[{s}] = {v} < 0")
    checks.weight_values(weight, "weight")
    if mode == "off_target" and classes == 1 and eps > 0:
        raise DomainError("invalid_argument", "off_target label smoothing needs C >= 2 when label_smoothing > 0")
    checks.class_targets(target, classes, params["ignore_index"])
    w = [Fraction(v) for v in weight.data] if weight is not None else [Fraction(1)] * classes
    return classes, w


def _enclose(q: Fraction):
    if q.denominator & (q.denominator - 1) == 0:
        return iv.mpf(q.numerator) * mpmath.ldexp(1, -(q.denominator.bit_length() - 1))
    return iv.mpf(q.numerator) / q.denominator


def _scaled(coefficient: Fraction, value):
    """coefficient * value with the zero-coefficient rule: 0 for any value but NaN (D4)."""
    if isinstance(value, float):
        if math.isnan(value):
            return math.nan
        if coefficient == 0:
            return 0.0
        if math.isinf(value):
            return math.copysign(math.inf, value) if coefficient > 0 else -value
        value = X(value)
    if coefficient == 0:
        return 0.0
    return _times(coefficient, value)


def _times(q: Fraction, value):
    """q * value with the division last: a point whenever the product is representable at the working
    precision, so that a rational loss that is a rounding midpoint (eps / 3 times a multiple of 3)
    certifies."""
    return value * iv.mpf(q.numerator) / q.denominator


def _negated(value):
    """-value for an exact float or an enclosure."""
    return -value


@dataclass
class _Coefficients:
    """loss = a (L - x_y) + b (c_L L - T + c_x x_y) (uniform: c_L = W, c_x = 0; off_target:
    c_L = W - w_y, c_x = w_y); a = (1 - eps) w_y, b = eps / C or eps / (C - 1)."""
    a: Fraction
    b: Fraction
    c_L: Fraction
    c_x: Fraction


def _coefficients(eps: Fraction, mode: str, classes: int, w: list[Fraction], y: int) -> _Coefficients:
    total = sum(w, Fraction(0))
    a = (1 - eps) * w[y]
    if mode == "uniform":
        return _Coefficients(a, eps / classes, total, Fraction(0))
    b = eps / (classes - 1) if classes > 1 else Fraction(0)
    return _Coefficients(a, b, total - w[y], w[y])


def _position_loss(merged: Merged, sums: list[float], x_y: float, co: _Coefficients, classes: int, w_total: Fraction) -> Out:
    L = merged.value
    first = _scaled(co.a, special_sum([L, -x_y]))
    inner = 0.0 if co.b == 0 else special_sum([_scaled(co.c_L, L), _negated(special_sum(list(sums))), _scaled(co.c_x, x_y)])
    second = _scaled(co.b, inner) if co.b != 0 else 0.0  # eps = 0: shard_logit_sum is not read
    value = special_sum([first, second])
    if isinstance(value, float) and not math.isfinite(value):
        return Out(value)
    if isinstance(L, float):  # a finite loss from a non-finite L: both of L's coefficients are 0
        return Out(value, 0, 0)
    slope_L = _enclose(co.a + co.b * co.c_L)
    slope_x = abs(_enclose(co.b * co.c_x - co.a))
    b = _enclose(co.b)
    if co.b == 0:
        sums = []  # not read (eps = 0): a NaN or inf there is no part of the loss
    sums_abs = sum((abs(v) for v in sums), 0.0)
    kappa = slope_L * merged.G + slope_x * X(abs(x_y)) + b * X(sums_abs)
    terms = [_enclose(co.a) * L, _enclose(co.a) * X(x_y), b * _enclose(co.c_L) * L, b * _enclose(co.c_x) * X(x_y)]
    terms += [b * X(v) for v in sums]
    magnitudes = [upper(t) for t in terms]
    allowance = mpmath.sqrt(len(terms)) * sum(magnitudes, mpmath.mpf(0))
    weights = upper(b) * upper(L) * upper(_enclose(w_total)) * mpmath.sqrt(classes)
    nu = upper(slope_L) * merged.nu + allowance + weights
    return Out(value, kappa, nu)


def cross_entropy_from_shards(inputs, params) -> Evaluation:
    classes, w = _check_shards(inputs, params)
    lse, sums, x_y, target = (inputs[n] for n in ("shard_lse", "shard_logit_sum", "target_logit", "target"))
    eps = Fraction(params["label_smoothing"])
    mode, reduction, ignore = params["label_smoothing_mode"], params["reduction"], params["ignore_index"]
    lse_columns, sum_columns = _columns(lse), _columns(sums)
    w_total = sum(w, Fraction(0))
    outs, denominator = [], Fraction(0)
    for n, y in enumerate(target.data):
        if ignore is not None and y == ignore:
            outs.append(Out(0.0))
            continue
        merged = merge_lse_column(lse_columns[n], "e")
        co = _coefficients(eps, mode, classes, w, y)
        outs.append(_position_loss(merged, sum_columns[n], x_y.data[n], co, classes, w_total))
        denominator += w[y]
    if reduction != "mean" or denominator == 0:
        if reduction == "mean" and params["empty_mean"] == "zero":
            return Evaluation((), [Out(0.0)])
        return Evaluation(*reduce_outputs(outs, reduction, target.shape, _enclose(denominator), denominator == 0))
    _, (total,) = reduce_outputs(outs, "sum", target.shape)
    return Evaluation((), [_divided(total, denominator)])


def _divided(total: Out, denominator: Fraction) -> Out:
    """The mean sum / denominator (> 0), the division last: exact when the mean is representable (a
    rational mean that is a rounding midpoint certifies, as nll_loss's)."""
    inverse = 1 / denominator
    value = total.value if isinstance(total.value, float) else _times(inverse, total.value)
    factor = upper(_enclose(inverse))
    return Out(value, upper(total.kappa) * factor, upper(total.nu) * factor, total.limit)
