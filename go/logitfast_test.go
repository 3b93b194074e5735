package xent

import (
	"errors"
	"math"
	"math/rand"
	"testing"
)

// bceParts returns the exact parts of one element's BCE with logits in double-double: cz =
// (1 - y) max(z, 0) + y max(-z, 0) and t = log1p(exp(-|z|)) (2^-95 routines).
func bceParts(z, y float64) (cz, t doubleDouble) {
	cz = ddAdd(ddMulF(oneMinus(y), math.Max(z, 0)), ddMulF(ddF(y), math.Max(-z, 0)))
	return cz, log1pDD(expDD(ddF(-math.Abs(z))))
}

// bceSum64 one element at a time against the double-double parts: within u cz + 2^-60.5 t (the
// element bound of logitfast.go), on arguments over the fast range, near 0, near the log1p table's
// nodes (e = i/128 and the midpoints between them), with targets 0, 1, near 1/2 and random.
func TestBCESum64Element(t *testing.T) {
	r := rand.New(rand.NewSource(153))
	zs := []struct {
		name string
		z    func() float64
	}{
		{"normal", func() float64 { return r.NormFloat64() * 2 }},
		{"near 0", func() float64 { return (r.Float64()*2 - 1) * math.Ldexp(1, -r.Intn(60)) }},
		{"wide", func() float64 { return (r.Float64()*2 - 1) * bceFastMax }},
		{"table nodes", func() float64 {
			e := (math.Round(r.Float64()*256) / 256) * (1 + (r.Float64()-0.5)*0x1p-30)
			return -math.Log(math.Max(e, 0x1p-20)) * float64(1-2*r.Intn(2))
		}},
	}
	ys := []func() float64{
		func() float64 { return 0 },
		func() float64 { return 1 },
		func() float64 { return 0.5 + (r.Float64()-0.5)*0x1p-20 },
		func() float64 { return 1 - math.Ldexp(r.Float64(), -r.Intn(40)) },
		r.Float64,
	}
	for _, zc := range zs {
		t.Run(zc.name, func(t *testing.T) {
			worst := 0.0
			for i := 0; i < 40000; i++ {
				z, y := zc.z(), ys[i%len(ys)]()
				got, err := bceSum64("f", []float64{z}, []float64{y}, []int{1})
				if err != nil {
					t.Fatal(err)
				}
				cz, tt := bceParts(z, y)
				want := ddAdd(cz, tt)
				budget := 0x1p-53*cz.hi + math.Exp2(-60.5)*tt.hi
				diff := math.Abs(ddSub(got.m, want).float())
				if !(diff <= budget) || got.e != 0 {
					t.Fatalf("z = %v, y = %v: %v, want %v (error %g, budget %g)", z, y, got, want, diff, budget)
				}
				if budget > 0 {
					worst = math.Max(worst, diff/budget)
				}
			}
			t.Logf("largest error / budget: %.3f", worst)
		})
	}
}

// bceSum64 over whole arrays: the sum of many elements (with some beyond the fast range, infinite or
// NaN, which take bceTerm) against the extended-range sum of bceTerm, and y's check.
func TestBCESum64Sum(t *testing.T) {
	r := rand.New(rand.NewSource(154))
	reference := func(zs, ys []float64) xdd {
		var s xacc
		for i := range zs {
			s.add(bceTerm(zs[i], ys[i], 1))
		}
		return s.value()
	}
	cases := []struct {
		name string
		edit func(zs, ys []float64)
		nan  bool
	}{
		{"fast range only", func(zs, ys []float64) {}, false},
		{"beyond the fast range", func(zs, ys []float64) { zs[5], zs[77], ys[77] = 700, -1e6, 0.25 }, false},
		{"an infinite z", func(zs, ys []float64) { zs[3], ys[3] = math.Inf(-1), 0 }, false},
		{"a NaN z", func(zs, ys []float64) { zs[40] = math.NaN() }, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			n := 1 + r.Intn(5000)
			zs, ys := make([]float64, n+100), make([]float64, n+100)
			for i := range zs {
				zs[i], ys[i] = r.NormFloat64()*3, r.Float64()
			}
			c.edit(zs, ys)
			got, err := bceSum64("f", zs, ys, []int{len(zs)})
			if err != nil {
				t.Fatal(err)
			}
			want := reference(zs, ys)
			if c.nan {
				if !math.IsNaN(got.float()) {
					t.Errorf("sum %v, want NaN", got.float())
				}
				return
			}
			if d := math.Abs(xSubFloat(got, want)); !(d <= 0x1p-56*want.float()) {
				t.Errorf("sum %v, want %v: relative error %g", got.float(), want.float(), d/want.float())
			}
		})
	}
	t.Run("a bad target", func(t *testing.T) {
		zs, ys := []float64{1, 2, 3, 4}, []float64{0.5, 1, 1.5, math.NaN()}
		_, err := bceSum64("binary_cross_entropy_with_logits", zs, ys, []int{2, 2})
		want := checkProbs("binary_cross_entropy_with_logits", "y", ys, []int{2, 2})
		if err == nil || want == nil || !errors.Is(err, ErrInvalidProbability) || err.Error() != want.Error() {
			t.Errorf("error %v, want checkProbs' %v", err, want)
		}
	})
}

// xSubFloat returns a - b as a float64 (both finite).
func xSubFloat(a, b xdd) float64 {
	var s xacc
	s.add(a)
	s.add(xdd{b.m.neg(), b.e})
	return s.value().float()
}
