"""Reports of a run: a rich terminal summary, JSON, JUnit XML and Markdown.

Statuses are those of the deciding level (`--level`); the JSON report carries both levels. With a
baseline (`--baseline`), failed vectors the baseline lists are `xfail` at the deciding level. Vectors
whose expected outcome is an error are *input validation*; the others *numerics*: both get a line of
their own, and `--numerics-only` keeps validation out of the exit code.
"""
from __future__ import annotations

import json
import math
import shlex
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import __version__
from .baseline import Baseline
from .compare import ACCEPTABLE, ERRORED, FAILED, PASSED, UNSUPPORTED, Outcome
from .protocol import clean
from .runner import RunResult
from .vectors import LEVELS

XFAIL = "xfail"
STATUSES = (PASSED, FAILED, XFAIL, ERRORED, ACCEPTABLE, UNSUPPORTED)
OK_STATUSES = (PASSED, ACCEPTABLE)

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_ADAPTER = 2
EXIT_NOTHING_TESTED = 3
EXIT_USAGE = 64
EXIT_VECTORS = 65


def make_console(stderr: bool = False):
    """A rich console: the terminal's width on a terminal; otherwise wide enough that no table is cut
    or wrapped at 80 columns (CI logs, files, pipes)."""
    from rich.console import Console
    stream = sys.stderr if stderr else sys.stdout
    return Console(stderr=stderr, highlight=False, width=None if stream.isatty() else 1000)


@dataclass
class Group:
    function: str
    dtype: str
    counts: dict[str, int] = field(default_factory=lambda: {s: 0 for s in STATUSES})
    ulps_passing: list[float] = field(default_factory=list)
    ulps_failing: list[float] = field(default_factory=list)
    max_scaled: dict[str, float] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def supported(self) -> int:
        return self.total - self.counts[UNSUPPORTED]

    @property
    def passing(self) -> int:
        return self.counts[PASSED] + self.counts[ACCEPTABLE]

    @property
    def ulps(self) -> list[float]:
        return self.ulps_passing + self.ulps_failing

    @property
    def max_ulp(self) -> float | None:
        return max(self.ulps) if self.ulps else None

    @property
    def max_ulp_passing(self) -> float | None:
        return max(self.ulps_passing) if self.ulps_passing else None

    @property
    def max_ulp_failing(self) -> float | None:
        return max(self.ulps_failing) if self.ulps_failing else None

    @property
    def mean_ulp(self) -> float | None:
        u = self.ulps
        return sum(u) / len(u) if u else None

    def add(self, other: "Group") -> None:
        for k, v in other.counts.items():
            self.counts[k] += v


def share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def format_share(x: float | None) -> str:
    """A share as a percentage that never rounds a miss to 100 % or a hit to 0 %."""
    if x is None:
        return "-"
    pct = 100 * x
    if 0 < pct < 1:
        return "<1%"
    if 99 < pct < 100:
        return ">99%"
    return f"{pct:.0f}%"


@dataclass
class Part:
    """Numerics or input validation: the vectors of one kind that were judged (not unsupported)."""
    name: str
    counts: dict[str, int] = field(default_factory=lambda: {s: 0 for s in STATUSES})
    wrong_kind: int = 0          # validation: rejected with another kind
    accepted: int = 0            # validation: answered with a value

    @property
    def judged(self) -> int:
        return sum(self.counts.values()) - self.counts[UNSUPPORTED]

    @property
    def ok(self) -> int:
        return self.counts[PASSED] + self.counts[ACCEPTABLE]

    @property
    def bad(self) -> int:
        return self.counts[FAILED] + self.counts[ERRORED]


@dataclass
class Report:
    impl_label: str
    level: str
    result: RunResult
    rerun_base: list[str]
    require_all: bool = False
    baseline: Baseline | None = None
    allow_stale: bool = False
    numerics_only: bool = False
    level_why: str = ""

    def __post_init__(self) -> None:
        self.groups: dict[tuple[str, str], Group] = {}
        self.counts = {s: 0 for s in STATUSES}
        self.status: dict[str, str] = {}
        self.xfail_reason: dict[str, str] = {}
        self.numerics = Part("numerics")
        self.validation = Part("input validation")
        for o in self.result.outcomes:
            s = self._status(o)
            self.status[o.case.key] = s
            key = (o.case.function, o.case.dtype)
            g = self.groups.setdefault(key, Group(*key))
            g.counts[s] += 1
            self.counts[s] += 1
            (g.ulps_passing if s in OK_STATUSES else g.ulps_failing).extend(o.ulp_errors)
            for lv, v in o.max_scaled.items():
                g.max_scaled[lv] = max(g.max_scaled.get(lv, 0.0), v)
            self._count_part(o, s)
        self.total = len(self.result.outcomes)
        self.stale = self.baseline.stale_entries() if self.baseline else []
        assert sum(self.counts.values()) == self.total

    def _status(self, o: Outcome) -> str:
        s = o.at(self.level)
        # unsupported and errored vectors say nothing about a baseline entry (neither xfail nor stale)
        if self.baseline is None or s in (UNSUPPORTED, ERRORED) or o.case.key in self.status:
            return s
        entry = self.baseline.match(o.case.key, o.case.function, o.case.dtype, o.case.flags, s == FAILED)
        if entry is not None and s == FAILED:
            self.xfail_reason[o.case.key] = entry.reason
            return XFAIL
        return s

    def _count_part(self, o: Outcome, s: str) -> None:
        part = self.validation if o.case.result == "error" else self.numerics
        part.counts[s] += 1
        if part is self.validation and s in (FAILED, XFAIL):
            if isinstance(o.got, dict) and "kind" in o.got:
                part.wrong_kind += 1
            else:
                part.accepted += 1

    # ------------------------------------------------------------------ verdicts
    @property
    def judged(self) -> int:
        return self.total - self.counts[UNSUPPORTED]

    def _failing(self) -> bool:
        parts = [self.numerics] if self.numerics_only else [self.numerics, self.validation]
        return any(p.counts[FAILED] for p in parts)

    @property
    def exit_code(self) -> int:
        if self.result.start is None or self.counts[ERRORED]:
            return EXIT_ADAPTER
        if self.judged == 0:
            return EXIT_NOTHING_TESTED
        if self._failing() or (self.require_all and self.counts[UNSUPPORTED]):
            return EXIT_FAILED
        if self.stale and not self.allow_stale:
            return EXIT_FAILED
        return EXIT_OK

    @property
    def verdict(self) -> str:
        code = self.exit_code
        if code == EXIT_OK:
            text = "CONFORMS" if not self.counts[UNSUPPORTED] else "CONFORMS (on what it supports)"
            if self.counts[XFAIL]:
                text += f" (with {self.counts[XFAIL]} expected failures)"
            if self.numerics_only and self.validation.counts[FAILED]:
                text += " (numerics only)"
            return text
        if code == EXIT_ADAPTER:
            if self.result.start is None:
                return "ADAPTER COULD NOT BE STARTED"
            return "ADAPTER ERRORS (crash, timeout or protocol violation)"
        if code == EXIT_NOTHING_TESTED:
            return "NOTHING TESTED (every vector is unsupported)"
        if not self._failing() and self.stale and not (self.require_all and self.counts[UNSUPPORTED]):
            return f"STALE BASELINE ({len(self.stale)} entries match only passing vectors)"
        return "DOES NOT CONFORM"

    def balance_line(self) -> str:
        c = self.counts
        xfail = f" + {c[XFAIL]} xfail" if self.baseline is not None or c[XFAIL] else ""
        return (f"{c[PASSED]} passed + {c[FAILED]} failed{xfail} + {c[ERRORED]} errored + {c[ACCEPTABLE]} acceptable + "
                f"{c[UNSUPPORTED]} unsupported = {self.total} vectors")

    def part_lines(self) -> list[str]:
        """"numerics: CONFORMS 8971/8971" and "input validation: 41/64 rejected ..."."""
        n, v = self.numerics, self.validation
        if n.judged == 0:
            head = "numerics: NOTHING TESTED"
        else:
            word = "CONFORMS" if not n.bad else "DOES NOT CONFORM"
            head = f"numerics: {word} {n.ok}/{n.judged}" + _extras(n)
        if v.judged == 0:
            tail = "input validation: nothing tested"
        else:
            tail = f"input validation: {v.ok}/{v.judged} rejected with the expected kind"
            more = [f"{v.wrong_kind} with another kind"] if v.wrong_kind else []
            more += [f"{v.accepted} accepted (a value came back)"] if v.accepted else []
            more += [f"{v.counts[XFAIL]} xfail"] if v.counts[XFAIL] else []
            more += [f"{v.counts[ERRORED]} errored"] if v.counts[ERRORED] else []
            tail += f" ({', '.join(more)})" if more else ""
            tail += " (reported only: --numerics-only)" if self.numerics_only else ""
        return [head, tail]

    def problems(self) -> list[Outcome]:
        return [o for o in self.result.outcomes if self.status[o.case.key] in (FAILED, ERRORED)]

    def other_level_only(self) -> list[Outcome]:
        """Vectors that pass at the deciding level but fail at another one."""
        return [o for o in self.result.outcomes if self.status[o.case.key] in OK_STATUSES
                and any(o.at(lv) in (FAILED, ERRORED) for lv in LEVELS if lv != self.level)]

    def unsupported_reasons(self) -> list[tuple[str, int]]:
        c = Counter(o.detail or "unsupported" for o in self.result.outcomes if self.status[o.case.key] == UNSUPPORTED)
        return c.most_common()

    def protocol_error_counts(self) -> dict[str, int]:
        """How many vectors the adapter answered with bad_request / internal_error (D7)."""
        from .protocol import PROTOCOL_ERROR_KINDS
        c: Counter = Counter()
        for o in self.result.outcomes:
            if isinstance(o.got, dict) and o.got.get("kind") in PROTOCOL_ERROR_KINDS:
                c[o.got["kind"]] += 1
        return dict(c)

    def rerun_command(self, o: Outcome) -> str:
        return shlex.join(self.rerun_base + ["--function", o.case.function, "--dtype", o.case.dtype,
                                             "--tcid", str(o.case.tc_id)])

    def functions(self) -> dict[str, Group]:
        """Per function, over its dtypes."""
        out: dict[str, Group] = {}
        for g in self.groups.values():
            out.setdefault(g.function, Group(g.function, "*")).add(g)
        return out

    def level_explanations(self, o: Outcome) -> list[str]:
        """One line per level: its status, the largest error / bound and that level's bound at the
        worst element (so each explanation quotes its own bound)."""
        lines = []
        i = o.worst_index
        for lv in LEVELS:
            text = f"{lv}: {o.at(lv)}"
            bounds = o.case.bounds.get(lv) or []
            if i is not None and i < len(bounds):
                text += f"; bound at element {i}: {format_figure(bounds[i])}"
            if lv in o.max_scaled:
                text += f"; largest error = {format_figure(o.max_scaled[lv])} x the {lv} bound"
            lines.append(text + (" (deciding level)" if lv == self.level else ""))
        return lines

    # ------------------------------------------------------------------ JSON
    def to_json(self) -> dict[str, Any]:
        r = self.result
        n, v = self.numerics, self.validation
        return {
            "tool": f"xent-conformance {__version__}",
            "implementation": {"impl": self.impl_label, **(r.start.implementation if r.start else {})},
            "capabilities": r.start.capabilities_json() if r.start else None,
            "startError": r.start_error,
            "level": self.level,
            "levelReason": self.level_why,
            "exitCode": self.exit_code,
            "verdict": self.verdict,
            "total": self.total,
            "counts": self.counts,
            "balance": self.balance_line(),
            "numerics": {"judged": n.judged, "ok": n.ok, "counts": n.counts, "line": self.part_lines()[0]},
            "inputValidation": {"judged": v.judged, "rejected": v.ok, "wrongKind": v.wrong_kind,
                                "accepted": v.accepted, "counts": v.counts, "countsForExitCode": not self.numerics_only,
                                "line": self.part_lines()[1]},
            "unsupportedReasons": [{"reason": k, "count": c} for k, c in self.unsupported_reasons()],
            "protocolErrors": self.protocol_error_counts(),
            "baseline": self._baseline_json(),
            "restarts": r.restarts,
            "elapsedSeconds": round(r.elapsed, 3),
            "functions": [{"function": g.function, "total": g.total, "supported": g.supported, "passing": g.passing,
                           "supportedShare": _num(share(g.supported, g.total)),
                           "passingShareOfSupported": _num(share(g.passing, g.supported))}
                          for g in self.functions().values()],
            "groups": [{
                "function": g.function, "dtype": g.dtype, "total": g.total, "counts": g.counts,
                "supportedShare": _num(share(g.supported, g.total)),
                "passingShareOfSupported": _num(share(g.passing, g.supported)),
                "maxUlp": _num(g.max_ulp), "meanUlp": _num(g.mean_ulp),
                "maxUlpPassing": _num(g.max_ulp_passing), "maxUlpFailing": _num(g.max_ulp_failing),
                "maxScaledError": {lv: _num(x) for lv, x in g.max_scaled.items()},
            } for g in self.groups.values()],
            "results": [self._case_json(o) for o in r.outcomes],
            "events": r.events,
            "adapterStderr": r.stderr,
        }

    def _baseline_json(self) -> dict[str, Any] | None:
        if self.baseline is None:
            return None
        return {"file": self.baseline.path, "allowStale": self.allow_stale,
                "entries": [{"match": e.describe(), "reason": e.reason, "matched": len(e.matched),
                             "failing": len(e.failing), "stale": e.stale} for e in self.baseline.entries],
                "stale": [e.describe() for e in self.stale]}

    def _case_json(self, o: Outcome) -> dict[str, Any]:
        c = o.case
        status = self.status[c.key]
        d: dict[str, Any] = {"id": c.key, "function": c.function, "dtype": c.dtype, "tcId": c.tc_id,
                             "status": status, "statusByLevel": o.status,
                             "kind": "inputValidation" if c.result == "error" else "numerics"}
        if c.flags:
            d["flags"] = c.flags
        if o.detail:
            d["detail"] = o.detail
        if c.key in self.xfail_reason:
            d["baselineReason"] = self.xfail_reason[c.key]
        if o.max_ulp is not None:
            d["maxUlp"] = _num(o.max_ulp)
        if o.max_scaled:
            d["maxScaledError"] = {lv: _num(v) for lv, v in o.max_scaled.items()}
        # every vector failing at some level shows what it is about, not only those failing the deciding one
        if status in (FAILED, ERRORED, XFAIL) or any(s in (FAILED, ERRORED) for s in o.status.values()):
            d["comment"] = c.comment
            d["source"] = c.source
            d["inputs"] = c.inputs
            d["params"] = c.params
            d["expected"] = ({"error": c.error_kind} if c.result == "error" else
                             {"dtype": c.dtype, "shape": c.expected_shape, "data": c.expected_text})
            d["got"] = o.got
            d["levels"] = self.level_explanations(o)
            d["rerun"] = self.rerun_command(o)
        return d

    # ------------------------------------------------------------------ JUnit
    def to_junit(self) -> str:
        c = self.counts
        root = ET.Element("testsuites", name=f"xent conformance: {self.impl_label}", tests=str(self.total),
                          failures=str(c[FAILED]), errors=str(c[ERRORED]),
                          skipped=str(c[UNSUPPORTED] + c[XFAIL]), time=f"{self.result.elapsed:.3f}")
        by_group: dict[tuple[str, str], list[Outcome]] = {}
        for o in self.result.outcomes:
            by_group.setdefault((o.case.function, o.case.dtype), []).append(o)
        for (function, dtype), outcomes in by_group.items():
            g = self.groups[(function, dtype)]
            suite = ET.SubElement(root, "testsuite", name=f"{function}.{dtype}", tests=str(g.total),
                                  failures=str(g.counts[FAILED]), errors=str(g.counts[ERRORED]),
                                  skipped=str(g.counts[UNSUPPORTED] + g.counts[XFAIL]))
            for o in outcomes:
                tc = ET.SubElement(suite, "testcase", classname=f"xent.{function}.{dtype}",
                                   name=f"tcId {o.case.tc_id}" + (f" [{', '.join(o.case.flags)}]" if o.case.flags else ""))
                s = self.status[o.case.key]
                body = f"{o.detail}\nrerun: {self.rerun_command(o)}"
                if s == FAILED:
                    ET.SubElement(tc, "failure", message=_xml_safe(o.detail[:500]), type="failed").text = _xml_safe(body)
                elif s == ERRORED:
                    ET.SubElement(tc, "error", message=_xml_safe(o.detail[:500]), type="errored").text = _xml_safe(body)
                elif s == UNSUPPORTED:
                    ET.SubElement(tc, "skipped", message=_xml_safe(o.detail))
                elif s == XFAIL:
                    ET.SubElement(tc, "skipped", type="xfail", message=_xml_safe(
                        f"expected failure ({self.xfail_reason[o.case.key]}): {o.detail}"[:500]))
                elif s == ACCEPTABLE:
                    ET.SubElement(tc, "system-out").text = _xml_safe("acceptable: " + o.detail)
        err = ET.SubElement(root, "system-err")
        err.text = _xml_safe(self.result.stderr)
        ET.indent(root)
        return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"

    # ------------------------------------------------------------------ Markdown
    def to_markdown(self, max_problems: int = 50) -> str:
        r = self.result
        name = clean(r.start.name if r.start else self.impl_label)
        lines = [f"# xent conformance: {_md(name)}", "",
                 f"**{self.verdict}** at level `{self.level}` (exit code {self.exit_code}). {self.balance_line()}.", ""]
        lines += [f"- {_md(x)}" for x in self.part_lines()] + [""]
        if r.start_error:
            lines += [f"The adapter could not be started: {_md(r.start_error)}", ""]
        lines += ["| function | dtype | total | supported | passing of supported | passed | acceptable | failed | xfail | "
                  "errored | unsupported | max ulp (passing) | max ulp (failing) | mean ulp | max eC |",
                  "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for g in self.groups.values():
            c = g.counts
            lines.append(f"| {g.function} | {g.dtype} | {g.total} | {format_share(share(g.supported, g.total))} | "
                         f"{format_share(share(g.passing, g.supported))} | {c[PASSED]} | {c[ACCEPTABLE]} | {c[FAILED]} | "
                         f"{c[XFAIL]} | {c[ERRORED]} | {c[UNSUPPORTED]} | {format_figure(g.max_ulp_passing)} | "
                         f"{format_figure(g.max_ulp_failing)} | {format_figure(g.mean_ulp)} | "
                         f"{format_figure(g.max_scaled.get('accurate'))} |")
        lines += self._md_reasons()
        problems = self.problems()
        if problems:
            lines += ["", f"## Failures and errors ({len(problems)})", ""]
            for o in problems[:max_problems]:
                flags = f" [{', '.join(o.case.flags)}]" if o.case.flags else ""
                lines.append(f"- **{o.case.key}** {self.status[o.case.key]}{flags}: {_md(o.detail)}  ")
                lines.append(f"  `{self.rerun_command(o)}`")
            if len(problems) > max_problems:
                lines.append(f"- ... and {len(problems) - max_problems} more (see the JSON report)")
        if r.events:
            lines += ["", "## Adapter events", ""] + [f"- {_md(e)}" for e in r.events[:50]]
        return "\n".join(lines) + "\n"

    def _md_reasons(self) -> list[str]:
        lines = []
        reasons = self.unsupported_reasons()
        if reasons:
            lines += ["", "## Unsupported (reasons)", ""] + [f"- {n} x {_md(k)}" for k, n in reasons[:30]]
        if self.counts[XFAIL] or self.stale:
            lines += ["", "## Baseline", "", f"- {self.counts[XFAIL]} expected failures (xfail)"]
            lines += [f"- stale: {_md(e.describe())} ({_md(e.reason)})" for e in self.stale]
        return lines

    # ------------------------------------------------------------------ terminal
    def print_terminal(self, console, max_problems: int = 20) -> None:
        from rich.markup import escape
        from rich.table import Table
        r = self.result
        title = f"xent conformance: {clean(r.start.name if r.start else self.impl_label)} (level {self.level})"
        table = Table(title=escape(title), show_lines=False)
        for col in ("function", "dtype", "total", "supp.", "pass/supp.", "passed", "accept.", "failed", "xfail",
                    "errored", "unsupp.", "max ulp pass", "max ulp fail", "mean ulp", "max eC"):
            table.add_column(col, justify="left" if col in ("function", "dtype") else "right")
        for g in self.groups.values():
            c = g.counts
            table.add_row(g.function, g.dtype, str(g.total), format_share(share(g.supported, g.total)),
                          format_share(share(g.passing, g.supported)), _styled(c[PASSED], "green"),
                          _styled(c[ACCEPTABLE], "yellow"), _styled(c[FAILED], "red"), str(c[XFAIL]),
                          _styled(c[ERRORED], "magenta"), str(c[UNSUPPORTED]), format_figure(g.max_ulp_passing),
                          format_figure(g.max_ulp_failing), format_figure(g.mean_ulp),
                          format_figure(g.max_scaled.get("accurate")))
        console.print(table)
        plain = {"markup": False, "highlight": False, "soft_wrap": True}
        if self.level_why:
            console.print(f"level: {self.level} ({self.level_why})", **plain)
        problems = self.problems() if r.start is not None else []
        if r.start is None:
            console.print(f"the adapter could not be started: {clean(r.start_error)}", **plain)
        for o in problems[:max_problems]:
            self._print_problem(console, o)
        if len(problems) > max_problems:
            console.print(f"... and {len(problems) - max_problems} more failures/errors (use --report-json for all)")
        others = self.other_level_only()
        if others:
            other = ", ".join(lv for lv in LEVELS if lv != self.level)
            console.print(f"{len(others)} vectors pass at {self.level} but fail at {other} "
                          f"(inputs, expected and got are in the JSON report), e.g. {others[0].case.key}", **plain)
        self._print_reasons(console)
        if r.events:
            console.print("[bold]adapter events[/bold]")
            for e in r.events[:20]:
                console.print(f"  {clean(e)}", **plain)
            if len(r.events) > 20:
                console.print(f"  ... {len(r.events) - 20} more")
        if (self.counts[ERRORED] or r.start is None) and r.stderr.strip():
            tail = r.stderr.strip().splitlines()[-15:]
            console.print("[bold]adapter stderr (last lines)[/bold]")
            for line in tail:
                console.print(f"  {clean(line, 300)}", **plain)
        if self.exit_code == EXIT_ADAPTER:
            console.print(f"to diagnose the adapter: {shlex.join(['xent-conformance', 'smoke', '--impl', self.impl_label])}",
                          **plain)
        for line in self.part_lines():
            console.print(line, **plain)
        style = {EXIT_OK: "bold green", EXIT_FAILED: "bold red", EXIT_ADAPTER: "bold magenta",
                 EXIT_NOTHING_TESTED: "bold yellow"}[self.exit_code]
        console.print(f"[{style}]{escape(self.verdict)}[/{style}]: {self.balance_line()} "
                      f"(exit {self.exit_code}, {r.elapsed:.1f} s, {r.restarts} restarts)", highlight=False)

    def _print_reasons(self, console) -> None:
        plain = {"markup": False, "highlight": False, "soft_wrap": True}
        reasons = self.unsupported_reasons()
        if reasons:
            console.print(f"unsupported: {self.counts[UNSUPPORTED]} vectors, by reason:", **plain)
            for k, n in reasons[:15]:
                console.print(f"  {n:6d} x {k}", **plain)
            if len(reasons) > 15:
                console.print(f"  ... {len(reasons) - 15} more reasons (see the JSON report)", **plain)
        perr = self.protocol_error_counts()
        if perr:
            console.print("protocol error answers (counted as failures): "
                          + ", ".join(f"{k} {n}" for k, n in sorted(perr.items())), **plain)
        if self.baseline is not None:
            console.print(f"baseline {self.baseline.path}: {self.counts[XFAIL]} expected failures (xfail), "
                          f"{len(self.stale)} stale entries" + (" (allowed)" if self.stale and self.allow_stale else ""),
                          **plain)
            for e in self.stale:
                console.print(f"  STALE: {e.describe()}: the {len(e.matched)} vectors it lists now pass; remove it "
                              f"(reason was: {e.reason})", **plain)

    def _print_problem(self, console, o: Outcome) -> None:
        c = o.case
        s = self.status[c.key]
        plain = {"markup": False, "highlight": False, "soft_wrap": True}
        console.print(f"{'FAILED' if s == FAILED else 'ERRORED'} {c.key}"
                      + (f" flags={','.join(c.flags)}" if c.flags else ""), **plain)
        if c.comment:
            console.print(f"  comment:  {c.comment}", **plain)
        console.print(f"  inputs:   {_short(c.inputs)}", **plain)
        if c.params:
            console.print(f"  params:   {_short(c.params)}", **plain)
        expected = f"error {c.error_kind}" if c.result == "error" else _short({"shape": c.expected_shape, "data": c.expected_text})
        console.print(f"  expected: {expected}", **plain)
        console.print(f"  got:      {_short(o.got) if o.got is not None else '-'}", **plain)
        if o.max_ulp is not None:
            console.print(f"  ulp error: max {format_figure(o.max_ulp)}", **plain)
        if c.result != "error" and o.max_scaled:
            for line in self.level_explanations(o):
                console.print(f"  {line}", **plain)
        console.print(f"  why:      {clean(o.detail)}", **plain)
        console.print(f"  rerun:    {self.rerun_command(o)}", **plain)


def _extras(part: Part) -> str:
    more = [f"{part.counts[s]} {s}" for s in (FAILED, XFAIL, ERRORED) if part.counts[s]]
    more += [f"{part.counts[ACCEPTABLE]} acceptable"] if part.counts[ACCEPTABLE] else []
    return f" ({', '.join(more)})" if more else ""


def write_outputs(report: Report, json_path: str | None, junit_path: str | None, md_path: str | None) -> list[str]:
    """Write the requested files; returns error messages (never raises for an unwritable path)."""
    errors = []
    for path, render in ((json_path, lambda: json_text(report.to_json())),
                         (junit_path, report.to_junit), (md_path, report.to_markdown)):
        if not path:
            continue
        try:
            # backslashreplace: a last defence, should a surrogate ever get past protocol.clean
            Path(path).write_text(render(), encoding="utf-8", errors="backslashreplace")
        except OSError as exc:
            errors.append(f"cannot write {path}: {exc}")
    return errors


def _json_default(x: Any) -> Any:
    return str(x)


def json_text(data: dict[str, Any]) -> str:
    """The JSON report: indented, with each entry of `results` on one line of its own. Same data as
    json.dumps(data, indent=1); indenting every result took Python's pure-Python encoder a sixth of a
    full run, one line per result is the C encoder's (issue 14)."""
    results = data.get("results")
    if not isinstance(results, list):
        return json.dumps(data, indent=1, default=_json_default) + "\n"
    text = json.dumps({**data, "results": []}, indent=1, default=_json_default)
    # the placeholder at the top level: a newline and one space of indent never occur inside a string
    anchor = '\n "results": []'
    assert text.count(anchor) == 1
    lines = ",\n  ".join(json.dumps(r, default=_json_default) for r in results)
    return text.replace(anchor, '\n "results": [\n  ' + lines + "\n ]" if results else anchor) + "\n"


def _num(x: float | None) -> float | str | None:
    if x is None:
        return None
    if math.isinf(x) or math.isnan(x):
        return str(x)
    return x


def format_figure(x: float | None) -> str:
    """A figure for tables: 3 significant digits, "-" for none, "inf", "0"."""
    if x is None:
        return "-"
    if math.isinf(x):
        return "inf"
    if x == 0:
        return "0"
    return f"{x:.3g}"


def _styled(n: int, color: str) -> str:
    return f"[{color}]{n}[/{color}]" if n else "0"


def _short(value: Any, limit: int = 300, elements: int = 8) -> str:
    def trim(v: Any) -> Any:
        if isinstance(v, dict):
            return {k: trim(x) for k, x in v.items()}
        if isinstance(v, list) and len(v) > elements:
            return [trim(x) for x in v[:elements]] + [f"... {len(v) - elements} more"]
        return v
    return clean(json.dumps(trim(value), ensure_ascii=False, default=str), limit)


def _md(text: str) -> str:
    return clean(text).replace("|", "\\|")


def _xml_safe(text: str) -> str:
    return "".join(ch if ch in "\t\n\r" or (" " <= ch <= "\ud7ff") or ("\ue000" <= ch <= "\ufffd") else "?"
                   for ch in text)
