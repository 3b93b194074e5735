"""The class mask `where` and the extra outputs `result` of softmax_cross_entropy (specVersion 4, issue 17).

Expected values come from the spec's definition applied with the same package on other inputs (the
excluded classes removed from the row, the target re-indexed), from mpmath evaluations, or are exact by
definition (0, -inf, NaN); floats are compared in ulps.
"""
from __future__ import annotations

import mpmath
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import xent
from numeric import ulps
from xent import adapter
from xent.errors import InvalidArgumentError, InvalidShapeError, ShapeMismatchError

INF, NAN = np.inf, np.nan


pytestmark = pytest.mark.usefixtures("quiet_numpy")


rows = st.lists(st.floats(-20, 20, allow_nan=False, width=32), min_size=8, max_size=8)
masks = st.lists(st.booleans(), min_size=4, max_size=4).filter(lambda m: sum(m) >= 2)


def _sub_problem(values, mask, dtype):
    """Two positions of C = 4 whose targets are included classes, and the same problem on the included
    classes only (the spec: an excluded class is out of the row)."""
    logits = np.array(values, dtype=dtype).reshape(2, 4)
    keep = np.flatnonzero(mask)
    target = np.array([keep[0], keep[-1]])
    remapped = np.array([0, len(keep) - 1])
    return logits, target, logits[:, keep], remapped, keep


@settings(max_examples=40, deadline=None)
@given(values=rows, mask=masks)
def test_a_class_mask_is_the_loss_of_the_included_classes(values, mask):
    logits, target, sub, remapped, _ = _sub_problem(values, mask, np.float64)
    got = xent.softmax_cross_entropy(logits, target, where=np.array(mask), reduction="none")
    assert ulps(got, xent.softmax_cross_entropy(sub, remapped, reduction="none")) <= 2


@settings(max_examples=40, deadline=None)
@given(values=rows, mask=masks)
def test_a_masked_gradient_is_the_included_classes_gradient_and_exactly_zero_elsewhere(values, mask):
    logits, target, sub, remapped, keep = _sub_problem(values, mask, np.float64)
    got = xent.softmax_cross_entropy_grad(logits, target, where=np.array(mask), reduction="sum")
    assert ulps(got[:, keep], xent.softmax_cross_entropy_grad(sub, remapped, reduction="sum")) <= 2
    assert np.all(got[:, ~np.array(mask)] == 0)


@pytest.mark.parametrize("junk", [NAN, INF, -INF, 1e300])
def test_an_excluded_logit_is_never_read(junk, dtype):
    logits = np.array([[1.0, junk, 3.0], [0.5, junk, -1.0]], dtype=dtype)
    clean = np.where(np.isfinite(logits) & (np.abs(logits) < 1e30), logits, 0.0).astype(dtype)
    where = np.array([True, False, True])
    for function in (xent.softmax_cross_entropy, xent.softmax_cross_entropy_grad):
        got = function(logits, np.array([0, 2]), where=where, reduction="none")
        want = function(clean, np.array([0, 2]), where=where, reduction="none")
        assert np.array_equal(got, want)


def test_an_excluded_target_drops_its_mass(dtype):
    """Without smoothing the position's loss and gradient are exactly 0 (optax's probability-label rule;
    its integer-label function would give lse(included) - x_y, here 1.1269)."""
    logits = np.array([[1.0, 2.0, 3.0]], dtype=dtype)
    where = np.array([True, False, True])
    assert xent.softmax_cross_entropy(logits, np.array([1]), where=where, reduction="none")[0] == 0
    assert np.all(xent.softmax_cross_entropy_grad(logits, np.array([1]), where=where, reduction="none") == 0)


def test_smoothing_keeps_c_the_number_of_classes():
    """eps / C with C = 4 on the included classes, checked at 60 digits."""
    logits, eps = np.array([[1.0, 2.0, 3.0, -1.0]]), 0.25
    got = xent.softmax_cross_entropy(logits, np.array([0]), where=np.array([True, False, True, True]),
                                     label_smoothing=eps, reduction="none")
    with mpmath.workdps(60):
        included = [mpmath.mpf(v) for v in (1.0, 3.0, -1.0)]
        lse = mpmath.log(mpmath.fsum(mpmath.exp(v) for v in included))
        mass = [1 - mpmath.mpf(eps) + mpmath.mpf(eps) / 4] + [mpmath.mpf(eps) / 4] * 2
        want = float(mpmath.fsum(m * (lse - v) for m, v in zip(mass, included)))
    assert ulps(got, np.array([want])) <= 2


def test_a_position_with_no_included_class_is_zero_but_counted(dtype):
    logits = np.array([[1.0, 2.0, 3.0], [NAN, INF, 1.0]], dtype=dtype)
    where = np.array([[True, True, True], [False, False, False]])
    per = xent.softmax_cross_entropy(logits, np.array([0, 1]), where=where, reduction="none")
    assert per[1] == 0
    mean = xent.softmax_cross_entropy(logits, np.array([0, 1]), where=where)
    assert ulps(mean, (per[0] / 2).astype(dtype)) <= 1
    grad = xent.softmax_cross_entropy_grad(logits, np.array([0, 1]), where=where)
    assert np.all(grad[1] == 0) and np.all(np.isfinite(grad[0]))


@pytest.mark.parametrize("v", [INF, NAN])
@pytest.mark.parametrize("where", [np.array([True, False, True]), np.array([[True, False, True], [False] * 3])])
def test_an_excluded_class_never_reads_grad_output(v, where, dtype):
    """Under grad_output an excluded class (and a position with no included class) stays exactly 0, as an
    ignored position does: inf or NaN upstream is never multiplied in (vectors 8720-8721)."""
    logits = np.array([[1.0, 2.0, 3.0], [0.5, -1.0, 2.0]], dtype=dtype)
    grad = xent.softmax_cross_entropy_grad(logits, np.array([0, 2]), where=where, reduction="none",
                                           grad_output=np.array([v, v], dtype=dtype))
    excluded = ~np.broadcast_to(where, logits.shape)
    assert np.all(grad[excluded] == 0)


def test_d3_still_fills_excluded_classes_with_nan():
    grad = xent.softmax_cross_entropy_grad(np.array([[1.0, 2.0, 3.0]]), np.array([-100]),
                                           where=np.array([True, False, True]))
    assert np.all(np.isnan(grad))


def test_z_loss_uses_the_masked_lse():
    logits = np.array([[1.0, 4.0, 3.0]])
    where = np.array([True, False, True])
    got = xent.softmax_cross_entropy(logits, np.array([0]), where=where, z_loss=0.5, result="z_loss",
                                     reduction="none")
    with mpmath.workdps(60):
        lse = mpmath.log(mpmath.exp(1) + mpmath.exp(3))
        assert ulps(got, np.array([float(lse * lse / 2)])) <= 2


def test_result_lse_covers_every_position_and_is_not_reduced(dtype):
    logits = np.array([[1.0, 2.0, 3.0], [NAN, 0.0, 0.0], [0.0, -40.0, 5.0]], dtype=dtype)
    where = np.array([[True, True, True], [True, True, True], [False, False, False]])
    got = xent.softmax_cross_entropy(logits, np.array([2, -100, 0]), where=where, result="lse", reduction="mean")
    assert got.shape == (3,)
    assert ulps(got[0], xent.logsumexp(logits[0])) <= 1
    assert np.isnan(got[1]) and got[2] == -INF


def test_result_lse_of_the_scaled_capped_logits():
    got = xent.softmax_cross_entropy(np.array([[1.0, 2.0, 3.0]]), np.array([0]), logit_scale=2.0, softcap=3.0,
                                     result="lse", reduction="sum")
    with mpmath.workdps(60):
        want = mpmath.log(mpmath.fsum(mpmath.exp(3 * mpmath.tanh(2 * mpmath.mpf(v) / 3)) for v in (1, 2, 3)))
    assert ulps(got, np.array([float(want)])) <= 2


@pytest.mark.parametrize("reduction", ["none", "sum", "mean"])
def test_result_z_loss_is_reduced_like_the_loss_over_the_kept_positions(reduction, dtype):
    """mean divides by K = 2 kept positions, never by the class weights."""
    logits = np.array([[1.0, 2.0, 3.0], [3.0, 2.0, 1.0], [0.0, 0.0, 1.0]], dtype=dtype)
    target, z = np.array([0, -100, 2]), 0.5
    terms = np.array([z * xent.logsumexp(row.astype(np.float64)) ** 2 for row in logits]) * [1, 0, 1]
    want = {"none": terms, "sum": terms.sum(), "mean": terms.sum() / 2}[reduction]
    got = xent.softmax_cross_entropy(logits, target, weight=np.array([2.0, 1.0, 0.5], dtype=dtype), z_loss=z,
                                     result="z_loss", reduction=reduction)
    assert ulps(got, np.asarray(want).astype(dtype)) <= 2


def test_result_z_loss_without_a_z_loss_is_zero_even_for_an_empty_mean():
    got = xent.softmax_cross_entropy(np.array([[1.0, NAN]]), np.array([-100]), result="z_loss")
    assert got == 0


def test_result_z_loss_of_an_all_ignored_mean_follows_empty_mean():
    args = (np.array([[1.0, 2.0]]), np.array([-100]))
    assert np.isnan(xent.softmax_cross_entropy(*args, z_loss=0.5, result="z_loss"))
    assert xent.softmax_cross_entropy(*args, z_loss=0.5, result="z_loss", empty_mean="zero") == 0


@pytest.mark.parametrize("half", ["float16", "bfloat16"])
def test_sixteen_bit_inputs_round_the_float64_result_once(half):
    import ml_dtypes
    dt = np.dtype(np.float16) if half == "float16" else np.dtype(ml_dtypes.bfloat16)
    logits = np.array([[1.0, 2.0, 3.0], [0.5, -1.0, 2.0]], dtype=dt)
    where = np.array([True, False, True])
    for kwargs in ({"where": where}, {"where": where, "result": "lse"}):
        got = xent.softmax_cross_entropy(logits, np.array([0, 2]), reduction="none", **kwargs)
        want = xent.softmax_cross_entropy(logits.astype(np.float64), np.array([0, 2]), reduction="none", **kwargs)
        assert got.dtype == dt and np.array_equal(got, want.astype(dt))


@pytest.mark.parametrize("function", [xent.softmax_cross_entropy, xent.softmax_cross_entropy_grad])
@pytest.mark.parametrize("shape", [(2,), (3, 2), (1, 3)])
def test_a_mask_of_another_shape_is_a_shape_mismatch_before_values(function, shape):
    """Step 3: checked before the negative weight and the out-of-range target (step 4)."""
    with pytest.raises(ShapeMismatchError):
        function(np.zeros((2, 3)), np.array([7, 0]), weight=np.array([1.0, -1.0, 1.0]),
                 where=np.ones(shape, dtype=bool))


def test_a_wrong_mask_with_rank_one_logits_is_invalid_shape():
    with pytest.raises(InvalidShapeError):
        xent.softmax_cross_entropy(np.zeros(3), np.array([0]), where=np.ones(2, dtype=bool))


def test_a_mask_must_be_bool():
    with pytest.raises(InvalidArgumentError):
        xent.softmax_cross_entropy(np.zeros((1, 3)), np.array([0]), where=np.ones(3))


def test_an_unknown_result_is_invalid_argument_first():
    with pytest.raises(InvalidArgumentError):
        xent.softmax_cross_entropy(np.zeros(3), np.array([0]), result="logits")


def test_the_adapter_reads_bool_tensors_and_refuses_other_data():
    case = {"id": "a", "function": "softmax_cross_entropy", "dtype": "float64",
            "inputs": {"logits": {"dtype": "float64", "shape": [1, 3], "data": ["0x1p+0", "0x1p+1", "nan"]},
                       "target": {"dtype": "int64", "shape": [1], "data": [0]}},
            "params": {"reduction": "none", "where": {"dtype": "bool", "shape": [3], "data": [True, True, False]}}}
    answer = adapter.run_case(case)
    assert ulps(float.fromhex(answer["output"]["data"][0]), np.float64(1 + np.log1p(np.exp(-1.0)))) <= 2
    for bad in ([1, 1, 0], ["true", True, False]):
        case["params"]["where"]["data"] = bad
        assert adapter.run_case(case)["error"]["kind"] == "bad_request"
    case["params"]["where"] = {"dtype": "float64", "shape": [3], "data": ["0x1p+0"] * 3}
    assert adapter.run_case(case)["error"]["kind"] == "bad_request"


def test_result_z_loss_is_z_lse_squared_with_logsumexps_infinities():
    """specVersion 4: the z-loss term is z lse^2 with lse as logsumexp gives it, +inf for one or two +inf
    and for only -inf included logits (version 3 gave NaN where the cross-entropy has no limit: the
    leaderboard's spec question, torch.logsumexp gives +inf there); a position with no included class
    stays 0 and a NaN logit gives NaN."""
    logits = np.array([[INF, INF, 0.0], [INF, 0.0, 0.0], [-INF, -INF, -INF], [-INF, -INF, 1.0], [NAN, 0.0, 1.0]])
    where = np.array([[True] * 3, [True] * 3, [True] * 3, [True, True, False], [True] * 3])
    target = np.array([0, 0, 0, 0, 0])
    got = xent.softmax_cross_entropy(logits, target, z_loss=0.5, result="z_loss", reduction="none")
    assert got[0] == INF and got[1] == INF and got[2] == INF and np.isnan(got[4])
    masked = xent.softmax_cross_entropy(logits, target, z_loss=0.5, result="z_loss", reduction="none", where=where)
    assert masked[3] == INF
    empty = xent.softmax_cross_entropy(logits[3:4], np.array([0]), z_loss=0.5, result="z_loss", reduction="none",
                                       where=np.array([False, False, False]))
    assert empty[0] == 0
