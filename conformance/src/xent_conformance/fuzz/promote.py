"""A failing example as a ready-to-paste entry for spec/cases/<function>.yaml.

The entry has the layout of the hand-written cases (one flow mapping per case): a tcId placeholder, a
comment, flags, the dtype it was found in, inputs and the parameters that differ from their defaults, every
float as a hex float (or inf, -inf, nan, "-0"), so that `xent-conformance generate` rebuilds exactly the
inputs the fuzzer sent. An example the oracle rejects carries `error: <kind>`.
"""
from __future__ import annotations

import json
import math
from typing import Any

from ..cases import resolve_params
from ..dtypes import DTYPES
from ..hexfloat import format_hex
from ..spec import Spec
from ..tensor import Tensor
from .strategies import Example

TCID_PLACEHOLDER = "TCID"


def _float(x: float) -> str:
    if x == 0:
        return "-0" if math.copysign(1.0, x) < 0 else "0"
    return format_hex(x)


def _nested(data: list, shape: tuple[int, ...]) -> list:
    if len(shape) <= 1:
        return list(data)
    step = len(data) // shape[0]
    return [_nested(data[i * step:(i + 1) * step], shape[1:]) for i in range(shape[0])]


def tensor_yaml(t: Tensor) -> Any:
    """Nested lists, or {shape, data} where lists cannot say the shape (rank 0, a zero dimension)."""
    data = [_float(v) for v in t.data] if t.is_float else list(t.data)
    if t.shape and all(d > 0 for d in t.shape):
        return _nested(data, t.shape)
    out: dict[str, Any] = {"shape": list(t.shape), "data": data}
    if t.is_float and not t.data:
        out["kind"] = "float"   # an empty target would otherwise read as class indices
    return out


def _flow(value: Any) -> str:
    """YAML flow style, as the case files are written (strings double-quoted)."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_flow(v) for v in value) + "]"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return json.dumps(_float(value))
    return json.dumps(str(value))


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or (a == b and math.copysign(1, a) == math.copysign(1, b))
    if isinstance(a, Tensor) and isinstance(b, Tensor):
        return a.shape == b.shape and all(_same(x, y) for x, y in zip(a.data, b.data))
    return type(a) is type(b) and a == b


def _flags(example: Example, spec: Spec) -> list[str]:
    fn = spec.functions[example.function]
    flags: list[str] = []
    dtype = DTYPES[example.dtype]

    def add(flag: str) -> None:
        if flag in spec.flags and flag not in flags:
            flags.append(flag)

    for name, t in example.inputs.items():
        role = fn["inputs"][name]["role"]
        if t.size == 0:
            add("EmptyInput")
        if not t.is_float:
            if example.params.get("ignore_index") in t.data:
                add("IgnoreIndex")
            continue
        if name == "target":
            add("ProbabilityTargets")
        for v in t.data:
            if math.isnan(v):
                add("NaNInput")
            elif v == math.inf:
                add("PosInf")
            elif v == -math.inf and role == "logits":
                add("NegInfLogit")
            elif v != 0 and abs(v) < dtype.eta * 2.0 ** (dtype.precision - 1):
                add("Subnormal")
            elif v == 0 and math.copysign(1.0, v) < 0:
                add("SignedZero")
    if example.params.get("label_smoothing"):
        add("LabelSmoothing")
    if isinstance(example.params.get("weight"), Tensor):
        add("ClassWeights")
    if example.params.get("base") == "2":
        add("Base2")
    logits = example.inputs.get("logits")
    if logits is not None and len(logits.shape) > 2:
        add("HigherRank")
    return flags or ["EdgeCase"]


def yaml_case(example: Example, spec: Spec, comment: str, error: str | None = None,
              tc_id: int | str = TCID_PLACEHOLDER) -> str:
    """One line for the `cases:` list of spec/cases/<function>.yaml."""
    fn = spec.functions[example.function]
    dtype = DTYPES[example.dtype]
    defaults = resolve_params(fn, {}, dtype)
    entry: dict[str, Any] = {"tcId": tc_id, "comment": comment, "flags": _flags(example, spec) if not error else [],
                             "dtypes": [example.dtype],
                             "inputs": {name: tensor_yaml(t) for name, t in example.inputs.items()}}
    if not entry["flags"]:
        del entry["flags"]
    params = {}
    for name, value in example.params.items():
        if _same(value, defaults.get(name)):
            continue
        params[name] = tensor_yaml(value) if isinstance(value, Tensor) else value
    if params:
        entry["params"] = params
    if error:
        entry["error"] = error
    text = _flow(entry)
    if tc_id == TCID_PLACEHOLDER:
        text = text.replace(f'tcId: "{TCID_PLACEHOLDER}"', f"tcId: {TCID_PLACEHOLDER}", 1)
    return f"  - {text}"
