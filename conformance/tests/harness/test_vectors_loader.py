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
