"""Golden-vector generation speed, with and without gmpy2 under mpmath.

Runs `xent-conformance generate --out TMPDIR` twice: with the environment as it is (mpmath picks gmpy2
when it is installed) and with MPMATH_NOGMPY=1 (mpmath's pure-Python integers). Each output is
compared byte for byte with the committed vectors/, since a backend that changed a single digit would
make the speed-up meaningless.
"""
from __future__ import annotations

import filecmp
import os
import re
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .results import Unavailable, run_tool

QUICK_FUNCTIONS = ("sigmoid",)  # --quick: one light function (both dtypes) instead of all 19
_SUMMARY = re.compile(r"wrote (?P<vectors>\d+) vectors in (?P<files>\d+) files, (?P<seconds>[\d.]+) s")


@dataclass
class Generation:
    backend: str           # mpmath's arithmetic backend: "gmpy" or "python"
    vectors: int
    files: int
    seconds: float         # the generator's own clock (planning and writing excluded)
    identical: bool        # every file byte-identical to vectors/
    differing: list[str]

    @property
    def per_second(self) -> float:
        return self.vectors / self.seconds if self.seconds > 0 else float("nan")


def parse_summary(text: str) -> tuple[int, int, float] | None:
    """(vectors, files, seconds) from the generator's `wrote N vectors in F files, S s (...)` line."""
    m = _SUMMARY.search(text)
    return (int(m["vectors"]), int(m["files"]), float(m["seconds"])) if m else None


def differing_files(out: Path, committed: Path) -> list[str]:
    """Files of `out` that differ from (or are missing in) `committed`; a full run must also cover
    every committed vector file."""
    names = sorted(p.name for p in out.glob("*.json"))
    return [n for n in names if not (committed / n).is_file() or not filecmp.cmp(out / n, committed / n, shallow=False)]


def backend(env: dict[str, str]) -> str:
    proc = run_tool([sys.executable, "-c", "import mpmath.libmp as m; print(m.BACKEND)"], Path.cwd(), 60, env)
    return proc.stdout.strip() if not isinstance(proc, Unavailable) else f"? ({proc.reason})"


def generate(root: Path, pure_python: bool, functions: tuple[str, ...] = (), timeout: float = 900
             ) -> Generation | Unavailable:
    env = dict(os.environ)
    if pure_python:
        env["MPMATH_NOGMPY"] = "1"
    else:
        env.pop("MPMATH_NOGMPY", None)
    with tempfile.TemporaryDirectory(prefix="xent-gen-") as tmp:
        argv = [sys.executable, "-m", "xent_conformance.cli", "generate", "--quiet", "--out", tmp,
                *(a for f in functions for a in ("--function", f))]
        ran = run_tool(argv, root, timeout, env)
        if isinstance(ran, Unavailable):
            return ran
        summary = parse_summary(ran.stdout + ran.stderr)
        if summary is None:
            return Unavailable("the generator printed no `wrote N vectors` line")
        committed = root / "vectors"
        differ = differing_files(Path(tmp), committed)
        if not functions:
            produced = {p.name for p in Path(tmp).glob("*.json")}
            differ += sorted(p.name + " (not produced)" for p in committed.glob("*.json") if p.name not in produced)
        return Generation(backend(env), *summary, identical=not differ, differing=differ)


def both(root: Path, quick: bool) -> dict[str, Generation | Unavailable]:
    functions = QUICK_FUNCTIONS if quick else ()
    return {"gmpy2": generate(root, pure_python=False, functions=functions),
            "pure python": generate(root, pure_python=True, functions=functions)}
