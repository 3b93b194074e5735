package adapter

import (
	"encoding/json"
	"reflect"
	"testing"
)

// sameAsUnmarshal fails when decodeTensor (fast path first) and unmarshalTensor disagree on raw,
// in the tensor or in the error message.
func sameAsUnmarshal(t *testing.T, raw string) {
	t.Helper()
	fast, fastErr := decodeTensor("x", json.RawMessage(raw))
	slow, slowErr := unmarshalTensor("x", json.RawMessage(raw))
	if !reflect.DeepEqual(fast, slow) || errText(fastErr) != errText(slowErr) {
		t.Fatalf("%s: fast path %+v, %v; json.Unmarshal %+v, %v", raw, fast, fastErr, slow, slowErr)
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// TestSplitTensor: the common forms take the fast path, every other form falls back, and both
// paths give the same tensor or the same error.
func TestSplitTensor(t *testing.T) {
	for _, tc := range []struct {
		raw  string
		fast bool
	}{
		{`{"dtype": "float64", "shape": [2], "data": ["0x1p+0", "-inf"]}`, true},
		{` {"data":["nan"],"shape":[1],"dtype":"float32"} `, true},
		{"{\n\"dtype\" :\t\"int64\", \"shape\": [0, 3], \"data\": []}", true},
		{`{"dtype": "int64", "shape": [3], "data": [0, -7, 9223372036854775808]}`, true},
		{`{"dtype": "float64", "shape": [-1], "data": []}`, true},
		{`{"dtype": "float64", "shape": [2], "data": ["0x1p+0"]}`, true},
		{`{"dtype": "float64", "shape": [1], "data": ["0.5"]}`, true},
		{`{"dtype": "float64", "shape": [], "data": [-0]}`, true},
		{`{"dtype": "float64", "shape": [1.0], "data": ["0x1p+0"]}`, false},
		{`{"dtype": "int64", "shape": [1], "data": [1e3]}`, false},
		{`{"dtype": "int64", "shape": [1], "data": [01]}`, false},
		{`{"dtype": "float64", "shape": [1], "data": ["0x1p\u002b0"]}`, false},
		{`{"dtype": "float64", "shape": [1], "data": [null]}`, false},
		{`{"dtype": "float64", "shape": [1], "data": [["0x1p+0"]]}`, false},
		{`{"dtype": "float64", "shape": [1], "data": null}`, false},
		{`{"dtype": "float64", "shape": [1]}`, false},
		{`{"dtype": "float64", "shape": [1], "data": ["0x1p+0"], "data": []}`, false},
		{`{"DType": "float64", "shape": [1], "data": ["0x1p+0"]}`, false},
		{`{"dtype": "float64", "shape": [1], "data": ["0x1p+0"], "extra": 1}`, false},
		{`{"dtype": 64, "shape": [1], "data": ["0x1p+0"]}`, false},
		{"{\"dtype\": \"f\xff\", \"shape\": [1], \"data\": [\"0x1p+0\"]}", false},
		{`{"dtype": "float64", "shape": [1], "data": ["0x1p+0"]} x`, false},
		{`{"dtype": "float64", "shape": [1], "data": ["0x1p+0",]}`, false},
		{`{"dtype": "float64", "shape": [1], "data": ["0x1p+0"]`, false},
		{`[1]`, false},
		{``, false},
	} {
		if _, ok := splitTensor([]byte(tc.raw)); ok != tc.fast {
			t.Errorf("splitTensor(%s) fast = %v, want %v", tc.raw, ok, tc.fast)
		}
		if json.Valid([]byte(tc.raw)) {
			sameAsUnmarshal(t, tc.raw)
		}
	}
}

// FuzzSplitTensor: on any valid JSON, decodeTensor answers exactly as json.Unmarshal alone, and
// the fast path never accepts invalid JSON.
func FuzzSplitTensor(f *testing.F) {
	f.Add(`{"dtype": "float64", "shape": [2], "data": ["0x1p+0", "-inf"]}`)
	f.Add(`{"dtype": "int64", "shape": [1, 1], "data": [-3]}`)
	f.Add(`{"dtype": "float32", "shape": [], "data": [1.5]}`)
	f.Fuzz(func(t *testing.T, raw string) {
		if !json.Valid([]byte(raw)) {
			if _, ok := splitTensor([]byte(raw)); ok {
				t.Fatalf("splitTensor accepted invalid JSON %q", raw)
			}
			return
		}
		sameAsUnmarshal(t, raw)
	})
}
