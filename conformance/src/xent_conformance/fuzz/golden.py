"""The oracle on the fly: a generated example becomes a golden vector case exactly as `generate` makes one.

`generate.run_job` evaluates, rounds and resolves the bounds (tolerance.py); its test object is read back
with the harness's vector loader, so the fuzzer judges with the same data and code as `run`. run_job
checks a case's declared result against the oracle's; a generated example declares none, so an example
the oracle rejects is asked again once per error kind until the declared kind agrees (domain checks run
before any arithmetic, so this costs little).
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from ..cases import Case
from ..generate import GenerationError, Job, params_json, run_job
from ..harness.protocol import ERROR_KINDS
from ..harness.vectors import VectorCase, _Checker, _load_test
from ..spec import Spec
from .strategies import Example

SOURCE = Path("<fuzz>")


class Uncertified(Exception):
    """The oracle could not certify the example (precision cap); the example is skipped and counted."""


class OracleCrash(Exception):
    """The oracle raised something that is neither a domain error nor a certification failure: an oracle bug."""


def golden(example: Example, tc_id: int, spec: Spec) -> tuple[VectorCase, dict]:
    """The vector case (as the harness loads it) and the raw vector test object of an example."""
    case = Case(tc_id, "fuzz", [], example.inputs, example.params)
    constants = spec.tolerance(example.function)
    try:
        test = run_job(Job(example.function, example.dtype, case, constants))
    except GenerationError as first:
        if first.__cause__ is not None:   # run_job keeps the cause only for a kernel exception
            raise OracleCrash(str(first)) from first.__cause__
        for kind in ERROR_KINDS:
            try:
                test = run_job(Job(example.function, example.dtype, replace(case, error=kind), constants))
                break
            except GenerationError:
                continue
        else:
            raise Uncertified(str(first)) from None
    vector = _load_test(_Checker(SOURCE), test, "$", example.function, example.dtype,
                        params_json(example.params), SOURCE, {})
    return vector, test
