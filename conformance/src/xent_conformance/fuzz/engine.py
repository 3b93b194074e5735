"""The fuzz loop: per implementation, per function, hypothesis generates, the oracle judges, the adapter answers.

The time budget is per implementation and is shared equally by the selected functions (each function gets an
equal share of the time left, so time one leaves unused, or overruns, is spread over the rest). Each function is one hypothesis run with the given seed; the first
discrepancy ends that function's run after shrinking (bounded by `shrink_time`), so one bug is reported once
per function and the other functions still get their share. Rerunning with `--function F --seed S` replays
the same sequence of examples.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Callable

from hypothesis import HealthCheck, Phase, given, reject, settings, seed as hypothesis_seed, Verbosity

from ..harness.compare import ACCEPTABLE, ERRORED, FAILED, PASSED, Outcome
from ..harness.vectors import VectorCase
from ..spec import Spec
from .golden import OracleCrash, Uncertified, golden
from .promote import yaml_case
from .session import AdapterBroken, Session
from .strategies import Example, examples


class _Stop(BaseException):
    """Time is up (a BaseException, so that hypothesis does not take it for a failure and shrink it)."""


class _Broken(BaseException):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class Mismatch(AssertionError):
    """The implementation disagrees with the oracle on an example (what hypothesis shrinks)."""


@dataclass
class Failure:
    impl: str
    function: str
    dtype: str
    seed: int
    kind: str                  # "mismatch" (failed or errored at the level) or "oracle" (the oracle crashed)
    detail: str
    example: Example
    vector: VectorCase | None
    outcome: Outcome | None
    yaml: str
    rerun: str
    expected: str = ""
    got: str = ""


@dataclass
class FunctionStats:
    examples: int = 0          # examples sent to the implementation
    errors: int = 0            # of which the oracle expects an error kind
    passed: int = 0
    acceptable: int = 0
    unsupported: int = 0       # examples of a dtype the adapter does not declare
    uncertified: int = 0       # skipped: the oracle could not certify them
    seconds: float = 0.0


@dataclass
class ImplResult:
    impl: str
    seed: int
    budget: float
    functions: dict[str, FunctionStats] = field(default_factory=dict)
    failures: list[Failure] = field(default_factory=list)
    broken: str | None = None
    name: str = ""
    elapsed: float = 0.0

    @property
    def examples(self) -> int:
        return sum(s.examples for s in self.functions.values())


def _describe_expected(vector: VectorCase) -> str:
    if vector.result == "error":
        return f"error {vector.error_kind}"
    return f"{vector.expected_text} (shape {vector.expected_shape})"


def _describe_got(outcome: Outcome) -> str:
    got = outcome.got
    if isinstance(got, dict) and "kind" in got:
        return f"error {got['kind']}: {got.get('message', '')}"
    if isinstance(got, dict) and "data" in got:
        return f"{got['data']} (shape {got.get('shape')})"
    return "no answer"


def fuzz_function(session: Session, spec: Spec, impl_label: str, function: str, dtypes: list[str], level: str,
                  deadline: float, seed: int, shrink_time: float, stats: FunctionStats, counter: list[int],
                  rerun: Callable[[str, int], str]) -> Failure | None:
    """One hypothesis run for one function until `deadline`; the shrunk failure, or None."""
    supported = [d for d in dtypes if session.supports(function, d)]
    if not supported:
        stats.unsupported += 1
        return None
    state: dict = {"failure": None, "shrink_until": math.inf}

    @hypothesis_seed(seed)
    @settings(database=None, deadline=None, max_examples=10 ** 9, derandomize=False, print_blob=False,
              suppress_health_check=list(HealthCheck), phases=[Phase.generate, Phase.shrink],
              verbosity=Verbosity.quiet, report_multiple_bugs=False)
    @given(examples(spec, function, supported))
    def probe(example: Example) -> None:
        now = time.monotonic()
        over = now >= deadline and (stats.examples > 0 or now >= deadline + 5)   # every function gets one example
        if (state["failure"] is None and over) or now >= state["shrink_until"]:
            raise _Stop()
        counter[0] += 1
        try:
            vector, _ = golden(example, counter[0], spec)
        except Uncertified:
            stats.uncertified += 1
            reject()
        except OracleCrash as exc:
            _found(state, shrink_time, Failure(
                impl_label, function, example.dtype, seed, "oracle", f"the oracle crashed: {exc}", example,
                None, None, yaml_case(example, spec, f"fuzz: the oracle crashed ({exc.__cause__!r})"),
                rerun(function, seed)))
            raise Mismatch(str(exc)) from None
        try:
            outcome = session.check(vector)
        except AdapterBroken as exc:
            raise _Broken(str(exc)) from None
        stats.examples += 1
        stats.errors += vector.result == "error"
        status = outcome.status[level]
        if status == PASSED:
            stats.passed += 1
            return
        if status == ACCEPTABLE:
            stats.acceptable += 1
            return
        assert status in (FAILED, ERRORED), status
        what = "crashed or broke the protocol" if status == ERRORED else "disagrees with the oracle"
        comment = (f"fuzz ({impl_label} {example.dtype}, seed {seed}): {impl_label} {what}: "
                   f"{outcome.detail or _describe_got(outcome)}")
        _found(state, shrink_time, Failure(
            impl_label, function, example.dtype, seed, "mismatch", outcome.detail, example, vector, outcome,
            yaml_case(example, spec, comment, vector.error_kind if vector.result == "error" else None),
            rerun(function, seed), _describe_expected(vector), _describe_got(outcome)))
        raise Mismatch(outcome.detail)

    started = time.monotonic()
    try:
        probe()
    except _Stop:
        pass
    except _Broken:
        raise
    except Exception:  # noqa: BLE001 - the mismatch, or hypothesis' Flaky around it; state has the example
        if state["failure"] is None:
            raise
    finally:
        stats.seconds += time.monotonic() - started
    return state["failure"]


def _found(state: dict, shrink_time: float, failure: Failure) -> None:
    if state["failure"] is None:
        state["shrink_until"] = time.monotonic() + shrink_time
    state["failure"] = failure   # during shrinking every new failure is smaller than the last


def fuzz_impl(session: Session, spec: Spec, impl_label: str, functions: list[str], dtypes: list[str], level: str,
              budget: float, seed: int, shrink_time: float, rerun: Callable[[str, int], str],
              log: Callable[[str], None] = lambda m: None) -> ImplResult:
    result = ImplResult(impl=impl_label, seed=seed, budget=budget)
    session.open()
    began = time.monotonic()   # the budget is fuzzing time: a slow start-up (JVM) does not eat it
    result.name = session.start_info.name if session.start_info else impl_label
    counter = [0]
    try:
        for i, function in enumerate(functions):
            # an equal share of what is left, so a function that overran (one slow oracle case) does not starve the rest
            now = time.monotonic()
            share = (began + budget - now) / (len(functions) - i)
            deadline = now + max(share, min(1.0, budget / len(functions)))
            stats = result.functions.setdefault(function, FunctionStats())
            attempt = 0
            while time.monotonic() < deadline or not (stats.examples or stats.unsupported or attempt):
                # a run ends early only when hypothesis has exhausted the strategy; then a new seed goes on
                try:
                    failure = fuzz_function(session, spec, impl_label, function, dtypes, level, deadline,
                                            seed + attempt, shrink_time, stats, counter, rerun)
                except _Broken as exc:
                    result.broken = exc.message
                    return result
                if failure is not None:
                    result.failures.append(failure)
                    log(f"{impl_label}: {function}: failure found (seed {failure.seed}); shrunk")
                    break
                if stats.unsupported:
                    break
                attempt += 1
            log(f"{impl_label}: {function}: {stats.examples} examples in {stats.seconds:.1f} s")
    finally:
        session.close()
        result.elapsed = time.monotonic() - began
    return result
