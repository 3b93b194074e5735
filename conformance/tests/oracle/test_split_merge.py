"""The oracle's split-and-merge kernels (issue 18): exact results certify as points (base-2 powers of two,
rational losses that are rounding midpoints), special values, and the identities the functions exist
for, checked against the oracle's own logsumexp and softmax_cross_entropy."""
from __future__ import annotations

import math

import mpmath
import pytest

from xent_conformance.dtypes import DTYPES
from xent_conformance.oracle import evaluate
from xent_conformance.tensor import INT_DTYPE, Tensor

F64 = DTYPES["float64"]
INF, NAN = math.inf, math.nan
CE_DEFAULTS = dict(weight=None, ignore_index=-100, label_smoothing=0.0, label_smoothing_mode="uniform",
                   reduction="mean", empty_mean="nan")


def floats(shape, data, dtype="float64"):
    return Tensor(dtype, tuple(shape), tuple(float(v) for v in data))


def ints(shape, data):
    return Tensor(INT_DTYPE, tuple(shape), tuple(data))


def rounded(function, inputs, params, dtype=F64):
    shape, certified, _ = evaluate(function, inputs, params, dtype)
    return shape, [c.rounded for c in certified]


def test_base_two_results_that_are_exact_certify():
    assert rounded("lse_merge", {"lse": floats([2], [-1, -1])}, {"base": "2"})[1] == [0.0]
    assert rounded("lse_merge", {"lse": floats([2], [0.5, 0.5])}, {"base": "2"})[1] == [1.5]
    assert rounded("online_softmax_merge", {"m": floats([2], [1, 3]), "d": floats([2], [2, 1.5])},
                   {"base": "2"})[1] == [3.0, 2.0]


def test_a_mean_that_is_a_rounding_midpoint_certifies():
    """Losses 1, 1 and 1 + 3 * 2^-53 (single live shards: rational): the mean 1 + 2^-53 is the midpoint
    between 1 and its successor and rounds to even, 1. The division must be exact, not 1/3 times."""
    x_y = 1 - 3 * 2.0 ** -53
    inputs = {"shard_lse": floats([1, 3], [1, 1, 2]), "shard_logit_sum": floats([1, 3], [0, 0, 0]),
              "target_logit": floats([3], [0, 0, x_y]), "target": ints([3], [0, 0, 0]), "shard_size": ints([1], [2])}
    assert rounded("cross_entropy_from_shards", inputs, CE_DEFAULTS)[1] == [1.0]


@pytest.mark.parametrize("m, d, want", [
    ([-INF, -INF], [0, 0], [-INF, 0.0]), ([INF, 1], [2, 5], [INF, 2.0]), ([1, NAN], [1, 2], [NAN, NAN]),
    ([-INF, 1], [INF, 2], [1.0, 2.0]), ([1, 0], [1, INF], [1.0, INF]),
])
def test_merge_special_values(m, d, want):
    got = rounded("online_softmax_merge", {"m": floats([2], m), "d": floats([2], d)}, {"base": "e"})[1]
    assert [repr(v) for v in got] == [repr(v) for v in want]


def test_no_states_merge_to_the_empty_state():
    shape, got = rounded("online_softmax_merge", {"m": floats([0, 3], []), "d": floats([0, 3], [])}, {"base": "e"})
    assert shape == (2, 3) and got == [-INF] * 3 + [0.0] * 3
    assert rounded("lse_merge", {"lse": floats([0, 2], [])}, {"base": "2"}) == ((2,), [-INF, -INF])


def test_merged_partial_lse_is_the_logsumexp_of_the_row():
    """lse_merge of exact partial lse (here the partitions are single entries) is logsumexp's value."""
    row = [0.5, -3.0, 2.25, 1.0]
    merged = rounded("lse_merge", {"lse": floats([4], row)}, {"base": "e"})[1]
    assert merged == rounded("logsumexp", {"x": floats([4], row)}, {"axis": -1})[1]


def test_loss_from_one_entry_shards_is_softmax_cross_entropy():
    """Shards of one class each: shard_lse is the logit itself, the logit sum too (exact statistics)."""
    logits, target = [0.5, -3.0, 2.25, 1.0], 2
    inputs = {"shard_lse": floats([4, 1], logits), "shard_logit_sum": floats([4, 1], logits),
              "target_logit": floats([1], [logits[target]]), "target": ints([1], [target]),
              "shard_size": ints([4], [1, 1, 1, 1])}
    for smoothing in ({}, {"label_smoothing": 0.25}, {"label_smoothing": 0.25, "label_smoothing_mode": "off_target"}):
        params = CE_DEFAULTS | smoothing
        sce = dict(weight=None, ignore_index=-100, label_smoothing=0.0, label_smoothing_mode="uniform",
                   reduction="mean") | smoothing
        want = rounded("softmax_cross_entropy", {"logits": floats([1, 4], logits), "target": ints([1], [target])}, sce)
        assert rounded("cross_entropy_from_shards", inputs, params)[1] == want[1]


def test_kappa_of_the_merged_sum_counts_the_exponent_term():
    """D = 1 + e^-2 from (0, 1), (-2, 1): kappa = 1 + e^-2 (1 + 2) (the spec's sum_i t_i plus t_i |m_i|)."""
    _, certified, _ = evaluate("online_softmax_merge", {"m": floats([2], [0, -2]), "d": floats([2], [1, 1])},
                               {"base": "e"}, F64)
    with mpmath.workprec(100):
        assert abs(certified[1].kappa - (1 + 3 * mpmath.exp(-2))) < 1e-25
