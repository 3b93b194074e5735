"""PyTorch (CPU, one thread) as a reference point. Run as ``python -m xent_frameworks.torch``.

Each function is one PyTorch call on tensors of the vector's dtype (float64, float32, float16 or bfloat16),
gradients by autograd on that same call. The mixed contract (``output_dtype`` 'float32', on the six
functions that have it) is autocast's: the 16-bit tensors are converted to float32 and the float32 call
runs. That is exactly what ``torch.autocast`` does for the ops on its float32 list; on the CPU the list
holds cross_entropy and binary_cross_entropy_with_logits (tests/test_torch_autocast.py checks that
autocast's result is the same bits), on CUDA also softmax, log_softmax, softplus and the exp and sum of
logsumexp, which the CPU's autocast leaves in 16 bits.

* softmax_cross_entropy(_grad): ``F.cross_entropy(logits, target, weight=, ignore_index=,
  label_smoothing=, reduction=)``; probability targets are passed as float tensors, as PyTorch takes them,
  with PyTorch's default ignore_index (the spec's ignore_index has no effect on probability targets, and
  PyTorch rejects any other value there).
  PyTorch has no ``off_target`` smoothing: unsupported when label_smoothing > 0.
  Large-model options (issue 17) composed with tensor ops around that call, on the vector's dtype:
  logit_scale and softcap as ``softcap * torch.tanh(logits * logit_scale / softcap)`` before it (what
  Gemma 2's reference code writes), z_loss as ``z_loss * torch.logsumexp(x, dim=1) ** 2`` over the kept
  positions (summed, or divided by their number for mean); empty_mean 'zero' has no PyTorch spelling
  (user code patches the NaN): unsupported per case. ``result`` (specVersion 4): 'lse' is
  ``torch.logsumexp(x, dim=1)`` of the scaled, capped logits (every position), 'z_loss' the z-loss terms
  above reduced alone. The class mask ``where`` has no PyTorch spelling (F.cross_entropy has none; a
  masked_fill with -inf is not the spec's mask: it makes an excluded target +inf): unsupported.
* Gradients under ``grad_output`` (specVersion 4): autograd's ``loss.backward(grad_output)`` on the same
  call (softmax_cross_entropy_grad, binary_cross_entropy_with_logits_grad, sigmoid_mse_grad through
  ``F.mse_loss(sigmoid(z), y, reduction='none') / 2``, linear_cross_entropy_grad); softmax_grad and
  log_softmax_grad are ``F.softmax`` / ``F.log_softmax`` backward; binary_cross_entropy_grad is
  ``F.binary_cross_entropy``'s backward, PyTorch's own formula (p - y) / max(p (1 - p), 1e-12) without
  the spec's clip (a known difference, spec rationale).
* binary_cross_entropy_with_logits(_grad): ``F.binary_cross_entropy_with_logits(weight=, pos_weight=)``.
* binary_cross_entropy: ``F.binary_cross_entropy``, which clamps log at -100 instead of clipping p at
  epsilon; the spec's epsilon is not applied (the vectors show the difference).
* kl_divergence: ``F.kl_div(log q, p, reduction='sum')`` (log_target False, input the log of q).
* nll_loss: ``F.nll_loss(input, target, weight=, ignore_index=, reduction=)``; kl_div: ``F.kl_div(input,
  target, reduction=, log_target=)`` (issue 19: the two calls people port, one to one).
* logsumexp / softmax / log_softmax: ``torch.logsumexp(x, dim=axis)``, ``F.softmax(x, dim=axis)``,
  ``F.log_softmax(x, dim=axis)``.
* ignore_index null (no index ignored: ONNX's absent attribute) has no PyTorch spelling; it is passed as
  -2^63, a value no class index in the vectors takes, so nothing is ignored and a target -100 is out of
  bounds, as the spec says.
* entropy / cross_entropy: ``torch.special.entr`` and ``torch.special.xlogy`` summed (epsilon 0 only).
* sigmoid_mse_grad: autograd of ``F.mse_loss(sigmoid(z), y, reduction='sum') / 2``.
* linear_cross_entropy(_grad) (issue 18): ``F.linear_cross_entropy(hidden, linear_weight, target,
  linear_bias=, weight=, ignore_index=, label_smoothing=, reduction=)`` (PyTorch 2.13's reference path,
  options None) when the installed torch has it, else ``F.cross_entropy(F.linear(hidden, linear_weight,
  linear_bias), ...)``; with logit_scale, softcap or z_loss: ``F.linear`` followed by the composition of
  softmax_cross_entropy above. Gradients by autograd with respect to ``wrt``, under ``grad_output``. PyTorch
  multiplies an ignored row's zero logits gradient by its hidden row (a NaN there gives NaN in the weight
  gradient, which the spec's D2 excludes) and gives 0, not NaN, for the weight gradient of an empty batch.

Not declared: nll_from_probs, categorical_cross_entropy (PyTorch's losses take log-probabilities or
logits, not probabilities), focal_loss (no softmax focal loss in PyTorch), sigmoid_focal_loss (it is in
torchvision, not torch).
"""
from __future__ import annotations

import warnings

import numpy as np
import torch
import torch.nn.functional as F

from .protocol import (DTYPES, HALF_DTYPES, NP_DTYPES, Library, Rejected, Unsupported, natural_log_only,
                       output_dtype_params, serve_and_exit)

NAME = "pytorch"


BFLOAT16 = NP_DTYPES["bfloat16"]


def _t(a, grad=False):
    a = np.array(a, order="C")  # a copy; keeps rank 0 (ascontiguousarray would not)
    if a.dtype == BFLOAT16:  # torch cannot read ml_dtypes' bfloat16: through float32, exactly
        t = torch.from_numpy(a.astype(np.float32)).to(torch.bfloat16)
    else:
        t = torch.from_numpy(a)
    return t.requires_grad_(True) if grad else t


def _opt(a):
    return None if a is None else _t(a)


def _grad_of(loss, x, grad_output=None):
    """The vector-Jacobian product grad_output^T d loss / dx (grad_output None: ones, the gradient of the
    reduced loss, of the sum for 'none')."""
    loss.backward(torch.ones_like(loss) if grad_output is None else _t(grad_output))
    return x.grad


def _entr_sum(p, base="e"):
    natural_log_only(base)
    return torch.special.entr(_t(p)).sum()


def cross_entropy(p, q, base="e", epsilon=0.0):
    natural_log_only(base)
    if epsilon != 0:
        raise Unsupported("epsilon > 0: PyTorch has no clipped cross-entropy between distributions")
    return -torch.special.xlogy(_t(p), _t(q)).sum()


def kl_divergence(p, q, base="e"):
    natural_log_only(base)
    return F.kl_div(torch.log(_t(q)), _t(p), reduction="sum", log_target=False)


#: ignore_index null (nothing ignored) as PyTorch's int64 ignore_index: a value no class index takes
NO_IGNORED_INDEX = -2**63


def _torch_ignore_index(ignore_index):
    return NO_IGNORED_INDEX if ignore_index is None else ignore_index


def _cross_entropy_call(logits, target, weight, ignore_index, label_smoothing, label_smoothing_mode, reduction):
    if label_smoothing_mode != "uniform" and label_smoothing > 0:
        raise Unsupported(f"label_smoothing_mode {label_smoothing_mode!r}: PyTorch smooths uniformly (eps/C)")
    target = _t(target)
    if target.is_floating_point():
        # probability targets: the spec's ignore_index has no effect there, and PyTorch refuses any
        # ignore_index but its default with float targets; its default is the same "no effect"
        ignore_index = -100
    return F.cross_entropy(logits, target, weight=_opt(weight), ignore_index=_torch_ignore_index(ignore_index),
                           label_smoothing=label_smoothing, reduction=reduction)


def _large_model_loss(logits, target, weight, ignore_index, label_smoothing, label_smoothing_mode, reduction,
                      logit_scale=1.0, softcap=None, z_loss=0.0, empty_mean="nan", result="loss"):
    """F.cross_entropy of the scaled and capped logits plus the z-loss (issue 17), composed in torch;
    result 'lse' / 'z_loss' (specVersion 4) the logsumexp of those logits / the z-loss part alone."""
    if empty_mean != "nan":
        raise Unsupported("empty_mean 'zero': PyTorch's mean over no positions is NaN (user code patches it)")
    if result not in ("loss", "z_loss", "lse"):
        raise Rejected("invalid_argument", f"unknown result {result!r}")
    logit_scale, z_loss = float(logit_scale), float(z_loss)  # the protocol hands 0-d arrays of the dtype
    softcap = None if softcap is None else float(softcap)
    x = logits * logit_scale if logit_scale != 1 else logits
    if softcap is not None:
        x = softcap * torch.tanh(x / softcap)
    if result == "lse":
        _cross_entropy_call(x, target, weight, ignore_index, label_smoothing, label_smoothing_mode, reduction)
        return torch.logsumexp(x, dim=1)  # after the call: its argument checks still apply
    loss = _cross_entropy_call(x, target, weight, ignore_index, label_smoothing, label_smoothing_mode, reduction)
    zero = torch.zeros((), dtype=x.dtype)
    if z_loss == 0:
        if result == "z_loss":
            return torch.zeros_like(loss)
        return loss
    tgt = _t(target)
    kept = (torch.ones(tgt.shape[:1] + tgt.shape[2:], dtype=torch.bool) if tgt.is_floating_point()
            else tgt != _torch_ignore_index(ignore_index))
    safe = torch.where(kept.unsqueeze(1), x, zero)  # ignored rows never reach lse
    terms = torch.where(kept, z_loss * torch.logsumexp(safe, dim=1) ** 2, zero)
    part = {"none": terms, "sum": terms.sum(), "mean": terms.sum() / kept.sum()}[reduction]
    return part if result == "z_loss" else loss + part


def softmax_cross_entropy(logits, target, weight=None, ignore_index=-100, label_smoothing=0.0,
                          label_smoothing_mode="uniform", reduction="mean", **options):
    return _large_model_loss(_t(logits), target, weight, ignore_index, label_smoothing,
                             label_smoothing_mode, reduction, **options).detach()


def softmax_cross_entropy_grad(logits, target, weight=None, ignore_index=-100, label_smoothing=0.0,
                               label_smoothing_mode="uniform", reduction="mean", grad_output=None, **options):
    x = _t(logits, grad=True)
    return _grad_of(_large_model_loss(x, target, weight, ignore_index, label_smoothing,
                                      label_smoothing_mode, reduction, **options), x, grad_output)


def binary_cross_entropy_with_logits(z, y, weight=None, pos_weight=None, reduction="mean"):
    return F.binary_cross_entropy_with_logits(_t(z), _t(y), weight=_opt(weight), pos_weight=_opt(pos_weight),
                                              reduction=reduction)


def binary_cross_entropy_with_logits_grad(z, y, weight=None, pos_weight=None, reduction="mean", grad_output=None):
    x = _t(z, grad=True)
    return _grad_of(F.binary_cross_entropy_with_logits(x, _t(y), weight=_opt(weight), pos_weight=_opt(pos_weight),
                                                       reduction=reduction), x, grad_output)


def binary_cross_entropy(y, p, epsilon=1e-15, reduction="mean"):
    del epsilon  # PyTorch's own clamp (log >= -100) applies instead; see the module docstring
    return F.binary_cross_entropy(_t(p), _t(y), reduction=reduction)


def binary_cross_entropy_grad(y, p, epsilon=1e-15, reduction="mean", grad_output=None):
    del epsilon  # as binary_cross_entropy: PyTorch's backward has no clip
    x = _t(p, grad=True)
    return _grad_of(F.binary_cross_entropy(x, _t(y), reduction=reduction), x, grad_output)


def sigmoid_mse_grad(z, y, grad_output=None):
    x = _t(z, grad=True)
    return _grad_of(F.mse_loss(torch.sigmoid(x), _t(y), reduction="none") / 2, x, grad_output)


def softmax_grad(x, grad_output, axis=-1):
    t = _t(x, grad=True)
    return _grad_of(F.softmax(t, dim=axis), t, grad_output)


def log_softmax_grad(x, grad_output, axis=-1):
    t = _t(x, grad=True)
    return _grad_of(F.log_softmax(t, dim=axis), t, grad_output)


def nll_loss(input, target, weight=None, ignore_index=-100, reduction="mean"):
    return F.nll_loss(_t(input), _t(target), weight=_opt(weight), ignore_index=_torch_ignore_index(ignore_index),
                      reduction=reduction)


def kl_div(input, target, reduction="mean", log_target=False):
    with warnings.catch_warnings():  # 'mean' warns that it divides by numel, which is what the spec says
        warnings.simplefilter("ignore", UserWarning)
        return F.kl_div(_t(input), _t(target), reduction=reduction, log_target=log_target)


#: PyTorch 2.13's fused linear cross-entropy (its reference path); older versions compose F.linear
HAS_LINEAR_CROSS_ENTROPY = hasattr(F, "linear_cross_entropy")


def _linear_loss(hidden, linear_weight, target, linear_bias=None, weight=None, ignore_index=-100,
                 label_smoothing=0.0, label_smoothing_mode="uniform", reduction="mean", **options):
    """The loss tensor of linear_cross_entropy on tensors (issue 18)."""
    large_model = any(options.get(k, d) != d for k, d in (("logit_scale", 1.0), ("softcap", None), ("z_loss", 0.0)))
    if not HAS_LINEAR_CROSS_ENTROPY or large_model or options.get("empty_mean", "nan") != "nan":
        logits = F.linear(hidden, linear_weight, linear_bias)
        return _large_model_loss(logits, target, weight, ignore_index, label_smoothing, label_smoothing_mode,
                                 reduction, **options)
    if label_smoothing_mode != "uniform" and label_smoothing > 0:
        raise Unsupported(f"label_smoothing_mode {label_smoothing_mode!r}: PyTorch smooths uniformly (eps/C)")
    return F.linear_cross_entropy(hidden, linear_weight, _t(target), linear_bias=linear_bias, weight=_opt(weight),
                                  reduction=reduction, ignore_index=_torch_ignore_index(ignore_index),
                                  label_smoothing=label_smoothing)


def linear_cross_entropy(hidden, linear_weight, target, linear_bias=None, **params):
    return _linear_loss(_t(hidden), _t(linear_weight), target, _opt(linear_bias), **params).detach()


def linear_cross_entropy_grad(hidden, linear_weight, target, linear_bias=None, wrt="hidden", grad_output=None,
                              **params):
    if wrt not in ("hidden", "linear_weight", "linear_bias"):  # the protocol's wrt, not a PyTorch argument
        raise Rejected("invalid_argument", f"unknown wrt {wrt!r}")
    if wrt == "linear_bias" and linear_bias is None:
        raise Rejected("invalid_argument", "wrt linear_bias without a bias")
    tensors = {"hidden": _t(hidden, grad=True), "linear_weight": _t(linear_weight, grad=True),
               "linear_bias": None if linear_bias is None else _t(linear_bias, grad=True)}
    loss = _linear_loss(tensors["hidden"], tensors["linear_weight"], target, tensors["linear_bias"], **params)
    loss.backward(torch.ones_like(loss) if grad_output is None else _t(grad_output))
    return tensors[wrt].grad


FUNCTIONS = {
    "logsumexp": lambda x, axis=-1: torch.logsumexp(_t(x), dim=axis),
    "softmax": lambda x, axis=-1: F.softmax(_t(x), dim=axis),
    "log_softmax": lambda x, axis=-1: F.log_softmax(_t(x), dim=axis),
    "sigmoid": lambda z: torch.sigmoid(_t(z)),
    "log_sigmoid": lambda z: F.logsigmoid(_t(z)),
    "softplus": lambda z: F.softplus(_t(z)),
    "entropy": _entr_sum,
    "cross_entropy": cross_entropy,
    "kl_divergence": kl_divergence,
    "binary_cross_entropy": binary_cross_entropy,
    "softmax_cross_entropy": softmax_cross_entropy,
    "softmax_cross_entropy_grad": softmax_cross_entropy_grad,
    "binary_cross_entropy_with_logits": binary_cross_entropy_with_logits,
    "binary_cross_entropy_with_logits_grad": binary_cross_entropy_with_logits_grad,
    "sigmoid_mse_grad": sigmoid_mse_grad,
    "softmax_grad": softmax_grad,
    "log_softmax_grad": log_softmax_grad,
    "binary_cross_entropy_grad": binary_cross_entropy_grad,
    "nll_loss": nll_loss,
    "kl_div": kl_div,
    "linear_cross_entropy": linear_cross_entropy,
    "linear_cross_entropy_grad": linear_cross_entropy_grad,
}


#: parameter values PyTorch can express (protocol 1.1 capabilities): cases outside are never sent.
#: off_target / sockeye smoothing is data-dependent (fine at label_smoothing 0): answered per case.
NATURAL_LOG = {"base": ["e"]}
PARAMS = {"entropy": NATURAL_LOG, "kl_divergence": NATURAL_LOG,
          "cross_entropy": {**NATURAL_LOG, "epsilon": ["0x0p+0"]},
          **output_dtype_params("same", "float32")}


def library() -> Library:
    return Library(NAME, torch.__version__, {name: _numpy_result(fn) for name, fn in FUNCTIONS.items()},
                   params=PARAMS, default_dtypes=DTYPES + HALF_DTYPES,
                   large_model=frozenset({"softmax_cross_entropy", "softmax_cross_entropy_grad",
                                              "linear_cross_entropy", "linear_cross_entropy_grad"}),
                   upstream=frozenset({"softmax_cross_entropy_grad", "binary_cross_entropy_with_logits_grad",
                                       "sigmoid_mse_grad", "binary_cross_entropy_grad", "linear_cross_entropy_grad",
                                       "softmax_grad", "log_softmax_grad"}))


def _numpy_result(fn):
    """Hand NumPy the tensor fn returns (detached: gradients are results here, not graph nodes)."""
    def call(**kwargs):
        out = fn(**kwargs).detach()
        if out.dtype == torch.bfloat16:  # NumPy has no bfloat16 of its own: through float32, exactly
            return out.float().numpy().astype(BFLOAT16)
        return out.numpy()
    return call


def main() -> None:
    torch.set_num_threads(1)
    serve_and_exit(library())


if __name__ == "__main__":
    main()
