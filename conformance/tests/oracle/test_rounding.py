"""Correct rounding into float64 and float32: subnormals, overflow, ties, and the double-rounding traps."""
import math

import mpmath
import pytest

from xent_conformance.dtypes import FLOAT32, FLOAT64
from xent_conformance.oracle.rounding import round_raw


@pytest.fixture(autouse=True)
def high_precision():
    """Exact test values need more than mpmath's default 53 bits."""
    with mpmath.workprec(2000):
        yield


def rnd(x, dtype):
    return round_raw(mpmath.mpf(x)._mpf_, dtype)


def two(e):
    return mpmath.ldexp(1, e)


def test_subnormal_is_not_double_rounded():
    # mpmath's own float() gives 0.0 here: it rounds to 53 bits, then ldexp rounds again
    value = two(-1075) + two(-1134)
    assert rnd(value, FLOAT64) == math.ldexp(1, -1074)


def test_exact_half_of_smallest_subnormal_ties_to_zero():
    assert rnd(two(-1075), FLOAT64) == 0.0
    assert math.copysign(1, rnd(-two(-1075), FLOAT64)) == -1.0  # the sign of an underflowed value survives


def test_float32_is_rounded_straight_from_the_exact_value():
    # through float64 this is 1 + 2^-24, a tie that rounds to 1.0; the correct float32 is 1 + 2^-23
    value = 1 + two(-24) + two(-60)
    assert rnd(value, FLOAT32) == 1 + 2.0 ** -23


@pytest.mark.parametrize("dtype", [FLOAT64, FLOAT32])
def test_overflow_threshold(dtype):
    largest = math.ldexp(2 - 2.0 ** (1 - dtype.precision), dtype.emax)
    half_ulp = two(dtype.emax - dtype.precision)
    assert rnd(mpmath.mpf(largest) + half_ulp * mpmath.mpf("0.999"), dtype) == largest
    assert rnd(mpmath.mpf(largest) + half_ulp, dtype) == math.inf  # a tie rounds to even, i.e. up to 2^(emax+1)
    assert rnd(-(mpmath.mpf(largest) + 2 * half_ulp), dtype) == -math.inf


@pytest.mark.parametrize("dtype", [FLOAT64, FLOAT32])
def test_ties_to_even_at_a_binade_edge(dtype):
    below_two = 2 - 2.0 ** (1 - dtype.precision)          # largest value below 2
    midpoint = (mpmath.mpf(below_two) + 2) / 2
    assert rnd(midpoint, dtype) == 2.0                    # 2 has the even significand
    assert rnd(1 + two(-dtype.precision), dtype) == 1.0   # halfway above 1: ties to 1


def test_float32_subnormals():
    assert rnd(two(-149), FLOAT32) == math.ldexp(1, -149)
    assert rnd(two(-150) * mpmath.mpf("1.0001"), FLOAT32) == math.ldexp(1, -149)
    assert rnd(two(-150), FLOAT32) == 0.0
    assert rnd(3 * two(-150), FLOAT32) == math.ldexp(1, -148)  # 1.5 * 2^-149 ties to even 2 * 2^-149


def test_special_values():
    assert rnd(mpmath.inf, FLOAT64) == math.inf
    assert math.isnan(rnd(mpmath.nan, FLOAT32))
    assert rnd(0, FLOAT64) == 0.0
