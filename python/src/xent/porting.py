"""The porting-parity functions (issue 19): ``nll_loss`` on log-probabilities (PyTorch ``F.nll_loss``,
ONNX NegativeLogLikelihoodLoss) and PyTorch's ``F.kl_div`` (log-probability input, all four reductions)."""
from __future__ import annotations

import numpy as np

from . import _dd
from . import _extremes as ext
from . import _numerics as nm
from ._half import half_precision
from ._validate import (MAX_RANK, check_enum, check_ignore_index, check_indices, check_rank, check_reduction,
                        check_same_shape, check_weight_values, float_array, index_array, index_equals, out_dtype,
                        real_array, reduce)
from .errors import InvalidArgumentError, InvalidShapeError, ShapeMismatchError

KL_REDUCTIONS = ("none", "sum", "mean", "batchmean")
#: below this magnitude double-double products cannot overflow (_dd.mul needs factors below 2^995)
_DD_RANGE = 2.0 ** 990
_TINY = np.finfo(np.float64).tiny


# ---------------------------------------------------------------- nll_loss

def _nll_validate(input, target, weight, ignore_index, reduction):
    """The spec's errorPrecedence (D1): reduction, then ranks and C, then shapes, then values."""
    reduction = check_reduction(reduction)
    ignore_index = check_ignore_index(ignore_index)
    x = float_array("input", input)
    check_rank("input", x, 1, MAX_RANK)
    classes = x.shape[1] if x.ndim >= 2 else x.shape[0]
    if classes == 0:
        raise InvalidShapeError(f"input must have at least one class (C = 0), got shape {x.shape}")
    tgt = index_array("target", target)
    want = x.shape[:1] + x.shape[2:] if x.ndim >= 2 else ()
    if tgt.shape != want:
        raise ShapeMismatchError(f"target must have shape {want} (input shape {x.shape} without its class "
                                 f"axis), got {tgt.shape}")
    w = None if weight is None else real_array("weight", weight)
    if w is not None and w.shape != (classes,):
        raise ShapeMismatchError(f"weight must have shape [C] = ({classes},), got {tuple(w.shape)}")
    check_weight_values("weight", w)
    check_indices("target", tgt, classes, ignore_index)
    return x, tgt, w, ignore_index, reduction


@half_precision()
def nll_loss(input, target, *, weight=None, ignore_index=-100, reduction="mean"):
    r"""Negative log-likelihood from log-probabilities: :math:`l = -w_y \, \mathrm{input}[n, y, d_1..d_k]`.

    ``input`` is ``[N, C, d1..dk]`` (rank 2 to 8) or ``[C]``; ``target`` holds class indices of shape
    ``[N, d1..dk]`` (a scalar for ``[C]``). Only the target's entry of each position is read. A position
    whose target equals ``ignore_index`` contributes 0 and is left out of the mean; ``ignore_index=None``
    ignores nothing (ONNX without the attribute). ``mean`` divides by the sum of the targets' weights.
    A zero weight gives 0 even where the input is infinite; NaN is never masked.

    Raises ``InvalidArgumentError`` (reduction, weight values), ``InvalidShapeError`` (rank, C = 0),
    ``ShapeMismatchError`` (target or weight shape) and ``IndexOutOfRangeError`` (a target outside [0, C)
    that is not ignore_index).
    """
    x, tgt, w, ignore_index, reduction = _nll_validate(input, target, weight, ignore_index, reduction)
    out = out_dtype(x)
    work = nm.work_dtype(out)
    rows = np.moveaxis(x, 1, -1) if x.ndim >= 2 else x
    ignored = index_equals(tgt, ignore_index)
    y = np.where(ignored, 0, tgt).astype(np.int64)
    picked = np.take_along_axis(rows, y[..., None], axis=-1)[..., 0].astype(work)
    w_y = np.ones(y.shape, dtype=work) if w is None else w.astype(work)[y]
    w_y = np.where(ignored, 0, w_y).astype(work)
    # -w_y x_y is one rounding in the work dtype (exact for float32 inputs in float64); D4 via mul0
    loss = np.where(ignored, 0, -nm.mul0(w_y, picked)).astype(work)
    if reduction == "none":
        res = loss.astype(out)
        return res[()] if res.ndim == 0 else res
    denominator = nm.fsum(w_y.reshape(1, -1))[0]
    return reduce(loss, reduction, out, denominator)


# ---------------------------------------------------------------- kl_div

def _log_dd(t):
    """log t as a double-double for positive finite float64 t (subnormals scaled into the normal range)."""
    scale = np.where(t < _TINY, 600, 0)
    lh, ll = _dd.log(np.ldexp(t, scale))
    ph, pl = nm.two_prod(-scale.astype(np.float64), np.full_like(t, _dd._LN2_HI))
    return _dd.add(lh, ll, ph, pl - scale * _dd._LN2_LO)


def _kl_plain(x, t, accurate):
    """t (log t - x) elementwise; t = 0 gives 0 (xlogy(0, 0) and a zero coefficient) unless x is NaN."""
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        val = t * (np.log(t) - x)
        if accurate:  # float64 results: log t and the difference in double-double, one final rounding
            ok = (t > 0) & (t < _DD_RANGE) & (np.abs(x) < _DD_RANGE)
            if ok.any():
                tk, xk = t[ok], x[ok]
                lh, ll = _log_dd(tk)
                dh, dl = _dd.add(lh, ll, -xk, np.zeros_like(xk))
                ph, pl = _dd.mul(dh, dl, tk, np.zeros_like(tk))
                val[ok] = _dd.to_float(ph, pl)
    return np.where(t == 0, np.where(np.isnan(x), np.nan, 0.0), val)


def _kl_log_target(x, t, accurate):
    """exp(t) (t - x) elementwise; t = -inf (probability 0) gives 0 unless x is NaN."""
    with np.errstate(invalid="ignore", over="ignore", under="ignore"):
        val = np.exp(t) * (t - x)
        if accurate:  # float64 results: exp(t) and t - x in double-double, one final rounding
            ok = (t > -708) & (t < 709) & (np.abs(x) < _DD_RANGE)
            if ok.any():
                tk, xk = t[ok], x[ok]
                eh, el = _dd.exp(tk)
                dh, dl = nm.two_sum(tk, -xk)
                ph, pl = _dd.mul(eh, el, dh, dl)
                val[ok] = _dd.to_float(ph, pl)
    return np.where(t == -np.inf, np.where(np.isnan(x), np.nan, 0.0), val)


def _kl_beyond_range(values, x, t, log_target):
    """The exponent of each float64 kl_div term, recomputed in place as value * 2^-exp where finite inputs
    give a term beyond 2^1000 (e^t (t - x) or t (log t - x) overflows though a sum or mean of it may
    not). Both factors are carried as a mantissa and an exponent: t - x (or log t - x) formed at 2^-64
    in double-double, e^t as e^t 2^-s in [1, 2) (or t itself); the product of the mantissas rounded once."""
    with np.errstate(invalid="ignore", over="ignore"):
        redo = np.isfinite(x) & np.isfinite(t) & ~(np.abs(values) <= ext.RANGE)
        if log_target:
            redo &= t < 753.0  # e^t 2^-s computable
    exps = np.zeros(values.shape, dtype=np.int64)
    if not redo.any():
        return exps
    xr, tr = x[redo], t[redo]
    down = -ext.HUGE_EXP
    if log_target:
        s = np.floor(tr / _dd._LN2_HI).astype(np.int64)
        fh, fl = _dd.exp(tr, 0.0, -s)
        dh, dl = nm.two_sum(np.ldexp(tr, down), np.ldexp(-xr, down))
    else:
        fh, s = np.frexp(tr)
        fl = np.zeros_like(fh)
        lh, ll = _log_dd(tr)
        dh, dl = _dd.add(np.ldexp(lh, down), np.ldexp(ll, down), np.ldexp(-xr, down), np.zeros_like(xr))
    _, e = np.frexp(dh)
    values[redo] = _dd.to_float(*_dd.mul(fh, fl, np.ldexp(dh, -e), np.ldexp(dl, -e)))
    exps[redo] = s + e - down
    return exps


@half_precision()
def kl_div(input, target, *, reduction="mean", log_target=False):
    r"""PyTorch's KL divergence loss ``F.kl_div(input, target)`` with ``input`` = log q.

    Elementwise :math:`t (\log t - x)` (``xlogy(t, t) - t x``), or :math:`e^t (t - x)` with
    ``log_target=True``; a zero target probability contributes 0 even where x is infinite, a negative
    target gives NaN (not an error). Reductions: ``none``, ``sum``, ``mean`` (over every element) and
    ``batchmean`` (the sum divided by ``input.shape[0]``; the sum itself for a 0-d input). ``input`` and
    ``target`` must have the same shape (rank 0 to 8). Nothing is range-checked.
    """
    reduction = check_enum("reduction", reduction, KL_REDUCTIONS)
    if not isinstance(log_target, (bool, np.bool_)):
        raise InvalidArgumentError(f"log_target must be a bool, got {log_target!r}")
    x, t = float_array("input", input), float_array("target", target)
    check_rank("input", x, 0, MAX_RANK)
    check_rank("target", t, 0, MAX_RANK)
    check_same_shape("input", x, "target", t)
    out = out_dtype(x, t)
    accurate = out == np.float64
    xw, tw = x.astype(np.float64).reshape(-1), t.astype(np.float64).reshape(-1)  # 1-D: rank 0 too
    values = (_kl_log_target if log_target else _kl_plain)(xw, tw, accurate)
    if reduction == "none":
        res = values.reshape(x.shape).astype(out)
        return res[()] if res.ndim == 0 else res
    denominator = None
    if reduction == "batchmean":
        reduction = "sum" if x.ndim == 0 else "mean"  # PyTorch divides only when input.dim() != 0
        denominator = None if x.ndim == 0 else np.float64(x.shape[0])
    if accurate:
        exps = _kl_beyond_range(values, xw, tw, log_target)
        if exps.any():  # a term beyond float64's range inside a finite sum or mean: carried with an exponent
            return ext.reduce_split(values, exps, reduction, out, denominator)
    return reduce(values, reduction, out, denominator)
