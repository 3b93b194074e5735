"""The date, the machine and the tool versions a run's figures belong to."""
from __future__ import annotations

import datetime
import os
import platform
import re
from importlib import metadata
from pathlib import Path

from .results import Unavailable, run_tool

PACKAGES = ("xent", "xent-conformance", "numpy", "torch", "mpmath", "gmpy2")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
TOOLS = {"go": ["go", "version"], "java": ["java", "-version"], "maven": ["mvn", "-v"]}


def cpu_model(cpuinfo: str) -> str:
    """The first `model name` of /proc/cpuinfo text (the platform's processor name when absent)."""
    m = re.search(r"^model name\s*:\s*(.+)$", cpuinfo, re.MULTILINE)
    return m.group(1).strip() if m else (platform.processor() or platform.machine())


def _read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def _package(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def _tool(argv: list[str]) -> str:
    ran = run_tool(argv, Path.cwd(), 60)
    if isinstance(ran, Unavailable):
        return str(ran)
    text = _ANSI.sub("", ran.stdout + ran.stderr).strip()  # java -version writes to stderr; mvn colours
    return text.splitlines()[0] if text else "?"


def commit() -> str:
    """The checkout's commit, `-dirty` when the work tree differs from it: which code the figures are for."""
    ran = run_tool(["git", "describe", "--always", "--dirty", "--abbrev=12"], Path.cwd(), 60)
    return ran.stdout.strip() if not isinstance(ran, Unavailable) else str(ran)


def describe() -> dict[str, object]:
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": commit(),
        "cpu": cpu_model(_read("/proc/cpuinfo")),
        "cores": os.cpu_count(),
        "memory": _memory(_read("/proc/meminfo")),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "packages": {name: _package(name) for name in PACKAGES},
        "tools": {name: _tool(argv) for name, argv in TOOLS.items()},
    }


def _memory(meminfo: str) -> str:
    m = re.search(r"^MemTotal:\s*(\d+) kB", meminfo, re.MULTILINE)
    return f"{int(m.group(1)) / 2**20:.0f} GiB" if m else "?"
