"""NumPy written the way the seeds teach it: max-subtraction, clip, the "stable" BCE-with-logits identity.

Run as ``python -m xent_frameworks.numpy_stable``. Every formula is the textbook one from the seed
documents (shared/seeds 000-002), written plainly in the data's dtype, with no validation beyond what
NumPy itself raises and no accuracy refinements (no log1p, no compensated sums): it is the baseline a
careful tutorial reader would write. The functions the seeds do not teach (sigmoid focal loss) are not
declared. float16 runs in float16 like the other dtypes (NumPy's own half type; bfloat16 is not NumPy's),
and the mixed contract (output_dtype 'float32', an autocast notion) is not declared.
"""
from __future__ import annotations

import sys
import warnings

import numpy as np

from .protocol import DTYPES, Library, Rejected, output_dtype_params, reduce

NAME = "numpy-stable"


def _reduce(loss, reduction):
    return reduce(loss, reduction, np.mean, np.sum)


def _log(base):
    """The seeds print bits with np.log2; 'e' is np.log."""
    if base == "e":
        return np.log
    if base == "2":
        return np.log2
    raise Rejected("invalid_argument", f"unknown base {base!r}")


def logsumexp(x, axis=-1):
    a = np.max(x, axis=axis, keepdims=True)
    return np.squeeze(a, axis=axis) + np.log(np.sum(np.exp(x - a), axis=axis))


def softmax(x, axis=-1):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def log_softmax(x, axis=-1):
    s = x - np.max(x, axis=axis, keepdims=True)
    return s - np.log(np.sum(np.exp(s), axis=axis, keepdims=True))


def sigmoid(z):
    one = z.dtype.type(1)
    return one / (one + np.exp(-z))


def softplus(z):
    """Seed 000's stable form: max(z, 0) + log(1 + exp(-|z|))."""
    one = z.dtype.type(1)
    return np.maximum(z, 0) + np.log(one + np.exp(-np.abs(z)))


def log_sigmoid(z):
    return -softplus(-z)


def entropy(p, base="e"):
    log = _log(base)
    p = p[p > 0]
    return -np.sum(p * log(p))


def cross_entropy(p, q, base="e", epsilon=0.0):
    """Seed 000: q + epsilon, renormalised, summed over p > 0."""
    log = _log(base)
    q = q + q.dtype.type(epsilon)
    q = q / q.sum()
    mask = p > 0
    return -np.sum(p[mask] * log(q[mask]))


def kl_divergence(p, q, base="e"):
    log = _log(base)
    mask = p > 0
    return np.sum(p[mask] * log(p[mask] / q[mask]))


def nll_from_probs(probs, target, epsilon=1e-15, reduction="mean"):
    """Seed 002's crossEntropyLoss: -log(max(p_target, epsilon))."""
    picked = probs[np.arange(len(target)), target]
    return _reduce(-np.log(np.maximum(picked, probs.dtype.type(epsilon))), reduction)


def categorical_cross_entropy(t, p, reduction="mean"):
    """Seed 001: -sum(t * log(p)) per row."""
    return _reduce(-np.sum(t * np.log(p), axis=1), reduction)


def binary_cross_entropy(y, p, epsilon=1e-15, reduction="mean"):
    """Seed 000: np.clip(p, eps, 1 - eps), then -(y log p + (1 - y) log(1 - p))."""
    one = p.dtype.type(1)
    eps = p.dtype.type(epsilon)
    p = np.clip(p, eps, one - eps)
    return _reduce(-(y * np.log(p) + (one - y) * np.log(one - p)), reduction)


def _bce_logits_terms(z, y, weight, pos_weight):
    """Seed 000's identity max(z, 0) - z y + log(1 + exp(-|z|)); pos_weight scales the y term."""
    one = z.dtype.type(1)
    if pos_weight is None:
        loss = np.maximum(z, 0) - z * y + np.log(one + np.exp(-np.abs(z)))
    else:
        loss = pos_weight * y * softplus(-z) + (one - y) * softplus(z)
    return loss if weight is None else weight * loss


def binary_cross_entropy_with_logits(z, y, weight=None, pos_weight=None, reduction="mean"):
    return _reduce(_bce_logits_terms(z, y, weight, pos_weight), reduction)


def binary_cross_entropy_with_logits_grad(z, y, weight=None, pos_weight=None, reduction="mean"):
    """Seed 000: dL/dz = sigmoid(z) - y (with pos_weight: (1 - y) sigmoid(z) - pw y sigmoid(-z))."""
    one = z.dtype.type(1)
    g = sigmoid(z) - y if pos_weight is None else (one - y) * sigmoid(z) - pos_weight * y * sigmoid(-z)
    if weight is not None:
        g = weight * g
    return g / g.dtype.type(z.size) if reduction == "mean" else _checked_sum_or_none(g, reduction)


def _checked_sum_or_none(g, reduction):
    if reduction not in ("none", "sum"):
        raise Rejected("invalid_argument", f"unknown reduction {reduction!r}")
    return g


def sigmoid_mse_grad(z, y):
    """Seed 000: (p - y) * p * (1 - p)."""
    p = sigmoid(z)
    return (p - y) * p * (p.dtype.type(1) - p)


def _smoothed_targets(target, C, dtype, eps, mode):
    """Index targets -> target rows: uniform eps/C (PyTorch) or seed 000's eps/(C - 1) off target."""
    if mode == "uniform":
        q = np.full((len(target), C), eps / C, dtype=dtype)
        q[np.arange(len(target)), target] += dtype.type(1) - eps
    elif mode == "off_target":
        q = np.full((len(target), C), eps / (C - 1) if C > 1 else 0, dtype=dtype)
        q[np.arange(len(target)), target] = dtype.type(1) - eps
    else:
        raise Rejected("invalid_argument", f"unknown label_smoothing_mode {mode!r}")
    return q


def _ce_rows(logits, target, weight, ignore_index, label_smoothing, label_smoothing_mode):
    """Per-position losses and the mean's denominator, with the class axis moved last and flattened."""
    C = logits.shape[1]
    x = np.moveaxis(logits, 1, -1).reshape(-1, C)
    dtype = logits.dtype
    eps = dtype.type(label_smoothing)
    w = np.ones(C, dtype=dtype) if weight is None else weight
    lp = log_softmax(x)
    if target.dtype.kind == "f":
        t = np.moveaxis(target, 1, -1).reshape(-1, C)
        if eps > 0:
            t = (dtype.type(1) - eps) * t + (eps / C if label_smoothing_mode == "uniform" else eps / (C - 1) * (1 - t))
        return x, -np.sum(w * t * lp, axis=1), dtype.type(len(x)), t * w
    y = target.reshape(-1)
    keep = y != ignore_index
    q = _smoothed_targets(np.where(keep, y, 0), C, dtype, eps, label_smoothing_mode) * keep[:, None]
    return x, -np.sum(w * q * lp, axis=1), np.sum(w[np.where(keep, y, 0)] * keep), q * w


def softmax_cross_entropy(logits, target, weight=None, ignore_index=-100, label_smoothing=0.0,
                          label_smoothing_mode="uniform", reduction="mean"):
    _, loss, denominator, _ = _ce_rows(logits, target, weight, ignore_index, label_smoothing, label_smoothing_mode)
    if reduction == "mean":
        return np.sum(loss) / denominator
    out = _reduce(loss, reduction)
    return out.reshape(logits.shape[:1] + logits.shape[2:]) if reduction == "none" else out


def softmax_cross_entropy_grad(logits, target, weight=None, ignore_index=-100, label_smoothing=0.0,
                               label_smoothing_mode="uniform", reduction="mean"):
    """Seeds 000/001: dCE/dz = softmax(z) - y, here with the weighted, smoothed target mass m."""
    x, _, denominator, m = _ce_rows(logits, target, weight, ignore_index, label_smoothing, label_smoothing_mode)
    g = softmax(x) * np.sum(m, axis=1, keepdims=True) - m
    if reduction == "mean":
        g = g / denominator
    else:
        _checked_sum_or_none(g, reduction)
    C = logits.shape[1]
    moved = logits.shape[:1] + logits.shape[2:] + (C,)
    return np.moveaxis(g.reshape(moved), -1, 1)


def focal_loss(logits, target, gamma=2.0, alpha=None, reduction="mean"):
    """Seed 000: ce = cross_entropy(reduction='none'); pt = exp(-ce); alpha[t] (1 - pt)^gamma ce."""
    ce = -log_softmax(logits)[np.arange(len(target)), target]
    one = logits.dtype.type(1)
    weight = (one - np.exp(-ce)) ** logits.dtype.type(gamma)
    if alpha is not None:
        weight = weight * alpha[target]
    return _reduce(weight * ce, reduction)


FUNCTIONS = {f.__name__: f for f in (
    logsumexp, softmax, log_softmax, sigmoid, log_sigmoid, softplus, entropy, cross_entropy, kl_divergence,
    nll_from_probs, categorical_cross_entropy, binary_cross_entropy, softmax_cross_entropy,
    binary_cross_entropy_with_logits, focal_loss, softmax_cross_entropy_grad,
    binary_cross_entropy_with_logits_grad, sigmoid_mse_grad)}


def library() -> Library:
    return Library(NAME, np.__version__, FUNCTIONS, params=output_dtype_params("same"),
                   default_dtypes=DTYPES + ("float16",))


def main() -> int:
    np.seterr(all="ignore")
    warnings.simplefilter("ignore")  # empty means and the like: NaN is the answer, not a log line
    return library().serve()


if __name__ == "__main__":
    sys.exit(main())
