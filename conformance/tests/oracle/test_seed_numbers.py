"""Every number printed in the seed documents, reproduced by the oracle to the digits printed."""
import math

import mpmath
import pytest

from xent_conformance.dtypes import FLOAT64
from xent_conformance.oracle import evaluate
from xent_conformance.tensor import Tensor


def f64(*values, shape=None):
    return Tensor("float64", shape or (len(values),), tuple(float(v) for v in values))


def outputs(function, inputs, **params):
    _, certified, _ = evaluate(function, inputs, params, FLOAT64)
    return [mpmath.mpf(c.exact) for c in certified]


def digits(value, printed: str) -> str:
    """value rounded to as many decimals as the printed number has."""
    decimals = len(printed.split(".")[1]) if "." in printed else 0
    return f"{float(value):.{decimals}f}"


# Document 001 prints per-row categorical cross-entropies (numpy float64, 16-17 significant digits).
SEED_001_CCE = ["0.09431067947124129", "0.2231435513142097", "0.5108256237659907", "1.3862943611198906"]


def test_seed_001_categorical_rows():
    t = Tensor("float64", (4, 3), tuple(map(float, [1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 0, 0])))
    p = Tensor("float64", (4, 3), (0.91, 0.04, 0.05, 0.11, 0.8, 0.09, 0.3, 0.1, 0.6, 0.25, 0.4, 0.35))
    got = outputs("categorical_cross_entropy", {"t": t, "p": p}, reduction="none")
    assert [repr(float(v)) for v in got] == SEED_001_CCE


# Document 001 prints per-sample BCE from numpy's log(1 - p); the first value carries numpy's own
# rounding of 1 - 0.07, so its last printed digit may differ from the exact value by that error.
SEED_001_BCE = ["0.0725706928348355", "0.09431067947124129", "0.3011050927839216", "0.2613647641344075",
                "1.897119984885881", "1.7719568419318752", "0.06187540371808753"]


def test_seed_001_binary_per_sample():
    y = f64(0, 1, 1, 0, 0, 1, 1)
    p = f64(0.07, 0.91, 0.74, 0.23, 0.85, 0.17, 0.94)
    got = outputs("binary_cross_entropy", {"y": y, "p": p}, epsilon=0.0, reduction="none")
    # all but the first agree with the correctly rounded value to every printed digit
    assert [repr(float(v)) for v in got[1:]] == SEED_001_BCE[1:]
    # the first is the seed's own float64 evaluation of -log(1 - p): rounding 1 - 0.07 costs about
    # 4 ulps of the small result; the exact value is 0.07257069283483544
    assert repr(-math.log(1 - 0.07)) == SEED_001_BCE[0]
    assert abs(float(SEED_001_BCE[0]) - float(got[0])) <= 5 * math.ulp(float(got[0]))


def test_seed_000_bits_examples():
    """'-log(0.01) ~ 6.64' and '0.001 -> 9.97' are in bits (document 000)."""
    for q, printed in ((0.01, "6.64"), (0.001, "9.97")):
        (h,) = outputs("cross_entropy", {"p": f64(1, 0), "q": f64(q, 1 - q)}, base="2", epsilon=0.0)
        assert digits(h, printed) == printed


@pytest.mark.parametrize("p, mse_printed, ce_printed", [
    (0.01, "-0.01", "-0.99"), (0.30, "-0.15", "-0.70"), (0.90, "-0.01", "-0.10")])
def test_seed_000_gradient_table(p, mse_printed, ce_printed):
    z = math.log(p / (1 - p))
    (mse,) = outputs("sigmoid_mse_grad", {"z": f64(z), "y": f64(1)})
    (ce,) = outputs("binary_cross_entropy_with_logits_grad", {"z": f64(z), "y": f64(1)},
                    weight=None, pos_weight=None, reduction="none")
    assert digits(mse, mse_printed) == mse_printed
    assert digits(ce, ce_printed) == ce_printed


def test_seed_000_gradient_table_erratum():
    """The table's last row says MSE grad ~ -0.001 at p = 0.99; it is -0.000099 (recorded as SeedErratum)."""
    z = math.log(0.99 / 0.01)
    (mse,) = outputs("sigmoid_mse_grad", {"z": f64(z), "y": f64(1)})
    assert digits(mse, "-0.001") != "-0.001"
    assert abs(mse - mpmath.mpf("-0.000099")) < mpmath.mpf("1e-9")


def test_seed_002_clamp_constant():
    """-log(max(0, 1e-15)) = 34.538776394910684 (the seeds' Java/Go clamp)."""
    probs = Tensor("float64", (1, 2), (0.0, 1.0))
    target = Tensor("int64", (1,), (0,))
    (loss,) = outputs("nll_from_probs", {"probs": probs, "target": target}, epsilon=1e-15, reduction="none")
    assert repr(float(loss)) == "34.538776394910684"


def test_seed_001_prose_values():
    """Document 001's prose: '1.897' for p = 0.85, t = 0 (right) and '1.771' for p = 0.17, t = 1, which
    truncates -log(0.17) = 1.77196 (correctly rounded: 1.772; vector binary_cross_entropy tcId 300)."""
    got = outputs("binary_cross_entropy", {"y": f64(0, 1), "p": f64(0.85, 0.17)}, epsilon=0.0, reduction="none")
    assert digits(got[0], "1.897") == "1.897"
    assert digits(got[1], "1.771") == "1.772"


SEED_000_TABLE_ROWS = {2: 0.01, 3: 0.30, 4: 0.90, 5: 0.99}  # sigmoid_mse_grad tcId -> the table's p


@pytest.fixture(scope="module")
def case_inputs():
    """z inputs of the seed-table cases, read from the case files."""
    from xent_conformance.paths import repo_root
    import yaml
    root = repo_root()
    mse = yaml.safe_load((root / "spec/cases/sigmoid_mse_grad.yaml").read_text())["cases"]
    grad = yaml.safe_load((root / "spec/cases/binary_cross_entropy_with_logits_grad.yaml").read_text())["cases"]
    by_id = {c["tcId"]: c for c in mse}
    table = next(c for c in grad if c["tcId"] == 300)
    return by_id, table


def _logit(p: float) -> float:
    with mpmath.workprec(200):
        return float(mpmath.log(mpmath.mpf(p) / (1 - mpmath.mpf(p))))


@pytest.mark.parametrize("tc_id, p", sorted(SEED_000_TABLE_ROWS.items()))
def test_seed_000_table_inputs_are_logits(case_inputs, tc_id, p):
    """Each seed-table row's z is logit(p) rounded (tcId 3 once held -0.42366, not logit(0.3))."""
    by_id, _ = case_inputs
    (z,) = by_id[tc_id]["inputs"]["z"]
    assert float.fromhex(z) == _logit(p)


def test_seed_000_ce_column_inputs(case_inputs):
    _, table = case_inputs
    assert [float.fromhex(z) for z in table["inputs"]["z"]] == [_logit(p) for p in (0.01, 0.30, 0.90, 0.99)]
