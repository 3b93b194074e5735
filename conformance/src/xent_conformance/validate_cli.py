"""`xent-conformance validate`: check the spec, the case files and the vector files against their schemas."""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from rich.console import Console

from . import paths
from .spec import SpecError, case_files, load_case_file, load_spec, schema_problems


def register(commands) -> None:
    parser = commands.add_parser("validate", help="validate spec, case and vector files against their schemas")
    parser.add_argument("--vectors", type=Path, metavar="DIR", help="vector folder (default: vectors/)")
    parser.add_argument("files", nargs="*", type=Path, help="only these vector files")
    parser.set_defaults(handler=run)


def vector_problems(file: Path, spec_flags: dict | None = None) -> list[str]:
    """Schema problems of one vector file, plus the flag and count invariants the schema cannot state."""
    try:
        document = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        return [f"{file}: cannot read: {exc}"]
    except json.JSONDecodeError as exc:
        return [f"{file}: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"]
    problems = schema_problems(document, "vectors.schema.json", file)
    if problems:
        return problems
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


def run(args: argparse.Namespace) -> int:
    console = Console(stderr=True)
    problems: list[str] = []
    checked = 0
    try:
        spec = load_spec()
        for file in case_files():
            load_case_file(file, spec)
            checked += 1
    except SpecError as exc:
        problems.extend(exc.problems)
    vector_files = args.files or sorted((args.vectors or paths.vectors_dir()).glob("*.json"))
    for file in vector_files:
        problems.extend(vector_problems(file))
    for problem in problems:
        console.print(problem, highlight=False, markup=False)
    if problems:
        console.print(f"{len(problems)} problem(s)", highlight=False)
        return 1
    console.print(f"spec, {checked} case files and {len(vector_files)} vector files are valid", highlight=False)
    return 0
