"""The Go implementation's workload benchmark (go/…_test.go, `BenchmarkWorkload`, testing.B).

`go test -bench` prints one line per sub-benchmark, e.g.
    BenchmarkWorkload/sce/float32-2    10    41234567 ns/op    9.93e+07 elem/s
(the `-2` is GOMAXPROCS, absent when it is 1; `-benchmem` adds B/op and allocs/op); this module runs it and
reads ns/op and the bytes allocated per call (B/op) per (workload, dtype).
"""
from __future__ import annotations

import re
from pathlib import Path

from .results import ImplTimings, Key, Unavailable, run_tool

GO = "go"
BENCH = "BenchmarkWorkload"
_LINE = re.compile(r"^Benchmark(?P<name>\S+)\s+(?P<n>\d+)\s+(?P<rest>.+)$")
_PROCS = re.compile(r"-\d+$")


def command(benchtime: str = "10x") -> list[str]:
    return ["go", "test", "-run", "^$", "-bench", f"^{BENCH}$", "-benchtime", benchtime, "-benchmem", "-count", "1",
            "."]


def parse(text: str) -> dict[Key, dict[str, float]]:
    """Every `BenchmarkWorkload/<workload>/<dtype>` line's metrics by unit (ns/op, elem/s, B/op, ...)."""
    found: dict[Key, dict[str, float]] = {}
    for line in text.splitlines():
        m = _LINE.match(line.strip())
        if not m:
            continue
        parts = _PROCS.sub("", m["name"]).split("/")
        if len(parts) != 3 or f"Benchmark{parts[0]}" != BENCH:
            continue
        fields = m["rest"].split()
        metrics = {unit: float(value) for value, unit in zip(fields[::2], fields[1::2], strict=False)}
        metrics["iterations"] = float(m["n"])
        found[(parts[1], parts[2])] = metrics
    return found


def timings(text: str, how: str) -> ImplTimings:
    """ImplTimings from `go test -bench` output; Unavailable when no workload line has ns/op."""
    result = ImplTimings(GO, how)
    for key, metrics in parse(text).items():
        if "ns/op" in metrics:
            result.seconds[key] = metrics["ns/op"] * 1e-9
        if "B/op" in metrics:
            result.alloc_bytes[key] = metrics["B/op"]
    if not result.seconds:
        result.unavailable = Unavailable(f"no {BENCH} results in the go test output")
    return result


def run(root: Path, benchtime: str = "10x", timeout: float = 600) -> ImplTimings:
    argv = command(benchtime)
    how = f"testing.B: {' '.join(argv)} (in go/)"
    proc = run_tool(argv, root / "go", timeout)
    if isinstance(proc, Unavailable):
        return ImplTimings(GO, how, unavailable=proc)
    return timings(proc.stdout, how)
