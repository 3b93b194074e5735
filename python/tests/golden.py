"""A small, self-contained reader for the golden vector files (vectors/README.md), so that the package's
tests do not depend on the conformance package.

Floats are hex strings (plus inf, -inf, nan); tensors are {dtype, shape, data}; float parameters
(epsilon, label_smoothing, gamma, alpha) are hex strings of the dtype, int parameters JSON ints, enums
strings, absent optional tensors null.
"""
from __future__ import annotations

import glob
import json
import math
import os
import re
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import ml_dtypes
import numpy as np

FLOAT_PARAMS = {"epsilon", "label_smoothing", "gamma", "alpha", "logit_scale", "softcap", "z_loss"}
SPECIAL = {"inf": math.inf, "-inf": -math.inf, "+inf": math.inf, "nan": math.nan}
PRECISION = {"float64": (53, -1022), "float32": (24, -126), "float16": (11, -14), "bfloat16": (8, -126)}
#: numpy dtypes of the vectors' float dtype names (every value in the files is exact in its dtype)
FLOAT_DTYPES = {"float64": np.dtype(np.float64), "float32": np.dtype(np.float32),
                "float16": np.dtype(np.float16), "bfloat16": np.dtype(ml_dtypes.bfloat16)}


def vectors_dir() -> Path | None:
    env = os.environ.get("XENT_VECTORS_DIR")
    if env:
        return Path(env)
    here = Path(__file__).resolve()
    for parent in here.parents:
        cand = parent / "vectors"
        if cand.is_dir() and (parent / "spec").is_dir():
            return cand
    return None


def parse_float(text: str) -> float:
    key = text.strip().lower()
    if key in SPECIAL:
        return SPECIAL[key]
    return float.fromhex(text)


def tensor(obj):
    dtype = obj["dtype"]
    shape = obj["shape"]
    if dtype == "int64":
        return np.array(obj["data"], dtype=np.int64).reshape(shape)
    if dtype == "bool":  # protocol 1.3: the class mask where
        return np.array(obj["data"], dtype=np.bool_).reshape(shape)
    arr = np.array([parse_float(v) for v in obj["data"]], dtype=np.float64).reshape(shape)
    return arr.astype(FLOAT_DTYPES[dtype])


def decode_params(params: dict) -> dict:
    out = {}
    for k, v in params.items():
        if isinstance(v, dict):
            out[k] = tensor(v)
        elif k in FLOAT_PARAMS and isinstance(v, str):
            out[k] = parse_float(v)
        else:
            out[k] = v
    return out


@dataclass
class Case:
    function: str
    dtype: str
    tc_id: int
    comment: str
    flags: list
    params: dict
    inputs: dict
    result: str
    error: str | None
    expected: dict | None
    exact: list = field(default_factory=list)
    bounds: dict = field(default_factory=dict)

    @property
    def test_id(self) -> str:
        return f"{self.function}_{self.dtype}-tc{self.tc_id}"

    def call_kwargs(self) -> dict:
        kw = {name: tensor(obj) for name, obj in self.inputs.items()}
        kw.update(decode_params(self.params))
        return kw


def vector_files() -> list[str]:
    d = vectors_dir()
    return sorted(glob.glob(str(d / "*.json"))) if d else []


def load_file(path) -> list[Case]:
    """The cases of one vector file."""
    with open(path) as fh:
        doc = json.load(fh)
    return [Case(doc["function"], doc["dtype"], t["tcId"], t.get("comment", ""), t.get("flags", []),
                 group.get("params", {}), t["inputs"], t["result"], t.get("error"), t.get("expected"),
                 t.get("exact", []), t.get("bounds", {}))
            for group in doc["testGroups"] for t in group["tests"]]


def load_cases() -> list[Case]:
    return [case for path in vector_files() for case in load_file(path)]


_DECIMAL = re.compile(r"([+-]?)(\d+(?:\.\d*)?|\.\d+)(?:[eE]([+-]?\d+))?")


def exact_value(text: str):
    """The exact golden value: a Fraction, or a float for the special strings.

    A magnitude below 10^-5000 (e.g. exp(-max) = 3.7e-78072820862606201654...) is far below half the
    smallest subnormal of any dtype; it is taken as 0, which changes no verdict."""
    key = text.strip().lower()
    if key in SPECIAL:
        return SPECIAL[key]
    m = _DECIMAL.fullmatch(text.strip())
    if not m:
        raise ValueError(f"not a decimal: {text[:60]!r}")
    exponent = int(m.group(3) or 0)
    if exponent < -5000:
        return Fraction(0)
    if exponent > 5000:
        raise ValueError(f"finite exact value out of any dtype's range: {text[:60]!r}")
    return Fraction(Decimal(text))


def ulp(exact: Fraction, dtype: str) -> Fraction:
    """Unit in the last place at the exact value (Harrison/Zimmermann: the binade of |exact|)."""
    prec, emin = PRECISION[dtype]
    if exact == 0:
        return Fraction(2) ** (emin - prec + 1)
    _, e = math.frexp(float(abs(exact)))  # |exact| = m 2^e, 0.5 <= m < 1 (float() is exact enough here)
    return Fraction(2) ** (max(e - 1, emin) - prec + 1)


def judge(got: float, expected_text: str, exact_text: str, bound_text: str, dtype: str):
    """(ok, ulp_error, scaled_error) for one element, as vectors/README.md describes: a NaN or infinite
    expected value (the exact value rounded into the dtype, so an overflow too) must be matched exactly;
    otherwise |got - exact| <= bound."""
    expected = parse_float(expected_text)
    if not math.isfinite(expected):
        ok = (math.isnan(expected) and math.isnan(got)) or got == expected
        return ok, (0.0 if ok else math.inf), (0.0 if ok else math.inf)
    ex = exact_value(exact_text)
    if isinstance(ex, float):
        raise ValueError(f"finite expected value {expected_text} with non-finite exact {exact_text}")
    if math.isnan(got) or math.isinf(got):
        return False, math.inf, math.inf
    err = abs(Fraction(got) - ex)
    bound = Fraction(parse_float(bound_text))
    scaled = float(err / bound) if bound > 0 else (0.0 if err == 0 else math.inf)
    return err <= bound, float(err / ulp(ex, dtype)), scaled
