"""Deliberately broken adapters: the right statuses and exit codes, within the timeouts, every vector
accounted for (passed + failed + errored + acceptable + unsupported = total)."""
from __future__ import annotations

import json
import time

import pytest

from .helpers import FIXTURES, N_FIXTURE_VECTORS, fake

FAST = ["--vectors", str(FIXTURES), "--timeout", "1", "--startup-timeout", "2"]


def run_json(run_cli, tmp_path, impl, *extra):
    report = tmp_path / "report.json"
    began = time.monotonic()
    code, out, err = run_cli("run", "--impl", impl, *FAST, "--report-json", str(report), *extra)
    elapsed = time.monotonic() - began
    data = json.loads(report.read_text())
    counts = data["counts"]
    assert sum(counts.values()) == data["total"] == N_FIXTURE_VECTORS
    assert f"= {N_FIXTURE_VECTORS} vectors" in out
    assert "Traceback" not in out + err
    assert len(data["results"]) == N_FIXTURE_VECTORS
    return code, counts, data, elapsed


def by_id(data):
    return {r["id"]: r for r in data["results"]}


def test_good_adapter_passes(run_cli, tmp_path):
    code, counts, data, elapsed = run_json(run_cli, tmp_path, fake("good"))
    assert code == 0
    # softmax([inf, 0]) with max-shift gives NaNs: the listed acceptable output
    assert counts == {"passed": 18, "failed": 0, "errored": 0, "acceptable": 1, "unsupported": 0, "xfail": 0}
    assert by_id(data)["softmax/float64/3"]["status"] == "acceptable"
    assert data["level"] == "compatible"  # any command: compatible by default
    assert elapsed < 10


def test_crash_on_first_request(run_cli, tmp_path):
    code, counts, data, elapsed = run_json(run_cli, tmp_path, fake("crash"))
    assert code == 2
    assert counts["errored"] == N_FIXTURE_VECTORS
    assert data["restarts"] == 3  # bounded
    assert "segmentation fault (pretend)" in data["adapterStderr"]
    details = [r["detail"] for r in data["results"]]
    assert any("exited with status 3" in d for d in details)
    assert sum("restarts are used up" in d for d in details) >= N_FIXTURE_VECTORS - 3
    assert elapsed < 15


def test_crash_mid_batch_pinpoints_the_vector(run_cli, tmp_path):
    code, counts, data, _ = run_json(run_cli, tmp_path, fake("crash_on", "sigmoid/float64/3"))
    assert code == 2
    results = by_id(data)
    assert results["sigmoid/float64/3"]["status"] == "errored"
    assert "exited with status 3" in results["sigmoid/float64/3"]["detail"]
    # the batch is retried one case at a time: everything else is judged
    assert counts == {"passed": 17, "failed": 0, "errored": 1, "acceptable": 1, "unsupported": 0, "xfail": 0}
    assert data["restarts"] == 2


def test_hang_is_bounded_by_the_request_timeout(run_cli, tmp_path):
    code, counts, data, elapsed = run_json(run_cli, tmp_path, fake("hang"))
    assert code == 2
    assert counts["errored"] == N_FIXTURE_VECTORS
    assert any("timeout" in r["detail"] for r in data["results"])
    # one batch timeout + three single-case timeouts (restarts exhausted), 1 s each, plus start-ups
    assert elapsed < 12


def test_hang_on_one_vector(run_cli, tmp_path):
    code, counts, data, elapsed = run_json(run_cli, tmp_path, fake("hang_on", "softmax/float64/2"),
                                           "--batch-size", "8")
    assert code == 2
    results = by_id(data)
    assert results["softmax/float64/2"]["status"] == "errored"
    assert "timeout" in results["softmax/float64/2"]["detail"]
    assert counts["errored"] == 1 and counts["passed"] + counts["acceptable"] == N_FIXTURE_VECTORS - 1
    assert elapsed < 10


def test_garbage(run_cli, tmp_path):
    code, counts, data, _ = run_json(run_cli, tmp_path, fake("garbage"))
    assert code == 2
    assert counts["errored"] == N_FIXTURE_VECTORS
    assert any("not JSON" in r["detail"] for r in data["results"])


def test_wrong_id(run_cli, tmp_path):
    code, counts, data, _ = run_json(run_cli, tmp_path, fake("wrong_id"))
    assert code == 2
    assert counts["errored"] == N_FIXTURE_VECTORS
    assert all("wrong id" in r["detail"] for r in data["results"])
    assert data["restarts"] == 0  # a wrong id keeps the line protocol in step: no restart needed


def test_slow_start_within_the_startup_timeout(run_cli, tmp_path):
    """Start-up takes longer than a request may: the separate start-up timeout lets it through."""
    report = tmp_path / "r.json"
    code, out, err = run_cli("run", "--impl", fake("slow_start", "1.5"), "--vectors", str(FIXTURES),
                             "--timeout", "0.5", "--startup-timeout", "4", "--report-json", str(report))
    assert code == 0, out + err
    assert json.loads(report.read_text())["counts"]["passed"] == 18


def test_slow_start_beyond_the_startup_timeout(run_cli, tmp_path):
    began = time.monotonic()
    code, out, err = run_cli("run", "--impl", fake("slow_start", "30"), "--vectors", str(FIXTURES),
                             "--timeout", "5", "--startup-timeout", "1")
    assert code == 2
    assert time.monotonic() - began < 5
    assert "ADAPTER COULD NOT BE STARTED" in out
    assert f"0 passed + 0 failed + {N_FIXTURE_VECTORS} errored" in out


@pytest.mark.parametrize("mode", ["bad_version", "refuse", "start_garbage"])
def test_bad_handshake(run_cli, tmp_path, mode):
    code, counts, data, _ = run_json(run_cli, tmp_path, fake(mode))
    assert code == 2
    assert counts["errored"] == N_FIXTURE_VECTORS
    assert data["startError"]


def test_command_not_found(run_cli, tmp_path):
    code, counts, data, _ = run_json(run_cli, tmp_path, "/nonexistent/adapter --flag")
    assert code == 2
    assert "cannot start" in data["startError"]
    assert counts["errored"] == N_FIXTURE_VECTORS


def test_flood_stdout_endless_line(run_cli, tmp_path):
    code, counts, data, elapsed = run_json(run_cli, tmp_path, fake("flood_stdout"), "--max-line-mib", "1")
    assert code == 2
    assert counts["errored"] == N_FIXTURE_VECTORS
    assert any("longer than" in r["detail"] for r in data["results"])
    assert elapsed < 15


def test_flood_stdout_many_lines(run_cli, tmp_path):
    code, counts, _, elapsed = run_json(run_cli, tmp_path, fake("flood_lines"), "--max-line-mib", "0.25",
                                        "--max-restarts", "1")
    assert code == 2
    assert counts["errored"] == N_FIXTURE_VECTORS
    assert elapsed < 15


def test_flood_stderr_is_bounded_and_harmless(run_cli, tmp_path):
    code, counts, data, _ = run_json(run_cli, tmp_path, fake("flood_stderr"))
    assert code == 0
    assert counts["passed"] == 18
    assert len(data["adapterStderr"]) < 400_000  # 8 MiB written, a bounded head and tail kept
    assert "bytes of stderr skipped" in data["adapterStderr"]


def test_answers_out_of_order_are_fine(run_cli, tmp_path):
    code, counts, _, _ = run_json(run_cli, tmp_path, fake("out_of_order"))
    assert code == 0
    assert counts["passed"] == 18


def test_answers_twice(run_cli, tmp_path):
    code, counts, data, _ = run_json(run_cli, tmp_path, fake("twice"), "--batch-size", "5")
    assert code == 2
    assert counts["errored"] == N_FIXTURE_VECTORS
    assert all("more than once" in r["detail"] for r in data["results"])


def test_answer_twice_within_a_batch(run_cli, tmp_path):
    code, counts, data, _ = run_json(run_cli, tmp_path, fake("twice_in_batch"), "--batch-size", "100")
    assert code == 2
    assert counts["errored"] == 1
    errored = [r for r in data["results"] if r["status"] == "errored"]
    assert "twice" in errored[0]["detail"]


def test_exit_early(run_cli, tmp_path):
    """Exits after each answer: a request sent while it dies errors, but every good answer resets the
    restart budget, so the run goes on to the end and no vector is "not run"."""
    code, counts, data, _ = run_json(run_cli, tmp_path, fake("exit_early"), "--batch-size", "2")
    assert code == 2
    assert data["restarts"] > 3
    assert counts["passed"] + counts["acceptable"] >= N_FIXTURE_VECTORS // 2
    assert counts["errored"] > 0
    assert not any("not run" in r.get("detail", "") for r in data["results"])


def test_ignores_stop(run_cli, tmp_path):
    code, counts, data, elapsed = run_json(run_cli, tmp_path, fake("no_stop"))
    assert code == 0  # every vector passed; not exiting is noted and the process killed
    assert any("did not exit" in e for e in data["events"])
    assert elapsed < 8


def test_decimal_output_is_garbage(run_cli, tmp_path):
    code, counts, data, _ = run_json(run_cli, tmp_path, fake("bad_hex"))
    assert code == 2
    r = by_id(data)["sigmoid/float64/4"]
    assert r["status"] == "errored" and "not a hex float" in r["detail"]
    # an error answer involves no floats: still judged
    assert by_id(data)["softmax/float64/2"]["status"] == "passed"


def test_restart_budget_zero(run_cli, tmp_path):
    code, counts, data, _ = run_json(run_cli, tmp_path, fake("crash"), "--max-restarts", "0")
    assert code == 2
    assert data["restarts"] == 0
    assert counts["errored"] == N_FIXTURE_VECTORS


def long_vector_file(tmp_path, n=12000):
    """One sigmoid vector of n zeros (a request and an answer far larger than a pipe buffer)."""
    doc = json.loads((FIXTURES / "sigmoid_float64.json").read_text())
    test = doc["testGroups"][0]["tests"][0]  # sigmoid(0) = 1/2
    for key in ("inputs",):
        test[key]["z"]["shape"] = [n]
        test[key]["z"]["data"] = test[key]["z"]["data"] * n
    test["expected"]["shape"] = [n]
    for field in ("data",):
        test["expected"][field] = test["expected"][field] * n
    test["exact"] = test["exact"] * n
    test["kappa"] = test["kappa"] * n
    test["bounds"] = {lv: b * n for lv, b in test["bounds"].items()}
    doc["testGroups"][0]["tests"] = [test]
    doc["numberOfTests"] = 1
    folder = tmp_path / "long"
    folder.mkdir()
    (folder / "sigmoid_float64.json").write_text(json.dumps(doc))
    return folder


def test_long_vector_passes(run_cli, tmp_path):
    folder = long_vector_file(tmp_path)
    code, out, err = run_cli("run", "--impl", fake("good"), "--vectors", str(folder), "--timeout", "20")
    assert code == 0, out + err
    assert "1 passed + 0 failed + 0 errored + 0 acceptable + 0 unsupported = 1 vectors" in out


def test_adapter_that_stops_reading_cannot_block_the_harness(run_cli, tmp_path):
    folder = long_vector_file(tmp_path)
    began = time.monotonic()
    code, out, err = run_cli("run", "--impl", fake("deaf"), "--vectors", str(folder), "--timeout", "1",
                             "--startup-timeout", "2", "--max-restarts", "1")
    assert code == 2
    assert "0 passed + 0 failed + 1 errored" in out
    assert time.monotonic() - began < 8
