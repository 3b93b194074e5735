"""Issue 13 items 4, 10 and 16: hostile answers end in a verdict, in bounded time and memory, and cannot
forge report lines."""
from __future__ import annotations

import json
import resource
import time
import xml.etree.ElementTree as ET

from xent_conformance.harness.protocol import clean

from .helpers import FIXTURES, N_FIXTURE_VECTORS, fake
from .test_broken_adapters import by_id, run_json


def test_lone_surrogate_escapes_do_not_crash_run(run_cli, tmp_path):
    """`\\ud800` in the name, an id, a kind, a message, data and a reason: totals and every report file."""
    paths = {k: tmp_path / f"r.{k}" for k in ("json", "xml", "md")}
    code, out, err = run_cli("run", "--impl", fake("surrogate"), "--vectors", str(FIXTURES), "--timeout", "2",
                             "--report-json", str(paths["json"]), "--junit", str(paths["xml"]),
                             "--markdown", str(paths["md"]))
    assert code in (1, 2), out + err
    assert f"= {N_FIXTURE_VECTORS} vectors" in out and "internal error" not in err
    data = json.loads(paths["json"].read_text(encoding="utf-8"))
    results = by_id(data)
    assert "\\ud800" in data["implementation"]["name"]
    assert results["softmax/float64/2"]["got"]["kind"] == "invalid_shape\\udc00"
    assert results["sigmoid/float64/1"]["status"] == "errored"  # not a hex float
    assert results["softplus/float64/1"]["detail"] == "the adapter answered unsupported: reason \\udfff"
    assert results["softplus/float64/2"]["status"] == "errored"  # the id came back changed
    ET.parse(paths["xml"])
    assert "softmax/float64/2" in paths["md"].read_text(encoding="utf-8")


def test_lone_surrogate_escapes_do_not_crash_smoke(run_cli):
    code, out, err = run_cli("smoke", "--impl", fake("surrogate"), "--timeout", "2")
    assert code in (0, 1, 2) and "internal error" not in err
    assert "fake\\ud800" in out


def test_adapter_text_cannot_forge_report_lines(run_cli, tmp_path):
    md = tmp_path / "r.md"
    code, out, err = run_cli("run", "--impl", fake("forge"), "--vectors", str(FIXTURES), "--timeout", "2",
                             "--markdown", str(md))
    assert code == 1
    for text in (out, err, md.read_text(encoding="utf-8")):
        assert not any(line.lstrip("-* ").startswith("CONFORMS") for line in text.splitlines()), text
        for bad in ("\x1b", "\x00", "\x07", "\x9b", "\u202e"):
            assert bad not in text
    assert "no\\nCONFORMS: 19 passed" in out  # shown, escaped, on the failure's own line
    assert "\\x1b[2J" in out


def test_clean():
    assert clean("a\nb\r\tc") == "a\\nb\\r\\tc"
    assert clean("\x1b[31m\x00\x7f\x9b") == "\\x1b[31m\\x00\\x7f\\x9b"
    assert clean("\u202e\u2028\ud800ok ü €") == "\\u202e\\u2028\\ud800ok ü €"
    assert clean("x" * 50, 10) == "xxxxxxx..."


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def test_a_60_mb_answer_line_is_refused_while_reading(run_cli, tmp_path):
    before = _peak_mib()
    began = time.monotonic()
    code, counts, data, _ = run_json(run_cli, tmp_path, fake("huge_line", "60"), "--timeout", "30")
    assert code == 2 and counts["errored"] == N_FIXTURE_VECTORS
    assert time.monotonic() - began < 20
    assert _peak_mib() - before < 300  # it used to reach 3.8 GB
    assert any("more than the answer to" in r["detail"] for r in data["results"])


def test_an_answer_with_more_objects_than_its_request_needs_is_not_decoded(run_cli, tmp_path):
    code, counts, data, _ = run_json(run_cli, tmp_path, fake("crowded"))
    assert code == 2 and counts["errored"] == N_FIXTURE_VECTORS
    assert any("JSON objects and arrays" in r["detail"] and "not decoded" in r["detail"] for r in data["results"])
