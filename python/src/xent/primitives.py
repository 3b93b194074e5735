"""Primitives over a vector (logsumexp, softmax, log_softmax) and elementwise logistic functions
(sigmoid, log_sigmoid, softplus).

The vector functions run along ``axis`` (default -1, the last; negative counts from the end, as
PyTorch's ``dim`` and ONNX's ``axis`` from opset 13), batched over the other axes, for ``x`` of rank 1 to
8 (specVersion 3, issue 19). ``axis=None`` keeps the old rank-1 contract (``x`` must be a vector). An
axis outside [-r, r) is ``InvalidArgumentError``; an empty axis is ``InvalidShapeError``.
"""
from __future__ import annotations

import numpy as np

from . import _numerics as nm
from ._half import half_precision
from ._validate import MAX_RANK, check_nonempty_axis, check_rank, float_array, normalise_axis, out_dtype


def _parts(x, axis):
    x = float_array("x", x)
    ax = normalise_axis("x", x, axis)
    check_nonempty_axis("x", x, ax)
    out = out_dtype(x)
    work = nm.work_dtype(out)
    xw = np.moveaxis(x, ax, -1).astype(work)
    return nm.LseParts(xw, compensated=nm.compensation_needed(out)), ax, out


@half_precision(mixed=True)
def logsumexp(x, *, axis=-1):
    r"""Log of the sum of exponentials, :math:`\mathrm{lse}(x) = \log \sum_i e^{x_i}`.

    Evaluated as :math:`a + \mathrm{log1p}(s)` with :math:`a = \max_i x_i` (attained at k) and
    :math:`s = \sum_{i \ne k} e^{x_i - a}` (Blanchard, Higham and Higham 2021), with an exact shift
    and a compensated sum.

    Parameters
    ----------
    x : array_like, float32 or float64
        An array of rank 1 to 8, reduced along ``axis`` (the axis is removed).
    axis : int, default -1
        The axis to reduce; ``None`` requires a vector (the rank-1 contract of specVersion 2).

    Returns
    -------
    numpy scalar or ndarray of x's dtype.

    Special values: any NaN gives NaN; otherwise any +inf gives +inf; all -inf gives -inf.

    Raises
    ------
    InvalidShapeError
        If x has rank 0 or above 8 (or is not a vector, with ``axis=None``), or the reduced axis is empty.
    InvalidArgumentError
        If axis is outside [-r, r) for x of rank r.
    """
    parts, _, out = _parts(x, axis)
    res = parts.lse().astype(out)
    return res[()] if res.ndim == 0 else res


@half_precision(mixed=True)
def softmax(x, *, axis=-1):
    r"""Normalised exponentials, :math:`\mathrm{softmax}(x)_j = e^{x_j} / \sum_i e^{x_i}`.

    Evaluated as :math:`e^{x_j - a} / (1 + s)` (the division form recommended by Blanchard, Higham and
    Higham), with an exact shift and a compensated, double-word denominator.

    Special values: any NaN in a row gives a NaN row; exactly one +inf gives the one-hot limit; two or
    more +inf, or all -inf, give NaN; a -inf entry gives exactly 0.

    Raises ``InvalidShapeError`` for a non-vector (``axis=None``) or an empty reduced axis.
    """
    parts, ax, out = _parts(x, axis)
    return np.moveaxis(parts.softmax().astype(out), -1, ax)


@half_precision(mixed=True)
def log_softmax(x, *, axis=-1):
    r"""Logarithm of softmax, :math:`x_j - \mathrm{lse}(x)`, evaluated as
    :math:`(x_j - a) - \mathrm{log1p}(s)` so that the dominant entry keeps its tiny negative value.

    Special values: any NaN gives a NaN row; exactly one +inf at k gives 0 at k and -inf elsewhere;
    two or more +inf, or all -inf, give NaN; a -inf entry gives -inf.

    Raises ``InvalidShapeError`` for a non-vector (``axis=None``) or an empty reduced axis.
    """
    parts, ax, out = _parts(x, axis)
    return np.moveaxis(parts.log_softmax().astype(out), -1, ax)


def _elementwise(z, fn):
    z = float_array("z", z)
    check_rank("z", z, 0, MAX_RANK)  # rank 9 is invalid_shape (DECISIONS D6)
    out = out_dtype(z)
    res = fn(z.astype(nm.work_dtype(out))).astype(out)
    return res[()] if res.ndim == 0 else res


@half_precision()
def sigmoid(z):
    r"""Logistic function :math:`\sigma(z) = 1 / (1 + e^{-z})`, elementwise, computed as
    :math:`e^z / (1 + e^z)` for z < 0. ``sigmoid(+inf) = 1``, ``sigmoid(-inf) = 0``. Any shape."""
    return _elementwise(z, nm.sigmoid)


@half_precision()
def log_sigmoid(z):
    r"""Logarithm of the logistic function, :math:`\log\sigma(z) = -\mathrm{softplus}(-z)`,
    elementwise. ``log_sigmoid(+inf) = -0.0``, ``log_sigmoid(-inf) = -inf``."""
    return _elementwise(z, lambda w: -nm.softplus(-w))


@half_precision(mixed=True)
def softplus(z):
    r"""Smooth ReLU :math:`\log(1 + e^z) = \max(z, 0) + \mathrm{log1p}(e^{-|z|})`, elementwise.
    ``softplus(+inf) = +inf``, ``softplus(-inf) = 0``."""
    return _elementwise(z, nm.softplus)
