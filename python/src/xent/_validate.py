"""Argument checking shared by every function: conversion to arrays, dtypes, ranks, domains.

Every failure raises the spec's typed error with a message naming the argument, and where it helps
the offending index or shape.
"""
from __future__ import annotations

import math
import numbers

import numpy as np

from .errors import (IndexOutOfRangeError, InvalidArgumentError, InvalidProbabilityError,
                     InvalidShapeError, ShapeMismatchError)

REDUCTIONS = ("none", "sum", "mean")
#: The highest rank any function accepts (specVersion 3: N, C and six spatial dimensions; elementwise
#: functions 0 or 1 to 8; DECISIONS D6, issue 19).
MAX_RANK = 8


def as_array(name, x):
    """``np.asarray(x)``; a ragged nested list (numpy's ValueError) is the spec's invalid_shape (D8)."""
    try:
        return np.asarray(x)
    except ValueError as exc:
        raise InvalidShapeError(f"{name} is not a regular array (ragged nested lists?): {exc}") from None


def peek_float_dtype(*inputs):
    """The float dtype that ``out_dtype`` will give for these inputs, found without raising, so that
    scalar parameters can be checked (in that dtype) before any tensor is (D1 step 1). An input that
    cannot be read counts as float64; it raises later, in its own step."""
    dtypes = []
    for x in inputs:
        dt = getattr(x, "dtype", None)
        if dt is None:
            try:
                dt = np.asarray(x).dtype
            except ValueError:
                dt = np.dtype(np.float64)
        dtypes.append(np.dtype(dt))
    if dtypes and all(dt == np.float32 for dt in dtypes):
        return np.dtype(np.float32)
    return np.dtype(np.float64)


def dtype_of(x) -> np.dtype | None:
    """The dtype of ``x`` (an array, numpy scalar or anything np.asarray reads), or None for a ragged
    list (whose own check reports it later)."""
    dt = getattr(x, "dtype", None)
    if dt is None:
        try:
            dt = np.asarray(x).dtype
        except ValueError:
            return None
    return np.dtype(dt)


def is_float_input(x) -> bool:
    """Whether ``x`` holds floats (a probability target) rather than integers (class indices)."""
    dt = dtype_of(x)
    return dt is not None and dt.kind == "f"


def float_array(name, x):
    """``x`` as a float32 or float64 ndarray (other real dtypes are converted to float64)."""
    arr = as_array(name, x)
    if arr.dtype == np.float32 or arr.dtype == np.float64:
        return arr
    if arr.dtype.kind in "biuf":
        return arr.astype(np.float64)
    raise InvalidArgumentError(f"{name} must be a real floating-point array, got dtype {arr.dtype}")


def out_dtype(*arrays):
    """float32 when every given float array is float32, float64 otherwise (numpy-like promotion;
    Python scalars do not take part)."""
    arrays = [a for a in arrays if a is not None]
    if arrays and all(a.dtype == np.float32 for a in arrays):
        return np.dtype(np.float32)
    return np.dtype(np.float64)


_INT64_MAX = np.iinfo(np.int64).max


def index_array(name, x):
    """Class indices as int64; never wrapped (D8): an unsigned array holding values >= 2^63 stays
    unsigned, so that check_indices reports them as they are (outside [0, C))."""
    arr = as_array(name, x)
    if arr.dtype.kind not in "iu":
        if arr.size == 0 and arr.dtype.kind in "fb":
            return arr.astype(np.int64)
        raise InvalidArgumentError(f"{name} must be an integer array of class indices, got dtype {arr.dtype}")
    if arr.dtype.kind == "u" and arr.size and arr.max() > _INT64_MAX:
        return arr
    return arr.astype(np.int64)


def index_equals(target, value):
    """target == value elementwise, exactly: a value outside the target's integer range equals nothing
    (numpy 1.x would wrap it to the dtype first). None (no ignore_index) equals nothing."""
    if value is None:
        return np.zeros(target.shape, dtype=bool)
    info = np.iinfo(target.dtype)
    if not info.min <= value <= info.max:
        return np.zeros(target.shape, dtype=bool)
    return target == target.dtype.type(value)


def check_ignore_index(value):
    """ignore_index: an integer (not a bool), kept as an exact Python int; or None, which ignores no
    index (specVersion 3: ONNX without the attribute)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise InvalidArgumentError(f"ignore_index must be an integer or None, got {value!r}")
    return int(value)


def check_rank(name, arr, lo, hi):
    if not lo <= arr.ndim <= hi:
        want = f"rank {lo}" if lo == hi else f"rank {lo} to {hi}"
        raise InvalidShapeError(f"{name} must have {want}, got shape {tuple(arr.shape)} (rank {arr.ndim})")


def check_nonempty_axis(name, arr, axis, what="length"):
    if arr.shape[axis] == 0:
        raise InvalidShapeError(f"{name} must have a non-zero {what} along axis {axis % arr.ndim}, "
                                f"got shape {tuple(arr.shape)}")


def _where_first(mask):
    idx = np.argwhere(mask)[0]
    return tuple(int(i) for i in idx) if len(idx) != 1 else int(idx[0])


def check_probability(name, arr):
    """Every value in [0, 1] and not NaN."""
    if arr.size and arr.min() >= 0 and arr.max() <= 1:  # two passes, no temporaries (a NaN fails min)
        return
    with np.errstate(invalid="ignore"):
        bad = ~((arr >= 0) & (arr <= 1))
    if bad.any():
        where = _where_first(bad) if arr.ndim else ()
        raise InvalidProbabilityError(f"{name} must lie in [0, 1]: {name}[{where}] = {arr[where]!r}"
                                      if arr.ndim else f"{name} must lie in [0, 1], got {arr.item()!r}")


def check_same_shape(name_a, a, name_b, b):
    if a.shape != b.shape:
        raise ShapeMismatchError(f"{name_a} and {name_b} must have the same shape, got "
                                 f"{tuple(a.shape)} and {tuple(b.shape)}")


def check_enum(name, value, values):
    if not isinstance(value, str) or value not in values:
        raise InvalidArgumentError(f"{name} must be one of {', '.join(repr(v) for v in values)}; got {value!r}")
    return value


def check_reduction(reduction):
    return check_enum("reduction", reduction, REDUCTIONS)


def check_base(base):
    if isinstance(base, numbers.Integral) and not isinstance(base, bool) and base == 2:
        return "2"
    return check_enum("base", base, ("e", "2"))


def float_param(name, value, dtype, lo=None, hi=None, lo_open=False, hi_open=False, finite=True):
    """A float parameter as a value of ``dtype`` (1e-15 means the dtype's nearest value), range-checked."""
    if isinstance(value, bool) or not isinstance(value, (numbers.Real, np.floating, np.integer)):
        if isinstance(value, np.ndarray) and value.ndim == 0:
            value = value.item()
        else:
            raise InvalidArgumentError(f"{name} must be a real number, got {value!r}")
    v = float(np.dtype(dtype).type(value)) if math.isfinite(float(value)) else float(value)
    ok = not math.isnan(v)
    if ok and finite and math.isinf(v):
        ok = False
    if ok and lo is not None:
        ok = v > lo if lo_open else v >= lo
    if ok and hi is not None:
        ok = v < hi if hi_open else v <= hi
    if not ok:
        rng = ""
        if lo is not None or hi is not None:
            rng = (f" in {'(' if lo_open else '['}{lo if lo is not None else '-inf'}, "
                   f"{hi if hi is not None else 'inf'}{')' if hi_open else ']'}")
        raise InvalidArgumentError(f"{name} must be a {'finite ' if finite else ''}number{rng}; got {value!r}")
    return v


def real_array(name, w):
    """A tensor parameter (weight, pos_weight, alpha) as a float array; its values are checked apart
    (check_weight_values), after the shapes (D1)."""
    arr = as_array(name, w)
    if arr.dtype.kind not in "biuf":
        raise InvalidArgumentError(f"{name} must be a real array, got dtype {arr.dtype}")
    if arr.dtype.kind != "f":
        arr = arr.astype(np.float64)
    return arr


def weight_array(name, w):
    """A non-negative finite weight tensor (float64 values)."""
    return check_weight_values(name, real_array(name, w))


def check_weight_values(name, arr):
    """Every entry finite and >= 0 (D1 step 4); returns ``arr``."""
    if arr is None:
        return None
    with np.errstate(invalid="ignore"):
        bad = ~(np.isfinite(arr) & (arr >= 0))
    if bad.any():
        where = _where_first(bad) if arr.ndim else ()
        raise InvalidArgumentError(f"{name} must be finite and >= 0: {name}[{where}] = {arr[where]!r}")
    return arr


def check_indices(name, target, n_classes, ignore_index=None):
    """Class indices in [0, C), or equal to ignore_index when given."""
    bad = (target < 0) | (target >= n_classes)
    if ignore_index is not None:
        bad &= ~index_equals(target, ignore_index)
    if bad.any():
        where = _where_first(bad)
        extra = f" and is not ignore_index={ignore_index}" if ignore_index is not None else ""
        raise IndexOutOfRangeError(f"{name}[{where}] = {int(target[where] if target.ndim else target)} is "
                                   f"outside [0, {n_classes}){extra}")


def normalise_axis(name, arr, axis):
    """axis=None: the spec's rank-1 contract; an int: batched over the other axes."""
    if axis is None:
        check_rank(name, arr, 1, 1)
        return 0
    check_rank(name, arr, 1, MAX_RANK)  # step 2 of the precedence, before the axis (step 4)
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)) or not -arr.ndim <= axis < arr.ndim:
        raise InvalidArgumentError(f"axis {axis!r} is out of range for {name} of rank {arr.ndim}")
    return int(axis) % arr.ndim


def _sum(flat, compensated):
    """(hi, lo) sum of a [1, n] array: split_sum in blocks when every term is finite and non-negative
    (losses: a few vectorised passes), else the general compensated sum."""
    from ._numerics import SPLIT_SUM_MAX, compensated_sum, split_sum
    n = flat.shape[1]
    if not compensated or n <= SPLIT_SUM_MAX or not (flat.min() >= 0 and np.isfinite(flat.max())):
        return compensated_sum(flat, compensated=compensated)
    blocks = -(-n // SPLIT_SUM_MAX)
    padded = np.zeros(blocks * SPLIT_SUM_MAX, dtype=flat.dtype)
    padded[:n] = flat[0]
    h, l = split_sum(padded.reshape(blocks, SPLIT_SUM_MAX))  # each block's sum to about 2^-6 u
    return compensated_sum(np.concatenate([h, l]).reshape(1, -1))


def reduce(values, reduction, out, denominator=None):
    """Apply a reduction to per-element values (work dtype); round once to ``out``."""
    from ._numerics import compensated_sum, compensation_needed
    if reduction == "none":
        return values.astype(out)
    flat = values.reshape(1, -1)
    compensated = compensation_needed(out)
    hi, lo = _sum(flat, compensated)
    scale = 0
    if not np.isfinite(hi[0]) and np.isfinite(flat).all():
        # the sum overflows though every term is finite: sum the terms scaled by 2^-scale (exact but
        # for terms that become subnormal, far below the bound), scale back after the division
        scale = int(np.ceil(np.log2(max(flat.size, 2)))) + 1
        hi, lo = compensated_sum(np.ldexp(flat, -scale), compensated=compensated)
    if reduction == "sum":
        return out.type(np.ldexp(hi[0] + lo[0], scale))
    den = np.asarray(values.size if denominator is None else denominator, dtype=values.dtype)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        if compensated and den != 0 and np.isfinite(den) and np.isfinite(hi[0]) and hi[0] != 0 \
                and values.dtype == np.float64:
            from . import _dd  # one rounding of (hi + lo) / den, not two
            _, eh = np.frexp(hi)
            _, ed = np.frexp(den)
            # both normalised to [0.5, 1) first (Veltkamp's split overflows above 2^996)
            qh, ql = _dd.div(np.ldexp(hi, -eh), np.ldexp(lo, -eh), np.ldexp(np.full_like(hi, den), -ed),
                             np.zeros_like(hi))
            q = np.ldexp(_dd.to_float(qh, ql)[0], int(eh[0]) - int(ed))
        else:
            q = np.asarray(hi[0] + lo[0]) / den
        return out.type(np.ldexp(q, scale))
