"""Which adapter to start: a name from conformance/implementations.yaml, or any command line."""
from __future__ import annotations

import os
import shlex
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .. import paths


class ImplError(Exception):
    """The implementation cannot be resolved or built (exit code 2); the message says why."""


@dataclass
class Impl:
    label: str                      # what the user typed after --impl
    argv: list[str]
    cwd: str | None
    own: bool                       # one of the project's implementations (default level accurate)
    build: list[str] | None = None
    sources: list[str] = field(default_factory=list)
    artifact: str | None = None


def implementations_file() -> Path:
    return paths.repo_root() / "conformance" / "implementations.yaml"


def known_implementations() -> dict:
    try:
        path = implementations_file()
    except FileNotFoundError:
        return {}
    if not path.is_file():
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ImplError(f"{path}: invalid YAML: {exc}") from None
    return data if isinstance(data, dict) else {}


def _subst(arg: str) -> str:
    return arg.replace("{python}", sys.executable)


def resolve(label: str) -> Impl:
    known = known_implementations()
    if label in known:
        entry = known[label]
        root = paths.repo_root()
        if not isinstance(entry, dict) or not isinstance(entry.get("command"), list):
            raise ImplError(f"implementations.yaml: {label}.command must be a list")
        argv = [_subst(str(a)) for a in entry["command"]]
        # a relative program path (go/bin/xent-adapter) is relative to the checkout
        if "/" in argv[0] and not os.path.isabs(argv[0]):
            argv[0] = str(root / argv[0])
        build = entry.get("build")
        return Impl(label=label, argv=argv, cwd=str(root), own=True,
                    build=[_subst(str(a)) for a in build] if build else None,
                    sources=[str(s) for s in entry.get("sources", [])], artifact=entry.get("artifact"))
    try:
        argv = shlex.split(label)
    except ValueError as exc:
        raise ImplError(f"cannot parse --impl {label!r} as a command: {exc}") from None
    if not argv:
        raise ImplError("--impl is empty")
    return Impl(label=label, argv=argv, cwd=None, own=False)


def _newest_mtime(root: Path, sources: list[str], skip: Path | None) -> float:
    newest = 0.0
    for s in sources:
        base = root / s
        if base.is_file():
            newest = max(newest, base.stat().st_mtime)
            continue
        for dirpath, dirnames, filenames in os.walk(base):
            # build outputs are not sources
            dirnames[:] = [d for d in dirnames if d not in ("target", "bin", ".git", "node_modules")]
            for f in filenames:
                p = Path(dirpath) / f
                if skip is not None and p == skip:
                    continue
                try:
                    newest = max(newest, p.stat().st_mtime)
                except OSError:
                    pass
    return newest


def needs_build(impl: Impl) -> bool:
    if not impl.build or not impl.artifact:
        return False
    root = paths.repo_root()
    artifact = root / impl.artifact
    if not artifact.exists():
        return True
    return _newest_mtime(root, impl.sources, artifact) > artifact.stat().st_mtime


def build(impl: Impl, timeout: float, log=None) -> None:
    """Run the build when the artifact is missing or stale; ImplError with the build's output on failure."""
    if not needs_build(impl):
        return
    assert impl.build is not None
    if log:
        log(f"building {impl.label}: {shlex.join(impl.build)}")
    try:
        proc = subprocess.run(impl.build, cwd=str(paths.repo_root()), stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout)
    except FileNotFoundError:
        raise ImplError(f"cannot build {impl.label}: {impl.build[0]!r} is not installed") from None
    except subprocess.TimeoutExpired:
        raise ImplError(f"building {impl.label} took longer than {timeout:g} s") from None
    except OSError as exc:
        raise ImplError(f"cannot build {impl.label}: {exc}") from None
    if proc.returncode != 0:
        output = proc.stdout.decode("utf-8", "replace")[-4000:]
        raise ImplError(f"building {impl.label} failed (exit {proc.returncode}): {shlex.join(impl.build)}\n{output}")
