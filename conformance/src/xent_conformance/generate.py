"""Vector generation: spec + cases -> oracle -> Wycheproof-style vector documents.

Each case is evaluated by the oracle in a worker process; results are assembled in tcId order, so
the output does not depend on scheduling. Nothing is cached: --check recomputes everything.
"""
from __future__ import annotations

import json
import math
import os
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

import mpmath

from . import __version__, jsonfmt, tolerance
from .cases import Case, case_elements, check_file_elements, materialize, resolve_params
from .dtypes import DTYPES, DType
from .hexfloat import format_hex
from .oracle import DomainError, OracleError, evaluate, output_dtype_of
from .oracle.core import INITIAL_PRECISION, MAX_PRECISION
from .spec import Spec, case_files, load_case_file, load_spec
from .tensor import Tensor


class GenerationError(RuntimeError):
    """A case whose declared result disagrees with the oracle, or that the oracle cannot certify."""


@dataclass(frozen=True)
class Job:
    function: str
    dtype: str
    case: Case
    constants: dict


def _bounds(cert, dtype: DType, constants: dict) -> tuple[str, str]:
    if not math.isfinite(cert.rounded):
        return "0x0p+0", "0x0p+0"
    with mpmath.workprec(256):
        exact = mpmath.mpf(cert.exact)
    acc, comp = constants["accurate"], constants["compatible"]
    accurate = tolerance.accurate_bound(exact, cert.kappa, dtype, acc["A"], acc["B"], acc["C"])
    compatible = tolerance.compatible_bound(exact, cert.kappa, cert.nu, dtype, comp["c"], comp["C"])
    return format_hex(accurate), format_hex(compatible)


def _below_normal(cert, dtype: DType) -> bool:
    """A finite, non-zero exact value below the dtype's normal range."""
    if not math.isfinite(cert.rounded) or cert.exact in ("0", "nan", "inf", "-inf"):
        return False
    with mpmath.workprec(256):
        return 0 < abs(mpmath.mpf(cert.exact)) < mpmath.ldexp(1, dtype.emin)


def run_job(job: Job) -> dict:
    """The vector test object of one case (runs in a worker process)."""
    case, dtype = job.case, DTYPES[job.dtype]
    where = f"{job.function} {job.dtype} tcId {case.tc_id}"
    test = {"tcId": case.tc_id, "comment": case.comment, "flags": list(case.flags),
            "inputs": {name: t.to_json() for name, t in case.inputs.items()}}
    try:
        shape, certified, _ = evaluate(job.function, case.inputs, case.params, dtype)
        dtype = output_dtype_of(case.params, dtype)  # results, bounds and their u, eta: float32 if mixed
    except DomainError as exc:
        if case.error != exc.kind:
            wanted = f"error {case.error}" if case.error else "a value"
            raise GenerationError(f"{where}: the case expects {wanted} but the oracle says {exc.kind}: {exc}") from None
        test.update(result="error", error=exc.kind)
        if "InvalidInput" not in test["flags"]:
            test["flags"].append("InvalidInput")
        return test
    except OracleError as exc:
        raise GenerationError(f"{where}: {exc}") from None
    except Exception as exc:  # a kernel bug: name the case, keep the cause
        raise GenerationError(f"{where}: oracle failed: {type(exc).__name__}: {exc}") from exc
    if case.error:
        raise GenerationError(f"{where}: the case expects error {case.error} but the oracle computed a value")
    try:
        bounds = [_bounds(c, dtype, job.constants) for c in certified]
    except tolerance.BoundError as exc:
        raise GenerationError(f"{where}: {exc}") from None
    test.update(
        result="valid",
        expected=Tensor(dtype.name, shape, tuple(c.rounded for c in certified)).to_json(),
        exact=[c.exact for c in certified],
        kappa=[format_hex(tolerance.round_up_float64(c.kappa)) for c in certified],
        bounds={"accurate": [b[0] for b in bounds], "compatible": [b[1] for b in bounds]},
    )
    if "Underflow" not in test["flags"] and any(_below_normal(c, dtype) for c in certified):
        test["flags"].append("Underflow")  # a result below the normal range (the λ allowance applies to it)
    if any(c.limit for c in certified):
        alternative = tuple(math.nan if c.limit else c.rounded for c in certified)
        test["acceptable"] = [{"flags": ["LimitValue"], "output": Tensor(dtype.name, shape, alternative).to_json()}]
        if "LimitValue" not in test["flags"]:
            test["flags"].append("LimitValue")
    return test


def timed_job(job: Job) -> tuple[dict, float]:
    """run_job with the seconds it took (for the generation benchmark)."""
    started = time.perf_counter()
    test = run_job(job)
    return test, time.perf_counter() - started


def params_json(params: dict, later_defaults: dict | None = None) -> dict:
    """The group's parameters as JSON; a parameter added by a later specVersion (`since` in the spec) is
    left out at its default, so that cases of earlier versions, and the requests made of them, keep their
    form (an adapter of an earlier protocol refuses unknown parameter names)."""
    out = {}
    for name, value in params.items():
        if later_defaults and name in later_defaults and same_value(value, later_defaults[name]):
            continue
        if isinstance(value, Tensor):
            out[name] = value.to_json()
        elif isinstance(value, float):
            out[name] = format_hex(value)
        else:
            out[name] = value
    return out


def same_value(value, default) -> bool:
    """A resolved parameter value equal to a resolved default (tensors are never a default)."""
    return value is None if default is None else (value is not None and not isinstance(value, Tensor) and value == default)


def later_defaults(fn: dict, dtype: DType) -> dict:
    """The resolved defaults of the function's parameters marked `since` (added after specVersion 2)."""
    later = [name for name, decl in fn["params"].items() if "since" in decl]
    defaults = resolve_params(fn, {}, dtype)
    return {name: defaults[name] for name in later}


def _tolerance_json(constants: dict, dtype: DType) -> dict:
    extra = {"u": format_hex(dtype.u), "eta": format_hex(dtype.eta)}
    return {level: {**values, **extra} for level, values in constants.items()}


def assemble(function: str, dtype: DType, spec: Spec, cases: list[Case], tests: list[dict]) -> dict:
    """The vector document: header, flag notes, and tests grouped by identical parameters."""
    groups: dict[str, dict] = {}
    constants = spec.tolerance(function)
    omitted = later_defaults(spec.functions[function], dtype)
    for case, test in zip(cases, tests):
        params = params_json(case.params, omitted)
        key = json.dumps(params, sort_keys=True)
        try:  # the tolerance's u and eta are the result dtype's (float32 under output_dtype float32)
            out_dtype = output_dtype_of(case.params, dtype)
        except DomainError:  # a group of error cases: no result to judge
            out_dtype = dtype
        group = groups.setdefault(key, {"params": params, "tolerance": _tolerance_json(constants, out_dtype), "tests": []})
        group["tests"].append(test)
    used = sorted({flag for test in tests for flag in test["flags"]}
                  | {flag for test in tests for alt in test.get("acceptable", []) for flag in alt["flags"]})
    return {
        "function": function,
        "dtype": dtype.name,
        "specVersion": spec.document["specVersion"],
        "generator": {
            "tool": f"xent-conformance {__version__}",
            "mpmath": mpmath.__version__,
            "method": "mpmath interval arithmetic; Ziv rounding test (both ends of the enclosure round to the same value)",
            "initialPrecisionBits": INITIAL_PRECISION,
            "maxPrecisionBits": MAX_PRECISION,
        },
        "numberOfTests": len(tests),
        "notes": {flag: spec.flags[flag] for flag in used},
        "testGroups": list(groups.values()),
    }


def render(document: dict) -> str:
    return jsonfmt.dumps(document) + "\n"


@dataclass
class Plan:
    """Everything to generate: (function, dtype) -> cases."""
    spec: Spec
    files: dict[tuple[str, str], list[Case]]

    def jobs(self) -> list[Job]:
        return [Job(f, d, c, self.spec.tolerance(f)) for (f, d), cases in self.files.items() for c in cases]


def plan(spec: Spec | None = None, case_paths: Iterable[Path] | None = None, functions: set[str] | None = None) -> Plan:
    spec = spec or load_spec()
    files: dict[tuple[str, str], list[Case]] = {}
    for path in (case_paths if case_paths is not None else case_files()):
        document = load_case_file(Path(path), spec)
        if functions and document["function"] not in functions:
            continue
        for dtype in DTYPES.values():
            try:
                cases = materialize(document, spec, dtype, str(path))
            except ValueError as exc:
                raise GenerationError(str(exc)) from None
            if cases:
                merged = files.setdefault((document["function"], dtype.name), [])
                merged.extend(cases)
                try:  # several case files of one function fill one output file
                    check_file_elements(sum(case_elements(c) for c in merged))
                except ValueError as exc:
                    raise GenerationError(f"{path}: {document['function']}_{dtype.name}.json: {exc}") from None
    return Plan(spec, files)


def _cost(job: Job) -> int:
    return sum(t.size for t in job.case.inputs.values())


@dataclass
class Timing:
    """Oracle seconds (summed over workers) for all cases and for the LongVector ones."""
    total: float = 0.0
    long: float = 0.0
    long_count: int = 0


def generate(the_plan: Plan, workers: int | None = None,
             progress: Callable[[int], None] | None = None, timing: Timing | None = None) -> dict[str, str]:
    """Render every vector file of the plan: {file name: text}."""
    jobs = the_plan.jobs()
    order = sorted(range(len(jobs)), key=lambda i: -_cost(jobs[i]))  # big cases first balance the pool
    results: list[dict | None] = [None] * len(jobs)
    timing = timing if timing is not None else Timing()
    workers = workers or os.cpu_count() or 1

    def record(i: int, test: dict, seconds: float) -> None:
        results[i] = test
        timing.total += seconds
        if "LongVector" in jobs[i].case.flags:
            timing.long += seconds
            timing.long_count += 1
        if progress:
            progress(1)

    if workers == 1:
        for i in order:
            record(i, *timed_job(jobs[i]))
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            for i, (test, seconds) in zip(order, pool.map(timed_job, [jobs[i] for i in order], chunksize=1)):
                record(i, test, seconds)
    texts: dict[str, str] = {}
    position = 0
    for (function, dtype_name), cases in the_plan.files.items():
        tests = results[position:position + len(cases)]
        position += len(cases)
        document = assemble(function, DTYPES[dtype_name], the_plan.spec, cases, tests)
        texts[f"{function}_{dtype_name}.json"] = render(document)
    return texts
