"""The fast judge: numpy verdicts for answers that clearly pass, identical to compare's exact ones.

compare judges every element with mpmath at 256 bits (tolerance.judge); that cost a tenth of a run.
Here the exact value of each element is held as a double-double: hi = float(exact) and lo = the
remainder exact - hi rounded to float64 (computed once per vector with decimal arithmetic), so
|got - exact| is computed in float64 with an error below about 2^-50 of the quantities involved. An
element is decided here only when its error is below its bound at both levels by more than that
margin; the whole answer is decided here only when every element is (a clear pass). Anything else --
an element within a hair of a bound, a miss (which may be rescued by an acceptable output or a range
extreme, and whose report needs the exact figures), a special value that differs, an exact value
near the float64 subnormal range -- returns None and compare decides exactly. So statuses are the
exact path's; the ulp and scaled-error figures of a clear pass agree with the exact ones to about
15 significant digits (they are computed from the double-double error, not at 256 bits).
"""
from __future__ import annotations

import math
import os
from decimal import Decimal, InvalidOperation

import numpy as np

from ..dtypes import dtype_named
from .compare import PASSED, Outcome
from .protocol import Answer
from .vectors import LEVELS, VectorCase, fast_hex_list

_TINY = 2.0 ** -960      # below this the remainder lo could be subnormal (inexact): exact path
_MARGIN = 2.0 ** -50     # relative error of the double-double difference, generously
#: XENT_EXACT_JUDGE=1 judges every answer on the exact path (to compare the two paths on a whole run)
ENABLED = os.environ.get("XENT_EXACT_JUDGE", "") != "1"


class _Arrays:
    """Per-vector arrays, made on the first judgement of the vector and kept on it."""

    __slots__ = ("expected", "finite", "hi", "lo", "slack", "ulp", "bounds", "usable")

    def __init__(self, case: VectorCase):
        dt = dtype_named(case.dtype)
        self.expected = np.array(case.expected, dtype=np.float64)
        self.finite = np.isfinite(self.expected)
        hi = np.zeros(len(case.exact))
        lo = np.zeros(len(case.exact))
        slack = np.zeros(len(case.exact))
        usable = True
        for i, text in enumerate(case.exact):
            if not self.finite[i]:
                continue  # compared exactly, by equality
            h, l, s, ok = _split(text, tiny_ok=dt.emin > -1022)
            hi[i], lo[i], slack[i] = h, l, s
            usable = usable and ok
        self.hi, self.lo, self.slack, self.usable = hi, lo, slack, usable
        self.ulp = _ulps(hi, lo, dt.precision, dt.emin, dt.eta_exp)
        self.bounds = {lv: np.array(case.bounds[lv], dtype=np.float64) for lv in LEVELS}


def _split(text: str, tiny_ok: bool) -> tuple[float, float, float, bool]:
    """(hi, lo, slack, usable): the exact value is hi + lo to about 2^-105 relative, or, for a nonzero
    value below 2^-960 (where lo would be subnormal), hi give or take slack (float()'s rounding error:
    2^-52 |hi| + 2^-1074: far below a float32 ulp, so only float32 vectors take it, `tiny_ok`); not usable
    otherwise, nor when the text is not a finite decimal (the exact path handles those)."""
    hi = float(text)
    if not math.isfinite(hi):
        return 0.0, 0.0, 0.0, False
    try:
        value = Decimal(text)
        if value == 0:
            return 0.0, 0.0, 0.0, True
        if abs(hi) < _TINY:
            return hi, 0.0, abs(hi) * 2.0 ** -52 + 2.0 ** -1074, tiny_ok
        return hi, float(value - Decimal(hi)), 0.0, True  # 28 digits of the remainder, rounded once
    except (InvalidOperation, ValueError):
        return hi, 0.0, 0.0, False


def _ulps(hi: np.ndarray, lo: np.ndarray, precision: int, emin: int, eta_exp: int) -> np.ndarray:
    """tolerance.ulp of each exact value hi + lo: 2^(max(e - 1, emin) - precision + 1) with
    |exact| = m 2^e, 0.5 <= m < 1; just below a power of two (hi a power of two, lo of the other sign)
    the binade is the one below hi's."""
    mantissa, exponent = np.frexp(np.abs(hi))
    below = (mantissa == 0.5) & (lo != 0) & (np.sign(lo) != np.sign(hi))
    e = exponent - below.astype(exponent.dtype)
    out = np.ldexp(1.0, np.maximum(e - 1, emin) - precision + 1)
    return np.where(hi == 0, np.ldexp(1.0, eta_exp), out)


def arrays(case: VectorCase) -> _Arrays:
    if case.fast is None:
        case.fast = _Arrays(case)
    return case.fast


def answer_values(answer: Answer, dtype: str) -> list[float] | None:
    """The answer's data as floats when every element is certainly exact in dtype, else None."""
    return fast_hex_list(answer.data, dtype) if answer.data else []


def try_compare(case: VectorCase, answer: Answer) -> Outcome | None:
    """compare(case, answer) when the answer clearly passes at every level, else None (then compare
    decides, exactly, with the same result it would give here)."""
    if (not ENABLED or answer.kind != "output" or case.result != "valid" or answer.dtype != case.dtype
            or answer.shape != case.expected_shape):
        return None
    values = answer_values(answer, case.dtype)
    if values is None or len(values) != len(case.expected):
        return None
    a = arrays(case)
    if not a.usable:
        return None
    got = np.array(values, dtype=np.float64)
    if not np.array_equal(np.isfinite(got), a.finite):
        return None  # a special value where a finite one is expected, or the reverse: a miss or a rescue
    special = ~a.finite
    if special.any() and not np.all((got[special] == a.expected[special])
                                     | (np.isnan(got[special]) & np.isnan(a.expected[special]))):
        return None
    with np.errstate(invalid="ignore", over="ignore"):
        t = np.where(a.finite, got - a.hi, 0.0)
        err = np.abs(t - a.lo)
        # float subtraction is exact when its result is subnormal, so the margin is relative only
        margin = _MARGIN * (np.abs(t) + np.abs(a.lo) + err) + a.slack
        if not np.all(np.isfinite(err)):
            return None
        scaled: dict[str, float] = {}
        for lv in LEVELS:
            bound = a.bounds[lv]
            if not np.all((err + margin < bound) | special):  # a miss, or too close to call: exact path
                return None
            scaled[lv] = float(np.max(np.where(a.finite, err / bound, 0.0), initial=0.0))
    ulps = np.where(a.finite, err / a.ulp, 0.0)
    out = Outcome(case=case, status={lv: PASSED for lv in LEVELS},
                  got={"dtype": answer.dtype, "shape": answer.shape, "data": answer.data})
    out.ulp_errors = ulps[a.finite].tolist()
    out.max_ulp = max(out.ulp_errors) if out.ulp_errors else None
    if a.finite.any():
        out.max_scaled = {lv: v for lv, v in scaled.items()}
    if len(values):
        out.worst_index = int(np.argmax(ulps))  # the first largest, as compare picks it
    return out
