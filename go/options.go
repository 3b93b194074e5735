package xent

import (
	"fmt"
	"math"
	"strings"
)

// Reduction selects how a loss reduces its per-element (or per-position) values.
type Reduction string

// The reductions of the specification. A mean over zero elements is NaN (0/0); a sum of nothing
// is 0.
const (
	ReductionNone Reduction = "none" // no reduction: one value per element or position
	ReductionSum  Reduction = "sum"  // sum_i l_i
	ReductionMean Reduction = "mean" // sum_i l_i / (number of elements, or the weighted denominator)
	// ReductionBatchMean: sum_i l_i / (the size of the first dimension), KLDiv only (PyTorch's
	// 'batchmean', the mathematically correct KL divergence per sample).
	ReductionBatchMean Reduction = "batchmean"
)

// Base is the logarithm base of the information-theoretic functions.
type Base string

// The bases of the specification.
const (
	BaseE Base = "e" // natural logarithm: nats (the default)
	Base2 Base = "2" // base-2 logarithm: bits; the natural-log result is divided by ln 2
)

// SmoothingMode selects the label-smoothing formula of SoftmaxCrossEntropy.
type SmoothingMode string

// The label-smoothing modes of the specification.
const (
	// SmoothUniform: q_c = (1 - eps) [c = y] + eps / C (PyTorch, Keras, optax). The default.
	SmoothUniform SmoothingMode = "uniform"
	// SmoothOffTarget: q_c = (1 - eps) [c = y] + eps / (C - 1) [c != y] (the seed document 000).
	SmoothOffTarget SmoothingMode = "off_target"
)

// optBit identifies an option, so that a function can reject options it does not take.
type optBit uint32

const (
	optReduction optBit = 1 << iota
	optBase
	optEpsilon
	optWeight
	optPosWeight
	optIgnoreIndex
	optLabelSmoothing
	optSmoothingMode
	optGamma
	optAlpha
	optClassAlpha
	optLogTarget
	optAxis
	optLogitScale
	optSoftcap
	optZLoss
	optEmptyMean
	optGradOutput
	optWhere
	optResult
	optLinearBias
	optWrt
	optBatchMean // not an option: marks the functions whose reduction may be batchmean (kl_div)
)

var optNames = map[optBit]string{
	optReduction: "WithReduction", optBase: "WithBase", optEpsilon: "WithEpsilon",
	optWeight: "WithWeight", optPosWeight: "WithPosWeight", optIgnoreIndex: "WithIgnoreIndex",
	optLabelSmoothing: "WithLabelSmoothing", optSmoothingMode: "WithSmoothingMode",
	optGamma: "WithGamma", optAlpha: "WithAlpha/WithoutAlpha", optClassAlpha: "WithClassAlpha",
	optLogTarget: "WithLogTarget", optAxis: "WithAxis",
	optLogitScale: "WithLogitScale", optSoftcap: "WithSoftcap/WithoutSoftcap", optZLoss: "WithZLoss",
	optEmptyMean: "WithEmptyMean", optGradOutput: "WithGradOutput", optWhere: "WithWhere",
	optResult: "WithResult", optLinearBias: "WithLinearBias", optWrt: "WithWrt",
}

// Option sets an optional parameter of a catalogue function. Parameters left unset take the
// specification's defaults (listed in each function's comment). Passing an option that a function
// does not take is an ErrInvalidArgument error.
type Option func(*config)

type config struct {
	set             optBit
	reduction       Reduction
	base            Base
	epsilon         float64
	weight          []float64
	weightShape     []int
	posWeight       []float64
	posWeightShape  []int
	ignoreIndex     int
	ignoreNone      bool // WithoutIgnoreIndex: no target value is ignored (ignoreIndex unused)
	logTarget       bool
	axis            int
	labelSmoothing  float64
	smoothingMode   SmoothingMode
	gamma           float64
	alpha           float64
	alphaOn         bool
	classAlpha      []float64
	classAlphaShape []int
	paramRound      func(float64) float64 // WithDtype: the 16-bit format of the float parameters
	logitScale      float64
	softcap         float64 // 0: no cap (WithoutSoftcap, the default)
	capOn           bool
	zLoss           float64
	emptyMean       EmptyMean
	gradOut         []float64 // WithGradOutput: the upstream gradient (nil: all ones)
	gradOutShape    []int
	where           []bool // WithWhere: the class mask (nil: every class included)
	whereShape      []int
	result          SCEResult
	bias            []float64 // WithLinearBias (nil: no bias)
	biasShape       []int
	wrt             Wrt
	exact           *ddLogits // linear_cross_entropy's exact logits (internal)
}

// EmptyMean selects what SoftmaxCrossEntropy's reduction mean returns when its denominator is 0.
type EmptyMean string

// The empty_mean values of the specification.
const (
	// EmptyMeanNaN: IEEE division, NaN for 0/0 (PyTorch, ONNX; D3). The default.
	EmptyMeanNaN EmptyMean = "nan"
	// EmptyMeanZero: a mean over a zero denominator is 0, and its gradient is 0 (what training code
	// patches in so that an all-padding micro-batch does not poison the accumulated loss).
	EmptyMeanZero EmptyMean = "zero"
)

// WithLogitScale sets SoftmaxCrossEntropy's logit_scale s (finite, > 0; default 1): the logits are
// multiplied by s before the cap and the cross-entropy.
func WithLogitScale(s float64) Option {
	return func(c *config) { c.set |= optLogitScale; c.logitScale = s }
}

// WithSoftcap sets SoftmaxCrossEntropy's softcap c (finite, > 0): each scaled logit x' becomes
// c tanh(x' / c) (Gemma 2's final-logit soft-capping). The default is no cap (WithoutSoftcap).
func WithSoftcap(cap float64) Option {
	return func(c *config) { c.set |= optSoftcap; c.softcap, c.capOn = cap, true }
}

// WithoutSoftcap removes the soft cap (the specification's softcap = null, the default).
func WithoutSoftcap() Option {
	return func(c *config) { c.set |= optSoftcap; c.softcap, c.capOn = 0, false }
}

// WithZLoss sets SoftmaxCrossEntropy's z-loss coefficient z (finite, >= 0; default 0): each
// non-ignored position adds z lse(xc)^2 (PaLM), unweighted; the mean divides these terms by the
// number of non-ignored positions.
func WithZLoss(z float64) Option { return func(c *config) { c.set |= optZLoss; c.zLoss = z } }

// WithEmptyMean sets what SoftmaxCrossEntropy's mean returns for a zero denominator (default
// EmptyMeanNaN).
func WithEmptyMean(m EmptyMean) Option {
	return func(c *config) { c.set |= optEmptyMean; c.emptyMean = m }
}

// WithReduction sets the reduction (none, sum or mean).
func WithReduction(r Reduction) Option {
	return func(c *config) { c.set |= optReduction; c.reduction = r }
}

// WithBase sets the logarithm base of Entropy, CrossEntropy and KLDivergence ("e" or "2").
func WithBase(b Base) Option { return func(c *config) { c.set |= optBase; c.base = b } }

// WithEpsilon sets the clamp or smoothing constant epsilon of CrossEntropy, NLLFromProbs and
// BinaryCrossEntropy.
func WithEpsilon(eps float64) Option {
	return func(c *config) { c.set |= optEpsilon; c.epsilon = eps }
}

// WithWeight sets per-class weights (SoftmaxCrossEntropy: shape [C]) or per-element weights
// (BCEWithLogits: z's shape or [C], C being z's last dimension). With no shape arguments the shape
// is [len(w)].
func WithWeight(w []float64, shape ...int) Option {
	return func(c *config) { c.set |= optWeight; c.weight = w; c.weightShape = shapeOr(w, shape) }
}

// WithPosWeight sets BCEWithLogits' positive-class weights (z's shape or [C]). With no shape
// arguments the shape is [len(w)].
func WithPosWeight(w []float64, shape ...int) Option {
	return func(c *config) { c.set |= optPosWeight; c.posWeight = w; c.posWeightShape = shapeOr(w, shape) }
}

// WithIgnoreIndex sets the class-index target value that SoftmaxCrossEntropy and NLLLoss ignore
// (default -100; WithoutIgnoreIndex ignores none).
func WithIgnoreIndex(i int) Option {
	return func(c *config) { c.set |= optIgnoreIndex; c.ignoreIndex, c.ignoreNone = i, false }
}

// ignores reports whether the class-index target y is the ignored index.
func (c *config) ignores(y int) bool { return !c.ignoreNone && y == c.ignoreIndex }

// WithLabelSmoothing sets SoftmaxCrossEntropy's label smoothing eps in [0, 1] (default 0).
func WithLabelSmoothing(eps float64) Option {
	return func(c *config) { c.set |= optLabelSmoothing; c.labelSmoothing = eps }
}

// WithSmoothingMode sets SoftmaxCrossEntropy's label-smoothing formula (default SmoothUniform).
func WithSmoothingMode(m SmoothingMode) Option {
	return func(c *config) { c.set |= optSmoothingMode; c.smoothingMode = m }
}

// WithGamma sets the focusing parameter gamma >= 0 of FocalLoss and SigmoidFocalLoss (default 2).
func WithGamma(g float64) Option { return func(c *config) { c.set |= optGamma; c.gamma = g } }

// WithAlpha sets SigmoidFocalLoss' balancing weight alpha in [0, 1] (default 0.25).
func WithAlpha(a float64) Option {
	return func(c *config) { c.set |= optAlpha; c.alpha = a; c.alphaOn = true }
}

// WithoutAlpha disables SigmoidFocalLoss' alpha weighting (the specification's alpha = null).
func WithoutAlpha() Option {
	return func(c *config) { c.set |= optAlpha; c.alphaOn = false }
}

// WithClassAlpha sets FocalLoss' per-class weights alpha[C] (default: none, alpha_y = 1). With no
// shape arguments the shape is [len(a)]; any other shape is an ErrShapeMismatch error.
func WithClassAlpha(a []float64, shape ...int) Option {
	return func(c *config) { c.set |= optClassAlpha; c.classAlpha = a; c.classAlphaShape = shapeOr(a, shape) }
}

func shapeOr(w []float64, shape []int) []int {
	if len(shape) == 0 {
		return []int{len(w)}
	}
	return append([]int(nil), shape...)
}

// newConfig applies opts over the defaults and rejects options not in allowed.
func newConfig(fn string, allowed optBit, defaults config, opts []Option) (config, error) {
	c := defaults
	for _, o := range opts {
		if o != nil {
			o(&c)
		}
	}
	if extra := c.set &^ allowed; extra != 0 {
		var names []string
		for b := optBit(1); b != 0 && b <= extra; b <<= 1 {
			if extra&b != 0 {
				names = append(names, optNames[b])
			}
		}
		return c, newError(ErrInvalidArgument, fn, "option %s does not apply to %s", strings.Join(names, ", "), fn)
	}
	if allowed&optReduction != 0 {
		switch {
		case c.reduction == ReductionNone, c.reduction == ReductionSum, c.reduction == ReductionMean:
		case c.reduction == ReductionBatchMean && allowed&optBatchMean != 0:
		case allowed&optBatchMean != 0:
			return c, newError(ErrInvalidArgument, fn, "unknown reduction %q (want none, sum, mean or batchmean)", string(c.reduction))
		default:
			return c, newError(ErrInvalidArgument, fn, "unknown reduction %q (want none, sum or mean)", string(c.reduction))
		}
	}
	if allowed&optBase != 0 {
		switch c.base {
		case BaseE, Base2:
		default:
			return c, newError(ErrInvalidArgument, fn, "unknown base %q (want \"e\" or \"2\")", string(c.base))
		}
	}
	if allowed&optSmoothingMode != 0 {
		switch c.smoothingMode {
		case SmoothUniform, SmoothOffTarget:
		default:
			return c, newError(ErrInvalidArgument, fn, "unknown label_smoothing_mode %q (want uniform or off_target)", string(c.smoothingMode))
		}
	}
	return c, nil
}

// fnOptions describes a function's options: those it takes, their defaults and the domain of its
// epsilon (0 <= epsilon <= epsHigh, or < epsHigh when epsOpen).
type fnOptions struct {
	allowed  optBit
	defaults config
	epsHigh  float64
	epsOpen  bool
}

// functionOptions maps every function of the specification (by its spec name) to its options.
var functionOptions = func() map[string]fnOptions {
	info := fnOptions{allowed: optBase, defaults: config{base: BaseE}}
	sce := fnOptions{allowed: optWeight | optIgnoreIndex | optLabelSmoothing | optSmoothingMode | optReduction |
		optLogitScale | optSoftcap | optZLoss | optEmptyMean | optWhere,
		defaults: config{ignoreIndex: -100, smoothingMode: SmoothUniform, reduction: ReductionMean,
			logitScale: 1, emptyMean: EmptyMeanNaN, result: ResultLoss}}
	sceLoss, sceGrad := sce, sce
	sceLoss.allowed |= optResult
	sceGrad.allowed |= optGradOutput
	bce := fnOptions{allowed: optWeight | optPosWeight | optReduction, defaults: config{reduction: ReductionMean}}
	linear, linearGrad := sce, sce
	linear.allowed = sce.allowed&^optWhere | optLinearBias
	linearGrad.allowed = linear.allowed | optWrt | optGradOutput
	linearGrad.defaults.wrt = WrtHidden
	bceGrad := bce
	bceGrad.allowed |= optGradOutput
	m := map[string]fnOptions{
		"entropy": info, "kl_divergence": info,
		"cross_entropy": {allowed: optBase | optEpsilon, defaults: config{base: BaseE}, epsHigh: 1},
		"nll_from_probs": {allowed: optEpsilon | optReduction,
			defaults: config{epsilon: seedEpsilon, reduction: ReductionMean}, epsHigh: 1},
		"categorical_cross_entropy": {allowed: optReduction, defaults: config{reduction: ReductionMean}},
		"binary_cross_entropy": {allowed: optEpsilon | optReduction,
			defaults: config{epsilon: seedEpsilon, reduction: ReductionMean}, epsHigh: 0.5, epsOpen: true},
		"softmax_cross_entropy": sceLoss, "softmax_cross_entropy_grad": sceGrad,
		"binary_cross_entropy_with_logits": bce, "binary_cross_entropy_with_logits_grad": bceGrad,
		"binary_cross_entropy_grad": {allowed: optEpsilon | optReduction | optGradOutput,
			defaults: config{epsilon: seedEpsilon, reduction: ReductionMean}, epsHigh: 0.5, epsOpen: true},
		"focal_loss_grad": {allowed: optGamma | optClassAlpha | optReduction | optGradOutput,
			defaults: config{gamma: 2, reduction: ReductionMean}},
		"online_softmax_merge": info, "lse_merge": info,
		"cross_entropy_from_shards": {allowed: optWeight | optIgnoreIndex | optLabelSmoothing | optSmoothingMode |
			optReduction | optEmptyMean, defaults: config{ignoreIndex: -100, smoothingMode: SmoothUniform,
			reduction: ReductionMean, emptyMean: EmptyMeanNaN}},
		"linear_cross_entropy": linear, "linear_cross_entropy_grad": linearGrad,
		"softmax_grad":     {allowed: optAxis, defaults: config{axis: -1}},
		"log_softmax_grad": {allowed: optAxis, defaults: config{axis: -1}},
		"sigmoid_mse_grad": {allowed: optGradOutput},
		"focal_loss": {allowed: optGamma | optClassAlpha | optReduction,
			defaults: config{gamma: 2, reduction: ReductionMean}},
		"sigmoid_focal_loss": {allowed: optAlpha | optGamma | optReduction,
			defaults: config{alpha: 0.25, alphaOn: true, gamma: 2, reduction: ReductionNone}},
		"nll_loss": {allowed: optWeight | optIgnoreIndex | optReduction,
			defaults: config{ignoreIndex: -100, reduction: ReductionMean}},
		"kl_div":      {allowed: optReduction | optBatchMean | optLogTarget, defaults: config{reduction: ReductionMean}},
		"logsumexp":   {allowed: optAxis, defaults: config{axis: -1}},
		"softmax":     {allowed: optAxis, defaults: config{axis: -1}},
		"log_softmax": {allowed: optAxis, defaults: config{axis: -1}},
	}
	for _, fn := range []string{"sigmoid", "log_sigmoid", "softplus"} {
		m[fn] = fnOptions{}
	}
	return m
}()

// configure applies opts for function fn and checks every option on its own, before any tensor is
// looked at (the first step of the spec's error precedence, D1): options fn does not take, enum
// values, and the domains of the scalar parameters, which are rounded to T first (a parameter has
// the dtype of the inputs).
func configure[T Float](fn string, opts []Option) (config, error) {
	f, ok := functionOptions[fn]
	if !ok {
		return config{}, newError(ErrInvalidArgument, fn, "not a function of the specification")
	}
	c, err := newConfig(fn, f.allowed, f.defaults, opts)
	if err != nil {
		return c, err
	}
	c.epsilon, c.labelSmoothing = roundParam[T](c.epsilon), roundParam[T](c.labelSmoothing)
	c.gamma, c.alpha = roundParam[T](c.gamma), roundParam[T](c.alpha)
	c.gradOut, c.bias = roundParams[T](c.gradOut), roundParams[T](c.bias)
	c.roundParamsTo16()
	c.roundLargeModel(roundParam[T])
	if c.paramRound != nil {
		c.roundLargeModel(c.paramRound)
	}
	if f.allowed&optEpsilon != 0 {
		if e := c.epsilon; !(e >= 0 && e <= f.epsHigh) || (f.epsOpen && e == f.epsHigh) {
			interval := fmt.Sprintf("[0, %v]", f.epsHigh)
			if f.epsOpen {
				interval = fmt.Sprintf("[0, %v)", f.epsHigh)
			}
			return c, newError(ErrInvalidArgument, fn, "epsilon = %v must be in %s", e, interval)
		}
	}
	if f.allowed&optLabelSmoothing != 0 && !(c.labelSmoothing >= 0 && c.labelSmoothing <= 1) {
		return c, newError(ErrInvalidArgument, fn, "label_smoothing = %v must be in [0, 1]", c.labelSmoothing)
	}
	if f.allowed&optGamma != 0 && (!(c.gamma >= 0) || math.IsInf(c.gamma, 0)) {
		return c, newError(ErrInvalidArgument, fn, "gamma = %v must be finite and >= 0", c.gamma)
	}
	if f.allowed&optLogitScale != 0 {
		if err := c.checkLargeModel(fn); err != nil {
			return c, err
		}
	}
	if f.allowed&optEmptyMean != 0 && c.emptyMean != EmptyMeanNaN && c.emptyMean != EmptyMeanZero {
		return c, newError(ErrInvalidArgument, fn, "unknown empty_mean %q (want nan or zero)", string(c.emptyMean))
	}
	if f.allowed&optResult != 0 && c.result != ResultLoss && c.result != ResultZLoss && c.result != ResultLSE {
		return c, newError(ErrInvalidArgument, fn, "unknown result %q (want loss, z_loss or lse)", string(c.result))
	}
	if f.allowed&optWrt != 0 && c.wrt != WrtHidden && c.wrt != WrtLinearWeight && c.wrt != WrtLinearBias {
		return c, newError(ErrInvalidArgument, fn, "unknown wrt %q (want hidden, linear_weight or linear_bias)", string(c.wrt))
	}
	if f.allowed&optAlpha != 0 && c.alphaOn && !(c.alpha >= 0 && c.alpha <= 1) {
		return c, newError(ErrInvalidArgument, fn, "alpha = %v must be in [0, 1] (use WithoutAlpha to disable the weighting)", c.alpha)
	}
	return c, nil
}

// roundLargeModel rounds the large-model parameters to the dtype (T, then the 16-bit format of
// WithDtype, as roundParamsTo16 does for the others).
func (c *config) roundLargeModel(round func(float64) float64) {
	c.logitScale, c.softcap, c.zLoss = round(c.logitScale), round(c.softcap), round(c.zLoss)
}

// checkLargeModel checks logit_scale, softcap, z_loss and empty_mean on their own (step 1).
func (c *config) checkLargeModel(fn string) error {
	switch {
	case !(c.logitScale > 0) || math.IsInf(c.logitScale, 0):
		return newError(ErrInvalidArgument, fn, "logit_scale = %v must be finite and > 0", c.logitScale)
	case c.capOn && (!(c.softcap > 0) || math.IsInf(c.softcap, 0)):
		return newError(ErrInvalidArgument, fn, "softcap = %v must be finite and > 0 (use WithoutSoftcap for no cap)", c.softcap)
	case !(c.zLoss >= 0) || math.IsInf(c.zLoss, 0):
		return newError(ErrInvalidArgument, fn, "z_loss = %v must be finite and >= 0", c.zLoss)
	}
	return nil
}

// CheckOptions returns the error that the function named fn (its name in the specification, such
// as "softmax_cross_entropy" or "binary_cross_entropy_with_logits_grad") reports for opts on
// element type T before it looks at any tensor: an option it does not take, an unknown enum value,
// or a scalar parameter outside its domain, all ErrInvalidArgument. A caller that checks ranks
// itself (the conformance adapter, for inputs passed as slices) calls it first to keep the spec's
// error precedence: parameters are checked before shapes.
func CheckOptions[T Float](fn string, opts ...Option) error {
	_, err := configure[T](fn, opts)
	return err
}

// checkNonNegFinite checks a weight-like vector: finite and >= 0.
func checkNonNegFinite(fn, name string, w []float64) error {
	for i, v := range w {
		if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
			return newError(ErrInvalidArgument, fn, "%s[%d] = %v must be finite and >= 0", name, i, v)
		}
	}
	return nil
}

// checkProbs checks that every value is in [0, 1] (NaN fails).
func checkProbs[T Float](fn, name string, x []T, shape []int) error {
	for i, v := range x {
		if !(v >= 0 && v <= 1) {
			return newError(ErrInvalidProbability, fn, "%s%s = %v is not in [0, 1]", name, indexString(i, shape), float64(v))
		}
	}
	return nil
}

// indexString formats the multi-index of flat index i in shape, e.g. "[1, 2]".
func indexString(i int, shape []int) string {
	if len(shape) <= 1 {
		return fmt.Sprintf("[%d]", i)
	}
	idx := make([]int, len(shape))
	for d := len(shape) - 1; d >= 0; d-- {
		if shape[d] > 0 {
			idx[d] = i % shape[d]
			i /= shape[d]
		}
	}
	parts := make([]string, len(idx))
	for d, v := range idx {
		parts[d] = fmt.Sprint(v)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}
