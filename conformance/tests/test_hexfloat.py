"""Exact hex-float parsing (issue 13 item 11, DECISIONS.md D9): never re-round, accept both subnormal spellings."""
from __future__ import annotations

import math

import pytest

from xent_conformance.hexfloat import MAX_TEXT, HexFloatError, format_hex, parse_hex


@pytest.mark.parametrize(("text", "dtype"), [
    ("0x1.0000000000000001p+0", "float64"),  # 65 significant bits: float.fromhex rounds it to 1.0
    ("0x1.0000000000000001p+0", "float32"),
    ("0x1.000001p+0", "float32"),            # 25 bits: a float64 value, not a float32 one
    ("0x1p-99999", "float64"),               # float.fromhex gives 0.0
    ("0x1p+99999", "float64"),               # float.fromhex raises OverflowError
    ("0x1p-1075", "float64"),
    ("0x1.8p-1074", "float64"),              # a bit below the smallest subnormal
    ("0x1p-150", "float32"),
    ("0x1p+128", "float32"),
    ("0x1.ffffffp+127", "float32"),
    ("0x1p+1024", "float64"),
    ("0x1p+99999999999999999999999999999", "float64"),
    ("0x1.8", "float8_e5m2"),                # not a dtype of the spec
    ("0x1.001p+0", "float16"),               # 13 significant bits: float16 has 11
    ("0x1.01p+0", "bfloat16"),               # 9 significant bits: bfloat16 has 8
    ("0x1p-25", "float16"),                  # half float16's smallest subnormal
    ("0x1.8p-24", "float16"),                # a bit below the smallest subnormal 2^-24
    ("0x1p+16", "float16"),                  # beyond 65504
    ("0x1.ffep+15", "float16"),              # 65520: rounds to inf, not a float16 value
    ("0x1p-134", "bfloat16"),
    ("0x1.ffp+127", "bfloat16"),
])
def test_not_representable_is_an_error(text: str, dtype: str) -> None:
    with pytest.raises(HexFloatError):
        parse_hex(text, dtype)


@pytest.mark.parametrize("text", ["1.5", "0x", "0x.", "0xg", "0x1p", "1e3", "", "0x1p+1 junk", "x" * (MAX_TEXT + 1)])
def test_not_a_hex_float(text: str) -> None:
    with pytest.raises(HexFloatError, match="not a hex float|too long"):
        parse_hex(text)


@pytest.mark.parametrize(("text", "dtype", "value"), [
    ("0x0.0000000000001p-1022", "float64", 5e-324),   # the subnormal as float.hex() writes it
    ("0x1p-1074", "float64", 5e-324),                 # the same value, normalised spelling
    ("0x0.000002p-126", "float32", math.ldexp(1, -149)),
    ("0x1p-149", "float32", math.ldexp(1, -149)),
    ("0x1.fffffffffffffp+1023", "float64", 1.7976931348623157e308),
    ("0x1.fffffep+127", "float32", 3.4028234663852886e38),
    ("0x1.8p1", "float64", 3.0),                      # Java's spelling
    ("0x1.8p+01", "float64", 3.0),                    # Go's spelling
    ("0x1.80000000000000000000p+1", "float64", 3.0),  # trailing zeros are not extra bits
    ("0x0p+99999999999999999999", "float64", 0.0),
    ("inf", "float32", math.inf),
    ("-inf", "float64", -math.inf),
    ("0x1.ffcp+15", "float16", 65504.0),              # float16's largest finite value
    ("0x0.004p-14", "float16", math.ldexp(1, -24)),   # its smallest subnormal, both spellings
    ("0x1p-24", "float16", math.ldexp(1, -24)),
    ("0x1.fep+127", "bfloat16", float.fromhex("0x1.fep+127")),
    ("0x1p-133", "bfloat16", math.ldexp(1, -133)),
])
def test_exact_values_are_accepted(text: str, dtype: str, value: float) -> None:
    assert parse_hex(text, dtype) == value


def test_negative_zero_keeps_its_sign() -> None:
    assert math.copysign(1.0, parse_hex("-0x0p+0")) == -1.0


def test_nan() -> None:
    assert math.isnan(parse_hex("nan", "float32"))


@pytest.mark.parametrize("x", [0.1, -2.5e-310, 5e-324, 1.7976931348623157e308, -0.0, 1.0])
def test_round_trip(x: float) -> None:
    assert parse_hex(format_hex(x)) == x
