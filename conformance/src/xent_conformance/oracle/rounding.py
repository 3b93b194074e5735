"""Correct rounding of exact (mpmath) values into a dtype, written out by hand.

mpmath's own float conversion rounds to 53 bits and then lets ldexp round again, which double-rounds
subnormals (2^-1075 + 2^-1134 becomes 0 instead of 2^-1074), and it cannot target binary32 at all
without going through binary64. Here the mpf's (sign, man, exp) is rounded once, to nearest-even, at
the dtype's quantum, with gradual underflow and overflow to infinity.
"""
from __future__ import annotations

import math

from mpmath.libmp import fnan, fzero

from ..dtypes import DType

Raw = tuple  # mpmath's raw mpf: (sign, man, exp, bc); value (-1)**sign * man * 2**exp


def round_raw(raw: Raw, dtype: DType) -> float:
    """Round an mpmath raw mpf to the nearest dtype value, ties to even. Returns an exact Python float."""
    sign, man, exp, bc = raw
    if man == 0:
        if raw == fzero:
            return 0.0
        if raw == fnan:
            return math.nan
        return -math.inf if sign else math.inf
    top = exp + bc - 1  # |value| is in [2**top, 2**(top+1))
    if top < dtype.emin - dtype.precision:  # below half the smallest subnormal: rounds to zero
        return -0.0 if sign else 0.0
    if top > dtype.emax + 1:
        return -math.inf if sign else math.inf
    quantum = max(top - dtype.precision + 1, dtype.emin - dtype.precision + 1)
    if exp >= quantum:
        m, q = man, exp
    else:
        shift = quantum - exp
        m, rem = man >> shift, man & ((1 << shift) - 1)
        half = 1 << (shift - 1)
        if rem > half or (rem == half and m & 1):
            m += 1
        q = quantum
    if m == 0:
        return -0.0 if sign else 0.0
    if m.bit_length() + q > dtype.emax + 1:  # |value| >= 2**(emax+1) after rounding
        return -math.inf if sign else math.inf
    value = math.ldexp(m, q)  # exact: m fits the dtype's precision, hence float64's
    return -value if sign else value
