"""The run's fast paths give exactly what the exact paths give: the hex-float list reader against
parse_hex, the loader without jsonschema, and fastjudge against compare on every shipped vector."""
from __future__ import annotations

import json
import math

import pytest

from xent_conformance import paths
from xent_conformance.harness import fastjudge, judgecheck, protocol, vectors
from xent_conformance.harness.compare import compare
from xent_conformance.harness.protocol import Answer
from xent_conformance.dtypes import dtype_named, from_bits, to_bits
from xent_conformance.hexfloat import HexFloatError, format_hex, parse_hex
from xent_conformance.values import float_to_dtype
from xent_conformance.harness.vectors import fast_hex_list, load_vectors

from .helpers import FIXTURES, N_FIXTURE_VECTORS

SPELLINGS = ["0x1p+0", "-0x1.8p+1", "0x1.fffffffffffffp+1023", "0x1p-1022", "0x1p+1024", "0x1p-1023",
             "0x1.0000000000000001p+0", "0x1.fffffep+127", "0x1.ffffffp+127", "0x1.fffffp-126", "0x1p-126",
             "0x1p-127", "0x1p-149", "0x0.0000000000001p-1022", "0x1p-1074", "0x0p+0", "-0x0p+0", "0x0.0p+0",
             "inf", "-inf", "nan", "+inf", "Infinity", "0X1.8P+1", "0x1.80p+1", "0x1.8p1", "0x1.8p+01",
             "0x1.000001p+0", "0x1.000002p+0", "0x1.7ffffep+0", "1.5", "0x1.8p+1,0x1p+0", "", " 0x1p+0"]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("text", SPELLINGS)
def test_fast_hex_list_agrees_with_parse_hex(text, dtype):
    try:
        exact = parse_hex(text, dtype)
    except HexFloatError:
        exact = None
    fast = fast_hex_list([text, "0x1p+0"], dtype)
    if fast is None:
        return  # parse_hex decides, element by element
    assert exact is not None, f"{text!r} is not exact in {dtype} but the fast reader took it"
    assert format_hex(fast[0]) == format_hex(exact) and math.copysign(1, fast[0]) == math.copysign(1, exact)


def test_fast_hex_list_takes_the_common_spellings():
    assert fast_hex_list(["0x1.8p+1", "-0x1p-3", "inf", "nan", "0x0p+0"], "float64") is not None
    assert fast_hex_list(["0x1.fffffep+127", "0x1p-126"], "float32") is not None
    assert fast_hex_list(["0x1.fffffep+127", "0x1p+1"], "float64") is not None
    assert fast_hex_list(["0x1.0000001p+0"], "float32") is None
    assert fast_hex_list([1.5, "0x1p+0"], "float64") is None


def test_a_run_does_not_validate_against_the_schema(monkeypatch):
    def no_schema():
        raise AssertionError("jsonschema was used while loading for a run")
    monkeypatch.setattr(vectors, "_validator", no_schema)
    assert len(load_vectors(FIXTURES)) == N_FIXTURE_VECTORS


def _round(x: float, dtype: str) -> float:
    """x rounded once into the dtype (any dtype of the table, the 16-bit ones included)."""
    return float_to_dtype(x, dtype_named(dtype))


def _step(x: float, dtype: str, k: int) -> float:
    """x moved by k ulps of the dtype (or left alone when not finite): its neighbours' bit patterns."""
    dt = dtype_named(dtype)
    for _ in range(abs(k)):
        if not math.isfinite(x):
            return x
        if x == 0:
            x = math.copysign(dt.eta, k)
            continue
        bits = to_bits(x, dt)
        x = from_bits(bits + 1 if (x > 0) == (k > 0) else bits - 1, dt)  # sign and magnitude
    return x


def _variant(case, index: int) -> list[float]:
    """Synthetic answers: the expected value, a few ulps off, and values at the edge of each bound."""
    level = vectors.LEVELS[index % 2]
    out = []
    for i, (e, exact) in enumerate(zip(case.expected, case.exact)):
        bound = case.bounds[level][i]
        kind = index % 8
        if kind == 0 or not math.isfinite(e):
            out.append(e)
        elif kind in (1, 2):
            out.append(_step(e, case.result_dtype, (1, -2)[kind - 1] * (1 + i % 3)))
        else:  # the bound's edge: exact + or - bound, rounded into the dtype, and its neighbours
            sign = 1 if kind % 2 else -1
            edge = _round(float(exact) + sign * bound, case.result_dtype)
            out.append(_step(edge, case.result_dtype, (kind - 3) // 2 - 1) if math.isfinite(edge) else e)
    return out


@pytest.fixture(scope="module")
def shipped():
    return load_vectors(paths.vectors_dir())


def test_fastjudge_statuses_are_the_exact_ones_on_every_shipped_vector(shipped):
    """Each valid vector gets one synthetic answer (the variant cycles with the vector); wherever the
    fast judge decides, compare (mpmath) must give the same statuses, and the figures must agree."""
    decided = compared = 0
    for n, case in enumerate(c for c in shipped if c.result == "valid"):
        values = _variant(case, n)
        answer = Answer(id=case.key, kind="output", dtype=case.result_dtype, shape=case.expected_shape,
                        data=[format_hex(v) for v in values])
        fast = fastjudge.try_compare(case, answer)
        compared += 1
        if fast is None:
            continue
        decided += 1
        (exact,) = judgecheck.exact_outcomes([(case, answer)])  # every element with mpmath
        assert fast.status == exact.status, case.key
        assert fast.detail == exact.detail
        assert (fast.max_ulp is None) == (exact.max_ulp is None), case.key
        if exact.max_ulp is not None:
            assert fast.max_ulp == pytest.approx(exact.max_ulp, rel=1e-12, abs=1e-250), case.key
        for lv, v in exact.max_scaled.items():
            assert fast.max_scaled[lv] == pytest.approx(v, rel=1e-12, abs=1e-250), case.key
    assert decided > compared // 4  # the fast judge decides the clear passes, which are most answers


def test_compare_decides_its_clear_elements_fast_with_the_exact_statuses(shipped):
    """compare judges only the elements that are not clear passes with mpmath: on every third synthetic
    answer (misses, edges of the bounds) its statuses and detail are those of mpmath on every element."""
    mixed = 0
    for n, case in enumerate(c for c in shipped if c.result == "valid"):
        if n % 3:
            continue
        answer = Answer(id=case.key, kind="output", dtype=case.result_dtype, shape=case.expected_shape,
                        data=[format_hex(v) for v in _variant(case, n)])
        hybrid = compare(case, answer)
        (exact,) = judgecheck.exact_outcomes([(case, answer)])
        assert (hybrid.status, hybrid.detail) == (exact.status, exact.detail), case.key
        assert (hybrid.max_ulp is None) == (exact.max_ulp is None), case.key
        if exact.max_ulp is not None:
            assert hybrid.max_ulp == pytest.approx(exact.max_ulp, rel=1e-12, abs=1e-250), case.key
        clear = fastjudge.clear_elements(case, [float.fromhex(t) if t.startswith(("0x", "-0x")) else float(t)
                                                for t in answer.data])
        mixed += clear is not None and any(clear[0]) and not all(clear[0])
    assert mixed > 100  # answers with clear elements and others: the case this path is for


def test_an_exact_value_far_below_every_range_is_held_by_the_fast_judge():
    """e^-(10^300)-sized exact values (beyond Decimal's exponents) are 0 give or take 2^-1860, not a
    reason to judge the whole vector with mpmath."""
    text = "3.666423685917776802547873454830038307577e-78072820862606201654737339177799637492280159585647583"
    assert fastjudge._split(text) == (0.0, 0.0, 2.0 ** -1860, 0)
    assert fastjudge._split("-9.05e-295565490868405274588224007604472982662") == (0.0, 0.0, 2.0 ** -1860, 0)
    assert fastjudge._split("1.5e-300")[3] == 300   # a small value with an ordinary exponent is scaled, not dropped


def test_a_copy_with_other_exact_values_does_not_inherit_the_split_ones(shipped):
    import dataclasses
    case = next(c for c in shipped if c.result == "valid" and len(c.expected) == 1 and math.isfinite(c.expected[0]))
    fastjudge.exact_parts(case)
    protocol.case_json(case)
    moved = dataclasses.replace(case, exact=["0.5"], expected=[0.5], expected_text=["0x1p-1"])
    assert moved.exact_parts is None and moved.fast is None and moved.request is None
    assert fastjudge.exact_parts(moved)[0][0] == 0.5


def test_requests_encoded_once_are_byte_for_byte_the_encoder_s(shipped):
    sample = shipped[::97] + [c for c in shipped if c.result == "error"][:20]
    assert protocol.encode_batch(sample) == protocol.encode(protocol.batch_request(sample))
    for case in sample:
        assert protocol.encode_run(case) == protocol.encode(protocol.run_request(case))
        assert case.request is not None   # kept for the next request


def test_loading_pauses_the_collector_and_puts_the_vectors_out_of_its_reach():
    import gc
    from xent_conformance.harness.commands import load_cases
    gc.unfreeze()
    calls = []
    real_disable = gc.disable
    gc.disable = lambda: calls.append("disable") or real_disable()
    try:
        cases, _ = load_cases("run", str(FIXTURES))
    finally:
        gc.disable = real_disable
    assert calls == ["disable"] and gc.isenabled()
    assert len(cases) == N_FIXTURE_VECTORS and gc.get_freeze_count() > 0
    gc.unfreeze()


def test_fastjudge_never_decides_a_miss(shipped):
    """An answer one bound beyond the exact value at every element is left to compare."""
    for case in shipped[:3000]:
        if case.result != "valid" or not case.expected:
            continue
        values = [_round(float(x) + 4 * b + 1e-300, case.result_dtype) if math.isfinite(float(x)) else e
                  for x, b, e in zip(case.exact, case.bounds["compatible"], case.expected)]
        if all(v == e or not math.isfinite(float(x)) for v, e, x in zip(values, case.expected, case.exact)):
            continue  # nothing moved (special values only)
        answer = Answer(id=case.key, kind="output", dtype=case.result_dtype, shape=case.expected_shape,
                        data=[format_hex(v) for v in values])
        assert fastjudge.try_compare(case, answer) is None, case.key


def _softmax_text() -> str:
    return (FIXTURES / "softmax_float64.json").read_text()


@pytest.mark.parametrize("edit", [
    # a repeated key, and another key written with a space before its colon (the counts would balance)
    lambda t: t.replace('"function":', '"function" :', 1).replace('"dtype": "float64"', '"dtype": "float64", "dtype": "float64"', 1),
    lambda t: t.replace('"dtype": "float64"', '"dtype": "float64", "dtype": "float64"', 1),
])
def test_a_repeated_key_is_found_by_the_quick_reader(tmp_path, edit):
    path = tmp_path / "softmax_float64.json"
    path.write_text(edit(_softmax_text()))
    with pytest.raises(vectors.VectorFileError, match="appears twice"):
        vectors.load_vector_file(path)


def test_an_escaped_quote_before_a_colon_in_a_string_is_not_a_key(tmp_path):
    path = tmp_path / "softmax_float64.json"
    path.write_text(_softmax_text().replace('"function":', '"comment": "say \\"x\\": y", "function":', 1))
    assert len(vectors.load_vector_file(path)) == len(vectors.load_vector_file(FIXTURES / "softmax_float64.json"))


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("XENT_CACHE_DIR", str(folder))
    monkeypatch.delenv("XENT_NO_CACHE", raising=False)
    return folder


def test_the_cache_gives_back_exactly_what_the_loader_made(cache_dir, tmp_path, monkeypatch):
    fresh = load_vectors(FIXTURES)
    assert list(cache_dir.glob("*.marshal"))
    monkeypatch.setattr(vectors, "_read_checked", lambda *a: pytest.fail("a cached file was parsed again"))
    again = load_vectors(FIXTURES)
    assert repr(again) == repr(fresh)  # every field (repr: NaN equals NaN)


def test_cached_cases_read_their_inputs_from_their_request_only_when_asked(cache_dir):
    fresh = load_vectors(FIXTURES)
    again = load_vectors(FIXTURES)
    assert protocol.encode_batch(again) == protocol.encode_batch(fresh)   # the kept requests, inputs unread
    assert [c.size for c in again] == [c.size for c in fresh]
    assert all(c.__dict__.get("_inputs") is None for c in again)
    assert [c.inputs for c in again] == [c.inputs for c in fresh]
    assert all(c.__dict__.get("_inputs") is not None for c in again)


def test_an_edited_file_or_no_cache_is_read_and_checked_again(cache_dir, tmp_path, monkeypatch):
    path = tmp_path / "softmax_float64.json"
    path.write_text(_softmax_text())
    vectors.load_vector_file(path)
    doc = json.loads(_softmax_text())
    doc["testGroups"][0]["tests"][0]["inputs"]["x"]["data"][0] = "0x1.zzp+0"
    path.write_text(json.dumps(doc))  # now broken: must not come from the cache
    with pytest.raises(vectors.VectorFileError):
        vectors.load_vector_file(path)
    monkeypatch.setenv("XENT_NO_CACHE", "1")
    before = set(cache_dir.iterdir())
    vectors.load_vector_file(FIXTURES / "sigmoid_float64.json")
    assert set(cache_dir.iterdir()) == before


def test_the_cache_keeps_only_the_newest_entries(cache_dir, monkeypatch):
    from xent_conformance.harness import vcache
    monkeypatch.setattr(vcache, "MAX_ENTRIES", 3)
    load_vectors(FIXTURES)
    assert len(list(cache_dir.glob("*.marshal"))) == 3
