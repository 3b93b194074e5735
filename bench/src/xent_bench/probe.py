"""Run `xent-conformance` in this process and record where its time and memory went.

Executed as a script by path (`python probe.py OUT.json run --impl go ...`) with the interpreter of the
installation being measured, so it works with any revision of xent_conformance (it imports nothing of
xent_bench, and only names that revision ed46cfc already had: harness.commands.load_cases and
harness.runner.Runner.run). It writes OUT.json: the phases in seconds (imports: interpreter start to
the command line parsed; load: reading and checking the vector files; run: adapter start to stop,
judging included; report: the rest, printing and writing reports), the exit code, the harness's own
peak RSS (ru_maxrss of RUSAGE_SELF: this process alone, the adapter is a child and not counted) and the
adapter's (ru_maxrss of RUSAGE_CHILDREN: the largest child reaped, which with --no-build is the adapter).
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
    runner.Runner.run = timed("run", runner.Runner.run)
    imported = time.perf_counter() - BEGAN
    code = cli_main(argv)
    total = time.perf_counter() - BEGAN
    usage = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    phases = {"imports": imported, "load": spent["load"], "run": spent["run"]}
    phases["report"] = max(total - sum(phases.values()), 0.0)
    with open(out, "w", encoding="utf-8") as handle:
        json.dump({"phases": phases, "exit": code, "peakRssKiB": usage.ru_maxrss, "childPeakRssKiB": children.ru_maxrss,
                   "cpuSeconds": usage.ru_utime + usage.ru_stime, "inProcessSeconds": total}, handle)
    return code


if __name__ == "__main__":
    sys.exit(main())
