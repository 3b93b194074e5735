package xent_test

import (
	"math"
	"testing"

	xent "github.com/xent-conformance/xent/go"
)

// Property fuzz targets. `go test` runs them on their seed corpus (f.Add); `go test -fuzz FuzzSoftmax`
// explores further. The properties need no expected values: softmax sums to 1, lies in [0, 1] and
// is invariant under a shift of the logits; no output is NaN for finite input; losses are >= 0.

const u64 = 0x1p-53

func fuzzVector(a, b, c, d float64, n uint8) []float64 {
	return []float64{a, b, c, d}[:1+int(n%4)]
}

func addSeeds(f *testing.F) {
	f.Add(2.0, 1.0, 0.1, 0.0, uint8(2))
	f.Add(50.0, 0.0, 0.0, 0.0, uint8(1))
	f.Add(0.0, -50.0, -1e3, 1e3, uint8(3))
	f.Add(1e300, -1e300, 0.0, 5e-324, uint8(3))
	f.Add(-745.0, -746.0, -1000.0, -1000.0, uint8(3))
	f.Add(math.MaxFloat64, math.MaxFloat64, -math.MaxFloat64, 0.0, uint8(3))
	f.Add(1e-3, -2e-3, 3e-3, 0.0, uint8(3))
	f.Add(37.5, 0.0, -0.5, 12.0, uint8(3))
	f.Add(0.0, 0.0, 0.0, 0.0, uint8(0))
}

func allFinite(x []float64) bool {
	for _, v := range x {
		if !isFiniteF(v) {
			return false
		}
	}
	return true
}

func FuzzSoftmax(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, a, b, c, d float64, n uint8) {
		x := fuzzVector(a, b, c, d, n)
		if !allFinite(x) {
			return
		}
		g := xent.Softmax(x)
		if len(g) != len(x) {
			t.Fatalf("softmax(%v) has %d elements", x, len(g))
		}
		// Sum: every g_j is within ~1 ulp, so the exact sum of the outputs is within 2n u of 1.
		sum, comp := 0.0, 0.0
		for j, v := range g {
			if math.IsNaN(v) || v < 0 || v > 1 {
				t.Fatalf("softmax(%v)[%d] = %v is not in [0, 1]", x, j, v)
			}
			s := sum + v
			comp += (sum - s) + v
			sum = s
		}
		if e := math.Abs(sum + comp - 1); e > 2*float64(len(x))*u64 {
			t.Fatalf("softmax(%v) sums to 1 %+g", x, sum+comp-1)
		}
		lp, err := xent.LogSoftmax(x)
		if err != nil {
			t.Fatal(err)
		}
		lse, err := xent.LogSumExp(x)
		if err != nil || math.IsNaN(lse) {
			t.Fatalf("logsumexp(%v) = %v, %v", x, lse, err)
		}
		for j, v := range lp {
			if math.IsNaN(v) || v > 0 {
				t.Fatalf("log_softmax(%v)[%d] = %v", x, j, v)
			}
		}
		// Shift invariance: softmax(x + c) = softmax(x). The rounding of x_i + c perturbs the
		// logits by at most u max|x_i + c| each, which moves g_j by at most 2 u max|x + c| g_j; each
		// evaluation adds about an ulp.
		for _, shift := range []float64{1, -3.5, 1000, a} {
			y := make([]float64, len(x))
			m := 0.0
			for i, v := range x {
				y[i] = v + shift
				m = math.Max(m, math.Abs(y[i]))
			}
			if !allFinite(y) || m > 700 {
				continue
			}
			h := xent.Softmax(y)
			for j := range g {
				tol := math.Max(g[j], h[j])*(4*u64*m+8*u64) + 0x1p-1070
				if math.Abs(h[j]-g[j]) > tol {
					t.Fatalf("softmax(%v)[%d] = %v but softmax(x%+g)[%d] = %v (tolerance %g)", x, j, g[j], shift, j, h[j], tol)
				}
			}
		}
	})
}

func FuzzLosses(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, a, b, c, d float64, n uint8) {
		x := fuzzVector(a, b, c, d, n)
		if !allFinite(x) {
			return
		}
		k := len(x)
		y := int(n/4) % k
		logits := xent.NewTensor(x, 1, k)
		for _, opts := range [][]xent.Option{nil, {xent.WithLabelSmoothing(0.1)}, {xent.WithReduction(xent.ReductionSum)}} {
			l, err := xent.SoftmaxCrossEntropy(logits, xent.NewTensor([]int{y}), opts...)
			if err != nil {
				t.Fatal(err)
			}
			if v, _ := l.Item(); math.IsNaN(v) || v < 0 {
				t.Fatalf("softmax_cross_entropy(%v, %d) = %v", x, y, v)
			}
			gr, err := xent.SoftmaxCrossEntropyGrad(logits, xent.NewTensor([]int{y}), opts...)
			if err != nil {
				t.Fatal(err)
			}
			for j, v := range gr.Data {
				if math.IsNaN(v) || math.Abs(v) > 1+1e-12 {
					t.Fatalf("softmax_cross_entropy_grad(%v, %d)[%d] = %v", x, y, j, v)
				}
			}
		}
		fl, err := xent.FocalLoss(logits, []int{y})
		if err != nil {
			t.Fatal(err)
		}
		if v, _ := fl.Item(); math.IsNaN(v) || v < 0 {
			t.Fatalf("focal_loss(%v, %d) = %v", x, y, v)
		}
		targets := make([]float64, k)
		for i := range targets {
			targets[i] = float64((int(n) >> i) & 1)
		}
		targets[0] = 0.25
		z, tt := xent.NewTensor(x), xent.NewTensor(targets)
		for name, fn := range map[string]func(z, y xent.Tensor[float64], o ...xent.Option) (xent.Tensor[float64], error){
			"bce_with_logits": xent.BCEWithLogits[float64], "sigmoid_focal_loss": xent.SigmoidFocalLoss[float64],
		} {
			l, err := fn(z, tt, xent.WithReduction(xent.ReductionNone))
			if err != nil {
				t.Fatal(err)
			}
			for j, v := range l.Data {
				if math.IsNaN(v) || v < 0 {
					t.Fatalf("%s(%v, %v)[%d] = %v", name, x, targets, j, v)
				}
			}
		}
		for _, v := range x {
			s, sp, ls := xent.Sigmoid(v), xent.Softplus(v), xent.LogSigmoid(v)
			if math.IsNaN(s) || s < 0 || s > 1 || math.IsNaN(sp) || sp < 0 || math.IsNaN(ls) || ls > 0 {
				t.Fatalf("sigmoid/softplus/log_sigmoid(%v) = %v, %v, %v", v, s, sp, ls)
			}
		}
	})
}
