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

// TestSplitArray: an array is cut into the elements json.Unmarshal gives; anything else falls back.
func TestSplitArray(t *testing.T) {
	for _, tc := range []struct {
		raw  string
		fast bool
	}{
		{`[]`, true},
		{` [ {"a": [1, {"b": "]}"}]}, "x\"y", -1.5e3, true, null, [[]] ] `, true},
		{`[{"id": "a\\"}, 2]`, true},
		{`null`, false},
		{`{"cases": []}`, false},
		{`"[1]"`, false},
	} {
		got, ok := SplitArray([]byte(tc.raw))
		if ok != tc.fast {
			t.Fatalf("SplitArray(%s) ok = %v, want %v", tc.raw, ok, tc.fast)
		}
		var want []json.RawMessage
		if ok && (json.Unmarshal([]byte(tc.raw), &want) != nil || !reflect.DeepEqual(got, want)) {
			t.Fatalf("SplitArray(%s) = %q, json.Unmarshal gives %q", tc.raw, got, want)
		}
	}
}

// TestSplitCase: the common form of a case is read as json.Unmarshal reads it; every other form
// (which the adapter must tell apart: missing, null, repeated or differently cased keys) falls back.
func TestSplitCase(t *testing.T) {
	for _, tc := range []struct {
		raw  string
		fast bool
	}{
		{`{"id": "a", "function": "softmax", "dtype": "float64", "params": {}, "inputs": {"x": {"dtype": "float64", "shape": [1], "data": ["0x1p+0"]}}}`, true},
		{`{"inputs":{"p":[1, "}"],"q":null},"params":{"reduction":"mean","w":{"a":[]}},"dtype":"float32","function":"f","id":"b"}`, true},
		{`{"id": "a", "function": "softmax", "dtype": "float64", "params": {}}`, false},
		{`{"id": null, "function": "softmax", "dtype": "float64", "params": {}, "inputs": {}}`, false},
		{`{"id": 1, "function": "softmax", "dtype": "float64", "params": {}, "inputs": {}}`, false},
		{`{"id": "a", "id": "b", "function": "softmax", "dtype": "float64", "params": {}, "inputs": {}}`, false},
		{`{"ID": "a", "function": "softmax", "dtype": "float64", "params": {}, "inputs": {}}`, false},
		{`{"id": "a\u0062", "function": "softmax", "dtype": "float64", "params": {}, "inputs": {}}`, false},
		{`{"id": "a", "function": "softmax", "dtype": "float64", "params": {"r": 1, "r": 2}, "inputs": {}}`, false},
		{`{"id": "a", "function": "softmax", "dtype": "float64", "params": [], "inputs": {}}`, false},
		{`{"id": "a", "function": "softmax", "dtype": "float64", "params": {}, "inputs": {}, "extra": 1}`, false},
	} {
		got, ok := SplitCase([]byte(tc.raw))
		if ok != tc.fast {
			t.Fatalf("SplitCase(%s) ok = %v, want %v", tc.raw, ok, tc.fast)
		}
		var want Case
		if ok && (json.Unmarshal([]byte(tc.raw), &want) != nil || !reflect.DeepEqual(*got, want)) {
			t.Fatalf("SplitCase(%s) = %+v, json.Unmarshal gives %+v", tc.raw, *got, want)
		}
	}
}

// FuzzSplitCase: whenever the fast readers accept valid JSON, they agree with json.Unmarshal.
func FuzzSplitCase(f *testing.F) {
	f.Add(`{"id": "a", "function": "softmax", "dtype": "float64", "params": {"r": "mean"}, "inputs": {"x": {"dtype": "float64", "shape": [1], "data": ["0x1p+0"]}}}`)
	f.Add(`[{"id": "a"}, [1, "\"]"], 2.5, null]`)
	f.Fuzz(func(t *testing.T, raw string) {
		if !json.Valid([]byte(raw)) {
			return
		}
		if got, ok := SplitCase([]byte(raw)); ok {
			var want Case
			if json.Unmarshal([]byte(raw), &want) != nil || !reflect.DeepEqual(*got, want) {
				t.Fatalf("SplitCase(%q) = %+v, json.Unmarshal gives %+v", raw, *got, want)
			}
		}
		if got, ok := SplitArray([]byte(raw)); ok {
			var want []json.RawMessage
			if json.Unmarshal([]byte(raw), &want) != nil || !reflect.DeepEqual(got, want) {
				t.Fatalf("SplitArray(%q) = %q, json.Unmarshal gives %q", raw, got, want)
			}
		}
	})
}
