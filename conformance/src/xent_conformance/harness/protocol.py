"""Protocol messages (PROTOCOL.md, schema/protocol.schema.json): building requests, checking answers.

Answers are checked by hand rather than with jsonschema so that every violation becomes one clear
sentence and a batch of thousands of answers stays cheap; tests keep the two in agreement.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from .vectors import VectorCase

PROTOCOL_VERSION = 1
ERROR_KINDS = ("invalid_shape", "shape_mismatch", "index_out_of_range", "invalid_probability",
               "invalid_argument")


class ProtocolViolation(Exception):
    """An answer that does not follow the protocol (the adapter 'sent garbage')."""


class StartRefused(Exception):
    """The adapter answered `start` with an error (for example unsupported_version)."""


@dataclass
class StartInfo:
    implementation: dict[str, Any]
    capabilities: dict[str, list[str]]

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
        return dtype in self.capabilities.get(function, ())


@dataclass
class Answer:
    id: str
    kind: str                         # "output" or "error"
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


def excerpt(value: Any, limit: int = 160) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    text = text.replace("\n", "\\n")
    return text if len(text) <= limit else text[: limit - 3] + "..."


def parse_start_answer(obj: Any) -> StartInfo:
    if not isinstance(obj, dict):
        raise ProtocolViolation(f"the answer to start is not a JSON object: {excerpt(obj)}")
    if "error" in obj and "capabilities" not in obj:
        err = obj["error"]
        if isinstance(err, dict):
            raise StartRefused(f"{err.get('kind', '?')}: {err.get('message', '')}")
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
    for function, dtypes in caps.items():
        if not isinstance(dtypes, list) or not all(isinstance(d, str) for d in dtypes):
            raise ProtocolViolation(f"capabilities[{function!r}] must be a list of dtype names, got {excerpt(dtypes)}")
    return StartInfo(implementation=impl, capabilities={k: list(v) for k, v in caps.items()})


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
    has_out, has_err = "output" in obj, "error" in obj
    if has_out == has_err:
        raise ProtocolViolation(f"an answer has exactly one of output and error: {excerpt(obj)}")
    if has_err:
        err = obj["error"]
        if not isinstance(err, dict) or not isinstance(err.get("kind"), str):
            raise ProtocolViolation(f"error must be an object with a string kind: {excerpt(obj)}")
        message = err.get("message", "")
        return Answer(id=id, kind="error", error_kind=err["kind"], message=str(message))
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
