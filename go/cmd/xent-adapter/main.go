// Command xent-adapter is the Go implementation's adapter for the xent conformance harness
// (conformance/PROTOCOL.md, version 1): it reads JSON Lines requests (start, run, run_batch, stop)
// on standard input and writes one JSON answer per line on standard output, flushed at once.
//
// A bad request never crashes the adapter. A function's own rejection is answered with its
// specification error kind; a malformed request (unknown function, bad tensor, missing input,
// unknown parameter) is answered as invalid_argument with a message starting "bad request:", and an
// unexpected panic (a bug) as invalid_argument with a message starting "internal error:" (the stack
// goes to standard error).
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
			b = []byte(`{"error":{"kind":"invalid_argument","message":"internal error: cannot encode answer"}}`)
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

type request struct {
	Cmd     string            `json:"cmd"`
	Version *int              `json:"version"`
	Cases   []json.RawMessage `json:"cases"`
}

// handleLine answers one request line; it reports whether the adapter should stop.
func handleLine(line []byte, send func(any), logw io.Writer) (stop bool) {
	var req request
	if err := json.Unmarshal(line, &req); err != nil {
		send(badRequest("", "the line is not a JSON request object: %v", err))
		return false
	}
	switch req.Cmd {
	case "start":
		if startRefusal != "" {
			// the protocol schema allows only this kind for a refused start; the message says why
			send(map[string]any{"error": map[string]any{"kind": "unsupported_version", "message": startRefusal}})
			return true
		}
		if req.Version == nil || *req.Version != protocolVersion {
			v := "none"
			if req.Version != nil {
				v = fmt.Sprint(*req.Version)
			}
			send(map[string]any{"error": map[string]any{"kind": "unsupported_version",
				"message": fmt.Sprintf("this adapter speaks protocol version %d, not %s", protocolVersion, v)}})
			return true
		}
		send(map[string]any{
			"version": protocolVersion,
			"implementation": map[string]any{
				"name": "xent-go", "language": "go", "version": adapter.Version,
			},
			"capabilities": adapter.Capabilities(),
		})
	case "run":
		send(runCaseSafely(line, logw))
	case "run_batch":
		results := make([]any, 0, len(req.Cases))
		for _, c := range req.Cases {
			results = append(results, runCaseSafely(c, logw))
		}
		send(map[string]any{"results": results})
	case "stop":
		return true
	default:
		send(badRequest("", "unknown cmd %q (want start, run, run_batch or stop)", req.Cmd))
	}
	return false
}

// runCaseSafely answers one case, turning a panic into an error answer.
func runCaseSafely(raw json.RawMessage, logw io.Writer) (answer any) {
	var c adapter.Case
	if err := json.Unmarshal(raw, &c); err != nil {
		var id struct {
			ID string `json:"id"`
		}
		_ = json.Unmarshal(raw, &id)
		return badRequest(id.ID, "the case is not a valid object: %v", err)
	}
	defer func() {
		if p := recover(); p != nil {
			fmt.Fprintf(logw, "xent-adapter: panic in case %s: %v\n%s\n", c.ID, p, debug.Stack())
			answer = errorAnswer(c.ID, "invalid_argument", fmt.Sprintf("internal error: %v", p))
		}
	}()
	return adapter.Answer(&c)
}

func badRequest(id, format string, args ...any) map[string]any {
	return errorAnswer(id, "invalid_argument", "bad request: "+fmt.Sprintf(format, args...))
}

func errorAnswer(id, kind, message string) map[string]any {
	return adapter.ErrorAnswer(id, kind, message)
}
