"""Every golden vector, one test each (ids like ``softmax_float64-tc17``), judged at the spec's
``accurate`` level: |got - exact| <= bounds.accurate for finite goldens, exact match for NaN / inf."""
from __future__ import annotations

import math

import numpy as np
import pytest

import xent
from conftest import ACCURACY
from golden import FLOAT_DTYPES, judge, load_cases, vector_files

CASES = load_cases()

if not vector_files():
    pytest.skip("no golden vector files (vectors/*.json) found", allow_module_level=True)


def _record(case, n, ulps, scaled):
    key = (case.function, case.dtype)
    cn, cu, cs, ct = ACCURACY.get(key, (0, 0.0, 0.0, None))
    ACCURACY[key] = (cn + n, max(cu, ulps), max(cs, scaled), case.tc_id if scaled >= cs else ct)


@pytest.mark.parametrize("case", CASES, ids=[c.test_id for c in CASES])
def test_vector(case):
    fn = xent.FUNCTIONS[case.function]
    kwargs = case.call_kwargs()
    if case.result == "error":
        with pytest.raises(xent.XentError) as info:
            fn(**kwargs)
        assert info.value.kind == case.error, f"{case.test_id}: raised {info.value.kind} ({info.value}), " \
                                              f"expected {case.error}"
        return
    with np.errstate(all="ignore"):
        got = np.asarray(fn(**kwargs))
    exp = case.expected
    out_dtype = exp["dtype"]  # the case's dtype, or float32 for output_dtype='float32' (spec E1)
    assert got.dtype == FLOAT_DTYPES[out_dtype], f"output dtype {got.dtype}, expected {out_dtype}"
    assert list(got.shape) == exp["shape"], f"output shape {got.shape}, expected {exp['shape']}"
    bounds = case.bounds["accurate"]
    worst_u, worst_s, failures = 0.0, 0.0, []
    for i, g in enumerate(got.ravel().tolist()):
        ok, ulps, scaled = judge(float(g), exp["data"][i], case.exact[i], bounds[i], out_dtype)
        if math.isfinite(ulps):
            worst_u, worst_s = max(worst_u, ulps), max(worst_s, scaled)
        if not ok:
            failures.append(f"[{i}] got {float(g).hex()} exact {case.exact[i]} bound {bounds[i]} "
                            f"({ulps:.3g} ulp, {scaled:.3g} x bound)")
    _record(case, got.size, worst_u, worst_s)
    assert not failures, f"{case.test_id} ({case.comment}): " + "; ".join(failures[:5])
