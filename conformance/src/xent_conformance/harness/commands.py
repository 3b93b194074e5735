"""The `run` and `smoke` subcommands.

Exit codes: 0 everything passed (acceptable, xfail and unsupported vectors do not fail a run unless
--require-all); 1 conformance failures (a wrong value, a wrong error kind, a missing error, or a stale
baseline entry); 2 the implementation could not be built or started, or it crashed, timed out or spoke
the protocol wrong (any `errored` vector; this wins over 1); 3 nothing was tested (every vector
unsupported); 64 usage errors; 65 malformed vector files.
"""
from __future__ import annotations

import argparse
import contextlib
import gc
import math
import os
import sys

from .. import paths
from .protocol import clean
from .report import EXIT_ADAPTER, EXIT_OK, EXIT_USAGE, EXIT_VECTORS, make_console

LEVEL_CHOICES = ("accurate", "compatible")
MAX_SECONDS = 7 * 24 * 3600.0   # a week: beyond that a timeout is a typo (and time.monotonic + inf breaks waits)
MAX_LINE_MIB = 4096.0


def _console(stderr: bool = False):
    return make_console(stderr)


def default_level(own: bool) -> tuple[str, str]:
    """The level that decides when --level is not given, and why (run and smoke share it)."""
    if own:
        return "accurate", "the default for the project's own implementations"
    return "compatible", "the default for any other adapter command; --level accurate is stricter"


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
        with _collector_paused():
            return load_vectors(folder, functions, dtypes, tcids), EXIT_OK
    except VectorFileError as exc:
        print(f"xent-conformance {command}: malformed vector file: {exc}", file=sys.stderr)
        return None, EXIT_VECTORS
    except FileNotFoundError as exc:
        print(f"xent-conformance {command}: {exc}", file=sys.stderr)
        return None, EXIT_USAGE


@contextlib.contextmanager
def _collector_paused():
    """Loading makes about a million lists, dicts and tuples that live as long as the run: the cyclic
    garbage collector would walk them over and over while they are made (a third of the loading time),
    and again at every full collection during the run. So it is paused while loading, and what was
    loaded is moved out of its reach (gc.freeze) afterwards; it runs as usual on everything made later."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()


def bounded_number(limit: float, unit: str):
    """An argparse type: a finite number > 0 and at most `limit` (inf, nan, 0, negatives: usage error)."""
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if not math.isfinite(value) or not value > 0:
            raise argparse.ArgumentTypeError(f"must be a finite positive number, got {text!r}")
        if value > limit:
            raise argparse.ArgumentTypeError(f"at most {limit:g} {unit}, got {text!r}")
        return value
    return parse


def bounded_int(low: int, high: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be between {low} and {high}, got {text!r}")
        return value
    return parse


positive_number = bounded_number(MAX_SECONDS, "seconds")


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


def _add_level(p: argparse.ArgumentParser) -> None:
    p.add_argument("--level", choices=LEVEL_CHOICES,
                   help="the tolerance level that decides (default: accurate for the project's own implementations, "
                        "compatible for any other command; run and smoke use the same default and print it)")


def register(subparsers) -> None:
    run = subparsers.add_parser(
        "run", help="run the golden vectors against an implementation's adapter",
        description="Start the adapter, send every vector it supports, judge the answers centrally and report. "
                    "Exit 0: all passed; 1: conformance failures or a stale baseline entry; 2: the adapter could not "
                    "be started, crashed, timed out or spoke the protocol wrong; 3: nothing tested (every vector "
                    "unsupported); 64: usage error; 65: malformed vector file.")
    _add_common(run)
    _add_level(run)
    run.add_argument("--vectors", metavar="DIR", help="vector folder (default: the checkout's vectors/)")
    run.add_argument("--function", action="append", metavar="NAME", help="only this function (repeatable, or comma-separated)")
    run.add_argument("--dtype", action="append", metavar="DTYPE", help="only this dtype (repeatable, or comma-separated)")
    run.add_argument("--tcid", action="append", metavar="N", help="only this tcId (repeatable, or comma-separated)")
    run.add_argument("--flag", action="append", metavar="FLAG",
                     help="only vectors carrying this flag (repeatable, or comma-separated; `list` shows the flags)")
    run.add_argument("--max-restarts", type=bounded_int(0, 1000), default=3, metavar="N",
                     help="failed requests in a row (crashes, timeouts) tolerated within one batch, each followed by "
                          "a restart (default 3); the next batch starts afresh")
    run.add_argument("--batch-size", type=bounded_int(1, 100_000), default=64, metavar="N",
                     help="cases per run_batch (default 64; 1 sends run)")
    run.add_argument("--batch-elements", type=bounded_int(1, 1 << 40), default=100_000, metavar="N",
                     help="at most this many tensor elements per run_batch (default 100000)")
    run.add_argument("--max-line-mib", type=bounded_number(MAX_LINE_MIB, "MiB"), default=64.0, metavar="MIB",
                     help="longest stdout line accepted from the adapter (default 64 MiB; an answer is also "
                          "limited to what its request can need)")
    run.add_argument("--require-all", action="store_true", help="unsupported vectors fail the run (exit 1)")
    run.add_argument("--numerics-only", action="store_true",
                     help="input-validation vectors (expected outcome: an error) are reported but do not decide the "
                          "exit code")
    run.add_argument("--baseline", metavar="FILE",
                     help="expected failures (YAML or JSON: ids or function/dtype/flags patterns, each with a "
                          "reason): listed failures are xfail; a listed vector that passes fails the run as stale")
    run.add_argument("--allow-stale", action="store_true", help="stale baseline entries are reported, not fatal")
    run.add_argument("--write-baseline", metavar="FILE",
                     help="write the run's failures as a baseline file (.json: JSON, else YAML)")
    run.add_argument("--force", action="store_true", help="let --write-baseline replace an existing file")
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
    _add_level(smoke)
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


def _baseline_args(args):
    """The baseline to apply, or (None, exit code) after printing why not. Checked before the run, so
    a typo costs nothing."""
    from .baseline import BaselineError, load_baseline
    if args.write_baseline and os.path.exists(args.write_baseline) and not args.force:
        print(f"xent-conformance run: {args.write_baseline} exists; give --force to replace it", file=sys.stderr)
        return None, EXIT_USAGE
    if args.allow_stale and not args.baseline:
        print("xent-conformance run: --allow-stale needs --baseline", file=sys.stderr)
        return None, EXIT_USAGE
    if not args.baseline:
        return None, EXIT_OK
    try:
        return load_baseline(args.baseline), EXIT_OK
    except BaselineError as exc:
        print(f"xent-conformance run: baseline: {exc}", file=sys.stderr)
        return None, EXIT_USAGE


def handle_run(args) -> int:
    from .baseline import write_baseline
    from .report import FAILED, XFAIL, Report, write_outputs
    from .runner import Options, Runner, default_env

    err = _console(stderr=True)

    def log(msg: str) -> None:
        err.print(clean(msg), markup=False, style="dim", highlight=False)  # events quote adapter text

    baseline, code = _baseline_args(args)
    if code != EXIT_OK:
        return code
    tcids = None
    if args.tcid:
        try:
            tcids = [int(x) for x in _split(args.tcid) or []]
        except ValueError:
            print(f"xent-conformance run: --tcid takes integers, got {args.tcid}", file=sys.stderr)
            return EXIT_USAGE
    functions, dtypes = _split(args.function), _split(args.dtype)
    from .listing import unknown_names
    unknown = unknown_names(functions, dtypes, args.vectors)
    if unknown:  # a typo costs nothing and gets a suggestion
        print(f"xent-conformance run: {'; '.join(unknown)} (xent-conformance list shows them all)", file=sys.stderr)
        return EXIT_USAGE
    cases, code = load_cases("run", args.vectors, functions, dtypes, tcids)
    if cases is None:
        return code
    if args.flag:
        cases, code = _with_flags(cases, _split(args.flag) or [])
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
    level, why = (args.level, "chosen with --level") if args.level else default_level(impl.own)
    options = Options(startup_timeout=args.startup_timeout, timeout=args.timeout, max_restarts=args.max_restarts,
                      batch_size=args.batch_size, batch_elements=args.batch_elements,
                      max_line_bytes=int(args.max_line_mib * (1 << 20)), env=default_env(args.mutant))
    log(f"running {len(cases)} vectors from {args.vectors or paths.source()} against {args.impl} (level {level})")
    runner = Runner(impl.argv, impl.cwd, options, log=log)
    with _progress(err, len(cases)) as advance:
        runner.progress = advance
        result = runner.run(cases)

    rerun = ["xent-conformance", "run", "--impl", args.impl]
    if args.vectors:
        rerun += ["--vectors", args.vectors]
    if args.level:
        rerun += ["--level", args.level]
    if args.mutant:
        rerun += ["--mutant", args.mutant]
    if args.numerics_only:
        rerun += ["--numerics-only"]
    report = Report(impl_label=args.impl, level=level, result=result, rerun_base=rerun, require_all=args.require_all,
                    baseline=baseline, allow_stale=args.allow_stale, numerics_only=args.numerics_only, level_why=why)
    report.print_terminal(_console(), max_problems=max(args.show_failures, 0))
    for problem in write_outputs(report, args.report_json, args.junit, args.markdown):
        print(f"xent-conformance run: {problem}", file=sys.stderr)
    if args.write_baseline:
        failures = [(o.case.key, f"{report.status[o.case.key]}: {o.detail}"[:300]) for o in result.outcomes
                    if report.status[o.case.key] in (FAILED, XFAIL)]
        try:
            write_baseline(args.write_baseline, failures, args.impl, level)
            print(f"xent-conformance run: wrote {len(failures)} failures to {args.write_baseline}", file=sys.stderr)
        except OSError as exc:
            print(f"xent-conformance run: cannot write {args.write_baseline}: {exc}", file=sys.stderr)
    return report.exit_code


@contextlib.contextmanager
def _progress(console, total: int):
    """A progress bar on stderr while the vectors run, only when stderr is a terminal (never in CI logs
    or files); yields the callback that moves it (None otherwise)."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
    with Progress(TextColumn("vectors"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console, transient=True) as bar:
        task = bar.add_task("run", total=total)
        yield lambda done: bar.update(task, completed=done)


def _with_flags(cases, flags: list[str]):
    """The cases carrying any of the flags, or (None, 64) after naming an unknown flag with suggestions."""
    from .listing import suggestion
    known = sorted({f for c in cases for f in c.flags})
    unknown = [f for f in flags if f not in known]
    if unknown:
        print("xent-conformance run: " + "; ".join(f"no selected vector carries the flag {f!r}{suggestion(f, known)}"
                                                   for f in unknown), file=sys.stderr)
        return None, EXIT_USAGE
    wanted = set(flags)
    return [c for c in cases if wanted.intersection(c.flags)], EXIT_OK


def handle_smoke(args) -> int:
    from .runner import default_env
    from .smoke import print_smoke, run_smoke

    err = _console(stderr=True)
    impl = _resolve(args, lambda m: err.print(m, markup=False))
    if impl is None:
        return EXIT_ADAPTER
    level, why = (args.level, "chosen with --level") if args.level else default_level(impl.own)
    result = run_smoke(impl.argv, impl.cwd, default_env(args.mutant), args.startup_timeout, args.timeout, level=level)
    result.level_why = why
    print_smoke(result, _console(), args.impl)
    return result.exit_code
