// Package adapter runs one xent conformance case (conformance/PROTOCOL.md): it decodes the case's
// hex-float tensors and parameters, calls the matching function of package xent and encodes the
// answer. The command xent-adapter and the library's vector tests share it.
package adapter

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	xent "github.com/xent-conformance/xent/go"
)

// Version is the implementation version reported by the adapter.
const Version = "0.1.0"

// Functions lists every function of the catalogue (spec/xent.yaml); all support both dtypes.
var Functions = []string{
	"logsumexp", "softmax", "log_softmax",
	"sigmoid", "log_sigmoid", "softplus",
	"entropy", "cross_entropy", "kl_divergence",
	"nll_from_probs", "categorical_cross_entropy", "binary_cross_entropy",
	"softmax_cross_entropy", "binary_cross_entropy_with_logits", "focal_loss", "sigmoid_focal_loss",
	"softmax_cross_entropy_grad", "binary_cross_entropy_with_logits_grad", "sigmoid_mse_grad",
}

// Capabilities maps every function to the dtypes it supports (float64 and float32).
func Capabilities() map[string][]string {
	caps := make(map[string][]string, len(Functions))
	for _, f := range Functions {
		caps[f] = []string{"float64", "float32"}
	}
	return caps
}

// Case is one case of a run or run_batch request.
type Case struct {
	ID       string                     `json:"id"`
	Function string                     `json:"function"`
	Dtype    string                     `json:"dtype"`
	Params   map[string]json.RawMessage `json:"params"`
	Inputs   map[string]json.RawMessage `json:"inputs"`
}

// badRequestError is a malformed request, as opposed to a specification error of the function.
type badRequestError struct{ msg string }

func (e *badRequestError) Error() string { return e.msg }

func bad(format string, args ...any) error {
	return &badRequestError{fmt.Sprintf(format, args...)}
}

// result is a computed output tensor, its values widened to float64.
type result struct {
	shape []int
	data  []float64
}

// Result is the outcome of a case: an output tensor (Shape, Data widened to float64) or an error
// with its kind. BadRequest marks a malformed request rather than a function's own error.
type Result struct {
	Shape      []int
	Data       []float64
	ErrKind    string
	ErrMessage string
	BadRequest bool
}

// Answer runs the case and returns its protocol answer (an object with id and output or error).
func Answer(c *Case) map[string]any {
	r := Run(c)
	if r.ErrKind != "" {
		return ErrorAnswer(c.ID, r.ErrKind, r.ErrMessage)
	}
	bits := 64
	if c.Dtype == "float32" {
		bits = 32
	}
	data := make([]string, len(r.Data))
	for i, v := range r.Data {
		data[i] = FormatHex(v, bits)
	}
	return map[string]any{"id": c.ID, "output": map[string]any{"dtype": c.Dtype, "shape": r.Shape, "data": data}}
}

// ErrorAnswer is the protocol's error answer.
func ErrorAnswer(id, kind, message string) map[string]any {
	return map[string]any{"id": id, "error": map[string]any{"kind": kind, "message": message}}
}

// Override, when set, is consulted first by Run: a mutant of the adapter (XENT_MUTANT, see
// cmd/xent-adapter/mutants.go) answers the cases it changes and reports false for the others. Nil
// (the shipped adapter) costs one comparison per case.
var Override func(c *Case) (Result, bool)

// Run runs the case on package xent (or on Override's mutant when one is set).
func Run(c *Case) Result {
	if Override != nil {
		if r, ok := Override(c); ok {
			return r
		}
	}
	return Shipped(c)
}

// Shipped runs the case on package xent, ignoring Override.
func Shipped(c *Case) Result {
	var (
		res result
		err error
	)
	switch c.Dtype {
	case "float64":
		res, err = call[float64](c)
	case "float32":
		res, err = call[float32](c)
	default:
		err = bad("unsupported dtype %q (want float64 or float32)", c.Dtype)
	}
	if err != nil {
		var br *badRequestError
		if errors.As(err, &br) {
			return Result{ErrKind: "invalid_argument", ErrMessage: "bad request: " + br.msg, BadRequest: true}
		}
		kind := xent.ErrorKind(err)
		if kind == "" {
			return Result{ErrKind: "invalid_argument", ErrMessage: "internal error: " + err.Error(), BadRequest: true}
		}
		return Result{ErrKind: kind, ErrMessage: err.Error()}
	}
	shape := res.shape
	if shape == nil {
		shape = []int{}
	}
	return Result{Shape: shape, Data: res.data}
}

// FormatHex writes a hex float of the given bit size, or inf, -inf, nan.
func FormatHex(v float64, bits int) string {
	switch {
	case math.IsNaN(v):
		return "nan"
	case math.IsInf(v, 1):
		return "inf"
	case math.IsInf(v, -1):
		return "-inf"
	}
	return strconv.FormatFloat(v, 'x', -1, bits)
}

// ParseFloat reads a hex float (or inf, -inf, nan; a plain JSON number is also accepted).
func ParseFloat(raw json.RawMessage, bits int) (float64, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return 0, err
		}
		switch strings.ToLower(strings.TrimSpace(s)) {
		case "inf", "+inf", "infinity", "+infinity":
			return math.Inf(1), nil
		case "-inf", "-infinity":
			return math.Inf(-1), nil
		case "nan":
			return math.NaN(), nil
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(s), bits)
		if err != nil {
			return 0, fmt.Errorf("not a hex float: %q", s)
		}
		return v, nil
	}
	var v float64
	if err := json.Unmarshal(raw, &v); err != nil {
		return 0, fmt.Errorf("not a number or hex-float string: %s", raw)
	}
	if bits == 32 {
		v = float64(float32(v))
	}
	return v, nil
}

type rawTensor struct {
	Dtype string            `json:"dtype"`
	Shape []int             `json:"shape"`
	Data  []json.RawMessage `json:"data"`
}

func decodeTensor(name string, raw json.RawMessage) (*rawTensor, error) {
	var t rawTensor
	if err := json.Unmarshal(raw, &t); err != nil {
		return nil, bad("%s: a tensor must be an object with dtype, shape and data: %v", name, err)
	}
	if t.Shape == nil {
		return nil, bad("%s: missing shape", name)
	}
	n := 1
	for _, d := range t.Shape {
		if d < 0 {
			return nil, bad("%s: negative dimension in shape %v", name, t.Shape)
		}
		n *= d
	}
	if len(t.Data) != n {
		return nil, bad("%s: data has %d elements but shape %v needs %d", name, len(t.Data), t.Shape, n)
	}
	return &t, nil
}

func floatTensor[T xent.Float](name string, t *rawTensor) (xent.Tensor[T], error) {
	bits := 64
	if _, ok := any(T(0)).(float32); ok {
		bits = 32
	}
	data := make([]T, len(t.Data))
	for i, r := range t.Data {
		v, err := ParseFloat(r, bits)
		if err != nil {
			return xent.Tensor[T]{}, bad("%s.data[%d]: %v", name, i, err)
		}
		data[i] = T(v)
	}
	return xent.Tensor[T]{Shape: t.Shape, Data: data}, nil
}

func intTensor(name string, t *rawTensor) (xent.Tensor[int], error) {
	data := make([]int, len(t.Data))
	for i, r := range t.Data {
		var v int64
		if err := json.Unmarshal(r, &v); err != nil {
			// Integral values written as floats are accepted.
			f, ferr := ParseFloat(r, 64)
			if ferr != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
				return xent.Tensor[int]{}, bad("%s.data[%d]: not an integer: %s", name, i, r)
			}
			v = int64(f)
		}
		data[i] = int(v)
	}
	return xent.Tensor[int]{Shape: t.Shape, Data: data}, nil
}

// args gives typed access to a case's inputs and params and rejects unknown or missing names.
type args struct {
	c         *Case
	usedIn    map[string]bool
	usedParam map[string]bool
}

func (a *args) input(name string) (*rawTensor, error) {
	raw, ok := a.c.Inputs[name]
	if !ok {
		return nil, bad("missing input %q", name)
	}
	a.usedIn[name] = true
	return decodeTensor(name, raw)
}

func inputFloat[T xent.Float](a *args, name string) (xent.Tensor[T], error) {
	t, err := a.input(name)
	if err != nil {
		return xent.Tensor[T]{}, err
	}
	if t.Dtype == "int64" {
		// An integer tensor where floats are expected: convert (exact for |v| <= 2^53).
		it, err := intTensor(name, t)
		if err != nil {
			return xent.Tensor[T]{}, err
		}
		data := make([]T, len(it.Data))
		for i, v := range it.Data {
			data[i] = T(v)
		}
		return xent.Tensor[T]{Shape: t.Shape, Data: data}, nil
	}
	return floatTensor[T](name, t)
}

func (a *args) inputInt(name string) (xent.Tensor[int], error) {
	t, err := a.input(name)
	if err != nil {
		return xent.Tensor[int]{}, err
	}
	return intTensor(name, t)
}

// param returns the raw value of a parameter, or nil when absent or null.
func (a *args) param(name string) json.RawMessage {
	raw, ok := a.c.Params[name]
	a.usedParam[name] = true
	if !ok || string(bytes.TrimSpace(raw)) == "null" {
		return nil
	}
	return raw
}

// floatParam appends opt(v) when the parameter is present.
func (a *args) floatParam(name string, bits int, opt func(float64) xent.Option, opts *[]xent.Option) error {
	raw := a.param(name)
	if raw == nil {
		return nil
	}
	v, err := ParseFloat(raw, bits)
	if err != nil {
		return bad("param %s: %v", name, err)
	}
	*opts = append(*opts, opt(v))
	return nil
}

func (a *args) stringParam(name string) (string, bool, error) {
	raw := a.param(name)
	if raw == nil {
		return "", false, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		// A number (for example base 2 written as a JSON number) is read as its text.
		var f json.Number
		if err2 := json.Unmarshal(raw, &f); err2 != nil {
			return "", false, bad("param %s: want a string: %v", name, err)
		}
		s = f.String()
	}
	return s, true, nil
}

func (a *args) enumParam(name string, opt func(string) xent.Option, opts *[]xent.Option) error {
	s, ok, err := a.stringParam(name)
	if err != nil || !ok {
		return err
	}
	*opts = append(*opts, opt(s))
	return nil
}

func (a *args) intParam(name string, opt func(int) xent.Option, opts *[]xent.Option) error {
	raw := a.param(name)
	if raw == nil {
		return nil
	}
	var v int64
	if err := json.Unmarshal(raw, &v); err != nil {
		return bad("param %s: want an integer: %v", name, err)
	}
	*opts = append(*opts, opt(int(v)))
	return nil
}

// tensorParam appends opt(data, shape) when the parameter is a tensor (absent or null: nothing).
func (a *args) tensorParam(name string, bits int, opt func([]float64, ...int) xent.Option, opts *[]xent.Option) error {
	raw := a.param(name)
	if raw == nil {
		return nil
	}
	t, err := decodeTensor("param "+name, raw)
	if err != nil {
		return err
	}
	data := make([]float64, len(t.Data))
	for i, r := range t.Data {
		v, err := ParseFloat(r, bits)
		if err != nil {
			return bad("param %s.data[%d]: %v", name, i, err)
		}
		data[i] = v
	}
	shape := t.Shape
	if len(shape) == 0 {
		shape = []int{}
	}
	*opts = append(*opts, opt(data, shape...))
	return nil
}

// finish rejects inputs and params that the function does not read.
func (a *args) finish() error {
	var extra []string
	for k := range a.c.Inputs {
		if !a.usedIn[k] {
			extra = append(extra, "input "+k)
		}
	}
	for k := range a.c.Params {
		if !a.usedParam[k] {
			extra = append(extra, "param "+k)
		}
	}
	if len(extra) > 0 {
		sort.Strings(extra)
		return bad("%s does not take %s", a.c.Function, strings.Join(extra, ", "))
	}
	return nil
}

// vector checks that a tensor has rank 1 (the spec's rank [1, 1]) and returns its data.
func vector[T any](fn, name string, t xent.Tensor[T]) ([]T, error) {
	if len(t.Shape) != 1 {
		return nil, fmt.Errorf("%w: %s: %s must have rank 1, got shape %v", xent.ErrInvalidShape, fn, name, t.Shape)
	}
	return t.Data, nil
}

func scalar[T xent.Float](v T, err error) (result, error) {
	if err != nil {
		return result{}, err
	}
	return result{shape: []int{}, data: []float64{float64(v)}}, nil
}

func tensorResult[T xent.Float](t xent.Tensor[T], err error) (result, error) {
	if err != nil {
		return result{}, err
	}
	data := make([]float64, len(t.Data))
	for i, v := range t.Data {
		data[i] = float64(v)
	}
	return result{shape: t.Shape, data: data}, nil
}

func vectorResult[T xent.Float](v []T, err error) (result, error) {
	if err != nil {
		return result{}, err
	}
	return tensorResult(xent.Tensor[T]{Shape: []int{len(v)}, Data: v}, nil)
}

func elementwise[T xent.Float](z xent.Tensor[T], f func(T) T) (result, error) {
	out := make([]T, len(z.Data))
	for i, v := range z.Data {
		out[i] = f(v)
	}
	return tensorResult(xent.Tensor[T]{Shape: z.Shape, Data: out}, nil)
}

func reductionOpt(s string) xent.Option { return xent.WithReduction(xent.Reduction(s)) }
func baseOpt(s string) xent.Option      { return xent.WithBase(xent.Base(s)) }
func modeOpt(s string) xent.Option      { return xent.WithSmoothingMode(xent.SmoothingMode(s)) }
func weightOpt(w []float64, shape ...int) xent.Option {
	return xent.WithWeight(w, shape...)
}
func posWeightOpt(w []float64, shape ...int) xent.Option {
	return xent.WithPosWeight(w, shape...)
}

// call runs the case's function on dtype T.
func call[T xent.Float](c *Case) (result, error) {
	a := &args{c: c, usedIn: map[string]bool{}, usedParam: map[string]bool{}}
	bits := 64
	if _, ok := any(T(0)).(float32); ok {
		bits = 32
	}
	var opts []xent.Option
	fn := c.Function
	// Collect params first.
	var perr error
	collect := func(err error) {
		if perr == nil {
			perr = err
		}
	}
	switch fn {
	case "entropy", "kl_divergence":
		collect(a.enumParam("base", baseOpt, &opts))
	case "cross_entropy":
		collect(a.enumParam("base", baseOpt, &opts))
		collect(a.floatParam("epsilon", bits, xent.WithEpsilon, &opts))
	case "nll_from_probs", "binary_cross_entropy":
		collect(a.floatParam("epsilon", bits, xent.WithEpsilon, &opts))
		collect(a.enumParam("reduction", reductionOpt, &opts))
	case "categorical_cross_entropy":
		collect(a.enumParam("reduction", reductionOpt, &opts))
	case "softmax_cross_entropy", "softmax_cross_entropy_grad":
		collect(a.tensorParam("weight", bits, weightOpt, &opts))
		collect(a.intParam("ignore_index", xent.WithIgnoreIndex, &opts))
		collect(a.floatParam("label_smoothing", bits, xent.WithLabelSmoothing, &opts))
		collect(a.enumParam("label_smoothing_mode", modeOpt, &opts))
		collect(a.enumParam("reduction", reductionOpt, &opts))
	case "binary_cross_entropy_with_logits", "binary_cross_entropy_with_logits_grad":
		collect(a.tensorParam("weight", bits, weightOpt, &opts))
		collect(a.tensorParam("pos_weight", bits, posWeightOpt, &opts))
		collect(a.enumParam("reduction", reductionOpt, &opts))
	case "focal_loss":
		collect(a.floatParam("gamma", bits, xent.WithGamma, &opts))
		collect(a.tensorParam("alpha", bits, func(w []float64, shape ...int) xent.Option {
			if len(shape) != 1 {
				perr = fmt.Errorf("%w: focal_loss: alpha must have shape [C], got %v", xent.ErrShapeMismatch, shape)
			}
			return xent.WithClassAlpha(w)
		}, &opts))
		collect(a.enumParam("reduction", reductionOpt, &opts))
	case "sigmoid_focal_loss":
		if _, ok := c.Params["alpha"]; ok && a.param("alpha") == nil {
			opts = append(opts, xent.WithoutAlpha())
		}
		collect(a.floatParam("alpha", bits, xent.WithAlpha, &opts))
		collect(a.floatParam("gamma", bits, xent.WithGamma, &opts))
		collect(a.enumParam("reduction", reductionOpt, &opts))
	case "logsumexp", "softmax", "log_softmax", "sigmoid", "log_sigmoid", "softplus", "sigmoid_mse_grad":
	default:
		return result{}, bad("unknown function %q", fn)
	}
	if perr != nil {
		return result{}, perr
	}

	switch fn {
	case "logsumexp", "softmax", "log_softmax":
		x, err := inputFloat[T](a, "x")
		if err != nil {
			return result{}, err
		}
		if err := a.finish(); err != nil {
			return result{}, err
		}
		v, err := vector(fn, "x", x)
		if err != nil {
			return result{}, err
		}
		switch fn {
		case "logsumexp":
			return scalar(xent.LogSumExp(v))
		case "softmax":
			return vectorResult(xent.SoftmaxChecked(v))
		default:
			return vectorResult(xent.LogSoftmax(v))
		}

	case "sigmoid", "log_sigmoid", "softplus":
		z, err := inputFloat[T](a, "z")
		if err != nil {
			return result{}, err
		}
		if err := a.finish(); err != nil {
			return result{}, err
		}
		f := map[string]func(T) T{"sigmoid": xent.Sigmoid[T], "log_sigmoid": xent.LogSigmoid[T], "softplus": xent.Softplus[T]}[fn]
		return elementwise(z, f)

	case "entropy":
		p, err := inputFloat[T](a, "p")
		if err != nil {
			return result{}, err
		}
		if err := a.finish(); err != nil {
			return result{}, err
		}
		v, err := vector(fn, "p", p)
		if err != nil {
			return result{}, err
		}
		return scalar(xent.Entropy(v, opts...))

	case "cross_entropy", "kl_divergence":
		p, err := inputFloat[T](a, "p")
		if err != nil {
			return result{}, err
		}
		q, err := inputFloat[T](a, "q")
		if err != nil {
			return result{}, err
		}
		if err := a.finish(); err != nil {
			return result{}, err
		}
		pv, err := vector(fn, "p", p)
		if err != nil {
			return result{}, err
		}
		qv, err := vector(fn, "q", q)
		if err != nil {
			return result{}, err
		}
		if fn == "cross_entropy" {
			return scalar(xent.CrossEntropy(pv, qv, opts...))
		}
		return scalar(xent.KLDivergence(pv, qv, opts...))

	case "nll_from_probs", "focal_loss":
		name := "probs"
		if fn == "focal_loss" {
			name = "logits"
		}
		x, err := inputFloat[T](a, name)
		if err != nil {
			return result{}, err
		}
		t, err := a.inputInt("target")
		if err != nil {
			return result{}, err
		}
		if err := a.finish(); err != nil {
			return result{}, err
		}
		if len(x.Shape) != 2 {
			return result{}, fmt.Errorf("%w: %s: %s must have rank 2, got shape %v", xent.ErrInvalidShape, fn, name, x.Shape)
		}
		tv, err := vector(fn, "target", t)
		if err != nil {
			return result{}, err
		}
		if fn == "focal_loss" {
			return tensorResult(xent.FocalLoss(x, tv, opts...))
		}
		return tensorResult(xent.NLLFromProbs(x, tv, opts...))

	case "categorical_cross_entropy":
		t, err := inputFloat[T](a, "t")
		if err != nil {
			return result{}, err
		}
		p, err := inputFloat[T](a, "p")
		if err != nil {
			return result{}, err
		}
		if err := a.finish(); err != nil {
			return result{}, err
		}
		return tensorResult(xent.CategoricalCrossEntropy(t, p, opts...))

	case "binary_cross_entropy":
		y, err := inputFloat[T](a, "y")
		if err != nil {
			return result{}, err
		}
		p, err := inputFloat[T](a, "p")
		if err != nil {
			return result{}, err
		}
		if err := a.finish(); err != nil {
			return result{}, err
		}
		return tensorResult(xent.BinaryCrossEntropy(y, p, opts...))

	case "softmax_cross_entropy", "softmax_cross_entropy_grad":
		logits, err := inputFloat[T](a, "logits")
		if err != nil {
			return result{}, err
		}
		traw, err := a.input("target")
		if err != nil {
			return result{}, err
		}
		if err := a.finish(); err != nil {
			return result{}, err
		}
		grad := fn == "softmax_cross_entropy_grad"
		if traw.Dtype == "int64" {
			t, err := intTensor("target", traw)
			if err != nil {
				return result{}, err
			}
			if grad {
				return tensorResult(xent.SoftmaxCrossEntropyGrad(logits, t, opts...))
			}
			return tensorResult(xent.SoftmaxCrossEntropy(logits, t, opts...))
		}
		t, err := floatTensor[T]("target", traw)
		if err != nil {
			return result{}, err
		}
		if grad {
			return tensorResult(xent.SoftmaxCrossEntropyProbsGrad(logits, t, opts...))
		}
		return tensorResult(xent.SoftmaxCrossEntropyProbs(logits, t, opts...))

	case "binary_cross_entropy_with_logits", "binary_cross_entropy_with_logits_grad", "sigmoid_focal_loss", "sigmoid_mse_grad":
		z, err := inputFloat[T](a, "z")
		if err != nil {
			return result{}, err
		}
		y, err := inputFloat[T](a, "y")
		if err != nil {
			return result{}, err
		}
		if err := a.finish(); err != nil {
			return result{}, err
		}
		switch fn {
		case "binary_cross_entropy_with_logits":
			return tensorResult(xent.BCEWithLogits(z, y, opts...))
		case "binary_cross_entropy_with_logits_grad":
			return tensorResult(xent.BCEWithLogitsGrad(z, y, opts...))
		case "sigmoid_focal_loss":
			return tensorResult(xent.SigmoidFocalLoss(z, y, opts...))
		default:
			return tensorResult(xent.SigmoidMSEGrad(z, y))
		}
	}
	return result{}, bad("unknown function %q", fn)
}
