"""The `exact` strings of the shipped vectors, recomputed independently of the oracle.

The oracle evaluates with interval arithmetic and Ziv's test; this file evaluates the spec's textbook
definitions with plain mpmath floats at 400 and at 800 bits, without any code from the oracle. An element
is compared when both runs agree (so the plain formula is not losing digits to cancellation at that
input) and then must agree with the vector's 40-digit `exact` string to 35 digits. It caught
binary_cross_entropy float64 tcId 13, whose exact string was computed with 1 - y rounded to float64.
"""
from __future__ import annotations

import json
import math
from collections import Counter
from functools import lru_cache

import mpmath
import pytest
from mpmath import mp, mpf

from xent_conformance.paths import vectors_dir

AGREE = mpf(10) ** -36      # two working precisions must agree this closely for a comparison
TOLERANCE = mpf(10) ** -35  # the exact string (40 digits) must match this closely
MAX_ELEMENTS = 1200         # the sample skips the long vectors (summation is exercised elsewhere)
FAMILY_STRIDE = 9           # and takes every 9th vector of the seeded random families
FAMILY_STRIDE_16 = 3        # every 3rd in float16/bfloat16 files (about half of each family, no option pairs)
ALWAYS_SAMPLED = ("where", "result", "grad_output")  # issue 17's parameters: their few hand cases, every one


class Skip(Exception):
    """An input this recomputation does not cover (non-finite values, limits)."""


def num(text):
    if text is None:
        return None
    value = float.fromhex(text) if text not in ("nan", "inf", "-inf") else float(text)
    if not math.isfinite(value):
        raise Skip
    return mpf(value)


def tensor(t):
    if t is None:
        return None, None
    if t["dtype"] == "bool":
        return tuple(t["shape"]), [bool(v) for v in t["data"]]
    data = [int(v) for v in t["data"]] if t["dtype"] == "int64" else [num(v) for v in t["data"]]
    return tuple(t["shape"]), data


def reduce_(values, reduction, denominator=None):
    if reduction == "none":
        return values
    total = mp.fsum(values)
    if reduction == "sum":
        return [total]
    denominator = len(values) if denominator is None else denominator
    if denominator == 0:
        raise Skip
    return [total / denominator]


# ---------------------------------------------------------------- textbook definitions from spec/xent.yaml

def shifted(xs):
    """d_i = x_i - max and log1p(s), s = sum over i != argmax of exp(d_i): never a sum formed near max
    and then taken apart again (at 400 bits, max + log 2 - max is 0 when max is 1e308)."""
    a = max(xs)
    k = xs.index(a)
    d = [x - a for x in xs]
    return d, mpmath.log1p(mp.fsum(mpmath.exp(v) for i, v in enumerate(d) if i != k))


def lse(xs):
    d, l1p = shifted(xs)
    return max(xs) + l1p


def log_softmax(xs):
    d, l1p = shifted(xs)
    return [v - l1p for v in d]


def softplus(z):
    return max(z, 0) + mpmath.log1p(mpmath.exp(-abs(z)))


def sigmoid(z):
    return 1 / (1 + mpmath.exp(-z))


def log_base(params):
    return mpmath.log(2) if params.get("base") == "2" else 1


def slices(i, p):
    """(flat indices, values) of every slice of x along the axis (issue 19), in row-major order of the
    other axes; a vector with axis -1 is one slice."""
    shape, xs = i["x"]
    axis = p.get("axis", -1) % len(shape)
    n, inner, outer = shape[axis], math.prod(shape[axis + 1:]), math.prod(shape[:axis])
    for o in range(outer):
        for r in range(inner):
            idx = [(o * n + k) * inner + r for k in range(n)]
            yield idx, [xs[j] for j in idx]


def along_axis(i, p, row_fn):
    out = [None] * len(i["x"][1])
    for idx, row in slices(i, p):
        for j, v in zip(idx, row_fn(row)):
            out[j] = v
    return out


def softmax_row(xs):
    d, l1p = shifted(xs)
    return [mpmath.exp(v) / mpmath.exp(l1p) for v in d]


def f_logsumexp(i, p):
    return [lse(row) for _, row in slices(i, p)]


def f_softmax(i, p):
    return along_axis(i, p, softmax_row)


def f_log_softmax(i, p):
    return along_axis(i, p, log_softmax)


def f_sigmoid(i, p):
    return [sigmoid(z) for z in i["z"][1]]


def f_log_sigmoid(i, p):
    return [-softplus(-z) for z in i["z"][1]]


def f_softplus(i, p):
    return [softplus(z) for z in i["z"][1]]


def f_entropy(i, p):
    return [-mp.fsum(v * mpmath.log(v) for v in i["p"][1] if v > 0) / log_base(p)]


def f_cross_entropy(i, p):
    ps, qs = i["p"][1], i["q"][1]
    eps = num(p["epsilon"])
    if eps > 0:
        total = mp.fsum(q + eps for q in qs)
        qs = [(q + eps) / total for q in qs]
    if any(q == 0 for pv, q in zip(ps, qs) if pv > 0):
        raise Skip
    return [-mp.fsum(pv * mpmath.log(q) for pv, q in zip(ps, qs) if pv > 0) / log_base(p)]


def f_kl_divergence(i, p):
    ps, qs = i["p"][1], i["q"][1]
    if any(q == 0 for pv, q in zip(ps, qs) if pv > 0):
        raise Skip
    return [mp.fsum(pv * mpmath.log(pv / q) for pv, q in zip(ps, qs) if pv > 0) / log_base(p)]


def f_nll_from_probs(i, p):
    (n, c), probs = i["probs"]
    eps = num(p["epsilon"])
    losses = []
    for row, y in enumerate(i["target"][1]):
        v = max(probs[row * c + y], eps)
        if v == 0:
            raise Skip
        losses.append(-mpmath.log(v))
    return reduce_(losses, p["reduction"])


def f_categorical_cross_entropy(i, p):
    (n, c), ts = i["t"]
    ps = i["p"][1]
    losses = []
    for row in range(n):
        pairs = [(ts[row * c + j], ps[row * c + j]) for j in range(c) if ts[row * c + j] > 0]
        if any(pv == 0 for _, pv in pairs):
            raise Skip
        losses.append(-mp.fsum(t * mpmath.log(pv) for t, pv in pairs))
    return reduce_(losses, p["reduction"])


def f_binary_cross_entropy(i, p):
    eps = num(p["epsilon"])
    losses = []
    for y, pv in zip(i["y"][1], i["p"][1]):
        clipped = min(max(pv, eps), 1 - eps)   # 1 - eps exact in mpmath
        terms = []
        if y > 0:
            if clipped == 0:
                raise Skip
            terms.append(y * mpmath.log(clipped))
        if y < 1:
            if clipped == 1:
                raise Skip
            terms.append((1 - y) * mpmath.log1p(-clipped))
        losses.append(-mp.fsum(terms))
    return reduce_(losses, p["reduction"])


def upstream(p, positions):
    """Issue 17: grad_output v per loss-output position (one per position for none, the scalar for sum
    and mean, repeated); absent or null: v = 1."""
    values = tensor(p.get("grad_output"))[1]
    if values is None:
        return [mpf(1)] * positions
    return values if p.get("reduction", "none") == "none" else values * positions


def mean_coef(p, count):
    return mpf(1) / count if p["reduction"] == "mean" and count else 1


def broadcast(t, shape):
    size = math.prod(shape)
    if t[0] is None:
        return [mpf(1)] * size
    return t[1] if t[0] == shape else [t[1][k % shape[-1]] for k in range(size)]


def f_binary_cross_entropy_with_logits(i, p):
    shape, zs = i["z"]
    w, pw = broadcast(tensor(p["weight"]), shape), broadcast(tensor(p["pos_weight"]), shape)
    losses = []
    for z, y, wv, pwv in zip(zs, i["y"][1], w, pw):
        terms = []
        if wv * pwv * y != 0:
            terms.append(wv * pwv * y * softplus(-z))
        if wv * (1 - y) != 0:
            terms.append(wv * (1 - y) * softplus(z))
        losses.append(mp.fsum(terms))
    return reduce_(losses, p["reduction"])


def f_binary_cross_entropy_with_logits_grad(i, p):
    shape, zs = i["z"]
    w, pw = broadcast(tensor(p["weight"]), shape), broadcast(tensor(p["pos_weight"]), shape)
    coef = mean_coef(p, len(zs))
    return [v * coef * wv * ((1 - y) * sigmoid(z) - pwv * y * sigmoid(-z))
            for z, y, wv, pwv, v in zip(zs, i["y"][1], w, pw, upstream(p, len(zs)))]


def f_sigmoid_mse_grad(i, p):
    zs, ys = i["z"][1], i["y"][1]
    return [v * (sigmoid(z) - y) * sigmoid(z) * sigmoid(-z) for z, y, v in zip(zs, ys, upstream(p, len(zs)))]


def paired_slices(i, p):
    """(flat indices, x row, grad_output row) along the axis."""
    vs = i["grad_output"][1]
    for idx, row in slices(i, p):
        yield idx, row, [vs[j] for j in idx]


def f_softmax_grad(i, p):
    """Issue 17: g_j (v_j - sum_i g_i v_i), g = softmax(x)."""
    out = [None] * len(i["x"][1])
    for idx, row, vs in paired_slices(i, p):
        g = softmax_row(row)
        s = mp.fsum(gi * vi for gi, vi in zip(g, vs))
        for j, gj, vj in zip(idx, g, vs):
            out[j] = gj * (vj - s)
    return out


def f_log_softmax_grad(i, p):
    """Issue 17: v_j - g_j sum_i v_i."""
    out = [None] * len(i["x"][1])
    for idx, row, vs in paired_slices(i, p):
        total = mp.fsum(vs)
        for j, gj, vj in zip(idx, softmax_row(row), vs):
            out[j] = vj - gj * total
    return out


def focal_factor(r, p_t, nll, gamma):
    """r^(gamma - 1) (r + gamma p nll); p = 1 exactly: 0 (the limit)."""
    if gamma == 0:
        return mpf(1)
    if r == 0:
        return mpf(0)
    return r ** (gamma - 1) * (r + gamma * p_t * nll)


def f_focal_loss_grad(i, p):
    """Issue 17: a r^(gamma - 1) (r + gamma p nll) (g_c - [c = y]) per row, times 1/N for mean and v."""
    (n, c), xs = i["logits"]
    gamma, alpha = num(p["gamma"]), tensor(p["alpha"])[1]
    coef, out = mean_coef(p, n), []
    for row, (y, v) in enumerate(zip(i["target"][1], upstream(p, n))):
        logits = xs[row * c:(row + 1) * c]
        nll = -log_softmax(logits)[y]
        p_t, r = mpmath.exp(-nll), -mpmath.expm1(-nll)
        factor = v * coef * (alpha[y] if alpha else 1) * focal_factor(r, p_t, nll, gamma)
        out += [factor * (g - (k == y)) for k, g in enumerate(softmax_row(logits))]
    return out


def bce_grad_term(y, pv, eps):
    """(1 - y) / (1 - p) - y / p inside the closed clip, 0 strictly outside; zero coefficients drop."""
    if pv < eps or pv > 1 - eps:
        return mpf(0)
    if (y > 0 and pv == 0) or (y < 1 and pv == 1):
        raise Skip  # +-inf
    return (mpf(0) if y == 1 else (1 - y) / (1 - pv)) - (mpf(0) if y == 0 else y / pv)


def f_binary_cross_entropy_grad(i, p):
    ps, eps = i["p"][1], num(p["epsilon"])
    coef = mean_coef(p, len(ps))
    return [v * coef * bce_grad_term(y, pv, eps) for y, pv, v in zip(i["y"][1], ps, upstream(p, len(ps)))]


def f_focal_loss(i, p):
    (n, c), xs = i["logits"]
    gamma = num(p["gamma"])
    alpha = tensor(p["alpha"])[1]
    losses = []
    for row, y in enumerate(i["target"][1]):
        logits = xs[row * c:(row + 1) * c]
        nll = -log_softmax(logits)[y]
        rest = -mpmath.expm1(-nll)
        a = alpha[y] if alpha else 1
        losses.append(a * (rest ** gamma if gamma != 0 else 1) * nll)
    return reduce_(losses, p["reduction"])


def f_sigmoid_focal_loss(i, p):
    gamma = num(p["gamma"])
    alpha = num(p["alpha"])
    losses = []
    for z, y in zip(i["z"][1], i["y"][1]):
        ce = y * softplus(-z) + (1 - y) * softplus(z)
        rest = y * sigmoid(-z) + (1 - y) * sigmoid(z)
        factor = 1 if alpha is None else alpha * y + (1 - alpha) * (1 - y)
        losses.append(factor * ce * (rest ** gamma if gamma != 0 else 1))
    return reduce_(losses, p["reduction"])


def class_mask(p, shape):
    """Issue 17: where as a flat mask of the logits' shape ([C] broadcast over the positions)."""
    wshape, mask = tensor(p.get("where"))
    size = math.prod(shape)
    if mask is None:
        return [True] * size
    if list(wshape) == list(shape):
        return mask
    plane = math.prod(shape[2:])
    return [mask[(k // plane) % shape[1]] for k in range(size)]


def sce_positions(i, p):
    """(logits row, target masses m_c = w_c q_c, included classes) per position in row-major order,
    None for an ignored one; the included classes' rows only (issue 17's where); the mean's denominator."""
    shape, xs = i["logits"]
    tshape, ts = i["target"]
    c, plane = shape[1], math.prod(shape[2:])
    eps = num(p["label_smoothing"])
    off = p["label_smoothing_mode"] == "off_target"
    w = tensor(p["weight"])[1] or [mpf(1)] * c
    index, mask = i["target_is_index"], class_mask(p, shape)
    positions, denominator = [], mpf(0)
    for n in range(shape[0]):
        for r in range(plane):
            kept = [k for k in range(c) if mask[(n * c + k) * plane + r]]
            row = [capped(xs[(n * c + k) * plane + r], p) for k in kept]
            if index:
                y = ts[n * plane + r]
                if y == p.get("ignore_index", -100):
                    positions.append(None)
                    continue
                t = [mpf(int(k == y)) for k in range(c)]
                denominator += w[y]
            else:
                t = [ts[(n * c + k) * plane + r] for k in range(c)]
            if off:
                q = [(1 - eps) * tk + (eps / (c - 1) * (1 - tk) if c > 1 else 0) for tk in t]
            else:
                q = [(1 - eps) * tk + eps / c for tk in t]
            positions.append((row, [w[k] * q[k] for k in kept], kept))
    if not index:
        denominator = len(positions)
    return shape, positions, denominator


def capped(x, p):
    """Issue 17: x'' = c tanh(s x / c) with softcap c, s x without (the parameters absent: x)."""
    scale = num(p.get("logit_scale", "0x1p+0"))
    cap = num(p.get("softcap"))
    return scale * x if cap is None else cap * mpmath.tanh(scale * x / cap)


def capped_slope(x, p):
    """dx''/dx = s / cosh^2(s x / c), s without a cap."""
    scale = num(p.get("logit_scale", "0x1p+0"))
    cap = num(p.get("softcap"))
    return scale if cap is None else scale / mpmath.cosh(scale * x / cap) ** 2


def z_of(p):
    return num(p.get("z_loss", "0x0p+0"))


def mean_part(total, denominator, p):
    """One quotient of the mean: empty_mean zero gives 0 for a zero denominator (issue 17)."""
    if denominator == 0:
        if p.get("empty_mean", "nan") == "zero":
            return mpf(0)
        raise Skip
    return total / denominator


def position_lses(i, p):
    """result lse (issue 17): lse of the included scaled, capped logits at every position, ignored ones
    too; no included class is -inf (not compared)."""
    shape, xs = i["logits"]
    c, plane, mask = shape[1], math.prod(shape[2:]), class_mask(p, shape)
    out = []
    for n in range(shape[0]):
        for r in range(plane):
            row = [capped(xs[(n * c + k) * plane + r], p) for k in range(c) if mask[(n * c + k) * plane + r]]
            out.append(lse(row) if row else mpf(0))
    return out


def sce_terms(positions, z):
    """Per position: its cross-entropy and its z-loss term (0 ignored or with no included class)."""
    losses, z_terms = [], []
    for pos in positions:
        if pos is None or not pos[0]:
            losses.append(mpf(0))
            z_terms.append(mpf(0))
            continue
        row, m, _ = pos
        lp = log_softmax(row)
        losses.append(-mp.fsum(mk * v for mk, v in zip(m, lp) if mk != 0))
        z_terms.append(z * lse(row) ** 2)
    return losses, z_terms


def f_softmax_cross_entropy(i, p):
    if p.get("result", "loss") == "lse":
        return position_lses(i, p)
    _, positions, denominator = sce_positions(i, p)
    z = z_of(p)
    losses, z_terms = sce_terms(positions, z)
    kept = sum(1 for pos in positions if pos is not None)
    if p.get("result", "loss") == "z_loss":
        if p["reduction"] == "mean":
            return [mean_part(mp.fsum(z_terms), kept, p) if z else mpf(0)]
        return reduce_(z_terms, p["reduction"])
    if p["reduction"] == "mean":
        return [mean_part(mp.fsum(losses), denominator, p) + (mean_part(mp.fsum(z_terms), kept, p) if z else 0)]
    return reduce_([a + b for a, b in zip(losses, z_terms)], p["reduction"], denominator)


def f_softmax_cross_entropy_grad(i, p):
    shape, positions, denominator = sce_positions(i, p)
    c, plane = shape[1], math.prod(shape[2:])
    kept, z, xs = sum(1 for pos in positions if pos is not None), z_of(p), i["logits"][1]
    coef, z_coef = mpf(1), mpf(1)
    if p["reduction"] == "mean":
        if denominator == 0 and p.get("empty_mean", "nan") == "nan":
            raise Skip
        coef = mean_part(mpf(1), denominator, p)
        z_coef = mean_part(mpf(1), kept, p)
    out = [mpf(0)] * math.prod(shape)
    for idx, (pos, v) in enumerate(zip(positions, upstream(p, len(positions)))):
        if pos is None or not pos[0]:
            continue
        n, r = divmod(idx, plane)
        row, m, kept_classes = pos
        lp, total, row_lse = log_softmax(row), mp.fsum(m), lse(row)
        for j, k in enumerate(kept_classes):
            at = (n * c + k) * plane + r
            g = mpmath.exp(lp[j])
            grad = coef * (g * total - m[j]) + z_coef * 2 * z * row_lse * g
            out[at] = v * grad * capped_slope(xs[at], p)
    return out


def f_nll_loss(i, p):
    """-w_y input[n, y, d..] per non-ignored position (issue 19); mean over the target weights."""
    shape, xs = i["input"]
    c, plane = (shape[1], math.prod(shape[2:])) if len(shape) >= 2 else (shape[0], 1)
    w = tensor(p["weight"])[1] or [mpf(1)] * c
    losses, denominator = [], mpf(0)
    for pos, y in enumerate(i["target"][1]):
        if y == p["ignore_index"]:
            losses.append(mpf(0))
            continue
        n, r = divmod(pos, plane)
        losses.append(-w[y] * xs[(n * c + y) * plane + r])
        denominator += w[y]
    return reduce_(losses, p["reduction"], denominator)


def f_kl_div(i, p):
    """xlogy(t, t) - t x, or exp(t) (t - x) with log_target (issue 19); batchmean divides by N."""
    shape, xs = i["input"]
    ts = i["target"][1]
    if p["log_target"]:
        terms = [mpmath.exp(t) * (t - x) for x, t in zip(xs, ts)]
    else:
        if any(t < 0 for t in ts):
            raise Skip
        terms = [t * (mpmath.log(t) - x) if t > 0 else mpf(0) for x, t in zip(xs, ts)]
    if p["reduction"] != "batchmean":
        return reduce_(terms, p["reduction"])
    return reduce_(terms, "sum" if not shape else "mean", shape[0] if shape else None)


def linear_logits(i, p):
    """Issue 18: z = hidden @ linear_weight^T + linear_bias summed at the working precision (exact for
    these few terms), as softmax_cross_entropy's inputs and parameters."""
    (n, h), hs = i["hidden"]
    c, ws = i["linear_weight"][0][0], i["linear_weight"][1]
    bias = tensor(p["linear_bias"])[1] or [mpf(0)] * c
    zs = [mp.fsum([hs[r * h + k] * ws[j * h + k] for k in range(h)] + [bias[j]]) for r in range(n) for j in range(c)]
    sce = {"logits": ((n, c), zs), "target": i["target"], "target_is_index": True}
    return sce, {k: v for k, v in p.items() if k not in ("linear_bias", "wrt", "grad_output")}


def f_linear_cross_entropy(i, p):
    return f_softmax_cross_entropy(*linear_logits(i, p))


def f_linear_cross_entropy_grad(i, p):
    """G = grad_output * d loss / dz, then G @ W, G^T @ hidden or G summed over the positions."""
    sce, sce_params = linear_logits(i, p)
    (n, c), (h, hs, ws) = sce["logits"][0], (i["hidden"][0][1], i["hidden"][1], i["linear_weight"][1])
    g = f_softmax_cross_entropy_grad(sce, sce_params)
    upstream = tensor(p.get("grad_output"))[1]
    if upstream is not None:
        g = [v * (upstream[r // c] if p["reduction"] == "none" else upstream[0]) for r, v in enumerate(g)]
    if p["wrt"] == "hidden":
        return [mp.fsum(g[r * c + j] * ws[j * h + k] for j in range(c)) for r in range(n) for k in range(h)]
    if p["wrt"] == "linear_weight":
        return [mp.fsum(g[r * c + j] * hs[r * h + k] for r in range(n)) for j in range(c) for k in range(h)]
    return [mp.fsum(g[r * c + j] for r in range(n)) for j in range(c)]


def columns(shape, values):
    """The K entries along axis 0 of every other index (issue 18's merges)."""
    count = math.prod(shape[1:])
    return [[values[k * count + j] for k in range(shape[0])] for j in range(count)]


def power(p, x):
    return mpmath.power(2, x) if p.get("base") == "2" else mpmath.exp(x)


def f_online_softmax_merge(i, p):
    """Issue 18: M = max m_i, D = sum d_i b^(m_i - M) per column; outputs [M..., D...]."""
    (shape, ms), (_, ds) = i["m"], i["d"]
    pairs = list(zip(columns(shape, ms), columns(shape, ds)))
    if not shape[0]:
        raise Skip  # K = 0: (-inf, 0)
    tops = [max(m) for m, _ in pairs]
    return tops + [mp.fsum(d * power(p, mk - top) for mk, d in zip(m, ds_)) for (m, ds_), top in zip(pairs, tops)]


def merged_lse(values, p):
    """log_b sum b^(v): the maximum plus log1p of the others' shifted terms, over ln b."""
    if not values:
        raise Skip  # K = 0: -inf
    a = max(values)
    k = values.index(a)
    return a + mpmath.log1p(mp.fsum(power(p, v - a) for j, v in enumerate(values) if j != k)) / log_base(p)


def f_lse_merge(i, p):
    shape, values = i["lse"]
    return [merged_lse(column, p) for column in columns(shape, values)]


def f_cross_entropy_from_shards(i, p):
    """Issue 18: (1 - eps) w_y (L - x_y) + eps / C (W L - T), or the off_target form, per kept position."""
    (shape, lses), (_, sums), (_, xs), (_, ys), (_, sizes) = (i[n] for n in ("shard_lse", "shard_logit_sum",
                                                                          "target_logit", "target", "shard_size"))
    c, eps = sum(sizes), num(p["label_smoothing"])
    w = tensor(p["weight"])[1] or [mpf(1)] * c
    total_w = mp.fsum(w)
    losses, denominator = [], mpf(0)
    for n, (lse_column, sum_column) in enumerate(zip(columns(shape, lses), columns(shape, sums))):
        y = ys[n]
        if y == p["ignore_index"]:
            losses.append(mpf(0))
            continue
        L, T = merged_lse(lse_column, {}), mp.fsum(sum_column)
        loss = (1 - eps) * w[y] * (L - xs[n])
        if p["label_smoothing_mode"] == "uniform":
            loss += eps / c * (total_w * L - T)
        elif eps:
            loss += eps / (c - 1) * ((total_w - w[y]) * L - (T - w[y] * xs[n]))
        losses.append(loss)
        denominator += w[y]
    return reduce_(losses, p["reduction"], denominator)


FUNCTIONS = {name[2:]: f for name, f in globals().items() if name.startswith("f_")}


# ---------------------------------------------------------------- the sample and the comparison

def evaluate(function: str, test: dict, params: dict, bits: int):
    inputs = {name: tensor(t) for name, t in test["inputs"].items()}
    if "target" in test["inputs"]:
        inputs["target_is_index"] = test["inputs"]["target"]["dtype"] == "int64"
    with mpmath.workprec(bits):
        return [+v for v in FUNCTIONS[function](inputs, params)]


@lru_cache(maxsize=None)
def sample(path) -> tuple:
    document = json.loads(path.read_text())
    stride = FAMILY_STRIDE_16 if document["dtype"] in ("float16", "bfloat16") else FAMILY_STRIDE
    chosen = []
    for group in document["testGroups"]:
        for test in group["tests"]:
            size = sum(len(t["data"]) for t in test["inputs"].values())
            stride_ok = test["tcId"] < 1000 or test["tcId"] % stride == 0 or any(
                group["params"].get(name) is not None for name in ALWAYS_SAMPLED)
            if test["result"] == "valid" and size <= MAX_ELEMENTS and stride_ok:
                chosen.append((test, group["params"]))
    return document["function"], tuple(chosen)


def check_file(path) -> Counter:
    function, chosen = sample(path)
    counts = Counter()
    for test, params in chosen:
        try:
            low, high = evaluate(function, test, params, 400), evaluate(function, test, params, 800)
        except Skip:
            counts["skipped (non-finite input)"] += 1
            continue
        for k, text in enumerate(test["exact"]):
            if text in ("nan", "inf", "-inf"):
                continue
            with mpmath.workprec(800):
                exact, a, b = mpf(text), low[k], high[k]
                if abs(a - b) > AGREE * abs(b) or (b == 0 and exact != 0):  # 0 at both: all digits cancelled
                    counts["skipped (plain formula cancels)"] += 1
                    continue
                counts["compared"] += 1
                where = f"{path.name} tcId {test['tcId']} element {k}"
                if exact == 0:
                    assert b == 0, f"{where}: exact 0, recomputed {mpmath.nstr(b, 20)}"
                else:
                    assert abs(b - exact) <= TOLERANCE * abs(exact), \
                        f"{where}: exact {text}, recomputed {mpmath.nstr(b, 40)}"
    return counts


VECTOR_FILES = sorted(vectors_dir().glob("*.json"))


@pytest.mark.parametrize("path", VECTOR_FILES, ids=lambda p: p.stem)
def test_exact_strings_agree_with_an_independent_recomputation(path):
    counts = check_file(path)
    print(f"{path.stem}: {dict(counts)}")
    assert counts["compared"] >= 20, f"too few elements compared: {dict(counts)}"
    assert counts["skipped (plain formula cancels)"] <= counts["compared"] // 4


def test_the_recomputation_fails_on_a_wrong_exact_string(tmp_path):
    """The check can fail: the pre-fix exact string of binary_cross_entropy float64 tcId 13."""
    source = vectors_dir() / "binary_cross_entropy_float64.json"
    document = json.loads(source.read_text())
    for group in document["testGroups"]:
        for test in group["tests"]:
            if test["tcId"] == 13:
                with mpmath.workprec(200):
                    exact = mpf(test["exact"][0])
                    test["exact"][0] = mpmath.nstr(exact * (1 + mpf(10) ** -17), 40)
    broken = tmp_path / source.name
    broken.write_text(json.dumps(document))
    with pytest.raises(AssertionError, match="tcId 13"):
        check_file(broken)


def test_the_recomputation_reads_grad_output_per_position(tmp_path):
    """The VJP check can fail: reduction none's upstream gradient [2, -0.5, 3] replaced by its first entry
    at every position (Liger-Kernel #968's bug) no longer matches the exact strings of tcId 9500."""
    source = vectors_dir() / "softmax_cross_entropy_grad_float64.json"
    document = json.loads(source.read_text())
    for group in document["testGroups"]:
        if group["tests"][0]["tcId"] == 9500:
            upstream = group["params"]["grad_output"]["data"]
            upstream[:] = [upstream[0]] * len(upstream)
    broken = tmp_path / source.name
    broken.write_text(json.dumps(document))
    with pytest.raises(AssertionError, match="tcId 9500"):
        check_file(broken)
