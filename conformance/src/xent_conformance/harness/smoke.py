"""`xent-conformance smoke`: a handful of tiny cases that tell a broken adapter from a non-conforming
implementation.

Stage 1 (protocol): the handshake; `run` and `run_batch` answered with the ids echoed (ids with quotes
and non-ASCII text); well-formed tensors of the right shape (a scalar, an empty tensor) whose floats
parse as hex floats of the dtype; `stop` honoured. Any failure here means a broken adapter (exit 2).
Stage 2 (values): special values and exact facts, compared exactly (+0 == -0, NaN == NaN): NaN
propagation, the limits at +-inf, signed zero and subnormal inputs, and a subnormal result, which
must be written as a hex float and read back exactly. A failure here means the adapter works and the
implementation does not conform (exit 1).

Smoke judges at the same level as `run` (the same default: accurate for the project's own
implementations, compatible for any other command) and prints it. Special values (NaN, the limits,
signed zero) are exact at every level. The two subnormal results are range extremes: `accurate`
requires them exactly; `compatible` also accepts what plain float arithmetic gives there (a result
within the smallest normal number of the exact value, e.g. 0 after an underflow), as `run` does.

Expected values are mathematical facts (sigmoid(+inf) = 1, softplus(-inf) = 0, sigmoid(+-0) = 1/2,
sigmoid(2^-1074) rounds to 1/2); the two subnormal results are computed here with mpmath and
rounded to the dtype, never typed in.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import mpmath

from ..dtypes import dtype_named
from ..hexfloat import HexFloatError, format_hex, parse_hex
from . import protocol
from .process import AdapterFailure, AdapterProcess, StderrBuffer
from .protocol import ProtocolViolation, StartRefused, clean

NAN, INF = math.nan, math.inf


def _subnormal_result(value: mpmath.mpf, dtype: str) -> float:
    """Round a value below the dtype's normal range to nearest-even on the subnormal grid."""
    dt = dtype_named(dtype)
    with mpmath.workprec(400):
        k = mpmath.nint(value / mpmath.ldexp(1, dt.eta_exp))
    assert abs(value) < mpmath.ldexp(1, dt.emin)
    return math.ldexp(float(k), dt.eta_exp)


def _sigmoid_exact(z: float) -> mpmath.mpf:
    with mpmath.workprec(400):
        return 1 / (1 + mpmath.exp(-mpmath.mpf(z)))


def _softplus_exact(z: float) -> mpmath.mpf:
    with mpmath.workprec(400):
        return mpmath.log1p(mpmath.exp(mpmath.mpf(z)))


@dataclass
class SmokeCase:
    id: str
    function: str
    dtype: str
    shape: list[int]
    inputs: list[float]
    expected: list[float]
    what: str
    range_extreme: bool = False

    def payload(self) -> dict:
        return {"id": self.id, "function": self.function, "dtype": self.dtype, "params": {},
                "inputs": {"z": {"dtype": self.dtype, "shape": self.shape, "data": [format_hex(x) for x in self.inputs]}}}


def smoke_cases() -> list[SmokeCase]:
    cases: list[SmokeCase] = []
    n = 0

    def add(function: str, dtype: str, shape: list[int], inputs: list[float], expected: list[float], what: str,
            extreme: bool = False) -> None:
        nonlocal n
        n += 1
        # ids that an adapter must echo byte for byte: quotes, a backslash, non-ASCII
        cases.append(SmokeCase(f"smoke/{n} {function} {dtype} \"q\\ü\"", function, dtype, shape, inputs, expected, what,
                               extreme))

    for dtype, eta, deep in (("float64", 2.0 ** -1074, -745.0), ("float32", 2.0 ** -149, -103.0)):
        add("sigmoid", dtype, [6], [NAN, INF, -INF, -0.0, eta, 0.0], [NAN, 1.0, 0.0, 0.5, 0.5, 0.5],
            "sigmoid of nan, inf, -inf, -0, the smallest subnormal, +0")
        add("sigmoid", dtype, [1], [deep], [_subnormal_result(_sigmoid_exact(deep), dtype)],
            f"sigmoid({format_hex(deep)}) is subnormal (written and read back as a hex float)", True)
        add("sigmoid", dtype, [], [0.0], [0.5], "a scalar (shape [])")
        add("sigmoid", dtype, [0], [], [], "an empty tensor (shape [0])")
        add("softplus", dtype, [3], [NAN, INF, -INF], [NAN, INF, 0.0], "softplus of nan, inf, -inf")
        add("softplus", dtype, [1], [deep], [_subnormal_result(_softplus_exact(deep), dtype)],
            f"softplus({format_hex(deep)}) is subnormal", True)
        add("log_sigmoid", dtype, [3], [NAN, INF, -INF], [NAN, -0.0, -INF], "log_sigmoid of nan, inf (-0), -inf")
    return cases


@dataclass
class Check:
    stage: str        # "protocol" or "values"
    name: str
    ok: bool
    detail: str = ""


@dataclass
class SmokeResult:
    checks: list[Check] = field(default_factory=list)
    implementation: str = ""
    stderr: str = ""
    skipped: list[str] = field(default_factory=list)
    level: str = "accurate"
    level_why: str = ""

    @property
    def protocol_ok(self) -> bool:
        return all(c.ok for c in self.checks if c.stage == "protocol")

    @property
    def values_ok(self) -> bool:
        return all(c.ok for c in self.checks if c.stage == "values")

    @property
    def exit_code(self) -> int:
        if not self.protocol_ok:
            return 2
        return 0 if self.values_ok else 1


def _same(got: float, want: float) -> bool:
    if math.isnan(want):
        return math.isnan(got)
    return got == want


def _accepted(case: SmokeCase, got: float, want: float, level: str) -> bool:
    if _same(got, want):
        return True
    # a range extreme at compatible: plain float arithmetic (underflow to 0 or a nearby subnormal) is accepted
    return (case.range_extreme and level == "compatible" and math.isfinite(got)
            and abs(got - want) <= 2.0 ** dtype_named(case.dtype).emin)


def _check_answer(case: SmokeCase, obj, result: SmokeResult) -> None:
    try:
        answer = protocol.parse_case_answer(obj)
    except ProtocolViolation as exc:
        result.checks.append(Check("protocol", f"answer to {case.id}", False, str(exc)))
        return
    if answer.kind == "unsupported":
        result.checks.append(Check("protocol", f"answer to {case.id}", True, f"unsupported: {answer.message}"))
        result.skipped.append(f"{case.function}/{case.dtype} ({case.what}: answered unsupported)")
        return
    if answer.kind == "error":
        # well-formed: the protocol works, the implementation rejects a valid input
        result.checks.append(Check("protocol", f"answer to {case.id}", True))
        result.checks.append(Check("values", case.what, False,
                                   f"{case.function} answered error {answer.error_kind}: {answer.message}"))
        return
    problems = []
    if answer.dtype != case.dtype:
        problems.append(f"output dtype {answer.dtype!r}, expected {case.dtype!r}")
    if answer.shape != case.shape:
        problems.append(f"output shape {answer.shape}, expected {case.shape}")
    values = []
    for i, text in enumerate(answer.data or []):
        try:
            values.append(parse_hex(text, case.dtype))
        except HexFloatError as exc:
            problems.append(f"output.data[{i}]: {exc}")
    result.checks.append(Check("protocol", f"answer to {case.id}", not problems, "; ".join(problems)))
    if problems:
        return
    wrong = [f"z={format_hex(z)}: got {t}, expected {format_hex(w)}"
             for z, t, g, w in zip(case.inputs, answer.data or [], values, case.expected)
             if not _accepted(case, g, w, result.level)]
    if not case.inputs and values:
        wrong.append(f"expected an empty output, got {len(values)} values")
    result.checks.append(Check("values", f"{case.dtype} {case.what}", not wrong, "; ".join(wrong)))


def run_smoke(argv: list[str], cwd: str | None, env: dict | None, startup_timeout: float, timeout: float,
              log=None, level: str = "accurate") -> SmokeResult:
    result = SmokeResult(level=level)
    stderr = StderrBuffer(64 << 10)
    proc = AdapterProcess(argv, cwd=cwd, env=env, max_line_bytes=4 << 20, stderr=stderr)
    try:
        _smoke(proc, result, startup_timeout, timeout)
    finally:
        proc.kill()
        result.stderr = stderr.text()
    return result


def _smoke(proc: AdapterProcess, result: SmokeResult, startup_timeout: float, timeout: float) -> None:
    checks = result.checks
    from .runner import START_LIMITS
    proc.limit_answer(*START_LIMITS)  # smoke's cases are tiny: bounded like a start answer
    try:
        proc.start()
        proc.send(protocol.start_request())
        info = protocol.parse_start_answer(proc.read_message(startup_timeout, "start"))
    except (AdapterFailure, ProtocolViolation, StartRefused) as exc:
        detail = getattr(exc, "detail", str(exc))
        if isinstance(exc, AdapterFailure) and exc.kind == "timeout":
            from .runner import START_HINT
            detail += f"; {START_HINT}"
        checks.append(Check("protocol", "start handshake", False, detail))
        return
    result.implementation = info.name
    checks.append(Check("protocol", "start handshake", True, f"{info.name}; declares {len(info.capabilities)} functions"))
    cases = [c for c in smoke_cases() if info.supports(c.function, c.dtype)]
    result.skipped = sorted({f"{c.function}/{c.dtype}" for c in smoke_cases() if not info.supports(c.function, c.dtype)})
    if not cases:
        checks.append(Check("protocol", "smoke cases", True,
                            "the adapter declares none of sigmoid, softplus, log_sigmoid: only the handshake was checked"))
    else:
        # the first case with run, the others in one run_batch
        first, rest = cases[0], cases[1:]
        try:
            proc.send({"cmd": "run", **first.payload()})
            obj = proc.read_message(timeout, f"run {first.id}")
        except AdapterFailure as exc:
            checks.append(Check("protocol", "run", False, f"{exc.kind}: {exc.detail}"))
            return
        if protocol.answer_id(obj) != first.id:
            checks.append(Check("protocol", "run echoes the id", False,
                                f"sent id {first.id!r}, got {protocol.excerpt(protocol.answer_id(obj) or obj)}"))
        else:
            checks.append(Check("protocol", "run echoes the id", True))
            _check_answer(first, obj, result)
        if rest:
            try:
                proc.send({"cmd": "run_batch", "cases": [c.payload() for c in rest]})
                obj = proc.read_message(timeout, f"run_batch of {len(rest)} cases")
                results = protocol.batch_results(obj)
            except AdapterFailure as exc:
                checks.append(Check("protocol", "run_batch", False, f"{exc.kind}: {exc.detail}"))
                return
            except ProtocolViolation as exc:
                checks.append(Check("protocol", "run_batch", False, str(exc)))
                return
            by_id = {c.id: c for c in rest}
            seen: set[str] = set()
            bad_ids = []
            for r in results:
                rid = protocol.answer_id(r)
                if rid not in by_id or rid in seen:
                    bad_ids.append(protocol.excerpt(rid if rid is not None else r, 60))
                    continue
                seen.add(rid)
                _check_answer(by_id[rid], r, result)
            missing = [c.id for c in rest if c.id not in seen]
            detail = "; ".join(filter(None, [f"unknown or repeated ids {bad_ids}" if bad_ids else "",
                                             f"no answer for {missing}" if missing else ""]))
            checks.append(Check("protocol", "run_batch answers every id once", not detail, detail))
    proc.send(protocol.stop_request())
    status = proc.stop(None, 2.0)
    checks.append(Check("protocol", "stop", status == 0,
                        "" if status == 0 else ("did not exit within 2 s" if status is None else f"exited with status {status}")))


def print_smoke(result: SmokeResult, console, label: str) -> None:
    from rich.markup import escape
    from rich.table import Table
    table = Table(title=escape(f"xent smoke: {clean(result.implementation or label)} (level {result.level})"))
    table.add_column("stage")
    table.add_column("check")
    table.add_column("ok")
    table.add_column("detail")
    for c in result.checks:
        table.add_row(escape(c.stage), escape(clean(c.name)), "[green]yes[/green]" if c.ok else "[red]NO[/red]",
                      escape(clean(c.detail, 400)))
    console.print(table)
    console.print(f"level: {result.level}" + (f" ({result.level_why})" if result.level_why else "")
                  + "; special values are exact at every level", markup=False, highlight=False)
    if result.skipped:
        console.print(f"not declared, so not smoke-tested: {', '.join(result.skipped)}", markup=False)
    if not result.protocol_ok and result.stderr.strip():
        console.print("[bold]adapter stderr (last lines)[/bold]")
        for line in result.stderr.strip().splitlines()[-15:]:
            console.print(f"  {clean(line, 300)}", markup=False, highlight=False)
    if not result.protocol_ok:
        console.print("[bold magenta]BROKEN ADAPTER[/bold magenta]: it does not speak the protocol (exit 2)")
    elif not result.values_ok:
        console.print("[bold red]ADAPTER OK, IMPLEMENTATION DOES NOT CONFORM[/bold red] on the special values above (exit 1)")
    else:
        console.print("[bold green]SMOKE OK[/bold green]: the adapter speaks the protocol and the special values are right")
