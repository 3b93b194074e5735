"""Concrete test cases for one function and dtype: hand-written cases and seeded random families.

Random values come only from random.Random seeded with a string (stable across Python versions) and
from exact float operations (+, -, *, /, ldexp), never from libm, so the vectors are reproducible byte
for byte on any machine.
"""
from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Any

from .dtypes import DType
from .spec import Spec
from .tensor import INT_DTYPE, Tensor
from .values import float_to_dtype, to_dtype


@dataclass
class Case:
    tc_id: int
    comment: str
    flags: list[str]
    inputs: dict[str, Tensor]
    params: dict[str, Any]
    error: str | None = None
    source: str = ""


# ---------------------------------------------------------------- tensors from YAML

def _shape_of(nested: Any) -> tuple[int, ...]:
    if not isinstance(nested, list):
        return ()
    if not nested:
        return (0,)
    inner = [_shape_of(item) for item in nested]
    if any(s != inner[0] for s in inner):
        raise ValueError("ragged nested list: every row must have the same shape")
    return (len(nested), *inner[0])


def _flatten(nested: Any) -> list:
    if not isinstance(nested, list):
        return [nested]
    return [v for item in nested for v in _flatten(item)]


def tensor_from_yaml(value: Any, kind: str, dtype: DType) -> Tensor:
    """kind: 'float', 'int', or 'target' (int unless some element is a float or a string)."""
    if isinstance(value, dict):
        shape, data = tuple(value["shape"]), list(value["data"])
        kind = value.get("kind", kind)
        if len(data) != math.prod(shape):
            raise ValueError(f"data has {len(data)} elements but shape {list(shape)} needs {math.prod(shape)}")
    else:
        shape, data = _shape_of(value), _flatten(value)
    if kind == "target":
        kind = "float" if any(isinstance(v, (float, str)) for v in data) else "int"
    if kind == "int":
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in data):
            raise ValueError("expected integers")
        return Tensor(INT_DTYPE, shape, tuple(data))
    return Tensor(dtype.name, shape, tuple(to_dtype(v, dtype) for v in data))


_INPUT_KIND = {"float_tensor": "float", "int_tensor": "int", "target_tensor": "target"}


def resolve_params(fn: dict, given: dict, dtype: DType) -> dict:
    """Every parameter of the function, defaults filled in, numbers as values of the dtype."""
    params = {}
    for name, decl in fn["params"].items():
        value = given.get(name, decl["default"])
        kind = decl["type"]
        if value is None:
            params[name] = None
        elif kind in ("float", "float_or_null") and isinstance(value, (int, float, str)) and not isinstance(value, bool):
            params[name] = to_dtype(value, dtype)
        elif kind == "float_tensor_or_null" and isinstance(value, (list, dict)):
            params[name] = tensor_from_yaml(value, "float", dtype)
        else:
            params[name] = value  # ints, enums, and deliberately wrong values for error cases
    return params


def hand_case(entry: dict, fn: dict, dtype: DType, source: str) -> Case:
    inputs = {name: tensor_from_yaml(entry["inputs"][name], _INPUT_KIND[decl["type"]], dtype)
              for name, decl in fn["inputs"].items()}
    return Case(entry["tcId"], entry["comment"], list(entry.get("flags", [])), inputs,
                resolve_params(fn, entry.get("params", {}), dtype), entry.get("error"), source)


# ---------------------------------------------------------------- seeded random families

class Source:
    """Deterministic random numbers from exact float arithmetic only."""

    def __init__(self, key: str):
        self.rng = random.Random(key)

    def uniform(self) -> float:
        return self.rng.random()

    def normal(self) -> float:
        """Irwin-Hall: a sum of 12 uniforms minus 6 (mean 0, variance 1), no libm involved."""
        return sum(self.rng.random() for _ in range(12)) - 6.0

    def index(self, n: int) -> int:
        return self.rng.randrange(n)

    def spread(self) -> float:
        """sign * (1 + u) * 2^k with k uniform in [-10, 10]: magnitudes across six decades."""
        sign = -1.0 if self.rng.random() < 0.5 else 1.0
        return sign * math.ldexp(1.0 + self.rng.random(), self.rng.randrange(-10, 11))


def _logits(src: Source, shape, family: dict, scale: float) -> list[float]:
    pattern = family.get("pattern", "normal")
    size = math.prod(shape)
    if pattern == "zeros":
        return [0.0] * size
    if pattern == "spread":
        return [src.spread() for _ in range(size)]
    values = [src.normal() * (1.0 if pattern == "dominant" else scale) for _ in range(size)]
    if pattern == "offset":
        offset = float(family.get("offset", 0))
        values = [v + offset for v in values]
    if pattern == "dominant":  # one class per row ahead of the others by about `scale`
        classes = shape[1] if len(shape) > 1 else shape[0]
        rows = size // classes if classes else 0
        stride = math.prod(shape[2:]) if len(shape) > 2 else 1
        for row in range(rows):
            n, r = divmod(row, stride)
            k = src.index(classes)
            values[(n * classes + k) * stride + r] += scale
    return values


def _distributions(src: Source, shape, zeros: float, axis: int) -> list[float]:
    """Rows along `axis` that sum to about 1 (each value rounded in float64 arithmetic)."""
    size = math.prod(shape)
    raw = [0.0 if src.uniform() < zeros else src.uniform() for _ in range(size)]
    classes = shape[axis] if shape else 1
    stride = math.prod(shape[axis + 1:])
    out = list(raw)
    for outer in range(size // max(classes, 1) if classes else 0):
        n, r = divmod(outer, stride)
        idx = [(n * classes + c) * stride + r for c in range(classes)]
        total = sum(raw[i] for i in idx)
        if total == 0:
            raw[idx[0]] = total = 1.0
        for i in idx:
            out[i] = raw[i] / total
    return out


def _one_hot(src: Source, shape, axis: int) -> list[float]:
    size = math.prod(shape)
    out = [0.0] * size
    classes, stride = shape[axis], math.prod(shape[axis + 1:])
    for outer in range(size // classes if classes else 0):
        n, r = divmod(outer, stride)
        out[(n * classes + src.index(classes)) * stride + r] = 1.0
    return out


def _elements(src: Source, size: int, family: dict) -> list[float]:
    """Probabilities for elementwise losses: uniform, or spread towards 0 and 1 with exact operations."""
    if family.get("pattern") == "spread":
        out = []
        for _ in range(size):
            tiny = math.ldexp(1.0 + src.uniform(), -src.index(60) - 1) / 2
            out.append(tiny if src.uniform() < 0.5 else 1.0 - tiny)
        return out
    return [src.uniform() for _ in range(size)]


def _binary_targets(src: Source, size: int, mode: str) -> list[float]:
    if mode == "soft":
        return [src.uniform() for _ in range(size)]
    return [float(src.index(2)) for _ in range(size)]


def _random_inputs(src: Source, fn: dict, shape, family: dict, scale: float, dtype: DType) -> dict[str, Tensor]:
    names = list(fn["inputs"])
    inputs: dict[str, Tensor] = {}
    targets = family.get("targets")
    class_axis = 1 if len(shape) >= 2 else 0
    for name in names:
        role = fn["inputs"][name]["role"]
        if role == "logits":
            data = _logits(src, shape, family, scale)
        elif role == "probabilities":
            if name in ("t",) and targets == "one_hot":
                data = _one_hot(src, shape, len(shape) - 1)
            else:
                data = _distributions(src, shape, float(family.get("zeros", 0)), len(shape) - 1)
                if name == "q" and family.get("pattern") == "close" and "p" in inputs:
                    # q = p perturbed in the last bits: KL(p || q) is tiny by cancellation
                    data = [v * (1 + (src.uniform() - 0.5) * 2.0 ** -30) for v in inputs["p"].data]
        elif role == "probability_elements":
            data = _elements(src, math.prod(shape), family)
        elif role == "binary_target":
            data = _binary_targets(src, math.prod(shape), targets or "hard")
        elif role in ("class_index", "class_index_or_probabilities"):
            if role == "class_index_or_probabilities" and targets == "probabilities":
                data = _distributions(src, shape, float(family.get("zeros", 0)), class_axis)
            else:
                classes = shape[class_axis]
                target_shape = shape[:class_axis] + shape[class_axis + 1:]
                values = tuple(src.index(classes) for _ in range(math.prod(target_shape)))
                inputs[name] = Tensor(INT_DTYPE, target_shape, values)
                continue
        else:
            raise ValueError(f"no random generator for role {role!r}")
        inputs[name] = Tensor(dtype.name, tuple(shape), tuple(float_to_dtype(v, dtype) for v in data))
    return inputs


def _random_params(src: Source, fn: dict, given: dict, inputs: dict[str, Tensor], dtype: DType) -> dict:
    first = next(iter(inputs.values()))
    chosen = {}
    for name, value in given.items():
        if value == "random_weights":  # positive per-class weights, [C] = the class axis (axis 1, or last)
            classes = first.shape[1] if len(first.shape) >= 2 and fn["inputs"].get("logits") else first.shape[-1]
            value = [0.25 + 2 * src.uniform() for _ in range(classes)]
        chosen[name] = value
    return resolve_params(fn, chosen, dtype)


def family_cases(family: dict, fn: dict, function: str, dtype: DType, source: str) -> list[Case]:
    shapes = family["shapes"]
    scales = family.get("scales", [1.0])
    param_sets = family.get("params", [{}])
    cases = []
    for i in range(family["count"]):
        tc_id = family["tcId"] + i
        shape = tuple(shapes[i % len(shapes)])
        scale = float(scales[(i // len(shapes)) % len(scales)])
        given = param_sets[(i // (len(shapes) * len(scales))) % len(param_sets)]
        src = Source(f"xent:{function}:{family['seed']}:{tc_id}")
        inputs = _random_inputs(src, fn, shape, family, scale, dtype)
        params = _random_params(src, fn, given, inputs, dtype)
        described = ", ".join(f"{k}={v}" for k, v in given.items())
        comment = (f"{family['comment']} (seed {family['seed']}, shape {list(shape)}, scale {scales[(i // len(shapes)) % len(scales)]}"
                   + (f", {described}" if described else "") + ")")
        cases.append(Case(tc_id, comment, list(family.get("flags", ["Random"])), inputs, params, None, source))
    return cases


def materialize(document: dict, spec: Spec, dtype: DType, source: str = "") -> list[Case]:
    """Every case of a validated case file for one dtype, sorted by tcId."""
    function = document["function"]
    fn = spec.functions[function]
    cases: list[Case] = []
    for i, entry in enumerate(document.get("cases", [])):
        if dtype.name in entry.get("dtypes", [dtype.name]):
            try:
                cases.append(hand_case(entry, fn, dtype, source))
            except (ValueError, KeyError) as exc:
                raise ValueError(f"{source}: cases[{i}] (tcId {entry['tcId']}): {exc}") from None
    for family in document.get("families", []):
        if dtype.name in family.get("dtypes", [dtype.name]):
            cases.extend(family_cases(family, fn, function, dtype, source))
    return sorted(cases, key=lambda c: c.tc_id)
