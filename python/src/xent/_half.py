"""16-bit dtypes (float16, bfloat16; spec E1): exact widening to float64, one correctly rounded
narrowing, and the dispatch that runs every public function's float64 algorithm for them.

Why this meets the spec's ``accurate`` level: the float64 algorithm's result r has a relative error of
about 2^-50 or less (its own accurate bound is a few float64 ulps), and rounding r once to a format of
precision p <= 11 adds at most half an ulp of that format. In total |result - exact| <= 0.5 ulp +
2^-39 ulp, far inside the accurate bound (A = 2 ulps and more). The only values rounded differently from
the exact value rounded once are those within 2^-39 ulp of a midpoint between two 16-bit neighbours, and
those are still within the bound. The float64 result is never rounded through float32 on the way.

Rounding (ties to even, gradual underflow, overflow to +-inf) is done here on float64 numbers, so that it
does not depend on how a numpy or ml_dtypes version casts (tests/test_half.py also checks that both
casts agree with it). ``bfloat16`` is ``ml_dtypes.bfloat16`` (the JAX project's package).
"""
from __future__ import annotations

import functools
import inspect
import numbers
from typing import NamedTuple

import ml_dtypes
import numpy as np

from ._validate import dtype_of
from .errors import InvalidArgumentError

BFLOAT16 = np.dtype(ml_dtypes.bfloat16)
FLOAT16 = np.dtype(np.float16)


class Format(NamedTuple):
    """A binary floating-point format: precision p (significand bits, the leading one included) and the
    exponents of the smallest and largest normal binades."""
    precision: int
    emin: int
    emax: int

    @property
    def max_finite(self) -> float:
        return (2.0 - 2.0 ** (1 - self.precision)) * 2.0 ** self.emax


#: The 16-bit dtypes this package computes, with their formats (spec dtypes: u = 2^-p, eta = 2^(emin-p+1)).
FORMATS = {FLOAT16: Format(11, -14, 15), BFLOAT16: Format(8, -126, 127)}
#: Protocol and vector names of the 16-bit dtypes.
BY_NAME = {"float16": FLOAT16, "bfloat16": BFLOAT16}
#: Parameters that are values of the dtype (rounded to the 16-bit dtype before the float64 run).
FLOAT_PARAMS = frozenset({"epsilon", "label_smoothing", "gamma", "alpha", "logit_scale", "softcap", "z_loss"})
#: Values of the ``output_dtype`` parameter (spec E1, the autocast contract).
OUTPUT_DTYPES = ("same", "float32")


def round_to_format(values, fmt: Format) -> np.ndarray:
    """float64 values rounded once to ``fmt`` (ties to even, subnormals, overflow to +-inf), returned
    as float64 (each result is exactly a value of the format). NaN, +-inf and signed zeros pass."""
    v = np.asarray(values, dtype=np.float64)
    with np.errstate(over="ignore", invalid="ignore"):
        _, e = np.frexp(v)  # |v| = m 2^e with 0.5 <= m < 1: the leading bit has exponent e - 1
        quantum = np.maximum(e - 1, fmt.emin) - (fmt.precision - 1)  # exponent of the last kept bit
        rounded = np.ldexp(np.rint(np.ldexp(v, -quantum)), quantum)  # rint: ties to even; both ldexp exact
        rounded = np.where(np.abs(rounded) > fmt.max_finite, np.copysign(np.inf, v), rounded)
        return np.where(np.isfinite(v), rounded, v)


def narrow(values, dtype) -> np.ndarray:
    """float64 values rounded once to the 16-bit ``dtype`` (an array of that dtype)."""
    dtype = np.dtype(dtype)
    return round_to_format(values, FORMATS[dtype]).astype(dtype)  # the cast is exact: values are on the grid


def exactly_representable(values, dtype) -> np.ndarray:
    """Whether each float64 value is a value of the 16-bit ``dtype`` (NaN counts as one)."""
    v = np.asarray(values, dtype=np.float64)
    return (round_to_format(v, FORMATS[np.dtype(dtype)]) == v) | np.isnan(v)


def half_dtype(x):
    """The 16-bit dtype of ``x`` (an array, numpy scalar or anything np.asarray reads), or None."""
    dt = dtype_of(x)
    return dt if dt is not None and dt in FORMATS else None


def _is_float(x) -> bool:
    dt = dtype_of(x)
    return dt is not None and (dt.kind == "f" or dt in FORMATS)


def _widen(x):
    """A 16-bit array as float64 (exact); anything else unchanged."""
    return np.asarray(x).astype(np.float64) if half_dtype(x) is not None else x


def _param_in(value, dtype):
    """A real scalar parameter as the nearest value of ``dtype`` (a float); anything else unchanged,
    for the function's own checks to judge."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, (numbers.Real, np.floating, np.integer)):
        return value
    return float(round_to_format(float(value), FORMATS[dtype]))


def _dispatch_dtype(inputs) -> np.dtype | None:
    """The 16-bit dtype the call computes in: every float input (the function's positional arguments;
    class-index targets are not floats) has it. Mixed float dtypes take the float64 path, as float32
    with float64 does."""
    floats = [x for x in inputs if _is_float(x)]
    dtypes = {half_dtype(x) for x in floats}
    return dtypes.pop() if floats and len(dtypes) == 1 and None not in dtypes else None


def _finish(result, dtype):
    """The float64 result rounded once to ``dtype`` (16-bit or float32), a scalar staying a scalar."""
    arr = np.asarray(result, dtype=np.float64)
    out = arr.astype(np.float32) if dtype == np.float32 else narrow(arr, dtype)
    return out[()] if out.ndim == 0 else out


def half_precision(mixed: bool = False):
    """Decorator: the function also accepts float16 and bfloat16 inputs. Their values are widened
    exactly to float64, float parameters (FLOAT_PARAMS, defaults included) rounded to the 16-bit dtype,
    the float64 algorithm runs, and its result is rounded once to the 16-bit dtype.

    ``mixed=True`` adds the keyword parameter ``output_dtype`` ('same' or 'float32'; spec E1): 'float32'
    rounds the result once to float32 instead, and is allowed for 16-bit inputs only (invalid_argument
    otherwise, checked first, with the other scalar parameters).
    """
    def decorate(fn):
        signature = inspect.signature(fn)
        inputs = [p.name for p in signature.parameters.values()
                  if p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD]

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            output_dtype = kwargs.pop("output_dtype", "same") if mixed else "same"
            bound = signature.bind(*args, **kwargs)
            dtype = _dispatch_dtype([bound.arguments[n] for n in inputs if n in bound.arguments])
            if mixed:
                _check_output_dtype(output_dtype, dtype)
            widened = {name: _widen(value) for name, value in bound.arguments.items()}
            if dtype is None:
                return fn(**widened)
            bound.apply_defaults()
            for name in FLOAT_PARAMS.intersection(bound.arguments):
                widened[name] = _param_in(_widen(bound.arguments[name]), dtype)  # a tensor alpha: widened
            result = fn(**widened)
            return _finish(result, np.dtype(np.float32) if output_dtype == "float32" else dtype)

        if mixed:
            extra = inspect.Parameter("output_dtype", inspect.Parameter.KEYWORD_ONLY, default="same")
            wrapper.__signature__ = signature.replace(parameters=[*signature.parameters.values(), extra])
            wrapper.__doc__ = (fn.__doc__ or "") + _OUTPUT_DTYPE_DOC
        return wrapper
    return decorate


_OUTPUT_DTYPE_DOC = """
    ``output_dtype`` ('same' by default, or 'float32'): for float16 or bfloat16 inputs, 'float32' returns
    the result rounded once to float32 (PyTorch's autocast contract); any other dtype with 'float32' is
    an ``InvalidArgumentError``.
"""


def _check_output_dtype(value, dtype) -> None:
    if not isinstance(value, str) or value not in OUTPUT_DTYPES:
        raise InvalidArgumentError(f"output_dtype must be one of {', '.join(map(repr, OUTPUT_DTYPES))}; "
                                   f"got {value!r}")
    if value == "float32" and dtype is None:
        raise InvalidArgumentError("output_dtype='float32' needs float16 or bfloat16 inputs (the autocast "
                                   "contract); these inputs are not all of one 16-bit dtype")
