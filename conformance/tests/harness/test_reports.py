"""Reports: terminal summary, JSON, JUnit XML, Markdown; rerun commands; levels and exit codes."""
from __future__ import annotations

import json
import shlex

import pytest
import xml.etree.ElementTree as ET

from .helpers import FIXTURES, N_FIXTURE_VECTORS, fake

V = ["--vectors", str(FIXTURES), "--timeout", "2", "--startup-timeout", "3"]


def test_all_outputs_for_a_failing_run(run_cli, tmp_path):
    paths = {k: tmp_path / f"r.{k}" for k in ("json", "xml", "md")}
    code, out, err = run_cli("run", "--impl", fake("wrong_error"), *V, "--report-json", str(paths["json"]),
                             "--junit", str(paths["xml"]), "--markdown", str(paths["md"]))
    assert code == 1
    # terminal: table rows per function and dtype, the balance line, the failure with its rerun command
    assert "softmax" in out and "float32" in out
    assert f"17 passed + 1 failed + 0 errored + 1 acceptable + 0 unsupported = {N_FIXTURE_VECTORS} vectors" in out
    assert "FAILED softmax/float64/2 flags=InvalidInput" in out
    assert "expected error invalid_shape, got error invalid_argument" in out
    rerun = next(line for line in out.splitlines() if line.strip().startswith("rerun:"))
    assert "--function softmax --dtype float64 --tcid 2" in rerun

    data = json.loads(paths["json"].read_text())
    assert data["exitCode"] == 1 and data["counts"]["failed"] == 1
    failed = [r for r in data["results"] if r["status"] == "failed"]
    assert failed[0]["expected"] == {"error": "invalid_shape"}
    assert failed[0]["got"]["kind"] == "invalid_argument"
    assert failed[0]["inputs"]["x"]["shape"] == [0]
    groups = {(g["function"], g["dtype"]): g for g in data["groups"]}
    assert groups[("sigmoid", "float64")]["maxUlp"] is not None

    root = ET.parse(paths["xml"]).getroot()
    assert root.tag == "testsuites" and root.get("tests") == str(N_FIXTURE_VECTORS) and root.get("failures") == "1"
    cases = root.findall(".//testcase")
    assert len(cases) == N_FIXTURE_VECTORS
    assert len(root.findall(".//testcase/failure")) == 1

    md = paths["md"].read_text()
    assert "| softmax | float64 | 4 |" in md and "softmax/float64/2" in md and "--tcid 2" in md


def test_the_json_report_has_one_line_per_result_and_the_data_of_the_indented_dump(run_cli, tmp_path):
    from xent_conformance.harness.report import json_text
    path = tmp_path / "r.json"
    run_cli("run", "--impl", fake("wrong_error"), *V, "--report-json", str(path))
    text = path.read_text()
    data = json.loads(text)
    assert len(data["results"]) == N_FIXTURE_VECTORS
    lines = text.splitlines()
    start = lines.index(' "results": [')
    assert [json.loads(line.rstrip(",")) for line in lines[start + 1:start + 1 + N_FIXTURE_VECTORS]] == data["results"]
    assert lines[start + 1 + N_FIXTURE_VECTORS] in (" ],", " ]")
    tricky = {"events": ['\n "results": []'], "results": [{"detail": '\n "results": []'}], "z": None}
    assert json.loads(json_text(tricky)) == tricky and json.loads(json_text({**tricky, "results": []})) == {
        **tricky, "results": []}


def test_rerun_command_reruns_just_that_vector(run_cli, tmp_path):
    code, out, _ = run_cli("run", "--impl", fake("wrong_error"), *V)
    rerun = next(line for line in out.splitlines() if line.strip().startswith("rerun:")).split("rerun:", 1)[1]
    argv = shlex.split(rerun)
    assert argv[:2] == ["xent-conformance", "run"]
    code, out, _ = run_cli(*argv[1:], "--timeout", "2")
    assert code == 1
    assert "0 passed + 1 failed + 0 errored + 0 acceptable + 0 unsupported = 1 vectors" in out


def test_levels_decide_the_exit_code(run_cli):
    impl = fake("ulps", "3")
    assert run_cli("run", "--impl", impl, *V)[0] == 0  # a foreign command: compatible by default
    code, out, _ = run_cli("run", "--impl", impl, *V, "--level", "accurate")
    assert code == 1 and "level accurate" in out


def test_unsupported_and_require_all(run_cli, tmp_path):
    code, out, _ = run_cli("run", "--impl", fake("sigmoid_only"), *V)
    assert code == 0
    assert f"12 passed + 0 failed + 0 errored + 0 acceptable + 7 unsupported = {N_FIXTURE_VECTORS} vectors" in out
    assert run_cli("run", "--impl", fake("sigmoid_only"), *V, "--require-all")[0] == 1
    junit = tmp_path / "j.xml"
    run_cli("run", "--impl", fake("sigmoid_only"), *V, "--junit", str(junit))
    assert len(ET.parse(junit).getroot().findall(".//skipped")) == 7


def test_unwritable_report_path_is_a_message(run_cli, tmp_path):
    code, out, err = run_cli("run", "--impl", fake("good"), *V, "--report-json", str(tmp_path / "no" / "dir" / "r.json"))
    assert code == 0 and "cannot write" in err


def test_usage_errors(run_cli):
    assert run_cli("run", "--impl", fake("good"), *V, "--tcid", "x")[0] == 64
    assert main_exit("run", "--impl", fake("good"), *V, "--batch-size", "0") == 64


def main_exit(*argv: str) -> int:
    """The exit status of the real command line (argparse errors exit through SystemExit)."""
    from xent_conformance.cli import main
    try:
        return main(list(argv))
    except SystemExit as exc:
        return int(exc.code or 0)


@pytest.mark.parametrize("option,value", [
    ("--timeout", "inf"), ("--timeout", "nan"), ("--timeout", "1e400"), ("--timeout", "-1"), ("--timeout", "0"),
    ("--startup-timeout", "inf"), ("--build-timeout", "1e30"), ("--max-line-mib", "inf"), ("--max-line-mib", "1e300"),
    ("--max-restarts", "-1"), ("--max-restarts", "1e9"), ("--batch-elements", "0")])
def test_bad_numeric_options_are_usage_errors(capsys, option, value):
    """Issue 13 item 17: `--timeout inf` crashed with OverflowError (exit 70); now exit 64 with a message."""
    assert main_exit("run", "--impl", fake("good"), *V, option, value) == 64
    err = capsys.readouterr().err
    assert option in err and "Traceback" not in err and "internal error" not in err


def test_smoke_rejects_timeout_inf(capsys):
    assert main_exit("smoke", "--impl", fake("good"), "--timeout", "inf") == 64


def test_own_implementation_defaults_to_accurate(monkeypatch):
    from xent_conformance.harness.impls import resolve
    py = resolve("python")
    assert py.own and py.argv[1:] == ["-m", "xent.adapter"]
    go = resolve("go")
    assert go.own and go.argv[0].endswith("go/bin/xent-adapter") and go.build[0] == "go"
    other = resolve("java -jar my.jar")
    assert not other.own and other.argv == ["java", "-jar", "my.jar"]


def test_vectors_failing_only_the_other_level_still_show_what_they_are(run_cli, tmp_path):
    report = tmp_path / "r.json"
    code, out, _ = run_cli("run", "--impl", fake("ulps", "3"), *V, "--report-json", str(report))
    assert code == 0  # compatible decides
    assert "level: compatible (the default for any other adapter command" in out
    assert "pass at compatible but fail at accurate" in out
    data = json.loads(report.read_text())
    other = [r for r in data["results"] if r["status"] == "passed" and r["statusByLevel"]["accurate"] == "failed"]
    assert other
    r = other[0]
    assert {"inputs", "expected", "got", "rerun"} <= set(r)
    # each level's explanation quotes that level's own bound
    acc, comp = r["levels"]
    assert acc.startswith("accurate: failed; bound at element") and "x the accurate bound" in acc
    assert comp.startswith("compatible: passed; bound at element") and comp.endswith("(deciding level)")
    assert acc.split("bound at element")[1].split(";")[0] != comp.split("bound at element")[1].split(";")[0]


def test_max_ulp_of_failing_vectors_is_shown_apart(run_cli, tmp_path):
    report = tmp_path / "r.json"
    run_cli("run", "--impl", fake("ulps", "3"), *V, "--level", "accurate", "--report-json", str(report))
    groups = {(g["function"], g["dtype"]): g for g in json.loads(report.read_text())["groups"]}
    g = groups[("sigmoid", "float64")]
    assert g["maxUlpFailing"] is not None and g["maxUlpFailing"] >= 2.5
    assert g["maxUlpPassing"] is None or g["maxUlpPassing"] < g["maxUlpFailing"]


def test_terminal_tables_are_not_cut_at_80_columns_in_ci_logs(run_cli, tmp_path):
    """stdout is not a terminal under pytest: no row may be truncated or wrapped."""
    report = tmp_path / "r.json"
    code, out, _ = run_cli("run", "--impl", fake("good"), *V, "--report-json", str(report))
    row = next(line for line in out.splitlines() if "sigmoid" in line and "float64" in line)
    assert len(row) > 80 and "…" not in out
    from xent_conformance.cli import main
    assert main(["combine", str(report), str(report)]) == 0


def test_combined_table_is_not_truncated(tmp_path, capsys):
    from xent_conformance.harness.commands import handle_run  # noqa: F401 - the CLI is importable
    from xent_conformance.cli import main
    report = tmp_path / "r.json"
    main(["run", "--impl", fake("good"), *V, "--report-json", str(report)])
    capsys.readouterr()
    copies = []
    for i in range(4):
        copy = tmp_path / f"impl-with-a-long-name-{i}.json"
        data = json.loads(report.read_text())
        data["implementation"]["impl"] = f"an-implementation-with-a-long-name-{i}"
        copy.write_text(json.dumps(data))
        copies.append(str(copy))
    assert main(["combine", *copies]) == 0
    out = capsys.readouterr().out
    assert "…" not in out and "an-implementation-with-a-long-name-3" in out
    assert max(len(line) for line in out.splitlines()) > 80


def test_combined_cells_count_what_a_partial_port_supports(tmp_path, capsys):
    from xent_conformance.cli import main
    report = tmp_path / "partial.json"
    main(["run", "--impl", fake("unsupported_on", "softmax"), *V, "--report-json", str(report)])
    capsys.readouterr()
    assert main(["combine", str(report)]) == 0
    out = capsys.readouterr().out
    softmax_row = next(line for line in out.splitlines() if "softmax" in line and "float64" in line)
    assert "0/0" in softmax_row and "4 unsupp." in softmax_row
