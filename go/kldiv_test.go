package xent_test

import (
	"errors"
	"fmt"
	"math"
	"testing"

	xent "github.com/xent-conformance/xent/go"
)

// KLDiv follows PyTorch's F.kl_div(input = log q, target): target (log target - input), or
// exp(target) (target - input) with log_target. Expected values are exact by construction (target
// 1 or log target 0 make the term -input or -input + target), or the correctly rounded constant
// math.Ln2 scaled by a power of two.

func klRun(f32 bool, input, target []float64, shape []int, opts ...xent.Option) ([]int, []float64, error) {
	if f32 {
		x, y := make([]float32, len(input)), make([]float32, len(target))
		for i := range input {
			x[i] = float32(input[i])
		}
		for i := range target {
			y[i] = float32(target[i])
		}
		out, err := xent.KLDiv(xent.Tensor[float32]{Shape: shape, Data: x}, xent.Tensor[float32]{Shape: shape, Data: y}, opts...)
		vals := make([]float64, len(out.Data))
		for i, v := range out.Data {
			vals[i] = float64(v)
		}
		return out.Shape, vals, err
	}
	out, err := xent.KLDiv(xent.Tensor[float64]{Shape: shape, Data: input}, xent.Tensor[float64]{Shape: shape, Data: target}, opts...)
	return out.Shape, out.Data, err
}

func TestKLDivValues(t *testing.T) {
	none := xent.WithReduction(xent.ReductionNone)
	logT := xent.WithLogTarget(true)
	ninf := math.Inf(-1)
	cases := []struct {
		name          string
		input, target []float64
		shape         []int
		opts          []xent.Option
		want          []float64
		wshape        []int
	}{
		{"target 1: -input", []float64{-1, -2, -3, -4}, []float64{1, 1, 1, 1}, []int{2, 2}, []xent.Option{none}, []float64{1, 2, 3, 4}, []int{2, 2}},
		{"mean (default) divides by numel", []float64{-1, -2, -3, -4}, []float64{1, 1, 1, 1}, []int{2, 2}, nil, []float64{2.5}, []int{}},
		{"sum", []float64{-1, -2, -3, -4}, []float64{1, 1, 1, 1}, []int{2, 2}, []xent.Option{xent.WithReduction(xent.ReductionSum)}, []float64{10}, []int{}},
		{"batchmean divides by the first dimension", []float64{-1, -2, -3, -4}, []float64{1, 1, 1, 1}, []int{2, 2}, []xent.Option{xent.WithReduction(xent.ReductionBatchMean)}, []float64{5}, []int{}},
		{"batchmean of a scalar is the sum", []float64{-3}, []float64{1}, []int{}, []xent.Option{xent.WithReduction(xent.ReductionBatchMean)}, []float64{3}, []int{}},
		{"batchmean of an empty batch is NaN", nil, nil, []int{0, 3}, []xent.Option{xent.WithReduction(xent.ReductionBatchMean)}, []float64{nan}, []int{}},
		{"target 2, input 0: 2 ln 2", []float64{0}, []float64{2}, []int{1}, []xent.Option{none}, []float64{2 * math.Ln2}, []int{1}},
		{"target 0 contributes 0, even at an infinite input", []float64{-1, ninf, inf}, []float64{0, 0, 0}, []int{3}, []xent.Option{none}, []float64{0, 0, 0}, []int{3}},
		{"target < 0 is NaN, not an error", []float64{-1, -1}, []float64{-0.5, ninf}, []int{2}, []xent.Option{none}, []float64{nan, nan}, []int{2}},
		{"NaN propagates, also at target 0", []float64{nan, 0, nan}, []float64{1, nan, 0}, []int{3}, []xent.Option{none}, []float64{nan, nan, nan}, []int{3}},
		{"infinite input: the limit", []float64{ninf, inf}, []float64{0.5, 0.5}, []int{2}, []xent.Option{none}, []float64{inf, -inf}, []int{2}},
		{"infinite target", []float64{0, inf}, []float64{inf, inf}, []int{2}, []xent.Option{none}, []float64{inf, nan}, []int{2}},
		{"log_target: exp(0) (0 - input)", []float64{-1, 2}, []float64{0, 0}, []int{2}, []xent.Option{none, logT}, []float64{1, -2}, []int{2}},
		{"log_target: target -inf contributes 0", []float64{-1, inf}, []float64{ninf, ninf}, []int{2}, []xent.Option{none, logT}, []float64{0, 0}, []int{2}},
		{"log_target: t = x is 0 even where exp(t) overflows", []float64{1000}, []float64{1000}, []int{1}, []xent.Option{none, logT}, []float64{0}, []int{1}},
		{"log_target: limits", []float64{ninf, inf, 0}, []float64{0, 0, inf}, []int{3}, []xent.Option{none, logT}, []float64{inf, -inf, inf}, []int{3}},
	}
	for _, c := range cases {
		runBoth(t, c.name, func(t *testing.T, f32 bool) {
			shape, got, err := klRun(f32, c.input, c.target, c.shape, c.opts...)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(shape) != fmt.Sprint(c.wshape) || len(got) != len(c.want) {
				t.Fatalf("shape %v %v, want %v %v", shape, got, c.wshape, c.want)
			}
			for i := range got {
				want := c.want[i]
				if f32 {
					want = float64(float32(want))
				}
				if !sameFloat(got[i], want) {
					t.Errorf("[%d] = %v, want %v", i, got[i], want)
				}
			}
		})
	}
}

// The term is small by cancellation where input is close to log target: target 0.5 with input =
// -ln 2 rounded to float64 gives 0.5 (ln 2 rounded - ln 2) = -0.5 times the low part of ln 2 in
// double-double (0x1.abc9e3b39803fp-56, the standard constant): a float64 evaluation gives 0.
func TestKLDivCancellation(t *testing.T) {
	_, got, err := klRun(false, []float64{-math.Ln2}, []float64{0.5}, []int{1}, xent.WithReduction(xent.ReductionNone))
	want := -0x1.abc9e3b39803fp-57
	if err != nil || ulpDiff(got[0], want) > 1 {
		t.Fatalf("got %v, %v; want %v", got, err, want)
	}
}

// With log_target, exp(target) beyond float64's range times a small target - input is finite:
// exp(710) 2^-43 = exp(710 - 43 ln 2), about 2.5e295, compared with exp(709) e 2^-43 within a few
// ulps (math.Exp is within 1 ulp; e rounded adds 1/2).
func TestKLDivLogTargetExtendedRange(t *testing.T) {
	x := 710 - 0x1p-43
	_, got, err := klRun(false, []float64{x}, []float64{710}, []int{1}, xent.WithLogTarget(true), xent.WithReduction(xent.ReductionSum))
	want := math.Exp(709) * math.E * 0x1p-43
	if err != nil || ulpDiff(got[0], want) > 4 {
		t.Fatalf("got %v, %v; want about %v", got, err, want)
	}
}

func TestKLDivErrors(t *testing.T) {
	rank9 := []int{1, 1, 1, 1, 1, 1, 1, 1, 1}
	one := []float64{1}
	cases := []struct {
		name          string
		want          error
		input, target xent.Tensor[float64]
		opts          []xent.Option
	}{
		{"unknown reduction", xent.ErrInvalidArgument, T64(one), T64(one), []xent.Option{xent.WithReduction("avg")}},
		{"reduction before rank", xent.ErrInvalidArgument, T64(one, rank9...), T64(one), []xent.Option{xent.WithReduction("batch_mean")}},
		{"option not taken", xent.ErrInvalidArgument, T64(one), T64(one), []xent.Option{xent.WithWeight(one)}},
		{"rank 9", xent.ErrInvalidShape, T64(one, rank9...), T64(one, rank9...), nil},
		{"rank 9 before mismatch", xent.ErrInvalidShape, T64(one), T64(one, rank9...), nil},
		{"shapes differ", xent.ErrShapeMismatch, T64([]float64{1, 1}), T64([]float64{1, 1}, 1, 2), nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := xent.KLDiv(c.input, c.target, c.opts...); !errors.Is(err, c.want) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
		})
	}
	if err := xent.CheckOptions[float64]("softmax_cross_entropy", xent.WithReduction(xent.ReductionBatchMean)); !errors.Is(err, xent.ErrInvalidArgument) {
		t.Fatalf("batchmean for softmax_cross_entropy: got %v, want invalid_argument", err)
	}
}

// ulpDiff returns the distance between a and b in units of the float64 spacing at b.
func ulpDiff(a, b float64) float64 {
	return math.Abs(a-b) / (math.Nextafter(math.Abs(b), math.Inf(1)) - math.Abs(b))
}

// PyTorch's batchmean is the KL divergence per sample: for target p = [1/2, 1/2] and
// input = log q with q = [1/4, 3/4], KL(p || q) = 1/2 ln 2 + 1/2 ln(2/3).
func ExampleKLDiv() {
	input := xent.NewTensor([]float64{math.Log(0.25), math.Log(0.75)}, 1, 2)
	target := xent.NewTensor([]float64{0.5, 0.5}, 1, 2)
	kl, _ := xent.KLDiv(input, target, xent.WithReduction(xent.ReductionBatchMean))
	v, _ := kl.Item()
	fmt.Printf("%.6f\n", v)
	// Output: 0.143841
}
