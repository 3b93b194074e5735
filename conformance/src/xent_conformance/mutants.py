"""`xent-conformance mutants`: run every mutant of an implementation through the harness; report kills.

A mutant is a named, deliberately wrong variant of an implementation (conformance/MUTANTS.md), switched
on by XENT_MUTANT=<name> in the adapter's environment. The catalogue comes from the adapter itself:
`<adapter command> --list-mutants` prints {"mutants": [{"name", "description", "functions"}, ...]}.
Each mutant runs through the same harness path as a real port (harness.runner.Runner, judged by
harness.compare), over the vectors of the functions it declares (all vectors with --all-functions), and
is judged at both levels in one run. Each catalogue entry says what it must do (issue 11: the catalogue
defines the levels): `"kill": "accurate" | "compatible"` (killed when at least one vector fails or errors
at that level; an entry without the field means accurate) or `"accept": "compatible"` (a legitimate
port variant: it must pass every vector at compatible). The report gives, per must-kill mutant, the
number of distinct killing vectors and the minimum over the catalogue.

Before the mutants, the unmutated implementation runs over the same vectors (the baseline): a kill means
something only if the shipped implementation passes them.

Exit codes: 0 every must-kill mutant killed and every must-accept variant accepted (and the baseline
passes); 1 some mutant survived its level or a must-accept variant failed compatible; 2 the adapter could
not be started, the catalogue could not be read, a mutant's adapter could not start, or the baseline
fails; 64 usage errors; 65 malformed vector files.
"""
from __future__ import annotations

import json
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from .harness.compare import ERRORED, FAILED
from .harness.report import EXIT_ADAPTER, EXIT_FAILED, EXIT_OK, EXIT_USAGE

LEVELS = ("accurate", "compatible")


THIN_KILLS = 3  # the aim: every mutant killed by at least this many distinct vectors


@dataclass
class MutantInfo:
    name: str
    description: str
    functions: list[str] = field(default_factory=list)
    kill: str | None = "accurate"   # the level that must kill it (None for a must-accept variant)
    accept: str | None = None       # "compatible": a port variant that must pass that level

    @property
    def expectation(self) -> str:
        return f"accept: {self.accept}" if self.accept else f"kill: {self.kill}"


@dataclass
class MutantResult:
    mutant: MutantInfo
    vectors: int
    failing: list[str]            # keys function/dtype/tcId failed or errored at the entry's level, in vector order
    start_error: str | None
    elapsed: float
    crashed: list[str] = field(default_factory=list)   # the failing keys answered with an internal error
    failing_by_level: dict[str, list[str]] = field(default_factory=dict)  # the same at every level

    @property
    def broken(self) -> bool:
        """Every failure is a crash of the mutated code: the mutant is a bug of the catalogue, and a
        crash says nothing about the vectors' power, so it does not count as a kill."""
        return self.start_error is None and bool(self.failing) and len(self.crashed) == len(self.failing)

    @property
    def killed(self) -> bool:
        return self.start_error is None and bool(self.failing) and not self.broken

    @property
    def must_accept(self) -> bool:
        return self.mutant.accept is not None

    @property
    def meets_expectation(self) -> bool:
        """Killed at its level (must-kill), or passing every vector at its level (must-accept)."""
        if self.must_accept:
            return self.start_error is None and not self.failing
        return self.killed

    @property
    def kills(self) -> int:
        """Distinct killing vectors at the entry's level (0 for a must-accept variant)."""
        return 0 if self.must_accept or not self.killed else len(set(self.failing))


class CatalogueError(Exception):
    pass


def read_catalogue(argv: list[str], cwd: str | None, timeout: float = 60.0) -> list[MutantInfo]:
    """The adapter's mutant catalogue (`<argv> --list-mutants`)."""
    try:
        proc = subprocess.run(argv + ["--list-mutants"], cwd=cwd, stdin=subprocess.DEVNULL, capture_output=True,
                              timeout=timeout, text=True)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise CatalogueError(f"cannot run {argv + ['--list-mutants']}: {exc}") from None
    if proc.returncode != 0:
        raise CatalogueError(f"{' '.join(argv)} --list-mutants exited {proc.returncode}: {proc.stderr.strip()[-2000:]}")
    try:
        data = json.loads(proc.stdout)
        items = data["mutants"]
        out = [_info(m) for m in items]
    except (ValueError, KeyError, TypeError) as exc:
        raise CatalogueError(f"{' '.join(argv)} --list-mutants printed no valid catalogue ({exc}): "
                             f"{proc.stdout[:300]!r}") from None
    names = [m.name for m in out]
    if len(set(names)) != len(names):
        raise CatalogueError("the catalogue lists a mutant name twice")
    return out


def _info(m: dict) -> MutantInfo:
    """One catalogue entry; `kill` / `accept` name a level (neither: kill at accurate, as before issue 11)."""
    accept = m.get("accept")
    kill = m.get("kill")
    for what, level in (("accept", accept), ("kill", kill)):
        if level is not None and level not in LEVELS:
            raise ValueError(f"mutant {m.get('name')!r}: {what} must be one of {LEVELS}, got {level!r}")
    if accept is not None and kill is not None:
        raise ValueError(f"mutant {m.get('name')!r} says both kill and accept")
    return MutantInfo(str(m["name"]), str(m.get("description", "")), [str(f) for f in m.get("functions", [])],
                      None if accept else (kill or "accurate"), accept)


def _failing(result, level: str) -> list[str]:
    return [o.case.key for o in result.outcomes if o.at(level) in (FAILED, ERRORED)]


def _is_internal_error(got) -> bool:
    """An error answer that reports a bug rather than a spec error: kind internal_error (Java), or a
    message starting "internal error" (the Python and Go adapters' convention)."""
    if not isinstance(got, dict) or "kind" not in got:
        return False
    return got.get("kind") == "internal_error" or str(got.get("message", "")).startswith("internal error")


def _crashed(result, level: str) -> list[str]:
    return [o.case.key for o in result.outcomes if o.at(level) in (FAILED, ERRORED) and _is_internal_error(o.got)]


def run_mutants(impl, cases, mutants: list[MutantInfo], options_for, level: str | None = None,
                all_functions: bool = False, log=lambda m: None, runner_cls=None, jobs: int = 1):
    """Run the baseline and each mutant, judged at its catalogue level (`level`, when given, overrides
    the level of every must-kill entry). Returns (baseline_failing, baseline_start_error, results); the
    baseline must pass at accurate. `jobs` mutants run at once (each its own adapter process: an adapter
    computes while the harness judges another's answers); results keep the catalogue's order."""
    from .harness.runner import Runner
    runner_cls = runner_cls or Runner

    def functions_of(m: MutantInfo):
        return None if all_functions or not m.functions else set(m.functions)  # None: every vector

    def subset(fs):
        return cases if fs is None else [c for c in cases if c.function in fs]

    sets = [functions_of(m) for m in mutants]
    union = None if any(fs is None for fs in sets) else set().union(*sets)
    base_cases = subset(union)
    log(f"baseline: the unmutated implementation over {len(base_cases)} vectors")
    base = runner_cls(impl.argv, impl.cwd, options_for(None), log=lambda m: None).run(base_cases)
    base_failing = _failing(base, "accurate")
    def one(numbered: tuple[int, MutantInfo]) -> MutantResult:
        i, m = numbered
        mc = subset(functions_of(m))
        began = time.monotonic()
        res = runner_cls(impl.argv, impl.cwd, options_for(m.name), log=lambda msg: None).run(mc)
        judged = m.accept or level or m.kill
        by_level = {lv: _failing(res, lv) if res.start is not None else [] for lv in LEVELS}
        crashed = _crashed(res, judged) if res.start is not None else []
        r = MutantResult(m, len(mc), by_level[judged], res.start_error, time.monotonic() - began, crashed, by_level)
        log(f"[{i}/{len(mutants)}] {m.name}: {_state(r)} ({len(r.failing)} of {len(mc)} vectors fail at {judged}, {r.elapsed:.1f} s)")
        return r

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        results = list(pool.map(one, enumerate(mutants, 1)))
    return base_failing, base.start_error, results


def _state(r: MutantResult) -> str:
    if r.start_error:
        return "START ERROR"
    if r.must_accept:
        return "accepted" if not r.failing else f"REJECTED at {r.mutant.accept}"
    if r.broken:
        return "BROKEN (only internal errors)"
    return "killed" if r.killed else "SURVIVED"


def _kill_examples(r: MutantResult, n: int) -> str:
    if r.start_error:
        return r.start_error[:120]
    # one example per function first, so the table shows the variety of killers
    seen, picks = set(), []
    for key in r.failing:
        f = key.split("/")[0]
        if f not in seen:
            seen.add(f)
            picks.append(key)
    for key in r.failing:
        if len(picks) >= n:
            break
        if key not in picks:
            picks.append(key)
    return ", ".join(picks[:n])


def print_table(results: list[MutantResult], console, examples: int = 3) -> None:
    from rich.table import Table
    table = Table(title="mutants", show_lines=False)
    table.add_column("mutant", no_wrap=True)
    table.add_column("level", no_wrap=True)
    table.add_column("description")
    table.add_column("result")
    table.add_column("kills", justify="right")
    table.add_column("failing acc/comp", justify="right")
    table.add_column("killed by / rejected by (function/dtype/tcId)")
    for r in results:
        state = _state(r)
        shown = f"[green]{state}[/]" if r.meets_expectation else f"[red]{state}[/]"
        kills = "-" if r.must_accept else str(r.kills)
        if not r.must_accept and r.killed and r.kills < THIN_KILLS:
            kills = f"[yellow]{kills}[/]"
        counts = "/".join(str(len(r.failing_by_level.get(lv, []))) for lv in LEVELS) + f" of {r.vectors}"
        table.add_row(r.mutant.name, r.mutant.expectation, r.mutant.description, shown, kills, counts,
                      _kill_examples(r, examples))
    console.print(table)


def thin(results: list[MutantResult]) -> list[MutantResult]:
    """Killed must-kill mutants with fewer than THIN_KILLS distinct killing vectors."""
    return [r for r in results if not r.must_accept and r.killed and r.kills < THIN_KILLS]


def summary_line(results: list[MutantResult]) -> str:
    must_kill = [r for r in results if not r.must_accept]
    must_accept = [r for r in results if r.must_accept]
    killed = sum(r.killed for r in must_kill)
    total = len(must_kill)
    rate = 100.0 * killed / total if total else 0.0
    line = f"kill rate: {killed}/{total} mutants killed ({rate:.1f}%)"
    if must_accept:
        line += f"; must-accept: {sum(r.meets_expectation for r in must_accept)}/{len(must_accept)} accepted at compatible"
    kills = [r.kills for r in must_kill if r.killed]
    if kills:
        line += f"; minimum distinct killing vectors per mutant: {min(kills)} (below {THIN_KILLS}: {len(thin(results))})"
    return line


def to_json(results: list[MutantResult], level: str | None, baseline_failing: list[str]) -> dict:
    must_kill = [r for r in results if not r.must_accept]
    return {"level": level or "per entry", "baseline_failing": baseline_failing,
            "killed": sum(r.killed for r in must_kill), "total": len(must_kill),
            "accepted": sum(r.meets_expectation for r in results if r.must_accept),
            "must_accept": sum(r.must_accept for r in results),
            "min_kills": min((r.kills for r in must_kill if r.killed), default=0),
            "mutants": [{"name": r.mutant.name, "description": r.mutant.description,
                         "expect": r.mutant.expectation, "ok": r.meets_expectation, "kills": r.kills,
                         "failing_by_level": {lv: len(v) for lv, v in r.failing_by_level.items()},
                         "functions": r.mutant.functions, "killed": r.killed, "vectors": r.vectors,
                         "failing": len(r.failing), "crashed": len(r.crashed), "broken": r.broken,
                         "killers": r.failing[:50], "start_error": r.start_error,
                         "seconds": round(r.elapsed, 2)} for r in results]}


# ------------------------------------------------------------------------------------------------ CLI
def register(subparsers) -> None:
    from .harness.commands import LEVEL_CHOICES, _add_common, _guard
    p = subparsers.add_parser(
        "mutants", help="run every mutant of an implementation and report which vectors kill it",
        description="Read the adapter's mutant catalogue (--list-mutants), run the unmutated implementation and "
                    "then each mutant (XENT_MUTANT=name) over the vectors of the functions it declares, and print "
                    "which mutants the vectors kill. Exit 0: every mutant killed; 1: some mutant survived; 2: the "
                    "adapter, the catalogue or the baseline failed; 64: usage error; 65: malformed vector file.")
    _add_common(p)
    p.add_argument("--level", choices=LEVEL_CHOICES, default=None,
                   help="judge every must-kill mutant at this level instead of its catalogue level "
                        "(must-accept variants are always judged at compatible)")
    p.add_argument("--thin-kills", metavar="PATH",
                   help=f"write the names of killed mutants with fewer than {THIN_KILLS} distinct killing vectors")
    p.add_argument("--vectors", metavar="DIR", help="vector folder (default: the checkout's vectors/)")
    p.add_argument("--only", action="append", metavar="NAME", help="only this mutant (repeatable, or comma-separated)")
    p.add_argument("--jobs", type=int, default=1, metavar="N",
                   help="mutants run at once, each with its own adapter (default 1)")
    p.add_argument("--all-functions", action="store_true",
                   help="run every mutant over every vector, not only its declared functions")
    p.add_argument("--examples", type=int, default=3, metavar="N", help="killing tcIds shown per mutant (default 3)")
    p.add_argument("--report-json", metavar="PATH", help="write the results as JSON")
    p.set_defaults(handler=_guard(handle_mutants))


def handle_mutants(args) -> int:
    from .harness.commands import _console, _resolve, _split, load_cases
    from .harness.runner import Options, default_env

    err = _console(stderr=True)

    def log(msg: str) -> None:
        err.print(msg, markup=False, style="dim")

    impl = _resolve(args, log)
    if impl is None:
        return EXIT_ADAPTER
    try:
        mutants = read_catalogue(impl.argv, impl.cwd, args.startup_timeout)
    except CatalogueError as exc:
        print(f"xent-conformance mutants: {exc}", file=sys.stderr)
        return EXIT_ADAPTER
    only = _split(args.only)
    if only:
        unknown = sorted(set(only) - {m.name for m in mutants})
        if unknown:
            print(f"xent-conformance mutants: unknown mutant(s) {', '.join(unknown)}", file=sys.stderr)
            return EXIT_USAGE
        mutants = [m for m in mutants if m.name in only]
    if not mutants:
        print(f"xent-conformance mutants: {args.impl} declares no mutants", file=sys.stderr)
        return EXIT_USAGE
    functions = None  # read only the vector files the mutants can affect
    if not args.all_functions and all(m.functions for m in mutants):
        functions = sorted({f for m in mutants for f in m.functions})
    cases, code = load_cases("mutants", args.vectors, functions)
    if cases is None:
        return code

    def options_for(name):
        return Options(startup_timeout=args.startup_timeout, timeout=args.timeout, env=_env(name))

    def _env(name):
        env = default_env(name)
        if name is None:
            env.pop("XENT_MUTANT", None)
        return env

    log(f"{len(mutants)} mutants of {args.impl}, {len(cases)} vectors, level {args.level or 'per catalogue entry'}")
    began = time.monotonic()
    base_failing, base_error, results = run_mutants(impl, cases, mutants, options_for, args.level,
                                                    args.all_functions, log, jobs=args.jobs)
    console = _console()
    print_table(results, console, max(args.examples, 0))
    console.print(summary_line(results) + f" at level {args.level or 'per entry'} in {time.monotonic() - began:.1f} s",
                  markup=False)
    if args.thin_kills:
        try:
            with open(args.thin_kills, "w", encoding="utf-8") as fh:
                fh.writelines(f"{r.mutant.name} {r.kills}\n" for r in thin(results))
        except OSError as exc:
            print(f"xent-conformance mutants: cannot write {args.thin_kills}: {exc}", file=sys.stderr)
    if args.report_json:
        try:
            with open(args.report_json, "w", encoding="utf-8") as fh:
                json.dump(to_json(results, args.level, base_failing), fh, indent=1)
        except OSError as exc:
            print(f"xent-conformance mutants: cannot write {args.report_json}: {exc}", file=sys.stderr)
    if base_error or base_failing:
        why = base_error or f"{len(base_failing)} vectors fail, e.g. {', '.join(base_failing[:5])}"
        print(f"xent-conformance mutants: the unmutated implementation does not pass ({why}); kills are "
              f"meaningless", file=sys.stderr)
        return EXIT_ADAPTER
    if any(r.start_error for r in results):
        return EXIT_ADAPTER
    survivors = [r.mutant.name for r in results if not r.must_accept and not r.killed]
    rejected = [r.mutant.name for r in results if r.must_accept and not r.meets_expectation]
    if survivors:
        print(f"xent-conformance mutants: survived: {', '.join(survivors)}", file=sys.stderr)
    if rejected:
        print(f"xent-conformance mutants: must-accept variants rejected at compatible: {', '.join(rejected)}",
              file=sys.stderr)
    return EXIT_FAILED if survivors or rejected else EXIT_OK
