"""Harness JSON reports (`xent-conformance run --report-json`) read into leaderboard cells.

One cell is function x implementation x dtype. Statuses are kept at both tolerance levels (`statusByLevel`:
`accurate` and `compatible`) for every implementation alike, whatever level decided each run's exit code;
one of them (default `accurate`) is the board's level, the one `status` and the comparison use.
The counts are the harness's own: a case the adapter declared outside its capabilities or answered
with a per-case `unsupported` (protocol 1.1) is unsupported there and here; nothing is re-counted. An
`xfail` (a run with a baseline) is a failure here: the leaderboard compares accuracy, not baselines.
"""
from __future__ import annotations

import json
import math
import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

STATUSES = ("passed", "acceptable", "failed", "errored", "unsupported")
LEVELS = ("accurate", "compatible")


class ReportError(ValueError):
    """A file that is not a harness JSON report."""


@dataclass
class Vector:
    """What the leaderboard keeps of one judged vector."""
    tc_id: int
    status: str                 # at the board's level
    ulp: float | None           # the vector's max ulp error (finite expected and result only)
    scaled: float | None        # the vector's max error / bound at the board's level
    flags: tuple[str, ...] = ()
    missed_error: bool = False  # failed although an error was expected (a value or another kind came back)
    statuses: dict[str, str] = field(default_factory=dict)  # level -> status, every level of LEVELS
    scaled_by_level: dict[str, float | None] = field(default_factory=dict)
    expects_error: bool = False  # an input-validation vector (an error kind expected), not numerics
    got_kind: str | None = None  # on a failure: "value", "kind" (a spec error kind) or "other" (see _got_kind)

    def status_at(self, level: str) -> str:
        return self.statuses.get(level, self.status)

    def missed_error_at(self, level: str) -> bool:
        return self.expects_error and self.status_at(level) == "failed"


@dataclass
class Cell:
    impl: str
    function: str
    dtype: str
    vectors: dict[int, Vector] = field(default_factory=dict)

    @property
    def counts(self) -> dict[str, int]:
        """Status counts at the board's level."""
        c = {s: 0 for s in STATUSES}
        for v in self.vectors.values():
            c[v.status] += 1
        return c

    def counts_at(self, level: str) -> dict[str, int]:
        c = {s: 0 for s in STATUSES}
        for v in self.vectors.values():
            c[v.status_at(level)] += 1
        return c

    @property
    def missed_errors(self) -> int:
        return sum(v.missed_error for v in self.vectors.values())

    def missed_errors_at(self, level: str) -> int:
        return sum(v.missed_error_at(level) for v in self.vectors.values())

    def failures_at(self, level: str) -> list[Vector]:
        """The failed and errored vectors at `level`, by tcId."""
        return sorted((v for v in self.vectors.values() if v.status_at(level) in ("failed", "errored")),
                      key=lambda v: v.tc_id)

    @property
    def supported(self) -> int:
        return len(self.vectors) - self.counts["unsupported"]

    def ulps(self) -> list[float]:
        return [v.ulp for v in self.vectors.values() if v.ulp is not None]

    @property
    def max_ulp(self) -> float | None:
        u = self.ulps()
        return max(u) if u else None

    @property
    def median_ulp(self) -> float | None:
        u = self.ulps()
        return statistics.median(u) if u else None

    @property
    def max_scaled(self) -> float | None:
        s = [v.scaled for v in self.vectors.values() if v.scaled is not None]
        return max(s) if s else None

    @property
    def worst(self) -> Vector | None:
        """The worst vector at the board's level (see `worst_at`)."""
        return self.worst_at(None)

    def worst_at(self, level: str | None) -> Vector | None:
        """The worst vector at `level` (None: the board's): a failed one first (one with no measurable
        error, such as NaN for a value, counts as infinitely bad), then the largest error relative to its
        bound, then the larger ulp."""
        def badness(v: Vector) -> tuple:
            failed = v.status_at(level) in ("failed", "errored") if level else v.status in ("failed", "errored")
            s = v.scaled_by_level.get(level) if level else v.scaled
            scaled = s if s is not None else (math.inf if failed else -1.0)
            return (failed, scaled, v.ulp or 0.0, -v.tc_id)
        judged = [v for v in self.vectors.values() if v.status != "unsupported"]
        return max(judged, key=badness) if judged else None

    def max_scaled_at(self, level: str) -> float | None:
        s = [v.scaled_by_level.get(level) for v in self.vectors.values()]
        s = [x for x in s if x is not None]
        return max(s) if s else None


@dataclass
class Run:
    """One implementation's report."""
    label: str
    name: str
    version: str
    elapsed: float | None
    verdict: str
    start_error: str | None
    cells: dict[tuple[str, str], Cell]


def _float(x: Any) -> float | None:
    if x is None:
        return None
    try:
        v = float(x)  # the report writes inf and nan as strings
    except (TypeError, ValueError):
        return None
    return None if math.isnan(v) else v


def _status(result: dict[str, Any], level: str) -> str:
    status = (result.get("statusByLevel") or {}).get(level, result.get("status"))
    if status == "xfail":
        status = "failed"
    if status not in STATUSES:
        raise ReportError(f"unknown status {status!r}")
    return status


SPEC_ERROR_KINDS = frozenset({"invalid_shape", "shape_mismatch", "index_out_of_range", "invalid_probability",
                              "invalid_argument"})


def _got_kind(got: Any) -> str | None:
    """What a failing vector's answer was: a value, one of the spec's error kinds, or something else."""
    if not isinstance(got, dict):
        return None
    if "data" in got or "dtype" in got:
        return "value"
    return "kind" if got.get("kind") in SPEC_ERROR_KINDS else "other"


def _vector(result: dict[str, Any], level: str) -> Vector:
    statuses = {lv: _status(result, lv) for lv in LEVELS}
    statuses.setdefault(level, _status(result, level))
    expected = result.get("expected")
    # the harness marks validation vectors by kind; older reports only carry `expected` on failures
    expects_error = (result.get("kind") == "inputValidation"
                     or (isinstance(expected, dict) and "error" in expected))
    scaled = {lv: _float((result.get("maxScaledError") or {}).get(lv)) for lv in statuses}
    status = statuses[level]
    return Vector(tc_id=int(result["tcId"]), status=status, ulp=_float(result.get("maxUlp")),
                  scaled=scaled[level], flags=tuple(result.get("flags") or ()),
                  missed_error=expects_error and status == "failed", statuses=statuses,
                  scaled_by_level=scaled, expects_error=expects_error, got_kind=_got_kind(result.get("got")))


def parse_report(data: dict[str, Any], label: str | None = None, level: str = "accurate") -> Run:
    """A harness report (the dict `--report-json` writes) as a Run."""
    if not isinstance(data, dict) or not isinstance(data.get("results"), list):
        raise ReportError("not a harness JSON report (no 'results' list)")
    impl = data.get("implementation") or {}
    label = label or impl.get("name") or impl.get("impl") or "?"
    cells: dict[tuple[str, str], Cell] = {}
    for r in data["results"]:
        key = (r["function"], r["dtype"])
        cell = cells.setdefault(key, Cell(label, *key))
        v = _vector(r, level)
        cell.vectors[v.tc_id] = v
    return Run(label=label, name=str(impl.get("name") or label), version=str(impl.get("version") or ""),
               elapsed=_float(data.get("elapsedSeconds")), verdict=str(data.get("verdict", "")),
               start_error=data.get("startError"), cells=cells)


def load_report(path: str | Path, label: str | None = None, level: str = "accurate") -> Run:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ReportError(f"{path}: {exc}") from None
    try:
        return parse_report(data, label, level)
    except (KeyError, TypeError, ReportError) as exc:
        raise ReportError(f"{path}: {exc}") from None
