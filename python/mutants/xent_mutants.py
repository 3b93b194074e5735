"""The mutant catalogue of xent-python: named, deliberately wrong variants of the implementation.

Each mutant models one mistake that people make when they port a softmax / cross-entropy loss, and is
a small change to one internal function of the package (a monkeypatch), switched on in the protocol
adapter by the environment variable ``XENT_MUTANT=<name>`` (``xent-conformance run --impl python
--mutant NAME``). ``xent-conformance mutants --impl python`` runs every mutant through the harness and
reports which golden vectors kill it; conformance/MUTANTS.md documents the catalogue.

This module is test-side code, outside the shipped ``xent`` package (charter: shipped libraries hold no
test-only code); install it with ``pip install ./python/mutants`` next to ``./python``. The adapter
imports it only when XENT_MUTANT is set or ``--list-mutants`` is asked: the shipped path never loads it. ``activate(name)`` applies a mutant and returns a function that undoes it.

Every mutant declares the spec functions whose results it can change (``functions``); the runner sends
it only those vectors. Mutants that compute "like a porter would" work in the data's own dtype (float64
for float64 data), not in the extended working precision of the shipped code.
"""
from __future__ import annotations

import dataclasses
import types
from dataclasses import dataclass
from typing import Callable

import numpy as np

# internal names of xent: the mutants monkeypatch them, so they are imported from the package itself
from xent import FUNCTIONS, _ce, _large_model, information, logit_losses, primitives, prob_losses
from xent import _numerics as nm
from xent._validate import (check_base, float_array, float_param, index_array, out_dtype, reduce,
                        weight_array)


@dataclass(frozen=True)
class Mutant:
    name: str
    description: str
    functions: tuple[str, ...]
    apply: Callable[[], None]

    @property
    def expectation(self) -> dict[str, str]:
        """What the catalogue requires of this entry (conformance/MUTANTS.md, "Levels"):
        {"accept": "compatible"} or {"kill": "accurate" | "compatible"}."""
        if self.name in ACCEPT_AT_COMPATIBLE:
            return {"accept": "compatible"}
        return {"kill": "accurate" if self.name in KILL_AT_ACCURATE else "compatible"}


#: Legitimate choices of a mainstream port: they must pass every vector at `compatible` (issue 11).
ACCEPT_AT_COMPATIBLE = frozenset({
    "port_max_shift", "port_ce_lse_minus_target", "port_bce_logits_tf", "port_pairwise_sum", "port_float32_native",
    "lse_log_not_log1p",            # max shift without the log1p refinement
    "naive_sequential_sum",         # left-to-right summation: within the sqrt(n) summation allowance
    "sigmoid_naive",                # 1 / (1 + exp(-z)) (PyTorch's): differs only at range extremes (0 below the normal range)
    "one_minus_softmax_by_subtraction",  # focal loss with p = exp(-ce), 1 - p by subtraction (the usual port)
    "linear_ce_logits_rounded_to_dtype_then_ce",  # issue 18: logits by a matmul in the dtype, then a standard CE
    "port_merge_plain",             # issue 18: the merges in the data's dtype, logsumexp without log1p
    "port_softmax_grad_plain", "port_log_softmax_grad_plain",  # issue 17: PyTorch's backward formulas in the dtype
    "port_focal_grad_autodiff",     # issue 17: autodiff of alpha (1 - p)^gamma ce in the dtype
})

#: Accuracy losses that the normwise `compatible` bound tolerates on purpose (inputs are probabilities, whose
#: natural error is absolute): they must be killed at `accurate`. Every other entry must be killed at `compatible`.
KILL_AT_ACCURATE = frozenset({
    "log_softmax_x_minus_lse",      # x - lse: the normwise error of port_max_shift, but special rows computed
                                    # naively too (two +inf: -inf, not NaN, for a finite entry), so not a must-accept
    "bce_log_not_log1p",            # log(1 - p): absolute error u for probabilities, PyTorch/Keras do the same
    "sigmoid_mse_grad_naive",       # a gradient in [-1, 1] with absolute error u (judged by the unit scale)
})


MUTANTS: dict[str, Mutant] = {}

_UNDO: list[Callable[[], None]] = []


class UnknownMutant(KeyError):
    pass


def mutant(name: str, functions, description: str):
    def register(fn):
        if name in MUTANTS:
            raise ValueError(f"duplicate mutant {name!r}")
        unknown = set(functions) - set(FUNCTIONS)
        if unknown:
            raise ValueError(f"mutant {name!r} names unknown functions {sorted(unknown)}")
        MUTANTS[name] = Mutant(name, " ".join(description.split()), tuple(functions), fn)
        return fn
    return register


def activate(name: str) -> Callable[[], None]:
    """Apply the mutant ``name``; returns a function that restores the shipped implementation."""
    if name not in MUTANTS:
        raise UnknownMutant(name)
    start = len(_UNDO)
    MUTANTS[name].apply()
    mine = _UNDO[start:]
    del _UNDO[start:]

    def undo():
        for restore in reversed(mine):
            restore()
    return undo


def catalogue() -> list[dict]:
    return [{"name": m.name, "description": m.description, "functions": list(m.functions), **m.expectation}
            for m in MUTANTS.values()]


# ---------------------------------------------------------------------------------------- patching
def _set(obj, attr, value):
    old = getattr(obj, attr)
    setattr(obj, attr, value)
    _UNDO.append(lambda: setattr(obj, attr, old))


def _replace(fname, make):
    """Replace the public function ``fname`` (as the adapter sees it) by make(shipped)."""
    old = FUNCTIONS[fname]
    new = make(old)
    new.__name__ = old.__name__
    FUNCTIONS[fname] = new
    _UNDO.append(lambda: FUNCTIONS.__setitem__(fname, old))


def _proxy(module, **overrides):
    """A stand-in for ``module`` whose listed attributes are replaced (a module-local patch)."""
    p = types.SimpleNamespace(**overrides)
    return _Proxy(module, p)


class _Proxy:
    def __init__(self, module, over):
        self._module = module
        self._over = over

    def __getattr__(self, name):
        if hasattr(self._over, name):
            return getattr(self._over, name)
        return getattr(self._module, name)


def _like(ref, value):
    """``value`` with the dtype of the shipped result ``ref`` (a numpy scalar stays a scalar)."""
    arr = np.asarray(value).astype(np.asarray(ref).dtype)
    return arr[()] if arr.ndim == 0 else arr


def _plain_mul(coef, value):
    with np.errstate(invalid="ignore", over="ignore"):
        return coef * value


ROW = ("logsumexp", "softmax", "log_softmax")
SCE = ("softmax_cross_entropy", "softmax_cross_entropy_grad")
REDUCED = ("nll_from_probs", "categorical_cross_entropy", "binary_cross_entropy", "softmax_cross_entropy",
           "binary_cross_entropy_with_logits", "focal_loss", "sigmoid_focal_loss")
SUMMING = ROW + ("entropy", "cross_entropy", "kl_divergence") + REDUCED + ("softmax_cross_entropy_grad",)

# ============================================================================ primitives over a row


@mutant("softmax_no_max_shift", ["softmax"], """
    softmax as exp(x) / sum(exp(x)) in the data's dtype, without subtracting the maximum: exp overflows
    for large logits (inf / inf = NaN).""")
def _():
    def make(old):
        def softmax(x, *, axis=None):
            ref = old(x, axis=axis)
            x = np.asarray(x)
            with np.errstate(all="ignore"):
                e = np.exp(x)
                return _like(ref, e / e.sum())
        return softmax
    _replace("softmax", make)


@mutant("logsumexp_no_max_shift", ["logsumexp"], """
    logsumexp as log(sum(exp(x))) in the data's dtype, without the max shift: overflows to inf for
    large logits and underflows to -inf for very negative ones.""")
def _():
    def make(old):
        def logsumexp(x, *, axis=None):
            ref = old(x, axis=axis)
            x = np.asarray(x)
            with np.errstate(all="ignore"):
                return _like(ref, np.log(np.exp(x).sum()))
        return logsumexp
    _replace("logsumexp", make)


@mutant("lse_log_not_log1p", ["logsumexp", "log_softmax", "softmax_cross_entropy", "focal_loss"], """
    log(1 + s) instead of log1p(s) in a + log1p(s) (the max-shifted logsumexp): at a dominant logit
    1 + s rounds to 1, so log_softmax and the loss of a confident correct prediction become exactly 0.""")
def _():
    old_init = nm.LseParts.__init__

    def __init__(self, x, **kw):
        old_init(self, x, **kw)
        with np.errstate(all="ignore"):
            self.L = np.log(1 + self.s_hi)
    _set(nm.LseParts, "__init__", __init__)


@mutant("log_softmax_log_of_softmax", ["log_softmax"], """
    log_softmax as log(softmax(x)) in the data's dtype: 0 at a dominant logit instead of its tiny
    negative value, and -inf where softmax underflows.""")
def _():
    def make(old):
        def log_softmax(x, *, axis=None):
            ref = old(x, axis=axis)
            with np.errstate(all="ignore"):
                return _like(ref, np.log(np.asarray(FUNCTIONS_SHIPPED["softmax"](x, axis=axis))))
        return log_softmax
    _replace("log_softmax", make)


@mutant("log_softmax_x_minus_lse", ["log_softmax"], """
    log_softmax as x - logsumexp(x) with logsumexp rounded first (the textbook form): the dominant
    entry's tiny negative value rounds away to 0.""")
def _():
    def make(old):
        def log_softmax(x, *, axis=None):
            ref = old(x, axis=axis)
            x = np.asarray(x)
            with np.errstate(all="ignore"):
                return _like(ref, x - FUNCTIONS_SHIPPED["logsumexp"](x, axis=axis))
        return log_softmax
    _replace("log_softmax", make)


@mutant("logsumexp_all_neginf_nan", ["logsumexp"], """
    a row of only -inf gives NaN (the max shift computes -inf - (-inf)) instead of -inf.""")
def _():
    def make(old):
        def logsumexp(x, *, axis=None):
            ref = old(x, axis=axis)
            if np.all(np.asarray(x) == -np.inf):
                return _like(ref, np.nan)
            return ref
        return logsumexp
    _replace("logsumexp", make)


@mutant("neginf_logit_nan", ROW + SCE + ("focal_loss",), """
    a -inf logit (a masked class) turns into NaN, as when masking multiplies by a 0/1 mask or the shift
    computes -inf - (-inf): its row becomes NaN instead of giving that class probability 0.""")
def _():
    old_init = nm.LseParts.__init__

    def __init__(self, x, **kw):
        x = np.asarray(x)
        old_init(self, np.where(x == -np.inf, np.nan, x).astype(x.dtype), **kw)
    _set(nm.LseParts, "__init__", __init__)


@mutant("empty_vector_accepted", ROW, """
    an empty vector is not rejected (logsumexp returns -inf as scipy does, softmax an empty vector)
    instead of raising invalid_shape.""")
def _():
    _set(primitives, "check_nonempty_axis", lambda *a, **k: None)


# ============================================================================ elementwise logistic functions


@mutant("sigmoid_naive", ["sigmoid"], """
    sigmoid as 1 / (1 + exp(-z)) for every z, in the data's dtype: exp(-z) overflows for very negative z
    and the result is 0 where the exact value is a small (subnormal) number.""")
def _():
    def make(old):
        def sigmoid(z):
            ref = old(z)
            z = np.asarray(z)
            with np.errstate(all="ignore"):
                return _like(ref, 1 / (1 + np.exp(-z)))
        return sigmoid
    _replace("sigmoid", make)


@mutant("sigmoid_negative_branch_everywhere", ["sigmoid"], """
    sigmoid as exp(z) / (1 + exp(z)) for every z (the branch meant for z < 0): inf / inf = NaN for
    large positive z.""")
def _():
    def make(old):
        def sigmoid(z):
            ref = old(z)
            z = np.asarray(z)
            with np.errstate(all="ignore"):
                e = np.exp(z)
                return _like(ref, e / (1 + e))
        return sigmoid
    _replace("sigmoid", make)


@mutant("softplus_overflow", ["softplus"], """
    softplus as log1p(exp(z)) in the data's dtype, without max(z, 0): exp overflows, giving inf for large z.""")
def _():
    def make(old):
        def softplus(z):
            ref = old(z)
            z = np.asarray(z)
            with np.errstate(all="ignore"):
                return _like(ref, np.log1p(np.exp(z)))
        return softplus
    _replace("softplus", make)


@mutant("softplus_log_not_log1p",
        ["softplus", "log_sigmoid", "binary_cross_entropy_with_logits", "sigmoid_focal_loss"], """
    the stable softplus max(z, 0) + log(1 + exp(-|z|)) written with log(1 + x) instead of log1p(x):
    the small term is lost for large |z| (softplus(-40) = 0, log_sigmoid(40) = 0).""")
def _():
    def tail(z):
        with np.errstate(over="ignore", invalid="ignore"):
            return np.log(1 + np.exp(-np.abs(z)))

    def softplus(z):
        return np.maximum(z, 0) + tail(z)

    def softplus_pair(z):
        t = tail(z)
        return np.maximum(-z, 0) + t, np.maximum(z, 0) + t
    _set(nm, "softplus", softplus)
    _set(nm, "softplus_pair", softplus_pair)


@mutant("log_sigmoid_log_of_sigmoid", ["log_sigmoid"], """
    log_sigmoid as log(sigmoid(z)) in the data's dtype: -inf where sigmoid underflows, 0 where it rounds to 1.""")
def _():
    def make(old):
        def log_sigmoid(z):
            ref = old(z)
            with np.errstate(all="ignore"):
                return _like(ref, np.log(np.asarray(FUNCTIONS_SHIPPED["sigmoid"](z))))
        return log_sigmoid
    _replace("log_sigmoid", make)


# ============================================================================ information theory


@mutant("entropy_bits_for_nats", ["entropy"], """
    entropy always in bits (log2), whatever the base: log2 where ln is asked for.""")
def _():
    def make(old):
        def entropy(p, *, base="e", axis=None):
            old(p, base=base, axis=axis)
            return old(p, base="2", axis=axis)
        return entropy
    _replace("entropy", make)


@mutant("kl_base_ignored", ["kl_divergence"], """
    kl_divergence always in nats: the base parameter is ignored (ln where log2 is asked for).""")
def _():
    def make(old):
        def kl_divergence(p, q, *, base="e", axis=None):
            old(p, q, base=base, axis=axis)
            return old(p, q, base="e", axis=axis)
        return kl_divergence
    _replace("kl_divergence", make)


@mutant("info_zero_log_zero_nan", ["entropy", "cross_entropy", "kl_divergence"], """
    0 * log 0 evaluated as 0 * (-inf) = NaN in entropy, cross-entropy and KL (no masking of zero
    probabilities).""")
def _():
    _set(information, "nm", _proxy(nm, mul0=_plain_mul))


@mutant("cross_entropy_args_swapped", ["cross_entropy"], """
    cross_entropy(p, q) computes H(q, p): the argument order of another library (true and predicted
    distributions swapped).""")
def _():
    def make(old):
        def cross_entropy(p, q, *, base="e", epsilon=0.0, axis=None):
            old(p, q, base=base, epsilon=epsilon, axis=axis)
            return old(q, p, base=base, epsilon=epsilon, axis=axis)
        return cross_entropy
    _replace("cross_entropy", make)


@mutant("kl_reversed", ["kl_divergence"], """
    KL(q || p) instead of KL(p || q) (scipy.stats.entropy and torch.nn.functional.kl_div order their
    arguments differently).""")
def _():
    def make(old):
        def kl_divergence(p, q, *, base="e", axis=None):
            old(p, q, base=base, axis=axis)
            return old(q, p, base=base, axis=axis)
        return kl_divergence
    _replace("kl_divergence", make)


@mutant("cross_entropy_eps_not_renormalised", ["cross_entropy"], """
    the seed's epsilon variant without renormalisation: -sum p log(q + eps) instead of
    q' = (q + eps) / sum(q + eps).""")
def _():
    def make(old):
        def cross_entropy(p, q, *, base="e", epsilon=0.0, axis=None):
            ref = old(p, q, base=base, epsilon=epsilon, axis=axis)
            pa, qa = float_array("p", p), float_array("q", q)
            out = out_dtype(pa, qa)
            eps = float_param("epsilon", epsilon, out, lo=0.0, hi=1.0)
            if eps == 0:
                return ref
            work = nm.work_dtype(out)
            pw, qw = pa.astype(work), qa.astype(work)
            with np.errstate(all="ignore"):
                terms = nm.mul0(pw, -np.log(qw + np.asarray(eps, dtype=work)))
            hi, lo = nm.compensated_sum(terms)
            return information._finish(hi, lo, check_base(base), work, out)
        return cross_entropy
    _replace("cross_entropy", make)


# ============================================================================ losses from probabilities


@mutant("nll_clamp_1e-7", ["nll_from_probs"], """
    the clamp hard-coded at 1e-7 (Keras' epsilon) instead of the epsilon parameter (default 1e-15).""")
def _():
    def make(old):
        def nll_from_probs(probs, target, *, epsilon=1e-15, reduction="mean"):
            old(probs, target, epsilon=epsilon, reduction=reduction)
            return old(probs, target, epsilon=1e-7 if epsilon != 0 else 0.0, reduction=reduction)
        return nll_from_probs
    _replace("nll_from_probs", make)


@mutant("nll_no_clamp", ["nll_from_probs"], """
    no clamp: -log(p) of a zero target probability is inf instead of -log(epsilon) = 34.54.""")
def _():
    def make(old):
        def nll_from_probs(probs, target, *, epsilon=1e-15, reduction="mean"):
            old(probs, target, epsilon=epsilon, reduction=reduction)
            return old(probs, target, epsilon=0.0, reduction=reduction)
        return nll_from_probs
    _replace("nll_from_probs", make)


@mutant("nll_negative_index_wraps", ["nll_from_probs"], """
    negative class indices are not rejected and wrap around (Python / numpy indexing: -1 is the last
    class) instead of raising index_out_of_range.""")
def _():
    old = prob_losses.check_indices

    def check_indices(name, target, n_classes, ignore_index=None):
        old(name, np.where(target < 0, 0, target), n_classes, ignore_index)
    _set(prob_losses, "check_indices", check_indices)


@mutant("cce_args_swapped", ["categorical_cross_entropy"], """
    categorical_cross_entropy(t, p) computes the loss of p against t (the (y_pred, y_true) order of
    another library).""")
def _():
    def make(old):
        def categorical_cross_entropy(t, p, *, reduction="mean"):
            old(t, p, reduction=reduction)
            return old(p, t, reduction=reduction)
        return categorical_cross_entropy
    _replace("categorical_cross_entropy", make)


@mutant("prob_zero_log_zero_nan", ["categorical_cross_entropy", "binary_cross_entropy"], """
    0 * log 0 = 0 * (-inf) = NaN in the losses from probabilities: a zero target with a zero probability
    (or BCE with epsilon = 0 at p in {0, 1}) gives NaN instead of 0.""")
def _():
    _set(prob_losses, "nm", _proxy(nm, mul0=_plain_mul))


@mutant("probabilities_not_checked", ["nll_from_probs", "categorical_cross_entropy", "binary_cross_entropy"], """
    probabilities and targets are not range-checked: values outside [0, 1] or NaN give a number (or NaN)
    instead of invalid_probability.""")
def _():
    _set(prob_losses, "check_probability", lambda *a, **k: None)


def _bce_mutated(old, *, low=True, high=True, rounded_upper=False, use_log1p=True):
    def binary_cross_entropy(y, p, *, epsilon=1e-15, reduction="mean"):
        old(y, p, epsilon=epsilon, reduction=reduction)  # the shipped validation and errors
        ya, pa = float_array("y", y), float_array("p", p)
        out = out_dtype(ya, pa)
        eps = float_param("epsilon", epsilon, out, lo=0.0, hi=0.5, hi_open=True)
        work = nm.work_dtype(out)
        yw, pw = ya.astype(work), pa.astype(work)
        e = np.asarray(eps, dtype=work)
        with np.errstate(all="ignore"):
            if rounded_upper:
                upper = np.asarray(out.type(1) - out.type(eps), dtype=work)  # 1 - eps rounded in the dtype
                pc = np.minimum(np.maximum(pw, e), upper)
                log_p = np.log(pc)
                log_1mp = np.where(pc < 0.5, np.log1p(-pc), np.log(1 - pc))
            else:
                hi_mask = ((pw >= 0.5) & ((1 - pw) < e)) if high else np.zeros(pw.shape, dtype=bool)
                pc = np.maximum(pw, e) if low else pw
                log_p = np.where(hi_mask, np.log1p(-e), np.log(pc))
                small = np.log1p(-pc) if use_log1p else np.log(1 - pc)
                log_1mp = np.where(hi_mask, np.log(e), np.where(pc < 0.5, small, np.log(1 - pc)))
            losses = nm.mul0(yw, -log_p) + nm.mul0(1 - yw, -log_1mp)
        res = reduce(losses, reduction, out)
        return res[()] if isinstance(res, np.ndarray) and res.ndim == 0 else res
    return binary_cross_entropy


@mutant("bce_args_swapped", ["binary_cross_entropy"], """
    binary_cross_entropy(y, p) computes the loss of y against p: PyTorch's F.binary_cross_entropy takes
    (input, target), scikit-learn's log_loss (y_true, y_pred).""")
def _():
    def make(old):
        def binary_cross_entropy(y, p, *, epsilon=1e-15, reduction="mean"):
            old(y, p, epsilon=epsilon, reduction=reduction)
            return old(p, y, epsilon=epsilon, reduction=reduction)
        return binary_cross_entropy
    _replace("binary_cross_entropy", make)


@mutant("bce_clip_low_only", ["binary_cross_entropy"], """
    the clip only from below, max(p, eps): y = 0 with p = 1 gives inf instead of -log(eps).""")
def _():
    _replace("binary_cross_entropy", lambda old: _bce_mutated(old, high=False))


@mutant("bce_clip_high_only", ["binary_cross_entropy"], """
    the clip only from above, min(p, 1 - eps): y = 1 with p = 0 gives inf instead of -log(eps).""")
def _():
    _replace("binary_cross_entropy", lambda old: _bce_mutated(old, low=False))


@mutant("bce_one_minus_eps_rounded", ["binary_cross_entropy"], """
    the upper clip 1 - eps rounded in the dtype (np.clip(p, eps, 1 - eps)): in float32 1 - 1e-15 is 1,
    so p = 1, y = 0 gives inf; in float64 the loss at p = 1 is off by 7%.""")
def _():
    _replace("binary_cross_entropy", lambda old: _bce_mutated(old, rounded_upper=True))


@mutant("bce_log_not_log1p", ["binary_cross_entropy"], """
    log(1 - p) instead of log1p(-p) for small p: 1 - p rounds, and the loss of a small p with y = 0
    loses its relative accuracy (0 for p below the unit roundoff).""")
def _():
    _replace("binary_cross_entropy", lambda old: _bce_mutated(old, use_log1p=False))


# ============================================================================ reductions


def _patch_reduce(make):
    for module in (prob_losses, logit_losses):
        _set(module, "reduce", make(module.reduce))


@mutant("mean_returns_sum", REDUCED, """
    reduction 'mean' returns the sum (the division forgotten, or 'sum' and 'mean' swapped).""")
def _():
    def make(old):
        def reduce_(values, reduction, out, denominator=None):
            return old(values, "sum" if reduction == "mean" else reduction, out, denominator)
        return reduce_
    _patch_reduce(make)


@mutant("empty_mean_zero", REDUCED, """
    the mean of an empty batch is 0 (a guarded division) instead of NaN (0 / 0).""")
def _():
    def make(old):
        def reduce_(values, reduction, out, denominator=None):
            if reduction == "mean" and np.asarray(values).size == 0:
                return out.type(0)
            return old(values, reduction, out, denominator)
        return reduce_
    _patch_reduce(make)


@mutant("mean_divides_by_batch", ["binary_cross_entropy_with_logits", "sigmoid_focal_loss"], """
    the elementwise losses' mean divides by the batch size N (the first dimension: sum over labels,
    mean over samples) instead of by the number of elements.""")
def _():
    old = logit_losses.reduce

    def reduce_(values, reduction, out, denominator=None):
        values = np.asarray(values)
        if reduction == "mean" and denominator is None and values.ndim >= 1:
            denominator = values.shape[0]
        return old(values, reduction, out, denominator)
    _set(logit_losses, "reduce", reduce_)


# ============================================================================ softmax cross-entropy


def _patch_setup(transform):
    """transform(st, redo, args) -> CESetup, where redo(**changes) reruns the shipped setup."""
    old = _ce.setup
    names = ("logits", "target", "weight", "ignore_index", "label_smoothing", "label_smoothing_mode", "reduction")

    def setup(*args):
        a = dict(zip(names, args))
        st = old(*args)

        def redo(**changes):
            b = dict(a, **changes)
            return old(*(b[n] for n in names))
        return transform(st, redo, a)
    _set(_ce, "setup", setup)


def _index_target(a):
    """(y, ignored) for an index target, None for a probability target."""
    tgt = np.asarray(a["target"])
    if tgt.dtype.kind == "f":
        return None
    tgt = tgt.astype(np.int64)
    ignored = (np.zeros(tgt.shape, dtype=bool) if a["ignore_index"] is None  # None: nothing ignored
               else tgt == int(a["ignore_index"]))
    return np.where(ignored, 0, tgt), ignored


def _onehot(y, C):
    oh = np.zeros(y.shape + (C,), dtype=bool)
    if oh.size:
        np.put_along_axis(oh, y[..., None], True, axis=-1)
    return oh


@mutant("sce_uniform_as_off_target", SCE, """
    label smoothing eps / (C - 1) on the other classes (the seed's off_target formula) where PyTorch's
    uniform eps / C on every class is asked for.""")
def _():
    def t(st, redo, a):
        if a["label_smoothing_mode"] == "uniform" and np.asarray(a["logits"]).shape[1] > 1:
            return redo(label_smoothing_mode="off_target")
        return st
    _patch_setup(t)


@mutant("sce_off_target_as_uniform", SCE, """
    the label_smoothing_mode parameter ignored: uniform eps / C where off_target eps / (C - 1) is asked for.""")
def _():
    _patch_setup(lambda st, redo, a: redo(label_smoothing_mode="uniform")
                 if a["label_smoothing_mode"] == "off_target" else st)


@mutant("sce_smoothing_target_only", SCE, """
    label smoothing applied to the target class only (q_y = 1 - eps + eps / C, the other classes get
    nothing): the smoothed target no longer sums to 1.""")
def _():
    def t(st, redo, a):
        it = _index_target(a)
        if it is None:
            return st
        y, _ = it
        oh = _onehot(y, st.mass.shape[-1])
        return dataclasses.replace(st, mass=np.where(oh, st.mass, 0).astype(st.work),
                                   w_pos=np.where(oh, st.w_pos, 0).astype(st.work))
    _patch_setup(t)


@mutant("sce_prob_targets_not_smoothed", SCE, """
    label smoothing applied to index targets only; probability targets are used unsmoothed.""")
def _():
    _patch_setup(lambda st, redo, a: redo(label_smoothing=0.0) if _index_target(a) is None else st)


@mutant("sce_weights_ignored", SCE, """
    class weights not applied at all (neither to the loss nor to the mean's denominator).""")
def _():
    _patch_setup(lambda st, redo, a: redo(weight=None) if a["weight"] is not None else st)


@mutant("sce_weights_twice", SCE, """
    class weights applied twice: each class term multiplied by w_c again after the weighted loss
    (w_c^2 in the numerator, sum of w_y in the denominator).""")
def _():
    def t(st, redo, a):
        if a["weight"] is None:
            return st
        w = np.asarray(a["weight"]).astype(st.work)
        return dataclasses.replace(st, mass=(st.mass * w).astype(st.work), wt=(st.wt * w).astype(st.work),
                                   w_pos=(st.w_pos * w).astype(st.work))
    _patch_setup(t)


@mutant("sce_weight_by_target_class", SCE, """
    the weight of the target class w_y multiplies the whole smoothed loss (w_y CE(q)) instead of each
    class term carrying its own w_c: differs as soon as label smoothing and weights are combined.""")
def _():
    def t(st, redo, a):
        it = _index_target(a)
        if it is None or a["weight"] is None:
            return st
        y, ignored = it
        w = np.asarray(a["weight"]).astype(st.work)
        plain = redo(weight=None)
        wy = np.where(ignored, 0, w[y])[..., None]
        return dataclasses.replace(st, mass=(plain.mass * wy).astype(st.work), wt=(plain.wt * wy).astype(st.work),
                                   w_pos=(plain.w_pos * wy).astype(st.work))
    _patch_setup(t)


@mutant("sce_weighted_mean_by_count", SCE, """
    the weighted mean divides by the number of non-ignored positions instead of the sum of their target
    weights.""")
def _():
    def t(st, redo, a):
        it = _index_target(a)
        if it is None:
            return st
        _, ignored = it
        return dataclasses.replace(st, denominator=np.asarray((~ignored).sum(), dtype=st.work))
    _patch_setup(t)


@mutant("sce_ignored_in_denominator", SCE, """
    ignore_index masked in the loss but not excluded from the mean's denominator (each ignored position
    still counts with weight 1).""")
def _():
    def t(st, redo, a):
        it = _index_target(a)
        if it is None:
            return st
        _, ignored = it
        return dataclasses.replace(st, denominator=np.asarray(st.denominator + ignored.sum(), dtype=st.work))
    _patch_setup(t)


@mutant("sce_ignore_index_gathered", SCE, """
    ignore_index not masked: the ignored position's loss is gathered at class ignore_index mod C (as
    negative indexing does) and counted in the mean.""")
def _():
    def t(st, redo, a):
        it = _index_target(a)
        if it is None or not it[1].any():
            return st
        tgt = np.asarray(a["target"]).astype(np.int64)
        C = np.asarray(a["logits"]).shape[1]
        gathered = np.where(it[1], int(a["ignore_index"]) % C, tgt)
        return redo(target=gathered, ignore_index=-1)
    _patch_setup(t)


@mutant("sce_all_ignored_zero", SCE, """
    a mean whose denominator is 0 (every target ignored, or zero total weight) returns 0 (Keras) instead
    of NaN; the gradient is 0 instead of NaN.""")
def _():
    def t(st, redo, a):
        if st.denominator == 0:
            return dataclasses.replace(st, denominator=np.asarray(1, dtype=st.work))
        return st
    _patch_setup(t)


@mutant("sce_target_off_by_one", SCE, """
    class indices taken as 1-based (y - 1, wrapping to the last class for 0), as when porting from
    Lua, R or Julia.""")
def _():
    def t(st, redo, a):
        it = _index_target(a)
        if it is None:
            return st
        tgt = np.asarray(a["target"]).astype(np.int64)
        C = np.asarray(a["logits"]).shape[1]
        shifted = np.where(it[1], tgt, (tgt - 1) % C)
        return redo(target=shifted)
    _patch_setup(t)


# ============================================================================ gradients


@mutant("sce_grad_wrong_sign", ["softmax_cross_entropy_grad"], """
    the gradient with the wrong sign, y - softmax instead of softmax - y.""")
def _():
    def make(old):
        def softmax_cross_entropy_grad(logits, target, **kw):
            return -old(logits, target, **kw)
        return softmax_cross_entropy_grad
    _replace("softmax_cross_entropy_grad", make)


def _mean_as_sum(name):
    """The shipped function `name` with reduction 'mean' answered by 'sum' (validated first, so that
    errors stay the shipped ones)."""
    def make(old):
        def fn(*args, **kw):
            ref = old(*args, **kw)
            if kw.get("reduction", "mean") == "mean":
                return old(*args, **dict(kw, reduction="sum"))
            return ref
        return fn
    _replace(name, make)


@mutant("sce_grad_not_divided", ["softmax_cross_entropy_grad"], """
    the gradient of the mean not divided by the mean's denominator (the batch size or the weight sum).""")
def _():
    _mean_as_sum("softmax_cross_entropy_grad")


@mutant("sce_grad_ignores_smoothing", ["softmax_cross_entropy_grad"], """
    the gradient derived as softmax - onehot(y) although the loss is label-smoothed (the smoothing is
    forgotten in the backward pass).""")
def _():
    def make(old):
        def softmax_cross_entropy_grad(logits, target, **kw):
            old(logits, target, **kw)
            return old(logits, target, **dict(kw, label_smoothing=0.0))
        return softmax_cross_entropy_grad
    _replace("softmax_cross_entropy_grad", make)


@mutant("one_minus_softmax_by_subtraction", ["focal_loss"], """
    1 - p formed by subtraction from the rounded softmax: it cancels to 0 for a confident prediction,
    so the focal modulating factor loses all relative accuracy.""")
def _():
    def one_minus_softmax(self):
        with np.errstate(all="ignore"):
            return (1 - self.softmax()).astype(self.x.dtype)
    _set(nm.LseParts, "one_minus_softmax", one_minus_softmax)


@mutant("bce_logits_grad_not_divided", ["binary_cross_entropy_with_logits_grad"], """
    the gradient of the mean not divided by the number of elements.""")
def _():
    _mean_as_sum("binary_cross_entropy_with_logits_grad")


@mutant("bce_logits_grad_wrong_sign", ["binary_cross_entropy_with_logits_grad"], """
    the gradient with the wrong sign, y - sigmoid(z) instead of sigmoid(z) - y.""")
def _():
    def make(old):
        def binary_cross_entropy_with_logits_grad(z, y, **kw):
            return -old(z, y, **kw)
        return binary_cross_entropy_with_logits_grad
    _replace("binary_cross_entropy_with_logits_grad", make)


@mutant("bce_logits_grad_pos_weight_ignored", ["binary_cross_entropy_with_logits_grad"], """
    the gradient computed as w (sigmoid(z) - y), forgetting pos_weight (which the loss applies).""")
def _():
    def make(old):
        def binary_cross_entropy_with_logits_grad(z, y, **kw):
            old(z, y, **kw)
            return old(z, y, **dict(kw, pos_weight=None))
        return binary_cross_entropy_with_logits_grad
    _replace("binary_cross_entropy_with_logits_grad", make)


@mutant("sigmoid_mse_grad_missing_derivative", ["sigmoid_mse_grad"], """
    the squared-error gradient without the sigmoid's derivative p (1 - p): returns p - y, the
    cross-entropy gradient (the comparison the seed makes).""")
def _():
    def make(old):
        def sigmoid_mse_grad(z, y):
            ref = old(z, y)
            za, ya = np.asarray(z), np.asarray(y)
            g = FUNCTIONS_SHIPPED["binary_cross_entropy_with_logits_grad"](
                za.reshape(-1), ya.reshape(-1), reduction="none")
            return _like(ref, np.asarray(g).reshape(za.shape))
        return sigmoid_mse_grad
    _replace("sigmoid_mse_grad", make)


@mutant("sigmoid_mse_grad_naive", ["sigmoid_mse_grad"], """
    (p - y) p (1 - p) with p = sigmoid(z) rounded and 1 - p formed by subtraction in the data's dtype:
    0 for a saturated sigmoid, where the exact gradient is tiny but not 0.""")
def _():
    def make(old):
        def sigmoid_mse_grad(z, y):
            ref = old(z, y)
            p = np.asarray(FUNCTIONS_SHIPPED["sigmoid"](z))
            ya = np.asarray(y).astype(p.dtype)
            with np.errstate(all="ignore"):
                return _like(ref, (p - ya) * p * (1 - p))
        return sigmoid_mse_grad
    _replace("sigmoid_mse_grad", make)


# ============================================================================ BCE with logits


@mutant("bce_logits_naive", ["binary_cross_entropy_with_logits"], """
    BCE with logits by the naive formula -(y log(sigmoid(z)) + (1 - y) log(1 - sigmoid(z))) in the
    data's dtype: inf once sigmoid saturates, and inaccurate well before.""")
def _():
    def make(old):
        def binary_cross_entropy_with_logits(z, y, *, weight=None, pos_weight=None, reduction="mean"):
            old(z, y, weight=weight, pos_weight=pos_weight, reduction=reduction)
            za = float_array("z", z)
            ya = float_array("y", y)
            out = out_dtype(za, ya)
            za, ya = za.astype(out), ya.astype(out)
            with np.errstate(all="ignore"):
                s = 1 / (1 + np.exp(-za))
                pos = ya if pos_weight is None else np.asarray(pos_weight).astype(out) * ya
                l = -(nm.mul0(pos, np.log(s)) + nm.mul0(1 - ya, np.log(1 - s)))
                if weight is not None:
                    l = np.asarray(weight).astype(out) * l
            res = reduce(np.asarray(l, dtype=out), reduction, out)
            return res[()] if isinstance(res, np.ndarray) and res.ndim == 0 else res
        return binary_cross_entropy_with_logits
    _replace("binary_cross_entropy_with_logits", make)


@mutant("bce_logits_pos_weight_on_negative", ["binary_cross_entropy_with_logits"], """
    pos_weight multiplies the negative term (1 - y) softplus(z) instead of the positive term.""")
def _():
    def terms(zw, yw, w, pw, work):
        with np.errstate(invalid="ignore", over="ignore"):
            neg = (1 - yw) if pw is None else pw.astype(work) * (1 - yw)
            l = nm.mul0(yw, nm.softplus(-zw)) + nm.mul0(neg, nm.softplus(zw))
            if w is not None:
                l = nm.mul0(np.broadcast_to(w.astype(work), l.shape), l)
        return l
    _set(logit_losses, "_bce_logits_terms", terms)


@mutant("bce_logits_pos_weight_on_both", ["binary_cross_entropy_with_logits"], """
    pos_weight applied like weight, to both terms, instead of to the positive term only.""")
def _():
    old = logit_losses._bce_logits_terms

    def terms(zw, yw, w, pw, work):
        l = old(zw, yw, w, None, work)
        if pw is not None:
            l = nm.mul0(np.broadcast_to(pw.astype(work), l.shape), l)
        return l
    _set(logit_losses, "_bce_logits_terms", terms)


# ============================================================================ focal losses


def _focal_mutated(old, *, alpha_by_prediction=False, gamma_on_p=False, mean_by_alpha=False):
    def focal_loss(logits, target, *, gamma=2.0, alpha=None, reduction="mean"):
        old(logits, target, gamma=gamma, alpha=alpha, reduction=reduction)  # shipped validation
        la = float_array("logits", logits)
        tg = index_array("target", target)
        out = out_dtype(la)
        g = float_param("gamma", gamma, out, lo=0.0)
        a = None if alpha is None else weight_array("alpha", alpha)
        work = nm.work_dtype(out)
        parts = nm.LseParts(la.astype(work))
        idx = tg[:, None]
        nll = np.take_along_axis(parts.nll(), idx, axis=1)[:, 0]
        base = parts.softmax() if gamma_on_p else parts.one_minus_softmax()
        base = np.take_along_axis(base, idx, axis=1)[:, 0]
        with np.errstate(all="ignore"):
            fl = nm.mul0(np.power(base, np.asarray(g, dtype=work)), nll)
            if a is not None:
                ai = np.argmax(np.where(np.isnan(la), -np.inf, la), axis=1) if alpha_by_prediction else tg
                fl = nm.mul0(a.astype(work)[ai], fl)
        den = None
        if mean_by_alpha and a is not None:
            den = nm.fsum(a.astype(work)[tg].reshape(1, -1))[0]
        res = reduce(np.asarray(fl, dtype=work), reduction, out, den)
        return res[()] if isinstance(res, np.ndarray) and res.ndim == 0 else res
    return focal_loss


@mutant("focal_alpha_by_prediction", ["focal_loss"], """
    alpha indexed by the predicted class (argmax of the logits) instead of the target class.""")
def _():
    _replace("focal_loss", lambda old: _focal_mutated(old, alpha_by_prediction=True))


@mutant("focal_gamma_on_p", ["focal_loss"], """
    the modulating factor p_t^gamma instead of (1 - p_t)^gamma.""")
def _():
    _replace("focal_loss", lambda old: _focal_mutated(old, gamma_on_p=True))


@mutant("focal_mean_by_alpha_sum", ["focal_loss"], """
    the mean divided by the sum of alpha over the targets (like a weighted cross-entropy) instead of by N.""")
def _():
    _replace("focal_loss", lambda old: _focal_mutated(old, mean_by_alpha=True))


@mutant("sigmoid_focal_alpha_swapped", ["sigmoid_focal_loss"], """
    alpha weights the negatives and 1 - alpha the positives (alpha_t swapped).""")
def _():
    def make(old):
        def sigmoid_focal_loss(z, y, *, alpha=0.25, gamma=2.0, reduction="none"):
            ref = old(z, y, alpha=alpha, gamma=gamma, reduction=reduction)
            if alpha is None:
                return ref
            return old(z, y, alpha=1 - float(alpha), gamma=gamma, reduction=reduction)
        return sigmoid_focal_loss
    _replace("sigmoid_focal_loss", make)


@mutant("sigmoid_focal_alpha_null_applied", ["sigmoid_focal_loss"], """
    alpha = null (no weighting) still applies the default 0.25 (the disable sentinel not honoured).""")
def _():
    def make(old):
        def sigmoid_focal_loss(z, y, *, alpha=0.25, gamma=2.0, reduction="none"):
            old(z, y, alpha=alpha, gamma=gamma, reduction=reduction)
            return old(z, y, alpha=0.25 if alpha is None else alpha, gamma=gamma, reduction=reduction)
        return sigmoid_focal_loss
    _replace("sigmoid_focal_loss", make)


@mutant("sigmoid_focal_gamma_on_p", ["sigmoid_focal_loss"], """
    the modulating factor p_t^gamma instead of (1 - p_t)^gamma in the sigmoid focal loss.""")
def _():
    def make(old):
        def sigmoid_focal_loss(z, y, *, alpha=0.25, gamma=2.0, reduction="none"):
            old(z, y, alpha=alpha, gamma=gamma, reduction=reduction)
            za, ya = float_array("z", z), float_array("y", y)
            out = out_dtype(za, ya)
            al = None if alpha is None else float_param("alpha", alpha, out, lo=0.0, hi=1.0)
            g = float_param("gamma", gamma, out, lo=0.0)
            work = nm.work_dtype(out)
            zw, yw = za.astype(work), ya.astype(work)
            with np.errstate(all="ignore"):
                omy = 1 - yw
                ce = nm.mul0(yw, nm.softplus(-zw)) + nm.mul0(omy, nm.softplus(zw))
                pt = nm.mul0(yw, nm.sigmoid(zw)) + nm.mul0(omy, nm.sigmoid(-zw))
                loss = nm.mul0(np.power(pt, np.asarray(g, dtype=work)), ce)
                if al is not None:
                    aw = np.asarray(al, dtype=work)
                    loss = nm.mul0(aw * yw + (1 - aw) * omy, loss)
            res = reduce(np.asarray(loss, dtype=work), reduction, out)
            return res[()] if isinstance(res, np.ndarray) and res.ndim == 0 else res
        return sigmoid_focal_loss
    _replace("sigmoid_focal_loss", make)


# ============================================================================ accumulation


def _plain_sum(cast):
    def compensated_sum(t, axis=-1, compensated=True):  # every sum goes through the mutant's accumulator
        t = np.moveaxis(np.asarray(t), axis, -1)
        with np.errstate(all="ignore"):
            s = cast(t)
        hi = np.asarray(s).astype(t.dtype)
        return hi, np.zeros_like(hi)
    return compensated_sum


@mutant("float32_accumulation", SUMMING, """
    sums accumulated in float32 (a float32 accumulator left in the float64 path).""")
def _():
    _set(nm, "compensated_sum", _plain_sum(lambda t: t.astype(np.float32).sum(axis=-1)))


@mutant("naive_sequential_sum", SUMMING, """
    sums accumulated left to right in float64 (a plain loop, no compensated or pairwise summation):
    the error grows with the length of long vectors.""")
def _():
    def seq(t):
        t64 = t.astype(np.float64)
        if t64.shape[-1] == 0:
            return np.zeros(t64.shape[:-1])
        return np.cumsum(t64, axis=-1)[..., -1]
    _set(nm, "compensated_sum", _plain_sum(seq))


# ============================================================================ issue 11: the levels' catalogues
# Must-accept port variants (mainstream formulas, in the data's dtype) and must-reject realistic defects.
# Non-finite inputs and errors take the shipped result, so only finite values differ.


def _dtype_of(ref) -> np.dtype:
    return np.asarray(ref).dtype


def _along_axis(kernel, xs, axis):
    """kernel applied to every slice of xs along axis (None: xs is a vector, the rank-1 contract)."""
    return np.apply_along_axis(kernel, 0 if axis is None else axis, xs)


def _port_rows(old, kernel):
    """A row function computed by kernel(x) in the data's dtype along the axis, for finite inputs."""
    def fn(x, *, axis=-1, **kw):  # kw: other parameters (output_dtype), passed to the shipped call
        ref = old(x, axis=axis, **kw)
        xs = np.asarray(x).astype(_dtype_of(ref))
        if xs.size == 0 or not np.isfinite(xs).all():
            return ref
        with np.errstate(all="ignore"):
            return _like(ref, _along_axis(kernel, xs, axis))
    return fn


def _np_sum(e, axis=None):
    """np.sum (pairwise) as numpy takes it for float16: in float32, rounded once to the dtype. ml_dtypes'
    bfloat16 np.sum adds left to right in bfloat16 (a row of 4096 ones sums to 256), the 16-bit
    accumulation that issue 16's long rows reject, not what a port's sum does."""
    if e.dtype.itemsize == 2:
        return e.astype(np.float32).sum(axis=axis).astype(e.dtype)
    return e.sum(axis=axis)


def _max_shift_parts(x):
    a = x.max()
    e = np.exp(x - a)
    return a, e, _np_sum(e)


@mutant("port_max_shift", ROW, """
    the textbook max-shift kernel in the data's dtype, without the log1p refinement: a = max x,
    e_i = exp(x_i - a), S = sum e_i (pairwise), lse = a + log(S), softmax_i = e_i / S,
    log_softmax_i = (x_i - a) - log(S).""")
def _():
    def lse(x):
        a, _, S = _max_shift_parts(x)
        return a + np.log(S)

    def softmax(x):
        _, e, S = _max_shift_parts(x)
        return e / S

    def log_softmax(x):
        a, _, S = _max_shift_parts(x)
        return (x - a) - np.log(S)
    for name, kernel in (("logsumexp", lse), ("softmax", softmax), ("log_softmax", log_softmax)):
        _replace(name, lambda old, k=kernel: _port_rows(old, k))


@mutant("port_ce_lse_minus_target", ["softmax_cross_entropy", "focal_loss"], """
    every per-class negative log-probability formed as nll_c = lse(row) - x_c with
    lse = a + log(sum_i exp(x_i - a)) (F.cross_entropy's logsumexp - gather); smoothing, weights,
    ignore_index and the reduction as shipped.""")
def _():
    def nll(self):
        with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
            a = np.where(self.ok, self.a, 0).astype(self.x.dtype)
            xs = np.where(self.ok[..., None], self.x, 0).astype(self.x.dtype)
            lse = a + np.log(_np_sum(np.exp(xs - a[..., None]), axis=-1))
            return self._special(lse[..., None] - xs, 0.0, np.inf)
    _set(nm.LseParts, "nll", nll)


def _bce_logits_port(old, log1p):
    """BCE with logits by the TensorFlow / PyTorch formula in the data's dtype, log1p(t) computed by ``log1p``."""
    def fn(z, y, *, weight=None, pos_weight=None, reduction="mean", **kw):  # kw: output_dtype, to the shipped call
        ref = old(z, y, weight=weight, pos_weight=pos_weight, reduction=reduction, **kw)
        dt = _dtype_of(ref)
        z, y = np.asarray(z).astype(dt), np.asarray(y).astype(dt)
        with np.errstate(all="ignore"):  # infinite z too: inf - inf * y gives NaN, acceptable (LimitValue)
            tail = log1p(np.exp(-np.abs(z)))
            if pos_weight is None:
                loss = np.maximum(z, 0) - z * y + tail
            else:  # not PyTorch's (1 - y) z + l (tail + max(-z, 0)): z + (|z| + tail) cancels at y = 0, z << 0
                pw = np.asarray(pos_weight).astype(dt)
                loss = (1 - y) * (np.maximum(z, 0) + tail) + pw * y * (np.maximum(-z, 0) + tail)
            if weight is not None:
                loss = loss * np.asarray(weight).astype(dt)
            loss = np.broadcast_to(loss, z.shape)
            if reduction == "sum":
                return _like(ref, loss.sum())
            if reduction == "mean":
                return _like(ref, loss.mean() if loss.size else np.nan)
            return _like(ref, loss)
    return fn


@mutant("port_bce_logits_tf", ["binary_cross_entropy_with_logits"], """
    each element in the data's dtype as max(z, 0) - z y + log1p(exp(-|z|)) without pos_weight, and as
    (1 - y)(max(z, 0) + log1p(exp(-|z|))) + pw y (max(-z, 0) + log1p(exp(-|z|))) with pos_weight (PyTorch's
    (1 - y) z + (1 + (pw - 1) y)(log1p(exp(-|z|)) + max(-z, 0)) cancels at y = 0, z << 0: a tiny loss
    becomes 0, a defect); times weight; a plain sum / mean in the data's dtype. Infinite z goes through the same formula (NaN where it
    meets inf - inf or 0 * inf: acceptable, LimitValue).""")
def _():
    _replace("binary_cross_entropy_with_logits", lambda old: _bce_logits_port(old, np.log1p))


@mutant("bce_logits_log_not_log1p", ["binary_cross_entropy_with_logits"], """
    port_bce_logits_tf with log(1 + exp(-|z|)) instead of log1p(exp(-|z|)): a confident correct prediction
    has loss 0 (z = 79, y = 1 in float32: exact 4.7e-35).""")
def _():
    _replace("binary_cross_entropy_with_logits", lambda old: _bce_logits_port(old, lambda t: np.log(1 + t)))


@mutant("port_pairwise_sum", SUMMING, """
    every sum by pairwise summation without compensation (numpy's np.sum) in float64.""")
def _():
    _set(nm, "compensated_sum", _plain_sum(lambda t: t.astype(np.float64).sum(axis=-1)))


def _float32_only(old, kernel, rows=False):
    """kernel(z) in float32 arithmetic for float32 data; float64 data as shipped."""
    def elementwise(z, **kw):  # kw: output_dtype (softplus), passed to the shipped call
        ref = old(z, **kw)
        if _dtype_of(ref) != np.float32:
            return ref
        with np.errstate(all="ignore"):
            return _like(ref, kernel(np.asarray(z).astype(np.float32)))
    if not rows:
        return elementwise

    def row(x, *, axis=-1, **kw):
        ref = old(x, axis=axis, **kw)
        xs = np.asarray(x)
        if _dtype_of(ref) != np.float32 or xs.size == 0 or not np.isfinite(xs).all():
            return ref
        with np.errstate(all="ignore"):
            return _like(ref, _along_axis(kernel, xs.astype(np.float32), axis))
    return row


def _f32_sigmoid(z):
    one = np.float32(1)
    e = np.exp(np.where(z < 0, z, -z))  # exp(-|z|) <= 1
    return np.where(z >= 0, one / (one + e), e / (one + e)).astype(np.float32)


def _f32_softplus(z):
    return (np.maximum(z, np.float32(0)) + np.log1p(np.exp(-np.abs(z)))).astype(np.float32)


def _f32_bhh(x):
    """(d, L) of the BHH form in float32: d_i = x_i - a, L = log1p(s), s = sum_{i != k} exp(d_i)."""
    k = int(np.argmax(x))
    d = x - x[k]
    e = np.exp(d)
    e[k] = 0
    return d, np.log1p(e.sum(dtype=np.float32)), np.exp(d)


@mutant("port_float32_native", ("sigmoid", "log_sigmoid", "softplus") + ROW, """
    float32 data computed entirely in float32 with the float32 libm (numpy's SIMD expf / logf / log1pf):
    sigmoid = 1 / (1 + exp(-z)) for z >= 0 and exp(z) / (1 + exp(z)) for z < 0; softplus = max(z, 0) +
    log1p(exp(-|z|)); log_sigmoid = -softplus(-z); lse = a + log1p(s), softmax_i = e_i / (1 + s),
    log_softmax_i = (x_i - a) - log1p(s) with s = sum_{i != k} exp(x_i - a) summed pairwise in float32.
    float64 data as shipped.""")
def _():
    _replace("sigmoid", lambda old: _float32_only(old, _f32_sigmoid))
    _replace("softplus", lambda old: _float32_only(old, _f32_softplus))
    _replace("log_sigmoid", lambda old: _float32_only(old, lambda z: -_f32_softplus(-z)))

    def lse(x):
        d, L, _ = _f32_bhh(x)
        return x.max() + L

    def softmax(x):
        _, L, e = _f32_bhh(x)
        return e / (np.float32(1) + np.expm1(L))  # 1 + s
    def log_softmax(x):
        d, L, _ = _f32_bhh(x)
        return d - L
    for name, kernel in (("logsumexp", lse), ("softmax", softmax), ("log_softmax", log_softmax)):
        _replace(name, lambda old, k=kernel: _float32_only(old, k, rows=True))


def _sigmoid_variant(formula):
    def make(old):
        def sigmoid(z):
            ref = old(z)
            zz = np.asarray(z).astype(_dtype_of(ref))
            with np.errstate(all="ignore"):
                return _like(ref, np.where(np.isfinite(zz), formula(zz), ref))
        return sigmoid
    _replace("sigmoid", make)


@mutant("sigmoid_one_minus_for_negative", ["sigmoid"], """
    in the data's dtype: 1 / (1 + exp(-z)) for z >= 0 and 1 - 1 / (1 + exp(z)) for z < 0 (the symmetry
    written by subtraction): the negative tail has an absolute, not a relative, error (0 at z = -20 in float32).""")
def _():
    one = 1

    def formula(z):
        return np.where(z >= 0, one / (one + np.exp(-z)), one - one / (one + np.exp(z)))
    _sigmoid_variant(formula)


@mutant("sigmoid_tanh", ["sigmoid"], """
    0.5 * tanh(z / 2) + 0.5 in the data's dtype: the negative tail is 1 + tanh(z / 2) cancelled
    (5.96e-8 at z = -17.65 in float32, exact 2.15e-8).""")
def _():
    _sigmoid_variant(lambda z: z.dtype.type(0.5) * np.tanh(z / z.dtype.type(2)) + z.dtype.type(0.5))


@mutant("sigmoid_tail_flushed", ["sigmoid"], """
    the shipped sigmoid, but 0 where z < ln(u) (u the unit roundoff: z < -16.64 in float32, z < -36.74 in
    float64): the belief that a result below u is 0 at this precision.""")
def _():
    def make(old):
        def sigmoid(z):
            ref = old(z)
            zz = np.asarray(z)
            u = np.finfo(_dtype_of(ref)).eps / 2
            return _like(ref, np.where(zz < np.log(u), 0, ref))
        return sigmoid
    _replace("sigmoid", make)


@mutant("sce_smoothing_classes_last_axis", SCE, """
    at rank > 2 label smoothing takes the class count from the last axis (K = d_k) instead of axis 1 (C):
    uniform mass eps / K, off_target eps / (K - 1); at rank 2 nothing changes.""")
def _():
    def t(st, redo, a):
        shape = np.asarray(a["logits"]).shape
        eps = float(a["label_smoothing"])
        if len(shape) <= 2 or eps == 0:
            return st
        K = shape[-1]
        e = np.asarray(eps, dtype=st.work)
        if a["label_smoothing_mode"] == "off_target":
            k = e / (K - 1) if K > 1 else np.asarray(0, dtype=st.work)
            alpha = (1 - e) - k
        else:
            k, alpha = e / K, 1 - e
        with np.errstate(all="ignore"):
            mass = (st.wt * alpha + st.w_pos * k).astype(st.work)
        return dataclasses.replace(st, mass=mass, alpha=alpha, k=k)
    _patch_setup(t)


# ============================================================================ porting parity (issue 19)
# The classic mistakes of a port from PyTorch or ONNX; Java and Go have the same mutants, by name.


@mutant("nll_loss_log_probs_as_probs", ["nll_loss"], """
    nll_loss given log-probabilities but computed as if they were probabilities: -w_y log(x_y)
    (nll_from_probs' formula, no clamp) instead of -w_y x_y; a log-probability below 0 gives NaN.""")
def _():
    def make(old):
        def nll_loss(input, target, **kw):
            ref = old(input, target, **kw)  # the shipped checks and the result's dtype
            with np.errstate(all="ignore"):
                return _like(ref, old(np.log(np.asarray(input, dtype=np.float64)), target, **kw))
        return nll_loss
    _replace("nll_loss", make)


@mutant("ignore_index_null_as_minus_100", ["nll_loss"] + list(SCE), """
    an absent ignore_index (null / None: nothing ignored, ONNX's default) treated as PyTorch's -100: a
    target -100 is then silently ignored instead of being index_out_of_range.""")
def _():
    def make(old):
        def fn(*args, ignore_index=-100, **kw):
            return old(*args, ignore_index=-100 if ignore_index is None else ignore_index, **kw)
        return fn
    for name in ("nll_loss",) + SCE:
        _replace(name, make)


@mutant("kl_div_batchmean_as_mean", ["kl_div"], """
    kl_div's reduction batchmean computed as mean: the sum divided by every element (N times the
    support size) instead of the batch size N.""")
def _():
    def make(old):
        def kl_div(input, target, *, reduction="mean", **kw):
            return old(input, target, reduction="mean" if reduction == "batchmean" else reduction, **kw)
        return kl_div
    _replace("kl_div", make)


@mutant("axis_off_by_one", ROW, """
    softmax, log_softmax and logsumexp along the next axis: an axis k of x of rank r is taken as
    (k + 1) mod r (a 1-based / 0-based or NCHW / NHWC confusion); a vector is unaffected, an axis out of
    range keeps its error.""")
def _():
    def make(old):
        def fn(x, *, axis=-1, **kw):
            r = np.ndim(x)
            if isinstance(axis, (int, np.integer)) and not isinstance(axis, bool) and 0 < r and -r <= axis < r:
                axis = (axis % r + 1) % r
            return old(x, axis=axis, **kw)
        return fn
    for name in ROW:
        _replace(name, make)


# ============================================================================ large-model options (issue 17)


@mutant("z_loss_when_off", SCE, """
    z-loss applied although switched off: z_loss = 0 takes the entry point's default 1e-4 (Liger's
    liger_cross_entropy_z_loss default lse_square_scale), the sentinel not honoured.""")
def _():
    def make(old):
        def fn(*args, z_loss=0.0, **kw):
            return old(*args, z_loss=z_loss or _large_model.PALM_Z_LOSS, **kw)
        return fn
    for name in SCE:
        _replace(name, make)


@mutant("z_loss_weighted", SCE, """
    the z-loss term weighted by the target's class weight w_y and the mean's two parts over one common
    denominator (the weighted one, sum of w_y): the term added to each position's weighted loss before
    a PyTorch-style weighted mean.""")
def _():
    def weighted(w):
        v = w.v
        if v.prob_target or v.w_arr is None:
            return np.ones(w.kept.shape)
        return np.asarray(v.w_arr, dtype=np.float64)[np.where(w.kept, v.tgt, 0).astype(np.int64)]

    old_terms = _large_model.z_terms

    def loss(shipped, *args):
        w = _large_model._widen(*args)
        opts = args[-1]
        per = np.asarray(shipped(w.x2, **w.kwargs), dtype=np.float64)
        if opts.z > 0 and w.x2.size:
            per = per + weighted(w) * old_terms(primitives.logsumexp(w.x2, axis=1), w.kept, opts)
        if w.v.reduction == "none":
            result = per
        elif w.v.reduction == "sum":
            result = _large_model.exact_sum(per)
        else:
            result = _large_model.quotient(_large_model.exact_sum(per), w.ce_denominator, opts)
        return _like(np.zeros((), dtype=w.v.out), result) if w.v.reduction != "none" else per.astype(w.v.out)

    def grad(shipped_grad, *args):
        w = _large_model._widen(*args)
        opts = args[-1]
        den = w.ce_denominator if w.v.reduction == "mean" else 1.0
        if w.v.reduction == "mean" and den == 0 and opts.empty_mean == "nan":
            return np.full(w.x2.shape, np.nan).astype(w.v.out)
        with np.errstate(all="ignore"):
            g = np.asarray(shipped_grad(w.x2, **w.kwargs), dtype=np.float64)
            if opts.z > 0 and w.x2.size:
                g = g + np.expand_dims(weighted(w), 1) * _large_model._z_grad(w, 1.0, opts)
            g = g / den if den != 0 else np.zeros_like(g)
            return (g * _large_model.slope(w.v.logits, opts)).astype(w.v.out)

    _set(_large_model, "loss", lambda shipped, *args: loss(shipped, *args))
    _set(_large_model, "grad", lambda shipped, *args: grad(shipped, *args))


@mutant("softcap_target_uncapped", ("softmax_cross_entropy",), """
    soft-capping applied to the log-sum-exp only: the target's logit is read from the uncapped (scaled)
    logits, loss = lse(x'') - x'_y (with smoothing and weights: the capped loss plus the target mass
    times x''_y - x'_y, the terms a kernel that gathers x_y before capping gets).""")
def _():
    old = _large_model.loss

    def loss(shipped, logits, target, weight, ignore_index, label_smoothing, label_smoothing_mode, reduction, opts):
        args = (logits, target, weight, ignore_index, label_smoothing, label_smoothing_mode, reduction, opts)
        if opts.cap is None:
            return old(shipped, *args)
        w = _large_model._widen(*args)
        scaled = dataclasses.replace(opts, cap=None)
        gap = _large_model.capped(w.v.logits, opts) - _large_model.capped(w.v.logits, scaled)  # x'' - x'
        if w.v.prob_target:
            return old(shipped, *args)
        y = np.where(w.kept, w.v.tgt, 0).astype(np.int64)
        wy = np.ones(y.shape) if w.v.w_arr is None else np.asarray(w.v.w_arr, dtype=np.float64)[y]
        shift = np.where(w.kept, wy * np.take_along_axis(gap, np.expand_dims(y, 1), axis=1)[:, 0], 0.0)
        base = np.asarray(old(shipped, *args[:-2], "none", opts), dtype=np.float64)
        if w.v.reduction == "none":
            return (base + shift).astype(w.v.out)
        total = np.float64(old(shipped, *args))
        if w.v.reduction == "sum":
            return _like(np.zeros((), dtype=w.v.out), _large_model.exact_sum(np.append(base, shift)))
        return _like(np.zeros((), dtype=w.v.out), total + _large_model.quotient(_large_model.exact_sum(shift),
                                                                                 w.ce_denominator, opts))

    _set(_large_model, "loss", loss)


@mutant("softcap_scale_after_cap", SCE, """
    logit_scale applied after the cap: logit_scale * softcap tanh(x / softcap) instead of
    softcap tanh(logit_scale x / softcap) (a temperature divided out of the capped logits).""")
def _():
    def capped(logits, opts):
        x = np.asarray(logits, dtype=np.float64)
        with np.errstate(over="ignore", invalid="ignore"):
            if opts.cap is None:
                return opts.scale * x
            return opts.scale * (opts.cap * np.tanh(x / opts.cap))

    def slope(logits, opts):
        x = np.asarray(logits, dtype=np.float64)
        if opts.cap is None:
            return np.full(x.shape, opts.scale)
        with np.errstate(over="ignore", invalid="ignore"):
            q = np.exp(-2 * np.abs(x / opts.cap))
            return opts.scale * 4 * q / ((1 + q) * (1 + q))
    _set(_large_model, "capped", capped)
    _set(_large_model, "slope", slope)


@mutant("empty_mean_zero_ignored", SCE, """
    empty_mean = zero not honoured: a mean with a zero denominator stays NaN (PyTorch's 0/0) even when
    the caller asked for 0.""")
def _():
    old = _large_model.quotient
    _set(_large_model, "quotient", lambda total, den, opts: old(total, den, dataclasses.replace(opts, empty_mean="nan")))
    old_grad = _large_model.grad

    def grad(shipped_grad, *args):
        opts = dataclasses.replace(args[-1], empty_mean="nan")
        return old_grad(shipped_grad, *args[:-1], opts)
    _set(_large_model, "grad", grad)


@mutant("where_masked_logit_as_zero", SCE, """
    class mask applied by zeroing: an excluded class gets logit 0 (logits * mask, or a masked_fill with 0)
    instead of being left out, so exp(0) still counts in the log-sum-exp and the softmax; its target mass
    is still dropped and its own gradient still 0 (issue 17, optax's where).""")
def _():
    old = _large_model._widen

    def widen(*args):
        w = old(*args)
        if w.v.mask is not None:
            w.x2 = np.where(w.v.mask, w.x2, 0.0)
        return w
    _set(_large_model, "_widen", widen)


@mutant("lse_of_uncapped_logits", ("softmax_cross_entropy",), """
    result lse taken before the soft-cap: the log-sum-exp a kernel kept from the scaled logits x' while
    the loss used the capped x'' (issue 17's extra outputs; Liger and flash-attention keep the lse of the
    logits they actually normalised).""")
def _():
    old = _large_model.loss

    def loss(shipped, *args):
        opts = args[-1]
        if opts.result == "lse":
            opts = dataclasses.replace(opts, cap=None)
        return old(shipped, *args[:-1], opts)
    _set(_large_model, "loss", loss)


# ============================================================================ fused linear cross-entropy (issue 18)
LINEAR_CE = ("linear_cross_entropy", "linear_cross_entropy_grad")


@mutant("linear_ce_bias_dropped", LINEAR_CE, """
    the fused kernel never adds linear_bias to the logits (a kernel written for the bias-free heads of
    language models, given a bias); the bias gradient is still the positions' sum of the logits'
    gradient, now of the bias-free logits.""")
def _():
    from xent import linear

    def logits(call):
        rows = np.where(call.kept[:, None], call.hidden, 0.0)
        return linear.dot(rows[:, None, :], call.linear_weight[None, :, :], axis=-1)
    _set(linear._Call, "logits", property(logits))


@mutant("linear_ce_weight_grad_transposed", ("linear_cross_entropy_grad",), """
    the weight gradient accumulated as hidden^T @ G, shape [H, C] (the layout of a kernel that keeps the
    head transposed), and handed back in linear_weight's [C, H] shape without transposing: its data
    reshaped, not transposed.""")
def _():
    def make(old):
        def fn(*args, wrt="hidden", **kw):
            result = old(*args, wrt=wrt, **kw)
            if wrt != "linear_weight":
                return result
            return np.ascontiguousarray(np.asarray(result).T).reshape(np.shape(result))
        return fn
    _replace("linear_cross_entropy_grad", make)


@mutant("linear_ce_ignored_rows_multiplied", ("linear_cross_entropy_grad",), """
    the weight gradient as a plain G^T @ hidden over every row: an ignored position's zero logits gradient
    is multiplied by its hidden row, so a NaN or infinite padding row makes the weight gradient NaN (what
    a chunked kernel's grad_logits_chunk.T @ input_chunk does; spec D2 leaves the row unread).""")
def _():
    from xent._validate import index_equals

    def make(old):
        def fn(hidden, linear_weight, target, *, wrt="hidden", ignore_index=-100, **kw):
            result = old(hidden, linear_weight, target, wrt=wrt, ignore_index=ignore_index, **kw)
            if wrt != "linear_weight":
                return result
            ignored = index_equals(np.asarray(target).astype(np.int64), ignore_index)
            with np.errstate(all="ignore"):
                poison = (0.0 * np.asarray(hidden).astype(np.float64)[ignored]).sum(axis=0)  # 0 * row: NaN for NaN or inf
                return (np.asarray(result).astype(np.float64) + poison[None, :]).astype(np.asarray(result).dtype)
        return fn
    _replace("linear_cross_entropy_grad", make)


@mutant("linear_ce_logits_rounded_to_dtype_then_ce", LINEAR_CE, """
    a plain port: the logits hidden @ linear_weight.T + linear_bias as a matmul in the data's dtype
    (numpy's BLAS in float64 and float32; float32 accumulation rounded once into float16 or bfloat16,
    as PyTorch's CPU half matmul), then the shipped cross-entropy and its gradient on those rounded
    logits in the dtype, and the chain rule as plain matmuls (float32 accumulation for 16-bit data).
    Ignored rows are not read (D2) and a mean over no weight is NaN everywhere (D3), as the spec says.""")
def _():
    import inspect

    from xent._validate import index_equals

    def accumulator(dtype):
        return np.dtype(np.float32) if dtype.itemsize < 4 else dtype

    def matmul(a, b, dtype):
        acc = accumulator(dtype)
        with np.errstate(all="ignore"):
            return (np.asarray(a).astype(acc) @ np.asarray(b).astype(acc)).astype(dtype)

    def prepared(old, args, kw):
        old(*args, **kw)  # the shipped checks: the port raises what the spec says, in its order
        bound = inspect.signature(old).bind(*args, **kw)
        bound.apply_defaults()
        a = dict(bound.arguments)
        hidden, weight_matrix = np.asarray(a.pop("hidden")), np.asarray(a.pop("linear_weight"))
        target, bias = np.asarray(a.pop("target")), a.pop("linear_bias")
        dtype = np.result_type(hidden, weight_matrix)
        kept = ~index_equals(target.astype(np.int64), a["ignore_index"])
        rows = np.where(kept[:, None], hidden, 0).astype(dtype)
        z = matmul(rows, weight_matrix.T, dtype)
        if bias is not None:
            with np.errstate(all="ignore"):
                z = (z.astype(accumulator(dtype)) + np.asarray(bias).astype(accumulator(dtype))).astype(dtype)
        return a, dtype, kept, rows, weight_matrix, target, z

    def make_loss(old):
        def fn(*args, **kw):
            a, _, _, _, _, target, z = prepared(old, args, kw)
            return FUNCTIONS_SHIPPED["softmax_cross_entropy"](z, target, **a)
        return fn

    def make_grad(old):
        def fn(*args, **kw):
            a, dtype, kept, rows, weight_matrix, target, z = prepared(old, args, kw)
            wrt, upstream = a.pop("wrt"), a.pop("grad_output")
            weights = a["weight"]
            kept_targets = target[kept].astype(np.int64)
            shape = {"hidden": rows.shape, "linear_weight": weight_matrix.shape, "linear_bias": weight_matrix.shape[:1]}[wrt]
            empty = kept_targets.size == 0 or (weights is not None and not np.asarray(weights, dtype=np.float64)[kept_targets].any())
            if a["reduction"] == "mean" and a["empty_mean"] == "nan" and empty:
                return np.full(shape, np.nan).astype(dtype)
            g = np.asarray(FUNCTIONS_SHIPPED["softmax_cross_entropy_grad"](z, target, **a))
            with np.errstate(all="ignore"):
                if upstream is not None:
                    up = np.asarray(upstream).astype(dtype)
                    g = (g * (up[:, None] if a["reduction"] == "none" else up)).astype(dtype)
                g = np.where(kept[:, None], g, 0).astype(dtype)
                if wrt == "hidden":
                    return np.where(kept[:, None], matmul(g, weight_matrix, dtype), 0).astype(dtype)
                if wrt == "linear_weight":
                    return matmul(g.T, rows, dtype)
                return matmul(g.T, np.ones((g.shape[0],), dtype=dtype), dtype)
        return fn
    _replace("linear_cross_entropy", make_loss)
    _replace("linear_cross_entropy_grad", make_grad)


# ---------------------------------------------------------------------------------------- issue 17 item 4
#: The gradients of a loss that take the upstream gradient grad_output (issue 17, specVersion 4).
UPSTREAM_GRADS = ("softmax_cross_entropy_grad", "binary_cross_entropy_with_logits_grad", "sigmoid_mse_grad",
                  "focal_loss_grad", "binary_cross_entropy_grad")


def _with_upstream(make_v):
    """make(old) for a loss gradient whose grad_output is replaced by make_v(grad_output) (None: dropped);
    the shipped checks run first with the given grad_output, so every error stays the spec's."""
    def make(old):
        def fn(*args, grad_output=None, **kw):
            if grad_output is None:
                return old(*args, **kw)
            old(*args, grad_output=grad_output, **kw)
            return old(*args, grad_output=make_v(np.asarray(grad_output)), **kw)
        return fn
    return make


@mutant("grad_output_first_broadcast", UPSTREAM_GRADS, """
    the upstream gradient's first element broadcast to every position: grad_output[0] * gradient, right
    only when grad_output is a scalar or constant (Liger-Kernel issues #968, #678 and #1298: the fused
    cross-entropy's backward with reduction none).""")
def _():
    first = lambda v: np.full_like(v, v.flat[0]) if v.size else v  # noqa: E731
    for name in UPSTREAM_GRADS:
        _replace(name, _with_upstream(first))


@mutant("vjp_ignores_grad_output", UPSTREAM_GRADS + ("softmax_grad", "log_softmax_grad"), """
    the upstream gradient ignored: the gradient of the loss itself (grad_output taken as ones), right only
    under loss.sum().backward(); softmax_grad and log_softmax_grad with v = ones.""")
def _():
    for name in UPSTREAM_GRADS:
        _replace(name, _with_upstream(lambda v: None))

    def make_row(old):
        def fn(x, grad_output, **kw):
            old(x, grad_output, **kw)
            v = np.asarray(grad_output)
            return old(x, np.ones_like(v), **kw)
        return fn
    for name in ("softmax_grad", "log_softmax_grad"):
        _replace(name, make_row)


@mutant("bce_grad_clip_boundary_zero", ("binary_cross_entropy_grad",), """
    the clip's gradient taken as 0 at its bounds too (p = epsilon or p = 1 - epsilon), a strict
    inequality where torch.clamp's backward passes the gradient (min <= x <= max).""")
def _():
    def make(old):
        def fn(y, p, *, epsilon=1e-15, **kw):
            res = old(y, p, epsilon=epsilon, **kw)
            pw = np.asarray(p).astype(np.float64)
            eps = float(epsilon)
            with np.errstate(invalid="ignore"):
                bound = (pw == eps) | ((pw >= 0.5) & (1 - pw == eps))
            if np.ndim(res) == 0 or np.shape(res) != pw.shape:
                return res
            return np.where(bound, 0, res).astype(np.asarray(res).dtype)
        return fn
    _replace("binary_cross_entropy_grad", make)


@mutant("focal_grad_missing_gamma_term", ("focal_loss_grad",), """
    the focal modulating factor treated as a constant: alpha_y (1 - p_t)^gamma (g - onehot(y)), without
    the term gamma (1 - p_t)^(gamma - 1) p_t (-log p_t) of d(1 - p_t)^gamma / d p_t.""")
def _():
    def make(old):
        def fn(logits, target, *, gamma=2.0, **kw):
            old(logits, target, gamma=gamma, **kw)
            base = np.asarray(old(logits, target, gamma=0.0, **kw))
            x = np.asarray(logits).astype(np.float64)
            g = np.asarray(FUNCTIONS_SHIPPED["softmax"](x, axis=-1))
            idx = np.asarray(target).astype(np.int64)[:, None]
            with np.errstate(all="ignore"):
                r = 1 - np.take_along_axis(g, idx, axis=1)
                res = base.astype(np.float64) * np.power(r, float(gamma))
            return res.astype(base.dtype)
        return fn
    _replace("focal_loss_grad", make)


def _port_dtype(x):
    """The dtype a plain port computes in: the data's own (float32 for 16-bit data, as PyTorch's CPU half ops)."""
    dt = np.asarray(x).dtype
    return np.dtype(np.float32) if dt.itemsize < 4 else dt


def _plain_vjp_port(name, forward, formula):
    """Install a plain port of a softmax VJP: the forward's output rounded to the port's dtype (as the
    forward pass stored it), then formula(forward_output, v, axis) in that dtype, rounded once into the
    result's."""
    def make(old):
        def fn(x, grad_output, *, axis=-1):
            res = old(x, grad_output, axis=axis)
            dt = _port_dtype(x)
            stored = np.asarray(FUNCTIONS_SHIPPED[forward](x, axis=axis)).astype(dt)
            v = np.asarray(grad_output).astype(dt)
            with np.errstate(all="ignore"):
                out = formula(stored, v, axis)
            return out.astype(res.dtype)
        return fn
    _replace(name, make)


@mutant("port_softmax_grad_plain", ("softmax_grad",), """
    PyTorch's _softmax_backward_data as a plain port: g = softmax(x) rounded to the dtype (the forward's
    output), then g * (v - sum(g * v)) in the dtype (float32 for 16-bit data, rounded once into it).""")
def _():
    _plain_vjp_port("softmax_grad", "softmax", lambda g, v, axis: g * (v - np.sum(g * v, axis=axis, keepdims=True)))


@mutant("port_log_softmax_grad_plain", ("log_softmax_grad",), """
    PyTorch's _log_softmax_backward_data as a plain port: v - exp(lp) * sum(v) with lp = log_softmax(x)
    rounded to the dtype (the forward's output), in the dtype (float32 for 16-bit data).""")
def _():
    _plain_vjp_port("log_softmax_grad", "log_softmax",
                    lambda lp, v, axis: v - np.exp(lp) * np.sum(v, axis=axis, keepdims=True))


@mutant("port_focal_grad_autodiff", ("focal_loss_grad",), """
    autodiff of the seed's focal loss as a plain port in the dtype (float32 for 16-bit data): lp =
    log_softmax(x) rounded, p = exp(lp_y), ce = -lp_y, r = 1 - p by subtraction, dFL/dce = alpha_y (r^gamma
    + gamma r^(gamma - 1) p ce), gradient dFL/dce (exp(lp) - onehot(y)), the reduction's 1/N and
    grad_output as shipped; where r rounds to 0 (p = 1 in the dtype) the row's gradient is taken as 0 (a
    port's guard against 0^(gamma - 1) = inf).""")
def _():
    def make(old):
        def fn(logits, target, *, gamma=2.0, alpha=None, reduction="mean", grad_output=None):
            res = old(logits, target, gamma=gamma, alpha=alpha, reduction=reduction, grad_output=grad_output)
            dt = _port_dtype(logits)
            x = np.asarray(logits)
            lp = np.asarray(FUNCTIONS_SHIPPED["log_softmax"](x, axis=-1)).astype(dt)
            idx = np.asarray(target).astype(np.int64)[:, None]
            g = dt.type(gamma)
            with np.errstate(all="ignore"):
                lpy = np.take_along_axis(lp, idx, axis=1)
                p = np.exp(lpy)
                ce = -lpy
                r = dt.type(1) - p
                dce = np.power(r, g) + g * np.power(r, g - 1) * p * ce if gamma != 0 else np.ones_like(r)
                dce = np.where(r == 0, 0.0, dce).astype(dt)
                if alpha is not None:
                    dce = dce * np.asarray(alpha).astype(dt)[idx[:, 0]][:, None]
                onehot = (np.arange(x.shape[1]) == idx).astype(dt)
                out = dce * (np.exp(lp) - onehot)
                n = x.shape[0]
                if reduction == "mean" and n:
                    out = out / dt.type(n)
                if grad_output is not None:
                    v = np.asarray(grad_output).astype(dt)
                    out = out * (v[:, None] if reduction == "none" else v)
            return out.astype(np.asarray(res).dtype)
        return fn
    _replace("focal_loss_grad", make)

# ============================================================================ split and merge (issue 18)
MERGES = ("online_softmax_merge", "lse_merge")


def _plain_state_merge(ms, ds, base):
    """A port's merge without special cases: M = max m_i, D = sum d_i b^(m_i - M) in float64."""
    top = ms.max() if ms.size else -np.inf
    with np.errstate(invalid="ignore", over="ignore"):
        powers = np.exp2(ms - top) if base == "2" else np.exp(ms - top)
        return float(top), float(np.sum(ds * powers))


@mutant("merge_empty_partition_nan", MERGES, """
    the merge rescales every state by b^(m_i - M) with no special case: a column of empty partitions
    (every m_i = -inf) or of +inf maxima forms -inf - (-inf) = NaN, and the lse merge returns
    NaN instead of -inf for all-empty columns (vllm-project/vllm PR #39148; flashinfer #4051).""")
def _():
    from xent import split_merge

    def lse_column(ls, base):
        top = ls.max() if ls.size else -np.inf
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            s = np.sum(np.exp2(ls - top) if base == "2" else np.exp(ls - top))
            log_s = np.log2(s) if base == "2" else np.log(s)
        return split_merge._Merged(None, (float(top + log_s), 0.0)) if np.isfinite(top + log_s) \
            else split_merge._Merged(float(top + log_s))
    _set(split_merge, "_merge_states", _plain_state_merge)
    _set(split_merge, "merge_lse_column", lse_column)


@mutant("merge_flt_max_sentinel", MERGES, """
    an empty partition stored with the sentinel -max (the dtype's most negative finite value, -FLT_MAX in
    float32 kernels) instead of -inf: a fully masked column gets a finite maximum, every masked state
    the weight b^0 = 1, and the lse merge -max + log K instead of -inf (NVIDIA/TensorRT-LLM #17477).""")
def _():
    import ml_dtypes

    def sentinel(values):
        arr = np.asarray(values)
        return np.where(arr == -np.inf, -float(ml_dtypes.finfo(arr.dtype).max), arr).astype(arr.dtype)

    def make(old, first):
        def fn(**kw):
            kw[first] = sentinel(kw[first])
            return old(**kw)
        return fn
    _replace("online_softmax_merge", lambda old: make(old, "m"))
    _replace("lse_merge", lambda old: make(old, "lse"))


@mutant("merge_log2_ln_mixed", MERGES, """
    base-2 statistics (exp2 kernels that scale by log2 e) merged with exp and log: the base parameter is
    ignored and every merge is done in base e (pytorch-labs/attention-gym PR #205; sglang PR #34213).""")
def _():
    def make(old):
        def fn(*args, base="e", **kw):
            return old(*args, base="e", **kw)
        return fn
    _replace("online_softmax_merge", make)
    _replace("lse_merge", make)


@mutant("merge_nan_swallowed", ("online_softmax_merge",), """
    the running maximum taken with fmax, which skips NaN: a column with a NaN m_i gets the maximum of the
    others (NaN only when all are NaN) while D still carries the NaN (tenstorrent/tt-metal #56056;
    intel/torch-xpu-ops #5022).""")
def _():
    from xent import split_merge
    shipped = split_merge._merge_states

    def merge(ms, ds, base):
        if not np.isnan(ms).any():
            return shipped(ms, ds, base)
        kept = ms[~np.isnan(ms)]
        return (float(kept.max()) if kept.size else np.nan), np.nan
    _set(split_merge, "_merge_states", merge)


@mutant("shards_local_vocab_smoothing", ("cross_entropy_from_shards",), """
    label smoothing with the shard's local vocabulary: eps / shard_size of the target's shard (eps /
    (shard_size - 1) off_target) instead of eps / C over the whole vocabulary (NVIDIA/Megatron-LM #7464,
    #7452).""")
def _():
    from fractions import Fraction

    from xent import split_merge
    sizes: list[int] = []
    shipped_check, shipped_coefficients = split_merge._check_shards, split_merge._coefficients

    def check(shard_lse, shard_logit_sum, target_logit, target, shard_size, *rest):
        sizes[:] = [int(v) for v in np.asarray(shard_size).ravel()]
        return shipped_check(shard_lse, shard_logit_sum, target_logit, target, shard_size, *rest)

    def coefficients(call, y):
        co = shipped_coefficients(call, y)
        ends = np.cumsum(sizes)
        local = sizes[int(np.searchsorted(ends, y, side="right"))]
        slots = local if call.mode == "uniform" else local - 1
        return dataclasses.replace(co, b=call.eps / slots if slots > 0 else Fraction(0))
    _set(split_merge, "_check_shards", check)
    _set(split_merge, "_coefficients", coefficients)


@mutant("mean_of_chunk_means", ("cross_entropy_from_shards",), """
    reduction mean as the mean of per-chunk means over chunks of 2 positions (each chunk's loss sum
    divided by its own sum of w_y, then averaged), not one sum over one denominator: wrong whenever
    chunks have different denominators (weights, ignored positions, a short last chunk; NVIDIA NeMo
    Automodel #3803).""")
def _():
    import math

    from xent import split_merge
    from xent._validate import index_equals
    shipped = split_merge._reduced

    def reduced(losses, denominator, call):
        if call.reduction != "mean" or not losses:
            return shipped(losses, denominator, call)
        values = [v if isinstance(v, float) else sum(v) for v in losses]
        ignored = index_equals(call.target, call.ignore_index)
        w = [0.0 if ignored[n] else float(call.weight[y]) for n, y in enumerate(call.target.tolist())]
        means = []
        for i in range(0, len(values), 2):
            total, den = sum(values[i:i + 2]), sum(w[i:i + 2])
            with np.errstate(all="ignore"):
                means.append(total / den if den else (math.nan if total == 0 else math.copysign(math.inf, total)))
        return float(np.mean(means))
    _set(split_merge, "_reduced", reduced)


def _port_online_merge(m, d, base):
    """online_softmax_merge as a port writes it in the data's dtype (float32 arithmetic for 16-bit)."""
    m_arr, d_arr = np.asarray(m), np.asarray(d)
    work = np.float64 if m_arr.dtype == np.float64 else np.float32
    mm, dd = m_arr.astype(work), d_arr.astype(work)
    if mm.shape[0] == 0:
        return np.stack([np.full(mm.shape[1:], -np.inf, work), np.zeros(mm.shape[1:], work)])
    with np.errstate(invalid="ignore", over="ignore"):
        top = mm.max(axis=0)
        powers = np.exp2(mm - top) if base == "2" else np.exp(mm - top)
        terms = np.where(mm == top, dd, np.where(mm == -np.inf, 0, dd * powers))
        total = terms.sum(axis=0)
    broken = np.isnan(mm).any(axis=0) | np.isnan(dd).any(axis=0)
    return np.stack([np.where(broken, np.nan, top), np.where(broken, np.nan, total)])


def _port_lse_merge(lse, base):
    """lse_merge as torch.logsumexp does it: max shift (0 for a non-finite max), log of the sum."""
    arr = np.asarray(lse)
    work = np.float64 if arr.dtype == np.float64 else np.float32
    x = arr.astype(work)
    if x.shape[0] == 0:
        return np.full(x.shape[1:], -np.inf, work)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        top = x.max(axis=0)
        shift = np.where(np.isfinite(top), top, 0)
        s = (np.exp2(x - shift) if base == "2" else np.exp(x - shift)).sum(axis=0)
        return shift + (np.log2(s) if base == "2" else np.log(s))


@mutant("port_merge_plain", MERGES, """
    a plain port of the merges in the data's dtype (float32 arithmetic for float16 and bfloat16, rounded
    into the dtype): M = max, D = sum of d_i b^(m_i - M) with the states at M taken as d_i and empty
    states as 0, NaN columns NaN; the lse merge as torch.logsumexp (shift by a finite max, log of the
    sum, no log1p).""")
def _():
    def make(old, port):
        def fn(**kw):
            result = old(**kw)  # the shipped checks, and the result's dtype
            base = kw.get("base", "e")
            values = [kw[name] for name in ("m", "d", "lse") if name in kw]
            return _like(result, port(*values, base if base in ("e", "2") else "e"))
        return fn
    _replace("online_softmax_merge", lambda old: make(old, _port_online_merge))
    _replace("lse_merge", lambda old: make(old, _port_lse_merge))


#: The shipped public functions, captured before any mutant is applied (mutants that call another
#: function use the shipped one).
FUNCTIONS_SHIPPED = dict(FUNCTIONS)
