"""Vector-Jacobian products (issue 17, specVersion 4): the upstream gradient `grad_output` of the gradient
kernels, and the kernels softmax_grad, log_softmax_grad, focal_loss_grad and binary_cross_entropy_grad.

grad_output v is perturbable data: an output y = v * G gains kappa |v| kappa(G) + |y| (v's own relative
perturbation) and nu |v| nu(G). Products are IEEE products of exact values (0 * inf and NaN * 0 are NaN).
"""
from __future__ import annotations

import math
from fractions import Fraction

import mpmath
from mpmath import iv

from ..tensor import Tensor
from . import checks
from .core import DomainError, Evaluation, OracleError, Out, X, hi, is_point, iv_sum, lo, special_sum, upper
from .row import Row

UPSTREAM = "grad_output"
#: Rows up to this length get the exact x-part of softmax_grad's kappa (O(n^2)); longer rows a bound.
EXACT_KAPPA_ROW = 128


# ---------------------------------------------------------------- the upstream gradient of a loss

def loss_output_shape(reduction: str, positions: tuple[int, ...]) -> tuple[int, ...]:
    """The shape of a loss's output: its positions for reduction none, a scalar for sum and mean."""
    return tuple(positions) if reduction == "none" else ()


def upstream(params: dict, shape: tuple[int, ...]) -> Tensor | None:
    """grad_output, checked against the loss output's shape (step 3 of errorPrecedence); None when null."""
    v = params.get(UPSTREAM)
    if v is not None and tuple(v.shape) != tuple(shape):
        raise DomainError("shape_mismatch", f"grad_output has shape {list(v.shape)}, expected the loss output's {list(shape)}")
    return v


def _sign(value) -> int:
    """The sign of a non-zero exact float or of an enclosure that excludes 0."""
    if isinstance(value, float):
        return 1 if value > 0 else -1
    if lo(value) > 0:
        return 1
    if hi(value) < 0:
        return -1
    raise OracleError("the sign of a gradient times an infinite grad_output is undecided")


def times(out: Out, v: float) -> Out:
    """v * out as an IEEE product of exact values; v is perturbable (kappa gains |v * value|)."""
    value = out.value
    if not isinstance(value, float) and is_point(value, 0):  # an exact zero held as an enclosure
        value = 0.0
    if math.isnan(v) or (isinstance(value, float) and math.isnan(value)):
        return Out(math.nan)
    scale = abs(mpmath.mpf(v)) if math.isfinite(v) else None
    if isinstance(value, float) and value == 0.0:  # an exact 0 keeps its condition, scaled by |v|
        return Out(math.nan) if scale is None else Out(0.0, upper(out.kappa) * scale, mpmath.mpf(out.nu) * scale, out.limit)
    if isinstance(value, float) and math.isinf(value):
        return Out(math.nan) if v == 0 else Out(math.copysign(math.inf, value * v), limit=out.limit)
    if math.isinf(v):  # NaN acceptable (LimitValue): autodiff composes the chain, -inf + p inf = NaN inside it
        return Out(math.copysign(math.inf, v * _sign(value)), limit=True)
    if v == 0:  # perturbing v moves the product by |value| per unit of relative change
        return Out(0.0, upper(value), 0, out.limit)
    exact = X(value) if isinstance(value, float) else value
    product = exact * X(v)
    return Out(product, upper(out.kappa) * scale + upper(product), mpmath.mpf(out.nu) * scale, out.limit,
               exp_mass=upper(out.exp_mass) * scale if out.exp_mass else 0, exp_arg=out.exp_arg)


def apply_upstream(outs: list[Out], v: Tensor | None, position_of, skip=lambda i: False) -> list[Out]:
    """Each output i times v[position_of(i)] (v of shape [] for sum and mean: position_of gives 0);
    outputs with skip(i) (ignored positions) stay as they are without reading v."""
    if v is None:
        return outs
    return [o if skip(i) else times(o, v.data[position_of(i)]) for i, o in enumerate(outs)]


# ---------------------------------------------------------------- softmax_grad and log_softmax_grad

def _rows(inputs, params):
    """x, v, and every slice along the axis. Checks: ranks (step 2), shapes (3), the axis (4)."""
    x, v = inputs["x"], inputs[UPSTREAM]
    checks.rank(x, "x", 1, checks.MAX_RANK)
    checks.rank(v, UPSTREAM, 1, checks.MAX_RANK)
    axis = params.get("axis", -1)
    if -len(x.shape) <= axis < len(x.shape) and x.shape[axis % len(x.shape)] == 0:
        raise DomainError("invalid_shape", f"x must not be empty along axis {axis} (shape {list(x.shape)})")
    checks.same_shape(v, x, UPSTREAM, "x")
    axis = checks.axis(axis, len(x.shape), "x")
    n, inner = x.shape[axis], math.prod(x.shape[axis + 1:])
    outer = math.prod(x.shape[:axis])
    return x, v, [[(o * n + i) * inner + r for i in range(n)] for o in range(outer) for r in range(inner)]


def _exact_g(row: Row) -> list | None:
    """softmax as exact Fractions when it is rational: a single +inf (onehot), or all live logits equal
    (1/m on the m live entries); None otherwise (distinct live logits: g is transcendental)."""
    if row.kind == "posinf":
        return [Fraction(int(j == row.k)) for j in range(row.n)]
    if any(not (hi(d) == 0 and lo(d) == 0) for d in row.d.values()):
        return None
    m = len(row.live)
    return [Fraction(1, m) if row.live_mask(j) else Fraction(0) for j in range(row.n)]


def _fraction_out(value: Fraction, limit: bool = False) -> Out:
    if value == 0:
        return Out(0.0, limit=limit)
    return Out(iv.mpf(value.numerator) / value.denominator, 0, 0, limit)


def _ieee_product(g: Fraction | object, value):
    """g * value for an exact g (Fraction or enclosure) and a float special or enclosure (IEEE rules)."""
    is_zero = g == 0 if isinstance(g, Fraction) else False
    if isinstance(value, float):
        if math.isnan(value) or (math.isinf(value) and is_zero):
            return math.nan
        if math.isinf(value):
            return value
        value = X(value)
    if is_zero:
        return 0.0
    return (iv.mpf(g.numerator) / g.denominator if isinstance(g, Fraction) else g) * value


def _g_of(row: Row, exact, j):
    if exact is not None:
        return exact[j]
    return row.g(j) if row.live_mask(j) else Fraction(0)


def _special_out(value, limit: bool) -> Out:
    if isinstance(value, float):
        return Out(value, limit=limit)
    return Out(value, 0, 0, limit)


def _softmax_grad_special(row: Row, vs: list[float], exact) -> list[Out]:
    """The IEEE evaluation of g_j (v_j - s), s = sum g_i v_i, on exact g (non-finite v or a +inf row)."""
    limit = row.kind == "posinf"
    s = special_sum([_ieee_product(_g_of(row, exact, i), vs[i]) for i in range(row.n)])
    outs = []
    for j in range(row.n):
        vj = vs[j]
        if isinstance(s, float) or math.isinf(vj) or math.isnan(vj):
            diff = vj - s if isinstance(s, float) else (vj if not math.isnan(vj) else math.nan)
        else:
            diff = X(vj) - s
        outs.append(_special_out(_ieee_product(_g_of(row, exact, j), diff), limit))
    return outs


def _softmax_grad_finite(row: Row, vs: list[float], exact) -> list[Out]:
    """g_j (v_j - s) with finite v on a finite row: v_j - s = t_j - sum_i g_i t_i, t_i = v_i - r."""
    live = row.live
    r = vs[live[0]]
    rational = None
    if exact is not None:  # rational g (equal live logits): the value is an exact rational
        fr = [Fraction(v) - Fraction(r) for v in vs]
        s_exact = sum((exact[i] * fr[i] for i in live), Fraction(0))
        rational = [exact[j] * (fr[j] - s_exact) for j in range(row.n)]
    groups = _groups(row, vs)
    t = {i: X(vs[i]) - X(r) for i in live}
    g = {i: row.g(i) for i in live}
    s_dev = iv_sum(g[i] * t[i] for i in live)
    dev = {i: t[i] - s_dev for i in live}
    gv = [upper(g[i]) * abs(mpmath.mpf(vs[i])) for i in live]
    weighted_v = sum(gv, start=mpmath.mpf(0))
    nu_scale = row.nu_logits()
    outs = []
    for j in range(row.n):
        if not row.live_mask(j):
            outs.append(Out(0.0))
            continue
        gj, dj = upper(g[j]), upper(dev[j])
        kappa_v = gj * (abs(mpmath.mpf(vs[j])) * upper(1 - g[j]) + weighted_v - gj * abs(mpmath.mpf(vs[j])))
        kappa = kappa_v + _softmax_grad_kappa_x(row, g, dev, j)
        nu = gj * nu_scale * (weighted_v + dj)
        if (rational is not None and rational[j] == 0) or _softmax_grad_is_zero(groups, vs[j]):
            value = 0.0  # exactly (its kappa is not 0: perturbing v or x moves it)
        else:
            value = g[j] * dev[j] if rational is None else _fraction_out(rational[j]).value
        outs.append(Out(value, kappa, nu))
    return outs


def _groups(row: Row, vs: list[float]) -> list[tuple[int, Fraction]]:
    """(count, sum of v) over each group of equal live logits."""
    groups: dict[float, tuple[int, Fraction]] = {}
    for i in row.live:
        m, total = groups.get(row.xs[i], (0, Fraction(0)))
        groups[row.xs[i]] = (m + 1, total + Fraction(vs[i]))
    return list(groups.values())


def _softmax_grad_is_zero(groups: list[tuple[int, Fraction]], vj: float) -> bool:
    """sum_i g_i (v_j - v_i) = 0 exactly: the e^d of distinct rational d are linearly independent over
    the rationals (Lindemann-Weierstrass), so v_j must be the mean of v over every group of equal logits."""
    return all(m * Fraction(vj) == total for m, total in groups)


def _softmax_grad_kappa_x(row: Row, g: dict, dev: dict, j: int) -> mpmath.mpf:
    """sum_i |x_i| |d out_j / d x_i|: g_j g_i |dev_i + dev_j| for i != j, g_j |1 - 2 g_j| |dev_j| at j
    (exact for rows up to EXACT_KAPPA_ROW live entries, else the triangle bound with |dev_i| + |dev_j|)."""
    gj, dj = upper(g[j]), upper(dev[j])
    own = mpmath.mpf(abs(row.xs[j])) * gj * upper(1 - 2 * g[j]) * dj
    exact = len(row.live) <= EXACT_KAPPA_ROW
    total = own
    for i in row.live:
        if i == j:
            continue
        spread = upper(dev[i] + dev[j]) if exact else upper(dev[i]) + dj
        total += mpmath.mpf(abs(row.xs[i])) * gj * upper(g[i]) * spread
    return total


def _softmax_grad_row(row: Row, vs: list[float]) -> list[Out]:
    if row.kind in ("nan", "multi_posinf", "all_neginf"):
        return [Out(math.nan) for _ in range(row.n)]
    exact = _exact_g(row)
    if row.kind == "posinf" or not all(math.isfinite(v) for v in vs):
        return _softmax_grad_special(row, vs, exact)
    return _softmax_grad_finite(row, vs, exact)


def _log_softmax_grad_special(row: Row, vs: list[float], exact) -> list[Out]:
    """v_j - g_j S with IEEE rules on exact g (non-finite v or a +inf row)."""
    limit = row.kind == "posinf"
    total = special_sum([float(v) for v in vs])
    outs = []
    for j in range(row.n):
        prod = _ieee_product(_g_of(row, exact, j), total)
        vj = vs[j]
        if isinstance(prod, float):
            value = vj - prod
        elif math.isinf(vj) or math.isnan(vj):
            value = vj
        else:
            value = X(vj) - prod
        outs.append(_special_out(value, limit))
    return outs


def _log_softmax_grad_finite(row: Row, vs: list[float], exact) -> list[Out]:
    total = sum((Fraction(v) for v in vs), Fraction(0))
    rational = None if exact is None else [Fraction(vs[j]) - exact[j] * total for j in range(row.n)]
    S = iv.mpf(total.numerator) / total.denominator
    abs_sum = sum((abs(mpmath.mpf(v)) for v in vs), start=mpmath.mpf(0))
    sqrt_n = mpmath.sqrt(row.n)
    nu_scale = row.nu_logits()
    outs = []
    for j in range(row.n):
        vj = abs(mpmath.mpf(vs[j]))
        if not row.live_mask(j) or total == 0:  # g_j = 0, or S = 0: out_j = v_j exactly
            outs.append(Out(vs[j], vj, 0) if vs[j] != 0 else Out(0.0))
            continue
        gj = upper(row.g(j))
        kappa = vj * upper(1 - row.g(j)) + gj * (abs_sum - vj) + upper(S) * upper(row.kappa_softmax(j))
        nu = gj * (sqrt_n * abs_sum + upper(S) * nu_scale)
        if rational is not None and rational[j] == 0:
            value = 0.0
        else:
            value = X(vs[j]) - row.g(j) * S if rational is None else _fraction_out(rational[j]).value
        outs.append(Out(value, kappa, nu))
    return outs


def _log_softmax_grad_row(row: Row, vs: list[float]) -> list[Out]:
    if row.kind in ("nan", "multi_posinf", "all_neginf"):
        return [Out(math.nan) for _ in range(row.n)]
    exact = _exact_g(row)
    if row.kind == "posinf" or not all(math.isfinite(v) for v in vs):
        return _log_softmax_grad_special(row, vs, exact)
    return _log_softmax_grad_finite(row, vs, exact)


def _along_axis(inputs, params, row_kernel) -> Evaluation:
    x, v, slices = _rows(inputs, params)
    outs: list[Out | None] = [None] * x.size
    for idx in slices:
        row = Row([x.data[i] for i in idx])
        for i, o in zip(idx, row_kernel(row, [v.data[i] for i in idx])):
            outs[i] = o
    return Evaluation(x.shape, outs)


def softmax_grad(inputs, params) -> Evaluation:
    return _along_axis(inputs, params, _softmax_grad_row)


def log_softmax_grad(inputs, params) -> Evaluation:
    return _along_axis(inputs, params, _log_softmax_grad_row)


# ---------------------------------------------------------------- focal_loss_grad

def _focal_factors(row: Row, y: int, gamma: float):
    """h = r^(gamma - 1) (r + gamma p nll) and h' = dh/dp (r = 1 - p, p = g_y, nll = -log p)."""
    p, r, nll = row.g(y), row.one_minus_g(y), row.neg_log_softmax(y)
    if gamma == 0:
        return iv.mpf(1), iv.mpf(0)
    G = X(gamma)
    integer = gamma == int(gamma)

    def power(k: int):  # r^(gamma - k), an integer power where gamma is an integer
        return r ** (int(gamma) - k) if integer else r ** (G - k)

    h = power(1) * (r + G * p * nll)
    dh = G * power(1) * (nll - 2) - G * (G - 1) * p * nll * power(2)
    return h, dh


def _focal_grad_row(row: Row, y: int, alpha_y: float, gamma: float) -> list[Out]:
    n = row.n
    if row.kind in ("nan", "multi_posinf", "all_neginf"):
        return [Out(math.nan) for _ in range(n)]
    if alpha_y == 0:  # D4: a zero coefficient, even where the loss is +inf
        return [Out(0.0, limit=row.kind == "posinf" or not row.live_mask(y)) for _ in range(n)]
    a = X(alpha_y)
    if row.kind == "posinf":
        if row.k == y:
            return [Out(0.0, limit=True) for _ in range(n)]
        return [Out(alpha_y * ((c == row.k) - (c == y)), limit=True) if c in (row.k, y) else Out(0.0, limit=True)
                for c in range(n)]
    if not row.live_mask(y):  # p = 0: the limit a (g_c - [c = y]); frameworks: inf * 0 = NaN
        peak = alpha_y * row.max_g() * mpmath.sqrt(n)
        return [Out(-alpha_y, limit=True) if c == y else
                Out(a * row.g(c), alpha_y * upper(row.kappa_softmax(c)), peak, limit=True) if row.live_mask(c) else
                Out(0.0, limit=True) for c in range(n)]
    if len(row.live) == 1:  # p = 1 exactly
        return [Out(0.0) for _ in range(n)]
    h, dh = _focal_factors(row, y, gamma)
    kappa_y = upper(row.kappa_softmax(y))
    sqrt_n, max_g, nu_logits = mpmath.sqrt(n), row.max_g(), row.nu_logits()
    outs = []
    for c in range(n):
        if not row.live_mask(c):
            outs.append(Out(0.0))
            continue
        delta = -row.one_minus_g(y) if c == y else row.g(c)  # g_c - [c = y] without cancellation
        value = a * h * delta
        kappa = alpha_y * (upper(h) * upper(row.kappa_softmax(c)) + upper(delta) * upper(dh) * kappa_y)
        nu = alpha_y * (upper(h) * sqrt_n * max_g + upper(delta) * upper(dh) * nu_logits)
        outs.append(Out(value, kappa, nu))
    return outs


def focal_loss_grad(inputs, params) -> Evaluation:
    logits, target, alpha, gamma, reduction, v = checks.focal_arguments(
        inputs, params, lambda n, reduction: upstream(params, loss_output_shape(reduction, (n,))))
    n, c = logits.shape
    coef = iv.mpf(1) / n if reduction == "mean" and n else iv.mpf(1)
    outs = []
    for i, y in enumerate(target.data):
        row = Row(list(logits.data[i * c:(i + 1) * c]))
        outs.extend(_scaled(o, coef) for o in _focal_grad_row(row, y, alpha.data[y] if alpha is not None else 1.0, gamma))
    outs = apply_upstream(outs, v, (lambda i: i // c) if reduction == "none" else (lambda i: 0))
    return Evaluation(logits.shape, outs)


def _scaled(out: Out, coef) -> Out:
    """out times the reduction's coefficient (1 or 1/N > 0)."""
    if isinstance(out.value, float):
        if out.value == 0.0 or not math.isfinite(out.value):
            return out
        return Out(X(out.value) * coef, 0, mpmath.mpf(out.nu) * upper(coef), out.limit)
    c = upper(coef)
    return Out(out.value * coef, upper(out.kappa) * c, mpmath.mpf(out.nu) * c, out.limit)


# ---------------------------------------------------------------- binary_cross_entropy_grad

def _bce_grad_element(y: float, p: float, eps: float) -> Out:
    """(1 - y) / (1 - p) - y / p = (p - y) / (p (1 - p)) inside [eps, 1 - eps] (bounds included), else 0."""
    if p < eps or Fraction(p) > 1 - Fraction(eps):
        return Out(0.0)
    if p == 0:
        return Out(-math.inf) if y > 0 else Out(1.0)
    if p == 1:
        return Out(math.inf) if y < 1 else Out(-1.0)
    P, Y = X(p), X(y)
    kappa = P * ((1 - Y) / ((1 - P) * (1 - P)) + Y / (P * P))
    if 0 < y < 1:
        kappa += Y * (1 / P + 1 / (1 - P))
    return Out(0.0 if p == y else (P - Y) / (P * (1 - P)), kappa, 1)


def binary_cross_entropy_grad(inputs, params) -> Evaluation:
    y, p, eps, reduction, v = checks.bce_arguments(
        inputs, params, lambda shape, reduction: upstream(params, loss_output_shape(reduction, shape)))
    coef = iv.mpf(1) / p.size if reduction == "mean" and p.size else iv.mpf(1)
    outs = [_scaled(_bce_grad_element(yv, pv, eps), coef) for yv, pv in zip(y.data, p.data)]
    outs = apply_upstream(outs, v, (lambda i: i) if reduction == "none" else (lambda i: 0))
    return Evaluation(p.shape, outs)
