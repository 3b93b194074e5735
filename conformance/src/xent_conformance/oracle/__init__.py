"""The mpmath oracle: one kernel per spec function, certified by interval evaluation (Ziv)."""
from __future__ import annotations

from ..dtypes import DType
from ..tensor import Tensor
from .core import Certified, DomainError, OracleError, certify
from .grads import binary_cross_entropy_with_logits_grad, sigmoid_mse_grad, softmax_cross_entropy_grad
from .information import cross_entropy, entropy, kl_divergence
from .logit_losses import binary_cross_entropy_with_logits, focal_loss, sigmoid_focal_loss, softmax_cross_entropy
from .porting import kl_div, nll_loss
from .primitives import log_sigmoid, log_softmax, logsumexp, sigmoid, softmax, softplus
from .prob_losses import binary_cross_entropy, categorical_cross_entropy, nll_from_probs

KERNELS = {f.__name__: f for f in (
    logsumexp, softmax, log_softmax, sigmoid, log_sigmoid, softplus,
    entropy, cross_entropy, kl_divergence,
    nll_from_probs, categorical_cross_entropy, binary_cross_entropy,
    softmax_cross_entropy, binary_cross_entropy_with_logits, focal_loss, sigmoid_focal_loss,
    softmax_cross_entropy_grad, binary_cross_entropy_with_logits_grad, sigmoid_mse_grad,
    nll_loss, kl_div,
)}

__all__ = ["KERNELS", "evaluate", "Certified", "DomainError", "OracleError"]


def evaluate(function: str, inputs: dict[str, Tensor], params: dict, dtype: DType):
    """Certified outputs of function on exact inputs: (shape, [Certified], precision bits).

    Raises DomainError (with the spec's error kind) for inputs outside the function's domain.
    """
    kernel = KERNELS[function]
    return certify(lambda: kernel(inputs, params), dtype)
