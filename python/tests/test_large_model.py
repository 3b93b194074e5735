"""Large-model options of softmax_cross_entropy and its gradient (spec E3, issue 17): logit_scale, softcap,
z_loss, empty_mean. Expected values are the same functions evaluated on transformed inputs (the spec's
definition: CE of x'' plus z lse(x'')^2), exact by definition (0, NaN), or mpmath evaluations of the
definition; floats are compared in ulps."""
from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import xent
from numeric import ulps
from xent.errors import InvalidArgumentError

INF, NAN = np.inf, np.nan


pytestmark = pytest.mark.usefixtures("quiet_numpy")


rows = st.lists(st.floats(-30, 30, allow_nan=False, width=32), min_size=6, max_size=6)


def _case(values, dtype):
    logits = np.array(values, dtype=dtype).reshape(2, 3)
    return logits, np.array([2, 0])


@settings(max_examples=40, deadline=None)
@given(values=rows)
def test_logit_scale_is_the_loss_of_the_scaled_logits(values):
    """logit_scale 2 (an exact scaling) equals the loss of 2 x."""
    for dtype in (np.float64, np.float32):
        logits, target = _case(values, dtype)
        got = xent.softmax_cross_entropy(logits, target, logit_scale=2, reduction="none")
        want = xent.softmax_cross_entropy(2 * logits, target, reduction="none")
        assert ulps(got, want) <= 2


def _capped_reference(values, cap, target, z=0.0):
    """The definition at 100 digits: per row, lse(x'') - x''_y + z lse(x'')^2, x'' = cap tanh(x / cap)."""
    out = []
    with mpmath.workdps(100):
        for row, y in zip(values, target):
            capped = [cap * mpmath.tanh(mpmath.mpf(x) / cap) for x in row]
            lse = mpmath.log(mpmath.fsum(mpmath.exp(v) for v in capped))
            out.append(float(lse - capped[y] + z * lse ** 2))
    return np.array(out)


@settings(max_examples=40, deadline=None)
@given(values=rows, cap=st.sampled_from([0.5, 2.0, 30.0]), z=st.sampled_from([0.0, 1e-4, 0.5]))
def test_softcap_and_z_loss_match_the_definition(values, cap, z):
    logits, target = _case(values, np.float64)
    got = xent.softmax_cross_entropy(logits, target, softcap=cap, z_loss=z, reduction="none")
    want = _capped_reference(logits.tolist(), mpmath.mpf(cap), target, mpmath.mpf(z))
    assert ulps(got, want) <= 8


def test_the_target_logit_is_taken_after_the_cap():
    """Capping after reading x_y (a documented kernel bug) gives lse(x'') - x_y, far from this."""
    logits = np.array([[4.0, -5.0, 0.5]])
    got = xent.softmax_cross_entropy(logits, np.array([0]), softcap=2.0, reduction="none")
    assert ulps(got, _capped_reference(logits.tolist(), mpmath.mpf(2), [0])) <= 4


def test_scale_comes_before_the_cap():
    logits = np.array([[4.0, 1.0, -2.0]])
    got = xent.softmax_cross_entropy(logits, np.array([0]), logit_scale=0.5, softcap=3.0, reduction="none")
    want = _capped_reference((0.5 * logits).tolist(), mpmath.mpf(3), [0])
    assert ulps(got, want) <= 4


def test_softcap_maps_infinities_to_the_cap(dtype):
    got = xent.softmax_cross_entropy(np.array([[INF, 1.0, -INF]], dtype=dtype), np.array([1]), softcap=4.0,
                                     reduction="none")
    want = _capped_reference([[math.inf, 1.0, -math.inf]], mpmath.mpf(4), [1]).astype(dtype)
    assert ulps(got, want) <= 1


def test_softcap_keeps_nan():
    got = xent.softmax_cross_entropy(np.array([[NAN, 1.0], [0.0, 1.0]]), np.array([0, 1]), softcap=3.0,
                                     reduction="none")
    assert np.isnan(got[0]) and np.isfinite(got[1])


def test_z_loss_with_an_infinite_lse_is_inf():
    got = xent.softmax_cross_entropy(np.array([[INF, 1.0, 2.0]]), np.array([0]), z_loss=1e-3, reduction="none")
    assert got[0] == INF


def test_z_loss_zero_adds_nothing_at_an_infinite_logit():
    got = xent.softmax_cross_entropy(np.array([[INF, 1.0, 2.0]]), np.array([0]), z_loss=0.0, reduction="none")
    assert got[0] == 0.0


def test_z_loss_is_unweighted_and_divided_by_the_kept_positions(dtype):
    """mean = CE mean (weighted denominator) + z * (sum of lse^2) / K, K the non-ignored positions."""
    logits = np.array([[1.0, 2.0, 3.0], [3.0, 2.0, 1.0], [0.0, 0.5, 1.0]], dtype=dtype)
    target, weight = np.array([0, -100, 2]), np.array([2.0, 1.0, 0.5], dtype=dtype)
    got = xent.softmax_cross_entropy(logits, target, weight=weight, z_loss=0.5)
    ce = xent.softmax_cross_entropy(logits, target, weight=weight)
    lse = xent.logsumexp(logits[[0, 2]].astype(np.float64), axis=1)
    want = np.asarray(np.float64(ce) + 0.5 * (lse[0] ** 2 + lse[1] ** 2) / 2, dtype=dtype)
    assert ulps(got, want) <= 4


@pytest.mark.parametrize("function", [xent.softmax_cross_entropy, xent.softmax_cross_entropy_grad])
def test_empty_mean_zero_on_an_all_ignored_batch(function, dtype):
    logits = np.array([[1.0, 2.0, 3.0], [NAN, 2.0, 1.0]], dtype=dtype)
    target = np.array([-100, -100])
    zero = np.asarray(function(logits, target, empty_mean="zero", z_loss=0.25))
    assert np.all(zero == 0) and zero.dtype == dtype
    assert np.all(np.isnan(function(logits, target)))


@pytest.mark.parametrize("softcap", [None, 2.0])
def test_empty_mean_zero_gradient_is_zero_at_a_nan_logit_under_a_cap(softcap, dtype):
    """A part with a zero denominator contributes 0 (empty_mean zero): the cap's slope at a NaN logit is
    never multiplied in (found by the fuzz tier: 0 * slope(NaN) gave NaN)."""
    logits = np.array([[NAN, 1.0], [0.5, 2.0]], dtype=dtype)
    got = xent.softmax_cross_entropy_grad(logits, np.array([-100, -100]), softcap=softcap, empty_mean="zero")
    assert np.all(got == 0)


def test_empty_mean_zero_keeps_the_z_loss_of_zero_weight_positions():
    logits, target = np.array([[1.0, 2.0], [0.0, 3.0]]), np.array([0, 0])
    got = xent.softmax_cross_entropy(logits, target, weight=np.array([0.0, 1.0]), z_loss=0.5, empty_mean="zero")
    lse = xent.logsumexp(logits, axis=1)
    assert ulps(got, np.float64(0.5 * (lse[0] ** 2 + lse[1] ** 2) / 2)) <= 4


@settings(max_examples=30, deadline=None)
@given(values=rows, z=st.sampled_from([1e-4, 0.25]))
def test_z_loss_gradient_is_two_z_lse_softmax(values, z):
    logits, target = _case(values, np.float64)
    with_z = xent.softmax_cross_entropy_grad(logits, target, z_loss=z, reduction="sum")
    without = xent.softmax_cross_entropy_grad(logits, target, reduction="sum")
    part = 2 * z * xent.logsumexp(logits, axis=1)[:, None] * xent.softmax(logits, axis=1)
    scale = np.max(np.abs(with_z)) + np.max(np.abs(without))
    assert np.max(np.abs(with_z - without - part)) <= 8 * np.spacing(scale)


def test_capped_gradient_matches_mpmath_differentiation():
    logits, target = np.array([[3.0, -1.0, 0.25]]), np.array([1])
    got = xent.softmax_cross_entropy_grad(logits, target, softcap=2.0, logit_scale=1.5, z_loss=0.1, reduction="sum")

    with mpmath.workdps(60):
        point = [mpmath.mpf(x) for x in logits[0]]
        z = mpmath.mpf(float(np.float64(0.1)))
        want = []
        for k in range(3):
            def along(t, k=k):
                xs = list(point)
                xs[k] = t
                capped = [2 * mpmath.tanh(mpmath.mpf(1.5) * x / 2) for x in xs]
                lse = mpmath.log(mpmath.fsum(mpmath.exp(v) for v in capped))
                return lse - capped[1] + z * lse ** 2
            want.append(float(mpmath.diff(along, point[k])))
    assert ulps(got[0], np.array(want)) <= 8


def test_capped_gradient_at_an_infinite_logit_is_zero():
    got = xent.softmax_cross_entropy_grad(np.array([[INF, 1.0, -INF]]), np.array([1]), softcap=4.0, reduction="sum")
    assert got[0, 0] == 0 and got[0, 2] == 0 and got[0, 1] < 0


def test_z_loss_gradient_with_an_infinite_lse_is_nan():
    got = xent.softmax_cross_entropy_grad(np.array([[INF, 1.0], [0.0, 1.0]]), np.array([0, 1]), z_loss=0.01,
                                          reduction="none")
    assert np.all(np.isnan(got[0])) and np.all(np.isfinite(got[1]))


@pytest.mark.parametrize("half", ["float16", "bfloat16"])
def test_sixteen_bit_inputs_give_sixteen_bit_results(half):
    from xent._half import BY_NAME
    logits = np.array([[1.0, 2.0, 3.0]]).astype(BY_NAME[half])
    got = xent.softmax_cross_entropy(logits, np.array([0]), softcap=2.0, z_loss=0.1, reduction="none")
    assert got.dtype == BY_NAME[half]
    want = _capped_reference([[1.0, 2.0, 3.0]], mpmath.mpf(2), [0], mpmath.mpf(float(np.asarray(0.1, BY_NAME[half]))))
    one_ulp = {"float16": 2 ** 42, "bfloat16": 2 ** 45}[half]  # one 16-bit ulp in float64 ulps (2^(52 - 10), 2^(52 - 7))
    assert ulps(got.astype(np.float64), want.astype(BY_NAME[half]).astype(np.float64)) <= one_ulp


@pytest.mark.parametrize("function", [xent.softmax_cross_entropy, xent.softmax_cross_entropy_grad])
@pytest.mark.parametrize("bad", [{"logit_scale": 0}, {"logit_scale": -1.0}, {"logit_scale": INF},
                                 {"logit_scale": NAN}, {"softcap": 0.0}, {"softcap": -2.0}, {"softcap": NAN},
                                 {"softcap": INF}, {"z_loss": -0.1}, {"z_loss": INF}, {"z_loss": NAN},
                                 {"empty_mean": "ignore"}, {"empty_mean": None}, {"logit_scale": "2"}])
def test_bad_options_are_invalid_argument_before_shapes(function, bad):
    with pytest.raises(InvalidArgumentError):
        function(np.array([1.0, 2.0, 3.0]), np.array([7]), **bad)  # rank 1 and out of range: step 1 first
