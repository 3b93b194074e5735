"""A deliberately wrong adapter for the fuzz tests: sigmoid only, off by 2^-16 relative (about 256 float32
ulps, 2^37 float64 ulps) whenever |z| > 2; right elsewhere. The fuzzer must find it and shrink to one element.
"""
import json
import math
import struct
import sys


def sigmoid(z):
    if math.isnan(z):
        return z
    if z >= 0:
        return 1 / (1 + math.exp(-z))
    e = math.exp(z)
    return e / (1 + e)


def to_dtype(x, dtype):
    if dtype == "float32" and math.isfinite(x):
        return struct.unpack("f", struct.pack("f", x))[0]
    return x


def hexf(x):
    return "nan" if x != x else ("inf" if x > 0 else "-inf") if math.isinf(x) else x.hex()


def answer(case):
    z = case["inputs"]["z"]
    out = []
    for v in z["data"]:
        x = float.fromhex(v) if v not in ("inf", "-inf", "nan") else float(v)
        y = sigmoid(x)
        if abs(x) > 2:
            y *= 1 + 2.0 ** -16   # the bug
        out.append(hexf(to_dtype(y, case["dtype"])))
    return {"id": case["id"], "output": {"dtype": case["dtype"], "shape": z["shape"], "data": out}}


for line in sys.stdin:
    req = json.loads(line)
    if req["cmd"] == "start":
        reply = {"version": 1, "implementation": {"name": "wrong-sigmoid", "language": "python"},
                 "capabilities": {"sigmoid": ["float64", "float32"]}}
    elif req["cmd"] == "run":
        reply = answer(req)
    elif req["cmd"] == "run_batch":
        reply = {"results": [answer(c) for c in req["cases"]]}
    else:
        break
    print(json.dumps(reply), flush=True)
