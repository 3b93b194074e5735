"""Reading `go test -bench` output (literal samples of its format; nothing is timed)."""
import pytest

from xent_bench import gobench

SAMPLE = """\
goos: linux
goarch: amd64
pkg: github.com/example/xent/go
cpu: AMD EPYC
BenchmarkWorkload/sce/float32-2         	      10	  41234567 ns/op	        99334455 elem/s	  163840 B/op	       3 allocs/op
BenchmarkWorkload/sce/float64-2         	      10	  52000000 ns/op	  7.877e+07 elem/s
BenchmarkWorkload/bce_logits/float32-2  	      10	  30000000 ns/op	  1.365e+08 elem/s
BenchmarkWorkload/bce_logits/float64-2  	      10	  31000000 ns/op	  1.321e+08 elem/s
BenchmarkLogSumExp-2                    	 1000000	      1020 ns/op
PASS
ok  	github.com/example/xent/go	3.456s
"""


def test_every_workload_line_is_read_with_its_metrics():
    found = gobench.parse(SAMPLE)
    assert set(found) == {("sce", "float32"), ("sce", "float64"), ("bce_logits", "float32"), ("bce_logits", "float64")}
    sce32 = found[("sce", "float32")]
    assert sce32["ns/op"] == 41234567 and sce32["elem/s"] == 99334455 and sce32["allocs/op"] == 3
    assert sce32["iterations"] == 10
    assert found[("sce", "float64")]["elem/s"] == pytest.approx(7.877e7)


def test_without_a_gomaxprocs_suffix():
    found = gobench.parse("BenchmarkWorkload/sce/float64 \t 10\t 1500 ns/op\n")
    assert found == {("sce", "float64"): {"ns/op": 1500.0, "iterations": 10.0}}


def test_other_benchmarks_are_ignored():
    assert gobench.parse("BenchmarkOther/sce/float32-2  10  99 ns/op\nBenchmarkLogSumExp-2 5 1 ns/op\n") == {}


def test_timings_are_seconds_per_call():
    t = gobench.timings(SAMPLE, "how")
    assert t.unavailable is None and t.impl == gobench.GO
    assert t.seconds[("bce_logits", "float64")] == pytest.approx(0.031)


def test_bytes_allocated_per_call_where_benchmem_printed_them():
    t = gobench.timings(SAMPLE, "how")
    assert t.alloc_bytes == {("sce", "float32"): 163840.0}


def test_output_without_the_benchmark_is_unavailable_not_an_error():
    t = gobench.timings("testing: warning: no tests to run\nPASS\nok  \txent\t0.01s\n", "how")
    assert t.seconds == {} and "no BenchmarkWorkload results" in str(t.unavailable)


def test_command_matches_the_agreed_invocation():
    assert gobench.command() == ["go", "test", "-run", "^$", "-bench", "^BenchmarkWorkload$", "-benchtime", "10x",
                                 "-benchmem", "-count", "1", "."]
