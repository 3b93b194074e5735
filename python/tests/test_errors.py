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
    (xent.logsumexp, (np.zeros((1,) * 8 + (2,)),), {}, xent.InvalidShapeError, "rank 1 to 8"),
    (xent.logsumexp, (np.zeros((2, 2)),), {"axis": 2}, xent.InvalidArgumentError, "axis 2"),
    (xent.nll_loss, (np.zeros((2, 3)), np.array([0, -100])), {"ignore_index": None}, xent.IndexOutOfRangeError,
     "target[1] = -100"),
    (xent.kl_div, (np.zeros(2), np.zeros(3)), {}, xent.ShapeMismatchError, "(2,) and (3,)"),
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
    (xent.softmax_cross_entropy, (np.zeros(3), np.array([0])), {}, xent.InvalidShapeError, "rank 2 to 8"),
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


# ---------------------------------------------------------------------------------------------------
# DECISIONS D1: when several kinds apply, the first failing step decides: scalar parameters, then
# ranks / C = 0 / empty vectors, then shape mismatches, then values (tensor parameters and the off_target
# rule, then indices, then probabilities). Each case violates two steps; the earlier one must win.
Z23 = np.zeros((2, 3))
RANK9 = np.zeros((1,) * 9)
PRECEDENCE = [
    ("empty p before length", xent.cross_entropy, (np.zeros(0), np.ones(1)), {}, xent.InvalidShapeError),
    ("empty q before length", xent.kl_divergence, (np.ones(1), np.zeros(0)), {}, xent.InvalidShapeError),
    ("weight shape before NaN", xent.binary_cross_entropy_with_logits, (Z23, Z23),
     {"weight": np.array([np.nan, 1.0])}, xent.ShapeMismatchError),
    ("pos_weight shape before sign", xent.binary_cross_entropy_with_logits_grad, (np.zeros((1, 3)), np.zeros((1, 3))),
     {"pos_weight": np.array([-1.0, 1.0])}, xent.ShapeMismatchError),
    ("C = 0 before index", xent.softmax_cross_entropy, (np.zeros((2, 0)), np.array([0, 5])), {},
     xent.InvalidShapeError),
    ("C = 0 before index (nll)", xent.nll_from_probs, (np.zeros((1, 0)), np.array([0])), {}, xent.InvalidShapeError),
    ("label_smoothing before rank", xent.softmax_cross_entropy, (np.zeros(3), np.array(0)),
     {"label_smoothing": 2.0}, xent.InvalidArgumentError),
    ("mode before rank", xent.softmax_cross_entropy, (RANK9, np.zeros((1,) * 8, dtype=int)),
     {"label_smoothing_mode": "sockeye"}, xent.InvalidArgumentError),
    ("NaN smoothing before C = 0", xent.softmax_cross_entropy_grad, (np.zeros((1, 0)), np.array([9, 9])),
     {"label_smoothing": np.nan}, xent.InvalidArgumentError),
    ("ignore_index type before rank", xent.softmax_cross_entropy, (np.zeros(3), np.array(0)),
     {"ignore_index": 1.5}, xent.InvalidArgumentError),
    ("reduction before mismatch", xent.categorical_cross_entropy, (np.ones((1, 2)), np.ones((1, 3))),
     {"reduction": "avg"}, xent.InvalidArgumentError),
    ("scalar alpha before rank", xent.sigmoid_focal_loss, (RANK9, RANK9), {"alpha": 2.0}, xent.InvalidArgumentError),
    ("gamma before C = 0", xent.focal_loss, (np.zeros((1, 0)), np.array([4])), {"gamma": -1.0},
     xent.InvalidArgumentError),
    ("base before empty", xent.entropy, (np.zeros(0),), {"base": "10"}, xent.InvalidArgumentError),
    ("epsilon before mismatch", xent.cross_entropy, (np.array([1.5, 0.0]), np.ones(1)), {"epsilon": 2.0},
     xent.InvalidArgumentError),
    ("BCE epsilon before mismatch", xent.binary_cross_entropy, (np.array([1.0, 0.0]), np.array([2.0])),
     {"epsilon": 0.5}, xent.InvalidArgumentError),
    ("rank before mismatch", xent.binary_cross_entropy_with_logits, (RANK9, np.zeros(2)), {}, xent.InvalidShapeError),
    ("C = 0 before weight shape", xent.softmax_cross_entropy, (np.zeros((1, 0)), np.array([0])),
     {"weight": np.array([-1.0])}, xent.InvalidShapeError),
    ("target rank before length", xent.nll_from_probs, (np.full((2, 2), 0.5), np.zeros((3, 1), dtype=int)), {},
     xent.InvalidShapeError),
    ("mismatch before index", xent.softmax_cross_entropy, (Z23, np.array([0, 1, 9])), {}, xent.ShapeMismatchError),
    ("mismatch before probability", xent.cross_entropy, (np.array([1.5, 0.0]), np.array([0.5, 0.5, 0.0])), {},
     xent.ShapeMismatchError),
    ("weight shape before index", xent.softmax_cross_entropy_grad, (np.zeros((1, 3)), np.array([7])),
     {"weight": np.ones(2)}, xent.ShapeMismatchError),
    ("alpha shape before index", xent.focal_loss, (np.zeros((1, 3)), np.array([5])), {"alpha": np.ones(2)},
     xent.ShapeMismatchError),
    ("weight value before index", xent.softmax_cross_entropy, (np.zeros((1, 3)), np.array([7])),
     {"weight": np.array([-1.0, 1.0, 1.0])}, xent.InvalidArgumentError),
    ("alpha value before index", xent.focal_loss, (np.zeros((1, 3)), np.array([9])),
     {"alpha": np.array([np.nan, 1.0, 1.0])}, xent.InvalidArgumentError),
    ("off_target C = 1 before index", xent.softmax_cross_entropy, (np.zeros((1, 1)), np.array([3])),
     {"label_smoothing": 0.5, "label_smoothing_mode": "off_target"}, xent.InvalidArgumentError),
    ("off_target C = 1 before probability", xent.softmax_cross_entropy_grad, (np.zeros((1, 1)), np.array([[2.0]])),
     {"label_smoothing": 0.5, "label_smoothing_mode": "off_target"}, xent.InvalidArgumentError),
    ("index before probability", xent.nll_from_probs, (np.array([[1.5, 0.0]]), np.array([5])), {},
     xent.IndexOutOfRangeError),
    ("weight value before probability", xent.binary_cross_entropy_with_logits, (np.zeros(3), np.array([2.0, 0, 0])),
     {"weight": np.array([-1.0, 1.0, 1.0])}, xent.InvalidArgumentError),
    ("pos_weight value before probability", xent.binary_cross_entropy_with_logits_grad,
     (np.zeros((2, 1)), np.array([[np.nan], [0.0]])), {"pos_weight": np.array([np.inf])}, xent.InvalidArgumentError),
    ("parameter before ragged logits", xent.softmax_cross_entropy, ([[1.0, 2.0], [1.0]], np.array([0, 0])),
     {"label_smoothing": 2.0}, xent.InvalidArgumentError),
]


@pytest.mark.parametrize("fn,args,kwargs,cls", [c[1:] for c in PRECEDENCE], ids=[c[0] for c in PRECEDENCE])
def test_the_first_failing_step_decides(fn, args, kwargs, cls):
    with pytest.raises(xent.XentError) as info:
        fn(*args, **kwargs)
    assert info.value.kind == cls.kind, f"{info.value.kind}: {info.value}"


# DECISIONS D5: every probability of nll_from_probs is checked, not only the target's.
@pytest.mark.parametrize("bad", [1.5, -0.25, np.nan])
def test_nll_from_probs_checks_non_target_probabilities(bad):
    with pytest.raises(xent.InvalidProbabilityError, match=r"probs\[\(0, 1\)\]"):
        xent.nll_from_probs(np.array([[0.5, bad]]), np.array([0]))


# DECISIONS D6: the elementwise functions take rank 0 (or 1) to 8 (specVersion 3); rank 9 is invalid_shape.
ELEMENTWISE = {
    "sigmoid": lambda a: xent.sigmoid(a),
    "log_sigmoid": lambda a: xent.log_sigmoid(a),
    "softplus": lambda a: xent.softplus(a),
    "binary_cross_entropy": lambda a: xent.binary_cross_entropy(a, a, reduction="none"),
    "sigmoid_mse_grad": lambda a: xent.sigmoid_mse_grad(a, a),
    "binary_cross_entropy_with_logits": lambda a: xent.binary_cross_entropy_with_logits(a, a, reduction="none"),
    "binary_cross_entropy_with_logits_grad":
        lambda a: xent.binary_cross_entropy_with_logits_grad(a, a, reduction="none"),
    "sigmoid_focal_loss": lambda a: xent.sigmoid_focal_loss(a, a),
}


@pytest.mark.parametrize("name", list(ELEMENTWISE))
def test_elementwise_rank_9_is_invalid_shape_and_rank_8_is_computed(name):
    call = ELEMENTWISE[name]
    assert np.shape(call(np.full((1, 2, 1, 1, 1, 1, 1, 1), 0.5))) == (1, 2, 1, 1, 1, 1, 1, 1)
    for shape in ((1, 2, 1, 1, 1, 1, 1, 1, 1), (0, 1, 1, 1, 1, 1, 1, 1, 1)):
        with pytest.raises(xent.InvalidShapeError, match="rank 9"):
            call(np.full(shape, 0.5))


# DECISIONS D8: integer targets are never wrapped (issue 13 item 3).
INDEX_FUNCTIONS = {
    "softmax_cross_entropy": lambda t: xent.softmax_cross_entropy(np.zeros((len(t), 2)), t, reduction="none"),
    "softmax_cross_entropy_grad": lambda t: xent.softmax_cross_entropy_grad(np.zeros((len(t), 2)), t),
    "nll_from_probs": lambda t: xent.nll_from_probs(np.full((len(t), 2), 0.5), t, reduction="none"),
    "focal_loss": lambda t: xent.focal_loss(np.zeros((len(t), 2)), t, reduction="none"),
}


@pytest.mark.parametrize("name", list(INDEX_FUNCTIONS))
@pytest.mark.parametrize("value", [2**64 - 100, 2**64 - 1, 2**63])
def test_uint64_targets_are_not_wrapped(name, value):
    # 2**64 - 100 wrapped is -100 (the default ignore_index: a silently ignored row); 2**64 - 1 is -1
    target = np.array([0, value], dtype=np.uint64)
    with pytest.raises(xent.IndexOutOfRangeError) as info:
        INDEX_FUNCTIONS[name](target)
    assert f"target[1] = {value} " in str(info.value)


@pytest.mark.parametrize("name", list(INDEX_FUNCTIONS))
def test_in_range_unsigned_targets_compute_as_int64(name):
    call = INDEX_FUNCTIONS[name]
    for dtype in (np.uint64, np.uint8):
        np.testing.assert_array_equal(call(np.array([1, 0], dtype=dtype)), call(np.array([1, 0])))


def test_an_ignore_index_beyond_int64_ignores_nothing():
    # 2**64 - 100 must not act as -100
    with pytest.raises(xent.IndexOutOfRangeError, match="-100"):
        xent.softmax_cross_entropy(np.zeros((2, 2)), np.array([0, -100]), ignore_index=2**64 - 100)


# DECISIONS D8 / issue 13 item 13: ragged nested lists are the spec's invalid_shape, not numpy's ValueError.
RAGGED = [[1.0, 2.0], [1.0]]
RAGGED_CALLS = {
    "logits": lambda: xent.softmax_cross_entropy(RAGGED, [0, 0]),
    "index target": lambda: xent.softmax_cross_entropy(np.zeros((2, 2)), [[0], [0, 1]]),
    "probability target": lambda: xent.softmax_cross_entropy_grad(np.zeros((2, 2)), RAGGED),
    "weight": lambda: xent.softmax_cross_entropy(np.zeros((2, 2)), [0, 1], weight=RAGGED),
    "probs": lambda: xent.nll_from_probs(RAGGED, [0, 0]),
    "focal target": lambda: xent.focal_loss(np.zeros((2, 2)), [[0], [0, 1]]),
    "softmax x": lambda: xent.softmax(RAGGED, axis=1),
    "sigmoid z": lambda: xent.sigmoid(RAGGED),
    "bce y": lambda: xent.binary_cross_entropy_with_logits(np.zeros((2, 2)), RAGGED),
    "kl q": lambda: xent.kl_divergence([0.5, 0.5], RAGGED),
}


@pytest.mark.parametrize("where", list(RAGGED_CALLS))
def test_ragged_lists_are_invalid_shape(where):
    with pytest.raises(xent.InvalidShapeError, match="ragged"):
        RAGGED_CALLS[where]()
