"""Central comparison: one answer against one vector, at both tolerance levels, with tolerance.judge."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ..dtypes import dtype_named
from ..hexfloat import HexFloatError, format_hex, parse_hex
from ..tolerance import RANGE_EXTREME, Verdict, judge, range_extreme_ok
from .protocol import ERROR_KINDS, Answer
from .vectors import LEVELS, VectorCase

PASSED = "passed"
FAILED = "failed"
ERRORED = "errored"
ACCEPTABLE = "acceptable"
UNSUPPORTED = "unsupported"
STATUSES = (PASSED, FAILED, ERRORED, ACCEPTABLE, UNSUPPORTED)


@dataclass
class Outcome:
    """What happened to one vector. `status` maps each level to a status (the same at both levels
    unless the vector was judged on values)."""
    case: VectorCase
    status: dict[str, str]
    detail: str = ""
    got: Any = None                       # the answer's output tensor or error object, as sent
    worst_index: int | None = None
    ulp_errors: list[float] = field(default_factory=list)   # finite expected and finite result
    max_ulp: float | None = None
    max_scaled: dict[str, float] = field(default_factory=dict)  # |err| / bound per level

    def at(self, level: str) -> str:
        return self.status[level]


def uniform(case: VectorCase, status: str, detail: str, got: Any = None) -> Outcome:
    return Outcome(case=case, status={lv: status for lv in LEVELS}, detail=detail, got=got)


def errored(case: VectorCase, detail: str, got: Any = None) -> Outcome:
    return uniform(case, ERRORED, detail, got)


def _exact_text(value: float) -> str:
    return str(Decimal(value))  # exact decimal expansion of a binary float


def _judge_levels(got: float, expected: float, exact: str, bounds: dict[str, list[float]], i: int, dt) -> dict[str, Verdict]:
    """judge() at the first level; the other levels reuse its measured error unless the rounded error
    ties with their bound (then judge() decides). Exact, and half the high-precision work."""
    first = judge(got, expected, exact, bounds[LEVELS[0]][i], dt)
    out = {LEVELS[0]: first}
    for lv in LEVELS[1:]:
        bound = bounds[lv][i]
        err = first.abs_error
        if not math.isfinite(expected) or not math.isfinite(got) or err == bound or bound <= 0:
            out[lv] = judge(got, expected, exact, bound, dt)
        else:
            # abs_error is the exact error rounded faithfully to a float and bound is a float, so
            # abs_error < bound implies err < bound and abs_error > bound implies err > bound; the tie
            # abs_error == bound is left to judge() above
            out[lv] = Verdict(err < bound, err, first.ulp_error, err / bound)
    return out


def _alternative_ok(case: VectorCase, values: list[float], i: int, bound: float, dt) -> bool:
    """Element i matches element i of some acceptable alternative. Alternatives are judged per element,
    not per tensor: each element may take the expected value or any alternative's value at its place."""
    g = values[i]
    for acc in case.acceptable:
        if acc.shape != case.expected_shape or i >= len(acc.values):
            continue
        a = acc.values[i]
        if judge(g, a, _exact_text(a) if math.isfinite(a) else format_hex(a), bound, dt).ok:
            return True
    return False


RANGE_EXTREME_REASON = "range extreme: the outcome of plain float arithmetic, accepted at compatible"


def _rescue(case: VectorCase, values: list[float], i: int, level: str, dt) -> str | None:
    """Why element i, which misses its bound at `level`, is still acceptable, or None."""
    bound = case.bounds[level][i]
    if _alternative_ok(case, values, i, bound, dt):
        return "matches an acceptable output"
    if level == "compatible" and range_extreme_ok(values[i], case.exact[i], bound, dt, RANGE_EXTREME in case.flags):
        return RANGE_EXTREME_REASON
    return None


def compare(case: VectorCase, answer: Answer) -> Outcome:
    """The verdict on one well-formed answer (ids already matched)."""
    if answer.kind == "error":
        got = {"kind": answer.error_kind, "message": answer.message}
        unknown = "" if answer.error_kind in ERROR_KINDS else " (not one of the spec's error kinds)"
        if case.result == "error":
            if answer.error_kind == case.error_kind:
                return uniform(case, PASSED, "", got)
            return uniform(case, FAILED, f"expected error {case.error_kind}, got error {answer.error_kind}{unknown}: "
                                         f"{answer.message}", got)
        return uniform(case, FAILED, f"expected a value, got error {answer.error_kind}{unknown}: {answer.message}", got)

    got_tensor = {"dtype": answer.dtype, "shape": answer.shape, "data": answer.data}
    if case.result == "error":
        return uniform(case, FAILED, f"expected error {case.error_kind}, got a value", got_tensor)
    if answer.dtype != case.result_dtype:
        return uniform(case, FAILED, f"output dtype {answer.dtype!r}, expected {case.result_dtype!r}", got_tensor)
    if answer.shape != case.expected_shape:
        return uniform(case, FAILED, f"output shape {answer.shape}, expected {case.expected_shape}", got_tensor)
    values: list[float] = []
    for i, text in enumerate(answer.data or []):
        try:
            values.append(parse_hex(text, "float64"))
        except HexFloatError as exc:
            return errored(case, f"output.data[{i}]: {exc}", got_tensor)
        try:
            parse_hex(text, case.result_dtype)
        except HexFloatError as exc:
            return uniform(case, FAILED, f"output.data[{i}]: {exc}", got_tensor)

    dt = dtype_named(case.result_dtype)
    out = Outcome(case=case, status={}, got=got_tensor)
    failed = {lv: False for lv in LEVELS}
    reasons: dict[str, set[str]] = {lv: set() for lv in LEVELS}
    worst_key: tuple | None = None
    from .fastjudge import clear_elements  # (fastjudge builds on this module)
    clear = clear_elements(case, values)
    for i, g in enumerate(values):
        exp, exact = case.expected[i], case.exact[i]
        if clear is not None and clear[0][i]:
            # a clear pass at every level, decided without exact arithmetic (fastjudge), figures included
            verdicts = {lv: Verdict(True, math.nan, clear[1][i], clear[2][lv][i]) for lv in LEVELS}
        else:
            verdicts = _judge_levels(g, exp, exact, case.bounds, i, dt)
        misses = 0
        for lv, v in verdicts.items():
            if not v.ok:
                why = _rescue(case, values, i, lv, dt)
                if why is None:
                    failed[lv] = True
                    misses += 1
                else:
                    reasons[lv].add(why)
            if math.isfinite(exp) and math.isfinite(g):
                out.max_scaled[lv] = max(out.max_scaled.get(lv, 0.0), v.scaled_error)
        ulps = verdicts["accurate"].ulp_error
        if math.isfinite(exp) and math.isfinite(g):
            out.ulp_errors.append(ulps)
        key = (misses, ulps)
        if worst_key is None or key > worst_key:
            worst_key, out.worst_index = key, i
    out.max_ulp = max(out.ulp_errors) if out.ulp_errors else None

    for lv in LEVELS:
        out.status[lv] = FAILED if failed[lv] else ACCEPTABLE if reasons[lv] else PASSED
    failing = [lv for lv in LEVELS if out.status[lv] == FAILED]
    if failing and out.worst_index is not None:
        i = out.worst_index
        v = judge(values[i], case.expected[i], case.exact[i], case.bounds[failing[0]][i], dt)
        out.detail = (f"element {i}: got {answer.data[i]}, expected {case.expected_text[i]} "
                      f"({_fmt_ulps(v.ulp_error)} ulp, {v.scaled_error:.3g} x the {failing[0]} bound)")
    for lv in LEVELS:  # what made a level acceptable is reported with it (range extremes apart)
        if out.status[lv] == ACCEPTABLE:
            why = "; ".join(sorted(reasons[lv]))
            out.detail = f"{out.detail}; at {lv}: {why}" if failing else why if not out.detail else out.detail
    return out


def _fmt_ulps(x: float) -> str:
    if math.isinf(x):
        return "inf"
    return f"{x:.3g}"
