package xent

import (
	"math"
	"math/rand"
	"testing"
)

// expNeg is expNegInPlace for one value.
func expNeg(x float64) float64 {
	v := [1]float64{x}
	expNegInPlace(v[:])
	return v[0]
}

// log1pUnitErr is log1pUnit's proved relative error bound.
var log1pUnitErr = math.Exp2(-34.9)

// The float32 fast paths' kernels are checked against the double-double functions: their relative
// error must stay far below float32's unit roundoff (2^-24), within the budgets their comments prove.
func TestFastKernelsAccuracy(t *testing.T) {
	r := rand.New(rand.NewSource(3))
	worst := func(name string, got float64, want doubleDouble, bound float64) {
		t.Helper()
		if e := math.Abs(got-want.float()) / math.Abs(want.float()); e > bound {
			t.Errorf("%s: relative error %g", name, e)
		}
	}
	for i := 0; i < 200000; i++ {
		x := -r.ExpFloat64() * 30
		if i%7 == 0 {
			x = -r.Float64() * -expNegMin
		}
		worst("expNeg", expNeg(x), expDD(ddF(x)), 0x1p-37)
		if i%3 == 1 {
			e := 0x1p-11 * (1 + (r.Float64()-0.5)*0x1p-20) // near the midpoint of nodes 0 and 1: the most cancellation
			worst("log1pUnit", log1pUnit(e), log1pDD(ddF(e)), log1pUnitErr)
		}
		e := math.Exp(x)
		if i%3 == 0 {
			e = float64(i%2049) / 2048 // the nodes of log1pUnit and the midpoints between them
		}
		if e > 0 {
			worst("log1pUnit", log1pUnit(e), log1pDD(ddF(e)), log1pUnitErr)
		}
		s := e * 1000
		if s > 0 {
			worst("log1pFast", log1pFast(s), log1pDD(ddF(s)), 0x1p-45)
		}
	}
}

// Below expNegMin (and for -inf and NaN) expNegInPlace drops the term, as its comment allows.
func TestExpNegDropsTermsBelowItsRange(t *testing.T) {
	for _, x := range []float64{math.Nextafter(expNegMin, math.Inf(-1)), -745, math.Inf(-1), math.NaN()} {
		if got := expNeg(x); got != 0 {
			t.Errorf("expNeg(%g) = %g, want 0", x, got)
		}
	}
	if got := expNeg(0); got != 1 {
		t.Errorf("expNeg(0) = %g, want 1", got)
	}
}

// The float32 fast paths agree with the double-double path on random problems (within a float32 ulp;
// BCE's unweighted sum to 2^-30, relative),
// with strided rows, weights, ignored positions and label smoothing; a non-finite value leaves the
// fast path.
func TestFastPathsMatchTheDoubleDoublePath(t *testing.T) {
	r := rand.New(rand.NewSource(5))
	for _, scale := range []float64{1e-30, 1e-3, 1, 4, 60, 300} {
		const n, c, d = 7, 13, 3
		x32 := make([]float32, n*c*d)
		x64 := make([]float64, len(x32))
		for i := range x32 {
			x32[i] = float32(scale * r.NormFloat64())
			x64[i] = float64(x32[i])
		}
		target := make([]int, n*d)
		for i := range target {
			target[i] = r.Intn(c)
			if i%5 == 4 {
				target[i] = -100
			}
		}
		w := make([]float64, c)
		for i := range w {
			w[i] = float64(float32(0.25 + r.Float64()))
		}
		for _, eps := range []float64{0, 0.125} {
			for _, red := range []Reduction{ReductionNone, ReductionSum, ReductionMean} {
				opts := []Option{WithWeight(w), WithLabelSmoothing(eps), WithReduction(red)}
				fast, err := SoftmaxCrossEntropy(NewTensor(x32, n, c, d), NewTensor(target, n, d), opts...)
				if err != nil {
					t.Fatal(err)
				}
				want, err := SoftmaxCrossEntropy(NewTensor(x64, n, c, d), NewTensor(target, n, d), opts...)
				if err != nil {
					t.Fatal(err)
				}
				for i, v := range want.Data {
					// each within 0.5 ulp + 2^-6 ulp of the exact value: their float32s at most 1 ulp apart
					w32 := float32(v)
					if ulp := math.Nextafter32(w32, float32(math.Inf(1))) - w32; math.Abs(float64(fast.Data[i]-w32)) > float64(ulp) {
						t.Errorf("sce scale %g eps %g %v [%d]: %g vs %g", scale, eps, red, i, fast.Data[i], v)
					}
				}
			}
		}
		y32 := make([]float32, len(x32))
		for i := range y32 {
			y32[i] = r.Float32()
		}
		p, err := newBCE("binary_cross_entropy_with_logits", NewTensor(x32, len(x32)), NewTensor(y32, len(y32)), nil)
		if err != nil {
			t.Fatal(err)
		}
		sum, ok, err := bceFastSum("binary_cross_entropy_with_logits", x32, y32, []int{len(y32)})
		if err != nil {
			t.Fatal(err)
		}
		_, exact := p.data().loss()
		if !ok || math.Abs(sum-exact[0]*float64(len(x32))) > 0x1p-30*math.Abs(sum) {
			t.Errorf("bce scale %g: %g vs %g (%v)", scale, sum, exact[0]*float64(len(x32)), ok)
		}
	}
	for _, bad := range []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1))} {
		if _, ok, _ := bceFastSum("binary_cross_entropy_with_logits", []float32{0.5, bad}, []float32{0.25, 0.75}, []int{2}); ok {
			t.Errorf("bceFastSum took %g", bad)
		}
		if _, _, _, ok := rowSumExp([]float32{0.5, bad, 1}); ok {
			t.Errorf("rowSumExp took %g", bad)
		}
	}
}

// Rows longer than maxFastRow (whose plain sum could exceed the error budget) leave the fast path.
func TestLossFastLeavesLongRows(t *testing.T) {
	for _, k := range []int{maxFastRow, maxFastRow + 1} {
		x := make([]float32, k)
		p, err := newSCE[float32]("softmax_cross_entropy", NewTensor(x, 1, k), true, []int{0}, []int{1}, nil, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, ok := lossFast(p, x); ok != (k <= maxFastRow) {
			t.Errorf("k = %d: fast path %v", k, ok)
		}
	}
}

// The one pass checks y itself: a bad y in a later block gives checkProbs' error (same index and
// message), also where a non-finite z comes first.
func TestBCEFastSumChecksTargets(t *testing.T) {
	z := make([]float32, 3000)
	y := make([]float32, 3000)
	y[2500] = 1.5
	z[10] = float32(math.Inf(1))
	want := checkProbs("binary_cross_entropy_with_logits", "y", y, []int{3000})
	_, err := BCEWithLogits(NewTensor(z, 3000), NewTensor(y, 3000))
	if err == nil || want == nil || err.Error() != want.Error() {
		t.Errorf("got %v, want %v", err, want)
	}
	z[10] = 0
	if _, err := BCEWithLogits(NewTensor(z, 3000), NewTensor(y, 3000)); err == nil || err.Error() != want.Error() {
		t.Errorf("got %v, want %v", err, want)
	}
}

// The contiguous float32 rows (rowSumExpAt reads the next row's maximum ahead) agree with the
// double-double path within a float32 ulp, whatever the rows' maxima and ignored positions (any
// shift gives the right sum where no exp overflows: the wide rows need the true maximum); a row with
// a NaN or an infinity sends the call to the double-double path, except -inf off the target, which
// the unshifted row (sce32fast.go) takes as e^-708.
func TestLossFastContiguousRows(t *testing.T) {
	r := rand.New(rand.NewSource(156))
	const n, c = 9, 17
	cases := []struct {
		name   string
		edit   func(x []float32, target []int)
		fastOK bool
	}{
		{"random", func(x []float32, target []int) {}, true},
		{"maxima at the ends", func(x []float32, target []int) {
			for i := 0; i < n; i++ {
				x[i*c+(i%2)*(c-1)] = 9 // the first or the last class
			}
		}, true},
		{"ties and ignored rows", func(x []float32, target []int) {
			x[2*c+3], x[2*c+11], x[3*c], x[4*c+16] = 7, 7, 8, 8
			target[3], target[5] = -100, -100
		}, true},
		{"one class per row", nil, true},
		{"spreads beyond exp's range", func(x []float32, target []int) { // a wrong maximum overflows
			for i := range x {
				x[i] *= 150
			}
		}, true},
		{"a NaN in a later row", func(x []float32, target []int) { x[6*c+4] = float32(math.NaN()) }, false},
		{"a NaN first in a row", func(x []float32, target []int) { x[5*c] = float32(math.NaN()) }, false},
		{"-inf off the target", func(x []float32, target []int) { // the unshifted row takes it as e^-708
			target[7] = 3
			x[7*c+2] = float32(math.Inf(-1))
		}, true},
		{"-inf at the target", func(x []float32, target []int) { x[7*c+target[7]] = float32(math.Inf(-1)) }, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			classes := c
			if tc.edit == nil {
				classes = 1
			}
			x32 := make([]float32, n*classes)
			for i := range x32 {
				x32[i] = float32(3 * r.NormFloat64())
			}
			target := make([]int, n)
			for i := range target {
				target[i] = r.Intn(classes)
			}
			if tc.edit != nil {
				tc.edit(x32, target)
			}
			x64 := make([]float64, len(x32))
			for i, v := range x32 {
				x64[i] = float64(v)
			}
			p, err := newSCE[float32]("softmax_cross_entropy", NewTensor(x32, n, classes), true, target, []int{n}, nil, nil, []Option{WithReduction(ReductionNone)})
			if err != nil {
				t.Fatal(err)
			}
			_, fast, ok := lossFast(p, x32)
			if ok != tc.fastOK {
				t.Fatalf("fast path taken: %v, want %v", ok, tc.fastOK)
			}
			want, err := SoftmaxCrossEntropy(NewTensor(x64, n, classes), NewTensor(target, n), WithReduction(ReductionNone))
			if err != nil {
				t.Fatal(err)
			}
			for i := range fast {
				w32 := float32(want.Data[i])
				if ulp := math.Nextafter32(w32, float32(math.Inf(1))) - w32; math.Abs(float64(float32(fast[i])-w32)) > float64(ulp) {
					t.Errorf("row %d: %g, want %g", i, fast[i], want.Data[i])
				}
			}
		})
	}
}
