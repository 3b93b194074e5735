package xent_test

import (
	"errors"
	"fmt"
	"math"
	"testing"

	xent "github.com/xent-conformance/xent/go"
)

// The class mask `where` and the extra outputs `result` of SoftmaxCrossEntropy (issue 17). Expected
// values come from identities of the definition: an excluded class is a -inf logit with its mass
// dropped, a mask of all true is no mask, lse is LogSumExpTensor over the class axis, and the z-loss
// part is the difference of the losses with and without z_loss.

var maskLogits = xent.NewTensor([]float64{2, -1, 0.5, 3, 0.25, -4, 1.5, 1.5, 7, 0, 1, 2}, 3, 4)

func mask(bits ...bool) xent.Tensor[bool] { return xent.NewTensor(bits) }

// withExcluded returns the logits with class c of every row replaced by v.
func withExcluded(x xent.Tensor[float64], c int, v float64) xent.Tensor[float64] {
	out := append([]float64(nil), x.Data...)
	for n := 0; n < x.Shape[0]; n++ {
		out[n*x.Shape[1]+c] = v
	}
	return xent.NewTensor(out, x.Shape...)
}

func TestWhereExcludesAClass(t *testing.T) {
	y := []int{0, 2, 3}
	m := xent.WithWhere(mask(true, false, true, true))
	for _, red := range []xent.Reduction{xent.ReductionNone, xent.ReductionSum, xent.ReductionMean} {
		for _, opts := range [][]xent.Option{{}, {xent.WithZLoss(0.125)}, {xent.WithSoftcap(2), xent.WithLogitScale(0.5)}} {
			o := append([]xent.Option{xent.WithReduction(red)}, opts...)
			name := fmt.Sprintf("%s/%d options", red, len(opts))
			// whatever the excluded logit holds: NaN, +inf or a value
			for _, v := range []float64{math.NaN(), math.Inf(1), 40} {
				got := sceLoss(t, withExcluded(maskLogits, 1, v), y, append(o, m)...)
				all := sceLoss(t, maskLogits, y, append(o, xent.WithWhere(mask(true, true, true, true)))...)
				assertULPs(t, name+" all true", all, sceLoss(t, maskLogits, y, o...), 0)
				if len(opts) == 0 || len(opts) == 1 { // without a cap, -inf is the excluded class itself
					assertULPs(t, name, got, sceLoss(t, withExcluded(maskLogits, 1, math.Inf(-1)), y, o...), 0)
				}
				g := sceGrad(t, withExcluded(maskLogits, 1, v), y, append(o, m)...)
				for n := 0; n < 3; n++ {
					if g[n*4+1] != 0 {
						t.Errorf("%s: gradient of the excluded class in row %d = %v, want 0", name, n, g[n*4+1])
					}
				}
			}
		}
	}
}

// An index target on an excluded class drops its mass (loss 0 without smoothing); a position with no
// included class has loss 0 and gradient 0 but counts in the mean's denominator.
func TestWhereDroppedTargetAndEmptyPosition(t *testing.T) {
	x := xent.NewTensor([]float64{1, 2, 3, 4, 5, 6}, 2, 3)
	full := xent.NewTensor([]bool{false, true, true, false, false, false}, 2, 3)
	none := sceLoss(t, x, []int{0, 1}, xent.WithWhere(full), xent.WithReduction(xent.ReductionNone))
	assertULPs(t, "per position", none, []float64{0, 0}, 0)
	mean := sceLoss(t, x, []int{1, 1}, xent.WithWhere(full))
	row0 := sceLoss(t, xent.NewTensor([]float64{math.Inf(-1), 2, 3}, 1, 3), []int{1}, xent.WithReduction(xent.ReductionSum))
	assertULPs(t, "mean over both positions", mean, []float64{row0[0] / 2}, 1)
	g := sceGrad(t, x, []int{1, 1}, xent.WithWhere(full), xent.WithZLoss(0.5))
	for i := 3; i < 6; i++ {
		if g[i] != 0 {
			t.Errorf("gradient of the empty position [%d] = %v, want 0", i, g[i])
		}
	}
	lse, err := xent.SoftmaxCrossEntropy(x, xent.NewTensor([]int{0, 0}), xent.WithWhere(full), xent.WithResult(xent.ResultLSE))
	if err != nil {
		t.Fatal(err)
	}
	if !math.IsInf(lse.Data[1], -1) {
		t.Errorf("lse of the empty position = %v, want -inf", lse.Data[1])
	}
}

func TestWhereShape(t *testing.T) {
	x := xent.NewTensor([]float64{1, 2, 3, 4, 5, 6}, 2, 3)
	tgt := xent.NewTensor([]int{0, 1})
	for _, m := range []xent.Tensor[bool]{mask(true, true), xent.NewTensor([]bool{true, true, true}, 1, 3), xent.Scalar(true)} {
		if _, err := xent.SoftmaxCrossEntropy(x, tgt, xent.WithWhere(m)); !errors.Is(err, xent.ErrShapeMismatch) {
			t.Errorf("where %v: got %v, want shape_mismatch", m.Shape, err)
		}
	}
	// step 3 (the mask's shape) before step 4 (a weight's value)
	_, err := xent.SoftmaxCrossEntropy(x, tgt, xent.WithWeight([]float64{-1, 1, 1}), xent.WithWhere(mask(true)))
	if !errors.Is(err, xent.ErrShapeMismatch) {
		t.Errorf("got %v, want shape_mismatch", err)
	}
}

func TestResult(t *testing.T) {
	y := []int{0, -100, 3}
	lse, err := xent.SoftmaxCrossEntropy(maskLogits, xent.NewTensor(y), xent.WithResult(xent.ResultLSE))
	if err != nil {
		t.Fatal(err)
	}
	want, err := xent.LogSumExpTensor(maskLogits)
	if err != nil {
		t.Fatal(err)
	}
	assertULPs(t, "lse (ignored positions too)", lse.Data, want.Data, 0)
	for _, red := range []xent.Reduction{xent.ReductionNone, xent.ReductionSum} {
		z := xent.WithZLoss(0.25)
		part, err := xent.SoftmaxCrossEntropy(maskLogits, xent.NewTensor(y), z, xent.WithReduction(red), xent.WithResult(xent.ResultZLoss))
		if err != nil {
			t.Fatal(err)
		}
		with := sceLoss(t, maskLogits, y, z, xent.WithReduction(red))
		without := sceLoss(t, maskLogits, y, xent.WithReduction(red))
		for i := range with {
			with[i] -= without[i]
		}
		assertULPs(t, string(red), part.Data, with, 4)
	}
	zero, err := xent.SoftmaxCrossEntropy(maskLogits, xent.NewTensor([]int{-100, -100, -100}), xent.WithResult(xent.ResultZLoss))
	if err != nil || zero.Data[0] != 0 {
		t.Errorf("z_loss 0, K = 0: got %v %v, want 0 (no term exists)", zero.Data, err)
	}
	if _, err := xent.SoftmaxCrossEntropy(maskLogits, xent.NewTensor(y), xent.WithResult("logits")); !errors.Is(err, xent.ErrInvalidArgument) {
		t.Errorf("unknown result: got %v, want invalid_argument", err)
	}
	if _, err := xent.SoftmaxCrossEntropyGrad(maskLogits, xent.NewTensor(y), xent.WithResult(xent.ResultLSE)); !errors.Is(err, xent.ErrInvalidArgument) {
		t.Errorf("result on the gradient: got %v, want invalid_argument", err)
	}
}

// ExampleWithWhere: class 2 is excluded, so its NaN logit is never read and the two included classes
// with equal logits give log 2.
func ExampleWithWhere() {
	logits := xent.NewTensor([]float64{1, 1, math.NaN()}, 1, 3)
	loss, err := xent.SoftmaxCrossEntropy(logits, xent.NewTensor([]int{0}),
		xent.WithWhere(xent.NewTensor([]bool{true, true, false})))
	fmt.Println(loss.Data, err)
	// Output: [0.6931471805599453] <nil>
}

// result z_loss follows the z-loss term's special values, z lse^2 with lse as logsumexp gives it
// (spec 197b241, vectors 8824-8825): one or two +inf logits and an all -inf row give +inf.
func TestResultZLossSpecialRows(t *testing.T) {
	inf := math.Inf(1)
	x := xent.NewTensor([]float64{inf, 0, inf, inf, math.Inf(-1), math.Inf(-1)}, 3, 2)
	got, err := xent.SoftmaxCrossEntropy(x, xent.NewTensor([]int{0, 0, 0}), xent.WithZLoss(0.5),
		xent.WithReduction(xent.ReductionNone), xent.WithResult(xent.ResultZLoss))
	if err != nil {
		t.Fatal(err)
	}
	assertULPs(t, "z_loss", got.Data, []float64{inf, inf, inf}, 0)
}
