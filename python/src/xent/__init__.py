"""xent: reference implementations of softmax and cross-entropy losses (spec/xent.yaml, specVersion 2).

Numpy in, numpy out; float64 and float32 (float32 is evaluated in float64 and rounded once; float64 in
the platform's extended precision when it has one). Every function raises a subclass of
:class:`XentError` on bad input, with ``.kind`` the spec's error kind.
"""
from .errors import (XentError, InvalidShapeError, ShapeMismatchError, IndexOutOfRangeError,
                     InvalidProbabilityError, InvalidArgumentError)
from .primitives import logsumexp, softmax, log_softmax, sigmoid, log_sigmoid, softplus
from .information import entropy, cross_entropy, kl_divergence
from .prob_losses import nll_from_probs, categorical_cross_entropy, binary_cross_entropy
from .logit_losses import (softmax_cross_entropy, binary_cross_entropy_with_logits, focal_loss,
                           sigmoid_focal_loss)
from .grads import softmax_cross_entropy_grad, binary_cross_entropy_with_logits_grad, sigmoid_mse_grad
from .porting import nll_loss, kl_div
from .vjp import softmax_grad, log_softmax_grad, focal_loss_grad, binary_cross_entropy_grad
from .linear import linear_cross_entropy, linear_cross_entropy_grad
from .split_merge import online_softmax_merge, lse_merge, cross_entropy_from_shards

__version__ = "0.1.0"

#: Every function of the spec's catalogue, by its spec name.
FUNCTIONS = {
    f.__name__: f for f in (
        logsumexp, softmax, log_softmax, sigmoid, log_sigmoid, softplus,
        entropy, cross_entropy, kl_divergence,
        nll_from_probs, categorical_cross_entropy, binary_cross_entropy,
        softmax_cross_entropy, binary_cross_entropy_with_logits, focal_loss, sigmoid_focal_loss,
        softmax_cross_entropy_grad, binary_cross_entropy_with_logits_grad, sigmoid_mse_grad,
        nll_loss, kl_div,
        softmax_grad, log_softmax_grad, focal_loss_grad, binary_cross_entropy_grad,
        linear_cross_entropy, linear_cross_entropy_grad,
        online_softmax_merge, lse_merge, cross_entropy_from_shards,
    )
}

__all__ = ["XentError", "InvalidShapeError", "ShapeMismatchError", "IndexOutOfRangeError",
           "InvalidProbabilityError", "InvalidArgumentError", "FUNCTIONS", *FUNCTIONS]
