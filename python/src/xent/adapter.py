"""The xent conformance adapter (conformance/PROTOCOL.md, version 1): JSON Lines on stdin/stdout.

Run as ``python -m xent.adapter``. Requests: ``start``, ``run``, ``run_batch``, ``stop``. Every answer
is one line, flushed at once. A bad request never crashes the adapter: it is answered with an error
object. The protocol schema allows only the spec's error kinds, so a function's own rejection carries its
kind, and a malformed request (unknown function, bad tensor, unknown parameter) is answered as
``invalid_argument`` with a message starting "bad request:"; an unexpected exception (a bug) is also
answered, as ``invalid_argument`` with a message starting "internal error:", and its traceback goes to
stderr.
"""
from __future__ import annotations

import json
import math
import os
import re
import sys
import traceback

import numpy as np

from . import FUNCTIONS, __version__
from .errors import XentError

PROTOCOL_VERSION = 1
DTYPES = ("float64", "float32")
FLOAT_PARAMS = frozenset({"epsilon", "label_smoothing", "gamma", "alpha"})
_SPECIALS = {"inf": math.inf, "+inf": math.inf, "-inf": -math.inf, "nan": math.nan,
             "infinity": math.inf, "+infinity": math.inf, "-infinity": -math.inf}
_HEX = re.compile(r"[+-]?0[xX]([0-9a-fA-F]+(\.[0-9a-fA-F]*)?|\.[0-9a-fA-F]+)([pP][+-]?[0-9]+)?")


BAD_REQUEST_KIND = "invalid_argument"  # the schema's error kinds are the spec's; see the module docstring

#: Set by enable_mutant() when XENT_MUTANT names no known mutant: `start` is then refused with this text.
_START_REFUSAL = None


def enable_mutant(name):
    """Switch on the mutant ``name`` (XENT_MUTANT; conformance/MUTANTS.md). An unknown name makes the
    adapter refuse `start`. The mutant registry is imported only here, never by the shipped path."""
    global _START_REFUSAL
    from . import _mutants
    try:
        _mutants.activate(name)
    except _mutants.UnknownMutant:
        _START_REFUSAL = (f"XENT_MUTANT={name!r} is not a known mutant of xent-python "
                          f"({len(_mutants.MUTANTS)} known; `python -m xent.adapter --list-mutants` lists them)")


def _bad(message, case_id=""):
    return {"id": case_id, "error": {"kind": BAD_REQUEST_KIND, "message": f"bad request: {message}"}}


class BadRequest(Exception):
    """The request itself is malformed (not a spec error of the function)."""


def parse_hex(text) -> float:
    if not isinstance(text, str):
        raise BadRequest(f"expected a hex-float string, got {text!r}")
    key = text.strip().lower()
    if key in _SPECIALS:
        return _SPECIALS[key]
    if not _HEX.fullmatch(text.strip()):
        raise BadRequest(f"not a hex float: {text!r}")
    try:
        return float.fromhex(text.strip())
    except (ValueError, OverflowError) as exc:
        raise BadRequest(f"hex float {text!r} does not fit a float64: {exc}") from None


def format_hex(x: float) -> str:
    x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    mantissa, _, exponent = x.hex().partition("p")
    if "." in mantissa:
        mantissa = mantissa.rstrip("0").rstrip(".")
    return f"{mantissa}p{exponent}"


def decode_tensor(name, obj):
    if not isinstance(obj, dict) or not {"dtype", "shape", "data"} <= set(obj):
        raise BadRequest(f"{name}: a tensor must be an object with dtype, shape and data, got {obj!r:.200}")
    dtype, shape, data = obj["dtype"], obj["shape"], obj["data"]
    if not isinstance(shape, list) or not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0
                                               for d in shape):
        raise BadRequest(f"{name}: shape must be a list of non-negative integers, got {shape!r}")
    if not isinstance(data, list):
        raise BadRequest(f"{name}: data must be a list")
    size = int(np.prod(shape, dtype=np.int64)) if shape else 1
    if len(data) != size:
        raise BadRequest(f"{name}: data has {len(data)} elements but shape {shape} needs {size}")
    if dtype in DTYPES:
        arr = np.array([parse_hex(v) for v in data], dtype=np.float64)
        if dtype == "float32":
            with np.errstate(over="ignore"):
                arr32 = arr.astype(np.float32)
            if not np.array_equal(arr32.astype(np.float64), arr, equal_nan=True):
                raise BadRequest(f"{name}: a value is not exactly representable in float32")
            arr = arr32
    elif dtype == "int64":
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in data):
            raise BadRequest(f"{name}: int64 data must be JSON integers")
        arr = np.array(data, dtype=np.int64)
    else:
        raise BadRequest(f"{name}: unknown dtype {dtype!r}")
    return arr.reshape(shape)


def encode_tensor(value, dtype):
    arr = np.asarray(value)
    if arr.dtype.kind == "f":
        data = [format_hex(v) for v in arr.ravel().tolist()]
    else:
        raise BadRequest(f"unexpected output dtype {arr.dtype}")
    return {"dtype": dtype, "shape": list(arr.shape), "data": data}


def run_case(case):
    """Answer one run request (a dict); never raises."""
    case_id = case.get("id", "") if isinstance(case, dict) else ""
    try:
        if not isinstance(case, dict):
            raise BadRequest("a case must be a JSON object")
        fname = case.get("function")
        fn = FUNCTIONS.get(fname)
        if fn is None:
            raise BadRequest(f"unknown function {fname!r}")
        dtype = case.get("dtype")
        if dtype not in DTYPES:
            raise BadRequest(f"unsupported dtype {dtype!r}")
        inputs = case.get("inputs", {})
        params = case.get("params", {}) or {}
        if not isinstance(inputs, dict) or not isinstance(params, dict):
            raise BadRequest("inputs and params must be JSON objects")
        kwargs = {}
        for name, obj in inputs.items():
            kwargs[name] = decode_tensor(name, obj)
        for name, value in params.items():
            if isinstance(value, dict):
                kwargs[name] = decode_tensor(name, value)
            elif name in FLOAT_PARAMS and isinstance(value, str):
                kwargs[name] = parse_hex(value)
            else:
                kwargs[name] = value
        try:
            result = fn(**kwargs)
        except TypeError as exc:
            if "argument" in str(exc):
                raise BadRequest(f"{fname}: {exc}") from None
            raise
        return {"id": case_id, "output": encode_tensor(result, dtype)}
    except XentError as exc:
        return {"id": case_id, "error": {"kind": exc.kind, "message": str(exc)}}
    except BadRequest as exc:
        return {"id": case_id, "error": {"kind": BAD_REQUEST_KIND, "message": f"bad request: {exc}"}}
    except Exception as exc:  # never crash: report it
        traceback.print_exc(file=sys.stderr)
        return {"id": case_id, "error": {"kind": BAD_REQUEST_KIND,
                                         "message": f"internal error: {type(exc).__name__}: {exc}"}}


def capabilities():
    return {name: list(DTYPES) for name in FUNCTIONS}


def handle(request):
    """Answer one request; returns (answer or None, keep_running)."""
    if not isinstance(request, dict):
        return _bad("a request must be a JSON object"), True
    cmd = request.get("cmd")
    if cmd == "start":
        if _START_REFUSAL is not None:
            # the protocol schema allows only this kind for a refused start; the message says why
            return {"error": {"kind": "unsupported_version", "message": _START_REFUSAL}}, False
        if request.get("version") != PROTOCOL_VERSION:
            return {"error": {"kind": "unsupported_version",
                              "message": f"this adapter speaks protocol version {PROTOCOL_VERSION}, "
                                         f"got {request.get('version')!r}"}}, False
        return {"version": PROTOCOL_VERSION,
                "implementation": {"name": "xent-python", "language": "python", "version": __version__},
                "capabilities": capabilities()}, True
    if cmd == "run":
        return run_case(request), True
    if cmd == "run_batch":
        cases = request.get("cases")
        if not isinstance(cases, list):
            return _bad("run_batch needs a list 'cases'"), True
        return {"results": [run_case(c) for c in cases]}, True
    if cmd == "stop":
        return None, False
    return _bad(f"unknown cmd {cmd!r}", request.get("id", "")), True


def main(stdin=None, stdout=None) -> int:
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    np.seterr(all="ignore")
    if os.environ.get("XENT_MUTANT"):
        enable_mutant(os.environ["XENT_MUTANT"])
    for line in stdin:
        if not line.strip():
            continue
        try:
            request = json.loads(line)
        except ValueError as exc:
            answer, keep = _bad(f"invalid JSON: {exc}"), True
        else:
            try:
                answer, keep = handle(request)
            except Exception as exc:  # pragma: no cover - handle() already guards each case
                traceback.print_exc(file=sys.stderr)
                answer, keep = {"id": "", "error": {"kind": BAD_REQUEST_KIND,
                                                    "message": f"internal error: {exc!r}"}}, True
        if answer is not None:
            stdout.write(json.dumps(answer, allow_nan=False) + "\n")
            stdout.flush()
        if not keep:
            break
    return 0


def _cli(argv) -> int:
    if argv == ["--list-mutants"]:  # the catalogue as JSON, for `xent-conformance mutants`
        from ._mutants import catalogue
        print(json.dumps({"mutants": catalogue()}, indent=1))
        return 0
    if argv:
        print(f"usage: python -m xent.adapter [--list-mutants] (got {' '.join(argv)})", file=sys.stderr)
        return 64
    return main()


if __name__ == "__main__":
    sys.exit(_cli(sys.argv[1:]))
