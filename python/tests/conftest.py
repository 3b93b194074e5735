import os
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

sys.path.insert(0, str(Path(__file__).parent))

# Deterministic, fast by default (CI); HYPOTHESIS_PROFILE=dev explores more, with random seeds.
settings.register_profile("ci", derandomize=True, max_examples=40, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", max_examples=300, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# Per function and dtype: worst ulp error and worst error / accurate bound seen by test_vectors.py.
ACCURACY = {}


def pytest_terminal_summary(terminalreporter):
    if not ACCURACY:
        return
    tr = terminalreporter
    tr.section("xent accuracy against the golden vectors (accurate level)")
    tr.write_line(f"{'function':38s} {'dtype':8s} {'outputs':>8s} {'max ulp':>11s} {'max err/bound':>14s} worst")
    for (fn, dt), (n, mu, ms, tc) in sorted(ACCURACY.items()):
        tr.write_line(f"{fn:38s} {dt:8s} {n:8d} {mu:11.4g} {ms:14.4g} tc{tc}")
    tr.write_line("(max ulp includes outputs small by cancellation, judged by the condition-scaled bound)")


@pytest.fixture
def quiet_numpy():
    """numpy's floating-point warnings off (tests that feed infinities and NaN on purpose)."""
    with np.errstate(all="ignore"):
        yield


@pytest.fixture(params=[np.float64, np.float32])
def dtype(request):
    """The two dtypes of the float tests (a module may define its own, e.g. the 16-bit ones)."""
    return request.param
