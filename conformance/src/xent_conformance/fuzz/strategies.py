"""Hypothesis strategies for every function of the spec: shapes, scales, special values, parameters.

The inputs are driven by the spec's declarations (each input's role and rank, each parameter's type,
default and domain); what a role means (logits, probability rows, binary targets, class indices) is
written here once. Every strategy shrinks towards a small, plain, valid example: small shapes, small
logits, no special values, default parameters.

At most one *corruption* (an input outside the function's domain: a probability above 1, an index out of
range, a shape mismatch, a parameter outside its domain) is applied per example, so that the expected error
kind is never a question of which check comes first (the spec does not order its errors).
"""
from __future__ import annotations

import math
import re
import struct
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st

from ..cases import resolve_params
from ..dtypes import DTYPES, DType
from ..spec import Spec
from ..tensor import INT_DTYPE, Tensor
from ..values import float_to_dtype, to_dtype

CLASS_ROLES = ("class_index", "class_index_or_probabilities")
PROBABILITY_ROLES = ("probabilities", "probability_elements", "binary_target")


@dataclass
class Example:
    """One generated call: a function, a dtype, exact inputs and every parameter (defaults filled in)."""
    function: str
    dtype: str
    inputs: dict[str, Tensor]
    params: dict[str, Any]
    corruption: str | None = None   # what was made invalid on purpose, or None
    notes: list[str] = field(default_factory=list)

    @property
    def size(self) -> int:
        return sum(t.size for t in self.inputs.values())


# ---------------------------------------------------------------- values of a dtype

def _width(dtype: DType) -> int:
    return 64 if dtype.precision == 53 else 32


def specials(dtype: DType) -> list[float]:
    names = ["0", "-0", "inf", "-inf", "nan", "max", "-max", "tiny", "-tiny", "denorm_min", "-denorm_min", "eps"]
    return [to_dtype(n, dtype) for n in names]


def nudge(x: float, steps: int, dtype: DType) -> float:
    """x moved by `steps` ulps of the dtype (finite x; saturates at +-max, keeps the sign of 0)."""
    if not math.isfinite(x) or steps == 0:
        return x
    if dtype.precision == 53:
        for _ in range(abs(steps)):
            x = math.nextafter(x, math.inf if steps > 0 else -math.inf)
        return x if math.isfinite(x) else math.copysign(to_dtype("max", dtype), x)
    bits = struct.unpack("<i", struct.pack("<f", x))[0]
    # order-preserving integer view of float32
    key = bits if bits >= 0 else -(bits & 0x7FFFFFFF)
    key = max(min(key + steps, 0x7F7FFFFF), -0x7F7FFFFF)
    bits = key if key >= 0 else (-key) | -0x80000000
    return struct.unpack("<f", struct.pack("<i", bits))[0]


def _cast(values, dtype: DType) -> tuple[float, ...]:
    return tuple(float_to_dtype(float(v), dtype) for v in values)


def _with_specials(draw, values: list[float], dtype: DType, pool: list[float] | None = None) -> list[float]:
    """Sprinkle up to three special values (shrinks to none)."""
    if not values:
        return values
    pool = pool if pool is not None else specials(dtype)
    picks = draw(st.lists(st.tuples(st.integers(0, len(values) - 1), st.sampled_from(pool)), max_size=3))
    for i, v in picks:
        values[i] = v
    return values


@st.composite
def logits(draw, size: int, dtype: DType, classes: int = 0) -> list[float]:
    """Logits in one of several regimes; `classes` > 0 places the dominant entry per row of that length."""
    w = _width(dtype)
    style = draw(st.integers(0, 6))
    if style == 0:      # small
        values = draw(st.lists(st.floats(-8, 8, width=w), min_size=size, max_size=size))
    elif style == 1:    # one scale for the tensor, 2^-60 .. 2^60
        k = draw(st.integers(-60, 60))
        bound = float_to_dtype(2.0 ** k, dtype)
        values = draw(st.lists(st.floats(-bound, bound, width=w), min_size=size, max_size=size))
    elif style == 2:    # large common offset (unshifted exp overflows; lse - x loses digits)
        offset = draw(st.sampled_from([1e3, -1e3, 1e5, -3e4, 88.5, -103.0, 709.5, -745.0, 1e30]))
        noise = draw(st.lists(st.floats(-4, 4, width=w), min_size=size, max_size=size))
        values = list(_cast([offset + n for n in noise], dtype))
    elif style == 3:    # one entry per row ahead by a gap (the dominant-logit regime)
        gap = draw(st.sampled_from([18.0, 20.0, 37.0, 40.0, 50.0, 100.0, 745.0, 1e4]))
        values = draw(st.lists(st.floats(-2, 2, width=w), min_size=size, max_size=size))
        row = classes if classes > 0 else max(size, 1)
        for start in range(0, size, row):
            k = draw(st.integers(0, min(row, size - start) - 1))
            values[start + k] = float_to_dtype(values[start + k] + gap, dtype)
    elif style == 4:    # few distinct values: ties
        pool = draw(st.lists(st.floats(-3, 3, width=w), min_size=1, max_size=3))
        values = draw(st.lists(st.sampled_from(pool), min_size=size, max_size=size))
    elif style == 5:    # anything finite the dtype has
        values = draw(st.lists(st.floats(allow_nan=False, allow_infinity=False, width=w), min_size=size, max_size=size))
    else:               # tiny: subnormal and near-underflow magnitudes
        tiny = float_to_dtype(1e-30, dtype)
        values = draw(st.lists(st.floats(-tiny, tiny, width=w), min_size=size, max_size=size))
    return _with_specials(draw, list(_cast(values, dtype)), dtype)


@st.composite
def probability_rows(draw, shape: tuple[int, ...], axis: int, dtype: DType, like: Tensor | None = None) -> list[float]:
    """Probabilities along `axis`: normalised rows, raw values in [0, 1], one-hot rows, or extreme values.
    With `like`, optionally a few-ulp perturbation of it (KL(p || q) for q close to p)."""
    w = _width(dtype)
    size = math.prod(shape)
    style = draw(st.integers(0, 4 if like is not None else 3))
    classes = shape[axis] if shape else 1
    stride = math.prod(shape[axis + 1:]) if shape else 1

    def rows():
        for outer in range(size // classes if classes else 0):
            n, r = divmod(outer, stride)
            yield [(n * classes + c) * stride + r for c in range(classes)]

    if style == 0 or style == 2:   # normalised, with zeros (style 2: one-hot)
        raw = draw(st.lists(st.floats(0, 1, width=w), min_size=size, max_size=size))
        values = [0.0] * size
        for idx in rows():
            if style == 2:
                k = draw(st.integers(0, len(idx) - 1))
                values[idx[k]] = 1.0
                continue
            total = sum(raw[i] for i in idx)
            if total == 0:
                values[idx[0]] = 1.0
                continue
            for i in idx:
                values[i] = float_to_dtype(raw[i] / total, dtype)
                if values[i] > 1.0:
                    values[i] = 1.0
    elif style == 1:             # raw values in [0, 1]: not renormalised, never checked to sum to 1
        values = draw(st.lists(st.floats(0, 1, width=w), min_size=size, max_size=size))
    elif style == 3:             # extreme probabilities
        values = draw(st.lists(extreme_probability(dtype), min_size=size, max_size=size))
    else:                        # a few ulps away from `like`
        assert like is not None
        steps = draw(st.lists(st.integers(-3, 3), min_size=size, max_size=size))
        values = [min(max(nudge(v, s, dtype), 0.0), 1.0) for v, s in zip(like.data, steps)]
    return list(_cast(values, dtype))


@st.composite
def extreme_probability(draw, dtype: DType) -> float:
    choice = draw(st.integers(0, 4))
    if choice == 0:   # st.floats draws float32 at most: rounded once more into a 16-bit dtype
        return float_to_dtype(draw(st.floats(0, 1, width=_width(dtype))), dtype)
    if choice == 1:   # 2^-k down to the smallest subnormal
        return float_to_dtype(math.ldexp(1.0, -draw(st.integers(1, -dtype.eta_exp))), dtype)
    if choice == 2:   # 1 - 2^-k
        return float_to_dtype(1.0 - math.ldexp(1.0, -draw(st.integers(1, dtype.precision))), dtype)
    return draw(st.sampled_from([0.0, 1.0, 0.5, to_dtype("denorm_min", dtype), to_dtype("tiny", dtype), -0.0]))


@st.composite
def binary_targets(draw, size: int, dtype: DType) -> list[float]:
    if draw(st.booleans()):   # soft targets
        values = draw(st.lists(st.floats(0, 1, width=_width(dtype)), min_size=size, max_size=size))
    else:
        values = draw(st.lists(st.sampled_from([0.0, 1.0]), min_size=size, max_size=size))
    return list(_cast(values, dtype))


# ---------------------------------------------------------------- shapes

def _layout(fn: dict) -> str:
    roles = [d["role"] for d in fn["inputs"].values()]
    if "hidden" in roles:   # issue 18: hidden [N, H], linear_weight [C, H], target [N]
        return "linear"
    if "shard_size" in roles:   # issue 18: shard statistics [S, N], target_logit and target [N], shard_size [S]
        return "shards"
    if any(r in CLASS_ROLES for r in roles):
        return "classes"
    ranks = {tuple(d["rank"]) for d in fn["inputs"].values()}
    if ranks == {(1, 1)}:
        return "vector"
    if ranks == {(2, 2)}:
        return "matrix"
    return "elementwise"


@st.composite
def _dims(draw, rank: int, low: int = 1, high: int = 4, cap: int = 64) -> tuple[int, ...]:
    dims = []
    for _ in range(rank):
        room = max(cap // max(math.prod(dims), 1), 1)
        dims.append(draw(st.integers(low, max(low, min(high, room)))))
    return tuple(dims)


# ---------------------------------------------------------------- parameters

_INTERVAL = re.compile(r"(-?[\d.e-]+)\s*<=\s*\w+\s*(<=|<)\s*(-?[\d.e-]+)")


def _interval(decl: dict) -> tuple[float, float, bool] | None:
    """(low, high, high_open) from a domain such as "0 <= epsilon < 0.5"."""
    m = _INTERVAL.search(str(decl.get("domain", "")))
    if not m:
        return None
    return float(m.group(1)), float(m.group(3)), m.group(2) == "<"


@st.composite
def float_param(draw, decl: dict, dtype: DType) -> float:
    """A value inside the parameter's domain (an interval, or "finite, >= 0")."""
    w = _width(dtype)
    interval = _interval(decl)
    if interval is None:   # finite, >= 0 (gamma)
        low, high, open_ = 0.0, 8.0, False
        pool = [0.0, 0.5, 1.0, 2.0, 3.0, 1e-3, 10.0, 0.25]
    else:
        low, high, open_ = interval
        pool = [low, high, 1e-15, 1e-7, 0.1, 0.25, 0.5, (low + high) / 2, to_dtype("denorm_min", dtype)]
    choice = draw(st.integers(0, 1))
    value = draw(st.sampled_from(pool)) if choice == 0 else draw(st.floats(low, high, width=w))
    value = float_to_dtype(value, dtype)
    if value < low or value > high or (open_ and value >= high):
        value = float_to_dtype(low, dtype)
    return value


@st.composite
def weight_tensor(draw, shape: tuple[int, ...], dtype: DType) -> Tensor:
    w = _width(dtype)
    size = math.prod(shape)
    values = draw(st.lists(st.one_of(st.floats(0.25, 4, width=w), st.sampled_from([0.0, 1.0, 2.0, 1e-3, 100.0])),
                           min_size=size, max_size=size))
    return Tensor(dtype.name, shape, _cast(values, dtype))


# ---------------------------------------------------------------- the example strategy

def examples(spec: Spec, function: str, dtypes: list[str], corrupt: bool = True) -> st.SearchStrategy[Example]:
    """Examples of one function in the given dtypes (corrupt=False: valid inputs only)."""
    fn = spec.functions[function]

    @st.composite
    def example(draw) -> Example:
        return _example(draw, fn, function, dtypes, corrupt)
    return example()


def _example(draw, fn: dict, function: str, dtypes: list[str], corrupt: bool) -> Example:
    dtype = DTYPES[draw(st.sampled_from(dtypes))]
    layout = _layout(fn)
    names = list(fn["inputs"])
    decls = fn["inputs"]
    # one corruption at most, chosen up front (0 = none: what examples shrink to)
    corruption = _corruption_kinds(fn, function, layout)
    pick = draw(st.integers(0, 9)) if corrupt and corruption else 0
    chosen = draw(st.sampled_from(corruption)) if pick == 9 else None

    inputs: dict[str, Tensor] = {}
    params = resolve_params(fn, {}, dtype)
    classes = 0
    if layout == "linear":
        shape, classes = draw(_linear_inputs(fn, function, dtype, inputs, params))
    elif layout == "shards":
        shape, classes = draw(_shard_inputs(fn, function, dtype, inputs, params))
    elif layout == "classes":
        primary = names[0]
        low, high = decls[primary]["rank"]
        rank = draw(st.integers(low, min(high, 4))) if draw(st.integers(0, 4)) else high
        n = draw(st.integers(1, 4)) if draw(st.integers(0, 7)) else 0
        classes = draw(st.integers(2 if chosen else 1, 6))
        spatial = draw(_dims(rank - 2, 1, 3, 12))
        shape = (n, classes, *spatial)
        inputs[primary] = _float_input(draw, decls[primary]["role"], shape, 1, dtype, classes)
        target_name = names[1]
        target_shape = (n, *spatial)
        for name, decl in fn["params"].items():
            params[name] = _param(draw, name, decl, function, dtype, shape, classes, params)
        prob_targets = decls[target_name]["role"] == "class_index_or_probabilities" and draw(st.integers(0, 3)) == 3
        if prob_targets:
            data = draw(probability_rows(shape, 1, dtype))
            inputs[target_name] = Tensor(dtype.name, shape, tuple(data))
        else:
            ignore = params.get("ignore_index")
            values = draw(st.lists(st.integers(0, classes - 1), min_size=math.prod(target_shape),
                                   max_size=math.prod(target_shape)))
            if ignore is not None and values:
                for i in draw(st.lists(st.integers(0, len(values) - 1), max_size=2)):
                    values[i] = ignore
            inputs[target_name] = Tensor(INT_DTYPE, target_shape, tuple(values))
    else:
        low, high = decls[names[0]]["rank"]
        if layout == "vector":
            shape = (draw(st.integers(1, 12)) if draw(st.integers(0, 5)) else draw(st.integers(13, 200)),)
        elif layout == "matrix":
            shape = (draw(st.integers(1, 4)) if draw(st.integers(0, 7)) else 0, draw(st.integers(1, 6)))
        else:
            rank = draw(st.integers(low, min(high, 3))) if draw(st.integers(0, 7)) else high
            shape = draw(_dims(rank, 1, 4, 48))
            if shape and draw(st.integers(0, 11)) == 11:
                shape = (0, *shape[1:])   # empty
        for name in names:
            like = inputs.get("p") if name == "q" else None
            inputs[name] = _float_input(draw, decls[name]["role"], shape, len(shape) - 1, dtype, 0, like)
        classes = shape[-1] if shape else 1
        for name, decl in fn["params"].items():
            params[name] = _param(draw, name, decl, function, dtype, shape, classes, params)

    example = Example(function, dtype.name, inputs, params)
    if chosen:
        _corrupt(draw, example, chosen, fn, layout, dtype)
    return example


@st.composite
def _linear_operands(draw, size: int, dtype: DType) -> list[float]:
    """hidden or linear_weight entries: small, one scale in 2^-30 .. 2^30, or ties, rarely +-inf or NaN
    (products and sums of these stay far inside float64's range: an exact logit beyond it is not drawn)."""
    w = _width(dtype)
    style = draw(st.integers(0, 3))
    if style == 1:
        bound = float_to_dtype(2.0 ** draw(st.integers(-30, 30)), dtype)
        element = st.floats(-bound, bound, width=w)
    elif style == 2:
        element = st.sampled_from(draw(st.lists(st.floats(-3, 3, width=w), min_size=1, max_size=3)))
    else:
        element = st.floats(-8, 8, width=w)
    if style == 3:
        element = st.one_of(element, st.sampled_from([math.inf, -math.inf, math.nan]))
    return list(_cast(draw(st.lists(element, min_size=size, max_size=size)), dtype))


@st.composite
def _linear_inputs(draw, fn: dict, function: str, dtype: DType, inputs: dict, params: dict):
    """linear_cross_entropy's inputs (filled into `inputs` and `params`): hidden [N, H], linear_weight
    [C, H], target [N] (some ignored), parameters as for the class layout, grad_output of the loss's
    shape or null. Returns the logits' shape [N, C] and C."""
    n = draw(st.integers(1, 4)) if draw(st.integers(0, 7)) else 0
    h, classes = draw(st.integers(0, 5)), draw(st.integers(1, 6))
    inputs["hidden"] = Tensor(dtype.name, (n, h), tuple(draw(_linear_operands(n * h, dtype))))
    inputs["linear_weight"] = Tensor(dtype.name, (classes, h), tuple(draw(_linear_operands(classes * h, dtype))))
    for name, decl in fn["params"].items():
        params[name] = _param(draw, name, decl, function, dtype, (n, classes), classes, params)
    if "grad_output" in params:
        shape = (n,) if params.get("reduction") == "none" else ()
        params["grad_output"] = (None if draw(st.booleans()) else
                                 Tensor(dtype.name, shape, tuple(draw(_linear_operands(math.prod(shape), dtype)))))
    values = draw(st.lists(st.integers(0, classes - 1), min_size=n, max_size=n))
    ignore = params.get("ignore_index")
    if ignore is not None and values:
        for i in draw(st.lists(st.integers(0, n - 1), max_size=2)):
            values[i] = ignore
    inputs["target"] = Tensor(INT_DTYPE, (n,), tuple(values))
    return (n, classes), classes


@st.composite
def _shard_inputs(draw, fn: dict, function: str, dtype: DType, inputs: dict, params: dict):
    """cross_entropy_from_shards' inputs (issue 18, filled into `inputs` and `params`): S shards of 0..3
    classes (C >= 1), N positions, shard statistics drawn as logits (special values included), target [N]
    (some ignored). Returns the logits' shape [N, C] and C."""
    shards, n = draw(st.integers(1, 4)), (draw(st.integers(1, 4)) if draw(st.integers(0, 7)) else 0)
    sizes = draw(st.lists(st.integers(0, 3), min_size=shards, max_size=shards))
    if not any(sizes):
        sizes[draw(st.integers(0, shards - 1))] = 1
    classes = sum(sizes)
    for name in ("shard_lse", "shard_logit_sum"):
        inputs[name] = Tensor(dtype.name, (shards, n), tuple(draw(logits(shards * n, dtype, n or 1))))
    inputs["target_logit"] = Tensor(dtype.name, (n,), tuple(draw(logits(n, dtype))))
    for name, decl in fn["params"].items():
        params[name] = _param(draw, name, decl, function, dtype, (n, classes), classes, params)
    values = draw(st.lists(st.integers(0, classes - 1), min_size=n, max_size=n))
    ignore = params.get("ignore_index")
    if ignore is not None and values:
        for i in draw(st.lists(st.integers(0, n - 1), max_size=2)):
            values[i] = ignore
    inputs["target"] = Tensor(INT_DTYPE, (n,), tuple(values))
    inputs["shard_size"] = Tensor(INT_DTYPE, (shards,), tuple(sizes))
    return (n, classes), classes


def _float_input(draw, role: str, shape, axis: int, dtype: DType, classes: int, like: Tensor | None = None) -> Tensor:
    size = math.prod(shape)
    if role in ("logits", "upstream"):  # upstream: a gradient flowing back, any float (issue 17)
        data = draw(logits(size, dtype, classes or (shape[-1] if shape else 1)))
    elif role in ("state_max", "partial_lse"):  # issue 18: maxima and partial lse of partitions
        data = draw(logits(size, dtype, shape[-1] if shape else 1))
    elif role == "state_sum":  # issue 18: sums of exponentials, >= 0 (NaN and +inf kept)
        data = [abs(v) for v in draw(logits(size, dtype, shape[-1] if shape else 1))]
    elif role == "probabilities":
        data = draw(probability_rows(tuple(shape), max(axis, 0), dtype, like))
    elif role == "probability_elements":
        data = draw(st.lists(extreme_probability(dtype), min_size=size, max_size=size))
    elif role == "binary_target":
        data = draw(binary_targets(size, dtype))
    else:
        raise ValueError(f"no strategy for role {role!r}")
    return Tensor(dtype.name, tuple(shape), tuple(data))


def _param(draw, name: str, decl: dict, function: str, dtype: DType, shape, classes: int, params: dict):
    kind = decl["type"]
    default = params[name]
    if draw(st.integers(0, 2)) == 0:
        return default   # a third of the parameters keep their default (and shrink to it)
    if kind == "enum":
        return draw(st.sampled_from(decl["values"]))
    if kind == "float":
        return draw(float_param(decl, dtype))
    if kind == "float_or_null":
        return None if draw(st.integers(0, 3)) == 3 else draw(float_param(decl, dtype))
    if kind == "float_tensor_or_null":
        if draw(st.booleans()):
            return None
        full = "z's shape" in str(decl.get("domain", "")) and draw(st.booleans())
        return draw(weight_tensor(tuple(shape) if full else (classes,), dtype))
    if kind == "int_or_null":   # ignore_index (null: nothing ignored)
        return draw(st.sampled_from([default, None, -1, 0, classes - 1, classes, 7]))
    if kind == "int":           # axis: in range, or just outside it (invalid_argument)
        rank = len(shape)
        return draw(st.sampled_from([default, 0, rank - 1, -rank, rank, -rank - 1]))
    if kind == "bool":          # log_target
        return draw(st.booleans())
    if kind == "bool_tensor_or_null":  # the class mask where (issue 17): [C] or the logits' shape
        if draw(st.booleans()):
            return None
        mask_shape = tuple(shape) if draw(st.booleans()) else (classes,)
        size = math.prod(mask_shape)
        return Tensor("bool", mask_shape, tuple(draw(st.lists(st.booleans(), min_size=size, max_size=size))))
    return default


# ---------------------------------------------------------------- corruptions

def _corruption_kinds(fn: dict, function: str, layout: str) -> list[str]:
    kinds = []
    roles = {d["role"] for d in fn["inputs"].values()}
    if roles & set(PROBABILITY_ROLES) or "class_index_or_probabilities" in roles:
        kinds.append("probability")
    if roles & set(CLASS_ROLES):
        kinds.append("index")
    if len(fn["inputs"]) > 1:
        kinds.append("mismatch")
    if layout in ("vector", "classes") or any(d["rank"][0] > 0 for d in fn["inputs"].values()):
        kinds.append("shape")
    if fn["params"]:
        kinds.append("param")
    return kinds


_BAD_PROBABILITIES = [-0.25, 1.5, math.nan, -1e-30, 1.0000001, math.inf, -math.inf, 2.0]


def _corrupt(draw, ex: Example, kind: str, fn: dict, layout: str, dtype: DType) -> None:
    names = list(fn["inputs"])
    ex.corruption = kind
    if kind == "probability":
        candidates = [n for n in names if fn["inputs"][n]["role"] in PROBABILITY_ROLES and ex.inputs[n].size]
        if layout == "classes":
            target = ex.inputs[names[1]]
            if target.is_float and target.size:
                candidates.append(names[1])
        if not candidates:
            ex.corruption = None
            return
        name = draw(st.sampled_from(candidates))
        t = ex.inputs[name]
        data = list(t.data)
        data[draw(st.integers(0, len(data) - 1))] = float_to_dtype(draw(st.sampled_from(_BAD_PROBABILITIES)), dtype)
        ex.inputs[name] = Tensor(t.dtype, t.shape, tuple(data))
    elif kind == "index":
        target_name = names[2] if layout == "linear" else "target" if layout == "shards" else names[1]
        t = ex.inputs[target_name]
        if t.is_float or not t.size:
            ex.corruption = None
            return
        classes = (ex.inputs[names[1]].shape[0] if layout == "linear" else sum(ex.inputs["shard_size"].data)
                   if layout == "shards" else ex.inputs[names[0]].shape[1])
        ignore = ex.params.get("ignore_index")
        bad = [v for v in (classes, -1, classes + 5, -2) if v != ignore]
        data = list(t.data)
        data[draw(st.integers(0, len(data) - 1))] = draw(st.sampled_from(bad))
        ex.inputs[target_name] = Tensor(t.dtype, t.shape, tuple(data))
    elif kind == "mismatch":
        name = names[1]
        t = ex.inputs[name]
        shape = list(t.shape) or [1]
        shape[-1] += 1 if draw(st.booleans()) or shape[-1] <= 1 else -1   # never to 0: that is invalid_shape too
        if t.is_float:
            size = math.prod(shape)
            data = tuple(float_to_dtype(0.5, dtype) if fn["inputs"][name]["role"] != "logits" else 0.0
                         for _ in range(size))
            if fn["inputs"][name]["role"] == "probabilities" and size:
                data = tuple(float_to_dtype(1.0 / shape[-1], dtype) for _ in range(size))
            ex.inputs[name] = Tensor(t.dtype, tuple(shape), data)
        else:
            ex.inputs[name] = Tensor(t.dtype, tuple(shape), tuple(0 for _ in range(math.prod(shape))))
    elif kind == "shape":
        first = fn["inputs"][names[0]]
        low, high = first["rank"]
        if layout == "vector":   # an empty vector, or a matrix
            shape = (0,) if draw(st.booleans()) else (2, 2)
        elif layout == "shards":   # no classes: every shard empty (issue 18)
            sizes = ex.inputs["shard_size"]
            ex.inputs["shard_size"] = Tensor(INT_DTYPE, sizes.shape, tuple(0 for _ in sizes.data))
            return
        elif layout == "classes":
            shape = (0, 0) if draw(st.booleans()) else (3,)   # C = 0 (no targets), or rank 1
        elif low > 0:
            shape = ()                                        # rank 0
        else:
            ex.corruption = None
            return
        for name in names:
            decl = fn["inputs"][name]
            if decl["role"] in CLASS_ROLES:   # the class-index target (names[1], or linear's target)
                tshape = (0,) if shape == (0, 0) else (3,)
                ex.inputs[name] = Tensor(INT_DTYPE, tshape, tuple(0 for _ in range(math.prod(tshape))))
                continue
            fill = 0.5 if decl["role"] != "logits" else 1.0
            ex.inputs[name] = Tensor(dtype.name, shape, tuple(float_to_dtype(fill, dtype) for _ in range(math.prod(shape))))
        if layout == "classes" and ex.params.get("weight") is not None:
            ex.params["weight"] = None
        if ex.params.get("alpha") is not None and isinstance(ex.params.get("alpha"), Tensor):
            ex.params["alpha"] = None
    elif kind == "param":
        name = draw(st.sampled_from(sorted(fn["params"])))
        decl = fn["params"][name]
        t = decl["type"]
        if t == "enum":
            ex.params[name] = draw(st.sampled_from(["bogus", "", decl["values"][0].upper() + "x"]))
        elif t in ("float", "float_or_null"):
            interval = _interval(decl)
            bad = [-0.5, math.nan, math.inf, -math.inf, -1.0]
            if interval is not None:
                bad += [interval[1] + 0.5, 2.0] + ([interval[1]] if interval[2] else [])
            ex.params[name] = float_to_dtype(draw(st.sampled_from(bad)), dtype)
        elif t == "float_tensor_or_null":
            first = ex.inputs[names[0]]
            classes = first.shape[1] if layout == "classes" else (first.shape[-1] if first.shape else 1)
            if layout == "shards":
                classes = sum(ex.inputs["shard_size"].data)
            if draw(st.booleans()):   # a bad value
                values = [1.0] * classes
                if classes:
                    values[draw(st.integers(0, classes - 1))] = draw(st.sampled_from([-1.0, math.nan, math.inf]))
                ex.params[name] = Tensor(dtype.name, (classes,), _cast(values, dtype))
            else:                     # a bad shape
                ex.params[name] = Tensor(dtype.name, (classes + 1,), _cast([1.0] * (classes + 1), dtype))
        else:
            ex.corruption = None
