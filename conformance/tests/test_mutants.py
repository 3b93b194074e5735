"""The mutant catalogue (python/mutants/xent_mutants.py) and `xent-conformance mutants`."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from xent_conformance.cli import main
from xent_conformance.mutants import MutantInfo, read_catalogue

xent_mutants = pytest.importorskip("xent_mutants", reason="the Python mutant catalogue (./python/mutants) is not installed")

ADAPTER = [sys.executable, "-m", "xent.adapter"]


def test_registry_has_at_least_40_named_documented_mutants():
    import xent
    reg = xent_mutants.MUTANTS
    assert len(reg) >= 40
    for name, m in reg.items():
        assert m.name == name and name.replace("_", "").replace("-", "").isalnum(), name
        assert len(m.description) >= 30, name          # a real sentence, not a placeholder
        assert m.functions and set(m.functions) <= set(xent.FUNCTIONS), name
        assert len(set(m.functions)) == len(m.functions), name
    descriptions = [m.description for m in reg.values()]
    assert len(set(descriptions)) == len(descriptions)


def test_adapter_lists_the_same_catalogue():
    listed = read_catalogue(ADAPTER, cwd=None)
    assert [m.name for m in listed] == list(xent_mutants.MUTANTS)
    assert all(isinstance(m, MutantInfo) and m.description and m.functions for m in listed)
    by_name = {m.name: m for m in listed}
    # every entry says what it must do (issue 11): the levels' catalogues
    assert by_name["port_max_shift"].accept == "compatible" and by_name["port_max_shift"].kill is None
    assert by_name["sigmoid_tail_flushed"].kill == "compatible"
    assert by_name["bce_log_not_log1p"].kill == "accurate"
    assert all((m.kill is None) != (m.accept is None) for m in listed)


@pytest.mark.parametrize("entry, expect", [
    ({"name": "a", "description": "d", "functions": ["softmax"]}, "kill: accurate"),   # older adapters
    ({"name": "a", "description": "d", "functions": ["softmax"], "kill": "compatible"}, "kill: compatible"),
    ({"name": "a", "description": "d", "functions": ["softmax"], "accept": "compatible"}, "accept: compatible"),
])
def test_catalogue_entries_name_their_level(entry, expect, tmp_path):
    script = tmp_path / "a.py"
    script.write_text(f"import json; print(json.dumps({{'mutants': [{entry!r}]}}))")
    (m,) = read_catalogue([sys.executable, str(script)], cwd=None)
    assert m.expectation == expect


@pytest.mark.parametrize("bad", [{"kill": "strict"}, {"accept": "accurate2"}, {"kill": "accurate", "accept": "compatible"}])
def test_catalogue_with_a_bad_level_is_refused(bad, tmp_path):
    from xent_conformance.mutants import CatalogueError
    entry = {"name": "a", "description": "d", "functions": ["softmax"], **bad}
    script = tmp_path / "a.py"
    script.write_text(f"import json; print(json.dumps({{'mutants': [{entry!r}]}}))")
    with pytest.raises(CatalogueError):
        read_catalogue([sys.executable, str(script)], cwd=None)


def test_a_must_accept_variant_that_fails_compatible_is_reported():
    from xent_conformance.mutants import MutantResult, summary_line, thin
    accept = MutantInfo("port", "a port variant", ["softmax"], None, "compatible")
    kill = MutantInfo("bug", "a defect", ["softmax"], "compatible")
    rejected = MutantResult(accept, 5, ["softmax/float64/1"], None, 0.1)
    passing = MutantResult(accept, 5, [], None, 0.1)
    two = MutantResult(kill, 5, ["softmax/float64/1", "softmax/float64/2"], None, 0.1)
    assert not rejected.meets_expectation and passing.meets_expectation
    assert two.meets_expectation and two.kills == 2 and thin([rejected, passing, two]) == [two]
    line = summary_line([rejected, passing, two])
    assert "must-accept: 1/2 accepted" in line and "minimum distinct killing vectors per mutant: 2" in line


def _start(env_mutant: str | None):
    env = dict(os.environ)
    env.pop("XENT_MUTANT", None)
    if env_mutant is not None:
        env["XENT_MUTANT"] = env_mutant
    req = json.dumps({"cmd": "start", "version": 1}) + "\n" + json.dumps({"cmd": "stop"}) + "\n"
    proc = subprocess.run(ADAPTER, input=req, capture_output=True, text=True, env=env, timeout=60)
    return proc.returncode, [json.loads(line) for line in proc.stdout.splitlines()]


def test_adapter_refuses_an_unknown_mutant_at_start():
    code, answers = _start("no_such_mutant")
    assert code == 0 and len(answers) == 1
    err = answers[0]["error"]
    assert "capabilities" not in answers[0]
    assert "no_such_mutant" in err["message"] and "not a known mutant" in err["message"]


def test_adapter_accepts_a_known_mutant_and_none():
    for value in (None, "sigmoid_naive"):
        code, answers = _start(value)
        assert code == 0 and "capabilities" in answers[0], value


def test_harness_run_with_an_unknown_mutant_exits_2(capsys):
    code = main(["run", "--impl", "python", "--mutant", "no_such_mutant", "--function", "sigmoid",
                 "--dtype", "float64", "--tcid", "1"])
    out = capsys.readouterr()
    assert code == 2
    assert "no_such_mutant" in out.out + out.err


def test_three_mutants_are_killed_end_to_end(capsys, tmp_path):
    report = tmp_path / "m.json"
    code = main(["mutants", "--impl", "python", "--only", "sigmoid_tail_flushed,nll_no_clamp,bce_clip_low_only",
                 "--report-json", str(report)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "3/3 mutants killed" in out
    data = json.loads(report.read_text())
    assert data["total"] == 3 and data["killed"] == 3 and data["baseline_failing"] == []
    by_name = {m["name"]: m for m in data["mutants"]}
    assert by_name["nll_no_clamp"]["functions"] == ["nll_from_probs"]
    for m in data["mutants"]:
        assert m["killed"] and m["failing"] >= 1
        assert all(k.split("/")[0] in m["functions"] for k in m["killers"])
    # nll_no_clamp is killed by the clamp cases: -log(max(0, 1e-15)) = 34.54, not inf
    assert any(k.startswith("nll_from_probs/") for k in by_name["nll_no_clamp"]["killers"])
    assert all(m["expect"] == "kill: compatible" and m["kills"] >= 3 for m in data["mutants"])


def test_mutants_run_at_once_give_the_serial_results_in_catalogue_order(capsys, tmp_path):
    """--jobs 2 (the tests sessions) runs two adapters at a time: the report is the serial one, in order."""
    only = "nll_no_clamp,sigmoid_tail_flushed,sigmoid_naive,bce_clip_low_only"
    reports = []
    for jobs in ("1", "2"):
        report = tmp_path / f"m{jobs}.json"
        assert main(["mutants", "--impl", "python", "--only", only, "--jobs", jobs, "--report-json", str(report)]) == 0
        reports.append([{k: v for k, v in m.items() if k != "seconds"} for m in json.loads(report.read_text())["mutants"]])
    capsys.readouterr()
    assert reports[0] == reports[1]
    assert [m["name"] for m in reports[1]] == [n for n in xent_mutants.MUTANTS if n in only.split(",")]


def test_must_accept_variants_pass_compatible_end_to_end(capsys, tmp_path):
    """The TF formula for BCE with logits and a plain (pairwise) float64 sum are legitimate ports."""
    report = tmp_path / "m.json"
    code = main(["mutants", "--impl", "python", "--only", "port_bce_logits_tf,sigmoid_naive", "--report-json", str(report)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "must-accept: 2/2 accepted at compatible" in out
    data = json.loads(report.read_text())
    assert all(m["ok"] and m["failing_by_level"]["compatible"] == 0 for m in data["mutants"])
    # sigmoid_naive differs only at range extremes: killed at accurate, accepted at compatible
    by_name = {m["name"]: m for m in data["mutants"]}
    assert by_name["sigmoid_naive"]["failing_by_level"]["accurate"] >= 1


def test_a_mutant_with_no_vectors_survives_and_fails_the_run(capsys, tmp_path):
    # a vector folder without the mutant's function: nothing can kill it, the command must say so
    import shutil
    from xent_conformance import paths
    shutil.copy(paths.vectors_dir() / "softplus_float64.json", tmp_path / "softplus_float64.json")
    code = main(["mutants", "--impl", "python", "--only", "sigmoid_tail_flushed", "--vectors", str(tmp_path)])
    captured = capsys.readouterr()
    assert code == 1
    assert "SURVIVED" in captured.out and "0/1 mutants killed" in captured.out
    assert "survived: sigmoid_tail_flushed" in captured.err


def test_unknown_only_name_is_a_usage_error(capsys):
    assert main(["mutants", "--impl", "python", "--only", "nope"]) == 64
    assert "nope" in capsys.readouterr().err


def test_a_mutant_that_only_crashes_is_broken_not_killed():
    from xent_conformance.mutants import MutantResult, _is_internal_error, summary_line
    info = MutantInfo("typo", "raises TypeError", ["softmax"])
    crash = MutantResult(info, 3, ["softmax/float64/1"], None, 0.1, crashed=["softmax/float64/1"])
    real = MutantResult(info, 3, ["softmax/float64/1", "softmax/float64/2"], None, 0.1, crashed=["softmax/float64/1"])
    assert crash.broken and not crash.killed
    assert real.killed and not real.broken
    assert summary_line([crash, real]).startswith("kill rate: 1/2")
    assert _is_internal_error({"kind": "internal_error", "message": "NullPointerException"})
    assert _is_internal_error({"kind": "invalid_argument", "message": "internal error: TypeError: x"})
    assert not _is_internal_error({"kind": "invalid_argument", "message": "gamma must be >= 0"})
    assert not _is_internal_error(None)
