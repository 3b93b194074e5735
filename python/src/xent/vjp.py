"""Vector-Jacobian products (issue 17, specVersion 4): gradients under an upstream gradient.

``grad_output`` of the gradient functions has the shape of the loss output (the positions for reduction
``none``, a scalar for ``sum`` and ``mean``) and multiplies the gradient as an ordinary IEEE product, except
that an ignored position stays exactly 0 without reading it. New functions: :func:`softmax_grad`,
:func:`log_softmax_grad` (grad_output required, x's shape), :func:`focal_loss_grad` and
:func:`binary_cross_entropy_grad`.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from . import _dd as dd
from . import _numerics as nm
from ._half import half_precision
from ._validate import (MAX_RANK, check_nonempty_axis, check_rank, check_same_shape, float_array, normalise_axis,
                        out_dtype)
from .errors import InvalidArgumentError, InvalidShapeError, ShapeMismatchError, XentError
from .logit_losses import focal_arguments
from .prob_losses import bce_arguments


# ---------------------------------------------------------------- grad_output of a loss's gradient

def loss_output_shape(reduction: str, positions: tuple[int, ...]) -> tuple[int, ...]:
    """The loss output's shape: its positions for reduction none, a scalar for sum and mean."""
    return tuple(positions) if reduction == "none" else ()


def _mismatch(v: np.ndarray, expected: tuple[int, ...]) -> ShapeMismatchError:
    return ShapeMismatchError(f"grad_output has shape {tuple(v.shape)}, expected the loss output's {expected}")


def _shape_error(call: Callable[[], Any], relax: Callable[[], Any] | None, error: ShapeMismatchError) -> XentError:
    """The error of a call whose grad_output has the wrong shape (step 3 of the precedence): the call's
    own rank and shape errors and its step-1 invalid_argument come first; value errors (step 4) yield.
    `relax` is the call without the tensor parameters whose values step 4 checks (weights), or None when
    every invalid_argument of the function is a step-1 one."""
    try:
        call()
    except (InvalidShapeError, ShapeMismatchError) as exc:
        return exc
    except InvalidArgumentError as exc:
        if relax is None:
            return exc
        try:
            relax()
        except InvalidArgumentError as again:
            return again
        except XentError:
            return error
        return error
    except XentError:
        return error
    return error


def with_upstream(fn: Callable, args: dict, primary: str, positions: Callable[[dict], tuple[int, ...]],
                  scatter: Callable[[np.ndarray, dict], np.ndarray], relax: Callable[[dict], dict] | None = None,
                  ignored: Callable[[dict], np.ndarray | None] = lambda a: None) -> np.ndarray:
    """fn(**args) times grad_output (popped from args): v broadcast by `scatter` to the result's shape,
    an IEEE product computed in float64 (float32 inputs are widened first: one rounding in the end), and
    exactly 0 where `ignored` (a mask of the result's shape) is true. `primary` names the input whose
    dtype the result takes; `positions` gives the loss's positions; `relax(args)` the argument changes
    that clear step-4 invalid_arguments (weights)."""
    args = dict(args)
    v = float_array("grad_output", args.pop("grad_output"))
    call = lambda: fn(**args)  # noqa: E731 - the checks run in fn, in the spec's order
    try:
        expected = loss_output_shape(args.get("reduction", "none"), positions(args))
    except (IndexError, ValueError, AttributeError):  # a rank fn rejects: let it say so
        expected = None
    if expected is None or v.shape != expected:
        relaxed = (lambda: fn(**(args | relax(args)))) if relax is not None else None  # noqa: E731
        raise _shape_error(call, relaxed, _mismatch(v, expected))
    out = np.dtype(np.float32) if np.asarray(args[primary]).dtype == np.float32 else np.dtype(np.float64)
    wide = {k: (a.astype(np.float64) if isinstance(a, np.ndarray) and a.dtype == np.float32 else a)
            for k, a in args.items()}
    g = np.asarray(fn(**wide), dtype=np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        res = g * scatter(v.astype(np.float64), args)
    mask = ignored(args)
    if mask is not None:
        res = np.where(mask, 0.0, res)
    return res.astype(out)


def sce_positions(args: dict) -> tuple[int, ...]:
    shape = np.shape(args["logits"])
    if len(shape) < 2:
        raise ValueError("rank")
    return shape[:1] + shape[2:]


def sce_scatter(v: np.ndarray, args: dict) -> np.ndarray:
    """v[n, d..] onto [n, c, d..] (reduction none), or the scalar."""
    return v[:, None, ...] if args.get("reduction") == "none" else v


def sce_ignored(args: dict) -> np.ndarray | None:
    """Elements never read under grad_output, as a mask of the logits' shape: the positions whose index
    target equals ignore_index, and the classes the mask `where` excludes (both exactly 0)."""
    shape = np.shape(args["logits"])
    target, ignore = np.asarray(args["target"]), args.get("ignore_index", -100)
    ignored = None
    if ignore is not None and target.dtype.kind in "iu":
        ignored = np.broadcast_to((target == ignore)[:, None, ...], shape)
    if args.get("where") is None:
        return ignored
    where = np.asarray(args["where"], dtype=bool)
    excluded = np.broadcast_to(~where.reshape((1, -1) + (1,) * (len(shape) - 2)) if where.ndim == 1 else ~where, shape)
    return excluded if ignored is None else ignored | excluded


def elementwise_positions(name: str) -> Callable[[dict], tuple[int, ...]]:
    return lambda args: np.shape(args[name])


def same_scatter(v: np.ndarray, args: dict) -> np.ndarray:
    return v


# ---------------------------------------------------------------- softmax_grad and log_softmax_grad

def _vjp_parts(x, grad_output, axis):
    """Checks in the spec's order (ranks and an empty axis, step 2; shapes, 3; the axis, 4), then the
    rows along the axis in the work dtype: (parts, x, v, axis, out)."""
    x = float_array("x", x)
    v = float_array("grad_output", grad_output)
    check_rank("x", x, 1, MAX_RANK)
    check_rank("grad_output", v, 1, MAX_RANK)
    if isinstance(axis, (int, np.integer)) and not isinstance(axis, bool) and -x.ndim <= axis < x.ndim:
        check_nonempty_axis("x", x, axis)
    check_same_shape("grad_output", v, "x", x)
    ax = normalise_axis("x", x, axis)
    out = out_dtype(x, v)
    work = nm.work_dtype(out)
    xw = np.moveaxis(x, ax, -1).astype(work)
    vw = np.moveaxis(v, ax, -1).astype(work)
    return nm.LseParts(xw, compensated=nm.compensation_needed(out)), xw, vw, ax, out


@half_precision()
def softmax_grad(x, grad_output, *, axis=-1):
    r"""Vector-Jacobian product of softmax along ``axis``: with g = softmax(x) and v = grad_output,
    :math:`g_j (v_j - \sum_i g_i v_i)` (PyTorch's ``_softmax_backward_data``).

    Evaluated with a reference r = v at the row's largest logit: :math:`v_j - s = (v_j - r) -
    \sum_i g_i (v_i - r)`, so a nearly constant v cancels only in its spread. Rows with a non-finite v
    or a single +inf logit take the formula with IEEE rules on the exact softmax (0 * inf = NaN).

    Raises ``InvalidShapeError`` (rank, empty axis), ``ShapeMismatchError`` (grad_output not x's shape),
    ``InvalidArgumentError`` (axis out of range).
    """
    parts, xw, vw, ax, out = _vjp_parts(x, grad_output, axis)
    g = parts.softmax()
    with np.errstate(invalid="ignore", over="ignore"):
        plain = g * (vw - np.sum(g * vw, axis=-1, keepdims=True))
        k = np.argmax(np.where(parts.ok[..., None], xw, -np.inf), axis=-1)[..., None]
        r = np.take_along_axis(vw, k, axis=-1)
        t = vw - r
        hi, lo = nm.compensated_sum(g * t)
        shifted = g * (t - (hi + lo)[..., None])
        regular = parts.ok & np.isfinite(vw).all(axis=-1)
        res = np.where(regular[..., None], shifted, plain)
    return np.moveaxis(res.astype(out), -1, ax)


@half_precision()
def log_softmax_grad(x, grad_output, *, axis=-1):
    r"""Vector-Jacobian product of log_softmax along ``axis``: with g = softmax(x) and v = grad_output,
    :math:`v_j - g_j \sum_i v_i` (PyTorch's ``_log_softmax_backward_data``).

    The sum is compensated and :math:`g_j S` formed exactly (two_prod) before the subtraction, which
    cancels when v is proportional to the softmax; at the largest logit, where g_k may round to 1, as
    :math:`(1 - g_k) S - \sum_{i \ne k} v_i` with 1 - g_k formed without cancellation. Non-finite v
    follows IEEE rules on the exact softmax.

    Raises ``InvalidShapeError``, ``ShapeMismatchError``, ``InvalidArgumentError`` as :func:`softmax_grad`.
    """
    parts, _, vw, ax, out = _vjp_parts(x, grad_output, axis)
    g = parts.softmax()
    with np.errstate(invalid="ignore", over="ignore"):
        plain = vw - g * np.sum(vw, axis=-1, keepdims=True)
        s_hi, s_lo = nm.compensated_sum(vw)
        p_hi, p_lo = nm.two_prod(g, s_hi[..., None])
        d_hi, d_lo = nm.two_sum(vw, -p_hi)
        accurate = d_hi + (d_lo - (p_lo + g * s_lo[..., None]))
        # at the largest logit g_k may be within an ulp of 1: v_k - g_k S = (1 - g_k) S - sum_{i != k} v_i
        o_hi, o_lo = nm.compensated_sum(np.where(parts.kmask, 0, vw))
        top = (parts.one_minus_softmax() * (s_hi + s_lo)[..., None]) - (o_hi + o_lo)[..., None]
        accurate = np.where(parts.kmask, top, accurate)
        regular = parts.ok & np.isfinite(vw).all(axis=-1) & np.isfinite(s_hi)
        res = np.where(regular[..., None], accurate, plain)
    return np.moveaxis(res.astype(out), -1, ax)


# ---------------------------------------------------------------- focal_loss_grad

def _focal_checks(logits, target, gamma, alpha, reduction, grad_output):
    """The spec's order: scalars (1), ranks and C (2), shapes incl. grad_output (3), alpha values and
    targets (4)."""
    upstream = []

    def grad_output_shape(n: int, checked_reduction: str) -> None:  # the last shape of step 3
        v = None if grad_output is None else float_array("grad_output", grad_output)
        if v is not None and v.shape != loss_output_shape(checked_reduction, (n,)):
            raise _mismatch(v, loss_output_shape(checked_reduction, (n,)))
        upstream.append(v)

    logits, target, gam, a, reduction, out = focal_arguments(logits, target, gamma, alpha, reduction,
                                                             grad_output_shape)
    return logits, target, gam, a, reduction, upstream[0], out


@half_precision()
def focal_loss_grad(logits, target, *, gamma=2.0, alpha=None, reduction="mean", grad_output=None):
    r"""Gradient of :func:`focal_loss` with respect to the logits:
    :math:`\alpha_y r^{\gamma - 1} (r + \gamma p \cdot nll) (g_c - [c = y])` with p = softmax_y,
    r = 1 - p (without cancellation) and nll = -log p; gamma 0 gives alpha_y (g - onehot(y)). A row with
    p = 1 exactly has gradient 0; p = 0 (a -inf target logit, or +inf elsewhere) gives the limit
    alpha_y (g - onehot(y)). ``mean`` divides by N; ``grad_output`` ([N] for none, a scalar otherwise)
    multiplies row by row.

    Raises ``InvalidShapeError``, ``ShapeMismatchError``, ``IndexOutOfRangeError``, ``InvalidArgumentError``.
    """
    logits, target, gam, a, reduction, v, out = _focal_checks(logits, target, gamma, alpha, reduction, grad_output)
    n = logits.shape[0]
    work = nm.work_dtype(out)
    parts = nm.LseParts(logits.astype(work), compensated=nm.compensation_needed(out))
    idx = target[:, None]
    g = parts.softmax()
    p = np.take_along_axis(g, idx, axis=1)
    r = np.take_along_axis(parts.one_minus_softmax(), idx, axis=1)
    nll = -np.take_along_axis(parts.log_softmax(), idx, axis=1)
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        G = np.asarray(gam, dtype=work)
        h = np.power(r, G - 1) * (r + G * p * nll) if gam != 0 else np.ones_like(r)
        h = np.where(p == 0, 1.0, np.where(r == 0, 0.0, h))  # the limits p -> 0 and p = 1
        delta = np.where(np.arange(logits.shape[1]) == idx, -r, g)  # g_c - [c = y], no cancellation
        grad = h * delta
        if a is not None:
            a_y = a.astype(work)[target][:, None]
            grad = np.where(a_y == 0, 0.0, a_y * grad)
        grad = np.where(parts.bad[:, None], np.nan, grad)
        if reduction == "mean" and n:
            grad = grad / work.type(n)
        if v is not None:
            grad = grad * (v.astype(work)[:, None] if reduction == "none" else v.astype(work))
    if out == np.float64 and n:
        scale = np.ones(n) if a is None else a.astype(np.float64)[target]
        per_row = None if v is None else (v.astype(np.float64) if reduction == "none" else np.full(n, float(v)))
        return _focal_grad_dd(logits.astype(np.float64), target, gam, scale, n if reduction == "mean" else 1,
                              per_row, grad.astype(np.float64))
    return grad.astype(out)


def _focal_grad_dd(x, y, gamma, alpha_y, count, v, fast):
    """float64: rows with a finite maximum, a live target and 1 - p_t normal, in double-double, rounded
    once (the float64 formula's seven roundings reach 2.5 ulps): with e_i = e^(x_i - a), s = sum_{i != k}
    e_i, t = sum_{i != y} e_i, r = t / (1 + s), p = e_y / (1 + s), nll = (a - x_y) + log1p(s) and
    B = alpha_y r^gamma (r + gamma p nll) / count * v, the target's gradient is -B and another class's
    B e_c / t (= h g_c, since g_c / r = e_c / t). Other rows keep the float64 value."""
    rows, classes = np.arange(x.shape[0]), x.shape[1]
    k = x.argmax(axis=1)
    zero = np.zeros(x.shape[0])
    with np.errstate(all="ignore"):
        d, delta = nm.two_sum(x, -x[rows, k][:, None])
        delta = np.where(np.isfinite(d), delta, 0.0)
        normal = d > -700
        eh, el = dd.exp(np.where(normal, d, 0.0), np.where(normal, delta, 0.0))
        eh, el = np.where(normal, eh, np.exp(d)), np.where(normal, el, 0.0)
        eh, el = np.where(np.arange(classes) == k[:, None], 1.0, eh), np.where(np.arange(classes) == k[:, None], 0.0, el)
        sh, sl, th, tl = zero, zero, zero, zero
        for j in range(classes):
            is_k, keep = k == j, y != j
            sh, sl = dd.add(sh, sl, np.where(is_k, 0.0, eh[:, j]), np.where(is_k, 0.0, el[:, j]))
            th, tl = dd.add(th, tl, np.where(keep, eh[:, j], 0.0), np.where(keep, el[:, j], 0.0))
        den = dd.add(np.ones_like(sh), zero, sh, sl)
        r = dd.div(th, tl, *den)
        p = dd.div(eh[rows, y], el[rows, y], *den)
        nll = dd.add(-d[rows, y], -delta[rows, y], *dd.log1p(sh, sl))
        factor = dd.add(*r, *dd.mul(*dd.mul(np.full_like(sh, gamma), zero, *p), *nll))
        usable = np.isfinite(d[rows, y]) & (r[0] > 2.0 ** -1000) & np.isfinite(x).all(axis=1) & np.isfinite(sh)
        if gamma != 0:
            lh, ll = dd.log(np.where(usable, r[0], 1.0), np.where(usable, r[1], 0.0))
            lh, ll = dd.mul(lh, ll, np.full_like(sh, gamma), zero)
            usable &= lh > -700
            factor = dd.mul(*dd.exp(np.where(usable, lh, 0.0), np.where(usable, ll, 0.0)), *factor)
        base = dd.div(*dd.mul(*factor, alpha_y.astype(np.float64), zero), np.full_like(sh, float(count)), zero)
        if v is not None:
            base = dd.mul(*base, v, zero)
        ratio = dd.div(eh, el, th[:, None], tl[:, None])
        oh, ol = dd.mul(base[0][:, None], base[1][:, None], *ratio)
        target = np.arange(classes) == y[:, None]
        res = dd.to_float(np.where(target, -base[0][:, None], oh), np.where(target, -base[1][:, None], ol))
    ok = usable[:, None] & np.isfinite(res) & np.isfinite(fast)
    return np.where(ok, res, fast)


# ---------------------------------------------------------------- binary_cross_entropy_grad

@half_precision()
def binary_cross_entropy_grad(y, p, *, epsilon=1e-15, reduction="mean", grad_output=None):
    r"""Gradient of :func:`binary_cross_entropy` with respect to p: :math:`(p - y) / (p (1 - p))`
    (= :math:`(1 - y)/(1 - p) - y/p`) where epsilon <= p <= 1 - epsilon (the clip's bounds included, as
    torch.clamp's backward), exactly 0 strictly outside. epsilon 0: p = 0 gives -inf (y > 0) or 1,
    p = 1 gives +inf (y < 1) or -1. ``mean`` divides by the number of elements; ``grad_output`` (p's
    shape for none, a scalar otherwise) multiplies.

    Raises ``InvalidShapeError``, ``ShapeMismatchError``, ``InvalidProbabilityError``, ``InvalidArgumentError``.
    """
    upstream = []

    def grad_output_shape(shape: tuple[int, ...], checked_reduction: str) -> None:  # the last of step 3
        v = None if grad_output is None else float_array("grad_output", grad_output)
        if v is not None and v.shape != loss_output_shape(checked_reduction, shape):
            raise _mismatch(v, loss_output_shape(checked_reduction, shape))
        upstream.append(v)

    y, p, eps, reduction, out = bce_arguments(y, p, epsilon, reduction, grad_output_shape)
    v = upstream[0]
    work = nm.work_dtype(out)
    yw, pw = y.astype(work), p.astype(work)
    e = np.asarray(eps, dtype=work)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        # p > 1 - eps exactly  <=>  1 - p < eps (1 - p is exact for p >= 1/2)
        inside = (pw >= e) & ~((pw >= 0.5) & ((1 - pw) < e))
        grad = (pw - yw) / (pw * (1 - pw))
        grad = np.where(pw == 0, np.where(yw > 0, -np.inf, 1.0), grad)
        grad = np.where(pw == 1, np.where(yw < 1, np.inf, -1.0), grad)
        grad = np.where(inside, grad, 0.0)
        if reduction == "mean" and p.size:
            grad = grad / work.type(p.size)
        if v is not None:
            grad = grad * v.astype(work)
    res = grad.astype(out)
    if out == np.float64:
        res = _bce_grad_dd(y, p, inside, p.size if reduction == "mean" else 1,
                           None if v is None else np.broadcast_to(v, p.shape).astype(np.float64), res)
    return res[()] if res.ndim == 0 else res


def _bce_grad_dd(y, p, inside, count, v, fast):
    """float64: (p - y) / (p (1 - p)) / count * v inside the clip for 0 < p < 1, in double-double (p - y
    and 1 - p exact by two_sum), rounded once; other entries keep the float64 value."""
    with np.errstate(all="ignore"):
        zero = np.zeros_like(p)
        num = nm.two_sum(p, -y)
        den = dd.mul(p, zero, *nm.two_sum(np.ones_like(p), -p))
        q = dd.div(*num, *den)
        if count != 1:
            q = dd.div(*q, np.full_like(p, float(count)), zero)
        if v is not None:
            q = dd.mul(*q, v, zero)
        res = dd.to_float(*q)
    ok = np.asarray(inside) & (p > 2.0 ** -960) & (p < 1) & np.isfinite(res)
    return np.where(ok, res, fast)
