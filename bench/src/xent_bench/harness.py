"""Harness throughput (vector checks per second, per implementation) and adapter start-up time.

Throughput is read from `xent-conformance run --report-json`: the report's vector count over its
`elapsedSeconds`, which is the harness's own clock from spawning the adapter to its exit (builds and
loading the vector files are outside it). Start-up drives an adapter with the harness's own process
and protocol code: spawn -> `start` answered, and spawn -> `stop` obeyed and the process reaped.
"""
from __future__ import annotations

import json
import os
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


# ---------------------------------------------------------------------- end to end, side by side
PROBE = Path(__file__).resolve().parent / "probe.py"


@dataclass
class EndToEnd:
    """`xent-conformance run --impl IMPL` over every vector, timed from process start (median run)."""
    impl: str
    revision: str          # "HEAD" (this checkout) or the --compare-with revision
    vectors: int
    wall: float            # seconds from spawning the harness to its exit (loading included, no build)
    phases: dict[str, float]  # start (interpreter and imports), load, run (adapter and judging), report
    peak_rss_mib: float    # the harness process alone (ru_maxrss of RUSAGE_SELF; the adapter is not counted)
    verdict: str
    samples: list[float]   # wall of every repeat
    adapter_rss_mib: float = float("nan")  # the adapter's peak (VmHWM when the harness stops it; 0: unreadable)

    @property
    def per_second(self) -> float:
        return self.vectors / self.wall if self.wall > 0 else float("nan")


def _bench_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("XENT_ROOT", "PYTHONDONTWRITEBYTECODE", "XENT_MUTANT")}
    return env


def _probe_once(python: str, cwd: Path, impl: str, extra: list[str], timeout: float) -> dict | Unavailable:
    with tempfile.TemporaryDirectory(prefix="xent-bench-") as tmp:
        figures, report = Path(tmp) / "probe.json", Path(tmp) / "report.json"
        argv = [python, str(PROBE), str(figures), "run", "--impl", impl, "--no-build", "--report-json", str(report),
                *extra]
        began = time.perf_counter()
        ran = run_tool(argv, cwd, timeout, env=_bench_env(), ok_codes=(0, 1))
        wall = time.perf_counter() - began
        if isinstance(ran, Unavailable):
            return ran
        try:
            data = json.loads(figures.read_text(encoding="utf-8"))
            rep = json.loads(report.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            return Unavailable(f"cannot read the probe's figures: {exc}")
    data["wall"] = wall
    data["vectors"] = int(rep["total"])
    data["verdict"] = str(rep["verdict"])
    return data


def _warm_up(impl: str, python: str, cwd: Path, timeout: float) -> Unavailable | None:
    """One run of one function, untimed: it builds the adapter when stale and writes the interpreter's
    byte-code caches, so that neither is timed."""
    warm = run_tool([python, "-m", "xent_conformance.cli", "run", "--impl", impl, "--function", "softmax",
                     "--dtype", "float64"], cwd, timeout, env=_bench_env(), ok_codes=(0, 1))
    return warm if isinstance(warm, Unavailable) else None


def summarise(impl: str, revision: str, runs: list[dict]) -> EndToEnd:
    """The median run (by wall time) of one side."""
    runs = sorted(runs, key=lambda d: d["wall"])
    mid = runs[len(runs) // 2]
    phases = dict(mid["phases"])
    # interpreter start-up happens before the probe's first line: it is charged to the start phase
    phases["start"] = mid["wall"] - mid["inProcessSeconds"] + phases.pop("imports")
    phases = {k: phases[k] for k in ("start", "load", "run", "report")}
    return EndToEnd(impl=impl, revision=revision, vectors=mid["vectors"], wall=mid["wall"], phases=phases,
                    peak_rss_mib=mid["peakRssKiB"] / 1024, verdict=mid["verdict"], samples=[d["wall"] for d in runs],
                    adapter_rss_mib=mid.get("adapterPeakRssKiB", float("nan")) / 1024)


def prepare_revision(root: Path, revision: str, timeout: float = 1800) -> tuple[str, Path] | Unavailable:
    """(python, checkout) for another revision: a git worktree in the temporary folder and a uv virtual
    environment inside it with that revision's conformance and python packages (reused when present)."""
    resolved = run_tool(["git", "-C", str(root), "rev-parse", "--short", revision], root, 60)
    if isinstance(resolved, Unavailable):
        return resolved
    short = resolved.stdout.strip()
    tree = Path(tempfile.gettempdir()) / f"xent-bench-{short}"
    if not (tree / "conformance").is_dir():
        added = run_tool(["git", "-C", str(root), "worktree", "add", "--detach", str(tree), short], root, 300)
        if isinstance(added, Unavailable):
            return added
    venv = tree / ".bench-venv"
    python = venv / "bin" / "python"
    if not python.exists():
        for argv in (["uv", "venv", "-q", "--python", sys.executable, str(venv)],
                     ["uv", "pip", "install", "-q", "--python", str(python), str(tree / "conformance"), str(tree / "python")]):
            made = run_tool(argv, tree, timeout)
            if isinstance(made, Unavailable):
                return made
    return str(python), tree


def side_by_side(root: Path, impls: list[str], revision: str | None, repeats: int, timeout: float = 1800,
                 vectors: str | None = None) -> list[EndToEnd | Unavailable]:
    """End-to-end figures for this checkout and, with `revision`, for that revision; the repeats
    alternate between the two so that both see the same machine load. With `vectors`, every side runs
    that vector folder (`--vectors`), else its own."""
    extra = ["--vectors", str(Path(vectors).resolve())] if vectors else []
    sides: dict[str, tuple[str, Path] | Unavailable] = {"HEAD": (sys.executable, root)}
    if revision:
        sides[revision] = prepare_revision(root, revision)
    out: list[EndToEnd | Unavailable] = []
    for impl in impls:
        runs: dict[str, list[dict] | Unavailable] = {}
        for label, side in sides.items():
            runs[label] = side if isinstance(side, Unavailable) else (_warm_up(impl, *side, timeout) or [])
        for _ in range(repeats):
            for label, side in sides.items():
                if isinstance(runs[label], list):
                    data = _probe_once(side[0], side[1], impl, extra, timeout)
                    runs[label] = data if isinstance(data, Unavailable) else [*runs[label], data]
        for label, got in runs.items():
            out.append(Unavailable(f"{impl} at {label}: {got.reason}") if isinstance(got, Unavailable)
                       else summarise(impl, label, got))
    return out
