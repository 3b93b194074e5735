"""The adapter speaks the JSON Lines protocol and never crashes on a bad request."""
from __future__ import annotations

import json
import subprocess
import sys

import xent

X = {"dtype": "float64", "shape": [2], "data": ["0x1.9p+5", "0x0p+0"]}


def run_adapter(lines):
    proc = subprocess.run([sys.executable, "-m", "xent.adapter"], input="\n".join(lines) + "\n",
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return [json.loads(line) for line in proc.stdout.splitlines()]


def test_session():
    reqs = [
        {"cmd": "start", "version": 1},
        {"cmd": "run", "id": "a", "function": "log_softmax", "dtype": "float64", "params": {}, "inputs": {"x": X}},
        {"cmd": "run", "id": "b", "function": "softmax", "dtype": "float64", "params": {},
         "inputs": {"x": {"dtype": "float64", "shape": [0], "data": []}}},
        {"cmd": "run_batch", "cases": [
            {"id": "c", "function": "no_such_function", "dtype": "float64", "params": {}, "inputs": {}},
            {"id": "d", "function": "softmax_cross_entropy", "dtype": "float32",
             "params": {"weight": None, "ignore_index": -100, "label_smoothing": "0x0p+0",
                        "label_smoothing_mode": "uniform", "reduction": "mean"},
             "inputs": {"logits": {"dtype": "float32", "shape": [1, 2], "data": ["0x1.4p+4", "0x0p+0"]},
                        "target": {"dtype": "int64", "shape": [1], "data": [0]}}},
            {"id": "e", "function": "softmax", "dtype": "float64", "params": {},
             "inputs": {"x": {"dtype": "float64", "shape": [3], "data": ["1.5"]}}},
        ]},
        {"cmd": "stop"},
    ]
    lines = [json.dumps(r) for r in reqs]
    lines.insert(2, "this is not json")
    ans = run_adapter(lines)
    assert ans[0]["version"] == 1
    assert set(ans[0]["capabilities"]) == set(xent.FUNCTIONS)
    assert all(v == ["float64", "float32"] for v in ans[0]["capabilities"].values())
    a = ans[1]
    assert a["id"] == "a" and a["output"]["shape"] == [2]
    got = [float.fromhex(v) for v in a["output"]["data"]]
    assert got == [float(v) for v in xent.log_softmax([50.0, 0.0])]
    assert got[0] < 0  # the dominant entry keeps its tiny value
    assert ans[2]["error"]["kind"] == "invalid_argument" and ans[2]["error"]["message"].startswith("bad request")
    assert ans[3] == {"id": "b", "error": {"kind": "invalid_shape", "message": ans[3]["error"]["message"]}}
    results = {r["id"]: r for r in ans[4]["results"]}
    assert results["c"]["error"]["kind"] == "invalid_argument"
    assert "unknown function" in results["c"]["error"]["message"]
    assert results["d"]["output"]["dtype"] == "float32" and results["d"]["output"]["shape"] == []
    assert float.fromhex(results["d"]["output"]["data"][0]) > 0
    assert results["e"]["error"]["kind"] == "invalid_argument"
    for a in ans[1:]:  # every run answer carries an id and exactly one of output / error
        for r in a.get("results", [a]):
            assert isinstance(r["id"], str) and (("output" in r) != ("error" in r))
    assert len(ans) == 5


def test_unsupported_version():
    ans = run_adapter([json.dumps({"cmd": "start", "version": 99})])
    assert ans[0]["error"]["kind"] == "unsupported_version"
