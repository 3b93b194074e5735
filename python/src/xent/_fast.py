"""Blockwise float64 kernels for the common large calls (the [N, C] workload of bench/): the data are
walked in blocks of about BLOCK_ELEMENTS with a few scratch buffers reused in place (ufuncs with
out=), so a call touches the input once per pass inside the cache and its extra memory is a few
blocks, not copies of the input. float32 inputs are widened block by block (dtype=float64 on the
first ufunc of a pass), never as a whole array.

Accuracy is that of the elementwise paths they replace (same formulas, fewer roundings): a kernel
returns None when a block holds anything its fast formula does not cover (non-finite values, or
terms near float64's range limits), and the caller takes the general path.
"""
from __future__ import annotations

import numpy as np

from . import _dd
from . import _numerics as nm

#: elements per block: the scratch buffers (six of 512 KiB at most) stay within a 4 MiB L2 cache
BLOCK_ELEMENTS = 1 << 16
#: |z| up to this keeps every BCE term within [2^-860, 2^10]: no term near the range limits
_BCE_Z_LIMIT = 600.0
F64 = np.dtype(np.float64)


class _Scratch:
    """A few float64 buffers of one block's size, viewed at the size of the current block."""

    def __init__(self, count, size):
        self.buffers = [np.empty(size) for _ in range(count)]

    def views(self, shape):
        n = int(np.prod(shape))
        return [b[:n].reshape(shape) for b in self.buffers]


def _row_blocks(rows, width, elements=None):
    step = max(1, (elements or BLOCK_ELEMENTS) // max(1, width))
    for start in range(0, rows, step):
        yield slice(start, min(rows, start + step))


def _as_f64(block, buffer):
    """The block itself when it is float64, else its exact float64 copy in ``buffer``."""
    if block.dtype == F64:
        return block
    np.copyto(buffer, block)
    return buffer


def bce_logits_sum(z, y, compensated):
    """sum over every element of y softplus(-z) + (1 - y) softplus(z) as (hi, lo), unweighted, for z and
    y of equal shape (float32 or float64); None if some |z| exceeds 600 or a value is not finite.

    Each term is t + (1 - y) max(z, 0) + y max(-z, 0) with t = log1p(e^-|z|): the same non-negative
    parts as y softplus(-z) + (1 - y) softplus(z), and one of the two products is exactly 0. A block is
    summed by split_sum (float64 results, to about 2^-6 u) or plainly (float32 results)."""
    width = z.shape[-1] if z.ndim else 1
    z2, y2 = z.reshape(-1, width), y.reshape(-1, width)
    if not compensated:
        return _bce_logits_sum_narrow(z2, y2)
    block = BLOCK_ELEMENTS // 2  # six buffers here, four in sce_target_nll: the same cache footprint
    scratch = _Scratch(6, max(width, min(block, z2.size), 1))
    his, los = [], []
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        for rows in _row_blocks(*z2.shape, block):
            r, t, m, c, zbuf, ybuf = scratch.views(z2[rows].shape)
            zb, yb = _as_f64(z2[rows], zbuf), _as_f64(y2[rows], ybuf)
            np.abs(zb, out=r)
            if not r.max() <= _BCE_Z_LIMIT:  # NaN compares False
                return None
            np.negative(r, out=t)
            np.exp(t, out=t)
            np.log1p(t, out=t)
            np.maximum(zb, 0.0, out=m)
            np.subtract(r, m, out=r)          # max(-z, 0)
            np.multiply(r, yb, out=r)
            np.subtract(1.0, yb, out=c)
            np.multiply(c, m, out=c)
            np.add(c, r, out=c)
            np.add(c, t, out=c)
            h, l = nm.split_sum(c, scratch=r)
            his.append(h)
            los.append(l)
        if not his:
            return 0.0, 0.0
        if not np.isfinite(np.concatenate(his)).all():
            return None
        return nm.compensated_sum(np.concatenate(his + los).reshape(1, -1))


def _bce_logits_sum_narrow(z, y):
    """bce_logits_sum for float32 (or 16-bit) z and y with float32 (or 16-bit) results, in float64, as
    sum (max(z, 0) - z y) + sum log1p(e^-|z|) per block: z y is exact (two significands of at most 24
    bits) and max(z, 0) - z y >= 0 for y in [0, 1], so both sums have non-negative terms. The second is
    log of products: the factors 1 + e^-|z| in (1, 2] multiplied in columns of 512 (below 2^512) and one
    log per column, instead of a log1p per element; its error, at most 3 n u absolute for n elements
    (u = 2^-53: the rounding of 1 + e^-|z|, 511 products and the log per column), plus the first sum's
    (40 u of it), is certified within 2^-32 of the block's loss, a 2^-8 part of float32's unit roundoff;
    a block it cannot certify (terms far below 1: z y cancels max(z, 0) and e^-|z| is tiny) takes log1p
    per element. No range check: e^-|z| = 0 beyond 745 is within the bound."""
    scratch = _Scratch(3, max(z.shape[1], min(BLOCK_ELEMENTS, z.size), 1))
    total = 0.0
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        for rows in _row_blocks(*z.shape):
            zf, yf, t = scratch.views(z[rows].shape)
            np.copyto(zf, z[rows])  # widened once: numpy's mixed-dtype loops cost two passes each
            np.copyto(yf, y[rows])
            _exp_neg_abs(zf, t)
            np.multiply(zf, yf, out=yf)
            np.maximum(zf, 0.0, out=zf)
            zf -= yf
            linear = zf.sum()
            t += 1.0
            softplus = _log_of_products(t.reshape(-1))
            if not 3.0 * t.size * 2.0 ** -53 + 40 * 2.0 ** -53 * linear <= 2.0 ** -32 * (linear + softplus):
                _exp_neg_abs(np.asarray(z[rows], dtype=F64), t)  # zf now holds max(z, 0) - z y
                np.log1p(t, out=t)
                zf += t
                linear, softplus = zf.sum(), 0.0
            total += linear + softplus
    # finite z (float32 or narrower: z y and every term stay far inside float64's range) give a finite
    # total; an infinite or NaN z gives inf or NaN here, and the general path its limit
    return (total, 0.0) if np.isfinite(total) else None


def _exp_neg_abs(z, out):
    """e^-|z| into out (numpy's copysign is not vectorised; abs and negative are)."""
    np.abs(z, out=out)
    np.negative(out, out=out)
    np.exp(out, out=out)


#: factors per column of _log_of_products: a product of factors in (1, 2] stays below 2^512
_COLUMN = 512


def _log_of_products(factors):
    """sum log(f) over factors in (1, 2], as logs of products over columns of _COLUMN factors (numpy
    multiplies along the outer axis in vectorised loops; along the inner one it does not)."""
    columns = factors.size // _COLUMN
    head = factors[:columns * _COLUMN].reshape(_COLUMN, columns)
    return float(np.log(head.prod(axis=0)).sum() + np.log(factors[columns * _COLUMN:].prod()))


#: float64 rows with a logit or a loss beyond this are left to LseParts (carried with an exponent)
SCE_RANGE = 2.0 ** 1000
#: float32 results: rows whose s = sum_{i != k} e^(x_i - a) is below this are summed again without e_k
_F32_MIN_S = 2.0 ** -20
#: split_sum_unit's grid: terms in [0, 2) are cut at multiples of 2^-29
_UNIT_SIGMA = 2.0 ** 23


def split_sum_unit(t, scratch):
    """Row sums of terms in [0, 2) as (hi, lo), with split_sum's method on one fixed grid (h on
    multiples of 2^-29, summed exactly; the rest |l| < 2^-30 summed plainly, error below n^2 2^-30 u):
    no row maximum and scalar operands. Also returns the rows where that error is within 2^-6 u of
    the sum (hi >= n^2 2^-24); the caller sums the others with split_sum."""
    n = t.shape[-1]
    h = np.add(t, _UNIT_SIGMA, out=scratch)
    h -= _UNIT_SIGMA
    h_sum = h.sum(axis=-1)
    np.subtract(t, h, out=h)
    hi, lo = nm.two_sum(h_sum, h.sum(axis=-1))
    return hi, lo, hi >= n * n * 2.0 ** -24


def sce_target_nll(x, y, compensated):
    """-log_softmax(x)[y] per row of the [rows, C] logits x (float32 or float64) with class indices y,
    as float64; NaN in rows it does not cover (a non-finite logit; for float64 results also a -inf
    logit, a logit or a loss beyond 2^1000), which the caller recomputes.

    Most rows take :class:`_UnshiftedSums` (no shift, four or seven passes); the rows it leaves (logits
    beyond +-600, a target far below the maximum, a sum it cannot certify) take the shifted forms:
    a + log1p(s) - x_y, with a = max x (attained at k) and s = sum_{i != k} e^(x_i - a). For float64
    results (``compensated``) the shift x - a is exact (TwoSum: d + delta), e_i = e^d (1 + delta), and
    s is summed to about 2^-6 u (split_sum_unit, split_sum where it cannot certify that). float32
    results are computed in float64 directly (29 extra bits): s = sum_i e_i - 1 (e_k = 1), its
    error below 22 2^-53 (1 + s) absolute, taken where s >= 2^-20 (the loss then within 2^-27 relative
    before the rounding to float32); rows with a smaller s are summed again without e_k."""
    rows_total, C = x.shape
    scratch = _Scratch(4, max(C, min(BLOCK_ELEMENTS, rows_total * C), 1))
    sums = _UnshiftedSums(rows_total)
    with np.errstate(over="ignore", under="ignore", invalid="ignore", divide="ignore"):
        for rows in _row_blocks(rows_total, C):
            e, h, _, _ = scratch.views(x[rows].shape)
            sums.add_block(rows, x[rows], y[rows], e, h, compensated)
        out = sums.finish(compensated)
        redo = np.flatnonzero(np.isnan(out))
        for part in _row_blocks(redo.size, C):
            chosen = redo[part]
            out[chosen] = _nll_shifted(x[chosen], y[chosen], scratch, compensated)
    return out


def _nll_shifted(xb, yb, scratch, compensated):
    d, bp, delta, xbuf = scratch.views(xb.shape)
    if compensated:
        return _nll_exact_shift(_as_f64(xb, xbuf), yb, d, bp, delta)
    np.copyto(d, xb)  # widened exactly, shifted in place below
    return _nll_plain(d, yb, bp)


#: the unshifted kernel's rows: logits within +-600 (e^x normal and finite, a row sum below 2^887) and
#: a target's logit above -700 and at most 650 below the maximum (e^x_y normal, s below 2^958)
_UNSHIFTED_X = 600.0
_UNSHIFTED_Y = -700.0
_UNSHIFTED_GAP = 650.0
_LOG2E = 1.4426950408889634
#: float32 results: the row sums and quotients the unshifted kernel keeps
_NARROW_MIN_SUM = 2.0 ** -1000
_NARROW_MAX_S = 2.0 ** 1000
#: losses below this take log1p in double-double (above it, 2 u L covers float64 log1p's ulp)
_DD_LOG1P_BELOW = 4.0


class _UnshiftedSums:
    """-log_softmax(x)[y] = log1p(s), s = sum_{i != y} e^(x_i) / e^(x_y), per row, with e^x_i of the
    logits THEMSELVES: no shift, so no rounding before the exponential and no final subtraction. The
    blocks leave per-row sums here (a few passes each); :meth:`finish` forms every row's loss at once,
    NaN in rows outside the kernel's range or whose sum it cannot certify.

    The numerator N = sum_{i != y} e_i is the row's sum minus the e_y that went into it. float64
    results (``compensated``): every e_i is split on one grid for the block, 2^(E+k-52) with
    2^(E-1) >= e^A (A the block's largest row maximum within range) and 2^(k-1) >= C: the parts on
    the grid sum exactly in any order (below 2^(E+k)), the rest (|l| <= 2^(E+k-53)) plainly with error
    at most (C - 1) C 2^(E+k-106); a row is certified when that is within 2^-6 u of its N. Then
    s = N / e^(x_y) in double-double (e^(x_y) and the quotient to about 2^-73), and
    log1p(s_hi) + s_lo / (1 + s_hi), or log1p in double-double where that is below 4 (a bound of
    about one ulp where the condition number is near 0, as for logits near 0, leaves no room for
    log1p's own error): s carries only the exponentials' own error, weighted by 1 - p_y. float32 results: numpy's pairwise row sum (error below 32 u S for
    C < 2^20) where N >= 2^-20 S, i.e. within 2^-28 relative; rows with a smaller N are summed again
    with e_y removed (error 32 u N)."""

    def __init__(self, rows):
        self.a, self.x_y = np.full(rows, np.nan), np.zeros(rows)
        self.n_hi, self.n_lo = np.zeros(rows), np.zeros(rows)
        self.total = np.zeros(rows)  # float32 results: the row's whole sum S
        self.e_y, self.certified = np.ones(rows), np.zeros(rows, dtype=bool)

    def add_block(self, rows, xb, yb, e, h, compensated):
        idx = np.arange(xb.shape[0])
        self.x_y[rows] = xb[idx, yb]
        if compensated:
            self._add_float64(rows, xb, yb, idx, e, h)
        else:
            self._add_narrow(rows, xb, yb, idx, e)

    def _add_float64(self, rows, xb, yb, idx, e, h):
        a = self.a[rows] = xb.max(axis=1)
        in_range = np.abs(a) <= _UNSHIFTED_X
        if in_range.any():
            np.exp(xb, out=e)
            e_y = self.e_y[rows] = e[idx, yb]
            self.n_hi[rows], self.n_lo[rows], self.certified[rows] = _numerator_on_grid(
                e, h, e_y, np.max(a, where=in_range, initial=-np.inf))

    def _add_narrow(self, rows, xb, yb, idx, e):
        """float32 results: no maximum; a row whose sum or quotient leaves float64's range (or holds a NaN)
        is found from its results in :meth:`finish`."""
        np.copyto(e, xb)  # widened, then exp in place: faster than numpy's casting exp loop
        np.exp(e, out=e)
        e_y = self.e_y[rows] = e[idx, yb]
        total = self.total[rows] = e.sum(axis=1)
        numerator = self.n_hi[rows] = total - e_y
        again = numerator < _F32_MIN_S * total
        if again.any():
            part = e[again]
            part[np.arange(part.shape[0]), yb[again]] = 0
            self.n_hi[rows][again] = part.sum(axis=1)
        self.certified[rows] = True

    def finish(self, compensated):
        return self._finish_float64() if compensated else self._finish_narrow()

    def _finish_narrow(self):
        """Rows with a finite sum S >= 2^-1000 (subnormal terms, each within 2^-1075, are then
        negligible), e^(x_y) normal (x_y >= -700) and s below 2^1000; NaN elsewhere."""
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            s = self.n_hi / self.e_y
        kept = self.certified & (self.x_y >= _UNSHIFTED_Y) & (self.total >= _NARROW_MIN_SUM) & (s <= _NARROW_MAX_S)
        kept &= np.isfinite(self.total)
        return np.where(kept, np.log1p(s), np.nan)

    def _finish_float64(self):
        a, x_y = self.a, self.x_y
        kept = (np.abs(a) <= _UNSHIFTED_X) & (x_y >= _UNSHIFTED_Y) & (a - x_y <= _UNSHIFTED_GAP)
        kept &= self.certified
        out = np.full(a.shape, np.nan)
        if kept.any():
            n_hi, n_lo = _dd.fast_two_sum(self.n_hi[kept], self.n_lo[kept])
            e_hi, e_lo = _dd.exp(x_y[kept])
            s_hi, s_lo = _dd.div(n_hi, n_lo, e_hi, e_lo)
            nll = np.log1p(s_hi) + s_lo / (1 + s_hi)
            tight = nll < _DD_LOG1P_BELOW
            if tight.any():
                nll[tight] = _dd.to_float(*_dd.log1p(s_hi[tight], s_lo[tight]))
            out[kept] = nll
        return out


def _numerator_on_grid(e, h, e_y, block_max):
    """sum_{i != y} e_i per row as (hi, lo), hi exact, and the rows where lo's error is within 2^-6 u
    of the sum (see _nll_unshifted)."""
    n = e.shape[1]
    E = int(np.floor(block_max * _LOG2E)) + 2
    k = int(n).bit_length() + 1
    sigma = 2.0 ** (E + k)
    np.add(e, sigma, out=h)
    h -= sigma
    hi = h.sum(axis=1)
    np.subtract(e, h, out=h)
    lo = h.sum(axis=1)
    h_y = (e_y + sigma) - sigma
    n_hi, n_lo = hi - h_y, lo - (e_y - h_y)  # n_hi exact: both on the grid, below 2^(E+k)
    allowance = float(n) * n * 2.0 ** (E + k - 47)  # (n - 1) n 2^(E+k-106) / 2^-59, rounded up
    return n_hi, n_lo, n_hi + n_lo >= allowance


def _nll_exact_shift(xb, yb, d, bp, delta):
    idx = np.arange(xb.shape[0])
    k = xb.argmax(axis=1)
    a = xb[idx, k][:, None]
    # TwoSum d + delta = x - a, in place; a -inf logit or an overflowing shift makes its row NaN
    np.subtract(xb, a, out=d)
    np.subtract(d, xb, out=bp)
    np.subtract(d, bp, out=delta)
    np.subtract(xb, delta, out=delta)
    np.subtract(-a, bp, out=bp)
    np.add(delta, bp, out=delta)
    d_y, delta_y = d[idx, yb], delta[idx, yb]
    np.exp(d, out=bp)
    bp[idx, k] = 0
    # e^(d + delta) = e^d (1 + delta) to first order (delta is below ulp(d) / 2): the corrections
    # sum_i e_i delta_i, of order u s, as one row-wise dot product
    correction = _row_dot(bp, delta)
    s_hi, s_lo, certified = split_sum_unit(bp, delta)
    if not certified.all():
        s_hi[~certified], s_lo[~certified] = nm.split_sum(bp[~certified])
    s_lo += correction
    nll = (np.log1p(s_hi) + s_lo / (1 + s_hi) - d_y) - delta_y
    # log1p(s) - d_y in double-double where finite: the two float64 roundings of about L and log1p's
    # own error exceed the bound's 2 u L where the condition number is near 0 (logits near 0)
    finite = np.isfinite(nll)
    if finite.any():
        hi, lo = _dd.log1p(*_dd.fast_two_sum(s_hi[finite], s_lo[finite]))
        nll[finite] = _dd.to_float(*_dd.add(hi, lo, -d_y[finite], -delta_y[finite]))
    # rows beyond 2^1000 are left to LseParts, which carries them with an exponent (a weight may overflow)
    return np.where((np.abs(a[:, 0]) < SCE_RANGE) & (nll < SCE_RANGE), nll, np.nan)  # NaN compares False


def _row_dot(a, b):
    """sum_j a[i, j] b[i, j] per row, in one pass (numpy >= 2.0: vecdot)."""
    return np.vecdot(a, b) if hasattr(np, "vecdot") else np.einsum("ij,ij->i", a, b)


def _nll_plain(d, yb, bp):
    """d holds the block's logits in float64; shifted in place to x - a."""
    idx = np.arange(d.shape[0])
    a = d.max(axis=1)[:, None]
    d -= a
    d_y = d[idx, yb]
    np.exp(d, out=bp)
    s = bp.sum(axis=1) - 1.0
    small = s < _F32_MIN_S
    if small.any():  # x - a is 0 exactly at the maximum only: d's argmax is k
        part = bp[small]
        part[np.arange(part.shape[0]), d[small].argmax(axis=1)] = 0
        s[small] = part.sum(axis=1)
    nll = np.log1p(s) - d_y
    return np.where(np.isfinite(a[:, 0]), nll, np.nan)
