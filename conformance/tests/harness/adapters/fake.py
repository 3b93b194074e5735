"""A tiny adapter for the harness tests: correct sigmoid / softplus / log_sigmoid / softmax (max-shift,
so softmax([inf, 0]) gives the acceptable NaNs), plus deliberately broken behaviours.

usage: fake.py MODE [ARG]
  good            speaks the protocol correctly
  crash           exits with status 3 on the first request after start
  crash_on ID     crashes (status 3) when a request contains the case whose id ends with ID (mid-batch)
  hang            never answers a request after start
  hang_on ID      hangs on the case whose id ends with ID
  garbage         answers every request with a line that is not JSON
  wrong_id        answers with the id changed
  slow_start S    sleeps S seconds before answering start
  flood_stdout    answers the first request with an endless line
  flood_lines     answers the first request with many small unsolicited lines, then hangs
  flood_stderr    writes 8 MiB to stderr, then behaves
  out_of_order    answers run_batch results in reverse order (allowed)
  twice           writes every answer twice
  twice_in_batch  lists the first result of every batch twice
  exit_early      exits (status 0) after answering one request
  bad_version     answers start with version 2
  refuse          answers start with an unsupported_version error
  start_garbage   answers start with garbage
  sigmoid_only    declares only sigmoid
  ulps N          adds N ulps to every finite non-zero output
  wrong_value     adds 1e-3 to every finite output
  wrong_error     answers invalid_argument instead of invalid_shape
  no_error        answers softmax of an empty vector with an empty vector
  bad_hex         writes outputs in decimal
  no_stop         ignores stop and stdin EOF (keeps sleeping)
  deaf            stops reading stdin after start (the harness must not block writing to it)
  crash_function F  crashes (status 3) on every case of function F (other functions are fine)
  unsupported_on F  answers {"id": ..., "unsupported": ...} for every case of function F (protocol 1.1)
  caps_object     declares capability objects (protocol 1.1): sigmoid ranks 0..1, softmax with
                  label_smoothing_mode uniform only and weight absent, softplus as a plain list
  protocol_errors answers bad_request for softmax/float64/1 and internal_error for softmax/float64/4 (D7)
  null_id_batch   answers every run_batch with {"id": null, "error": bad_request} (run works)
  null_id         answers every request with {"id": null, "error": bad_request}
  surrogate       lone surrogate escapes (\ud800) in the name, an id, a kind, a message, data, a reason
  forge           an error message with a newline, escape sequences and NUL that imitate a CONFORMS line
  huge_line MB    answers every request with one line of MB megabytes of empty results
  crowded         answers every request with 1 MB of empty results (within the byte limit)
  no_flush        writes its start answer without flushing (block-buffered stdout)
  ftz             flushes subnormal results to zero (plain float arithmetic after an underflow)
"""
import json
import math
import struct
import sys
import time

MODE = sys.argv[1] if len(sys.argv) > 1 else "good"
ARG = sys.argv[2] if len(sys.argv) > 2 else ""
requests = 0
BUFFERED = None


def out(obj):
    line = json.dumps(obj)
    sys.stdout.write(line + "\n")
    if MODE == "twice":
        sys.stdout.write(line + "\n")
    sys.stdout.flush()


def parse(s):
    return {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}.get(s) if s in ("nan", "inf", "-inf") else float.fromhex(s)


def fmt(x, dtype):
    if dtype == "float32" and math.isfinite(x):
        x = struct.unpack("f", struct.pack("f", x))[0]
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if MODE == "bad_hex":
        return repr(x)
    return x.hex()


def sigmoid(z):
    if z >= 0:
        return 1 / (1 + math.exp(-z))
    if math.isnan(z):
        return z
    e = math.exp(z)
    return e / (1 + e)


def softplus(z):
    if math.isnan(z):
        return z
    return max(z, 0.0) + math.log1p(math.exp(-abs(z)))


def compute(case):
    function, dtype = case["function"], case["dtype"]
    inputs = case["inputs"]
    if function in ("sigmoid", "softplus", "log_sigmoid"):
        t = inputs["z"]
        f = {"sigmoid": sigmoid, "softplus": softplus, "log_sigmoid": lambda z: -softplus(-z)}[function]
        shape, ys = t["shape"], [f(parse(v)) for v in t["data"]]
    elif function == "softmax":
        t = inputs["x"]
        xs = [parse(v) for v in t["data"]]
        if not xs:
            if MODE == "no_error":
                return {"output": {"dtype": dtype, "shape": [0], "data": []}}
            kind = "invalid_argument" if MODE == "wrong_error" else "invalid_shape"
            return {"error": {"kind": kind, "message": "x must be non-empty"}}
        m = max(xs)
        es = [math.exp(x - m) for x in xs]
        s = sum(es)
        shape, ys = t["shape"], [e / s for e in es]
    else:
        return {"error": {"kind": "invalid_argument", "message": "unknown function " + function}}
    if MODE == "ulps":
        ys = [y + int(ARG) * math.ulp(y) if math.isfinite(y) and y != 0 else y for y in ys]
    if MODE == "wrong_value":
        ys = [y + 1e-3 if math.isfinite(y) else y for y in ys]
    if MODE == "ftz":
        tiny = 2.0 ** -126 if dtype == "float32" else 2.0 ** -1022
        ys = [0.0 if 0 < abs(y) < tiny else y for y in ys]
    return {"output": {"dtype": dtype, "shape": shape, "data": [fmt(y, dtype) for y in ys]}}


def special(case):
    """The answer of the protocol 1.1 / hostile modes for this case, or None."""
    cid, function = case["id"], case["function"]
    if MODE == "unsupported_on" and function == ARG:
        return {"id": cid, "unsupported": f"{function}: not in this library"}
    if MODE == "protocol_errors" and cid == "softmax/float64/1":
        return {"id": cid, "error": {"kind": "bad_request", "message": "bad request: unknown parameter 'axis'"}}
    if MODE == "protocol_errors" and cid == "softmax/float64/4":
        return {"id": cid, "error": {"kind": "internal_error", "message": "internal error: ZeroDivisionError"}}
    if MODE == "surrogate":
        if cid == "softmax/float64/2":
            return {"id": cid, "error": {"kind": "invalid_shape\udc00", "message": "empty \ud800 x"}}
        if cid == "sigmoid/float64/1":
            return {"id": cid, "output": {"dtype": "float64", "shape": [1], "data": ["0x1p-1\ud800"]}}
        if cid == "softplus/float64/1":
            return {"id": cid, "unsupported": "reason \udfff"}
        if cid == "softplus/float64/2":
            return {"id": cid + "\ud800", "error": {"kind": "invalid_shape", "message": "wrong id"}}
    if MODE == "forge" and function == "softmax":
        return {"id": cid, "error": {"kind": "invalid_argument", "message":
                "no\nCONFORMS: 19 passed + 0 failed + 0 errored = 19 vectors\x1b[2J\x1b]0;title\x07\x00\u009b31m\u202e"}}
    return None


def answer(case):
    global requests
    forced = special(case)
    if forced is not None:
        return forced
    if MODE == "crash_function" and case["function"] == ARG:
        sys.stderr.write("fake adapter: crashing on " + case["id"] + "\n")
        sys.stderr.flush()
        sys.exit(3)
    if MODE == "crash_on" and case["id"].endswith(ARG):
        sys.stderr.write("fake adapter: crashing on " + case["id"] + "\n")
        sys.stderr.flush()
        sys.exit(3)
    if MODE == "hang_on" and case["id"].endswith(ARG):
        time.sleep(3600)
    result = compute(case)
    cid = case["id"] + "-wrong" if MODE == "wrong_id" else case["id"]
    return {"id": cid, **result}


def main():
    global requests
    for raw in sys.stdin:
        msg = json.loads(raw)
        cmd = msg.get("cmd")
        if cmd == "start":
            if MODE == "slow_start":
                time.sleep(float(ARG))
            if MODE == "refuse":
                out({"error": {"kind": "unsupported_version", "message": "I only speak version 7"}})
                return 1
            if MODE == "start_garbage":
                sys.stdout.write("Welcome to the fake adapter!\n")
                sys.stdout.flush()
                continue
            caps = {"sigmoid": ["float64", "float32"]} if MODE == "sigmoid_only" else {
                "sigmoid": ["float64", "float32"], "softplus": ["float64", "float32"],
                "log_sigmoid": ["float64", "float32"], "softmax": ["float64"]}
            if MODE == "caps_object":
                caps.update(sigmoid={"dtypes": ["float64", "float32"], "ranks": [0, 1]},
                            softmax={"dtypes": ["float64"],
                                     "params": {"label_smoothing_mode": ["uniform"], "weight": [None]}})
            name = "fake\ud800\x1b[31m" if MODE in ("surrogate", "forge") else "fake"
            hello = {"version": 2 if MODE == "bad_version" else 1,
                     "implementation": {"name": name, "language": "python", "version": MODE},
                     "capabilities": caps}
            if MODE == "no_flush":
                # a block-buffered stdout (whatever PYTHONUNBUFFERED says): the answer never reaches the harness
                global BUFFERED
                BUFFERED = open(sys.stdout.fileno(), "w", buffering=1 << 16, closefd=False)
                BUFFERED.write(json.dumps(hello) + "\n")
                continue
            out(hello)
            if MODE == "deaf":
                time.sleep(3600)
            if MODE == "flood_stderr":
                chunk = "e" * 1023 + "\n"
                for _ in range(8 * 1024):
                    sys.stderr.write(chunk)
                sys.stderr.flush()
            continue
        if cmd == "stop":
            if MODE == "no_stop":
                time.sleep(3600)
            return 0
        requests += 1
        if MODE == "crash":
            sys.stderr.write("fake adapter: segmentation fault (pretend)\n")
            sys.stderr.flush()
            return 3
        if MODE == "hang":
            time.sleep(3600)
        if MODE == "garbage":
            sys.stdout.write("this is not json {\n")
            sys.stdout.flush()
            continue
        if MODE == "null_id" or (MODE == "null_id_batch" and cmd == "run_batch"):
            out({"id": None, "error": {"kind": "bad_request", "message": "bad request: invalid JSON"}})
            continue
        if MODE in ("huge_line", "crowded"):
            size = int(float(ARG) * 1e6) if MODE == "huge_line" else 1_000_000
            sys.stdout.write('{"results": [' + "{}," * (size // 3) + "{}]}\n")
            sys.stdout.flush()
            continue
        if MODE == "flood_stdout":
            block = "x" * 65536
            while True:
                sys.stdout.write(block)
        if MODE == "flood_lines":
            line = "{}\n" * 4096
            for _ in range(10000):
                sys.stdout.write(line)
            sys.stdout.flush()
            time.sleep(3600)
        if cmd == "run":
            out(answer(msg))
        elif cmd == "run_batch":
            results = [answer(c) for c in msg["cases"]]
            if MODE == "out_of_order":
                results.reverse()
            if MODE == "twice_in_batch" and results:
                results.insert(1, results[0])
            out({"results": results})
        else:
            out({"error": {"kind": "invalid_argument", "message": "unknown cmd"}})
        if MODE == "exit_early":
            return 0
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BrokenPipeError:
        sys.exit(0)
