"""Loading golden vector files (vectors/README.md) with errors that name the file and the JSON path.

Every load runs the structural checks (data length against shape, hex floats exactly representable in
the file's dtype, integers within int64 where integers belong, lists as long as the expected output, a
function the spec defines, an infinite or NaN `exact` matching `expected`, bounds finite and
non-negative, no repeated JSON key, no nesting too deep to parse). They are cheap: hex-float lists are
checked with one regular expression over the joined list and read with float.fromhex, and only a list
that does not match the common spellings is parsed element by element (for a located error).
Validation against spec/schema/vectors.schema.json (jsonschema, `use_schema=True`) and the slower
consistency check (every `expected` is `exact` correctly rounded) belong to `xent-conformance validate`
and CI, not to every run: jsonschema cost three quarters of a run's time.
"""
from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable

from ..dtypes import DTYPES, OUTPUT_DTYPE_PARAM, result_dtype
from ..hexfloat import HexFloatError, parse_hex
from ..jsonfmt import MAX_DEPTH, JSONStrictError, loads_strict, nesting_error
from ..tensor import is_int64 as _is_int64  # 2^64 - 100 is not -100: nothing is ever wrapped
from .. import paths

LEVELS = ("accurate", "compatible")
TENSOR_DTYPES = (*DTYPES, "int64", "bool")  # bool: protocol 1.3 masks (where)


class VectorFileError(Exception):
    """A vector file that cannot be used; the message names the file and the JSON path."""

    def __init__(self, file: Path | str, json_path: str, message: str):
        self.file = str(file)
        self.json_path = json_path
        self.message = message
        super().__init__(f"{self.file}: {json_path}: {message}" if json_path else f"{self.file}: {message}")


@dataclass
class Acceptable:
    flags: list[str]
    shape: list[int]
    values: list[float]


@dataclass
class VectorCase:
    function: str
    dtype: str
    tc_id: int
    comment: str
    flags: list[str]
    params: dict[str, Any]
    inputs: dict[str, Any]
    result: str                      # "valid" or "error"
    error_kind: str | None = None
    expected_shape: list[int] | None = None
    expected: list[float] = field(default_factory=list)
    expected_text: list[str] = field(default_factory=list)
    exact: list[str] = field(default_factory=list)
    bounds: dict[str, list[float]] = field(default_factory=dict)
    acceptable: list[Acceptable] = field(default_factory=list)
    source: str = ""
    where: str = ""                  # JSON path of the test in its file, e.g. $.testGroups[0].tests[3]
    # fastjudge's usable flag and split exact values, made on first use (init=False, as below: a copy made
    # with dataclasses.replace, whose exact values may differ, must not inherit them)
    fast: Any = field(default=None, init=False, repr=False, compare=False)
    exact_parts: Any = field(default=None, init=False, repr=False, compare=False)

    # made on first use and kept (init=False: dataclasses.replace, which may change what they derive from,
    # starts without them): the protocol id, the element count, the case's request JSON (protocol.case_json)
    _key: Any = field(default=None, init=False, repr=False, compare=False)
    _size: Any = field(default=None, init=False, repr=False, compare=False)
    request: Any = field(default=None, init=False, repr=False, compare=False)

    expected_dtype: str = ""         # the answer's dtype when it is not `dtype` (float32 under output_dtype float32)

    @property
    def result_dtype(self) -> str:
        """The dtype of the expected output and of the answer: the file's, or float32 (mixed contract)."""
        return self.expected_dtype or self.dtype

    @property
    def key(self) -> str:
        """The protocol id of this case: function/dtype/tcId, unique within a run."""
        if self._key is None:
            self._key = f"{self.function}/{self.dtype}/{self.tc_id}"
        return self._key

    @property
    def size(self) -> int:
        """Number of tensor elements in the inputs and the expected output (for batch sizing)."""
        if self._size is None:
            n = len(self.expected)
            for tensor in self.inputs.values():
                if isinstance(tensor, dict) and isinstance(tensor.get("data"), list):
                    n += len(tensor["data"])
            self._size = n
        return self._size


def _read_inputs(case: VectorCase) -> dict[str, Any]:
    """A case's inputs; a case from the vectors cache holds only its request JSON (protocol.case_json),
    from which they are read on first use (a run sends that text and never needs them: about a million
    objects fewer to load and keep)."""
    inputs = case.__dict__.get("_inputs")
    if inputs is None and case.request is not None:
        inputs = case.__dict__["_inputs"] = json.loads(case.request)["inputs"]
    return inputs


def _write_inputs(case: VectorCase, inputs: dict[str, Any] | None) -> None:
    case.__dict__["_inputs"] = inputs


VectorCase.inputs = property(_read_inputs, _write_inputs)  # type: ignore[assignment] # the field, read lazily


def _product(shape: list[int]) -> int:
    n = 1
    for d in shape:
        n *= d
    return n


def _is_int(x: Any) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


# Hex floats that are certainly exact in their dtype, in the spellings writers use: a normal number with at
# most the dtype's fraction bits (float32: the sixth hex digit even) and an exponent in the normal range
# (written without leading zeros beyond three digits), a zero, inf, -inf, nan. Anything else (subnormals,
# 0x0.xxx forms, +inf, errors) goes through parse_hex, which decides exactly and locates errors.
_E64 = r"[pP](?:\+(?:\d{1,3}|10[01]\d|102[0-3])|-(?:\d{1,3}|10[01]\d|102[0-2]))"
_E32 = r"[pP](?:\+(?:\d{1,2}|1[01]\d|12[0-7])|-(?:\d{1,2}|1[01]\d|12[0-6]))"
_E16 = r"[pP](?:\+(?:\d|1[0-5])|-(?:\d|1[0-4]))"
_H = "[0-9a-fA-F]"
_FLOAT_TOKEN = {
    "float64": rf"(?:-?0[xX]1(?:\.{_H}{{1,13}})?{_E64}|-?0[xX]0[pP]\+0|inf|-inf|nan)",
    "float32": rf"(?:-?0[xX]1(?:\.{_H}{{1,5}}|\.{_H}{{5}}[02468aceACE])?{_E32}|-?0[xX]0[pP]\+0|inf|-inf|nan)",
    # float16: 10 fraction bits (the third hex digit a multiple of 4); bfloat16: 7 (the second digit even)
    "float16": rf"(?:-?0[xX]1(?:\.{_H}{{1,2}}|\.{_H}{{2}}[048cC])?{_E16}|-?0[xX]0[pP]\+0|inf|-inf|nan)",
    "bfloat16": rf"(?:-?0[xX]1(?:\.{_H}|\.{_H}[02468aceACE])?{_E32}|-?0[xX]0[pP]\+0|inf|-inf|nan)",
}
_FAST_LIST = {dtype: re.compile(rf"{token}(?:,{token})*") for dtype, token in _FLOAT_TOKEN.items()}


def fast_hex_list(data: list, dtype: str) -> list[float] | None:
    """The values of a list of hex-float strings when every one is certainly exact in dtype (see
    _FLOAT_TOKEN), else None: then the caller parses element by element with parse_hex (same values,
    located errors). One regular expression over the joined list instead of a Python call per element."""
    pattern = _FAST_LIST.get(dtype)
    if pattern is None or not data:
        return None
    try:
        text = ",".join(data)
    except TypeError:  # an element that is not a string
        return None
    if text.count(",") != len(data) - 1 or pattern.fullmatch(text) is None:  # a comma inside an element
        return None
    return list(map(float.fromhex, data))


class _Checker:
    def __init__(self, file: Path, trusted: bool = False):
        self.file = file
        self.trusted = trusted   # a packaged file whose hash matches the manifest: inputs are not re-checked

    def fail(self, where: str, message: str) -> VectorFileError:
        return VectorFileError(self.file, where, message)

    def obj(self, value: Any, where: str) -> dict:
        if not isinstance(value, dict):
            raise self.fail(where, f"expected an object, got {_describe(value)}")
        return value

    def lst(self, value: Any, where: str) -> list:
        if not isinstance(value, list):
            raise self.fail(where, f"expected an array, got {_describe(value)}")
        return value

    def get(self, container: dict, key: str, where: str) -> Any:
        if key not in container:
            raise self.fail(where, f"missing required field {key!r}")
        return container[key]

    def hexfloat(self, value: Any, where: str, dtype: str) -> float:
        try:
            return parse_hex(value, dtype)
        except HexFloatError as exc:
            raise self.fail(where, str(exc)) from None

    def bound(self, value: Any, where: str) -> float:
        """An error bound: a finite, non-negative float64 hex float (an infinite bound passes any answer)."""
        bound = self.hexfloat(value, where, "float64")
        if not math.isfinite(bound) or bound < 0:
            raise self.fail(where, f"an error bound must be finite and non-negative, got {value!r}")
        return bound

    def shape(self, value: Any, where: str) -> list[int]:
        shape = self.lst(value, where)
        for i, d in enumerate(shape):
            if not _is_int64(d) or d < 0:
                raise self.fail(f"{where}[{i}]", f"a dimension must be a non-negative int64 integer, got {_describe(d)}")
        return shape

    def tensor(self, value: Any, where: str, file_dtype: str) -> tuple[str, list[int], list]:
        t = self.obj(value, where)
        dtype = self.get(t, "dtype", where)
        if dtype not in TENSOR_DTYPES:
            raise self.fail(f"{where}.dtype", f"unknown tensor dtype {dtype!r} (expected one of {list(TENSOR_DTYPES)})")
        shape = self.shape(self.get(t, "shape", where), f"{where}.shape")
        data = self.lst(self.get(t, "data", where), f"{where}.data")
        expected_len = _product(shape)
        if len(data) != expected_len:
            raise self.fail(f"{where}.data", f"has {len(data)} elements but shape {shape} needs {expected_len}")
        if dtype == "bool":
            for i, x in enumerate(data):
                if not isinstance(x, bool):
                    raise self.fail(f"{where}.data[{i}]", f"expected true or false (bool tensor), got {_describe(x)}")
            return dtype, shape, list(data)
        if dtype != "int64":
            fast = fast_hex_list(data, dtype)
            if fast is not None:
                return dtype, shape, fast
        values: list = []
        for i, x in enumerate(data):
            if dtype == "int64":
                if not _is_int64(x):
                    raise self.fail(f"{where}.data[{i}]", f"expected an integer within int64 (int64 tensor), got {_describe(x)}")
                values.append(x)
            else:
                values.append(self.hexfloat(x, f"{where}.data[{i}]", dtype))
        return dtype, shape, values

    def tensors_in(self, value: Any, where: str, file_dtype: str) -> None:
        """Check every tensor found in an inputs or params object (a trusted file's: sent as they are)."""
        if self.trusted:
            self.obj(value, where)
            return
        for name, v in self.obj(value, where).items():
            if isinstance(v, dict) and "data" in v:
                self.tensor(v, f"{where}.{name}", file_dtype)
            elif isinstance(v, float) and not math.isfinite(v):
                raise self.fail(f"{where}.{name}", f"bare {v!r} is not JSON; write floats as hex strings")
            elif _is_int(v) and not _is_int64(v):
                raise self.fail(f"{where}.{name}", f"integer {v} is outside int64")


def _describe(x: Any) -> str:
    if isinstance(x, float) and not math.isfinite(x):
        return f"the non-JSON number {x!r}"
    name = {dict: "an object", list: "an array", str: "a string", bool: "a boolean",
            type(None): "null", int: "an integer", float: "a number"}.get(type(x), type(x).__name__)
    text = json.dumps(x, allow_nan=True) if not isinstance(x, (dict, list)) else ""
    if len(text) > 40:
        text = text[:37] + "..."
    return f"{name} {text}".rstrip()


def _schema_validator():
    """A jsonschema validator for spec/schema/vectors.schema.json, or None when there is no schema."""
    try:
        schema_path = paths.schema_dir() / "vectors.schema.json"
    except FileNotFoundError:
        return None
    if not schema_path.is_file():
        return None
    import jsonschema
    try:
        schema = json.loads(schema_path.read_text(encoding="utf-8"))
        cls = jsonschema.validators.validator_for(schema)
        cls.check_schema(schema)
    except (ValueError, jsonschema.SchemaError) as exc:
        raise VectorFileError(schema_path, "", f"the vector schema itself is invalid: {str(exc).splitlines()[0]}") from None
    return cls(schema)


_VALIDATOR_CACHE: dict[str, Any] = {}


def _validator():
    if "v" not in _VALIDATOR_CACHE:
        _VALIDATOR_CACHE["v"] = _schema_validator()
    return _VALIDATOR_CACHE["v"]


_SCHEMA_ITEMS = 64


def _trimmed(node: Any) -> Any:
    """The document with every long array of scalars cut to its first 64 items, for schema validation: jsonschema is
    slow on long vectors (10^4 elements and more), and the structural checks below read every element
    anyway. Indices (and so JSON paths) of the kept items are unchanged."""
    if isinstance(node, dict):
        return {k: _trimmed(v) for k, v in node.items()}
    if isinstance(node, list):
        if len(node) > _SCHEMA_ITEMS and not any(isinstance(v, (dict, list)) for v in node):
            return node[:_SCHEMA_ITEMS]  # a long list of numbers or strings (tensor data, exact, bounds)
        return [_trimmed(v) for v in node]
    return node


def load_vector_file(path: Path | str, use_schema: bool = False) -> list[VectorCase]:
    """Every test of one vector file, checked; raises VectorFileError naming the file and JSON path.
    `use_schema` adds jsonschema validation (slow: `validate` and CI do it, a run does not)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise VectorFileError(path, "", f"cannot read: {exc}") from None

    from . import vcache  # a file checked before is read back from the cache
    if not use_schema:
        cached = vcache.load(path, text)
        if cached is not None:
            return cached
    trusted = not use_schema and _trusted(path, text)
    doc = json.loads(text) if trusted else _read_checked(path, text)
    try:
        cases = _cases_of(path, doc, use_schema, trusted)
    except RecursionError:  # JSON the C parser read, nested too deeply for the checks that walk it
        error = nesting_error(text)
        raise VectorFileError(path, error.where, error.message) from None
    vcache.store(text, cases)
    return cases


def _trusted(path: Path, text: str) -> bool:
    """A packaged vector file (xent_conformance/data/vectors) whose SHA-256 is the manifest's: it was
    packaged from a checkout whose vectors CI validates, so the strict reading (repeated keys, depth) and
    the checks of the inputs, which are only passed on to the adapter, are not repeated. Its expected
    values, exact values and bounds are still read and checked."""
    try:
        rel = path.resolve().relative_to(paths.PACKAGED)
    except ValueError:
        return False
    wanted = paths.manifest().get(rel.as_posix())
    return wanted is not None and hashlib.sha256(text.encode("utf-8")).hexdigest() == wanted


_SPACED_COLON = re.compile(r'"[ \t\n\r]+:')


def _read_checked(path: Path, text: str) -> Any:
    """The document, with the strict reader's guarantees (no repeated key, no nesting deeper than
    MAX_DEPTH, no bare NaN / Infinity) at about the cost of plain json.loads: the keys the parser kept are
    counted while the depth is checked, and compared with the `":` in the text. Every key of the text
    ends so (the generator writes no space before a colon; a text that does is read strictly), and a
    `":` inside a string is escaped as `\\":`, which only makes the text's count larger: so equal counts
    mean no key was dropped, i.e. none repeated. Any doubt, any error: parse_json, which locates it."""
    try:
        doc = json.loads(text, parse_constant=_no_constants)
    except (ValueError, RecursionError):
        return parse_json(path, text)
    keys = _keys_within(doc, MAX_DEPTH)
    if keys is None:  # parsed, but deeper than any vector file can be
        error = nesting_error(text)
        raise VectorFileError(path, error.where, error.message)
    if keys != text.count('":') or _SPACED_COLON.search(text):
        return parse_json(path, text)
    return doc


def _keys_within(doc: Any, limit: int) -> int | None:
    """The number of object keys in doc, or None when an object or array lies deeper than `limit` levels.
    Walks containers only; a list of strings (tensor data, exact values, bounds) is recognised in one
    call and not walked."""
    stack: list[tuple[Any, int]] = [(doc, 1)]
    keys = 0
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return None
        if isinstance(node, dict):
            keys += len(node)
            stack.extend((v, depth + 1) for v in node.values() if isinstance(v, (dict, list)))
        elif node:
            try:
                ",".join(node)
                continue  # all strings
            except TypeError:
                stack.extend((v, depth + 1) for v in node if isinstance(v, (dict, list)))
    return keys


def _no_constants(name: str):
    raise ValueError(f"bare {name} is not JSON (write floats as hex strings such as \"nan\")")


def parse_json(path: Path, text: str) -> Any:
    """The JSON document of a vector file; VectorFileError (with line or JSON path) for invalid JSON, bare
    NaN / Infinity, a key repeated in an object, or nesting too deep to parse."""
    try:
        return loads_strict(text, parse_constant=_no_constants)
    except JSONStrictError as exc:
        raise VectorFileError(path, exc.where, exc.message) from None
    except json.JSONDecodeError as exc:
        hint = " (the file looks truncated)" if exc.pos >= len(text.rstrip()) else ""
        raise VectorFileError(path, "", f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}{hint}") from None
    except ValueError as exc:
        raise VectorFileError(path, "", f"invalid JSON: {exc}") from None


def spec_functions() -> frozenset[str] | None:
    """The function names spec/xent.yaml defines (read once per spec folder), or None without a spec."""
    try:
        folder = paths.spec_dir()
    except OSError:
        return None
    return _spec_functions_in(str(folder))


@lru_cache(maxsize=4)
def _spec_functions_in(folder: str) -> frozenset[str] | None:
    try:
        text = (Path(folder) / "xent.yaml").read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    import yaml
    try:  # the C loader when present: the names are needed, not the spec's validation (that is `validate`)
        document = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError:
        return None
    functions = document.get("functions") if isinstance(document, dict) else None
    return frozenset(functions) if isinstance(functions, dict) else None


def _cases_of(path: Path, doc: Any, use_schema: bool, trusted: bool = False) -> list[VectorCase]:
    if use_schema:
        validator = _validator()
        if validator is not None:
            errors = sorted(validator.iter_errors(_trimmed(doc)), key=lambda e: [str(p) for p in e.absolute_path])
            if errors:
                first = errors[0]
                meaning = first.schema.get("description") if isinstance(first.schema, dict) else None
                why = f" ({meaning})" if meaning else ""
                more = f" (and {len(errors) - 1} more schema errors)" if len(errors) > 1 else ""
                raise VectorFileError(path, first.json_path, f"schema: {first.message[:300]}{why}{more}")

    c = _Checker(path, trusted)
    root = c.obj(doc, "$")
    function = c.get(root, "function", "$")
    if not isinstance(function, str) or not function:
        raise c.fail("$.function", f"expected a function name, got {_describe(function)}")
    known = spec_functions()
    if known is not None and function not in known:
        raise c.fail("$.function", f"{function!r} is not a function of the spec (spec/xent.yaml)")
    dtype = c.get(root, "dtype", "$")
    if dtype not in DTYPES:
        raise c.fail("$.dtype", f"unknown dtype {dtype!r} (expected one of {sorted(DTYPES)})")
    notes = root.get("notes", {})
    c.obj(notes, "$.notes")
    groups = c.lst(c.get(root, "testGroups", "$"), "$.testGroups")
    cases: list[VectorCase] = []
    seen: dict[int, str] = {}
    for gi, group in enumerate(groups):
        gw = f"$.testGroups[{gi}]"
        c.obj(group, gw)
        params = c.obj(group.get("params", {}), f"{gw}.params")
        c.tensors_in(params, f"{gw}.params", dtype)
        tests = c.lst(c.get(group, "tests", gw), f"{gw}.tests")
        for ti, test in enumerate(tests):
            tw = f"{gw}.tests[{ti}]"
            cases.append(_load_test(c, test, tw, function, dtype, params, path, seen))
    declared = root.get("numberOfTests")
    if declared is not None and (not _is_int(declared) or declared != len(cases)):
        raise c.fail("$.numberOfTests", f"says {declared!r} but the file has {len(cases)} tests")
    return cases


def _load_test(c: _Checker, test: Any, tw: str, function: str, dtype: str, params: dict, path: Path,
               seen: dict[int, str]) -> VectorCase:
    c.obj(test, tw)
    tc_id = c.get(test, "tcId", tw)
    if not _is_int(tc_id):
        raise c.fail(f"{tw}.tcId", f"expected an integer, got {_describe(tc_id)}")
    if tc_id in seen:
        raise c.fail(f"{tw}.tcId", f"tcId {tc_id} is used twice (first at {seen[tc_id]})")
    seen[tc_id] = tw
    flags = c.lst(test.get("flags", []), f"{tw}.flags")
    for i, f in enumerate(flags):
        if not isinstance(f, str):
            raise c.fail(f"{tw}.flags[{i}]", f"expected a flag name, got {_describe(f)}")
    comment = test.get("comment", "")
    inputs = c.obj(c.get(test, "inputs", tw), f"{tw}.inputs")
    c.tensors_in(inputs, f"{tw}.inputs", dtype)
    result = c.get(test, "result", tw)
    case = VectorCase(function=function, dtype=dtype, tc_id=tc_id, comment=str(comment), flags=list(flags),
                      params=params, inputs=inputs, result=result, source=str(path), where=tw)
    if result == "error":
        kind = c.get(test, "error", tw)
        if not isinstance(kind, str) or not kind:
            raise c.fail(f"{tw}.error", f"expected an error kind, got {_describe(kind)}")
        case.error_kind = kind
        return case
    if result != "valid":
        raise c.fail(f"{tw}.result", f"expected \"valid\" or \"error\", got {_describe(result)}")
    exp_dtype, shape, values = c.tensor(c.get(test, "expected", tw), f"{tw}.expected", dtype)
    if exp_dtype != _result_dtype(dtype, params):
        raise c.fail(f"{tw}.expected.dtype", f"is {exp_dtype!r} in a {dtype} file"
                     + (f" with output_dtype {params['output_dtype']!r}" if "output_dtype" in params else ""))
    case.expected_dtype = exp_dtype if exp_dtype != dtype else ""
    case.expected_shape = shape
    case.expected = values
    case.expected_text = list(test["expected"]["data"])
    n = len(values)
    exact = c.lst(c.get(test, "exact", tw), f"{tw}.exact")
    if len(exact) != n:
        raise c.fail(f"{tw}.exact", f"has {len(exact)} values but expected has {n}")
    for i, e in enumerate(exact):
        if not isinstance(e, str):
            raise c.fail(f"{tw}.exact[{i}]", f"expected a decimal string, got {_describe(e)}")
        try:
            approx = float(e)  # decimal text, or nan / inf / -inf
        except ValueError:
            raise c.fail(f"{tw}.exact[{i}]", f"not a decimal number: {e!r}") from None
        if _special_disagrees(approx, values[i]):
            raise c.fail(f"{tw}.exact[{i}]", f"{e!r} disagrees with expected {case.expected_text[i]!r}")
    case.exact = list(exact)
    bounds = c.obj(c.get(test, "bounds", tw), f"{tw}.bounds")
    for level in LEVELS:
        bw = f"{tw}.bounds.{level}"
        blist = c.lst(c.get(bounds, level, f"{tw}.bounds"), bw)
        if len(blist) != n:
            raise c.fail(bw, f"has {len(blist)} values but expected has {n}")
        fast = fast_hex_list(blist, "float64")
        if fast is not None and all(0.0 <= b < math.inf for b in fast):
            case.bounds[level] = fast
        else:  # element by element, for the located error
            case.bounds[level] = [c.bound(b, f"{bw}[{i}]") for i, b in enumerate(blist)]
    if "kappa" in test:
        kappa = c.lst(test["kappa"], f"{tw}.kappa")
        if len(kappa) != n:
            raise c.fail(f"{tw}.kappa", f"has {len(kappa)} values but expected has {n}")
    for ai, acc in enumerate(c.lst(test.get("acceptable", []), f"{tw}.acceptable")):
        aw = f"{tw}.acceptable[{ai}]"
        c.obj(acc, aw)
        _, ashape, avalues = c.tensor(c.get(acc, "output", aw), f"{aw}.output", case.result_dtype)
        case.acceptable.append(Acceptable(list(acc.get("flags", [])), ashape, avalues))
    return case


def _result_dtype(dtype: str, params: dict) -> str:
    """The expected output's dtype: float32 for 16-bit inputs under output_dtype float32 (the mixed
    contract, spec specVersion 3), else the file's dtype."""
    try:
        return result_dtype(DTYPES[dtype], params.get(OUTPUT_DTYPE_PARAM)).name
    except ValueError:  # a bad output_dtype: only error cases can carry it, and they have no output
        return dtype


def _special_disagrees(exact: float, expected: float) -> bool:
    """True when exact is NaN or infinite and expected is not the same (an infinite exact value is its own
    rounding; a finite exact value may still round to an infinite expected one: overflow)."""
    if math.isnan(exact) or math.isnan(expected):
        return math.isnan(exact) != math.isnan(expected)
    return math.isinf(exact) and exact != expected


def vector_files(directory: Path | str) -> list[Path]:
    directory = Path(directory)
    return sorted(p for p in directory.glob("*.json") if p.is_file())


def load_vectors(directory: Path | str | None = None, functions: Iterable[str] | None = None,
                 dtypes: Iterable[str] | None = None, tc_ids: Iterable[int] | None = None) -> list[VectorCase]:
    """All cases of the vector folder (default: the checkout's vectors/) that pass the filters.

    Files whose name (<function>_<dtype>.json) shows they cannot match the function/dtype filters are
    not read, so that an unrelated broken file does not block a focused rerun.
    """
    directory = Path(directory) if directory is not None else paths.vectors_dir()
    if not directory.is_dir():
        raise VectorFileError(directory, "", "no such vector folder")
    fset = set(functions) if functions else None
    dset = set(dtypes) if dtypes else None
    tset = set(tc_ids) if tc_ids else None
    cases: list[VectorCase] = []
    origin: dict[str, str] = {}
    for file in vector_files(directory):
        stem = file.stem
        if fset is not None or dset is not None:
            guess = stem.rsplit("_", 1)
            if len(guess) == 2 and guess[1] in DTYPES:
                if (fset is not None and guess[0] not in fset) or (dset is not None and guess[1] not in dset):
                    continue
        for case in load_vector_file(file):
            if fset is not None and case.function not in fset:
                continue
            if dset is not None and case.dtype not in dset:
                continue
            if tset is not None and case.tc_id not in tset:
                continue
            if case.key in origin:
                raise VectorFileError(file, "", f"{case.function} {case.dtype} tcId {case.tc_id} is also in {origin[case.key]}")
            origin[case.key] = file.name
            cases.append(case)
    return cases
