"""`leaderboard --run`: every implementation through the harness, one JSON report each.

The vectors are loaded once and each implementation runs as `xent-conformance run --level accurate
--report-json runs/NAME.json` would run it (same runner, same report), in this process.

Ours are the names of conformance/implementations.yaml (built by the harness as usual). Frameworks come
from frameworks/frameworks.yaml; one whose `requires` modules do not import in this interpreter is
skipped with that reason, so the leaderboard still renders on a machine without, say, JAX.
All runs use `--level accurate` so that the statuses of every implementation are comparable.
"""
from __future__ import annotations

import importlib.util
import shlex
import sys
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


def _run(label: str, impl_spec: str, cases: list, report: Path, timeout: float | None) -> bool:
    """One implementation over the loaded vectors, as `xent-conformance run --level accurate
    --report-json REPORT` does it; True when a report was written (failures are results here)."""
    from ..harness.impls import ImplError, build, resolve
    from ..harness.report import Report, write_outputs
    from ..harness.runner import Options, Runner, default_env

    def log(msg: str) -> None:
        print(f"  {label}: {msg}", file=sys.stderr, flush=True)

    print(f"leaderboard: running {label} ...", flush=True)
    try:
        impl = resolve(impl_spec)
        build(impl, 900.0, log)
    except ImplError as exc:
        print(f"leaderboard: {label}: {exc}", flush=True)
        return False
    options = Options(timeout=timeout or Options.timeout, env=default_env())
    result = Runner(impl.argv, impl.cwd, options, log=lambda msg: None).run(cases)
    rerun = ["xent-conformance", "run", "--impl", impl_spec, "--level", "accurate"]
    outcome = Report(impl_label=impl_spec, level="accurate", result=result, rerun_base=rerun)
    problems = write_outputs(outcome, str(report), None, None)
    print(f"leaderboard: {label}: {outcome.verdict}: {outcome.balance_line()} ({result.elapsed:.1f} s)", flush=True)
    return not problems


def run_all(out: Path, frameworks_yaml: str | None, only: set[str]) -> tuple[list, list, dict[str, str]]:
    """Run what is selected; returns (our (label, report) pairs, the frameworks' pairs, skipped reasons)."""
    from ..harness.vectors import load_vectors

    runs = out / "runs"
    runs.mkdir(parents=True, exist_ok=True)
    for stale in runs.glob("*.json"):  # a report left from an earlier run must not stand in for this one
        stale.unlink()
    cases = load_vectors()  # once: loading and checking 9323 vectors costs more than running a fast adapter
    ours, frameworks, skipped = [], [], {}
    for name in known_implementations():
        report = runs / f"{name}.json"
        if (not only or name in only) and _run(name, name, cases, report, None):
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
        if _run(name, command, cases, report, entry.get("timeout")):
            frameworks.append((name, report))
        else:
            skipped[name] = "the run wrote no report"
    return ours, frameworks, skipped
