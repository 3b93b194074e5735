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

// randDD returns a dd with the given high part and a random low part within half its ulp.
func randDD(r *rand.Rand, hi float64) dd {
	ulp := math.Nextafter(math.Abs(hi), math.Inf(1)) - math.Abs(hi)
	return dd{hi, (r.Float64() - 0.5) * ulp}
}

// fastCase is a one-pass function, its reference and the arguments it is measured on.
type fastCase struct {
	name  string
	f     func(dd) dd
	ref   func(dd) dd
	args  func(r *rand.Rand, i int) dd
	bound float64 // the largest relative error allowed, in fastUnit
}

func TestOnePassErrors(t *testing.T) {
	cases := []fastCase{
		{"expFast", expFast, expDD, func(r *rand.Rand, i int) dd {
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
		{"log1pDDFast", log1pDDFast, log1pDD, func(r *rand.Rand, i int) dd {
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
			worst, at := 0.0, dd{}
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
			if worst > c.bound {
				t.Errorf("%s(%v): relative error %.3g x 2^-68, budget %g", c.name, at, worst, c.bound)
			}
		})
	}
}
