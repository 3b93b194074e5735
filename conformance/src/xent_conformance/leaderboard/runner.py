"""`leaderboard --run`: every implementation through `xent-conformance run`, one JSON report each.

Ours are the names of conformance/implementations.yaml (built by the harness as usual). Frameworks come
from frameworks/frameworks.yaml; one whose `requires` modules do not import in this interpreter is
skipped with that reason, so the leaderboard still renders on a machine without, say, JAX.
All runs use `--level accurate` so that the statuses of every implementation are comparable.
"""
from __future__ import annotations

import importlib.util
import shlex
import subprocess
import sys
import time
from pathlib import Path

import yaml

from .. import paths
from ..harness.impls import known_implementations


def frameworks_file(path: str | None) -> Path:
    return Path(path) if path else paths.repo_root() / "frameworks" / "frameworks.yaml"


def load_frameworks(path: Path) -> dict[str, dict]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else {}
    return data if isinstance(data, dict) else {}


def missing_modules(entry: dict) -> list[str]:
    return [m for m in entry.get("requires") or () if importlib.util.find_spec(m) is None]


def _run(label: str, impl: str, report: Path, timeout: float | None) -> bool:
    """One harness run; True when it produced a report (failures are results, not errors, here)."""
    argv = [sys.executable, "-m", "xent_conformance.cli", "run", "--impl", impl, "--level", "accurate",
            "--report-json", str(report), "--show-failures", "0"]
    if timeout:
        argv += ["--timeout", str(timeout)]
    report.unlink(missing_ok=True)  # a stale report must not stand in for a run that wrote none
    t0 = time.monotonic()
    print(f"leaderboard: running {label} ...", flush=True)
    done = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    last = done.stdout.strip().splitlines()[-1:] or ["(no output)"]
    print(f"leaderboard: {label}: {last[0]} [{time.monotonic() - t0:.1f} s wall]", flush=True)
    return report.is_file()


def run_all(out: Path, frameworks_yaml: str | None, only: set[str]) -> tuple[list, list, dict[str, str]]:
    """Run what is selected; returns (our (label, report) pairs, the frameworks' pairs, skipped reasons)."""
    runs = out / "runs"
    runs.mkdir(parents=True, exist_ok=True)
    ours, frameworks, skipped = [], [], {}
    for name in known_implementations():
        report = runs / f"{name}.json"
        if (not only or name in only) and _run(name, name, report, None):
            ours.append((name, report))
    for name, entry in load_frameworks(frameworks_file(frameworks_yaml)).items():
        if only and name not in only:
            continue
        missing = missing_modules(entry)
        if missing:
            extra = entry.get("extra")
            skipped[name] = (f"{', '.join(missing)} not installed"
                             + (f" (pip install './frameworks[{extra}]')" if extra else ""))
            print(f"leaderboard: skipping {name}: {skipped[name]}", flush=True)
            continue
        command = shlex.join(str(a).replace("{python}", sys.executable) for a in entry["command"])
        report = runs / f"{name}.json"
        if _run(name, command, report, entry.get("timeout")):
            frameworks.append((name, report))
        else:
            skipped[name] = "the run wrote no report"
    return ours, frameworks, skipped
