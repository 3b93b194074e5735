"""`xent-conformance validate` checks vector files for consistency (issue 13 items 5 and 14, issue 11's
rule that no bound is infinite, NaN or negative): every problem names the file and the JSON path."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from xent_conformance import paths
from xent_conformance.cli import main
from xent_conformance.dtypes import FLOAT32, FLOAT64
from xent_conformance.spec import load_spec
from xent_conformance.validate_cli import roundings, vector_problems

VECTORS = paths.repo_root() / "vectors"


@pytest.fixture
def sigmoid(tmp_path: Path) -> Path:
    target = tmp_path / "sigmoid_float64.json"
    shutil.copy(VECTORS / target.name, target)
    return target


def edit(path: Path, change) -> Path:
    document = json.loads(path.read_text())
    change(document)
    path.write_text(json.dumps(document))
    return path


def valid_tests(document: dict):
    return [(gi, ti, t) for gi, g in enumerate(document["testGroups"]) for ti, t in enumerate(g["tests"])
            if t["result"] == "valid"]


@pytest.mark.parametrize("name", ["sigmoid_float64.json", "log_softmax_float32.json", "log_softmax_float64.json"])
def test_shipped_files_are_consistent(tmp_path, name):
    """log_softmax holds exact values within 1e-40 of a rounding boundary: both neighbours are right."""
    shutil.copy(VECTORS / name, tmp_path / name)
    assert vector_problems(tmp_path / name) == []


def test_every_expected_set_to_one_fails(sigmoid):
    def all_one(document):
        for _, _, test in valid_tests(document):
            test["expected"]["data"] = ["0x1p+0"] * len(test["expected"]["data"])
    assert vector_problems(edit(sigmoid, all_one))  # the first NaN exact value already disagrees


def test_every_finite_expected_set_to_one_is_reported_where_it_is(sigmoid):
    def finite_one(document):
        for _, _, test in valid_tests(document):
            test["expected"]["data"] = ["0x1p+0" if e not in ("nan", "inf", "-inf") else x
                                        for e, x in zip(test["exact"], test["expected"]["data"])]
    problems = vector_problems(edit(sigmoid, finite_one))
    gi, ti, _ = valid_tests(json.loads(sigmoid.read_text()))[0]
    assert any(p.startswith(f"{sigmoid}: $.testGroups[{gi}].tests[{ti}].expected.data[0]: 0x1p+0 is not the exact value")
               for p in problems)
    assert len(problems) > 100


def test_one_ulp_off_fails(sigmoid):
    def nudge(document):
        test = valid_tests(document)[0][2]
        value = float.fromhex(test["expected"]["data"][0])
        test["expected"]["data"][0] = (value + value * 2 ** -52).hex()
    (problem,) = vector_problems(edit(sigmoid, nudge))
    assert ".expected.data[0]" in problem and "rounded to float64" in problem


@pytest.mark.parametrize("bound", ["inf", "nan", "-0x1p-10", "-inf"])
@pytest.mark.parametrize("level", ["accurate", "compatible"])
def test_bad_bounds(sigmoid, level, bound):
    """An infinite bound passes any answer (issue 13 item 1); NaN or negative ones pass none."""
    def bad(document):
        valid_tests(document)[0][2]["bounds"][level][0] = bound
    (problem,) = vector_problems(edit(sigmoid, bad))
    assert f"testGroups[0].tests[0].bounds.{level}[0]: '{bound}' does not match" in problem
    assert "(An error bound: a finite, non-negative hex float (never inf, nan or negative).)" in problem


def test_acceptable_output_of_another_shape(tmp_path):
    name = "softmax_float64.json"
    shutil.copy(VECTORS / name, tmp_path / name)

    def bad(document):
        test = next(t for _, _, t in valid_tests(document) if t.get("acceptable"))
        test["acceptable"][0]["output"] = {"dtype": "float64", "shape": [1], "data": ["nan"]}
    (problem,) = vector_problems(edit(tmp_path / name, bad))
    assert ".acceptable[0].output.shape: [1] is not the expected shape" in problem


def test_infinite_exact_with_finite_expected(sigmoid):
    def bad(document):
        valid_tests(document)[0][2]["exact"][0] = "inf"
    (problem,) = vector_problems(edit(sigmoid, bad))
    assert ".exact[0]" in problem and "disagrees with expected" in problem


def test_repeated_key(sigmoid):
    text = sigmoid.read_text()
    sigmoid.write_text(text.replace('"function": "sigmoid",', '"function": "sigmoid", "function": "softplus",', 1))
    (problem,) = vector_problems(sigmoid)
    assert problem == f"{sigmoid}: $: the key 'function' appears twice in this object"


def test_unknown_function(sigmoid):
    def bad(document):
        document["function"] = "softmin"
    (problem,) = vector_problems(edit(sigmoid, bad))
    assert "$.function" in problem and "'softmin' is not a function of the spec" in problem


def test_not_exact_hex_float_in_an_input(sigmoid):
    def bad(document):
        valid_tests(document)[0][2]["inputs"]["z"]["data"][0] = "0x1p-99999"
    (problem,) = vector_problems(edit(sigmoid, bad))
    assert ".inputs.z.data[0]" in problem and "not exactly representable in float64" in problem


@pytest.mark.parametrize("depth", [950, 5000])
def test_deep_nesting_is_located(sigmoid, depth):
    deep = "[" * depth + "]" * depth  # in `generator`, where the schema allows any extra field
    text = sigmoid.read_text().replace('"generator": {', '"generator": {"x": ' + deep + ",", 1)
    sigmoid.write_text(text)
    (problem,) = vector_problems(sigmoid)
    assert problem.startswith(f"{sigmoid}: line 5 column 119: ") and "nested more than 100 levels" in problem


def test_bare_nan_literal(sigmoid):
    sigmoid.write_text(sigmoid.read_text().replace('"numberOfTests": ', '"numberOfTests": NaN, "x": ', 1))
    (problem,) = vector_problems(sigmoid)
    assert "bare NaN is not JSON" in problem


def test_the_command_exits_1_and_names_the_place(sigmoid, capsys):
    def bad(document):
        valid_tests(document)[0][2]["bounds"]["compatible"][0] = "inf"
    assert main(["validate", str(edit(sigmoid, bad))]) == 1
    assert ".bounds.compatible[0]: 'inf' does not match" in capsys.readouterr().err.splitlines()[0]


def test_roundings_of_a_near_tie():
    # exact within 1e-40 of the midpoint between two float32 values: both are right
    assert set(roundings("7.479371643066406250000000000000000000000e+2", FLOAT32)) == {
        float.fromhex("0x1.75f7f4p+9"), float.fromhex("0x1.75f7f6p+9")}
    assert set(roundings("1.000000000000000055511151231257827021182e-1", FLOAT64)) == {0.1}
    assert set(roundings("0.1", FLOAT64)) == {0.1}  # a short string counts as 40 digits
    assert set(roundings("0", FLOAT64)) == {0.0}


def test_every_broken_case_file_is_reported(tmp_path, monkeypatch, capsys):
    shutil.copytree(paths.spec_dir(), tmp_path / "spec")
    (tmp_path / "vectors").mkdir()
    for name in ("a_first.yaml", "z_last.yaml"):
        (tmp_path / "spec" / "cases" / name).write_text("function: softmax\ncases: [{tcId: 1.0, comment: x, inputs: {x: [1]}}]\n")
    monkeypatch.setenv("XENT_ROOT", str(tmp_path))
    assert main(["validate", "--vectors", str(tmp_path / "vectors")]) == 1
    err = capsys.readouterr().err
    assert "a_first.yaml: cases[0].tcId: 1.0 is not of type 'integer'" in err
    assert "z_last.yaml: cases[0].tcId: 1.0 is not of type 'integer'" in err


@pytest.mark.parametrize("name, param, default", [
    ("log_softmax_float32.json", "axis", -1),            # specVersion 3 (issue 19)
    ("softmax_cross_entropy_grad_float64.json", "logit_scale", "0x1p+0"),  # specVersion 3 (issue 17)
    ("softmax_cross_entropy_grad_float64.json", "grad_output", None),      # specVersion 4
])
def test_a_later_parameter_written_at_its_default_is_a_problem(tmp_path, name, param, default):
    """Requests carry what the group's params hold: a parameter that a later version added to an existing
    function (`since` in the spec) must be left out at its default, or an adapter of an earlier protocol
    version, which refuses unknown names, fails every old case."""
    target = tmp_path / name
    shutil.copy(VECTORS / name, target)
    spec = load_spec()
    assert vector_problems(target, spec=spec) == []

    def add(document):
        document["testGroups"][0]["params"][param] = default
    (problem,) = vector_problems(edit(target, add), spec=spec)
    assert f"testGroups[0].params.{param}: added in specVersion" in problem
