"""Option-pair coverage: a seeded family with one vector per pair of option values, and its measurement.

A function's options are *factors* (rank, reduction, weights present or absent, ignore_index absent /
positive / negative, label smoothing off / uniform / off_target, index or probability targets, hard or
soft binary targets, pos_weight, gamma, alpha, base, epsilon), each with a default level. A pair of levels
of two factors is *covered* when some valid vector has both levels while every other factor is at its
default, so that a defect in the combination cannot hide behind a third option (issue 11: label smoothing
at rank > 2 was only ever tested together with class weights). Every vector is generated in both dtypes,
so the pairs of dtype with each level are covered when every level is.

The family (case-file key `coverage`) enumerates those configurations in a fixed order and gives the
k-th the tcId base + k: the ids are stable while the spec's options are. `measure` classifies every
generated vector of a function (hand cases and other families count too) back into levels and counts
the pairs covered, independently of how the family meant to build them.
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

from .cases import Case, Source, _random_inputs, _random_params  # the generator's seeded building blocks
from . import split_merge_inputs
from .dtypes import DType
from .tensor import INT_DTYPE, Tensor
from .values import to_dtype

CLASSES = 3                 # small shapes keep the family cheap: at most 2 * 3 * 2^3 = 48 elements
IGNORE_LEVELS = {"absent": -100, "positive": 1, "negative": -1, "null": None}  # null: nothing ignored
AXIS_LEVELS = ("-1", "0")  # valid at every rank (an axis out of range is an error case, not a level)
BOOL_LEVELS = ("false", "true")
FLOAT_LEVELS = {            # levels of scalar float parameters, default first
    "epsilon": {"cross_entropy": ("0", "1e-15"), "nll_from_probs": ("1e-15", "0"),
                "binary_cross_entropy": ("1e-15", "0", "1e-7")},
    "gamma": ("2", "0", "0.5"),
    "logit_scale": ("1", "2"),   # issue 17: softmax cross-entropy and its gradient
    "z_loss": ("0", "0.25"),
}
SIGMOID_ALPHA_LEVELS = ("0.25", "null", "0.75")
NULLABLE_FLOAT_LEVELS = {"softcap": ("null", "2")}  # default first; other float_or_null: the alpha levels
#: parameters that every coverage vector of a function carries instead of being a factor: the gradient of
#: the fused linear cross-entropy with respect to linear_bias needs a bias (issue 18), so its pairs are
#: taken with one (the bias-free gradients are hand cases)
ALWAYS_GIVEN = {("linear_cross_entropy_grad", "linear_bias"): "random_weights"}


@dataclass(frozen=True)
class Factor:
    name: str
    levels: tuple[str, ...]  # levels[0] is the default

    @property
    def default(self) -> str:
        return self.levels[0]


# ---------------------------------------------------------------- factors of a function

def _rank_factor(fn: dict) -> Factor | None:
    low, high = next(iter(fn["inputs"].values())).get("rank", [2, 5])
    if low == high:
        return None
    default = max(low, 1) if low < 2 else low
    if _has_class_axis(fn) and low <= 2 <= high:
        default = 2  # nll_loss: [N, C] is the common form, [C] (rank 1) a level like the spatial ranks
    return Factor("rank", (str(default),) + tuple(str(r) for r in range(low, high + 1) if r != default))


def _has_class_axis(fn: dict) -> bool:
    """[N, C, d1..dk] inputs with class-index targets (softmax CE, its gradient, nll_loss)."""
    roles = [decl["role"] for decl in fn["inputs"].values()]
    return roles[0] == "logits" and ("class_index_or_probabilities" in roles or "class_index" in roles)


def _target_factor(fn: dict) -> Factor | None:
    roles = {decl["role"] for decl in fn["inputs"].values()}
    if "class_index_or_probabilities" in roles:
        return Factor("targets", ("index", "probabilities"))
    if "binary_target" in roles:
        return Factor("targets", ("hard", "soft"))
    return None


def _param_factor(function: str, name: str, decl: dict) -> Factor | None:
    kind = decl["type"]
    if (function, name) in ALWAYS_GIVEN:
        return None
    if name == "label_smoothing":
        return Factor("smoothing", ("off", "uniform", "off_target"))
    if name == "label_smoothing_mode":
        return None  # folded into the smoothing factor
    if name == "output_dtype":
        return None  # a contract of the 16-bit dtypes, not an option: its own cases cover it (spec, dtypes)
    if kind == "bool_tensor_or_null":
        return None  # the class mask where: its hand cases (tcIds 8700-8757) cover it with every option
    if kind == "enum":
        default = decl["default"]
        return Factor(name, (default,) + tuple(v for v in decl["values"] if v != default))
    if kind == "float_tensor_or_null":
        return Factor(name, ("absent", "present"))
    if kind == "int_or_null":
        return Factor(name, tuple(IGNORE_LEVELS))
    if kind == "int":
        return Factor(name, AXIS_LEVELS)
    if kind == "bool":
        return Factor(name, BOOL_LEVELS)
    if kind == "float_or_null":
        return Factor(name, NULLABLE_FLOAT_LEVELS.get(name, SIGMOID_ALPHA_LEVELS))
    levels = FLOAT_LEVELS.get(name)
    if isinstance(levels, dict):
        levels = levels.get(function)
    return Factor(name, levels) if levels else None


def factors(function: str, fn: dict) -> list[Factor]:
    found = [_rank_factor(fn), _target_factor(fn)]
    found += [_param_factor(function, name, decl) for name, decl in fn["params"].items()]
    return [f for f in found if f is not None]


def configurations(factor_list: list[Factor]) -> list[dict[str, str]]:
    """One configuration per level and per pair of levels, every other factor at its default (single
    levels pair with the dtype, and are all a one-factor function has); duplicates removed."""
    base = {f.name: f.default for f in factor_list}
    singles = [{f.name: level} for f in factor_list for level in f.levels]
    pairs = [{a.name: la, b.name: lb} for a, b in itertools.combinations(factor_list, 2)
             for la, lb in itertools.product(a.levels, b.levels)]
    seen, out = set(), []
    for change in singles + pairs:
        config = base | change
        key = tuple(sorted(config.items()))
        if key not in seen:
            seen.add(key)
            out.append(config)
    return out


# ---------------------------------------------------------------- building the vectors

def _shape(fn: dict, config: dict) -> tuple[int, ...]:
    roles = [decl["role"] for decl in fn["inputs"].values()]
    rank = int(config["rank"]) if "rank" in config else next(iter(fn["inputs"].values()))["rank"][0]
    if _has_class_axis(fn) and rank == 1:
        return (CLASSES,)                           # nll_loss's [C] with a scalar target
    if split_merge_inputs.handles(fn) and rank != 2:  # issue 18: K = 2 states over 2 columns, small at rank 8
        return (3,) if rank == 1 else (2,) + (1,) * (rank - 2) + (2,)
    if roles[0] == "logits" and "class_index_or_probabilities" in roles or "class_index" in roles:
        return (2, CLASSES) + (2,) * (rank - 2)   # [N, C, d1..]: class axis 1
    if rank == 0:
        return ()
    return (2,) * (rank - 1) + (CLASSES,)           # the last axis is the [C] of weight and pos_weight


def _given_params(fn: dict, config: dict) -> dict:
    given: dict = {}
    for name, decl in fn["params"].items():
        level = config.get("smoothing") if name.startswith("label_smoothing") else config.get(name)
        if level is None:
            continue
        if name == "label_smoothing":
            given[name] = 0 if level == "off" else 0.1
        elif name == "label_smoothing_mode":
            given[name] = level if level == "off_target" else "uniform"
        elif decl["type"] == "float_tensor_or_null":
            present = "random_upstream" if name == "grad_output" else "random_weights"  # issue 17: the loss output's shape
            given[name] = present if level == "present" else None
        elif decl["type"] == "int_or_null":
            given[name] = IGNORE_LEVELS[level]
        elif decl["type"] == "int":
            given[name] = int(level)
        elif decl["type"] == "bool":
            given[name] = level == "true"
        elif decl["type"] == "float_or_null":
            given[name] = None if level == "null" else level
        else:
            given[name] = level
    return given


def _with_ignored(target: Tensor, ignore_index: int) -> Tensor:
    """The first position ignored and the last one kept (class 0), so the mean has a denominator."""
    data = list(target.data)
    data[0] = ignore_index
    if len(data) > 1 and data[-1] == ignore_index:
        data[-1] = 0
    return Tensor(INT_DTYPE, target.shape, tuple(data))


def _describe(config: dict, factor_list: list[Factor]) -> str:
    changed = [f"{f.name}={config[f.name]}" for f in factor_list if config[f.name] != f.default]
    return ", ".join(changed) if changed else "all options at their defaults"


def _flags(config: dict) -> list[str]:
    """Random, and the spec's flags for the options this configuration turns on."""
    flags = ["Random"]
    flags += ["HigherRank"] if config.get("targets") in ("index", "probabilities") and int(config.get("rank", 2)) > 2 else []
    flags += ["LabelSmoothing"] if config.get("smoothing", "off") != "off" else []
    flags += ["ClassWeights"] if config.get("weight") == "present" else []
    flags += ["IgnoreIndex"] if config.get("ignore_index", "absent") not in ("absent", "null") else []
    flags += ["ProbabilityTargets"] if config.get("targets") == "probabilities" else []
    flags += ["Base2"] if config.get("base") == "2" else []
    return flags


def coverage_cases(entry: dict, fn: dict, function: str, dtype: DType, source: str) -> list[Case]:
    """The pairwise family of a case file's `coverage` entry (tcId, seed, comment)."""
    factor_list = factors(function, fn)
    cases = []
    for k, config in enumerate(configurations(factor_list)):
        tc_id = entry["tcId"] + k
        src = Source(f"xent:{function}:coverage:{entry['seed']}:{tc_id}")
        targets = config.get("targets")
        family = {"targets": targets} if targets in ("probabilities", "soft") else {}
        inputs = _random_inputs(src, fn, _shape(fn, config), family, 1.0, dtype)
        always = {name: value for (f, name), value in ALWAYS_GIVEN.items() if f == function}
        params = _random_params(src, fn, always | _given_params(fn, config), inputs, dtype)
        if config.get("ignore_index", "absent") not in ("absent", "null") and not inputs["target"].is_float:
            inputs["target"] = _with_ignored(inputs["target"], params["ignore_index"])
        comment = f"{entry['comment']} (seed {entry['seed']}: {_describe(config, factor_list)})"
        cases.append(Case(tc_id, comment, _flags(config), inputs, params, None, source))
    return cases


# ---------------------------------------------------------------- measuring the coverage of vectors

def _float_level(value, levels: tuple[str, ...], dtype: DType) -> str | None:
    for level in levels:
        if level != "null" and value is not None and value == to_dtype(level, dtype):
            return level
    return "null" if value is None and "null" in levels else None


def classify(case: Case, function: str, fn: dict, dtype: DType) -> dict[str, str | None]:
    """The level of every factor in one vector (None: a value that is no level, e.g. gamma 3)."""
    first = next(iter(case.inputs.values()))
    levels: dict[str, str | None] = {}
    for factor in factors(function, fn):
        name, p = factor.name, case.params
        if name == "rank":
            levels[name] = str(len(first.shape))
        elif name == "targets":
            target = case.inputs.get("target") if "target" in case.inputs else case.inputs["y"]
            if factor.levels[0] == "index":
                levels[name] = "probabilities" if target.is_float else "index"
            else:
                levels[name] = "hard" if all(v in (0.0, 1.0) for v in target.data) else "soft"
        elif name == "smoothing":
            levels[name] = "off" if p["label_smoothing"] == 0 else p["label_smoothing_mode"]
        elif name == "ignore_index":
            value = p[name]
            levels[name] = ("null" if value is None else "absent" if value == -100
                            else "positive" if value >= 0 else "negative")
        elif name == "axis":
            levels[name] = str(p[name]) if str(p[name]) in factor.levels else None
        elif factor.levels == BOOL_LEVELS:
            levels[name] = "true" if p[name] else "false"
        elif factor.levels == ("absent", "present"):
            levels[name] = "absent" if p[name] is None else "present"
        elif name in fn["params"] and fn["params"][name]["type"] == "enum":
            levels[name] = p[name] if p[name] in factor.levels else None
        else:
            levels[name] = _float_level(p[name], factor.levels, dtype)
    return levels


@dataclass
class PairCoverage:
    function: str
    covered: int
    possible: int
    missing: list[str]

    @property
    def complete(self) -> bool:
        return self.covered == self.possible


def measure(function: str, fn: dict, cases_by_dtype: dict[str, list[Case]], dtypes: dict[str, DType]) -> PairCoverage:
    """Pairs of levels (dtype included as a factor) found in a valid vector with all else at default."""
    factor_list = factors(function, fn) + [Factor("dtype", tuple(cases_by_dtype))]
    found: set[tuple] = set()
    for dtype_name, cases in cases_by_dtype.items():
        for case in cases:
            if case.error is not None:
                continue
            levels = classify(case, function, fn, dtypes[dtype_name]) | {"dtype": dtype_name}
            off_default = [f.name for f in factor_list if levels[f.name] != f.default]
            if len(off_default) > 2 or any(levels[n] is None for n in off_default):
                continue
            for a, b in itertools.combinations(factor_list, 2):
                if all(n in (a.name, b.name) for n in off_default):
                    found.add((a.name, levels[a.name], b.name, levels[b.name]))
    missing = [f"{a.name}={la} with {b.name}={lb}"
               for a, b in itertools.combinations(factor_list, 2)
               for la, lb in itertools.product(a.levels, b.levels)
               if (a.name, la, b.name, lb) not in found]
    possible = sum(len(a.levels) * len(b.levels) for a, b in itertools.combinations(factor_list, 2))
    return PairCoverage(function, possible - len(missing), possible, missing)


def pairs_possible(function: str, fn: dict) -> int:
    factor_list = factors(function, fn) + [Factor("dtype", ("float64", "float32"))]
    return sum(math.prod(len(f.levels) for f in pair) for pair in itertools.combinations(factor_list, 2))


# ---------------------------------------------------------------- the report

def report(sections: tuple[str, ...] = ("cases", "families", "coverage")) -> list[tuple[str, str, PairCoverage]]:
    """(function, factors, coverage) of the shipped case files, counting only the given sections."""
    from .cases import materialize
    from .dtypes import DTYPES
    from .spec import case_files, load_case_file, load_spec

    spec = load_spec()
    rows = []
    for file in case_files():
        document = load_case_file(file, spec)
        document = {key: value for key, value in document.items() if key == "function" or key in sections}
        function, fn = document["function"], spec.functions[document["function"]]
        by_dtype = {name: materialize(document, spec, DTYPES[name], str(file)) for name in ("float64", "float32")}
        described = ", ".join(f"{f.name} {len(f.levels)}" for f in factors(function, fn)) or "no options"
        rows.append((function, described, measure(function, fn, by_dtype, DTYPES)))
    return rows


def main() -> None:
    """python -m xent_conformance.coverage: pairs covered / pairs possible per function."""
    before = {function: cov for function, _, cov in report(("cases", "families"))}
    print(f"{'function':40} {'pairs (all vectors)':>20} {'without coverage family':>24}  factors (levels)")
    for function, described, cov in report():
        old = before[function]
        print(f"{function:40} {cov.covered:>9}/{cov.possible:<10} {old.covered:>12}/{old.possible:<11}  {described}")
        for pair in cov.missing:
            print(f"    missing: {pair}")


if __name__ == "__main__":
    main()
