"""Issue 12 item 4: expected-failure baselines (`run --baseline`, `--allow-stale`, `--write-baseline`)."""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest
import yaml

from .helpers import FIXTURES, fake

V = ["--vectors", str(FIXTURES), "--timeout", "2", "--startup-timeout", "3"]
# wrong_value: every finite output is off by 1e-3, so every numeric vector with a finite result fails


def write(path, entries):
    path.write_text(yaml.safe_dump({"baseline": 1, "entries": entries}))
    return str(path)


def report(run_cli, tmp_path, *extra):
    paths = {k: tmp_path / f"r.{k}" for k in ("json", "xml", "md")}
    code, out, err = run_cli("run", "--impl", fake("wrong_value"), *V, "--report-json", str(paths["json"]),
                             "--junit", str(paths["xml"]), "--markdown", str(paths["md"]), *extra)
    data = json.loads(paths["json"].read_text())
    assert sum(data["counts"].values()) == data["total"]
    return code, out, err, data, paths


def test_listed_failures_become_xfail_in_every_format(run_cli, tmp_path):
    code, out, _, before, _ = report(run_cli, tmp_path)
    failing = [r["id"] for r in before["results"] if r["status"] == "failed"]
    assert code == 1 and len(failing) > 5
    baseline = write(tmp_path / "b.yaml", [{"function": "sigmoid", "reason": "known: sigmoid off by 1e-3"},
                                           {"function": "soft*", "reason": "known: softmax and softplus too"}])
    code, out, _, data, paths = report(run_cli, tmp_path, "--baseline", baseline)
    assert code == 0, out
    assert data["counts"]["failed"] == 0 and data["counts"]["xfail"] == len(failing)
    assert f"+ {len(failing)} xfail +" in out and "expected failures" in data["verdict"]
    x = next(r for r in data["results"] if r["status"] == "xfail")
    assert x["baselineReason"].startswith("known:") and x["statusByLevel"]["compatible"] == "failed"
    root = ET.parse(paths["xml"]).getroot()
    assert len(root.findall(".//skipped[@type='xfail']")) == len(failing) and root.get("failures") == "0"
    assert f"| {data['groups'][0]['counts']['xfail']} |" in paths["md"].read_text()


def test_a_listed_vector_that_passes_is_stale(run_cli, tmp_path):
    baseline = write(tmp_path / "b.yaml", [
        {"function": "*", "reason": "everything is off"},
        {"id": "softmax/float64/2", "reason": "used to answer the wrong kind"},   # passes now: stale
        {"id": "log_sigmoid/float64/1", "reason": "not in this run: neither used nor stale"}])
    code, out, _, data, _ = report(run_cli, tmp_path, "--baseline", baseline)
    assert code == 1
    assert data["verdict"].startswith("STALE BASELINE")
    assert data["baseline"]["stale"] == ["id softmax/float64/2"]
    assert "STALE: id softmax/float64/2" in out
    code, out, _, data, _ = report(run_cli, tmp_path, "--baseline", baseline, "--allow-stale")
    assert code == 0 and "(allowed)" in out


def test_flags_and_dtype_patterns(run_cli, tmp_path):
    baseline = write(tmp_path / "b.json", [])
    (tmp_path / "b.json").write_text(json.dumps({"entries": [
        {"function": "sigmoid", "dtype": "float32", "flags": ["EdgeCase"], "reason": "float32 edge cases"}]}))
    code, _, _, data, _ = report(run_cli, tmp_path, "--baseline", baseline)
    statuses = {r["id"]: r["status"] for r in data["results"]}
    assert statuses["sigmoid/float32/1"] == "xfail"              # EdgeCase
    assert statuses["sigmoid/float32/2"] == "failed"             # NaNInput, PosInf, SignedZero: not listed
    assert statuses["sigmoid/float64/1"] == "failed"             # other dtype
    assert code == 1


def test_write_baseline_round_trip_and_no_overwrite(run_cli, tmp_path):
    out_file = tmp_path / "new.yaml"
    code, _, err, data, _ = report(run_cli, tmp_path, "--write-baseline", str(out_file))
    assert code == 1 and "wrote" in err
    written = yaml.safe_load(out_file.read_text())
    assert len(written["entries"]) == data["counts"]["failed"]
    assert all(e["reason"] for e in written["entries"])
    code, _, _, data, _ = report(run_cli, tmp_path, "--baseline", str(out_file))
    assert code == 0 and data["counts"]["failed"] == 0
    # an existing file is never replaced without --force, and that is checked before the run
    code, out, err = run_cli("run", "--impl", fake("wrong_value"), *V, "--write-baseline", str(out_file))
    assert code == 64 and "--force" in err and "vectors" not in out
    code, _, _, _, _ = report(run_cli, tmp_path, "--write-baseline", str(out_file), "--force")
    assert code == 1


@pytest.mark.parametrize("content,message", [
    ("entries: [{id: a}]", "reason"),
    ("entries: [{reason: x}]", "id or a function"),
    ("entries: [{id: a, reason: x, colour: red}]", "unknown key"),
    ("entries: {id: a}", "entries"),
    ("baseline: 9\nentries: []", "format"),
    ("entries: [\n", "not valid YAML"),
])
def test_bad_baseline_files_are_usage_errors(run_cli, tmp_path, content, message):
    path = tmp_path / "b.yaml"
    path.write_text(content)
    code, out, err = run_cli("run", "--impl", fake("good"), *V, "--baseline", str(path))
    assert code == 64 and message in err and "b.yaml" in err


def test_allow_stale_needs_a_baseline(run_cli):
    assert run_cli("run", "--impl", fake("good"), *V, "--allow-stale")[0] == 64


def test_errored_vectors_neither_use_nor_stale_an_entry(run_cli, tmp_path):
    """An adapter crash on a listed vector tells nothing about whether the failure is fixed."""
    baseline = write(tmp_path / "b.yaml", [{"id": "sigmoid/float64/3", "reason": "known"}])
    report_path = tmp_path / "r.json"
    code, out, _ = run_cli("run", "--impl", fake("crash_on", "sigmoid/float64/3"), *V, "--baseline", baseline,
                           "--report-json", str(report_path))
    data = json.loads(report_path.read_text())
    assert code == 2 and data["baseline"]["stale"] == [] and data["counts"]["errored"] == 1
