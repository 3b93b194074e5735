package adapter

import (
	"encoding/json"
	"math"
	"slices"
	"testing"
)

// 16-bit hex floats are exact in their dtype: float16 has 11 significant bits and subnormals down
// to 2^-24, bfloat16 8 bits and subnormals down to 2^-133; anything else is an error.
func TestParseHexIn16(t *testing.T) {
	valid := []struct {
		s, dtype string
		want     float64
	}{
		{"0x1.ffcp+15", "float16", 65504}, {"0x1p-24", "float16", 0x1p-24}, {"0x0.004p-14", "float16", 0x1p-24},
		{"-0x1.554p-2", "float16", -0x1.554p-2}, {"0x1.fep+127", "bfloat16", 0x1.fep+127},
		{"0x1p-133", "bfloat16", 0x1p-133}, {"inf", "bfloat16", math.Inf(1)},
	}
	for _, c := range valid {
		if got, err := ParseHexIn(c.s, c.dtype); err != nil || got != c.want {
			t.Errorf("ParseHexIn(%q, %s) = %v, %v; want %v", c.s, c.dtype, got, err, c.want)
		}
	}
	invalid := []struct{ s, dtype string }{
		{"0x1.002p+0", "float16"}, {"0x1p-25", "float16"}, {"0x1.8p-24", "float16"}, {"0x1p+16", "float16"},
		{"0x1.01p+0", "bfloat16"}, {"0x1p-134", "bfloat16"}, {"0x1p+128", "bfloat16"}, {"0x1p+0", "float8"},
	}
	for _, c := range invalid {
		if got, err := ParseHexIn(c.s, c.dtype); err == nil {
			t.Errorf("ParseHexIn(%q, %s) = %v, want an error", c.s, c.dtype, got)
		}
	}
}

// A 16-bit case: the answer's dtype and float32's hex text; -ln 2 (log_softmax([0, 0])) is
// -0x1.63p-1 in float16 (1420 * 2^-11 nearest to 0.693147...), -0x1.62p-1 in bfloat16 and
// -0x1.62e43p-1 in float32 (output_dtype float32).
func TestAnswer16(t *testing.T) {
	cases := []struct{ dtype, params, wantDtype, want string }{
		{"float16", `{}`, "float16", "-0x1.63p-1"},
		{"bfloat16", `{}`, "bfloat16", "-0x1.62p-1"},
		{"float16", `{"output_dtype": "same"}`, "float16", "-0x1.63p-1"},
		{"float16", `{"output_dtype": "float32"}`, "float32", "-0x1.62e43p-1"},
		{"bfloat16", `{"output_dtype": "float32"}`, "float32", "-0x1.62e43p-1"},
	}
	for _, c := range cases {
		kind, a := answerKind(t, `{"id": "c", "function": "log_softmax", "dtype": "`+c.dtype+`", "params": `+c.params+
			`, "inputs": {"x": {"dtype": "`+c.dtype+`", "shape": [2], "data": ["0x0p+0", "-0x0p+0"]}}}`)
		if kind != "output" {
			t.Fatalf("%s %s: %v", c.dtype, c.params, a)
		}
		out := a["output"].(map[string]any)
		if out["dtype"] != c.wantDtype || !slices.Equal(out["data"].([]string), []string{c.want, c.want}) {
			t.Errorf("%s %s: output %v, want dtype %s, data %s", c.dtype, c.params, out, c.wantDtype, c.want)
		}
	}
}

// output_dtype: a JSON string of the six mixed functions (else bad_request); float32 only with
// 16-bit inputs and no value but same and float32 (else invalid_argument, before the rank check).
func TestOutputDtypeKinds(t *testing.T) {
	x := func(dtype, shape, data string) string {
		return `"inputs": {"x": {"dtype": "` + dtype + `", "shape": ` + shape + `, "data": ` + data + `}}`
	}
	cases := []struct{ name, json, want string }{
		{"float32 in a float64 case", `{"id": "c", "function": "softmax", "dtype": "float64", "params": {"output_dtype": "float32"}, ` + x("float64", "[1]", `["0x0p+0"]`) + `}`, "invalid_argument"},
		{"float32 in a float32 case", `{"id": "c", "function": "logsumexp", "dtype": "float32", "params": {"output_dtype": "float32"}, ` + x("float32", "[1]", `["0x0p+0"]`) + `}`, "invalid_argument"},
		{"same in a float64 case", `{"id": "c", "function": "softmax", "dtype": "float64", "params": {"output_dtype": "same"}, ` + x("float64", "[1]", `["0x0p+0"]`) + `}`, "output"},
		{"an unknown value", `{"id": "c", "function": "softmax", "dtype": "float16", "params": {"output_dtype": "float16"}, ` + x("float16", "[1]", `["0x0p+0"]`) + `}`, "invalid_argument"},
		{"before the rank check", `{"id": "c", "function": "softmax", "dtype": "float64", "params": {"output_dtype": "float32"}, ` + x("float64", "[]", `["0x0p+0"]`) + `}`, "invalid_argument"},
		{"not a string", `{"id": "c", "function": "softmax", "dtype": "float16", "params": {"output_dtype": 32}, ` + x("float16", "[1]", `["0x0p+0"]`) + `}`, "bad_request"},
		{"sigmoid has none", `{"id": "c", "function": "sigmoid", "dtype": "float16", "params": {"output_dtype": "float32"}, "inputs": {"z": {"dtype": "float16", "shape": [], "data": ["0x0p+0"]}}}`, "bad_request"},
		{"the gradient has none", `{"id": "c", "function": "softmax_cross_entropy_grad", "dtype": "float16", "params": {"output_dtype": "float32"}, "inputs": {"logits": {"dtype": "float16", "shape": [1, 2], "data": ["0x0p+0", "0x0p+0"]}, "target": {"dtype": "int64", "shape": [1], "data": [0]}}}`, "bad_request"},
		{"an inexact float16 input", `{"id": "c", "function": "softmax", "dtype": "float16", "params": {}, ` + x("float16", "[1]", `["0x1.002p+0"]`) + `}`, "bad_request"},
		{"a float32 tensor in a float16 case", `{"id": "c", "function": "softmax", "dtype": "float16", "params": {}, ` + x("float32", "[1]", `["0x1p+0"]`) + `}`, "bad_request"},
		{"an inexact bfloat16 parameter", `{"id": "c", "function": "focal_loss", "dtype": "bfloat16", "params": {"gamma": "0x1.01p+1"}, "inputs": {"logits": {"dtype": "bfloat16", "shape": [1, 2], "data": ["0x0p+0", "0x0p+0"]}, "target": {"dtype": "int64", "shape": [1], "data": [0]}}}`, "bad_request"},
	}
	for _, c := range cases {
		if got, a := answerKind(t, c.json); got != c.want {
			t.Errorf("%s: %s (%v), want %s", c.name, got, a, c.want)
		}
	}
}

// The float parameters of a 16-bit case are values of its dtype: the default epsilon 1e-15 of
// nll_from_probs is 0 in float16, so p = 0 gives inf (in bfloat16, -log of bfloat16's 1e-15).
func TestDefaultParameterIn16(t *testing.T) {
	kind, a := answerKind(t, `{"id": "c", "function": "nll_from_probs", "dtype": "float16", "params": {}, "inputs": {"probs": {"dtype": "float16", "shape": [1, 2], "data": ["0x0p+0", "0x1p+0"]}, "target": {"dtype": "int64", "shape": [1], "data": [0]}}}`)
	if kind != "output" || a["output"].(map[string]any)["data"].([]string)[0] != "inf" {
		t.Errorf("float16 nll at p = 0 with the default epsilon: %v, want inf", a)
	}
}

// A mutant's float64 answer to a 16-bit case is rounded once to the case's output dtype.
func TestRoundMutant(t *testing.T) {
	c := &Case{ID: "c", Function: "softmax", Dtype: "float16", Params: map[string]json.RawMessage{}}
	r := roundMutant(c, Result{Shape: []int{1}, Data: []float64{1 + 0x1p-11 + 0x1p-30}})
	if r.Dtype != "float16" || r.Data[0] != 1+0x1p-10 {
		t.Errorf("float16: %+v, want [1 + 2^-10]", r)
	}
	c.Params["output_dtype"] = json.RawMessage(`"float32"`)
	r = roundMutant(c, Result{Shape: []int{1}, Data: []float64{1 + 0x1p-11 + 0x1p-30}})
	if r.Dtype != "float32" || r.Data[0] != 1+0x1p-11 {
		t.Errorf("float32: %+v, want [1 + 2^-11]", r)
	}
	// an answer built on the shipped result carries the dtype's name but the mutant's float64 values
	delete(c.Params, "output_dtype")
	for _, tc := range []struct {
		dtype string
		value float64
		want  float64
	}{{"float16", 1 + 0x1p-11 + 0x1p-30, 1 + 0x1p-10}, {"bfloat16", 1 + 0x1p-8 + 0x1p-30, 1 + 0x1p-7}} {
		c.Dtype = tc.dtype
		r = roundMutant(c, Result{Shape: []int{1}, Data: []float64{tc.value}, Dtype: tc.dtype})
		if r.Dtype != tc.dtype || r.Data[0] != tc.want {
			t.Errorf("%s answer with its Dtype set: %+v, want [%x]", tc.dtype, r, tc.want)
		}
	}
	if r := roundMutant(&Case{Dtype: "float64"}, Result{Data: []float64{0.1}}); r.Data[0] != 0.1 || r.Dtype != "" {
		t.Errorf("float64 answers are left alone: %+v", r)
	}
}
