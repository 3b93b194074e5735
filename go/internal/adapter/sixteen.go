package adapter

import (
	"fmt"
	"maps"

	xent "github.com/xent-conformance/xent/go"
)

// The 16-bit dtypes (float16, bfloat16) and the mixed contract (output_dtype float32): a 16-bit
// case runs the library's 16-bit form, and output_dtype is a parameter of the functions in
// mixedFunctions only (elsewhere it is an unknown parameter: bad_request).

// mixedFunctions take output_dtype: what PyTorch's autocast runs in float32 (spec/xent.yaml, dtypes).
var mixedFunctions = []string{"logsumexp", "softmax", "log_softmax", "softplus", "softmax_cross_entropy",
	"binary_cross_entropy_with_logits"}

// outputDtypeP reads output_dtype as a JSON string (else bad_request); its value is judged by
// outputDtype, as the library has no such option: its 16-bit form picks the output by Narrow's type.
var outputDtypeP = enumParam(func(string) xent.Option { return nil })

func init() {
	for _, fn := range mixedFunctions {
		sig := signatures[fn]
		params := maps.Clone(sig.params)
		if params == nil {
			params = map[string]paramDecoder{}
		}
		params["output_dtype"] = outputDtypeP
		sig.params = params
		signatures[fn] = sig
	}
}

// call16 runs a float16 or bfloat16 case as the library's 16-bit form: the inputs, decoded exactly
// in the 16-bit dtype, are float64 values (xent.Widen's result), the float parameters are values of
// the dtype (xent.WithDtype), and each float64 result is rounded once to the dtype, or to float32
// under output_dtype float32 (xent.Narrow).
func call16[H xent.Sixteen](c *Case) (result, error) {
	res, err := call[float64](c, xent.WithDtype[H]())
	if err != nil {
		return res, err
	}
	return res, narrowTo16(c, &res)
}

// narrowTo16 rounds a 16-bit case's float64 results once to its output dtype and records it.
func narrowTo16(c *Case, res *result) error {
	mixed, err := outputDtype(c)
	if err != nil {
		return err
	}
	switch {
	case mixed:
		res.data, res.dtype = narrowed[float32](res.data), "float32"
	case c.Dtype == "bfloat16":
		res.data, res.dtype = narrowed[xent.BFloat16](res.data), c.Dtype
	default:
		res.data, res.dtype = narrowed[xent.Float16](res.data), c.Dtype
	}
	return nil
}

// narrowed rounds each value once to O with the library's conversion and widens it back (exactly).
func narrowed[O xent.Narrowed](v []float64) []float64 {
	n, _ := xent.NarrowSlice[O](v, nil)
	out := make([]float64, len(n))
	for i, x := range n {
		switch y := any(x).(type) {
		case float32:
			out[i] = float64(y)
		case xent.Float16:
			out[i] = y.Float64()
		case xent.BFloat16:
			out[i] = y.Float64()
		}
	}
	return out
}

// outputDtype reads output_dtype (the mixed contract): whether it is float32. An unknown value, or
// float32 in a case whose dtype is not float16 or bfloat16, is invalid_argument (step 1: it depends
// on the dtype, not on any tensor); the JSON type was checked when the parameters were decoded.
func outputDtype(c *Case) (mixed bool, err error) {
	raw, ok := c.Params["output_dtype"]
	if !ok {
		return false, nil
	}
	s, _ := jsonString(raw)
	switch {
	case s == "same":
		return false, nil
	case s != "float32":
		return false, fmt.Errorf("%w: %s: output_dtype %q is not same or float32", xent.ErrInvalidArgument, c.Function, s)
	case c.Dtype != "float16" && c.Dtype != "bfloat16":
		return false, fmt.Errorf("%w: %s: output_dtype float32 needs float16 or bfloat16 inputs (the mixed contract), not %s",
			xent.ErrInvalidArgument, c.Function, c.Dtype)
	}
	return true, nil
}

// roundMutant rounds a mutant's answer to a 16-bit case once to the case's output dtype: the
// mutants compute 16-bit cases in float64, and an answer built on the shipped result (whose Dtype
// is already set) holds the mutant's float64 values all the same. Rounding the shipped values again
// changes nothing (they are values of the output dtype). Other answers are returned as they are.
func roundMutant(c *Case, r Result) Result {
	if r.ErrKind != "" || (c.Dtype != "float16" && c.Dtype != "bfloat16") {
		return r
	}
	rounded := result{data: append([]float64(nil), r.Data...)}
	if err := narrowTo16(c, &rounded); err != nil {
		return r
	}
	r.Data, r.Dtype = rounded.data, rounded.dtype
	return r
}
