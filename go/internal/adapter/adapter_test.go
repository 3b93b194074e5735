package adapter

import (
	"encoding/json"
	"math"
	"strings"
	"testing"

	xent "github.com/xent-conformance/xent/go"
)

// Hex floats are exact in their dtype (D9): accepted spellings give exactly their value, anything
// not representable (or not a hex float) is an error, never a rounded value.
func TestParseHex(t *testing.T) {
	valid := []struct {
		s     string
		width int
		want  float64
	}{
		{"0x1p+0", 64, 1}, {"0x1.8p1", 32, 3}, {"0X1.8P+1", 64, 3}, {"0x.8p1", 64, 1}, {"0x1.", 64, 1},
		{"0x1", 64, 1}, {"+0x1p-2", 64, 0.25}, {"-0x1.4p+2", 32, -5},
		{"0x00000000000000000000001p+0", 64, 1},                  // leading zeros take no room
		{"0x1.00000000000000000000p+0", 32, 1},                   // trailing zeros beyond 64 bits
		{"0x10000000000000000000p-72", 64, 16},                   // integer zeros beyond 64 bits: 2^76 2^-72
		{"0x1.fffffffffffffp+1023", 64, math.MaxFloat64},         // largest float64
		{"0x1.fffffep+127", 32, math.MaxFloat32},                 // largest float32
		{"0x0.0000000000001p-1022", 64, 0x1p-1074},               // the vectors' subnormal spelling
		{"0x1p-1074", 64, 0x1p-1074},                             // the other spelling
		{"0x1p-149", 32, 0x1p-149},                               // smallest float32 subnormal
		{"0x1.ffffffffffffep-1023", 64, 0x1.ffffffffffffep-1023}, // largest float64 subnormal
		{"0x0p+99999999999999999999", 64, 0},                     // zero whatever the exponent
		{"inf", 32, math.Inf(1)}, {"-inf", 64, math.Inf(-1)},
	}
	for _, c := range valid {
		got, err := ParseHex(c.s, c.width)
		if err != nil || got != c.want {
			t.Errorf("ParseHex(%q, %d) = %v, %v; want %v", c.s, c.width, got, err, c.want)
		}
	}
	if v, err := ParseHex("nan", 64); err != nil || !math.IsNaN(v) {
		t.Errorf("nan: %v %v", v, err)
	}
	if v, err := ParseHex("-0x0p+0", 64); err != nil || v != 0 || !math.Signbit(v) {
		t.Errorf("-0x0p+0 = %v %v, want -0", v, err)
	}
	invalid := []struct {
		s     string
		width int
	}{
		{"0x1.0000000000000001p+0", 64}, {"0x1.0000000000000001p+0", 32}, // 1 + 2^-64
		{"0x1.0000001p+0", 32},        // 1 + 2^-28 is a float64 but not a float32
		{"0x1.fffffffffffff8p+0", 64}, // 54 significant bits
		{"0x1p-99999", 64}, {"0x1p+99999", 64}, {"0x1p-1075", 64}, {"0x1p+1024", 64},
		{"0x1p-150", 32}, {"0x1p+128", 32}, {"0x1.8p-149", 32},
		{"0.5", 64}, {"1e-3", 32}, {"", 64}, {"abc", 64}, {"0x", 64}, {"0xp1", 64}, {"0x1p", 64},
		{"0x1p+", 64}, {"0x1.2.3p0", 64}, {"0x1g", 64}, {"Inf", 64}, {"NaN", 64}, {" 0x1p1", 64},
		{"0x1p1 ", 64}, {"--0x1p1", 64}, {"1", 64},
		// the special strings are exactly inf, -inf and nan
		{"+inf", 64}, {"infinity", 64}, {"-infinity", 32}, {"Infinity", 64}, {"-nan", 64}, {"+nan", 32}, {" inf", 64},
	}
	for _, c := range invalid {
		if v, err := ParseHex(c.s, c.width); err == nil {
			t.Errorf("ParseHex(%q, %d) = %v, want an error", c.s, c.width, v)
		}
	}
	for _, raw := range []string{`0.5`, `1`, `null`, `true`, `["0x1p+0"]`} {
		if v, err := ParseFloat(json.RawMessage(raw), 64); err == nil {
			t.Errorf("ParseFloat(%s) = %v, want an error (a float is a hex-float string)", raw, v)
		}
	}
}

// FormatHex writes C99-style exponents and round-trips exactly through ParseHex in both widths.
func TestFormatHex(t *testing.T) {
	for _, c := range []struct {
		v     float64
		width int
		want  string
	}{{0.5, 64, "0x1p-1"}, {3, 32, "0x1.8p+1"}, {0, 64, "0x0p+0"}, {0x1p-149, 32, "0x1p-149"},
		{1e300, 64, "0x1.7e43c8800759cp+996"}, {math.Inf(-1), 32, "-inf"}, {math.NaN(), 64, "nan"}} {
		if got := FormatHex(c.v, c.width); got != c.want {
			t.Errorf("FormatHex(%v, %d) = %q, want %q", c.v, c.width, got, c.want)
		}
	}
	for _, v := range []float64{1, -0.1, 0x1p-1074, math.MaxFloat64, 0x1.ffffffffffffep-1023, 12345.678} {
		for _, width := range []int{32, 64} {
			x := v
			if width == 32 {
				x = float64(float32(v))
			}
			if got, err := ParseHex(FormatHex(x, width), width); err != nil || got != x {
				t.Errorf("round trip of %v in float%d: %v, %v", x, width, got, err)
			}
		}
	}
}

// Integers are JSON integers within int64: never rounded, never wrapped.
func TestParseInt64(t *testing.T) {
	for raw, want := range map[string]int64{"0": 0, "-0": 0, "-100": -100, "9223372036854775807": math.MaxInt64,
		"-9223372036854775808": math.MinInt64, " 7 ": 7} {
		if got, err := parseInt64(json.RawMessage(raw)); err != nil || got != want {
			t.Errorf("parseInt64(%s) = %v, %v; want %v", raw, got, err, want)
		}
	}
	for _, raw := range []string{"9223372036854775808", "-9223372036854775809", "18446744073709551516",
		"18446744073709551616", "1.0", "1e0", "1E2", `"1"`, "true", "null", "01", "-", "+1", "", "[1]"} {
		if got, err := parseInt64(json.RawMessage(raw)); err == nil {
			t.Errorf("parseInt64(%s) = %v, want an error", raw, got)
		}
	}
}

// A tensor object is read strictly: a data length that differs from the shape's product (computed
// without overflow) or a malformed member is a bad request.
func TestDecodeTensor(t *testing.T) {
	ok := map[string]int{
		`{"dtype": "float64", "shape": [], "data": ["0x1p+0"]}`:                          1,
		`{"dtype": "float64", "shape": [0, 4611686018427387904], "data": []}`:            0,
		`{"dtype": "int64", "shape": [2, 1], "data": [1, 2], "comment": "extra member"}`: 2,
	}
	for raw, n := range ok {
		if tensor, err := decodeTensor("x", json.RawMessage(raw)); err != nil || len(tensor.Data) != n {
			t.Errorf("%s: %v, %v", raw, tensor, err)
		}
	}
	for _, raw := range []string{
		`{"dtype": "float64", "shape": [4294967296, 4294967296], "data": []}`, // 2^64, not 0
		`{"dtype": "float64", "shape": [3037000500, 3037000500], "data": []}`, // beyond int64
		`{"dtype": "float64", "shape": [18446744073709551617, 2], "data": ["0x0p+0", "0x0p+0"]}`,
		`{"dtype": "float64", "shape": [-1, -1], "data": ["0x0p+0"]}`,
		`{"dtype": "float64", "shape": [3.0], "data": ["0x0p+0", "0x0p+0", "0x0p+0"]}`,
		`{"dtype": "float64", "shape": ["3"], "data": ["0x0p+0", "0x0p+0", "0x0p+0"]}`,
		`{"dtype": "float64", "shape": 3, "data": ["0x0p+0", "0x0p+0", "0x0p+0"]}`,
		`{"dtype": "float64", "shape": [], "data": ["0x0p+0", "0x0p+0"]}`,
		`{"dtype": "float64", "shape": [1], "data": "0x0p+0"}`,
		`{"dtype": "float64", "shape": [0], "data": null}`,
		`{"dtype": "float64", "data": []}`,
		`{"shape": [0], "data": []}`,
		`{"dtype": 64, "shape": [0], "data": []}`,
		`["0x0p+0"]`, `1`, `"0x1p+0"`, `null`,
	} {
		if tensor, err := decodeTensor("x", json.RawMessage(raw)); !isBadRequest(err) {
			t.Errorf("%s: got %v, %v; want a bad request", raw, tensor, err)
		}
	}
}

func isBadRequest(err error) bool {
	_, ok := err.(*badRequestError)
	return ok
}

// answerKind runs a case given as JSON and returns what its answer says: an error kind,
// "unsupported" or "output".
func answerKind(t *testing.T, caseJSON string) (string, map[string]any) {
	t.Helper()
	var c Case
	if err := json.Unmarshal([]byte(caseJSON), &c); err != nil {
		t.Fatalf("test case is not a Case: %v", err)
	}
	a := Answer(&c)
	switch {
	case a["unsupported"] != nil:
		return "unsupported", a
	case a["error"] != nil:
		return a["error"].(map[string]any)["kind"].(string), a
	}
	return "output", a
}

// The adapter's answers per D7: bad_request for anything unreadable or off the protocol (before the
// function looks at the case), unsupported for an unsupported dtype, the spec's kinds otherwise.
func TestAnswerKinds(t *testing.T) {
	const (
		logits = `"logits": {"dtype": "float64", "shape": [1, 2], "data": ["0x0p+0", "0x1p+0"]}`
		target = `"target": {"dtype": "int64", "shape": [1], "data": [0]}`
		zy     = `"inputs": {"z": {"dtype": "float64", "shape": [1], "data": ["0x0p+0"]}, "y": {"dtype": "float64", "shape": [1], "data": ["0x1p+0"]}}`
	)
	sce := func(params string) string {
		return `{"id": "c", "function": "softmax_cross_entropy", "dtype": "float64", "params": {` + params + `}, "inputs": {` + logits + `, ` + target + `}}`
	}
	sigmoid := func(dtype, tensor string) string {
		return `{"id": "c", "function": "sigmoid", "dtype": "` + dtype + `", "params": {}, "inputs": {"z": ` + tensor + `}}`
	}
	cases := []struct{ name, json, want string }{
		{"valid", sce(`"reduction": "sum", "weight": null`), "output"},
		{"sigmoid focal alpha null", `{"id": "c", "function": "sigmoid_focal_loss", "dtype": "float64", "params": {"alpha": null}, ` + zy + `}`, "output"},
		{"reduction null", sce(`"reduction": null`), "bad_request"},
		{"where bool", sce(`"where": {"dtype": "bool", "shape": [2], "data": [true, false]}`), "output"},
		{"where null", sce(`"where": null`), "output"},
		{"where 1 for true", sce(`"where": {"dtype": "bool", "shape": [2], "data": [1, true]}`), "bad_request"},
		{"where string", sce(`"where": {"dtype": "bool", "shape": [2], "data": ["true", true]}`), "bad_request"},
		{"where float tensor", sce(`"where": {"dtype": "float64", "shape": [2], "data": ["0x1p+0", "0x0p+0"]}`), "bad_request"},
		{"where shape", sce(`"where": {"dtype": "bool", "shape": [3], "data": [true, true, true]}`), "shape_mismatch"},
		{"result lse", sce(`"result": "lse"`), "output"},
		{"result unknown", sce(`"result": "logits"`), "invalid_argument"},
		{"grad_output on the loss", sce(`"grad_output": null`), "bad_request"},
		{"reduction number", sce(`"reduction": 1`), "bad_request"},
		{"reduction unknown", sce(`"reduction": "avg"`), "invalid_argument"},
		{"ignore_index 1.0", sce(`"ignore_index": 1.0`), "bad_request"},
		{"ignore_index beyond int64", sce(`"ignore_index": 18446744073709551516`), "bad_request"},
		{"ignore_index string", sce(`"ignore_index": "3"`), "bad_request"},
		{"ignore_index null: nothing ignored", sce(`"ignore_index": null`), "output"},
		{"ignore_index true", sce(`"ignore_index": true`), "bad_request"},
		{"log_target a string", `{"id": "c", "function": "kl_div", "dtype": "float64", "params": {"log_target": "true"}, "inputs": {"input": {"dtype": "float64", "shape": [1], "data": ["0x0p+0"]}, "target": {"dtype": "float64", "shape": [1], "data": ["0x1p+0"]}}}`, "bad_request"},
		{"log_target 1", `{"id": "c", "function": "kl_div", "dtype": "float64", "params": {"log_target": 1}, "inputs": {"input": {"dtype": "float64", "shape": [1], "data": ["0x0p+0"]}, "target": {"dtype": "float64", "shape": [1], "data": ["0x1p+0"]}}}`, "bad_request"},
		{"log_target true", `{"id": "c", "function": "kl_div", "dtype": "float64", "params": {"log_target": true}, "inputs": {"input": {"dtype": "float64", "shape": [1], "data": ["0x0p+0"]}, "target": {"dtype": "float64", "shape": [1], "data": ["0x1p+0"]}}}`, "output"},
		{"axis 1.0", `{"id": "c", "function": "softmax", "dtype": "float64", "params": {"axis": 1.0}, "inputs": {"x": {"dtype": "float64", "shape": [1, 1], "data": ["0x0p+0"]}}}`, "bad_request"},
		{"axis out of range after rank", `{"id": "c", "function": "softmax", "dtype": "float64", "params": {"axis": 2}, "inputs": {"x": {"dtype": "float64", "shape": [1, 1], "data": ["0x0p+0"]}}}`, "invalid_argument"},
		{"nll_loss target of another rank", `{"id": "c", "function": "nll_loss", "dtype": "float64", "params": {}, "inputs": {"input": {"dtype": "float64", "shape": [1, 2], "data": ["0x0p+0", "0x0p+0"]}, "target": {"dtype": "int64", "shape": [], "data": [0]}}}`, "shape_mismatch"},
		{"label_smoothing decimal", sce(`"label_smoothing": "0.1"`), "bad_request"},
		{"label_smoothing number", sce(`"label_smoothing": 0.1`), "bad_request"},
		{"label_smoothing inexact", sce(`"label_smoothing": "0x1.0000000000000001p-1"`), "bad_request"},
		{"label_smoothing NaN", sce(`"label_smoothing": "nan"`), "invalid_argument"},
		{"softcap null: no cap", sce(`"softcap": null, "logit_scale": "0x1.8p+0", "z_loss": "0x1p-10", "empty_mean": "zero"`), "output"},
		{"softcap number", sce(`"softcap": 30`), "bad_request"},
		{"softcap zero", sce(`"softcap": "0x0p+0"`), "invalid_argument"},
		{"logit_scale null", sce(`"logit_scale": null`), "bad_request"},
		{"logit_scale negative", sce(`"logit_scale": "-0x1p+0"`), "invalid_argument"},
		{"z_loss inf", sce(`"z_loss": "inf"`), "invalid_argument"},
		{"empty_mean unknown", sce(`"empty_mean": "none"`), "invalid_argument"},
		{"empty_mean not a string", sce(`"empty_mean": 0`), "bad_request"},
		{"weight plain list", sce(`"weight": ["0x1p+0", "0x1p+0"]`), "bad_request"},
		{"weight int64", sce(`"weight": {"dtype": "int64", "shape": [2], "data": [1, 1]}`), "bad_request"},
		{"weight of another dtype", sce(`"weight": {"dtype": "float32", "shape": [2], "data": ["0x1p+0", "0x1p+0"]}`), "bad_request"},
		{"parameter of another function", sce(`"pos_weight": null`), "bad_request"},
		{"focal alpha scalar", `{"id": "c", "function": "focal_loss", "dtype": "float64", "params": {"alpha": "0x1p-2"}, "inputs": {` + logits + `, ` + target + `}}`, "bad_request"},
		{"sigmoid focal alpha tensor", `{"id": "c", "function": "sigmoid_focal_loss", "dtype": "float64", "params": {"alpha": {"dtype": "float64", "shape": [1], "data": ["0x1p-2"]}}, ` + zy + `}`, "bad_request"},
		{"float32 data not a float32", sigmoid("float32", `{"dtype": "float32", "shape": [1], "data": ["0x1.0000001p+0"]}`), "bad_request"},
		{"float64 data underflow", sigmoid("float64", `{"dtype": "float64", "shape": [1], "data": ["0x1p-99999"]}`), "bad_request"},
		{"decimal data", sigmoid("float64", `{"dtype": "float64", "shape": [1], "data": ["0.5"]}`), "bad_request"},
		{"tensor dtype differs", sigmoid("float32", `{"dtype": "float64", "shape": [1], "data": ["0x1p+0"]}`), "bad_request"},
		{"int64 where floats are wanted", sigmoid("float64", `{"dtype": "int64", "shape": [1], "data": [1]}`), "bad_request"},
		{"index target float", `{"id": "c", "function": "focal_loss", "dtype": "float64", "params": {}, "inputs": {` + logits + `, "target": {"dtype": "float64", "shape": [1], "data": ["0x0p+0"]}}}`, "bad_request"},
		{"target 1.0", `{"id": "c", "function": "nll_from_probs", "dtype": "float64", "params": {}, "inputs": {"probs": {"dtype": "float64", "shape": [1, 1], "data": ["0x1p+0"]}, "target": {"dtype": "int64", "shape": [1], "data": [1.0]}}}`, "bad_request"},
		{"rank 9 sigmoid", sigmoid("float64", `{"dtype": "float64", "shape": [1, 1, 1, 1, 1, 1, 1, 1, 1], "data": ["0x0p+0"]}`), "invalid_shape"},
		{"rank 9 softplus, empty", `{"id": "c", "function": "softplus", "dtype": "float32", "params": {}, "inputs": {"z": {"dtype": "float32", "shape": [1, 1, 0, 1, 1, 1, 1, 1, 1], "data": []}}}`, "invalid_shape"},
		{"rank 8 sigmoid", sigmoid("float64", `{"dtype": "float64", "shape": [1, 1, 1, 1, 1, 1, 1, 1], "data": ["0x0p+0"]}`), "output"},
		{"unknown input", `{"id": "c", "function": "softmax", "dtype": "float64", "params": {}, "inputs": {"x": {"dtype": "float64", "shape": [1], "data": ["0x0p+0"]}, "y": {"dtype": "float64", "shape": [1], "data": ["0x0p+0"]}}}`, "bad_request"},
		{"missing input", `{"id": "c", "function": "kl_divergence", "dtype": "float64", "params": {}, "inputs": {"p": {"dtype": "float64", "shape": [1], "data": ["0x1p+0"]}}}`, "bad_request"},
		{"unknown parameter", `{"id": "c", "function": "softmax", "dtype": "float64", "params": {"temperature": "0x1p+0"}, "inputs": {"x": {"dtype": "float64", "shape": [1], "data": ["0x0p+0"]}}}`, "bad_request"},
		{"unknown function", `{"id": "c", "function": "softmax2", "dtype": "float64", "params": {}, "inputs": {}}`, "bad_request"},
		{"missing function", `{"id": "c", "dtype": "float64", "params": {}, "inputs": {}}`, "bad_request"},
		{"unsupported dtype", sigmoid("float8", `{"dtype": "float8", "shape": [1], "data": ["0x1p+0"]}`), "unsupported"},
		{"tensor float16 in a float64 case", sigmoid("float64", `{"dtype": "float16", "shape": [1], "data": ["0x1p+0"]}`), "bad_request"},
		// D1 through the adapter: the options before the ranks it checks itself
		{"label_smoothing before rank", `{"id": "c", "function": "softmax_cross_entropy", "dtype": "float64", "params": {"label_smoothing": "0x1p+1"}, "inputs": {"logits": {"dtype": "float64", "shape": [2], "data": ["0x0p+0", "0x0p+0"]}, "target": {"dtype": "int64", "shape": [], "data": [0]}}}`, "invalid_argument"},
		{"z_loss before rank", `{"id": "c", "function": "softmax_cross_entropy_grad", "dtype": "float64", "params": {"z_loss": "-0x1p+0"}, "inputs": {"logits": {"dtype": "float64", "shape": [2], "data": ["0x0p+0", "0x0p+0"]}, "target": {"dtype": "int64", "shape": [], "data": [0]}}}`, "invalid_argument"},
		{"base before rank", `{"id": "c", "function": "entropy", "dtype": "float64", "params": {"base": "10"}, "inputs": {"p": {"dtype": "float64", "shape": [1, 1], "data": ["0x1p+0"]}}}`, "invalid_argument"},
		{"gamma before logits rank", `{"id": "c", "function": "focal_loss", "dtype": "float32", "params": {"gamma": "-0x1p+0"}, "inputs": {"logits": {"dtype": "float32", "shape": [2], "data": ["0x0p+0", "0x0p+0"]}, "target": {"dtype": "int64", "shape": [1], "data": [0]}}}`, "invalid_argument"},
		{"focal alpha [1, 2] for C = 2", `{"id": "c", "function": "focal_loss", "dtype": "float64", "params": {"alpha": {"dtype": "float64", "shape": [1, 2], "data": ["0x1p+0", "0x1p+0"]}}, "inputs": {` + logits + `, ` + target + `}}`, "shape_mismatch"},
		{"focal logits rank before alpha shape", `{"id": "c", "function": "focal_loss", "dtype": "float64", "params": {"alpha": {"dtype": "float64", "shape": [1, 2], "data": ["0x1p+0", "0x1p+0"]}}, "inputs": {"logits": {"dtype": "float64", "shape": [1, 2, 1], "data": ["0x0p+0", "0x0p+0"]}, ` + target + `}}`, "invalid_shape"},
		{"nll target rank before length", `{"id": "c", "function": "nll_from_probs", "dtype": "float64", "params": {}, "inputs": {"probs": {"dtype": "float64", "shape": [2, 1], "data": ["0x1p+0", "0x1p+0"]}, "target": {"dtype": "int64", "shape": [3, 1], "data": [0, 0, 0]}}}`, "invalid_shape"},
		{"bad request before spec kinds", `{"id": "c", "function": "categorical_cross_entropy", "dtype": "float64", "params": {"reduction": "avg"}, "inputs": {"t": {"dtype": "float64", "shape": [1, 2], "data": ["0x1p+0"]}, "p": {"dtype": "float64", "shape": [1, 0], "data": []}}}`, "bad_request"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			kind, a := answerKind(t, c.json)
			if kind != c.want {
				t.Fatalf("answer %v, want %s", a, c.want)
			}
			if a["id"] != "c" {
				t.Fatalf("answer %v does not echo the id", a)
			}
			if e, ok := a["error"].(map[string]any); ok && c.want == "bad_request" && !strings.HasPrefix(e["message"].(string), "bad request: ") {
				t.Fatalf("message %q", e["message"])
			}
		})
	}
}

// Error messages are kept on one line, and never empty.
func TestErrorObjectOneLine(t *testing.T) {
	e := ErrorObject("bad_request", "bad request: a\nforged line\r\n  CONFORMS")
	if m := e["message"].(string); strings.ContainsAny(m, "\r\n") || m != "bad request: a forged line CONFORMS" {
		t.Fatalf("message %q", m)
	}
	if m := ErrorObject("internal_error", " \n")["message"]; m != "internal_error" {
		t.Fatalf("empty message became %q", m)
	}
}

// Shipped (which mutants call directly, without Answer's checks) also reports bad requests.
func TestShippedBadRequest(t *testing.T) {
	c := &Case{ID: "c", Function: "softmax", Dtype: "float64"}
	if r := Shipped(c); r.ErrKind != KindBadRequest || !r.BadRequest {
		t.Fatalf("missing input: %+v", r)
	}
	if r := Shipped(&Case{ID: "c", Function: "softmax", Dtype: "float8"}); r.ErrKind != KindBadRequest {
		t.Fatalf("Shipped with an unsupported dtype: %+v", r)
	}
}

// The catalogue list, the adapter's signatures and the library's option table name the same
// functions.
func TestSignaturesCoverTheCatalogue(t *testing.T) {
	if len(signatures) != len(Functions) {
		t.Fatalf("%d signatures for %d functions", len(signatures), len(Functions))
	}
	for _, fn := range Functions {
		if _, ok := signatures[fn]; !ok {
			t.Errorf("no signature for %s", fn)
		}
		if err := xent.CheckOptions[float64](fn); err != nil {
			t.Errorf("the library does not know %s: %v", fn, err)
		}
	}
}
