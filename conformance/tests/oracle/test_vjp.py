"""The oracle's vector-Jacobian products (issue 17 item 4, spec E4): identities between certified exact values
(40 significant digits), IEEE products with grad_output, exact zeros, kappa, and the error precedence."""
import math

import mpmath
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xent_conformance.dtypes import FLOAT64
from xent_conformance.oracle import DomainError, evaluate
from xent_conformance.oracle.core import Out, X
from xent_conformance.oracle.vjp import times
from xent_conformance.tensor import Tensor

# dyadic logits and upstream gradients: exact in float64, the identities below exact in reals
logits = st.lists(st.integers(-640, 640).map(lambda k: k / 64), min_size=2, max_size=6)


def tensor(values, shape=None):
    flat = [float(v) for v in values]
    return Tensor("float64", tuple(shape) if shape is not None else (len(flat),), tuple(flat))


def index(values):
    return Tensor("int64", (len(values),), tuple(values))


def certified(function, inputs, **params):
    _, cert, _ = evaluate(function, inputs, params, FLOAT64)
    return cert


def exact(function, inputs, **params):
    """The certified exact values (40 digits), read at 200 bits."""
    cert = certified(function, inputs, **params)
    with mpmath.workprec(200):
        return [mpmath.mpf(c.exact) for c in cert]


def close(a, b, scale=1):
    return abs(a - b) <= mpmath.mpf(10) ** -36 * (abs(a) + abs(b) + scale)


SCE = dict(weight=None, ignore_index=-100, label_smoothing=0.0, label_smoothing_mode="uniform")


@settings(max_examples=25, deadline=None)
@given(logits, st.data())
def test_log_softmax_grad_of_minus_onehot_is_the_cross_entropy_gradient(x, data):
    y = data.draw(st.integers(0, len(x) - 1))
    v = [-1.0 if c == y else 0.0 for c in range(len(x))]
    with mpmath.workprec(200):
        got = exact("log_softmax_grad", {"x": tensor(x), "grad_output": tensor(v)}, axis=-1)
        want = exact("softmax_cross_entropy_grad", {"logits": tensor(x, (1, len(x))), "target": index([y])},
                     reduction="none", **SCE)
        assert all(close(a, b) for a, b in zip(got, want))


@settings(max_examples=25, deadline=None)
@given(logits, st.data())
def test_softmax_grad_is_log_softmax_grad_of_v_times_softmax(x, data):
    """softmax_grad(x, v) = log_softmax_grad(x, g * v): d softmax = g * d log_softmax."""
    v = data.draw(st.lists(st.integers(-64, 64).map(float), min_size=len(x), max_size=len(x)))
    with mpmath.workprec(200):
        g = exact("softmax", {"x": tensor(x)}, axis=-1)
        got = exact("softmax_grad", {"x": tensor(x), "grad_output": tensor(v)}, axis=-1)
        s = mpmath.fsum(gi * vi for gi, vi in zip(g, v))
        assert all(close(a, gj * (vj - s), scale=abs(vj)) for a, gj, vj in zip(got, g, v))


def test_a_constant_upstream_gradient_gives_exact_zeros_with_a_positive_kappa():
    out = certified("softmax_grad", {"x": tensor([1, 2, 3]), "grad_output": tensor([5, 5, 5])}, axis=-1)
    assert [c.rounded for c in out] == [0.0, 0.0, 0.0] and all(c.kappa > 0 for c in out)
    # equal logits with v = [1, 2, 3]: the middle output is exactly 0 (g = 1/3 rational)
    out = certified("softmax_grad", {"x": tensor([0, 0, 0]), "grad_output": tensor([1, 2, 3])}, axis=-1)
    assert out[1].rounded == 0.0 and out[0].rounded == -1 / 3


def test_focal_loss_grad_with_gamma_0_is_the_cross_entropy_gradient():
    x = tensor([2, 1, 0.125, 0.5, 2.5, 0.25], (2, 3))
    got = exact("focal_loss_grad", {"logits": x, "target": index([0, 2])}, gamma=0.0, alpha=None,
                reduction="none", grad_output=None)
    want = exact("softmax_cross_entropy_grad", {"logits": x, "target": index([0, 2])}, reduction="none", **SCE)
    assert all(close(a, b) for a, b in zip(got, want))


def test_focal_loss_grad_matches_numerical_differentiation_of_focal_loss():
    row, y, gamma = [1.5, -0.5, 0.25], 1, 2.5
    got = exact("focal_loss_grad", {"logits": tensor(row, (1, 3)), "target": index([y])}, gamma=gamma,
                alpha=None, reduction="none", grad_output=None)
    with mpmath.workdps(40):
        def loss(*xs):
            p = mpmath.exp(xs[y]) / mpmath.fsum(mpmath.exp(x) for x in xs)
            return (1 - p) ** gamma * -mpmath.log(p)
        for c in range(3):
            step = [0, 0, 0]
            step[c] = 1
            assert abs(got[c] - mpmath.diff(loss, row, tuple(step))) < mpmath.mpf(10) ** -25


def test_bce_grad_clip_bounds_are_included():
    got = certified("binary_cross_entropy_grad", {"y": tensor([1, 0, 1]), "p": tensor([0.125, 0.875, 0.0625])},
                    epsilon=0.125, reduction="none", grad_output=None)
    assert [c.rounded for c in got] == [-8.0, 8.0, 0.0]


@pytest.mark.parametrize("value, v, want", [
    (0.0, math.inf, math.nan), (math.inf, 0.0, math.nan), (math.inf, -2.0, -math.inf),
    (1.5, math.nan, math.nan), (0.0, 3.0, 0.0), (-0.5, -math.inf, math.inf),
])
def test_times_is_an_ieee_product_of_exact_values(value, v, want):
    got = times(Out(value), v)
    assert (math.isnan(got.value) and math.isnan(want)) or got.value == want


def test_times_adds_the_upstream_gradients_own_condition():
    got = times(Out(X(0.75), 0.5, 2), -4.0)
    assert mpmath.mpf(got.kappa) == 4 * 0.5 + 3 and mpmath.mpf(got.nu) == 8


def test_an_ignored_position_never_reads_its_grad_output():
    out = certified("softmax_cross_entropy_grad", {"logits": tensor([1, 2, 3, 3, 2, 1], (2, 3)),
                                                   "target": index([2, -100])},
                    reduction="none", grad_output=tensor([2.0, math.nan]), **SCE)
    assert [c.rounded for c in out[3:]] == [0.0, 0.0, 0.0] and all(math.isfinite(c.rounded) for c in out[:3])


@pytest.mark.parametrize("function, inputs, params, kind", [
    ("softmax_cross_entropy_grad", {"logits": tensor([1, 2, 3, 3, 2, 1], (2, 3)), "target": index([2, 7])},
     dict(reduction="none", grad_output=tensor([1, 1, 1]), **SCE), "shape_mismatch"),
    ("softmax_cross_entropy_grad", {"logits": tensor([1, 2, 3, 3, 2, 1], (2, 3)), "target": index([2, 0])},
     dict(reduction="mean", grad_output=tensor([1, 1]), **SCE), "shape_mismatch"),
    ("softmax_grad", {"x": tensor([1, 2], (1, 2)), "grad_output": tensor([1, 2, 3], (1, 3))}, dict(axis=5),
     "shape_mismatch"),
    ("softmax_grad", {"x": tensor([1, 2], (1, 2)), "grad_output": tensor([1, 2], (1, 2))}, dict(axis=2),
     "invalid_argument"),
    ("focal_loss_grad", {"logits": tensor([1, 2, 3, 4], (2, 2)), "target": index([0, 1])},
     dict(gamma=2.0, alpha=tensor([1, -1]), reduction="none", grad_output=tensor([1])), "shape_mismatch"),
    ("binary_cross_entropy_grad", {"y": tensor([1, 0]), "p": tensor([math.nan, 0.5])},
     dict(epsilon=1e-15, reduction="none", grad_output=tensor([1])), "shape_mismatch"),
])
def test_grad_output_shape_is_step_3(function, inputs, params, kind):
    with pytest.raises(DomainError) as err:
        evaluate(function, inputs, params, FLOAT64)
    assert err.value.kind == kind
