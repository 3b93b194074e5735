"""Reading JMH's JSON result file (a literal sample of its format; nothing is timed)."""
import json

import pytest

from xent_bench import jmh


def run(workload, dtype, score, unit="ms/op", mode="avgt", benchmark="org.xent.bench.WorkloadBench.loss"):
    return {"jmhVersion": "1.37", "benchmark": benchmark, "mode": mode, "threads": 1, "forks": 1,
            "jvm": "/usr/lib/jvm/java-17-openjdk-amd64/bin/java", "warmupIterations": 3, "warmupTime": "1 s",
            "measurementIterations": 5, "measurementTime": "1 s",
            "params": {"workload": workload, "dtype": dtype},
            "primaryMetric": {"score": score, "scoreError": 0.4, "scoreConfidence": [score - 0.4, score + 0.4],
                              "scorePercentiles": {"0.0": score, "50.0": score, "100.0": score},
                              "scoreUnit": unit, "rawData": [[score] * 5]},
            "secondaryMetrics": {}}


SAMPLE = json.loads(json.dumps([run("sce", "float32", 21.5), run("sce", "float64", 25.0),
                                run("bce_logits", "float32", 18.25), run("bce_logits", "float64", 19.0),
                                run("sce", "float32", 1.0, benchmark="org.xent.bench.OtherBench.x")]))


def test_each_param_combination_is_read_in_seconds():
    found = jmh.parse(SAMPLE)
    assert found == pytest.approx({("sce", "float32"): 0.0215, ("sce", "float64"): 0.025,
                                   ("bce_logits", "float32"): 0.01825, ("bce_logits", "float64"): 0.019})


@pytest.mark.parametrize("score, unit, seconds", [(2.0, "ms/op", 2e-3), (2.0, "us/op", 2e-6), (2.0, "ns/op", 2e-9),
                                                  (2.0, "s/op", 2.0), (4.0, "ops/ms", 2.5e-4), (50.0, "ops/s", 0.02)])
def test_time_and_throughput_units(score, unit, seconds):
    assert jmh.seconds_per_op(score, unit) == pytest.approx(seconds)


def test_an_unknown_unit_is_refused():
    with pytest.raises(ValueError):
        jmh.seconds_per_op(1.0, "bananas/op")


def test_a_result_without_the_benchmark_is_unavailable(tmp_path):
    path = tmp_path / "jmh.json"
    path.write_text(json.dumps([SAMPLE[-1]]))
    result = jmh.ImplTimings(jmh.JAVA, "how")
    assert jmh._read(path, result) == {} and "no WorkloadBench runs" in str(result.unavailable)


def test_an_unreadable_result_is_unavailable(tmp_path):
    path = tmp_path / "jmh.json"
    path.write_text("[{\"benchmark\": \"x.WorkloadBench.y\"}]")   # no params, no primaryMetric
    result = jmh.ImplTimings(jmh.JAVA, "how")
    assert jmh._read(path, result) == {} and "cannot read the JMH result" in str(result.unavailable)


def test_run_arguments_match_the_agreed_invocation(tmp_path):
    out = tmp_path / "r.json"
    assert jmh.run_args(out, quick=False) == ["java", "-jar", "java/bench/target/benchmarks.jar", "WorkloadBench",
                                              "-f", "1", "-wi", "3", "-i", "5", "-w", "1s", "-r", "1s",
                                              "-prof", "gc", "-rf", "json", "-rff", str(out)]


def gc_metric(name, score, unit="B/op"):
    return {name: {"score": score, "scoreError": 1.0, "scoreUnit": unit}}


@pytest.mark.parametrize("name", ["gc.alloc.rate.norm", "\u00b7gc.alloc.rate.norm"])  # JMH 1.37, and before it
def test_bytes_allocated_per_op_from_the_gc_profiler(name):
    with_gc = run("sce", "float64", 25.0)
    with_gc["secondaryMetrics"] = {**gc_metric(name, 4096.5), **gc_metric("gc.alloc.rate", 12.0, "MB/sec")}
    other = run("sce", "float32", 1.0, benchmark="org.xent.bench.OtherBench.x")
    other["secondaryMetrics"] = gc_metric(name, 99.0)
    assert jmh.allocations([with_gc, run("bce_logits", "float32", 18.25), other]) == {("sce", "float64"): 4096.5}
