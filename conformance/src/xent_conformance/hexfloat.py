"""Hex-float text: the exact, language-neutral encoding of every float in vectors and the protocol.

Canonical form is Python's float.hex() without trailing zeros in the fraction (``0x1.8p+1``), plus the
three special strings ``inf``, ``-inf`` and ``nan``. Parsing accepts any C99 ``%a``-style hex float
(Java's ``0x1.8p1`` and Go's ``0x1.8p+01`` included) and rejects decimals.

Parsing is exact (DECISIONS.md D9): the text is read as an integer significand times a power of two and
must name a value of the dtype exactly. ``0x1.0000000000000001p+0`` (one bit too many for float64) and
``0x1p-99999`` (far below the smallest subnormal) are errors, never silently re-rounded the way
``float.fromhex`` would. Subnormals may be written either way: ``0x0.0000000000001p-1022`` or
``0x1p-1074``.

The 16-bit dtypes (float16, bfloat16) use the same text: a value is written as the float64 value it
equals (``0x1p-24`` is float16's smallest subnormal, ``0x1.ffcp+15`` its largest finite value) and a
text that is not exactly a value of the dtype (``0x1.001p+0`` in float16) is an error.
"""
from __future__ import annotations

import math
import re
import struct

from .dtypes import DTYPES

SPECIALS = {"inf": math.inf, "-inf": -math.inf, "+inf": math.inf, "nan": math.nan,
            "infinity": math.inf, "-infinity": -math.inf, "+infinity": math.inf}

_HEX = re.compile(r"([+-]?)0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?(?:[pP]([+-]?[0-9]+))?")

# Longest accepted text: room for a float64 subnormal spelled with 0x0.000...1 at any exponent, short
# enough that a hostile string cannot make the parser build a huge integer.
MAX_TEXT = 1100
_MAX_EXPONENT_DIGITS = 12  # |p| below 10^12: any larger exponent is out of range of every dtype anyway

# (precision in bits, exponent of the smallest normal, exponent of the largest finite) per float dtype
_FORMATS = {d.name: (d.precision, d.emin, d.emax) for d in DTYPES.values()}


class HexFloatError(ValueError):
    """A string that is not a hex float, or not a value of the requested dtype."""


def format_hex(x: float) -> str:
    """The canonical hex text of a float (float32 values are passed as the equal Python float)."""
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    mantissa, _, exponent = x.hex().partition("p")
    if "." in mantissa:
        mantissa = mantissa.rstrip("0").rstrip(".")
    return f"{mantissa}p{exponent}"


def is_float32(x: float) -> bool:
    """True when x is exactly representable in IEEE binary32 (NaN and infinities included)."""
    if math.isnan(x) or math.isinf(x):
        return True
    try:
        return struct.unpack("f", struct.pack("f", x))[0] == x
    except OverflowError:
        return False


def _exact_parts(text: str) -> tuple[int, int, int] | None:
    """(sign, odd significand or 0, exponent) with value = sign * significand * 2**exponent; None if not hex."""
    match = _HEX.fullmatch(text)
    if not match:
        return None
    sign_text, whole, fraction, exponent = match.groups()
    fraction = fraction or ""
    if not whole and not fraction:
        return None  # "0x" or "0x." has no digits
    if exponent is not None and len(exponent.lstrip("+-")) > _MAX_EXPONENT_DIGITS:
        exponent = exponent[0] + "9" * _MAX_EXPONENT_DIGITS if exponent[0] in "+-" else "9" * _MAX_EXPONENT_DIGITS
    significand = int(whole + fraction, 16) if whole + fraction else 0
    power = int(exponent or 0) - 4 * len(fraction)
    if significand:
        trailing = (significand & -significand).bit_length() - 1  # strip trailing zero bits
        significand >>= trailing
        power += trailing
    return (-1 if sign_text == "-" else 1), significand, power


def parse_hex(text: object, dtype: str = "float64") -> float:
    """Parse hex-float text exactly; the value must be exactly representable in dtype (a name of DTYPES).

    Raises HexFloatError for anything else: a decimal, a value that would need rounding (too many
    significant bits, below the smallest subnormal, beyond the largest finite value), an unknown dtype.
    """
    if not isinstance(text, str):
        raise HexFloatError(f"expected a hex-float string, got {type(text).__name__} {_short(text)}")
    if dtype not in _FORMATS:
        raise HexFloatError(f"unknown float dtype {dtype!r} (expected one of {', '.join(_FORMATS)})")
    key = text.strip().lower()
    if key in SPECIALS:
        return SPECIALS[key]
    if len(text) > MAX_TEXT:
        raise HexFloatError(f"hex float text of {len(text)} characters is too long (at most {MAX_TEXT})")
    parts = _exact_parts(text.strip())
    if parts is None:
        raise HexFloatError(f"not a hex float: {_short(text)} (write e.g. 0x1.8p+1, inf, -inf, nan)")
    sign, significand, power = parts
    if significand == 0:
        return math.copysign(0.0, sign)
    precision, emin, emax = _FORMATS[dtype]
    bits = significand.bit_length()
    top = power + bits - 1  # exponent of the leading bit
    if bits > precision or top > emax or power < emin - precision + 1:
        raise HexFloatError(f"hex float {_short(text)} is not exactly representable in {dtype}"
                            f" ({_reason(bits, top, power, precision, emin, emax)})")
    return sign * math.ldexp(float(significand), power)


def _reason(bits: int, top: int, power: int, precision: int, emin: int, emax: int) -> str:
    if top > emax:
        return f"beyond the largest finite value, which is below 2^{emax + 1}"
    if bits > precision:
        return f"{bits} significant bits, the dtype has {precision}"
    if top < emin - precision + 1:
        return f"below the smallest subnormal 2^{emin - precision + 1}"
    return f"it needs a bit below 2^{emin - precision + 1}, the smallest subnormal"


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
