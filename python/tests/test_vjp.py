"""Gradients under an upstream gradient (issue 17 item 4, spec E4): grad_output of the loss gradients and
the functions softmax_grad, log_softmax_grad, focal_loss_grad and binary_cross_entropy_grad.

Expected values are mpmath evaluations of the spec's definitions (50 digits), other xent functions on
the same inputs (a gradient times v; gamma 0 is the cross-entropy's gradient), or exact by the spec
(0, NaN, +-inf). Floats are compared in ulps, or against a condition-scaled bound where the spec's
result is small by cancellation."""
from __future__ import annotations

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import xent
from numeric import ulps
from xent._half import narrow
from xent.errors import InvalidArgumentError, InvalidShapeError, ShapeMismatchError

INF, NAN = np.inf, np.nan
U64 = 2.0 ** -53


pytestmark = pytest.mark.usefixtures("quiet_numpy")


def mp_softmax(row):
    top = max(row)
    e = [mpmath.exp(mpmath.mpf(x) - top) for x in row]
    total = mpmath.fsum(e)
    return [v / total for v in e]


@pytest.fixture
def mp50():
    with mpmath.workdps(50):
        yield


finite = st.floats(-30, 30, allow_nan=False, allow_subnormal=False)
upstream = st.floats(-10, 10, allow_nan=False, allow_subnormal=False)
rows = st.integers(1, 7).flatmap(lambda n: st.tuples(st.lists(finite, min_size=n, max_size=n),
                                                    st.lists(upstream, min_size=n, max_size=n)))


# ---------------------------------------------------------------- softmax_grad, log_softmax_grad

@settings(max_examples=150, deadline=None)
@given(rows)
def test_softmax_grad_is_the_vjp_of_softmax(row):
    """g_j (v_j - sum g_i v_i) against mpmath, within the accurate bound's scale u (2|y| + 4 kappa) with
    kappa bounded by g_j (2 sum |v| + max|x| sum |v|): a broadcast or ignored v is off by O(g |v|)."""
    x, v = row
    got = xent.softmax_grad(np.array(x), np.array(v))
    with mpmath.workdps(50):
        g = mp_softmax(x)
        s = mpmath.fsum(gi * vi for gi, vi in zip(g, v))
        want = [float(gj * (vj - s)) for gj, vj in zip(g, v)]
        scale = [float(gj) * sum(map(abs, v)) * (2 + max(map(abs, x))) for gj in g]
    for j, (a, b) in enumerate(zip(got, want)):
        assert abs(a - b) <= U64 * (2 * abs(b) + 4 * scale[j]), (j, a, b)


@settings(max_examples=150, deadline=None)
@given(rows)
def test_log_softmax_grad_is_the_vjp_of_log_softmax(row):
    x, v = row
    got = xent.log_softmax_grad(np.array(x), np.array(v))
    with mpmath.workdps(50):
        g = mp_softmax(x)
        S = mpmath.fsum(v)
        want = [float(vj - gj * S) for gj, vj in zip(g, v)]
        scale = [abs(vj) + float(gj) * (sum(map(abs, v)) + abs(float(S)) * max(map(abs, x))) for gj, vj in zip(g, v)]
    for j, (a, b) in enumerate(zip(got, want)):
        assert abs(a - b) <= U64 * (2 * abs(b) + 4 * scale[j]), (j, a, b)


def test_softmax_grad_of_a_constant_upstream_gradient_is_exactly_zero():
    got = xent.softmax_grad(np.array([[1.0, 2.0, 3.0], [-5.0, 0.5, 40.0]]), np.full((2, 3), 7.25))
    assert np.array_equal(got, np.zeros((2, 3)))


def test_softmax_grad_keeps_the_digits_of_a_nearly_constant_upstream_gradient(mp50):
    """v = 1 + 2^-40 (spread): dot(g, v) rounded first would leave no correct digit."""
    x = [1.0, 2.0, 3.0, -1.0]
    v = [1.0, 1 + 2.0 ** -40, 1 - 2.0 ** -40, 1.0]
    g = mp_softmax(x)
    s = mpmath.fsum(gi * vi for gi, vi in zip(g, v))
    want = np.array([float(gj * (vj - s)) for gj, vj in zip(g, v)])
    assert ulps(xent.softmax_grad(np.array(x), np.array(v)), want) <= 4


def test_log_softmax_grad_of_minus_onehot_is_the_cross_entropy_gradient():
    x = np.array([[2.0, 1.0, 0.1], [0.5, 2.5, 0.3], [50.0, 0.0, 0.0]])
    target = np.array([0, 1, 0])
    v = -np.eye(3)[target]
    want = xent.softmax_cross_entropy_grad(x, target, reduction="none")
    assert ulps(xent.log_softmax_grad(x, v), want) <= 2


def test_log_softmax_grad_dominant_entry_keeps_its_tiny_value(mp50):
    """x = [50, 0, 0], v = -onehot(0): out_0 = -(1 - g_0) = -3.9e-22, not 0."""
    got = xent.log_softmax_grad(np.array([50.0, 0.0, 0.0]), np.array([-1.0, 0.0, 0.0]))
    g = mp_softmax([50.0, 0.0, 0.0])
    assert ulps(got[:1], np.array([float(g[0] - 1)])) <= 2


@pytest.mark.parametrize("fn", [xent.softmax_grad, xent.log_softmax_grad])
def test_special_values_follow_ieee_rules_on_the_exact_softmax(fn):
    x = np.array([[1.0, 2.0, 3.0], [1.0, -INF, 3.0], [INF, 1.0, 2.0], [NAN, 0.0, 1.0]])
    v = np.array([[1.0, NAN, 3.0], [1.0, INF, 3.0], [1.0, 2.0, 3.0], [1.0, 2.0, 3.0]])
    got = fn(x, v)
    assert np.isnan(got[0]).all() and np.isnan(got[3]).all()  # a NaN v, a NaN logit
    assert np.isnan(got[1, 1])  # g = 0 times an infinite v
    if fn is xent.softmax_grad:
        assert np.isnan(got[1]).all()  # 0 * inf enters the dot product
        assert np.array_equal(got[2], [0.0, 0.0, 0.0])  # onehot g: the limit 0
    else:
        assert np.array_equal(got[2], [1.0 - 6.0, 2.0, 3.0])  # v_k - S at k, v_j elsewhere


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_axis_matches_moving_the_axis_last(axis):
    rng = np.random.default_rng(17)
    x, v = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    for fn in (xent.softmax_grad, xent.log_softmax_grad):
        want = np.moveaxis(fn(np.moveaxis(x, axis, -1), np.moveaxis(v, axis, -1)), -1, axis)
        assert ulps(fn(x, v, axis=axis), want) == 0


@pytest.mark.parametrize("fn", [xent.softmax_grad, xent.log_softmax_grad])
@pytest.mark.parametrize("x, v, axis, error", [
    (np.float64(1.0), np.float64(1.0), -1, InvalidShapeError),
    (np.ones(3), np.ones(2), -1, ShapeMismatchError),
    (np.ones((1, 2)), np.ones((1, 3)), 5, ShapeMismatchError),  # step 3 before the axis (step 4)
    (np.ones((1, 2)), np.ones((1, 2)), 2, InvalidArgumentError),
    (np.ones((2, 0)), np.ones((2, 0)), -1, InvalidShapeError),
])
def test_errors_in_precedence_order(fn, x, v, axis, error):
    with pytest.raises(error):
        fn(x, v, axis=axis)


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_sixteen_bit_results_are_the_float64_results_rounded_once(dtype):
    rng = np.random.default_rng(16)
    x64, v64 = narrow(rng.normal(size=(4, 6)) * 3, dtype), narrow(rng.normal(size=(4, 6)), dtype)
    for fn in (xent.softmax_grad, xent.log_softmax_grad):
        want = narrow(fn(x64.astype(np.float64), v64.astype(np.float64)), dtype)
        got = fn(x64, v64)
        assert got.dtype == want.dtype and np.array_equal(got.astype(np.float64), want.astype(np.float64))


# ---------------------------------------------------------------- focal_loss_grad

def mp_focal(row, y, gamma, alpha_y=1.0):
    """alpha_y (1 - p)^gamma (-log p) of one row, as an mpmath function of its logits (for mpmath.diff)."""
    def loss(*xs):
        top = max(xs)
        total = mpmath.fsum(mpmath.exp(x - top) for x in xs)
        p = mpmath.exp(xs[y] - top) / total
        return alpha_y * (1 - p) ** gamma * -mpmath.log(p)
    return loss


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(-8, 8, allow_nan=False, allow_subnormal=False), min_size=2, max_size=5),
       st.sampled_from([0.0, 0.5, 1.0, 2.0, 3.5]), st.data())
def test_focal_loss_grad_is_the_derivative_of_focal_loss(row, gamma, data):
    y = data.draw(st.integers(0, len(row) - 1))
    got = xent.focal_loss_grad(np.array([row]), np.array([y]), gamma=gamma, reduction="none")[0]
    with mpmath.workdps(40):
        loss = mp_focal(row, y, gamma)
        want = []
        for c in range(len(row)):
            step = [0] * len(row)
            step[c] = 1
            want.append(float(mpmath.diff(loss, row, tuple(step))))
    for a, b in zip(got, want):
        assert abs(a - b) <= 1e-12 * (1 + abs(b)), (a, b)


def test_focal_loss_grad_with_gamma_0_is_alpha_times_the_cross_entropy_gradient():
    x = np.array([[2.0, 1.0, 0.1], [0.5, 2.5, 0.3]])
    target = np.array([0, 2])
    alpha = np.array([0.25, 0.5, 2.0])
    want = xent.softmax_cross_entropy_grad(x, target, reduction="none") * alpha[target][:, None]
    assert ulps(xent.focal_loss_grad(x, target, gamma=0.0, alpha=alpha, reduction="none"), want) <= 2


def test_focal_loss_grad_limits():
    x = np.array([[-INF, 1.0, 0.1], [INF, 1.0, 0.1], [1.0, INF, 0.1], [2.0, -INF, -INF], [NAN, 1.0, 0.0]])
    got = xent.focal_loss_grad(x, np.array([0, 0, 0, 0, 0]), reduction="none")
    g = xent.softmax(x[0])
    assert ulps(got[0], g - np.array([1.0, 0.0, 0.0])) <= 2  # p = 0: alpha (g - onehot(y))
    assert np.array_equal(got[1], [0.0, 0.0, 0.0])  # +inf at the target
    assert np.array_equal(got[2], [-1.0, 1.0, 0.0])  # +inf elsewhere: onehot(k) - onehot(y)
    assert np.array_equal(got[3], [0.0, 0.0, 0.0])  # one live class: p = 1
    assert np.isnan(got[4]).all()


def test_focal_loss_grad_small_gamma_on_a_confident_row_stays_bounded(mp50):
    """gamma 0.5, 1 - p = 1.9e-13: (1 + gamma) r^gamma g, finite and accurate."""
    row = [30.0, 0.0, 0.0]
    got = xent.focal_loss_grad(np.array([row]), np.array([0]), gamma=0.5, reduction="none")[0]
    g = mp_softmax(row)
    r = 1 - g[0]
    nll = -mpmath.log(g[0])
    h = r ** mpmath.mpf(-0.5) * (r + mpmath.mpf(0.5) * g[0] * nll)
    want = np.array([float(-h * r), float(h * g[1]), float(h * g[2])])
    assert ulps(got, want) <= 4


# ---------------------------------------------------------------- binary_cross_entropy_grad

def test_bce_grad_passes_through_at_the_clip_bounds_and_is_zero_outside():
    got = xent.binary_cross_entropy_grad(np.array([1.0, 0.0, 1.0, 0.0]), np.array([0.125, 0.875, 0.0625, 0.9375]),
                                         epsilon=0.125, reduction="none")
    assert np.array_equal(got, [-8.0, 8.0, 0.0, 0.0])


def test_bce_grad_without_a_clip_at_zero_and_one():
    got = xent.binary_cross_entropy_grad(np.array([1.0, 0.0, 0.0, 1.0]), np.array([0.0, 0.0, 1.0, 1.0]),
                                         epsilon=0.0, reduction="none")
    assert np.array_equal(got, [-INF, 1.0, INF, -1.0])


@settings(max_examples=100, deadline=None)
@given(st.floats(0.0, 1.0), st.floats(1e-6, 1 - 1e-6))
def test_bce_grad_is_the_derivative_of_the_loss_inside_the_clip(y, p):
    got = xent.binary_cross_entropy_grad(np.array([y]), np.array([p]), reduction="none")[0]
    with mpmath.workdps(50):
        want = float((1 - mpmath.mpf(y)) / (1 - mpmath.mpf(p)) - mpmath.mpf(y) / mpmath.mpf(p))
    assert ulps(np.array([got]), np.array([want])) <= 2 or abs(got - want) <= 8 * U64 * (1 / p + 1 / (1 - p))


# ---------------------------------------------------------------- grad_output of the loss gradients

GRADS = {
    "softmax_cross_entropy_grad": (lambda: (np.array([[1.0, 2.0, 3.0], [3.0, 2.0, 1.0], [0.5, -1.0, 2.0]]),
                                            np.array([2, 0, 1]))),
    "focal_loss_grad": (lambda: (np.array([[1.0, 2.0, 3.0], [3.0, 2.0, 1.0], [0.5, -1.0, 2.0]]), np.array([2, 0, 1]))),
    "binary_cross_entropy_with_logits_grad": (lambda: (np.array([0.5, -1.0, 2.0]), np.array([1.0, 0.0, 0.25]))),
    "sigmoid_mse_grad": (lambda: (np.array([0.5, -1.0, 2.0]), np.array([1.0, 0.0, 0.25]))),
    "binary_cross_entropy_grad": (lambda: (np.array([1.0, 0.0, 0.25]), np.array([0.5, 0.125, 0.75]))),
}


@pytest.fixture(params=sorted(GRADS))
def loss_grad(request):
    return request.param, xent.FUNCTIONS[request.param], GRADS[request.param]()


def _scatter(name, v):
    return v[:, None] if name in ("softmax_cross_entropy_grad", "focal_loss_grad") else v


def test_reduction_none_scales_each_position_by_its_own_element(loss_grad):
    name, fn, args = loss_grad
    kw = {} if name == "sigmoid_mse_grad" else {"reduction": "none"}
    v = np.array([2.0, -0.5, 3.0])
    want = fn(*args, **kw) * _scatter(name, v)
    assert ulps(fn(*args, **kw, grad_output=v), want) <= 1


@pytest.mark.parametrize("reduction", ["sum", "mean"])
def test_sum_and_mean_take_a_scalar(loss_grad, reduction):
    name, fn, args = loss_grad
    if name == "sigmoid_mse_grad":
        pytest.skip("elementwise: no reduction")
    want = fn(*args, reduction=reduction) * -0.75
    assert ulps(fn(*args, reduction=reduction, grad_output=np.float64(-0.75)), want) <= 1
    with pytest.raises(ShapeMismatchError):
        fn(*args, reduction=reduction, grad_output=np.ones(3))


def test_a_per_position_grad_output_of_another_shape_is_a_shape_mismatch(loss_grad):
    name, fn, args = loss_grad
    kw = {} if name == "sigmoid_mse_grad" else {"reduction": "none"}
    for v in (np.ones(2), np.float64(1.0)):
        with pytest.raises(ShapeMismatchError):
            fn(*args, **kw, grad_output=v)


def test_ignored_positions_stay_zero_whatever_grad_output_holds():
    x = np.array([[1.0, 2.0, 3.0], [3.0, 2.0, 1.0], [0.5, -1.0, 2.0]])
    got = xent.softmax_cross_entropy_grad(x, np.array([2, -100, -100]), reduction="none",
                                          grad_output=np.array([1.5, NAN, INF]))
    assert np.array_equal(got[1:], np.zeros((2, 3)))
    assert np.isfinite(got[0]).all()


def test_nan_and_inf_at_kept_positions_propagate():
    x = np.array([[1.0, 2.0, 3.0], [1.0, -INF, 2.0]])
    got = xent.softmax_cross_entropy_grad(x, np.array([0, 0]), reduction="none", grad_output=np.array([NAN, INF]))
    assert np.isnan(got[0]).all()
    assert np.isnan(got[1, 1])  # a masked class's exact 0 gradient times +inf
    assert got[1, 0] == -INF and got[1, 2] == INF


def test_grad_output_shape_is_checked_after_the_other_shapes_and_before_values():
    x, t = np.array([[1.0, 2.0, 3.0], [3.0, 2.0, 1.0]]), np.array([2, 0])
    with pytest.raises(ShapeMismatchError):  # before the negative weight (step 4)
        xent.softmax_cross_entropy_grad(x, t, reduction="none", weight=np.array([1.0, -1.0, 1.0]),
                                        grad_output=np.ones(3))
    with pytest.raises(ShapeMismatchError):  # before the target out of range (step 4)
        xent.softmax_cross_entropy_grad(x, np.array([2, 7]), reduction="none", grad_output=np.ones(3))
    with pytest.raises(InvalidArgumentError):  # the unknown reduction first (step 1)
        xent.softmax_cross_entropy_grad(x, t, reduction="batchmean", grad_output=np.ones(3))
    with pytest.raises(InvalidShapeError):  # the rank first (step 2)
        xent.softmax_cross_entropy_grad(np.ones(3), np.array([0]), reduction="none", grad_output=np.ones(3))
    with pytest.raises(ShapeMismatchError):
        xent.binary_cross_entropy_with_logits_grad(np.ones(2), np.array([1.5, 0.0]), reduction="none",
                                                   grad_output=np.ones(1))


def test_softcap_and_z_loss_are_scaled_as_a_whole():
    x, t = np.array([[40.0, 0.0, -10.0], [3.0, 2.0, 1.0]]), np.array([0, 2])
    kw = {"softcap": 5.0, "z_loss": 0.1, "reduction": "none"}
    want = xent.softmax_cross_entropy_grad(x, t, **kw) * np.array([[1.5], [-2.0]])
    assert ulps(xent.softmax_cross_entropy_grad(x, t, **kw, grad_output=np.array([1.5, -2.0])), want) <= 1


@pytest.mark.parametrize("dtype", [np.float32, "float16", "bfloat16"])
def test_grad_output_results_keep_the_dtype(dtype):
    x = np.array([[1.0, 2.0, 3.0], [3.0, 2.0, 1.0]]).astype(dtype)
    v = np.array([2.0, -0.5]).astype(dtype)
    got = xent.softmax_cross_entropy_grad(x, np.array([2, 0]), reduction="none", grad_output=v)
    assert got.dtype == np.dtype(dtype)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.floats(-8, 8, allow_nan=False, allow_subnormal=False), min_size=2, max_size=6),
       st.sampled_from([0.5, 2.0, 3.5]), st.floats(0.25, 4), st.data())
def test_focal_loss_grad_float64_is_rounded_once(row, gamma, scale, data):
    """float64 rows in double-double: within 1 ulp of the exact value (the plain formula reaches 2.5)."""
    y = data.draw(st.integers(0, len(row) - 1))
    got = xent.focal_loss_grad(np.array([row]), np.array([y]), gamma=gamma, reduction="sum",
                               grad_output=np.float64(scale))[0]
    with mpmath.workdps(50):
        g = mp_softmax(row)
        r, nll = 1 - g[y], -mpmath.log(g[y])
        if r == 0:
            return
        h = r ** (mpmath.mpf(gamma) - 1) * (r + gamma * g[y] * nll)
        want = np.array([float(scale * h * (g[c] - (c == y))) for c in range(len(row))])
    assert ulps(got, want) <= 1


@settings(max_examples=80, deadline=None)
@given(st.floats(0.0, 1.0), st.floats(1e-6, 1 - 1e-6), st.integers(1, 9))
def test_bce_grad_float64_mean_is_rounded_once(y, p, count):
    got = xent.binary_cross_entropy_grad(np.full(count, y), np.full(count, p))
    with mpmath.workdps(50):
        want = float((mpmath.mpf(p) - mpmath.mpf(y)) / (mpmath.mpf(p) * (1 - mpmath.mpf(p))) / count)
    assert ulps(got, np.full(count, want)) <= 1
