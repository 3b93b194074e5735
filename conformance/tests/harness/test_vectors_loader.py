"""The vector-file loader: fixtures load; malformed files give errors naming the file and JSON path."""
from __future__ import annotations

import json
import shutil

import pytest

from xent_conformance.harness.vectors import VectorFileError, load_vector_file, load_vectors

from .helpers import FIXTURES, N_FIXTURE_VECTORS

SOFTMAX = FIXTURES / "softmax_float64.json"


def test_fixtures_load():
    cases = load_vectors(FIXTURES)
    assert len(cases) == N_FIXTURE_VECTORS
    keys = {c.key for c in cases}
    assert "softmax/float64/2" in keys and "sigmoid/float32/6" in keys
    err = next(c for c in cases if c.key == "softmax/float64/2")
    assert err.result == "error" and err.error_kind == "invalid_shape"
    lim = next(c for c in cases if c.key == "softmax/float64/3")
    assert len(lim.acceptable) == 1


def test_filters():
    assert {c.key for c in load_vectors(FIXTURES, ["softmax"], None, [2, 3])} == {"softmax/float64/2", "softmax/float64/3"}
    assert len(load_vectors(FIXTURES, None, ["float32"])) == 6


def _mutate(tmp_path, mutate, use_schema):
    doc = json.loads(SOFTMAX.read_text())
    mutate(doc)
    path = tmp_path / "softmax_float64.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(VectorFileError) as info:
        load_vector_file(path, use_schema=use_schema)
    return str(info.value)


def test_truncated_json(tmp_path):
    path = tmp_path / "softmax_float64.json"
    path.write_text(SOFTMAX.read_text()[:500])
    with pytest.raises(VectorFileError) as info:
        load_vector_file(path)
    msg = str(info.value)
    assert "softmax_float64.json" in msg and "invalid JSON" in msg and "line" in msg and "truncated" in msg


@pytest.mark.parametrize("use_schema", [False, True])
def test_wrong_hex_float(tmp_path, use_schema):
    def bad(doc):
        doc["testGroups"][0]["tests"][0]["inputs"]["x"]["data"][1] = "0x1.zzp+1"
    msg = _mutate(tmp_path, bad, use_schema)
    assert "softmax_float64.json" in msg
    assert "$.testGroups[0].tests[0].inputs.x.data[1]" in msg


def test_decimal_is_not_a_hex_float(tmp_path):
    def bad(doc):
        doc["testGroups"][0]["tests"][0]["expected"]["data"][0] = "0.5"
    msg = _mutate(tmp_path, bad, False)
    assert "$.testGroups[0].tests[0].expected.data[0]" in msg and "not a hex float" in msg


@pytest.mark.parametrize("use_schema", [False, True])
def test_data_length_not_matching_shape(tmp_path, use_schema):
    def bad(doc):
        doc["testGroups"][0]["tests"][3]["inputs"]["x"]["shape"] = [4]
    msg = _mutate(tmp_path, bad, use_schema)
    assert "$.testGroups[0].tests[3].inputs.x.data" in msg and "has 3 elements but shape [4] needs 4" in msg


@pytest.mark.parametrize("value", ["nan", 1.5, True])
def test_nan_where_an_integer_belongs(tmp_path, value):
    def bad(doc):
        doc["testGroups"][0]["tests"][0]["inputs"]["target"] = {"dtype": "int64", "shape": [1], "data": [value]}
    msg = _mutate(tmp_path, bad, False)
    assert "$.testGroups[0].tests[0].inputs.target.data[0]" in msg and "integer" in msg


def test_bare_nan_literal(tmp_path):
    path = tmp_path / "softmax_float64.json"
    text = SOFTMAX.read_text().replace('"tcId": 1,', '"tcId": NaN,', 1)
    path.write_text(text)
    with pytest.raises(VectorFileError) as info:
        load_vector_file(path)
    assert "NaN" in str(info.value)


def test_float32_file_with_a_non_float32_value(tmp_path):
    doc = json.loads((FIXTURES / "sigmoid_float32.json").read_text())
    doc["testGroups"][0]["tests"][0]["inputs"]["z"]["data"][0] = "0x1.0000000000001p+0"
    path = tmp_path / "sigmoid_float32.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(VectorFileError) as info:
        load_vector_file(path, use_schema=False)
    assert "$.testGroups[0].tests[0].inputs.z.data[0]" in str(info.value) and "float32" in str(info.value)


def test_exact_and_bounds_lengths(tmp_path):
    def bad(doc):
        doc["testGroups"][0]["tests"][0]["bounds"]["accurate"].pop()
    msg = _mutate(tmp_path, bad, False)
    assert "$.testGroups[0].tests[0].bounds.accurate" in msg and "has 1 values but expected has 2" in msg


def test_duplicate_tcid(tmp_path):
    def bad(doc):
        doc["testGroups"][0]["tests"][1]["tcId"] = 1
    msg = _mutate(tmp_path, bad, False)
    assert "$.testGroups[0].tests[1].tcId" in msg and "used twice" in msg


def test_missing_field(tmp_path):
    def bad(doc):
        del doc["testGroups"][0]["tests"][1]["error"]
    msg = _mutate(tmp_path, bad, False)
    assert "$.testGroups[0].tests[1]" in msg and "'error'" in msg


def test_number_of_tests(tmp_path):
    def bad(doc):
        doc["numberOfTests"] = 7
    assert "says 7 but the file has 4 tests" in _mutate(tmp_path, bad, False)


def test_the_run_command_reports_a_malformed_file(run_cli, tmp_path):
    shutil.copytree(FIXTURES, tmp_path / "v")
    (tmp_path / "v" / "softplus_float64.json").write_text('{"function": "softplus", "dtype": "float64", "testGr')
    code, out, err = run_cli("run", "--impl", "true", "--vectors", str(tmp_path / "v"))
    assert code == 65
    assert "softplus_float64.json" in err and "invalid JSON" in err
    # a focused rerun does not read files of other functions
    code, out, err = run_cli("run", "--impl", "nonexistent-adapter", "--vectors", str(tmp_path / "v"),
                             "--function", "sigmoid", "--startup-timeout", "1")
    assert code == 2


def test_no_matching_vectors_is_a_usage_error(run_cli):
    code, out, err = run_cli("run", "--impl", "true", "--vectors", str(FIXTURES), "--function", "nosuch")
    assert code == 64 and "no vectors" in err


# ---------------------------------------------------------------- issue 13 items 5, 11, 14: hostile vector files

def test_infinite_exact_with_a_finite_expected(tmp_path):
    def bad(doc):
        doc["testGroups"][0]["tests"][0]["exact"][0] = "inf"
    msg = _mutate(tmp_path, bad, False)
    assert "$.testGroups[0].tests[0].exact[0]" in msg and "disagrees with expected" in msg


def _exact_inf(text: str) -> str:
    doc = json.loads(text)
    doc["testGroups"][0]["tests"][0]["exact"][0] = "inf"
    return json.dumps(doc)


@pytest.mark.parametrize("spoil", [
    _exact_inf,                                                             # crashed judging: exit 70
    lambda text: text.replace('"function"', '"deep": ' + "[" * 5000 + "]" * 5000 + ', "function"', 1),  # RecursionError
    lambda text: text.replace('"function": "softmax"', '"function": "softmax", "function": "softmax"', 1),
])
def test_run_reports_a_malformed_file_with_exit_65(tmp_path, spoil, capsys):
    from xent_conformance.cli import main
    folder = tmp_path / "v"
    shutil.copytree(FIXTURES, folder)
    path = folder / "softmax_float64.json"
    path.write_text(spoil(path.read_text()))
    assert main(["run", "--impl", "true", "--vectors", str(folder)]) == 65
    err = capsys.readouterr().err
    assert "softmax_float64.json" in err and "Traceback" not in err


def test_finite_exact_may_overflow_to_an_infinite_expected(tmp_path):
    doc = json.loads(SOFTMAX.read_text())
    test = doc["testGroups"][0]["tests"][0]
    test["exact"][0] = "1e400"
    test["expected"]["data"][0] = "inf"
    path = tmp_path / "softmax_float64.json"
    path.write_text(json.dumps(doc))
    assert load_vector_file(path, use_schema=False)[0].expected[0] == float("inf")


@pytest.mark.parametrize("depth", [950, 5000])
def test_deeply_nested_json_is_located(tmp_path, depth):
    """5000 levels: RecursionError in json.loads; 950: parsed, then RecursionError in the schema pass."""
    doc = json.loads(SOFTMAX.read_text())
    doc["generator"] = {"deep": "@"}
    text = json.dumps(doc).replace('"@"', "[" * depth + "]" * depth)
    path = tmp_path / "softmax_float64.json"
    path.write_text(text)
    with pytest.raises(VectorFileError) as info:
        load_vector_file(path)
    assert "nested more than 100 levels" in str(info.value) and "line 1 column" in str(info.value)


def test_repeated_key_is_located(tmp_path):
    text = SOFTMAX.read_text()
    doc = json.loads(text)
    first = json.dumps(doc["testGroups"][0]["tests"][1])
    twice = first[:-1] + ', "result": "valid"}'
    path = tmp_path / "softmax_float64.json"
    path.write_text(json.dumps(doc).replace(first, twice, 1))
    with pytest.raises(VectorFileError) as info:
        load_vector_file(path)
    assert "$.testGroups[0].tests[1]" in str(info.value) and "'result' appears twice" in str(info.value)


@pytest.mark.parametrize(("file", "text"), [
    ("softmax_float64.json", "0x1.0000000000000001p+0"),  # float.fromhex rounds it to 1.0
    ("softmax_float64.json", "0x1p-99999"),               # float.fromhex gives 0.0
    ("sigmoid_float32.json", "0x1.0000000000000001p+0"),
])
def test_hex_float_not_exact_in_the_dtype(tmp_path, file, text):
    doc = json.loads((FIXTURES / file).read_text())
    test = next(t for g in doc["testGroups"] for t in g["tests"] if t["result"] == "valid")
    test["expected"]["data"][0] = text
    path = tmp_path / file
    path.write_text(json.dumps(doc))
    with pytest.raises(VectorFileError) as info:
        load_vector_file(path, use_schema=False)
    assert ".expected.data[0]" in str(info.value) and "not exactly representable" in str(info.value)


@pytest.mark.parametrize("value", [2 ** 63, -2 ** 63 - 1, 2 ** 64 - 100])
def test_int64_elements_are_never_wrapped(tmp_path, value):
    def bad(doc):
        doc["testGroups"][0]["tests"][0]["inputs"]["target"] = {"dtype": "int64", "shape": [1], "data": [value]}
    msg = _mutate(tmp_path, bad, False)
    assert "$.testGroups[0].tests[0].inputs.target.data[0]" in msg and "within int64" in msg


def test_int64_parameter_out_of_range(tmp_path):
    def bad(doc):
        doc["testGroups"][0]["params"]["ignore_index"] = 2 ** 64 - 100
    msg = _mutate(tmp_path, bad, False)
    assert "$.testGroups[0].params.ignore_index" in msg and "outside int64" in msg


@pytest.mark.parametrize("use_schema", [False, True])
@pytest.mark.parametrize("bound", ["inf", "nan", "-0x1p+0", "-inf"])
def test_infinite_nan_or_negative_bound(tmp_path, bound, use_schema):
    """An infinite bound passed an answer of 0 for a result near 1e308 (issue 13 item 1, issue 11)."""
    def bad(doc):
        doc["testGroups"][0]["tests"][0]["bounds"]["compatible"][1] = bound
    msg = _mutate(tmp_path, bad, use_schema)
    assert "$.testGroups[0].tests[0].bounds.compatible[1]" in msg and "finite" in msg and "non-negative" in msg


def test_unknown_function(tmp_path):
    def bad(doc):
        doc["function"] = "softmin"
    msg = _mutate(tmp_path, bad, False)
    assert "$.function" in msg and "'softmin' is not a function of the spec" in msg


def test_unknown_function_is_a_malformed_file_for_run(tmp_path):
    """It made every vector 'unsupported' and exited 0."""
    from xent_conformance.cli import main
    doc = json.loads(SOFTMAX.read_text())
    doc["function"] = "softmin"
    (tmp_path / "softmin_float64.json").write_text(json.dumps(doc))
    assert main(["run", "--impl", "true", "--vectors", str(tmp_path)]) == 65


def test_dimension_beyond_int64(tmp_path):
    def bad(doc):
        doc["testGroups"][0]["tests"][0]["inputs"]["x"] = {"dtype": "float64", "shape": [2 ** 64 + 1, 0], "data": []}
    msg = _mutate(tmp_path, bad, False)
    assert "$.testGroups[0].tests[0].inputs.x.shape[0]" in msg and "int64" in msg
