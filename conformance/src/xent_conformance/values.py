"""Turning the numbers written in spec and case files into exact values of a dtype.

A case file may write 0.1, "1e-15", "0x1p-1074", "inf", "-0", or a name for a dtype constant
("max", "tiny", "denorm_min", with an optional leading minus). Decimals are rounded once, to nearest-even,
straight into the dtype (never through float64 for float32). A hex float must be a float64 value
exactly ("0x1p+99999" is an error, not an overflow), and is then rounded once into the dtype.
"""
from __future__ import annotations

import math
import struct

import mpmath

from .dtypes import DType
from .hexfloat import parse_hex
from .oracle.rounding import round_raw


def _constant(name: str, dtype: DType) -> float | None:
    p, emin, emax = dtype.precision, dtype.emin, dtype.emax
    constants = {
        "max": math.ldexp(2 - 2.0 ** (1 - p), emax),
        "tiny": math.ldexp(1.0, emin),
        "denorm_min": math.ldexp(1.0, emin - p + 1),
        "eps": math.ldexp(1.0, 1 - p),
        "inf": math.inf,
        "nan": math.nan,
    }
    return constants.get(name)


def float_to_dtype(value: float, dtype: DType) -> float:
    """A float64 value rounded once into the dtype (the identity for float64; float16 and bfloat16 are
    rounded straight from the float64 value, never through float32)."""
    if dtype.precision == 53 or not math.isfinite(value):
        return value
    if dtype.name != "float32":
        return round_raw(mpmath.mpf(value)._mpf_, dtype)  # mpf of a float is exact
    try:
        return struct.unpack("f", struct.pack("f", value))[0]  # IEEE round-to-nearest-even
    except OverflowError:  # beyond the float32 range after rounding
        return math.copysign(math.inf, value)


def shown(value: object, limit: int = 60) -> str:
    """repr(value) cut to `limit` characters, for error messages about values read from a file."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def to_dtype(value: object, dtype: DType) -> float:
    """The dtype value written by `value` (a YAML number or string)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError(f"expected a number, got {shown(value)}")
    if isinstance(value, str):
        text = value.strip()
        negative = text.startswith("-")
        body = text[1:] if negative or text.startswith("+") else text
        constant = _constant(body.lower(), dtype)
        if constant is not None:
            return -constant if negative else constant
        if body.lower().startswith("0x"):  # a float64 value written exactly (D9), then rounded once
            exact = mpmath.mpf(parse_hex(text, "float64"))
            with mpmath.workprec(80):
                return round_raw(exact._mpf_, dtype)
        if body in ("0", "0.0") and negative:
            return -0.0
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return value
        if value == 0:
            return value
        text = repr(value)
    else:
        text = str(value)
    with mpmath.workprec(400):
        try:
            exact = mpmath.mpf(text)
        except (ValueError, TypeError):
            raise ValueError(f"not a number: {shown(value)}") from None
        return round_raw(exact._mpf_, dtype)
