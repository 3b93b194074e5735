"""The leaderboard's table, comparison and outputs, on small synthetic harness reports (no framework needed)."""
from __future__ import annotations

import json

import pytest

from xent_conformance.cli import main
from xent_conformance.leaderboard import Board, write
from xent_conformance.leaderboard.data import ReportError, load_report, parse_report
from xent_conformance.leaderboard.render import (dtype_rows, failure_lines, level_lines, matrix_rows, status_rows,
                                                 to_html, to_markdown)


def result(tc, status="passed", ulp=None, scaled=None, function="softmax", dtype="float64", **extra):
    r = {"id": f"{function}/{dtype}/{tc}", "function": function, "dtype": dtype, "tcId": tc, "status": status,
         "statusByLevel": {"accurate": status, "compatible": extra.pop("compatible", status)}}
    if ulp is not None:
        r["maxUlp"] = ulp
    if scaled is not None:
        r["maxScaledError"] = {"accurate": scaled, "compatible": extra.pop("compatible_scaled", scaled)}
    r.update(extra)
    return r


def report(name, results, elapsed=1.5):
    return {"implementation": {"impl": name, "name": name, "version": "1"}, "verdict": "X",
            "elapsedSeconds": elapsed, "results": results}


OURS = report("ours", [result(1, ulp=0.5, scaled=0.25), result(2, ulp=1.0, scaled=0.5),
                       result(3, ulp=0.0, scaled=0.0),
                       result(4, status="passed", kind="inputValidation"),  # the expected error kind came back: no ulp
                       result(1, ulp=0.4, scaled=0.2, function="sigmoid")])
THEIRS = report("theirs", [
    result(1, ulp=3.0, scaled=1.5, status="failed", compatible="acceptable", compatible_scaled=0.4,
           flags=["RangeExtreme"]),
    result(2, ulp=0.5, scaled=0.25),
    result(3, status="unsupported", detail="the adapter answered unsupported: no such option"),
    result(4, status="failed", expected={"error": "invalid_shape"}, got={"dtype": "float64"}, kind="inputValidation")])


def runs():
    return parse_report(OURS, "ours"), parse_report(THEIRS, "theirs")


def test_cell_counts_are_the_harness_counts_and_missed_errors():
    _, theirs = runs()
    cell = theirs.cells[("softmax", "float64")]
    assert cell.counts == {"passed": 1, "acceptable": 0, "failed": 2, "errored": 0, "unsupported": 1}
    assert cell.missed_errors == 1
    assert cell.max_ulp == 3.0 and cell.median_ulp == 1.75
    assert cell.worst.tc_id == 4  # a failure with no measurable error is the worst


def test_worst_is_the_vector_nearest_its_bound_when_nothing_fails():
    ours, _ = runs()
    cell = ours.cells[("softmax", "float64")]
    assert cell.worst.tc_id == 2 and cell.max_scaled == 0.5 and cell.median_ulp == 0.5


def test_statuses_are_taken_at_the_chosen_level():
    data = report("x", [result(1, status="failed", compatible="passed", ulp=9.0, scaled=3.0)])
    assert parse_report(data, level="accurate").cells[("softmax", "float64")].counts["failed"] == 1
    assert parse_report(data, level="compatible").cells[("softmax", "float64")].counts["passed"] == 1


def test_ours_above_a_framework_is_listed_with_both_numbers():
    ours, theirs = runs()
    board = Board([ours], [theirs])
    # common vectors with ulps: tcId 1 (0.5 vs 3.0) and 2 (1.0 vs 0.5): ours max 1.0 <= 3.0 -> at or below
    assert board.shortfalls == [] and board.compared == 1
    worse = parse_report(report("theirs", [result(1, ulp=0.1, scaled=0.05), result(2, ulp=0.2, scaled=0.1)]))
    board = Board([ours], [worse])
    (s,) = board.shortfalls
    assert (s.function, s.ours_max_ulp, s.framework_max_ulp, s.ours_worst_tc, s.common) == ("softmax", 1.0, 0.2, 2, 2)
    assert "No, not everywhere" in board.verdict() and "max ulp 1 vs 0.2 on 2 common" in s.describe()


def test_a_failure_where_the_framework_passes_is_a_shortfall():
    ours = parse_report(report("ours", [result(1, status="failed", ulp=0.1, scaled=2.0)]))
    theirs = parse_report(report("theirs", [result(1, ulp=0.3, scaled=0.5)]))
    (s,) = Board([ours], [theirs]).shortfalls
    assert s.regressions == [1]


def test_far_from_rounding_skips_cancellation_vectors():
    ours = parse_report(report("ours", [result(1, ulp=50.0, scaled=0.1, flags=["Cancellation"]),
                                        result(2, ulp=3.0, scaled=0.5)]))
    assert Board([ours], []).far == []
    ours = parse_report(report("ours", [result(1, ulp=5.0, scaled=0.9)]))
    (n,) = Board([ours], []).far
    assert (n.impl, n.max_ulp, n.tc_id) == ("ours", 5.0, 1)


def test_markdown_has_summary_matrix_and_full_table():
    ours, theirs = runs()
    md = to_markdown(Board([ours], [theirs], skipped={"jax": "jax not installed"}))
    assert "**Yes**" in md and "jax**" in md and "not run: jax not installed" in md
    # unsupported, max and median ulp; then accurate: 1 passed, 2 failed (1 a missed error), worst tcId 4;
    # compatible: tcId 1 is acceptable there, so 1 failed, and its err/bound is the compatible one
    assert ("| softmax | float64 | theirs | 1 | 3 | 1.75 | 1 | 0 | 2 (1) | 0 | 1.5 | 4 | 1 | 1 | 1 (1) | 0 | 0.4 | 4 |"
            in md)
    assert "## Statuses at `compatible`" in md and "## Failures at `compatible`" in md
    header, rows = matrix_rows(Board([ours], [theirs]))
    assert header == ["function", "dtype", "ours", "theirs"]
    assert rows == [["sigmoid", "float64", "0.4", ""], ["softmax", "float64", "1", "3 (2 failed)"]]


def test_infinite_and_nan_ulps_from_the_json_strings_are_read():
    data = report("x", [result(1, ulp="inf", scaled="inf", status="failed"), result(2, ulp="nan", scaled=0.5)])
    cell = parse_report(data).cells[("softmax", "float64")]
    assert cell.max_ulp == float("inf") and cell.max_scaled == float("inf") and cell.worst.tc_id == 1


def test_not_a_report_is_rejected(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    with pytest.raises(ReportError):
        load_report(bad)


def test_cli_writes_markdown_and_html_from_reports(tmp_path):
    for name, data in (("ours", OURS), ("theirs", THEIRS)):
        (tmp_path / f"{name}.json").write_text(json.dumps(data))
    out = tmp_path / "out"
    code = main(["leaderboard", "--ours", str(tmp_path / "ours.json"), "--framework", str(tmp_path / "theirs.json"),
                 "--out", str(out)])
    assert code == 0
    assert "| softmax | float64 | ours |" in (out / "leaderboard.md").read_text()
    page = (out / "leaderboard.html").read_text()
    assert page.startswith("<!DOCTYPE html>") and "<table>" in page and 'src="http' not in page


def test_cli_without_reports_is_a_usage_error(tmp_path):
    assert main(["leaderboard", "--out", str(tmp_path)]) == 64


def test_pictures_are_written_and_inlined(tmp_path):
    pytest.importorskip("matplotlib")
    ours, theirs = runs()
    written = {p.name for p in write(Board([ours], [theirs]), tmp_path)}
    assert {"heatmap.png", "heatmap.svg", "histograms.png", "histograms.svg", "leaderboard.html"} <= written
    page = (tmp_path / "leaderboard.html").read_text()
    assert page.count("<svg") == 2 and "<?xml" not in page
    assert "![max ulp error heatmap](heatmap.png)" in (tmp_path / "leaderboard.md").read_text()


def test_run_writes_a_harness_report_the_board_reads(tmp_path):
    from xent_conformance.harness.vectors import load_vectors
    from xent_conformance.leaderboard.runner import _run
    cases = load_vectors(functions=["softmax"], dtypes=["float32"])
    report = tmp_path / "python.json"
    assert _run("python", "python", cases, report, None)
    cell = load_report(report, "python").cells[("softmax", "float32")]
    assert cell.counts["passed"] == len(cases) and cell.max_ulp is not None


def test_frameworks_whose_library_is_missing_are_named(tmp_path):
    from xent_conformance.leaderboard.runner import load_frameworks, missing_modules
    listing = tmp_path / "frameworks.yaml"
    listing.write_text("a:\n  command: [x]\n  requires: [json, no_such_module_xyz]\n")
    assert missing_modules(load_frameworks(listing)["a"]) == ["no_such_module_xyz"]


def test_status_matrices_differ_by_level():
    board = Board(*map(lambda r: [r], runs()))
    assert status_rows(board, "accurate")[1] == [["sigmoid", "float64", "1/1", ""],
                                                 ["softmax", "float64", "4/4", "1/3 (2 failed)"]]
    assert status_rows(board, "compatible")[1][1] == ["softmax", "float64", "4/4", "2/3 (1 failed)"]


def test_level_lines_count_numerics_and_input_validation_apart():
    board = Board(*map(lambda r: [r], runs()))
    theirs = [ln for ln in level_lines(board, "compatible") if "**theirs**" in ln]
    assert theirs == ["- **theirs** at `compatible`: DOES NOT CONFORM. numerics 2/2 (1 passed + 1 acceptable; "
                      "0 failed, 0 errored); input validation 0/1 rejected; 1 unsupported"]
    assert "numerics 1/2 (1 passed + 0 acceptable; 1 failed, 0 errored)" in level_lines(board, "accurate")[1]
    assert level_lines(board, "compatible")[0].startswith(
        "- **ours** at `compatible`: CONFORMS. numerics 4/4 (4 passed + 0 acceptable; 0 failed, 0 errored); "
        "input validation 1/1 rejected")


def test_failures_are_grouped_with_flags_and_the_worst_vector():
    ours, theirs = runs()
    assert failure_lines(Board([ours], [theirs]), "accurate") == [
        "- theirs softmax float64: 2 (tcId 1, 4, 1 missed errors); flags RangeExtreme x1; worst tcId 4 "
        "(err/bound -, max ulp -)"]
    assert failure_lines(Board([ours], [theirs])) == [
        "- theirs softmax float64: 1 (tcId 4, 1 missed errors); worst tcId 4 (err/bound -, max ulp -)"]


def test_html_has_both_levels_and_code_spans():
    page = to_html(Board(*map(lambda r: [r], runs())))
    assert "Verdicts per level" in page and "<code>compatible</code>" in page and "Failures at compatible" in page
    assert page.count("<table>") == 6  # per dtype and statuses at each level, max ulp, full table


CAUSES = {"theirs": [
    {"category": "library defect", "cause": "tail flushed to 0", "vectors": {"softmax float64": [1]}},
    {"category": "semantics", "cause": "never matches float64", "vectors": {"softmax float32": [1, 4]}}]}


def causes_board(causes=CAUSES, level="accurate"):
    from xent_conformance.leaderboard.causes import parse_causes
    ours, theirs = runs()
    return Board([ours], [theirs], level, causes=parse_causes(causes))


def test_failures_are_explained_by_the_first_matching_cause_and_validation_by_what_came_back():
    from xent_conformance.leaderboard.render import cause_lines, unexplained_count
    board = causes_board()
    assert cause_lines(board, "accurate") == [
        "- **theirs**, library defect (1): tail flushed to 0. Vectors: softmax float64 (tcId 1)",
        "- **theirs**, input validation (1): returned a value: the library does not check this input. "
        "Vectors: softmax float64 (tcId 4)"]
    assert unexplained_count(board, "accurate") == 0
    assert "**Every failure has a cause.**" in to_markdown(board)


def test_a_failure_no_entry_matches_is_unexplained_and_counted():
    from xent_conformance.leaderboard.render import cause_lines, unexplained_count
    board = causes_board({"theirs": [CAUSES["theirs"][1]]})  # float32 only: tcId 1 (float64) is not covered
    assert cause_lines(board, "accurate")[-1].startswith("- **theirs**, unexplained (1): cause not explained")
    assert unexplained_count(board, "accurate") == 1 and unexplained_count(board, "compatible") == 0
    assert "**Every failure has a cause.**" in to_markdown(board)  # the markdown lists compatible's failures
    theirs = parse_report(report("theirs", [result(1, status="failed", ulp=9.0, scaled=3.0)]))
    assert "**1 numerics failures have no cause yet.**" in to_markdown(Board([], [theirs]))


def test_validation_failures_are_told_apart_by_the_answer():
    from xent_conformance.leaderboard.causes import explain
    data = report("x", [
        result(1, status="failed", kind="inputValidation", got={"kind": "shape_mismatch", "message": "m"}),
        result(2, status="failed", kind="inputValidation", got={"kind": "library_error", "message": "m"})])
    texts = [g.text for g in explain(parse_report(data), [], "compatible")]
    assert texts == ["raised an error outside the spec's kinds (the library's own message, or a crash)",
                     "raised another of the spec's error kinds (another check, or another precedence)"]


@pytest.mark.parametrize("bad, message", [
    ({"x": [{"vectors": {"f float64": [1]}, "cause": "c", "category": "bug"}]}, "category must be one of"),
    ({"x": [{"vectors": {"f float64": ["1"]}, "cause": "c", "category": "semantics"}]}, "tcIds must be"),
    ({"x": [{"vectors": {"f float64": []}, "cause": "c", "category": "semantics"}]}, "tcIds must be"),
    ({"x": [{"vectors": {"f": [1]}, "cause": "c", "category": "semantics"}]}, "is not \"function dtype\""),
    ({"x": [{"vectors": [1], "cause": "c", "category": "semantics"}]}, "'vectors' maps"),
    ({"x": [{"vectors": {"f float64": [1]}, "category": "semantics"}]}, "needs a string 'cause'"),
    ({"x": [{"vectors": {"f float64": [1]}, "cause": "c", "category": "semantics", "tcid": [1]}]}, "unknown keys"),
    ({"x": {"vectors": {}}}, "maps each framework label to a list"),
])
def test_a_malformed_causes_file_is_refused(bad, message):
    from xent_conformance.leaderboard.causes import CausesError, parse_causes
    with pytest.raises(CausesError, match=message):
        parse_causes(bad)


def test_cli_reads_a_causes_file_and_refuses_a_missing_one(tmp_path):
    import yaml
    for name, data in (("ours", OURS), ("theirs", THEIRS)):
        (tmp_path / f"{name}.json").write_text(json.dumps(data))
    (tmp_path / "causes.yaml").write_text(yaml.safe_dump(CAUSES))
    args = ["leaderboard", "--ours", str(tmp_path / "ours.json"), "--framework", str(tmp_path / "theirs.json"),
            "--out", str(tmp_path / "out"), "--level", "compatible"]
    assert main(args + ["--causes", str(tmp_path / "causes.yaml")]) == 0
    assert "Every failure has a cause" in (tmp_path / "out" / "leaderboard.md").read_text()
    assert main(args + ["--causes", str(tmp_path / "missing.yaml")]) == 65


def test_dtype_rows_split_numerics_validation_and_unsupported_per_dtype():
    board = Board(*map(lambda r: [r], runs()))
    header, rows = dtype_rows(board, "compatible")
    assert header == ["implementation", "float64 numerics", "float64 validation", "float64 unsupported"]
    assert rows == [["ours", "4/4", "1/1", "0"], ["theirs", "2/2", "0/1", "1"]]
    assert dtype_rows(board, "accurate")[1][1] == ["theirs", "1/2 (1 failed)", "0/1", "1"]


def test_heatmap_frames_are_thick_only_where_numerics_fail_at_compatible_too(tmp_path):
    pytest.importorskip("matplotlib")
    from xent_conformance.leaderboard import plots
    theirs = parse_report(report("theirs", [
        result(1, status="failed", compatible="acceptable", ulp=9.0, scaled=3.0, function="sigmoid"),  # thin
        result(1, status="failed", ulp=9.0, scaled=3.0)]))  # softmax: fails at both levels: thick
    svg = plots.heatmap(Board([], [theirs]), tmp_path / "h")[1].read_text()
    thick, thin = "stroke: #ff0000; stroke-width: 3;", "stroke: #ff0000; stroke-linejoin"  # width 1 is SVG's default
    assert svg.count(thick) == 1 and svg.count(thin) == 1


def test_the_shipped_causes_file_parses_and_names_existing_vectors():
    from xent_conformance import paths
    from xent_conformance.leaderboard.causes import default_path, load_causes
    causes = load_causes(default_path())
    assert set(causes) <= {"numpy-stable", "scipy", "pytorch", "jax-optax"}
    for entries in causes.values():
        for cause in entries:
            for (function, dtype), ids in cause.vectors.items():
                data = json.loads((paths.vectors_dir() / f"{function}_{dtype}.json").read_text())
                known = {t["tcId"] for g in data["testGroups"] for t in g["tests"]}
                assert ids <= known, (function, dtype, sorted(ids - known))


def test_no_causes_outside_a_checkout(monkeypatch):
    from xent_conformance import paths
    from xent_conformance.leaderboard import causes

    def outside():
        raise paths.NoCheckout("no checkout")
    monkeypatch.setattr(paths, "repo_root", outside)
    assert causes.default_path() is None and causes.load_causes(None) == {}
