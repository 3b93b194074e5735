"""`xent-conformance generate`: write vectors/ from spec/ (or check that it is up to date).

Output rules (issue 13 item 15, data loss): vectors/ is written only from spec/cases. Vectors for your
own case files (--cases) need --out DIR, which may not be the checkout's vectors/ folder; and whenever
--out is given, a file already in DIR is not overwritten unless --force. Plain `generate` rewrites
vectors/ from the spec, as before.
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from . import paths
from .cases import MAX_CASE_ELEMENTS, MAX_FILE_ELEMENTS
from .generate import GenerationError, Timing, generate, plan
from .spec import MAX_YAML_BYTES, MAX_YAML_DEPTH, MAX_YAML_NODES, SpecError

USAGE_ERROR = 64  # as cli.USAGE_ERROR (EX_USAGE)

LIMITS = (f"Limits on case files (each an error naming the file and the place): at most "
          f"{MAX_YAML_BYTES // (1024 * 1024)} MiB per file, UTF-8, nesting at most {MAX_YAML_DEPTH} levels, at most "
          f"{MAX_YAML_NODES:,} YAML nodes once aliases are expanded, at most {MAX_CASE_ELEMENTS:,} elements per "
          f"tensor of a case, at most {MAX_FILE_ELEMENTS:,} input elements per vector file.")


def register(commands) -> None:
    parser = commands.add_parser(
        "generate", help="generate golden vectors from the spec",
        description="Generate golden vectors from spec/ (or your own case files). vectors/ is written only from "
                    "spec/cases: with --cases, give --out DIR (not vectors/); a file already in an --out folder "
                    "is kept unless --force. " + LIMITS)
    parser.add_argument("--check", action="store_true",
                        help="regenerate in memory; exit 1 naming the files that differ from the output folder")
    parser.add_argument("--cases", type=Path, action="append", metavar="FILE",
                        help="your own case file (YAML, same format as spec/cases/*.yaml); repeatable; needs --out")
    parser.add_argument("--out", type=Path, metavar="DIR",
                        help="output folder (default: vectors/, written from spec/ only)")
    parser.add_argument("--force", action="store_true", help="overwrite files already in the --out folder")
    parser.add_argument("--function", action="append", help="only this function (repeatable)")
    parser.add_argument("--workers", type=_positive, help="worker processes (default: all cores)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.set_defaults(handler=run)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _usage_problem(args: argparse.Namespace) -> str | None:
    """Why the output folder may not be written, before any work is done (None: it may)."""
    if args.check:
        return None  # --check only reads
    if args.out is None and not paths.in_checkout():
        return ("outside a checkout the packaged vectors are read-only: give --out DIR (with --cases FILE for "
                "your own cases), or run inside a checkout / set XENT_ROOT (nothing was written)")
    if args.cases and args.out is None:
        return ("--cases needs --out DIR: vectors/ holds the golden files and is written only from spec/cases "
                "(nothing was written)")
    if args.out is not None and args.out.exists() and not args.out.is_dir():
        return f"--out {args.out}: is a file, not a folder"
    if args.cases and args.out is not None and _is_checkout_vectors(args.out):
        return (f"--out {args.out}: is the checkout's vectors/ folder, written only from spec/cases "
                "(run `xent-conformance generate` without --cases to regenerate it)")
    return None


def _is_checkout_vectors(folder: Path) -> bool:
    try:
        return folder.resolve() == paths.vectors_dir().resolve()
    except (OSError, RuntimeError):  # no checkout (FileNotFoundError), or a symlink loop
        return False


def _existing(out_dir: Path, names: list[str]) -> list[Path]:
    return [out_dir / name for name in sorted(names) if (out_dir / name).exists()]


def run(args: argparse.Namespace) -> int:
    console = Console(stderr=True, soft_wrap=True)  # one line per problem, also in CI logs
    problem = _usage_problem(args)
    if problem:
        console.print(f"xent-conformance generate: error: {problem}", highlight=False, markup=False)
        return USAGE_ERROR
    out_dir = args.out or paths.vectors_dir()
    try:
        the_plan = plan(case_paths=args.cases, functions=set(args.function) if args.function else None)
    except (SpecError, GenerationError) as exc:
        console.print(f"spec problems, nothing written:\n{exc}", highlight=False, markup=False)
        return 2
    if args.out is not None and not args.check and not args.force:
        existing = _existing(out_dir, [f"{f}_{d}.json" for f, d in the_plan.files])
        if existing:
            listed = ", ".join(str(p) for p in existing)
            console.print(f"xent-conformance generate: error: would overwrite {listed}; pass --force to overwrite "
                          "(nothing was written)", highlight=False, markup=False)
            return USAGE_ERROR
    jobs = sum(len(c) for c in the_plan.files.values())
    started = time.perf_counter()
    try:
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=console, disable=args.quiet) as progress:
            task = progress.add_task("oracle", total=jobs)
            timing = Timing()
            texts = generate(the_plan, args.workers, lambda n: progress.advance(task, n), timing)
    except GenerationError as exc:
        console.print(f"generation failed, nothing written:\n{exc}", highlight=False, markup=False)
        return 2
    elapsed = time.perf_counter() - started
    summary = f"{jobs} vectors in {len(texts)} files, {elapsed:.1f} s ({jobs / elapsed:.0f} vectors/s)"
    if timing.total > 0:
        console.print(f"oracle time {timing.total:.1f} s over {args.workers or 'all'} worker(s); "
                      f"{timing.long_count} long vectors took {timing.long:.1f} s "
                      f"({100 * timing.long / timing.total:.0f}%)", highlight=False)
    if args.check:
        return _check(texts, out_dir, summary, console, full=not args.cases and not args.function)
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, text in texts.items():
        (out_dir / name).write_text(text, encoding="utf-8")
    console.print(f"wrote {summary} to {out_dir}", highlight=False)
    return 0


def _check(texts: dict[str, str], out_dir: Path, summary: str, console: Console, full: bool) -> int:
    differ = [name for name, text in sorted(texts.items())
              if not (out_dir / name).is_file() or (out_dir / name).read_text(encoding="utf-8") != text]
    extra = sorted(p.name for p in out_dir.glob("*.json") if p.name not in texts) if full else []
    for name in differ:
        console.print(f"differs: {out_dir / name}", highlight=False)
    for name in extra:
        console.print(f"not generated by the spec: {out_dir / name}", highlight=False)
    if differ or extra:
        console.print(f"vectors are NOT up to date ({summary}); run `xent-conformance generate`", highlight=False)
        return 1
    console.print(f"vectors are byte-identical: {summary}", highlight=False)
    return 0
