"""The fast judge against the exact one on real answers (issue 14: verdicts identical on every vector).

Every answer an implementation (and each of its mutants) gives during a run is judged twice: as a run
judges it (fastjudge's numpy clear passes, the rest by compare, which itself decides its clearly passing
elements with numpy), and with fastjudge switched off (every element with tolerance.judge, mpmath at
256 bits). The statuses at both levels and the detail text must be the same for every vector; the ulp
figures agree to about 15 digits and are not compared.

    python -m xent_conformance.harness.judgecheck --impl go --impl java --impl python [--mutants all]

Exit 0: no difference; 1: some vector was judged differently (each is printed); 2: an implementation
or its catalogue could not be used. The `judge_equivalence` nox session runs it over every vector, for
the three implementations and every mutant; conformance/tests/harness/test_judgecheck.py runs a
representative part.
"""
from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass, field

from . import fastjudge
from .compare import Outcome
from .protocol import Answer
from .runner import Options, Runner, default_env, judge_answer, judge_many
from .vectors import VectorCase


@dataclass
class Tally:
    """What one implementation's runs gave, judged both ways."""
    label: str
    runs: int = 0
    answers: int = 0               # well-formed answers judged both ways
    decided_fast: int = 0          # clear passes decided by judge_batch alone
    differences: list[str] = field(default_factory=list)
    seconds: float = 0.0


def exact_outcomes(pairs: list[tuple[VectorCase, Answer]]) -> list[Outcome]:
    """The outcomes with fastjudge switched off: every element judged with mpmath."""
    saved = fastjudge.ENABLED
    fastjudge.ENABLED = False
    try:
        return [judge_answer(case, answer, fast=False) for case, answer in pairs]
    finally:
        fastjudge.ENABLED = saved


def differences(pairs: list[tuple[VectorCase, Answer]], fast: list[Outcome], exact: list[Outcome]) -> list[str]:
    """One line per vector whose statuses or detail differ between the two judges."""
    out = []
    for (case, _), f, e in zip(pairs, fast, exact):
        if f.status != e.status or f.detail != e.detail:
            out.append(f"{case.key}: fast {f.status} {f.detail!r} / exact {e.status} {e.detail!r}")
    return out


def checking_runner(tally: Tally, run_label: str) -> type[Runner]:
    """A Runner whose every judgement is repeated exactly and tallied (differences named by `run_label`)."""

    class CheckingRunner(Runner):
        def run(self, cases):
            tally.runs += 1
            return super().run(cases)

        def _judge(self, pairs):
            fast = judge_many(pairs)
            exact = exact_outcomes(pairs)
            tally.answers += len(pairs)
            tally.decided_fast += sum(d is not None for d in fastjudge.judge_batch(pairs))
            tally.differences += [f"{run_label}{self.opt.env.get('XENT_MUTANT', '') if self.opt.env else ''}: {d}"
                                  for d in differences(pairs, fast, exact)]
            return fast

    return CheckingRunner


def check_impl(label: str, cases: list[VectorCase], mutant_names: list[str] | None, log=print) -> Tally:
    """Run `label` (unmutated) over `cases`, then each named mutant (None: every mutant of its catalogue)
    over the vectors of the functions it declares, every answer judged both ways."""
    from ..mutants import read_catalogue, run_mutants
    from .impls import build, resolve

    tally = Tally(label)
    began = time.monotonic()
    impl = resolve(label)
    build(impl, 900)
    catalogue = read_catalogue(impl.argv, impl.cwd)
    chosen = catalogue if mutant_names is None else [m for m in catalogue if m.name in mutant_names]
    unknown = set(mutant_names or ()) - {m.name for m in catalogue}
    if unknown:
        raise ValueError(f"{label} has no mutant(s) {', '.join(sorted(unknown))}")

    def options_for(name):
        env = default_env(name)
        if name is None:
            env.pop("XENT_MUTANT", None)
        return Options(env=env)

    base = checking_runner(tally, f"{label} ")
    base(impl.argv, impl.cwd, options_for(None)).run(cases)  # the unmutated implementation, every vector
    if chosen:
        run_mutants(impl, cases, chosen, options_for, runner_cls=checking_runner(tally, f"{label} mutant "),
                    log=lambda m: log(f"  {m}"))
    tally.seconds = time.monotonic() - began
    return tally


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m xent_conformance.harness.judgecheck", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--impl", action="append", required=True, help="an implementation (repeatable)")
    parser.add_argument("--mutants", default="all", help="'all', 'none' or a comma-separated list of names")
    parser.add_argument("--function", action="append", help="only these functions' vectors (repeatable)")
    args = parser.parse_args(argv)
    from .commands import load_cases
    cases, code = load_cases("judgecheck", None, args.function)
    if cases is None:
        return code
    names = None if args.mutants == "all" else [] if args.mutants == "none" else args.mutants.split(",")
    failed = False
    for label in args.impl:
        try:
            tally = check_impl(label, cases, names)
        except Exception as exc:  # noqa: BLE001 - reported, exit 2
            print(f"{label}: cannot check: {type(exc).__name__}: {exc}", file=sys.stderr)
            return 2
        print(f"{label}: {tally.runs} runs, {tally.answers} answers judged both ways, {tally.decided_fast} decided "
              f"as clear passes by the batch judge, {len(tally.differences)} differences ({tally.seconds:.0f} s)")
        for line in tally.differences[:50]:
            print(f"  {line}")
        failed |= bool(tally.differences)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
