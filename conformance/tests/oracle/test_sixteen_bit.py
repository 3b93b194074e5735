"""float16 and bfloat16 (issue 16, DECISIONS.md E1): the bit patterns, the hex text and the rounding, exhaustively.

Every one of the 65536 patterns of each format is decoded, written as hex text, parsed back exactly,
re-encoded, and rounded into its dtype (a value of the dtype is its own rounding); every midpoint
between two neighbours rounds to the neighbour with the even significand, and a hair either side of it
to the nearer one. The double-rounding trap (rounding through float32 first) is checked directly.
"""
from __future__ import annotations

import math

import mpmath
import pytest

from xent_conformance.dtypes import BFLOAT16, FLOAT16, FLOAT32, FLOAT64, DType, from_bits, result_dtype, to_bits
from xent_conformance.harness.vectors import fast_hex_list
from xent_conformance.hexfloat import HexFloatError, format_hex, parse_hex
from xent_conformance.oracle import DomainError, evaluate, output_dtype_of
from xent_conformance.oracle.rounding import round_raw
from xent_conformance.tensor import Tensor
from xent_conformance.values import float_to_dtype, to_dtype

SIXTEEN = (FLOAT16, BFLOAT16)


def _round(value: float, dtype: DType) -> float:
    """The oracle's rounding of an exact float64 value (mpf of a float is exact)."""
    return round_raw(mpmath.mpf(value)._mpf_, dtype)


@pytest.fixture(scope="module", params=SIXTEEN, ids=lambda d: d.name)
def dtype(request) -> DType:
    return request.param


@pytest.fixture(scope="module")
def finite_ascending(dtype: DType) -> list[float]:
    """Every finite non-negative value of the dtype, ascending (patterns 0 .. largest finite)."""
    largest = (((1 << dtype.exponent_bits) - 1) << (dtype.precision - 1)) - 1
    return [from_bits(bits, dtype) for bits in range(largest + 1)]


def test_constants(dtype: DType) -> None:
    assert dtype.width == 16
    largest = {"float16": 65504.0, "bfloat16": float.fromhex("0x1.fep+127")}[dtype.name]
    assert from_bits(0x7BFF if dtype is FLOAT16 else 0x7F7F, dtype) == largest == to_dtype("max", dtype)
    assert from_bits(1, dtype) == dtype.eta == to_dtype("denorm_min", dtype)
    assert (dtype.u, dtype.eta) == ((2.0 ** -11, 2.0 ** -24) if dtype is FLOAT16 else (2.0 ** -8, 2.0 ** -133))


def test_every_pattern_round_trips(dtype: DType) -> None:
    """bits -> value -> hex text -> exact parse -> bits, and the value is its own rounding (65536 patterns)."""
    nan_patterns = 0
    for bits in range(1 << 16):
        value = from_bits(bits, dtype)
        text = format_hex(value)
        parsed = parse_hex(text, dtype.name)
        if math.isnan(value):
            nan_patterns += 1
            assert math.isnan(parsed) and text == "nan"
            continue
        assert parsed == value and math.copysign(1, parsed) == math.copysign(1, value), (hex(bits), text)
        assert to_bits(parsed, dtype) == bits, (hex(bits), text)
        assert float_to_dtype(value, dtype) == value, hex(bits)
        if value != 0 and math.isfinite(value):
            assert _round(value, dtype) == value, hex(bits)
        fast = fast_hex_list([text], dtype.name)  # the loader's quick reader agrees or leaves it to parse_hex
        assert fast is None or fast == [value], (hex(bits), text)
    assert nan_patterns == 2 * ((1 << (dtype.precision - 1)) - 1)


def test_midpoints_round_to_even(dtype: DType, finite_ascending: list[float]) -> None:
    """Between neighbours a < b: the midpoint goes to the one with the even significand; a hair below
    it to a, a hair above it to b. Negative values mirror."""
    for low, high in zip(finite_ascending, finite_ascending[1:]):
        mid = (low + high) / 2  # exact in float64: 16-bit neighbours differ in bits float64 has
        even = low if to_bits(low, dtype) % 2 == 0 else high
        assert _round(mid, dtype) == even == float_to_dtype(mid, dtype), (low, high)
        assert _round(-mid, dtype) == -even
        assert _round(math.nextafter(mid, 0), dtype) == low
        assert _round(math.nextafter(mid, math.inf), dtype) == high


def test_overflow_threshold(dtype: DType, finite_ascending: list[float]) -> None:
    """Above the largest finite value M = (2 - 2^(1-p)) 2^emax, values round to M until the midpoint to
    2^(emax+1), which rounds (to even) to infinity, as IEEE 754 says."""
    largest = finite_ascending[-1]
    threshold = math.ldexp(2 - 2.0 ** -dtype.precision, dtype.emax)
    assert _round(math.nextafter(threshold, 0), dtype) == largest
    assert _round(threshold, dtype) == math.inf == float_to_dtype(threshold, dtype)
    assert _round(-threshold, dtype) == -math.inf


def test_underflow_to_signed_zero(dtype: DType) -> None:
    """Half the smallest subnormal rounds to (even) zero; a hair above it to the subnormal."""
    half = dtype.eta / 2
    assert _round(half, dtype) == 0.0
    assert math.copysign(1, _round(-half, dtype)) == -1.0
    assert _round(math.nextafter(half, 1), dtype) == dtype.eta


@pytest.mark.parametrize(("dtype", "value", "once"), [
    # 1 + 2^-11 + 2^-30 lies just above the float16 midpoint 1 + 2^-11: once it rounds up to 1 + 2^-10;
    # through float32 the 2^-30 is lost (float32's ulp at 1 is 2^-23), the tie goes to even, 1.
    (FLOAT16, 1 + 2.0 ** -11 + 2.0 ** -30, 1 + 2.0 ** -10),
    (BFLOAT16, 1 + 2.0 ** -8 + 2.0 ** -30, 1 + 2.0 ** -7),
    (FLOAT16, 2.0 ** -25 + 2.0 ** -50, 2.0 ** -24),  # subnormal: just above half the smallest subnormal
], ids=["float16", "bfloat16", "float16-subnormal"])
def test_rounding_is_never_through_float32(dtype: DType, value: float, once: float) -> None:
    via_float32 = float_to_dtype(float_to_dtype(value, FLOAT32), dtype)
    assert via_float32 != once  # the trap is real
    assert float_to_dtype(value, dtype) == once == _round(value, dtype)
    assert to_dtype(repr(value), dtype) == once


@pytest.mark.parametrize(("text", "dtype"), [("0x1.002p+0", "float16"), ("0x1.01p+0", "bfloat16"),
                                             ("0x1p-25", "float16"), ("0x1p+16", "float16")])
def test_inexact_text_is_refused(text: str, dtype: str) -> None:
    with pytest.raises(HexFloatError, match="not exactly representable"):
        parse_hex(text, dtype)
    assert fast_hex_list([text], dtype) is None


def test_result_dtype_rules() -> None:
    assert result_dtype(FLOAT16, None) is FLOAT16 and result_dtype(BFLOAT16, "same") is BFLOAT16
    assert result_dtype(FLOAT16, "float32") is FLOAT32 and result_dtype(BFLOAT16, "float32") is FLOAT32
    for dtype, value in ((FLOAT32, "float32"), (FLOAT64, "float32"), (FLOAT16, "float16"), (FLOAT16, "Float32")):
        with pytest.raises(ValueError):
            result_dtype(dtype, value)


def _lse_inputs(dtype: DType, values: list[float]) -> dict[str, Tensor]:
    return {"x": Tensor(dtype.name, (len(values),), tuple(float_to_dtype(v, dtype) for v in values))}


@pytest.mark.parametrize("dtype", [FLOAT32, FLOAT64], ids=lambda d: d.name)
def test_mixed_contract_needs_16_bit_inputs(dtype: DType) -> None:
    with pytest.raises(DomainError) as caught:
        evaluate("logsumexp", _lse_inputs(dtype, [1.0, 2.0]), {"output_dtype": "float32"}, dtype)
    assert caught.value.kind == "invalid_argument"


def test_unknown_output_dtype_is_invalid_argument() -> None:
    with pytest.raises(DomainError) as caught:
        output_dtype_of({"output_dtype": "bfloat16"}, FLOAT16)
    assert caught.value.kind == "invalid_argument"


def test_mixed_contract_rounds_once_into_float32(dtype: DType) -> None:
    """16-bit inputs, the exact result rounded once into float32 (not into the 16-bit dtype)."""
    inputs = _lse_inputs(dtype, [1.0, 2.0, 0.5])
    _, (same,), _ = evaluate("logsumexp", inputs, {}, dtype)
    _, (mixed,), _ = evaluate("logsumexp", inputs, {"output_dtype": "float32"}, dtype)
    exact = mpmath.mpf(mixed.exact)
    assert mixed.exact == same.exact
    assert mixed.rounded == float_to_dtype(float(exact), FLOAT32) != same.rounded
    assert same.rounded == float_to_dtype(mixed.rounded, dtype)


def _double_rounding_vectors() -> list:
    from xent_conformance.harness.vectors import load_vectors
    return [c for c in load_vectors(dtypes=["float16", "bfloat16"]) if "DoubleRounding" in c.flags]


def test_double_rounding_vectors_catch_rounding_through_float32() -> None:
    """Every vector flagged DoubleRounding has an element whose exact value, rounded to float32 first and
    then to the dtype, misses `expected` (which is rounded once): the flag's promise, checked on the files."""
    cases = _double_rounding_vectors()
    assert {c.dtype for c in cases} == {"float16", "bfloat16"}
    for case in cases:
        dtype = {"float16": FLOAT16, "bfloat16": BFLOAT16}[case.dtype]
        with mpmath.workprec(256):
            twice = [round_raw(mpmath.mpf(float_to_dtype_exact(text, FLOAT32))._mpf_, dtype) for text in case.exact]
        assert any(t != e for t, e in zip(twice, case.expected)), case.key


def float_to_dtype_exact(text: str, dtype: DType) -> float:
    """The 40-digit exact text rounded once into the dtype."""
    with mpmath.workprec(256):
        return round_raw(mpmath.mpf(text)._mpf_, dtype)


def test_count16_spreads_a_family_over_its_tcids() -> None:
    from xent_conformance.cases import family_indices
    family = {"count": 10, "count16": 4}
    assert family_indices(family, FLOAT16) == family_indices(family, BFLOAT16) == [0, 2, 5, 7]
    assert family_indices(family, FLOAT32) == list(range(10))
    assert family_indices({"count": 3, "count16": 5}, FLOAT16) == [0, 1, 2]
    assert family_indices({"count": 3}, BFLOAT16) == [0, 1, 2]


@pytest.mark.parametrize("dtype", SIXTEEN + (FLOAT32,), ids=lambda d: d.name)
def test_confident_rows_put_the_target_near_probability_one(dtype: DType) -> None:
    """pattern confident: each row's target probability is within [0.99, 1 - 2^-8] up to the rounding of
    the target logit into the dtype (a relative change of at most u in the logit)."""
    from xent_conformance.cases import family_cases
    from xent_conformance.spec import load_spec
    fn = load_spec().functions["softmax_cross_entropy_grad"]
    family = {"tcId": 1, "count": 3, "seed": 1, "comment": "c", "pattern": "confident", "shapes": [[4, 2], [4, 10], [2, 100]]}
    for case in family_cases(family, fn, "softmax_cross_entropy_grad", dtype, "test"):
        logits, target = case.inputs["logits"], case.inputs["target"]
        classes = logits.shape[1]
        for row, y in enumerate(target.data):
            x = logits.data[row * classes:(row + 1) * classes]
            p = mpmath.exp(x[y]) / sum(mpmath.exp(v) for v in x)
            slack = abs(x[y]) * dtype.u * 2  # 1 - p changes by about e^{+-u |x_y|}
            assert 0.99 * (1 - slack) <= p <= 1 - 2.0 ** -8 * (1 - slack), (case.tc_id, row, p)
