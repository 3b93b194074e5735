"""The small pieces around the timed parts: tool runs, summaries, reports, machine facts, inputs."""
import sys

import numpy as np
import pytest

from xent_bench import generation, harness, machine, workload
from xent_bench.results import Unavailable, run_tool, tail


def test_a_missing_tool_is_unavailable(tmp_path):
    got = run_tool(["no-such-tool-xent-bench"], tmp_path, 10)
    assert isinstance(got, Unavailable) and "is not installed" in got.reason


def test_a_failing_tool_is_unavailable_with_the_end_of_its_output(tmp_path):
    got = run_tool([sys.executable, "-c", "import sys; print('one'); sys.exit('it broke')"], tmp_path, 30)
    assert isinstance(got, Unavailable) and "exited 1" in got.reason and "it broke" in got.reason


def test_accepted_exit_codes_are_not_failures(tmp_path):
    got = run_tool([sys.executable, "-c", "import sys; print('ok'); sys.exit(1)"], tmp_path, 30, ok_codes=(0, 1))
    assert not isinstance(got, Unavailable) and got.stdout == "ok\n"


def test_a_tool_over_its_time_is_killed_and_unavailable(tmp_path):
    got = run_tool([sys.executable, "-c", "import time; time.sleep(30)"], tmp_path, 0.5)
    assert isinstance(got, Unavailable) and "longer than 0.5 s" in got.reason


def test_tail_keeps_the_last_non_empty_lines():
    assert tail("a\n\nb\nc\nd\n\n") == "b | c | d"
    assert tail("") == "no output"


def test_the_generator_summary_line_is_parsed():
    text = ("oracle time 90.1 s over all worker(s); ...\n"
            "wrote 9323 vectors in 38 files, 61.2 s (152 vectors/s) to /tmp/x\n")
    assert generation.parse_summary(text) == (9323, 38, 61.2)
    assert generation.parse_summary("generation failed, nothing written") is None


def test_differing_files_are_compared_byte_for_byte(tmp_path):
    out, committed = tmp_path / "out", tmp_path / "vectors"
    out.mkdir(), committed.mkdir()
    for name, new, old in (("same.json", "{}\n", "{}\n"), ("changed.json", "[1]\n", "[1] \n")):
        (out / name).write_text(new)
        (committed / name).write_text(old)
    (out / "new.json").write_text("{}")
    assert generation.differing_files(out, committed) == ["changed.json", "new.json"]


def test_a_run_report_gives_the_throughput():
    report = {"implementation": {"impl": "go", "name": "xent-go", "language": "go"}, "total": 9323,
              "elapsedSeconds": 12.5, "verdict": "CONFORMS", "counts": {}}
    t = harness.read_report("go", report)
    assert (t.name, t.vectors, t.seconds, t.verdict) == ("xent-go", 9323, 12.5, "CONFORMS")
    assert t.per_second == pytest.approx(745.84)


def test_an_unknown_adapter_has_no_start_up_time():
    got = harness.startup("./no-such-adapter --xent-bench", repeats=1, timeout=5)
    assert isinstance(got, Unavailable) and "no-such-adapter" in got.reason


def test_cpu_model_comes_from_cpuinfo():
    text = ("processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 7B13\n"
            "processor\t: 1\nmodel name\t: AMD EPYC 7B13\n")
    assert machine.cpu_model(text) == "AMD EPYC 7B13"
    assert machine.cpu_model("") != ""


@pytest.mark.parametrize("dtype", workload.DTYPES)
def test_inputs_follow_the_workload_definition(dtype):
    sce = workload.make_inputs("sce", dtype, n=64, c=10)
    assert sce.x.shape == (64, 10) and sce.x.dtype == dtype
    assert sce.y.dtype == np.int64 and sce.y.min() >= 0 and sce.y.max() < 10
    bce = workload.make_inputs("bce_logits", dtype, n=64, c=10)
    assert bce.y.shape == (64, 10) and bce.y.dtype == dtype and 0 <= bce.y.min() and bce.y.max() < 1
    assert np.array_equal(workload.make_inputs("sce", dtype, n=64, c=10).x, sce.x)  # seeded


@pytest.mark.parametrize("name", list(workload.CALLS))
@pytest.mark.parametrize("key", workload.KEYS)
def test_every_timed_callable_computes_the_same_loss(name, key):
    """The implementations timed side by side compute one quantity (here on a small input, where the plain
    formula is still accurate): a fast wrong callable would make the table meaningless."""
    if name == workload.TORCH:
        pytest.importorskip("torch")
    inp = workload.make_inputs(*key, n=64, c=10)
    reference = float(workload.xent_call(key[0], inp)())
    got = float(workload.CALLS[name](key[0], inp)())
    assert got == pytest.approx(reference, rel=1e-5 if key[1] == "float32" else 1e-12)
