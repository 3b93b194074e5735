// Command xent-adapter is the Go implementation's adapter for the xent conformance harness
// (conformance/PROTOCOL.md, version 1): it reads JSON Lines requests (start, run, run_batch, stop)
// on standard input and writes one JSON answer per line on standard output, flushed at once.
//
// A bad request never crashes the adapter (DECISIONS D7). A function's own rejection is answered
// with its specification error kind; a request that cannot be read or does not follow the protocol
// (invalid JSON, a missing or unknown cmd, an unknown function, input or parameter, a value of the
// wrong JSON type, a data length that differs from the shape's product, a hex float not exact in
// its dtype, an integer outside int64) with the kind bad_request, its id null when the line has no
// readable id; a dtype it does not support with the per-case answer {"id", "unsupported"}; an
// unexpected panic (a bug) with the kind internal_error (the stack goes to standard error).
//
// Build and run it from the repository root as the harness does:
//
//	go build -C go -o bin/xent-adapter ./cmd/xent-adapter
//	go/bin/xent-adapter
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"

	"github.com/xent-conformance/xent/go/internal/adapter"
)

const protocolVersion = 1

// startRefusal, when set, is the message with which start is refused (an unknown XENT_MUTANT).
var startRefusal string

func main() {
	if len(os.Args) > 1 {
		if len(os.Args) != 2 || os.Args[1] != "--list-mutants" {
			fmt.Fprintf(os.Stderr, "usage: xent-adapter [--list-mutants] (got %v)\n", os.Args[1:])
			os.Exit(64)
		}
		b, _ := json.MarshalIndent(catalogue(), "", " ")
		fmt.Println(string(b))
		return
	}
	if name := os.Getenv("XENT_MUTANT"); name != "" && !activate(name) {
		startRefusal = unknownMutant(name)
	}
	os.Exit(serve(os.Stdin, os.Stdout, os.Stderr))
}

// serve runs the protocol loop until stop or end of input and returns the exit status.
func serve(in io.Reader, out, logw io.Writer) int {
	r := bufio.NewReaderSize(in, 1<<20)
	w := bufio.NewWriter(out)
	send := func(v any) {
		b, err := json.Marshal(v)
		if err != nil {
			fmt.Fprintf(logw, "xent-adapter: cannot encode answer: %v\n", err)
			b = []byte(`{"id":null,"error":{"kind":"internal_error","message":"internal error: cannot encode answer"}}`)
		}
		w.Write(b)
		w.WriteByte('\n')
		w.Flush()
	}
	for {
		line, err := r.ReadBytes('\n')
		if len(trimSpace(line)) > 0 {
			if stop := handleLine(line, send, logw); stop {
				return 0
			}
		}
		if err != nil {
			if err != io.EOF {
				fmt.Fprintf(logw, "xent-adapter: reading stdin: %v\n", err)
				return 1
			}
			return 0
		}
	}
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t' || b[0] == '\r' || b[0] == '\n') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t' || b[len(b)-1] == '\r' || b[len(b)-1] == '\n') {
		b = b[:len(b)-1]
	}
	return b
}

// handleLine answers one request line; it reports whether the adapter should stop.
func handleLine(line []byte, send func(any), logw io.Writer) (stop bool) {
	var req map[string]json.RawMessage
	if err := json.Unmarshal(line, &req); err != nil || req == nil {
		send(badRequest(nil, "the line is not a JSON object: %s", errText(err)))
		return false
	}
	id := readID(req["id"])
	var cmd string
	if raw, ok := req["cmd"]; !ok || json.Unmarshal(raw, &cmd) != nil {
		send(badRequest(id, "the request has no cmd string (want start, run, run_batch or stop)"))
		return false
	}
	switch cmd {
	case "start":
		return start(req["version"], send)
	case "run":
		send(runCaseSafely(line, logw))
	case "run_batch":
		cases, ok := adapter.SplitArray(req["cases"]) // checked JSON: no second check
		if !ok && (json.Unmarshal(req["cases"], &cases) != nil || cases == nil) {
			send(badRequest(id, "run_batch needs a list cases"))
			return false
		}
		results := make([]any, 0, len(cases))
		for _, c := range cases {
			results = append(results, runCaseSafely(c, logw))
		}
		send(map[string]any{"results": results})
	case "stop":
		return true
	default:
		send(badRequest(id, "unknown cmd %q (want start, run, run_batch or stop)", cmd))
	}
	return false
}

// start answers the start request; a refused start stops the adapter.
func start(version json.RawMessage, send func(any)) (stop bool) {
	refuse := func(message string) bool {
		// the protocol schema allows only this kind for a refused start; the message says why
		send(map[string]any{"error": adapter.ErrorObject("unsupported_version", message)})
		return true
	}
	if startRefusal != "" {
		return refuse(startRefusal)
	}
	var v int
	if err := json.Unmarshal(version, &v); err != nil || v != protocolVersion {
		got := "none"
		if version != nil {
			got = string(version)
		}
		return refuse(fmt.Sprintf("this adapter speaks protocol version %d, not %s", protocolVersion, got))
	}
	send(map[string]any{
		"version": protocolVersion,
		"implementation": map[string]any{
			"name": "xent-go", "language": "go", "version": adapter.Version,
		},
		"capabilities": adapter.Capabilities(),
	})
	return false
}

// readID returns the id of a request or case when it is a JSON string, nil otherwise.
func readID(raw json.RawMessage) *string {
	var id string
	if raw == nil || json.Unmarshal(raw, &id) != nil {
		return nil
	}
	return &id
}

func errText(err error) string {
	if err == nil {
		return "null"
	}
	return err.Error()
}

// wireCase is a case as read from a line: each member may be absent, null or of another JSON type,
// which the protocol forbids (D7: bad_request) but Case cannot tell from empty values.
type wireCase struct {
	ID       *string                     `json:"id"`
	Function *string                     `json:"function"`
	Dtype    *string                     `json:"dtype"`
	Params   *map[string]json.RawMessage `json:"params"`
	Inputs   *map[string]json.RawMessage `json:"inputs"`
}

// readCase decodes a case; id is nil when the case has no readable string id.
func readCase(raw json.RawMessage) (c *adapter.Case, id *string, err error) {
	if c, ok := adapter.SplitCase(raw); ok { // raw is checked JSON; other forms are unmarshalled
		return c, &c.ID, nil
	}
	return unmarshalCase(raw)
}

// unmarshalCase is readCase through json.Unmarshal, for every form adapter.SplitCase leaves out.
func unmarshalCase(raw json.RawMessage) (c *adapter.Case, id *string, err error) {
	var w wireCase
	if err := json.Unmarshal(raw, &w); err != nil {
		var obj map[string]json.RawMessage
		_ = json.Unmarshal(raw, &obj)
		return nil, readID(obj["id"]), fmt.Errorf("the case is not a valid object: %v", err)
	}
	var missing []string
	for _, m := range []struct {
		name    string
		present bool
	}{{"id", w.ID != nil}, {"function", w.Function != nil}, {"dtype", w.Dtype != nil},
		{"params", w.Params != nil}, {"inputs", w.Inputs != nil}} {
		if !m.present {
			missing = append(missing, m.name)
		}
	}
	if len(missing) > 0 {
		return nil, w.ID, fmt.Errorf("the case needs %s (strings id, function, dtype; objects params, inputs; none null)",
			strings.Join(missing, ", "))
	}
	return &adapter.Case{ID: *w.ID, Function: *w.Function, Dtype: *w.Dtype, Params: *w.Params, Inputs: *w.Inputs}, w.ID, nil
}

// runCaseSafely answers one case, turning a panic into an internal_error answer.
func runCaseSafely(raw json.RawMessage, logw io.Writer) (answer any) {
	c, id, err := readCase(raw)
	if err != nil {
		return badRequest(id, "%v", err)
	}
	defer func() {
		if p := recover(); p != nil {
			fmt.Fprintf(logw, "xent-adapter: panic in case %s: %v\n%s\n", c.ID, p, debug.Stack())
			answer = errorAnswer(id, adapter.KindInternalError, fmt.Sprintf("internal error: %v", p))
		}
	}()
	return adapter.Answer(c)
}

func badRequest(id *string, format string, args ...any) map[string]any {
	return errorAnswer(id, adapter.KindBadRequest, "bad request: "+fmt.Sprintf(format, args...))
}

// errorAnswer is an error answer whose id is null when id is nil.
func errorAnswer(id *string, kind, message string) map[string]any {
	a := map[string]any{"id": nil, "error": adapter.ErrorObject(kind, message)}
	if id != nil {
		a["id"] = *id
	}
	return a
}
