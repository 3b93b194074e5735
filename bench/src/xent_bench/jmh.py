"""The Java implementation's workload benchmark (JMH, java/bench, class `WorkloadBench`).

Built with the Maven profile `bench` into java/bench/target/benchmarks.jar and run with a JSON result
file: a list of runs, each with `params` {workload, dtype} and a `primaryMetric` {score, scoreUnit},
AverageTime in ms/op (other time units and throughput modes are converted too). JMH's `gc` profiler adds
the secondary metric `gc.alloc.rate.norm` (`·gc.alloc.rate.norm` before JMH 1.37), the bytes allocated per
call.
"""
from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from .results import ImplTimings, Key, Unavailable, run_tool

JAVA = "java"
BUILD = ["mvn", "-q", "-B", "-f", "java/pom.xml", "-Pbench", "-DskipTests", "package"]
JAR = Path("java/bench/target/benchmarks.jar")
_SECONDS = {"s": 1.0, "ms": 1e-3, "us": 1e-6, "ns": 1e-9}


def run_args(result_file: Path, quick: bool) -> list[str]:
    iterations = ["-wi", "1", "-i", "2"] if quick else ["-wi", "3", "-i", "5"]
    return ["java", "-jar", str(JAR), "WorkloadBench", "-f", "1", *iterations, "-w", "1s", "-r", "1s",
            "-prof", "gc", "-rf", "json", "-rff", str(result_file)]


def seconds_per_op(score: float, unit: str) -> float:
    """A JMH score in `ms/op`-like (average time) or `ops/ms`-like (throughput) units, as seconds per op."""
    num, _, den = unit.partition("/")
    if den == "op" and num in _SECONDS:
        return score * _SECONDS[num]
    if num == "ops" and den in _SECONDS:
        return _SECONDS[den] / score
    raise ValueError(f"unknown JMH score unit {unit!r}")


def parse(runs: list[dict[str, Any]]) -> dict[Key, float]:
    """Seconds per op for each (workload, dtype) of a JMH JSON result list (WorkloadBench runs only)."""
    found: dict[Key, float] = {}
    for run in runs:
        if "WorkloadBench" not in str(run.get("benchmark", "")).split("."):
            continue
        params = run.get("params") or {}
        metric = run["primaryMetric"]
        found[(params["workload"], params["dtype"])] = seconds_per_op(float(metric["score"]), metric["scoreUnit"])
    return found


def allocations(runs: list[dict[str, Any]]) -> dict[Key, float]:
    """Bytes allocated per op for each (workload, dtype) whose run carries the gc profiler's
    gc.alloc.rate.norm in B/op."""
    found: dict[Key, float] = {}
    for run in runs:
        if "WorkloadBench" not in str(run.get("benchmark", "")).split("."):
            continue
        for name, metric in (run.get("secondaryMetrics") or {}).items():
            if name.lstrip("\u00b7") == "gc.alloc.rate.norm" and metric.get("scoreUnit") == "B/op":
                params = run["params"]
                found[(params["workload"], params["dtype"])] = float(metric["score"])
    return found


def run(root: Path, quick: bool = False, timeout: float = 900) -> ImplTimings:
    """Build the benchmark jar, run WorkloadBench, read its JSON; Unavailable with the reason otherwise."""
    with tempfile.TemporaryDirectory(prefix="xent-jmh-") as tmp:
        result_file = Path(tmp) / "jmh.json"
        argv = run_args(result_file, quick)
        result = ImplTimings(JAVA, "JMH average time: " + " ".join(argv[:-2]))
        built = run_tool(BUILD, root, timeout)
        if isinstance(built, Unavailable):
            result.unavailable = built
        elif not (root / JAR).is_file():
            result.unavailable = Unavailable(f"{JAR} was not built by {' '.join(BUILD)}")
        else:
            ran = run_tool(argv, root, timeout)
            if isinstance(ran, Unavailable):
                result.unavailable = ran
            else:
                result.seconds = _read(result_file, result)
    return result


def _read(result_file: Path, result: ImplTimings) -> dict[Key, float]:
    try:
        runs = json.loads(result_file.read_text(encoding="utf-8"))
        seconds = parse(runs)
        result.alloc_bytes = allocations(runs)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        result.unavailable = Unavailable(f"cannot read the JMH result {result_file.name}: {exc}")
        return {}
    if not seconds:
        result.unavailable = Unavailable("the JMH result has no WorkloadBench runs")
    return seconds
