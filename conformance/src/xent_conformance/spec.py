"""Loading the spec and case files: safe YAML, JSON Schema validation, cross-checks, clear errors.

Every problem is reported as `file: path.inside.file: what is wrong`, and nothing downstream runs
until the whole spec is valid.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from . import paths


class SpecError(Exception):
    """One or more problems in spec or case files; str() lists them, one per line."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


def _location(path) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".") or "(top level)"


def load_yaml(file: Path) -> Any:
    """yaml.safe_load (no object construction), with the file and line in any syntax error."""
    try:
        with open(file, encoding="utf-8") as handle:
            return yaml.safe_load(handle)
    except OSError as exc:
        raise SpecError([f"{file}: cannot read: {exc.strerror}"]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise SpecError([f"{file}: invalid YAML: {where}{problem}"]) from None


@lru_cache(maxsize=None)
def load_schema(name: str) -> dict:
    with open(paths.schema_dir() / name, encoding="utf-8") as handle:
        return json.load(handle)


def schema_problems(document: Any, schema_name: str, file: Path | str) -> list[str]:
    validator = jsonschema.Draft202012Validator(load_schema(schema_name))
    problems = []
    for error in sorted(validator.iter_errors(document), key=lambda e: list(map(str, e.absolute_path))):
        problems.append(f"{file}: {_location(error.absolute_path)}: {error.message}")
    return problems


@dataclass(frozen=True)
class Spec:
    document: dict
    file: Path

    @property
    def functions(self) -> dict[str, dict]:
        return self.document["functions"]

    @property
    def flags(self) -> dict[str, dict]:
        return self.document["flags"]

    @property
    def error_kinds(self) -> list[str]:
        return list(self.document["errors"])

    def tolerance(self, function: str) -> dict:
        """The function's resolved tolerance constants: the default with the function's overrides."""
        resolved = {level: dict(v) for level, v in self.document["tolerance"]["default"].items()}
        for level, values in self.functions[function].get("tolerance", {}).items():
            resolved[level] = dict(values)
        return resolved


def _cross_check(doc: dict, file: Path) -> list[str]:
    problems = []
    kinds = set(doc["errors"])
    for name, fn in doc["functions"].items():
        for i, err in enumerate(fn["errors"]):
            if err["kind"] not in kinds:
                problems.append(f"{file}: functions.{name}.errors[{i}].kind: {err['kind']!r} is not a declared error kind")
        for pname, param in fn["params"].items():
            if param["type"] == "enum" and param["default"] not in param["values"]:
                problems.append(f"{file}: functions.{name}.params.{pname}.default: not one of its values")
    return problems


def load_spec(file: Path | None = None) -> Spec:
    file = Path(file) if file else paths.spec_dir() / "xent.yaml"
    document = load_yaml(file)
    problems = schema_problems(document, "spec.schema.json", file)
    if not problems:
        problems = _cross_check(document, file)
    if problems:
        raise SpecError(problems)
    return Spec(document, file)


def case_files() -> list[Path]:
    return sorted((paths.spec_dir() / "cases").glob("*.yaml"))


def load_case_file(file: Path, spec: Spec) -> dict:
    """A validated case file: schema, known function, inputs, params and flags, unique tcIds."""
    document = load_yaml(file)
    problems = schema_problems(document, "cases.schema.json", file)
    if problems:
        raise SpecError(problems)
    function = document["function"]
    if function not in spec.functions:
        raise SpecError([f"{file}: function: {function!r} is not a function of the spec"])
    fn = spec.functions[function]
    seen: dict[int, str] = {}
    for section in ("cases", "families"):
        for i, entry in enumerate(document.get(section, [])):
            where = f"{file}: {section}[{i}]"
            span = range(entry["tcId"], entry["tcId"] + entry.get("count", 1))
            for tc in span:
                if tc in seen:
                    problems.append(f"{where}.tcId: {tc} is already used by {seen[tc]}")
                seen[tc] = f"{section}[{i}]"
            for flag in entry.get("flags", []):
                if flag not in spec.flags:
                    problems.append(f"{where}.flags: {flag!r} is not defined in the spec's flags")
            param_sets = entry.get("params", {})
            for params in (param_sets if isinstance(param_sets, list) else [param_sets]):
                for pname in params:
                    if pname not in fn["params"]:
                        problems.append(f"{where}.params.{pname}: {function} has no parameter {pname!r}")
            if section == "cases":
                for iname in entry["inputs"]:
                    if iname not in fn["inputs"]:
                        problems.append(f"{where}.inputs.{iname}: {function} has no input {iname!r}")
                missing = set(fn["inputs"]) - set(entry["inputs"])
                if missing:
                    problems.append(f"{where}.inputs: missing {sorted(missing)}")
                if "error" in entry and entry["error"] not in spec.error_kinds:
                    problems.append(f"{where}.error: {entry['error']!r} is not an error kind of the spec")
    if problems:
        raise SpecError(problems)
    return document
