"""The cross-language corpus of bad requests (issue 13 item 12; DECISIONS D1-D9).

Every entry of corpus/bad_requests.yaml is sent to the three project adapters (python, java, go), each
built and started the way `xent-conformance run --impl NAME` does it (conformance/implementations.yaml),
and each must answer with the entry's kind: one of the spec's five kinds, `bad_request` (D7), or the
per-case `unsupported` answer. The test talks to the adapters directly, not through the harness, so
that it judges the adapters alone. Besides the hand-written entries, 400 seeded random requests that are
wrong in several ways at once get the kind the oracle gives them (the spec's precedence, D1).
"""
from __future__ import annotations

import json
import math
import os
import queue
import random
import subprocess
import threading
from pathlib import Path
from typing import Any, Iterator

import pytest
import yaml

from xent_conformance.cases import hand_case
from xent_conformance.dtypes import dtype_named
from xent_conformance.harness import impls
from xent_conformance.oracle import DomainError, output_dtype_of, run_kernel
from xent_conformance.spec import load_spec

CORPUS = Path(__file__).parent / "corpus" / "bad_requests.yaml"
ADAPTERS = ("python", "java", "go")
SPEC_KINDS = {"invalid_shape", "shape_mismatch", "index_out_of_range", "invalid_probability", "invalid_argument"}
KINDS = SPEC_KINDS | {"bad_request", "unsupported"}
START_TIMEOUT = 120.0   # a JVM on a loaded 2-core machine
ANSWER_TIMEOUT = 30.0   # the harness's default request timeout
BUILD_TIMEOUT = 900.0


def load_entries() -> list[dict[str, Any]]:
    data = yaml.safe_load(CORPUS.read_text(encoding="utf-8"))
    return data["entries"]


ENTRIES = load_entries()


def request_line(entry: dict[str, Any]) -> str:
    """The line sent for an entry: its raw `line`, or its run case with cmd and id added."""
    if "line" in entry:
        return entry["line"]
    return json.dumps({"cmd": "run", "id": entry["name"], **entry["request"]})


def expected_id(entry: dict[str, Any]) -> str | None:
    return entry["id"] if "line" in entry else entry["name"]


def answer_kind(answer: Any) -> str:
    """What an answer says: an error kind, `unsupported`, `output`, or a description of the garbage."""
    if not isinstance(answer, dict):
        return f"not an object: {answer!r:.80}"
    if "unsupported" in answer:
        return "unsupported"
    if isinstance(answer.get("error"), dict):
        return str(answer["error"].get("kind"))
    if "output" in answer:
        return "output"
    return f"neither output nor error: {answer!r:.80}"


class Adapter:
    """One running adapter; restarted (and counted) when it dies or stops answering."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.impl = impls.resolve(name)
        self.restarts = 0
        self.proc: subprocess.Popen[str] | None = None
        self.lines: queue.Queue[str | None] = queue.Queue()

    def start(self) -> None:
        env = dict(os.environ)
        env.pop("XENT_MUTANT", None)  # the shipped implementation, never a mutant
        self.proc = subprocess.Popen(self.impl.argv, cwd=self.impl.cwd, env=env, text=True, encoding="utf-8",
                                     errors="replace", stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, bufsize=1)
        self.lines = queue.Queue()
        threading.Thread(target=self._read, args=(self.proc, self.lines), daemon=True).start()
        answer = self._ask('{"cmd": "start", "version": 1}', START_TIMEOUT)
        assert isinstance(answer, dict) and "capabilities" in answer, f"{self.name} refused start: {answer!r}"

    @staticmethod
    def _read(proc: subprocess.Popen[str], lines: queue.Queue[str | None]) -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line)
        lines.put(None)  # end of output: the adapter exited

    def _ask(self, line: str, timeout: float) -> Any:
        assert self.proc is not None and self.proc.stdin is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        try:
            out = self.lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"{self.name}: no answer within {timeout:g} s") from None
        if out is None:
            raise AssertionError(f"{self.name}: the adapter exited (status {self.proc.wait()})")
        return json.loads(out, parse_constant=_reject_constant)

    def ask(self, line: str) -> Any:
        """Send one line and return its answer; a dead or hung adapter fails this call and is restarted
        for the next one, so one crash costs one entry."""
        if self.proc is None or self.proc.poll() is not None:
            if self.proc is not None:
                self.restarts += 1
            self.start()
        try:
            return self._ask(line, ANSWER_TIMEOUT)
        except (AssertionError, BrokenPipeError, ValueError):
            self.stop()
            self.restarts += 1
            self.proc = None
            raise

    def stop(self) -> None:
        if self.proc is None:
            return
        try:
            assert self.proc.stdin is not None
            self.proc.stdin.write('{"cmd": "stop"}\n')
            self.proc.stdin.close()
            self.proc.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired, ValueError):
            self.proc.kill()
            self.proc.wait()


def _reject_constant(name: str) -> Any:
    raise ValueError(f"answer holds {name}, which is not JSON")


@pytest.fixture(scope="module", params=ADAPTERS)
def adapter(request: pytest.FixtureRequest) -> Iterator[Adapter]:
    ad = Adapter(request.param)
    try:
        impls.build(ad.impl, timeout=BUILD_TIMEOUT)
    except impls.ImplError as exc:
        if "is not installed" in str(exc):  # no JDK / Go on this machine: nothing to judge
            pytest.skip(str(exc))
        raise
    ad.start()
    yield ad
    ad.stop()


def test_corpus_is_well_formed() -> None:
    names = [e["name"] for e in ENTRIES]
    assert len(names) == len(set(names)), "duplicate names"
    for e in ENTRIES:
        assert e["expect"] in KINDS, e["name"]
        assert ("request" in e) != ("line" in e), e["name"]
        assert "line" not in e or "id" in e, f"{e['name']}: a raw line says which id its answer carries"
        assert isinstance(e.get("why"), str) and e["why"] and "\n" not in e["why"], e["name"]
    kinds = {e["expect"] for e in ENTRIES}
    assert kinds == KINDS, f"the corpus should exercise every kind; missing {KINDS - kinds}"


@pytest.mark.parametrize("entry", ENTRIES, ids=[e["name"] for e in ENTRIES])
def test_adapter_answers_with_the_expected_kind(adapter: Adapter, entry: dict[str, Any]) -> None:
    answer = adapter.ask(request_line(entry))
    assert answer_kind(answer) == entry["expect"], f"{adapter.name}: {answer!r:.400} ({entry['why']})"
    assert answer.get("id") == expected_id(entry), f"{adapter.name}: wrong id in {answer!r:.300}"
    if entry["expect"] == "unsupported":
        assert isinstance(answer["unsupported"], str) and answer["unsupported"].strip()
        assert "error" not in answer and "output" not in answer
    else:
        message = answer["error"].get("message")
        assert isinstance(message, str) and message.strip() and "\n" not in message, answer


def test_batch_answers_match(adapter: Adapter) -> None:
    """The same cases in run_batch (the harness's usual path) get the same kinds."""
    cases = [{"id": e["name"], **e["request"]} for e in ENTRIES if "request" in e]
    got: dict[str, str] = {}
    for start in range(0, len(cases), 32):  # the harness sends at most 64 cases per batch
        answer = adapter.ask(json.dumps({"cmd": "run_batch", "cases": cases[start:start + 32]}))
        assert isinstance(answer, dict) and isinstance(answer.get("results"), list), f"{answer!r:.300}"
        got.update({r.get("id"): answer_kind(r) for r in answer["results"]})
    want = {e["name"]: e["expect"] for e in ENTRIES if "request" in e}
    wrong = {name: (kind, got.get(name)) for name, kind in want.items() if got.get(name) != kind}
    assert not wrong, f"{adapter.name}: (expected, got) {wrong}"


def test_adapter_survives_the_corpus(adapter: Adapter) -> None:
    """No entry crashed or hung the adapter, and it still computes."""
    answer = adapter.ask(json.dumps({"cmd": "run", "id": "alive", "function": "sigmoid", "dtype": "float64",
                                     "params": {}, "inputs": {"z": {"dtype": "float64", "shape": [],
                                                                    "data": ["0x0p+0"]}}}))
    assert answer.get("output", {}).get("data") in (["0x1p-1"], ["0x1.0p-1"], ["0x1.0000000000000p-1"]), answer
    assert adapter.restarts == 0, f"{adapter.name} crashed or hung {adapter.restarts} time(s) on the corpus"


# ---------------------------------------------------------------------------------------------------
# Generated requests: seeded random cases that are wrong in several ways at once (a rank, a zero class
# count, a mismatched shape, a bad weight, an index or a probability out of range, a scalar parameter
# outside its domain), judged by the oracle, so that the spec's precedence (D1) is checked far beyond the
# hand-written entries. Every value is exact in both dtypes, so no answer can hinge on rounding.
GENERATED_SEED, GENERATED_COUNT = 20261207, 400
BAD_FLOATS = (math.nan, 1.5, -0.5, math.inf, -math.inf)
GOOD_FLOATS = (0.0, 0.25, 0.5, 1.0)
SCALAR_PARAMS = {  # name: (valid values, invalid values)
    "label_smoothing": ((0.0, 0.125, 1.0), (2.0, -0.125, math.nan)),
    "epsilon": ((0.0, 2.0**-20), (2.0, -0.125, math.nan, 0.5)),
    "gamma": ((0.0, 2.0), (-1.0, math.inf, math.nan)),
    "alpha": ((0.25, None), (2.0, -0.5, math.nan)),  # sigmoid_focal_loss's scalar alpha
    "reduction": (("none", "sum", "mean"), ("avg",)),
    "base": (("e", "2"), ("10",)),
    "label_smoothing_mode": (("uniform", "off_target"), ("x",)),
    "ignore_index": ((-100, 0, 1, None), ()),       # None: nothing ignored (specVersion 3)
    "axis": ((-1, 0, 1), (5, -7)),                 # softmax, log_softmax, logsumexp
    "log_target": ((False, True), ()),             # kl_div
    "output_dtype": (("same",), ("float32", "float16")),  # float32 only with 16-bit inputs, never generated here
    "logit_scale": ((1.0, 0.5, 2.0), (0.0, -1.0, math.inf, math.nan)),        # softmax CE and its gradient
    "softcap": ((None, 2.0, 30.0), (0.0, -1.0, math.inf, math.nan)),           # (specVersion 3, issue 17)
    "z_loss": ((0.0, 2.0**-10, 0.5), (-0.125, math.inf, math.nan)),
    "empty_mean": (("nan", "zero"), ("none",)),
    "result": (("loss", "z_loss", "lse"), ("logits",)),                      # softmax CE (specVersion 4)
    "wrt": (("hidden", "linear_weight", "linear_bias"), ("bias",)),          # linear CE's gradient (specVersion 4)
}
INDEX_TARGET_OF_N = {"nll_from_probs", "focal_loss"}        # target [N]
CLASSES_ON_AXIS_1 = {"softmax_cross_entropy", "softmax_cross_entropy_grad", "focal_loss", "nll_from_probs", "nll_loss"}


class RequestGenerator:
    """Random requests for every function, from the spec's declarations of inputs and parameters."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.spec = load_spec()

    def shape(self, low: int, high: int) -> list[int]:
        rank = self.rng.randint(max(0, low - 1), min(6, high + 1))
        sizes = (0, 1, 2, 3) if self.rng.random() < 0.15 else (1, 2, 3)
        return [self.rng.choice(sizes) for _ in range(rank)]

    def perturb(self, shape: list[int]) -> list[int]:
        """Mostly the shape itself; sometimes one axis more or less, or one axis longer."""
        u = self.rng.random()
        if u < 0.1:
            return shape + [1] if self.rng.random() < 0.5 else shape[:-1]
        if u < 0.2 and shape:
            grown = list(shape)
            grown[self.rng.randrange(len(grown))] += 1
            return grown
        return list(shape)

    def floats(self, n: int) -> list[float]:
        return [self.rng.choice(BAD_FLOATS) if self.rng.random() < 0.08 else self.rng.choice(GOOD_FLOATS)
                for _ in range(n)]

    def indices(self, n: int, classes: int) -> list[int]:
        def one() -> int:
            u = self.rng.random()
            if u < 0.08:
                return self.rng.choice([classes, -1, 7, 2**63 - 1])
            return -100 if u < 0.18 else self.rng.randrange(max(classes, 1))
        return [one() for _ in range(n)]

    def case(self) -> tuple[str, str, dict[str, Any], dict[str, Any]]:
        """(function, dtype, inputs, params) with plain floats, in the case-file form the oracle reads."""
        name = self.rng.choice(sorted(self.spec.functions))
        fn = self.spec.functions[name]
        inputs: dict[str, Any] = {}
        first: list[int] = []
        for input_name, decl in fn["inputs"].items():
            if not inputs:
                first = self.shape(*decl["rank"])
                inputs[input_name] = {"shape": first, "data": self.floats(math.prod(first)), "kind": "float"}
            elif decl["type"] == "int_tensor" or (decl["type"] == "target_tensor" and self.rng.random() < 0.6):
                shape = self.perturb(first[:1] if name in INDEX_TARGET_OF_N else first[:1] + first[2:])
                classes = first[1] if len(first) > 1 else 1
                inputs[input_name] = {"shape": shape, "data": self.indices(math.prod(shape), classes), "kind": "int"}
            else:
                shape = self.perturb(first)
                inputs[input_name] = {"shape": shape, "data": self.floats(math.prod(shape)), "kind": "float"}
        params = {}
        for param, decl in fn["params"].items():
            value = self.param(name, param, decl, first)
            if value is not _ABSENT:
                params[param] = value
        return name, self.rng.choice(["float64", "float32"]), inputs, params

    def param(self, function: str, name: str, decl: dict, first: list[int]) -> Any:
        u = self.rng.random()
        if decl["type"] == "float_tensor_or_null":
            if u < 0.5:
                return _ABSENT
            axis = 1 if function in CLASSES_ON_AXIS_1 else -1
            classes = first[axis] if len(first) > max(axis, 0) else 1
            n = classes + (1 if self.rng.random() < 0.15 else 0)
            data = [self.rng.choice([-1.0, math.nan, math.inf]) if self.rng.random() < 0.1
                    else self.rng.choice([0.0, 1.0, 2.0]) for _ in range(n)]
            return {"shape": [n], "data": data, "kind": "float"}
        if decl["type"] == "bool_tensor_or_null":  # the class mask: [C], the logits' shape, or a wrong shape
            if u < 0.5:
                return _ABSENT
            shape = self.rng.choice([first[1:2], first, first[1:2] + [1], first[:1]])
            return {"shape": shape, "data": [self.rng.random() < 0.7 for _ in range(math.prod(shape))],
                    "kind": "bool"}
        valid, invalid = SCALAR_PARAMS[name]
        if u < 0.4:
            return _ABSENT
        return self.rng.choice(valid if u < 0.8 or not invalid else invalid)


_ABSENT = object()


def oracle_kind(spec: Any, function: str, dtype: str, inputs: dict, params: dict) -> str:
    """The oracle's answer: the spec's error kind, or `output`."""
    entry = {"tcId": 1, "comment": "generated", "inputs": inputs, "params": params}
    case = hand_case(entry, spec.functions[function], dtype_named(dtype), "generated")
    try:
        output_dtype_of(case.params, dtype_named(dtype))  # step 1, before the kernel's own checks
        run_kernel(function, case.inputs, case.params)
    except DomainError as exc:
        return exc.kind
    return "output"


def _hex(v: Any) -> Any:
    if not isinstance(v, float):
        return v
    if math.isnan(v):
        return "nan"
    return ("inf" if v > 0 else "-inf") if math.isinf(v) else v.hex()


def to_protocol(value: Any, dtype: str) -> Any:
    """A case-file value as the protocol writes it: tensors with dtype and hex floats, scalars as hex."""
    if isinstance(value, dict):
        if value["kind"] == "bool":  # protocol 1.3: JSON true/false
            return {"dtype": "bool", "shape": value["shape"], "data": value["data"]}
        is_int = value["kind"] == "int"
        return {"dtype": "int64" if is_int else dtype, "shape": value["shape"],
                "data": value["data"] if is_int else [_hex(v) for v in value["data"]]}
    return _hex(value)


@pytest.fixture(scope="module")
def generated() -> list[tuple[dict[str, Any], str]]:
    gen = RequestGenerator(GENERATED_SEED)
    cases = []
    for i in range(GENERATED_COUNT):
        function, dtype, inputs, params = gen.case()
        request = {"id": f"generated-{i}", "function": function, "dtype": dtype,
                   "params": {k: to_protocol(v, dtype) for k, v in params.items()},
                   "inputs": {k: to_protocol(v, dtype) for k, v in inputs.items()}}
        cases.append((request, oracle_kind(gen.spec, function, dtype, inputs, params)))
    return cases


def test_generated_requests_cover_every_kind(generated: list[tuple[dict[str, Any], str]]) -> None:
    kinds = {kind for _, kind in generated}
    assert kinds == SPEC_KINDS | {"output"}, kinds


def test_generated_requests_get_the_oracles_kind(adapter: Adapter,
                                                 generated: list[tuple[dict[str, Any], str]]) -> None:
    got: dict[str, str] = {}
    requests = [request for request, _ in generated]
    for start in range(0, len(requests), 32):
        answer = adapter.ask(json.dumps({"cmd": "run_batch", "cases": requests[start:start + 32]}))
        got.update({r.get("id"): answer_kind(r) for r in answer["results"]})
    wrong = [(request, kind, got.get(request["id"])) for request, kind in generated
             if got.get(request["id"]) != kind]
    assert not wrong, f"{adapter.name}: {len(wrong)} of {len(generated)} differ from the oracle, e.g. " + \
        "; ".join(f"{json.dumps(r)[:300]} -> expected {k}, got {g}" for r, k, g in wrong[:3])



def test_the_python_adapters_tables_match_the_spec() -> None:
    """The Python adapter decodes each input and parameter by tables of its own (python/src/xent/adapter.py);
    a spec change that they miss would turn valid requests into bad requests, or the reverse."""
    adapter_module = pytest.importorskip("xent.adapter")
    kinds = {"float": "float", "float_or_null": "float_or_null", "int": "int", "int_or_null": "int_or_null",
             "bool": "bool", "enum": "enum", "float_tensor_or_null": "tensor_or_null",
             "bool_tensor_or_null": "bool_tensor_or_null"}
    for name, fn in load_spec().functions.items():
        inputs, params = adapter_module.SIGNATURES[name]
        assert list(inputs) == list(fn["inputs"]) and sorted(params) == sorted(fn["params"]), name
        for param, decl in fn["params"].items():
            assert adapter_module._param_kind(name, param) == kinds[decl["type"]], (name, param)
        for input_name, decl in fn["inputs"].items():
            key = (name, input_name)
            table = ("int_tensor" if key in adapter_module.INDEX_INPUTS else
                     "target_tensor" if key in adapter_module.INDEX_OR_FLOAT_INPUTS else "float_tensor")
            assert table == decl["type"], key
