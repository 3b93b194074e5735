package xent

import (
	"math"
	"math/rand"
	"testing"
)

// expF32 within its proved 2^-37 of the double-double exp over its whole range: random arguments,
// the range's ends, the points halfway between two table nodes (the reduction's largest |r|) and
// arguments near 0.
func TestExpF32Accuracy(t *testing.T) {
	r := rand.New(rand.NewSource(37))
	half := math.Ln2 / 2048 // x = (n + 1/2) ln2/1024: |r| at its largest
	args := []float64{0, -0.0, expF32Max, -expF32Max, half, -half, 0x1p-40, -0x1p-40, 1, -1, 88.5, -103.9}
	for i := 0; i < 300000; i++ {
		switch i % 3 {
		case 0:
			args = append(args, (2*r.Float64()-1)*expF32Max)
		case 1:
			args = append(args, 3*r.NormFloat64())
		default:
			n := float64(r.Intn(2*1045000) - 1045000)
			args = append(args, math.Max(-expF32Max, math.Min(expF32Max, (n+0.5)*math.Ln2/1024)))
		}
	}
	worst := 0.0
	for _, x := range args {
		want := expDD(ddF(x))
		e := math.Abs(ddSub(ddF(expF32(x)), want).float()) / want.hi
		if !(e <= 0x1p-37) {
			t.Fatalf("expF32(%v): relative error %g above 2^-37", x, e)
		}
		worst = math.Max(worst, e)
	}
	t.Logf("worst relative error 2^%.2f over %d arguments", math.Log2(worst), len(args))
}

// outOfRangeF32 flags a pair exactly when one of its values has a magnitude above expF32Max or is NaN,
// in either half (the low half's borrow does not hide or fake the high half's answer).
func TestOutOfRangeF32(t *testing.T) {
	above := math.Nextafter32(expF32Max, 1000)
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	values := []struct {
		v   float32
		out bool
	}{{0, false}, {1, false}, {-3.5, false}, {expF32Max, false}, {-expF32Max, false}, {above, true},
		{-above, true}, {-709, true}, {1e30, true}, {inf, true}, {-inf, true}, {nan, true},
		{float32(math.Copysign(0, -1)), false}, {math.SmallestNonzeroFloat32, false}}
	for _, lo := range values {
		for _, hi := range values {
			p := uint64(math.Float32bits(lo.v)) | uint64(math.Float32bits(hi.v))<<32
			if got := outOfRangeF32(p) != 0; got != (lo.out || hi.out) {
				t.Errorf("outOfRangeF32(%v, %v) = %v", lo.v, hi.v, got)
			}
		}
	}
}

// sceRowRef returns the double-double loss log(sum_i e^x_i) - x_y of a float32 row.
func sceRowRef(row []float32, y int) doubleDouble {
	x := make([]float64, len(row))
	for i, v := range row {
		x[i] = float64(v)
	}
	a, L := lseRef(x)
	h, l := twoSum(a, -x[y])
	return ddAdd(L, doubleDouble{h, l})
}

// sceRowUnshiftedErr is the relative error sce32fast.go proves for the rows it takes.
var sceRowUnshiftedErr = math.Exp2(-33.7)

// sceRowUnshifted takes the rows its comment allows, each within 2^-33.7 of the double-double loss,
// and leaves the others to the shifted path.
func TestSCERowUnshifted(t *testing.T) {
	inf, nan := float32(math.Inf(1)), float32(math.NaN())
	cases := []struct {
		name  string
		row   []float32
		y     int
		taken bool
	}{
		{"small", []float32{2, 1, 0.1}, 0, true},
		{"near 0", []float32{1e-7, -2e-7, 3e-7, 0, 5e-8}, 2, true},
		{"tied", []float32{4, 4, 4, 4, 4, 4, 4}, 6, true},
		{"target lowest", []float32{30, -30, 25, 29, 0}, 1, true},
		{"wide", []float32{700, -700, 650, -599, 0, 100}, 4, true},
		{"below -708 off the target", []float32{-1e30, 0, float32(math.Inf(-1)), -709, 1}, 1, true},
		{"a logit above 708", []float32{709, 0, 1}, 1, false},
		{"+inf", []float32{inf, 0, 1}, 1, false},
		{"NaN", []float32{0, 1, 2, 3, nan, 5}, 1, false},
		{"NaN at the target", []float32{0, nan, 1}, 1, false},
		{"target below -600", []float32{-600.5, -601, -700}, 0, false},
		{"s below 2^-100", []float32{0, -75, -80, -76}, 0, false},
		{"one class", []float32{3}, 0, false},
		{"s overflows", []float32{-599, 700, 700}, 0, false},
	}
	for _, tc := range cases {
		got, ok := sceRowUnshifted(tc.row, tc.y)
		if ok != tc.taken {
			t.Errorf("%s: taken %v, want %v", tc.name, ok, tc.taken)
			continue
		}
		if want := sceRowRef(tc.row, tc.y); ok && !(math.Abs(ddSub(ddF(got), want).float()) <= sceRowUnshiftedErr*want.hi) {
			t.Errorf("%s: %v, want %v", tc.name, got, want.hi)
		}
	}
	r := rand.New(rand.NewSource(1800))
	for i := 0; i < 2000; i++ {
		row := make([]float32, 1+r.Intn(300))
		scale := math.Pow(10, 4*r.Float64()-3) // 1e-3 to 10
		for j := range row {
			row[j] = float32(scale * r.NormFloat64())
		}
		y := r.Intn(len(row))
		if got, ok := sceRowUnshifted(row, y); ok {
			if want := sceRowRef(row, y); !(math.Abs(ddSub(ddF(got), want).float()) <= sceRowUnshiftedErr*want.hi) {
				t.Fatalf("%v, y = %d: %v, want %v", row, y, got, want.hi)
			}
		} else if len(row) > 1 {
			t.Fatalf("%v, y = %d: not taken", row, y)
		}
	}
}
