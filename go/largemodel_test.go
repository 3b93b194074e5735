package xent_test

import (
	"errors"
	"fmt"
	"math"
	"testing"

	xent "github.com/xent-conformance/xent/go"
)

// The large-model options of SoftmaxCrossEntropy (issue 17): logit_scale, softcap, z_loss and
// empty_mean. Expected values come from identities of the definition (exact scaling by a power of
// two, the z-loss term as z LogSumExp^2, the cap as c tanh(x / c)), checked in ulps.

var lmLogits = xent.NewTensor([]float64{2, -1, 0.5, 3, 0.25, -4, 1.5, 1.5, 7}, 3, 3)

func sceLoss(t *testing.T, x xent.Tensor[float64], y []int, opts ...xent.Option) []float64 {
	t.Helper()
	l, err := xent.SoftmaxCrossEntropy(x, xent.NewTensor(y, len(y)), opts...)
	if err != nil {
		t.Fatal(err)
	}
	return l.Data
}

func sceGrad(t *testing.T, x xent.Tensor[float64], y []int, opts ...xent.Option) []float64 {
	t.Helper()
	g, err := xent.SoftmaxCrossEntropyGrad(x, xent.NewTensor(y, len(y)), opts...)
	if err != nil {
		t.Fatal(err)
	}
	return g.Data
}

func scaled(x xent.Tensor[float64], f func(float64) float64) xent.Tensor[float64] {
	out := make([]float64, len(x.Data))
	for i, v := range x.Data {
		out[i] = f(v)
	}
	return xent.NewTensor(out, x.Shape...)
}

func assertULPs(t *testing.T, what string, got, want []float64, maxULPs float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range got {
		if d := ulpDiff(got[i], want[i]); !(d <= maxULPs) && !(math.IsNaN(got[i]) && math.IsNaN(want[i])) && got[i] != want[i] {
			t.Errorf("%s[%d] = %v, want %v (%.1f ulps)", what, i, got[i], want[i], d)
		}
	}
}

// A power-of-two logit_scale is exact: the loss is the loss of s x and the gradient s times its
// gradient, bit for bit.
func TestLogitScalePowerOfTwo(t *testing.T) {
	y := []int{0, 2, 1}
	for _, s := range []float64{0.25, 4, 0x1p-10} {
		for _, red := range []xent.Reduction{xent.ReductionNone, xent.ReductionMean} {
			t.Run(fmt.Sprint(s, red), func(t *testing.T) {
				sx := scaled(lmLogits, func(v float64) float64 { return s * v })
				assertULPs(t, "loss", sceLoss(t, lmLogits, y, xent.WithLogitScale(s), xent.WithReduction(red)),
					sceLoss(t, sx, y, xent.WithReduction(red)), 0)
				g := sceGrad(t, sx, y, xent.WithReduction(red))
				for i := range g {
					g[i] *= s
				}
				assertULPs(t, "grad", sceGrad(t, lmLogits, y, xent.WithLogitScale(s), xent.WithReduction(red)), g, 0)
			})
		}
	}
}

// The cap replaces each logit by c tanh(x / c); with x / c small that is x to within math.Tanh's
// rounding, so the capped loss equals the loss of the capped logits to a few ulps.
func TestSoftcapIsTanh(t *testing.T) {
	y := []int{0, 2, 1}
	for _, c := range []float64{5, 30, 0.5} {
		t.Run(fmt.Sprint(c), func(t *testing.T) {
			capped := scaled(lmLogits, func(v float64) float64 { return c * math.Tanh(v/c) })
			got := sceLoss(t, lmLogits, y, xent.WithSoftcap(c), xent.WithReduction(xent.ReductionNone))
			assertULPs(t, "loss", got, sceLoss(t, capped, y, xent.WithReduction(xent.ReductionNone)), 64)
			// the gradient is the capped logits' gradient times 1 / cosh^2(x / c)
			g := sceGrad(t, capped, y, xent.WithReduction(xent.ReductionNone))
			for i, v := range lmLogits.Data {
				g[i] /= math.Pow(math.Cosh(v/c), 2)
			}
			assertULPs(t, "grad", sceGrad(t, lmLogits, y, xent.WithSoftcap(c), xent.WithReduction(xent.ReductionNone)), g, 64)
		})
	}
}

// A saturated cap: logits far beyond the cap all map to about c; the double-double xc keeps the
// loss at its exact value log(2) + tiny, not the rounding of c tanh(x/c) to float64; +inf maps to +c
// with derivative 0.
func TestSoftcapSaturated(t *testing.T) {
	x := xent.NewTensor([]float64{math.Inf(1), 1e300, math.Inf(-1), -1e300}, 2, 2)
	l := sceLoss(t, x, []int{0, 1}, xent.WithSoftcap(30), xent.WithReduction(xent.ReductionNone))
	assertULPs(t, "loss", l, []float64{math.Log(2), math.Log(2)}, 1)
	g := sceGrad(t, x, []int{0, 1}, xent.WithSoftcap(30), xent.WithReduction(xent.ReductionNone))
	assertULPs(t, "grad", g, []float64{0, 0, 0, 0}, 0)
}

// With z_loss > 0 and no cap a +inf logit makes lse infinite: the loss is +inf and the position's
// gradient NaN in every class (2 z L g_c is inf * 0 or inf - inf); with a cap everything is finite.
func TestZLossInfiniteLSE(t *testing.T) {
	x := xent.NewTensor([]float64{math.Inf(1), 1, 2, 0, 1, 2}, 2, 3)
	y := []int{0, 1}
	l := sceLoss(t, x, y, xent.WithZLoss(1e-3), xent.WithReduction(xent.ReductionNone))
	if !math.IsInf(l[0], 1) || !isFiniteF(l[1]) {
		t.Errorf("loss %v, want [+inf, finite]", l)
	}
	g := sceGrad(t, x, y, xent.WithZLoss(1e-3), xent.WithReduction(xent.ReductionNone))
	for i, v := range g {
		if math.IsNaN(v) != (i < 3) {
			t.Errorf("grad[%d] = %v: want NaN exactly in the first position", i, v)
		}
	}
	g = sceGrad(t, x, y, xent.WithZLoss(1e-3), xent.WithSoftcap(4), xent.WithReduction(xent.ReductionNone))
	if g[0] != 0 || !isFiniteF(g[1]) {
		t.Errorf("capped grad %v: want 0 at the +inf logit, finite elsewhere", g)
	}
}

// The z-loss term is z lse(x)^2 per non-ignored position, unweighted; mean divides the
// cross-entropies by the sum of the target weights and the z-loss terms by the number of
// non-ignored positions.
func TestZLoss(t *testing.T) {
	const z = 0x1p-4
	y := []int{0, -100, 1}
	w := xent.WithWeight([]float64{1, 4, 0.5})
	base := sceLoss(t, lmLogits, y, w, xent.WithReduction(xent.ReductionNone))
	var zs, ce, den float64
	want := make([]float64, len(base))
	for n := range y {
		if y[n] == -100 {
			continue
		}
		lse, _ := xent.LogSumExp(lmLogits.Data[3*n : 3*n+3])
		want[n] = base[n] + z*lse*lse
		zs += z * lse * lse
		ce += base[n]
		den += []float64{1, 4, 0.5}[y[n]]
	}
	assertULPs(t, "none", sceLoss(t, lmLogits, y, w, xent.WithZLoss(z), xent.WithReduction(xent.ReductionNone)), want, 4)
	assertULPs(t, "mean", sceLoss(t, lmLogits, y, w, xent.WithZLoss(z)), []float64{ce/den + zs/2}, 4)
	// the gradient of z lse^2 is 2 z lse softmax: the none gradient minus the plain one
	gz := sceGrad(t, lmLogits, y, w, xent.WithZLoss(z), xent.WithReduction(xent.ReductionNone))
	g0 := sceGrad(t, lmLogits, y, w, xent.WithReduction(xent.ReductionNone))
	for n := range y {
		row := lmLogits.Data[3*n : 3*n+3]
		lse, _ := xent.LogSumExp(row)
		p := xent.Softmax(row)
		for c := range row {
			want := 0.0
			if y[n] != -100 {
				want = 2 * z * lse * p[c]
			}
			if d := gz[3*n+c] - g0[3*n+c]; math.Abs(d-want) > 1e-15 {
				t.Errorf("grad z term [%d, %d] = %v, want %v", n, c, d, want)
			}
		}
	}
}

// empty_mean zero: a mean whose denominator is 0 is 0 and its gradient 0; nan keeps D3.
func TestEmptyMean(t *testing.T) {
	y := []int{-100, -100, -100}
	for _, tc := range []struct {
		opts []xent.Option
		nan  bool
	}{
		{nil, true},
		{[]xent.Option{xent.WithEmptyMean(xent.EmptyMeanNaN), xent.WithZLoss(1)}, true},
		{[]xent.Option{xent.WithEmptyMean(xent.EmptyMeanZero)}, false},
		{[]xent.Option{xent.WithEmptyMean(xent.EmptyMeanZero), xent.WithZLoss(1), xent.WithSoftcap(3)}, false},
	} {
		l := sceLoss(t, lmLogits, y, tc.opts...)
		g := sceGrad(t, lmLogits, y, tc.opts...)
		for _, v := range append(l, g...) {
			if math.IsNaN(v) != tc.nan || (!tc.nan && v != 0) {
				t.Errorf("options %d: got %v, want NaN %v (else 0)", len(tc.opts), v, tc.nan)
			}
		}
	}
	// zero class weights on the kept targets: the cross-entropy part is 0, the z-loss part stays
	w := xent.WithWeight([]float64{0, 0, 0})
	lse, _ := xent.LogSumExp(lmLogits.Data[:3])
	got := sceLoss(t, lmLogits, []int{0, -100, -100}, w, xent.WithZLoss(1), xent.WithEmptyMean(xent.EmptyMeanZero))
	assertULPs(t, "z part only", got, []float64{lse * lse}, 2)
}

// Each parameter is checked on its own (step 1 of the error precedence) at its dtype.
func TestLargeModelInvalid(t *testing.T) {
	for _, o := range []xent.Option{
		xent.WithLogitScale(0), xent.WithLogitScale(-1), xent.WithLogitScale(math.Inf(1)), xent.WithLogitScale(math.NaN()),
		xent.WithSoftcap(0), xent.WithSoftcap(-2), xent.WithSoftcap(math.Inf(1)), xent.WithSoftcap(math.NaN()),
		xent.WithZLoss(-0x1p-20), xent.WithZLoss(math.NaN()), xent.WithZLoss(math.Inf(1)),
		xent.WithEmptyMean("none"), xent.WithLogitScale(1e-50), // 1e-50 rounds to 0 in float32
	} {
		_, err := xent.SoftmaxCrossEntropy(xent.NewTensor([]float32{1, 2}, 1, 2), xent.NewTensor([]int{0}, 1), o)
		if !errors.Is(err, xent.ErrInvalidArgument) {
			t.Errorf("got %v, want invalid_argument", err)
		}
	}
	if err := xent.CheckOptions[float64]("nll_loss", xent.WithZLoss(1)); !errors.Is(err, xent.ErrInvalidArgument) {
		t.Errorf("nll_loss with z_loss: got %v, want invalid_argument", err)
	}
	if err := xent.CheckOptions[float64]("softmax_cross_entropy", xent.WithSoftcap(1), xent.WithoutSoftcap(), xent.WithLogitScale(1e-50)); err != nil {
		t.Errorf("WithoutSoftcap, a tiny scale at float64: %v", err)
	}
}

// Gemma 2 caps its final logits at 30 and PaLM adds 1e-4 lse^2 (the printed value agrees with
// mpmath at 50 digits: lse(xc) - xc_1 + 1e-4 lse(xc)^2 = 16.5245984545674...).
func ExampleWithSoftcap() {
	logits := xent.NewTensor([]float64{40, 10, -5}, 1, 3)
	target := xent.NewTensor([]int{1})
	loss, err := xent.SoftmaxCrossEntropy(logits, target, xent.WithSoftcap(30), xent.WithZLoss(1e-4))
	if err != nil {
		fmt.Println(err)
		return
	}
	v, _ := loss.Item()
	fmt.Printf("%.6f\n", v)
	// Output: 16.524598
}
