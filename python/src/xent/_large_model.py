"""Large-model options of softmax_cross_entropy and its gradient (spec E3, issue 17): logit_scale,
softcap, z_loss and empty_mean.

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
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import _ce
from ._validate import check_enum, float_param, index_equals, is_float_input, peek_float_dtype
from .primitives import logsumexp, softmax

EMPTY_MEAN = ("nan", "zero")
#: Liger-Kernel's default lse_square_scale in its z-loss entry point; named here for the mutant catalogue.
PALM_Z_LOSS = 1e-4


@dataclass(frozen=True)
class Options:
    scale: float
    cap: float | None
    z: float
    empty_mean: str

    @property
    def is_default(self) -> bool:
        """The options that leave specVersion 2's function unchanged."""
        return self.scale == 1 and self.cap is None and self.z == 0 and self.empty_mean == "nan"


def options(logits, target, logit_scale, softcap, z_loss, empty_mean) -> Options:
    """Step 1 of the spec's errorPrecedence for the four options, as values of the result's dtype:
    logit_scale finite > 0, softcap None or finite > 0, z_loss finite >= 0, empty_mean 'nan' | 'zero'."""
    dtype = peek_float_dtype(logits, *((target,) if is_float_input(target) else ()))
    scale = float_param("logit_scale", logit_scale, dtype, lo=0.0, lo_open=True)
    cap = None if softcap is None else float_param("softcap", softcap, dtype, lo=0.0, lo_open=True)
    z = float_param("z_loss", z_loss, dtype, lo=0.0)
    return Options(scale, cap, z, check_enum("empty_mean", empty_mean, EMPTY_MEAN))


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
    """z_loss lse^2 per position, 0 at ignored positions (float64)."""
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
    x2: np.ndarray          # x'' in float64, [N, C, d1..dk]
    kept: np.ndarray        # bool [N, d1..dk]
    ce_denominator: float   # sum of w_y over kept positions (index targets) or the number of positions
    kwargs: dict            # float64 arguments of the shipped function on x''


def _widen(logits, target, weight, ignore_index, label_smoothing, label_smoothing_mode, reduction,
           opts: Options) -> _Widened:
    v = _ce.validate(logits, target, weight, ignore_index, label_smoothing, label_smoothing_mode, reduction)
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
    return _Widened(v, capped(v.logits, opts), kept, denominator, kwargs)


def loss(shipped, logits, target, weight, ignore_index, label_smoothing, label_smoothing_mode, reduction,
         opts: Options):
    """softmax_cross_entropy with the options; `shipped` is the float64 cross-entropy (reduction none)."""
    w = _widen(logits, target, weight, ignore_index, label_smoothing, label_smoothing_mode, reduction, opts)
    per = np.asarray(shipped(w.x2, **w.kwargs), dtype=np.float64)
    terms = z_terms(logsumexp(w.x2, axis=1), w.kept, opts) if opts.z > 0 and w.x2.size else np.zeros(per.shape)
    with np.errstate(over="ignore", invalid="ignore"):
        if w.v.reduction == "none":
            result = per + terms
        elif w.v.reduction == "sum":
            result = exact_sum(np.concatenate([per.ravel(), terms.ravel()]))
        else:
            result = quotient(exact_sum(per), w.ce_denominator, opts)
            if opts.z > 0:
                result += quotient(exact_sum(terms), float(np.count_nonzero(w.kept)), opts)
    res = np.asarray(result, dtype=np.float64).astype(w.v.out)
    return res[()] if res.ndim == 0 else res


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
        g = np.asarray(shipped_grad(w.x2, **w.kwargs), dtype=np.float64)
        if ce_coef != 1.0:
            g = g / w.ce_denominator if ce_coef != 0 else np.zeros_like(g)
        if opts.z > 0 and z_coef != 0 and w.x2.size:
            g = g + _z_grad(w, z_coef, opts)
        g = g * slope(w.v.logits, opts)
    return g.astype(w.v.out)


def _z_grad(w: _Widened, coef: float, opts: Options) -> np.ndarray:
    """coef 2 z lse(x'') softmax(x'')_c at kept positions; NaN at a kept position whose lse is not finite
    (a +inf logit without a cap: inf * 0), 0 at ignored ones."""
    lse = np.expand_dims(logsumexp(w.x2, axis=1), 1)
    kept = np.expand_dims(w.kept, 1)
    part = (2 * opts.z * coef) * lse * softmax(w.x2, axis=1)
    part = np.where(np.isfinite(lse), part, np.nan)
    return np.where(kept, part, 0.0)
