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

import ml_dtypes
import numpy as np
from xent_conformance.hexfloat import HexFloatError, format_hex, parse_hex
from xent_conformance.tensor import Tensor, TensorError

PROTOCOL_VERSION = 1
DTYPES = ("float64", "float32")
#: protocol 1.2 (spec E1): the 16-bit dtypes, bfloat16 as ml_dtypes' NumPy dtype
HALF_DTYPES = ("float16", "bfloat16")
NP_DTYPES = {"float64": np.dtype(np.float64), "float32": np.dtype(np.float32), "float16": np.dtype(np.float16),
             "bfloat16": np.dtype(ml_dtypes.bfloat16)}
#: The mixed (autocast) contract's parameter: 'same' or 'float32' (16-bit inputs, float32 results).
OUTPUT_DTYPE = "output_dtype"
#: The functions that have output_dtype (what PyTorch runs in float32 under autocast, spec E1).
AUTOCAST_FUNCTIONS = ("logsumexp", "softmax", "log_softmax", "softplus", "softmax_cross_entropy",
                      "binary_cross_entropy_with_logits")


def output_dtype_params(*values: str) -> dict[str, dict[str, list[str]]]:
    """Capability params declaring these output_dtype values for every function that has the parameter."""
    return {name: {OUTPUT_DTYPE: list(values)} for name in AUTOCAST_FUNCTIONS}
LIBRARY_ERROR_KIND = "library_error"
BAD_REQUEST_KIND = "bad_request"        # D7: the request cannot be read or does not follow the protocol
INTERNAL_ERROR_KIND = "internal_error"  # D7: an unexpected failure inside the adapter or the library
#: Parameters the vectors carry as hex-float text (values of the vector's dtype).
FLOAT_PARAMS = frozenset({"epsilon", "label_smoothing", "gamma", "alpha", "logit_scale", "softcap", "z_loss"})

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
    """A protocol tensor object as a NumPy array of its dtype (values checked exactly in the dtype)."""
    try:
        t = Tensor.from_json(obj, where)
    except TensorError as exc:
        raise BadRequest(str(exc)) from None
    if t.dtype == "int64":
        return np.array(t.data, dtype=np.int64).reshape(t.shape)
    if t.dtype == "bool":  # protocol 1.3: the class mask where
        return np.array(t.data, dtype=np.bool_).reshape(t.shape)
    return np.array(t.data, dtype=np.float64).astype(NP_DTYPES[t.dtype]).reshape(t.shape)  # exact


def encode_tensor(value: Any) -> dict[str, Any]:
    """A result as a protocol tensor, in the dtype the library returned (the harness checks it)."""
    arr = np.asarray(value)
    names = {dt: name for name, dt in NP_DTYPES.items()}
    if arr.dtype not in names:
        raise TypeError(f"the library returned dtype {arr.dtype}, not a float dtype")
    return {"dtype": names[arr.dtype], "shape": list(arr.shape),
            "data": [format_hex(v) for v in arr.astype(np.float64).ravel().tolist()]}  # exact


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
    dtypes: dict[str, tuple[str, ...]] = field(default_factory=dict)  # per function; else default_dtypes
    default_dtypes: tuple[str, ...] = DTYPES
    #: per function, the parameter values the library supports ({"base": ["e"]}): declared as a protocol
    #: 1.1 capability object, so that the harness does not send cases outside and counts them unsupported
    params: dict[str, dict[str, list[Any]]] = field(default_factory=dict)
    #: functions whose handler takes issue 17's options (LARGE_MODEL_DEFAULTS); every other handler gets
    #: them removed when they hold their defaults, and answers unsupported otherwise
    large_model: frozenset[str] = frozenset()
    #: functions whose handler takes the class mask `where` (specVersion 4); the others get a null where
    #: removed and answer any mask unsupported
    class_mask: frozenset[str] = frozenset()
    #: functions whose handler takes `grad_output` (specVersion 4); the others get a null one removed and
    #: answer any other value unsupported
    upstream: frozenset[str] = frozenset()

    def capabilities(self) -> dict[str, Any]:
        caps: dict[str, Any] = {}
        for f in self.functions:
            dtypes = list(self.dtypes.get(f, self.default_dtypes))
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
            if dtype not in NP_DTYPES:
                raise BadRequest(f"unsupported dtype {dtype!r}")
            inputs = {k: decode_tensor(v, f"inputs.{k}") for k, v in (case.get("inputs") or {}).items()}
            kwargs = _apply_output_dtype({**inputs, **decode_params(case.get("params") or {}, dtype)}, dtype)
            if case.get("function") not in self.large_model:
                kwargs = without_large_model_options(kwargs)
            if case.get("function") not in self.class_mask:
                kwargs = without_option(kwargs, "where", "the library has no class mask")
            if case.get("function") not in self.upstream:
                kwargs = without_option(kwargs, "grad_output", "the library's gradient here takes no upstream gradient")
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


#: softmax_cross_entropy(_grad)'s large-model options (specVersion 3, issue 17) at their defaults, and
#: softmax_cross_entropy's extra output `result` (specVersion 4)
LARGE_MODEL_DEFAULTS = {"logit_scale": 1.0, "softcap": None, "z_loss": 0.0, "empty_mean": "nan", "result": "loss"}


def without_option(kwargs: dict[str, Any], name: str, why: str) -> dict[str, Any]:
    """kwargs without a tensor option that must be null (else the case is unsupported: `why`)."""
    if kwargs.pop(name, None) is not None:
        raise Unsupported(f"{name}: {why}")
    return kwargs


def without_large_model_options(kwargs: dict[str, Any]) -> dict[str, Any]:
    """kwargs without issue 17's options, which must hold their defaults (else the case is unsupported:
    the library has no such option)."""
    for name, default in LARGE_MODEL_DEFAULTS.items():
        if name in kwargs and kwargs.pop(name) != default:
            raise Unsupported(f"{name} other than its default: the library has no such option")
    return kwargs


def _apply_output_dtype(kwargs: dict[str, Any], dtype: str) -> dict[str, Any]:
    """Take output_dtype out of the call (no library has the parameter): 'float32' runs the float32 call
    on the widened inputs (float32_inputs), 'same' the call in the vector's dtype."""
    value = kwargs.pop(OUTPUT_DTYPE, "same")
    if value == "float32":
        return float32_inputs(kwargs, dtype)
    if value != "same":
        raise Rejected("invalid_argument", f"output_dtype {value!r} is not 'same' or 'float32'")
    return kwargs


def float32_inputs(kwargs: dict[str, Any], dtype: str) -> dict[str, Any]:
    """The mixed contract as autocast runs it (output_dtype 'float32'): every 16-bit float array (inputs
    and tensor parameters) converted to float32, exactly, so that the library's float32 call runs. Other
    dtypes cannot take the contract (the spec's invalid_argument; the library has no such error):
    unsupported."""
    if dtype not in HALF_DTYPES:
        raise Unsupported(f"output_dtype 'float32' with {dtype} inputs: the autocast contract takes 16-bit inputs")
    return {k: (v.astype(np.float32) if isinstance(v, np.ndarray) and v.dtype == NP_DTYPES[dtype] else v)
            for k, v in kwargs.items()}
