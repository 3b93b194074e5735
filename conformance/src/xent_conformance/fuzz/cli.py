"""The `fuzz` subcommand.

Exit codes: 0 no discrepancy found within the budget; 1 a discrepancy (or an oracle crash) was found;
2 an implementation could not be built or started; 64 usage error.
"""
from __future__ import annotations

import argparse
import json
import random
import shlex
import sys

from ..harness.commands import positive_number
from ..harness.report import EXIT_ADAPTER, EXIT_USAGE
from ..harness.report import EXIT_FAILED as EXIT_FOUND


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "fuzz", help="differential fuzzing: hypothesis inputs, the oracle on the fly, every implementation",
        description="Generate inputs for every function of the spec with hypothesis, compute the certified result "
                    "with the oracle, and check each implementation's adapter against it through the protocol. "
                    "A discrepancy is shrunk and printed with its seed and a ready-to-paste spec case. "
                    "Exit 0: nothing found; 1: a discrepancy; 2: an adapter could not be built or started; 64: usage.")
    p.add_argument("--impl", action="append", required=True, metavar="IMPL",
                   help="python, java or go (conformance/implementations.yaml), or an adapter command line in quotes; "
                        "repeatable")
    p.add_argument("--budget", type=positive_number, default=60.0, metavar="S",
                   help="seconds of fuzzing PER IMPLEMENTATION, shared equally by the functions (default 60)")
    p.add_argument("--seed", type=int, metavar="N", help="hypothesis seed (default: random, printed)")
    p.add_argument("--function", action="append", metavar="NAME", help="only this function (repeatable, or comma-separated)")
    p.add_argument("--dtype", action="append", metavar="DTYPE", help="only this dtype (repeatable, or comma-separated)")
    p.add_argument("--level", choices=("accurate", "compatible"),
                   help="tolerance level (default: accurate for the project's implementations, compatible otherwise)")
    p.add_argument("--shrink-time", type=positive_number, default=60.0, metavar="S",
                   help="seconds allowed to shrink one failure, beyond the budget (default 60)")
    p.add_argument("--timeout", type=positive_number, default=30.0, metavar="S", help="seconds for one answer (default 30)")
    p.add_argument("--startup-timeout", type=positive_number, default=60.0, metavar="S", help="seconds to start (default 60)")
    p.add_argument("--no-build", action="store_true", help="never run the implementation's build step")
    p.add_argument("--build-timeout", type=positive_number, default=900.0, metavar="S", help="seconds for the build (default 900)")
    p.add_argument("--report-json", metavar="PATH", help="write the results (counts and failures) as JSON")
    p.set_defaults(handler=handle)


def _split(values: list[str] | None) -> list[str] | None:
    if not values:
        return None
    return [x.strip() for v in values for x in v.split(",") if x.strip()] or None


def handle(args) -> int:
    from ..dtypes import DTYPES
    from ..harness.impls import ImplError, build, resolve
    from ..harness.runner import Options, default_env
    from ..spec import load_spec
    from .engine import fuzz_impl
    from .session import AdapterBroken, Session

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    spec = load_spec()
    functions = _split(args.function) or list(spec.functions)
    dtypes = _split(args.dtype) or list(DTYPES)
    unknown = [f for f in functions if f not in spec.functions] + [d for d in dtypes if d not in DTYPES]
    if unknown:
        print(f"xent-conformance fuzz: unknown function or dtype: {', '.join(unknown)}", file=sys.stderr)
        return EXIT_USAGE
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2 ** 32)
    log(f"fuzz: seed {seed}, budget {args.budget:g} s per implementation over {len(functions)} function(s)")

    results, code = [], 0
    for label in args.impl:
        try:
            impl = resolve(label)
            if not args.no_build:
                build(impl, args.build_timeout, log)
        except ImplError as exc:
            print(f"xent-conformance fuzz: {exc}", file=sys.stderr)
            code = max(code, EXIT_ADAPTER)
            continue
        level = args.level or ("accurate" if impl.own else "compatible")

        def rerun(function: str, s: int, label=label, level=level) -> str:
            argv = ["xent-conformance", "fuzz", "--impl", label, "--function", function, "--seed", str(s),
                    "--budget", f"{args.budget:g}"]
            if args.dtype:
                argv += ["--dtype", ",".join(dtypes)]
            if args.level:
                argv += ["--level", args.level]
            return shlex.join(argv)

        session = Session(impl.argv, impl.cwd, Options(startup_timeout=args.startup_timeout, timeout=args.timeout,
                                                       max_restarts=3, env=default_env()))
        try:
            result = fuzz_impl(session, spec, label, functions, dtypes, level, args.budget, seed,
                               args.shrink_time, rerun, log)
        except AdapterBroken as exc:
            print(f"xent-conformance fuzz: {label}: {exc}", file=sys.stderr)
            code = max(code, EXIT_ADAPTER)
            continue
        result.level = level
        results.append(result)
        print_result(result)
        if result.broken:
            code = max(code, EXIT_ADAPTER)
        elif result.failures:
            code = max(code, EXIT_FOUND)
    if args.report_json:
        with open(args.report_json, "w", encoding="utf-8") as handle_:
            json.dump([to_json(r) for r in results], handle_, indent=1)
            handle_.write("\n")
    return code


def print_result(result) -> None:
    out = sys.stdout
    print(f"\n== {result.impl} ({result.name}), level {result.level}: {result.examples} examples in "
          f"{result.elapsed:.1f} s (budget {result.budget:g} s), {len(result.failures)} failure(s)", file=out)
    print(f"   {'function':40} {'examples':>8} {'errors':>7} {'acc.':>5} {'uncert.':>7} {'s':>6}", file=out)
    for name, s in result.functions.items():
        note = " (not supported)" if s.unsupported and not s.examples else ""
        print(f"   {name:40} {s.examples:8d} {s.errors:7d} {s.acceptable:5d} {s.uncertified:7d} {s.seconds:6.1f}{note}",
              file=out)
    if result.broken:
        print(f"   the adapter broke: {result.broken}", file=out)
    for f in result.failures:
        print(f"\nFAILURE {f.impl} {f.function} {f.dtype} (seed {f.seed}): {f.detail}", file=out)
        if f.kind == "mismatch":
            print(f"  expected: {f.expected}", file=out)
            print(f"  got:      {f.got}", file=out)
        print("  minimal input (hypothesis-shrunk):", file=out)
        print(f"    inputs: {json.dumps({k: t.to_json() for k, t in f.example.inputs.items()})}", file=out)
        print(f"    params: {json.dumps(_params(f.example.params))}", file=out)
        print(f"  rerun: {f.rerun}", file=out)
        print(f"  spec case for spec/cases/{f.function}.yaml (replace TCID with a free tcId):", file=out)
        print(f.yaml, file=out)
    out.flush()


def _params(params: dict) -> dict:
    from ..generate import params_json
    return params_json(params)


def to_json(result) -> dict:
    return {
        "impl": result.impl, "name": result.name, "seed": result.seed, "budget": result.budget,
        "elapsed": round(result.elapsed, 3), "examples": result.examples, "broken": result.broken,
        "functions": {k: vars(v) for k, v in result.functions.items()},
        "failures": [{"function": f.function, "dtype": f.dtype, "seed": f.seed, "kind": f.kind, "detail": f.detail,
                      "expected": f.expected, "got": f.got, "rerun": f.rerun, "yaml": f.yaml,
                      "inputs": {k: t.to_json() for k, t in f.example.inputs.items()},
                      "params": _params(f.example.params)} for f in result.failures],
    }
