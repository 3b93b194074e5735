package xent_test

import (
	"errors"
	"fmt"
	"math"
	"testing"

	xent "github.com/xent-conformance/xent/go"
)

// Gradients under an upstream gradient (issue 17). Expected values come from identities of the
// definitions: the vector-Jacobian product is linear in grad_output (ones give the plain gradient, a
// power of two scales it exactly), log_softmax's VJP with -onehot(y) is the cross-entropy gradient,
// softmax's VJP with v is log_softmax's with g * v, focal loss' gradient at gamma 0 is alpha_y times
// the cross-entropy's, and the gradients agree with central differences of their losses.

func ones(n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = 1
	}
	return v
}

// grad_output of ones is the plain gradient, and a power-of-two grad_output scales it exactly (per
// position for none, the scalar for sum and mean); an ignored position stays 0 whatever it holds.
func TestGradOutputScalesTheGradient(t *testing.T) {
	x := xent.NewTensor([]float64{2, -1, 0.5, 3, 0.25, -4, 1.5, 1.5, 7}, 3, 3)
	y := []int{0, -100, 1}
	z := xent.NewTensor([]float64{0.5, -2, 3, 0}, 4)
	yb := xent.NewTensor([]float64{1, 0, 0.25, 0.5}, 4)
	for _, red := range []xent.Reduction{xent.ReductionNone, xent.ReductionSum, xent.ReductionMean} {
		for _, tc := range []struct {
			name  string
			n     int // positions (none) of the loss output
			grad  func(opts ...xent.Option) (xent.Tensor[float64], error)
			width int // gradient elements per position
		}{
			{"softmax_cross_entropy_grad", 3, func(o ...xent.Option) (xent.Tensor[float64], error) {
				return xent.SoftmaxCrossEntropyGrad(x, xent.NewTensor(y, 3), o...)
			}, 3},
			{"binary_cross_entropy_with_logits_grad", 4, func(o ...xent.Option) (xent.Tensor[float64], error) {
				return xent.BCEWithLogitsGrad(z, yb, o...)
			}, 1},
			{"binary_cross_entropy_grad", 4, func(o ...xent.Option) (xent.Tensor[float64], error) {
				return xent.BinaryCrossEntropyGrad(yb, xent.NewTensor([]float64{0.25, 0.5, 0.75, 0.125}, 4), o...)
			}, 1},
			{"focal_loss_grad", 3, func(o ...xent.Option) (xent.Tensor[float64], error) {
				return xent.FocalLossGrad(x, []int{0, 2, 1}, o...)
			}, 3},
		} {
			t.Run(tc.name+"/"+string(red), func(t *testing.T) {
				plain, err := tc.grad(xent.WithReduction(red))
				if err != nil {
					t.Fatal(err)
				}
				up := xent.Scalar(4.0)
				if red == xent.ReductionNone {
					up = xent.NewTensor(ones(tc.n), tc.n)
				}
				same, err := tc.grad(xent.WithReduction(red), xent.WithGradOutput(up))
				if err != nil {
					t.Fatal(err)
				}
				scale := 4.0
				if red == xent.ReductionNone {
					scale = 1
					up = xent.NewTensor([]float64{0.5, math.NaN(), 8, 2}[:tc.n], tc.n)
				}
				got, err := tc.grad(xent.WithReduction(red), xent.WithGradOutput(up))
				if err != nil {
					t.Fatal(err)
				}
				for i, g := range plain.Data {
					assertULPs(t, "ones", []float64{same.Data[i]}, []float64{g * scale}, 0)
					u := up.Data[0]
					if red == xent.ReductionNone {
						u = up.Data[i/tc.width]
					}
					want := g * u
					if tc.name == "softmax_cross_entropy_grad" && y[i/tc.width] == -100 {
						want = 0 // ignored: 0 without reading its NaN grad_output
					}
					assertULPs(t, "scaled", []float64{got.Data[i]}, []float64{want}, 0)
				}
			})
		}
	}
}

// Zero gradients times an infinite grad_output are NaN (IEEE), ignored positions are not.
func TestGradOutputIEEE(t *testing.T) {
	x := xent.NewTensor([]float64{math.Inf(1), 0, 1, 2}, 2, 2)
	g, err := xent.SoftmaxCrossEntropyGrad(x, xent.NewTensor([]int{0, -100}, 2), xent.WithReduction(xent.ReductionNone),
		xent.WithGradOutput(xent.NewTensor([]float64{math.Inf(1), math.Inf(-1)}, 2)))
	if err != nil {
		t.Fatal(err)
	}
	// position 0: the limit gradient is exactly 0 (onehot(0) - onehot(0)): 0 * inf = NaN
	if !math.IsNaN(g.Data[0]) || !math.IsNaN(g.Data[1]) || g.Data[2] != 0 || g.Data[3] != 0 {
		t.Errorf("got %v, want [NaN NaN 0 0]", g.Data)
	}
	m, err := xent.SigmoidMSEGrad(xent.NewTensor([]float64{math.Inf(1), 1}, 2), xent.NewTensor([]float64{1, 1}, 2),
		xent.WithGradOutput(xent.NewTensor([]float64{math.Inf(1), math.NaN()}, 2)))
	if err != nil {
		t.Fatal(err)
	}
	if !math.IsNaN(m.Data[0]) || !math.IsNaN(m.Data[1]) {
		t.Errorf("sigmoid_mse_grad: got %v, want NaN NaN", m.Data)
	}
}

func TestGradOutputShapeMismatch(t *testing.T) {
	x := xent.NewTensor([]float64{1, 2, 3, 4}, 2, 2)
	tgt := xent.NewTensor([]int{0, 1}, 2)
	for _, tc := range []struct {
		name string
		red  xent.Reduction
		up   xent.Tensor[float64]
	}{
		{"none wants [N]", xent.ReductionNone, xent.Scalar(1.0)},
		{"none wants [N] not [N, 1]", xent.ReductionNone, xent.NewTensor([]float64{1, 1}, 2, 1)},
		{"mean wants a scalar", xent.ReductionMean, xent.NewTensor([]float64{1}, 1)},
		{"sum wants a scalar", xent.ReductionSum, xent.NewTensor([]float64{1, 1}, 2)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := xent.SoftmaxCrossEntropyGrad(x, tgt, xent.WithReduction(tc.red), xent.WithGradOutput(tc.up))
			if !errors.Is(err, xent.ErrShapeMismatch) {
				t.Errorf("got %v, want shape_mismatch", err)
			}
		})
	}
	// step 3 before step 4: a mismatched grad_output with a negative weight is shape_mismatch
	_, err := xent.SoftmaxCrossEntropyGrad(x, tgt, xent.WithWeight([]float64{-1, 1}), xent.WithGradOutput(xent.NewTensor([]float64{1, 1}, 2)))
	if !errors.Is(err, xent.ErrShapeMismatch) {
		t.Errorf("got %v, want shape_mismatch before the weight's value", err)
	}
	// an option the function does not take
	if _, err := xent.SoftmaxCrossEntropy(x, tgt, xent.WithGradOutput(xent.Scalar(1.0))); !errors.Is(err, xent.ErrInvalidArgument) {
		t.Errorf("softmax_cross_entropy with grad_output: got %v, want invalid_argument", err)
	}
}

// log_softmax's VJP with -onehot(y) is the cross-entropy gradient softmax - onehot(y); softmax's VJP
// with v is log_softmax's with g * v (d softmax_i / d x_j = g_i (d log_softmax_i / d x_j)).
func TestSoftmaxVJPIdentities(t *testing.T) {
	rows := [][]float64{{2, -1, 0.5, 3}, {0.25, -4, 1.5, 1.5}, {7, 7, 7, math.Inf(-1)}, {-30, 40, 1e-3, 0}}
	for r, row := range rows {
		x := xent.NewTensor(row, 1, 4)
		for y := range row {
			v := make([]float64, 4)
			v[y] = -1
			lg, err := xent.LogSoftmaxGrad(x, xent.NewTensor(v, 1, 4))
			if err != nil {
				t.Fatal(err)
			}
			want := sceGrad(t, x, []int{y}, xent.WithReduction(xent.ReductionSum))
			assertULPs(t, fmt.Sprintf("row %d y %d", r, y), lg.Data, want, 1)
		}
		v := []float64{0.5, -2, 3, 1.25}
		sm, err := xent.SoftmaxTensor(x)
		if err != nil {
			t.Fatal(err)
		}
		gv := make([]float64, 4)
		for i := range gv {
			gv[i] = sm.Data[i] * v[i]
		}
		sg, err := xent.SoftmaxGrad(x, xent.NewTensor(v, 1, 4))
		if err != nil {
			t.Fatal(err)
		}
		lg, err := xent.LogSoftmaxGrad(x, xent.NewTensor(gv, 1, 4))
		if err != nil {
			t.Fatal(err)
		}
		for i := range sg.Data { // g * v is rounded: compare with an allowance on the scale of |v| (3)
			if math.Abs(sg.Data[i]-lg.Data[i]) > 0x1p-50 {
				t.Errorf("softmax_grad row %d [%d] = %v, log_softmax_grad(g v) %v", r, i, sg.Data[i], lg.Data[i])
			}
		}
	}
}

// A constant grad_output gives exactly 0 (the softmax Jacobian's rows sum to 0), and a nearly
// constant one keeps its digits: the result scales with the spread.
func TestSoftmaxGradConstantUpstream(t *testing.T) {
	x := xent.NewTensor([]float64{0.3, -1.7, 2.9, 0.01, 5}, 5)
	got, err := xent.SoftmaxGrad(x, xent.NewTensor([]float64{0.1, 0.1, 0.1, 0.1, 0.1}, 5))
	if err != nil {
		t.Fatal(err)
	}
	for i, g := range got.Data {
		if g != 0 {
			t.Errorf("constant v: out[%d] = %v, want 0", i, g)
		}
	}
	// equal logits with v = [1, 2, 3] (vector tcId 19): the middle output is exactly 0 (formed as
	// sum_i e_i (v_j - v_i) / E, no quotient before the subtraction)
	mid, err := xent.SoftmaxGrad(xent.NewTensor([]float64{0, 0, 0}), xent.NewTensor([]float64{1, 2, 3}))
	if err != nil {
		t.Fatal(err)
	}
	if mid.Data[1] != 0 {
		t.Errorf("equal logits, v = [1, 2, 3]: out[1] = %v, want exactly 0", mid.Data[1])
	}
	d := 0x1p-40
	near, err := xent.SoftmaxGrad(x, xent.NewTensor([]float64{0.1, 0.1, 0.1 + d, 0.1, 0.1}, 5))
	if err != nil {
		t.Fatal(err)
	}
	spread, err := xent.SoftmaxGrad(x, xent.NewTensor([]float64{0, 0, 1, 0, 0}, 5))
	if err != nil {
		t.Fatal(err)
	}
	for i := range spread.Data {
		spread.Data[i] *= d // v = 0.1 + d e_2: the VJP of d e_2 (exact scaling by a power of two)
	}
	assertULPs(t, "nearly constant v", near.Data, spread.Data, 2)
}

func TestSoftmaxGradSpecialValues(t *testing.T) {
	inf := math.Inf(1)
	for _, tc := range []struct {
		name    string
		x, v    []float64
		want    []float64
		logSoft bool
	}{
		{"one +inf: exactly 0", []float64{inf, 1, 2}, []float64{3, 4, 5}, []float64{0, 0, 0}, false},
		{"infinite v where g = 0: NaN row", []float64{inf, 1, 2}, []float64{3, inf, 5}, []float64{math.NaN(), math.NaN(), math.NaN()}, false},
		{"NaN x: NaN row", []float64{math.NaN(), 1}, []float64{1, 2}, []float64{math.NaN(), math.NaN()}, false},
		{"log: one +inf", []float64{inf, 1, 2}, []float64{3, 4, 5}, []float64{3 - 12, 4, 5}, true},
		{"log: -inf entry keeps v", []float64{math.Inf(-1), 0}, []float64{3, 4}, []float64{3, 4 - 7}, true},
		{"log: infinite sum, g = 0: NaN", []float64{math.Inf(-1), 0}, []float64{inf, 4}, []float64{math.NaN(), math.Inf(-1)}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := xent.SoftmaxGrad[float64]
			if tc.logSoft {
				f = xent.LogSoftmaxGrad[float64]
			}
			got, err := f(xent.NewTensor(tc.x), xent.NewTensor(tc.v))
			if err != nil {
				t.Fatal(err)
			}
			assertULPs(t, tc.name, got.Data, tc.want, 0)
		})
	}
}

func TestSoftmaxGradErrors(t *testing.T) {
	x := xent.NewTensor([]float64{1, 2, 3, 4}, 2, 2)
	for _, tc := range []struct {
		name string
		v    xent.Tensor[float64]
		opts []xent.Option
		want error
	}{
		{"shape", xent.NewTensor([]float64{1, 2, 3, 4}, 4), nil, xent.ErrShapeMismatch},
		{"rank 0", xent.Scalar(1.0), nil, xent.ErrInvalidShape},
		{"axis after shape", xent.NewTensor([]float64{1, 2, 3, 4}, 4), []xent.Option{xent.WithAxis(5)}, xent.ErrShapeMismatch},
		{"axis", xent.NewTensor([]float64{1, 2, 3, 4}, 2, 2), []xent.Option{xent.WithAxis(2)}, xent.ErrInvalidArgument},
		{"option", xent.NewTensor([]float64{1, 2, 3, 4}, 2, 2), []xent.Option{xent.WithGamma(1)}, xent.ErrInvalidArgument},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, f := range []func(x, v xent.Tensor[float64], o ...xent.Option) (xent.Tensor[float64], error){
				xent.SoftmaxGrad[float64], xent.LogSoftmaxGrad[float64]} {
				if _, err := f(x, tc.v, tc.opts...); !errors.Is(err, tc.want) {
					t.Errorf("got %v, want %v", err, tc.want)
				}
			}
		})
	}
}

// Focal loss' gradient at gamma 0 is alpha_y times the cross-entropy gradient; at other gammas it
// agrees with central differences of FocalLoss.
func TestFocalLossGrad(t *testing.T) {
	x := xent.NewTensor([]float64{2, -1, 0.5, 3, 0.25, -4, 1.5, 1.5, 7}, 3, 3)
	y := []int{0, 2, 1}
	alpha := []float64{0.5, 2, 0.25}
	g0, err := xent.FocalLossGrad(x, y, xent.WithGamma(0), xent.WithClassAlpha(alpha), xent.WithReduction(xent.ReductionSum))
	if err != nil {
		t.Fatal(err)
	}
	ce := sceGrad(t, x, y, xent.WithReduction(xent.ReductionNone), xent.WithGradOutput(xent.NewTensor([]float64{0.5, 0.25, 2}, 3)))
	assertULPs(t, "gamma 0", g0.Data, ce, 1)
	for _, gamma := range []float64{0.5, 1, 2, 3.5} {
		g, err := xent.FocalLossGrad(x, y, xent.WithGamma(gamma), xent.WithClassAlpha(alpha), xent.WithReduction(xent.ReductionSum))
		if err != nil {
			t.Fatal(err)
		}
		loss := func(xs []float64) float64 {
			l, err := xent.FocalLoss(xent.NewTensor(xs, 3, 3), y, xent.WithGamma(gamma), xent.WithClassAlpha(alpha), xent.WithReduction(xent.ReductionSum))
			if err != nil {
				t.Fatal(err)
			}
			return l.Data[0]
		}
		checkCentralDifferences(t, fmt.Sprintf("gamma %v", gamma), x.Data, g.Data, loss)
	}
}

// checkCentralDifferences compares each gradient element with (f(x + h e_i) - f(x - h e_i)) / 2h.
func checkCentralDifferences(t *testing.T, what string, x, grad []float64, f func([]float64) float64) {
	t.Helper()
	const h = 0x1p-20
	for i := range x {
		xp := append([]float64(nil), x...)
		xm := append([]float64(nil), x...)
		xp[i] += h
		xm[i] -= h
		fd := (f(xp) - f(xm)) / (2 * h)
		if math.Abs(fd-grad[i]) > 1e-7*(1+math.Abs(grad[i])) {
			t.Errorf("%s: grad[%d] = %v, central difference %v", what, i, grad[i], fd)
		}
	}
}

// The limits of focal loss' gradient: p = 1 (a single +inf target logit, or every other logit -inf)
// gives 0 even for gamma < 1; a -inf target logit gives alpha (g_c - [c = y]).
func TestFocalLossGradLimits(t *testing.T) {
	inf := math.Inf(1)
	for _, tc := range []struct {
		name string
		x    []float64
		y    int
		want []float64
	}{
		{"+inf target", []float64{inf, 1, 2}, 0, []float64{0, 0, 0}},
		{"one live class", []float64{3, math.Inf(-1), math.Inf(-1)}, 0, []float64{0, 0, 0}},
		{"-inf target", []float64{math.Inf(-1), 0, 0}, 0, []float64{-1, 0.5, 0.5}},
		{"+inf elsewhere", []float64{0, inf, 2}, 0, []float64{-1, 1, 0}},
	} {
		for _, gamma := range []float64{0.25, 2} {
			g, err := xent.FocalLossGrad(xent.NewTensor(tc.x, 1, 3), []int{tc.y}, xent.WithGamma(gamma))
			if err != nil {
				t.Fatal(err)
			}
			assertULPs(t, fmt.Sprintf("%s gamma %v", tc.name, gamma), g.Data, tc.want, 0)
		}
	}
}

// BCE's gradient from probabilities: central differences inside the clip, 0 strictly outside, the
// formula (not 0) at the clip's bounds, and the epsilon-0 limits.
func TestBinaryCrossEntropyGrad(t *testing.T) {
	y := []float64{1, 0, 0.25, 0.5, 0.75}
	p := []float64{0.25, 0.5, 0.75, 0.125, 0.875}
	g, err := xent.BinaryCrossEntropyGrad(xent.NewTensor(y), xent.NewTensor(p), xent.WithReduction(xent.ReductionSum))
	if err != nil {
		t.Fatal(err)
	}
	checkCentralDifferences(t, "inside", p, g.Data, func(ps []float64) float64 {
		l, err := xent.BinaryCrossEntropy(xent.NewTensor(y), xent.NewTensor(ps), xent.WithReduction(xent.ReductionSum))
		if err != nil {
			t.Fatal(err)
		}
		return l.Data[0]
	})
	eps := 0.125
	for _, tc := range []struct {
		name string
		y, p float64
		eps  float64
		want float64
	}{
		{"below the clip", 1, 0.0625, eps, 0},
		{"above the clip", 0, 0.9375, eps, 0},
		{"at epsilon: passes", 1, eps, eps, -8},
		{"at 1 - epsilon: passes", 0, 1 - eps, eps, 8},
		{"eps 0, p 0, y > 0", 0.5, 0, 0, math.Inf(-1)},
		{"eps 0, p 0, y 0", 0, 0, 0, 1},
		{"eps 0, p 1, y < 1", 0.5, 1, 0, math.Inf(1)},
		{"eps 0, p 1, y 1", 1, 1, 0, -1},
	} {
		g, err := xent.BinaryCrossEntropyGrad(xent.NewTensor([]float64{tc.y}), xent.NewTensor([]float64{tc.p}),
			xent.WithEpsilon(tc.eps), xent.WithReduction(xent.ReductionNone))
		if err != nil {
			t.Fatal(err)
		}
		assertULPs(t, tc.name, g.Data, []float64{tc.want}, 0)
	}
}

// ExampleWithGradOutput: with reduction none the gradient of each position is scaled by its own
// upstream gradient (not by the first one: Liger-Kernel issue #968); ignored positions stay 0.
func ExampleWithGradOutput() {
	logits := xent.NewTensor([]float64{0, 0, 0, 0, 0, 0}, 3, 2) // g = (1/2, 1/2) in every row
	target := xent.NewTensor([]int{0, 1, -100})
	g, err := xent.SoftmaxCrossEntropyGrad(logits, target, xent.WithReduction(xent.ReductionNone),
		xent.WithGradOutput(xent.NewTensor([]float64{1, 4, math.NaN()})))
	fmt.Println(g.Data, err)
	// Output: [-0.5 0.5 2 -2 0 0] <nil>
}

// ExampleSoftmaxGrad: the backward pass of softmax under an upstream gradient v; a constant v gives
// exactly 0.
func ExampleSoftmaxGrad() {
	x := xent.NewTensor([]float64{0, 0})
	g, err := xent.SoftmaxGrad(x, xent.NewTensor([]float64{1, 0}))
	fmt.Println(g.Data, err)
	g, err = xent.LogSoftmaxGrad(x, xent.NewTensor([]float64{1, 0}))
	fmt.Println(g.Data, err)
	// Output:
	// [0.25 -0.25] <nil>
	// [0.5 -0.5] <nil>
}

// ExampleBinaryCrossEntropyGrad: the clip passes the gradient at its bound (p = epsilon: -y / p) and
// blocks it strictly outside (p < epsilon: 0); at p = y the gradient is 0.
func ExampleBinaryCrossEntropyGrad() {
	y := xent.NewTensor([]float64{1, 1, 0.5})
	p := xent.NewTensor([]float64{0.25, 0.125, 0.5})
	g, err := xent.BinaryCrossEntropyGrad(y, p, xent.WithEpsilon(0.25), xent.WithReduction(xent.ReductionSum))
	fmt.Println(g.Data, err)
	// Output: [-4 0 0] <nil>
}

// ExampleFocalLossGrad: at gamma 0 focal loss is the cross-entropy, and its gradient is
// softmax - onehot(target).
func ExampleFocalLossGrad() {
	logits := xent.NewTensor([]float64{0, 0}, 1, 2)
	g, err := xent.FocalLossGrad(logits, []int{0}, xent.WithGamma(0))
	fmt.Println(g.Data, err)
	// Output: [-0.5 0.5] <nil>
}

// Fuzz findings (xent-conformance fuzz --impl go --seed 18; expected values from the oracle): a
// softmax entry that underflows float64 is still positive, so it times an infinite upstream gradient
// is infinite, not 0 * inf = NaN; and -y / p beyond float64's range is -inf (or, scaled back by
// grad_output, finite), not NaN.
func TestVJPFuzzFindings(t *testing.T) {
	inf := math.Inf(1)
	x := xent.NewTensor([]float64{0, 0, 0, 0x1.75p+9})
	v := xent.NewTensor([]float64{inf, 0, 0, 0})
	want := []float64{math.NaN(), math.Inf(-1), math.Inf(-1), math.Inf(-1)}
	for name, f := range map[string]func(x, v xent.Tensor[float64], o ...xent.Option) (xent.Tensor[float64], error){
		"softmax_grad": xent.SoftmaxGrad[float64], "log_softmax_grad": xent.LogSoftmaxGrad[float64]} {
		got, err := f(x, v)
		if err != nil {
			t.Fatal(err)
		}
		assertULPs(t, name, got.Data, want, 0)
	}
	// a softmax entry below the normal range times the upstream sum (seed 18, oracle: -10 2^-1074)
	lg, err := xent.LogSoftmaxGrad(xent.NewTensor([]float64{0, -0x1.748p+9, -0x1.748p+9}), xent.NewTensor([]float64{18, 0, 0}))
	if err != nil {
		t.Fatal(err)
	}
	assertULPs(t, "subnormal g_j S", lg.Data[1:], []float64{-10 * 0x1p-1074, -10 * 0x1p-1074}, 0)
	negZero, err := xent.BinaryCrossEntropyGrad(xent.NewTensor([]float64{1}), xent.NewTensor([]float64{math.Copysign(0, -1)}),
		xent.WithEpsilon(0), xent.WithReduction(xent.ReductionNone))
	if err != nil {
		t.Fatal(err)
	}
	assertULPs(t, "p = -0 is 0", negZero.Data, []float64{math.Inf(-1)}, 0)
	// a dominant class and a tiny upstream gradient there (seed 19; oracle: -0x1.d257d547e083fp-73)
	dom, err := xent.SoftmaxGrad(xent.NewTensor([]float64{0, 0x1.9p+5}), xent.NewTensor([]float64{1, 0x1.eb40dd4242f94p-61}))
	if err != nil {
		t.Fatal(err)
	}
	assertULPs(t, "dominant class", dom.Data, []float64{0x1.d257d547e083fp-73, -0x1.d257d547e083fp-73}, 1)
	big, err := xent.SoftmaxGrad(xent.NewTensor([]float64{0, 0}), xent.NewTensor([]float64{math.MaxFloat64, -math.MaxFloat64}))
	if err != nil {
		t.Fatal(err)
	}
	huge, err := xent.LogSoftmaxGrad(xent.NewTensor([]float64{0, 0}), xent.NewTensor([]float64{math.MaxFloat64, math.MaxFloat64}))
	if err != nil {
		t.Fatal(err)
	}
	assertULPs(t, "a sum of v beyond float64's range", huge.Data, []float64{0, 0}, 0)
	assertULPs(t, "differences beyond float64's range", big.Data, []float64{math.MaxFloat64 / 2, -math.MaxFloat64 / 2}, 0)
	for _, tc := range []struct {
		p, up float64
		want  float64
	}{
		{0x0.0000a7c5ac472p-1022, 1, math.Inf(-1)}, // the fuzz case: -1 / p overflows
		{0x1p-1030, 0x1p-10, -0x1p1020},            // -2^1030 scaled back into range by grad_output
	} {
		g, err := xent.BinaryCrossEntropyGrad(xent.NewTensor([]float64{1}), xent.NewTensor([]float64{tc.p}), xent.WithEpsilon(0),
			xent.WithReduction(xent.ReductionSum), xent.WithGradOutput(xent.Scalar(tc.up)))
		if err != nil {
			t.Fatal(err)
		}
		assertULPs(t, fmt.Sprintf("p = %v", tc.p), g.Data, []float64{tc.want}, 0)
	}
}
