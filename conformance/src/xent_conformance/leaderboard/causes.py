"""Why a framework fails the vectors it fails: frameworks/causes.yaml, matched against the failures.

The file maps a framework's label to a list of entries, first match wins:

    pytorch:
      - category: library defect                # one of CATEGORIES
        cause: "F.softplus returns z itself above its threshold 20: ..."
        vectors:                                # "function dtype": the tcIds it explains
          softplus float64: [1009, 1010]

Only numerics failures are matched: an input-validation failure (an error kind was expected) explains
itself, by what came back instead (a value: the library does not check; another kind; an error the spec
does not name), and is summarised per framework without an entry. A numerics failure that no entry
matches is listed as unexplained, so a new failure (new vectors, a new library version) shows up.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .data import Run

CATEGORIES = ("library defect", "semantics", "adapter", "spec question")
UNEXPLAINED = "cause not explained (no entry in frameworks/causes.yaml matches)"


class CausesError(ValueError):
    """A causes file that does not follow the format above."""


@dataclass(frozen=True)
class Cause:
    category: str
    text: str
    vectors: dict[tuple[str, str], frozenset[int]]  # (function, dtype) -> tcIds

    def matches(self, function: str, dtype: str, tc_id: int) -> bool:
        return tc_id in self.vectors.get((function, dtype), ())


def _vectors(where: str, data: Any) -> dict[tuple[str, str], frozenset[int]]:
    if not isinstance(data, dict) or not data:
        raise CausesError(f"{where}: 'vectors' maps \"function dtype\" to a list of tcIds")
    out = {}
    for key, ids in data.items():
        parts = str(key).split()
        if len(parts) != 2:
            raise CausesError(f"{where}: {key!r} is not \"function dtype\"")
        if not (isinstance(ids, list) and ids and all(type(t) is int for t in ids)):
            raise CausesError(f"{where}: {key}: tcIds must be a non-empty list of integers")
        out[(parts[0], parts[1])] = frozenset(ids)
    return out


def _entry(label: str, i: int, e: Any) -> Cause:
    where = f"{label}[{i}]"
    if not isinstance(e, dict) or not isinstance(e.get("cause"), str):
        raise CausesError(f"{where}: needs a string 'cause'")
    unknown = set(e) - {"category", "cause", "vectors"}
    if unknown:
        raise CausesError(f"{where}: unknown keys {sorted(unknown)}")
    if e.get("category") not in CATEGORIES:
        raise CausesError(f"{where}: category must be one of {', '.join(CATEGORIES)}")
    return Cause(e["category"], e["cause"], _vectors(where, e.get("vectors")))


def parse_causes(data: Any) -> dict[str, list[Cause]]:
    if data is None:
        return {}
    if not isinstance(data, dict) or not all(isinstance(v, list) for v in data.values()):
        raise CausesError("a causes file maps each framework label to a list of entries")
    return {str(label): [_entry(label, i, e) for i, e in enumerate(entries)] for label, entries in data.items()}


def load_causes(path: Path | None) -> dict[str, list[Cause]]:
    """The causes file, or nothing when there is none."""
    if path is None or not path.is_file():
        return {}
    try:
        return parse_causes(yaml.safe_load(path.read_text(encoding="utf-8")))
    except yaml.YAMLError as exc:
        raise CausesError(f"{path}: {exc}") from None
    except CausesError as exc:
        raise CausesError(f"{path}: {exc}") from None


def default_path() -> Path | None:
    """frameworks/causes.yaml of the checkout; None outside one (an installed wheel: no causes)."""
    from .. import paths
    try:
        return paths.repo_root() / "frameworks" / "causes.yaml"
    except paths.NoCheckout:
        return None


@dataclass
class Explained:
    """The failures of one run at one level that share a cause, by (function, dtype)."""
    category: str
    text: str
    vectors: dict[tuple[str, str], list[int]]

    @property
    def count(self) -> int:
        return sum(len(v) for v in self.vectors.values())


_VALIDATION = {"value": "returned a value: the library does not check this input",
               "kind": "raised another of the spec's error kinds (another check, or another precedence)"}
_VALIDATION_OTHER = "raised an error outside the spec's kinds (the library's own message, or a crash)"


def explain(run: Run, causes: list[Cause], level: str) -> list[Explained]:
    """The run's failed and errored vectors at `level`, grouped by cause in the file's order, then the
    input-validation groups, then the unexplained numerics failures (last, so they stand out)."""
    groups: dict[tuple[str, str], Explained] = {}
    order = [(c.category, c.text) for c in causes]
    for (function, dtype), cell in sorted(run.cells.items()):
        for v in cell.failures_at(level):
            if v.expects_error:
                key = ("input validation", _VALIDATION.get(v.got_kind or "", _VALIDATION_OTHER))
            else:
                cause = next((c for c in causes if c.matches(function, dtype, v.tc_id)), None)
                key = (cause.category, cause.text) if cause else ("unexplained", UNEXPLAINED)
            group = groups.setdefault(key, Explained(key[0], key[1], {}))
            group.vectors.setdefault((function, dtype), []).append(v.tc_id)
    rank = {k: i for i, k in enumerate(order)}
    return sorted(groups.values(), key=lambda g: (g.category == "unexplained", g.category == "input validation",
                                                  rank.get((g.category, g.text), len(rank)), g.text))
