package xent_test

import (
	"math"
	"testing"

	xent "github.com/xent-conformance/xent/go"
)

// The decisions D2-D5 of the specification (specVersion 2), for both element types. The expected
// values are exact by definition (0, NaN, +inf, or the same loss computed without the ignored or
// zero-coefficient term), not numbers from an implementation.

var inf, nan = math.Inf(1), math.NaN()

// sameFloat compares two values exactly, NaN equal to NaN (and +0 to -0).
func sameFloat(a, b float64) bool { return a == b || (math.IsNaN(a) && math.IsNaN(b)) }

func runBoth(t *testing.T, name string, f func(t *testing.T, f32 bool)) {
	t.Run(name+"/float64", func(t *testing.T) { f(t, false) })
	t.Run(name+"/float32", func(t *testing.T) { f(t, true) })
}

// sce runs softmax_cross_entropy (or its gradient) in float64 or float32 and returns the result as
// float64 values.
func sce(t *testing.T, f32, grad bool, logits []float64, shape []int, target []int, opts ...xent.Option) []float64 {
	t.Helper()
	tt := xent.NewTensor(target)
	var out []float64
	var err error
	if f32 {
		l := make([]float32, len(logits))
		for i, v := range logits {
			l[i] = float32(v)
		}
		var r xent.Tensor[float32]
		if grad {
			r, err = xent.SoftmaxCrossEntropyGrad(xent.NewTensor(l, shape...), tt, opts...)
		} else {
			r, err = xent.SoftmaxCrossEntropy(xent.NewTensor(l, shape...), tt, opts...)
		}
		for _, v := range r.Data {
			out = append(out, float64(v))
		}
	} else {
		var r xent.Tensor[float64]
		if grad {
			r, err = xent.SoftmaxCrossEntropyGrad(xent.NewTensor(logits, shape...), tt, opts...)
		} else {
			r, err = xent.SoftmaxCrossEntropy(xent.NewTensor(logits, shape...), tt, opts...)
		}
		out = r.Data
	}
	if err != nil {
		t.Fatalf("unexpected error %v", err)
	}
	return out
}

// D2: a position whose target is ignore_index contributes nothing, whatever its logits hold; NaN
// at a position that is not ignored still propagates.
func TestIgnoredPositionsWithNonFiniteLogits(t *testing.T) {
	for _, bad := range [][]float64{{nan, 0}, {inf, inf}, {-inf, -inf}, {nan, inf}} {
		logits := []float64{1, 2, bad[0], bad[1], 0.5, -1}
		clean := []float64{1, 2, 0, 0, 0.5, -1} // the same with ordinary logits at the ignored row
		runBoth(t, "ignored", func(t *testing.T, f32 bool) {
			target := []int{1, -100, 0}
			none := sce(t, f32, false, logits, []int{3, 2}, target, xent.WithReduction(xent.ReductionNone))
			if none[1] != 0 || !sameFloat(none[0], sce(t, f32, false, clean, []int{3, 2}, target, xent.WithReduction(xent.ReductionNone))[0]) {
				t.Fatalf("logits %v: none = %v, want 0 at the ignored position", bad, none)
			}
			for _, red := range []xent.Reduction{xent.ReductionSum, xent.ReductionMean} {
				got := sce(t, f32, false, logits, []int{3, 2}, target, xent.WithReduction(red))
				want := sce(t, f32, false, clean, []int{3, 2}, target, xent.WithReduction(red))
				if !sameFloat(got[0], want[0]) || math.IsNaN(got[0]) {
					t.Fatalf("logits %v, %s: %v, want %v (the ignored row left out)", bad, red, got, want)
				}
			}
			g := sce(t, f32, true, logits, []int{3, 2}, target, xent.WithReduction(xent.ReductionSum))
			if g[2] != 0 || g[3] != 0 || math.IsNaN(g[0]) || math.IsNaN(g[4]) {
				t.Fatalf("logits %v: gradient %v, want a zero row at the ignored position", bad, g)
			}
		})
	}
	runBoth(t, "not ignored", func(t *testing.T, f32 bool) {
		got := sce(t, f32, false, []float64{nan, 0, 1, 2}, []int{2, 2}, []int{1, 0}, xent.WithReduction(xent.ReductionNone))
		if !math.IsNaN(got[0]) || math.IsNaN(got[1]) {
			t.Fatalf("NaN in a counted position: %v, want [NaN, finite]", got)
		}
	})
}

// D3: the gradient of a mean whose denominator is 0 is NaN everywhere, ignored positions included;
// an empty tensor stays empty; the sum's gradient is unaffected.
func TestGradientOfMeanWithZeroDenominator(t *testing.T) {
	logits := []float64{1, 2, 3, 4}
	runBoth(t, "zero denominator", func(t *testing.T, f32 bool) {
		for name, c := range map[string]struct {
			target []int
			opts   []xent.Option
		}{
			"all ignored":      {[]int{-100, -100}, nil},
			"zero weights":     {[]int{0, 0}, []xent.Option{xent.WithWeight([]float64{0, 1})}},
			"ignored and zero": {[]int{-100, 0}, []xent.Option{xent.WithWeight([]float64{0, 1})}},
		} {
			g := sce(t, f32, true, logits, []int{2, 2}, c.target, c.opts...)
			for i, v := range g {
				if !math.IsNaN(v) {
					t.Fatalf("%s: gradient[%d] = %v, want NaN everywhere: %v", name, i, v, g)
				}
			}
			s := sce(t, f32, true, logits, []int{2, 2}, c.target, append(c.opts, xent.WithReduction(xent.ReductionSum))...)
			for _, v := range s {
				if math.IsNaN(v) {
					t.Fatalf("%s: the sum's gradient %v holds NaN", name, s)
				}
			}
		}
		if g := sce(t, f32, true, nil, []int{0, 3}, []int{}); len(g) != 0 {
			t.Fatalf("N = 0: gradient %v, want empty", g)
		}
	})
}

// D4: a zero coefficient times an infinite term contributes exactly 0; NaN is never masked.
func TestZeroCoefficientTimesInfinity(t *testing.T) {
	none := xent.WithReduction(xent.ReductionNone)
	z := T64([]float64{-inf, inf, -inf, nan})
	y := T64([]float64{1, 0, 1, 1})
	check := func(name string, got xent.Tensor[float64], err error, want ...float64) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for i, w := range want {
			if !sameFloat(got.Data[i], w) {
				t.Errorf("%s: %v, want %v", name, got.Data, want)
				return
			}
		}
	}
	l, err := xent.BCEWithLogits(z, y, none, xent.WithWeight([]float64{0, 0, 1, 0}))
	check("bce-logits weight 0", l, err, 0, 0, inf, nan)
	l, err = xent.BCEWithLogits(z, y, none, xent.WithPosWeight([]float64{0, 1, 1, 0}))
	check("bce-logits pos_weight 0", l, err, 0, inf, inf, nan)
	l, err = xent.BCEWithLogits(z, y, xent.WithWeight([]float64{0, 0, 0, 0}), xent.WithReduction(xent.ReductionSum))
	check("bce-logits weight 0 never masks NaN", l, err, nan)
	l, err = xent.BCEWithLogits(T64([]float64{-inf, inf}), T64([]float64{1, 0}), xent.WithWeight([]float64{0, 0}), xent.WithReduction(xent.ReductionSum))
	check("bce-logits zero weights, infinite terms", l, err, 0)
	g, err := xent.BCEWithLogitsGrad(z, y, none, xent.WithWeight([]float64{0, 0, 1, 0}))
	check("bce-logits grad weight 0", g, err, 0, 0, -1, nan)

	// sigmoid focal: alpha y + (1 - alpha)(1 - y) = 0 for alpha = 0, y = 1 and alpha = 1, y = 0
	l, err = xent.SigmoidFocalLoss(T64([]float64{-inf, nan}), T64([]float64{1, 1}), xent.WithAlpha(0))
	check("sigmoid focal alpha factor 0", l, err, 0, nan)
	l, err = xent.SigmoidFocalLoss(T64([]float64{inf}), T64([]float64{0}), xent.WithAlpha(1))
	check("sigmoid focal alpha factor 0 (y = 0)", l, err, 0)
	l, err = xent.SigmoidFocalLoss(T64([]float64{inf}), T64([]float64{0}), xent.WithAlpha(0.5))
	check("sigmoid focal alpha factor 1/2", l, err, inf)

	// focal loss: alpha_y = 0 with a -inf target logit
	logits := T64([]float64{-inf, 0, -inf, 0}, 2, 2)
	l, err = xent.FocalLoss(logits, []int{0, 0}, none, xent.WithClassAlpha([]float64{0, 1}), xent.WithGamma(0))
	check("focal alpha_y 0", l, err, 0, 0)
	l, err = xent.FocalLoss(logits, []int{0, 0}, none, xent.WithClassAlpha([]float64{1, 0}), xent.WithGamma(0))
	check("focal alpha_y 1", l, err, inf, inf)

	// softmax cross-entropy: a zero weight or a zero smoothed mass on a -inf logit
	r, err := xent.SoftmaxCrossEntropy(T64([]float64{-inf, 0, 1}, 1, 3), xent.NewTensor([]int{0}), none, xent.WithWeight([]float64{0, 1, 1}))
	check("sce weight 0 on the -inf target", r, err, 0)
	r, err = xent.SoftmaxCrossEntropy(T64([]float64{-inf, 0, 0}, 1, 3), xent.NewTensor([]int{1}), none, xent.WithLabelSmoothing(0.5),
		xent.WithSmoothingMode(xent.SmoothOffTarget), xent.WithWeight([]float64{0, 1, 1}))
	if want := 0.75 * math.Ln2; err != nil || math.Abs(r.Data[0]-want) > 4*u64*want {
		t.Errorf("sce off_target mass with weight 0: %v %v, want 0.75 ln 2", r.Data, err)
	}
	r, err = xent.SoftmaxCrossEntropyProbs(T64([]float64{-inf, 0}, 1, 2), T64([]float64{0, 1}, 1, 2), none)
	check("sce probability target 0 on -inf", r, err, 0)
}

// D5: nll_from_probs validates every probability, not only the target's.
func TestNLLFromProbsValidatesEveryProbability(t *testing.T) {
	for _, p := range [][]float64{{0.5, 1.5}, {0.5, nan}, {0.5, -0.25}, {0.5, inf}} {
		if _, err := xent.NLLFromProbs(T64(p, 1, 2), []int{0}); xent.ErrorKind(err) != "invalid_probability" {
			t.Errorf("probs %v, target 0: got %v, want invalid_probability", p, err)
		}
		p32 := []float32{float32(p[0]), float32(p[1])}
		if _, err := xent.NLLFromProbs(xent.NewTensor(p32, 1, 2), []int{0}); xent.ErrorKind(err) != "invalid_probability" {
			t.Errorf("float32 probs %v, target 0: got %v, want invalid_probability", p, err)
		}
	}
}
