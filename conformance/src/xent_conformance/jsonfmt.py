"""Deterministic, diff-friendly JSON: objects one key per line, arrays of scalars on one line, and
objects listed under a key in `flat` (the tests of a vector file) one per line.

And strict reading (loads_strict): a key repeated in an object, or nesting too deep for the parser, is an
error naming the place, where json.loads keeps the last key silently or raises RecursionError."""
from __future__ import annotations

import json
import re
from typing import Any, Callable


def _scalar(value: Any) -> bool:
    return not isinstance(value, (dict, list))


def dumps(value: Any, indent: int = 0, flat: frozenset[str] = frozenset({"tests"})) -> str:
    pad, inner = " " * indent, " " * (indent + 1)
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = [f"{inner}{json.dumps(k)}: {_flat_list(v, indent + 1) if k in flat else dumps(v, indent + 1, flat)}"
                 for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(value, list):
        if all(_scalar(v) for v in value):
            return "[" + ", ".join(json.dumps(v, ensure_ascii=False) for v in value) + "]"
        items = [f"{inner}{dumps(v, indent + 1, flat)}" for v in value]
        return "[\n" + ",\n".join(items) + "\n" + pad + "]"
    return json.dumps(value, ensure_ascii=False)


def _flat_list(items: list, indent: int) -> str:
    """A list whose items are written one per line, each as compact single-line JSON."""
    if not items:
        return "[]"
    inner = " " * (indent + 1)
    lines = [inner + json.dumps(item, ensure_ascii=False) for item in items]
    return "[\n" + ",\n".join(lines) + "\n" + " " * indent + "]"


# ---------------------------------------------------------------- strict reading

class JSONStrictError(ValueError):
    """JSON that json.loads would accept silently or crash on; `where` is a JSON path or 'line L column C'."""

    def __init__(self, where: str, message: str):
        super().__init__(f"{where}: {message}")
        self.where = where
        self.message = message


class _Duplicate(Exception):
    """Raised inside json.loads by the object hook; turned into a located JSONStrictError."""


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        raise _Duplicate()
    return obj


class _WithDuplicate(dict):
    duplicate: str = ""


def _marking_hook(pairs: list[tuple[str, Any]]) -> dict:
    obj = _WithDuplicate(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        obj.duplicate = next(k for k, _ in pairs if k in seen or seen.add(k))
    return obj


def _first_duplicate(value: Any) -> tuple[str, str]:
    """(JSON path, key) of the first object, in document order, that repeats a key."""
    stack: list[tuple[str, Any]] = [("$", value)]
    while stack:
        path, node = stack.pop()
        if isinstance(node, _WithDuplicate) and node.duplicate:
            return path, node.duplicate
        if isinstance(node, dict):
            stack.extend((f"{path}.{k}", v) for k, v in reversed(list(node.items())))
        elif isinstance(node, list):
            stack.extend((f"{path}[{i}]", v) for i, v in reversed(list(enumerate(node))))
    return "$", "?"


_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def nesting_position(text: str, limit: int) -> tuple[int, int] | None:
    """(line, column), 1-based, of the first bracket that opens nesting level limit + 1, or None."""
    depth = 0
    for match in _TOKENS.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            if depth > limit:
                start = match.start()
                line = text.count("\n", 0, start) + 1
                return line, start - (text.rfind("\n", 0, start) + 1) + 1
        elif token in "]}":
            depth -= 1
    return None


MAX_DEPTH = 100  # vector files nest 6 levels; deeper JSON is reported where it passes this depth


def nesting_error(text: str) -> JSONStrictError:
    """The located error for JSON that is nested too deeply for the parser (a RecursionError)."""
    position = nesting_position(text, MAX_DEPTH)
    where = f"line {position[0]} column {position[1]}" if position else "$"
    return JSONStrictError(where, f"JSON nested more than {MAX_DEPTH} levels deep")


def loads_strict(text: str, parse_constant: Callable[[str], Any] | None = None) -> Any:
    """json.loads, but a repeated key in an object or nesting too deep for the parser is a JSONStrictError
    naming the place (json.loads keeps the last of repeated keys, and raises RecursionError when deep).
    Other syntax errors stay json.JSONDecodeError. Costs about nothing on files that are fine."""
    try:
        return json.loads(text, object_pairs_hook=_unique_keys, parse_constant=parse_constant)
    except _Duplicate:
        path, key = _first_duplicate(json.loads(text, object_pairs_hook=_marking_hook, parse_constant=parse_constant))
        raise JSONStrictError(path, f"the key {key!r} appears twice in this object") from None
    except RecursionError:
        raise nesting_error(text) from None
