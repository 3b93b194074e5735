"""The question the leaderboard answers: are our implementations at or below every framework?

For each function and dtype, each of our implementations is compared with each framework on the vectors
both judged as values (both have a measured ulp error): ours is at or below the framework when its max ulp
error there is no larger than the framework's, and when it fails no vector the framework passes. Every
case where that does not hold is listed, with both numbers and the worst tcId, so the report says where
we are not there.

Separately, "near correct rounding" checks our max ulp error on the well-conditioned vectors (those not
flagged Cancellation, whose bound is absolute rather than relative) against a few ulps.
"""
from __future__ import annotations

from dataclasses import dataclass

from .data import Cell, Run

NEAR_ROUNDING_ULPS = 4.0  # "within a few ulps of correct rounding"
_ILL_CONDITIONED = frozenset({"Cancellation"})
_GOOD = ("passed", "acceptable")


@dataclass
class Shortfall:
    """One (function, dtype, ours, framework) where ours is not at or below the framework."""
    function: str
    dtype: str
    ours: str
    framework: str
    ours_max_ulp: float
    framework_max_ulp: float
    ours_worst_tc: int | None
    common: int
    regressions: list[int]  # tcIds ours fails and the framework passes

    def describe(self) -> str:
        parts = []
        if self.ours_max_ulp > self.framework_max_ulp:
            parts.append(f"max ulp {_g(self.ours_max_ulp)} vs {_g(self.framework_max_ulp)} on {self.common} common "
                         f"vectors (ours worst at tcId {self.ours_worst_tc})")
        if self.regressions:
            shown = ", ".join(map(str, self.regressions[:8])) + (" ..." if len(self.regressions) > 8 else "")
            parts.append(f"fails {len(self.regressions)} vectors it passes (tcId {shown})")
        return "; ".join(parts)


@dataclass
class NearRounding:
    function: str
    dtype: str
    impl: str
    max_ulp: float
    tc_id: int


def _pair(function: str, dtype: str, ours: Cell, theirs: Cell) -> Shortfall | None:
    common = [t for t, v in ours.vectors.items()
              if v.ulp is not None and t in theirs.vectors and theirs.vectors[t].ulp is not None]
    ours_max = max((ours.vectors[t].ulp for t in common), default=0.0)
    theirs_max = max((theirs.vectors[t].ulp for t in common), default=0.0)
    regressions = sorted(t for t, v in ours.vectors.items()
                         if v.status in ("failed", "errored") and t in theirs.vectors
                         and theirs.vectors[t].status in _GOOD)
    if ours_max <= theirs_max and not regressions:
        return None
    worst = max(common, key=lambda t: ours.vectors[t].ulp, default=None)
    return Shortfall(function, dtype, ours.impl, theirs.impl, ours_max, theirs_max, worst, len(common), regressions)


def exceptions(ours: list[Run], frameworks: list[Run]) -> tuple[list[Shortfall], int]:
    """Every case where one of ours is not at or below a framework, and how many pairs were compared."""
    found: list[Shortfall] = []
    compared = 0
    for mine in ours:
        for key, cell in sorted(mine.cells.items()):
            for fw in frameworks:
                other = fw.cells.get(key)
                if other is None or not other.supported:
                    continue
                compared += 1
                e = _pair(*key, cell, other)
                if e:
                    found.append(e)
    return found, compared


def far_from_rounding(ours: list[Run], limit: float = NEAR_ROUNDING_ULPS) -> list[NearRounding]:
    """Our cells whose max ulp error on well-conditioned vectors exceeds `limit`."""
    out = []
    for run in ours:
        for (function, dtype), cell in sorted(run.cells.items()):
            judged = [v for v in cell.vectors.values()
                      if v.ulp is not None and not _ILL_CONDITIONED.intersection(v.flags)]
            if not judged:
                continue
            worst = max(judged, key=lambda v: v.ulp)
            if worst.ulp > limit:
                out.append(NearRounding(function, dtype, run.label, worst.ulp, worst.tc_id))
    return out


def _g(x: float) -> str:
    return f"{x:.3g}"
