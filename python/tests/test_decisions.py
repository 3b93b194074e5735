"""Values the spec left open and DECISIONS D2-D4 fixed: ignored positions, a mean's zero denominator,
zero coefficients times infinite terms. The expected numbers are either exact by definition (0, NaN) or
the same function evaluated on the positions that remain, so no value here is invented."""
from __future__ import annotations

import numpy as np
import pytest

import xent

INF, NAN = np.inf, np.nan


pytestmark = pytest.mark.usefixtures("quiet_numpy")


# ---------------------------------------------------------------------------------------- D2
# Ignored positions contribute nothing, whatever their logits hold.
LOGITS = np.array([[NAN, 1.0], [1.0, 2.0], [INF, INF], [-INF, -INF], [0.5, -0.25]])
TARGET = np.array([-100, 1, -100, -100, 0])
KEPT = np.array([1, 4])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_ignored_positions_have_loss_zero_whatever_their_logits(dtype):
    logits = LOGITS.astype(dtype)
    kept = xent.softmax_cross_entropy(logits[KEPT], TARGET[KEPT], reduction="none")
    per_position = xent.softmax_cross_entropy(logits, TARGET, reduction="none")
    np.testing.assert_array_equal(per_position[[0, 2, 3]], 0)
    np.testing.assert_array_equal(per_position[KEPT], kept)
    for reduction in ("sum", "mean"):
        assert xent.softmax_cross_entropy(logits, TARGET, reduction=reduction) == \
            xent.softmax_cross_entropy(logits[KEPT], TARGET[KEPT], reduction=reduction)


@pytest.mark.parametrize("reduction", ["none", "sum", "mean"])
def test_ignored_positions_have_gradient_zero_whatever_their_logits(reduction):
    grad = xent.softmax_cross_entropy_grad(LOGITS, TARGET, reduction=reduction)
    np.testing.assert_array_equal(grad[[0, 2, 3]], 0)
    np.testing.assert_array_equal(grad[KEPT], xent.softmax_cross_entropy_grad(LOGITS[KEPT], TARGET[KEPT],
                                                                             reduction=reduction))


def test_nan_at_a_position_that_is_not_ignored_still_propagates():
    target = np.array([0, 1, -100, -100, 0])
    assert np.isnan(xent.softmax_cross_entropy(LOGITS, target, reduction="none")[0])
    assert np.isnan(xent.softmax_cross_entropy(LOGITS, target, reduction="mean"))
    assert np.isnan(xent.softmax_cross_entropy_grad(LOGITS, target, reduction="none")[0]).all()


# ---------------------------------------------------------------------------------------- D3
# The gradient of a mean whose denominator is 0 is NaN everywhere, ignored positions included.
ZERO_DENOMINATORS = {
    "all ignored": (np.array([-100, -100, -100, -100, -100]), None),
    "kept weights sum to 0": (TARGET, np.array([0.0, 0.0])),
}


@pytest.mark.parametrize("case", list(ZERO_DENOMINATORS))
def test_gradient_of_a_mean_over_zero_weight_is_nan_everywhere(case):
    target, weight = ZERO_DENOMINATORS[case]
    grad = xent.softmax_cross_entropy_grad(LOGITS, target, weight=weight, reduction="mean")
    assert grad.shape == LOGITS.shape and np.isnan(grad).all()
    assert np.isnan(xent.softmax_cross_entropy(LOGITS, target, weight=weight, reduction="mean"))


def test_gradient_of_an_empty_mean_stays_empty():
    grad = xent.softmax_cross_entropy_grad(np.zeros((0, 3)), np.zeros(0, dtype=np.int64))
    assert grad.shape == (0, 3)


# ---------------------------------------------------------------------------------------- D4
# A zero coefficient times an infinite term contributes exactly 0; NaN is never masked.
ZERO_TIMES_INF = {
    "BCE weight 0, z = +inf, y = 0": lambda: xent.binary_cross_entropy_with_logits(
        np.array([INF]), np.array([0.0]), weight=np.array([0.0]), reduction="none"),
    "BCE pos_weight 0, z = -inf, y = 1": lambda: xent.binary_cross_entropy_with_logits(
        np.array([-INF]), np.array([1.0]), pos_weight=np.array([0.0]), reduction="none"),
    "focal alpha_y = 0, target logit -inf": lambda: xent.focal_loss(
        np.array([[-INF, 0.0]]), np.array([0]), alpha=np.array([0.0, 1.0]), reduction="none"),
    "sigmoid focal alpha factor 0, z = +inf, y = 0": lambda: xent.sigmoid_focal_loss(
        np.array([INF]), np.array([0.0]), alpha=1.0),
    "sce q_c = 0 at a -inf logit": lambda: xent.softmax_cross_entropy(
        np.array([[0.0, -INF]]), np.array([0]), reduction="none"),
    "sce weight 0 at a -inf logit, smoothed": lambda: xent.softmax_cross_entropy(
        np.array([[0.0, -INF]]), np.array([0]), weight=np.array([1.0, 0.0]), label_smoothing=0.1,
        reduction="none"),
    "BCE grad pos_weight 0, z = -inf, y = 1": lambda: xent.binary_cross_entropy_with_logits_grad(
        np.array([-INF]), np.array([1.0]), pos_weight=np.array([0.0]), reduction="none"),
}


@pytest.mark.parametrize("case", list(ZERO_TIMES_INF))
def test_a_zero_coefficient_times_an_infinite_term_is_zero(case):
    got = np.asarray(ZERO_TIMES_INF[case]())
    np.testing.assert_array_equal(got, 0)


def test_a_zero_coefficient_does_not_mask_nan():
    got = xent.binary_cross_entropy_with_logits(np.array([NAN]), np.array([0.0]), weight=np.array([0.0]),
                                                reduction="none")
    assert np.isnan(got[0])
    got = xent.binary_cross_entropy_with_logits_grad(np.array([NAN]), np.array([1.0]),
                                                     pos_weight=np.array([0.0]), reduction="none")
    assert np.isnan(got[0])
