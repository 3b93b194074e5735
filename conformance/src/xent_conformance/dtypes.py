"""The IEEE binary formats xent specifies, as the spec's dtypes name them.

float16 is IEEE binary16; bfloat16 is the 16-bit format with float32's exponent range and an 8-bit
significand (spec, specVersion 3). Every value of every dtype is a float64 value, so the oracle and the
harness hold them as Python floats; `from_bits` and `to_bits` convert to and from a dtype's bit pattern.
"""
from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class DType:
    name: str
    precision: int  # significand bits, hidden bit included
    emin: int       # exponent of the smallest normal number
    emax: int       # exponent of the largest finite number

    @property
    def unit_roundoff_exp(self) -> int:
        """u = 2**unit_roundoff_exp (half an ulp of 1)."""
        return -self.precision

    @property
    def eta_exp(self) -> int:
        """The smallest subnormal is 2**eta_exp."""
        return self.emin - self.precision + 1

    @property
    def u(self) -> float:
        return 2.0 ** self.unit_roundoff_exp

    @property
    def eta(self) -> float:
        return 2.0 ** self.eta_exp

    @property
    def exponent_bits(self) -> int:
        return (self.emax + 1).bit_length()

    @property
    def width(self) -> int:
        """Bits in the interchange format: sign, exponent field, fraction."""
        return 1 + self.exponent_bits + self.precision - 1


FLOAT64 = DType("float64", 53, -1022, 1023)
FLOAT32 = DType("float32", 24, -126, 127)
FLOAT16 = DType("float16", 11, -14, 15)
BFLOAT16 = DType("bfloat16", 8, -126, 127)
DTYPES = {d.name: d for d in (FLOAT64, FLOAT32, FLOAT16, BFLOAT16)}

# The mixed (autocast) contract, parameter `output_dtype` (spec, specVersion 3): inputs of these dtypes,
# results rounded once to float32.
OUTPUT_DTYPE_PARAM = "output_dtype"
MIXED_INPUT_DTYPES = ("float16", "bfloat16")


def dtype_named(name: str) -> DType:
    try:
        return DTYPES[name]
    except KeyError:
        raise ValueError(f"unknown dtype {name!r} (expected one of {sorted(DTYPES)})") from None


def result_dtype(dtype: DType, output_dtype: object) -> DType:
    """The dtype of a function's results: the input dtype, or float32 under output_dtype 'float32'.

    Raises ValueError (the spec's invalid_argument) for a value other than 'same' or 'float32', and for
    'float32' when the inputs are not float16 or bfloat16."""
    if output_dtype in (None, "same"):
        return dtype
    if output_dtype != "float32":
        raise ValueError(f"output_dtype {output_dtype!r} is not 'same' or 'float32'")
    if dtype.name not in MIXED_INPUT_DTYPES:
        raise ValueError(f"output_dtype 'float32' needs float16 or bfloat16 inputs, not {dtype.name}")
    return FLOAT32


def from_bits(bits: int, dtype: DType) -> float:
    """The value of a bit pattern of the dtype (NaN for every NaN pattern)."""
    fraction_bits = dtype.precision - 1
    if not 0 <= bits < 1 << dtype.width:
        raise ValueError(f"{bits:#x} is not a {dtype.width}-bit pattern")
    sign = -1.0 if bits >> (dtype.width - 1) else 1.0
    field = (bits >> fraction_bits) & ((1 << dtype.exponent_bits) - 1)
    fraction = bits & ((1 << fraction_bits) - 1)
    if field == (1 << dtype.exponent_bits) - 1:
        return math.nan if fraction else sign * math.inf
    if field == 0:
        return sign * math.ldexp(fraction, dtype.eta_exp)
    return sign * math.ldexp((1 << fraction_bits) | fraction, field - dtype.emax - fraction_bits)


def to_bits(value: float, dtype: DType) -> int:
    """The bit pattern of a value of the dtype (the quiet NaN with the top fraction bit for NaN).

    Raises ValueError when value is not exactly a value of the dtype."""
    fraction_bits, sign = dtype.precision - 1, int(math.copysign(1.0, value) < 0)
    top = sign << (dtype.width - 1)
    all_ones = (1 << dtype.exponent_bits) - 1
    if math.isnan(value):
        return (all_ones << fraction_bits) | (1 << (fraction_bits - 1))
    if math.isinf(value):
        return top | (all_ones << fraction_bits)
    magnitude = abs(value)
    if magnitude < math.ldexp(1.0, dtype.emin):
        fraction, field = magnitude / dtype.eta, 0
    else:
        mantissa, exponent = math.frexp(magnitude)  # magnitude = mantissa * 2**exponent, 0.5 <= mantissa < 1
        field = exponent - 1 + dtype.emax
        fraction = math.ldexp(mantissa, dtype.precision) - (1 << fraction_bits)
    if field >= all_ones or fraction != int(fraction):
        raise ValueError(f"{value!r} is not a value of {dtype.name}")
    return top | (field << fraction_bits) | int(fraction)
