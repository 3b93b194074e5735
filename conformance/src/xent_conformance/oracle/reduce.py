"""Reductions of per-element outputs: none, sum and (weighted) mean, with IEEE rules for 0/0."""
from __future__ import annotations

import math

from mpmath import iv

from .core import Out, hi, is_point, lo, scale, special_sum, summation_allowance, upper


def _divide_by_zero(numerator):
    """IEEE num / 0 for a non-negative or NaN numerator: NaN for 0 (or NaN), +-inf otherwise."""
    if isinstance(numerator, float):
        if math.isnan(numerator) or numerator == 0.0:
            return math.nan
        return math.copysign(math.inf, numerator)
    if is_point(numerator, 0):
        return math.nan
    if lo(numerator) > 0:
        return math.inf
    if hi(numerator) < 0:
        return -math.inf
    raise ArithmeticError("sign of a numerator over a zero denominator is undecided")


def reduce_outputs(outs: list[Out], reduction: str, shape: tuple[int, ...], denominator=None,
                   denominator_is_zero: bool | None = None) -> tuple[tuple[int, ...], list[Out]]:
    """Reduce per-element outputs. The mean divides by `denominator` (an enclosure), default the count."""
    if reduction == "none":
        return shape, outs
    total = special_sum([o.value for o in outs])
    kappa = sum((upper(o.kappa) for o in outs), start=upper(0))
    nu = sum((upper(o.nu) for o in outs), start=upper(0)) + summation_allowance([o.value for o in outs])
    limit = any(o.limit for o in outs)
    if reduction == "sum":
        return (), [Out(total, kappa, nu, limit)]
    if denominator is None:
        denominator, denominator_is_zero = iv.mpf(len(outs)), len(outs) == 0
    if denominator_is_zero:
        return (), [Out(_divide_by_zero(total), 0, 0.0, limit)]
    inverse = 1 / denominator
    return (), [Out(scale(total, inverse), kappa * upper(inverse), nu * upper(inverse), limit)]
