"""The realistic workload, and the Python-side implementations of it timed with timeit.

Workload (the same in Go's testing.B and Java's JMH benchmarks): N = 4096 rows, C = 1000 classes,
  sce:        softmax cross-entropy, logits = 2 * standard normal, class-index targets uniform in [0, C),
              default options, reduction mean;
  bce_logits: binary cross-entropy with logits on [N, C], targets uniform in [0, 1), reduction mean;
each in float32 and float64. Inputs are drawn once per (workload, dtype) from a seeded generator and
are not part of the time.

Implementations: xent's Python reference (numpy), NumPy written the plain textbook way (no shift by the
maximum, no log1p: what one writes first), and PyTorch's CPU kernels limited to one thread, the
reference the ratios are taken against. Each call's peak memory above the resident size before it is
read from Linux's VmHWM (reset through /proc/self/clear_refs).
"""
from __future__ import annotations

import ctypes
import gc
import statistics
import timeit
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from .results import ImplTimings, Key, Unavailable

N, C = 4096, 1000
ELEMENTS = N * C
WORKLOADS = ("sce", "bce_logits")
DTYPES = ("float32", "float64")
KEYS: list[Key] = [(w, d) for w in WORKLOADS for d in DTYPES]
SEED = 7

XENT, NUMPY_PLAIN, TORCH = "xent python", "numpy plain", "pytorch 1 thread"


@dataclass(frozen=True)
class Inputs:
    x: np.ndarray   # logits [N, C] of the dtype
    y: np.ndarray   # sce: int64 class indices [N]; bce_logits: targets [N, C] of the dtype


def make_inputs(workload: str, dtype: str, n: int = N, c: int = C, seed: int = SEED) -> Inputs:
    rng = np.random.default_rng(seed)
    x = (2.0 * rng.standard_normal((n, c))).astype(dtype)
    if workload == "sce":
        return Inputs(x, rng.integers(0, c, size=n, dtype=np.int64))
    if workload == "bce_logits":
        return Inputs(x, rng.random((n, c)).astype(dtype))
    raise ValueError(f"unknown workload {workload!r}")


# ---------------------------------------------------------------------- the callables timed
def xent_call(workload: str, inp: Inputs) -> Callable[[], object]:
    import xent
    fn = xent.softmax_cross_entropy if workload == "sce" else xent.binary_cross_entropy_with_logits
    return lambda: fn(inp.x, inp.y)


def numpy_plain_call(workload: str, inp: Inputs) -> Callable[[], object]:
    x, y = inp.x, inp.y
    if workload == "sce":
        rows = np.arange(x.shape[0])

        def sce():
            e = np.exp(x)
            return -np.mean(np.log(e[rows, y] / e.sum(axis=1)))
        return sce

    def bce():
        p = 1 / (1 + np.exp(-x))
        return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))
    return bce


def torch_call(workload: str, inp: Inputs) -> Callable[[], object]:
    import torch
    import torch.nn.functional as F
    x, y = torch.from_numpy(inp.x), torch.from_numpy(inp.y)
    fn = F.cross_entropy if workload == "sce" else F.binary_cross_entropy_with_logits
    return lambda: fn(x, y)


def torch_version() -> str | Unavailable:
    """The installed PyTorch's version, set to one thread for the run; Unavailable if it cannot be imported."""
    try:
        import torch
    except Exception as exc:  # ImportError, or a broken install raising something else at import
        return Unavailable(f"torch cannot be imported: {exc}")
    torch.set_num_threads(1)
    return torch.__version__


CALLS: dict[str, Callable[[str, Inputs], Callable[[], object]]] = {
    XENT: xent_call, NUMPY_PLAIN: numpy_plain_call, TORCH: torch_call}
WHAT = {XENT: "xent.softmax_cross_entropy / xent.binary_cross_entropy_with_logits (python/)",
        NUMPY_PLAIN: "-mean(log(exp(x_y) / sum exp(x))) and -mean(y log p + (1-y) log(1-p)), p = 1/(1+exp(-z))",
        TORCH: "F.cross_entropy / F.binary_cross_entropy_with_logits"}


# ---------------------------------------------------------------------- timing
def median_seconds(fn: Callable[[], object], repeats: int, number: int = 1) -> float:
    """The median over `repeats` timeit rounds of `number` calls, per call; one untimed call first
    (imports, first-touch of memory)."""
    fn()
    return statistics.median(timeit.repeat(fn, repeat=repeats, number=number)) / number


_STATUS = Path("/proc/self/status")
_CLEAR_REFS = Path("/proc/self/clear_refs")


def _status_kib(field_name: str) -> int:
    for line in _STATUS.read_text().splitlines():
        if line.startswith(field_name + ":"):
            return int(line.split()[1])
    raise KeyError(field_name)


def _unmap_freed_blocks() -> None:
    """glibc: serve every allocation above 64 KiB by mmap (a fixed threshold), so that a freed block
    leaves the resident set instead of being kept in the heap for reuse, where the next call's peak
    would not show it. Slows later allocations (fresh pages each time): called after the timings."""
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-3, 64 * 1024)   # M_MMAP_THRESHOLD
        libc.mallopt(-1, 128 * 1024)  # M_TRIM_THRESHOLD: give the heap's free top back too
        libc.malloc_trim(0)
    except (OSError, AttributeError):
        pass


def peak_extra_bytes(fn: Callable[[], object]) -> int | None:
    """The peak resident memory of one call of fn above the process's resident size just before it:
    Linux's high-water mark (VmHWM) is reset to the current size by writing 5 to /proc/self/clear_refs,
    so allocations of every library count (numpy's and PyTorch's alike). None where /proc cannot do it."""
    try:
        _unmap_freed_blocks()
        gc.collect()
        _CLEAR_REFS.write_text("5")
        before = _status_kib("VmRSS")
        fn()
        return max(0, _status_kib("VmHWM") - before) * 1024
    except (OSError, KeyError, ValueError):
        return None


def measure(repeats: int, n: int = N, c: int = C) -> list[ImplTimings]:
    """Every Python-side implementation on every (workload, dtype), with each call's peak extra memory;
    PyTorch is Unavailable without torch."""
    results = {name: ImplTimings(name, f"{WHAT[name]}; timeit, median of {repeats} calls") for name in CALLS}
    torch_ok = torch_version()
    if isinstance(torch_ok, Unavailable):
        results[TORCH].unavailable = torch_ok
    else:
        results[TORCH].how += f", torch {torch_ok}, torch.set_num_threads(1)"
    for measure_memory in (False, True):  # every timing first: the memory probe changes malloc's settings
        for workload, dtype in KEYS:
            inp = make_inputs(workload, dtype, n, c)
            for name, make in CALLS.items():
                if results[name].unavailable is not None:
                    continue
                call = make(workload, inp)
                if not measure_memory:
                    results[name].seconds[(workload, dtype)] = median_seconds(call, repeats)
                elif (peak := peak_extra_bytes(call)) is not None:
                    results[name].peak_bytes[(workload, dtype)] = peak
    return list(results.values())
