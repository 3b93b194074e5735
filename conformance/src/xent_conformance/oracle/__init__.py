"""The mpmath oracle: one kernel per spec function, certified by interval evaluation (Ziv)."""
from __future__ import annotations

from ..dtypes import OUTPUT_DTYPE_PARAM, DType, result_dtype
from ..tensor import Tensor
from .core import Certified, DomainError, OracleError, certify
from .grads import binary_cross_entropy_with_logits_grad, sigmoid_mse_grad, softmax_cross_entropy_grad
from .information import cross_entropy, entropy, kl_divergence
from .linear_ce import linear_cross_entropy, linear_cross_entropy_grad
from .logit_losses import binary_cross_entropy_with_logits, focal_loss, sigmoid_focal_loss, softmax_cross_entropy
from .porting import kl_div, nll_loss
from .primitives import log_sigmoid, log_softmax, logsumexp, sigmoid, softmax, softplus
from .prob_losses import binary_cross_entropy, categorical_cross_entropy, nll_from_probs
from .split_merge import cross_entropy_from_shards, lse_merge, online_softmax_merge
from .vjp import binary_cross_entropy_grad, focal_loss_grad, log_softmax_grad, softmax_grad

KERNELS = {f.__name__: f for f in (
    logsumexp, softmax, log_softmax, sigmoid, log_sigmoid, softplus,
    entropy, cross_entropy, kl_divergence,
    nll_from_probs, categorical_cross_entropy, binary_cross_entropy,
    softmax_cross_entropy, binary_cross_entropy_with_logits, focal_loss, sigmoid_focal_loss,
    softmax_cross_entropy_grad, binary_cross_entropy_with_logits_grad, sigmoid_mse_grad,
    nll_loss, kl_div,
    online_softmax_merge, lse_merge, cross_entropy_from_shards,
    linear_cross_entropy, linear_cross_entropy_grad,
    softmax_grad, log_softmax_grad, focal_loss_grad, binary_cross_entropy_grad,
)}

__all__ = ["KERNELS", "evaluate", "run_kernel", "output_dtype_of", "Certified", "DomainError", "OracleError"]


def evaluate(function: str, inputs: dict[str, Tensor], params: dict, dtype: DType):
    """Certified outputs of function on exact inputs: (shape, [Certified], precision bits), rounded into
    the result dtype (`output_dtype_of`).

    Raises DomainError (with the spec's error kind) for inputs outside the function's domain.
    """
    out_dtype = output_dtype_of(params, dtype)
    return certify(lambda: run_kernel(function, inputs, params), out_dtype)


def run_kernel(function: str, inputs: dict[str, Tensor], params: dict):
    """The function's kernel on exact inputs, without output_dtype (a rounding target, not an argument of
    the definition). Call output_dtype_of first: its check is step 1 of the precedence."""
    return KERNELS[function](inputs, {k: v for k, v in params.items() if k != OUTPUT_DTYPE_PARAM})


def output_dtype_of(params: dict, dtype: DType) -> DType:
    """The dtype results are rounded into: the inputs' dtype, or float32 under output_dtype 'float32'
    (the mixed contract). A bad output_dtype is an invalid_argument of step 1 (a scalar parameter checked
    on its own), so checking it before the kernel's own checks gives the kind the precedence gives."""
    try:
        return result_dtype(dtype, params.get(OUTPUT_DTYPE_PARAM))
    except ValueError as exc:
        raise DomainError("invalid_argument", str(exc)) from None
