"""The fast judge: numpy verdicts for answers that clearly pass, identical to compare's exact ones.

compare judges every element with mpmath at 256 bits (tolerance.judge); that cost a tenth of a run.
Here the exact value of each element is held as a double-double: hi = float(exact) and lo = the
remainder exact - hi rounded to float64 (computed once per vector with decimal arithmetic; values
below 2^-960, whose remainder would be subnormal, are first scaled by a power 2^300k, and values below
2^-1860 count as 0 give or take 2^-1860), so |got - exact| is computed in float64 with an error below about
2^-50 of the quantities involved. An element is decided here only when its error is below its bound
at both levels by more than that margin; an answer is decided here only when every element is (a
clear pass). Anything else -- an element within a hair of a bound, a miss (which may be rescued by an
acceptable output or a range extreme, and whose report needs the exact figures), a special value that
differs -- returns None and compare decides exactly. So statuses are the exact path's; the ulp and
scaled-error figures of a clear pass agree with the exact ones to about 15 significant digits (they
come from the double-double error, not from 256-bit arithmetic).

A batch of answers is judged with one set of numpy operations over all its elements (judge_batch).
"""
from __future__ import annotations

import math
import os
from decimal import Decimal, InvalidOperation, localcontext

import numpy as np

from ..dtypes import dtype_named
from ..hexfloat import HexFloatError, parse_hex
from .compare import PASSED, Outcome
from .protocol import Answer
from .vectors import LEVELS, VectorCase, fast_hex_list

_TINY = 2.0 ** -960          # below this the remainder lo could be subnormal (inexact): scaled
_MAX_SCALE_EXP = 900         # scales 2^300, 2^600, 2^900 (finite floats) bring values down to 2^-1860 above _TINY
_NEGLIGIBLE = Decimal(2) ** -1860   # below this an exact value is 0 for every figure (2^-786 of any ulp)
_MARGIN = 2.0 ** -50         # relative error of the double-double difference, generously
#: XENT_EXACT_JUDGE=1 judges every answer on the exact path (to compare the two paths on a whole run)
ENABLED = os.environ.get("XENT_EXACT_JUDGE", "") != "1"


class _Arrays:
    """The arrays of a batch's cases, concatenated (issue 14: built with one numpy call per column, not
    per vector). Values of finite elements are held scaled by `scale` (1 or 2^300k):
    exact * scale = hi + lo (+- slack)."""

    __slots__ = ("expected", "finite", "hi", "lo", "slack", "scale", "ulp", "bounds", "sizes")

    def __init__(self, cases: list[VectorCase]):
        self.sizes = [len(case.exact) for case in cases]
        n = sum(self.sizes)
        self.expected = np.fromiter((x for case in cases for x in case.expected), dtype=np.float64, count=n)
        self.finite = np.isfinite(self.expected)
        parts = [p for case in cases for p in exact_parts(case)]
        if n:
            hi, lo, slack, exps = (np.array(column) for column in zip(*parts))
            exps = exps.astype(np.int64)
        else:
            hi, lo, slack, exps = np.zeros(0), np.zeros(0), np.zeros(0), np.zeros(0, dtype=np.int64)
        self.hi, self.lo, self.slack = hi, lo, slack
        self.scale = np.ldexp(1.0, exps)
        dts = [dtype_named(case.result_dtype) for case in cases]
        self.ulp = _scaled_ulps(hi, lo, exps, *(_per_element([getattr(dt, attr) for dt in dts], self.sizes)
                                                for attr in ("precision", "emin", "eta_exp")))
        self.bounds = {lv: np.fromiter((b for case in cases for b in case.bounds[lv]), dtype=np.float64, count=n)
                       for lv in LEVELS}


def _per_element(per_case: list[int], sizes: list[int]) -> np.ndarray:
    """A constant of each case repeated for each of its elements."""
    return np.repeat(np.array(per_case, dtype=np.int64), sizes)


_SPECIAL = (0.0, 0.0, 0.0, 0)  # a non-finite expected value: compared by equality, no exact value needed


def exact_parts(case: VectorCase) -> list[tuple[float, float, float, int] | None]:
    """_split of every exact value (kept on the case, and in the loader's cache: decimal arithmetic is
    the costliest part of preparing a vector)."""
    if case.exact_parts is None:
        case.exact_parts = [_split(text) if math.isfinite(e) else _SPECIAL for text, e in zip(case.exact, case.expected)]
    return case.exact_parts


def _split(text: str) -> tuple[float, float, float, int] | None:
    """(hi, lo, slack, k) with exact * 2^k = hi + lo to about 2^-105 relative (slack 0), or, for an exact
    value below 2^-1860, (0, 0, 2^-1860, 0); None when the text is not a finite decimal."""
    hi = float(text)
    if not math.isfinite(hi):
        return None
    if hi == 0 and _tiny_exponent(text):
        return 0.0, 0.0, float(_NEGLIGIBLE), 0  # beyond Decimal's exponent range, far below 2^-1860
    try:
        value = Decimal(text)
        if value == 0:
            return 0.0, 0.0, 0.0, 0
        if abs(hi) >= _TINY:
            return hi, float(value - Decimal(hi)), 0.0, 0  # 28 digits of the remainder, rounded once
        if abs(value) < _NEGLIGIBLE:
            return 0.0, 0.0, float(_NEGLIGIBLE), 0
        with localcontext() as context:
            context.prec = 80  # the 40-digit value times 2^k, and its remainder, exactly enough
            for k in range(300, _MAX_SCALE_EXP + 1, 300):
                scaled = value * (Decimal(2) ** k)
                hi = float(scaled)
                if abs(hi) >= _TINY:
                    return hi, float(scaled - Decimal(hi)), 0.0, k
        return None  # not reached: values below 2^-1860 are negligible
    except (InvalidOperation, ValueError, OverflowError):
        return None


def _tiny_exponent(text: str) -> bool:
    """Whether a decimal text m e-N with |m| < 10 is below 10^-600 (< 2^-1860): the exact values of
    vectors whose true result underflows everything (e^-(10^300)) are written that way."""
    mantissa, e, exponent = text.partition("e")
    try:
        return bool(e) and abs(float(mantissa)) < 10 and int(exponent) < -600
    except ValueError:
        return False


def _scaled_ulps(hi: np.ndarray, lo: np.ndarray, k: np.ndarray, precision: np.ndarray, emin: np.ndarray,
                 eta_exp: np.ndarray) -> np.ndarray:
    """tolerance.ulp of each exact value, times its scale 2^k: 2^(max(e - 1, emin) - precision + 1) with
    |exact| = m 2^e, 0.5 <= m < 1; just below a power of two (hi a power of two, lo of the other sign)
    the binade is the one below hi's."""
    mantissa, exponent = np.frexp(np.abs(hi))
    below = (mantissa == 0.5) & (lo != 0) & (np.sign(lo) != np.sign(hi))
    e = exponent - below.astype(exponent.dtype) - k
    out = np.ldexp(1.0, np.maximum(e - 1, emin) - precision + 1 + k)
    return np.where(hi == 0, np.ldexp(1.0, eta_exp + k), out)


def usable(case: VectorCase) -> bool:
    """Whether every exact value of the vector could be split (kept on the case)."""
    if case.fast is None:
        case.fast = all(p is not None for p in exact_parts(case))
    return case.fast


def _eligible(case: VectorCase, answer: Answer) -> list[float] | None:
    """The answer's values when the fast judge may look at it (a value answer of the right dtype and
    shape, every element certainly exact in the dtype, a vector whose exact values it can hold)."""
    if (not ENABLED or answer.kind != "output" or case.result != "valid" or answer.dtype != case.result_dtype
            or answer.shape != case.expected_shape):
        return None
    values = fast_hex_list(answer.data, case.result_dtype) if answer.data else []
    if values is None:  # spellings the quick reader leaves alone (subnormals, ...): read exactly
        try:
            values = [parse_hex(text, case.result_dtype) for text in answer.data]
        except HexFloatError:
            return None  # compare reports it
    if len(values) != len(case.expected) or not usable(case):
        return None
    return values


def try_compare(case: VectorCase, answer: Answer) -> Outcome | None:
    """compare(case, answer) when the answer clearly passes at every level, else None (then compare
    decides, exactly, with the same result it would give here)."""
    return judge_batch([(case, answer)])[0]


def judge_batch(pairs: list[tuple[VectorCase, Answer]]) -> list[Outcome | None]:
    """try_compare for each pair, with one set of numpy operations over all their elements; the clear
    passes are found for the whole batch at once and their figures read from plain lists."""
    out: list[Outcome | None] = [None] * len(pairs)
    chosen, values = [], []
    for j, (case, answer) in enumerate(pairs):
        v = _eligible(case, answer)
        if v is not None:
            chosen.append(j)
            values.append(v)
    if not chosen:
        return out
    a = _Arrays([pairs[j][0] for j in chosen])
    got = np.fromiter((x for v in values for x in v), dtype=np.float64, count=sum(a.sizes))
    ok, ulps, scaled = _figures(a, got)
    ends = np.cumsum(a.sizes)
    misses = np.concatenate(([0], np.cumsum(~ok)))[np.concatenate(([0], ends))]
    clear = (np.diff(misses) == 0).tolist()   # per case: no element left to the exact path
    finite, ulp_list = a.finite.tolist(), ulps.tolist()
    scaled_lists = {lv: s.tolist() for lv, s in scaled.items()}
    start = 0
    for j, n, is_clear in zip(chosen, a.sizes, clear):
        end = start + n
        if is_clear:
            out[j] = _passed(pairs[j][0], pairs[j][1], finite[start:end], ulp_list[start:end],
                             {lv: s[start:end] for lv, s in scaled_lists.items()})
        start = end
    return out


def clear_elements(case: VectorCase, values: list[float]
                   ) -> tuple[list[bool], list[float], dict[str, list[float]]] | None:
    """For compare: which elements of an answer clearly pass at every level (those need no exact
    arithmetic), with their ulp and scaled errors; None when the vector's exact values cannot be held."""
    if not ENABLED or len(values) != len(case.expected) or not usable(case):
        return None
    ok, ulps, scaled = _figures(_Arrays([case]), np.array(values, dtype=np.float64))
    return ok.tolist(), ulps.tolist(), {lv: s.tolist() for lv, s in scaled.items()}


def _figures(a: _Arrays, got: np.ndarray) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """Per element: whether it clearly passes at every level, its error in ulps and its error over each
    level's bound (0 where the expected value is not finite)."""
    finite, expected = a.finite, a.expected
    hi, lo, slack, scale, ulp = a.hi, a.lo, a.slack, a.scale, a.ulp
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        # special expected values compare by equality (NaN matches NaN); a finite one needs a finite answer
        same_special = ~finite & ((got == expected) | (np.isnan(got) & np.isnan(expected)))
        t = np.where(finite, got * scale - hi, 0.0)
        err = np.abs(t - lo)
        margin = _MARGIN * (np.abs(t) + np.abs(lo) + err) + slack * scale
        ok = np.where(finite, np.isfinite(err), same_special)
        # compare figures the later levels from the error rounded to a float64, which loses digits below
        # the normal range (and may even tie the bound there): such elements go to the exact path
        ok &= ~finite | (err == 0) | (err >= scale * 2.0 ** -1022)
        scaled_err = {}
        for lv in LEVELS:
            bound = a.bounds[lv] * scale
            ok &= ~finite | (err + margin < bound)   # a miss, or too close to call: the exact path
            scaled_err[lv] = np.where(finite, err / bound, 0.0)
        ulps = np.where(finite, err / ulp, 0.0)
    return ok, ulps, scaled_err


def _passed(case: VectorCase, answer: Answer, finite: list[bool], ulps: list[float], scaled: dict[str, list[float]]
            ) -> Outcome:
    """The outcome compare gives a clear pass: passed at every level, with its figures."""
    outcome = Outcome(case=case, status={lv: PASSED for lv in LEVELS},
                      got={"dtype": answer.dtype, "shape": answer.shape, "data": answer.data})
    outcome.ulp_errors = [u for u, f in zip(ulps, finite) if f]
    outcome.max_ulp = max(outcome.ulp_errors) if outcome.ulp_errors else None
    if outcome.ulp_errors:
        outcome.max_scaled = {lv: max(max(s), 0.0) for lv, s in scaled.items()}
    if ulps:
        outcome.worst_index = ulps.index(max(ulps))  # the first largest, as compare picks it
    return outcome
