"""Central comparison: both levels, error kinds, acceptable outputs, wrong shapes and dtypes."""
from __future__ import annotations

import dataclasses
import math

from xent_conformance.harness.compare import compare
from xent_conformance.harness.protocol import Answer
from xent_conformance.harness.vectors import Acceptable, load_vectors

from .helpers import FIXTURES

CASES = {c.key: c for c in load_vectors(FIXTURES)}


def out(case, data, dtype=None, shape=None):
    return Answer(id=case.key, kind="output", dtype=dtype or case.dtype,
                  shape=case.expected_shape if shape is None else shape, data=data)


def err(case, kind):
    return Answer(id=case.key, kind="error", error_kind=kind, message="m")


def test_exact_answer_passes_both_levels():
    c = CASES["sigmoid/float64/1"]
    o = compare(c, out(c, ["0x1p-1"]))
    assert o.status == {"accurate": "passed", "compatible": "passed"}
    assert o.max_ulp == 0


def test_levels_differ():
    """3 ulps at 1/2: beyond the accurate bound (~1 ulp there), within compatible (4u(|y| + 1))."""
    c = CASES["sigmoid/float64/1"]
    o = compare(c, out(c, [(0.5 + 3 * math.ulp(0.5)).hex()]))
    assert o.status == {"accurate": "failed", "compatible": "passed"}
    assert o.max_ulp == 3
    assert o.max_scaled["accurate"] > 1 >= o.max_scaled["compatible"]
    assert "element 0" in o.detail and "3 ulp" in o.detail


def test_special_values_compare_exactly():
    c = CASES["sigmoid/float64/2"]  # [nan, inf, -inf, -0] -> [nan, 1, 0, 0.5]
    assert compare(c, out(c, ["nan", "0x1p+0", "-0x0p+0", "0x1p-1"])).status["accurate"] == "passed"
    assert compare(c, out(c, ["0x0p+0", "0x1p+0", "0x0p+0", "0x1p-1"])).status["accurate"] == "failed"
    assert compare(c, out(c, ["nan", "nan", "0x0p+0", "0x1p-1"])).status["compatible"] == "failed"


def test_java_and_go_hex_forms_accepted():
    c = CASES["softplus/float64/1"]  # ln 2 = 0x1.62e42fefa39efp-1
    for text in ("0x1.62e42fefa39efp-1", "0x1.62e42fefa39efp-01", "0X1.62E42FEFA39EFP-1"):
        assert compare(c, out(c, [text])).status["accurate"] == "passed"


def test_acceptable_output():
    c = CASES["softmax/float64/3"]  # [inf, 0] -> [1, 0], NaNs acceptable
    assert compare(c, out(c, ["nan", "nan"])).status == {"accurate": "acceptable", "compatible": "acceptable"}
    assert compare(c, out(c, ["0x1p+0", "0x0p+0"])).status["accurate"] == "passed"
    assert compare(c, out(c, ["0x1p-1", "0x0p+0"])).status["accurate"] == "failed"


def test_acceptable_alternatives_are_per_element():
    """Each element may take the expected value or an alternative's value at its place (issue 11 item 3):
    [NaN, 0] mixes the limit's NaN with the expected 0 and is acceptable; so is [inf, NaN] against a
    listed [NaN, inf]."""
    c = CASES["softmax/float64/3"]  # expected [1, 0], alternative [nan, nan]
    mixed = compare(c, out(c, ["nan", "0x0p+0"]))
    assert mixed.status == {"accurate": "acceptable", "compatible": "acceptable"}
    assert mixed.detail == "matches an acceptable output"
    swapped = dataclasses.replace(c, expected=[math.inf, 1.0], expected_text=["inf", "0x1p+0"],
                                  exact=["inf", "1"], bounds={lv: [0.0, 0.0] for lv in ("accurate", "compatible")},
                                  acceptable=[Acceptable(["LimitValue"], [2], [math.nan, math.inf])])
    assert compare(swapped, out(swapped, ["nan", "0x1p+0"])).status["accurate"] == "acceptable"
    assert compare(swapped, out(swapped, ["inf", "inf"])).status["accurate"] == "acceptable"
    assert compare(swapped, out(swapped, ["nan", "nan"])).status["accurate"] == "failed"


def _range_extreme(case, exact: str, expected: float, bound: float):
    flags = case.flags + ["RangeExtreme"]
    return dataclasses.replace(case, flags=flags, expected=[expected], expected_text=[expected.hex()], exact=[exact],
                               bounds={"accurate": [bound], "compatible": [bound]})


def test_range_extreme_accepts_plain_float_outcomes_at_compatible_only():
    """A RangeExtreme vector accepts, at compatible only, any result that is not NaN for a number nor of the
    opposite sign (an overflowing intermediate, a flush to zero, a subnormal intermediate that lost digits)."""
    c = CASES["sigmoid/float64/1"]
    tiny = _range_extreme(c, "1.0e-310", 1.0e-310, 5e-324)
    flushed = compare(tiny, out(tiny, ["0x0p+0"]))
    assert flushed.status == {"accurate": "failed", "compatible": "acceptable"}
    big = _range_extreme(c, "8.98846567431157953864652595394512366808e307", 2.0 ** 1022 * 1.0, 2.0 ** 980)
    assert compare(big, out(big, ["inf"])).status == {"accurate": "failed", "compatible": "acceptable"}
    assert "range extreme" in compare(big, out(big, ["inf"])).detail
    assert compare(big, out(big, ["-inf"])).status["compatible"] == "failed"      # wrong sign
    assert compare(big, out(big, ["nan"])).status["compatible"] == "failed"
    assert compare(big, out(big, ["-0x1p+0"])).status["compatible"] == "failed"   # a number of the wrong sign
    assert compare(big, out(big, ["0x0p+0"])).status == {"accurate": "failed", "compatible": "acceptable"}  # flush
    normal = _range_extreme(c, "743.46", 743.46, 1e-12)   # a subnormal intermediate under a log lost digits
    assert compare(normal, out(normal, ["0x1.73abb4f301b42p+9"])).status == {"accurate": "failed",
                                                                           "compatible": "acceptable"}
    unflagged = dataclasses.replace(normal, flags=c.flags)
    assert compare(unflagged, out(unflagged, ["0x1.73abb4f301b42p+9"])).status["compatible"] == "failed"


def test_range_extreme_overflow_needs_the_flag_but_flush_to_zero_does_not():
    c = CASES["sigmoid/float64/1"]
    plain = dataclasses.replace(c, expected=[1.0e-310], expected_text=[(1.0e-310).hex()], exact=["1.0e-310"],
                                bounds={"accurate": [5e-324], "compatible": [5e-324]})
    assert compare(plain, out(plain, ["0x0p+0"])).status == {"accurate": "failed", "compatible": "acceptable"}
    big = dataclasses.replace(c, expected=[2.0 ** 1022], expected_text=[(2.0 ** 1022).hex()],
                              exact=["4.494232837155789769323262976972561834044e307"],
                              bounds={"accurate": [2.0 ** 980], "compatible": [2.0 ** 980]})
    assert compare(big, out(big, ["inf"])).status["compatible"] == "failed"
