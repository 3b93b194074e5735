"""One benchmark run as tables: printed with rich, written as Markdown and JSON.

Each part becomes a `Section` of plain-text cells, rendered twice (terminal and Markdown) from the
same rows, so the two never disagree.
"""
from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass, field
from typing import Any

from .generation import Generation
from .harness import EndToEnd, Startup, Throughput
from .results import ImplTimings, Key, Unavailable
from .workload import ELEMENTS, KEYS, NUMPY_PLAIN, TORCH, C, N


@dataclass
class BenchRun:
    machine: dict[str, Any]
    quick: bool
    generation: dict[str, Generation | Unavailable] = field(default_factory=dict)
    throughput: dict[str, Throughput | Unavailable] = field(default_factory=dict)
    startup: dict[str, Startup | Unavailable] = field(default_factory=dict)
    workload: list[ImplTimings] = field(default_factory=list)
    end_to_end: list[EndToEnd | Unavailable] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    part_seconds: dict[str, float] = field(default_factory=dict)   # wall time of each part, builds included
    seconds: float = 0.0


@dataclass
class Section:
    title: str
    columns: list[str]
    rows: list[list[str]]
    notes: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------- number formats
def fmt_ms(seconds: float) -> str:
    ms = seconds * 1e3
    return f"{ms:.3g} ms" if ms < 100 else f"{ms:.0f} ms"


def fmt_rate(per_second: float, unit: str) -> str:
    for scale, prefix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if per_second >= scale:
            return f"{per_second / scale:.3g} {prefix}{unit}/s"
    return f"{per_second:.3g} {unit}/s"


def fmt_ratio(ratio: float) -> str:
    return f"{ratio:.2f}× torch" if math.isfinite(ratio) else "-"


# ---------------------------------------------------------------------- sections
def workload_figures(timings: list[ImplTimings]) -> dict[Key, dict[str, dict[str, float]]]:
    """Per (workload, dtype) and implementation: seconds per call, elements/s and time / PyTorch's time
    (NaN without a PyTorch figure)."""
    torch = next((t.seconds for t in timings if t.impl == TORCH and t.unavailable is None), {})
    numpy = next((t.seconds for t in timings if t.impl == NUMPY_PLAIN and t.unavailable is None), {})
    figures: dict[Key, dict[str, dict[str, float]]] = {}
    for key in KEYS:
        for t in timings:
            seconds = t.seconds.get(key)
            if seconds is not None:
                fig = figures.setdefault(key, {})[t.impl] = {
                    "seconds": seconds, "elementsPerSecond": ELEMENTS / seconds,
                    "ratioToTorch": seconds / torch[key] if key in torch else math.nan,
                    "ratioToNumpy": seconds / numpy[key] if key in numpy else math.nan}
                if key in t.peak_bytes:
                    fig["peakBytes"] = t.peak_bytes[key]
                if key in t.alloc_bytes:
                    fig["allocBytesPerCall"] = t.alloc_bytes[key]
    return figures


def workload_section(timings: list[ImplTimings]) -> Section:
    """Rows workload × dtype; per implementation ms per call, elements/s, the time ratios to PyTorch and to
    plain NumPy, and the peak extra memory of one call."""
    figures = workload_figures(timings)
    rows = [[*key, *(_workload_cell(t, figures.get(key, {}).get(t.impl)) for t in timings)] for key in KEYS]
    notes = [f"{N}×{C} = {ELEMENTS} elements per call; ratio = time / PyTorch's time (above 1: slower than PyTorch) "
             "and time / plain NumPy's time; peak: one call's peak resident memory above the size before it "
             f"(Linux VmHWM; the float64 input is {ELEMENTS * 8 / 2 ** 20:.0f} MiB), for the implementations timed in "
             "this process; alloc: the bytes one call allocates (Go's B/op, JMH's gc.alloc.rate.norm), for those "
             "timed in their own processes: an upper bound of the call's extra memory"]
    notes += [f"{t.impl}: {t.unavailable}" if t.unavailable else f"{t.impl}: {t.how}" for t in timings]
    return Section("Workload: ms per call, elements/s, ratios to PyTorch CPU (1 thread) and plain NumPy, peak memory",
                   ["workload", "dtype", *(t.impl for t in timings)], rows, notes)


def _workload_cell(t: ImplTimings, fig: dict[str, float] | None) -> str:
    if t.unavailable is not None:
        return "not available"
    if fig is None:
        return "not run"
    lines = [fmt_ms(fig["seconds"]), fmt_rate(fig["elementsPerSecond"], "elem"), fmt_ratio(fig["ratioToTorch"])]
    if math.isfinite(fig.get("ratioToNumpy", math.nan)):
        lines.append(f"{fig['ratioToNumpy']:.2f}× numpy")
    if "peakBytes" in fig:
        lines.append(f"peak +{fig['peakBytes'] / 2 ** 20:.0f} MiB")
    if "allocBytesPerCall" in fig:
        lines.append(f"alloc {fmt_bytes(fig['allocBytesPerCall'])}/call")
    return "\n".join(lines)


def fmt_bytes(n: float) -> str:
    """Bytes as B, KiB or MiB with three significant digits at most."""
    for unit, size in (("MiB", 2 ** 20), ("KiB", 2 ** 10)):
        if n >= size:
            return f"{n / size:.3g} {unit}"
    return f"{n:.0f} B"


def generation_section(gens: dict[str, Generation | Unavailable]) -> Section:
    rows, notes = [], []
    for label, g in gens.items():
        if isinstance(g, Unavailable):
            rows.append([label, *["-"] * 5, str(g)])
            continue
        same = "yes, byte-identical" if g.identical else f"NO: {len(g.differing)} files differ"
        rows.append([f"{label} ({g.backend})", str(g.vectors), str(g.files), f"{g.seconds:.1f}",
                     f"{g.per_second:.0f}", same])
        if g.differing:
            notes.append(f"{label}: differing files: {', '.join(g.differing[:10])}")
    fast, slow = gens.get("gmpy2"), gens.get("pure python")
    if isinstance(fast, Generation) and isinstance(slow, Generation) and fast.seconds > 0:
        notes.append(f"gmpy2 speed-up: {slow.seconds / fast.seconds:.2f}× (pure-Python seconds / gmpy2 seconds)")
    return Section("Vector generation (xent-conformance generate)",
                   ["mpmath backend", "vectors", "files", "seconds", "vectors/s", "same as vectors/"], rows, notes)


def harness_section(throughput: dict[str, Throughput | Unavailable], startup: dict[str, Startup | Unavailable]
                    ) -> Section:
    rows, notes = [], []
    repeats = next((s.samples for s in startup.values() if isinstance(s, Startup)), 0)
    for impl in dict.fromkeys([*throughput, *startup]):
        t, s = throughput.get(impl), startup.get(impl)
        row = [impl]
        row += ([t.name, str(t.vectors), f"{t.seconds:.2f}", fmt_rate(t.per_second, "checks"), t.verdict]
                if isinstance(t, Throughput) else ["-"] * 5)
        row += [fmt_ms(s.start_seconds), fmt_ms(s.stop_seconds)] if isinstance(s, Startup) else ["-", "-"]
        rows.append(row)
        notes += [f"{impl} {what}: {x}" for what, x in (("run", t), ("start-up", s)) if isinstance(x, Unavailable)]
    notes.insert(0, f"seconds: the harness's clock from spawn to exit (no build); start-up: median of {repeats} "
                    "fresh processes, spawn -> `start` answered, and spawn -> `stop` obeyed and reaped")
    return Section("Harness throughput and adapter start-up",
                   ["impl", "adapter", "vectors", "seconds", "checks/s", "verdict", "start", "start→stop"], rows, notes)


def end_to_end_section(figures: list[EndToEnd | Unavailable]) -> Section:
    """One row per (implementation, revision): wall, checks/s end to end, the phases, peak RSS; a note
    per implementation with the speed-up of HEAD over the other revision."""
    rows, notes = [], []
    for f in figures:
        if isinstance(f, Unavailable):
            notes.append(str(f))
            continue
        rows.append([f.impl, f.revision, str(f.vectors), f"{f.wall:.2f}", fmt_rate(f.per_second, "checks"),
                     *(f"{f.phases[k]:.2f}" for k in ("start", "load", "run", "report")),
                     f"{f.peak_rss_mib:.0f}", f"{f.adapter_rss_mib:.0f}", f.verdict])
    ok = [f for f in figures if isinstance(f, EndToEnd)]
    for head in (f for f in ok if f.revision == "HEAD"):
        for other in (f for f in ok if f.impl == head.impl and f.revision != "HEAD"):
            notes.append(f"{head.impl}: HEAD is {head.per_second / other.per_second:.1f}x {other.revision} in checks/s "
                         f"end to end ({other.wall / head.wall:.1f}x in wall time)")
    notes.insert(0, "wall: seconds from spawning `xent-conformance run --impl IMPL --no-build` to its exit, median of "
                    f"{len(ok[0].samples) if ok else 0} runs alternating between revisions (after an untimed warm-up "
                    "that builds the adapter and the byte-code caches); phases: start = interpreter and imports, load = "
                    "reading and checking the vector files, run = adapter start to stop with judging, report = the "
                    "rest; checks/s: vectors over the wall; peak RSS: the harness process alone (ru_maxrss of "
                    "RUSAGE_SELF), adapter RSS: the adapter process's peak (VmHWM of /proc/PID/status when the harness stops "
                    "it; RUSAGE_CHILDREN would count the harness's pages a child holds between fork and exec)")
    return Section("Harness end to end, side by side",
                   ["impl", "revision", "vectors", "wall s", "checks/s", "start s", "load s", "run s", "report s",
                    "peak RSS MiB", "adapter RSS MiB", "verdict"], rows, notes)


def sections(run: BenchRun) -> list[Section]:
    out = []
    if run.end_to_end:
        out.append(end_to_end_section(run.end_to_end))
    if run.generation:
        out.append(generation_section(run.generation))
    if run.throughput or run.startup:
        out.append(harness_section(run.throughput, run.startup))
    if run.workload:
        out.append(workload_section(run.workload))
    return out


def header(run: BenchRun) -> list[str]:
    m = run.machine
    tools = ", ".join(f"{k} {v}" for k, v in {**m["packages"], **m["tools"]}.items())
    lines = [f"{m['date']}, commit {m.get('commit', '?')}, on {m['cpu']}, {m['cores']} cores, {m['memory']}, "
             f"{m['os']}, Python {m['python']}",
             f"versions: {tools}",
             f"whole run: {run.seconds:.0f} s" + (" (--quick)" if run.quick else "")
             + "".join(f"; {part} {s:.0f} s" for part, s in run.part_seconds.items())]
    if run.skipped:
        lines.append(f"skipped: {', '.join(run.skipped)}")
    return lines


# ---------------------------------------------------------------------- renderings
def print_rich(run: BenchRun, console) -> None:
    from rich.table import Table
    console.print("[bold]xent benchmarks[/bold]")
    for line in header(run):
        console.print(line, markup=False, highlight=False, soft_wrap=True)
    for s in sections(run):
        table = Table(title=s.title, show_lines=True)
        for i, col in enumerate(s.columns):
            table.add_column(col, justify="left" if i < _label_columns(s) else "right")
        for row in s.rows:
            table.add_row(*row)
        console.print(table)
        for note in s.notes:
            console.print(f"  {note}", markup=False, highlight=False, soft_wrap=True)


def _label_columns(s: Section) -> int:
    return 2 if s.columns[:2] == ["workload", "dtype"] else 1


def markdown(run: BenchRun) -> str:
    lines = ["# xent benchmarks", ""] + [f"{line}  " for line in header(run)]
    for s in sections(run):
        lines += ["", f"## {s.title}", "", "| " + " | ".join(s.columns) + " |",
                  "|" + "|".join("---" if i < _label_columns(s) else "---:" for i in range(len(s.columns))) + "|"]
        lines += ["| " + " | ".join(_md(cell) for cell in row) + " |" for row in s.rows]
        if s.notes:
            lines.append("")
            lines += [f"- {_md(note)}" for note in s.notes]
    return "\n".join(lines) + "\n"


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", "<br>")


def to_json(run: BenchRun) -> dict[str, Any]:
    data = _plain(run)
    data["workloadTable"] = _plain(workload_figures(run.workload))
    return data


def _plain(value: Any) -> Any:
    """dataclasses, Unavailable and (workload, dtype) keys as plain JSON values."""
    if isinstance(value, Unavailable):
        return {"unavailable": value.reason}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        data = {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
        for prop in ("per_second",):
            if hasattr(value, prop):
                data[prop] = _plain(getattr(value, prop))
        return data
    if isinstance(value, dict):
        return {("/".join(k) if isinstance(k, tuple) else k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


def dumps(run: BenchRun) -> str:
    return json.dumps(to_json(run), indent=1, ensure_ascii=False) + "\n"
