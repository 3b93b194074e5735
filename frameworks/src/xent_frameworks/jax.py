"""JAX and optax on CPU as a reference point. Run as ``python -m xent_frameworks.jax``.

64-bit mode is on, so float64 vectors run in float64, float32 vectors in float32, float16 and bfloat16
vectors in those dtypes (bfloat16 arrays are ml_dtypes', JAX's own). JAX has no autocast: the mixed
contract (``output_dtype`` 'float32') is not declared. Mappings:

* logsumexp, softmax, log_softmax, sigmoid, log_sigmoid, softplus: ``jax.nn``.
* entropy, cross_entropy: ``jax.scipy.special.entr`` / ``xlogy`` summed (base e, epsilon 0 only).
* kl_divergence: ``optax.losses.kl_divergence(log q, p)``.
* softmax_cross_entropy(_grad): ``optax.softmax_cross_entropy_with_integer_labels(logits, labels, axis=1)``
  for class indices, ``optax.softmax_cross_entropy(logits, labels, axis=1)`` for probabilities, and
  ``optax.smooth_labels`` for uniform label smoothing (on the one-hot labels for class indices). optax
  returns per-example losses: the reduction is ``jnp.mean`` / ``jnp.sum``, as an optax user writes it.
  optax has no class weights, no ignore_index and no off_target smoothing: unsupported when used.
  The class mask ``where`` (specVersion 4) is optax's own ``where=`` argument of both functions, a [C] mask
  broadcast to the logits' shape first (optax reads a lower-rank mask as a per-example one); optax's
  integer-label function reads an excluded target's logit, which the vectors show (spec rationale).
* binary_cross_entropy_with_logits(_grad): ``optax.sigmoid_binary_cross_entropy`` (no weight, no
  pos_weight: unsupported when given).
* sigmoid_focal_loss: ``optax.sigmoid_focal_loss(alpha=, gamma=)``.
* unsupported (checked on the concrete case first): class weights, a target equal to ignore_index,
  off_target smoothing, weight or pos_weight for binary cross-entropy.

Gradients are ``jax.grad`` of the reduced loss (of its sum for reduction 'none'). Every case runs
under ``jax.jit`` (see ``_jitted``).
"""
from __future__ import annotations

import functools
import os

os.environ.setdefault("JAX_PLATFORMS", "cpu")

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import jax.scipy.special as jsp  # noqa: E402
import numpy as np  # noqa: E402
import optax  # noqa: E402

from .protocol import (DTYPES, HALF_DTYPES, Library, Unsupported, natural_log_only, output_dtype_params,  # noqa: E402
                       reduce, serve_and_exit)

jax.config.update("jax_enable_x64", True)

NAME = "jax-optax"


def _reduce(loss, reduction):
    return reduce(loss, reduction, jnp.mean, jnp.sum)


def entropy(p, base="e"):
    natural_log_only(base)
    return jnp.sum(jsp.entr(p))


def cross_entropy(p, q, base="e", epsilon=0.0):
    natural_log_only(base)
    if epsilon != 0:
        raise Unsupported("epsilon > 0: no clipped cross-entropy between distributions in JAX/optax")
    return -jnp.sum(jsp.xlogy(p, q))


def kl_divergence(p, q, base="e"):
    natural_log_only(base)
    return optax.losses.kl_divergence(jnp.log(q), p)


def _ce_unsupported(logits, target, weight=None, ignore_index=-100, label_smoothing=0.0,
                    label_smoothing_mode="uniform", reduction="mean", where=None):
    """What optax cannot express, checked on the concrete case before tracing."""
    if weight is not None:
        raise Unsupported("class weights: optax has none")
    if label_smoothing > 0 and label_smoothing_mode != "uniform":
        raise Unsupported(f"label_smoothing_mode {label_smoothing_mode!r}: optax.smooth_labels is uniform")
    if np.issubdtype(target.dtype, np.integer) and np.any(target == ignore_index):
        raise Unsupported("ignore_index: optax has none")


def _bce_unsupported(z, y, weight=None, pos_weight=None, reduction="mean"):
    if weight is not None or pos_weight is not None:
        raise Unsupported("weight / pos_weight: optax.sigmoid_binary_cross_entropy has neither")


def _class_mask(where, logits):
    """optax's where: a [C] class mask broadcast to the logits' shape (optax would take a mask of lower
    rank as a per-example one); any other shape goes to optax as it is."""
    if where is None or where.shape != logits.shape[1:2]:
        return where
    return jnp.broadcast_to(where.reshape((1, -1) + (1,) * (logits.ndim - 2)), logits.shape)


def _ce_loss(logits, target, label_smoothing, reduction, where=None):
    """The optax cross-entropy with these options, reduced."""
    where = _class_mask(where, logits)
    if np.issubdtype(target.dtype, np.integer):
        if label_smoothing > 0:
            labels = jax.nn.one_hot(target, logits.shape[1], axis=1, dtype=logits.dtype)
            loss = optax.softmax_cross_entropy(logits, optax.smooth_labels(labels, label_smoothing, axis=1), axis=1,
                                               where=where)
        else:
            loss = optax.softmax_cross_entropy_with_integer_labels(logits, target, axis=1, where=where)
    else:
        labels = optax.smooth_labels(target, label_smoothing, axis=1) if label_smoothing > 0 else target
        loss = optax.softmax_cross_entropy(logits, labels, axis=1, where=where)
    return _reduce(loss, reduction)


def softmax_cross_entropy(logits, target, weight=None, ignore_index=-100, label_smoothing=0.0,
                          label_smoothing_mode="uniform", reduction="mean", where=None):
    return _ce_loss(logits, target, label_smoothing, reduction, where)


def softmax_cross_entropy_grad(logits, target, weight=None, ignore_index=-100, label_smoothing=0.0,
                               label_smoothing_mode="uniform", reduction="mean", where=None):
    return jax.grad(lambda x: jnp.sum(_ce_loss(x, target, label_smoothing, reduction, where)))(logits)


def binary_cross_entropy_with_logits(z, y, weight=None, pos_weight=None, reduction="mean"):
    return _reduce(optax.sigmoid_binary_cross_entropy(z, y), reduction)


def binary_cross_entropy_with_logits_grad(z, y, weight=None, pos_weight=None, reduction="mean"):
    return jax.grad(lambda x: jnp.sum(_reduce(optax.sigmoid_binary_cross_entropy(x, y), reduction)))(z)


def sigmoid_focal_loss(z, y, alpha=0.25, gamma=2.0, reduction="none"):
    return _reduce(optax.sigmoid_focal_loss(z, y, alpha=alpha, gamma=gamma), reduction)


#: Checks on the concrete case, before tracing, for what the library cannot express.
UNSUPPORTED_CHECKS = {
    "softmax_cross_entropy": _ce_unsupported,
    "softmax_cross_entropy_grad": _ce_unsupported,
    "binary_cross_entropy_with_logits": _bce_unsupported,
    "binary_cross_entropy_with_logits_grad": _bce_unsupported,
}

FUNCTIONS = {
    "logsumexp": lambda x, axis=-1: jax.nn.logsumexp(x, axis=axis),
    "softmax": lambda x, axis=-1: jax.nn.softmax(x, axis=axis),
    "log_softmax": lambda x, axis=-1: jax.nn.log_softmax(x, axis=axis),
    "sigmoid": lambda z: jax.nn.sigmoid(z),
    "log_sigmoid": lambda z: jax.nn.log_sigmoid(z),
    "softplus": lambda z: jax.nn.softplus(z),
    "entropy": entropy,
    "cross_entropy": cross_entropy,
    "kl_divergence": kl_divergence,
    "softmax_cross_entropy": softmax_cross_entropy,
    "softmax_cross_entropy_grad": softmax_cross_entropy_grad,
    "binary_cross_entropy_with_logits": binary_cross_entropy_with_logits,
    "binary_cross_entropy_with_logits_grad": binary_cross_entropy_with_logits_grad,
    "sigmoid_focal_loss": sigmoid_focal_loss,
}


#: parameter values JAX/optax can express (protocol 1.1 capabilities): cases outside are never sent.
#: ignore_index (only when a target equals it) and non-uniform smoothing (only when label_smoothing > 0)
#: depend on the case: answered per case.
NATURAL_LOG = {"base": ["e"]}
NO_WEIGHTS = {"weight": [None]}
NO_AUTOCAST = output_dtype_params("same")
PARAMS = {**NO_AUTOCAST, "entropy": NATURAL_LOG, "kl_divergence": NATURAL_LOG,
          "cross_entropy": {**NATURAL_LOG, "epsilon": ["0x0p+0"]},
          "softmax_cross_entropy": {**NO_WEIGHTS, **NO_AUTOCAST["softmax_cross_entropy"]},
          "softmax_cross_entropy_grad": NO_WEIGHTS,
          "binary_cross_entropy_with_logits": {**NO_WEIGHTS, "pos_weight": [None],
                                               **NO_AUTOCAST["binary_cross_entropy_with_logits"]},
          "binary_cross_entropy_with_logits_grad": {**NO_WEIGHTS, "pos_weight": [None]}}


def library() -> Library:
    return Library(NAME, f"jax {jax.__version__}, optax {optax.__version__}",
                   {name: _jitted(name) for name in FUNCTIONS}, params=PARAMS,
                   default_dtypes=DTYPES + HALF_DTYPES,
                   class_mask=frozenset({"softmax_cross_entropy", "softmax_cross_entropy_grad"}))


def _jitted(name):
    """The function under ``jax.jit``, as JAX code runs in practice, with every tensor traced.

    Scalar and enum parameters are static: they select a compiled function from a cache, and jit's own
    cache reuses it for equal shapes and dtypes, so a shape seen before costs no compilation (compiling
    per case, or eager dispatch of each operation, is many times slower over the vectors).
    """
    check = UNSUPPORTED_CHECKS.get(name)

    def call(**kwargs):
        if check:
            check(**kwargs)
        traced = {k: v for k, v in kwargs.items() if isinstance(v, np.ndarray)}
        static = tuple(sorted((k, v) for k, v in kwargs.items() if k not in traced))
        return np.asarray(_compiled(name, static)(traced))
    return call


@functools.lru_cache(maxsize=None)
def _compiled(name, static):
    return jax.jit(functools.partial(_apply, FUNCTIONS[name], dict(static)))


def _apply(fn, static, arrays):
    return fn(**arrays, **static)


def main() -> None:
    serve_and_exit(library())


if __name__ == "__main__":
    main()
