"""What every benchmark part hands to the table: figures, or the reason a part could not run.

A part that cannot run (a missing toolchain, a benchmark not written yet, a failed build) becomes
`Unavailable` with one sentence, so that one command always ends with a table.
"""
from __future__ import annotations

import os
import signal
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

Key = tuple[str, str]  # (workload, dtype)


@dataclass
class Unavailable:
    reason: str

    def __str__(self) -> str:
        return f"not available ({self.reason})"


@dataclass
class ImplTimings:
    """Seconds per call of one implementation for each (workload, dtype) it ran, and how they were taken."""
    impl: str
    how: str
    seconds: dict[Key, float] = field(default_factory=dict)
    unavailable: Unavailable | None = None
    #: peak memory of one call above the process's resident size before it (bytes), where measured
    peak_bytes: dict[Key, int] = field(default_factory=dict)
    #: bytes allocated by one call (Go's B/op, JMH's gc.alloc.rate.norm), for the implementations timed in
    #: their own processes: an upper bound of the call's extra memory, where the peak cannot be read
    alloc_bytes: dict[Key, float] = field(default_factory=dict)


def tail(text: str, lines: int = 3, width: int = 300) -> str:
    """The last non-empty lines of a tool's output, joined: enough to say why it failed."""
    kept = [line.strip() for line in text.strip().splitlines() if line.strip()][-lines:]
    return " | ".join(kept)[-width:] or "no output"


def run_tool(argv: list[str], cwd: Path, timeout: float, env: dict[str, str] | None = None,
             ok_codes: tuple[int, ...] = (0,)) -> subprocess.CompletedProcess[str] | Unavailable:
    """Run a command to completion with its output captured; Unavailable if it cannot start, times out
    or exits with a code not in `ok_codes` (the reason quotes the end of its output). The command runs in
    its own process group, killed as a whole on time-out, so that a build's or a test binary's children
    do not linger."""
    try:
        proc = subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, start_new_session=True)
    except OSError as exc:
        missing = isinstance(exc, FileNotFoundError)
        return Unavailable(f"{argv[0]} is not installed" if missing else str(exc))
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        return Unavailable(f"{' '.join(argv[:3])} ... took longer than {timeout:g} s")
    if proc.returncode not in ok_codes:
        return Unavailable(f"{' '.join(argv[:3])} ... exited {proc.returncode}: {tail(out + err)}")
    return subprocess.CompletedProcess(argv, proc.returncode, out, err)
