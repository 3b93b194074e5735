"""`xent-conformance validate`: check the spec, the case files and the vector files.

Vector files are checked against their schema, then by the loader `run` uses (hex floats exact in the
dtype, int64 integers, no repeated JSON key, a function of the spec, ...), then for consistency, which
is too slow for every run and so lives here: every `expected` element is its `exact` value correctly
rounded into the file's dtype, and every acceptable output has the expected shape.
"""
from __future__ import annotations

import argparse
import math
from decimal import Decimal, InvalidOperation, localcontext
from pathlib import Path

from rich.console import Console

from . import paths
from .dtypes import DType, dtype_named
from .harness.vectors import VectorCase, VectorFileError, load_vector_file, parse_json
from .hexfloat import format_hex
from .jsonfmt import MAX_DEPTH, nesting_error, nesting_position
from .generate import later_defaults, params_json
from .spec import Spec, SpecError, case_files, load_case_file, load_spec, schema_problems
from .oracle.core import EXACT_DIGITS  # significant digits of `exact` in vector files
from .values import to_dtype


def register(commands) -> None:
    parser = commands.add_parser(
        "validate", help="validate spec, case and vector files (schemas and consistency)",
        description="Validate the spec and case files against their schemas, and vector files against theirs, "
                    "the loader's checks and consistency: every expected value is its exact value correctly "
                    "rounded into the dtype, every bound finite and non-negative, no repeated JSON key, a "
                    "function of the spec. Exit 0: valid; 1: problems (each names the file and the place).")
    parser.add_argument("--vectors", type=Path, metavar="DIR", help="vector folder (default: vectors/)")
    parser.add_argument("files", nargs="*", type=Path, help="only these vector files")
    parser.set_defaults(handler=run)


def vector_problems(file: Path, spec_flags: dict | None = None, spec: Spec | None = None) -> list[str]:
    """Every problem of one vector file: schema, loader checks, counts, flags, later parameters at their
    default (with the spec), consistency."""
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return [f"{file}: cannot read: {exc}"]
    if nesting_position(text, MAX_DEPTH) is not None:  # a vector file nests 6 levels; deeper is never right
        error = nesting_error(text)
        return [f"{file}: {error.where}: {error.message}"]
    try:
        document = parse_json(file, text)
        problems = schema_problems(document, "vectors.schema.json", file)
    except VectorFileError as exc:
        return [str(exc)]
    if problems:
        return problems
    problems.extend(_invariant_problems(file, document))
    if spec is not None:
        problems.extend(later_default_problems(file, document, spec))
    try:
        cases = load_vector_file(file, use_schema=False)
    except VectorFileError as exc:
        return problems + [str(exc)]
    return problems + consistency_problems(file, cases)


def _invariant_problems(file: Path, document: dict) -> list[str]:
    """Flag and count invariants the schema cannot state."""
    problems = []
    tests = [t for g in document["testGroups"] for t in g["tests"]]
    if document["numberOfTests"] != len(tests):
        problems.append(f"{file}: numberOfTests: {document['numberOfTests']} but the file holds {len(tests)} tests")
    ids = [t["tcId"] for t in tests]
    if len(ids) != len(set(ids)):
        problems.append(f"{file}: testGroups: duplicate tcIds")
    for gi, group in enumerate(document["testGroups"]):
        for ti, test in enumerate(group["tests"]):
            for flag in test["flags"] + [f for a in test.get("acceptable", []) for f in a["flags"]]:
                if flag not in document["notes"]:
                    problems.append(f"{file}: testGroups[{gi}].tests[{ti}].flags: {flag!r} is not defined in notes")
            if test["result"] == "valid":
                n = len(test["expected"]["data"])
                for key in ("exact", "kappa"):
                    if len(test[key]) != n:
                        problems.append(f"{file}: testGroups[{gi}].tests[{ti}].{key}: {len(test[key])} values for {n} outputs")
    return problems


def later_default_problems(file: Path, document: dict, spec: Spec) -> list[str]:
    """A parameter added by a later specVersion (`since`) written at its default: requests made of the
    group would carry a name that adapters of earlier protocol versions refuse (they must be left out)."""
    fn = spec.functions.get(document["function"])
    if fn is None:
        return []
    defaults = params_json(later_defaults(fn, dtype_named(document["dtype"])))
    return [f"{file}: testGroups[{gi}].params.{name}: added in specVersion {fn['params'][name]['since']} and "
            f"written at its default (leave it out)"
            for gi, group in enumerate(document["testGroups"]) for name, value in group["params"].items()
            if name in defaults and value == defaults[name]]


def consistency_problems(file: Path | str, cases: list[VectorCase]) -> list[str]:
    """Each `expected` element is its `exact` value rounded into the dtype; acceptable outputs have the
    expected shape. (Bounds finite and non-negative: the loader checks them, for `run` too.)"""
    problems = []
    for case in cases:
        if case.result != "valid":
            continue
        dtype = dtype_named(case.result_dtype)  # float32 under output_dtype float32 (the mixed contract)
        for i, (exact, expected) in enumerate(zip(case.exact, case.expected)):
            allowed = roundings(exact, dtype)
            if not any(_same(expected, value) for value in allowed):
                wanted = " or ".join(dict.fromkeys(format_hex(v) for v in allowed))
                problems.append(f"{file}: {case.where}.expected.data[{i}]: {case.expected_text[i]} is not the exact "
                                f"value {exact} rounded to {dtype.name} ({wanted})")
        for k, alternative in enumerate(case.acceptable):
            if alternative.shape != case.expected_shape:
                problems.append(f"{file}: {case.where}.acceptable[{k}].output.shape: {alternative.shape} is not the "
                                f"expected shape {case.expected_shape}")
    return problems


def _same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


def _round(text: str, dtype: DType) -> float:
    """Decimal text correctly rounded into the dtype (float() is correctly rounded for float64)."""
    return float(text) if dtype.precision == 53 else to_dtype(text, dtype)


def roundings(exact: str, dtype: DType) -> tuple[float, ...]:
    """The dtype values a correct `expected` may hold for this `exact` text.

    `exact` is the exact value rounded to 40 significant digits (the oracle's exact_text; a shorter
    string counts as padded with zeros): when the value lies within one unit of the 40th digit of a
    rounding boundary (log_softmax of a dominant logit is a float minus a tiny amount), both neighbours
    are right. Zero has no sign in `exact`.
    """
    nearest = _round(exact, dtype)
    try:
        value = Decimal(exact.strip())
    except InvalidOperation:
        return (nearest,)
    if not value.is_finite() or value.is_zero():
        return (nearest, -nearest)
    digits, exponent = value.as_tuple()[1:]
    unit = Decimal((0, (1,), min(exponent, value.adjusted() - (EXACT_DIGITS - 1))))
    with localcontext() as context:
        context.prec = max(len(digits), EXACT_DIGITS) + 2  # value +- unit exactly (the default keeps 28 digits)
        return nearest, _round(str(value - unit), dtype), _round(str(value + unit), dtype)


def run(args: argparse.Namespace) -> int:
    console = Console(stderr=True, soft_wrap=True)  # one problem per line, also in CI logs
    problems: list[str] = []
    checked = 0
    try:
        spec = load_spec()
    except SpecError as exc:
        spec = None
        problems.extend(exc.problems)
    for file in case_files() if spec else []:
        try:  # every case file is checked, not only those before the first broken one
            load_case_file(file, spec)
            checked += 1
        except SpecError as exc:
            problems.extend(exc.problems)
    vector_files = args.files or sorted((args.vectors or paths.vectors_dir()).glob("*.json"))
    for file in vector_files:
        problems.extend(vector_problems(file, spec=spec))
    for problem in problems:
        console.print(problem, highlight=False, markup=False)
    if problems:
        console.print(f"{len(problems)} problem(s)", highlight=False)
        return 1
    console.print(f"spec, {checked} case files and {len(vector_files)} vector files are valid", highlight=False)
    return 0
