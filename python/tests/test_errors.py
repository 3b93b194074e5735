"""Typed errors: one class per spec error kind, raised with a message naming the problem."""
from __future__ import annotations

import numpy as np
import pytest

import xent
from xent.errors import ERROR_CLASSES

KINDS = ["invalid_shape", "shape_mismatch", "index_out_of_range", "invalid_probability", "invalid_argument"]


def test_one_class_per_kind():
    assert sorted(ERROR_CLASSES) == sorted(KINDS)
    for kind, cls in ERROR_CLASSES.items():
        assert issubclass(cls, xent.XentError) and issubclass(cls, ValueError)
        assert cls.kind == kind


CASES = [
    (xent.softmax, (np.zeros(0),), {}, xent.InvalidShapeError, "non-zero"),
    (xent.logsumexp, (np.zeros((2, 2)),), {}, xent.InvalidShapeError, "rank 1"),
    (xent.entropy, (np.array([0.5, 1.5]),), {}, xent.InvalidProbabilityError, "p[1]"),
    (xent.entropy, (np.array([0.5, 0.5]),), {"base": "10"}, xent.InvalidArgumentError, "base"),
    (xent.cross_entropy, (np.array([0.5, 0.5]), np.array([1.0])), {}, xent.ShapeMismatchError, "(2,) and (1,)"),
    (xent.cross_entropy, (np.array([1.0]), np.array([1.0])), {"epsilon": 2.0}, xent.InvalidArgumentError, "epsilon"),
    (xent.kl_divergence, (np.array([np.nan]), np.array([1.0])), {}, xent.InvalidProbabilityError, "p[0]"),
    (xent.nll_from_probs, (np.array([[0.5, 0.5]]), np.array([2])), {}, xent.IndexOutOfRangeError, "target[0] = 2"),
    (xent.nll_from_probs, (np.array([[0.5, 0.5]]), np.array([0, 1])), {}, xent.ShapeMismatchError, "target length"),
    (xent.nll_from_probs, (np.array([[0.5, 0.5]]), np.array([0])), {"reduction": "avg"}, xent.InvalidArgumentError,
     "reduction"),
    (xent.categorical_cross_entropy, (np.zeros((2, 0)), np.zeros((2, 0))), {}, xent.InvalidShapeError, "C > 0"),
    (xent.binary_cross_entropy, (np.array([1.0]), np.array([0.5])), {"epsilon": 0.5}, xent.InvalidArgumentError,
     "epsilon"),
    (xent.softmax_cross_entropy, (np.zeros(3), np.array([0])), {}, xent.InvalidShapeError, "rank 2 to 5"),
    (xent.softmax_cross_entropy, (np.zeros((2, 3)), np.array([0, 5])), {}, xent.IndexOutOfRangeError,
     "target[1] = 5"),
    (xent.softmax_cross_entropy, (np.zeros((2, 3)), np.array([0, 1])), {"weight": np.ones(2)},
     xent.ShapeMismatchError, "weight"),
    (xent.softmax_cross_entropy, (np.zeros((2, 3)), np.array([0, 1])), {"weight": np.array([1, -1, 1.0])},
     xent.InvalidArgumentError, "weight[1]"),
    (xent.softmax_cross_entropy, (np.zeros((2, 3)), np.array([0, 1])), {"label_smoothing": -0.1},
     xent.InvalidArgumentError, "label_smoothing"),
    (xent.softmax_cross_entropy, (np.zeros((2, 1)), np.array([0, 0])),
     {"label_smoothing": 0.1, "label_smoothing_mode": "off_target"}, xent.InvalidArgumentError, "C >= 2"),
    (xent.softmax_cross_entropy, (np.zeros((2, 3)), np.full((2, 3), 1.5)), {}, xent.InvalidProbabilityError,
     "target[(0, 0)]"),
    (xent.softmax_cross_entropy, (np.zeros((2, 3)), np.zeros(2)), {}, xent.ShapeMismatchError, "integer dtype"),
    (xent.binary_cross_entropy_with_logits, (np.float64(0), np.float64(1)), {}, xent.InvalidShapeError, "rank"),
    (xent.binary_cross_entropy_with_logits, (np.zeros((2, 3)), np.zeros((2, 3))), {"pos_weight": np.ones(2)},
     xent.ShapeMismatchError, "pos_weight"),
    (xent.binary_cross_entropy_with_logits, (np.zeros(2), np.array([0, 2.0])), {}, xent.InvalidProbabilityError,
     "y[1]"),
    (xent.focal_loss, (np.zeros((2, 3)), np.array([0, 1])), {"gamma": -1.0}, xent.InvalidArgumentError, "gamma"),
    (xent.focal_loss, (np.zeros((2, 3)), np.array([0, 1])), {"alpha": np.ones(4)}, xent.ShapeMismatchError, "alpha"),
    (xent.sigmoid_focal_loss, (np.zeros(2), np.zeros(2)), {"alpha": -1.0}, xent.InvalidArgumentError, "alpha"),
    (xent.sigmoid_mse_grad, (np.zeros(2), np.zeros(3)), {}, xent.ShapeMismatchError, "same shape"),
    (xent.softmax_cross_entropy_grad, (np.zeros((2, 3)), np.array([0, -1])), {}, xent.IndexOutOfRangeError,
     "ignore_index=-100"),
]


@pytest.mark.parametrize("fn,args,kwargs,cls,fragment", CASES,
                         ids=[f"{c[0].__name__}-{i}" for i, c in enumerate(CASES)])
def test_bad_input_raises_typed_error(fn, args, kwargs, cls, fragment):
    with pytest.raises(cls) as info:
        fn(*args, **kwargs)
    assert info.value.kind == cls.kind
    assert fragment in str(info.value)


def test_errors_are_catchable_by_base_class():
    with pytest.raises(xent.XentError):
        xent.softmax([])
