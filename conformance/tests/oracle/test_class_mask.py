"""The oracle's class mask `where` and extra outputs `result` (specVersion 4, issue 17), checked on its
certified exact values against the same oracle on the row without the excluded classes, against logsumexp,
and on the values the spec fixes exactly (0, -inf)."""
import math

import mpmath
from hypothesis import given, settings
from hypothesis import strategies as st

from xent_conformance.dtypes import FLOAT64
from xent_conformance.oracle import evaluate
from xent_conformance.tensor import Tensor

BASE = dict(weight=None, ignore_index=-100, label_smoothing=0.0, label_smoothing_mode="uniform", reduction="none",
            logit_scale=1.0, softcap=None, z_loss=0.0, empty_mean="nan")
# dyadic logits, exact in float64; NaN and infinities allowed where the mask excludes them
rows = st.lists(st.integers(-2000, 2000).map(lambda k: k / 64), min_size=4, max_size=4)
masks = st.lists(st.booleans(), min_size=4, max_size=4).filter(lambda m: sum(m) >= 1)


def exact(function, inputs, **params):
    defaults = BASE if function.startswith("softmax_cross_entropy") else {}
    _, certified, _ = evaluate(function, inputs, {**defaults, **params}, FLOAT64)
    return [mpmath.mpf(c.exact) for c in certified]


def problem(x, y):
    return {"logits": Tensor("float64", (1, len(x)), tuple(map(float, x))), "target": Tensor("int64", (1,), (y,))}


def mask(values):
    return Tensor("bool", (len(values),), tuple(values))


@settings(max_examples=30, deadline=None)
@given(rows, masks, st.data(), st.sampled_from([0.0, 0.25]), st.sampled_from([None, 3.0]))
def test_a_mask_is_the_loss_of_the_included_classes(x, m, data, eps, cap):
    keep = [c for c in range(4) if m[c]]
    y = data.draw(st.sampled_from(keep))
    junk = [v if m[c] else math.nan for c, v in enumerate(x)]  # never read
    if eps and len(keep) < 4:
        eps = 0.0  # smoothing's C stays 4 under a mask (eps / 4 per included class): not the sub-row's eps / 3
    with mpmath.workprec(200):
        (sub,) = exact("softmax_cross_entropy", problem([x[c] for c in keep], keep.index(y)),
                       softcap=cap, label_smoothing=eps)
        (masked,) = exact("softmax_cross_entropy", problem(junk, y), where=mask(m), softcap=cap, label_smoothing=eps)
        assert abs(masked - sub) <= mpmath.mpf(10) ** -30 * (1 + abs(sub))


@settings(max_examples=30, deadline=None)
@given(rows, masks, st.data())
def test_an_excluded_class_has_gradient_zero_and_the_rest_is_the_sub_row_gradient(x, m, data):
    keep = [c for c in range(4) if m[c]]
    y = data.draw(st.sampled_from(keep))
    with mpmath.workprec(200):
        grad = exact("softmax_cross_entropy_grad", problem(x, y), where=mask(m))
        sub = exact("softmax_cross_entropy_grad", problem([x[c] for c in keep], keep.index(y)))
        for c in range(4):
            if not m[c]:
                assert grad[c] == 0
        for g, s in zip([grad[c] for c in keep], sub):
            assert abs(g - s) <= mpmath.mpf(10) ** -30


def test_an_excluded_target_and_an_empty_position():
    inputs = {"logits": Tensor("float64", (2, 3), (1.0, 2.0, 3.0, math.nan, math.inf, 1.0)),
              "target": Tensor("int64", (2,), (1, 0))}
    where = Tensor("bool", (2, 3), (True, False, True, False, False, False))
    assert exact("softmax_cross_entropy", inputs, where=where) == [0, 0]
    (mean,) = exact("softmax_cross_entropy", inputs, where=where, reduction="mean")
    assert mean == 0  # 0 / 2: the empty position is counted, not ignored
    assert exact("softmax_cross_entropy", inputs, where=where, result="lse")[1] == -math.inf


@settings(max_examples=20, deadline=None)
@given(rows)
def test_result_lse_is_logsumexp_and_result_z_loss_is_its_square(x):
    with mpmath.workprec(200):
        (lse,) = exact("logsumexp", {"x": Tensor("float64", (4,), tuple(map(float, x)))}, axis=-1)
        (got,) = exact("softmax_cross_entropy", problem(x, 0), result="lse", reduction="mean")
        (z,) = exact("softmax_cross_entropy", problem(x, 0), result="z_loss", z_loss=0.5, reduction="sum")
        assert abs(got - lse) <= mpmath.mpf(10) ** -30 * (1 + abs(lse))
        assert abs(z - lse * lse / 2) <= mpmath.mpf(10) ** -30 * (1 + lse * lse)
