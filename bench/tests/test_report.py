"""The report's tables, Markdown and JSON, built from made-up figures (nothing is timed)."""
import json
import math

import pytest

from xent_bench import report
from xent_bench.generation import Generation
from xent_bench.harness import Startup, Throughput
from xent_bench.report import BenchRun
from xent_bench.results import ImplTimings, Unavailable
from xent_bench.workload import ELEMENTS, KEYS, TORCH

MACHINE = {"date": "2026-01-02 03:04 UTC", "commit": "0123456789ab", "cpu": "Test CPU", "cores": 2, "memory": "24 GiB", "os": "Linux",
           "python": "3.11", "packages": {"numpy": "2.0", "torch": "2.13.0"}, "tools": {"go": "go1.26"}}


def timings(impl, seconds):
    return ImplTimings(impl, f"how {impl}", {key: seconds for key in KEYS})


def sample_run():
    return BenchRun(
        machine=MACHINE, quick=False, seconds=42.0, part_seconds={"generation": 30.0, "harness": 12.0},
        generation={"gmpy2": Generation("gmpy", 9323, 38, 50.0, True, []),
                    "pure python": Generation("python", 9323, 38, 75.0, False, ["softmax_float32.json"])},
        throughput={"python": Throughput("python", "xent-python", 9323, 12.5, "CONFORMS"),
                    "java": Unavailable("java is not installed")},
        startup={"python": Startup("python", 0.4, 0.5, 5), "java": Unavailable("java is not installed")},
        workload=[timings("ours", 0.04), timings(TORCH, 0.01),
                  ImplTimings("java", "jmh", unavailable=Unavailable("no jar"))])


def test_figures_are_per_call_rates_and_ratios_to_torch():
    figures = report.workload_figures(sample_run().workload)
    sce32 = figures[("sce", "float32")]
    assert sce32["ours"]["seconds"] == 0.04
    assert sce32["ours"]["elementsPerSecond"] == pytest.approx(ELEMENTS / 0.04)
    assert sce32["ours"]["ratioToTorch"] == pytest.approx(4.0)
    assert sce32[TORCH]["ratioToTorch"] == pytest.approx(1.0)
    assert "java" not in sce32


def test_without_torch_the_ratio_is_missing_not_invented():
    figures = report.workload_figures([timings("ours", 0.04)])
    assert math.isnan(figures[("sce", "float64")]["ours"]["ratioToTorch"])
    assert report.fmt_ratio(math.nan) == "-"


def test_workload_section_has_a_row_per_workload_and_dtype_and_a_column_per_impl():
    s = report.workload_section(sample_run().workload)
    assert s.columns == ["workload", "dtype", "ours", TORCH, "java"]
    assert [row[:2] for row in s.rows] == [list(k) for k in KEYS]
    assert s.rows[0][2] == "40 ms\n102 Melem/s\n4.00× torch"
    assert s.rows[0][4] == "not available"
    assert any("java: not available (no jar)" in n for n in s.notes)


def test_memory_lines_say_what_was_measured():
    ours, go = timings("ours", 0.04), timings("go", 0.02)
    ours.peak_bytes[("sce", "float32")] = 3 * 2 ** 20
    go.alloc_bytes[("sce", "float32")] = 1536.0
    row = report.workload_section([ours, go]).rows[0]
    assert row[2].endswith("peak +3 MiB") and row[3].endswith("alloc 1.5 KiB/call")
    assert report.workload_figures([go])[("sce", "float32")]["go"]["allocBytesPerCall"] == 1536.0


@pytest.mark.parametrize("n, text", [(100, "100 B"), (2048, "2 KiB"), (5.5 * 2 ** 20, "5.5 MiB")])
def test_fmt_bytes(n, text):
    assert report.fmt_bytes(n) == text


@pytest.mark.parametrize("seconds, text", [(0.0123456, "12.3 ms"), (1.5, "1500 ms"), (0.0000421, "0.0421 ms")])
def test_fmt_ms(seconds, text):
    assert report.fmt_ms(seconds) == text


@pytest.mark.parametrize("rate, text", [(2.5e9, "2.5 Gx/s"), (756e3, "756 kx/s"), (12.0, "12 x/s")])
def test_fmt_rate(rate, text):
    assert report.fmt_rate(rate, "x") == text


def test_generation_section_reports_identity_and_speed_up():
    s = report.generation_section(sample_run().generation)
    assert s.rows[0] == ["gmpy2 (gmpy)", "9323", "38", "50.0", "186", "yes, byte-identical"]
    assert s.rows[1][-1] == "NO: 1 files differ"
    assert "gmpy2 speed-up: 1.50×" in " ".join(s.notes)
    assert "softmax_float32.json" in " ".join(s.notes)


def test_harness_section_keeps_unavailable_parts_with_their_reason():
    s = report.harness_section(sample_run().throughput, sample_run().startup)
    assert s.rows[0] == ["python", "xent-python", "9323", "12.50", "746 checks/s", "CONFORMS", "400 ms", "500 ms"]
    assert s.rows[1] == ["java"] + ["-"] * 7
    assert "java run: not available (java is not installed)" in s.notes
    assert "median of 5" in s.notes[0]


def test_markdown_has_the_header_and_a_table_per_part():
    md = report.markdown(sample_run())
    assert md.startswith("# xent benchmarks\n")
    assert "2026-01-02 03:04 UTC, commit 0123456789ab, on Test CPU, 2 cores" in md
    assert md.count("\n## ") == 3
    assert "| workload | dtype | ours | pytorch 1 thread | java |" in md
    assert "|---|---|---:|---:|---:|" in md
    assert "40 ms<br>102 Melem/s<br>4.00× torch" in md


def test_json_is_plain_and_carries_the_workload_table():
    data = json.loads(report.dumps(sample_run()))
    assert data["workloadTable"]["sce/float32"]["ours"]["ratioToTorch"] == pytest.approx(4.0)
    assert data["throughput"]["java"] == {"unavailable": "java is not installed"}
    assert data["throughput"]["python"]["per_second"] == pytest.approx(9323 / 12.5)
    assert data["workload"][0]["seconds"]["bce_logits/float64"] == 0.04
    assert data["machine"]["cpu"] == "Test CPU"


def test_rich_rendering_prints_every_section(capsys):
    from rich.console import Console
    report.print_rich(sample_run(), Console(width=200, force_terminal=False))
    out = capsys.readouterr().out
    for title in ("Vector generation", "Harness throughput", "Workload"):
        assert title in out
    assert "whole run: 42 s; generation 30 s; harness 12 s" in out


def test_end_to_end_section_puts_the_revisions_side_by_side():
    from xent_bench.harness import EndToEnd
    from xent_bench.results import Unavailable
    phases = {"start": 0.5, "load": 1.0, "run": 2.0, "report": 0.5}
    head = EndToEnd("go", "HEAD", 10000, 4.0, phases, 200.0, "CONFORMS", [4.0, 4.5, 5.0], adapter_rss_mib=20.0)
    old = EndToEnd("go", "ed46cfc", 9000, 36.0, {**phases, "load": 30.0}, 180.0, "CONFORMS", [36.0, 37.0, 40.0])
    s = report.end_to_end_section([head, old, Unavailable("java at ed46cfc: no jar")])
    assert [r[:4] for r in s.rows] == [["go", "HEAD", "10000", "4.00"], ["go", "ed46cfc", "9000", "36.00"]]
    assert s.rows[0][4] == "2.5 kchecks/s" and s.rows[1][5:9] == ["0.50", "30.00", "2.00", "0.50"]
    assert s.rows[0][9:11] == ["200", "20"] and s.rows[1][10] == "nan"   # harness (RUSAGE_SELF), adapter (VmHWM)
    assert any("RUSAGE_SELF" in n and "VmHWM" in n for n in s.notes)
    assert any("HEAD is 10.0x ed46cfc in checks/s end to end (9.0x in wall time)" in n for n in s.notes)
    assert any("no jar" in n for n in s.notes)


def test_e2e_vectors_gives_every_revision_the_same_vector_folder(monkeypatch, tmp_path):
    from xent_bench import harness
    seen = []
    monkeypatch.setattr(harness, "prepare_revision", lambda root, rev: ("old-python", tmp_path / "old"))
    monkeypatch.setattr(harness, "_warm_up", lambda *a: None)

    def probe(python, cwd, impl, extra, timeout):
        seen.append((python, extra))
        return {"wall": 1.0, "inProcessSeconds": 0.9, "phases": {"imports": 0.1, "load": 0.2, "run": 0.5, "report": 0.1},
                "peakRssKiB": 1024, "vectors": 10, "verdict": "CONFORMS"}

    monkeypatch.setattr(harness, "_probe_once", probe)
    harness.side_by_side(tmp_path, ["go"], "ed46cfc", 1, vectors=str(tmp_path / "v"))
    assert [extra for _, extra in seen] == [["--vectors", str((tmp_path / "v").resolve())]] * 2
    assert {python for python, _ in seen} == {"old-python", __import__("sys").executable}
    seen.clear()
    harness.side_by_side(tmp_path, ["go"], "ed46cfc", 1)
    assert [extra for _, extra in seen] == [[], []]
