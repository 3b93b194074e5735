package adapter

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
)

// FuzzParseHex: any string either fails or gives a value that is exact in its width, that
// FormatHex writes back to the same value (D9: never re-rounded), and that never panics.
func FuzzParseHex(f *testing.F) {
	for _, s := range []string{"0x1p+0", "-0x1.8p-1", "0x0.0000000000001p-1022", "0x1p-1074", "0x1p-149",
		"0x1.0000001p+0", "0x1.0000000000000001p+0", "0x1p-99999", "0x1.fffffep+127", "0x.8", "inf", "nan",
		"0x00000000000000000000001p+0", "0x10000000000000000000p-72", "0x1p+99999999999999999999", "0.5", ""} {
		f.Add(s, true)
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, s string, is32 bool) {
		width := 64
		if is32 {
			width = 32
		}
		v, err := ParseHex(s, width)
		if err != nil || math.IsNaN(v) {
			return
		}
		if is32 && float64(float32(v)) != v {
			t.Fatalf("ParseHex(%q, 32) = %v is not a float32", s, v)
		}
		back, err := ParseHex(FormatHex(v, width), width)
		if err != nil || back != v || math.Signbit(back) != math.Signbit(v) {
			t.Fatalf("%q -> %v -> %q -> %v, %v", s, v, FormatHex(v, width), back, err)
		}
	})
}

// FuzzAnswer: any case object gets exactly one answer carrying its id, with an output, an error
// of a known kind and a one-line message, or an unsupported reason; nothing panics.
func FuzzAnswer(f *testing.F) {
	f.Add(`{"id": "a", "function": "softmax", "dtype": "float64", "params": {}, "inputs": {"x": {"dtype": "float64", "shape": [2], "data": ["0x1p+0", "-inf"]}}}`)
	f.Add(`{"id": "a", "function": "softmax_cross_entropy", "dtype": "float32", "params": {"ignore_index": 1, "label_smoothing": "0x1p-2", "weight": {"dtype": "float32", "shape": [2], "data": ["0x1p+0", "0x0p+0"]}}, "inputs": {"logits": {"dtype": "float32", "shape": [1, 2], "data": ["nan", "0x1p+0"]}, "target": {"dtype": "int64", "shape": [1], "data": [1]}}}`)
	f.Add(`{"id": "a", "function": "focal_loss", "dtype": "float64", "params": {"alpha": {"dtype": "float64", "shape": [2], "data": ["0x1p+0", "0x1p+0"]}}, "inputs": {"logits": {"dtype": "float64", "shape": [1, 2], "data": ["0x0p+0", "0x1p+0"]}, "target": {"dtype": "int64", "shape": [1], "data": [9223372036854775807]}}}`)
	f.Add(`{"id": "a", "function": "sigmoid", "dtype": "float32", "params": {}, "inputs": {"z": {"dtype": "float32", "shape": [4294967296, 4294967296], "data": []}}}`)
	f.Add(`{"id": "a", "function": "binary_cross_entropy_with_logits_grad", "dtype": "float64", "params": {"pos_weight": {"dtype": "float64", "shape": [1], "data": ["inf"]}, "reduction": "mean"}, "inputs": {"z": {"dtype": "float64", "shape": [0, 1], "data": []}, "y": {"dtype": "float64", "shape": [0, 1], "data": []}}}`)
	f.Add(`{"id": "a", "function": "softmax_cross_entropy", "dtype": "float16", "params": {"output_dtype": "float32", "label_smoothing": "0x1.998p-4", "weight": {"dtype": "float16", "shape": [2], "data": ["0x1p+0", "0x1.ffcp+15"]}}, "inputs": {"logits": {"dtype": "float16", "shape": [1, 2], "data": ["0x1.ffcp+15", "-0x1p-24"]}, "target": {"dtype": "int64", "shape": [1], "data": [1]}}}`)
	f.Add(`{"id": "a", "function": "nll_from_probs", "dtype": "bfloat16", "params": {"epsilon": "0x1p-133"}, "inputs": {"probs": {"dtype": "bfloat16", "shape": [1, 2], "data": ["0x0p+0", "0x1p+0"]}, "target": {"dtype": "int64", "shape": [1], "data": [0]}}}`)
	// issues 17 and 18: grad_output, the bool mask, merges, shards and linear cross-entropy
	f.Add(`{"id": "a", "function": "softmax_cross_entropy_grad", "dtype": "float64", "params": {"reduction": "none", "grad_output": {"dtype": "float64", "shape": [2], "data": ["inf", "nan"]}, "where": {"dtype": "bool", "shape": [2], "data": [true, false]}}, "inputs": {"logits": {"dtype": "float64", "shape": [2, 2], "data": ["0x0p+0", "nan", "-inf", "0x1p+0"]}, "target": {"dtype": "int64", "shape": [2], "data": [1, -100]}}}`)
	f.Add(`{"id": "a", "function": "online_softmax_merge", "dtype": "bfloat16", "params": {"base": "2"}, "inputs": {"m": {"dtype": "bfloat16", "shape": [2, 1], "data": ["-inf", "0x1p+0"]}, "d": {"dtype": "bfloat16", "shape": [2, 1], "data": ["inf", "0x1p+0"]}}}`)
	f.Add(`{"id": "a", "function": "cross_entropy_from_shards", "dtype": "float32", "params": {"label_smoothing": "0x1p-1"}, "inputs": {"shard_lse": {"dtype": "float32", "shape": [2, 1], "data": ["0x0p+0", "-inf"]}, "shard_logit_sum": {"dtype": "float32", "shape": [2, 1], "data": ["0x0p+0", "0x0p+0"]}, "target_logit": {"dtype": "float32", "shape": [1], "data": ["0x0p+0"]}, "target": {"dtype": "int64", "shape": [1], "data": [0]}, "shard_size": {"dtype": "int64", "shape": [2], "data": [9223372036854775807, 1]}}}`)
	f.Add(`{"id": "a", "function": "linear_cross_entropy_grad", "dtype": "float16", "params": {"wrt": "linear_weight", "linear_bias": {"dtype": "float16", "shape": [2], "data": ["0x1p+0", "-inf"]}}, "inputs": {"hidden": {"dtype": "float16", "shape": [1, 1], "data": ["0x1p+0"]}, "linear_weight": {"dtype": "float16", "shape": [2, 1], "data": ["inf", "0x0p+0"]}, "target": {"dtype": "int64", "shape": [1], "data": [0]}}}`)
	f.Add(`{"id": "a", "function": "softmax_grad", "dtype": "float64", "params": {"axis": 0}, "inputs": {"x": {"dtype": "float64", "shape": [2], "data": ["inf", "0x0p+0"]}, "grad_output": {"dtype": "float64", "shape": [2], "data": ["0x1p+0", "inf"]}}}`)
	kinds := map[string]bool{"invalid_shape": true, "shape_mismatch": true, "index_out_of_range": true,
		"invalid_probability": true, "invalid_argument": true, KindBadRequest: true}
	f.Fuzz(func(t *testing.T, line string) {
		var c Case
		if json.Unmarshal([]byte(line), &c) != nil {
			return
		}
		a := Answer(&c)
		if a["id"] != c.ID {
			t.Fatalf("answer %v for id %q", a, c.ID)
		}
		if e, ok := a["error"].(map[string]any); ok {
			m, _ := e["message"].(string)
			if !kinds[e["kind"].(string)] || m == "" || strings.ContainsAny(m, "\r\n") {
				t.Fatalf("error answer %v", a)
			}
			return
		}
		if a["output"] == nil && a["unsupported"] == nil {
			t.Fatalf("answer %v has neither output, error nor unsupported", a)
		}
	})
}
