"""Protocol messages (PROTOCOL.md, schema/protocol.schema.json): building requests, checking answers.

Answers are checked by hand rather than with jsonschema so that every violation becomes one clear
sentence and a batch of thousands of answers stays cheap; tests keep the two in agreement.

Protocol 1.1 is additive over version 1 (the handshake still says `version: 1`): a per-case
`{"id": ..., "unsupported": "<reason>"}` answer, capability objects naming dtypes, parameter values and
ranks, and the protocol error kinds `bad_request` and `internal_error` (DECISIONS.md D7).

Every text an adapter sends (ids, kinds, messages, reasons, names) is passed through `clean` before it
can reach a terminal or a report: control characters, escape sequences, bidi overrides and lone
surrogates become visible escapes, so an adapter cannot forge report lines or break report files.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from ..hexfloat import HexFloatError, parse_hex
from .vectors import VectorCase

PROTOCOL_VERSION = 1
ERROR_KINDS = ("invalid_shape", "shape_mismatch", "index_out_of_range", "invalid_probability",
               "invalid_argument")
#: Protocol-level kinds (D7): the request could not be read / the implementation failed unexpectedly.
BAD_REQUEST = "bad_request"
INTERNAL_ERROR = "internal_error"
PROTOCOL_ERROR_KINDS = (BAD_REQUEST, INTERNAL_ERROR)
#: A capability `params` value that matches any tensor object.
ANY_TENSOR = "tensor"

# C0/C1 controls, DEL, line and paragraph separators, bidi embeddings/overrides/isolates, BOM, lone surrogates
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff\ud800-\udfff]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match) -> str:
    ch = match.group()
    return _NAMED.get(ch) or (f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}")


def clean(text: Any, limit: int | None = None) -> str:
    """Adapter text made safe to print and to write as UTF-8: one line, no terminal control."""
    text = text if isinstance(text, str) else str(text)
    if limit is not None and len(text) > limit:
        text = text[: max(limit - 3, 0)] + "..."
    return _UNSAFE.sub(_escape, text)


def clean_tree(value: Any) -> Any:
    """`clean` applied to every string (keys included) of a decoded JSON value (only called when the
    raw line held a surrogate escape; ordinary answers are never walked)."""
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, list):
        return [clean_tree(v) for v in value]
    if isinstance(value, dict):
        return {clean(k): clean_tree(v) for k, v in value.items()}
    return value


class ProtocolViolation(Exception):
    """An answer that does not follow the protocol (the adapter 'sent garbage')."""


class StartRefused(Exception):
    """The adapter answered `start` with an error (for example unsupported_version)."""


@dataclass
class Capability:
    """What an adapter declares for one function: dtypes, and optionally (protocol 1.1) the parameter
    values and input ranks it supports. A case outside is not sent; `unsupported_reason` says why."""
    dtypes: list[str]
    params: dict[str, list[Any]] = field(default_factory=dict)
    ranks: dict[str, tuple[int, int]] | tuple[int, int] | None = None

    def to_json(self) -> Any:
        if not self.params and self.ranks is None:
            return list(self.dtypes)
        out: dict[str, Any] = {"dtypes": list(self.dtypes)}
        if self.params:
            out["params"] = self.params
        if self.ranks is not None:
            out["ranks"] = (list(self.ranks) if isinstance(self.ranks, tuple)
                            else {k: list(v) for k, v in self.ranks.items()})
        return out

    def unsupported_reason(self, case: VectorCase) -> str | None:
        if case.dtype not in self.dtypes:
            return f"dtype {case.dtype} not declared"
        for name, allowed in self.params.items():
            if name in case.params and not any(_param_matches(case.params[name], a, case.dtype) for a in allowed):
                return f"{name} = {_describe(case.params[name])} not declared (declared: {_describe_list(allowed)})"
        for name, (low, high) in self._rank_limits(case).items():
            rank = _rank(case.inputs.get(name))
            if rank is not None and not low <= rank <= high:
                return f"rank {rank} of {name} not declared (declared: {low}..{high})"
        return None

    def _rank_limits(self, case: VectorCase) -> dict[str, tuple[int, int]]:
        if self.ranks is None:
            return {}
        if isinstance(self.ranks, tuple):  # the first input in signature order
            first = next(iter(case.inputs), None)
            return {first: self.ranks} if first is not None else {}
        return self.ranks


def _rank(tensor: Any) -> int | None:
    if isinstance(tensor, dict) and isinstance(tensor.get("shape"), list):
        return len(tensor["shape"])
    return None


def _hex_value(value: Any, dtype: str) -> float | None:
    try:
        return parse_hex(value, "float64") if isinstance(value, str) else None
    except HexFloatError:
        return None


def _param_matches(value: Any, allowed: Any, dtype: str) -> bool:
    """A vector's parameter value against one declared value: null, "tensor" (any tensor), a hex float
    (compared by value, so 0x0p+0 and 0x0.0p+0 agree), or any other JSON value compared as is."""
    if isinstance(value, dict):
        return allowed == ANY_TENSOR
    if value == allowed and type(value) is type(allowed):
        return True
    a, b = _hex_value(value, dtype), _hex_value(allowed, dtype)
    return a is not None and b is not None and (a == b or (a != a and b != b))


def _describe(value: Any) -> str:
    if isinstance(value, dict):
        return "a tensor"
    return clean(json.dumps(value), 60)


def _describe_list(values: list[Any]) -> str:
    return clean(", ".join(_describe(v) if v != ANY_TENSOR else "tensor" for v in values), 120)


@dataclass
class StartInfo:
    implementation: dict[str, Any]
    capabilities: dict[str, Capability]

    @property
    def name(self) -> str:
        impl = self.implementation
        text = str(impl.get("name", "?"))
        if impl.get("version"):
            text += f" {impl['version']}"
        if impl.get("language"):
            text += f" ({impl['language']})"
        return text

    def supports(self, function: str, dtype: str) -> bool:
        cap = self.capabilities.get(function)
        return cap is not None and dtype in cap.dtypes

    def unsupported_reason(self, case: VectorCase) -> str | None:
        """None when the case is inside the declared capabilities, else why it is not sent."""
        cap = self.capabilities.get(case.function)
        if cap is None:
            return f"{case.function} not declared"
        return cap.unsupported_reason(case)

    def capabilities_json(self) -> dict[str, Any]:
        return {f: c.to_json() for f, c in self.capabilities.items()}


@dataclass
class Answer:
    id: str
    kind: str                         # "output", "error" or "unsupported"
    dtype: str | None = None
    shape: list[int] | None = None
    data: list[str] | None = None
    error_kind: str | None = None
    message: str = ""


def encode(message: dict) -> bytes:
    return (json.dumps(message, separators=(",", ":"), ensure_ascii=False, allow_nan=False) + "\n").encode("utf-8")


def start_request() -> dict:
    return {"cmd": "start", "version": PROTOCOL_VERSION}


def stop_request() -> dict:
    return {"cmd": "stop"}


def case_payload(case: VectorCase, id: str | None = None) -> dict:
    return {"id": id if id is not None else case.key, "function": case.function, "dtype": case.dtype,
            "params": case.params, "inputs": case.inputs}


def run_request(case: VectorCase, id: str | None = None) -> dict:
    return {"cmd": "run", **case_payload(case, id)}


def batch_request(cases: list[VectorCase]) -> dict:
    return {"cmd": "run_batch", "cases": [case_payload(c) for c in cases]}


def case_json(case: VectorCase) -> str:
    """The case's payload (its own id) as encode writes it, made once per case and kept on it (and in the
    vectors cache): a run, its retries and the mutant runs over the same cases never encode a case twice."""
    if case.request is None:
        case.request = json.dumps(case_payload(case), separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return case.request


def encode_batch(cases: list[VectorCase]) -> bytes:
    """encode(batch_request(cases)), byte for byte, from the cases' kept payloads."""
    return ('{"cmd":"run_batch","cases":[' + ",".join(map(case_json, cases)) + "]}\n").encode("utf-8")


def encode_run(case: VectorCase) -> bytes:
    """encode(run_request(case)), byte for byte, from the case's kept payload."""
    return ('{"cmd":"run",' + case_json(case)[1:] + "\n").encode("utf-8")


def excerpt(value: Any, limit: int = 160) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return clean(text, limit)


def parse_start_answer(obj: Any) -> StartInfo:
    if not isinstance(obj, dict):
        raise ProtocolViolation(f"the answer to start is not a JSON object: {excerpt(obj)}")
    if "error" in obj and "capabilities" not in obj:
        err = obj["error"]
        if isinstance(err, dict):
            raise StartRefused(f"{clean(err.get('kind', '?'), 80)}: {clean(err.get('message', ''), 500)}")
        raise StartRefused(excerpt(err))
    version = obj.get("version")
    if version != PROTOCOL_VERSION:
        raise ProtocolViolation(f"the adapter speaks protocol version {version!r}; the harness speaks {PROTOCOL_VERSION}")
    impl = obj.get("implementation")
    if not isinstance(impl, dict) or not isinstance(impl.get("name"), str):
        raise ProtocolViolation(f"the answer to start lacks implementation.name: {excerpt(obj)}")
    caps = obj.get("capabilities")
    if not isinstance(caps, dict):
        raise ProtocolViolation(f"the answer to start lacks a capabilities object: {excerpt(obj)}")
    impl = {clean(k, 60): clean(v, 200) if isinstance(v, str) else v for k, v in impl.items()}
    return StartInfo(implementation=impl,
                     capabilities={clean(k, 100): parse_capability(k, v) for k, v in caps.items()})


def _dtype_list(value: Any, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(d, str) for d in value):
        raise ProtocolViolation(f"{where} must be a list of dtype names, got {excerpt(value)}")
    return [clean(d, 40) for d in value]


def _rank_pair(value: Any, where: str) -> tuple[int, int]:
    if (not isinstance(value, list) or len(value) != 2
            or not all(isinstance(r, int) and not isinstance(r, bool) and 0 <= r <= 64 for r in value)
            or value[0] > value[1]):
        raise ProtocolViolation(f"{where} must be [lowest rank, highest rank] (integers 0..64), got {excerpt(value)}")
    return value[0], value[1]


def parse_capability(function: str, value: Any) -> Capability:
    """A capabilities entry: a list of dtypes (version 1), or an object (protocol 1.1)
    {"dtypes": [...], "params": {name: [allowed values]}, "ranks": [lo, hi] or {input: [lo, hi]}}."""
    where = f"capabilities[{excerpt(function, 60)}]"
    if isinstance(value, list):
        return Capability(_dtype_list(value, where))
    if not isinstance(value, dict):
        raise ProtocolViolation(f"{where} must be a list of dtype names or a capability object, got {excerpt(value)}")
    cap = Capability(_dtype_list(value.get("dtypes"), f"{where}.dtypes"))
    params = value.get("params", {})
    if not isinstance(params, dict) or not all(isinstance(v, list) for v in params.values()):
        raise ProtocolViolation(f"{where}.params must map parameter names to lists of allowed values, got {excerpt(params)}")
    cap.params = {clean(k, 60): v for k, v in params.items()}
    ranks = value.get("ranks")
    if isinstance(ranks, dict):
        cap.ranks = {k: _rank_pair(v, f"{where}.ranks.{excerpt(k, 40)}") for k, v in ranks.items()}
    elif ranks is not None:
        cap.ranks = _rank_pair(ranks, f"{where}.ranks")
    return cap


def answer_id(obj: Any) -> str | None:
    if isinstance(obj, dict) and isinstance(obj.get("id"), str):
        return obj["id"]
    return None


def parse_case_answer(obj: Any) -> Answer:
    """Check one answer to a case; raises ProtocolViolation naming what is wrong."""
    if not isinstance(obj, dict):
        raise ProtocolViolation(f"an answer must be a JSON object, got {excerpt(obj)}")
    id = obj.get("id")
    if not isinstance(id, str):
        raise ProtocolViolation(f"the answer has no string id: {excerpt(obj)}")
    present = [k for k in ("output", "error", "unsupported") if k in obj]
    if len(present) != 1:
        raise ProtocolViolation(f"an answer has exactly one of output, error and unsupported: {excerpt(obj)}")
    if present[0] == "unsupported":
        reason = obj["unsupported"]
        if not isinstance(reason, str):
            raise ProtocolViolation(f"unsupported must be a string (the reason): {excerpt(obj)}")
        return Answer(id=id, kind="unsupported", message=clean(reason, 300) or "no reason given")
    if present[0] == "error":
        err = obj["error"]
        if not isinstance(err, dict) or not isinstance(err.get("kind"), str):
            raise ProtocolViolation(f"error must be an object with a string kind: {excerpt(obj)}")
        message = err.get("message", "")
        return Answer(id=id, kind="error", error_kind=clean(err["kind"], 80), message=clean(message, 1000))
    out = obj["output"]
    if not isinstance(out, dict):
        raise ProtocolViolation(f"output must be a tensor object: {excerpt(obj)}")
    dtype, shape, data = out.get("dtype"), out.get("shape"), out.get("data")
    if not isinstance(dtype, str):
        raise ProtocolViolation(f"output.dtype must be a string: {excerpt(obj)}")
    if not isinstance(shape, list) or not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape):
        raise ProtocolViolation(f"output.shape must be a list of non-negative integers: {excerpt(obj)}")
    if not isinstance(data, list) or not all(isinstance(x, str) for x in data):
        raise ProtocolViolation(f"output.data must be a list of hex-float strings: {excerpt(obj)}")
    n = 1
    for d in shape:
        n *= d
    if len(data) != n:
        raise ProtocolViolation(f"output.data has {len(data)} elements but output.shape {shape} needs {n}")
    return Answer(id=id, kind="output", dtype=dtype, shape=shape, data=data)


def batch_results(obj: Any) -> list:
    if not isinstance(obj, dict) or not isinstance(obj.get("results"), list):
        raise ProtocolViolation(f"the answer to run_batch must be {{\"results\": [...]}}, got {excerpt(obj)}")
    return obj["results"]
