"""Accuracy against an independent mpmath evaluation, at the spec's `accurate` level
|got - exact| <= u (2 |exact| + 4 kappa) + eta, with the componentwise condition numbers kappa of the
accuracy note (shared/reference/accuracy.md, section 6, closed forms). Runs without golden vectors."""
from __future__ import annotations

import mpmath
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import xent

U = {np.float64: mpmath.mpf(2) ** -53, np.float32: mpmath.mpf(2) ** -24}
ETA = {np.float64: mpmath.mpf(2) ** -1074, np.float32: mpmath.mpf(2) ** -149}
mpmath.mp.prec = 300


def _ok(got, exact, kappa, dtype):
    bound = U[dtype] * (2 * abs(exact) + 4 * kappa) + ETA[dtype]
    return abs(mpmath.mpf(float(got)) - exact) <= bound


def _softmax_parts(x):
    """Reference values through exact differences d_i = x_i - a (mpmath.fsub exact) and log1p, so that
    neither tiny logits nor a dominant one need huge working precision."""
    xs = [mpmath.mpf(float(v)) for v in x]
    k = max(range(len(xs)), key=lambda i: xs[i])
    a = xs[k]
    d = [mpmath.fsub(v, a, exact=True) for v in xs]
    s = mpmath.fsum(mpmath.exp(d[i]) for i in range(len(xs)) if i != k)
    L = mpmath.log1p(s)
    lse = a + L
    lsm = [di - L for di in d]
    g = [mpmath.exp(di) / (1 + s) for di in d]
    return xs, lse, lsm, g


def _kappa_lsm(xs, g, j):
    return abs(xs[j]) * mpmath.fsum(g[i] for i in range(len(g)) if i != j) + \
        mpmath.fsum(g[i] * abs(xs[i]) for i in range(len(g)) if i != j)


def logits(dtype):
    width = 32 if dtype is np.float32 else 64
    el = st.one_of(st.floats(-60, 60, width=width), st.floats(-1, 1, width=width),
                   st.sampled_from([0.0, 50.0, -50.0, 20.0]))
    return hnp.arrays(dtype, st.integers(1, 12), elements=el)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@given(data=st.data())
def test_primitives_accurate(dtype, data):
    x = data.draw(logits(dtype))
    xs, lse, lsm, g = _softmax_parts(x)
    got_lse = xent.logsumexp(x)
    assert _ok(got_lse, lse, mpmath.fsum(gi * abs(v) for gi, v in zip(g, xs)), dtype)
    got_g = xent.softmax(x)
    got_l = xent.log_softmax(x)
    for j in range(len(xs)):
        k = _kappa_lsm(xs, g, j)
        assert _ok(got_l[j], lsm[j], k, dtype), (j, got_l[j], lsm[j])
        assert _ok(got_g[j], g[j], g[j] * k, dtype), (j, got_g[j], g[j])
        ce = xent.softmax_cross_entropy(x[None, :], np.array([j]))
        assert _ok(ce, -lsm[j], k, dtype), (j, ce, -lsm[j])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@given(data=st.data())
def test_bce_with_logits_accurate(dtype, data):
    width = 32 if dtype is np.float32 else 64
    z = data.draw(hnp.arrays(dtype, st.integers(1, 8), elements=st.floats(-60, 60, width=width)))
    y = data.draw(hnp.arrays(dtype, z.shape, elements=st.sampled_from([0.0, 1.0]) | st.floats(0, 1, width=width)))
    got = xent.binary_cross_entropy_with_logits(z, y, reduction="none")
    for zi, yi, gi in zip(z.tolist(), y.tolist(), got.tolist()):
        zm, ym = mpmath.mpf(zi), mpmath.mpf(yi)
        sp = lambda t: mpmath.log1p(mpmath.exp(t))
        exact = ym * sp(-zm) + (1 - ym) * sp(zm)
        kappa = abs(1 / (1 + mpmath.exp(-zm)) - ym) * abs(zm) + (0 if yi in (0.0, 1.0) else abs(ym * zm))
        assert _ok(gi, exact, kappa, dtype), (zi, yi, gi, exact)


def test_dominant_logit():
    # accuracy note, section 4, failure mode 1: CE([50, 0], y=0) ~ 1.93e-22, where numpy/torch return 0
    got = xent.softmax_cross_entropy(np.array([[50.0, 0.0]]), np.array([0]))
    exact = mpmath.log1p(mpmath.exp(-50))
    assert _ok(got, exact, 50 * mpmath.exp(-50), np.float64)
    assert got > 0
