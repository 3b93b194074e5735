"""Error measures the tests share."""
from __future__ import annotations

import numpy as np


def ulps(got, want) -> float:
    """max |got - want| in units of the last place of want's dtype (0 where both are the same NaN or inf)."""
    got, want = np.asarray(got), np.asarray(want)
    got64, want64 = got.astype(np.float64), want.astype(np.float64)
    same = (got64 == want64) | (np.isnan(got64) & np.isnan(want64))
    spacing = np.spacing(np.abs(want).astype(want.dtype)).astype(np.float64)
    return float(np.max(np.where(same, 0.0, np.abs(got64 - want64) / spacing), initial=0.0))
