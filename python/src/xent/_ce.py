"""Shared preparation of softmax_cross_entropy and its gradient: validation, the per-position class
masses m_c = w_c q_c (smoothed, weighted target), the ignored positions and the mean's denominator."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import _extremes as ext
from . import _fast
from . import _numerics as nm
from ._validate import (MAX_RANK, as_array, check_enum, check_ignore_index, check_indices, check_probability,
                        check_rank, check_reduction, check_weight_values, float_array, float_param,
                        index_equals, is_float_input, peek_float_dtype, real_array)
from .errors import InvalidArgumentError, InvalidShapeError, ShapeMismatchError


@dataclass
class CESetup:
    parts: nm.LseParts       # rows of logits, class axis last: [N, d1..dk, C]
    mass: np.ndarray         # m_c per position (work dtype), 0 at ignored positions
    ignored: np.ndarray      # bool [N, d1..dk]
    denominator: object      # the mean's denominator (work dtype scalar)
    reduction: str
    out: np.dtype
    work: np.dtype
    ndim: int
    # m_c = w_c (alpha t_c + k): the target t (probabilities or one-hot) and the smoothing's constant
    # part kept apart, so that differences of masses can be formed without rounding t away
    wt: np.ndarray           # w_c t_c per position, 0 at ignored positions
    w_pos: np.ndarray        # w_c per position, 0 at ignored positions
    alpha: object
    k: object
    #: float64 work with 0 < k below the normal range: k 2^-TINY_EXP (the loss and gradient are then
    #: formed as alpha (part of t) + k (part of the weights) at that scale); None otherwise
    k_scaled: object = None
    #: the label smoothing and its mode, and the target t (probabilities or one-hot, class axis last):
    #: the double-double gradient forms alpha, k and w t from them without float64 roundings
    eps: float = 0.0
    mode: str = "uniform"
    t: object = None


@dataclass
class CEInputs:
    """The validated arguments of softmax_cross_entropy(_grad)."""
    logits: np.ndarray
    tgt: np.ndarray
    w_arr: object            # None or the [C] weights
    ignore_index: int
    eps: float
    mode: str
    reduction: str
    out: np.dtype
    prob_target: bool
    pos_shape: tuple
    mask: np.ndarray | None = None  # the class mask `where` broadcast to the logits' shape (issue 17)


def validate(logits, target, weight, ignore_index, label_smoothing, label_smoothing_mode, reduction, where=None):
    """Validate in the spec's order (DECISIONS D1): scalar parameters, then ranks and C, then shapes
    (target, weight, the class mask where), then values (weights, the off_target rule, indices,
    probabilities)."""
    prob_target = is_float_input(target)
    out = peek_float_dtype(logits, *((target,) if prob_target else ()))
    eps = float_param("label_smoothing", label_smoothing, out, lo=0.0, hi=1.0)
    mode = check_enum("label_smoothing_mode", label_smoothing_mode, ("uniform", "off_target"))
    reduction = check_reduction(reduction)
    ignore_index = check_ignore_index(ignore_index)

    logits = float_array("logits", logits)
    check_rank("logits", logits, 2, MAX_RANK)
    C = logits.shape[1]
    if C == 0:
        raise InvalidShapeError(f"logits must have at least one class along axis 1, got shape {logits.shape}")
    tgt = as_array("target", target)
    w_arr = None if weight is None else real_array("weight", weight)

    pos_shape = (logits.shape[0],) + logits.shape[2:]
    if prob_target:
        if tgt.shape != logits.shape:
            raise ShapeMismatchError(
                f"a probability (float) target must have the logits' shape {logits.shape}, got {tgt.shape}"
                + (" (class-index targets must have an integer dtype)" if tgt.shape == pos_shape else ""))
        tgt = float_array("target", tgt)
    else:
        if tgt.dtype.kind not in "iu":
            raise InvalidArgumentError(f"target must be an integer (class index) or float (probability) "
                                       f"array, got dtype {tgt.dtype}")
        if tgt.shape != pos_shape:
            raise ShapeMismatchError(f"index target must have shape {pos_shape} (logits shape {logits.shape} "
                                     f"without axis 1), got {tgt.shape}")
    if w_arr is not None and w_arr.shape != (C,):
        raise ShapeMismatchError(f"weight must have shape [C] = ({C},), got {tuple(w_arr.shape)}")
    mask = None if where is None else _class_mask(where, logits.shape)

    check_weight_values("weight", w_arr)
    if mode == "off_target" and C == 1 and eps > 0:
        raise InvalidArgumentError("label_smoothing_mode='off_target' needs C >= 2 classes when "
                                   f"label_smoothing > 0 (got C = 1, label_smoothing = {label_smoothing!r})")
    if prob_target:
        check_probability("target", tgt)
    else:
        check_indices("target", tgt, C, ignore_index)
    return CEInputs(logits, tgt, w_arr, ignore_index, eps, mode, reduction, out, prob_target, pos_shape, mask)


def _class_mask(where, shape: tuple) -> np.ndarray:
    """The class mask (issue 17) of shape [C] or the logits' shape, a bool array, broadcast to the
    logits' shape (step 3 of the error precedence: a shape check)."""
    mask = np.asarray(where)
    if mask.dtype != np.bool_:
        raise InvalidArgumentError(f"where must be a bool array (True = the class is included), got dtype {mask.dtype}")
    if mask.shape == (shape[1],):
        return np.broadcast_to(mask.reshape((1, shape[1]) + (1,) * (len(shape) - 2)), shape)
    if mask.shape != shape:
        raise ShapeMismatchError(f"where must have shape [C] = ({shape[1]},) or the logits' shape {shape}, "
                                 f"got {mask.shape}")
    return mask


def setup(logits, target, weight, ignore_index, label_smoothing, label_smoothing_mode, reduction):
    """Validate (see validate), then build the row decomposition and the masses."""
    v = validate(logits, target, weight, ignore_index, label_smoothing, label_smoothing_mode, reduction)
    return build(v)


def build(v: CEInputs) -> CESetup:
    logits, tgt, w_arr, ignore_index, eps, mode = v.logits, v.tgt, v.w_arr, v.ignore_index, v.eps, v.mode
    reduction, out, prob_target, pos_shape = v.reduction, v.out, v.prob_target, v.pos_shape
    C = logits.shape[1]
    work = nm.work_dtype(out)
    x = np.moveaxis(logits, 1, -1).astype(work, copy=False)
    parts = nm.LseParts(x, compensated=nm.compensation_needed(out))
    w = np.ones(C, dtype=work) if w_arr is None else w_arr.astype(work)
    e = np.asarray(eps, dtype=work)
    with np.errstate(invalid="ignore", divide="ignore"):
        # smoothed target = alpha t + k: uniform (1 - e) t + e / C; off_target (1 - e) t + e (1 - t) / (C - 1)
        if eps == 0:
            alpha, k = np.asarray(1, dtype=work), np.asarray(0, dtype=work)
        elif mode == "uniform":
            alpha, k = 1 - e, e / C
        else:
            k = e / (C - 1) if C > 1 else np.asarray(0, dtype=work)
            alpha = (1 - e) - k
        if prob_target:
            t = np.moveaxis(tgt, 1, -1).astype(work)
            if eps == 0:
                tq = t
            elif mode == "uniform":
                tq = (1 - e) * t + e / C
            else:
                tq = (1 - e) * t + (e / (C - 1)) * (1 - t)
            mass = w * tq
            ignored = np.zeros(pos_shape, dtype=bool)
            denominator = np.asarray(int(np.prod(pos_shape, dtype=np.int64)), dtype=work)
        else:
            ignored = index_equals(tgt, ignore_index)  # exact: never wrapped (D8)
            y = np.where(ignored, 0, tgt).astype(np.int64)  # every other target is in [0, C) now
            onehot = np.zeros(pos_shape + (C,), dtype=bool)
            if onehot.size:
                np.put_along_axis(onehot, y[..., None], True, axis=-1)
            if mode == "uniform":
                q_on, q_off = (1 - e) + e / C, e / C
            else:
                q_on, q_off = 1 - e, (e / (C - 1) if C > 1 else np.asarray(0, dtype=work))
            q = np.where(onehot, q_on, q_off).astype(work, copy=False)
            mass = np.where(ignored[..., None], 0, w * q).astype(work, copy=False)
            wy = np.where(ignored, 0, w[y]).astype(work)
            denominator = nm.fsum(wy.reshape(1, -1))[0]
            t = onehot.astype(work)
        keep = ~ignored[..., None]
        wt = np.where(keep, w * t, 0).astype(work, copy=False)
        w_pos = np.where(keep, w, 0).astype(work, copy=False)
    return CESetup(parts, mass, ignored, denominator, reduction, out, work, logits.ndim, wt, w_pos, alpha, k,
                   _tiny_k_scaled(eps, mode, C, work), eps, mode, t)


def _tiny_k_scaled(eps, mode, C, work):
    """k 2^-TINY_EXP for a float64 work dtype when the smoothing's constant mass k = eps / C (or
    eps / (C - 1)) is below 2^-900, where float64 keeps too few of its digits; else None."""
    classes = C if mode == "uniform" else C - 1
    if work != np.float64 or eps == 0 or classes < 1 or eps / classes >= 2.0 ** -900:
        return None
    return np.ldexp(np.float64(eps), -ext.TINY_EXP) / classes


#: the shipped setup: softmax_cross_entropy takes its index-target fast path only with it (a replaced
#: setup, as the mutant catalogue installs, gets the general path it wraps)
SHIPPED_SETUP = setup


def index_fast_eligible(v: CEInputs) -> bool:
    """Index targets without label smoothing: the loss of a position needs only its target's logit and
    the row's log-sum-exp."""
    return not v.prob_target and v.eps == 0 and v.logits.size > 0


def index_losses(v: CEInputs):
    """Per-position losses w_y (lse(x) - x_y) for index targets without smoothing, in float64 (the
    exact shift and compensated sum of LseParts for float64 results), the target's entry only, as
    (values, exps) with loss = values 2^exps; and the mean's denominator. Rows that the fast float64
    pass cannot carry (a non-finite logit or one beyond 2^1000, a loss below 2^-960 whose sum s of
    exponentials must be formed below the normal range) go through LseParts' range-extreme handling;
    a weighted loss below 2^-1000 is carried at 2^600."""
    C = v.logits.shape[1]
    x = np.moveaxis(v.logits, 1, -1).reshape(-1, C)  # a view for [N, C] logits (widened per block)
    ignored = index_equals(v.tgt, v.ignore_index).reshape(-1)
    y = np.where(ignored, 0, v.tgt.reshape(-1)).astype(np.int64)
    w = None if v.w_arr is None else v.w_arr.astype(np.float64)
    wy = np.ones(y.shape) if w is None else w[y]
    wy = np.where(ignored, 0.0, wy)
    compensated = nm.compensation_needed(v.out)
    exps = np.zeros(x.shape[0], dtype=np.int64)
    with np.errstate(invalid="ignore", over="ignore"):
        nll = _fast.sce_target_nll(x, y, compensated)
        fast = ~np.isnan(nll)  # rows with a non-finite logit or one beyond 2^1000 are NaN
        if compensated:
            fast &= ~(nll < _TINY_NLL)  # their s is formed again below the normal range
        if not fast.all():
            nll[~fast], exps[~fast] = _target_nll_special(x[~fast].astype(np.float64), y[~fast], compensated)
        loss = nm.mul0(wy, nll)
        loss = np.where(ignored, 0.0, loss)
        if compensated:
            tiny = (loss < ext.TINY) & (loss != 0) & np.isfinite(nll) & (exps == 0)
            if tiny.any():  # a tiny weight times a normal loss: carried at 2^600
                loss[tiny] = nm.mul0(wy[tiny], np.ldexp(nll[tiny], -ext.TINY_EXP))
                exps[tiny] = ext.TINY_EXP
    if w is None:  # unweighted: the mean's denominator is the count of positions kept, exactly
        denominator = np.asarray(ignored.size - np.count_nonzero(ignored), dtype=nm.work_dtype(v.out))[()]
    else:
        denominator = nm.fsum(wy.astype(nm.work_dtype(v.out)).reshape(1, -1))[0]
    return loss.reshape(v.pos_shape), exps.reshape(v.pos_shape), denominator


#: fast rows with a loss below this are recomputed through LseParts (its sum s is then subnormal)
_TINY_NLL = 2.0 ** -960


def _target_nll_special(x, y, compensated):
    """The same for rows with non-finite or huge logits, or a tiny sum, through LseParts' special
    values and range extremes, as (values, exps)."""
    parts = nm.LseParts(x, compensated=compensated)
    rows = np.arange(x.shape[0])
    values, exps = parts.nll_split()
    return values[rows, y], exps[rows, 0]
