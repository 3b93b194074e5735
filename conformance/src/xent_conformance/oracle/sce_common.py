"""Shared reading of softmax_cross_entropy's arguments: positions, smoothed target masses, denominators."""
from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

from mpmath import iv

from ..tensor import Tensor
from . import checks
from .core import DomainError, X, iv_sum
from .row import LogitTransform, Row
from .vjp import loss_output_shape, upstream


@dataclass
class Position:
    row: Row
    ignored: bool
    mass: dict          # class -> enclosure of w_c * q_c, only the classes with a non-zero mass
    soft: dict          # class -> |d loss / d t_c| * |t_c| factor pieces for perturbable soft targets
    weight_of_target: object  # enclosure of w_y (index targets), for the mean's denominator
    touched: tuple = ()       # classes whose log-probability a framework multiplies by its mass (D4 LimitValue)
    excluded: frozenset = frozenset()  # classes the mask `where` leaves out (issue 17): gradient exactly 0
    empty: bool = False       # no included class: loss, z-loss and gradient 0, lse -inf; not ignored


@dataclass
class Problem:
    shape: tuple[int, ...]
    classes: int
    positions: list[Position]
    reduction: str
    denominator: object
    denominator_is_zero: bool
    # issue 17: z-loss scale, its mean's denominator K (non-ignored positions) and empty_mean
    z_loss: float = 0.0
    kept: int = 0
    empty_mean: str = "nan"
    transform: LogitTransform | None = None


def large_model_options(params) -> tuple[LogitTransform | None, float, str]:
    """Step 1 of errorPrecedence for issue 17's options (absent ones take their defaults):
    logit_scale finite > 0, softcap null or finite > 0, z_loss finite >= 0, empty_mean nan | zero."""
    scale = params.get("logit_scale", 1.0)
    cap = params.get("softcap")
    z = params.get("z_loss", 0.0)
    if not (isinstance(scale, float) and math.isfinite(scale) and scale > 0):
        raise DomainError("invalid_argument", f"logit_scale = {scale!r} must be finite and > 0")
    if cap is not None and not (isinstance(cap, float) and math.isfinite(cap) and cap > 0):
        raise DomainError("invalid_argument", f"softcap = {cap!r} must be null or finite and > 0")
    if not (isinstance(z, float) and math.isfinite(z) and z >= 0):
        raise DomainError("invalid_argument", f"z_loss = {z!r} must be finite and >= 0")
    empty_mean = checks.enum({"empty_mean": params.get("empty_mean", "nan")}, "empty_mean", ("nan", "zero"))
    transform = LogitTransform(scale, cap) if (scale != 1.0 or cap is not None) else None
    return transform, z, empty_mean


def _check(inputs, params) -> tuple[Tensor, Tensor, Tensor | None, bool]:
    """The checks in the spec's errorPrecedence order: scalars, ranks, shapes, then values."""
    logits, target, weight = inputs["logits"], inputs["target"], params["weight"]
    eps = checks.float_param(params, "label_smoothing", 0.0, 1.0)
    mode = checks.enum(params, "label_smoothing_mode", ("uniform", "off_target"))
    checks.enum(params, "reduction", checks.REDUCTIONS)
    large_model_options(params)
    if "result" in params:  # softmax_cross_entropy only (its gradient has no result)
        checks.enum(params, "result", RESULTS)
    checks.rank(logits, "logits", 2, checks.MAX_RANK)
    classes = logits.shape[1]
    if classes == 0:
        raise DomainError("invalid_shape", "logits must have at least one class (C = 0 on axis 1)")
    index_targets = not target.is_float
    if index_targets:
        want = logits.shape[:1] + logits.shape[2:]
        if target.shape != want:
            raise DomainError("shape_mismatch", f"index target has shape {list(target.shape)}, expected {list(want)}")
    else:
        checks.same_shape(target, logits, "target", "logits")
    checks.weight_shape(weight, "weight", [(classes,)])
    _check_mask_shape(params.get("where"), logits.shape)
    upstream(params, loss_output_shape(params["reduction"], logits.shape[:1] + logits.shape[2:]))  # grad_output
    checks.weight_values(weight, "weight")
    if mode == "off_target" and classes == 1 and eps > 0:
        raise DomainError("invalid_argument", "off_target label smoothing needs C >= 2 when label_smoothing > 0")
    if index_targets:
        checks.class_targets(target, classes, params["ignore_index"])
    else:
        checks.probabilities(target, "target")
    return logits, target, weight, index_targets


RESULTS = ("loss", "z_loss", "lse")


def _check_mask_shape(mask: Tensor | None, logits_shape: tuple[int, ...]) -> None:
    """Step 3: the class mask is [C] (every position) or the logits' own shape."""
    if mask is not None and mask.shape not in ((logits_shape[1],), logits_shape):
        raise DomainError("shape_mismatch", f"where has shape {list(mask.shape)}, expected [{logits_shape[1]}] "
                                            f"or the logits' shape {list(logits_shape)}")


def _excluded_classes(mask: Tensor | None, classes: int, n: int, plane: int, r: int) -> frozenset[int]:
    """The classes whose mask is false at position (n, r)."""
    if mask is None:
        return frozenset()
    if mask.shape == (classes,):
        return frozenset(c for c in range(classes) if not mask.data[c])
    return frozenset(c for c in range(classes) if not mask.data[(n * classes + c) * plane + r])


def _smoothed(t: Fraction, eps: Fraction, classes: int, mode: str) -> Fraction:
    """q_c for a target value t in [0, 1] (1 or 0 for index targets)."""
    if mode == "uniform":
        return (1 - eps) * t + eps / classes
    return (1 - eps) * t + (eps / (classes - 1) * (1 - t) if classes > 1 else 0)


def _enclosure(x: Fraction):
    return iv.mpf(x.numerator) / x.denominator


def read_problem(inputs, params) -> Problem:
    logits, target, weight, index_targets = _check(inputs, params)
    transform, z_loss, empty_mean = large_model_options(params)
    classes = logits.shape[1]
    batch, spatial = logits.shape[0], logits.shape[2:]
    plane = math.prod(spatial)
    eps = Fraction(params["label_smoothing"])
    mode = params["label_smoothing_mode"]
    w = [Fraction(v) for v in weight.data] if weight is not None else [Fraction(1)] * classes
    slope = (1 - eps) - (eps / (classes - 1) if mode == "off_target" and classes > 1 else 0)
    positions, weight_sum, all_zero = [], [], True
    for n in range(batch):
        for r in range(plane):
            xs = [logits.data[(n * classes + c) * plane + r] for c in range(classes)]
            if index_targets:
                y = target.data[n * plane + r]
                if y == params["ignore_index"]:
                    positions.append(Position(None, True, {}, {}, 0))
                    continue
                t = [Fraction(int(c == y)) for c in range(classes)]
                weight_sum.append(w[y])
                all_zero = all_zero and w[y] == 0
            else:
                t = [Fraction(target.data[(n * classes + c) * plane + r]) for c in range(classes)]
            excluded = _excluded_classes(params.get("where"), classes, n, plane, r)
            if len(excluded) == classes:  # no included class: loss 0 but counted (not ignored)
                positions.append(Position(None, False, {}, {}, None, (), excluded, empty=True))
                continue
            mass, soft = {}, {}
            for c in range(classes):
                if c in excluded:  # its mass is dropped whatever it is (optax's sum(where=...))
                    continue
                m = w[c] * _smoothed(t[c], eps, classes, mode)
                if m != 0:
                    mass[c] = _enclosure(m)
                if not index_targets and 0 < t[c] < 1 and w[c] * slope != 0:
                    soft[c] = _enclosure(abs(w[c] * slope) * t[c])
            # PyTorch reads only lp_y for plain index targets; smoothing or soft targets read every class
            touched = (y,) if index_targets and eps == 0 else tuple(range(classes))
            touched = tuple(c for c in touched if c not in excluded)
            positions.append(Position(Row(xs, transform, excluded), False, mass, soft, None, touched, excluded))
    if index_targets:
        denominator = _enclosure(sum(weight_sum, Fraction(0)))
        is_zero = all_zero
    else:
        denominator = iv.mpf(len(positions))
        is_zero = len(positions) == 0
    kept = sum(1 for p in positions if not p.ignored)
    return Problem(logits.shape, classes, positions, params["reduction"], denominator, is_zero,
                   z_loss, kept, empty_mean, transform)


def position_row(inputs, params, problem: Problem, index: int) -> Row | None:
    """The masked, transformed Row of position `index` (ignored or not; None: no included class)."""
    classes, plane = problem.classes, math.prod(problem.shape[2:])
    n, r = divmod(index, plane)
    logits = inputs["logits"].data
    xs = [logits[(n * classes + c) * plane + r] for c in range(classes)]
    excluded = _excluded_classes(params.get("where"), classes, n, plane, r)
    return None if len(excluded) == classes else Row(xs, problem.transform, excluded)


def total_mass(position: Position):
    return iv_sum(position.mass.values())
