"""linear_cross_entropy and linear_cross_entropy_grad (issue 18, spec E5): the loss and gradients of the
exact logits hidden @ linear_weight.T + linear_bias, checked against softmax_cross_entropy on logits that
are exact in float64 (small integers), the chain rule, D2, D3, grad_output and the error precedence."""
from __future__ import annotations

from fractions import Fraction

import ml_dtypes
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import xent
from xent import linear_cross_entropy as lce
from xent import linear_cross_entropy_grad as lce_grad

WRT = ("hidden", "linear_weight", "linear_bias")


@pytest.fixture
def problem() -> dict:
    """hidden [3, 4], linear_weight [5, 4], bias [5] of small dyadic values, targets [1, 4, 0]."""
    hidden = np.array([[0.5, -1.0, 2.0, 0.25], [1.5, 0.0, -0.75, 1.0], [-2.0, 1.25, 0.5, -0.5]])
    weight = np.array([[1.0, 0.5, -1.0, 2.0], [-0.25, 1.0, 0.75, 0.0], [0.5, -1.5, 1.0, 1.0],
                       [2.0, 0.25, -0.5, -1.0], [0.0, 1.0, 1.0, -0.25]])
    return {"hidden": hidden, "linear_weight": weight, "target": np.array([1, 4, 0]),
            "bias": np.array([0.5, -1.0, 0.25, 2.0, -0.5])}


def exact_logits(p: dict) -> np.ndarray:
    """Exact in float64 for these dyadic values (products and sums of few bits)."""
    return p["hidden"] @ p["linear_weight"].T + p["bias"]


small_ints = st.integers(-8, 8).map(float)


@st.composite
def integer_problems(draw):
    """hidden [N, H] and linear_weight [C, H] of small integers: every logit is exact in float64."""
    n, h, c = draw(st.integers(1, 4)), draw(st.integers(0, 5)), draw(st.integers(1, 6))
    hidden = draw(hnp.arrays(np.float64, (n, h), elements=small_ints))
    weight = draw(hnp.arrays(np.float64, (c, h), elements=small_ints))
    bias = draw(st.none() | hnp.arrays(np.float64, (c,), elements=small_ints))
    target = np.array(draw(st.lists(st.integers(0, c - 1), min_size=n, max_size=n)))
    return hidden, weight, bias, target


@given(integer_problems(), st.sampled_from(["none", "sum", "mean"]), st.sampled_from([0.0, 0.125]))
def test_loss_is_softmax_cross_entropy_of_the_logits(args, reduction, smoothing):
    hidden, weight, bias, target = args
    logits = hidden @ weight.T + (0 if bias is None else bias)
    got = lce(hidden, weight, target, linear_bias=bias, reduction=reduction, label_smoothing=smoothing)
    want = xent.softmax_cross_entropy(logits, target, reduction=reduction, label_smoothing=smoothing)
    np.testing.assert_array_max_ulp(np.asarray(got), np.asarray(want), maxulp=1)


def exact_dot(a, b) -> tuple[float, float]:
    """sum(a * b) exactly (Fractions), rounded once; and sum |a * b| (the scale of the sum's terms)."""
    terms = [Fraction(x) * Fraction(y) for x, y in zip(a, b)]
    return float(sum(terms, Fraction(0))), float(sum(abs(t) for t in terms))


@given(integer_problems(), st.sampled_from(WRT), st.sampled_from(["none", "sum", "mean"]))
def test_gradient_is_the_chain_rule(args, wrt, reduction):
    """hidden: G @ W; linear_weight: G.T @ hidden; linear_bias: G summed over the positions, with G the
    softmax cross-entropy gradient of the (exact) logits; each sum correctly rounded up to a compensated
    sum's error (2^-100 of the terms' magnitude)."""
    hidden, weight, bias, target = args
    if wrt == "linear_bias" and bias is None:
        bias = np.zeros(weight.shape[0])
    logits = hidden @ weight.T + (0 if bias is None else bias)
    g = xent.softmax_cross_entropy_grad(logits, target, reduction=reduction)
    pairs = {"hidden": lambda: [(g[n], weight[:, k]) for n in range(g.shape[0]) for k in range(weight.shape[1])],
             "linear_weight": lambda: [(g[:, c], hidden[:, k]) for c in range(g.shape[1]) for k in range(hidden.shape[1])],
             "linear_bias": lambda: [(g[:, c], np.ones(g.shape[0])) for c in range(g.shape[1])]}[wrt]()
    got = lce_grad(hidden, weight, target, linear_bias=bias, reduction=reduction, wrt=wrt)
    assert got.shape == {"hidden": hidden.shape, "linear_weight": weight.shape, "linear_bias": weight.shape[:1]}[wrt]
    for value, (a, b) in zip(got.ravel(), pairs):
        want, scale = exact_dot(a, b)
        assert abs(value - want) <= 2.0 ** -52 * abs(want) + 2.0 ** -100 * scale, (value, want)


def test_cancelling_dot_product_is_exact():
    """hidden [2^60, 1, -2^60] . [1, 1, 1] is exactly 1: a float dot product gives 0 (loss log 2)."""
    hidden = np.array([[2.0 ** 60, 1.0, -(2.0 ** 60)]])
    weight = np.array([[1.0, 1.0, 1.0], [0.0, 0.0, 0.0]])
    got = lce(hidden, weight, [1], reduction="none")
    want = xent.softmax_cross_entropy(np.array([[1.0, 0.0]]), [1], reduction="none")
    np.testing.assert_array_max_ulp(got, want, maxulp=0)


def test_bias_is_added(problem):
    got = lce(problem["hidden"], problem["linear_weight"], problem["target"], linear_bias=problem["bias"])
    want = xent.softmax_cross_entropy(exact_logits(problem), problem["target"])
    np.testing.assert_array_max_ulp(got, want, maxulp=1)


def test_large_model_options_apply_to_the_logits(problem):
    options = dict(logit_scale=0.5, softcap=1.5, z_loss=0.125, label_smoothing=0.25, reduction="none")
    got = lce(problem["hidden"], problem["linear_weight"], problem["target"], linear_bias=problem["bias"], **options)
    want = xent.softmax_cross_entropy(exact_logits(problem), problem["target"], **options)
    np.testing.assert_array_max_ulp(got, want, maxulp=1)


def test_ignored_row_is_never_read(problem):
    """D2: a NaN hidden row at an ignored position changes nothing; its hidden gradient row is 0 and the
    weight gradient stays finite (a matmul would multiply the zero gradient row by NaN)."""
    hidden = problem["hidden"].copy()
    hidden[1] = np.nan
    target = np.array([1, -100, 0])
    args = (hidden, problem["linear_weight"], target)
    clean = (problem["hidden"], problem["linear_weight"], target)
    assert lce(*args, linear_bias=problem["bias"]) == lce(*clean, linear_bias=problem["bias"])
    grad_h = lce_grad(*args, linear_bias=problem["bias"], wrt="hidden")
    assert np.all(grad_h[1] == 0) and np.isfinite(grad_h).all()
    np.testing.assert_array_equal(lce_grad(*args, wrt="linear_weight"), lce_grad(*clean, wrt="linear_weight"))


@pytest.mark.parametrize("wrt", WRT)
def test_empty_mean_is_nan_everywhere(problem, wrt):
    """D3: a mean over no positions makes every gradient element NaN (N = 0 too), 0 with empty_mean zero."""
    hidden = np.zeros((0, 4))
    args = (hidden, problem["linear_weight"], np.zeros(0, dtype=np.int64))
    got = lce_grad(*args, linear_bias=problem["bias"], wrt=wrt)
    assert got.size == 0 or np.isnan(got).all()
    assert not np.any(lce_grad(*args, linear_bias=problem["bias"], wrt=wrt, empty_mean="zero"))
    ignored = (problem["hidden"], problem["linear_weight"], np.full(3, -100))
    assert np.isnan(lce_grad(*ignored, linear_bias=problem["bias"], wrt=wrt)).all()


@pytest.mark.parametrize("wrt", WRT)
def test_grad_output_scales_each_position(problem, wrt):
    """grad_output [N] under reduction none multiplies each position's contribution (powers of 2: exact);
    an ignored position's grad_output (NaN) is never read."""
    target = np.array([1, -100, 0])
    common = dict(linear_bias=problem["bias"], reduction="none", wrt=wrt)
    args = (problem["hidden"], problem["linear_weight"], target)
    got = lce_grad(*args, grad_output=np.array([2.0, np.nan, -0.5]), **common)
    rows = [lce_grad(*args, grad_output=np.array(v), **common) for v in ([1.0, 0.0, 0.0], [0.0, 0.0, 1.0])]
    np.testing.assert_allclose(got, 2.0 * rows[0] - 0.5 * rows[1], rtol=4e-16, atol=1e-300)


def test_scalar_grad_output_under_mean(problem):
    args = (problem["hidden"], problem["linear_weight"], problem["target"])
    base = lce_grad(*args, wrt="linear_weight")
    np.testing.assert_array_equal(lce_grad(*args, wrt="linear_weight", grad_output=np.array(4.0)), 4.0 * base)


@pytest.mark.parametrize("dtype", [np.float32, np.float16, ml_dtypes.bfloat16])
def test_narrow_dtypes_round_the_float64_result_once(problem, dtype):
    """float32 and 16-bit inputs (exact in float64) give the float64 result rounded once into the dtype."""
    args = [problem[k].astype(dtype) for k in ("hidden", "linear_weight")]
    wide = [a.astype(np.float64) for a in args]
    got = lce(*args, problem["target"], linear_bias=problem["bias"].astype(dtype), reduction="none")
    want = lce(*wide, problem["target"], linear_bias=problem["bias"].astype(dtype).astype(np.float64),
               reduction="none").astype(dtype)
    assert got.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(got.astype(np.float64), want.astype(np.float64))


ERRORS = [  # (keyword changes, expected error), each case naming the rule of the precedence it checks
    (dict(label_smoothing=2.0, hidden=np.zeros(4)), xent.InvalidArgumentError),       # step 1 before ranks
    (dict(wrt="bias", hidden=np.zeros(4)), xent.InvalidArgumentError),                # wrt is step 1
    (dict(hidden=np.zeros(4)), xent.InvalidShapeError),
    (dict(linear_weight=np.zeros((0, 4)), target=np.array([9, 9, 9])), xent.InvalidShapeError),  # C = 0
    (dict(linear_weight=np.zeros((5, 3)), weight=-np.ones(5)), xent.ShapeMismatchError),  # shapes first
    (dict(target=np.array([0, 1])), xent.ShapeMismatchError),
    (dict(linear_bias=np.zeros(4), weight=-np.ones(5)), xent.ShapeMismatchError),
    (dict(grad_output=np.ones(3)), xent.ShapeMismatchError),                            # mean needs a scalar
    (dict(wrt="linear_bias", linear_bias=None, target=np.array([9, 0, 0])), xent.InvalidArgumentError),
    (dict(weight=np.array([1.0, -1.0, 1.0, 1.0, 1.0]), target=np.array([9, 0, 0])), xent.InvalidArgumentError),
    (dict(target=np.array([0, 5, 1])), xent.IndexOutOfRangeError),
]


@pytest.mark.parametrize("changes, error", ERRORS)
def test_error_precedence(problem, changes, error):
    kwargs = dict(hidden=problem["hidden"], linear_weight=problem["linear_weight"], target=problem["target"],
                  linear_bias=problem["bias"])
    kwargs.update(changes)
    with pytest.raises(error):
        lce_grad(**kwargs)
    if not {"wrt", "grad_output"} & set(changes):
        with pytest.raises(error):
            lce(**kwargs)
