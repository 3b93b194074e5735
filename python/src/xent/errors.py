"""Typed errors: one exception class per error kind of the spec (spec/xent.yaml, ``errors``).

Every class derives from :class:`XentError` (itself a :class:`ValueError`) and carries the spec's kind
name in ``.kind``, so callers can either catch one kind or all of them::

    try:
        xent.softmax(x)
    except xent.XentError as err:
        print(err.kind, err)
"""
from __future__ import annotations


class XentError(ValueError):
    """Base class of every error raised on bad input. ``kind`` is the spec's error kind."""

    kind: str = "xent_error"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class InvalidShapeError(XentError):
    """An input has a rank the function does not accept, or a dimension that must be non-zero is zero."""

    kind = "invalid_shape"


class ShapeMismatchError(XentError):
    """Two inputs that must agree in shape do not."""

    kind = "shape_mismatch"


class IndexOutOfRangeError(XentError):
    """A class-index target is outside [0, C) and is not the ignore_index."""

    kind = "index_out_of_range"


class InvalidProbabilityError(XentError):
    """A value that must be a probability or a target in [0, 1] is outside [0, 1] or is NaN."""

    kind = "invalid_probability"


class InvalidArgumentError(XentError):
    """A parameter is outside its domain (unknown enum value, negative weight, bad epsilon, ...)."""

    kind = "invalid_argument"


ERROR_CLASSES = {cls.kind: cls for cls in (InvalidShapeError, ShapeMismatchError, IndexOutOfRangeError,
                                           InvalidProbabilityError, InvalidArgumentError)}

__all__ = ["XentError", "InvalidShapeError", "ShapeMismatchError", "IndexOutOfRangeError",
           "InvalidProbabilityError", "InvalidArgumentError", "ERROR_CLASSES"]
