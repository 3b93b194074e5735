"""The workload's peak-memory figure and the cell lines it adds (issue 15 item 4)."""
from __future__ import annotations

import sys

import numpy as np
import pytest

from xent_bench import report, workload
from xent_bench.results import ImplTimings

KEY = ("sce", "float64")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="VmHWM and clear_refs are Linux's")
def test_peak_extra_bytes_sees_a_temporary_array():
    size = 64 * 2 ** 20

    def allocate():
        a = np.ones(size // 8)  # touched: resident
        return float(a[-1])

    peak = workload.peak_extra_bytes(allocate)
    assert peak is not None and size * 0.9 <= peak <= size * 1.5
    small = workload.peak_extra_bytes(lambda: None)
    assert small is not None and small < size / 8


def test_cell_shows_both_ratios_and_the_peak():
    timings = [ImplTimings(workload.XENT, "x", {KEY: 0.3}, peak_bytes={KEY: 48 * 2 ** 20}),
               ImplTimings(workload.NUMPY_PLAIN, "n", {KEY: 0.2}),
               ImplTimings(workload.TORCH, "t", {KEY: 0.1})]
    figures = report.workload_figures(timings)[KEY]
    assert figures[workload.XENT]["ratioToTorch"] == pytest.approx(3.0)
    assert figures[workload.XENT]["ratioToNumpy"] == pytest.approx(1.5)
    assert figures[workload.XENT]["peakBytes"] == 48 * 2 ** 20
    assert "peakBytes" not in figures[workload.TORCH]
    cell = report._workload_cell(timings[0], figures[workload.XENT])
    assert cell.splitlines()[2:] == ["3.00× torch", "1.50× numpy", "peak +48 MiB"]
