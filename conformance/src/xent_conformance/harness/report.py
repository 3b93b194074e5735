"""Reports of a run: a rich terminal summary, JSON, JUnit XML and Markdown.

Statuses are those of the deciding level (`--level`); the JSON report carries both levels.
"""
from __future__ import annotations

import json
import math
import shlex
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import __version__
from .compare import ACCEPTABLE, ERRORED, FAILED, PASSED, STATUSES, UNSUPPORTED, Outcome
from .runner import RunResult
from .vectors import LEVELS

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_ADAPTER = 2
EXIT_USAGE = 64
EXIT_VECTORS = 65


@dataclass
class Group:
    function: str
    dtype: str
    counts: dict[str, int] = field(default_factory=lambda: {s: 0 for s in STATUSES})
    other_level_passed: int = 0
    ulps: list[float] = field(default_factory=list)
    max_scaled: dict[str, float] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def max_ulp(self) -> float | None:
        return max(self.ulps) if self.ulps else None

    @property
    def mean_ulp(self) -> float | None:
        return sum(self.ulps) / len(self.ulps) if self.ulps else None


@dataclass
class Report:
    impl_label: str
    level: str
    result: RunResult
    rerun_base: list[str]
    require_all: bool = False

    def __post_init__(self) -> None:
        self.groups: dict[tuple[str, str], Group] = {}
        self.counts = {s: 0 for s in STATUSES}
        for o in self.result.outcomes:
            key = (o.case.function, o.case.dtype)
            g = self.groups.setdefault(key, Group(*key))
            s = o.at(self.level)
            g.counts[s] += 1
            self.counts[s] += 1
            g.ulps.extend(o.ulp_errors)
            for lv, v in o.max_scaled.items():
                g.max_scaled[lv] = max(g.max_scaled.get(lv, 0.0), v)
        self.total = len(self.result.outcomes)
        assert sum(self.counts.values()) == self.total

    @property
    def exit_code(self) -> int:
        if self.result.start is None or self.counts[ERRORED]:
            return EXIT_ADAPTER
        if self.counts[FAILED] or (self.require_all and self.counts[UNSUPPORTED]):
            return EXIT_FAILED
        return EXIT_OK

    @property
    def verdict(self) -> str:
        code = self.exit_code
        if code == EXIT_OK:
            return "CONFORMS" if not self.counts[UNSUPPORTED] else "CONFORMS (on what it supports)"
        if code == EXIT_ADAPTER:
            if self.result.start is None:
                return "ADAPTER COULD NOT BE STARTED"
            return "ADAPTER ERRORS (crash, timeout or protocol violation)"
        return "DOES NOT CONFORM"

    def balance_line(self) -> str:
        c = self.counts
        return (f"{c[PASSED]} passed + {c[FAILED]} failed + {c[ERRORED]} errored + {c[ACCEPTABLE]} acceptable + "
                f"{c[UNSUPPORTED]} unsupported = {self.total} vectors")

    def problems(self) -> list[Outcome]:
        return [o for o in self.result.outcomes if o.at(self.level) in (FAILED, ERRORED)]

    def rerun_command(self, o: Outcome) -> str:
        return shlex.join(self.rerun_base + ["--function", o.case.function, "--dtype", o.case.dtype,
                                             "--tcid", str(o.case.tc_id)])

    # ------------------------------------------------------------------ JSON
    def to_json(self) -> dict[str, Any]:
        r = self.result
        return {
            "tool": f"xent-conformance {__version__}",
            "implementation": {"impl": self.impl_label, **(r.start.implementation if r.start else {})},
            "capabilities": r.start.capabilities if r.start else None,
            "startError": r.start_error,
            "level": self.level,
            "exitCode": self.exit_code,
            "verdict": self.verdict,
            "total": self.total,
            "counts": self.counts,
            "balance": self.balance_line(),
            "restarts": r.restarts,
            "elapsedSeconds": round(r.elapsed, 3),
            "groups": [{
                "function": g.function, "dtype": g.dtype, "total": g.total, "counts": g.counts,
                "maxUlp": _num(g.max_ulp), "meanUlp": _num(g.mean_ulp),
                "maxScaledError": {lv: _num(v) for lv, v in g.max_scaled.items()},
            } for g in self.groups.values()],
            "results": [self._case_json(o) for o in r.outcomes],
            "events": r.events,
            "adapterStderr": r.stderr,
        }

    def _case_json(self, o: Outcome) -> dict[str, Any]:
        c = o.case
        d: dict[str, Any] = {"id": c.key, "function": c.function, "dtype": c.dtype, "tcId": c.tc_id,
                             "status": o.at(self.level), "statusByLevel": o.status}
        if c.flags:
            d["flags"] = c.flags
        if o.detail:
            d["detail"] = o.detail
        if o.max_ulp is not None:
            d["maxUlp"] = _num(o.max_ulp)
        if o.max_scaled:
            d["maxScaledError"] = {lv: _num(v) for lv, v in o.max_scaled.items()}
        if o.at(self.level) in (FAILED, ERRORED):
            d["comment"] = c.comment
            d["source"] = c.source
            d["inputs"] = c.inputs
            d["params"] = c.params
            d["expected"] = ({"error": c.error_kind} if c.result == "error" else
                             {"dtype": c.dtype, "shape": c.expected_shape, "data": c.expected_text})
            d["got"] = o.got
            d["rerun"] = self.rerun_command(o)
        return d

    # ------------------------------------------------------------------ JUnit
    def to_junit(self) -> str:
        root = ET.Element("testsuites", name=f"xent conformance: {self.impl_label}", tests=str(self.total),
                          failures=str(self.counts[FAILED]), errors=str(self.counts[ERRORED]),
                          skipped=str(self.counts[UNSUPPORTED]), time=f"{self.result.elapsed:.3f}")
        by_group: dict[tuple[str, str], list[Outcome]] = {}
        for o in self.result.outcomes:
            by_group.setdefault((o.case.function, o.case.dtype), []).append(o)
        for (function, dtype), outcomes in by_group.items():
            g = self.groups[(function, dtype)]
            suite = ET.SubElement(root, "testsuite", name=f"{function}.{dtype}", tests=str(g.total),
                                  failures=str(g.counts[FAILED]), errors=str(g.counts[ERRORED]),
                                  skipped=str(g.counts[UNSUPPORTED]))
            for o in outcomes:
                tc = ET.SubElement(suite, "testcase", classname=f"xent.{function}.{dtype}",
                                   name=f"tcId {o.case.tc_id}" + (f" [{', '.join(o.case.flags)}]" if o.case.flags else ""))
                s = o.at(self.level)
                body = f"{o.detail}\nrerun: {self.rerun_command(o)}"
                if s == FAILED:
                    ET.SubElement(tc, "failure", message=_xml_safe(o.detail[:500]), type="failed").text = _xml_safe(body)
                elif s == ERRORED:
                    ET.SubElement(tc, "error", message=_xml_safe(o.detail[:500]), type="errored").text = _xml_safe(body)
                elif s == UNSUPPORTED:
                    ET.SubElement(tc, "skipped", message=_xml_safe(o.detail))
                elif s == ACCEPTABLE:
                    ET.SubElement(tc, "system-out").text = _xml_safe("acceptable: " + o.detail)
        err = ET.SubElement(root, "system-err")
        err.text = _xml_safe(self.result.stderr)
        ET.indent(root)
        return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"

    # ------------------------------------------------------------------ Markdown
    def to_markdown(self, max_problems: int = 50) -> str:
        r = self.result
        name = r.start.name if r.start else self.impl_label
        lines = [f"# xent conformance: {name}", "",
                 f"**{self.verdict}** at level `{self.level}` (exit code {self.exit_code}). {self.balance_line()}.", ""]
        if r.start_error:
            lines += [f"The adapter could not be started: {r.start_error}", ""]
        lines += ["| function | dtype | total | passed | acceptable | failed | errored | unsupported | max ulp | mean ulp | max eC |",
                  "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for g in self.groups.values():
            c = g.counts
            lines.append(f"| {g.function} | {g.dtype} | {g.total} | {c[PASSED]} | {c[ACCEPTABLE]} | {c[FAILED]} | "
                         f"{c[ERRORED]} | {c[UNSUPPORTED]} | {format_figure(g.max_ulp)} | {format_figure(g.mean_ulp)} | "
                         f"{format_figure(g.max_scaled.get('accurate'))} |")
        problems = self.problems()
        if problems:
            lines += ["", f"## Failures and errors ({len(problems)})", ""]
            for o in problems[:max_problems]:
                flags = f" [{', '.join(o.case.flags)}]" if o.case.flags else ""
                lines.append(f"- **{o.case.key}** {o.at(self.level)}{flags}: {_md(o.detail)}  ")
                lines.append(f"  `{self.rerun_command(o)}`")
            if len(problems) > max_problems:
                lines.append(f"- ... and {len(problems) - max_problems} more (see the JSON report)")
        if r.events:
            lines += ["", "## Adapter events", ""] + [f"- {_md(e)}" for e in r.events[:50]]
        return "\n".join(lines) + "\n"

    # ------------------------------------------------------------------ terminal
    def print_terminal(self, console, max_problems: int = 20) -> None:
        from rich.table import Table
        r = self.result
        title = f"xent conformance: {r.start.name if r.start else self.impl_label} (level {self.level})"
        table = Table(title=title, show_lines=False)
        for col, just in (("function", "left"), ("dtype", "left"), ("total", "right"), ("passed", "right"),
                          ("accept.", "right"), ("failed", "right"), ("errored", "right"), ("unsupp.", "right"),
                          ("max ulp", "right"), ("mean ulp", "right"), ("max eC", "right")):
            table.add_column(col, justify=just)
        for g in self.groups.values():
            c = g.counts
            table.add_row(g.function, g.dtype, str(g.total), _styled(c[PASSED], "green"), _styled(c[ACCEPTABLE], "yellow"),
                          _styled(c[FAILED], "red"), _styled(c[ERRORED], "magenta"), str(c[UNSUPPORTED]),
                          format_figure(g.max_ulp), format_figure(g.mean_ulp), format_figure(g.max_scaled.get("accurate")))
        console.print(table)
        problems = self.problems() if r.start is not None else []
        if r.start is None:
            console.print(f"[bold]the adapter could not be started[/bold]: {r.start_error}", highlight=False)
        for o in problems[:max_problems]:
            self._print_problem(console, o)
        if len(problems) > max_problems:
            console.print(f"... and {len(problems) - max_problems} more failures/errors (use --report-json for all)")
        if r.events:
            console.print("[bold]adapter events[/bold]")
            for e in r.events[:20]:
                console.print(f"  {e}", markup=False, soft_wrap=True)
            if len(r.events) > 20:
                console.print(f"  ... {len(r.events) - 20} more")
        if (self.counts[ERRORED] or r.start is None) and r.stderr.strip():
            tail = r.stderr.strip().splitlines()[-15:]
            console.print("[bold]adapter stderr (last lines)[/bold]")
            for line in tail:
                console.print(f"  {line[:300]}", markup=False)
        if self.exit_code == EXIT_ADAPTER:
            console.print(f"to diagnose the adapter: {shlex.join(['xent-conformance', 'smoke', '--impl', self.impl_label])}",
                          markup=False, highlight=False, soft_wrap=True)
        style = {EXIT_OK: "bold green", EXIT_FAILED: "bold red", EXIT_ADAPTER: "bold magenta"}[self.exit_code]
        console.print(f"[{style}]{self.verdict}[/{style}]: {self.balance_line()} "
                      f"(exit {self.exit_code}, {r.elapsed:.1f} s, {r.restarts} restarts)")

    def _print_problem(self, console, o: Outcome) -> None:
        c = o.case
        s = o.at(self.level)
        console.print(f"[bold]{'FAILED' if s == FAILED else 'ERRORED'}[/bold] {c.key}"
                      + (f" flags={','.join(c.flags)}" if c.flags else ""), highlight=False)
        if c.comment:
            console.print(f"  comment:  {c.comment}", markup=False, highlight=False, soft_wrap=True)
        console.print(f"  inputs:   {_short(c.inputs)}", markup=False, highlight=False, soft_wrap=True)
        if c.params:
            console.print(f"  params:   {_short(c.params)}", markup=False, highlight=False, soft_wrap=True)
        expected = f"error {c.error_kind}" if c.result == "error" else _short({"shape": c.expected_shape, "data": c.expected_text})
        console.print(f"  expected: {expected}", markup=False, highlight=False, soft_wrap=True)
        console.print(f"  got:      {_short(o.got) if o.got is not None else '-'}", markup=False, highlight=False, soft_wrap=True)
        if o.max_ulp is not None:
            console.print(f"  ulp error: max {format_figure(o.max_ulp)}", markup=False, highlight=False, soft_wrap=True)
        console.print(f"  why:      {o.detail}", markup=False, highlight=False, soft_wrap=True)
        console.print(f"  rerun:    {self.rerun_command(o)}", markup=False, highlight=False, soft_wrap=True)


def write_outputs(report: Report, json_path: str | None, junit_path: str | None, md_path: str | None) -> list[str]:
    """Write the requested files; returns error messages (never raises for an unwritable path)."""
    errors = []
    for path, render in ((json_path, lambda: json.dumps(report.to_json(), indent=1, default=_json_default) + "\n"),
                         (junit_path, report.to_junit), (md_path, report.to_markdown)):
        if not path:
            continue
        try:
            Path(path).write_text(render(), encoding="utf-8")
        except OSError as exc:
            errors.append(f"cannot write {path}: {exc}")
    return errors


def _json_default(x: Any) -> Any:
    return str(x)


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
    text = json.dumps(trim(value), ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _xml_safe(text: str) -> str:
    return "".join(ch if ch in "\t\n\r" or (" " <= ch <= "\ud7ff") or ("\ue000" <= ch <= "\ufffd") else "?"
                   for ch in text)
