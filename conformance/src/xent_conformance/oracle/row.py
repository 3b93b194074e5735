"""One row of logits analysed the Blanchard-Higham-Higham way, as enclosures.

With a = max x_i attained first at k, d_i = x_i - a (formed exactly), e_i = exp(d_i) (e_k = 1) and
s = sum_{i != k} e_i: lse = a + log1p(s), log_softmax_j = d_j - log1p(s), softmax_j = e_j / (1 + s).
Every sum here has terms of one sign, so the enclosures stay narrow at modest precision.
"""
from __future__ import annotations

import math

import mpmath
from mpmath import iv

from .core import X, hi, iv_sum, lo, log1p


class Row:
    """Special-value classification and accurate softmax quantities of one logit vector."""

    def __init__(self, xs: list[float], transform: "LogitTransform | None" = None,
                 excluded: frozenset[int] = frozenset()):
        """xs: the row's logits; transform: the exact map x -> x'' (logit_scale, softcap) the row's
        quantities are taken of (issue 17), or None for the logits themselves; excluded: the classes the
        class mask leaves out (issue 17's where): -inf whatever they hold, after the transform."""
        self.transform = transform
        if transform is not None:
            self.raw = xs
            xs = [transform.classify(x) for x in xs]
        if excluded:
            xs = [-math.inf if i in excluded else x for i, x in enumerate(xs)]
        self.xs = xs
        self.n = len(xs)
        self.kind = "finite"
        self.k = -1
        if any(math.isnan(x) for x in xs):
            self.kind = "nan"
            return
        plus_inf = [i for i, x in enumerate(xs) if x == math.inf]
        if len(plus_inf) == 1:
            self.kind, self.k = "posinf", plus_inf[0]
            return
        if len(plus_inf) > 1:
            self.kind = "multi_posinf"
            return
        self.live = [i for i, x in enumerate(xs) if x != -math.inf]
        if not self.live:
            self.kind = "all_neginf"
            return
        if transform is not None:
            self._transformed_shift()
        else:
            a = max(xs[i] for i in self.live)
            self.a = a
            self.k = xs.index(a)
            self.z = {i: X(xs[i]) for i in self.live}
            self.d = {i: X(xs[i]) - X(a) for i in self.live}
        self.e = {i: (iv.mpf(1) if i == self.k else iv.exp(self.d[i])) for i in self.live}
        self.s = iv_sum(self.e[i] for i in self.live if i != self.k)
        self.den = 1 + self.s
        self.L = log1p(self.s)

    def _transformed_shift(self) -> None:
        """d_i = x''_i - x''_k as enclosures; k is the first maximum of the raw logits (the transform is
        strictly increasing), and equal raw logits have d exactly 0."""
        raw = self.raw
        top = max(raw[i] for i in self.live)
        self.k = next(i for i in self.live if raw[i] == top)  # an excluded class may hold the same value
        self.z = {i: self.transform.enclose(raw[i]) for i in self.live}
        self.a = None
        self.d = {i: (iv.mpf(0) if raw[i] == top else self.z[i] - self.z[self.k]) for i in self.live}

    @property
    def is_finite(self) -> bool:
        return self.kind == "finite"

    def live_mask(self, j: int) -> bool:
        return self.xs[j] != -math.inf

    # values ------------------------------------------------------------------------------------
    def lse(self):
        return self.z[self.k] + self.L

    def log_softmax(self, j: int):
        """Enclosure of log_softmax_j, or -inf (a float) for a masked entry."""
        return self.d[j] - self.L if self.live_mask(j) else -math.inf

    def neg_log_softmax(self, j: int):
        """-log_softmax_j = (a - x_j) + log1p(s) >= 0, as a sum of non-negative terms."""
        return (-self.d[j]) + self.L if self.live_mask(j) else math.inf

    def softmax(self, j: int):
        return self.e[j] / self.den if self.live_mask(j) else 0.0

    def g(self, j: int):
        return self.e[j] / self.den if self.live_mask(j) else iv.mpf(0)

    def one_minus_g(self, j: int):
        """1 - softmax_j as a sum of the other terms (no cancellation)."""
        if not self.live_mask(j):
            return iv.mpf(1)
        if j == self.k:
            return self.s / self.den
        return (self.den - self.e[j]) / self.den  # = (1 + sum of the others) / (1 + s) >= 1 / 2

    # condition numbers -------------------------------------------------------------------------
    def _abs_x(self, i: int):
        return abs(self.z[i]) if self.transform is not None else X(abs(self.xs[i]))

    def abs_x(self, i: int):
        """|x_i| (|x''_i| under a transform: an upper bound of the raw logit's own condition, since
        |dx''/dx| |x| <= |x''| for scaling and tanh capping)."""
        return self._abs_x(i)

    def weighted_abs_sum(self):
        """G = sum_i g_i |x_i| (the condition number of lse)."""
        if not hasattr(self, "_G"):
            self._G = iv_sum(self.g(i) * self._abs_x(i) for i in self.live)
        return self._G

    def weighted_abs_sum_excluding(self, j: int):
        """sum_{i != j} g_i |x_i|, without cancelling when the j term dominates."""
        G = self.weighted_abs_sum()
        if not self.live_mask(j):
            return G
        own = self.g(j) * self._abs_x(j)
        if hi(own) * 2 > lo(G):  # this term is at least half: sum the others directly
            return iv_sum(self.g(i) * self._abs_x(i) for i in self.live if i != j)
        return G - own

    def kappa_log_softmax(self, j: int):
        """|x_j| (1 - g_j) + sum_{i != j} g_i |x_i|."""
        return self._abs_x(j) * self.one_minus_g(j) + self.weighted_abs_sum_excluding(j)

    def kappa_softmax(self, j: int):
        return self.g(j) * self.kappa_log_softmax(j)

    def nu_logits(self) -> mpmath.mpf:
        """Normwise scale for log-domain outputs: max |x_i| (the shift's rounding) + sqrt(n) (the
        probabilistic error of summing the n terms exp(x_i - a) <= 1, Higham and Mary 2019)."""
        if self.transform is not None and self.kind == "finite":
            return max(hi(abs(z)) for z in self.z.values()) + mpmath.sqrt(self.n)
        finite = [abs(x) for x in self.xs if math.isfinite(x)]
        return mpmath.mpf(max(finite) if finite else 0.0) + mpmath.sqrt(self.n)

    def max_g(self) -> mpmath.mpf:
        return hi(1 / self.den)


class LogitTransform:
    """x -> x'' = c tanh(s x / c) (softcap c) or s x (no cap): issue 17's logit_scale and softcap, exact."""

    def __init__(self, scale: float, cap: float | None):
        self.scale, self.cap = scale, cap

    def classify(self, x: float) -> float:
        """A float of the special-value class of x'': under a cap +-inf become the finite +-cap."""
        if self.cap is not None and math.isinf(x):
            return math.copysign(self.cap, x)
        return x

    def enclose(self, x: float):
        """An enclosure of x'' for a finite x (or +-cap for an infinite x under a cap)."""
        if math.isinf(x):
            return X(math.copysign(self.cap, x))
        scaled = X(self.scale) * X(x)
        if self.cap is None or x == 0:
            return scaled
        return X(self.cap) * tanh_iv(scaled / X(self.cap))

    def slope(self, x: float):
        """dx''/dx = s / cosh^2(s x / c) = 4 s q / (1 + q)^2 with q = exp(-2 |s x / c|) (s without a
        cap); 0 at an infinite x under a cap (the limit)."""
        if self.cap is None:
            return X(self.scale)
        if math.isinf(x):
            return iv.mpf(0)
        q = iv.exp(-2 * abs(X(self.scale) * X(x) / X(self.cap)))
        return X(self.scale) * 4 * q / ((1 + q) * (1 + q))


def tanh_iv(t):
    """tanh of an enclosure: -e / (2 + e) with e = expm1(-2 t) for t >= 0, odd (no cancellation near 0)."""
    if hi(t) < 0:
        return -tanh_iv(-t)
    e = iv.expm1(-2 * t)
    return -e / (2 + e)
