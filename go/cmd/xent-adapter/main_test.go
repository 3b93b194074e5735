package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// The adapter answers every request line, never crashes on a bad one, and stops on stop.
func TestServe(t *testing.T) {
	in := strings.Join([]string{
		`{"cmd":"start","version":1}`,
		`{"cmd":"run","id":"a","function":"softmax","dtype":"float32","params":{},"inputs":{"x":{"dtype":"float32","shape":[2],"data":["inf","0x1p+0"]}}}`,
		`not json`,
		`{"cmd":"run","id":"b","function":"no_such_function","dtype":"float64","params":{},"inputs":{}}`,
		`{"cmd":"run","id":"c","function":"logsumexp","dtype":"float64","params":{},"inputs":{"x":{"dtype":"float64","shape":[2,1],"data":["0x0p+0","0x0p+0"]}}}`,
		`{"cmd":"run_batch","cases":[` +
			`{"id":"d","function":"nll_from_probs","dtype":"float64","params":{"epsilon":"0x1.203af9ee75616p-50","reduction":"none"},"inputs":{"probs":{"dtype":"float64","shape":[1,2],"data":["0x1p+0","0x0p+0"]},"target":{"dtype":"int64","shape":[1],"data":[3]}}},` +
			`{"id":"e","function":"sigmoid","dtype":"float64","params":{},"inputs":{"z":{"dtype":"float64","shape":[],"data":["-inf"]}}},` +
			`{"id":"f","function":"softmax","dtype":"float64","params":{},"inputs":{"x":{"dtype":"float64","shape":[3],"data":["0x1p+0"]}}}]}`,
		`{"cmd":"frobnicate"}`,
		`{"cmd":"stop"}`,
		`{"cmd":"start","version":1}`,
	}, "\n") + "\n"
	var out, logs bytes.Buffer
	if code := serve(strings.NewReader(in), &out, &logs); code != 0 {
		t.Fatalf("exit status %d", code)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 7 {
		t.Fatalf("got %d answer lines, want 7 (nothing after stop):\n%s", len(lines), out.String())
	}
	var answers []map[string]any
	for _, l := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("answer is not JSON: %q", l)
		}
		answers = append(answers, m)
	}
	caps, _ := answers[0]["capabilities"].(map[string]any)
	if answers[0]["version"] != 1.0 || len(caps) != 19 {
		t.Fatalf("start answer: %v", answers[0])
	}
	out0 := answers[1]["output"].(map[string]any)
	if d := out0["data"].([]any); d[0] != "0x1p+0" || d[1] != "0x0p+0" || out0["dtype"] != "float32" {
		t.Fatalf("softmax([inf, 1]) answer: %v", answers[1])
	}
	kind := func(m map[string]any) string {
		e, _ := m["error"].(map[string]any)
		k, _ := e["kind"].(string)
		return k
	}
	if kind(answers[2]) != "bad_request" || answers[2]["id"] != nil || kind(answers[3]) != "bad_request" || answers[3]["id"] != "b" {
		t.Fatalf("bad requests: %v / %v", answers[2], answers[3])
	}
	if kind(answers[4]) != "invalid_shape" || answers[4]["id"] != "c" {
		t.Fatalf("rank-2 logsumexp: %v", answers[4])
	}
	results := answers[5]["results"].([]any)
	if len(results) != 3 || kind(results[0].(map[string]any)) != "index_out_of_range" {
		t.Fatalf("batch: %v", answers[5])
	}
	if d := results[1].(map[string]any)["output"].(map[string]any)["data"].([]any); d[0] != "0x0p+0" {
		t.Fatalf("sigmoid(-inf): %v", results[1])
	}
	if kind(results[2].(map[string]any)) != "bad_request" {
		t.Fatalf("malformed tensor: %v", results[2])
	}
	if kind(answers[6]) != "bad_request" {
		t.Fatalf("unknown cmd: %v", answers[6])
	}
}

func TestUnsupportedVersion(t *testing.T) {
	var out, logs bytes.Buffer
	serve(strings.NewReader(`{"cmd":"start","version":2}`+"\n"+`{"cmd":"stop"}`+"\n"), &out, &logs)
	if !strings.Contains(out.String(), "unsupported_version") || strings.Count(out.String(), "\n") != 1 {
		t.Fatalf("answer: %q", out.String())
	}
}
