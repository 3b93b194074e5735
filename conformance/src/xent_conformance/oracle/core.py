"""The oracle's engine: interval evaluation with Ziv's rounding test, and the shared softmax machinery.

Kernels compute with mpmath's interval context (``iv``): every result is an enclosure of the exact value.
An output is accepted when both ends of its enclosure round to the same dtype value and the enclosure
is narrow enough to state 40 significant digits; otherwise the working precision doubles (Ziv's
strategy) up to a cap that fails loudly. Results that are exactly representable (0, 1, 1/2, and the
limits at infinite inputs) are produced as exact point values, since an enclosure of an exact result
computed through transcendental functions would never pass the test.
"""
from __future__ import annotations

import math
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Context, Decimal

import mpmath
from mpmath import iv

from ..dtypes import DType
from .rounding import round_raw

INITIAL_PRECISION = 160  # bits: >= 40 significant digits plus slack
MAX_PRECISION = 20000
EXACT_DIGITS = 40
_DIGITS_CONTEXT = Context(prec=EXACT_DIGITS, rounding=ROUND_HALF_EVEN)
_RELATIVE_WIDTH = mpmath.mpf(10) ** -(EXACT_DIGITS + 2)


class OracleError(RuntimeError):
    """The oracle could not certify a value (precision cap reached) or a case is inconsistent."""


class DomainError(ValueError):
    """An input outside the function's domain; `kind` is the spec's error kind."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind


def X(v: float):
    """An exact float as a point interval."""
    return iv.mpf(v)


@dataclass
class Out:
    """One output element: an enclosure (or an exact float) with its condition number and normwise scale."""
    value: object                 # iv.mpf enclosure, or a Python float that is exact (0.0, 1.0, inf, nan)
    kappa: object = 0             # iv.mpf or number >= 0
    nu: object = 1                # mpf or number >= 0 (never a float sum: near-max terms would overflow)
    limit: bool = False           # a limit at an infinite input that frameworks return as NaN
    # normwise kind `exponent` (spec): exponentials exp(x) whose argument a kernel forms with an absolute
    # error u |z| (x = z - logaddexp(z, 0)); nu gains exp_mass * min(|z|, ln(1/u)) for the dtype
    exp_mass: object = 0          # mpf or number >= 0: sum of |exp(x)| times its coefficient
    exp_arg: float = 0.0          # |z|


def exponent_nu(o: Out, dtype: DType) -> mpmath.mpf:
    """The `exponent` term of nu: an argument rounded inside exp (d exp(x) = exp(x) dx, |dx| <= u |z|).
    Beyond |z| = ln(1/u) the exponential is within u of its limit and its argument rounds to the exact
    limit's (logaddexp(z, 0) rounds to max(z, 0)), so the error stays below u: |z| is capped there."""
    if not o.exp_mass:
        return mpmath.mpf(0)
    cap = -(dtype.unit_roundoff_exp) * mpmath.log(2)
    return upper(o.exp_mass) * min(mpmath.mpf(o.exp_arg), cap)


@dataclass
class Evaluation:
    shape: tuple[int, ...]
    outputs: list[Out]
    precision: int = INITIAL_PRECISION


@dataclass
class Certified:
    """An output element certified for a dtype."""
    rounded: float
    exact: str        # 40 significant digits, or nan / inf / -inf
    kappa: mpmath.mpf
    nu: mpmath.mpf
    limit: bool


# ---------------------------------------------------------------- interval helpers

def upper(x) -> mpmath.mpf:
    """An upper bound of |x| for an enclosure or number (for condition numbers)."""
    if isinstance(x, (int, float, mpmath.mpf)):
        return abs(mpmath.mpf(x))
    a, b = x._mpi_
    return max(abs(mpmath.mpf(a)), abs(mpmath.mpf(b)))


def lo(x) -> mpmath.mpf:
    return mpmath.mpf(x._mpi_[0])


def hi(x) -> mpmath.mpf:
    return mpmath.mpf(x._mpi_[1])


def log1p(x):
    """iv.log1p, with a closed enclosure for tiny |x|: mpmath raises the working precision by the
    exponent of x, which never ends for x = exp(-1e308). For |x| <= 1/2, x - x^2 <= log1p(x) <= x."""
    a, b = lo(x), hi(x)
    tiny = mpmath.ldexp(1, -2 * iv.prec - 64)
    if -tiny < a and b < tiny:
        return iv.mpf([a - max(a * a, b * b), b])
    return iv.log1p(x)


def summation_allowance(values) -> mpmath.mpf:
    """sqrt(n) * sum |t_i| over the finite terms: the normwise part of the compatible bound that admits a
    plain (left-to-right or pairwise) sum of n terms. Higham and Mary (2019): the error of recursive
    summation is at most lambda sqrt(n) u sum |t_i| with probability >= 1 - 2 exp(-lambda^2 (1 - u)^2 / 2);
    with the level's constant c as lambda (c >= 4) that is 0.9993 or more, against the worst case (n - 1) u."""
    finite = [upper(v) for v in values if not isinstance(v, float) or math.isfinite(v)]
    return mpmath.sqrt(len(finite)) * sum(finite, start=mpmath.mpf(0)) if finite else mpmath.mpf(0)


def iv_sum(terms):
    """Sum of enclosures (interval addition is exact up to outward rounding)."""
    total = iv.mpf(0)
    for t in terms:
        total += t
    return total


def is_point(x, value) -> bool:
    a, b = x._mpi_
    return mpmath.mpf(a) == value and mpmath.mpf(b) == value


def special_sum(values):
    """Sum of exact floats and enclosures with IEEE rules for the non-finite ones."""
    finite, has_nan, pos, neg = [], False, False, False
    for v in values:
        if isinstance(v, float):
            if math.isnan(v):
                has_nan = True
            elif v == math.inf:
                pos = True
            elif v == -math.inf:
                neg = True
            else:
                finite.append(X(v))
        else:
            finite.append(v)
    if has_nan or (pos and neg):
        return math.nan
    if pos:
        return math.inf
    if neg:
        return -math.inf
    return iv_sum(finite)


def scale(value, factor):
    """value * factor for an exact float or an enclosure; factor is an enclosure or number > 0."""
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value) or value == 0.0:
            return value
        return X(value) * factor
    return value * factor


# ---------------------------------------------------------------- certification (Ziv)

def _decide(x, dtype: DType):
    """The dtype value both ends of the enclosure round to, or None."""
    a, b = x._mpi_
    lo, hi = round_raw(a, dtype), round_raw(b, dtype)
    if lo != hi or math.copysign(1, lo) != math.copysign(1, hi):
        return None
    if a != b:
        ma, mb = mpmath.mpf(a), mpmath.mpf(b)
        if mb - ma > _RELATIVE_WIDTH * min(abs(ma), abs(mb)):
            return None
    return lo


def exact_text(x) -> str:
    """The enclosure's midpoint with 40 significant digits (deterministic, independent of mpmath's printer)."""
    if isinstance(x, float):
        if math.isnan(x):
            return "nan"
        if math.isinf(x):
            return "inf" if x > 0 else "-inf"
        mid = mpmath.mpf(x)
    else:
        a, b = x._mpi_
        mid = (mpmath.mpf(a) + mpmath.mpf(b)) / 2
    sign, man, exp, _ = mid._mpf_
    if man == 0:
        return "0"
    if abs(exp) > 5000:  # astronomically small or large: let mpmath find the decimal exponent
        return mpmath.libmp.to_str(mid._mpf_, EXACT_DIGITS, min_fixed=1, max_fixed=0)
    # man * 2**exp == (man * 5**-exp) * 10**exp; Decimal(str) is exact whatever the context.
    exact = Decimal(str(man << exp)) if exp >= 0 else Decimal(f"{man * 5 ** (-exp)}E{exp}")
    rounded = _DIGITS_CONTEXT.plus(exact)
    text = f"{rounded:.{EXACT_DIGITS - 1}e}"
    return "-" + text if sign else text


def _exact_point(value: float, dtype: DType) -> float:
    """An exact point value (0, -0, 1, an input, a limit) in the dtype: rounded once if it is not one of
    its values (an input of a wider dtype cannot occur, but a kernel may state any exact float)."""
    if value == 0 or not math.isfinite(value):
        return value  # keeps the sign of zero, which mpmath's mpf does not hold
    return round_raw(mpmath.mpf(value)._mpf_, dtype)


@contextmanager
def working_precision(bits: int):
    """Set the interval and the plain mpmath contexts to `bits` for the duration."""
    saved = iv.prec, mpmath.mp.prec
    iv.prec, mpmath.mp.prec = bits, bits
    try:
        yield
    finally:
        iv.prec, mpmath.mp.prec = saved


def certify(compute, dtype: DType) -> tuple[tuple[int, ...], list[Certified], int]:
    """Run compute() at increasing precision until every output rounds unambiguously into dtype."""
    prec = INITIAL_PRECISION
    while True:
        with working_precision(prec):
            ev = compute()
            rounded = []
            for out in ev.outputs:
                if isinstance(out.value, float):
                    r = _exact_point(out.value, dtype)
                else:
                    r = _decide(out.value, dtype)
                rounded.append(r)
            if all(r is not None for r in rounded):
                certified = [
                    Certified(r, exact_text(o.value), upper(o.kappa), mpmath.mpf(o.nu) + exponent_nu(o, dtype), o.limit)
                    for r, o in zip(rounded, ev.outputs)
                ]
                return ev.shape, certified, prec
        prec *= 2
        if prec > MAX_PRECISION:
            raise OracleError(f"no certified rounding below {MAX_PRECISION} bits (exact tie or undetected exact zero?)")
