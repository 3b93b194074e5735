"""Write the tiny fixture vector files in fixtures/vectors/ (run: python make_fixtures.py).

Every expected value is a mathematical fact evaluated with mpmath (sigmoid(0) = 1/2, softplus(0) = ln 2,
softmax of equal logits = 1/n, the limits at +-inf) and rounded to the dtype; bounds come from the shared
tolerance model. Nothing is typed in as an approximation. The files follow vectors/README.md.
"""
from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import mpmath

from xent_conformance.dtypes import dtype_named
from xent_conformance.hexfloat import format_hex
from xent_conformance.tolerance import accurate_bound, compatible_bound

OUT = Path(__file__).resolve().parent / "fixtures" / "vectors"
mpmath.mp.prec = 300
NAN, INF = math.nan, math.inf


def rounded(x, dtype: str) -> float:
    if isinstance(x, float):
        return x
    with mpmath.workprec(dtype_named(dtype).precision):
        return float(+x)


def exact_text(x) -> str:
    if isinstance(x, float) and not math.isfinite(x):
        return format_hex(x)
    x = mpmath.mpf(x)
    if x == 0:
        return "0"
    text = mpmath.nstr(x, 40, strip_zeros=False, min_fixed=1, max_fixed=0)
    return text if "e" in text else text + "e+0"


def tensor(dtype, shape, values):
    return {"dtype": dtype, "shape": shape, "data": [format_hex(v) for v in values]}


def valid(tc, comment, flags, dtype, inputs, shape, exact, kappa, nu, acceptable=None):
    dt = dtype_named(dtype)
    acc, comp = [], []
    for y, k, n in zip(exact, kappa, nu):
        if isinstance(y, float) and not math.isfinite(y):
            acc.append("0x0p+0")
            comp.append("0x0p+0")
            continue
        y, k, n = mpmath.mpf(y), mpmath.mpf(k), mpmath.mpf(n)
        acc.append(format_hex(accurate_bound(y, k, dt, 2, 4, 1)))
        c = 16 if FUNCTION == "softmax" else 4
        comp.append(format_hex(compatible_bound(y, k, n, dt, c, 1)))
    t = {"tcId": tc, "comment": comment, "flags": flags, "inputs": inputs, "result": "valid",
         "expected": tensor(dtype, shape, [rounded(y, dtype) for y in exact]),
         "exact": [exact_text(y) for y in exact],
         "kappa": [format_hex(float(k)) for k in kappa],
         "bounds": {"accurate": acc, "compatible": comp}}
    if acceptable:
        t["acceptable"] = acceptable
    return t


def sig(z):
    if isinstance(z, float) and math.isnan(z):
        return NAN
    if z == INF:
        return mpmath.mpf(1)
    if z == -INF:
        return mpmath.mpf(0)
    return 1 / (1 + mpmath.exp(-mpmath.mpf(z)))


def sig_kappa(z):
    if not math.isfinite(z):
        return 0
    s = sig(z)
    return abs(s * (1 - s) * z)


def softplus(z):
    if math.isnan(z):
        return NAN
    if z == INF:
        return INF
    if z == -INF:
        return mpmath.mpf(0)
    return mpmath.log1p(mpmath.exp(mpmath.mpf(z)))


def elementwise(fn, kappa_fn, dtype, tc, comment, flags, shape, zs):
    exact = [fn(z) for z in zs]
    exact = [y if not (isinstance(y, float)) else y for y in exact]
    return valid(tc, comment, flags, dtype, {"z": tensor(dtype, shape, zs)}, shape, exact,
                 [kappa_fn(z) for z in zs], [max(1, abs(z)) if math.isfinite(z) else 1 for z in zs])


def file(function, dtype, tests, notes):
    return {"function": function, "dtype": dtype, "specVersion": 1,
            "generator": {"tool": "tests/harness/make_fixtures.py", "mpmath": mpmath.__version__},
            "numberOfTests": len(tests), "notes": notes,
            "testGroups": [{"params": {}, "tolerance": tolerance(function, dtype), "tests": tests}]}


def tolerance(function, dtype):
    dt = dtype_named(dtype)
    u, eta = format_hex(dt.u), format_hex(dt.eta)
    return {"accurate": {"A": 2, "B": 4, "C": 1, "u": u, "eta": eta},
            "compatible": {"c": 16 if function == "softmax" else 4, "C": 1, "u": u, "eta": eta}}


NOTES = {"EdgeCase": {"category": "edge", "description": "fixture"},
         "PosInf": {"category": "special", "description": "fixture"},
         "NaNInput": {"category": "special", "description": "fixture"},
         "SignedZero": {"category": "special", "description": "fixture"},
         "Subnormal": {"category": "special", "description": "fixture"},
         "LimitValue": {"category": "special", "description": "fixture"},
         "InvalidInput": {"category": "error", "description": "fixture"}}


def main() -> None:
    global FUNCTION
    OUT.mkdir(parents=True, exist_ok=True)
    FUNCTION = "sigmoid"
    for dtype, eta in (("float64", 2.0 ** -1074), ("float32", 2.0 ** -149)):
        tests = [
            elementwise(sig, sig_kappa, dtype, 1, "sigmoid(0) = 1/2", ["EdgeCase"], [1], [0.0]),
            elementwise(sig, sig_kappa, dtype, 2, "special values", ["NaNInput", "PosInf", "SignedZero"], [4],
                        [NAN, INF, -INF, -0.0]),
            elementwise(sig, sig_kappa, dtype, 3, "a subnormal scalar input", ["Subnormal"], [], [eta]),
            elementwise(sig, sig_kappa, dtype, 4, "sigmoid(1)", ["EdgeCase"], [1], [1.0]),
            elementwise(sig, sig_kappa, dtype, 5, "sigmoid(-1) and sigmoid(2)", ["EdgeCase"], [2, 1], [-1.0, 2.0]),
            elementwise(sig, sig_kappa, dtype, 6, "empty", ["EdgeCase"], [0], []),
        ]
        write(file("sigmoid", dtype, tests, NOTES))
    FUNCTION = "softplus"
    dtype = "float64"
    tests = [
        elementwise(softplus, lambda z: 0 if not math.isfinite(z) else abs(sig(z) * z), dtype, 1,
                    "softplus(0) = ln 2", ["EdgeCase"], [1], [0.0]),
        elementwise(softplus, lambda z: 0, dtype, 2, "softplus(-inf) = 0, softplus(inf) = inf",
                    ["PosInf"], [2], [-INF, INF]),
        elementwise(softplus, lambda z: abs(sig(z) * z), dtype, 3, "softplus(1)", ["EdgeCase"], [1], [1.0]),
    ]
    write(file("softplus", dtype, tests, NOTES))
    FUNCTION = "softmax"
    third = mpmath.mpf(1) / 3
    tests = [
        valid(1, "equal logits", ["EdgeCase"], dtype, {"x": tensor(dtype, [2], [0.0, 0.0])}, [2],
              [mpmath.mpf(0.5)] * 2, [0, 0], [0.5, 0.5]),
        {"tcId": 2, "comment": "empty", "flags": ["InvalidInput"], "inputs": {"x": tensor(dtype, [0], [])},
         "result": "error", "error": "invalid_shape"},
        valid(3, "one +inf logit: the limit is onehot", ["PosInf", "LimitValue"], dtype,
              {"x": tensor(dtype, [2], [INF, 0.0])}, [2], [mpmath.mpf(1), mpmath.mpf(0)], [0, 0], [1, 1],
              acceptable=[{"flags": ["LimitValue"], "output": tensor(dtype, [2], [NAN, NAN])}]),
        valid(4, "three equal logits", ["EdgeCase"], dtype, {"x": tensor(dtype, [3], [1.0, 1.0, 1.0])}, [3],
              [third] * 3, [2 * third * (1 - third)] * 3, [third] * 3),
    ]
    write(file("softmax", dtype, tests, NOTES))


def write(doc) -> None:
    path = OUT / f"{doc['function']}_{doc['dtype']}.json"
    path.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    print(path, file=sys.stderr)


FUNCTION = ""
if __name__ == "__main__":
    main()
