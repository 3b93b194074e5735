"""Large-model options of softmax_cross_entropy and its gradient (spec E3, issue 17): logit_scale,
softcap, z_loss and empty_mean; the class mask `where` and the extra outputs `result` (specVersion 4).

Order (Gemma 2, PaLM): x' = logit_scale x; x'' = softcap tanh(x' / softcap) with a cap, x' without;
the cross-entropy of x'' (label smoothing, weights, ignore_index as without the options); plus
z_loss lse(x'')^2 per kept position, unweighted; reduction mean divides the cross-entropy by its usual
denominator and the z-loss by the number K of kept positions; empty_mean 'zero' makes a quotient with
a zero denominator 0 instead of NaN or inf.

These options take the general path: x'' is formed in float64 (float32 and 16-bit inputs widen exactly),
the shipped float64 cross-entropy runs on it with reduction 'none', and the parts are reduced here and
rounded once into the result dtype. Why float64 inputs stay `accurate`: x'' carries a relative error of
a few float64 ulps (a product, a quotient, tanh within about 1 ulp, a product), which the spec's bound
admits through its condition term (the oracle's kappa takes |x''| as each logit's perturbation scale).

The class mask: an excluded class's x'' is -inf and its class weight 0 for the shipped function, whose
zero-mass rule (spec D4) then drops its term whatever its target mass; positions are grouped by their
mask pattern (one group for a [C] mask). A position with no included class is 0 (loss, z-loss and
gradient) and keeps its place in the denominators.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import _ce
from ._validate import check_enum, float_param, index_equals, is_float_input, peek_float_dtype
from .primitives import logsumexp, softmax

EMPTY_MEAN = ("nan", "zero")
RESULTS = ("loss", "z_loss", "lse")
#: Liger-Kernel's default lse_square_scale in its z-loss entry point; named here for the mutant catalogue.
PALM_Z_LOSS = 1e-4


@dataclass(frozen=True)
class Options:
    scale: float
    cap: float | None
    z: float
    empty_mean: str
    where: object = None    # the class mask as given (checked with the shapes, step 3)
    result: str = "loss"

    @property
    def is_default(self) -> bool:
        """The options that leave specVersion 2's function unchanged."""
        return (self.scale == 1 and self.cap is None and self.z == 0 and self.empty_mean == "nan"
                and self.where is None and self.result == "loss")


def options(logits, target, logit_scale, softcap, z_loss, empty_mean, where=None, result="loss") -> Options:
    """Step 1 of the spec's errorPrecedence for the options, as values of the result's dtype:
    logit_scale finite > 0, softcap None or finite > 0, z_loss finite >= 0, empty_mean 'nan' | 'zero',
    result 'loss' | 'z_loss' | 'lse'."""
    dtype = peek_float_dtype(logits, *((target,) if is_float_input(target) else ()))
    scale = float_param("logit_scale", logit_scale, dtype, lo=0.0, lo_open=True)
    cap = None if softcap is None else float_param("softcap", softcap, dtype, lo=0.0, lo_open=True)
    z = float_param("z_loss", z_loss, dtype, lo=0.0)
    empty = check_enum("empty_mean", empty_mean, EMPTY_MEAN)
    return Options(scale, cap, z, empty, where, check_enum("result", result, RESULTS))


def capped(logits: np.ndarray, opts: Options) -> np.ndarray:
    """x'' in float64: softcap tanh(logit_scale x / softcap), or logit_scale x without a cap
    (+-inf become +-softcap under a cap; NaN stays NaN)."""
    x = np.asarray(logits, dtype=np.float64)
    with np.errstate(over="ignore", invalid="ignore"):
        scaled = opts.scale * x
        if opts.cap is None:
            return scaled
        return opts.cap * np.tanh(scaled / opts.cap)


def slope(logits: np.ndarray, opts: Options) -> np.ndarray:
    """dx''/dx: logit_scale / cosh^2(t), t = logit_scale x / softcap, as 4 s q / (1 + q)^2 with
    q = exp(-2 |t|) (no overflow; 0 at an infinite x, the limit); logit_scale without a cap."""
    x = np.asarray(logits, dtype=np.float64)
    if opts.cap is None:
        return np.full(x.shape, opts.scale)
    with np.errstate(over="ignore", invalid="ignore"):
        q = np.exp(-2 * np.abs(opts.scale * x / opts.cap))
        return opts.scale * 4 * q / ((1 + q) * (1 + q))


def z_terms(lse: np.ndarray, kept: np.ndarray, opts: Options) -> np.ndarray:
    """z_loss lse^2 per position, 0 at ignored positions and at positions with no included class
    (`kept` is False there) (float64)."""
    with np.errstate(over="ignore", invalid="ignore"):
        return np.where(kept, opts.z * lse * lse, 0.0)


def quotient(total: float, denominator: float, opts: Options) -> float:
    """One part of the mean: total / denominator; a zero denominator gives 0 with empty_mean 'zero',
    and IEEE division otherwise (NaN for 0 or NaN over 0, +-inf for the rest)."""
    if denominator != 0:
        return total / denominator
    if opts.empty_mean == "zero":
        return 0.0
    return math.nan if total == 0 or math.isnan(total) else math.copysign(math.inf, total)


def exact_sum(values: np.ndarray) -> float:
    """The correctly rounded sum of float64 values (math.fsum), IEEE rules for non-finite ones."""
    flat = np.asarray(values, dtype=np.float64).ravel()
    if not np.isfinite(flat).all():
        return float(np.sum(flat))
    return math.fsum(flat.tolist())


@dataclass
class _Widened:
    v: _ce.CEInputs
    x2: np.ndarray          # x'' in float64, [N, C, d1..dk]; -inf at excluded classes
    kept: np.ndarray        # bool [N, d1..dk]: not ignored (the denominators count these)
    ce_denominator: float   # sum of w_y over kept positions (index targets) or the number of positions
    kwargs: dict            # float64 arguments of the shipped function on x''
    live: np.ndarray        # bool [N, d1..dk]: kept and with at least one included class

    def per_position(self, shipped, gradient: bool = False) -> np.ndarray:
        """shipped (reduction none) on x'', run once per mask pattern with the excluded classes' weights
        0; [N, d1..dk] for a loss, the logits' shape for a gradient; 0 where no class is included."""
        if self.v.mask is None:
            return np.asarray(shipped(self.x2, **self.kwargs), dtype=np.float64)
        return _by_mask_pattern(shipped, self.x2, self.v.mask, self.kwargs, gradient)


def _widen(logits, target, weight, ignore_index, label_smoothing, label_smoothing_mode, reduction,
           opts: Options) -> _Widened:
    v = _ce.validate(logits, target, weight, ignore_index, label_smoothing, label_smoothing_mode, reduction,
                     opts.where)
    w64 = None if v.w_arr is None else np.asarray(v.w_arr, dtype=np.float64)
    tgt = np.asarray(v.tgt, dtype=np.float64) if v.prob_target else v.tgt
    if v.prob_target:
        kept = np.ones(v.pos_shape, dtype=bool)
        denominator = float(kept.size)
    else:
        kept = ~index_equals(v.tgt, v.ignore_index)
        y = np.where(kept, v.tgt, 0).astype(np.int64)
        wy = np.ones(y.shape) if w64 is None else w64[y]
        denominator = exact_sum(np.where(kept, wy, 0.0))
    kwargs = dict(target=tgt, weight=w64, ignore_index=v.ignore_index, label_smoothing=v.eps,
                  label_smoothing_mode=v.mode, reduction="none")
    x2 = capped(v.logits, opts)
    live = kept
    if v.mask is not None:
        x2 = np.where(v.mask, x2, -np.inf)  # never read: NaN and +-inf there change nothing
        live = kept & v.mask.any(axis=1)
    return _Widened(v, x2, kept, denominator, kwargs, live)


def _by_mask_pattern(shipped, x2: np.ndarray, mask: np.ndarray, kwargs: dict, gradient: bool) -> np.ndarray:
    """Rows (class axis last) grouped by their mask pattern; each group runs shipped on its rows with
    weight w * pattern (the zero-mass rule drops an excluded class's term, whatever its target)."""
    classes = x2.shape[1]
    rows = np.moveaxis(x2, 1, -1).reshape(-1, classes)
    patterns = np.moveaxis(mask, 1, -1).reshape(-1, classes)
    target = kwargs["target"]
    prob = target.dtype.kind == "f"
    targets = np.moveaxis(target, 1, -1).reshape(-1, classes) if prob else target.reshape(-1)
    base = np.ones(classes) if kwargs["weight"] is None else kwargs["weight"]
    out = np.zeros((len(rows), classes) if gradient else (len(rows),))
    unique, inverse = (np.unique(patterns, axis=0, return_inverse=True) if len(rows)
                       else (np.zeros((0, classes), bool), np.zeros(0, np.int64)))
    for k, pattern in enumerate(unique):
        idx = np.flatnonzero(inverse.ravel() == k)
        if not pattern.any():
            continue  # no included class: 0 (out starts at 0)
        weight = np.where(pattern, base, 0.0)
        out[idx] = np.asarray(shipped(rows[idx], **(kwargs | {"target": targets[idx], "weight": weight})),
                              dtype=np.float64)
    positions = (x2.shape[0],) + x2.shape[2:]
    if not gradient:
        return out.reshape(positions)
    return np.moveaxis(out.reshape(positions + (classes,)), -1, 1)


def loss(shipped, logits, target, weight, ignore_index, label_smoothing, label_smoothing_mode, reduction,
         opts: Options):
    """softmax_cross_entropy with the options; `shipped` is the float64 cross-entropy (reduction none)."""
    w = _widen(logits, target, weight, ignore_index, label_smoothing, label_smoothing_mode, reduction, opts)
    if opts.result == "lse":
        return _finish(_lse(w), w.v.out)
    terms = z_terms(_lse(w), w.live, opts) if opts.z > 0 else np.zeros(w.kept.shape)
    if opts.result == "z_loss":
        return _z_loss_result(w, terms, opts)
    per = w.per_position(shipped)
    with np.errstate(over="ignore", invalid="ignore"):
        if w.v.reduction == "none":
            result = per + terms
        elif w.v.reduction == "sum":
            result = exact_sum(np.concatenate([per.ravel(), terms.ravel()]))
        else:
            result = quotient(exact_sum(per), w.ce_denominator, opts)
            if opts.z > 0:
                result += quotient(exact_sum(terms), float(np.count_nonzero(w.kept)), opts)
    return _finish(result, w.v.out)


def _finish(result, out: np.dtype):
    res = np.asarray(result, dtype=np.float64).astype(out)
    return res[()] if res.ndim == 0 else res


def _lse(w: _Widened) -> np.ndarray:
    """lse(x'') of every position (ignored ones included), over the included classes: -inf where none
    is (float64, [N, d1..dk])."""
    if not w.x2.size:
        return np.zeros(w.kept.shape)
    return np.asarray(logsumexp(w.x2, axis=1), dtype=np.float64)


def _z_loss_result(w: _Widened, terms: np.ndarray, opts: Options):
    """result 'z_loss': the z-loss part alone, reduced like the loss; all 0 with z_loss 0 (no term). A term
    is z_loss lse^2 with lse as logsumexp gives it: +inf for a row with +inf logits or only -inf included
    ones (specVersion 4; version 3 gave NaN where the cross-entropy has no limit)."""
    if w.v.reduction == "none":
        return _finish(terms, w.v.out)
    if w.v.reduction == "sum" or opts.z == 0:
        return _finish(exact_sum(terms), w.v.out)
    with np.errstate(over="ignore", invalid="ignore"):
        return _finish(quotient(exact_sum(terms), float(np.count_nonzero(w.kept)), opts), w.v.out)


def grad(shipped_grad, logits, target, weight, ignore_index, label_smoothing, label_smoothing_mode, reduction,
         opts: Options):
    """softmax_cross_entropy_grad with the options; `shipped_grad` is the float64 gradient (reduction none)
    with respect to x''."""
    w = _widen(logits, target, weight, ignore_index, label_smoothing, label_smoothing_mode, reduction, opts)
    ce_coef, z_coef = 1.0, 1.0
    if w.v.reduction == "mean":
        if w.ce_denominator == 0 and opts.empty_mean == "nan":
            return np.full(w.x2.shape, np.nan).astype(w.v.out)
        ce_coef = quotient(1.0, w.ce_denominator, opts)
        z_coef = quotient(1.0, float(np.count_nonzero(w.kept)), opts)
    with np.errstate(over="ignore", invalid="ignore"):
        g = w.per_position(shipped_grad, gradient=True)
        if ce_coef != 1.0:
            g = g / w.ce_denominator if ce_coef != 0 else np.zeros_like(g)
        if opts.z > 0 and z_coef != 0 and w.x2.size:
            g = g + _z_grad(w, z_coef, opts)
        g = np.where(g == 0, g, g * slope(w.v.logits, opts))  # a zero part stays 0 at a NaN logit (D2, empty_mean)
        if w.v.mask is not None:  # exactly 0 at an excluded class, whatever the rest of its row gives
            g = np.where(w.v.mask, g, 0.0)
    return g.astype(w.v.out)


def _z_grad(w: _Widened, coef: float, opts: Options) -> np.ndarray:
    """coef 2 z lse(x'') softmax(x'')_c at kept positions; NaN at a kept position whose lse is not finite
    (a +inf logit without a cap: inf * 0), 0 at ignored ones."""
    lse = np.expand_dims(logsumexp(w.x2, axis=1), 1)
    kept = np.expand_dims(w.live, 1)
    part = (2 * opts.z * coef) * lse * softmax(w.x2, axis=1)
    part = np.where(np.isfinite(lse), part, np.nan)
    return np.where(kept, part, 0.0)
