"""Split and merge (issue 18): online_softmax_merge, lse_merge, cross_entropy_from_shards.

Expected values are mpmath evaluations of the spec's definitions, the shipped softmax_cross_entropy and
logsumexp on the logits the statistics come from (the identity the functions exist for), or exact by
definition (-inf, 0, NaN). Floats are compared in ulps."""
from __future__ import annotations

import math

import ml_dtypes
import mpmath
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import xent
from numeric import ulps
from xent.errors import (IndexOutOfRangeError, InvalidArgumentError, InvalidShapeError, ShapeMismatchError)

INF, NAN = np.inf, np.nan
mpmath.mp.prec = 200


pytestmark = pytest.mark.usefixtures("quiet_numpy")


@pytest.fixture(params=["e", "2"], scope="module")
def base(request):
    return request.param


def _mp_power(base: str, x) -> mpmath.mpf:
    return mpmath.power(2, x) if base == "2" else mpmath.exp(x)


def _exact_state_sum(ms, ds, base) -> float:
    top = max(ms)
    return float(sum(mpmath.mpf(d) * _mp_power(base, mpmath.mpf(m) - top) for m, d in zip(ms, ds)))


def _exact_lse(ls, base) -> float:
    total = sum(_mp_power(base, mpmath.mpf(v)) for v in ls)
    return float(mpmath.log(total, 2) if base == "2" else mpmath.log(total))


# ---------------------------------------------------------------- online_softmax_merge

finite_states = st.lists(st.tuples(st.floats(-50, 50, width=32), st.floats(0, 100, width=32)), min_size=1, max_size=6)


@given(states=finite_states)
def test_merge_of_finite_states_is_the_exact_sum_rounded_once(states, base):
    ms, ds = (np.array(v, dtype=np.float64) for v in zip(*states))
    merged = xent.online_softmax_merge(ms, ds, base=base)
    assert merged[0] == ms.max()
    assert ulps(merged[1], np.float64(_exact_state_sum(ms, ds, base))) <= 1


def test_the_state_of_a_union_is_the_merge_of_the_parts_states():
    """(m, d) of a row equals the merge of its two halves' states (the online softmax's invariant)."""
    row = np.array([0.5, -3.0, 2.25, 1.0, -0.75])
    halves = [row[:2], row[2:]]
    ms = np.array([h.max() for h in halves])
    ds = np.array([np.exp(h - h.max()).sum() for h in halves])
    merged = xent.online_softmax_merge(ms, ds)
    assert merged[0] == row.max()
    assert ulps(merged[1], np.float64(_exact_state_sum(list(row), [1.0] * 5, "e"))) <= 4


def test_base_two_states_are_merged_with_powers_of_two():
    assert xent.online_softmax_merge(np.array([1.0, 3.0]), np.array([2.0, 1.5]), base="2")[1] == 2.0
    assert xent.online_softmax_merge(np.array([1.0, 3.0]), np.array([2.0, 1.5]), base=2)[1] == 2.0
    assert xent.online_softmax_merge(np.array([0.0, -1.0]), np.array([1.0, 1.0]))[1] != 1.5


@pytest.mark.parametrize("ms, ds, want", [
    ([-INF, -INF], [0.0, 0.0], (-INF, 0.0)),       # every partition empty: no -inf - (-inf)
    ([-INF, 1.0], [0.0, 2.0], (1.0, 2.0)),         # an empty partition contributes nothing
    ([INF, 1.0], [2.0, 5.0], (INF, 2.0)),          # the +inf state alone
    ([INF, INF], [1.0, 3.0], (INF, 4.0)),          # two +inf states: their sum
    ([1.0, NAN], [1.0, 2.0], (NAN, NAN)),          # NaN is never swallowed by the maximum
    ([-INF, 2.0], [NAN, 1.0], (NAN, NAN)),         # nor masked by an empty state
    ([-INF, 1.0], [INF, 2.0], (1.0, 2.0)),         # b^(-inf) = 0 whatever d
    ([1.0, 0.0], [1.0, INF], (1.0, INF)),          # an overflowed partial sum
    ([0.0, 0.0], [1.7976931348623157e308] * 2, (0.0, INF)),  # D overflows
])
def test_merge_special_values(ms, ds, want):
    got = xent.online_softmax_merge(np.array(ms), np.array(ds))
    assert ulps(got, np.array(want)) == 0


def test_merge_of_no_states_is_the_empty_state():
    got = xent.online_softmax_merge(np.zeros((0, 3)), np.zeros((0, 3)))
    assert got.shape == (2, 3) and np.all(got[0] == -INF) and np.all(got[1] == 0)


def test_maxima_beyond_the_exponent_range_keep_a_huge_partial_sum():
    """d = 1e308 at 800 below the maximum contributes 1e308 e^-800 (about 3.7e-40): formed at a normal
    scale, not as 1e308 * exp(-800) = 1e308 * 0."""
    got = xent.online_softmax_merge(np.array([0.0, -800.0]), np.array([0.0, 1e308]))
    want = float(mpmath.mpf(1e308) * mpmath.exp(-800))
    assert ulps(got[1], np.float64(want)) <= 1


def test_merge_rounds_once_into_float16_and_bfloat16():
    for dt in (np.float16, ml_dtypes.bfloat16):
        ms, ds = np.array([1, 3], dtype=dt), np.array([2, 1.5], dtype=dt)
        got = xent.online_softmax_merge(ms, ds)
        want = np.array(_exact_state_sum([1, 3], [2, 1.5], "e")).astype(dt)
        assert got.dtype == dt and got[1] == want


@pytest.mark.parametrize("call, error", [
    (lambda: xent.online_softmax_merge(np.ones(2), np.ones(2), base="10"), InvalidArgumentError),
    (lambda: xent.online_softmax_merge(np.float64(1), np.ones(1)), InvalidShapeError),
    (lambda: xent.online_softmax_merge(np.ones(2), np.ones(3)), ShapeMismatchError),
    (lambda: xent.online_softmax_merge(np.ones(2), np.array([1.0, -0.5])), InvalidArgumentError),
    (lambda: xent.online_softmax_merge(np.float64(1), np.ones(1), base="ln"), InvalidArgumentError),  # step 1 first
    (lambda: xent.online_softmax_merge(np.ones(2), -np.ones(3)), ShapeMismatchError),  # step 3 before 4
])
def test_merge_errors_in_precedence_order(call, error):
    with pytest.raises(error):
        call()


# ---------------------------------------------------------------- lse_merge

@given(values=st.lists(st.floats(-100, 100, width=32), min_size=1, max_size=8))
def test_lse_merge_is_the_exact_log_sum_exp(values, base):
    got = xent.lse_merge(np.array(values), base=base)
    want = np.float64(_exact_lse(values, base))
    bound = 2 + 4 * sum(abs(v) for v in values) / max(abs(float(want)), 1e-300)  # accurate: kappa <= sum |lse_i|
    assert ulps(got, want) <= bound


def test_lse_merge_of_partitions_is_the_logsumexp_of_the_row(dtype):
    row = np.array([0.5, -3.0, 2.25, 1.0, -0.75, 4.0], dtype=dtype)
    parts = np.array([xent.logsumexp(row[:1]), xent.logsumexp(row[1:4]), xent.logsumexp(row[4:])], dtype=dtype)
    assert ulps(xent.lse_merge(parts), xent.logsumexp(row)) <= 2


def test_lse_merge_base_two_is_exact_where_the_sum_is_a_power_of_two():
    assert xent.lse_merge(np.array([0.0, 0.0]), base="2") == 1.0
    assert abs(xent.lse_merge(np.array([-1.0, -1.0]), base="2")) < 1e-20
    assert xent.lse_merge(np.array([0.0, 0.0])) == np.float64(math.log(2))


@pytest.mark.parametrize("values, want", [
    ([-INF, -INF], -INF), ([-INF], -INF), ([-INF, 2.0], 2.0), ([INF, 0.0], INF), ([INF, INF], INF),
    ([1.0, NAN], NAN), ([INF, NAN], NAN), ([-INF, INF], INF),
])
def test_lse_merge_special_values(values, want, base):
    assert ulps(xent.lse_merge(np.array(values), base=base), np.float64(want)) == 0


def test_lse_merge_of_no_partitions_is_minus_infinity():
    assert xent.lse_merge(np.zeros(0)) == -INF
    assert np.all(xent.lse_merge(np.zeros((0, 2))) == -INF)


def test_lse_merge_far_apart_partitions():
    assert xent.lse_merge(np.array([0.0, -2000.0])) == 0.0
    assert xent.lse_merge(np.array([1000.0, -1000.0])) == 1000.0
    assert xent.lse_merge(np.array([1.7976931348623157e308] * 2)) == 1.7976931348623157e308


@pytest.mark.parametrize("call, error", [
    (lambda: xent.lse_merge(np.ones(2), base="E"), InvalidArgumentError),
    (lambda: xent.lse_merge(np.float64(1)), InvalidShapeError),
    (lambda: xent.lse_merge(np.ones((1,) * 9)), InvalidShapeError),
    (lambda: xent.lse_merge(np.float64(1), base="10"), InvalidArgumentError),
])
def test_lse_merge_errors(call, error):
    with pytest.raises(error):
        call()


# ---------------------------------------------------------------- cross_entropy_from_shards

def shard_statistics(logits: np.ndarray, sizes: list[int], weight: np.ndarray | None = None):
    """[S, N] shard lse and weighted logit sums of logits [N, C] split into consecutive shards."""
    w = np.ones(logits.shape[1]) if weight is None else weight
    ends = np.cumsum(sizes)
    bounds = list(zip(ends - sizes, ends))
    lse = np.array([[xent.logsumexp(row[a:b]) if b > a else -INF for row in logits] for a, b in bounds])
    sums = np.array([[float(mpmath.fsum(mpmath.mpf(x) * mpmath.mpf(c) for x, c in zip(row[a:b], w[a:b])))
                      for row in logits] for a, b in bounds])
    return lse, sums


@pytest.fixture
def batch():
    logits = np.array([[0.5, -1.0, 2.0, 1.5, 3.0], [1.0, 0.0, -2.0, 0.25, -0.5], [2.0, 2.0, 1.0, 0.0, 4.0]])
    return logits, np.array([4, 0, 2])


@pytest.mark.parametrize("sizes", [[5], [2, 3], [2, 0, 3], [0, 5], [1, 1, 1, 1, 1]])
@pytest.mark.parametrize("options", [
    {}, {"reduction": "none"}, {"reduction": "sum"},
    {"label_smoothing": 0.1, "reduction": "none"},
    {"label_smoothing": 0.2, "label_smoothing_mode": "off_target", "reduction": "none"},
    {"label_smoothing": 0.1, "weight": np.array([0.5, 2.0, 1.0, 1.5, 0.25])},
    {"label_smoothing": 0.3, "label_smoothing_mode": "off_target", "weight": np.array([0.5, 2.0, 1.0, 1.5, 0.25])},
    {"ignore_index": 0, "weight": np.array([0.5, 2.0, 1.0, 1.5, 0.25])},
])
def test_loss_from_shards_is_the_cross_entropy_of_the_logits(batch, sizes, options):
    """The spec's identity: the shard statistics of a logit matrix give its softmax_cross_entropy."""
    logits, target = batch
    lse, sums = shard_statistics(logits, sizes, options.get("weight"))
    got = xent.cross_entropy_from_shards(lse, sums, logits[np.arange(3), target], target, np.array(sizes), **options)
    want = xent.softmax_cross_entropy(logits, target, **options)
    assert ulps(got, want) <= 8  # the statistics themselves are rounded (a few ulps of the lse)


def test_smoothing_divides_by_the_whole_vocabulary_not_the_shard(batch):
    logits, target = batch
    lse, sums = shard_statistics(logits, [1, 4])
    got = xent.cross_entropy_from_shards(lse, sums, logits[np.arange(3), target], target, np.array([1, 4]),
                                         label_smoothing=0.5, reduction="none")
    local = xent.cross_entropy_from_shards(lse, sums, logits[np.arange(3), target], target, np.array([1, 4]),
                                           label_smoothing=0.5 * 4 / 5, reduction="none")
    assert ulps(got, xent.softmax_cross_entropy(logits, target, label_smoothing=0.5, reduction="none")) <= 8
    assert ulps(got, local) > 1e6


def test_the_mean_is_one_sum_over_one_denominator(batch):
    logits, target = batch
    weight = np.array([0.5, 2.0, 1.0, 1.5, 0.25])
    lse, sums = shard_statistics(logits, [2, 3], weight)
    args = (lse, sums, logits[np.arange(3), target], target, np.array([2, 3]))
    losses = xent.cross_entropy_from_shards(*args, weight=weight, reduction="none")
    mean = xent.cross_entropy_from_shards(*args, weight=weight)
    assert ulps(mean, np.float64(losses.sum() / weight[target].sum())) <= 2


def test_ignored_positions_are_not_read_and_all_ignored_means_are_nan_or_zero():
    lse = np.array([[1.0, NAN], [2.0, INF]])
    sums = np.array([[1.0, NAN], [3.0, 0.0]])
    args = (lse, sums, np.array([1.0, NAN]), np.array([0, -100]), np.array([2, 2]))
    assert math.isfinite(xent.cross_entropy_from_shards(*args))
    ignored = (lse, sums, np.array([1.0, NAN]), np.array([-100, -100]), np.array([2, 2]))
    assert math.isnan(xent.cross_entropy_from_shards(*ignored))
    assert xent.cross_entropy_from_shards(*ignored, empty_mean="zero") == 0.0
    assert xent.cross_entropy_from_shards(*ignored, reduction="sum") == 0.0


@pytest.mark.parametrize("lse, sums, x_y, options, want", [
    ([[1.0], [INF]], [[1.0], [3.0]], [1.0], {}, INF),            # L = +inf, finite target logit
    ([[INF], [1.0]], [[INF], [3.0]], [INF], {}, NAN),            # inf - inf
    ([[-INF], [-INF]], [[-INF], [-INF]], [-INF], {}, NAN),       # all -inf: -inf - (-inf)
    ([[1.0], [0.5]], [[NAN], [3.0]], [1.0], {}, None),           # eps = 0: logit sums not read (finite)
    ([[1.0], [0.5]], [[NAN], [3.0]], [1.0], {"label_smoothing": 0.1}, NAN),
    ([[INF], [1.0]], [[1.0], [3.0]], [1.0], {"weight": np.array([0.0, 1, 1, 1])}, 0.0),  # 0 * inf = 0 (D4)
    ([[1.0], [1.0]], [[1.0], [3.0]], [NAN], {"weight": np.array([0.0, 1, 1, 1])}, NAN),  # NaN never masked
])
def test_non_finite_statistics(lse, sums, x_y, options, want):
    got = xent.cross_entropy_from_shards(np.array(lse), np.array(sums), np.array(x_y), np.array([0]),
                                         np.array([2, 2]), reduction="none", **options)
    if want is None:
        assert np.isfinite(got).all()
    else:
        assert ulps(got, np.array([want])) == 0


def test_float16_and_bfloat16_round_once(batch):
    logits, target = batch
    lse, sums = shard_statistics(logits, [2, 3])
    x_y = logits[np.arange(3), target]
    for dt in (np.float16, ml_dtypes.bfloat16):
        got = xent.cross_entropy_from_shards(lse.astype(dt), sums.astype(dt), x_y.astype(dt), target, np.array([2, 3]),
                                             reduction="none")
        wide = xent.cross_entropy_from_shards(lse.astype(dt).astype(np.float64), sums.astype(dt).astype(np.float64),
                                              x_y.astype(dt).astype(np.float64), target, np.array([2, 3]),
                                              reduction="none")
        assert got.dtype == dt and np.array_equal(got, wide.astype(dt))


GOOD = dict(shard_lse=np.array([[1.0, 0.0], [2.0, 1.0]]), shard_logit_sum=np.array([[1.0, 0.0], [3.0, 1.0]]),
            target_logit=np.array([1.0, 0.0]), target=np.array([0, 3]), shard_size=np.array([2, 2]))


@pytest.mark.parametrize("changes, error", [
    ({"label_smoothing": 1.5}, InvalidArgumentError),
    ({"label_smoothing_mode": "local"}, InvalidArgumentError),
    ({"empty_mean": "one"}, InvalidArgumentError),
    ({"shard_lse": np.ones(2)}, InvalidShapeError),
    ({"shard_size": np.array([0, 0])}, InvalidShapeError),
    ({"shard_logit_sum": np.ones((2, 3))}, ShapeMismatchError),
    ({"target": np.array([0])}, ShapeMismatchError),
    ({"shard_size": np.array([2, 1, 1])}, ShapeMismatchError),
    ({"weight": np.ones(3)}, ShapeMismatchError),
    ({"shard_size": np.array([3, -1]), "target": np.array([0, 1])}, InvalidArgumentError),
    ({"weight": np.array([1.0, -1.0, 1.0, 1.0])}, InvalidArgumentError),
    ({"target": np.array([0, 4])}, IndexOutOfRangeError),
    ({"label_smoothing": -0.5, "shard_lse": np.ones(2)}, InvalidArgumentError),          # step 1 before 2
    ({"shard_size": np.array([3, -2]), "weight": np.ones(3)}, ShapeMismatchError),       # step 3 before 4
    ({"shard_size": np.array([3, -1]), "target": np.array([0, 9])}, InvalidArgumentError),  # sizes before targets
])
def test_shard_errors_in_precedence_order(changes, error):
    args = GOOD | changes
    with pytest.raises(error):
        xent.cross_entropy_from_shards(args.pop("shard_lse"), args.pop("shard_logit_sum"), args.pop("target_logit"),
                                       args.pop("target"), args.pop("shard_size"), **args)


def test_off_target_needs_two_classes():
    with pytest.raises(InvalidArgumentError):
        xent.cross_entropy_from_shards(np.ones((1, 1)), np.ones((1, 1)), np.ones(1), np.array([0]), np.array([1]),
                                       label_smoothing=0.1, label_smoothing_mode="off_target")


# ---------------------------------------------------------------- found by the fuzz tier

def test_tiny_terms_are_summed_before_rounding_to_the_subnormal_grid():
    """lse([0, -745, -745]) = log1p(2 e^-745), about 1.14 * 2^-1074: 1 subnormal ulp, not 2 or 4."""
    want = np.float64(float(mpmath.log1p(2 * mpmath.exp(-745))))
    assert xent.lse_merge(np.array([0.0, -745.0, -745.0])) == want == 5e-324
    assert xent.online_softmax_merge(np.array([0.0, -745.0, -745.0]), np.array([0.0, 1.0, 1.0]))[1] == want


def test_a_mean_of_losses_near_the_largest_float_does_not_overflow():
    mx = np.finfo(np.float64).max
    args = (np.zeros((1, 2)), np.zeros((1, 2)), np.array([-mx, -mx]), np.array([0, 0]), np.array([1]))
    assert xent.cross_entropy_from_shards(*args) == mx
    assert xent.cross_entropy_from_shards(*args, reduction="sum") == INF
    mixed = (np.zeros((1, 2)), np.zeros((1, 2)), np.array([INF, -mx]), np.array([0, 0]), np.array([1]))
    assert xent.cross_entropy_from_shards(*mixed, weight=np.array([2.0])) == -INF  # -inf + 2 max, not inf - inf


def test_finite_parts_of_a_non_finite_loss_are_exact():
    """eps = 1, W L = 2 max (finite exactly) and a logit sum of +inf: -inf, not inf - inf = NaN."""
    mx = np.finfo(np.float64).max
    got = xent.cross_entropy_from_shards(np.array([[0.0], [0.0], [mx]]), np.array([[INF], [0.0], [0.0]]),
                                         np.array([0.0]), np.array([0]), np.array([0, 0, 2]), label_smoothing=1.0,
                                         ignore_index=None, reduction="none")
    assert got[0] == -INF
