"""SciPy as a reference point: ``scipy.special`` (logsumexp, softmax, log_softmax, expit, log_expit, entr,
xlogy, rel_entr). Run as ``python -m xent_frameworks.scipy``.

Only the functions SciPy has a routine for are declared; the sums and means around the elementwise
routines are NumPy's (the reduction a SciPy user writes). SciPy has no `base` for these routines, no
clip epsilon for cross-entropy, and no losses with class indices, weights or ignore_index: such cases
are unsupported or the functions undeclared.
"""
from __future__ import annotations

import sys
import warnings

import numpy as np
import scipy
import scipy.special as sp

from .protocol import Library, Unsupported, natural_log_only, reduce

NAME = "scipy"


def entropy(p, base="e"):
    natural_log_only(base)
    return np.sum(sp.entr(p))


def cross_entropy(p, q, base="e", epsilon=0.0):
    natural_log_only(base)
    if epsilon != 0:
        raise Unsupported("epsilon > 0: SciPy has no clipped cross-entropy")
    return -np.sum(sp.xlogy(p, q))


def kl_divergence(p, q, base="e"):
    natural_log_only(base)
    return np.sum(sp.rel_entr(p, q))


def categorical_cross_entropy(t, p, reduction="mean"):
    return reduce(-np.sum(sp.xlogy(t, p), axis=1), reduction, np.mean, np.sum)


FUNCTIONS = {
    "logsumexp": lambda x, axis=-1: sp.logsumexp(x, axis=axis),
    "softmax": lambda x, axis=-1: sp.softmax(x, axis=axis),
    "log_softmax": lambda x, axis=-1: sp.log_softmax(x, axis=axis),
    "sigmoid": lambda z: sp.expit(z),
    "log_sigmoid": lambda z: sp.log_expit(z),
    "entropy": entropy,
    "cross_entropy": cross_entropy,
    "kl_divergence": kl_divergence,
    "categorical_cross_entropy": categorical_cross_entropy,
}


#: parameter values SciPy can express (protocol 1.1 capabilities): cases outside are never sent
NATURAL_LOG = {"base": ["e"]}
PARAMS = {"entropy": NATURAL_LOG, "kl_divergence": NATURAL_LOG,
          "cross_entropy": {**NATURAL_LOG, "epsilon": ["0x0p+0"]}}


def library() -> Library:
    return Library(NAME, scipy.__version__, FUNCTIONS, params=PARAMS)


def main() -> int:
    np.seterr(all="ignore")
    warnings.simplefilter("ignore")
    return library().serve()


if __name__ == "__main__":
    sys.exit(main())
