"""Issue 17's options reach only the adapters that take them: the others drop them at their defaults
and answer unsupported for any other value (never a TypeError from an unexpected keyword)."""
from __future__ import annotations

import pytest

from xent_frameworks.protocol import Unsupported, without_large_model_options


def test_defaults_are_dropped():
    kwargs = {"x": 1, "logit_scale": 1.0, "softcap": None, "z_loss": 0.0, "empty_mean": "nan"}
    assert without_large_model_options(kwargs) == {"x": 1}


@pytest.mark.parametrize("option", [{"logit_scale": 2.0}, {"softcap": 30.0}, {"z_loss": 1e-4}, {"empty_mean": "zero"}])
def test_other_values_are_unsupported(option):
    with pytest.raises(Unsupported, match=next(iter(option))):
        without_large_model_options({"x": 1, **option})
