package xent

import (
	"errors"
	"fmt"
)

// Sentinel errors, one per error kind of the specification. Every error returned by this package
// wraps exactly one of them, so errors.Is(err, ErrInvalidShape) and friends tell the kind; the
// message names the function, the argument and the index or shape at fault.
var (
	// ErrInvalidShape: an input has a rank the function does not accept, or a dimension that must be
	// non-zero is zero (an empty vector for softmax, logsumexp or entropy; zero classes). Also used
	// when a Tensor's data length does not match its shape.
	ErrInvalidShape = errors.New("invalid_shape")
	// ErrShapeMismatch: two inputs that must agree in shape do not (p and q, logits and targets,
	// weight and classes).
	ErrShapeMismatch = errors.New("shape_mismatch")
	// ErrIndexOutOfRange: a class-index target is outside [0, C) and is not the ignore_index.
	ErrIndexOutOfRange = errors.New("index_out_of_range")
	// ErrInvalidProbability: a value that must be a probability or a target in [0, 1] is outside
	// [0, 1] or is NaN.
	ErrInvalidProbability = errors.New("invalid_probability")
	// ErrInvalidArgument: a parameter is outside its domain (an unknown enum value, a negative or
	// non-finite weight, label smoothing outside [0, 1], a negative gamma, an epsilon outside its
	// range), or an option that the function does not take.
	ErrInvalidArgument = errors.New("invalid_argument")
)

var sentinels = []error{ErrInvalidShape, ErrShapeMismatch, ErrIndexOutOfRange, ErrInvalidProbability, ErrInvalidArgument}

// ErrorKind returns the specification's error kind of err ("invalid_shape", "shape_mismatch",
// "index_out_of_range", "invalid_probability" or "invalid_argument"), or "" when err is nil or wraps
// none of the sentinel errors.
func ErrorKind(err error) string {
	for _, s := range sentinels {
		if errors.Is(err, s) {
			return s.Error()
		}
	}
	return ""
}

// newError returns an error wrapping kind, with the message "<kind>: <fn>: <formatted message>".
func newError(kind error, fn, format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", kind, fn, fmt.Sprintf(format, args...))
}
