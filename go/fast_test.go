package xent

import (
	"math"
	"math/rand"
	"testing"
)

// The float32 fast paths' kernels are checked against the double-double functions: their relative
// error must stay far below float32's unit roundoff (2^-24), here below 2^-45.
func TestFastKernelsAccuracy(t *testing.T) {
	r := rand.New(rand.NewSource(3))
	worst := func(name string, got float64, want dd) {
		t.Helper()
		if e := math.Abs(got-want.float()) / math.Abs(want.float()); e > 0x1p-45 {
			t.Errorf("%s: relative error %g", name, e)
		}
	}
	for i := 0; i < 20000; i++ {
		x := -r.ExpFloat64() * 30
		if i%7 == 0 {
			x = -r.Float64() * 745
		}
		worst("expNeg", expNeg(x), expDD(ddF(x)))
		e := math.Exp(x)
		worst("log1pUnit", log1pUnit(e), log1pDD(ddF(e)))
		s := e * 1000
		worst("log1pFast", log1pFast(s), log1pDD(ddF(s)))
	}
}
