"""The `run` and `smoke` subcommands.

Exit codes: 0 everything passed (acceptable and unsupported vectors do not fail a run unless
--require-all); 1 conformance failures (a wrong value, a wrong error kind, a missing error); 2 the
implementation could not be built or started, or it crashed, timed out or spoke the protocol wrong
(any `errored` vector; this wins over 1); 64 usage errors; 65 malformed vector files.
"""
from __future__ import annotations

import argparse
import os
import sys

from .report import EXIT_ADAPTER, EXIT_OK, EXIT_USAGE, EXIT_VECTORS

LEVEL_CHOICES = ("accurate", "compatible")


def _console(stderr: bool = False):
    from rich.console import Console
    return Console(stderr=stderr, highlight=False, width=None if sys.stdout.isatty() else 160)


def _split(values: list[str] | None) -> list[str] | None:
    if not values:
        return None
    out = []
    for v in values:
        out.extend(x.strip() for x in v.split(",") if x.strip())
    return out or None


def load_cases(command: str, folder, functions=None, dtypes=None, tcids=None):
    """The vectors, or (None, exit code) after printing why they cannot be read: 65 for a malformed
    vector file, 64 for a missing folder."""
    from .vectors import VectorFileError, load_vectors
    try:
        return load_vectors(folder, functions, dtypes, tcids), EXIT_OK
    except VectorFileError as exc:
        print(f"xent-conformance {command}: malformed vector file: {exc}", file=sys.stderr)
        return None, EXIT_VECTORS
    except FileNotFoundError as exc:
        print(f"xent-conformance {command}: {exc}", file=sys.stderr)
        return None, EXIT_USAGE


def positive_number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be positive: {text!r}")
    return value


def _add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--impl", required=True,
                   help="python, java or go (conformance/implementations.yaml), or any adapter command line in quotes")
    p.add_argument("--startup-timeout", type=positive_number, default=60.0, metavar="S",
                   help="seconds for the adapter to start and answer `start` (default 60)")
    p.add_argument("--timeout", type=positive_number, default=30.0, metavar="S",
                   help="seconds for the answer to one request, a run_batch included (default 30)")
    p.add_argument("--mutant", metavar="NAME", help="set XENT_MUTANT=NAME for the adapter")
    p.add_argument("--no-build", action="store_true", help="never run the implementation's build step")
    p.add_argument("--build-timeout", type=positive_number, default=900.0, metavar="S", help="seconds for the build (default 900)")


def register(subparsers) -> None:
    run = subparsers.add_parser(
        "run", help="run the golden vectors against an implementation's adapter",
        description="Start the adapter, send every vector it supports, judge the answers centrally and report. "
                    "Exit 0: all passed; 1: conformance failures; 2: the adapter could not be started, crashed, "
                    "timed out or spoke the protocol wrong; 64: usage error; 65: malformed vector file.")
    _add_common(run)
    run.add_argument("--level", choices=LEVEL_CHOICES,
                     help="the tolerance level that decides the exit code (default: accurate for the project's "
                          "own implementations, compatible for any other command)")
    run.add_argument("--vectors", metavar="DIR", help="vector folder (default: the checkout's vectors/)")
    run.add_argument("--function", action="append", metavar="NAME", help="only this function (repeatable, or comma-separated)")
    run.add_argument("--dtype", action="append", metavar="DTYPE", help="only this dtype (repeatable, or comma-separated)")
    run.add_argument("--tcid", action="append", metavar="N", help="only this tcId (repeatable, or comma-separated)")
    run.add_argument("--max-restarts", type=int, default=3, metavar="N", help="restarts after a crash or timeout (default 3)")
    run.add_argument("--batch-size", type=int, default=64, metavar="N", help="cases per run_batch (default 64; 1 sends run)")
    run.add_argument("--batch-elements", type=int, default=100_000, metavar="N",
                     help="at most this many tensor elements per run_batch (default 100000)")
    run.add_argument("--max-line-mib", type=positive_number, default=64.0, metavar="MIB",
                     help="longest stdout line accepted from the adapter (default 64 MiB)")
    run.add_argument("--require-all", action="store_true", help="unsupported vectors fail the run (exit 1)")
    run.add_argument("--report-json", metavar="PATH", help="write the full report as JSON")
    run.add_argument("--junit", metavar="PATH", help="write JUnit XML (one testcase per vector)")
    run.add_argument("--markdown", metavar="PATH", help="write a Markdown summary")
    run.add_argument("--show-failures", type=int, default=20, metavar="N", help="failures printed in the terminal (default 20)")
    run.set_defaults(handler=_guard(handle_run))

    smoke = subparsers.add_parser(
        "smoke", help="a few tiny cases that tell a broken adapter from a non-conforming implementation",
        description="Exit 0: the adapter speaks the protocol and the special values are right; 1: the adapter works "
                    "but special values are wrong; 2: the adapter is broken (start, ids, encoding, stop).")
    _add_common(smoke)
    smoke.set_defaults(handler=_guard(handle_smoke))


def _guard(handler):
    """Never a traceback: anything unexpected becomes one line and exit code 70 (XENT_DEBUG=1 shows it)."""
    def wrapped(args) -> int:
        try:
            return handler(args)
        except KeyboardInterrupt:
            print("xent-conformance: interrupted", file=sys.stderr)
            return 130
        except Exception as exc:  # noqa: BLE001 - the last line of defence
            if os.environ.get("XENT_DEBUG"):
                raise
            print(f"xent-conformance: internal error: {type(exc).__name__}: {exc} "
                  f"(set XENT_DEBUG=1 for the traceback; please report it)", file=sys.stderr)
            return 70
    return wrapped


def _resolve(args, log):
    from .impls import ImplError, build, resolve
    try:
        impl = resolve(args.impl)
        if not args.no_build:
            build(impl, args.build_timeout, log)
    except ImplError as exc:
        print(f"xent-conformance: {exc}", file=sys.stderr)
        return None
    return impl


def handle_run(args) -> int:
    from .report import Report, write_outputs
    from .runner import Options, Runner, default_env

    err = _console(stderr=True)

    def log(msg: str) -> None:
        err.print(msg, markup=False, style="dim")

    if args.batch_size < 1 or args.max_restarts < 0 or args.batch_elements < 1:
        print("xent-conformance run: --batch-size and --batch-elements must be >= 1, --max-restarts >= 0", file=sys.stderr)
        return EXIT_USAGE
    tcids = None
    if args.tcid:
        try:
            tcids = [int(x) for x in _split(args.tcid) or []]
        except ValueError:
            print(f"xent-conformance run: --tcid takes integers, got {args.tcid}", file=sys.stderr)
            return EXIT_USAGE
    functions, dtypes = _split(args.function), _split(args.dtype)
    cases, code = load_cases("run", args.vectors, functions, dtypes, tcids)
    if cases is None:
        return code
    if not cases:
        where = args.vectors or "vectors/"
        if functions or dtypes or tcids:
            print(f"xent-conformance run: no vectors in {where} match the filters "
                  f"(function={functions}, dtype={dtypes}, tcid={tcids})", file=sys.stderr)
        else:
            print(f"xent-conformance run: no vector files (*.json) in {where}; "
                  f"write them with `xent-conformance generate`", file=sys.stderr)
        return EXIT_USAGE

    impl = _resolve(args, log)
    if impl is None:
        return EXIT_ADAPTER
    level = args.level or ("accurate" if impl.own else "compatible")
    options = Options(startup_timeout=args.startup_timeout, timeout=args.timeout, max_restarts=args.max_restarts,
                      batch_size=args.batch_size, batch_elements=args.batch_elements,
                      max_line_bytes=int(args.max_line_mib * (1 << 20)), env=default_env(args.mutant))
    log(f"running {len(cases)} vectors against {args.impl} (level {level})")
    result = Runner(impl.argv, impl.cwd, options, log=log).run(cases)

    rerun = ["xent-conformance", "run", "--impl", args.impl]
    if args.vectors:
        rerun += ["--vectors", args.vectors]
    if args.level:
        rerun += ["--level", args.level]
    if args.mutant:
        rerun += ["--mutant", args.mutant]
    report = Report(impl_label=args.impl, level=level, result=result, rerun_base=rerun, require_all=args.require_all)
    report.print_terminal(_console(), max_problems=max(args.show_failures, 0))
    for problem in write_outputs(report, args.report_json, args.junit, args.markdown):
        print(f"xent-conformance run: {problem}", file=sys.stderr)
    return report.exit_code


def handle_smoke(args) -> int:
    from .runner import default_env
    from .smoke import print_smoke, run_smoke

    err = _console(stderr=True)
    impl = _resolve(args, lambda m: err.print(m, markup=False))
    if impl is None:
        return EXIT_ADAPTER
    result = run_smoke(impl.argv, impl.cwd, default_env(args.mutant), args.startup_timeout, args.timeout)
    print_smoke(result, _console(), args.impl)
    return result.exit_code
