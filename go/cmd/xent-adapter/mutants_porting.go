package main

import (
	"math"
	"strings"

	"github.com/xent-conformance/xent/go/internal/adapter"
)

// The mutants of issue 19 (porting from PyTorch and ONNX), appended to the catalogue in the Python
// catalogue's order, and the slice-by-slice form that lets the row functions' other mutants answer
// an N-d x.

func init() {
	mutants = append(mutants,
		mutant{"nll_loss_log_probs_as_probs", "nll_loss given log-probabilities but computed as if they were probabilities: -w_y log(x_y) (nll_from_probs' formula, no clamp) instead of -w_y x_y; a log-probability below 0 gives NaN.",
			killCompatible, []string{"nll_loss"}, rewrite(func(c *adapter.Case) *adapter.Case {
				x, shape, _ := c.Floats("input", false)
				return c.With(nil, map[string]any{"input": c.FloatTensor(mapf(x, math.Log), shape)})
			})},
		mutant{"ignore_index_null_as_minus_100", "an absent ignore_index (null / None: nothing ignored, ONNX's default) treated as PyTorch's -100: a target -100 is then silently ignored instead of being index_out_of_range.",
			killCompatible, append([]string{"nll_loss"}, sce...), func(c *adapter.Case) adapter.Result {
				if raw, ok := c.Params["ignore_index"]; ok && strings.TrimSpace(string(raw)) == "null" {
					return adapter.Shipped(c.With(map[string]any{"ignore_index": -100}, nil))
				}
				return adapter.Shipped(c)
			}},
		mutant{"kl_div_batchmean_as_mean", "kl_div's reduction batchmean computed as mean: the sum divided by every element (N times the support size) instead of the batch size N.",
			killCompatible, []string{"kl_div"}, func(c *adapter.Case) adapter.Result {
				if reduction(c) == "batchmean" {
					return adapter.Shipped(c.With(map[string]any{"reduction": "mean"}, nil))
				}
				return adapter.Shipped(c)
			}},
		mutant{"axis_off_by_one", "softmax, log_softmax and logsumexp along the next axis: an axis k of x of rank r is taken as (k + 1) mod r (a 1-based / 0-based or NCHW / NHWC confusion); a vector is unaffected, an axis out of range keeps its error.",
			killCompatible, row, func(c *adapter.Case) adapter.Result {
				_, shape, _ := c.Floats("x", false)
				r, axis := len(shape), axisOf(c)
				if r > 0 && axis >= -r && axis < r {
					return adapter.Shipped(c.With(map[string]any{"axis": ((axis%r+r)%r + 1) % r}, nil))
				}
				return adapter.Shipped(c)
			}},
	)
}

// axisAware are the mutants of a row function that handle an N-d x themselves; the others answer it
// slice by slice (alongAxis).
var axisAware = map[string]bool{"axis_off_by_one": true}

// axisOf returns the case's axis parameter (default -1).
func axisOf(c *adapter.Case) int {
	axis := -1
	c.Param("axis", &axis)
	return axis
}

// alongAxis answers a row function's case whose x has rank > 1 with answer (a mutant's vector form)
// on every slice along the axis, as a rank-1 case without the axis parameter, reassembled
// (logsumexp drops the axis). The shipped function runs on the whole case first, so that its errors
// (rank, empty axis, axis range) are the shipped ones. ok is false for a vector x.
func alongAxis(c *adapter.Case, answer func(*adapter.Case) adapter.Result) (res adapter.Result, ok bool) {
	x, shape, decoded := c.Floats("x", false)
	if !decoded || len(shape) <= 1 {
		return adapter.Result{}, false
	}
	res = adapter.Shipped(c)
	if res.ErrKind != "" {
		return res, true
	}
	a := axisOf(c)
	if a < 0 {
		a += len(shape)
	}
	n, inner := shape[a], 1
	for _, d := range shape[a+1:] {
		inner *= d
	}
	count := 0
	if n > 0 {
		count = len(x) / n
	}
	out := make([]float64, len(res.Data))
	for s := 0; s < count; s++ {
		off := s/inner*n*inner + s%inner
		v := make([]float64, n)
		for j := range v {
			v[j] = x[off+j*inner]
		}
		one := answer(c.With(map[string]any{"axis": nil}, map[string]any{"x": c.FloatTensor(v, []int{n})}))
		if one.ErrKind != "" {
			return one, true
		}
		for j, y := range one.Data {
			if c.Function == "logsumexp" {
				out[s] = y
			} else {
				out[off+j*inner] = y
			}
		}
	}
	res.Data = out // the mutant's float64 values: adapter.Run rounds them into the output dtype
	return res, true
}
