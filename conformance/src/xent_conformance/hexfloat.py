"""Hex-float text: the exact, language-neutral encoding of every float in vectors and the protocol.

Canonical form is Python's float.hex() without trailing zeros in the fraction (``0x1.8p+1``), plus the
three special strings ``inf``, ``-inf`` and ``nan``. Parsing accepts any C99 ``%a``-style hex float
(Java's ``0x1.8p1`` and Go's ``0x1.8p+01`` included) and rejects decimals, so a value can never be
silently re-rounded on the way.
"""
from __future__ import annotations

import math
import re
import struct

SPECIALS = {"inf": math.inf, "-inf": -math.inf, "+inf": math.inf, "nan": math.nan,
            "infinity": math.inf, "-infinity": -math.inf, "+infinity": math.inf}

_HEX = re.compile(r"[+-]?0[xX]([0-9a-fA-F]+(\.[0-9a-fA-F]*)?|\.[0-9a-fA-F]+)([pP][+-]?[0-9]+)?")


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


def parse_hex(text: object, dtype: str = "float64") -> float:
    """Parse hex-float text exactly; for dtype float32 the value must be a float32 value."""
    if not isinstance(text, str):
        raise HexFloatError(f"expected a hex-float string, got {type(text).__name__} {text!r}")
    key = text.strip().lower()
    if key in SPECIALS:
        return SPECIALS[key]
    if not _HEX.fullmatch(text.strip()):
        raise HexFloatError(f"not a hex float: {text!r} (write e.g. 0x1.8p+1, inf, -inf, nan)")
    try:
        value = float.fromhex(text.strip())
    except (ValueError, OverflowError) as exc:
        raise HexFloatError(f"hex float {text!r} does not fit a float64: {exc}") from None
    if dtype == "float32" and not is_float32(value):
        raise HexFloatError(f"hex float {text!r} is not a float32 value")
    return value
