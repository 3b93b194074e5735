"""Seeded random inputs of the split-and-merge functions (issue 18): online-softmax states, partial
log-sum-exps and the per-shard statistics of a vocabulary-parallel cross-entropy.

The statistics are those of real partitions: a state (m, d) or a partial lse is computed from a block of
drawn logits, and shard statistics from a drawn [N, C] logit matrix split into consecutive shards, with
mpmath at a fixed precision (deterministic on every machine, no libm) and rounded into the dtype. The
family keys keep their meaning where one fits: `zeros` is the probability of an empty partition or shard,
`pattern: spread` spreads the partitions' levels uniformly over +-scale (maxima further apart than the
exponent range for a large scale). Shard sizes are drawn from SHARD_SIZES (the lists of length S).
"""
from __future__ import annotations

import math

import mpmath

from .dtypes import DType
from .tensor import INT_DTYPE, Tensor
from .values import float_to_dtype

#: the roles whose inputs this module draws (spec/xent.yaml, `role`)
ROLES = frozenset({"state_max", "state_sum", "partial_lse", "logit_sum", "target_logit", "shard_size"})
BLOCK = 4            # logits per drawn partition of a state or partial lse
SHARD_SIZES = ((2, 3), (1, 0, 4), (3, 3, 2), (0, 5), (4, 1, 1, 2))
WORKING_BITS = 96


def handles(fn: dict) -> bool:
    return any(decl["role"] in ROLES for decl in fn["inputs"].values())


def _block(src, family: dict, scale: float) -> list[float]:
    """One partition's logits; under pattern spread its level is shifted by up to +-scale."""
    far = family.get("pattern") == "spread"
    shift = (2 * src.uniform() - 1) * scale if far else 0.0
    spread = 1.0 if far else scale
    return [src.normal() * spread + shift for _ in range(BLOCK)]


def _state(xs: list[float], base: str) -> tuple[float, float]:
    """(max, sum b^(x - max)) of a block, evaluated at WORKING_BITS."""
    top = max(xs)
    with mpmath.workprec(WORKING_BITS):
        b = mpmath.mpf(2) if base == "2" else mpmath.e
        return top, float(sum((mpmath.power(b, mpmath.mpf(x) - top) for x in xs), mpmath.mpf(0)))


def _lse(xs: list[float], base: str = "e") -> float:
    if not xs:
        return -math.inf
    top, total = _state(xs, base)
    with mpmath.workprec(WORKING_BITS):
        log_total = mpmath.log(total, 2) if base == "2" else mpmath.log(total)
        return float(top + log_total)


def _empty(src, family: dict) -> bool:
    return src.uniform() < float(family.get("zeros", 0))


def _merge_inputs(src, fn: dict, shape, family: dict, scale: float, dtype: DType, base: str) -> dict[str, Tensor]:
    size = math.prod(shape)
    values: dict[str, list[float]] = {name: [] for name in fn["inputs"]}
    for _ in range(size):
        xs = [] if _empty(src, family) else [float_to_dtype(x, dtype) for x in _block(src, family, scale)]
        if "lse" in values:
            values["lse"].append(_lse(xs, base))
        else:
            m, d = _state(xs, base) if xs else (-math.inf, 0.0)
            values["m"].append(m)
            values["d"].append(d)
    return {name: Tensor(dtype.name, tuple(shape), tuple(float_to_dtype(v, dtype) for v in data))
            for name, data in values.items()}


def _shard_sizes(src, family: dict, shards: int) -> list[int]:
    """S shard sizes: one of SHARD_SIZES of length S, else sizes 1..4 (an empty shard with probability
    `zeros`), never all 0."""
    listed = [list(s) for s in SHARD_SIZES if len(s) == shards]
    if listed:
        return listed[src.index(len(listed))]
    sizes = [0 if _empty(src, family) else 1 + src.index(4) for _ in range(shards)]
    if not any(sizes):
        sizes[src.index(shards)] = 1
    return sizes


def _shard_inputs(src, shape, family: dict, scale: float, dtype: DType) -> dict[str, Tensor]:
    """[S, N] statistics of an [N, C] logit matrix split into consecutive shards (unweighted sums)."""
    shards, positions = shape
    sizes = _shard_sizes(src, family, shards)
    classes = sum(sizes)
    offsets = [sum(sizes[:s]) for s in range(shards)]
    lse, sums, target_logit, target = [0.0] * (shards * positions), [0.0] * (shards * positions), [], []
    for n in range(positions):
        row = [float_to_dtype(src.normal() * scale, dtype) for _ in range(classes)]
        y = src.index(classes)
        target.append(y)
        target_logit.append(row[y])
        for s in range(shards):
            part = row[offsets[s]:offsets[s] + sizes[s]]
            lse[s * positions + n] = _lse(part)
            with mpmath.workprec(WORKING_BITS):
                sums[s * positions + n] = float(sum((mpmath.mpf(x) for x in part), mpmath.mpf(0)))
    as_dtype = lambda data: tuple(float_to_dtype(v, dtype) for v in data)  # noqa: E731
    return {"shard_lse": Tensor(dtype.name, (shards, positions), as_dtype(lse)),
            "shard_logit_sum": Tensor(dtype.name, (shards, positions), as_dtype(sums)),
            "target_logit": Tensor(dtype.name, (positions,), as_dtype(target_logit)),
            "target": Tensor(INT_DTYPE, (positions,), tuple(target)),
            "shard_size": Tensor(INT_DTYPE, (shards,), tuple(sizes))}


def random_inputs(src, fn: dict, shape, family: dict, scale: float, dtype: DType) -> dict[str, Tensor]:
    """The inputs of one random case (states and partial lse in base e: a base-2 case merges them as
    base-2 statistics, any non-negative numbers being some partition's)."""
    if "shard_lse" in fn["inputs"]:
        if len(shape) != 2:
            raise ValueError("cross_entropy_from_shards families take shapes [S, N]")
        return _shard_inputs(src, shape, family, scale, dtype)
    return _merge_inputs(src, fn, shape, family, scale, dtype, "e")


def classes_of(inputs: dict[str, Tensor]) -> int | None:
    """C of shard statistics (the sum of shard_size), for random class weights; None otherwise."""
    sizes = inputs.get("shard_size")
    return sum(sizes.data) if sizes is not None else None
