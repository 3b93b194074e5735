"""The xent conformance adapter (conformance/PROTOCOL.md, version 1): JSON Lines on stdin/stdout.

Run as ``python -m xent.adapter``. Requests: ``start``, ``run``, ``run_batch``, ``stop``. Every answer
is one line, flushed at once. Nothing crashes the adapter (DECISIONS D7):

* a function's own rejection is answered with its spec kind;
* a request that cannot be read or does not follow the protocol (invalid JSON, unknown cmd, function,
  input or parameter, a value of the wrong JSON type, a tensor whose data do not match its shape, a
  float string that is not a hex float exactly representable in its dtype, an integer outside int64)
  is answered ``bad_request``, before the function sees anything; a line that cannot be parsed at all
  is answered with ``"id": null``;
* a dtype this adapter does not compute is answered per case with ``{"id": ..., "unsupported": ...}``;
* an unexpected exception (a bug) is answered ``internal_error``, its traceback goes to stderr.
"""
from __future__ import annotations

import inspect
import json
import math
import os
import re
import sys
import traceback
from typing import Any

import numpy as np

from . import FUNCTIONS, __version__
from . import _half
from .errors import XentError

PROTOCOL_VERSION = 1
#: The dtypes this adapter computes (protocol 1.2 adds the 16-bit ones, spec E1), as numpy dtypes.
NUMPY_DTYPES = {"float64": np.dtype(np.float64), "float32": np.dtype(np.float32), **_half.BY_NAME}
DTYPES = tuple(NUMPY_DTYPES)
BAD_REQUEST = "bad_request"
INTERNAL_ERROR = "internal_error"
INT64_MIN, INT64_MAX = -2**63, 2**63 - 1

#: The protocol type of each parameter (the spec's parameter types). Float parameters are hex-float
#: strings of the request's dtype; tensors are {dtype, shape, data} objects.
PARAM_KINDS = {"epsilon": "float", "label_smoothing": "float", "gamma": "float", "ignore_index": "int_or_null",
               "axis": "int", "log_target": "bool",
               "reduction": "enum", "base": "enum", "label_smoothing_mode": "enum", "output_dtype": "enum",
               "weight": "tensor_or_null", "pos_weight": "tensor_or_null", "grad_output": "tensor_or_null",
               "logit_scale": "float", "z_loss": "float", "softcap": "float_or_null", "empty_mean": "enum",
               "where": "bool_tensor_or_null", "result": "enum"}
#: alpha is a tensor [C] in focal_loss and a scalar in sigmoid_focal_loss
PARAM_KINDS_BY_FUNCTION = {("focal_loss", "alpha"): "tensor_or_null", ("focal_loss_grad", "alpha"): "tensor_or_null",
                           ("sigmoid_focal_loss", "alpha"): "float_or_null",
                           # issue 18: the fused linear cross-entropy's bias, wrt and upstream gradient
                           ("linear_cross_entropy", "linear_bias"): "tensor_or_null",
                           ("linear_cross_entropy_grad", "linear_bias"): "tensor_or_null",
                           ("linear_cross_entropy_grad", "wrt"): "enum",
                           ("linear_cross_entropy_grad", "grad_output"): "tensor_or_null"}
#: Inputs holding class indices (int64 tensors), and inputs that hold either class indices or
#: probabilities of the request's dtype; every other input is a float tensor of the request's dtype.
INDEX_INPUTS = {("nll_from_probs", "target"), ("focal_loss", "target"), ("nll_loss", "target"),
                ("linear_cross_entropy", "target"), ("linear_cross_entropy_grad", "target"), ("focal_loss_grad", "target"),
                # issue 18: the class indices and shard sizes of the vocabulary-parallel statistics
                ("cross_entropy_from_shards", "target"), ("cross_entropy_from_shards", "shard_size")}
INDEX_OR_FLOAT_INPUTS = {("softmax_cross_entropy", "target"), ("softmax_cross_entropy_grad", "target")}
#: Python-only keyword arguments that the protocol does not carry: the axis of the information functions
#: (the spec's entropy, cross_entropy and kl_divergence take vectors); softmax, log_softmax and logsumexp
#: take `axis` in the protocol (specVersion 3).
PYTHON_ONLY_PARAMS = frozenset({("entropy", "axis"), ("cross_entropy", "axis"), ("kl_divergence", "axis")})

_SPECIALS = {"inf": math.inf, "-inf": -math.inf, "nan": math.nan, "0x0p+0": 0.0, "-0x0p+0": -0.0}
_HEX = re.compile(r"([+-]?)0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?(?:[pP]([+-]?[0-9]+))?")
_CANONICAL = re.compile(r"-?0x1(?:\.[0-9a-f]{1,13})?p[+-][0-9]{1,4}")  # never 0: see _parse_float64
_MIN_NORMAL = 2.0 ** -1022

#: Set by enable_mutant() when XENT_MUTANT names no known mutant or the catalogue is not installed: `start`
#: is then refused with this text.
_START_REFUSAL = None


class BadRequest(Exception):
    """The request itself is malformed (not a spec error of the function): kind bad_request."""


def _signature(name: str, fn) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(input names, parameter names) of a function: positional arguments are the spec's inputs,
    keyword-only ones its parameters."""
    sig = inspect.signature(fn).parameters.values()
    inputs = tuple(p.name for p in sig if p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD)
    params = tuple(p.name for p in sig if p.kind is inspect.Parameter.KEYWORD_ONLY
                   and (name, p.name) not in PYTHON_ONLY_PARAMS)
    return inputs, params


#: Taken from the shipped functions at import, before any mutant replaces one.
SIGNATURES = {name: _signature(name, fn) for name, fn in FUNCTIONS.items()}


#: Said when the mutant catalogue is asked for but not installed (it is not part of the shipped package).
MUTANTS_MISSING = ("the mutant catalogue of xent-python (module xent_mutants) is not installed: "
                   "install ./python/mutants (pip install ./python/mutants)")


def _mutant_registry():
    """The mutant catalogue (python/mutants, test-side code outside the shipped package), or None when
    it is not installed. Imported only for XENT_MUTANT or --list-mutants, never by the shipped path."""
    try:
        import xent_mutants
    except ModuleNotFoundError as exc:
        if exc.name != "xent_mutants":  # installed but broken: say so, do not pretend it is missing
            raise
        return None
    return xent_mutants


def enable_mutant(name):
    """Switch on the mutant ``name`` (XENT_MUTANT; conformance/MUTANTS.md). An unknown name, or a missing
    catalogue, makes the adapter refuse `start`."""
    global _START_REFUSAL
    registry = _mutant_registry()
    if registry is None:
        _START_REFUSAL = f"XENT_MUTANT={name!r} is set but {MUTANTS_MISSING}"
        return
    try:
        registry.activate(name)
    except registry.UnknownMutant:
        _START_REFUSAL = (f"XENT_MUTANT={name!r} is not a known mutant of xent-python "
                          f"({len(registry.MUTANTS)} known; `python -m xent.adapter --list-mutants` lists them)")


def _one_line(text: str) -> str:
    """Messages stay on one line (D7): a newline in an exception text must not reach the report raw."""
    return " ".join(str(text).split())


def _error(case_id, kind: str, message: str) -> dict:
    return {"id": case_id, "error": {"kind": kind, "message": _one_line(message)}}


def _bad(message: str, case_id=None) -> dict:
    return _error(case_id, BAD_REQUEST, f"bad request: {message}")


# ------------------------------------------------------------------------------------------ decoding
def parse_float(text, dtype: str = "float64") -> float:
    """A hex float (or inf, -inf, nan) exactly representable in ``dtype``; anything else, including a
    value that would have to be rounded (D9: never re-rounded), is a BadRequest."""
    value = _parse_float64(text)
    _check_exact_in_dtype("a value", np.array([value]), dtype)
    return value


def _parse_float64(text) -> float:
    """A hex float exactly representable in float64. The canonical spelling of a normal number
    (0x1.<at most 13 digits>p<e>, as the vectors write them) is exact whenever its value stays in the
    normal range (a subnormal, an underflow to 0 or an overflow may have rounded); every other
    spelling is checked bit by bit."""
    if isinstance(text, str) and _CANONICAL.fullmatch(text):
        try:
            value = float.fromhex(text)
        except OverflowError:
            value = math.inf  # left to the exact check below, which rejects it
        if _MIN_NORMAL <= abs(value) < math.inf:
            return value
    if not isinstance(text, str):
        raise BadRequest(f"expected a hex-float string, got {text!r:.60}")
    if text in _SPECIALS:
        return _SPECIALS[text]
    m = _HEX.fullmatch(text)
    if m is None or not (m.group(2) or m.group(3)):
        raise BadRequest(f"not a hex float: {text!r:.60}")
    sign, whole, frac, exp = m.group(1), m.group(2), m.group(3) or "", m.group(4) or "0"
    mantissa = int(whole + frac or "0", 16)
    if mantissa == 0:
        return -0.0 if sign == "-" else 0.0
    if len(exp.lstrip("+-")) > 12:  # |exponent| >= 10^12: far outside every dtype
        raise BadRequest(f"hex float {text!r:.60} is not exactly representable in float64")
    _check_exact(text, mantissa, int(exp) - 4 * len(frac))
    return float.fromhex(text)


def _check_exact(text: str, mantissa: int, exp2: int) -> None:
    """mantissa * 2^exp2 is a finite float64 (no overflow, no rounding, no underflow)."""
    bits, emin, emax = 53, -1022, 1023
    top = mantissa.bit_length() - 1 + exp2              # exponent of the leading bit
    lowest = max(top, emin) - (bits - 1)                # exponent of the last bit float64 keeps there
    trailing = (mantissa & -mantissa).bit_length() - 1  # exponent of the value's last set bit, minus exp2
    if top > emax or exp2 + trailing < lowest:
        raise BadRequest(f"hex float {text!r:.60} is not exactly representable in float64")


def _check_exact_in_dtype(name: str, values: np.ndarray, dtype: str) -> None:
    """Float64 values that must be values of a narrower dtype too (no rounding, overflow or underflow)."""
    if dtype == "float32":
        with np.errstate(over="ignore", under="ignore"):
            same = values.astype(np.float32).astype(np.float64) == values
        bad = ~(same | np.isnan(values))
    elif dtype in _half.BY_NAME:
        bad = ~_half.exactly_representable(values, _half.BY_NAME[dtype])
    else:
        return
    if bad.any():
        raise BadRequest(f"{name} {float(values[bad][0]).hex()} is not exactly representable in {dtype}")


class _HugeInt:
    """A JSON integer too long for Python's int() (over 4300 digits): kept as its digits, so that the
    line still parses (its id is readable) and the number is rejected where it is used. Not an int and
    not a str, so that no parameter or tensor takes it for a valid value."""

    __slots__ = ("digits",)

    def __init__(self, digits: str) -> None:
        self.digits = digits

    def __repr__(self) -> str:
        return f"<an integer of {len(self.digits)} digits>"


def _json_int(digits: str):
    return _HugeInt(digits) if len(digits) > 40 else int(digits)


def parse_int64(name: str, value) -> int:
    """A JSON integer within int64: never a bool, a float (1.0), a string or a wrapped big number."""
    if isinstance(value, _HugeInt):
        raise BadRequest(f"{name} ({value!r}) is outside int64")
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadRequest(f"{name} must be a JSON integer, got {value!r:.60}")
    if not INT64_MIN <= value <= INT64_MAX:
        raise BadRequest(f"{name} = {value} is outside int64")
    return value


def _shape(name: str, shape) -> list[int]:
    if not isinstance(shape, list):
        raise BadRequest(f"{name}: shape must be a list of integers, got {shape!r:.80}")
    for d in shape:
        if parse_int64(f"{name}: a shape entry", d) < 0:
            raise BadRequest(f"{name}: shape entries must be >= 0, got {shape!r:.80}")
    return shape


def decode_tensor(name: str, obj, dtypes: tuple[str, ...]) -> np.ndarray:
    """A tensor object whose dtype is one of ``dtypes``; its data a flat list of exactly prod(shape)
    values (the product taken exactly, never wrapped)."""
    if not isinstance(obj, dict) or not {"dtype", "shape", "data"} <= set(obj):
        raise BadRequest(f"{name}: a tensor must be an object with dtype, shape and data, got {obj!r:.120}")
    dtype, data = obj["dtype"], obj["data"]
    if dtype not in dtypes:
        raise BadRequest(f"{name}: dtype {dtype!r:.40} where {' or '.join(dtypes)} is expected")
    shape = _shape(name, obj["shape"])
    if not isinstance(data, list):
        raise BadRequest(f"{name}: data must be a flat list")
    size = math.prod(shape)
    if len(data) != size:
        raise BadRequest(f"{name}: data has {len(data)} elements but shape {shape} holds {size}")
    if dtype == "int64":
        return np.array([parse_int64(f"{name} data", v) for v in data], dtype=np.int64).reshape(shape)
    if dtype == "bool":  # protocol 1.3: JSON true/false only (0, 1 or "true" are bad requests)
        if not all(isinstance(v, bool) for v in data):
            raise BadRequest(f"{name}: a bool tensor holds true or false only, got {next(v for v in data if not isinstance(v, bool))!r:.40}")
        return np.array(data, dtype=np.bool_).reshape(shape)
    values = np.array([_parse_float64(v) for v in data], dtype=np.float64)
    _check_exact_in_dtype(f"{name}: a value", values, dtype)
    return values.astype(NUMPY_DTYPES[dtype]).reshape(shape)  # exact: every value was checked


def _param_kind(function: str, name: str) -> str:
    return PARAM_KINDS_BY_FUNCTION.get((function, name)) or PARAM_KINDS[name]


def decode_param(function: str, name: str, value, dtype: str):
    """A parameter of its protocol type; a well-typed value outside its domain is left to the function
    (the spec's invalid_argument)."""
    kind = _param_kind(function, name)
    if value is None and kind.endswith("_or_null"):
        return None
    if kind in ("float", "float_or_null"):
        return parse_float(value, dtype)
    if kind in ("int", "int_or_null"):
        return parse_int64(name, value)
    if kind == "bool":
        if not isinstance(value, bool):
            raise BadRequest(f"{name} must be true or false, got {value!r:.60}")
        return value
    if kind == "enum":
        if not isinstance(value, str):
            raise BadRequest(f"{name} must be a string, got {value!r:.60}")
        return value
    if not isinstance(value, dict):
        raise BadRequest(f"{name} must be a tensor object or null, got {value!r:.60}")
    if kind == "bool_tensor_or_null":
        return decode_tensor(name, value, ("bool",))
    return decode_tensor(name, value, (dtype,))


def _input_dtypes(function: str, name: str, dtype: str) -> tuple[str, ...]:
    if (function, name) in INDEX_INPUTS:
        return ("int64",)
    if (function, name) in INDEX_OR_FLOAT_INPUTS:
        return ("int64", dtype)
    return (dtype,)


def decode_arguments(function: str, dtype: str, inputs, params) -> dict[str, Any]:
    """The keyword arguments of one case: every input present, no unknown name, every value decoded."""
    input_names, param_names = SIGNATURES[function]
    if not isinstance(inputs, dict) or not isinstance(params, dict):
        raise BadRequest("inputs and params must be JSON objects")
    unknown = sorted(set(inputs) - set(input_names)) + sorted(set(params) - set(param_names))
    if unknown:
        raise BadRequest(f"{function} has no input or parameter {', '.join(map(repr, unknown))}")
    missing = [n for n in input_names if n not in inputs]
    if missing:
        raise BadRequest(f"{function}: missing input {', '.join(map(repr, missing))}")
    kwargs = {n: decode_tensor(n, inputs[n], _input_dtypes(function, n, dtype)) for n in input_names}
    kwargs.update({n: decode_param(function, n, v, dtype) for n, v in params.items()})
    return kwargs


# ------------------------------------------------------------------------------------------ encoding
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


def encode_tensor(value, dtype: str) -> dict:
    arr = np.asarray(value)
    if arr.dtype.kind != "f" and arr.dtype not in _half.FORMATS:
        raise TypeError(f"unexpected output dtype {arr.dtype}")  # a bug: answered internal_error
    data = arr.astype(np.float64).ravel().tolist()  # exact for every float dtype
    return {"dtype": dtype, "shape": list(arr.shape), "data": [format_hex(v) for v in data]}


# ------------------------------------------------------------------------------------------ requests
def _id_of(obj):
    """The request's id when it has a readable one (a string), else None."""
    value = obj.get("id") if isinstance(obj, dict) else None
    return value if isinstance(value, str) else None


def run_case(case) -> dict:
    """Answer one run request (a dict); never raises."""
    case_id = _id_of(case)
    try:
        if not isinstance(case, dict):
            raise BadRequest("a case must be a JSON object")
        if case_id is None:
            raise BadRequest(f"a case needs a string id, got {case.get('id')!r:.60}")
        fname = case.get("function")
        if not isinstance(fname, str) or fname not in SIGNATURES:
            raise BadRequest(f"unknown function {fname!r:.60}")
        dtype = case.get("dtype")
        if not isinstance(dtype, str):
            raise BadRequest(f"dtype must be a string, got {dtype!r:.60}")
        if dtype not in DTYPES:
            return {"id": case_id, "unsupported": f"xent-python computes {', '.join(DTYPES)}, not {dtype[:40]!r}"}
        kwargs = decode_arguments(fname, dtype, case.get("inputs"), case.get("params", {}))
        # the autocast contract answers in float32 (spec E1); the function rejects it for other dtypes
        out_dtype = "float32" if kwargs.get("output_dtype") == "float32" else dtype
        return {"id": case_id, "output": encode_tensor(FUNCTIONS[fname](**kwargs), out_dtype)}
    except XentError as exc:
        return _error(case_id, exc.kind, str(exc))
    except BadRequest as exc:
        return _bad(str(exc), case_id)
    except Exception as exc:  # never crash: report it
        traceback.print_exc(file=sys.stderr)
        return _error(case_id, INTERNAL_ERROR, f"internal error: {type(exc).__name__}: {exc}")


def capabilities():
    return {name: list(DTYPES) for name in FUNCTIONS}


def _start(request: dict):
    if _START_REFUSAL is not None:
        # the protocol schema allows only this kind for a refused start; the message says why
        return {"error": {"kind": "unsupported_version", "message": _START_REFUSAL}}, False
    if request.get("version") != PROTOCOL_VERSION:
        return {"error": {"kind": "unsupported_version",
                          "message": _one_line(f"this adapter speaks protocol version {PROTOCOL_VERSION}, "
                                               f"got {request.get('version')!r:.40}")}}, False
    return {"version": PROTOCOL_VERSION,
            "implementation": {"name": "xent-python", "language": "python", "version": __version__},
            "capabilities": capabilities()}, True


def handle(request):
    """Answer one request; returns (answer or None, keep_running)."""
    if not isinstance(request, dict):
        return _bad("a request must be a JSON object"), True
    cmd = request.get("cmd")
    if cmd == "start":
        return _start(request)
    if cmd == "run":
        return run_case(request), True
    if cmd == "run_batch":
        cases = request.get("cases")
        if not isinstance(cases, list):
            return _bad("run_batch needs a list 'cases'", _id_of(request)), True
        return {"results": [run_case(c) for c in cases]}, True
    if cmd == "stop":
        return None, False
    return _bad(f"unknown or missing cmd {cmd!r:.40}", _id_of(request)), True


def _reject_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def parse_line(line: bytes | str):
    """The request on one line, or a bad_request answer with id null when it cannot be parsed."""
    try:
        text = line.decode("utf-8") if isinstance(line, bytes) else line
        return json.loads(text, parse_constant=_reject_constant, parse_int=_json_int), None
    except (ValueError, RecursionError) as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        return None, _bad(f"invalid JSON: {exc}")


def main(stdin=None, stdout=None) -> int:
    stdin = stdin or getattr(sys.stdin, "buffer", sys.stdin)  # bytes: invalid UTF-8 is a bad request
    stdout = stdout or sys.stdout
    np.seterr(all="ignore")
    if os.environ.get("XENT_MUTANT"):
        enable_mutant(os.environ["XENT_MUTANT"])
    for line in stdin:
        if not line.strip():
            continue
        request, answer = parse_line(line)
        keep = True
        if answer is None:
            try:
                answer, keep = handle(request)
            except Exception as exc:  # pragma: no cover - handle() already guards each case
                traceback.print_exc(file=sys.stderr)
                answer = _error(_id_of(request), INTERNAL_ERROR, f"internal error: {exc!r}")
        if answer is not None:
            stdout.write(json.dumps(answer, allow_nan=False) + "\n")
            stdout.flush()
        if not keep:
            break
    return 0


def _cli(argv) -> int:
    if argv == ["--list-mutants"]:  # the catalogue as JSON, for `xent-conformance mutants`
        registry = _mutant_registry()
        if registry is None:
            print(f"python -m xent.adapter --list-mutants: {MUTANTS_MISSING}", file=sys.stderr)
            return 69  # EX_UNAVAILABLE
        print(json.dumps({"mutants": registry.catalogue()}, indent=1))
        return 0
    if argv:
        print(f"usage: python -m xent.adapter [--list-mutants] (got {' '.join(argv)})", file=sys.stderr)
        return 64
    return main()


if __name__ == "__main__":
    sys.exit(_cli(sys.argv[1:]))
