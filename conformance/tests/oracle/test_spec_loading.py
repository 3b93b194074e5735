"""A broken spec, case file or vector file gives a clear error naming the file and the place in it."""
import json
import shutil
from pathlib import Path

import pytest
import yaml

from xent_conformance import paths
from xent_conformance.spec import SpecError, load_case_file, load_spec
from xent_conformance.validate_cli import vector_problems

ROOT = paths.repo_root()


@pytest.fixture
def spec_copy(tmp_path):
    document = yaml.safe_load((ROOT / "spec" / "xent.yaml").read_text())
    return tmp_path / "xent.yaml", document


def write(path: Path, document) -> Path:
    path.write_text(yaml.safe_dump(document))
    return path


def test_the_shipped_spec_is_valid():
    spec = load_spec()
    assert len(spec.functions) == 30  # issue 19: nll_loss, kl_div; issue 17: four gradients; issue 18: five


def test_unknown_key_names_its_place(spec_copy):
    path, document = spec_copy
    document["functions"]["softmax"]["tolerence"] = {}
    with pytest.raises(SpecError) as info:
        load_spec(write(path, document))
    assert f"{path}: functions.softmax: Additional properties are not allowed ('tolerence'" in str(info.value)


def test_wrong_type_names_its_place(spec_copy):
    path, document = spec_copy
    document["tolerance"]["default"]["accurate"]["A"] = "two"
    with pytest.raises(SpecError) as info:
        load_spec(write(path, document))
    assert "tolerance.default.accurate.A: 'two' is not of type 'number'" in str(info.value)


def test_missing_tolerance(spec_copy):
    path, document = spec_copy
    del document["tolerance"]["default"]["compatible"]
    with pytest.raises(SpecError) as info:
        load_spec(write(path, document))
    assert "tolerance.default: 'compatible' is a required property" in str(info.value)


def test_undeclared_error_kind(spec_copy):
    path, document = spec_copy
    document["functions"]["entropy"]["errors"][0]["kind"] = "bad_shape"
    with pytest.raises(SpecError) as info:
        load_spec(write(path, document))
    assert "functions.entropy.errors[0].kind: 'bad_shape' is not a declared error kind" in str(info.value)


def test_invalid_yaml_names_the_line(tmp_path):
    path = tmp_path / "xent.yaml"
    path.write_text("specVersion: 1\nfunctions: {softmax: [\n")
    with pytest.raises(SpecError) as info:
        load_spec(path)
    assert f"{path}: invalid YAML: line" in str(info.value)


def test_yaml_is_loaded_safely(tmp_path):
    path = tmp_path / "xent.yaml"
    path.write_text("specVersion: !!python/object/apply:os.system ['true']\n")
    with pytest.raises(SpecError) as info:
        load_spec(path)
    assert "invalid YAML" in str(info.value)


def test_case_file_problems_are_all_listed(tmp_path):
    spec = load_spec()
    path = write(tmp_path / "mine.yaml", {"function": "softmax", "cases": [
        {"tcId": 1, "comment": "a", "inputs": {"x": [1, 2]}, "flags": ["NoSuchFlag"]},
        {"tcId": 1, "comment": "b", "inputs": {"y": [1]}, "params": {"temperature": 2}},
    ]})
    with pytest.raises(SpecError) as info:
        load_case_file(path, spec)
    text = str(info.value)
    assert "cases[0].flags: 'NoSuchFlag' is not defined" in text
    assert "cases[1].tcId: 1 is already used by cases[0]" in text
    assert "cases[1].params.temperature: softmax has no parameter 'temperature'" in text
    assert "cases[1].inputs.y: softmax has no input 'y'" in text


def test_unknown_function_in_case_file(tmp_path):
    path = write(tmp_path / "mine.yaml", {"function": "softmin", "cases": []})
    with pytest.raises(SpecError, match="'softmin' is not a function of the spec"):
        load_case_file(path, load_spec())


@pytest.fixture
def vector_copy(tmp_path):
    source = ROOT / "vectors" / "sigmoid_float64.json"
    target = tmp_path / source.name
    shutil.copy(source, target)
    return target


def test_shipped_vector_file_is_valid(vector_copy):
    assert vector_problems(vector_copy) == []


def test_truncated_vector_file(vector_copy):
    vector_copy.write_text(vector_copy.read_text()[:500])
    (problem,) = vector_problems(vector_copy)
    assert problem.startswith(f"{vector_copy}: invalid JSON at line")


def test_bad_hex_float_in_vector_file(vector_copy):
    document = json.loads(vector_copy.read_text())
    document["testGroups"][0]["tests"][0]["inputs"]["z"]["data"][0] = "1.5"
    vector_copy.write_text(json.dumps(document))
    problems = vector_problems(vector_copy)
    assert any("testGroups[0].tests[0].inputs.z.data[0]: '1.5' does not match" in p for p in problems)


def test_nan_where_an_integer_belongs(tmp_path):
    source = ROOT / "vectors" / "nll_from_probs_float64.json"
    document = json.loads(source.read_text())
    document["testGroups"][0]["tests"][0]["inputs"]["target"]["data"][0] = "nan"
    path = tmp_path / source.name
    path.write_text(json.dumps(document))
    problems = vector_problems(path)
    assert any("inputs.target" in p and "'nan' is not of type 'integer'" in p for p in problems)


def test_wrong_test_count(vector_copy):
    document = json.loads(vector_copy.read_text())
    document["numberOfTests"] += 1
    vector_copy.write_text(json.dumps(document))
    assert any("numberOfTests" in p for p in vector_problems(vector_copy))
