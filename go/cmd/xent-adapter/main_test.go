package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/xent-conformance/xent/go/internal/adapter"
)

// The adapter answers every request line, never crashes on a bad one, and stops on stop.
func TestServe(t *testing.T) {
	in := strings.Join([]string{
		`{"cmd":"start","version":1}`,
		`{"cmd":"run","id":"a","function":"softmax","dtype":"float32","params":{},"inputs":{"x":{"dtype":"float32","shape":[2],"data":["inf","0x1p+0"]}}}`,
		`not json`,
		`{"cmd":"run","id":"b","function":"no_such_function","dtype":"float64","params":{},"inputs":{}}`,
		`{"cmd":"run","id":"c","function":"logsumexp","dtype":"float64","params":{},"inputs":{"x":{"dtype":"float64","shape":[1,1,1,1,1,1,1,1,1],"data":["0x0p+0"]}}}`,
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
	if answers[0]["version"] != 1.0 || len(caps) != len(adapter.Functions) || len(caps) < 21 {
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
		t.Fatalf("rank-9 logsumexp: %v", answers[4])
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

// answersTo serves the lines and returns the decoded answers.
func answersTo(t *testing.T, lines ...string) []map[string]any {
	t.Helper()
	var out, logs bytes.Buffer
	if code := serve(strings.NewReader(strings.Join(lines, "\n")+"\n"), &out, &logs); code != 0 {
		t.Fatalf("exit status %d", code)
	}
	var answers []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("answer is not a JSON object: %q", l)
		}
		answers = append(answers, m)
	}
	return answers
}

// Protocol-level answers (D7): bad_request with the id when it can be read and null otherwise,
// internal_error for a panic, and the adapter keeps serving.
func TestProtocolErrors(t *testing.T) {
	sigmoid := `"function": "sigmoid", "dtype": "float64", "params": {}, "inputs": {"z": {"dtype": "float64", "shape": [], "data": ["0x0p+0"]}}`
	cases := []struct {
		name, line string
		id         any // nil: the answer's id must be JSON null
		kind       string
	}{
		{"truncated JSON", `{"cmd": "run", "id": "a", "function": `, nil, "bad_request"},
		{"not JSON", `hello`, nil, "bad_request"},
		{"Infinity literal", `{"cmd": "run", "id": "a", ` + strings.Replace(sigmoid, `"0x0p+0"`, `Infinity`, 1) + `}`, nil, "bad_request"},
		{"array line", `[{"cmd": "start", "version": 1}]`, nil, "bad_request"},
		{"string line", `"run"`, nil, "bad_request"},
		{"null line", `null`, nil, "bad_request"},
		{"missing cmd", `{"id": "m", ` + sigmoid + `}`, "m", "bad_request"},
		{"cmd not a string", `{"cmd": 1, "id": "m"}`, "m", "bad_request"},
		{"unknown cmd", `{"cmd": "frobnicate", "id": "u"}`, "u", "bad_request"},
		{"unknown cmd, id not a string", `{"cmd": "frobnicate", "id": 7}`, nil, "bad_request"},
		{"run without id", `{"cmd": "run", ` + sigmoid + `}`, nil, "bad_request"},
		{"run with a numeric id", `{"cmd": "run", "id": 5, ` + sigmoid + `}`, nil, "bad_request"},
		{"params not an object", `{"cmd": "run", "id": "p", "function": "softmax", "dtype": "float64", "params": [], "inputs": {}}`, "p", "bad_request"},
		{"run_batch without a list", `{"cmd": "run_batch", "cases": {}}`, nil, "bad_request"},
		{"dtype null", `{"cmd": "run", "id": "d", ` + strings.Replace(sigmoid, `"dtype": "float64", "params"`, `"dtype": null, "params"`, 1) + `}`, "d", "bad_request"},
		{"function null", `{"cmd": "run", "id": "f", ` + strings.Replace(sigmoid, `"function": "sigmoid"`, `"function": null`, 1) + `}`, "f", "bad_request"},
		{"params null", `{"cmd": "run", "id": "p", ` + strings.Replace(sigmoid, `"params": {}`, `"params": null`, 1) + `}`, "p", "bad_request"},
		{"params missing", `{"cmd": "run", "id": "p", ` + strings.Replace(sigmoid, `"params": {}, `, ``, 1) + `}`, "p", "bad_request"},
		{"inputs null", `{"cmd": "run", "id": "i", "function": "sigmoid", "dtype": "float64", "params": {}, "inputs": null}`, "i", "bad_request"},
	}
	lines := []string{`{"cmd": "start", "version": 1}`}
	for _, c := range cases {
		lines = append(lines, c.line)
	}
	lines = append(lines, `{"cmd": "run", "id": "alive", `+sigmoid+`}`)
	answers := answersTo(t, lines...)
	if len(answers) != len(cases)+2 {
		t.Fatalf("%d answers for %d lines", len(answers), len(lines))
	}
	for i, c := range cases {
		a := answers[i+1]
		e, _ := a["error"].(map[string]any)
		id, hasID := a["id"]
		if e == nil || e["kind"] != c.kind || !hasID || id != c.id {
			t.Errorf("%s: answer %v, want kind %s and id %v", c.name, a, c.kind, c.id)
		}
	}
	if out, _ := answers[len(answers)-1]["output"].(map[string]any); out == nil || out["data"].([]any)[0] != "0x1p-1" {
		t.Errorf("the adapter stopped computing: %v", answers[len(answers)-1])
	}
}

// A panic inside a case is answered as internal_error for that case only.
func TestPanicIsInternalError(t *testing.T) {
	adapter.Override = func(c *adapter.Case) (adapter.Result, bool) {
		if c.ID == "boom" {
			panic("deliberate test panic\nsecond line")
		}
		return adapter.Result{}, false
	}
	defer func() { adapter.Override = nil }()
	sigmoid := `"function": "sigmoid", "dtype": "float64", "params": {}, "inputs": {"z": {"dtype": "float64", "shape": [], "data": ["0x0p+0"]}}`
	answers := answersTo(t, `{"cmd": "run", "id": "boom", `+sigmoid+`}`,
		`{"cmd": "run_batch", "cases": [{"id": "boom", `+sigmoid+`}, {"id": "fine", `+sigmoid+`}]}`)
	results := answers[1]["results"].([]any)
	for _, a := range []map[string]any{answers[0], results[0].(map[string]any)} {
		e, _ := a["error"].(map[string]any)
		if a["id"] != "boom" || e == nil || e["kind"] != "internal_error" || strings.Contains(e["message"].(string), "\n") {
			t.Errorf("panic answer %v", a)
		}
	}
	if results[1].(map[string]any)["output"] == nil {
		t.Errorf("the case after the panic: %v", results[1])
	}
}

// An unsupported dtype gets the per-case unsupported answer, in run and in run_batch.
func TestUnsupportedDtype(t *testing.T) {
	c := `"function": "sigmoid", "dtype": "float8", "params": {}, "inputs": {"z": {"dtype": "float8", "shape": [], "data": ["0x0p+0"]}}`
	answers := answersTo(t, `{"cmd": "run", "id": "h", `+c+`}`, `{"cmd": "run_batch", "cases": [{"id": "h", `+c+`}]}`)
	for _, a := range []map[string]any{answers[0], answers[1]["results"].([]any)[0].(map[string]any)} {
		if r, _ := a["unsupported"].(string); a["id"] != "h" || r == "" || a["error"] != nil || a["output"] != nil {
			t.Errorf("answer %v, want {id, unsupported}", a)
		}
	}
}
