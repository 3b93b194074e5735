"""Split and merge (spec ``online_softmax_merge``, ``lse_merge``, ``cross_entropy_from_shards``, issue 18).

Large vocabularies are processed in partitions (chunks, or shards on several devices) whose statistics
are merged: online-softmax states (m, d), partial log-sum-exps, and the per-shard sums a
vocabulary-parallel cross-entropy exchanges. Every merged value here is a double-double (the error-free
transformations of :mod:`xent._dd`): a rescaled term d * b^(m - M) keeps its digits far below float64's
exponent range (the power is formed at a normal scale and the binary exponent applied last), the loss
from shards is (a + b c_L) L + R with the rational part R summed exactly, and the result is rounded once
into the inputs' dtype. That meets the spec's ``accurate`` level. The non-finite cases follow the spec's
special values: a state whose m equals M contributes d without forming inf - inf, NaN is never swallowed
by the maximum, and a zero coefficient contributes 0 but never masks NaN.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from . import _dd
from ._half import half_precision
from ._large_model import EMPTY_MEAN
from ._validate import (MAX_RANK, check_base, check_enum, check_ignore_index, check_indices, check_rank,
                        check_reduction, check_weight_values, float_array, float_param, index_array, index_equals,
                        out_dtype, real_array)
from .errors import InvalidArgumentError, InvalidShapeError, ShapeMismatchError

SMOOTHING_MODES = ("uniform", "off_target")
#: A rescaled term more than 2^UNDERFLOW_BINADES below the largest one, or a largest term below
#: 2^-UNDERFLOW_BINADES, cannot change a float64 result (half the smallest subnormal is 2^-1075).
UNDERFLOW_BINADES = 1200
#: A sum s below 2^-TINY_SUM_BINADES has log1p(s) = s to far below float64's rounding.
TINY_SUM_BINADES = 900
#: The scales of the sum of losses from shards: 2^0, then 2^-64 when a finite sum or a position of it
#: overflowed (a mean of losses near the largest float64 is finite; so is the sum of 2 max and -max).
RETRY_SCALES = (0, -64)
_LN2 = (_dd._LN2_HI, _dd._LN2_LO)

DD = tuple[float, float]  # a double-double (hi, lo): hi + lo, |lo| <= ulp(hi) / 2


# ---------------------------------------------------------------- double-double helpers

def _dd_add(x: DD, y: DD) -> DD:
    with np.errstate(invalid="ignore", over="ignore"):
        h, l = _dd.add(np.float64(x[0]), np.float64(x[1]), np.float64(y[0]), np.float64(y[1]))
    if not math.isfinite(h):  # an overflowed sum: its low part is inf - inf
        return float(x[0] + y[0]), 0.0
    return float(h), float(l)


def _dd_of(q: Fraction) -> DD:
    """A rational as a double-double (hi its nearest float64, lo the nearest float64 of the rest); one
    beyond float64's range is (+-inf, 0)."""
    try:
        hi = float(q)
    except OverflowError:
        return (math.inf if q > 0 else -math.inf), 0.0
    return hi, float(q - Fraction(hi)) if math.isfinite(hi) else 0.0


def _dd_scaled(op, x: DD, y: DD, sign: int) -> DD:
    """x * y (sign 1) or x / y (sign -1) of double-doubles, both normalised to [0.5, 1) first: Dekker's
    split overflows above 2^996. A zero x gives 0; an overflowed result is (+-inf, 0)."""
    if x[0] == 0:
        return 0.0, 0.0
    _, ex = math.frexp(x[0])
    _, ey = math.frexp(y[0])
    h, l = op(*(np.float64(math.ldexp(v, -ex)) for v in x), *(np.float64(math.ldexp(v, -ey)) for v in y))
    shift = ex + sign * ey
    with np.errstate(over="ignore"):
        h, l = float(np.ldexp(h, shift)), float(np.ldexp(l, shift))
    return (h, 0.0) if not math.isfinite(h) else (h, l)


def _dd_mul(x: DD, y: DD) -> DD:
    return _dd_scaled(_dd.mul, x, y, 1)


def _dd_div(x: DD, y: DD) -> DD:
    return _dd_scaled(_dd.div, x, y, -1)


def _log2_size(d: float, diff: float, base: str) -> float:
    """About log2(d b^diff) (within 1): the binade of a rescaled term, to choose a common scale."""
    return math.frexp(d)[1] + diff * (1.0 if base == "2" else math.log2(math.e))


def _scaled_power(d: float, diff: float, base: str, scale: int) -> DD:
    """d * b^diff * 2^scale for a finite d > 0 and a finite diff <= 0, with 2^scale bringing the largest
    term of a sum near 1: b^diff is formed at a normal scale (its binary exponent taken out), multiplied
    by d's significand, and the binary exponent applied last, so that no term is rounded to the subnormal
    grid before the sum (a huge d far below the maximum, or many tiny terms, keep their digits)."""
    significand, e = math.frexp(d)
    if base == "2":
        whole = math.floor(diff)
        rest = diff - whole  # exact: diff and its integer part are float64 values
        if rest == 0:
            return math.ldexp(significand, e + whole + scale), 0.0
        rh, rl = _dd.mul(np.float64(rest), np.float64(0.0), np.float64(_LN2[0]), np.float64(_LN2[1]))
        ph, pl = _dd.exp(rh, rl)
        shift = e + whole + scale
    else:
        taken = -int(diff / math.log(2))  # e^diff 2^taken is within a factor 2 of 1
        ph, pl = _dd.exp(np.float64(diff), 0.0, taken)
        shift = e - taken + scale
    h, l = _dd.mul(ph, pl, np.float64(significand), np.float64(0.0))
    return float(np.ldexp(h, shift)), float(np.ldexp(l, shift))


def _rescaled_sum(pairs: list[tuple[float, float]], base: str) -> tuple[DD, int]:
    """(sum of d b^diff 2^scale as a double-double, scale) over (d, diff) pairs with finite d >= 0 and
    diff <= 0, the common scale putting the largest term near 1; ((0, 0), 0) when the sum is below
    2^-UNDERFLOW_BINADES (or empty)."""
    sized = [(d, diff, _log2_size(d, diff, base)) for d, diff in pairs if d > 0]
    top = max((size for _, _, size in sized), default=-math.inf)
    if top < -UNDERFLOW_BINADES:
        return (0.0, 0.0), 0
    scale = -int(top)
    return _sum_dd([_scaled_power(d, diff, base, scale) for d, diff, size in sized
                    if size - top > -UNDERFLOW_BINADES]), scale


def _sum_dd(terms: list[DD]) -> DD:
    total = (0.0, 0.0)
    for t in terms:
        total = _dd_add(total, t)
    return total


def _columns(arr: np.ndarray) -> np.ndarray:
    """The K entries along axis 0 of every other index, as rows of a [count, K] float64 array."""
    return arr.reshape(arr.shape[0], math.prod(arr.shape[1:])).T.astype(np.float64)


def _rounded(values, out: np.dtype, shape: tuple[int, ...]):
    """float64 results rounded once into ``out`` (float32 or float64), scalars staying scalars."""
    arr = np.asarray(values, dtype=np.float64).reshape(shape).astype(out)
    return arr[()] if arr.ndim == 0 else arr


# ---------------------------------------------------------------- online_softmax_merge

def _merge_states(ms: np.ndarray, ds: np.ndarray, base: str) -> tuple[float, float]:
    """(M, D) of one column of K states (spec special values first)."""
    if np.isnan(ms).any() or np.isnan(ds).any():
        return math.nan, math.nan  # NaN is never swallowed by the maximum
    top = float(ms.max()) if ms.size else -math.inf
    at_top = ms == top
    if math.isinf(top):  # all empty (-inf) or the +inf states: they contribute their d exactly
        return top, float(sum(_sum_dd([(float(d), 0.0) for d in ds[at_top]])))
    live = ms != -math.inf  # b^(-inf) = 0: an empty state contributes 0 whatever its d
    if np.isinf(ds[live]).any():
        return top, math.inf
    total, scale = _rescaled_sum([(float(d), float(m) - top) for m, d in zip(ms[live], ds[live])], base)
    with np.errstate(over="ignore"):
        return top, float(np.ldexp(sum(total), -scale))  # one rounding, then the exact binary scale


@half_precision()
def online_softmax_merge(m, d, *, base: str = "e"):
    r"""Merge K online-softmax states along axis 0: ``[M, D]`` with M = max_i m_i and
    D = sum_i d_i b^(m_i - M) (b = e, or 2 for ``base='2'``), the state of the union of the partitions.

    ``m`` and ``d`` have one shape [K, d1..dk] (rank 1 to 8; K = 0 allowed); the result has shape
    [2, d1..dk]. The empty partition's state is (-inf, 0); a state whose m_i equals M contributes d_i
    exactly (no inf - inf at M = +-inf); any NaN in a column gives (NaN, NaN). Raises
    ``InvalidArgumentError`` (a bad base; a negative d), ``InvalidShapeError``, ``ShapeMismatchError``.
    """
    base = check_base(base)
    m_arr, d_arr = float_array("m", m), float_array("d", d)
    check_rank("m", m_arr, 1, MAX_RANK)
    check_rank("d", d_arr, 1, MAX_RANK)
    if m_arr.shape != d_arr.shape:
        raise ShapeMismatchError(f"m and d must have the same shape, got {tuple(m_arr.shape)} and {tuple(d_arr.shape)}")
    if (d_arr < 0).any():
        raise InvalidArgumentError("d must be >= 0 (a sum of exponentials); got a negative entry")
    merged = [_merge_states(ms, ds, base) for ms, ds in zip(_columns(m_arr), _columns(d_arr))]
    tops, sums = zip(*merged) if merged else ((), ())
    return _rounded([*tops, *sums], out_dtype(m_arr, d_arr), (2,) + m_arr.shape[1:])


# ---------------------------------------------------------------- lse_merge

@dataclass(frozen=True)
class _Merged:
    """A merged log-sum-exp: a non-finite float (special) or a double-double value."""
    special: float | None
    value: DD = (0.0, 0.0)


def merge_lse_column(ls: np.ndarray, base: str) -> _Merged:
    """log_b sum_i b^(ls_i) of one column: NaN, else +inf, else -inf when every entry is -inf (or K = 0);
    otherwise a + log1p(s) / ln b with a = max and s = sum of the others' b^(ls_i - a) (double-double)."""
    if np.isnan(ls).any():
        return _Merged(math.nan)
    if (ls == math.inf).any():
        return _Merged(math.inf)
    live = ls[ls != -math.inf]
    if live.size == 0:
        return _Merged(-math.inf)
    k = int(np.argmax(live))
    top = float(live[k])
    s, scale = _rescaled_sum([(1.0, float(v) - top) for i, v in enumerate(live) if i != k], base)
    if s == (0.0, 0.0):
        return _Merged(None, (top, 0.0))
    if scale > TINY_SUM_BINADES:  # log1p(s) = s to 2^-900 relative: added to a unrounded
        return _Merged(None, _dd_add((top, 0.0), (math.ldexp(sum(s), -scale), 0.0)))
    lh, ll = _dd.log1p(np.float64(math.ldexp(s[0], -scale)), np.float64(math.ldexp(s[1], -scale)))
    log_sum = (float(lh), float(ll))
    if base == "2":
        log_sum = _dd_div(log_sum, _LN2)
    return _Merged(None, _dd_add((top, 0.0), log_sum))


@half_precision()
def lse_merge(lse, *, base: str = "e"):
    r"""Merge K partial log-sum-exps along axis 0: log_b sum_i b^(lse_i) (b = e, or 2 for ``base='2'``).

    ``lse`` is [K, d1..dk] (rank 1 to 8; K = 0 allowed); axis 0 is removed (a vector gives a scalar). An
    empty partition is -inf; all -inf (or K = 0) gives -inf, never NaN; any +inf gives +inf unless a NaN;
    NaN gives NaN. Raises ``InvalidArgumentError`` (a bad base) and ``InvalidShapeError``.
    """
    base = check_base(base)
    arr = float_array("lse", lse)
    check_rank("lse", arr, 1, MAX_RANK)
    merged = [merge_lse_column(column, base) for column in _columns(arr)]
    values = [mg.special if mg.special is not None else sum(mg.value) for mg in merged]
    return _rounded(values, out_dtype(arr), arr.shape[1:])


# ---------------------------------------------------------------- cross_entropy_from_shards

@dataclass(frozen=True)
class _Shards:
    """A checked call: float64 statistics, shard sizes, class weights (exact) and the options."""
    lse: np.ndarray          # [S, N]
    sums: np.ndarray         # [S, N]
    target_logit: np.ndarray  # [N]
    target: np.ndarray       # [N]
    classes: int
    weight: list[Fraction]
    eps: Fraction
    mode: str
    reduction: str
    ignore_index: int | None
    empty_mean: str
    out: np.dtype


def _check_shards(shard_lse, shard_logit_sum, target_logit, target, shard_size, weight, ignore_index,
                  label_smoothing, label_smoothing_mode, reduction, empty_mean) -> _Shards:
    """The spec's errorPrecedence: scalar parameters, ranks and C = 0, shapes, then values."""
    lse, sums, x_y = (float_array(n, v) for n, v in (("shard_lse", shard_lse), ("shard_logit_sum", shard_logit_sum),
                                                       ("target_logit", target_logit)))
    t, sizes = index_array("target", target), index_array("shard_size", shard_size)
    out = out_dtype(lse, sums, x_y)
    eps = float_param("label_smoothing", label_smoothing, out, lo=0.0, hi=1.0)
    mode = check_enum("label_smoothing_mode", label_smoothing_mode, SMOOTHING_MODES)
    check_reduction(reduction)
    check_enum("empty_mean", empty_mean, EMPTY_MEAN)
    ignore_index = check_ignore_index(ignore_index)
    for name, arr, rank in (("shard_lse", lse, 2), ("shard_logit_sum", sums, 2), ("target_logit", x_y, 1),
                            ("target", t, 1), ("shard_size", sizes, 1)):
        check_rank(name, arr, rank, rank)
    if sizes.size == 0 or not sizes.any():
        raise InvalidShapeError(f"no classes: shard_size = {sizes.tolist()} (C = 0)")
    shards, positions = lse.shape
    for name, arr, shape in (("shard_logit_sum", sums, lse.shape), ("target_logit", x_y, (positions,)),
                             ("target", t, (positions,)), ("shard_size", sizes, (shards,))):
        if arr.shape != shape:
            raise ShapeMismatchError(f"{name} has shape {tuple(arr.shape)}, expected {shape}")
    classes = int(sum(int(v) for v in sizes))
    w = None if weight is None else real_array("weight", weight)
    if w is not None and w.shape != (classes,):
        raise ShapeMismatchError(f"weight has shape {tuple(w.shape)}, expected ({classes},) (C = sum of shard_size)")
    if (sizes < 0).any():
        raise InvalidArgumentError(f"shard_size entries must be >= 0, got {sizes.tolist()}")
    check_weight_values("weight", w)
    if mode == "off_target" and classes == 1 and eps > 0:
        raise InvalidArgumentError("off_target label smoothing needs C >= 2 when label_smoothing > 0")
    check_indices("target", t, classes, ignore_index)
    exact_w = [Fraction(float(v)) for v in w] if w is not None else [Fraction(1)] * classes
    return _Shards(lse.astype(np.float64), sums.astype(np.float64), x_y.astype(np.float64), t, classes, exact_w,
                   Fraction(eps), mode, reduction, ignore_index, empty_mean, out)


@dataclass(frozen=True)
class _Coefficients:
    """loss = a (L - x_y) + b (c_L L - T + c_x x_y): uniform c_L = W, c_x = 0, b = eps / C; off_target
    c_L = W - w_y, c_x = w_y, b = eps / (C - 1); a = (1 - eps) w_y (all exact)."""
    a: Fraction
    b: Fraction
    c_L: Fraction
    c_x: Fraction


def _coefficients(call: _Shards, y: int) -> _Coefficients:
    total, w_y = sum(call.weight, Fraction(0)), call.weight[y]
    a = (1 - call.eps) * w_y
    if call.mode == "uniform":
        return _Coefficients(a, call.eps / call.classes, total, Fraction(0))
    b = call.eps / (call.classes - 1) if call.classes > 1 else Fraction(0)
    return _Coefficients(a, b, total - w_y, w_y)


Extended = Fraction | float  # an exact finite value, or +-inf / NaN


def _extended(value: float) -> Extended:
    return Fraction(value) if math.isfinite(value) else value


def _ext_sum(values: list[Extended]) -> Extended:
    """An order-free IEEE sum of exact values: NaN with a NaN or with +inf and -inf, else the infinity,
    else the exact sum (finite parts never overflow)."""
    specials = {v if not math.isnan(v) else "nan" for v in values if isinstance(v, float)}
    if "nan" in specials or specials == {math.inf, -math.inf}:
        return math.nan
    if specials:
        return specials.pop()
    return sum(values, Fraction(0))


def _ext_times(coefficient: Fraction, value: Extended) -> Extended:
    """coefficient (>= 0) * value: 0 for a zero coefficient unless value is NaN (D4 never masks NaN)."""
    if isinstance(value, float):
        return math.nan if math.isnan(value) else (Fraction(0) if coefficient == 0 else value)
    return coefficient * value


def _special_loss(L: Extended, sums: np.ndarray, x_y: float, co: _Coefficients) -> Extended:
    """The loss with a non-finite operand: exact arithmetic on the finite parts, IEEE rules for the
    infinities and NaN, and the zero-coefficient rule."""
    x = _extended(x_y)
    first = _ext_times(co.a, _ext_sum([L, -x]))
    if co.b == 0:  # eps = 0: shard_logit_sum is not read
        return first
    total = _ext_sum([_extended(float(v)) for v in sums])
    inner = _ext_sum([_ext_times(co.c_L, L), -total, _ext_times(co.c_x, x)])
    return _ext_sum([first, _ext_times(co.b, inner)])


def _float_at(value: Extended, scale: int) -> float:
    """value * 2^scale rounded to float64 (+-inf beyond the range)."""
    if isinstance(value, float):
        return value
    scaled = value * Fraction(2) ** scale
    try:
        return float(scaled)
    except OverflowError:
        return math.inf if scaled > 0 else -math.inf


def _position_loss(merged: _Merged, sums: np.ndarray, x_y: float, co: _Coefficients, scale: int) -> DD | float:
    """2^scale ((a + b c_L) L + R) with R = b (c_x x_y - T) - a x_y exact: a double-double, or a float
    when an operand that is read is not finite."""
    read_sums = sums if co.b != 0 else sums[:0]
    if merged.special is not None or not math.isfinite(x_y) or not np.isfinite(read_sums).all():
        L = merged.special if merged.special is not None else Fraction(merged.value[0]) + Fraction(merged.value[1])
        return _float_at(_special_loss(L, sums, x_y, co), scale)
    total = sum((Fraction(float(v)) for v in read_sums), Fraction(0))
    factor = Fraction(2) ** scale
    rest = (co.b * (co.c_x * Fraction(x_y) - total) - co.a * Fraction(x_y)) * factor
    slope = _dd_of((co.a + co.b * co.c_L) * factor)
    return _dd_add(_dd_mul(slope, merged.value), _dd_of(rest))


def _losses(call: _Shards, scale: int) -> tuple[list[DD | float], Fraction]:
    """Every position's loss times 2^scale (ignored positions 0, never read: D2) and the mean's
    denominator, the sum of w_y over the kept positions."""
    ignored = index_equals(call.target, call.ignore_index)
    losses: list[DD | float] = []
    denominator = Fraction(0)
    for n, y in enumerate(call.target.tolist()):
        if ignored[n]:
            losses.append((0.0, 0.0))
            continue
        merged = merge_lse_column(call.lse[:, n], "e")
        losses.append(_position_loss(merged, call.sums[:, n], float(call.target_logit[n]), _coefficients(call, y),
                                     scale))
        denominator += call.weight[y]
    return losses, denominator


def _unscaled(value: float, scale: int) -> float:
    with np.errstate(over="ignore"):
        return float(np.ldexp(value, -scale))


def _reduced(losses: list[DD | float], denominator: Fraction, call: _Shards) -> float:
    """sum or mean of the losses (double-doubles, or floats where non-finite), rounded once at the end."""
    if any(isinstance(v, float) for v in losses):
        total = float(sum((v if isinstance(v, float) else sum(v) for v in losses), 0.0))
        total_dd = (total, 0.0)
    else:
        total_dd = _sum_dd(losses)
        total = sum(total_dd)
    if call.reduction == "sum":
        return total
    if denominator == 0:
        if call.empty_mean == "zero":
            return 0.0
        return math.nan if total == 0 or math.isnan(total) else math.copysign(math.inf, total)
    if not math.isfinite(total):
        return total
    return sum(_dd_div(total_dd, _dd_of(denominator)))


@half_precision()
def cross_entropy_from_shards(shard_lse, shard_logit_sum, target_logit, target, shard_size, *, weight=None,
                              ignore_index=-100, label_smoothing=0.0, label_smoothing_mode="uniform",
                              reduction="mean", empty_mean="nan"):
    r"""Softmax cross-entropy of index targets from per-shard statistics (vocabulary parallelism).

    The C = sum(shard_size) classes are split into S consecutive shards. ``shard_lse`` [S, N] holds each
    shard's log-sum-exp of a position's logits (-inf for an empty shard), ``shard_logit_sum`` [S, N] each
    shard's sum of w_c x_c (0 for an empty shard), ``target_logit`` [N] the target's logit x_y, ``target``
    [N] the class indices. With L = :func:`lse_merge` of a position's column, T = sum of its logit sums and
    W = sum of the class weights, a position's loss is
    ``(1 - eps) w_y (L - x_y) + eps / C (W L - T)`` (uniform) or
    ``(1 - eps) w_y (L - x_y) + eps / (C - 1) ((W - w_y) L - (T - w_y x_y))`` (off_target): the
    :func:`softmax_cross_entropy` of the logits the statistics come from. ``ignore_index``, ``weight``,
    ``reduction`` and ``empty_mean`` are softmax_cross_entropy's (the mean divides by the sum of w_y once,
    never as a mean of chunk means). Returns [N] for 'none', else a scalar.

    Raises ``InvalidArgumentError``, ``InvalidShapeError``, ``ShapeMismatchError``, ``IndexOutOfRangeError``.
    """
    call = _check_shards(shard_lse, shard_logit_sum, target_logit, target, shard_size, weight, ignore_index,
                         label_smoothing, label_smoothing_mode, reduction, empty_mean)
    if call.reduction == "none":  # a loss beyond the range is +-inf, as its exact value rounds
        losses, _ = _losses(call, 0)
        return _rounded([v if isinstance(v, float) else sum(v) for v in losses], call.out, call.target.shape)
    for scale in RETRY_SCALES:
        losses, denominator = _losses(call, scale)
        result = _reduced(losses, denominator, call)
        exact = [v for v in losses if not isinstance(v, float)]  # the losses of finite statistics
        if all(math.isfinite(v[0]) for v in exact) and (math.isfinite(result) or len(exact) < len(losses)):
            break  # nothing finite overflowed: the result is finite, or non-finite because an input is
    return _rounded(_unscaled(result, scale), call.out, ())
