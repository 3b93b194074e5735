"""Expected-failure baselines (`run --baseline FILE`, `run --write-baseline FILE`).

A baseline lists vectors a port is known to fail, each with a reason, as vector ids or as patterns:

    # YAML (or the same structure as JSON)
    baseline: 1
    entries:
      - id: softmax/float32/17                 # one vector (function/dtype/tcId; * and ? allowed)
        reason: "float32 sums in float32"
      - function: softmax_cross_entropy        # every vector of a function ...
        dtype: float32                         # ... optionally of one dtype (both take * and ?)
        flags: [LabelSmoothing]                # ... optionally only vectors carrying all these flags
        reason: "no label smoothing yet"

A failed vector that an entry matches becomes `xfail` (it no longer fails the run). An entry is *stale*
when the vectors it matches in this run were judged and none of them fails any more: the run then fails
(exit 1) until the entry is removed, unless `--allow-stale`. An entry that matches nothing judged in this
run (another function, a filtered run, unsupported vectors) is neither used nor stale.
"""
from __future__ import annotations

import fnmatch
import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

BASELINE_VERSION = 1
_KEYS = {"id", "function", "dtype", "flags", "reason"}


class BaselineError(Exception):
    """A baseline file that cannot be used; the message names the file and the entry."""


@dataclass
class Entry:
    reason: str
    id: str | None = None
    function: str | None = None
    dtype: str | None = None
    flags: tuple[str, ...] = ()
    matched: list[str] = field(default_factory=list)      # judged vectors it matches in this run
    failing: list[str] = field(default_factory=list)      # of those, the ones failing now (xfail)

    def matches(self, key: str, function: str, dtype: str, flags: list[str]) -> bool:
        if self.id is not None and not fnmatch.fnmatchcase(key, self.id):
            return False
        if self.function is not None and not fnmatch.fnmatchcase(function, self.function):
            return False
        if self.dtype is not None and not fnmatch.fnmatchcase(dtype, self.dtype):
            return False
        return all(f in flags for f in self.flags)

    @property
    def stale(self) -> bool:
        return bool(self.matched) and not self.failing

    def describe(self) -> str:
        parts = [f"id {self.id}"] if self.id else []
        parts += [f"function {self.function}"] if self.function else []
        parts += [f"dtype {self.dtype}"] if self.dtype else []
        parts += [f"flags {','.join(self.flags)}"] if self.flags else []
        return " ".join(parts)


@dataclass
class Baseline:
    path: str
    entries: list[Entry]

    def match(self, key: str, function: str, dtype: str, flags: list[str], failing: bool) -> Entry | None:
        """Record a judged vector against every matching entry; the first matching entry, if any."""
        first = None
        for e in self.entries:
            if e.matches(key, function, dtype, flags):
                e.matched.append(key)
                if failing:
                    e.failing.append(key)
                first = first or e
        return first

    def stale_entries(self) -> list[Entry]:
        return [e for e in self.entries if e.stale]


def _entry(raw: Any, where: str) -> Entry:
    if not isinstance(raw, dict):
        raise BaselineError(f"{where}: an entry is a mapping with a reason and an id or a pattern, got {raw!r:.80}")
    unknown = set(raw) - _KEYS
    if unknown:
        raise BaselineError(f"{where}: unknown key(s) {sorted(unknown)} (allowed: {sorted(_KEYS)})")
    reason = raw.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        raise BaselineError(f"{where}: every entry needs a non-empty reason")
    for key in ("id", "function", "dtype"):
        if key in raw and not isinstance(raw[key], str):
            raise BaselineError(f"{where}.{key}: must be a string, got {raw[key]!r:.80}")
    flags = raw.get("flags", [])
    if not isinstance(flags, list) or not all(isinstance(f, str) for f in flags):
        raise BaselineError(f"{where}.flags: must be a list of flag names")
    if not any(k in raw for k in ("id", "function")):
        raise BaselineError(f"{where}: give an id or a function pattern (a reason alone would match every vector)")
    return Entry(reason=reason.strip(), id=raw.get("id"), function=raw.get("function"), dtype=raw.get("dtype"),
                 flags=tuple(flags))


def load_baseline(path: str) -> Baseline:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise BaselineError(f"{path}: cannot read: {exc}") from None
    try:
        data = json.loads(text) if path.endswith(".json") else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError, RecursionError) as exc:
        raise BaselineError(f"{path}: not valid {'JSON' if path.endswith('.json') else 'YAML'}: {str(exc)[:300]}") from None
    if isinstance(data, list):
        data = {"entries": data}
    if not isinstance(data, dict) or not isinstance(data.get("entries"), list):
        raise BaselineError(f"{path}: expected a mapping with an 'entries' list (or a list of entries)")
    if data.get("baseline", BASELINE_VERSION) != BASELINE_VERSION:
        raise BaselineError(f"{path}: baseline format {data.get('baseline')!r}; this harness reads {BASELINE_VERSION}")
    return Baseline(path, [_entry(e, f"{path}: entries[{i}]") for i, e in enumerate(data["entries"])])


def write_baseline(path: str, failures: list[tuple[str, str]], impl: str, level: str) -> None:
    """Write (id, reason) pairs as a baseline file (JSON when the name ends in .json, else YAML)."""
    data = {"baseline": BASELINE_VERSION,
            "comment": f"failures of {impl} at level {level} on {date.today().isoformat()}; "
                       f"replace each reason by the real cause",
            "entries": [{"id": key, "reason": reason} for key, reason in failures]}
    if path.endswith(".json"):
        text = json.dumps(data, indent=1, ensure_ascii=False) + "\n"
    else:
        text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=120)
    Path(path).write_text(text, encoding="utf-8")
