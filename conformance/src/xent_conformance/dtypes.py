"""The IEEE binary formats xent specifies, as the spec's dtypes name them."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DType:
    name: str
    precision: int  # significand bits, hidden bit included
    emin: int       # exponent of the smallest normal number
    emax: int       # exponent of the largest finite number

    @property
    def unit_roundoff_exp(self) -> int:
        """u = 2**unit_roundoff_exp (half an ulp of 1)."""
        return -self.precision

    @property
    def eta_exp(self) -> int:
        """The smallest subnormal is 2**eta_exp."""
        return self.emin - self.precision + 1

    @property
    def u(self) -> float:
        return 2.0 ** self.unit_roundoff_exp

    @property
    def eta(self) -> float:
        return 2.0 ** self.eta_exp


FLOAT64 = DType("float64", 53, -1022, 1023)
FLOAT32 = DType("float32", 24, -126, 127)
DTYPES = {d.name: d for d in (FLOAT64, FLOAT32)}


def dtype_named(name: str) -> DType:
    try:
        return DTYPES[name]
    except KeyError:
        raise ValueError(f"unknown dtype {name!r} (expected one of {sorted(DTYPES)})") from None
