"""The protocol plumbing every framework adapter shares (conformance/PROTOCOL.md, version 1 with the
additive protocol 1.1: per-case `unsupported` answers, capability objects, `bad_request` and
`internal_error`).

An adapter module only says which functions its library has and how each maps onto the library's call;
everything else lives here once: the JSON-lines loop, tensor decoding and encoding with the harness's own
hex-float helpers, and turning exceptions into error answers.

Two kinds of "no" are kept apart:

* ``Unsupported``: the library cannot express this case (a parameter value it has no option for, such as
  torch's missing ``off_target`` label smoothing). Where a parameter value alone decides it, the adapter
  declares it in its capabilities (``Library.params``) and the harness never sends such a case; where it
  depends on the data (an ignored position in JAX), the answer is the per-case
  ``{"id": ..., "unsupported": "<reason>"}``, which the harness counts as unsupported, not failed.
* a library exception (``ValueError``, ``RuntimeError``, ``IndexError``...): the library rejected the input.
  ``classify`` maps its message onto a spec error kind where the message says which one; otherwise the
  kind is ``library_error`` (not a spec kind: the vector fails and the message is kept).
"""
from __future__ import annotations

import json
import os
import re
import sys
import traceback
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, TextIO

import numpy as np
from xent_conformance.hexfloat import HexFloatError, format_hex, parse_hex
from xent_conformance.tensor import Tensor, TensorError

PROTOCOL_VERSION = 1
DTYPES = ("float64", "float32")
NP_DTYPES = {"float64": np.float64, "float32": np.float32}
LIBRARY_ERROR_KIND = "library_error"
BAD_REQUEST_KIND = "bad_request"        # D7: the request cannot be read or does not follow the protocol
INTERNAL_ERROR_KIND = "internal_error"  # D7: an unexpected failure inside the adapter or the library
#: Parameters the vectors carry as hex-float text (values of the vector's dtype).
FLOAT_PARAMS = frozenset({"epsilon", "label_smoothing", "gamma", "alpha"})

# A library's error message -> the spec's error kind it reports. First match wins; deliberately short:
# a message that names none of these stays a library_error.
_MESSAGE_KINDS = (
    (re.compile(r"out of bounds|out of range|index \d+ is out", re.I), "index_out_of_range"),
    (re.compile(r"between 0 and 1|\[0, ?1\]", re.I), "invalid_probability"),
    (re.compile(r"zero-size array|empty", re.I), "invalid_shape"),
    (re.compile(r"size|shape|broadcast|dimension", re.I), "shape_mismatch"),
    (re.compile(r"reduction|label_smoothing|not a valid value", re.I), "invalid_argument"),
)


class Unsupported(Exception):
    """The library has no way to express this case; answered with a per-case ``unsupported``."""


class Rejected(Exception):
    """An error of a spec kind raised by the adapter's own dispatch (an unknown enum value)."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind


class BadRequest(Exception):
    """The request itself is malformed."""


def classify(exc: BaseException) -> str:
    """The spec error kind a library exception's message names, or ``library_error``."""
    text = str(exc)
    for pattern, kind in _MESSAGE_KINDS:
        if pattern.search(text):
            return kind
    return LIBRARY_ERROR_KIND


def decode_tensor(obj: Any, where: str) -> np.ndarray:
    """A protocol tensor object as a NumPy array of its dtype (float32 values checked exactly)."""
    try:
        t = Tensor.from_json(obj, where)
    except TensorError as exc:
        raise BadRequest(str(exc)) from None
    dtype = np.int64 if t.dtype == "int64" else NP_DTYPES[t.dtype]
    return np.array(t.data, dtype=dtype).reshape(t.shape)


def encode_tensor(value: Any) -> dict[str, Any]:
    """A result as a protocol tensor, in the dtype the library returned (the harness checks it)."""
    arr = np.asarray(value)
    if arr.dtype not in (np.float64, np.float32):
        raise TypeError(f"the library returned dtype {arr.dtype}, not a float dtype")
    return {"dtype": str(arr.dtype), "shape": list(arr.shape),
            "data": [format_hex(v) for v in arr.ravel().tolist()]}


def decode_params(params: dict[str, Any], dtype: str) -> dict[str, Any]:
    """Tensor parameters as arrays, float parameters as Python floats of the dtype, the rest as sent."""
    out: dict[str, Any] = {}
    for name, value in params.items():
        if isinstance(value, dict):
            out[name] = decode_tensor(value, f"params.{name}")
        elif name in FLOAT_PARAMS and isinstance(value, str):
            try:
                out[name] = parse_hex(value, dtype)
            except HexFloatError as exc:
                raise BadRequest(f"params.{name}: {exc}") from None
        else:
            out[name] = value
    return out


Handler = Callable[..., Any]


@dataclass
class Library:
    """One adapter: the library's name and version, and a handler per function it really provides.

    A handler is called with the case's inputs (arrays) and parameters as keyword arguments and returns
    the result as anything NumPy can turn into an array.
    """
    name: str
    version: str
    functions: dict[str, Handler]
    dtypes: dict[str, tuple[str, ...]] = field(default_factory=dict)  # per function; default both
    #: per function, the parameter values the library supports ({"base": ["e"]}): declared as a protocol
    #: 1.1 capability object, so that the harness does not send cases outside and counts them unsupported
    params: dict[str, dict[str, list[Any]]] = field(default_factory=dict)

    def capabilities(self) -> dict[str, Any]:
        caps: dict[str, Any] = {}
        for f in self.functions:
            dtypes = list(self.dtypes.get(f, DTYPES))
            caps[f] = {"dtypes": dtypes, "params": self.params[f]} if f in self.params else dtypes
        return caps

    def run_case(self, case: Any) -> dict[str, Any]:
        """Answer one case; never raises."""
        case_id = case.get("id") if isinstance(case, dict) and isinstance(case.get("id"), str) else None
        try:
            if not isinstance(case, dict):
                raise BadRequest("a case must be a JSON object")
            handler = self.functions.get(case.get("function"))
            if handler is None:
                raise BadRequest(f"unknown function {case.get('function')!r}")
            dtype = case.get("dtype")
            if dtype not in DTYPES:
                raise BadRequest(f"unsupported dtype {dtype!r}")
            inputs = {k: decode_tensor(v, f"inputs.{k}") for k, v in (case.get("inputs") or {}).items()}
            kwargs = {**inputs, **decode_params(case.get("params") or {}, dtype)}
            return {"id": case_id, "output": encode_tensor(handler(**kwargs))}
        except Unsupported as exc:
            return {"id": case_id, "unsupported": str(exc)}
        except Rejected as exc:
            return _error(case_id, exc.kind, str(exc))
        except BadRequest as exc:
            return _error(case_id, BAD_REQUEST_KIND, f"bad request: {exc}")
        except (ValueError, RuntimeError, IndexError, TypeError, ZeroDivisionError) as exc:
            # the library (or NumPy under it) refused the input
            return _error(case_id, classify(exc), f"{type(exc).__name__}: {exc}")
        except Exception as exc:  # noqa: BLE001 - never crash the adapter on one case
            traceback.print_exc(file=sys.stderr)
            return _error(case_id, INTERNAL_ERROR_KIND, f"internal error: {type(exc).__name__}: {exc}")

    def handle(self, request: Any) -> tuple[dict[str, Any] | None, bool]:
        """Answer one request; returns (answer or None, keep running)."""
        if not isinstance(request, dict):
            return _error(None, BAD_REQUEST_KIND, "bad request: a request must be a JSON object"), True
        cmd = request.get("cmd")
        if cmd == "start":
            if request.get("version") != PROTOCOL_VERSION:
                return {"error": {"kind": "unsupported_version",
                                  "message": f"protocol version {PROTOCOL_VERSION} only"}}, False
            return {"version": PROTOCOL_VERSION,
                    "implementation": {"name": self.name, "language": "python", "version": self.version},
                    "capabilities": self.capabilities()}, True
        if cmd == "run":
            return self.run_case(request), True
        if cmd == "run_batch":
            cases = request.get("cases")
            if not isinstance(cases, list):
                return _error(None, BAD_REQUEST_KIND, "bad request: run_batch needs a list 'cases'"), True
            return {"results": [self.run_case(c) for c in cases]}, True
        if cmd == "stop":
            return None, False
        rid = request.get("id") if isinstance(request.get("id"), str) else None
        return _error(rid, BAD_REQUEST_KIND, f"bad request: unknown cmd {cmd!r}"), True

    def serve(self, stdin: Iterable[str] | None = None, stdout: TextIO | None = None) -> int:
        """The JSON-lines loop: one flushed answer line per request, until `stop` or end of input."""
        stdin = sys.stdin if stdin is None else stdin
        stdout = sys.stdout if stdout is None else stdout
        for line in stdin:
            if not line.strip():
                continue
            try:
                answer, keep = self.handle(json.loads(line))
            except (ValueError, RecursionError) as exc:
                # no id can be known: {"id": null, ...} (D7)
                answer, keep = _error(None, BAD_REQUEST_KIND, f"bad request: invalid JSON: {exc}"), True
            if answer is not None:
                stdout.write(json.dumps(answer, allow_nan=False) + "\n")
                stdout.flush()
            if not keep:
                break
        return 0


def serve_and_exit(library: Library) -> None:
    """Serve on stdin/stdout, then leave at once: a heavy library's interpreter teardown (torch, JAX)
    can outlast the 2 s the harness grants after `stop`, and there is nothing left to clean up."""
    code = library.serve()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _error(case_id: str | None, kind: str, message: str) -> dict[str, Any]:
    return {"id": case_id, "error": {"kind": kind, "message": " ".join(message.split())}}  # one line


# ---------------------------------------------------------------- small helpers the adapters share

def reduce(loss: Any, reduction: str, mean: Callable[[Any], Any], total: Callable[[Any], Any]) -> Any:
    """Apply `none`, `sum` or `mean` with the library's own sum and mean; any other value is rejected."""
    if reduction == "none":
        return loss
    if reduction == "sum":
        return total(loss)
    if reduction == "mean":
        return mean(loss)
    raise Rejected("invalid_argument", f"unknown reduction {reduction!r}")


def natural_log_only(base: str) -> None:
    """Libraries without a `base` option: base 'e' only (dividing by log 2 would be our code, not theirs)."""
    if base != "e":
        raise Unsupported(f"base {base!r}: the library has no base parameter")
