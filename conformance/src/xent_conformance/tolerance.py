"""The spec's tolerance model, implemented once: the generator resolves bounds with it, the harness
judges results with it.

    accurate:    |got - exact| <= u * (A * |exact| + B * kappa) + C * eta
    compatible:  |got - exact| <= c * u * (|exact| + kappa + nu) + C * eta

Non-finite expected values compare exactly (NaN matches NaN); +0 and -0 are equal.

Range extremes: at `compatible` an element also passes, reported apart, when it is the ordinary outcome
of plain float arithmetic: within the bound plus the dtype's smallest normal number lambda where the
exact value is below the normal range (flush to zero, inexact subnormals); and in vectors flagged
RangeExtreme (hand cases that test extended-range or exact-subnormal arithmetic, which `compatible`
does not require) every element passes unless it is NaN where the exact value is a number, or of the
opposite sign to the exact value (0 passes for either sign). See spec/xent.yaml, `tolerance`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import mpmath

from .dtypes import DType

LEVELS = ("accurate", "compatible")
_PREC = 256  # bits for error arithmetic: exact decimals carry 40 digits, so this is plenty


@dataclass(frozen=True)
class Verdict:
    ok: bool
    abs_error: float   # |got - exact| (inf when a special value is wrong)
    ulp_error: float   # abs_error in ulps of the dtype at the exact value
    scaled_error: float  # abs_error / bound (<= 1 passes)


STORED_BITS = 12  # significant bits kept in stored bounds and condition numbers


def round_up_float64(x: mpmath.mpf, bits: int = STORED_BITS) -> float:
    """The smallest float64 >= x (x >= 0) with at most `bits` significant bits: a stored bound is never
    tighter than the model, and is at most 2^-11 looser, which keeps the vector files short."""
    rounded = mpmath.mpf(mpmath.libmp.mpf_pos(mpmath.mpf(x)._mpf_, bits, "c"))  # towards +inf
    f = float(rounded)
    if mpmath.mpf(f) < x:  # only below the float64 subnormal range
        f = math.nextafter(f, math.inf)
    return f


class BoundError(ValueError):
    """A bound that is not a finite number >= 0 (a vector file must never hold one: inf accepts anything)."""


def checked_bound(bound: float) -> float:
    if not (math.isfinite(bound) and bound >= 0):
        raise BoundError(f"bound {bound!r} is not a finite number >= 0")
    return bound


def accurate_bound(exact: mpmath.mpf, kappa: mpmath.mpf, dtype: DType, A: float, B: float, C: float) -> float:
    with mpmath.workprec(_PREC):
        u = mpmath.ldexp(1, dtype.unit_roundoff_exp)
        eta = mpmath.ldexp(1, dtype.eta_exp)
        return checked_bound(round_up_float64(u * (A * abs(exact) + B * kappa) + C * eta))


def compatible_bound(exact: mpmath.mpf, kappa: mpmath.mpf, nu: mpmath.mpf, dtype: DType, c: float, C: float) -> float:
    with mpmath.workprec(_PREC):
        u = mpmath.ldexp(1, dtype.unit_roundoff_exp)
        eta = mpmath.ldexp(1, dtype.eta_exp)
        return checked_bound(round_up_float64(c * u * (abs(exact) + kappa + nu) + C * eta))


def ulp(exact: mpmath.mpf, dtype: DType) -> mpmath.mpf:
    """Unit in the last place of the dtype at exact (Harrison/Zimmermann: binade of |exact|)."""
    if exact == 0:
        return mpmath.ldexp(1, dtype.eta_exp)
    _, e = mpmath.frexp(abs(exact))  # |exact| = m * 2**e with 0.5 <= m < 1
    return mpmath.ldexp(1, max(e - 1, dtype.emin) - dtype.precision + 1)


def judge(got: float, expected: float, exact_text: str, bound: float, dtype: DType) -> Verdict:
    """Judge one output element against its golden value and an absolute bound."""
    if math.isnan(expected) or math.isinf(expected):
        same = (math.isnan(got) and math.isnan(expected)) or got == expected
        return Verdict(same, 0.0 if same else math.inf, 0.0 if same else math.inf, 0.0 if same else math.inf)
    if math.isnan(got) or math.isinf(got):
        return Verdict(False, math.inf, math.inf, math.inf)
    with mpmath.workprec(_PREC):
        exact = mpmath.mpf(exact_text)
        err = abs(mpmath.mpf(got) - exact)
        ulps = float(err / ulp(exact, dtype))
        scaled = float(err / bound) if bound > 0 else (0.0 if err == 0 else math.inf)
        return Verdict(err <= bound, float(err), ulps, scaled)


RANGE_EXTREME = "RangeExtreme"


def smallest_normal(dtype: DType) -> float:
    return 2.0 ** dtype.emin


def range_extreme_ok(got: float, exact_text: str, bound: float, dtype: DType, flagged: bool) -> bool:
    """The outcome of plain float arithmetic for a range-extreme result (accepted at `compatible` only).

    A result whose exact value is below the normal range passes within bound + lambda (lambda = the
    smallest normal number: flush to zero, inexact subnormals) wherever it occurs. A vector flagged
    RangeExtreme tests extended-range and exact-subnormal arithmetic (an intermediate over- or
    underflows, or a subnormal intermediate under a log or a power loses its digits), which `compatible`
    does not require: every element passes unless it is NaN where the exact value is a number, or an
    infinity or number of the opposite sign to the exact value (0 passes for either sign: a flush). An
    exact 0 has no sign: there the element passes within bound + lambda."""
    if exact_text == "nan":
        return False
    if flagged:
        return _range_extreme_flagged_ok(got, exact_text, bound, dtype)
    if math.isnan(got) or math.isinf(got) or exact_text in ("inf", "-inf"):
        return False
    with mpmath.workprec(_PREC):
        exact = mpmath.mpf(exact_text)
        lam = mpmath.mpf(smallest_normal(dtype))
        return abs(exact) < lam and abs(mpmath.mpf(got) - exact) <= mpmath.mpf(bound) + lam


def _range_extreme_flagged_ok(got: float, exact_text: str, bound: float, dtype: DType) -> bool:
    if exact_text in ("inf", "-inf"):
        return math.isnan(got) or got == 0 or (got > 0) == (exact_text == "inf")
    if math.isnan(got):
        return False  # NaN where the exact value is a number
    with mpmath.workprec(_PREC):
        exact = mpmath.mpf(exact_text)
        if exact == 0:
            return not math.isinf(got) and abs(mpmath.mpf(got)) <= mpmath.mpf(bound) + mpmath.mpf(smallest_normal(dtype))
        return got == 0 or (got > 0) == (exact > 0)


def judge_levels(got: float, expected: float, exact_text: str, bounds: dict[str, float], dtype: DType) -> dict[str, Verdict]:
    """judge() for several levels at once, reading the exact decimal once."""
    if math.isnan(expected) or math.isinf(expected) or math.isnan(got) or math.isinf(got):
        return {level: judge(got, expected, exact_text, bound, dtype) for level, bound in bounds.items()}
    with mpmath.workprec(_PREC):
        exact = mpmath.mpf(exact_text)
        err = abs(mpmath.mpf(got) - exact)
        ulps = float(err / ulp(exact, dtype))
        verdicts = {}
        for level, bound in bounds.items():
            scaled = float(err / bound) if bound > 0 else (0.0 if err == 0 else math.inf)
            verdicts[level] = Verdict(err <= bound, float(err), ulps, scaled)
        return verdicts
