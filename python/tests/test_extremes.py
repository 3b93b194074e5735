"""The float64 paths that need no extended format, run in-process with numpy.longdouble treated as
float64 (as on Windows and macOS arm64): the double-double focal loss and softmax cross-entropy
gradient against mpmath (within 0.51 ulp: the plain float64 formulas miss this by several ulps), and
the range extremes carried as value * 2^exp against mpmath (a weight times a loss near the largest
double, logits +max and -max, sums of terms below the subnormal range, a subnormal label smoothing)."""
from __future__ import annotations

import mpmath
import numpy as np
import pytest

import xent
from xent import _extremes as ext
from xent import _numerics as nm

mpmath.mp.prec = 300
MAX = np.finfo(np.float64).max
ETA = mpmath.mpf(2) ** -1074


@pytest.fixture
def float64_work(monkeypatch):
    """Every float64 computation in float64 (the extended longdouble switched off)."""
    monkeypatch.setattr(nm, "EXTENDED_AVAILABLE", False)
    assert nm.work_dtype(np.float64) == np.float64


def ulps(got, exact):
    """|got - exact| in units of the last place of the float64 nearest exact (subnormals: 2^-1074)."""
    ref = float(exact)
    spacing = mpmath.mpf(np.spacing(abs(ref))) if ref != 0 else ETA
    return float(abs(mpmath.mpf(float(got)) - exact) / max(spacing, ETA))


def exact_log_softmax(row):
    xs = [mpmath.mpf(float(v)) for v in row]
    a = max(xs)
    d = [mpmath.fsub(v, a, exact=True) for v in xs]
    lse = mpmath.log(mpmath.fsum(mpmath.exp(di) for di in d))
    return [di - lse for di in d]


def random_rows(seed, n, c, scale):
    rng = np.random.default_rng(seed)
    x = scale * rng.standard_normal((n, c))
    x[np.arange(n), rng.integers(0, c, n)] += 3 * scale  # one dominant logit per row
    return x, rng.integers(0, c, n)


@pytest.mark.parametrize("mode", ["uniform", "off_target"])
@pytest.mark.parametrize("seed", [91, 93])
def test_softmax_ce_grad_double_double_rounds_once(float64_work, seed, mode):
    x, y = random_rows(seed, 6, 9, 10.0)
    w = np.random.default_rng(seed).uniform(0.1, 3.0, 9)
    eps = 0.1
    got = xent.softmax_cross_entropy_grad(x, y, weight=w, label_smoothing=eps, label_smoothing_mode=mode,
                                          reduction="none")
    C, e = 9, mpmath.mpf(eps)
    for n in range(6):
        lsm = exact_log_softmax(x[n])
        g = [mpmath.exp(v) for v in lsm]
        q = [(1 - e) * (c == y[n]) + (e / C if mode == "uniform" else e / (C - 1) * (c != y[n])) for c in range(C)]
        m = [mpmath.mpf(float(w[c])) * q[c] for c in range(C)]
        M = mpmath.fsum(m)
        for c in range(C):
            assert ulps(got[n, c], g[c] * M - m[c]) <= 0.51, (n, c)


@pytest.mark.parametrize("gamma", [2.0, 5.0])
def test_focal_loss_double_double_rounds_once(float64_work, gamma):
    x, y = random_rows(131, 8, 10, 10.0)
    y[::2] = np.argmin(x[::2], axis=1)  # some confident wrong predictions: 1 - p_t near 1
    got = xent.focal_loss(x, y, gamma=gamma, reduction="none")
    for n in range(8):
        lp = exact_log_softmax(x[n])[y[n]]
        exact = -mpmath.power(-mpmath.expm1(lp), gamma) * lp
        assert ulps(got[n], exact) <= 0.51, n


def test_huge_logits_are_shifted_at_a_scale(float64_work):
    # x_y - max overflows, but the loss (about 2 max) over a mean of two rows is finite
    x = np.array([[MAX, -MAX, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]])
    exact = (2 * mpmath.mpf(MAX) + mpmath.log(4)) / 2
    assert ulps(xent.softmax_cross_entropy(x, np.array([1, 0])), exact) <= 1
    assert ulps(xent.focal_loss(x, np.array([1, 0]), gamma=2.0), (2 * mpmath.mpf(MAX) + mpmath.log(4) * mpmath.mpf(0.75) ** 2) / 2) <= 1


def test_a_weight_times_a_loss_near_max_keeps_a_finite_mean(float64_work):
    z, y = np.array([0.0, -MAX]), np.array([0.0, 0.5])
    got = xent.binary_cross_entropy_with_logits(z, y, pos_weight=np.array([1.0, 3.0]))
    exact = (mpmath.log(2) + 3 * mpmath.mpf(0.5) * mpmath.mpf(MAX)) / 2
    assert ulps(got, exact) <= 1


def test_subnormal_terms_are_summed_before_rounding(float64_work):
    # 36 terms of about 0.57 * 2^-1074 each: 21 * 2^-1074, not 36 (each rounded) or 0
    z = np.full(36, -745.0)
    got = xent.binary_cross_entropy_with_logits(z, np.zeros(36), reduction="sum")
    assert ulps(got, 36 * mpmath.log1p(mpmath.exp(-745))) <= 0.5
    x = np.array([0.0] + [-745.0] * 5)
    assert ulps(xent.logsumexp(x), mpmath.log1p(5 * mpmath.exp(-745))) <= 0.5
    assert ulps(xent.log_softmax(x)[0], -mpmath.log1p(5 * mpmath.exp(-745))) <= 0.5


def test_subnormal_label_smoothing_is_carried_at_a_scale(float64_work):
    x, y, w = np.zeros((4, 4)), np.zeros(4, dtype=np.int64), np.array([0.0, 1.0, 1.0, 1.0])
    eps = 5e-324
    total = 4 * (mpmath.mpf(eps) / 4) * 3 * mpmath.log(4)  # k sum_c w_c (-log 1/4) per position
    assert ulps(xent.softmax_cross_entropy(x, y, weight=w, label_smoothing=eps, reduction="sum"), total) <= 0.5
    assert xent.softmax_cross_entropy(x, y, weight=w, label_smoothing=eps) == np.inf  # positive / 0


def test_cross_entropy_with_a_subnormal_epsilon(float64_work):
    p, q, eps = np.array([1.0, 0.0, 0.0]), np.array([0.0, 0.0, 0.375]), 5e-324
    e = mpmath.mpf(eps)
    exact = -mpmath.log(e / (mpmath.mpf(0.375) + 3 * e))
    assert ulps(xent.cross_entropy(p, q, epsilon=eps), exact) <= 1


def test_reduce_split_rounds_once_across_exponents():
    values = np.array([1.5, 1.5, 1.0])
    exps = np.array([1023, 1023, -1074])  # 1.5 * 2^1023 twice overflows a plain sum; 2^-1074 negligible
    got = ext.reduce_split(values, exps, "mean", np.dtype(np.float64))
    exact = (3 * mpmath.mpf(2) ** 1023 + mpmath.mpf(2) ** -1074) / 3
    assert ulps(got, exact) <= 0.5
    assert ext.reduce_split(values, exps, "sum", np.dtype(np.float64)) == np.inf
    tiny = ext.reduce_split(np.array([0.75, 0.75]), np.array([-1074, -1074]), "sum", np.dtype(np.float64))
    assert tiny == 2.0 ** -1074 * 2  # 1.5 eta rounds once to 2 eta (ties to even), not 1 + 1
