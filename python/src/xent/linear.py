"""Fused linear cross-entropy (spec ``linear_cross_entropy`` and ``linear_cross_entropy_grad``, issue 18).

The loss is :func:`xent.softmax_cross_entropy` of the logits ``hidden @ linear_weight.T + linear_bias``,
whose golden values take the logits EXACT. Here each logit is a compensated dot product: Dekker's exact
products (float32 and 16-bit products are exact in float64 anyway) summed with Neumaier's compensation,
so a logit carries about one float64 rounding however its terms cancel; the shipped float64 cross-entropy
and its gradient run on those logits, the chain rule back to hidden, linear_weight and linear_bias sums
exact products the same way, and the result is rounded once into the inputs' dtype. That meets the
spec's ``accurate`` level, whose condition term weighs each logit by sum_k |h_k w_ck| + |b_c|.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import _numerics as nm
from ._half import half_precision
from ._large_model import EMPTY_MEAN
from ._validate import (check_enum, check_ignore_index, check_indices, check_rank, check_reduction,
                        check_weight_values, float_array, float_param, index_array, index_equals, out_dtype,
                        real_array)
from .errors import InvalidArgumentError, InvalidShapeError, ShapeMismatchError
from .grads import softmax_cross_entropy_grad
from .logit_losses import softmax_cross_entropy

#: The inputs linear_cross_entropy_grad differentiates with respect to (its ``wrt`` parameter).
WRT = ("hidden", "linear_weight", "linear_bias")
SMOOTHING_MODES = ("uniform", "off_target")


@dataclass(frozen=True)
class _Call:
    """A checked call: float64 inputs, the result dtype, and softmax_cross_entropy's keyword arguments."""
    hidden: np.ndarray
    linear_weight: np.ndarray
    target: np.ndarray
    bias: np.ndarray | None
    kept: np.ndarray          # [N] bool: the target is not ignore_index
    out: np.dtype
    ce_options: dict

    @property
    def logits(self) -> np.ndarray:
        """hidden @ linear_weight.T + linear_bias as compensated dot products in float64; an ignored row
        is never read (D2: its logits are the bias, which the cross-entropy ignores with the row)."""
        rows = np.where(self.kept[:, None], self.hidden, 0.0)
        bias = None if self.bias is None else self.bias[None, :, None]
        return dot(rows[:, None, :], self.linear_weight[None, :, :], axis=-1, extra=bias)

    def denominator_is_zero(self) -> bool:
        """The mean's cross-entropy denominator sum of w_y over the kept positions is 0 (none kept too)."""
        weight = self.ce_options["weight"]
        kept_targets = self.target[self.kept]
        return bool(kept_targets.size == 0 or (weight is not None and not weight[kept_targets].any()))


def dot(a: np.ndarray, b: np.ndarray, axis: int, extra: np.ndarray | None = None) -> np.ndarray:
    """sum(a * b, axis) (+ extra, shaped like a * b with length 1 along axis) in float64 with exact
    products and a compensated sum; a non-finite plain sum (an inf or NaN term, 0 * inf) is returned as
    IEEE arithmetic gives it."""
    with np.errstate(invalid="ignore", over="ignore"):
        products, errors = nm.two_prod(*np.broadcast_arrays(a, b))
        axis %= products.ndim
        terms = [products, errors]
        if extra is not None:
            terms.append(np.broadcast_to(extra, products.shape[:axis] + (1,) + products.shape[axis + 1:]))
        plain = np.sum(np.concatenate(terms[:1] + terms[2:], axis=axis), axis=axis)
        hi, lo = nm.compensated_sum(np.concatenate(terms, axis=axis), axis=axis)
        return np.where(np.isfinite(plain), hi + lo, plain)


def _check(hidden, linear_weight, target, linear_bias, weight, ignore_index, label_smoothing, label_smoothing_mode,
           reduction, logit_scale, softcap, z_loss, empty_mean, wrt=None, grad_output=None,
           gradient: bool = False) -> tuple[_Call, np.ndarray | None]:
    """The spec's errorPrecedence: scalar parameters, ranks, shapes, then values."""
    h = float_array("hidden", hidden)
    w = float_array("linear_weight", linear_weight)
    t = index_array("target", target)
    out = out_dtype(h, w)
    eps = float_param("label_smoothing", label_smoothing, out, lo=0.0, hi=1.0)
    mode = check_enum("label_smoothing_mode", label_smoothing_mode, SMOOTHING_MODES)
    check_reduction(reduction)
    scale = float_param("logit_scale", logit_scale, out, lo=0.0, lo_open=True)
    cap = None if softcap is None else float_param("softcap", softcap, out, lo=0.0, lo_open=True)
    z = float_param("z_loss", z_loss, out, lo=0.0)
    check_enum("empty_mean", empty_mean, EMPTY_MEAN)
    ignore_index = check_ignore_index(ignore_index)
    if gradient:
        check_enum("wrt", wrt, WRT)
    check_rank("hidden", h, 2, 2)
    check_rank("linear_weight", w, 2, 2)
    check_rank("target", t, 1, 1)
    classes = w.shape[0]
    if classes == 0:
        raise InvalidShapeError("linear_weight must have at least one row (C = 0)")
    if w.shape[1] != h.shape[1]:
        raise ShapeMismatchError(f"linear_weight has H = {w.shape[1]} but hidden has H = {h.shape[1]}")
    if t.shape != (h.shape[0],):
        raise ShapeMismatchError(f"target has shape {tuple(t.shape)}, expected ({h.shape[0]},)")
    bias = _vector("linear_bias", linear_bias, (classes,))
    class_weight = _vector("weight", weight, (classes,))
    upstream = None
    if gradient:
        upstream = _vector("grad_output", grad_output, (h.shape[0],) if reduction == "none" else ())
        if wrt == "linear_bias" and bias is None:
            raise InvalidArgumentError("wrt='linear_bias' needs a linear_bias (it is None)")
    check_weight_values("weight", class_weight)
    if mode == "off_target" and classes == 1 and eps > 0:
        raise InvalidArgumentError("off_target label smoothing needs C >= 2 when label_smoothing > 0")
    check_indices("target", t, classes, ignore_index)
    options = dict(weight=class_weight, ignore_index=ignore_index, label_smoothing=eps, label_smoothing_mode=mode,
                   reduction=reduction, logit_scale=scale, softcap=cap, z_loss=z, empty_mean=empty_mean)
    call = _Call(h.astype(np.float64), w.astype(np.float64), t, bias, ~index_equals(t, ignore_index), out, options)
    return call, upstream


def _vector(name: str, value, shape: tuple[int, ...]) -> np.ndarray | None:
    """A tensor parameter as float64, or None; a shape other than ``shape`` is a ShapeMismatchError."""
    if value is None:
        return None
    arr = real_array(name, value)
    if arr.shape != shape:
        raise ShapeMismatchError(f"{name} has shape {tuple(arr.shape)}, expected {shape}")
    return arr.astype(np.float64)


def _rounded(result, out: np.dtype):
    """The float64 result rounded once into the result dtype (float32 or float64), scalars stay scalars."""
    arr = np.asarray(result, dtype=np.float64).astype(out)
    return arr[()] if arr.ndim == 0 else arr


@half_precision()
def linear_cross_entropy(hidden, linear_weight, target, *, linear_bias=None, weight=None, ignore_index=-100,
                         label_smoothing=0.0, label_smoothing_mode="uniform", reduction="mean", logit_scale=1.0,
                         softcap=None, z_loss=0.0, empty_mean="nan"):
    r"""Softmax cross-entropy of the logits ``hidden @ linear_weight.T + linear_bias`` against class indices
    (PyTorch's ``F.linear_cross_entropy``; a fused kernel's reference).

    ``hidden`` is [N, H], ``linear_weight`` [C, H], ``target`` [N] (int), ``linear_bias`` [C] or None.
    Every other parameter is :func:`softmax_cross_entropy`'s (class ``weight``, ``ignore_index``,
    label smoothing, reduction and the large-model options ``logit_scale``, ``softcap``, ``z_loss``,
    ``empty_mean``). The logits are compensated dot products (exact products), so a cancelling dot
    product keeps its digits. Returns [N] for reduction 'none', else a scalar.

    Raises ``InvalidShapeError``, ``ShapeMismatchError``, ``IndexOutOfRangeError``, ``InvalidArgumentError``.
    """
    call, _ = _check(hidden, linear_weight, target, linear_bias, weight, ignore_index, label_smoothing,
                     label_smoothing_mode, reduction, logit_scale, softcap, z_loss, empty_mean)
    return _rounded(softmax_cross_entropy(call.logits, call.target, **call.ce_options), call.out)


@half_precision()
def linear_cross_entropy_grad(hidden, linear_weight, target, *, linear_bias=None, weight=None, ignore_index=-100,
                              label_smoothing=0.0, label_smoothing_mode="uniform", reduction="mean",
                              logit_scale=1.0, softcap=None, z_loss=0.0, empty_mean="nan", wrt="hidden",
                              grad_output=None):
    r"""Gradient of :func:`linear_cross_entropy` with respect to ``wrt``: 'hidden' ([N, H]),
    'linear_weight' ([C, H]) or 'linear_bias' ([C]; needs a bias).

    With G = grad_output times d loss / d logits (:func:`softmax_cross_entropy_grad` on the logits):
    hidden: G @ linear_weight; linear_weight: G.T @ hidden; linear_bias: G summed over the positions.
    ``grad_output`` has the loss's shape ([N] for 'none', a scalar otherwise; None means ones). An ignored
    position contributes nothing, whatever its hidden row and grad_output hold (D2); a mean over no
    weight gives NaN everywhere (D3), or zeros with ``empty_mean='zero'``.
    """
    call, upstream = _check(hidden, linear_weight, target, linear_bias, weight, ignore_index, label_smoothing,
                            label_smoothing_mode, reduction, logit_scale, softcap, z_loss, empty_mean, wrt,
                            grad_output, gradient=True)
    n, h = call.hidden.shape
    shape = {"hidden": (n, h), "linear_weight": call.linear_weight.shape, "linear_bias": (call.linear_weight.shape[0],)}[wrt]
    if reduction == "mean" and empty_mean == "nan" and call.denominator_is_zero():
        return _rounded(np.full(shape, np.nan), call.out)  # D3: N = 0 included
    with np.errstate(invalid="ignore", over="ignore"):
        grads = np.asarray(softmax_cross_entropy_grad(call.logits, call.target, **call.ce_options), dtype=np.float64)
        if upstream is not None:
            grads = grads * (upstream[:, None] if reduction == "none" else upstream)
        kept = call.kept[:, None]
        grads = np.where(kept, grads, 0.0)
        if wrt == "hidden":
            result = np.where(kept, dot(grads[:, :, None], call.linear_weight[None, :, :], axis=1), 0.0)
        elif wrt == "linear_weight":
            rows = np.where(kept, call.hidden, 0.0)  # an ignored row is never read (D2)
            result = dot(grads[:, :, None], rows[:, None, :], axis=0)
        else:
            result = dot(grads, np.ones_like(grads), axis=0)
    return _rounded(result, call.out)
