"""Option-pair coverage of the shipped case files (issue 11 item 5): every pair of option values occurs
in a valid vector whose other options are at their defaults. Run with -s to see the figures."""
from __future__ import annotations

import pytest

from xent_conformance import coverage
from xent_conformance.dtypes import DTYPES
from xent_conformance.spec import load_spec


@pytest.fixture(scope="module")
def shipped():
    return coverage.report()


@pytest.fixture(scope="module")
def without_family():
    return {function: cov for function, _, cov in coverage.report(("cases", "families"))}


def test_every_option_pair_is_covered(shipped, without_family):
    for function, described, cov in shipped:
        old = without_family[function]
        print(f"{function}: {cov.covered}/{cov.possible} pairs ({old.covered}/{old.possible} without the"
              f" coverage family); factors: {described}")
    incomplete = {function: cov.missing for function, _, cov in shipped if not cov.complete}
    assert not incomplete


def test_the_measure_finds_the_gap_of_issue_11(without_family):
    """Label smoothing at rank > 2 without class weights was never tested before the family."""
    missing = without_family["softmax_cross_entropy"].missing
    assert "rank=3 with smoothing=uniform" in missing


def test_family_ids_are_stable_and_consecutive():
    spec = load_spec()
    fn = spec.functions["softmax_cross_entropy"]
    entry = {"tcId": 5000, "seed": 1, "comment": "pairs"}
    first = coverage.coverage_cases(entry, fn, "softmax_cross_entropy", DTYPES["float64"], "")
    again = coverage.coverage_cases(entry, fn, "softmax_cross_entropy", DTYPES["float64"], "")
    assert [c.tc_id for c in first] == list(range(5000, 5000 + len(first)))
    assert [(c.inputs, c.params) for c in first] == [(c.inputs, c.params) for c in again]
    assert "all options at their defaults" in first[0].comment


def test_ignored_levels_hold_ignored_positions():
    spec = load_spec()
    fn = spec.functions["softmax_cross_entropy"]
    entry = {"tcId": 5000, "seed": 1, "comment": "pairs"}
    for case in coverage.coverage_cases(entry, fn, "softmax_cross_entropy", DTYPES["float32"], ""):
        target = case.inputs["target"]
        if case.params["ignore_index"] is None:  # null: nothing ignored, every target a class
            assert target.is_float or all(0 <= v < target_classes(case) for v in target.data)
        elif case.params["ignore_index"] != -100 and not target.is_float:
            assert case.params["ignore_index"] in target.data
            assert any(v != case.params["ignore_index"] for v in target.data)


def target_classes(case) -> int:
    return case.inputs["logits"].shape[1]


def test_ignore_index_null_axis_and_log_target_are_levels():
    """issue 19: ignore_index null, axis and log_target are factors of the pairwise family."""
    spec = load_spec()
    names = {name: [f.levels for f in coverage.factors(name, spec.functions[name])]
             for name in ("nll_loss", "softmax", "kl_div")}
    assert coverage.IGNORE_LEVELS["null"] is None and tuple(coverage.IGNORE_LEVELS) in names["nll_loss"]
    assert coverage.AXIS_LEVELS in names["softmax"] and coverage.BOOL_LEVELS in names["kl_div"]
    entry = {"tcId": 5000, "seed": 1, "comment": "pairs"}
    cases = coverage.coverage_cases(entry, spec.functions["nll_loss"], "nll_loss", DTYPES["float64"], "")
    assert any(c.params["ignore_index"] is None for c in cases)
    assert any(c.inputs["input"].shape == (coverage.CLASSES,) and c.inputs["target"].shape == () for c in cases)
