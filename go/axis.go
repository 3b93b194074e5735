package xent

// WithAxis sets the axis along which SoftmaxTensor, LogSoftmaxTensor and LogSumExpTensor work
// (default -1, the last; a negative axis counts from the end, as PyTorch's dim and ONNX's axis
// from opset 13). An axis outside [-r, r) for a rank-r tensor is an ErrInvalidArgument error.
func WithAxis(axis int) Option { return func(c *config) { c.set |= optAxis; c.axis = axis } }

// axisGeometry is a tensor seen as outer x n x inner along an axis: the slice at (o, i) is the
// vector x[o*n*inner + j*inner + i], j = 0..n-1.
type axisGeometry struct {
	axis, outer, n, inner int
}

// offset returns the offset of the first element of slice s = o*inner + i (stride inner).
func (g axisGeometry) offset(s int) int { return s/g.inner*g.n*g.inner + s%g.inner }

// newAxis checks x and the axis option of fn in the specification's error precedence: options on
// their own, then the rank (1 to 8) and an empty axis (invalid_shape), then the axis' range
// (invalid_argument, a shape-dependent argument rule).
func newAxis[T Float](fn string, x Tensor[T], opts []Option) (axisGeometry, error) {
	c, err := configure[T](fn, opts)
	if err != nil {
		return axisGeometry{}, err
	}
	if err := checkTensor(fn, "x", x.Shape, len(x.Data), 1, maxRank); err != nil {
		return axisGeometry{}, err
	}
	r, a := len(x.Shape), c.axis
	if a < 0 {
		a += r
	}
	if a >= 0 && a < r && x.Shape[a] == 0 {
		return axisGeometry{}, newError(ErrInvalidShape, fn, "x has shape %v: axis %d is empty", x.Shape, c.axis)
	}
	if a < 0 || a >= r {
		return axisGeometry{}, newError(ErrInvalidArgument, fn, "axis %d is outside [%d, %d) for x of shape %v", c.axis, -r, r, x.Shape)
	}
	return axisGeometry{axis: a, outer: numel(x.Shape[:a]), n: x.Shape[a], inner: numel(x.Shape[a+1:])}, nil
}

// alongAxis analyses every slice of x along g's axis and calls each(slice, row) with the slice's
// accurate log-sum-exp decomposition (the row's buffers are reused from slice to slice).
func alongAxis(x []float64, g axisGeometry, each func(s int, r *lseRow)) {
	var r lseRow
	for s := 0; s < g.outer*g.inner; s++ {
		r.analyze(x, g.offset(s), g.inner, g.n)
		each(s, &r)
	}
}

// perEntry returns f(row, j) at every element of x, row being the decomposition of the element's
// slice along g's axis and j its index in the slice.
func perEntry[T Float](x Tensor[T], g axisGeometry, f func(r *lseRow, j int) doubleDouble) Tensor[T] {
	out := make([]T, len(x.Data))
	alongAxis(viewF64(x.Data), g, func(s int, r *lseRow) {
		off := g.offset(s)
		for j := 0; j < g.n; j++ {
			out[off+j*g.inner] = T(f(r, j).float())
		}
	})
	return Tensor[T]{Shape: append([]int(nil), x.Shape...), Data: out}
}

// SoftmaxTensor returns softmax along an axis of x (rank 1 to 8; WithAxis, default -1):
// softmax(x)_j = exp(x_j) / sum_i exp(x_i) over each slice along the axis, computed as
// exp(x_j - a) / (1 + s) as in SoftmaxChecked, with its special values per slice (any NaN gives a
// slice of NaN; exactly one +inf gives one-hot; two +inf or all -inf give NaN). PyTorch's
// F.softmax(x, dim) and ONNX's Softmax from opset 13.
//
// Errors: ErrInvalidArgument (an option softmax does not take; the axis outside [-r, r)),
// ErrInvalidShape (rank 0 or above 8; the axis has length 0). Other empty dimensions give an empty
// result.
func SoftmaxTensor[T Float](x Tensor[T], opts ...Option) (Tensor[T], error) {
	g, err := newAxis("softmax", x, opts)
	if err != nil {
		return Tensor[T]{}, err
	}
	return perEntry(x, g, (*lseRow).softmax), nil
}

// LogSoftmaxTensor returns log_softmax along an axis of x (rank 1 to 8; WithAxis, default -1):
// x_j - lse(x) over each slice along the axis, computed as (x_j - a) - log1p(s) as in LogSoftmax,
// with its special values per slice. PyTorch's F.log_softmax(x, dim) and ONNX's LogSoftmax from
// opset 13. Errors as SoftmaxTensor.
func LogSoftmaxTensor[T Float](x Tensor[T], opts ...Option) (Tensor[T], error) {
	g, err := newAxis("log_softmax", x, opts)
	if err != nil {
		return Tensor[T]{}, err
	}
	return perEntry(x, g, (*lseRow).logSoftmax), nil
}

// LogSumExpTensor returns log(sum_i exp(x_i)) over each slice along an axis of x (rank 1 to 8;
// WithAxis, default -1), computed as a + log1p(s) as in LogSumExp, with its special values per
// slice. The axis is removed from the shape (PyTorch's torch.logsumexp(x, dim) with keepdim
// false): a rank-1 x gives a scalar. Errors as SoftmaxTensor.
func LogSumExpTensor[T Float](x Tensor[T], opts ...Option) (Tensor[T], error) {
	g, err := newAxis("logsumexp", x, opts)
	if err != nil {
		return Tensor[T]{}, err
	}
	out := make([]T, g.outer*g.inner)
	alongAxis(viewF64(x.Data), g, func(s int, r *lseRow) { out[s] = T(r.lseX().float()) })
	shape := append(append([]int{}, x.Shape[:g.axis]...), x.Shape[g.axis+1:]...)
	return Tensor[T]{Shape: shape, Data: out}, nil
}
