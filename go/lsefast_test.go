package xent

import (
	"math"
	"math/rand"
	"testing"
)

// lseRef returns the double-double reference of lseFast: a, and L = log1pDD of the compensated sum
// of expDD(x_i - a) over i != k (k the first maximum), the shifts taken exactly.
func lseRef(x []float64) (a float64, L doubleDouble) {
	a = math.Inf(-1)
	for _, v := range x {
		a = math.Max(a, v)
	}
	var s acc
	k := -1
	for i, v := range x {
		if k < 0 && v == a {
			k = i
			continue
		}
		if h, l := twoSum(v, -a); h > -746 {
			s.addDD(expDD(doubleDouble{h, l}))
		}
	}
	return a, log1pDD(s.value())
}

// The split exponential of expSumSplit, one term at a time: the row [a, x] has s = exp(x - a), within
// 2^-62 of it relatively (lsefast.go's budget for a term) plus the allowance of the Fast2Sum errors'
// sum (66 u^2 < 2^-99 absolute; shifts down to -20 keep it below 2^-70 of the term).
func TestExpSumSplitTerm(t *testing.T) {
	r := rand.New(rand.NewSource(151))
	worst, at := 0.0, 0.0
	for i := 0; i < 200000; i++ {
		a := 0.0
		var x float64
		switch i % 4 {
		case 0: // exact shifts
			x = -r.Float64() * 20
		case 1: // inexact shifts: the TwoSum's low part matters
			a = r.NormFloat64() * 8
			x = a - r.Float64()*20
		case 2: // near 0 and near the table's nodes
			x = -math.Ldexp(r.Float64(), -r.Intn(50))
		default:
			x = -math.Round(r.Float64()*20*1024/math.Ln2)*math.Ln2/1024 + (r.Float64()-0.5)*0x1p-40
		}
		if x > a {
			continue
		}
		got, _ := expSumSplit([]float64{a, x}, a, []float64{a, x})
		h, l := twoSum(x, -a)
		want := expDD(doubleDouble{h, l})
		if err := (math.Abs(ddSub(got, want).float()) - 0x1p-99) / want.hi; err > worst {
			worst, at = err, x-a
		}
	}
	t.Logf("largest relative error of a term: 2^%.2f at shift %v", math.Log2(worst), at)
	if !(worst <= 0x1p-62) {
		t.Errorf("term error 2^%.2f at shift %v, budget 2^-62", math.Log2(worst), at)
	}
}

// lseFast's L against the double-double reference on random and edge rows: the error is within the
// bound errL it returns, and where no term is clamped errL is within 2^-54 L (targetLSE's test with
// the target at the maximum) for every row with L >= n 2^-40, above the Fast2Sum errors' allowance.
func TestLSEFastBound(t *testing.T) {
	r := rand.New(rand.NewSource(152))
	normal := func(n int, scale, shift float64) []float64 {
		x := make([]float64, n)
		for i := range x {
			x[i] = r.NormFloat64()*scale + shift
		}
		return x
	}
	cases := []struct {
		name    string
		row     func(i int) []float64
		clamped bool // rows with shifts below lseFastMin
	}{
		{"normal rows", func(i int) []float64 { return normal(1+r.Intn(3000), math.Ldexp(1, r.Intn(10)-3), 0) }, false},
		{"block edges", func(i int) []float64 {
			return normal([]int{1, 2, lseBlock - 1, lseBlock, lseBlock + 1, 3 * lseBlock}[i%6], 3, 0)
		}, false},
		{"far from 0", func(i int) []float64 { return normal(200, 1, (r.Float64()*2-1)*1e6) }, false},
		{"one dominant", func(i int) []float64 { x := normal(100, 1, -15-r.Float64()*10); x[r.Intn(100)] = 0; return x }, false},
		{"ties", func(i int) []float64 { x := normal(64, 0, 5); x[i%64] = 4.5; return x }, false},
		{"near uniform", func(i int) []float64 { return normal(1000, 0x1p-30, 1) }, false},
		{"clamped terms", func(i int) []float64 { x := normal(50, 1, 0); x[0], x[1] = -1e300, math.Inf(-1); return x }, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			worst := 0.0
			for i := 0; i < 300; i++ {
				x := c.row(i)
				a, L, errL, ok := lseFast(x)
				wantA, want := lseRef(x)
				if !ok || a != wantA {
					t.Fatalf("row %d: ok %v, a = %v, want %v", i, ok, a, wantA)
				}
				diff := math.Abs(ddSub(L, want).float())
				if !(diff <= errL) {
					t.Errorf("row %d (n %d): |L - ref| = %g above the bound %g", i, len(x), diff, errL)
				}
				if want.hi >= float64(len(x))*0x1p-40 {
					worst = math.Max(worst, errL/want.hi)
				}
			}
			t.Logf("largest errL / L: 2^%.2f", math.Log2(worst))
			if !c.clamped && !(worst <= 0x1p-54) {
				t.Errorf("errL up to 2^%.2f of L, budget 2^-54", math.Log2(worst))
			}
		})
	}
}

// Rows lseFast does not take (a NaN or +inf logit, all -inf) report false, and the loss of a row
// whose bound is not within the tolerance (its L tiny against the clamped terms' allowance) comes from
// finiteLSE, bit for bit.
func TestTargetLSEFallback(t *testing.T) {
	inf := math.Inf(1)
	for _, row := range [][]float64{{1, math.NaN(), 2}, {math.NaN()}, {0, inf}, {-inf, -inf}} {
		if _, _, _, ok := lseFast(row); ok {
			t.Errorf("lseFast(%v) reports ok", row)
		}
	}
	cases := []struct {
		name     string
		row      []float64
		y        int
		fastRow  bool // lseFast's bound is within the tolerance
		finiteOK bool // finiteLSE takes the row
	}{
		{"ordinary", []float64{0.5, -1, 2}, 1, true, true},
		{"target is the maximum", []float64{3, -2, 1}, 0, true, true},
		{"a clamped term", []float64{0, -800, -1}, 0, true, false},
		{"tiny L against the clamp allowance", []float64{0, -800}, 0, false, false},
		{"tiny L, short shift", []float64{0, -650}, 0, false, true},
		{"top logit 40 above the rest, target at the top", []float64{40, 0, 0.5}, 0, false, true},
		{"top logit 40 above the rest, target below", []float64{40, 0, 0.5}, 1, true, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := &sceProblem{logits: c.row, n: 1, k: len(c.row), d: 1}
			a, L, ok := p.targetLSE(0, c.row[c.y])
			fa, fL, fok := finiteLSE(c.row, 0, 1, len(c.row))
			switch {
			case c.fastRow:
				ra, rL := lseRef(c.row)
				nll := ddAdd(rL, ddF(ra-c.row[c.y]))
				if !ok || a != ra || !(math.Abs(ddSub(L, rL).float()) <= 0x1p-54*nll.hi) {
					t.Errorf("targetLSE = %v, %v, %v; want %v, %v within 2^-54 nll", a, L, ok, ra, rL)
				}
			case ok != fok || ok && (a != fa || L != fL):
				t.Errorf("targetLSE = %v, %v, %v; want finiteLSE's %v, %v, %v", a, L, ok, fa, fL, fok)
			}
			if fok != c.finiteOK {
				t.Errorf("finiteLSE ok = %v, the case expects %v", fok, c.finiteOK)
			}
		})
	}
}

// targetLSE reads the next row's maximum ahead (lseFastNext): in order, in reverse and with rows
// skipped (ignored positions), every row gets lseFast's own a and L.
func TestTargetLSELookahead(t *testing.T) {
	r := rand.New(rand.NewSource(155))
	const n, k = 6, 37
	x := make([]float64, n*k)
	for i := range x {
		x[i] = r.NormFloat64() * float64(1+i/k) // rows of different spreads and maxima
	}
	x[3*k+5] = math.NaN() // a row lseFast refuses
	orders := [][]int{{0, 1, 2, 3, 4, 5}, {5, 4, 3, 2, 1, 0}, {0, 2, 3, 5}, {1, 1, 4}}
	for _, order := range orders {
		p := &sceProblem{logits: x, n: n, k: k, d: 1}
		for _, row := range order {
			a, L, ok := p.targetLSE(row*k, x[row*k])
			wa, wL, _, wok := lseFast(x[row*k : row*k+k])
			if !wok {
				wa, wL, wok = finiteLSE(x, row*k, 1, k)
			}
			if ok != wok || ok && (a != wa || L != wL) {
				t.Errorf("order %v, row %d: %v, %v, %v; want %v, %v, %v", order, row, a, L, ok, wa, wL, wok)
			}
		}
	}
}

// The fast kernels against their double-double references on fuzzed rows (the values repeated to
// reach up to 100 classes, so that blocks and the lookahead are crossed): lseFast's L within its
// bound errL, bceSum64's sum within its element bounds u cz + 2^-60.5 t summed, and on the same
// values rounded to float32 sceRowUnshifted's loss (target n mod the row's length) within its
// 2^-33.7 (sce32fast.go).
func FuzzFastKernels(f *testing.F) {
	for _, s := range [][4]float64{{2, 1, 0.1, 0}, {50, 0, 0, 0}, {0, -50, -1e3, 1e3}, {1e300, -1e300, 0, 5e-324},
		{-745, -746, -1000, -1000}, {1e-3, -2e-3, 3e-3, 0}, {37.5, 0, -0.5, 12}, {600, -599.9, 0.3, -0.3}} {
		f.Add(s[0], s[1], s[2], s[3], uint8(77))
	}
	f.Fuzz(func(t *testing.T, a, b, c, d float64, n uint8) {
		x := make([]float64, 1+int(n%100))
		for i := range x {
			x[i] = []float64{a, b, c, d}[i%4] * (1 + float64(i/4)*0x1p-20)
		}
		if _, L, errL, ok := lseFast(x); ok {
			if _, want := lseRef(x); !(math.Abs(ddSub(L, want).float()) <= errL) {
				t.Fatalf("lseFast(%v): L = %v, want %v within %g", x, L, want, errL)
			}
		}
		x32 := make([]float32, len(x))
		for i, v := range x {
			x32[i] = float32(v)
		}
		y := int(n) % len(x32)
		if got, ok := sceRowUnshifted(x32, y); ok {
			if want := sceRowRef(x32, y); !(math.Abs(ddSub(ddF(got), want).float()) <= sceRowUnshiftedErr*want.hi) {
				t.Fatalf("sceRowUnshifted(%v, %d) = %v, want %v", x32, y, got, want.hi)
			}
		}
		ys := make([]float64, len(x))
		var bound float64
		var want xacc
		for i, z := range x {
			ys[i] = float64(i%5) / 4
			want.add(bceTerm(z, ys[i], 1))
			if cz, tt := bceParts(z, ys[i]); math.Abs(z) <= bceFastMax {
				bound += 0x1p-53*cz.hi + math.Exp2(-60.5)*tt.hi
			}
		}
		got, err := bceSum64("f", x, ys, []int{len(x)})
		if err != nil {
			t.Fatal(err)
		}
		w := want.value()
		if wf := w.float(); wf-wf == 0 && !(math.Abs(xSubFloat(got, w)) <= bound*(1+0x1p-40)+0x1p-100*math.Abs(wf)) {
			t.Fatalf("bceSum64(%v) = %v, want %v within %g", x, got.float(), wf, bound)
		}
	})
}
