"""Differential fuzzing: hypothesis generates inputs for every function of the spec, the oracle computes the
certified result on the fly, and every implementation is checked through the adapter protocol.

`xent-conformance fuzz --impl python --impl go --budget 60` (seconds per implementation).
"""
from __future__ import annotations


def register(subparsers) -> None:
    from .cli import register as _register
    _register(subparsers)


__all__ = ["register"]
