"""The blockwise kernels of _fast (taken only by calls larger than one block, so never by the golden
vectors): several blocks, float32 and float64, against mpmath at the spec's accurate level and against
the general (elementwise) path, with special rows in a middle block."""
from __future__ import annotations

import mpmath
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import xent
from xent import _fast

mpmath.mp.prec = 200
U = {np.float64: mpmath.mpf(2) ** -53, np.float32: mpmath.mpf(2) ** -24}


ETA = {np.float64: mpmath.mpf(2) ** -1074, np.float32: mpmath.mpf(2) ** -149}


def accurate(got, exact, kappa, dtype):
    """|got - exact| <= u (2 |exact| + 4 kappa) + eta (the spec's accurate level)."""
    return abs(mpmath.mpf(float(got)) - exact) <= U[dtype] * (2 * abs(exact) + 4 * kappa) + ETA[dtype]


@pytest.fixture(autouse=True)
def small_blocks(monkeypatch):
    """Blocks of 1000 elements, so that a few thousand elements make several blocks."""
    monkeypatch.setattr(_fast, "BLOCK_ELEMENTS", 1000)


@pytest.fixture
def bce_data():
    rng = np.random.default_rng(5)
    n = 2 * _fast.BLOCK_ELEMENTS + 123  # three blocks, the last one short
    z = np.concatenate([8 * rng.standard_normal(n - 4), [0.0, 599.0, -599.0, 1e-300]])
    y = rng.random(n)
    y[::7] = np.round(y[::7])  # hard targets too
    return z.reshape(-1, 1), y.reshape(-1, 1)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_bce_logits_blockwise_is_accurate(bce_data, dtype, reduction):
    z, y = (a.astype(dtype) for a in bce_data)
    got = xent.binary_cross_entropy_with_logits(z, y, reduction=reduction)
    assert got.dtype == dtype
    terms, kappa = [], []
    for zi, yi in zip(z.ravel().tolist(), y.ravel().tolist()):
        zm, ym = mpmath.mpf(zi), mpmath.mpf(yi)
        sp_neg = mpmath.log1p(mpmath.exp(-abs(zm))) + max(-zm, 0)
        terms.append(ym * sp_neg + (1 - ym) * (sp_neg + zm))
        kappa.append(abs(zm) * abs(1 / (1 + mpmath.exp(-zm)) - ym))
    scale = len(terms) if reduction == "mean" else 1
    assert accurate(got, mpmath.fsum(terms) / scale, mpmath.fsum(kappa) / scale, dtype)
    weighted = xent.binary_cross_entropy_with_logits(z, y, weight=np.ones(1, dtype), reduction=reduction)
    assert abs(float(got) - float(weighted)) <= 2 * np.spacing(abs(weighted))  # the general path agrees


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_bce_logits_blockwise_leaves_extremes_to_the_general_path(bce_data, dtype):
    z, y = (a.astype(dtype) for a in bce_data)
    compensated = dtype == np.float64
    assert _fast.bce_logits_sum(z, y, compensated) is not None
    # float64: beyond the kernel's |z| <= 600; float32: infinite (e^-|z| = 0 beyond 745 is within the bound)
    left = (700.0, -700.0, np.nan) if compensated else (np.inf, -np.inf, np.nan)
    for bad in left:
        z[-1] = bad
        assert _fast.bce_logits_sum(z, y, compensated) is None, bad
    assert np.isnan(xent.binary_cross_entropy_with_logits(z, y))
    if not compensated:
        z[-1], y[-1] = 1e30, 1  # taken: the term is e^-1e30, 0 in float64
        kernel = _fast.bce_logits_sum(z, y, compensated)[0]
        general = xent.binary_cross_entropy_with_logits(z, y, weight=np.ones(1, dtype), reduction="sum")
        assert abs(np.float32(kernel) - general) <= np.spacing(general)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sce_blockwise_rows_match_the_general_path(dtype):
    rng = np.random.default_rng(11)
    rows, C = 3 * _fast.BLOCK_ELEMENTS // 30 + 5, 30  # four blocks
    x = (3 * rng.standard_normal((rows, C))).astype(dtype)
    x[rows // 2, 7] = np.inf  # a special row in a middle block: the general path's limit (one +inf)
    x[rows // 2 + 1, 3] = dtype(2.0 ** 100)
    y = rng.integers(0, C, rows)
    confident = [1, rows - 2]  # s = sum_{i != k} e^(x_i - a) about e^-40: the rows summed again without e_k
    x[confident, y[confident]] += dtype(40)
    got = xent.softmax_cross_entropy(x, y, reduction="none")
    onehot = np.eye(C, dtype=dtype)[y]  # a probability target takes the general path
    general = xent.softmax_cross_entropy(x, onehot, reduction="none")
    finite = np.isfinite(general)
    assert np.array_equal(np.isfinite(got), finite) and np.isnan(got).sum() == 0
    assert np.all(np.abs(got[finite] - general[finite]) <= 2 * np.spacing(np.abs(general[finite])))
    for r in (0, *confident, rows // 2 + 1, rows - 1):
        xs = [mpmath.mpf(float(v)) for v in x[r]]
        lse = mpmath.log(mpmath.fsum(mpmath.exp(v) for v in xs))
        g = [mpmath.exp(v - lse) for v in xs]
        kappa = mpmath.fsum(abs(v) * abs(gi - (i == y[r])) for i, (v, gi) in enumerate(zip(xs, g)))
        assert accurate(got[r], lse - xs[y[r]], kappa, dtype), r


def test_rows_wider_than_a_block(bce_data):
    z, y = (a[:2122].reshape(2, -1) for a in bce_data)  # two rows of 1061 elements, blocks of 500 (BCE)
    got = xent.binary_cross_entropy_with_logits(z, y)
    general = xent.binary_cross_entropy_with_logits(z, y, weight=np.ones(z.shape[1]))
    assert abs(got - general) <= np.spacing(general)
    x = np.random.default_rng(2).standard_normal((3, 2500))  # one row beyond the softmax kernel's 1000
    target = np.array([0, 7, 2499])
    probability = np.eye(2500)[target]
    assert np.allclose(xent.softmax_cross_entropy(x, target), xent.softmax_cross_entropy(x, probability),
                       rtol=4e-16, atol=0)


def _exact_nll(row, target):
    """-log_softmax(row)[target] and its condition number, without cancellation (log1p form)."""
    xs = [mpmath.mpf(float(v)) for v in row]
    rest = mpmath.fsum(mpmath.exp(v - xs[target]) for i, v in enumerate(xs) if i != target)
    g = [1 / (1 + mpmath.fsum(mpmath.exp(w - v) for j, w in enumerate(xs) if j != i)) for i, v in enumerate(xs)]
    kappa = mpmath.fsum(abs(v) * abs(gi - (i == target)) for i, (v, gi) in enumerate(zip(xs, g)))
    return mpmath.log1p(rest), kappa


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sce_unshifted_kernel_and_its_fallbacks(dtype):
    """Rows the unshifted kernel takes (logits near 0, where the loss is about log C and its condition
    number about 0: the tightest bound), rows it leaves to the shifted forms (a logit of 700, a target
    logit below -700), and rows it cannot certify (a block whose grid is set by a row 400 above
    the others), all at accurate."""
    rng = np.random.default_rng(17)
    rows, C = 3 * _fast.BLOCK_ELEMENTS // 20 + 7, 20
    x = 1e-3 * rng.standard_normal((rows, C))
    y = rng.integers(0, C, rows)
    x[3, 5] = 700.0                       # beyond the kernel's range
    x[60, y[60]] = -710.0                 # e^(x_y) below the normal range
    x[55] += 400.0                        # sets its block's grid: that block's other rows are not certified
    x[100, y[100]] += 45.0                # a confident row: the loss is about C e^-45
    x = x.astype(dtype)
    e, h = np.empty((2, 50, C))
    sums = _fast._UnshiftedSums(50)
    sums.add_block(slice(0, 50), x[50:100], y[50:100], e, h, compensated=dtype == np.float64)
    taken = ~np.isnan(sums.finish(compensated=dtype == np.float64))
    assert not taken[10] and taken[5], "a target logit below -700 is left"
    assert taken[0] == (dtype == np.float32), "float64: the grid of row 55's block leaves row 50"
    got = xent.softmax_cross_entropy(x, y, reduction="none")
    for r in (0, 1, 3, 50, 55, 56, 60, 100, rows - 1):
        exact, kappa = _exact_nll(x[r], y[r])
        assert accurate(got[r], exact, kappa, dtype), r


def test_sce_shifted_form_finishes_in_double_double():
    """A row the shifted form takes (a fallback of the unshifted kernel): logits near 0 make the bound
    about 2 u L, which two float64 roundings of about L and log1p's error exceeded (1.07 times the bound
    before the double-double finish)."""
    x = np.array([[-0.0011677283811466696, 0.0006526182214200285, 0.0002209385457155514]])
    y = np.array([0])
    got = _fast._nll_shifted(x, y, _fast._Scratch(4, 3), compensated=True)
    exact, kappa = _exact_nll(x[0], 0)
    assert accurate(got[0], exact, kappa, np.float64)


@given(seed=st.integers(0, 2 ** 32 - 1), C=st.integers(2, 40), scale=st.sampled_from([1e-3, 0.1, 1.0, 10.0, 300.0]),
       offset=st.sampled_from([0.0, -50.0, 200.0]), dtype=st.sampled_from([np.float64, np.float32]))
def test_sce_rows_are_accurate_whatever_kernel_takes_them(seed, C, scale, offset, dtype):
    """Random blocks (several per call), each row judged against mpmath at the accurate level, whichever of
    the unshifted kernel and the shifted forms took it."""
    rng = np.random.default_rng(seed)
    rows = 2 * _fast.BLOCK_ELEMENTS // C + 3
    x = (offset + scale * rng.standard_normal((rows, C))).astype(dtype)
    y = rng.integers(0, C, rows)
    got = xent.softmax_cross_entropy(x, y, reduction="none")
    for r in rng.choice(rows, size=6, replace=False):
        exact, kappa = _exact_nll(x[r], y[r])
        assert accurate(got[r], exact, kappa, dtype), (r, x[r], y[r])


def test_bce_float32_block_that_cancels_is_summed_term_by_term():
    """z in [30, 31) with y = 1: max(z, 0) and z y are both about 30 and each term about e^-30, so a kernel
    must cancel max(z, 0) - z y before adding log1p(e^-|z|) (adding first, or differencing two block
    sums, keeps 5 bits of each term: 1.5e-5 relative off, found while trying such a kernel)."""
    rng = np.random.default_rng(8)
    z = (30 + rng.random((3 * _fast.BLOCK_ELEMENTS // 10, 10))).astype(np.float32)
    y = np.ones_like(z)
    got = xent.binary_cross_entropy_with_logits(z, y, reduction="sum")
    terms, kappa = [], []
    for zi in np.unique(z).tolist():
        zm, count = mpmath.mpf(zi), int(np.count_nonzero(z == np.float32(zi)))
        terms.append(count * mpmath.log1p(mpmath.exp(-zm)))
        kappa.append(count * zm * (1 - 1 / (1 + mpmath.exp(-zm))))
    assert accurate(got, mpmath.fsum(terms), mpmath.fsum(kappa), np.float32)
