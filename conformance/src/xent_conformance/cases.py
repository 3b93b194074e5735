"""Concrete test cases for one function and dtype: hand-written cases and seeded random families.

Random values come only from random.Random seeded with a string (stable across Python versions) and
from exact float operations (+, -, *, /, ldexp), never from libm, so the vectors are reproducible byte
for byte on any machine.

Limits (errors that name the file, the case or family and the shape): a tensor of a case holds at
most MAX_CASE_ELEMENTS elements (1,000,000; the largest shipped one holds 100,000), and the input tensors
of one output file (function and dtype) at most MAX_FILE_ELEMENTS in all (4,000,000; the largest shipped
file holds 140,000). Family shapes are checked before anything is allocated.
"""
from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Any

import mpmath

from .dtypes import MIXED_INPUT_DTYPES as SIXTEEN_BIT, DType
from .spec import Spec
from .tensor import BOOL_DTYPE, INT_DTYPE, Tensor, is_int64
from .values import float_to_dtype, shown, to_dtype
from . import linear_inputs, split_merge_inputs

MAX_CASE_ELEMENTS = 1_000_000
MAX_FILE_ELEMENTS = 4_000_000


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


def _checked_shape(shape: Any) -> tuple[int, ...]:
    """A shape written in a case file: a list of non-negative integers (never -1, 3.0 or true)."""
    if not isinstance(shape, list) or not all(is_int64(d) and d >= 0 for d in shape):
        raise ValueError(f"shape {shape!r}: expected a list of non-negative int64 integers")
    return tuple(shape)


def _check_elements(shape: tuple[int, ...]) -> None:
    if math.prod(shape) > MAX_CASE_ELEMENTS:
        raise ValueError(f"shape {list(shape)} has {math.prod(shape):,} elements, more than the limit of "
                         f"{MAX_CASE_ELEMENTS:,} per case")


def _tensor_object(value: dict) -> tuple[tuple[int, ...], list, str | None]:
    """The {shape, data, kind} form of a tensor: shape, data and kind checked."""
    unknown = sorted(set(value) - {"shape", "data", "kind"})
    if unknown or "shape" not in value or "data" not in value:
        raise ValueError(f"a tensor object has the keys shape, data and (optionally) kind; got {sorted(value)}")
    shape = _checked_shape(value["shape"])
    _check_elements(shape)
    data, kind = value["data"], value.get("kind")
    if not isinstance(data, list):
        raise ValueError(f"data: expected a list, got {data!r}")
    if len(data) != math.prod(shape):
        raise ValueError(f"data has {len(data)} elements but shape {list(shape)} needs {math.prod(shape)}")
    if kind not in (None, "float", "int", "bool"):
        raise ValueError(f"kind: expected float, int or bool, got {kind!r}")
    return shape, data, kind


def tensor_from_yaml(value: Any, kind: str, dtype: DType) -> Tensor:
    """kind: 'float', 'int', 'bool' (true/false elements), or 'target' (int unless some element is a float or a
    string)."""
    if isinstance(value, dict):
        shape, data, given = _tensor_object(value)
        kind = given or kind
    else:
        shape, data = _shape_of(value), _flatten(value)
        _check_elements(shape)
    if kind == "target":
        kind = "float" if any(isinstance(v, (float, str)) for v in data) else "int"
    if kind == "bool":
        for i, v in enumerate(data):
            if not isinstance(v, bool):
                raise ValueError(f"element {i}: expected true or false, got {shown(v)}")
        return Tensor(BOOL_DTYPE, shape, tuple(data))
    if kind == "int":
        for i, v in enumerate(data):
            if not is_int64(v):
                raise ValueError(f"element {i}: expected an integer within int64, got {v!r}")
        return Tensor(INT_DTYPE, shape, tuple(data))
    return Tensor(dtype.name, shape, tuple(_element(v, i, dtype) for i, v in enumerate(data)))


def _element(value: Any, index: int, dtype: DType) -> float:
    try:
        return to_dtype(value, dtype)
    except ValueError as exc:
        raise ValueError(f"element {index}: {exc}") from None


_INPUT_KIND = {"float_tensor": "float", "int_tensor": "int", "target_tensor": "target"}


_PARAM_TYPES = {  # what a case file may write for a parameter of each spec type (null: the default or None)
    "int": "an integer within int64",
    "int_or_null": "an integer within int64, or null",
    "bool": "true or false",
    "enum": "a string (a value outside the enum is allowed: it makes an invalid_argument case)",
    "float": "a number or a number string",
    "float_or_null": "a number, a number string or null",
    "float_tensor_or_null": "a list, a tensor object or null",
    "bool_tensor_or_null": "a list of true/false, a tensor object or null",
}


def resolve_params(fn: dict, given: dict, dtype: DType) -> dict:
    """Every parameter of the function, defaults filled in, numbers as values of the dtype.

    Values of the wrong JSON type (ignore_index 1.5, NaN or true, a reduction 3) are errors here: a
    vector carrying them could only be answered with bad_request (DECISIONS.md D7), never with the
    spec's error kinds, so they are not cases of the function.
    """
    params = {}
    for name, decl in fn["params"].items():
        value = given.get(name, decl["default"])
        kind = decl["type"]
        try:
            params[name] = _param(value, kind, dtype)
        except ValueError as exc:
            raise ValueError(f"params.{name}: {exc}") from None
    return params


def _param(value: Any, kind: str, dtype: DType) -> Any:
    number = isinstance(value, (int, float, str)) and not isinstance(value, bool)
    if value is None and kind not in ("int", "bool"):
        return None
    if kind in ("float", "float_or_null") and number:
        return to_dtype(value, dtype)
    if kind == "float_tensor_or_null" and isinstance(value, (list, dict)):
        return tensor_from_yaml(value, "float", dtype)
    if kind == "bool_tensor_or_null" and isinstance(value, (list, dict)):
        return tensor_from_yaml(value, "bool", dtype)
    if kind == "bool" and isinstance(value, bool):
        return value
    if (kind in ("int", "int_or_null") and is_int64(value)) or (kind == "enum" and isinstance(value, str)):
        return value
    if kind not in _PARAM_TYPES:
        return value  # a type this generator does not know: passed on as written
    raise ValueError(f"expected {_PARAM_TYPES[kind]}, got {shown(value)}")


def _input(entry: dict, name: str, decl: dict, dtype: DType) -> Tensor:
    try:
        return tensor_from_yaml(entry["inputs"][name], _INPUT_KIND[decl["type"]], dtype)
    except ValueError as exc:
        raise ValueError(f"inputs.{name}: {exc}") from None


def hand_case(entry: dict, fn: dict, dtype: DType, source: str) -> Case:
    inputs = {name: _input(entry, name, decl, dtype) for name, decl in fn["inputs"].items()}
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
    if pattern in ("coarse", "coarse_confident"):  # multiples of 1/8 in [-4, 4]: short text in a huge row
        return [(src.index(65) - 32) / 8 for _ in range(size)]
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
    if split_merge_inputs.handles(fn):  # issue 18: states, partial lse, shard statistics
        return split_merge_inputs.random_inputs(src, fn, shape, family, scale, dtype)
    if linear_inputs.handles(fn):  # issue 18: hidden [N, H], linear_weight [C, H], target [N]
        return linear_inputs.random_inputs(src, fn, shape, family, scale, dtype)
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
        elif role == "upstream":
            data = _upstream(src, shape, family.get("upstream", "normal"), inputs.get("x"), dtype)
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
    if family.get("pattern") in ("confident", "coarse_confident"):
        inputs["logits"] = _confident(src, inputs["logits"], inputs["target"], dtype)
    if "ignored" in family:
        inputs["target"] = _mostly_ignored(src, inputs["target"], _number(family["ignored"], "ignored"))
    return inputs


def _upstream(src: Source, shape, pattern: str, x: Tensor | None, dtype: DType) -> list[float]:
    """grad_output values (issue 17). near_constant: per row of the last axis a common value c times
    1 + 16 ulps of noise; proportional: S * softmax(x)_j * (1 + 16 ulps of noise) per row (softmax with
    mpmath at 64 bits: deterministic on every machine, unlike libm)."""
    size = math.prod(shape)
    if pattern == "normal":
        return [src.normal() for _ in range(size)]
    n = shape[-1] if shape else 1
    noise = math.ldexp(1.0, 4 - dtype.precision)
    out: list[float] = []
    with mpmath.workprec(64):
        for row in range(size // n if n else 0):
            c = src.normal() * n
            if pattern == "near_constant":
                out += [c * (1 + (src.uniform() - 0.5) * noise) for _ in range(n)]
                continue
            xs = x.data[row * n:(row + 1) * n]
            top = max(xs)
            e = [mpmath.exp(v - top) for v in xs]
            total = sum(e, mpmath.mpf(0))
            out += [float(c * ei / total) * (1 + (src.uniform() - 0.5) * noise) for ei in e]
    return out


def _upstream_shape(fn: dict, inputs: dict[str, Tensor], reduction: str) -> tuple[int, ...]:
    """The loss output's shape: positions (the shape without the class axis 1 for class-index losses,
    the first input's shape for elementwise ones) for reduction none, [] for sum and mean."""
    if reduction != "none":
        return ()
    first = next(iter(inputs.values()))
    roles = {d["role"] for d in fn["inputs"].values()}
    if roles & {"class_index", "class_index_or_probabilities"} and len(first.shape) >= 2:
        return first.shape[:1] + first.shape[2:]
    return first.shape


def _mostly_ignored(src: Source, target: Tensor, fraction: float) -> Tensor:
    """Index targets with each position set to the default ignore_index -100 with probability
    `fraction` (issue 17: mostly-ignored batches); the last position is always kept."""
    if target.is_float or not 0 <= fraction <= 1:
        raise ValueError("ignored needs index targets and a fraction in [0, 1]")
    data = [-100 if src.uniform() < fraction else y for y in target.data]
    if data:
        data[-1] = target.data[-1]
    return Tensor(target.dtype, target.shape, tuple(data))


CONFIDENT = (0.99, 1 - 2.0 ** -8)  # the range of the target's probability in a confident row (issue 16)


def _confident(src: Source, logits: Tensor, target: Tensor, dtype: DType) -> Tensor:
    """Rows [N, C] whose target class y is confident: x_y is set so that p_y lies in CONFIDENT before
    x_y is rounded into the dtype, where the true-class gradient p_y - 1 cancels (issue 16: a bfloat16
    kernel loses all its bits there). x_y = log(p / (1 - p) * sum_{j != y} exp(x_j)), evaluated with
    mpmath at 64 bits: deterministic on every machine, unlike libm."""
    if len(logits.shape) != 2 or not all(isinstance(t, int) for t in target.data):
        raise ValueError("pattern confident needs logits [N, C] and index targets")
    classes = logits.shape[1]
    data = list(logits.data)
    low, high = CONFIDENT
    with mpmath.workprec(64):
        for row, y in enumerate(target.data):
            p = mpmath.mpf(low) + (high - low) * mpmath.mpf(src.uniform())
            others = [data[row * classes + j] for j in range(classes) if j != y]
            mass = sum((mpmath.exp(x) for x in others), mpmath.mpf(0)) if others else mpmath.mpf(1)
            data[row * classes + y] = float_to_dtype(float(mpmath.log(p / (1 - p) * mass)), dtype)
    return Tensor(logits.dtype, logits.shape, tuple(data))


def _random_params(src: Source, fn: dict, given: dict, inputs: dict[str, Tensor], dtype: DType) -> dict:
    first = next(iter(inputs.values()))
    chosen = {}
    for name, value in given.items():
        if value == "random_weights":  # positive per-class weights, [C] = the class axis (axis 1, or last)
            class_axis = any(d["role"] in ("class_index", "class_index_or_probabilities") for d in fn["inputs"].values())
            classes = first.shape[1] if len(first.shape) >= 2 and class_axis else first.shape[-1]
            classes = split_merge_inputs.classes_of(inputs) or classes  # issue 18: C = sum of shard_size
            classes = linear_inputs.classes_of(inputs) or classes  # issue 18: C = linear_weight's rows
            value = [0.25 + 2 * src.uniform() for _ in range(classes)]
        elif value == "random_upstream":  # grad_output of the loss output's shape (issue 17)
            reduction = given.get("reduction", fn["params"].get("reduction", {}).get("default", "none"))
            shape = _upstream_shape(fn, inputs, reduction)
            value = {"shape": list(shape), "data": [src.normal() for _ in range(math.prod(shape))]}
        chosen[name] = value
    return resolve_params(fn, chosen, dtype)


def _number(value: Any, where: str) -> float:
    """A finite family number (a scale or the offset), written as a number or a number string."""
    try:
        number = float(value) if not isinstance(value, bool) else math.nan
    except (TypeError, ValueError):
        number = math.nan
    if not math.isfinite(number):
        raise ValueError(f"{where}: expected a finite number, got {shown(value)}")
    return number


def _family_shape(shape: Any, fn: dict) -> tuple[int, ...]:
    """A family shape, checked against the ranks of the inputs generated with it (class-index targets
    take the shape without its class axis)."""
    shape = _checked_shape(shape)
    if 0 in shape:
        raise ValueError(f"shape {list(shape)}: a family draws values for every position and class; "
                         "write a tensor with a zero dimension as a hand case")
    _check_elements(shape)
    for name, decl in fn["inputs"].items():
        low, high = decl.get("rank", [0, 64])
        if decl["role"] not in ("class_index", "class_index_or_probabilities", "target_logit", "shard_size") and not low <= len(shape) <= high:
            raise ValueError(f"shape {list(shape)}: input {name} takes rank {low}..{high}, this shape has rank {len(shape)}")
    return shape


def family_elements(family: dict, fn: dict) -> int:
    """Input elements the family will generate (an upper bound: targets are counted at full shape)."""
    shapes = [_family_shape(shape, fn) for shape in family["shapes"]]
    return sum(math.prod(shapes[i % len(shapes)]) for i in range(family["count"])) * len(fn["inputs"])


def family_indices(family: dict, dtype: DType) -> list[int]:
    """The family's case indices (tcId - family tcId) for this dtype: all `count` of them, or at float16
    and bfloat16 `count16` of them spread evenly over the range when the family gives `count16` (issue 16:
    the 16-bit files stay small; a 16-bit vector has the tcId and configuration of the wider dtypes')."""
    count = family["count"]
    wanted = family.get("count16") if dtype.name in SIXTEEN_BIT else None
    if wanted is None or wanted >= count:
        return list(range(count))
    return sorted({k * count // wanted for k in range(wanted)})


def family_cases(family: dict, fn: dict, function: str, dtype: DType, source: str) -> list[Case]:
    shapes = family["shapes"]
    scales = family.get("scales", [1.0])
    for k, scale in enumerate(scales):
        _number(scale, f"scales[{k}]")
    if "offset" in family:
        _number(family["offset"], "offset")
    param_sets = family.get("params", [{}])
    cases = []
    for i in family_indices(family, dtype):
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
    total = sum(case_elements(c) for c in cases)
    for i, family in enumerate(document.get("families", [])):
        if dtype.name in family.get("dtypes", [dtype.name]):
            where = f"{source}: families[{i}] (tcId {family['tcId']})"
            try:
                total += family_elements(family, fn)
                check_file_elements(total)
                cases.extend(family_cases(family, fn, function, dtype, source))
            except ValueError as exc:
                raise ValueError(f"{where}: {exc}") from None
    from .coverage import coverage_cases  # here: coverage builds on this module's random inputs
    for entry in document.get("coverage", []):
        if dtype.name in entry.get("dtypes", [dtype.name]):
            cases.extend(coverage_cases(entry, fn, function, dtype, source))
    return sorted(cases, key=lambda c: c.tc_id)


def case_elements(case: Case) -> int:
    return sum(t.size for t in case.inputs.values())


def check_file_elements(total: int) -> None:
    """The input elements of one output file stay within MAX_FILE_ELEMENTS."""
    if total > MAX_FILE_ELEMENTS:
        raise ValueError(f"the cases of one vector file would hold {total:,} input elements, more than "
                         f"the limit of {MAX_FILE_ELEMENTS:,}")
