"""Algebraic identities checked on the oracle's certified exact values (40 significant digits)."""
import math

import mpmath
from hypothesis import given, settings
from hypothesis import strategies as st

from xent_conformance.dtypes import FLOAT64
from xent_conformance.oracle import evaluate
from xent_conformance.tensor import Tensor

# dyadic logits, so that adding the shifts below is exact in float64
logits = st.lists(st.integers(-2000, 2000).map(lambda k: k / 64), min_size=1, max_size=8)


def distributions(n):
    return st.lists(st.integers(1, 1000), min_size=n, max_size=n).map(lambda w: [v / sum(w) for v in w])


def vec(values):
    return Tensor("float64", (len(values),), tuple(float(v) for v in values))


def exact(function, inputs, **params):
    _, certified, _ = evaluate(function, inputs, params, FLOAT64)
    return [mpmath.mpf(c.exact) for c in certified]


def close(a, b, scale=1):
    return abs(a - b) <= mpmath.mpf(10) ** -36 * (abs(a) + abs(b) + scale)


@settings(max_examples=30, deadline=None)
@given(logits)
def test_log_softmax_is_x_minus_logsumexp(x):
    with mpmath.workprec(200):
        (lse,) = exact("logsumexp", {"x": vec(x)})
        for xi, lsm in zip(x, exact("log_softmax", {"x": vec(x)})):
            assert close(lsm, mpmath.mpf(xi) - lse, scale=abs(xi))


@settings(max_examples=30, deadline=None)
@given(logits, st.sampled_from([0.5, 1.0, -2.0, 64.0]))
def test_softmax_shift_invariance(x, shift):
    with mpmath.workprec(200):
        a = exact("softmax", {"x": vec(x)})
        b = exact("softmax", {"x": vec([v + shift for v in x])})  # the shifts are exact for these inputs
        assert all(close(u, v) for u, v in zip(a, b))
        assert close(mpmath.fsum(a), 1)


@settings(max_examples=30, deadline=None)
@given(st.integers(2, 6).flatmap(lambda n: st.tuples(distributions(n), distributions(n))))
def test_cross_entropy_is_entropy_plus_kl(pq):
    p, q = pq
    with mpmath.workprec(200):
        (h_pq,) = exact("cross_entropy", {"p": vec(p), "q": vec(q)}, base="e", epsilon=0.0)
        (h_p,) = exact("entropy", {"p": vec(p)}, base="e")
        (kl,) = exact("kl_divergence", {"p": vec(p), "q": vec(q)}, base="e")
        assert close(h_pq, h_p + kl, scale=h_pq)
        assert h_pq >= h_p - mpmath.mpf(10) ** -15  # Gibbs; q sums to 1 only up to float rounding


@settings(max_examples=30, deadline=None)
@given(logits.filter(lambda v: len(v) >= 2), st.data())
def test_gradient_is_softmax_minus_onehot(x, data):
    y = data.draw(st.integers(0, len(x) - 1))
    inputs = {"logits": Tensor("float64", (1, len(x)), tuple(map(float, x))), "target": Tensor("int64", (1,), (y,))}
    params = dict(weight=None, ignore_index=-100, label_smoothing=0.0, label_smoothing_mode="uniform", reduction="sum")
    with mpmath.workprec(200):
        grad = exact("softmax_cross_entropy_grad", inputs, **params)
        probs = exact("softmax", {"x": vec(x)})
        for c, (g, p) in enumerate(zip(grad, probs)):
            assert close(g, p - (1 if c == y else 0))


def test_exact_results_are_recognised():
    """Results that are exactly 0 or 1 would never pass a Ziv test through transcendental functions."""
    p = vec([0.7, 0.2, 0.1])
    assert exact("kl_divergence", {"p": p, "q": p}, base="e") == [0]
    assert exact("entropy", {"p": vec([0.0, 1.0, 0.0])}, base="2") == [0]
    assert exact("softmax", {"x": vec([-7.25])}) == [1]
    assert exact("log_softmax", {"x": vec([123.0])}) == [0]


def test_float32_values_come_from_float32_inputs():
    """sigmoid of the float32 nearest to 0.1 differs from sigmoid(0.1 in float64) rounded to float32."""
    from xent_conformance.dtypes import FLOAT32
    from xent_conformance.values import to_dtype
    z32 = to_dtype("0.1", FLOAT32)
    assert z32 != 0.1
    _, certified, _ = evaluate("sigmoid", {"z": Tensor("float32", (1,), (z32,))}, {}, FLOAT32)
    with mpmath.workprec(200):
        expected = 1 / (1 + mpmath.exp(-mpmath.mpf(z32)))
        assert abs(mpmath.mpf(certified[0].exact) - expected) < mpmath.mpf(10) ** -38
    assert math.isfinite(certified[0].rounded)
