"""The mutant registry (xent_mutants, python/mutants: outside the shipped package) leaves the shipped
implementation untouched unless activated."""
from __future__ import annotations

import io
import json
import os
import subprocess
import sys

import numpy as np
import pytest

import xent
import xent_mutants as _mutants  # python/mutants: `pip install ./python/mutants`
from xent import adapter


def test_activate_and_undo_restore_the_shipped_functions():
    before = dict(xent.FUNCTIONS)
    x = np.array([1000.0, 0.0])
    assert xent.FUNCTIONS["softmax"](x=x)[0] == 1.0
    undo = _mutants.activate("softmax_no_max_shift")
    try:
        assert np.isnan(xent.FUNCTIONS["softmax"](x=x)[0])  # exp(1000) overflows: the mutant is live
    finally:
        undo()
    assert xent.FUNCTIONS == before
    assert xent.FUNCTIONS["softmax"](x=x)[0] == 1.0


@pytest.mark.parametrize("name", list(_mutants.MUTANTS))
def test_every_mutant_applies_and_undoes_cleanly(name):
    import xent._numerics as nm
    state = (dict(xent.FUNCTIONS), nm.LseParts.__init__, nm.compensated_sum, nm.softplus)
    undo = _mutants.activate(name)
    undo()
    assert (dict(xent.FUNCTIONS), nm.LseParts.__init__, nm.compensated_sum, nm.softplus) == state


def test_unknown_mutant_raises():
    with pytest.raises(_mutants.UnknownMutant):
        _mutants.activate("no_such_mutant")


def test_reimplementation_helpers_match_the_shipped_code_when_unswitched():
    # the BCE and focal mutants are switches on a copy of the shipped code: with no switch the copy must
    # reproduce the shipped results bit for bit, so that each mutant differs by its one change only
    rng = np.random.default_rng(7)
    bce = _mutants._bce_mutated(xent.binary_cross_entropy)
    focal = _mutants._focal_mutated(xent.focal_loss)
    for dt in (np.float64, np.float32):
        y = rng.integers(0, 2, 64).astype(dt)
        p = np.concatenate([rng.random(60), [0.0, 1.0, 1e-30, 1 - 2.0 ** -40]]).astype(dt)
        for eps in (1e-15, 0.0, 0.25):
            for red in ("none", "sum", "mean"):
                np.testing.assert_array_equal(bce(y, p, epsilon=eps, reduction=red),
                                              xent.binary_cross_entropy(y, p, epsilon=eps, reduction=red))
        logits = (rng.standard_normal((16, 5)) * 20).astype(dt)
        target = rng.integers(0, 5, 16)
        for kw in ({}, {"alpha": rng.random(5), "reduction": "none"}, {"gamma": 0.5, "reduction": "sum"}):
            np.testing.assert_array_equal(focal(logits, target, **kw), xent.focal_loss(logits, target, **kw))


def test_the_shipped_adapter_never_imports_the_registry():
    env = {k: v for k, v in os.environ.items() if k != "XENT_MUTANT"}
    code = ("import sys, io, xent.adapter as a; a.main(io.StringIO('{\"cmd\": \"stop\"}\\n'), io.StringIO()); "
            "print(json.dumps('xent_mutants' in sys.modules))")
    out = subprocess.run([sys.executable, "-c", "import json; " + code], capture_output=True, text=True,
                         env=env, timeout=60, check=True).stdout
    assert json.loads(out) is False


def test_the_shipped_package_holds_no_mutant_code():
    # charter: shipped libraries hold no test-only code; the catalogue lives in python/mutants
    from pathlib import Path
    package = Path(xent.__file__).parent
    assert not list(package.glob("*mutant*"))
    assert Path(_mutants.__file__).parent != package


def test_without_the_catalogue_start_is_refused_and_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "xent_mutants", None)  # as if python/mutants were not installed
    monkeypatch.setattr(adapter, "_START_REFUSAL", None)
    adapter.enable_mutant("sigmoid_naive")
    out = io.StringIO()
    adapter.main(io.StringIO('{"cmd": "start", "version": 1}\n{"cmd": "stop"}\n'), out)
    (answer,) = [json.loads(line) for line in out.getvalue().splitlines()]
    assert "capabilities" not in answer
    assert "sigmoid_naive" in answer["error"]["message"] and "install ./python/mutants" in answer["error"]["message"]


def test_without_the_catalogue_list_mutants_fails_and_says_what_to_install(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "xent_mutants", None)
    assert adapter._cli(["--list-mutants"]) != 0
    out = capsys.readouterr()
    assert out.out == "" and "install ./python/mutants" in out.err


def test_level_sets_name_registered_mutants():
    assert _mutants.ACCEPT_AT_COMPATIBLE <= set(_mutants.MUTANTS)
    assert _mutants.KILL_AT_ACCURATE <= set(_mutants.MUTANTS)
    assert not _mutants.ACCEPT_AT_COMPATIBLE & _mutants.KILL_AT_ACCURATE
    listed = {m["name"]: m for m in _mutants.catalogue()}
    assert listed["port_max_shift"]["accept"] == "compatible" and "kill" not in listed["port_max_shift"]
    assert listed["sigmoid_tanh"]["kill"] == "compatible"


@pytest.mark.parametrize("name, z, tail_is_zero", [
    ("sigmoid_one_minus_for_negative", -20.0, True),   # 1 - 1/(1 + e^-20) = 0 in float32
    ("sigmoid_tail_flushed", -17.0, True),             # below ln(2^-24)
    ("sigmoid_tanh", -17.65, False),                   # not 0 here, but an absolute error of about u (+39 % or more)
    ("port_float32_native", -20.0, False),             # float32 arithmetic keeps the tail
])
def test_logistic_tail_variants(name, z, tail_is_zero):
    undo = _mutants.activate(name)
    try:
        got = xent.FUNCTIONS["sigmoid"](np.array([z], dtype=np.float32))[0]
    finally:
        undo()
    assert (got == 0) == tail_is_zero
    if name == "port_float32_native":
        assert abs(got - np.float32(2.0611537e-09)) < 4 * np.spacing(np.float32(2.0611537e-09))


def test_port_bce_logits_tf_keeps_tiny_losses_and_log_variant_loses_them():
    z, y = np.array([79.0], dtype=np.float32), np.array([1.0], dtype=np.float32)
    for name, zero in (("port_bce_logits_tf", False), ("bce_logits_log_not_log1p", True)):
        undo = _mutants.activate(name)
        try:
            got = xent.FUNCTIONS["binary_cross_entropy_with_logits"](z, y, reduction="none")[0]
        finally:
            undo()
        assert (got == 0) == zero, name


def test_port_bce_logits_tf_with_pos_weight_keeps_the_tiny_loss_of_y_0():
    """PyTorch's pos_weight form (1 - y) z + l (log1p(exp(-|z|)) + max(-z, 0)) gives 0 here (a defect at
    compatible); the must-accept port does not cancel: within 4 ulps of softplus(-25) = 1.3887944e-11."""
    z, y = np.array([-25.0], dtype=np.float32), np.array([0.0], dtype=np.float32)
    undo = _mutants.activate("port_bce_logits_tf")
    try:
        got = xent.FUNCTIONS["binary_cross_entropy_with_logits"](
            z, y, pos_weight=np.array([2.0], dtype=np.float32), reduction="none")[0]
    finally:
        undo()
    exact = np.float32(1.3887944e-11)
    assert abs(got - exact) <= 4 * np.spacing(exact)


def test_smoothing_classes_from_the_last_axis_changes_rank_3_only():
    rng = np.random.default_rng(3)
    logits3 = rng.standard_normal((2, 4, 3))
    target3 = rng.integers(0, 4, (2, 3))
    logits2, target2 = logits3[:, :, 0], target3[:, 0]
    f = xent.FUNCTIONS["softmax_cross_entropy"]
    shipped3, shipped2 = f(logits3, target3, label_smoothing=0.2), f(logits2, target2, label_smoothing=0.2)
    undo = _mutants.activate("sce_smoothing_classes_last_axis")
    try:
        assert f(logits3, target3, label_smoothing=0.2) != shipped3
        assert f(logits2, target2, label_smoothing=0.2) == shipped2
    finally:
        undo()


# issue 19: the porting-parity mutants change exactly the behaviour they name
def _with(name, call):
    undo = _mutants.activate(name)
    try:
        return call()
    finally:
        undo()


def test_porting_mutants_change_what_they_name():
    logp = np.array([[-0.5, -1.5], [-2.0, -0.25]])
    shipped = xent.FUNCTIONS["nll_loss"](logp, np.array([0, 1]), reduction="none")
    assert list(shipped) == [0.5, 0.25]
    mutated = _with("nll_loss_log_probs_as_probs",
                    lambda: xent.FUNCTIONS["nll_loss"](logp, np.array([0, 1]), reduction="none"))
    assert np.isnan(mutated).all()
    with pytest.raises(xent.IndexOutOfRangeError):
        xent.FUNCTIONS["nll_loss"](logp, np.array([-100, 1]), ignore_index=None)
    assert _with("ignore_index_null_as_minus_100",
                 lambda: xent.FUNCTIONS["nll_loss"](logp, np.array([-100, 1]), ignore_index=None)) == 0.25
    x, t = np.full((2, 3), -1.0), np.full((2, 3), 0.5)
    batchmean = xent.FUNCTIONS["kl_div"](x, t, reduction="batchmean")
    assert _with("kl_div_batchmean_as_mean", lambda: xent.FUNCTIONS["kl_div"](x, t, reduction="batchmean")) \
        == xent.FUNCTIONS["kl_div"](x, t) != batchmean
    m = np.array([[0.0, 1.0], [2.0, 5.0]])
    off = _with("axis_off_by_one", lambda: xent.FUNCTIONS["logsumexp"](m, axis=-1))
    assert np.array_equal(off, xent.FUNCTIONS["logsumexp"](m, axis=0))
    assert _with("axis_off_by_one", lambda: xent.FUNCTIONS["softmax"](np.array([1.0, 2.0]))).tolist() == \
        xent.FUNCTIONS["softmax"](np.array([1.0, 2.0])).tolist()


def test_port_max_shift_sums_a_bfloat16_row_in_float32():
    """ml_dtypes' bfloat16 np.sum stalls at 256 on a row of ones; the port's sum does not: ln 4096."""
    import ml_dtypes
    undo = _mutants.activate("port_max_shift")
    try:
        got = xent.FUNCTIONS["logsumexp"](np.zeros(4096, dtype=ml_dtypes.bfloat16))
    finally:
        undo()
    assert float(got) == float(ml_dtypes.bfloat16(np.log(4096.0)))
