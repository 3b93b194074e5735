"""Run `xent-conformance` in this process and record where its time and memory went.

Executed as a script by path (`python probe.py OUT.json run --impl go ...`) with the interpreter of the
installation being measured, so it works with any revision of xent_conformance (it imports nothing of
xent_bench, and only names that revision ed46cfc already had: harness.commands.load_cases,
harness.runner.Runner.run and harness.process.AdapterProcess.stop). It writes OUT.json: the phases in seconds (imports: interpreter start to
the command line parsed; load: reading and checking the vector files; run: adapter start to stop,
judging included; report: the rest, printing and writing reports), the exit code, the harness's own
peak RSS (ru_maxrss of RUSAGE_SELF: this process alone, the adapter is a child and not counted) and the
adapter's (VmHWM of /proc/PID/status, read when the harness stops it; not RUSAGE_CHILDREN, whose ru_maxrss
counts the harness's own pages that a child holds between fork and exec: it reported the harness's size).
"""
from __future__ import annotations

import json
import resource
import sys
import time

BEGAN = time.perf_counter()


def main() -> int:
    out, argv = sys.argv[1], sys.argv[2:]
    from xent_conformance.cli import main as cli_main
    from xent_conformance.harness import commands, runner

    spent: dict[str, float] = {"load": 0.0, "run": 0.0}
    marks: dict[str, float] = {}

    def timed(name, fn):
        def wrapped(*args, **kwargs):
            marks.setdefault(f"{name}_start", time.perf_counter() - BEGAN)
            t = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[name] += time.perf_counter() - t
        return wrapped

    commands.load_cases = timed("load", commands.load_cases)
    from xent_conformance.harness import process
    adapter_peak = [0]
    stop = process.AdapterProcess.stop

    def stop_measured(self, *args, **kwargs):
        if self.proc is not None:
            adapter_peak[0] = max(adapter_peak[0], _peak_kib(self.proc.pid))
        return stop(self, *args, **kwargs)

    process.AdapterProcess.stop = stop_measured
    runner.Runner.run = timed("run", runner.Runner.run)
    imported = time.perf_counter() - BEGAN
    code = cli_main(argv)
    total = time.perf_counter() - BEGAN
    usage = resource.getrusage(resource.RUSAGE_SELF)
    phases = {"imports": imported, "load": spent["load"], "run": spent["run"]}
    phases["report"] = max(total - sum(phases.values()), 0.0)
    with open(out, "w", encoding="utf-8") as handle:
        json.dump({"phases": phases, "exit": code, "peakRssKiB": usage.ru_maxrss, "adapterPeakRssKiB": adapter_peak[0],
                   "cpuSeconds": usage.ru_utime + usage.ru_stime, "inProcessSeconds": total}, handle)
    return code


def _peak_kib(pid: int) -> int:
    """The peak resident set of a live process in KiB (Linux: VmHWM), 0 when it cannot be read."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
