"""float16 and bfloat16 (spec E1): the one rounding function against every 16-bit pattern and every
midpoint, the library casts against it, the dispatch of every public function, float parameters as
values of the dtype, the output_dtype parameter, and accuracy against mpmath (at most half an ulp and
a hair: the float64 algorithm's result rounded once)."""
from __future__ import annotations

import inspect
import json

import ml_dtypes
import mpmath
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import xent
from golden import load_file, vector_files
from xent import _half

BF16 = np.dtype(ml_dtypes.bfloat16)
F16 = np.dtype(np.float16)
HALF = [F16, BF16]
IDS = ["float16", "bfloat16"]
MIXED = {"logsumexp", "softmax", "log_softmax", "softplus", "softmax_cross_entropy",
         "binary_cross_entropy_with_logits"}


@pytest.fixture(params=HALF, ids=IDS)
def dtype(request):
    return request.param


def all_patterns(dtype) -> np.ndarray:
    return np.arange(1 << 16, dtype=np.uint32).astype(np.uint16).view(dtype)


@pytest.fixture(autouse=True)
def _quiet_nan_casts():
    with np.errstate(invalid="ignore"):  # bfloat16 NaN patterns cast to float64 warn
        yield


def finite_ascending(dtype) -> np.ndarray:
    """Every finite value of the format from -max to +max (one zero), ascending, as float64."""
    v = all_patterns(dtype).astype(np.float64)
    return np.unique(v[np.isfinite(v)])


# ------------------------------------------------------------------------------ the rounding function
def test_formats_match_the_dtypes(dtype):
    info = ml_dtypes.finfo(dtype)
    fmt = _half.FORMATS[dtype]
    assert fmt.max_finite == float(info.max)
    assert 2.0 ** fmt.emin == float(info.smallest_normal)
    assert 2.0 ** (fmt.emin - fmt.precision + 1) == float(info.smallest_subnormal)


def test_every_pattern_round_trips(dtype):
    bits = all_patterns(dtype)
    wide = bits.astype(np.float64)
    back = _half.narrow(wide, dtype)
    nan = np.isnan(wide)
    assert np.array_equal(back.view(np.uint16)[~nan], bits.view(np.uint16)[~nan])  # signed zeros too
    assert np.isnan(back.astype(np.float64)[nan]).all()
    assert _half.exactly_representable(wide, dtype).all()


def test_midpoints_round_to_even_and_neighbours_to_nearest(dtype):
    v = finite_ascending(dtype)
    lo, hi = v[:-1], v[1:]
    mid = lo + (hi - lo) / 2  # exact in float64 (the format has at most 11 bits)
    lower_is_even = (_half.narrow(lo, dtype).view(np.uint16) & 1) == 0
    want = np.where(lower_is_even, lo, hi)
    got = _half.narrow(mid, dtype).astype(np.float64)
    assert np.array_equal(got, want)
    # just off the midpoint: the nearest neighbour. The offset is a 2^-20 ulp of the format, far below
    # float32's resolution there: rounding through float32 would land on the midpoint and tie to even.
    off = (hi - lo) * 2.0 ** -20
    assert np.array_equal(_half.narrow(mid + off, dtype).astype(np.float64), hi)
    assert np.array_equal(_half.narrow(mid - off, dtype).astype(np.float64), lo)
    assert not _half.exactly_representable(mid, dtype).any()


def test_overflow_and_underflow_thresholds(dtype):
    fmt = _half.FORMATS[dtype]
    top = fmt.max_finite
    half_ulp = 2.0 ** (fmt.emax - fmt.precision)
    got = _half.round_to_format([top + half_ulp, np.nextafter(top + half_ulp, 0), -(top + half_ulp), 1e300], fmt)
    assert got.tolist() == [np.inf, top, -np.inf, np.inf]
    tiny = 2.0 ** (fmt.emin - fmt.precision + 1)
    got = _half.round_to_format([tiny / 2, np.nextafter(tiny / 2, 1), -tiny / 2, 5e-324], fmt)
    assert got.tolist() == [0.0, tiny, 0.0, 0.0]
    assert np.signbit(got[2]) and not np.signbit(got[0])


def test_library_casts_from_float64_round_once(dtype):
    """numpy's float64 -> float16 and ml_dtypes' float64 -> bfloat16 casts (what a caller of xent would
    use) agree with round_to_format on every midpoint and its neighbours: neither rounds through float32."""
    v = finite_ascending(dtype)
    mid = v[:-1] + (v[1:] - v[:-1]) / 2
    off = (v[1:] - v[:-1]) * 2.0 ** -20
    probe = np.concatenate([mid, mid + off, mid - off])
    assert np.array_equal(probe.astype(dtype).view(np.uint16), _half.narrow(probe, dtype).view(np.uint16))


# ------------------------------------------------------------------------------ the dispatch
def _first_valid_cases():
    """The first valid float32 vector of each function (inputs narrowed to the 16-bit dtype below)."""
    cases = {}
    for path in vector_files():
        for case in load_file(path):
            if case.dtype == "float32" and case.result == "valid" and case.function not in cases:
                cases[case.function] = case
    return [cases[name] for name in sorted(cases)]


def _narrowed(kwargs, dtype):
    return {k: (_half.narrow(v.astype(np.float64), dtype) if isinstance(v, np.ndarray) and v.dtype.kind == "f"
                else v) for k, v in kwargs.items()}


@pytest.mark.parametrize("case", _first_valid_cases(), ids=lambda c: c.function)
def test_every_function_computes_in_float64_and_rounds_once(case, dtype):
    fn = xent.FUNCTIONS[case.function]
    args = _narrowed(case.call_kwargs(), dtype)
    got = np.asarray(fn(**args))
    wide = {k: (v.astype(np.float64) if isinstance(v, np.ndarray) and v.dtype == dtype else v)
            for k, v in args.items()}
    for name in _half.FLOAT_PARAMS.intersection(wide):
        if isinstance(wide[name], float):
            wide[name] = float(_half.narrow(wide[name], dtype))
    want = np.asarray(fn(**wide)).astype(dtype)  # the library cast, checked above to round once
    assert got.dtype == dtype
    assert np.array_equal(got.view(np.uint16), want.view(np.uint16))


@pytest.mark.parametrize("name", sorted(xent.FUNCTIONS))
def test_output_dtype_is_a_parameter_of_the_autocast_functions_only(name):
    params = inspect.signature(xent.FUNCTIONS[name]).parameters
    assert ("output_dtype" in params) == (name in MIXED)


finite16 = st.floats(-60, 60, width=16)


@given(data=st.data())
@pytest.mark.parametrize("dt", HALF, ids=IDS)
def test_softmax_family_is_the_float64_result_rounded_once(dt, data):
    x = data.draw(hnp.arrays(np.float16, st.integers(1, 50), elements=finite16)).astype(dt)
    wide = x.astype(np.float64)
    for fn in (xent.softmax, xent.log_softmax, xent.logsumexp, xent.softplus, xent.sigmoid):
        got = np.asarray(fn(x))
        assert got.dtype == dt
        assert np.array_equal(got.view(np.uint16), np.asarray(fn(wide)).astype(dt).view(np.uint16))
        if fn.__name__ in MIXED:
            mixed = np.asarray(fn(x, output_dtype="float32"))
            assert mixed.dtype == np.float32 and np.array_equal(mixed, np.asarray(fn(wide)).astype(np.float32))


@given(data=st.data())
@pytest.mark.parametrize("dt", HALF, ids=IDS)
def test_losses_are_the_float64_result_rounded_once(dt, data):
    n, c = data.draw(st.integers(1, 6)), data.draw(st.integers(1, 8))
    logits = data.draw(hnp.arrays(np.float16, (n, c), elements=finite16)).astype(dt)
    target = np.array(data.draw(st.lists(st.integers(0, c - 1), min_size=n, max_size=n)))
    smoothing = data.draw(st.floats(0, 1))
    got = xent.softmax_cross_entropy(logits, target, label_smoothing=smoothing)
    rounded = float(_half.narrow(smoothing, dt))  # a float parameter is a value of the dtype
    want = xent.softmax_cross_entropy(logits.astype(np.float64), target, label_smoothing=rounded)
    assert np.asarray(got).dtype == dt and np.asarray(got).view(np.uint16) == np.asarray(want).astype(dt).view(np.uint16)
    mixed = xent.softmax_cross_entropy(logits, target, label_smoothing=smoothing, output_dtype="float32")
    assert mixed.dtype == np.float32 and mixed == np.float32(want)
    y = data.draw(hnp.arrays(np.float16, (n, c), elements=st.floats(0, 1, width=16))).astype(dt)
    got = xent.binary_cross_entropy_with_logits(logits, y, reduction="none")
    want = xent.binary_cross_entropy_with_logits(logits.astype(np.float64), y.astype(np.float64), reduction="none")
    assert np.array_equal(got.view(np.uint16), want.astype(dt).view(np.uint16))


def test_default_float_parameters_are_values_of_the_dtype():
    """nll_from_probs' default epsilon 1e-15 is 0 in float16 (no clamp: -log 0 = inf) but about 1e-15
    in bfloat16 (float32's range)."""
    probs = np.array([[0.0, 1.0]])
    assert xent.nll_from_probs(probs.astype(F16), [0]) == np.inf
    want = -np.log(float(_half.narrow(1e-15, BF16)))
    got = xent.nll_from_probs(probs.astype(BF16), [0])
    assert got.dtype == BF16 and got == _half.narrow(want, BF16)


@pytest.mark.parametrize("dt", HALF, ids=IDS)
def test_tensor_parameters_of_the_dtype_are_widened(dt):
    """focal_loss's alpha is a tensor [C] though its name is a float parameter's elsewhere."""
    logits = np.array([[1.0, 2.0, -1.0]]).astype(dt)
    alpha = np.array([0.25, 0.5, 1.0]).astype(dt)
    got = xent.focal_loss(logits, [1], alpha=alpha)
    assert got.dtype == dt
    assert got == np.asarray(xent.focal_loss(logits.astype(np.float64), [1], alpha=alpha.astype(np.float64))).astype(dt)


def test_a_parameter_that_rounds_to_infinity_is_rejected():
    with pytest.raises(xent.InvalidArgumentError):
        xent.focal_loss(np.zeros((1, 2), dtype=F16), [0], gamma=70000.0)
    assert np.isfinite(xent.focal_loss(np.zeros((1, 2), dtype=BF16), [0], gamma=70000.0))


def test_mixed_float_dtypes_take_the_float64_path():
    logits = np.zeros((1, 2), dtype=F16)
    assert np.asarray(xent.softmax_cross_entropy(logits, np.array([[0.5, 0.5]]))).dtype == np.float64
    assert np.asarray(xent.softmax_cross_entropy(logits, np.array([[0.5, 0.5]], dtype=BF16))).dtype == np.float64
    assert np.asarray(xent.softmax_cross_entropy(logits, np.array([1]))).dtype == F16  # index targets


@pytest.mark.parametrize("value,inputs", [
    ("float32", np.zeros(2)),                        # float64 inputs: no autocast contract
    ("float32", np.zeros(2, dtype=np.float32)),
    ("float64", np.zeros(2, dtype=F16)),             # not one of the values
    (None, np.zeros(2, dtype=F16)),
    ("float32", [[1.0], [2.0, 3.0]]),                # step 1 comes before the ragged input's invalid_shape
])
def test_output_dtype_errors(value, inputs):
    with pytest.raises(xent.InvalidArgumentError):
        xent.softmax(inputs, axis=-1, output_dtype=value)


# ------------------------------------------------------------------------------ accuracy vs mpmath
mpmath.mp.prec = 200


def _ulp(value: float, dtype) -> float:
    fmt = _half.FORMATS[dtype]
    _, e = np.frexp(value)
    return 2.0 ** (max(int(e) - 1, fmt.emin) - fmt.precision + 1)


@given(data=st.data())
@pytest.mark.parametrize("dt", HALF, ids=IDS)
def test_within_half_an_ulp_and_a_hair_of_the_exact_value(dt, data):
    """|got - exact| <= (1/2 + 2^-30) ulp: the exact value rounded once, save within a hair of a midpoint
    (the accurate bound allows several ulps)."""
    x = data.draw(hnp.arrays(np.float16, st.integers(1, 30), elements=finite16)).astype(dt)
    xs = [mpmath.mpf(float(v)) for v in x.astype(np.float64)]
    lse = mpmath.log(mpmath.fsum(mpmath.exp(v) for v in xs))
    pairs = [(xent.logsumexp(x), lse)]
    pairs += list(zip(xent.softmax(x).astype(np.float64).tolist(), [mpmath.exp(v - lse) for v in xs]))
    pairs += list(zip(xent.log_softmax(x).astype(np.float64).tolist(), [v - lse for v in xs]))
    for got, exact in pairs:
        ulp = _ulp(float(exact), dt)
        assert abs(mpmath.mpf(float(got)) - exact) <= ulp * (0.5 + 2.0 ** -30), (got, exact)
