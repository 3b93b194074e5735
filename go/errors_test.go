package xent_test

import (
	"errors"
	"math"
	"strings"
	"testing"

	xent "github.com/xent-conformance/xent/go"
)

// Each spec error kind is reported with errors.Is against its sentinel and a message naming the
// argument; no function panics on bad input.

func T64(data []float64, shape ...int) xent.Tensor[float64] { return xent.NewTensor(data, shape...) }

func TestErrorKinds(t *testing.T) {
	nan := math.NaN()
	logits := T64([]float64{1, 2, 3, 4}, 2, 2)
	cases := []struct {
		name    string
		want    error
		mention string
		run     func() error
	}{
		{"logsumexp empty", xent.ErrInvalidShape, "x", func() error { _, err := xent.LogSumExp([]float64{}); return err }},
		{"log_softmax empty", xent.ErrInvalidShape, "x", func() error { _, err := xent.LogSoftmax([]float32(nil)); return err }},
		{"entropy empty", xent.ErrInvalidShape, "p", func() error { _, err := xent.Entropy([]float64{}); return err }},
		{"entropy negative", xent.ErrInvalidProbability, "p[1]", func() error { _, err := xent.Entropy([]float64{0.5, -0.5}); return err }},
		{"entropy NaN", xent.ErrInvalidProbability, "p[0]", func() error { _, err := xent.Entropy([]float64{nan}); return err }},
		{"entropy base", xent.ErrInvalidArgument, "base", func() error { _, err := xent.Entropy([]float64{1}, xent.WithBase("10")); return err }},
		{"cross_entropy lengths", xent.ErrShapeMismatch, "length", func() error { _, err := xent.CrossEntropy([]float64{1}, []float64{0.5, 0.5}); return err }},
		{"cross_entropy epsilon", xent.ErrInvalidArgument, "epsilon", func() error {
			_, err := xent.CrossEntropy([]float64{1}, []float64{1}, xent.WithEpsilon(2))
			return err
		}},
		{"kl q > 1", xent.ErrInvalidProbability, "q[0]", func() error { _, err := xent.KLDivergence([]float64{1}, []float64{1.5}); return err }},
		{"nll rank", xent.ErrInvalidShape, "rank 2", func() error { _, err := xent.NLLFromProbs(T64([]float64{1}), []int{0}); return err }},
		{"nll zero classes", xent.ErrInvalidShape, "classes", func() error { _, err := xent.NLLFromProbs(T64(nil, 0, 0), []int{}); return err }},
		{"nll target length", xent.ErrShapeMismatch, "target", func() error { _, err := xent.NLLFromProbs(logits, []int{0}); return err }},
		{"nll index", xent.ErrIndexOutOfRange, "target[1] = 2", func() error {
			_, err := xent.NLLFromProbs(T64([]float64{0.5, 0.5, 0.5, 0.5}, 2, 2), []int{0, 2})
			return err
		}},
		{"nll reduction", xent.ErrInvalidArgument, "reduction", func() error {
			_, err := xent.NLLFromProbs(T64([]float64{1}, 1, 1), []int{0}, xent.WithReduction("avg"))
			return err
		}},
		{"cce shapes", xent.ErrShapeMismatch, "shape", func() error {
			_, err := xent.CategoricalCrossEntropy(T64([]float64{1, 0}, 1, 2), T64([]float64{1, 0}, 2, 1))
			return err
		}},
		{"bce epsilon", xent.ErrInvalidArgument, "epsilon", func() error {
			_, err := xent.BinaryCrossEntropy(T64([]float64{1}), T64([]float64{1}), xent.WithEpsilon(0.5))
			return err
		}},
		{"bce data length", xent.ErrInvalidShape, "data", func() error {
			_, err := xent.BinaryCrossEntropy(T64([]float64{1}, 2), T64([]float64{1}, 2))
			return err
		}},
		{"sce rank", xent.ErrInvalidShape, "rank", func() error {
			_, err := xent.SoftmaxCrossEntropy(T64([]float64{1, 2}), xent.NewTensor([]int{0}))
			return err
		}},
		{"sce target shape", xent.ErrShapeMismatch, "target", func() error {
			_, err := xent.SoftmaxCrossEntropy(logits, xent.NewTensor([]int{0, 1}, 1, 2))
			return err
		}},
		{"sce weight shape", xent.ErrShapeMismatch, "weight", func() error {
			_, err := xent.SoftmaxCrossEntropy(logits, xent.NewTensor([]int{0, 1}), xent.WithWeight([]float64{1, 1, 1}))
			return err
		}},
		{"sce negative weight", xent.ErrInvalidArgument, "weight[1]", func() error {
			_, err := xent.SoftmaxCrossEntropy(logits, xent.NewTensor([]int{0, 1}), xent.WithWeight([]float64{1, -1}))
			return err
		}},
		{"sce index", xent.ErrIndexOutOfRange, "target[1] = 5", func() error {
			_, err := xent.SoftmaxCrossEntropy(logits, xent.NewTensor([]int{0, 5}))
			return err
		}},
		{"sce smoothing", xent.ErrInvalidArgument, "label_smoothing", func() error {
			_, err := xent.SoftmaxCrossEntropy(logits, xent.NewTensor([]int{0, 1}), xent.WithLabelSmoothing(-0.1))
			return err
		}},
		{"sce off_target C=1", xent.ErrInvalidArgument, "off_target", func() error {
			_, err := xent.SoftmaxCrossEntropy(T64([]float64{1, 2}, 2, 1), xent.NewTensor([]int{0, 0}),
				xent.WithLabelSmoothing(0.1), xent.WithSmoothingMode(xent.SmoothOffTarget))
			return err
		}},
		{"sce probability target", xent.ErrInvalidProbability, "target", func() error {
			_, err := xent.SoftmaxCrossEntropyProbs(logits, T64([]float64{1, 0, 2, 0}, 2, 2))
			return err
		}},
		{"bcel rank 0", xent.ErrInvalidShape, "rank", func() error {
			_, err := xent.BCEWithLogits(xent.Scalar(1.0), xent.Scalar(1.0))
			return err
		}},
		{"bcel pos_weight shape", xent.ErrShapeMismatch, "pos_weight", func() error {
			_, err := xent.BCEWithLogits(logits, T64([]float64{0, 1, 0, 1}, 2, 2), xent.WithPosWeight([]float64{1, 2, 3}))
			return err
		}},
		{"bcel target", xent.ErrInvalidProbability, "y[1, 0]", func() error {
			_, err := xent.BCEWithLogits(logits, T64([]float64{0, 1, nan, 1}, 2, 2))
			return err
		}},
		{"focal gamma", xent.ErrInvalidArgument, "gamma", func() error {
			_, err := xent.FocalLoss(logits, []int{0, 1}, xent.WithGamma(-1))
			return err
		}},
		{"focal alpha shape", xent.ErrShapeMismatch, "alpha", func() error {
			_, err := xent.FocalLoss(logits, []int{0, 1}, xent.WithClassAlpha([]float64{1}))
			return err
		}},
		{"sigmoid focal alpha -1", xent.ErrInvalidArgument, "alpha", func() error {
			_, err := xent.SigmoidFocalLoss(logits, T64([]float64{0, 1, 0, 1}, 2, 2), xent.WithAlpha(-1))
			return err
		}},
		{"sigmoid_mse_grad shape", xent.ErrShapeMismatch, "shape", func() error {
			_, err := xent.SigmoidMSEGrad(logits, T64([]float64{0, 1}))
			return err
		}},
		{"option not taken", xent.ErrInvalidArgument, "WithEpsilon", func() error {
			_, err := xent.KLDivergence([]float64{1}, []float64{1}, xent.WithEpsilon(0.1))
			return err
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.run()
			if !errors.Is(err, c.want) {
				t.Fatalf("got %v, want an error wrapping %v", err, c.want)
			}
			if xent.ErrorKind(err) != c.want.Error() {
				t.Fatalf("ErrorKind = %q, want %q", xent.ErrorKind(err), c.want.Error())
			}
			if !strings.Contains(err.Error(), c.mention) {
				t.Fatalf("message %q does not mention %q", err.Error(), c.mention)
			}
		})
	}
}

// The seed entry points keep their simple contracts.
func TestSeedContracts(t *testing.T) {
	if got := xent.Softmax(nil); got == nil || len(got) != 0 {
		t.Fatalf("Softmax(nil) = %#v, want an empty non-nil slice", got)
	}
	for _, idx := range []int{-1, 3} {
		if got := xent.CrossEntropyLoss([]float64{0.2, 0.3, 0.5}, idx); !math.IsNaN(got) {
			t.Fatalf("CrossEntropyLoss(index %d) = %v, want NaN", idx, got)
		}
	}
	if got := xent.CrossEntropyLoss([]float64{1.5}, 0); !math.IsNaN(got) {
		t.Fatalf("CrossEntropyLoss(p = 1.5) = %v, want NaN", got)
	}
	// The clamp: -log(max(0, 1e-15)) equals -log(1e-15) computed by the same function.
	if a, b := xent.CrossEntropyLoss([]float64{0}, 0), xent.CrossEntropyLoss([]float64{1e-15}, 0); a != b || a <= 0 {
		t.Fatalf("clamp: %v vs %v", a, b)
	}
	if got := xent.CrossEntropyLoss([]float64{1}, 0); got != 0 {
		t.Fatalf("CrossEntropyLoss([1], 0) = %v, want exactly 0", got)
	}
}

// Special values that the spec defines exactly.
func TestSpecialValues(t *testing.T) {
	inf, nan := math.Inf(1), math.NaN()
	sm := xent.Softmax([]float64{0, inf, -inf, 5})
	if sm[0] != 0 || sm[1] != 1 || sm[2] != 0 || sm[3] != 0 {
		t.Errorf("softmax with one +inf = %v, want onehot(1)", sm)
	}
	for _, x := range [][]float64{{inf, inf}, {-inf, -inf}, {0, nan}} {
		for j, v := range xent.Softmax(x) {
			if !math.IsNaN(v) {
				t.Errorf("softmax(%v)[%d] = %v, want NaN", x, j, v)
			}
		}
	}
	if sm := xent.Softmax([]float64{-inf, 3}); sm[0] != 0 || sm[1] != 1 {
		t.Errorf("softmax([-inf, 3]) = %v, want [0, 1]", sm)
	}
	lp, _ := xent.LogSoftmax([]float64{1, inf, -inf})
	if !math.IsInf(lp[0], -1) || lp[1] != 0 || !math.IsInf(lp[2], -1) {
		t.Errorf("log_softmax with one +inf = %v", lp)
	}
	if v, _ := xent.LogSumExp([]float64{-inf, -inf}); !math.IsInf(v, -1) {
		t.Errorf("logsumexp(all -inf) = %v", v)
	}
	if v, _ := xent.LogSumExp([]float64{inf, nan}); !math.IsNaN(v) {
		t.Errorf("logsumexp([inf, nan]) = %v, want NaN", v)
	}
	if v, _ := xent.LogSumExp([]float64{inf, -inf}); !math.IsInf(v, 1) {
		t.Errorf("logsumexp([inf, -inf]) = %v", v)
	}
	if xent.Sigmoid(inf) != 1 || xent.Sigmoid(-inf) != 0 || xent.Softplus(-inf) != 0 ||
		!math.IsInf(xent.Softplus(inf), 1) || xent.LogSigmoid(inf) != 0 || !math.IsInf(xent.LogSigmoid(-inf), -1) {
		t.Error("elementwise limits are wrong")
	}
	if v, _ := xent.Entropy([]float64{0, 1, 0}); v != 0 {
		t.Errorf("entropy(one-hot) = %v, want 0", v)
	}
	p := []float64{0.1, 0.2, 0.7}
	if v, _ := xent.KLDivergence(p, p); v != 0 {
		t.Errorf("KL(p || p) = %v, want 0", v)
	}
	if v, _ := xent.CrossEntropy([]float64{0.5, 0.5}, []float64{1, 0}); !math.IsInf(v, 1) {
		t.Errorf("cross_entropy with q_i = 0 < p_i: %v, want +inf", v)
	}
	if v, _ := xent.CrossEntropy([]float64{1, 0}, []float64{1, 0}); v != 0 {
		t.Errorf("cross_entropy([1,0],[1,0]) = %v, want 0", v)
	}
	// BCE with logits limits.
	z := T64([]float64{inf, inf, -inf, -inf})
	y := T64([]float64{1, 0, 0, 1})
	l, _ := xent.BCEWithLogits(z, y, xent.WithReduction(xent.ReductionNone))
	if l.Data[0] != 0 || !math.IsInf(l.Data[1], 1) || l.Data[2] != 0 || !math.IsInf(l.Data[3], 1) {
		t.Errorf("bce_with_logits limits = %v", l.Data)
	}
	// Softmax CE: all ignored gives NaN mean, 0 sum.
	logits := T64([]float64{1, 2, 3, 4}, 2, 2)
	all := xent.NewTensor([]int{-100, -100})
	if m, _ := xent.SoftmaxCrossEntropy(logits, all); !math.IsNaN(m.Data[0]) {
		t.Errorf("all ignored mean = %v, want NaN", m.Data)
	}
	if s, _ := xent.SoftmaxCrossEntropy(logits, all, xent.WithReduction(xent.ReductionSum)); s.Data[0] != 0 {
		t.Errorf("all ignored sum = %v, want 0", s.Data)
	}
	if g, _ := xent.SoftmaxCrossEntropyGrad(logits, all); !math.IsNaN(g.Data[0]) || !math.IsNaN(g.Data[3]) {
		t.Errorf("all ignored mean gradient = %v, want NaN", g.Data)
	}
	// Empty inputs: mean NaN, sum 0, none empty.
	e := T64([]float64{}, 0, 3)
	if m, _ := xent.NLLFromProbs(e, []int{}); !math.IsNaN(m.Data[0]) {
		t.Errorf("empty mean = %v", m.Data)
	}
	if s, _ := xent.NLLFromProbs(e, []int{}, xent.WithReduction(xent.ReductionSum)); s.Data[0] != 0 {
		t.Errorf("empty sum = %v", s.Data)
	}
	if n, _ := xent.NLLFromProbs(e, []int{}, xent.WithReduction(xent.ReductionNone)); len(n.Data) != 0 || n.Shape[0] != 0 {
		t.Errorf("empty none = %v %v", n.Shape, n.Data)
	}
	// Focal loss: gamma = 0 and 0^0 = 1 with a certain prediction.
	fl, _ := xent.FocalLoss(T64([]float64{inf, 0}, 1, 2), []int{0}, xent.WithGamma(0))
	if fl.Data[0] != 0 {
		t.Errorf("focal loss of a certain correct prediction = %v, want 0", fl.Data)
	}
}

// Mathematical identities checked within a few ulps (no typed expected values).
func TestIdentities(t *testing.T) {
	x := []float64{2, 1, 0.1, -3, 7.5}
	lse, _ := xent.LogSumExp(x)
	lp, _ := xent.LogSoftmax(x)
	g := xent.Softmax(x)
	for j := range x {
		if d := math.Abs(lp[j] - (x[j] - lse)); d > 8*u64*math.Max(math.Abs(x[j]), lse) {
			t.Errorf("log_softmax[%d] = %v, x - lse = %v", j, lp[j], x[j]-lse)
		}
		if d := math.Abs(g[j] - math.Exp(lp[j])); d > 4*u64*g[j] {
			t.Errorf("softmax[%d] = %v, exp(log_softmax) = %v", j, g[j], math.Exp(lp[j]))
		}
	}
	// H(p, q) = H(p) + KL(p || q).
	p := []float64{0.1, 0.2, 0.3, 0.4}
	q := []float64{0.25, 0.25, 0.4, 0.1}
	h, _ := xent.Entropy(p)
	kl, _ := xent.KLDivergence(p, q)
	ce, _ := xent.CrossEntropy(p, q)
	if d := math.Abs(ce - (h + kl)); d > 8*u64*ce {
		t.Errorf("H(p,q) = %v, H(p) + KL = %v", ce, h+kl)
	}
	ce2, _ := xent.CrossEntropy(p, q, xent.WithBase(xent.Base2))
	if d := math.Abs(ce2*math.Ln2 - ce); d > 8*u64*ce {
		t.Errorf("bits %v * ln2 != nats %v", ce2, ce)
	}
	// Softmax CE from logits equals NLL of the softmax probabilities, and its gradient is g - onehot.
	logits := T64(x, 1, 5)
	l, _ := xent.SoftmaxCrossEntropy(logits, xent.NewTensor([]int{3}))
	if d := math.Abs(l.Data[0] - (-lp[3])); d > 4*u64*l.Data[0] {
		t.Errorf("softmax CE %v vs -log_softmax %v", l.Data[0], -lp[3])
	}
	gr, _ := xent.SoftmaxCrossEntropyGrad(logits, xent.NewTensor([]int{3}))
	for j := range x {
		want := g[j]
		if j == 3 {
			want -= 1
		}
		if d := math.Abs(gr.Data[j] - want); d > 4*u64 {
			t.Errorf("grad[%d] = %v, want %v", j, gr.Data[j], want)
		}
	}
	// float32 results are the float64 results rounded once.
	g32, _ := xent.SoftmaxChecked([]float32{2, 1, 0.1})
	g64 := xent.Softmax([]float64{2, 1, float64(float32(0.1))})
	for j := range g32 {
		if g32[j] != float32(g64[j]) {
			t.Errorf("float32 softmax[%d] = %v, float64 rounded = %v", j, g32[j], float32(g64[j]))
		}
	}
}

// When several error kinds apply, the first step of the spec's precedence that fails decides (D1):
// options on their own, then ranks / C = 0 / empty vectors, then shape mismatches, then values of
// tensor parameters and shape-dependent argument rules, then indices, then probabilities. Each case
// below has two faults of different kinds; the comment names the one that must win.
func TestErrorPrecedence(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	rank9 := T64([]float64{0}, 1, 1, 1, 1, 1, 1, 1, 1, 1)
	rank9y := T64([]float64{1}, 1, 1, 1, 1, 1, 1, 1, 1, 1)
	z23 := T64([]float64{0, 1, 2, 0, 1, 2}, 2, 3)
	y23 := T64([]float64{0, 1, 0.5, 0, 1, 0.5}, 2, 3)
	logits13 := T64([]float64{0, 1, 2}, 1, 3)
	zeroClasses := T64([]float64{}, 2, 0)
	idx := func(v ...int) xent.Tensor[int] { return xent.NewTensor(v) }
	cases := []struct {
		name string
		want error
		run  func() error
	}{
		// step 1 before step 2
		{"sce label_smoothing before rank", xent.ErrInvalidArgument, func() error {
			_, err := xent.SoftmaxCrossEntropy(T64([]float64{0, 1, 2}), xent.Scalar(0), xent.WithLabelSmoothing(2))
			return err
		}},
		{"sce NaN label_smoothing before C = 0", xent.ErrInvalidArgument, func() error {
			_, err := xent.SoftmaxCrossEntropyGrad(zeroClasses, idx(9, 9, 9), xent.WithLabelSmoothing(nan))
			return err
		}},
		{"focal gamma before C = 0", xent.ErrInvalidArgument, func() error {
			_, err := xent.FocalLoss(T64([]float64{}, 1, 0), []int{4}, xent.WithGamma(-1))
			return err
		}},
		{"sigmoid focal alpha before rank 9", xent.ErrInvalidArgument, func() error {
			_, err := xent.SigmoidFocalLoss(rank9, rank9y, xent.WithAlpha(2))
			return err
		}},
		{"nll epsilon before rank", xent.ErrInvalidArgument, func() error {
			_, err := xent.NLLFromProbs(T64([]float64{1}), []int{0}, xent.WithEpsilon(-1))
			return err
		}},
		{"entropy base before empty", xent.ErrInvalidArgument, func() error {
			_, err := xent.Entropy([]float64{}, xent.WithBase("10"))
			return err
		}},
		// step 1 before step 3
		{"cross_entropy epsilon before mismatch", xent.ErrInvalidArgument, func() error {
			_, err := xent.CrossEntropy([]float64{1.5, 0}, []float64{1}, xent.WithEpsilon(2))
			return err
		}},
		{"bce epsilon before mismatch", xent.ErrInvalidArgument, func() error {
			_, err := xent.BinaryCrossEntropy(T64([]float64{1, 0}), T64([]float64{2}), xent.WithEpsilon(0.5))
			return err
		}},
		// step 2 before step 3
		{"cross_entropy empty p before mismatch", xent.ErrInvalidShape, func() error {
			_, err := xent.CrossEntropy([]float64{}, []float64{1})
			return err
		}},
		{"bce-logits rank 9 before mismatch", xent.ErrInvalidShape, func() error {
			_, err := xent.BCEWithLogits(rank9, T64([]float64{0, 1}))
			return err
		}},
		{"bce-logits y rank 0 before mismatch", xent.ErrInvalidShape, func() error {
			_, err := xent.BCEWithLogits(T64([]float64{0}), xent.Scalar(1.0))
			return err
		}},
		{"sce C = 0 before weight mismatch", xent.ErrInvalidShape, func() error {
			_, err := xent.SoftmaxCrossEntropy(T64([]float64{}, 1, 0), idx(0), xent.WithWeight([]float64{-1}))
			return err
		}},
		// step 2 before step 4
		{"sce C = 0 before index", xent.ErrInvalidShape, func() error {
			_, err := xent.SoftmaxCrossEntropy(zeroClasses, idx(0, 5))
			return err
		}},
		{"nll C = 0 before index", xent.ErrInvalidShape, func() error {
			_, err := xent.NLLFromProbs(T64([]float64{}, 1, 0), []int{0})
			return err
		}},
		// step 3 before step 4
		{"bce-logits weight shape before its NaN", xent.ErrShapeMismatch, func() error {
			_, err := xent.BCEWithLogits(z23, y23, xent.WithWeight([]float64{nan, 1}))
			return err
		}},
		{"bce-logits pos_weight shape before weight value", xent.ErrShapeMismatch, func() error {
			_, err := xent.BCEWithLogitsGrad(z23, y23, xent.WithWeight([]float64{-1, 1, 1}), xent.WithPosWeight([]float64{1, 1}))
			return err
		}},
		{"focal alpha shape [2, 2] for C = 4", xent.ErrShapeMismatch, func() error {
			_, err := xent.FocalLoss(T64([]float64{0, 1, 2, 3}, 1, 4), []int{0}, xent.WithClassAlpha([]float64{1, 1, 1, 1}, 2, 2))
			return err
		}},
		{"focal alpha shape before index", xent.ErrShapeMismatch, func() error {
			_, err := xent.FocalLoss(logits13, []int{5}, xent.WithClassAlpha([]float64{1, 1}))
			return err
		}},
		{"sce weight shape before index", xent.ErrShapeMismatch, func() error {
			_, err := xent.SoftmaxCrossEntropyGrad(logits13, idx(7), xent.WithWeight([]float64{1, 1}))
			return err
		}},
		{"sce target shape before index", xent.ErrShapeMismatch, func() error {
			_, err := xent.SoftmaxCrossEntropy(z23, idx(0, 1, 9))
			return err
		}},
		{"cross_entropy mismatch before probability", xent.ErrShapeMismatch, func() error {
			_, err := xent.CrossEntropy([]float32{1.5, 0}, []float32{0.5, 0.5, 0})
			return err
		}},
		// within step 4: tensor-parameter values and argument rules, then indices, then probabilities
		{"sce weight value before index", xent.ErrInvalidArgument, func() error {
			_, err := xent.SoftmaxCrossEntropy(logits13, idx(7), xent.WithWeight([]float64{-1, 1, 1}))
			return err
		}},
		{"focal alpha value before index", xent.ErrInvalidArgument, func() error {
			_, err := xent.FocalLoss(logits13, []int{9}, xent.WithClassAlpha([]float64{nan, 1, 1}))
			return err
		}},
		{"off_target with C = 1 before index", xent.ErrInvalidArgument, func() error {
			_, err := xent.SoftmaxCrossEntropy(T64([]float64{0}, 1, 1), idx(3),
				xent.WithLabelSmoothing(0.5), xent.WithSmoothingMode(xent.SmoothOffTarget))
			return err
		}},
		{"off_target with C = 1 before probability", xent.ErrInvalidArgument, func() error {
			_, err := xent.SoftmaxCrossEntropyProbsGrad(T64([]float64{0}, 1, 1), T64([]float64{2}, 1, 1),
				xent.WithLabelSmoothing(0.5), xent.WithSmoothingMode(xent.SmoothOffTarget))
			return err
		}},
		{"bce-logits pos_weight value before probability", xent.ErrInvalidArgument, func() error {
			_, err := xent.BCEWithLogitsGrad(T64([]float64{0, 1}, 2, 1), T64([]float64{nan, 0}, 2, 1), xent.WithPosWeight([]float64{inf}))
			return err
		}},
		{"nll index before probability", xent.ErrIndexOutOfRange, func() error {
			_, err := xent.NLLFromProbs(T64([]float64{1.5, 0}, 1, 2), []int{5})
			return err
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := c.run(); xent.ErrorKind(err) != c.want.Error() {
				t.Fatalf("got %v, want %s", err, c.want)
			}
		})
	}
}

// Ranks outside a function's declared range are invalid_shape (D6), for the elementwise functions
// too (rank 0 to 8, or 1 to 8 for BCE with logits and the sigmoid focal loss; 2 to 8 for the
// softmax cross-entropy's logits: issue 19), empty or not.
func TestRankAboveEight(t *testing.T) {
	r6 := func(v float64, shape ...int) xent.Tensor[float64] {
		n := 1
		for _, d := range shape {
			n *= d
		}
		data := make([]float64, n)
		for i := range data {
			data[i] = v
		}
		return T64(data, shape...)
	}
	z, y := r6(0, 1, 1, 1, 1, 2, 1, 1, 1, 1), r6(1, 1, 1, 1, 1, 2, 1, 1, 1, 1)
	empty := r6(0, 1, 1, 0, 1, 1, 1, 1, 1, 1)
	cases := map[string]func() error{
		"binary_cross_entropy":                  func() error { _, err := xent.BinaryCrossEntropy(y, y); return err },
		"binary_cross_entropy empty":            func() error { _, err := xent.BinaryCrossEntropy(empty, empty); return err },
		"sigmoid_mse_grad":                      func() error { _, err := xent.SigmoidMSEGrad(z, y); return err },
		"binary_cross_entropy_with_logits":      func() error { _, err := xent.BCEWithLogits(z, y); return err },
		"binary_cross_entropy_with_logits_grad": func() error { _, err := xent.BCEWithLogitsGrad(z, y); return err },
		"sigmoid_focal_loss":                    func() error { _, err := xent.SigmoidFocalLoss(z, y); return err },
		"softmax_cross_entropy": func() error {
			_, err := xent.SoftmaxCrossEntropy(z, xent.NewTensor([]int{0}, 1, 1, 1, 2, 1, 1, 1, 1))
			return err
		},
	}
	for name, run := range cases {
		t.Run(name, func(t *testing.T) {
			if err := run(); !errors.Is(err, xent.ErrInvalidShape) || !strings.Contains(err.Error(), "rank") {
				t.Fatalf("got %v, want invalid_shape naming the rank", err)
			}
		})
	}
	// rank 8 is accepted
	if _, err := xent.BinaryCrossEntropy(r6(1, 1, 1, 1, 2, 1, 1, 1, 1), r6(1, 1, 1, 1, 2, 1, 1, 1, 1)); err != nil {
		t.Fatalf("rank 8: %v", err)
	}
	logits8 := r6(0, 1, 2, 1, 1, 1, 1, 1, 2)
	if _, err := xent.SoftmaxCrossEntropy(logits8, xent.NewTensor([]int{1, 0}, 1, 1, 1, 1, 1, 1, 2)); err != nil {
		t.Fatalf("softmax_cross_entropy rank 8: %v", err)
	}
}

// CheckOptions reports the options' own errors of a function by its spec name, with scalar
// parameters rounded to the element type first (as the functions do).
func TestCheckOptions(t *testing.T) {
	justAboveOne := 1 + 0x1p-30 // rounds to 1 in float32
	cases := []struct {
		name string
		err  error
		want string
	}{
		{"valid", xent.CheckOptions[float64]("softmax_cross_entropy", xent.WithLabelSmoothing(0.1)), ""},
		{"no options", xent.CheckOptions[float64]("sigmoid"), ""},
		{"label smoothing above 1", xent.CheckOptions[float64]("softmax_cross_entropy_grad", xent.WithLabelSmoothing(justAboveOne)), "invalid_argument"},
		{"rounded to 1 in float32", xent.CheckOptions[float32]("softmax_cross_entropy_grad", xent.WithLabelSmoothing(justAboveOne)), ""},
		{"NaN gamma", xent.CheckOptions[float32]("focal_loss", xent.WithGamma(math.NaN())), "invalid_argument"},
		{"infinite gamma", xent.CheckOptions[float64]("sigmoid_focal_loss", xent.WithGamma(math.Inf(1))), "invalid_argument"},
		{"alpha off ignores its value", xent.CheckOptions[float64]("sigmoid_focal_loss", xent.WithAlpha(5), xent.WithoutAlpha()), ""},
		{"bce epsilon 0.5", xent.CheckOptions[float64]("binary_cross_entropy", xent.WithEpsilon(0.5)), "invalid_argument"},
		{"nll epsilon 1", xent.CheckOptions[float64]("nll_from_probs", xent.WithEpsilon(1)), ""},
		{"option not taken", xent.CheckOptions[float64]("softmax", xent.WithReduction(xent.ReductionSum)), "invalid_argument"},
		{"unknown reduction", xent.CheckOptions[float64]("categorical_cross_entropy", xent.WithReduction("avg")), "invalid_argument"},
		{"unknown function", xent.CheckOptions[float64]("softmax2"), "invalid_argument"},
	}
	for _, c := range cases {
		if got := xent.ErrorKind(c.err); got != c.want {
			t.Errorf("%s: got %v, want kind %q", c.name, c.err, c.want)
		}
	}
}
