"""Loading the spec and case files: safe YAML, JSON Schema validation, cross-checks, clear errors.

Every problem is reported as `file: path.inside.file: what is wrong`, and nothing downstream runs
until the whole spec is valid.

Limits on YAML files (spec and case files), each an error naming the file and the line:
  - MAX_YAML_BYTES: a file larger than 4 MiB is not read (the shipped case files are under 20 KB);
  - MAX_YAML_DEPTH: collections nested more than 64 levels deep (a case nests about 10);
  - a key written twice in one mapping (PyYAML would keep the last);
  - MAX_YAML_NODES: at most 1,000,000 nodes once every alias is expanded, so a small file of nested
    aliases (a "billion laughs" bomb) is refused before anything walks it; a recursive alias is refused;
  - the text must be UTF-8.
Schema integers must be written as integers: 1.0 is not one here (JSON Schema 2020-12 would accept it,
and a tcId, count or shape entry of 1.0 would then crash the generator).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from . import paths


MAX_YAML_BYTES = 4 * 1024 * 1024
MAX_YAML_DEPTH = 64
MAX_YAML_NODES = 1_000_000


class SpecError(Exception):
    """One or more problems in spec or case files; str() lists them, one per line."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


def _location(path) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".") or "(top level)"


class _LimitedLoader(yaml.SafeLoader):
    """yaml.SafeLoader (no object construction) that refuses nesting deeper than MAX_YAML_DEPTH."""

    def __init__(self, stream: str):
        super().__init__(stream)
        self.depth = 0

    def compose_node(self, parent, index):
        self.depth += 1
        try:
            if self.depth > MAX_YAML_DEPTH:
                raise yaml.composer.ComposerError(None, None, f"nested more than {MAX_YAML_DEPTH} levels deep",
                                                  self.peek_event().start_mark)
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1

    def construct_mapping(self, node, deep=False):
        """A key written twice in one mapping is an error (PyYAML keeps the last silently); keys
        brought in by a merge (<<) may be overridden, as YAML intends."""
        if isinstance(node, yaml.MappingNode):
            seen: set[tuple[str, str]] = set()
            for key_node, _ in node.value:
                if isinstance(key_node, yaml.ScalarNode) and key_node.tag != "tag:yaml.org,2002:merge":
                    if (key_node.tag, key_node.value) in seen:
                        raise yaml.constructor.ConstructorError(None, None, f"the key {key_node.value!r} appears "
                                                                "twice in this mapping", key_node.start_mark)
                    seen.add((key_node.tag, key_node.value))
        return super().construct_mapping(node, deep)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return []


def _check_expansion(root: yaml.Node) -> None:
    """Refuse a node graph whose alias-expanded tree exceeds MAX_YAML_NODES nodes or MAX_YAML_DEPTH
    levels, or that contains itself. Aliases share nodes, so sizes are memoised per node: linear time."""
    size: dict[int, int] = {}
    depth: dict[int, int] = {}
    open_nodes: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if children_done:
            open_nodes.discard(key)
            kids = _children(node)
            size[key] = 1 + sum(size[id(k)] for k in kids)
            depth[key] = 1 + max((depth[id(k)] for k in kids), default=0)
            if size[key] > MAX_YAML_NODES:
                raise yaml.composer.ComposerError(None, None, f"aliases expand to more than {MAX_YAML_NODES:,} "
                                                  "nodes (an alias bomb?)", node.start_mark)
            if depth[key] > MAX_YAML_DEPTH:
                raise yaml.composer.ComposerError(None, None, f"aliases expand to more than {MAX_YAML_DEPTH} "
                                                  "levels of nesting", node.start_mark)
            continue
        if key in size:
            continue
        if key in open_nodes:
            raise yaml.composer.ComposerError(None, None, "an alias refers to a node that contains it",
                                              node.start_mark)
        open_nodes.add(key)
        stack.append((node, True))
        stack.extend((kid, False) for kid in reversed(_children(node)) if id(kid) not in size)


def _safe_load(text: str) -> Any:
    loader = _LimitedLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_expansion(node)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def load_yaml(file: Path) -> Any:
    """Safe YAML (no object construction) within the limits above, with the file and line in any error."""
    try:
        with open(file, "rb") as handle:
            raw = handle.read(MAX_YAML_BYTES + 1)
    except OSError as exc:
        raise SpecError([f"{file}: cannot read: {exc.strerror or exc}"]) from None
    if len(raw) > MAX_YAML_BYTES:
        raise SpecError([f"{file}: larger than {MAX_YAML_BYTES // (1024 * 1024)} MiB, the limit for a spec or case file"])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise SpecError([f"{file}: not UTF-8: line {line}, byte {exc.start}: {exc.reason}"]) from None
    try:
        return _safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise SpecError([f"{file}: invalid YAML: {where}{problem}"]) from None
    except RecursionError:  # a construct deeper than the depth limit catches (should not happen)
        raise SpecError([f"{file}: invalid YAML: nested too deeply"]) from None


@lru_cache(maxsize=None)
def load_schema(name: str) -> dict:
    with open(paths.schema_dir() / name, encoding="utf-8") as handle:
        return json.load(handle)


def _strict_integer(_checker, value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@lru_cache(maxsize=None)
def _validator_class() -> Any:
    """Draft 2020-12 with strict integers; jsonschema is imported here, as a run never validates (issue 14)."""
    import jsonschema
    return jsonschema.validators.extend(
        jsonschema.Draft202012Validator,
        type_checker=jsonschema.Draft202012Validator.TYPE_CHECKER.redefine("integer", _strict_integer))


def schema_problems(document: Any, schema_name: str, file: Path | str) -> list[str]:
    """Schema problems, located; an integer must be an int (1.0 is not: it would crash range() later)."""
    validator = _validator_class()(load_schema(schema_name))
    problems = []
    for error in sorted(validator.iter_errors(document), key=lambda e: list(map(str, e.absolute_path))):
        meaning = error.schema.get("description") if isinstance(error.schema, dict) else None
        why = f" ({meaning})" if meaning else ""  # says what a bare "does not match '^0x...'" means
        problems.append(f"{file}: {_location(error.absolute_path)}: {error.message}{why}")
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
