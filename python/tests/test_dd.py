"""The double-double primitives (xent._dd) and split_sum, measured against mpmath: errors in units of
2^-53 relative (float64 ulps of the exact value), far below the 0.5 ulp a float64 result may add."""
from __future__ import annotations

import mpmath
import numpy as np
import pytest

from xent import _dd
from xent import _numerics as nm

mpmath.mp.prec = 300
U = mpmath.mpf(2) ** -53


def _rel_err_ulps(h, l, exact):
    """max over entries of |(h + l) - exact| / (u |exact|)."""
    worst = mpmath.mpf(0)
    for hi, lo, ex in zip(np.ravel(h), np.ravel(l), exact):
        got = mpmath.mpf(float(hi)) + mpmath.mpf(float(lo))
        worst = max(worst, abs(got - ex) / (U * abs(ex)))
    return float(worst)


@pytest.fixture(scope="module")
def rng():
    return np.random.default_rng(20261207)


def _signed_logs(rng, lo, hi, n):
    return 10.0 ** rng.uniform(lo, hi, n) * rng.choice([-1.0, 1.0], n)


CASES = {
    # name: (function of a float64 array -> (hi, lo), mpmath function, argument sampler)
    "exp": (_dd.exp, mpmath.exp, lambda r: np.concatenate([r.uniform(-700, 700, 150), r.uniform(-1, 1, 100),
                                                              _signed_logs(r, -300, 0, 50)])),
    "expm1": (_dd.exp_m1, mpmath.expm1, lambda r: np.concatenate([r.uniform(-700, 700, 100),
                                                                     _signed_logs(r, -300, 0, 150)])),
    "log1p": (_dd.log1p, mpmath.log1p, lambda r: np.concatenate([r.uniform(-0.999, 5, 100), 10.0 ** r.uniform(-300, 300, 100),
                                                                    -(10.0 ** r.uniform(-300, -0.01, 100))])),
    "log": (_dd.log, mpmath.log, lambda r: 10.0 ** r.uniform(-300, 300, 200)),
}


@pytest.mark.parametrize("name", list(CASES))
def test_elementary_functions_within_2_to_the_minus_70(name, rng):
    fn, ref, sample = CASES[name]
    x = sample(rng)
    h, l = fn(x)
    worst = _rel_err_ulps(h, l, [ref(mpmath.mpf(float(v))) for v in x])
    assert worst < 2.0 ** -17, f"{name}: {worst} ulps"  # 2^-70 relative


def test_arithmetic_within_2_to_the_minus_100(rng):
    ah, bh = rng.standard_normal(200), rng.standard_normal(200)
    al, bl = ah * 2.0 ** -60 * rng.random(200), bh * 2.0 ** -60 * rng.random(200)
    A = [mpmath.mpf(float(h)) + mpmath.mpf(float(l)) for h, l in zip(ah, al)]
    B = [mpmath.mpf(float(h)) + mpmath.mpf(float(l)) for h, l in zip(bh, bl)]
    assert _rel_err_ulps(*_dd.mul(ah, al, bh, bl), [a * b for a, b in zip(A, B)]) < 2.0 ** -47
    assert _rel_err_ulps(*_dd.div(ah, al, bh, bl), [a / b for a, b in zip(A, B)]) < 2.0 ** -47
    same_sign = np.abs(bh) * np.sign(ah), np.abs(bl) * np.sign(ah)  # no cancellation: relative error holds
    B2 = [mpmath.mpf(float(h)) + mpmath.mpf(float(l)) for h, l in zip(*same_sign)]
    assert _rel_err_ulps(*_dd.add(ah, al, *same_sign), [a + b for a, b in zip(A, B2)]) < 2.0 ** -47


def test_logistic_pairs_within_2_to_the_minus_70(rng):
    z = np.concatenate([rng.uniform(-40, 40, 60), rng.uniform(-800, 800, 20), _signed_logs(rng, -300, 0, 20)])
    p_h, p_l, q_h, q_l = _dd.sigmoid_pair(z)
    n_h, n_l, s_h, s_l = _dd.softplus_pair(z)
    sig = [1 / (1 + mpmath.exp(-mpmath.mpf(float(v)))) for v in z]
    sp = [mpmath.log1p(mpmath.exp(mpmath.mpf(float(v)))) for v in z]
    spn = [mpmath.log1p(mpmath.exp(-mpmath.mpf(float(v)))) for v in z]
    inside = np.abs(z) <= _dd.LOGISTIC_RANGE
    sig_neg = [1 / (1 + mpmath.exp(mpmath.mpf(float(v)))) for v in z]
    for got, exact in (((p_h, p_l), sig), ((q_h, q_l), sig_neg), ((s_h, s_l), sp), ((n_h, n_l), spn)):
        assert _rel_err_ulps(got[0][inside], got[1][inside], [e for e, i in zip(exact, inside) if i]) < 2.0 ** -17


@pytest.mark.parametrize("n", [1, 7, 1000, nm.SPLIT_SUM_MAX])
def test_split_sum_error_below_a_64th_of_an_ulp(n, rng):
    # exponentials of a row of shifted logits, the use in softmax_cross_entropy; plus a row of tiny terms
    t = np.stack([np.exp(-np.abs(rng.standard_normal(n)) * 30), np.exp(-700 - rng.random(n))])
    hi, lo = nm.split_sum(t)
    exact = [mpmath.fsum(mpmath.mpf(float(v)) for v in row) for row in t]
    assert _rel_err_ulps(hi, lo, exact) < 2.0 ** -6


@pytest.mark.parametrize("reduction", ["sum", "mean"])
def test_long_nonnegative_reduction_rounds_once(reduction, rng):
    # more than SPLIT_SUM_MAX non-negative terms spanning 2^-600..2^40 take the blocked split_sum path
    from xent._validate import reduce
    n = 3 * nm.SPLIT_SUM_MAX + 17
    v = np.ldexp(rng.random(n), rng.integers(-600, 40, n))
    got = reduce(v, reduction, np.dtype(np.float64))
    exact = mpmath.fsum(mpmath.mpf(float(t)) for t in v) / (n if reduction == "mean" else 1)
    err = abs(mpmath.mpf(float(got)) - exact) / (U * abs(exact))
    assert err <= 1.0 + 2.0 ** -6, f"{err} x u"  # one rounding (half an ulp is at most u |exact|)
