"""The generator on hostile or broken case files (issue 13 items 6, 7, 8, 11, 15): a clear error naming
the file and the place, in bounded time and memory; never a traceback, never an overwritten golden file."""
from __future__ import annotations

import time
from pathlib import Path

import pytest

from xent_conformance import paths
from xent_conformance.cases import MAX_CASE_ELEMENTS
from xent_conformance.cli import main
from xent_conformance.spec import MAX_YAML_BYTES, MAX_YAML_DEPTH, SpecError, load_case_file, load_spec, load_yaml

SOFTMAX = "function: softmax\ncases:\n  - {tcId: 1, comment: fine, inputs: {x: [1, 2]}}\n"


@pytest.fixture
def generate(tmp_path: Path, capsys):
    """Run `generate --cases FILE --out tmp/out` on the text; (exit code, stderr on one line)."""
    def go(text: str | bytes, *extra: str) -> tuple[int, str]:
        case_file = tmp_path / "mine.yaml"
        case_file.write_bytes(text if isinstance(text, bytes) else text.encode())
        code = main(["generate", "--cases", str(case_file), "--out", str(tmp_path / "out"), "--quiet",
                     "--workers", "1", *extra])
        return code, capsys.readouterr().err.replace("\n", " ")
    return go


def family(shapes: str, extra: str = "", function: str = "softmax") -> str:
    return (f"function: {function}\nfamilies:\n"
            f"  - {{tcId: 7, count: 2, seed: 1, comment: fam, shapes: {shapes}{extra}}}\n")


def hand(inputs: str, params: str = "{}", function: str = "softmax_cross_entropy") -> str:
    return f"function: {function}\ncases:\n  - {{tcId: 3, comment: hand, inputs: {inputs}, params: {params}}}\n"


BOMB = "function: softmax\ncases:\n  - tcId: 1\n    comment: bomb\n    inputs:\n      x: " + "".join(
    f"&a{k} [" for k in range(9, 0, -1)) + "1,1,1,1,1,1,1,1,1,1]" + "".join(
    "".join(f",*a{k}" for _ in range(9)) + "]" for k in range(1, 9)) + "\n"


# ---------------------------------------------------------------- item 6: limits

def test_alias_bomb_is_refused_quickly(generate):
    assert len(BOMB) < 1000
    started = time.perf_counter()
    code, err = generate(BOMB)
    assert code == 2 and "mine.yaml: invalid YAML: line 6" in err and "aliases expand to more than 1,000,000 nodes" in err
    assert time.perf_counter() - started < 30  # it ran for over 120 s


def test_recursive_alias(generate):
    code, err = generate("function: softmax\ncases:\n  - &r {tcId: 1, comment: x, inputs: {x: [*r]}}\n")
    assert code == 2 and "an alias refers to a node that contains it" in err


def test_huge_family_shape(generate):
    code, err = generate(family("[[1000000000000]]"))
    assert code == 2
    assert "mine.yaml: families[0] (tcId 7): shape [1000000000000] has 1,000,000,000,000 elements" in err
    assert f"limit of {MAX_CASE_ELEMENTS:,} per case" in err


def test_too_many_elements_per_file(generate):
    code, err = generate(family("[[1000000]]").replace("count: 2", "count: 2000"))
    assert code == 2 and "families[0] (tcId 7): the cases of one vector file would hold" in err


def test_elements_per_file_across_case_files(tmp_path, capsys):
    files = []
    for k in range(2):
        path = tmp_path / f"part{k}.yaml"
        path.write_text(family("[[1000000]]").replace("count: 2", "count: 3").replace("tcId: 7", f"tcId: {10 * k + 1}"))
        files += ["--cases", str(path)]
    assert main(["generate", *files, "--out", str(tmp_path / "out"), "--quiet"]) == 2
    assert "part1.yaml: softmax_float64.json: the cases of one vector file would hold" in capsys.readouterr().err.replace("\n", " ")


def test_huge_hand_tensor(generate):
    code, err = generate(hand("{x: {shape: [2000000], data: []}}", function="softmax"))
    assert code == 2 and "cases[0] (tcId 3): inputs.x: shape [2000000] has 2,000,000 elements" in err


def test_huge_file(generate):
    code, err = generate(SOFTMAX + "#" * MAX_YAML_BYTES)
    assert code == 2 and "mine.yaml: larger than 4 MiB" in err


def test_yaml_nested_600_deep(generate):
    code, err = generate("function: softmax\ncases: " + "[" * 600 + "]" * 600 + "\n")
    assert code == 2 and f"mine.yaml: invalid YAML: line 2, column {7 + MAX_YAML_DEPTH}: nested more than" in err


def test_aliases_nested_deeper_than_the_limit(tmp_path):
    levels = ["a0: &a0 [1]"] + [f"a{k}: &a{k} [[[[[[[[[[*a{k - 1}]]]]]]]]]]" for k in range(1, 10)]
    path = tmp_path / "deep.yaml"
    path.write_text("\n".join(levels) + "\n")
    with pytest.raises(SpecError, match="aliases expand to more than 64 levels"):
        load_yaml(path)


def test_the_help_documents_the_limits(capsys):
    with pytest.raises(SystemExit):
        main(["generate", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "at most 4 MiB per file" in text and "1,000,000 YAML nodes once aliases are expanded" in text
    assert "1,000,000 elements per tensor" in text and "4,000,000 input elements per vector file" in text


# ---------------------------------------------------------------- item 7: no tracebacks, located errors

@pytest.mark.parametrize(("text", "words"), [
    (SOFTMAX.replace("tcId: 1", "tcId: 1.0"), "cases[0].tcId: 1.0 is not of type 'integer'"),
    (family("[[3]]").replace("count: 2", "count: 2.0"), "families[0].count: 2.0 is not of type 'integer'"),
    (family("[[3.0]]"), "families[0].shapes[0][0]: 3.0 is not of type 'integer'"),
    (family("[[]]", function="softmax_cross_entropy"),
     "families[0] (tcId 7): shape []: input logits takes rank 2..8, this shape has rank 0"),
    (family("[[3, 0]]", function="softmax_cross_entropy"), "families[0] (tcId 7): shape [3, 0]: a family draws"),
    (family("[[3]]", ", scales: [1, abc]"), "families[0] (tcId 7): scales[1]: expected a finite number, got 'abc'"),
    (family("[[3]]", ", pattern: offset, offset: nan"), "families[0] (tcId 7): offset: expected a finite number"),
    (hand('{x: ["0x1p+99999", 1]}', function="softmax"),
     "cases[0] (tcId 3): inputs.x: element 0: hex float '0x1p+99999' is not exactly representable in float64"),
    (hand('{x: ["0x1.0000000000000001p+0"]}', function="softmax"), "inputs.x: element 0: hex float"),
    (hand('{x: ["0x1p-99999"]}', function="softmax"), "inputs.x: element 0: hex float '0x1p-99999'"),
    (b"function: softmax\ncases: []\n# caf\xe9\n", "mine.yaml: not UTF-8: line 3"),
])
def test_located_errors(generate, text, words):
    code, err = generate(text)
    assert code == 2 and "Traceback" not in err
    assert f"mine.yaml: {words}" in err or words in err


def test_out_pointing_at_a_file(generate, tmp_path):
    (tmp_path / "out").write_text("mine")
    code, err = generate(SOFTMAX)
    assert code == 64 and "is a file, not a folder" in err
    assert (tmp_path / "out").read_text() == "mine"


@pytest.mark.parametrize("workers", ["0", "-1", "two"])
def test_workers_must_be_positive(workers, capsys):
    with pytest.raises(SystemExit) as info:
        main(["generate", "--workers", workers])
    assert info.value.code == 64 and "expected a positive integer" in capsys.readouterr().err


# ---------------------------------------------------------------- item 8: wrong types

@pytest.mark.parametrize("value", [".nan", "1.5", "0.0", "true", "9223372036854775808", '"3"'])
def test_ignore_index_must_be_an_int64(generate, value):
    code, err = generate(hand("{logits: [[1, 2]], target: [0]}", f"{{ignore_index: {value}}}"))
    assert code == 2 and "cases[0] (tcId 3): params.ignore_index: expected an integer within int64, or null" in err


def test_ignore_index_null_is_a_case_and_axis_null_is_not(generate):
    """specVersion 3 (issue 19): null means no ignored index; axis is an int that null cannot stand for."""
    code, err = generate(hand("{logits: [[1, 2]], target: [0]}", "{ignore_index: null}"))
    assert code == 0, err
    code, err = generate(hand("{x: [1, 2]}", "{axis: null}", function="softmax"))
    assert code == 2 and "params.axis: expected an integer within int64, got None" in err


@pytest.mark.parametrize(("params", "words"), [
    ("{reduction: 3}", "params.reduction: expected a string"),
    ("{label_smoothing: true}", "params.label_smoothing: expected a number"),
    ("{label_smoothing: [0.1]}", "params.label_smoothing: expected a number"),
    ("{weight: 0.5}", "params.weight: expected a list, a tensor object or null"),
])
def test_other_wrong_parameter_types(generate, params, words):
    code, err = generate(hand("{logits: [[1, 2]], target: [0]}", params))
    assert code == 2 and words in err


@pytest.mark.parametrize(("tensor", "words"), [
    ("{shape: [-1, -1], data: [1]}", "shape [-1, -1]: expected a list of non-negative int64 integers"),
    ("{shape: [2.0], data: [1, 2]}", "shape [2.0]: expected a list of non-negative int64 integers"),
    ("{shape: [2], data: [1]}", "data has 1 elements but shape [2] needs 2"),
    ("{shape: [1], data: [1], dtype: float16}", "a tensor object has the keys shape, data and (optionally) kind"),
    ("{shape: [1], data: 1}", "data: expected a list"),
    ("{shape: [1], data: [1], kind: complex}", "kind: expected float, int or bool"),
])
def test_malformed_tensor_objects(generate, tensor, words):
    code, err = generate(hand(f"{{x: {tensor}}}", function="softmax"))
    assert code == 2 and f"cases[0] (tcId 3): inputs.x: {words}" in err


@pytest.mark.parametrize("element", ["18446744073709551516", "1.0", "true"])
def test_int_targets_are_int64(generate, element):
    """2^64 - 100 is never wrapped to -100 (D8); 1.0 and true are not integers."""
    code, err = generate(hand(f"{{logits: [[1, 2]], target: {{shape: [1], data: [{element}], kind: int}}}}"))
    assert code == 2 and "inputs.target: element 0: expected an integer within int64" in err


# ---------------------------------------------------------------- item 15: never overwrite vectors/

def test_cases_without_out_writes_nothing(tmp_path, capsys):
    golden = paths.vectors_dir() / "softmax_float64.json"
    before = golden.stat().st_mtime_ns
    case_file = tmp_path / "mine.yaml"
    case_file.write_text(SOFTMAX)
    assert main(["generate", "--cases", str(case_file), "--quiet"]) == 64
    assert "--cases needs --out DIR" in capsys.readouterr().err.replace("\n", " ")
    assert golden.stat().st_mtime_ns == before


def test_cases_into_the_checkout_vectors_folder_is_refused(tmp_path, capsys):
    case_file = tmp_path / "mine.yaml"
    case_file.write_text(SOFTMAX)
    out = paths.repo_root() / "conformance" / ".." / "vectors"
    assert main(["generate", "--cases", str(case_file), "--out", str(out), "--force", "--quiet"]) == 64
    assert "is the checkout's vectors/ folder" in capsys.readouterr().err.replace("\n", " ")


def test_existing_files_are_kept_without_force(generate, tmp_path):
    assert generate(SOFTMAX)[0] == 0
    written = tmp_path / "out" / "softmax_float64.json"
    written.write_text("my own file")
    code, err = generate(SOFTMAX)
    assert code == 64 and "would overwrite" in err and "--force" in err
    assert written.read_text() == "my own file"
    assert generate(SOFTMAX, "--force")[0] == 0
    assert '"function": "softmax"' in written.read_text()


def test_check_needs_no_out(tmp_path, capsys):
    case_file = tmp_path / "mine.yaml"
    case_file.write_text(SOFTMAX)
    assert main(["generate", "--check", "--cases", str(case_file), "--out", str(tmp_path), "--quiet", "--workers", "1"]) == 1
    assert "differs" in capsys.readouterr().err


def test_the_shipped_case_files_stay_valid():
    spec = load_spec()
    for file in sorted((paths.spec_dir() / "cases").glob("*.yaml")):
        load_case_file(file, spec)


def test_a_key_written_twice_is_located(generate):
    code, err = generate("function: softmax\ncases:\n  - {tcId: 1, comment: x, inputs: {x: [1]}, inputs: {x: [2]}}\n")
    assert code == 2 and "mine.yaml: invalid YAML: line 3, column 45: the key 'inputs' appears twice" in err


def test_merge_keys_may_be_overridden(tmp_path):
    path = tmp_path / "merge.yaml"
    path.write_text("base: &b {a: 1, b: 2}\nm: {<<: *b, a: 3}\n")
    assert load_yaml(path)["m"] == {"a": 3, "b": 2}


def test_long_values_are_cut_in_messages(generate):
    code, err = generate(hand('{x: ["' + "9" * 5000 + 'x"]}', function="softmax"))
    assert code == 2 and "inputs.x: element 0: not a number: '99999" in err and len(err) < 400
