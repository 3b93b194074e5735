"""Issue 19 (porting parity): nll_loss, kl_div, the axis of softmax / log_softmax / logsumexp, an absent
ignore_index (None) and the rank limit 8. Expected values come from the definitions in spec/xent.yaml
evaluated exactly (fractions) or from identities; floats are compared in ulps."""
from __future__ import annotations

import math
from fractions import Fraction

import hypothesis.extra.numpy as hnp
import hypothesis.strategies as st
import numpy as np
import pytest
from hypothesis import given

import xent

LOG_PROBS = st.floats(-30, 0, allow_nan=False, width=64)
PROBS = st.floats(0, 1, allow_nan=False, width=64)


def ulps(a: float, b: float) -> float:
    """Distance in float64 ulps of b (0 for equal values, inf for a NaN mismatch)."""
    if math.isnan(a) or math.isnan(b):
        return 0.0 if math.isnan(a) and math.isnan(b) else math.inf
    if a == b:
        return 0.0
    return abs(a - b) / math.ulp(b)


@pytest.fixture
def batch():
    """log-probabilities [N, C] = [3, 3] and targets, one of them -100."""
    return np.array([[-1.25, -0.5, -2.25], [-0.125, -3.0, -2.5], [-1.0, -1.0, -1.0]]), np.array([1, -100, 2])


# ---------------------------------------------------------------- nll_loss

@given(data=st.data())
def test_nll_loss_is_the_exactly_rounded_weighted_mean(data):
    n, c = data.draw(st.integers(1, 6)), data.draw(st.integers(1, 5))
    x = data.draw(hnp.arrays(np.float64, (n, c), elements=LOG_PROBS))
    y = data.draw(hnp.arrays(np.int64, (n,), elements=st.integers(0, c - 1)))
    w = data.draw(hnp.arrays(np.float64, (c,), elements=st.floats(0.25, 4, width=64)))
    terms = [-Fraction(w[t]) * Fraction(x[i, t]) for i, t in enumerate(y)]
    exact = sum(terms, Fraction(0)) / sum((Fraction(w[t]) for t in y), Fraction(0))
    got = float(xent.nll_loss(x, y, weight=w))
    assert ulps(got, float(exact)) <= 1
    none = xent.nll_loss(x, y, weight=w, reduction="none")
    assert [float(v) for v in none] == [float(t) for t in terms]  # one multiplication: exact rounding


def test_nll_loss_default_ignores_minus_100_and_none_ignores_nothing(batch):
    x, y = batch
    assert float(xent.nll_loss(x, y)) == (0.5 + 1.0) / 2
    with pytest.raises(xent.IndexOutOfRangeError, match="-100"):
        xent.nll_loss(x, y, ignore_index=None)
    y_valid = np.array([1, 0, 2])
    assert float(xent.nll_loss(x, y_valid, ignore_index=None)) == pytest.approx((0.5 + 0.125 + 1.0) / 3, rel=1e-16)


def test_nll_loss_reads_only_the_target_entry_and_ignored_positions_are_never_read():
    x = np.array([[-0.5, np.nan, np.inf], [np.nan, np.nan, np.nan]])
    assert float(xent.nll_loss(x, np.array([0, 1]), ignore_index=1)) == 0.5


def test_nll_loss_zero_weight_masks_infinity_but_not_nan():
    x = np.array([[-np.inf, -0.5], [np.nan, -0.25]])
    got = xent.nll_loss(x, np.array([0, 0]), weight=np.array([0.0, 1.0]), reduction="none")
    assert got[0] == 0.0 and math.isnan(got[1])


def test_nll_loss_vector_input_takes_a_scalar_target_and_returns_a_scalar():
    got = xent.nll_loss(np.array([-0.5, -1.5, -2.0]), np.array(2), reduction="none")
    assert np.shape(got) == () and float(got) == 2.0
    with pytest.raises(xent.ShapeMismatchError):
        xent.nll_loss(np.array([-0.5, -1.5]), np.array([0]))


def test_nll_loss_mean_with_everything_ignored_is_nan_and_sum_is_zero():
    x, y = np.zeros((2, 2)), np.array([-100, -100])
    assert math.isnan(xent.nll_loss(x, y)) and xent.nll_loss(x, y, reduction="sum") == 0.0


def test_nll_loss_rank_8_is_computed_and_rank_9_is_invalid_shape():
    x = np.full((1, 2, 1, 1, 1, 1, 1, 2), -0.5)
    y = np.zeros((1, 1, 1, 1, 1, 1, 2), dtype=np.int64)
    assert xent.nll_loss(x, y, reduction="none").shape == y.shape
    with pytest.raises(xent.InvalidShapeError, match="rank 1 to 8"):
        xent.nll_loss(x[None], y[None])


def test_nll_loss_precedence_weight_values_before_indices():
    with pytest.raises(xent.InvalidArgumentError, match="weight"):
        xent.nll_loss(np.zeros((1, 3)), np.array([7]), weight=np.array([1.0, -1.0, 1.0]))
    with pytest.raises(xent.ShapeMismatchError, match="weight"):
        xent.nll_loss(np.zeros((1, 3)), np.array([7]), weight=np.array([1.0, 1.0]))


# ---------------------------------------------------------------- kl_div

def _kl_exact_sum(x, t) -> float:
    """sum t (log t - x), evaluated in mpmath at 100 digits (the reference for a sum of logs)."""
    import mpmath
    with mpmath.workdps(100):
        return float(sum(mpmath.mpf(tv) * (mpmath.log(tv) - mpmath.mpf(xv)) for xv, tv in zip(x, t) if tv > 0))


@given(x=hnp.arrays(np.float64, (4, 3), elements=LOG_PROBS), t=hnp.arrays(np.float64, (4, 3), elements=PROBS))
def test_kl_div_reductions_divide_the_sum_by_n_or_numel(x, t):
    exact = _kl_exact_sum(x.ravel(), t.ravel())
    total = float(xent.kl_div(x, t, reduction="sum"))
    scale = max(abs(exact), float(np.sum(t * (np.abs(x) + 1 + np.abs(np.log(np.where(t > 0, t, 1)))))))
    assert abs(total - exact) <= 4 * 2.0 ** -53 * scale
    assert ulps(float(xent.kl_div(x, t, reduction="batchmean")), total / 4) <= 1
    assert ulps(float(xent.kl_div(x, t)), total / 12) <= 1


@given(x=hnp.arrays(np.float64, 5, elements=LOG_PROBS), t=hnp.arrays(np.float64, 5, elements=st.floats(1e-3, 1)))
def test_kl_div_log_target_agrees_with_probability_target(x, t):
    plain = xent.kl_div(x, t, reduction="none")
    logged = xent.kl_div(x, np.log(t), log_target=True, reduction="none")
    # log(t) is rounded: exp(log t) = t (1 + d), |d| <= |log t| 2^-53; each element moves by about that
    for a, b, tv in zip(plain, logged, t):
        assert abs(a - b) <= 8 * 2.0 ** -53 * (abs(a) + tv * (1 + abs(math.log(tv))) * 40)


def test_kl_div_special_values():
    got = xent.kl_div(np.array([-np.inf, np.inf, -0.5, -np.inf, np.nan]), np.array([0.0, 0.0, -0.25, 0.5, 0.0]),
                      reduction="none")
    assert list(got[:2]) == [0.0, 0.0] and math.isnan(got[2]) and got[3] == np.inf and math.isnan(got[4])
    logged = xent.kl_div(np.array([-0.5, -np.inf]), np.array([-np.inf, -np.inf]), log_target=True, reduction="none")
    assert list(logged) == [0.0, 0.0]


def test_kl_div_batchmean_of_a_scalar_is_the_sum_and_empty_batches():
    x, t = np.float64(-0.75), np.float64(0.25)
    assert xent.kl_div(x, t, reduction="batchmean") == xent.kl_div(x, t, reduction="sum")
    assert math.isnan(xent.kl_div(np.zeros((0, 3)), np.zeros((0, 3)), reduction="batchmean"))
    assert xent.kl_div(np.zeros((2, 0)), np.zeros((2, 0)), reduction="batchmean") == 0.0
    assert math.isnan(xent.kl_div(np.zeros((2, 0)), np.zeros((2, 0))))


@pytest.mark.parametrize("bad", [{"reduction": "batch_mean"}, {"log_target": 1}, {"log_target": "true"}])
def test_kl_div_rejects_bad_options(bad):
    with pytest.raises(xent.InvalidArgumentError):
        xent.kl_div(np.zeros(2), np.zeros(2), **bad)


# ---------------------------------------------------------------- axis and rank

@pytest.mark.parametrize("name", ["softmax", "log_softmax", "logsumexp"])
@given(x=hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=4, max_side=4),
                    elements=st.floats(-50, 50, width=64)), data=st.data())
def test_axis_applies_the_vector_function_to_every_slice(name, x, data):
    fn = getattr(xent, name)
    axis = data.draw(st.integers(-x.ndim, x.ndim - 1))
    got = fn(x, axis=axis)
    moved = np.moveaxis(x, axis, -1)
    rows = moved.reshape(-1, moved.shape[-1])
    if name == "logsumexp":
        want = np.array([fn(r) for r in rows]).reshape(moved.shape[:-1])
        assert np.array_equal(np.asarray(got), want)
    else:
        want = np.moveaxis(np.array([fn(r) for r in rows]).reshape(moved.shape), -1, axis)
        assert np.array_equal(got, want)


@pytest.mark.parametrize("name", ["softmax", "log_softmax", "logsumexp"])
def test_axis_errors_follow_the_precedence(name):
    fn = getattr(xent, name)
    with pytest.raises(xent.InvalidArgumentError, match="axis"):
        fn(np.zeros((2, 2)), axis=2)
    with pytest.raises(xent.InvalidArgumentError, match="axis"):
        fn(np.zeros((2, 0)), axis=-3)           # no such axis, so no empty slice either
    with pytest.raises(xent.InvalidShapeError, match="rank"):
        fn(np.zeros((1,) * 9), axis=20)         # rank (step 2) before the axis (step 4)
    with pytest.raises(xent.InvalidShapeError, match="non-zero"):
        fn(np.zeros((2, 0)))
    assert np.shape(fn(np.zeros((2, 0)), axis=0)) == ((0,) if name == "logsumexp" else (2, 0))


def test_softmax_cross_entropy_takes_ignore_index_none_and_rank_8():
    logits = np.zeros((1, 2, 1, 1, 1, 1, 1, 2))
    target = np.zeros((1, 1, 1, 1, 1, 1, 2), dtype=np.int64)
    assert xent.softmax_cross_entropy(logits, target, reduction="none").shape == target.shape
    with pytest.raises(xent.IndexOutOfRangeError):
        xent.softmax_cross_entropy(np.zeros((1, 2)), np.array([-100]), ignore_index=None)
    grad = xent.softmax_cross_entropy_grad(np.zeros((1, 2)), np.array([1]), ignore_index=None)
    assert np.array_equal(grad, [[0.5, -0.5]])


@pytest.mark.parametrize("dtype", [np.float16, np.float32])
def test_nll_loss_and_kl_div_keep_the_input_dtype_and_round_once(dtype):
    x = np.array([[-1.25, -0.5], [-0.125, -3.0]], dtype=dtype)
    got = xent.nll_loss(x, np.array([1, 0]), reduction="none")
    assert got.dtype == dtype and list(got) == [0.5, 0.125]
    t = np.array([[0.25, 0.75], [0.5, 0.5]], dtype=dtype)
    kl = xent.kl_div(x, t, reduction="batchmean")
    exact = _kl_exact_sum(x.astype(np.float64).ravel(), t.astype(np.float64).ravel()) / 2
    assert kl.dtype == dtype and float(kl) == float(dtype(exact))
