"""Deterministic, diff-friendly JSON: objects one key per line, arrays of scalars on one line, and
objects listed under a key in `flat` (the tests of a vector file) one per line."""
from __future__ import annotations

import json
from typing import Any


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
