package adapter

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"strings"
)

// rawTensor is a tensor object of the protocol, read but its data not yet decoded.
type rawTensor struct {
	Dtype string
	Shape []int
	Data  []json.RawMessage
}

// decodeTensor reads a tensor object {dtype, shape, data}: dtype a string, shape a list of JSON
// integers >= 0, data a flat list whose length is the shape's product (computed without
// overflow: shape [2^32, 2^32] needs 2^64 elements, not 0). Anything else is a bad request.
func decodeTensor(name string, raw json.RawMessage) (*rawTensor, error) {
	if t, ok := splitTensor(raw); ok {
		return checkTensor(name, t)
	}
	return unmarshalTensor(name, raw)
}

// unmarshalTensor is decodeTensor through json.Unmarshal, for every form splitTensor leaves out.
func unmarshalTensor(name string, raw json.RawMessage) (*rawTensor, error) {
	if trimmed := bytes.TrimSpace(raw); len(trimmed) == 0 || trimmed[0] != '{' {
		return nil, bad("%s: a tensor must be an object with dtype, shape and data, got %s", name, brief(raw))
	}
	var obj struct {
		Dtype *string            `json:"dtype"`
		Shape *[]json.RawMessage `json:"shape"`
		Data  *[]json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(raw, &obj); err != nil {
		return nil, bad("%s: a tensor must be an object with a string dtype and lists shape and data: %v", name, err)
	}
	if obj.Dtype == nil || obj.Shape == nil || obj.Data == nil {
		return nil, bad("%s: a tensor needs dtype, shape and data (none of them null)", name)
	}
	return checkTensor(name, &splitRaw{dtype: *obj.Dtype, shape: *obj.Shape, data: *obj.Data})
}

// splitRaw is a tensor object cut into its members, the elements of shape and data still raw.
type splitRaw struct {
	dtype       string
	shape, data []json.RawMessage
}

// checkTensor reads the shape's integers and checks that data has the shape's product of elements.
func checkTensor(name string, obj *splitRaw) (*rawTensor, error) {
	t := &rawTensor{Dtype: obj.dtype, Shape: make([]int, len(obj.shape)), Data: obj.data}
	for i, r := range obj.shape {
		d, err := parseInt(r)
		if err != nil || d < 0 {
			return nil, bad("%s: shape[%d] = %s is not an integer in [0, 2^63)", name, i, brief(r))
		}
		t.Shape[i] = d
	}
	if n, ok := product(t.Shape); !ok || n != len(t.Data) {
		return nil, bad("%s: data has %d elements but shape %v needs %s", name, len(t.Data), t.Shape, productString(t.Shape))
	}
	return t, nil
}

// product returns the product of shape, false when it exceeds the largest int.
func product(shape []int) (int, bool) {
	for _, d := range shape {
		if d == 0 {
			return 0, true
		}
	}
	n := 1
	for _, d := range shape {
		if n > math.MaxInt/d {
			return 0, false
		}
		n *= d
	}
	return n, true
}

func productString(shape []int) string {
	if n, ok := product(shape); ok {
		return strconv.Itoa(n)
	}
	parts := make([]string, len(shape))
	for i, d := range shape {
		parts[i] = strconv.Itoa(d)
	}
	return strings.Join(parts, " * ") + " (more than 2^63)"
}

// floats decodes the data as hex floats exact in the float dtype named dtype.
func (t *rawTensor) floats(name string, dtype string) ([]float64, error) {
	data := make([]float64, len(t.Data))
	for i, r := range t.Data {
		v, err := parseFloatIn(r, dtype)
		if err != nil {
			return nil, bad("%s.data[%d]: %v", name, i, err)
		}
		data[i] = v
	}
	return data, nil
}

// ints decodes the data as JSON integers within int64 (and int).
func (t *rawTensor) ints(name string) ([]int, error) {
	data := make([]int, len(t.Data))
	for i, r := range t.Data {
		v, err := parseInt(r)
		if err != nil {
			return nil, bad("%s.data[%d]: %v", name, i, err)
		}
		data[i] = v
	}
	return data, nil
}

// parseInt reads a JSON integer within int64 that also fits int (never wrapped).
func parseInt(raw json.RawMessage) (int, error) {
	v, err := parseInt64(raw)
	if err != nil {
		return 0, err
	}
	if int64(int(v)) != v {
		return 0, &badRequestError{brief(raw) + " does not fit this platform's int"}
	}
	return int(v), nil
}
