"""Hypothesis property tests: normalisation, shift invariance, Gibbs' inequality, gradients against
finite differences, float32 against float64."""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import xent

U = {np.float64: 2.0 ** -53, np.float32: 2.0 ** -24}


def ulp32(x):
    return np.spacing(np.abs(np.float32(x))).astype(np.float64)


finite64 = st.floats(-700, 700, allow_nan=False, allow_infinity=False, width=64)
logit_vec = hnp.arrays(np.float64, st.integers(1, 40), elements=finite64)
# dyadic logits (multiples of 1/16, |x| <= 64) so that x + c is exact for integer |c| <= 2^20
dyadic = st.integers(-1024, 1024).map(lambda k: k / 16.0)
dyadic_vec = st.lists(dyadic, min_size=1, max_size=30).map(np.array)


def prob_vec(n_min=1, n_max=30):
    return st.lists(st.floats(0, 1, allow_nan=False, width=64), min_size=n_min, max_size=n_max).filter(
        lambda v: sum(v) > 0.01).map(lambda v: np.array(v) / math.fsum(v))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@given(data=st.data())
def test_softmax_sums_to_one(dtype, data):
    x = data.draw(hnp.arrays(dtype, st.integers(1, 200),
                             elements=st.floats(-80, 80, width=32 if dtype is np.float32 else 64)))
    g = xent.softmax(x)
    n = x.size
    assert g.dtype == dtype
    assert np.all(g >= 0) and np.all(g <= 1)
    # each component is within a couple of ulps, so the exact sum of the outputs is within (2 + n) u of 1
    assert abs(math.fsum(g.astype(np.float64).tolist()) - 1.0) <= (2 + n) * U[dtype]


@given(x=dyadic_vec, c=st.integers(-(2 ** 20), 2 ** 20))
def test_shift_invariance(x, c):
    y = x + float(c)  # exact by construction
    assert np.array_equal(y - float(c), x)
    g1, g2 = xent.softmax(x), xent.softmax(y)
    assert np.all(np.abs(g1 - g2) <= 4 * U[np.float64] * np.maximum(g1, g2) + 1e-300)
    l1, l2 = xent.log_softmax(x), xent.log_softmax(y)
    assert np.all(np.abs(l1 - l2) <= 4 * U[np.float64] * np.maximum(np.abs(l1), np.abs(l2)) + 1e-300)
    assert abs((xent.logsumexp(y) - c) - xent.logsumexp(x)) <= 4 * U[np.float64] * (abs(xent.logsumexp(y)) + 1)


@given(data=st.data())
def test_cross_entropy_at_least_entropy(data):
    p = data.draw(prob_vec())
    q = data.draw(prob_vec(p.size, p.size))
    h_pq = xent.cross_entropy(p, q)
    h_p = xent.entropy(p)
    kl = xent.kl_divergence(p, q)
    n = p.size
    # sum(q) and sum(p) are 1 within n u, so KL >= -log(sum q / sum p) >= -2 n u (Gibbs)
    tol = 4 * n * U[np.float64] * (1 + h_pq)
    assert h_pq >= h_p - tol
    assert kl >= -tol
    if math.isfinite(h_pq):
        assert abs(h_pq - (h_p + kl)) <= tol + 8 * U[np.float64] * (h_pq + h_p + kl)
    assert xent.kl_divergence(p, p) == 0.0  # spec: KL(p || p) = 0 exactly


@given(data=st.data())
def test_softmax_cross_entropy_grad_matches_finite_difference(data):
    n_rows = data.draw(st.integers(1, 3))
    c = data.draw(st.integers(2, 5))
    x = data.draw(hnp.arrays(np.float64, (n_rows, c), elements=st.floats(-5, 5)))
    t = data.draw(hnp.arrays(np.int64, (n_rows,), elements=st.integers(0, c - 1)))
    eps = data.draw(st.sampled_from([0.0, 0.1]))
    mode = data.draw(st.sampled_from(["uniform", "off_target"]))
    w = data.draw(st.none() | hnp.arrays(np.float64, (c,), elements=st.floats(0.1, 2)))
    red = data.draw(st.sampled_from(["sum", "mean"]))
    kw = dict(weight=w, label_smoothing=eps, label_smoothing_mode=mode, reduction=red)
    g = xent.softmax_cross_entropy_grad(x, t, **kw)
    assert g.shape == x.shape
    h = 1e-6
    for idx in np.ndindex(x.shape):
        xp, xm = x.copy(), x.copy()
        xp[idx] += h
        xm[idx] -= h
        fd = (xent.softmax_cross_entropy(xp, t, **kw) - xent.softmax_cross_entropy(xm, t, **kw)) / (xp[idx] - xm[idx])
        assert abs(fd - g[idx]) <= 1e-6 * (1 + abs(g[idx])), (idx, fd, g[idx])


@given(data=st.data())
def test_bce_with_logits_grad_matches_finite_difference(data):
    n = data.draw(st.integers(1, 6))
    z = data.draw(hnp.arrays(np.float64, (n,), elements=st.floats(-8, 8)))
    y = data.draw(hnp.arrays(np.float64, (n,), elements=st.floats(0, 1)))
    pw = data.draw(st.none() | hnp.arrays(np.float64, (n,), elements=st.floats(0, 3)))
    g = xent.binary_cross_entropy_with_logits_grad(z, y, pos_weight=pw, reduction="sum")
    h = 1e-6
    for i in range(n):
        zp, zm = z.copy(), z.copy()
        zp[i] += h
        zm[i] -= h
        fd = (xent.binary_cross_entropy_with_logits(zp, y, pos_weight=pw, reduction="sum")
              - xent.binary_cross_entropy_with_logits(zm, y, pos_weight=pw, reduction="sum")) / (zp[i] - zm[i])
        assert abs(fd - g[i]) <= 1e-6 * (1 + abs(g[i]))


@given(data=st.data())
def test_sigmoid_mse_grad_matches_finite_difference(data):
    z = data.draw(st.floats(-8, 8))
    y = data.draw(st.floats(0, 1))
    g = xent.sigmoid_mse_grad(np.float64(z), np.float64(y))
    h = 1e-6
    f = lambda t: (y - float(xent.sigmoid(np.float64(t)))) ** 2 / 2
    fd = (f(z + h) - f(z - h)) / ((z + h) - (z - h))
    assert abs(fd - g) <= 1e-7 * (1 + abs(g))


f32 = st.floats(-90, 90, width=32)
F32_CASES = {
    "softmax": lambda x: xent.softmax(x),
    "log_softmax": lambda x: xent.log_softmax(x),
    "logsumexp": lambda x: xent.logsumexp(x),
    "softplus": lambda x: xent.softplus(x),
    "sigmoid": lambda x: xent.sigmoid(x),
    "log_sigmoid": lambda x: xent.log_sigmoid(x),
    "softmax_cross_entropy": lambda x: xent.softmax_cross_entropy(x[None, :], np.array([0]), label_smoothing=0.25),
    "focal_loss": lambda x: xent.focal_loss(x[None, :], np.array([x.size - 1])),
    "bce_with_logits": lambda x: xent.binary_cross_entropy_with_logits(x, np.full(x.shape, 0.25, x.dtype),
                                                                       reduction="none"),
}


@pytest.mark.parametrize("name", sorted(F32_CASES))
@given(x=hnp.arrays(np.float32, st.integers(1, 20), elements=f32))
def test_float32_is_float64_rounded_once(name, x):
    fn = F32_CASES[name]
    r32 = np.asarray(fn(x))
    r64 = np.asarray(fn(x.astype(np.float64)))
    assert r32.dtype == np.float32 and r64.dtype == np.float64
    # the float32 path evaluates in float64 and rounds once: within half an ulp32 of the (accurate)
    # float64 result, plus the float64 result's own few-u error and float32 underflow
    err = np.abs(r32.astype(np.float64) - r64)
    bound = 0.5 * ulp32(r64) + 8 * 2.0 ** -53 * np.abs(r64) + 2.0 ** -150
    both_nonfinite = ~np.isfinite(r64) & (r32.astype(np.float64) == r64)
    assert np.all((err <= bound) | both_nonfinite), (r32, r64)


@given(x=logit_vec)
def test_log_softmax_is_log_of_softmax(x):
    ls = xent.log_softmax(x)
    g = xent.softmax(x)
    assert np.all(ls <= 0)
    big = g > 1e-300
    assert np.allclose(np.exp(ls[big]), g[big], rtol=1e-13, atol=0)


@given(x=logit_vec)
def test_cross_entropy_from_logits_is_minus_log_softmax(x):
    ls = xent.log_softmax(x)
    for y in range(x.size):
        ce = xent.softmax_cross_entropy(x[None, :], np.array([y]))
        assert ce >= 0
        assert abs(ce + ls[y]) <= 2 * U[np.float64] * abs(ls[y])
