package xent

import (
	"math"
	"math/rand"
	"testing"
)

// The one-pass functions of expfast.go are measured against the double-double routines (relative
// error about 2^-95, TestDDExpLogInverse and friends), in units of 2^-68 of the result: the bounds
// below are the error budgets stated in expfast.go, with a small margin.

// fastUnit is the unit in which the one-pass errors are reported: 2^-68 relative.
const fastUnit = 0x1p-68

// randDD returns a double-double with the given high part and a random low part within half its ulp.
func randDD(r *rand.Rand, hi float64) doubleDouble {
	ulp := math.Nextafter(math.Abs(hi), math.Inf(1)) - math.Abs(hi)
	return doubleDouble{hi, (r.Float64() - 0.5) * ulp}
}

// fastCase is a one-pass function, its reference and the arguments it is measured on.
type fastCase struct {
	name  string
	f     func(doubleDouble) doubleDouble
	ref   func(doubleDouble) doubleDouble
	args  func(r *rand.Rand, i int) doubleDouble
	bound float64 // the largest relative error allowed, in fastUnit
}

func TestOnePassErrors(t *testing.T) {
	cases := []fastCase{
		{"expFast", expFast, expDD, func(r *rand.Rand, i int) doubleDouble {
			switch i % 5 {
			case 0:
				return randDD(r, expFastMin+r.Float64()*(expFastMax-expFastMin))
			case 1: // near the range limits
				return randDD(r, expFastMin+r.Float64()*0.01)
			case 2:
				return randDD(r, expFastMax-r.Float64()*0.01)
			case 3: // near 0 and near the table's nodes
				return randDD(r, (r.Float64()*2-1)*math.Ldexp(1, -r.Intn(40)))
			}
			return randDD(r, -r.Float64()*40) // the shifts of a softmax row
		}, 0.5},
		{"log1pDDFast", log1pDDFast, log1pDD, func(r *rand.Rand, i int) doubleDouble {
			switch i % 3 {
			case 0:
				return randDD(r, r.Float64())
			case 1:
				return randDD(r, math.Ldexp(r.Float64(), -r.Intn(1000)))
			}
			return randDD(r, 1-math.Ldexp(r.Float64(), -r.Intn(50)))
		}, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := rand.New(rand.NewSource(15))
			worst, at := 0.0, doubleDouble{}
			for i := 0; i < 200000; i++ {
				x := c.args(r, i)
				want := c.ref(x)
				if want.hi == 0 {
					continue
				}
				if err := relErr(c.f(x), want) / fastUnit; err > worst {
					worst, at = err, x
				}
			}
			t.Logf("%s: largest relative error %.3g x 2^-68 at %v", c.name, worst, at)
			if !(worst <= c.bound) {
				t.Errorf("%s(%v): relative error %.3g x 2^-68, budget %g", c.name, at, worst, c.bound)
			}
		})
	}
}

// The fast paths built on the one-pass functions are measured against the double-double forms they
// replace: finiteLSE's L against log1pDD of a compensated sum of expDD terms, BCE's termFast against
// the extended-range termX, on random rows and elements (weights, pos_weight, targets 0 and 1, |z|
// up to the fast range's limit). Their relative error must stay far below float64's 2^-53.
func TestFastPathsAgainstDD(t *testing.T) {
	const bound = 0x1p-64
	r := rand.New(rand.NewSource(16))
	t.Run("finiteLSE", func(t *testing.T) {
		worst := 0.0
		for row := 0; row < 300; row++ {
			n := 1 + r.Intn(300)
			scale := math.Ldexp(1, r.Intn(12)-4)
			x := make([]float64, n)
			for i := range x {
				x[i] = r.NormFloat64() * scale
			}
			a, L, ok := finiteLSE(x, 0, 1, n)
			if !ok {
				continue
			}
			var s acc // sum_{i != k} exp(x_i - a), k the first maximum
			k := -1
			for i, v := range x {
				if k < 0 && v >= a {
					k = i
					continue
				}
				h, l := twoSum(v, -a)
				s.addDD(expDD(doubleDouble{h, l}))
			}
			want := log1pDD(s.value())
			if want.hi == 0 {
				continue
			}
			worst = math.Max(worst, relErr(L, want))
		}
		t.Logf("largest relative error of L: %g (2^%.1f)", worst, math.Log2(worst))
		if !(worst <= bound) {
			t.Errorf("finiteLSE: relative error %g above %g", worst, bound)
		}
	})
	t.Run("bceTermFast", func(t *testing.T) {
		const n = 20000
		p := &bceProblem{z: make([]float64, n), y: make([]float64, n), lastC: n}
		for i := range p.z {
			p.z[i] = r.NormFloat64() * math.Ldexp(1, r.Intn(12)-3)
			if i%50 == 0 {
				p.z[i] = (r.Float64()*2 - 1) * -expFastMin
			}
			switch p.y[i] = r.Float64(); i % 7 {
			case 0:
				p.y[i] = 0
			case 1:
				p.y[i] = 1
			}
		}
		weights := []struct {
			name  string
			w, pw []float64
		}{{"plain", nil, nil}, {"weighted", randWeights(r, n), randWeights(r, n)}}
		for _, c := range weights {
			p.w, p.pw = c.w, c.pw
			worst, fast := 0.0, 0
			for i := range p.z {
				v, ok := p.termFast(i)
				if !ok {
					continue
				}
				fast++
				want := p.termX(i)
				if want.e != 0 || want.m.hi == 0 {
					continue
				}
				worst = math.Max(worst, relErr(v, want.m))
			}
			t.Logf("%s: %d of %d elements fast, largest relative error %g (2^%.1f)", c.name, fast, n, worst, math.Log2(worst))
			if !(worst <= bound) || fast < n*9/10 {
				t.Errorf("%s: relative error %g (bound %g), %d fast elements", c.name, worst, bound, fast)
			}
		}
	})
}

func randWeights(r *rand.Rand, n int) []float64 {
	w := make([]float64, n)
	for i := range w {
		w[i] = r.Float64() * 4
	}
	return w
}
