"""Kernels of linear_cross_entropy and its gradient (issue 18, E5): softmax cross-entropy of the EXACT logits
z = hidden @ linear_weight^T + linear_bias, reusing the softmax cross-entropy kernels on those logits.

The logits are exact dot products (Fractions), handed to the softmax cross-entropy kernels as exact mpf
values (never rounded). The condition numbers are E5's: the perturbable inputs are hidden, linear_weight
and linear_bias (and grad_output), so wherever the softmax kernels weigh a logit by |z_c| (its own
relative perturbation) they weigh it here by kappa(z_c) = sum_k |h_k w_ck| + |b_c| (a relative
perturbation of every input of the dot product), through the Row subclass below. compatible's nu gains
the dot products' summation allowance sqrt(H) * sum_k |h_k w_ck| per logit, propagated the same way (a
second pass with those weights), so that a port that computes the logits in the dtype passes compatible.
"""
from __future__ import annotations

import math
from contextlib import contextmanager
from fractions import Fraction

import mpmath
from mpmath import iv
from mpmath.libmp import from_man_exp

from ..tensor import Tensor
from . import checks, sce_common
from .core import DomainError, Evaluation, OracleError, Out, X, hi, is_point, lo, special_sum, summation_allowance, upper
from .grads import softmax_cross_entropy_grad
from .logit_losses import softmax_cross_entropy
from .row import Row
from .sce_common import large_model_options

WRT = ("hidden", "linear_weight", "linear_bias")
_LINEAR_ONLY = ("hidden", "linear_weight", "linear_bias", "wrt", "grad_output")


# ---------------------------------------------------------------- checks (errorPrecedence order)

def _check(inputs, params, gradient: bool) -> tuple[Tensor, Tensor, Tensor, Tensor | None]:
    hidden, weight_matrix, target = inputs["hidden"], inputs["linear_weight"], inputs["target"]
    bias = params["linear_bias"]
    checks.float_param(params, "label_smoothing", 0.0, 1.0)
    mode = checks.enum(params, "label_smoothing_mode", ("uniform", "off_target"))
    reduction = checks.enum(params, "reduction", checks.REDUCTIONS)
    large_model_options(params)
    wrt = checks.enum(params, "wrt", WRT) if gradient else None
    checks.rank(hidden, "hidden", 2, 2)
    checks.rank(weight_matrix, "linear_weight", 2, 2)
    checks.rank(target, "target", 1, 1)
    n, h = hidden.shape
    classes = weight_matrix.shape[0]
    if classes == 0:
        raise DomainError("invalid_shape", "linear_weight must have at least one row (C = 0)")
    if weight_matrix.shape[1] != h:
        raise DomainError("shape_mismatch", f"linear_weight has H = {weight_matrix.shape[1]} but hidden has H = {h}")
    if target.shape != (n,):
        raise DomainError("shape_mismatch", f"target has shape {list(target.shape)}, expected [{n}]")
    checks.weight_shape(bias, "linear_bias", [(classes,)])
    checks.weight_shape(params["weight"], "weight", [(classes,)])
    if gradient:
        grad_output = params.get("grad_output")
        want = (n,) if reduction == "none" else ()
        checks.weight_shape(grad_output, "grad_output", [want])
        if wrt == "linear_bias" and bias is None:
            raise DomainError("invalid_argument", "wrt linear_bias needs a linear_bias (it is null)")
    checks.weight_values(params["weight"], "weight")
    if mode == "off_target" and classes == 1 and params["label_smoothing"] > 0:
        raise DomainError("invalid_argument", "off_target label smoothing needs C >= 2 when label_smoothing > 0")
    checks.class_targets(target, classes, params["ignore_index"])
    return hidden, weight_matrix, target, bias


# ---------------------------------------------------------------- exact logits

def _ieee_product(a: float, b: float) -> Fraction | float:
    """a * b exactly, or the IEEE special value (NaN for a NaN factor or 0 * inf)."""
    if math.isnan(a) or math.isnan(b):
        return math.nan
    if math.isinf(a) or math.isinf(b):
        return math.nan if a == 0 or b == 0 else math.copysign(math.inf, a) * math.copysign(1.0, b)
    return Fraction(a) * Fraction(b)


def _exact_sum(terms) -> Fraction | float:
    """The exact sum, with IEEE rules for the special terms (NaN, or +inf with -inf, is NaN)."""
    finite, signs = Fraction(0), set()
    for t in terms:
        if isinstance(t, float):
            if math.isnan(t):
                return math.nan
            signs.add(t > 0)
        else:
            finite += t
    if len(signs) == 2:
        return math.nan
    if signs:
        return math.inf if True in signs else -math.inf
    return finite


def _exact_mpf(x: Fraction) -> mpmath.mpf:
    """A dyadic Fraction as an mpf holding it exactly (never rounded to the working precision)."""
    exponent = x.denominator.bit_length() - 1  # the denominator of a sum of float products is a power of 2
    return mpmath.mp.make_mpf(from_man_exp(x.numerator, -exponent))


class _Logits:
    """z[n, c] exact (mpf or a special float; a fresh object per element), kappa(z) and the summation
    allowance sqrt(H) * sum_k |h_k w_ck| per logit; ignored rows are not read (D2) and hold zeros."""

    def __init__(self, hidden: Tensor, weight_matrix: Tensor, bias: Tensor | None, target: Tensor, ignore_index):
        n, h = hidden.shape
        classes = weight_matrix.shape[0]
        self.data, self.cond, self.allowance, self.row_of = [], [], [], {}
        root_h = mpmath.sqrt(h)
        for row in range(n):
            kept = target.data[row] != ignore_index
            for c in range(classes):
                products = ([_ieee_product(hidden.data[row * h + k], weight_matrix.data[c * h + k]) for k in range(h)]
                            if kept else [])
                b = bias.data[c] if bias is not None and kept else 0.0
                z = _exact_sum(products + [Fraction(b) if math.isfinite(b) else b])
                value = z * 1.0 if isinstance(z, float) else _exact_mpf(z)  # a new object: rows are found by id
                if c == 0:
                    self.row_of[id(value)] = row
                self.data.append(value)
                finite = not isinstance(z, float)
                size = sum((abs(p) for p in products), Fraction(0)) if finite else Fraction(0)
                self.cond.append(_exact_mpf(size + abs(Fraction(b))) if finite else mpmath.mpf(0))
                self.allowance.append(root_h * _exact_mpf(size) if finite else mpmath.mpf(0))
        self.tensor = Tensor(hidden.dtype, (n, classes), tuple(self.data))
        self.classes = classes


class _LinearRow(Row):
    """A Row whose logits are weighted by `weights[c]` (kappa(z_c), or the allowance) instead of |z_c|,
    times the transform's slope dx''/dx (issue 17's logit_scale and softcap)."""

    def __init__(self, xs, *args, weights, **kwargs):
        self.weights = weights
        super().__init__(xs, *args, **kwargs)

    def _abs_x(self, i: int):
        weight = iv.mpf(self.weights[i])
        if self.transform is None:
            return weight
        return weight * abs(self.transform.slope(self.raw[i]))


@contextmanager
def _rows_weighted_by(logits: _Logits, weights: list):
    """The softmax cross-entropy kernels build their rows with _LinearRow while this is active (the name
    `Row` in sce_common is looked up at each call); a row is found by its first logit object."""
    classes = logits.classes

    def factory(xs, *args, **kwargs):
        start = logits.row_of[id(xs[0])] * classes
        return _LinearRow(xs, *args, weights=weights[start:start + classes], **kwargs)

    saved = sce_common.Row
    sce_common.Row = factory
    try:
        yield
    finally:
        sce_common.Row = saved


def _logit_problem(inputs, params, gradient: bool):
    hidden, weight_matrix, target, bias = _check(inputs, params, gradient)
    logits = _Logits(hidden, weight_matrix, bias, target, params["ignore_index"])
    sce_params = {k: v for k, v in params.items() if k not in _LINEAR_ONLY}
    if gradient:
        sce_params["grad_output"] = None  # applied here, after the chain rule's per-position factors
    return logits, {"logits": logits.tensor, "target": target}, sce_params


def _with_allowance(kernel, logits: _Logits, sce_inputs, sce_params) -> Evaluation:
    """kernel's outputs on the exact logits with kappa wrt the linear inputs, and nu plus the logits'
    summation allowance propagated like kappa (the kappa of a second pass weighted by the allowance)."""
    with _rows_weighted_by(logits, logits.cond):
        main = kernel(sce_inputs, sce_params)
    with _rows_weighted_by(logits, logits.allowance):
        spread = kernel(sce_inputs, sce_params)
    outs = [Out(o.value, o.kappa, mpmath.mpf(o.nu) + upper(s.kappa), o.limit) for o, s in zip(main.outputs, spread.outputs)]
    return Evaluation(main.shape, outs)


def linear_cross_entropy(inputs, params) -> Evaluation:
    logits, sce_inputs, sce_params = _logit_problem(inputs, params, gradient=False)
    return _with_allowance(softmax_cross_entropy, logits, sce_inputs, sce_params)


# ---------------------------------------------------------------- gradient

def _product(g: Out, x: float) -> Out:
    """g * x with IEEE rules for the special values; kappa |x| kappa(g) + |g x| (x is perturbable data)."""
    if not isinstance(g.value, float) and math.isfinite(x):
        value = g.value * X(x)
        return Out(value, upper(g.kappa) * abs(x) + upper(value), mpmath.mpf(g.nu) * abs(x), g.limit)
    return Out(_special_product(g.value, x), limit=g.limit)


def _special_product(g, x: float) -> float:
    """IEEE g * x where g is a special float or x is not finite (0 * inf is NaN)."""
    if isinstance(g, float):
        return g * x
    if math.isnan(x) or is_point(g, 0):
        return math.nan
    if lo(g) > 0 or hi(g) < 0:
        return math.copysign(math.inf, x) * (1.0 if lo(g) > 0 else -1.0)
    raise OracleError("the sign of a gradient multiplied by an infinity is undecided")


def _dot(terms: list[Out]) -> Out:
    """The exact sum of chained terms with the summation allowance of the sum itself."""
    value = special_sum([t.value for t in terms])
    kappa = sum((upper(t.kappa) for t in terms), start=mpmath.mpf(0))
    nu = sum((mpmath.mpf(t.nu) for t in terms), start=mpmath.mpf(0)) + summation_allowance([t.value for t in terms])
    return Out(value, kappa, nu, any(t.limit for t in terms))


def _zero_denominator(target: Tensor, weight: Tensor | None, ignore_index) -> bool:
    kept = [y for y in target.data if y != ignore_index]
    return all(weight.data[y] == 0 for y in kept) if weight is not None else not kept


def linear_cross_entropy_grad(inputs, params) -> Evaluation:
    logits, sce_inputs, sce_params = _logit_problem(inputs, params, gradient=True)
    hidden, weight_matrix, target = inputs["hidden"], inputs["linear_weight"], inputs["target"]
    n, h = hidden.shape
    classes, wrt = logits.classes, params["wrt"]
    shape = {"hidden": (n, h), "linear_weight": (classes, h), "linear_bias": (classes,)}[wrt]
    if (params["reduction"] == "mean" and params.get("empty_mean", "nan") == "nan"
            and _zero_denominator(target, params["weight"], params["ignore_index"])):
        return Evaluation(shape, [Out(math.nan) for _ in range(math.prod(shape))])  # D3, N = 0 included
    grads = _with_allowance(softmax_cross_entropy_grad, logits, sce_inputs, sce_params).outputs
    kept = [target.data[row] != params["ignore_index"] for row in range(n)]
    upstream = params.get("grad_output")
    if upstream is not None:
        factors = upstream.data if params["reduction"] == "none" else upstream.data * n
        grads = [_product(grads[row * classes + c], factors[row]) if kept[row] else grads[row * classes + c]
                 for row in range(n) for c in range(classes)]
    rows = [row for row in range(n) if kept[row]]
    if wrt == "hidden":
        outs = [_dot([_product(grads[row * classes + c], weight_matrix.data[c * h + k]) for c in range(classes)])
                if kept[row] else Out(0.0) for row in range(n) for k in range(h)]
    elif wrt == "linear_weight":
        outs = [_dot([_product(grads[row * classes + c], hidden.data[row * h + k]) for row in rows])
                for c in range(classes) for k in range(h)]
    else:
        outs = [_dot([grads[row * classes + c] for row in rows]) for c in range(classes)]
    return Evaluation(shape, outs)
