package adapter

import "encoding/json"

// splitTensor is decodeTensor's fast path (issue 14: json.Unmarshal of every tensor, one
// RawMessage per element, was most of the adapter's time). It cuts the common form of a tensor
// object, {"dtype": "...", "shape": [ints], "data": [hex strings or ints]}, into the same raw
// pieces json.Unmarshal would give, without reflection. It accepts only strictly valid JSON of
// that form: exactly the keys dtype, shape and data once each, a printable-ASCII dtype, elements
// that are strings without escapes or JSON integers. Anything else (other or repeated keys,
// escapes, nulls, floats, nesting, trailing bytes) reports false and takes the json.Unmarshal
// path, so every answer, error messages included, is the same as before.
func splitTensor(raw []byte) (*splitRaw, bool) {
	s := scanner{b: raw}
	if !s.eat('{') {
		return nil, false
	}
	var t splitRaw
	seen := 0
	for {
		key, ok := s.str()
		if !ok || !s.eat(':') {
			return nil, false
		}
		switch {
		case key == "dtype" && seen&1 == 0:
			seen |= 1
			d, ok := s.str()
			if !ok || !printable(d) {
				return nil, false
			}
			t.dtype = string(d)
		case key == "shape" && seen&2 == 0:
			seen |= 2
			if t.shape, ok = s.list(); !ok {
				return nil, false
			}
		case key == "data" && seen&4 == 0:
			seen |= 4
			if t.data, ok = s.list(); !ok {
				return nil, false
			}
		default:
			return nil, false
		}
		if s.eat('}') {
			break
		}
		if !s.eat(',') {
			return nil, false
		}
	}
	s.space()
	return &t, seen == 7 && s.i == len(s.b)
}

// scanner reads a byte slice left to right, skipping JSON whitespace before each token.
type scanner struct {
	b []byte
	i int
}

func (s *scanner) space() {
	for s.i < len(s.b) && (s.b[s.i] == ' ' || s.b[s.i] == '\t' || s.b[s.i] == '\n' || s.b[s.i] == '\r') {
		s.i++
	}
}

// eat consumes c (after whitespace) when it is next.
func (s *scanner) eat(c byte) bool {
	s.space()
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// str reads a string without escapes or control bytes and returns its contents.
func (s *scanner) str() (string, bool) {
	raw, ok := s.strRaw()
	if !ok {
		return "", false
	}
	return string(raw[1 : len(raw)-1]), true
}

// strRaw reads a string without escapes or control bytes and returns it with its quotes.
func (s *scanner) strRaw() ([]byte, bool) {
	s.space()
	if s.i >= len(s.b) || s.b[s.i] != '"' {
		return nil, false
	}
	for j := s.i + 1; j < len(s.b); j++ {
		switch c := s.b[j]; {
		case c == '"':
			raw := s.b[s.i : j+1]
			s.i = j + 1
			return raw, true
		case c == '\\' || c < 0x20:
			return nil, false
		}
	}
	return nil, false
}

// integer reads a JSON integer: -?(0|[1-9][0-9]*), followed by neither fraction nor exponent.
func (s *scanner) integer() ([]byte, bool) {
	s.space()
	j := s.i
	if j < len(s.b) && s.b[j] == '-' {
		j++
	}
	digits := j
	for j < len(s.b) && s.b[j] >= '0' && s.b[j] <= '9' {
		j++
	}
	if j == digits || (s.b[digits] == '0' && j > digits+1) {
		return nil, false
	}
	if j < len(s.b) && (s.b[j] == '.' || s.b[j] == 'e' || s.b[j] == 'E') {
		return nil, false
	}
	raw := s.b[s.i:j]
	s.i = j
	return raw, true
}

// list reads an array whose elements are strings without escapes or JSON integers, each kept raw
// (never nil, as json.Unmarshal gives for []).
func (s *scanner) list() ([]json.RawMessage, bool) {
	if !s.eat('[') {
		return nil, false
	}
	out := make([]json.RawMessage, 0, 8)
	if s.eat(']') {
		return out, true
	}
	for {
		var (
			raw []byte
			ok  bool
		)
		if s.space(); s.i < len(s.b) && s.b[s.i] == '"' {
			raw, ok = s.strRaw()
		} else {
			raw, ok = s.integer()
		}
		if !ok {
			return nil, false
		}
		out = append(out, raw)
		if s.eat(']') {
			return out, true
		}
		if !s.eat(',') {
			return nil, false
		}
	}
}

// printable reports whether d is printable ASCII (json.Unmarshal would rewrite invalid UTF-8).
func printable(d string) bool {
	for i := 0; i < len(d); i++ {
		if d[i] < 0x20 || d[i] > 0x7e {
			return false
		}
	}
	return true
}

// skipValue moves past one JSON value. The input must be valid JSON (it comes from a
// json.Unmarshal that checked it): only strings, nesting and delimiters are tracked.
func (s *scanner) skipValue() ([]byte, bool) {
	s.space()
	start, depth := s.i, 0
	for s.i < len(s.b) {
		switch c := s.b[s.i]; c {
		case '"':
			if !s.skipString() {
				return nil, false
			}
			if depth == 0 {
				return s.b[start:s.i], true
			}
			continue
		case '{', '[':
			depth++
		case '}', ']':
			if depth == 0 {
				return s.b[start:s.i], s.i > start
			}
			depth--
			if depth == 0 {
				s.i++
				return s.b[start:s.i], true
			}
		case ',', ' ', '\t', '\n', '\r':
			if depth == 0 {
				return s.b[start:s.i], s.i > start
			}
		}
		s.i++
	}
	return s.b[start:s.i], depth == 0 && s.i > start
}

// skipString moves past a string, escapes included.
func (s *scanner) skipString() bool {
	for j := s.i + 1; j < len(s.b); j++ {
		switch s.b[j] {
		case '\\':
			j++
		case '"':
			s.i = j + 1
			return true
		}
	}
	return false
}

// SplitArray cuts a JSON array into its elements, as json.Unmarshal into []json.RawMessage does,
// without checking the JSON again; raw must be valid JSON (from a json.Unmarshal that checked
// it). Anything but an array reports false.
func SplitArray(raw []byte) ([]json.RawMessage, bool) {
	s := scanner{b: raw}
	if !s.eat('[') {
		return nil, false
	}
	out := make([]json.RawMessage, 0, 64)
	if s.eat(']') {
		return out, true
	}
	for {
		v, ok := s.skipValue()
		if !ok {
			return nil, false
		}
		out = append(out, v)
		if s.eat(']') {
			s.space()
			return out, s.i == len(s.b)
		}
		if !s.eat(',') {
			return nil, false
		}
	}
}

// SplitCase reads a case object {"id", "function", "dtype", "params", "inputs"} in its common
// form: those five keys once each, the three strings printable ASCII without escapes, params and
// inputs objects whose keys are such strings, none repeated. raw must be valid JSON (from a
// json.Unmarshal that checked it). Any other form reports false, and the caller decodes it with
// json.Unmarshal, so every answer is the same as before.
func SplitCase(raw []byte) (*Case, bool) {
	s := scanner{b: raw}
	if !s.eat('{') {
		return nil, false
	}
	var c Case
	seen := 0
	for {
		key, ok := s.str()
		if !ok || !s.eat(':') {
			return nil, false
		}
		var bit int
		switch key {
		case "id":
			bit, ok = 1, s.printableStr(&c.ID)
		case "function":
			bit, ok = 2, s.printableStr(&c.Function)
		case "dtype":
			bit, ok = 4, s.printableStr(&c.Dtype)
		case "params":
			bit = 8
			c.Params, ok = s.rawObject()
		case "inputs":
			bit = 16
			c.Inputs, ok = s.rawObject()
		}
		if bit == 0 || !ok || seen&bit != 0 {
			return nil, false
		}
		seen |= bit
		if s.eat('}') {
			break
		}
		if !s.eat(',') {
			return nil, false
		}
	}
	s.space()
	return &c, seen == 31 && s.i == len(s.b)
}

// printableStr reads a string of printable ASCII without escapes into dst.
func (s *scanner) printableStr(dst *string) bool {
	v, ok := s.str()
	if !ok || !printable(v) {
		return false
	}
	*dst = v
	return true
}

// rawObject reads an object whose keys are printable ASCII without escapes, none repeated, its
// values kept raw (never nil, as json.Unmarshal gives for {}).
func (s *scanner) rawObject() (map[string]json.RawMessage, bool) {
	if !s.eat('{') {
		return nil, false
	}
	m := make(map[string]json.RawMessage, 4)
	if s.eat('}') {
		return m, true
	}
	for {
		key, ok := s.str()
		if !ok || !printable(key) || !s.eat(':') {
			return nil, false
		}
		if _, dup := m[key]; dup {
			return nil, false
		}
		if m[key], ok = s.skipValue(); !ok {
			return nil, false
		}
		if s.eat('}') {
			return m, true
		}
		if !s.eat(',') {
			return nil, false
		}
	}
}
