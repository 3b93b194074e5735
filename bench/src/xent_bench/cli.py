"""`xent-bench`: run every benchmark part, print one report, write reports/bench.md and bench.json.

    xent-bench                 everything (about five minutes on two cores)
    xent-bench --quick         generation of one function only, fewer timing rounds everywhere
    xent-bench --skip generation --skip java
    xent-bench --only e2e --compare-with ed46cfc
                               the harness end to end only, beside another revision
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from rich.console import Console
from xent_conformance import paths

from . import generation as gen
from . import gobench, harness, jmh, machine, workload
from .report import BenchRun, dumps, markdown, print_rich

PARTS = ("generation", "harness", "e2e", "python", "go", "java")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="xent-bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help=f"generate only {', '.join(gen.QUICK_FUNCTIONS)}; fewer timing rounds (a smoke run)")
    parser.add_argument("--skip", action="append", choices=PARTS, default=[], help="leave a part out (repeatable)")
    parser.add_argument("--only", action="append", choices=PARTS, default=[], help="run only this part (repeatable)")
    parser.add_argument("--repeats", type=int, help="timeit rounds for the Python workload (default 5, --quick 3)")
    parser.add_argument("--out", type=Path, help="folder for bench.md and bench.json (default: reports/)")
    parser.add_argument("--compare-with", metavar="REV",
                        help="also time the harness end to end at this git revision (a worktree and a uv venv in "
                             "the temporary folder), alternating with this checkout")
    parser.add_argument("--e2e-impl", action="append", metavar="IMPL",
                        help="implementations timed end to end (repeatable; default go)")
    parser.add_argument("--e2e-repeats", type=int, metavar="N", help="end-to-end runs per side (default 3, --quick 1)")
    parser.add_argument("--e2e-vectors", metavar="DIR",
                        help="the vector folder every revision runs end to end (default: each its own vectors/); "
                             "the same work on both sides when the vector set has grown since --compare-with")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    root = paths.repo_root()
    out = args.out or root / "reports"
    status = Console(stderr=True)
    began = time.monotonic()
    run = BenchRun(machine=machine.describe(), quick=args.quick, skipped=list(args.skip))
    wanted = [p for p in PARTS if p not in args.skip and (not args.only or p in args.only)]
    for part in wanted:
        status.print(f"[dim]bench: {part} ...[/dim]")
        part_began = time.monotonic()
        _run_part(part, run, root, args)
        run.part_seconds[part] = time.monotonic() - part_began
    run.seconds = time.monotonic() - began
    # piped (nox, CI logs) rich assumes 80 columns, too narrow for the workload table
    print_rich(run, Console() if sys.stdout.isatty() else Console(width=140))
    out.mkdir(parents=True, exist_ok=True)
    (out / "bench.md").write_text(markdown(run), encoding="utf-8")
    (out / "bench.json").write_text(dumps(run), encoding="utf-8")
    status.print(f"wrote {out / 'bench.md'} and {out / 'bench.json'}", highlight=False)
    return 0


def _run_part(part: str, run: BenchRun, root: Path, args: argparse.Namespace) -> None:
    if part == "generation":
        run.generation = gen.both(root, args.quick)
    elif part == "harness":
        for impl in harness.IMPLEMENTATIONS:
            run.throughput[impl] = harness.throughput(impl, root)
            run.startup[impl] = harness.startup(impl)
    elif part == "e2e":
        run.end_to_end = harness.side_by_side(root, args.e2e_impl or ["go"], args.compare_with,
                                              args.e2e_repeats or (1 if args.quick else 3), vectors=args.e2e_vectors)
    elif part == "python":
        run.workload[:0] = workload.measure(args.repeats or (3 if args.quick else 5))
    elif part == "go":
        run.workload.append(gobench.run(root, benchtime="2x" if args.quick else "10x"))
    elif part == "java":
        run.workload.append(jmh.run(root, quick=args.quick))


if __name__ == "__main__":
    sys.exit(main())
