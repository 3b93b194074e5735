// Package adapter runs one xent conformance case (conformance/PROTOCOL.md): it decodes the case's
// hex-float tensors and parameters, calls the matching function of package xent and encodes the
// answer. The command xent-adapter and the library's vector tests share it.
//
// Answers follow DECISIONS D7: a case that cannot be read or does not follow the protocol (unknown
// function or parameter, a value of the wrong JSON type, a data length that differs from the
// shape's product, a hex float not exact in its dtype, an integer outside int64) is answered with
// the kind bad_request before the function looks at it; a dtype the adapter does not support gets
// the per-case answer {"id", "unsupported": reason}; the function's own rejections keep the spec's
// five kinds.
package adapter

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"sort"
	"strings"

	xent "github.com/xent-conformance/xent/go"
)

// Version is the implementation version reported by the adapter.
const Version = "0.1.0"

// Protocol-level error kinds (D7), besides the spec's five.
const (
	KindBadRequest    = "bad_request"
	KindInternalError = "internal_error"
)

// Functions lists every function of the catalogue (spec/xent.yaml); all support both dtypes.
var Functions = []string{
	"logsumexp", "softmax", "log_softmax",
	"sigmoid", "log_sigmoid", "softplus",
	"entropy", "cross_entropy", "kl_divergence",
	"nll_from_probs", "categorical_cross_entropy", "binary_cross_entropy",
	"softmax_cross_entropy", "binary_cross_entropy_with_logits", "focal_loss", "sigmoid_focal_loss",
	"softmax_cross_entropy_grad", "binary_cross_entropy_with_logits_grad", "sigmoid_mse_grad",
	"nll_loss", "kl_div",
	"softmax_grad", "log_softmax_grad", "focal_loss_grad", "binary_cross_entropy_grad",
	"online_softmax_merge", "lse_merge", "linear_cross_entropy", "linear_cross_entropy_grad",
	"cross_entropy_from_shards",
}

// dtypes are the dtypes the adapter supports, for every function.
var dtypes = []string{"float64", "float32", "float16", "bfloat16"}

// Capabilities maps every function to the dtypes it supports (float64, float32, float16, bfloat16).
func Capabilities() map[string][]string {
	caps := make(map[string][]string, len(Functions))
	for _, f := range Functions {
		caps[f] = dtypes
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

// result is a computed output tensor, its values widened to float64; dtype is set by a 16-bit call
// (its dtype, or float32 under output_dtype float32) and empty otherwise (the case's dtype).
type result struct {
	shape []int
	data  []float64
	dtype string
}

// Result is the outcome of a case: an output tensor (Shape, Data widened to float64) or an error
// with its kind. BadRequest marks a request that could not be read (kind bad_request) or an
// internal error, rather than a function's own error.
type Result struct {
	Shape      []int
	Data       []float64
	Dtype      string // the output's dtype: the case's, or float32 under output_dtype float32
	ErrKind    string
	ErrMessage string
	BadRequest bool
}

// Answer runs the case and returns its protocol answer: an object with id and output, error, or
// (for a dtype the adapter does not support) unsupported.
func Answer(c *Case) map[string]any {
	if !knownFunction(c.Function) {
		return ErrorAnswer(c.ID, KindBadRequest, fmt.Sprintf("bad request: unknown function %q", c.Function))
	}
	if !supportedDtype(c.Dtype) {
		return map[string]any{"id": c.ID, "unsupported": fmt.Sprintf("dtype %q is not supported (xent-go: %s)",
			c.Dtype, strings.Join(dtypes, ", "))}
	}
	r := Run(c)
	if r.ErrKind != "" {
		return ErrorAnswer(c.ID, r.ErrKind, r.ErrMessage)
	}
	bits := 32 // float32, and the 16-bit dtypes, whose values are float32 values: float32's hex text
	if r.Dtype == "float64" {
		bits = 64
	}
	data := make([]string, len(r.Data))
	for i, v := range r.Data {
		data[i] = FormatHex(v, bits)
	}
	return map[string]any{"id": c.ID, "output": map[string]any{"dtype": r.Dtype, "shape": r.Shape, "data": data}}
}

func knownFunction(fn string) bool { _, ok := signatures[fn]; return ok }

func supportedDtype(d string) bool { _, ok := formats[d]; return ok }

// ErrorAnswer is the protocol's error answer; the message is kept on one line.
func ErrorAnswer(id, kind, message string) map[string]any {
	return map[string]any{"id": id, "error": ErrorObject(kind, message)}
}

// ErrorObject is the error member of an answer, its message on one line.
func ErrorObject(kind, message string) map[string]any {
	message = strings.Join(strings.Fields(message), " ")
	if message == "" {
		message = kind
	}
	return map[string]any{"kind": kind, "message": message}
}

// Override, when set, is consulted first by Run: a mutant of the adapter (XENT_MUTANT, see
// cmd/xent-adapter/mutants.go) answers the cases it changes and reports false for the others. Nil
// (the shipped adapter) costs one comparison per case.
var Override func(c *Case) (Result, bool)

// Run runs the case on package xent (or on Override's mutant when one is set).
func Run(c *Case) Result {
	if Override != nil {
		if r, ok := Override(c); ok {
			return roundMutant(c, r)
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
	case "float16":
		res, err = call16[xent.Float16](c)
	case "bfloat16":
		res, err = call16[xent.BFloat16](c)
	default:
		err = bad("unsupported dtype %q (want %s)", c.Dtype, strings.Join(dtypes, ", "))
	}
	if err != nil {
		var br *badRequestError
		if errors.As(err, &br) {
			return Result{ErrKind: KindBadRequest, ErrMessage: "bad request: " + br.msg, BadRequest: true}
		}
		kind := xent.ErrorKind(err)
		if kind == "" {
			return Result{ErrKind: KindInternalError, ErrMessage: "internal error: " + err.Error(), BadRequest: true}
		}
		return Result{ErrKind: kind, ErrMessage: err.Error()}
	}
	shape := res.shape
	if shape == nil {
		shape = []int{}
	}
	dtype := res.dtype
	if dtype == "" {
		dtype = c.Dtype
	}
	return Result{Shape: shape, Data: res.data, Dtype: dtype}
}

// call decodes the whole case first (any bad_request before any spec error), then checks the
// options on their own (the spec's first step, D1: output_dtype, then the library's), then the ranks
// of the inputs the library takes as slices, and calls the function with the case's options and
// extra, which checks the rest in the spec's order.
func call[T xent.Float](c *Case, extra ...xent.Option) (result, error) {
	sig, ok := signatures[c.Function]
	if !ok {
		return result{}, bad("unknown function %q", c.Function)
	}
	opts, err := sig.options(c)
	if err != nil {
		return result{}, err
	}
	opts = append(opts, extra...)
	in, err := decodeInputs[T](c, sig)
	if err != nil {
		return result{}, err
	}
	if _, err := outputDtype(c); err != nil {
		return result{}, err
	}
	if err := xent.CheckOptions[T](c.Function, opts...); err != nil {
		return result{}, err
	}
	for _, s := range sig.inputs {
		if err := in.checkRank(c.Function, s); err != nil {
			return result{}, err
		}
	}
	return compute(c.Function, in, opts)
}

// compute calls the library function fn on decoded inputs.
func compute[T xent.Float](fn string, in *inputs[T], opts []xent.Option) (result, error) {
	switch fn {
	case "logsumexp":
		return tensorResult(xent.LogSumExpTensor(in.f["x"], opts...))
	case "softmax":
		return tensorResult(xent.SoftmaxTensor(in.f["x"], opts...))
	case "log_softmax":
		return tensorResult(xent.LogSoftmaxTensor(in.f["x"], opts...))
	case "sigmoid":
		return elementwise(in.f["z"], xent.Sigmoid[T])
	case "log_sigmoid":
		return elementwise(in.f["z"], xent.LogSigmoid[T])
	case "softplus":
		return elementwise(in.f["z"], xent.Softplus[T])
	case "entropy":
		return scalar(xent.Entropy(in.f["p"].Data, opts...))
	case "cross_entropy":
		return scalar(xent.CrossEntropy(in.f["p"].Data, in.f["q"].Data, opts...))
	case "kl_divergence":
		return scalar(xent.KLDivergence(in.f["p"].Data, in.f["q"].Data, opts...))
	case "nll_from_probs":
		return tensorResult(xent.NLLFromProbs(in.f["probs"], in.i["target"].Data, opts...))
	case "focal_loss":
		return tensorResult(xent.FocalLoss(in.f["logits"], in.i["target"].Data, opts...))
	case "categorical_cross_entropy":
		return tensorResult(xent.CategoricalCrossEntropy(in.f["t"], in.f["p"], opts...))
	case "binary_cross_entropy":
		return tensorResult(xent.BinaryCrossEntropy(in.f["y"], in.f["p"], opts...))
	case "softmax_cross_entropy", "softmax_cross_entropy_grad":
		return softmaxCE(fn == "softmax_cross_entropy_grad", in, opts)
	case "binary_cross_entropy_with_logits":
		return tensorResult(xent.BCEWithLogits(in.f["z"], in.f["y"], opts...))
	case "binary_cross_entropy_with_logits_grad":
		return tensorResult(xent.BCEWithLogitsGrad(in.f["z"], in.f["y"], opts...))
	case "sigmoid_focal_loss":
		return tensorResult(xent.SigmoidFocalLoss(in.f["z"], in.f["y"], opts...))
	case "sigmoid_mse_grad":
		return tensorResult(xent.SigmoidMSEGrad(in.f["z"], in.f["y"], opts...))
	case "linear_cross_entropy":
		return tensorResult(xent.LinearCrossEntropy(in.f["hidden"], in.f["linear_weight"], in.i["target"], opts...))
	case "linear_cross_entropy_grad":
		return tensorResult(xent.LinearCrossEntropyGrad(in.f["hidden"], in.f["linear_weight"], in.i["target"], opts...))
	case "cross_entropy_from_shards":
		return tensorResult(xent.CrossEntropyFromShards(in.f["shard_lse"], in.f["shard_logit_sum"], in.f["target_logit"],
			in.i["target"], in.i["shard_size"], opts...))
	case "online_softmax_merge":
		return tensorResult(xent.OnlineSoftmaxMerge(in.f["m"], in.f["d"], opts...))
	case "lse_merge":
		return tensorResult(xent.LSEMerge(in.f["lse"], opts...))
	case "softmax_grad":
		return tensorResult(xent.SoftmaxGrad(in.f["x"], in.f["grad_output"], opts...))
	case "log_softmax_grad":
		return tensorResult(xent.LogSoftmaxGrad(in.f["x"], in.f["grad_output"], opts...))
	case "focal_loss_grad":
		return tensorResult(xent.FocalLossGrad(in.f["logits"], in.i["target"].Data, opts...))
	case "binary_cross_entropy_grad":
		return tensorResult(xent.BinaryCrossEntropyGrad(in.f["y"], in.f["p"], opts...))
	case "nll_loss":
		return tensorResult(xent.NLLLoss(in.f["input"], in.i["target"], opts...))
	case "kl_div":
		return tensorResult(xent.KLDiv(in.f["input"], in.f["target"], opts...))
	}
	return result{}, bad("unknown function %q", fn)
}

// softmaxCE calls softmax_cross_entropy or its gradient with index or probability targets.
func softmaxCE[T xent.Float](grad bool, in *inputs[T], opts []xent.Option) (result, error) {
	logits := in.f["logits"]
	if t, ok := in.i["target"]; ok {
		if grad {
			return tensorResult(xent.SoftmaxCrossEntropyGrad(logits, t, opts...))
		}
		return tensorResult(xent.SoftmaxCrossEntropy(logits, t, opts...))
	}
	t := in.f["target"]
	if grad {
		return tensorResult(xent.SoftmaxCrossEntropyProbsGrad(logits, t, opts...))
	}
	return tensorResult(xent.SoftmaxCrossEntropyProbs(logits, t, opts...))
}

// ------------------------------------------------------------------ signatures

// inKind is the tensor type of an input.
type inKind int

const (
	floatIn  inKind = iota // a float tensor of the case's dtype
	intIn                  // an int64 tensor
	targetIn               // an int64 tensor (class indices) or a float tensor of the case's dtype
)

// inputSpec is one input of a function. The adapter checks the rank (minRank..maxRank) itself where
// the library takes the input as a slice (rankHere); the library checks the others.
type inputSpec struct {
	name             string
	kind             inKind
	rankHere         bool
	minRank, maxRank int
}

type signature struct {
	inputs []inputSpec
	params map[string]paramDecoder
}

func plain(name string) inputSpec { return inputSpec{name: name, kind: floatIn} }
func ranked(name string, kind inKind, lo, hi int) inputSpec {
	return inputSpec{name: name, kind: kind, rankHere: true, minRank: lo, maxRank: hi}
}

// paramDecoder reads one parameter's JSON value as an option (nil: the parameter's null, which
// leaves the default); bits is the case's float width, dtype its dtype.
type paramDecoder func(name string, raw json.RawMessage, bits int, dtype string) (xent.Option, error)

var (
	reductionP = enumParam(func(s string) xent.Option { return xent.WithReduction(xent.Reduction(s)) })
	baseP      = enumParam(func(s string) xent.Option { return xent.WithBase(xent.Base(s)) })
	modeP      = enumParam(func(s string) xent.Option { return xent.WithSmoothingMode(xent.SmoothingMode(s)) })
	epsilonP   = floatParam(xent.WithEpsilon)
	gammaP     = floatParam(xent.WithGamma)
	smoothingP = floatParam(xent.WithLabelSmoothing)
	weightP    = tensorParam(xent.WithWeight)
	emptyMeanP = enumParam(func(s string) xent.Option { return xent.WithEmptyMean(xent.EmptyMean(s)) })
)

var signatures = map[string]signature{
	"logsumexp":   axisSignature,
	"softmax":     axisSignature,
	"log_softmax": axisSignature,
	"sigmoid":     {inputs: []inputSpec{ranked("z", floatIn, 0, 8)}},
	"log_sigmoid": {inputs: []inputSpec{ranked("z", floatIn, 0, 8)}},
	"softplus":    {inputs: []inputSpec{ranked("z", floatIn, 0, 8)}},
	"entropy":     {inputs: []inputSpec{ranked("p", floatIn, 1, 1)}, params: map[string]paramDecoder{"base": baseP}},
	"cross_entropy": {inputs: []inputSpec{ranked("p", floatIn, 1, 1), ranked("q", floatIn, 1, 1)},
		params: map[string]paramDecoder{"base": baseP, "epsilon": epsilonP}},
	"kl_divergence": {inputs: []inputSpec{ranked("p", floatIn, 1, 1), ranked("q", floatIn, 1, 1)},
		params: map[string]paramDecoder{"base": baseP}},
	"nll_from_probs": {inputs: []inputSpec{ranked("probs", floatIn, 2, 2), ranked("target", intIn, 1, 1)},
		params: map[string]paramDecoder{"epsilon": epsilonP, "reduction": reductionP}},
	"categorical_cross_entropy": {inputs: []inputSpec{plain("t"), plain("p")},
		params: map[string]paramDecoder{"reduction": reductionP}},
	"binary_cross_entropy": {inputs: []inputSpec{plain("y"), plain("p")},
		params: map[string]paramDecoder{"epsilon": epsilonP, "reduction": reductionP}},
	"softmax_cross_entropy":                 withParams(softmaxCESignature, "result", enumParam(resultOption)),
	"softmax_cross_entropy_grad":            withParams(softmaxCESignature, "grad_output", gradOutputP),
	"binary_cross_entropy_with_logits":      bceSignature,
	"binary_cross_entropy_with_logits_grad": withParams(bceSignature, "grad_output", gradOutputP),
	"binary_cross_entropy_grad": {inputs: []inputSpec{plain("y"), plain("p")},
		params: map[string]paramDecoder{"epsilon": epsilonP, "reduction": reductionP, "grad_output": gradOutputP}},
	"focal_loss_grad":           withParams(focalSignature, "grad_output", gradOutputP),
	"linear_cross_entropy":      linearSignature,
	"linear_cross_entropy_grad": withParams(withParams(linearSignature, "wrt", enumParam(wrtOption)), "grad_output", gradOutputP),
	"cross_entropy_from_shards": {
		inputs: []inputSpec{plain("shard_lse"), plain("shard_logit_sum"), plain("target_logit"),
			{name: "target", kind: intIn}, {name: "shard_size", kind: intIn}},
		params: map[string]paramDecoder{"weight": weightP, "ignore_index": ignoreIndexP, "label_smoothing": smoothingP,
			"label_smoothing_mode": modeP, "reduction": reductionP, "empty_mean": emptyMeanP}},
	"online_softmax_merge": {inputs: []inputSpec{plain("m"), plain("d")}, params: map[string]paramDecoder{"base": baseP}},
	"lse_merge":            {inputs: []inputSpec{plain("lse")}, params: map[string]paramDecoder{"base": baseP}},
	"softmax_grad":         axisPairSignature,
	"log_softmax_grad":     axisPairSignature,
	"focal_loss":           focalSignature,
	"sigmoid_focal_loss": {inputs: []inputSpec{plain("z"), plain("y")},
		params: map[string]paramDecoder{"alpha": alphaParam, "gamma": gammaP, "reduction": reductionP}},
	"sigmoid_mse_grad": {inputs: []inputSpec{plain("z"), plain("y")}, params: map[string]paramDecoder{"grad_output": gradOutputP}},
	"nll_loss": {inputs: []inputSpec{plain("input"), {name: "target", kind: intIn}},
		params: map[string]paramDecoder{"weight": weightP, "ignore_index": ignoreIndexP, "reduction": reductionP}},
	"kl_div": {inputs: []inputSpec{plain("input"), plain("target")},
		params: map[string]paramDecoder{"reduction": reductionP, "log_target": boolParam(xent.WithLogTarget)}},
}

// axisSignature is the row functions': x of any rank (the library checks 1 to 8) and an axis.
var axisSignature = signature{inputs: []inputSpec{plain("x")}, params: map[string]paramDecoder{"axis": intParam(xent.WithAxis)}}

// axisPairSignature is softmax_grad's and log_softmax_grad's: x and its upstream gradient, an axis.
var axisPairSignature = signature{inputs: []inputSpec{plain("x"), plain("grad_output")},
	params: map[string]paramDecoder{"axis": intParam(xent.WithAxis)}}

var focalSignature = signature{inputs: []inputSpec{ranked("logits", floatIn, 2, 2), ranked("target", intIn, 1, 1)},
	params: map[string]paramDecoder{"gamma": gammaP, "alpha": tensorParam(xent.WithClassAlpha), "reduction": reductionP}}

// withParams returns sig with the parameter name added (sig itself is not changed).
func withParams(sig signature, name string, dec paramDecoder) signature {
	params := maps.Clone(sig.params)
	params[name] = dec
	sig.params = params
	return sig
}

// linearSignature is linear_cross_entropy's: softmax_cross_entropy's options without where, and the bias.
var linearSignature = func() signature {
	sig := withParams(softmaxCESignature, "linear_bias", tensorParam(func(b []float64, shape ...int) xent.Option {
		return xent.WithLinearBias(xent.Tensor[float64]{Shape: shape, Data: b})
	}))
	delete(sig.params, "where")
	sig.inputs = []inputSpec{plain("hidden"), plain("linear_weight"), {name: "target", kind: intIn}}
	return sig
}()

func wrtOption(s string) xent.Option { return xent.WithWrt(xent.Wrt(s)) }

func resultOption(s string) xent.Option { return xent.WithResult(xent.SCEResult(s)) }

var softmaxCESignature = signature{
	inputs: []inputSpec{plain("logits"), {name: "target", kind: targetIn}},
	params: map[string]paramDecoder{"weight": weightP, "ignore_index": ignoreIndexP,
		"label_smoothing": smoothingP, "label_smoothing_mode": modeP, "reduction": reductionP,
		"logit_scale": floatParam(xent.WithLogitScale), "softcap": softcapP, "z_loss": floatParam(xent.WithZLoss),
		"empty_mean": emptyMeanP,
		"where":      whereP},
}

// softcapP is softmax_cross_entropy's softcap: a hex float, or null for no cap (the default).
func softcapP(name string, raw json.RawMessage, bits int, dtype string) (xent.Option, error) {
	if isNull(raw) {
		return xent.WithoutSoftcap(), nil
	}
	return floatParam(xent.WithSoftcap)(name, raw, bits, dtype)
}

var bceSignature = signature{
	inputs: []inputSpec{plain("z"), plain("y")},
	params: map[string]paramDecoder{"weight": weightP, "pos_weight": tensorParam(xent.WithPosWeight), "reduction": reductionP},
}

// options decodes the case's parameters in name order (an unknown name is a bad request).
func (s signature) options(c *Case) ([]xent.Option, error) {
	names := make([]string, 0, len(c.Params))
	for k := range c.Params {
		names = append(names, k)
	}
	sort.Strings(names)
	var opts []xent.Option
	for _, k := range names {
		dec, ok := s.params[k]
		if !ok {
			return nil, bad("%s has no parameter %q", c.Function, k)
		}
		o, err := dec(k, c.Params[k], c.Bits(), c.Dtype)
		if err != nil {
			return nil, err
		}
		if o != nil {
			opts = append(opts, o)
		}
	}
	return opts, nil
}

func isNull(raw json.RawMessage) bool { return strings.TrimSpace(string(raw)) == "null" }

// enumParam: a JSON string; its value is the function's to judge.
func enumParam(opt func(string) xent.Option) paramDecoder {
	return func(name string, raw json.RawMessage, _ int, _ string) (xent.Option, error) {
		s, ok := jsonString(raw)
		if !ok {
			return nil, bad("param %s: want a string, got %s", name, brief(raw))
		}
		return opt(s), nil
	}
}

// floatParam: a hex-float string exact in the case's dtype.
func floatParam(opt func(float64) xent.Option) paramDecoder {
	return func(name string, raw json.RawMessage, _ int, dtype string) (xent.Option, error) {
		v, err := parseFloatIn(raw, dtype)
		if err != nil {
			return nil, bad("param %s: %v", name, err)
		}
		return opt(v), nil
	}
}

// alphaParam is sigmoid_focal_loss' alpha: a hex float, or null to disable the weighting.
func alphaParam(name string, raw json.RawMessage, bits int, dtype string) (xent.Option, error) {
	if isNull(raw) {
		return xent.WithoutAlpha(), nil
	}
	return floatParam(xent.WithAlpha)(name, raw, bits, dtype)
}

// intParam: a JSON integer within int64.
func intParam(opt func(int) xent.Option) paramDecoder {
	return func(name string, raw json.RawMessage, _ int, _ string) (xent.Option, error) {
		v, err := parseInt(raw)
		if err != nil {
			return nil, bad("param %s: %v", name, err)
		}
		return opt(v), nil
	}
}

// ignoreIndexP is ignore_index: an int64, or null for no ignored index (absent: the default -100).
func ignoreIndexP(name string, raw json.RawMessage, bits int, dtype string) (xent.Option, error) {
	if isNull(raw) {
		return xent.WithoutIgnoreIndex(), nil
	}
	return intParam(xent.WithIgnoreIndex)(name, raw, bits, dtype)
}

// boolParam: a JSON true or false.
func boolParam(opt func(bool) xent.Option) paramDecoder {
	return func(name string, raw json.RawMessage, _ int, _ string) (xent.Option, error) {
		var v bool
		if s := strings.TrimSpace(string(raw)); s != "true" && s != "false" || json.Unmarshal(raw, &v) != nil {
			return nil, bad("param %s: want true or false, got %s", name, brief(raw))
		}
		return opt(v), nil
	}
}

// tensorParam: a float tensor of the case's dtype, or null (absent).
func tensorParam(opt func([]float64, ...int) xent.Option) paramDecoder {
	return func(name string, raw json.RawMessage, bits int, dtype string) (xent.Option, error) {
		if isNull(raw) {
			return nil, nil
		}
		t, err := decodeTensor("param "+name, raw)
		if err != nil {
			return nil, err
		}
		if t.Dtype != dtype {
			return nil, bad("param %s: a %s tensor in a %s request", name, t.Dtype, dtype)
		}
		data, err := t.floats("param "+name, dtype)
		if err != nil {
			return nil, err
		}
		return opt(data, t.Shape...), nil
	}
}

// gradOutputP is a gradient function's grad_output: a float tensor of the case's dtype (its values
// data, any float), or null (all ones).
func gradOutputP(name string, raw json.RawMessage, bits int, dtype string) (xent.Option, error) {
	var opt xent.Option
	_, err := tensorParam(func(v []float64, shape ...int) xent.Option {
		opt = xent.WithGradOutput(xent.Tensor[float64]{Shape: shape, Data: v})
		return opt
	})(name, raw, bits, dtype)
	return opt, err
}

// whereP is softmax_cross_entropy's class mask: a tensor of dtype bool (protocol 1.3) whose data are
// JSON true or false (anything else is a bad request), or null (every class included).
func whereP(name string, raw json.RawMessage, _ int, _ string) (xent.Option, error) {
	if isNull(raw) {
		return nil, nil
	}
	t, err := decodeTensor("param "+name, raw)
	if err != nil {
		return nil, err
	}
	if t.Dtype != "bool" {
		return nil, bad("param %s: a %s tensor where a bool tensor is wanted", name, t.Dtype)
	}
	mask := make([]bool, len(t.Data))
	for i, r := range t.Data {
		switch strings.TrimSpace(string(r)) {
		case "true":
			mask[i] = true
		case "false":
		default:
			return nil, bad("param %s.data[%d]: want true or false, got %s", name, i, brief(r))
		}
	}
	return xent.WithWhere(xent.Tensor[bool]{Shape: t.Shape, Data: mask}), nil
}

// ------------------------------------------------------------------ inputs

// inputs holds a case's decoded tensors: float tensors of the case's dtype in f, int64 ones in i.
type inputs[T xent.Float] struct {
	f map[string]xent.Tensor[T]
	i map[string]xent.Tensor[int]
}

// decodeInputs decodes every input of sig (a missing or unknown input is a bad request).
func decodeInputs[T xent.Float](c *Case, sig signature) (*inputs[T], error) {
	in := &inputs[T]{f: map[string]xent.Tensor[T]{}, i: map[string]xent.Tensor[int]{}}
	for _, s := range sig.inputs {
		raw, ok := c.Inputs[s.name]
		if !ok {
			return nil, bad("missing input %q", s.name)
		}
		t, err := decodeTensor(s.name, raw)
		if err != nil {
			return nil, err
		}
		isInt := t.Dtype == "int64" && s.kind != floatIn
		switch {
		case isInt:
			data, err := t.ints(s.name)
			if err != nil {
				return nil, err
			}
			in.i[s.name] = xent.Tensor[int]{Shape: t.Shape, Data: data}
		case t.Dtype == c.Dtype && s.kind != intIn:
			data, err := t.floats(s.name, c.Dtype)
			if err != nil {
				return nil, err
			}
			in.f[s.name] = xent.Tensor[T]{Shape: t.Shape, Data: toT[T](data)}
		default:
			return nil, bad("input %s: a %s tensor where %s wants %s", s.name, t.Dtype, c.Function, s.kind.want(c.Dtype))
		}
	}
	if len(c.Inputs) > len(sig.inputs) {
		var extra []string
		for k := range c.Inputs {
			if !slicesContains(sig.inputs, k) {
				extra = append(extra, k)
			}
		}
		sort.Strings(extra)
		return nil, bad("%s has no input %s", c.Function, strings.Join(extra, ", "))
	}
	return in, nil
}

func slicesContains(specs []inputSpec, name string) bool {
	for _, s := range specs {
		if s.name == name {
			return true
		}
	}
	return false
}

func (k inKind) want(dtype string) string {
	switch k {
	case intIn:
		return "an int64 tensor"
	case targetIn:
		return "an int64 tensor or a " + dtype + " tensor"
	}
	return "a " + dtype + " tensor"
}

// checkRank reports an input's rank outside the spec's range as invalid_shape (for the inputs the
// library takes as slices).
func (in *inputs[T]) checkRank(fn string, s inputSpec) error {
	if !s.rankHere {
		return nil
	}
	shape := in.f[s.name].Shape
	if s.kind == intIn {
		shape = in.i[s.name].Shape
	}
	if r := len(shape); r < s.minRank || r > s.maxRank {
		want := fmt.Sprintf("rank %d to %d", s.minRank, s.maxRank)
		if s.minRank == s.maxRank {
			want = fmt.Sprintf("rank %d", s.minRank)
		}
		return fmt.Errorf("%w: %s: %s must have %s, got shape %v", xent.ErrInvalidShape, fn, s.name, want, shape)
	}
	return nil
}

func toT[T xent.Float](v []float64) []T {
	out := make([]T, len(v))
	for i, x := range v {
		out[i] = T(x)
	}
	return out
}

// ------------------------------------------------------------------ results

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

func elementwise[T xent.Float](z xent.Tensor[T], f func(T) T) (result, error) {
	out := make([]T, len(z.Data))
	for i, v := range z.Data {
		out[i] = f(v)
	}
	return tensorResult(xent.Tensor[T]{Shape: z.Shape, Data: out}, nil)
}
