package xent_test

import (
	"errors"
	"fmt"
	"math"
	"testing"

	xent "github.com/xent-conformance/xent/go"
)

// NLLLoss follows PyTorch's F.nll_loss: loss = -w_y input[n, y], the mean divided by the sum of
// w_y over the non-ignored positions. The inputs below are chosen so that every expected value is
// exact (small dyadic products and quotients), computed by hand from that definition.

// nllRun runs NLLLoss in float64 or float32 and returns the shape and values widened to float64.
func nllRun(f32 bool, input []float64, shape []int, target []int, tshape []int, opts ...xent.Option) ([]int, []float64, error) {
	tt := xent.NewTensor(target, tshape...)
	if tshape == nil {
		tt = xent.Tensor[int]{Shape: []int{}, Data: target}
	}
	if f32 {
		x := make([]float32, len(input))
		for i, v := range input {
			x[i] = float32(v)
		}
		out, err := xent.NLLLoss(xent.Tensor[float32]{Shape: shape, Data: x}, tt, opts...)
		vals := make([]float64, len(out.Data))
		for i, v := range out.Data {
			vals[i] = float64(v)
		}
		return out.Shape, vals, err
	}
	out, err := xent.NLLLoss(xent.Tensor[float64]{Shape: shape, Data: input}, tt, opts...)
	return out.Shape, out.Data, err
}

func TestNLLLossValues(t *testing.T) {
	logp := []float64{-1, -2, -3, -0.5, -0.25, -4} // [2, 3]
	w := xent.WithWeight([]float64{1, 2, 0.5})
	none, sum := xent.WithReduction(xent.ReductionNone), xent.WithReduction(xent.ReductionSum)
	cases := []struct {
		name   string
		input  []float64
		shape  []int
		target []int
		tshape []int
		opts   []xent.Option
		want   []float64
		wshape []int
	}{
		{"none", logp, []int{2, 3}, []int{0, 2}, []int{2}, []xent.Option{none}, []float64{1, 4}, []int{2}},
		{"sum", logp, []int{2, 3}, []int{0, 2}, []int{2}, []xent.Option{sum}, []float64{5}, []int{}},
		{"mean (default)", logp, []int{2, 3}, []int{0, 2}, []int{2}, nil, []float64{2.5}, []int{}},
		{"weighted none", logp, []int{2, 3}, []int{0, 2}, []int{2}, []xent.Option{w, none}, []float64{1, 2}, []int{2}},
		{"weighted mean divides by sum w_y", logp, []int{2, 3}, []int{0, 2}, []int{2}, []xent.Option{w}, []float64{2}, []int{}},
		{"ignored -100 by default", logp, []int{2, 3}, []int{-100, 1}, []int{2}, []xent.Option{none}, []float64{0, 0.25}, []int{2}},
		{"ignored position out of the mean", logp, []int{2, 3}, []int{-100, 1}, []int{2}, nil, []float64{0.25}, []int{}},
		{"ignore_index set", logp, []int{2, 3}, []int{2, 1}, []int{2}, []xent.Option{xent.WithIgnoreIndex(2)}, []float64{0.25}, []int{}},
		{"all ignored: mean NaN", logp, []int{2, 3}, []int{-100, -100}, []int{2}, nil, []float64{nan}, []int{}},
		{"all ignored: sum 0", logp, []int{2, 3}, []int{-100, -100}, []int{2}, []xent.Option{sum}, []float64{0}, []int{}},
		{"[C] with a scalar target", []float64{-1, -2, -3}, []int{3}, []int{1}, nil, []xent.Option{none}, []float64{2}, []int{}},
		{"[C] mean", []float64{-1, -2, -3}, []int{3}, []int{1}, nil, []xent.Option{w}, []float64{2}, []int{}},
		// [N=1, C=2, d=2]: class c at position r is element c*2 + r
		{"K-dim", []float64{-1, -2, -3, -4}, []int{1, 2, 2}, []int{1, 0}, []int{1, 2}, []xent.Option{none}, []float64{3, 2}, []int{1, 2}},
		{"empty batch: mean NaN", nil, []int{0, 3}, []int{}, []int{0}, nil, []float64{nan}, []int{}},
		{"empty batch: none", nil, []int{0, 3}, []int{}, []int{0}, []xent.Option{none}, []float64{}, []int{0}},
		// log-probabilities are not range-checked: a positive value gives a negative loss
		{"positive input", []float64{0.5, 2}, []int{1, 2}, []int{1}, []int{1}, []xent.Option{none}, []float64{-2}, []int{1}},
	}
	for _, c := range cases {
		runBoth(t, c.name, func(t *testing.T, f32 bool) {
			shape, got, err := nllRun(f32, c.input, c.shape, c.target, c.tshape, c.opts...)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(shape) != fmt.Sprint(c.wshape) || len(got) != len(c.want) {
				t.Fatalf("shape %v %v, want %v %v", shape, got, c.wshape, c.want)
			}
			for i := range got {
				if !sameFloat(got[i], c.want[i]) {
					t.Errorf("[%d] = %v, want %v", i, got[i], c.want[i])
				}
			}
		})
	}
}

// An absent ignore_index (WithoutIgnoreIndex, ONNX without the attribute) ignores nothing: -100 is
// then a class index like any other, out of range here.
func TestNLLLossWithoutIgnoreIndex(t *testing.T) {
	logp := []float64{-1, -2, -3, -0.5, -0.25, -4}
	_, got, err := nllRun(false, logp, []int{2, 3}, []int{0, 2}, []int{2}, xent.WithoutIgnoreIndex())
	if err != nil || got[0] != 2.5 {
		t.Fatalf("got %v, %v; want 2.5", got, err)
	}
	_, _, err = nllRun(false, logp, []int{2, 3}, []int{0, -100}, []int{2}, xent.WithoutIgnoreIndex())
	if !errors.Is(err, xent.ErrIndexOutOfRange) {
		t.Fatalf("target -100 without ignore_index: got %v, want index_out_of_range", err)
	}
	// the last of WithIgnoreIndex / WithoutIgnoreIndex wins
	_, got, err = nllRun(false, logp, []int{2, 3}, []int{0, 2}, []int{2}, xent.WithoutIgnoreIndex(), xent.WithIgnoreIndex(2))
	if err != nil || got[0] != 1 {
		t.Fatalf("WithIgnoreIndex after WithoutIgnoreIndex: got %v, %v; want 1", got, err)
	}
}

// Special values: D2 (an ignored position is 0 whatever its input holds) and D4 (a zero weight
// masks an infinite log-probability, never a NaN).
func TestNLLLossSpecialValues(t *testing.T) {
	none := xent.WithReduction(xent.ReductionNone)
	zeroW := xent.WithWeight([]float64{0, 1})
	cases := []struct {
		name   string
		input  []float64
		target []int
		opts   []xent.Option
		want   []float64
	}{
		{"ignored NaN and -inf", []float64{nan, nan, math.Inf(-1), 0}, []int{-100, -100}, []xent.Option{none}, []float64{0, 0}},
		{"-inf log-probability", []float64{math.Inf(-1), 0, 0, 0}, []int{0, 1}, []xent.Option{none}, []float64{inf, 0}},
		{"zero weight masks -inf", []float64{math.Inf(-1), 0, -1, -1}, []int{0, 1}, []xent.Option{none, zeroW}, []float64{0, 1}},
		{"zero weight keeps NaN", []float64{nan, 0, -1, -1}, []int{0, 1}, []xent.Option{none, zeroW}, []float64{nan, 1}},
		{"NaN in another class", []float64{nan, -1, -1, -1}, []int{1, 1}, []xent.Option{none}, []float64{1, 1}},
		{"+inf and -inf losses sum to NaN", []float64{math.Inf(-1), 0, 0, inf}, []int{0, 1}, []xent.Option{xent.WithReduction(xent.ReductionSum)}, []float64{nan}},
		{"zero total weight", []float64{-1, -1, -1, -1}, []int{0, 0}, []xent.Option{zeroW}, []float64{nan}},
	}
	for _, c := range cases {
		runBoth(t, c.name, func(t *testing.T, f32 bool) {
			_, got, err := nllRun(f32, c.input, []int{2, 2}, c.target, []int{2}, c.opts...)
			if err != nil {
				t.Fatal(err)
			}
			for i := range c.want {
				if !sameFloat(got[i], c.want[i]) {
					t.Errorf("[%d] = %v, want %v", i, got[i], c.want[i])
				}
			}
		})
	}
}

// Each loss is the exact product w_y x rounded once to the dtype; a mean whose sum overflows is
// still formed (extended range).
func TestNLLLossRounding(t *testing.T) {
	x := -(1 + 0x1p-23) // a float32 value; 3 x needs 26 bits
	_, got, err := nllRun(true, []float64{x}, []int{1, 1}, []int{0}, []int{1}, xent.WithWeight([]float64{3}), xent.WithReduction(xent.ReductionNone))
	if err != nil || got[0] != float64(float32(-3*x)) {
		t.Fatalf("float32 3 x: got %v, %v; want %v (the exact product rounded once)", got, err, float32(-3*x))
	}
	big := -math.MaxFloat64
	_, got, err = nllRun(false, []float64{big, big}, []int{2, 1}, []int{0, 0}, []int{2})
	if err != nil || got[0] != math.MaxFloat64 {
		t.Fatalf("mean of two losses at the largest float64: got %v, %v; want MaxFloat64", got, err)
	}
	_, got, err = nllRun(false, []float64{big, big}, []int{2, 1}, []int{0, 0}, []int{2}, xent.WithWeight([]float64{4}))
	if err != nil || got[0] != math.MaxFloat64 {
		t.Fatalf("weighted mean 4 max / 4 (8 max / 8): got %v, %v; want MaxFloat64", got, err)
	}
}

// Errors, each with the kind the specification gives, in its precedence (D1).
func TestNLLLossErrors(t *testing.T) {
	x23 := []float64{-1, -1, -1, -1, -1, -1}
	rank9 := []int{1, 1, 1, 1, 1, 1, 1, 1, 1}
	cases := []struct {
		name   string
		want   error
		input  []float64
		shape  []int
		target []int
		tshape []int
		opts   []xent.Option
	}{
		{"batchmean is kl_div's", xent.ErrInvalidArgument, x23, []int{2, 3}, []int{0, 0}, []int{2}, []xent.Option{xent.WithReduction(xent.ReductionBatchMean)}},
		{"option not taken", xent.ErrInvalidArgument, x23, []int{2, 3}, []int{0, 0}, []int{2}, []xent.Option{xent.WithLabelSmoothing(0.1)}},
		{"reduction before rank", xent.ErrInvalidArgument, []float64{-1}, []int{}, []int{0}, nil, []xent.Option{xent.WithReduction("avg")}},
		{"rank 0", xent.ErrInvalidShape, []float64{-1}, []int{}, []int{0}, nil, nil},
		{"rank 9", xent.ErrInvalidShape, []float64{-1}, rank9, []int{0}, rank9[1:], nil},
		{"C = 0 before target shape", xent.ErrInvalidShape, nil, []int{2, 0}, []int{0}, []int{1}, nil},
		{"target shape", xent.ErrShapeMismatch, x23, []int{2, 3}, []int{0, 0, 0}, []int{3}, nil},
		{"scalar target for [N, C]", xent.ErrShapeMismatch, x23, []int{2, 3}, []int{0}, nil, nil},
		{"weight shape before value", xent.ErrShapeMismatch, x23, []int{2, 3}, []int{0, 0}, []int{2}, []xent.Option{xent.WithWeight([]float64{-1, 1})}},
		{"weight value before index", xent.ErrInvalidArgument, x23, []int{2, 3}, []int{0, 7}, []int{2}, []xent.Option{xent.WithWeight([]float64{nan, 1, 1})}},
		{"index", xent.ErrIndexOutOfRange, x23, []int{2, 3}, []int{0, 3}, []int{2}, nil},
		{"negative index", xent.ErrIndexOutOfRange, x23, []int{2, 3}, []int{-1, 0}, []int{2}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := nllRun(false, c.input, c.shape, c.target, c.tshape, c.opts...)
			if !errors.Is(err, c.want) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
		})
	}
}

// rank 8 (N, C and six spatial dimensions) is accepted.
func TestNLLLossRank8(t *testing.T) {
	shape := []int{1, 2, 1, 1, 1, 1, 1, 2}
	_, got, err := nllRun(false, []float64{-1, -2, -3, -4}, shape, []int{1, 0}, []int{1, 1, 1, 1, 1, 1, 2}, xent.WithReduction(xent.ReductionSum))
	if err != nil || got[0] != 5 {
		t.Fatalf("got %v, %v; want 3 + 2", got, err)
	}
}

// NLLLoss takes log-probabilities, such as LogSoftmaxTensor's along axis 1 (PyTorch:
// F.nll_loss(F.log_softmax(x, 1), y) is F.cross_entropy(x, y)), and picks -w_y input[n, y].
func ExampleNLLLoss() {
	logp := xent.NewTensor([]float64{-0.25, -1.5, -3, -0.5, -2, -1}, 2, 3) // N = 2, C = 3
	target := xent.NewTensor([]int{0, 2})
	loss, _ := xent.NLLLoss(logp, target, xent.WithReduction(xent.ReductionNone))
	fmt.Println(loss.Data)
	mean, _ := xent.NLLLoss(logp, target, xent.WithWeight([]float64{3, 1, 1}))
	v, _ := mean.Item()
	fmt.Println(v) // (3 * 0.25 + 1) / (3 + 1)
	// Output:
	// [0.25 1]
	// 0.4375
}

// WithoutIgnoreIndex applies to every function that takes ignore_index: the softmax cross-entropy
// and its gradient (float64 and the float32 fast path) count a target equal to the former
// ignore_index and reject -100.
func TestSoftmaxCrossEntropyWithoutIgnoreIndex(t *testing.T) {
	logits := []float64{0, 0, 0, 0} // [2, 2]: every position's loss is ln 2, its gradient [1/2, -1/2]
	opts := []xent.Option{xent.WithIgnoreIndex(1), xent.WithoutIgnoreIndex(), xent.WithReduction(xent.ReductionSum)}
	runBoth(t, "loss", func(t *testing.T, f32 bool) {
		got := sce(t, f32, false, logits, []int{2, 2}, []int{0, 1}, opts...)
		if want := 2 * math.Ln2; got[0] != want && got[0] != float64(float32(want)) {
			t.Fatalf("got %v, want 2 ln 2 (no position ignored)", got)
		}
	})
	runBoth(t, "grad", func(t *testing.T, f32 bool) {
		got := sce(t, f32, true, logits, []int{2, 2}, []int{0, 1}, opts...)
		if fmt.Sprint(got) != "[-0.5 0.5 0.5 -0.5]" {
			t.Fatalf("got %v, want [-0.5 0.5 0.5 -0.5] (no position ignored)", got)
		}
	})
	for _, grad := range []bool{false, true} {
		f := xent.SoftmaxCrossEntropy[float32]
		if grad {
			f = xent.SoftmaxCrossEntropyGrad[float32]
		}
		_, err := f(xent.NewTensor([]float32{0, 0, 0, 0}, 2, 2), xent.NewTensor([]int{0, -100}), xent.WithoutIgnoreIndex())
		if !errors.Is(err, xent.ErrIndexOutOfRange) {
			t.Fatalf("grad %v: target -100 without ignore_index: got %v, want index_out_of_range", grad, err)
		}
	}
}
