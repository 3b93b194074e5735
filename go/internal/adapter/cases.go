package adapter

import (
	"encoding/json"
	"maps"
)

// Helpers for adapter mutants (cmd/xent-adapter/mutants.go): read a case's tensors and parameters
// as float64 and build modified copies of a case. They are not used by the shipped path.

// Bits returns the case's float width (32 or 64).
func (c *Case) Bits() int {
	if c.Dtype == "float32" {
		return 32
	}
	return 64
}

// Floats decodes the input (or, with param true, the parameter) name as float64 values rounded to
// the case's dtype; ok is false when it is absent, null or malformed.
func (c *Case) Floats(name string, param bool) (data []float64, shape []int, ok bool) {
	raw := c.raw(name, param)
	if raw == nil {
		return nil, nil, false
	}
	t, err := decodeTensor(name, raw)
	if err != nil {
		return nil, nil, false
	}
	if data, err = t.floats(name, c.Dtype); err != nil {
		return nil, nil, false
	}
	return data, t.Shape, true
}

// Ints decodes an integer input; ok is false when it is absent, not integers or malformed.
func (c *Case) Ints(name string) (data []int, shape []int, ok bool) {
	raw := c.raw(name, false)
	if raw == nil {
		return nil, nil, false
	}
	t, err := decodeTensor(name, raw)
	if err != nil || t.Dtype != "int64" {
		return nil, nil, false
	}
	if data, err = t.ints(name); err != nil {
		return nil, nil, false
	}
	return data, t.Shape, true
}

// Param decodes a scalar parameter into v; it reports false when it is absent, null or malformed.
// A float parameter is read with FloatParam.
func (c *Case) Param(name string, v any) bool {
	raw := c.raw(name, true)
	return raw != nil && json.Unmarshal(raw, v) == nil
}

// FloatParam decodes a float parameter (hex string or number) rounded to the case's dtype.
func (c *Case) FloatParam(name string) (float64, bool) {
	raw := c.raw(name, true)
	if raw == nil {
		return 0, false
	}
	v, err := ParseFloat(raw, c.Bits())
	return v, err == nil
}

// Has reports whether the parameter is present (possibly null).
func (c *Case) Has(name string) bool {
	_, ok := c.Params[name]
	return ok
}

func (c *Case) raw(name string, param bool) json.RawMessage {
	m := c.Inputs
	if param {
		m = c.Params
	}
	raw, ok := m[name]
	if !ok || string(raw) == "null" {
		return nil
	}
	return raw
}

// With returns a copy of c with the parameters in params set (a nil value deletes the parameter)
// and the inputs in inputs replaced; values are encoded as JSON (see FloatTensor and IntTensor).
func (c *Case) With(params, inputs map[string]any) *Case {
	d := *c
	d.Params, d.Inputs = maps.Clone(c.Params), maps.Clone(c.Inputs)
	if d.Params == nil {
		d.Params = map[string]json.RawMessage{}
	}
	set := func(m map[string]json.RawMessage, kv map[string]any) {
		for k, v := range kv {
			if v == nil {
				delete(m, k)
				continue
			}
			b, err := json.Marshal(v)
			if err != nil {
				panic(err)
			}
			m[k] = b
		}
	}
	set(d.Params, params)
	set(d.Inputs, inputs)
	return &d
}

// FloatTensor is the protocol encoding of a float tensor of the case's dtype.
func (c *Case) FloatTensor(data []float64, shape []int) map[string]any {
	hex := make([]string, len(data))
	for i, v := range data {
		hex[i] = FormatHex(v, c.Bits())
	}
	return map[string]any{"dtype": c.Dtype, "shape": shape, "data": hex}
}

// IntTensor is the protocol encoding of an int64 tensor.
func IntTensor(data []int, shape []int) map[string]any {
	return map[string]any{"dtype": "int64", "shape": shape, "data": data}
}
