"""Harness throughput (vector checks per second, per implementation) and adapter start-up time.

Throughput is read from `xent-conformance run --report-json`: the report's vector count over its
`elapsedSeconds`, which is the harness's own clock from spawning the adapter to its exit (builds and
loading the vector files are outside it). Start-up drives an adapter with the harness's own process
and protocol code: spawn -> `start` answered, and spawn -> `stop` obeyed and the process reaped.
"""
from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from xent_conformance.harness import impls, protocol
from xent_conformance.harness.process import AdapterFailure, AdapterProcess
from xent_conformance.harness.protocol import ProtocolViolation, StartRefused

from .results import Unavailable, run_tool

IMPLEMENTATIONS = ("python", "java", "go")


@dataclass
class Throughput:
    impl: str
    name: str              # what the adapter calls itself in its start answer
    vectors: int
    seconds: float         # the report's elapsedSeconds
    verdict: str

    @property
    def per_second(self) -> float:
        return self.vectors / self.seconds if self.seconds > 0 else float("nan")


@dataclass
class Startup:
    impl: str
    start_seconds: float   # median: spawn -> answer to start
    stop_seconds: float    # median: spawn -> stop obeyed, process reaped
    samples: int


def read_report(impl: str, report: dict) -> Throughput:
    """The figures of a `--report-json` file (conformance/src/xent_conformance/harness/report.py)."""
    return Throughput(impl=impl, name=report["implementation"].get("name", impl), vectors=int(report["total"]),
                      seconds=float(report["elapsedSeconds"]), verdict=str(report["verdict"]))


def throughput(impl: str, root: Path, timeout: float = 1200) -> Throughput | Unavailable:
    """One full `xent-conformance run` of `impl` (building it first when stale)."""
    with tempfile.TemporaryDirectory(prefix="xent-bench-") as tmp:
        report = Path(tmp) / "report.json"
        argv = [sys.executable, "-m", "xent_conformance.cli", "run", "--impl", impl, "--report-json", str(report)]
        ran = run_tool(argv, root, timeout, ok_codes=(0, 1))  # 1: it ran, some vectors failed
        if isinstance(ran, Unavailable):
            return ran
        try:
            return read_report(impl, json.loads(report.read_text(encoding="utf-8")))
        except (OSError, ValueError, KeyError) as exc:
            return Unavailable(f"cannot read the run's JSON report: {exc}")


def startup(impl: str, repeats: int = 5, timeout: float = 60) -> Startup | Unavailable:
    """Median start-up and start-to-stop times over `repeats` fresh adapter processes."""
    try:
        resolved = impls.resolve(impl)
        impls.build(resolved, timeout=900)
        samples = [_start_stop(resolved, timeout) for _ in range(repeats)]
    except (impls.ImplError, AdapterFailure, ProtocolViolation, StartRefused) as exc:
        return Unavailable(str(exc).splitlines()[0])
    return Startup(impl, statistics.median(s for s, _ in samples), statistics.median(t for _, t in samples), repeats)


def _start_stop(impl: impls.Impl, timeout: float) -> tuple[float, float]:
    proc = AdapterProcess(impl.argv, cwd=impl.cwd)
    began = time.perf_counter()
    proc.start()
    try:
        proc.send(protocol.start_request())
        protocol.parse_start_answer(proc.read_message(timeout, "start"))
        started = time.perf_counter() - began
        status = proc.stop(protocol.stop_request(), grace=timeout)
        stopped = time.perf_counter() - began
    finally:
        proc.kill()
    if status != 0:
        raise AdapterFailure("crash", f"the adapter exited with status {status} after stop")
    return started, stopped
