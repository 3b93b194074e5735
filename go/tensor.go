package xent

import (
	"fmt"
	"math"
)

// Float is the set of element types the catalogue functions accept: float32 and float64 (and types
// defined on them). Computation is always carried out in float64 (and double-double) from the input
// values; a float32 result is the float64 result rounded once to float32.
type Float interface {
	~float32 | ~float64
}

// Tensor is a dense row-major tensor: Data holds prod(Shape) elements, the last index varying
// fastest. A scalar has an empty (or nil) Shape and one element. Functions that take a Tensor check
// that len(Data) equals the product of Shape and return ErrInvalidShape otherwise.
type Tensor[T any] struct {
	Shape []int
	Data  []T
}

// NewTensor returns the Tensor with the given data and shape (data is not copied). With no shape
// arguments the tensor is the vector [len(data)].
func NewTensor[T any](data []T, shape ...int) Tensor[T] {
	if len(shape) == 0 {
		shape = []int{len(data)}
	}
	return Tensor[T]{Shape: shape, Data: data}
}

// Scalar returns a rank-0 tensor holding v.
func Scalar[T any](v T) Tensor[T] { return Tensor[T]{Shape: []int{}, Data: []T{v}} }

// Rank returns len(t.Shape).
func (t Tensor[T]) Rank() int { return len(t.Shape) }

// Item returns the single element of a tensor with one element (a scalar, or any shape of size 1)
// and false otherwise.
func (t Tensor[T]) Item() (T, bool) {
	if len(t.Data) != 1 {
		var zero T
		return zero, false
	}
	return t.Data[0], true
}

// maxRank is the largest rank of the specification's tensors (rank [0, 8] or [1, 8] for the
// elementwise functions, [2, 8] for softmax_cross_entropy's logits, [1, 8] for nll_loss' input):
// N, C and six spatial dimensions, beyond the rank 7 of ONNX's backend tests. A larger rank is
// invalid_shape.
const maxRank = 8

// numel returns the product of shape, or -1 if a dimension is negative or the product overflows.
func numel(shape []int) int {
	n := 1
	for _, d := range shape {
		if d < 0 {
			return -1
		}
		if d != 0 && n > math.MaxInt32*int(math.MaxInt32)/d {
			return -1
		}
		n *= d
	}
	return n
}

// checkTensor validates shape against data length and rank limits.
func checkTensor(fn, name string, shape []int, n int, minRank, maxRank int) error {
	m := numel(shape)
	if m < 0 {
		return newError(ErrInvalidShape, fn, "%s has an invalid shape %v", name, shape)
	}
	if m != n {
		return newError(ErrInvalidShape, fn, "%s has shape %v (%d elements) but %d data values", name, shape, m, n)
	}
	if len(shape) < minRank || len(shape) > maxRank {
		if minRank == maxRank {
			return newError(ErrInvalidShape, fn, "%s must have rank %d, got shape %v", name, minRank, shape)
		}
		return newError(ErrInvalidShape, fn, "%s must have rank %d to %d, got shape %v", name, minRank, maxRank, shape)
	}
	return nil
}

func sameShape(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func fmtShape(s []int) string { return fmt.Sprint(s) }

// viewF64 is toF64 for data the caller only reads: float64 data is returned as is, without a copy.
func viewF64[T Float](x []T) []float64 {
	if v, ok := any(x).([]float64); ok {
		return v
	}
	return toF64(x)
}

// toF64 converts a slice to float64 (exactly).
func toF64[T Float](x []T) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = float64(v)
	}
	return out
}

// fromF64 rounds float64 values once to T.
func fromF64[T Float](x []float64) []T {
	out := make([]T, len(x))
	for i, v := range x {
		out[i] = T(v)
	}
	return out
}

// roundParam rounds a float64 parameter to the nearest value of T (a no-op for float64).
func roundParam[T Float](v float64) float64 { return float64(T(v)) }

func roundParams[T Float](v []float64) []float64 {
	if v == nil {
		return nil
	}
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(T(x))
	}
	return out
}

// outTensor builds the result tensor of T from float64 values.
func outTensor[T Float](shape []int, v []float64) Tensor[T] {
	s := make([]int, len(shape))
	copy(s, shape)
	return Tensor[T]{Shape: s, Data: fromF64[T](v)}
}
