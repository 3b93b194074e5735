package xent_test

import (
	"errors"
	"fmt"
	"math"
	"testing"

	xent "github.com/xent-conformance/xent/go"
)

// Merge primitives (issue 18). Expected values come from the definition on exactly representable
// cases (powers of the base), from LogSumExp (a row's state is (max, sum exp(x - max)), and
// M + log D is its log-sum-exp), and from associativity: merging in any grouping gives the same
// state.

var tenth, fifth = 0.1, 0.2 // variables: their sum is rounded at run time, once

func merge(t testing.TB, m, d []float64, opts ...xent.Option) (float64, float64) {
	t.Helper()
	out, err := xent.OnlineSoftmaxMerge(xent.NewTensor(m, len(m)), xent.NewTensor(d, len(d)), opts...)
	if err != nil {
		t.Fatal(err)
	}
	return out.Data[0], out.Data[1]
}

// Exactly representable merges: powers of the base, empty partitions, infinities, NaN, and weights
// beyond float64's exponent range.
func TestOnlineSoftmaxMergeExact(t *testing.T) {
	inf := math.Inf(1)
	nan := math.NaN()
	for _, tc := range []struct {
		name  string
		m, d  []float64
		base  xent.Base
		wantM float64
		wantD float64
	}{
		{"base 2 powers", []float64{0, 1, -2}, []float64{1, 1, 6}, xent.Base2, 1, 2.25},
		{"equal maxima exact", []float64{3, 3}, []float64{0.1, 0.2}, xent.BaseE, 3, tenth + fifth}, // one rounding
		{"empty partition", []float64{math.Inf(-1), 5}, []float64{0, 0.75}, xent.BaseE, 5, 0.75},
		{"all empty", []float64{math.Inf(-1), math.Inf(-1)}, []float64{0, 0}, xent.BaseE, math.Inf(-1), 0},
		{"K = 0", []float64{}, []float64{}, xent.BaseE, math.Inf(-1), 0},
		{"+inf maximum", []float64{inf, 1}, []float64{2, 3}, xent.BaseE, inf, 2},
		{"NaN m not swallowed", []float64{nan, 1}, []float64{1, 1}, xent.BaseE, nan, nan},
		{"NaN d", []float64{0, 1}, []float64{nan, 1}, xent.Base2, nan, nan},
		{"beyond the exponent range", []float64{0, -2000}, []float64{1, 0x1p1000}, xent.Base2, 0, 1 + 0x1p-1000},
		{"tiny total", []float64{0, -1070}, []float64{0x1p-1000, 0x1p100}, xent.Base2, 0, 0x1p-1000 + 0x1p-970},
	} {
		t.Run(tc.name, func(t *testing.T) {
			M, D := merge(t, tc.m, tc.d, xent.WithBase(tc.base))
			assertULPs(t, "M", []float64{M}, []float64{tc.wantM}, 0)
			assertULPs(t, "D", []float64{D}, []float64{tc.wantD}, 0)
		})
	}
}

// Splitting a row into chunks and merging their states gives the row's log-sum-exp.
func TestOnlineSoftmaxMergeOfChunks(t *testing.T) {
	x := []float64{0.5, -3, 2.25, 7, -1, 0, 6.5, 1e-3}
	for _, split := range [][]int{{4, 4}, {1, 7}, {3, 0, 5}, {8}} {
		var ms, ds []float64
		at := 0
		for _, n := range split {
			chunk := x[at : at+n]
			at += n
			m := math.Inf(-1)
			for _, v := range chunk {
				m = max(m, v)
			}
			d := 0.0
			if n > 0 {
				l, err := xent.LogSumExp(chunk)
				if err != nil {
					t.Fatal(err)
				}
				d = math.Exp(l - m)
			}
			ms, ds = append(ms, m), append(ds, d)
		}
		M, D := merge(t, ms, ds)
		want, err := xent.LogSumExp(x)
		if err != nil {
			t.Fatal(err)
		}
		assertULPs(t, fmt.Sprint(split), []float64{M + math.Log(D)}, []float64{want}, 8)
	}
}

func TestOnlineSoftmaxMergeColumnsAndErrors(t *testing.T) {
	m := xent.NewTensor([]float64{0, 1, 2, 3}, 2, 2)
	d := xent.NewTensor([]float64{1, 1, 1, 1}, 2, 2)
	out, err := xent.OnlineSoftmaxMerge(m, d, xent.WithBase(xent.Base2))
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(out.Shape) != "[2 2]" {
		t.Errorf("shape %v, want [2 2]", out.Shape)
	}
	assertULPs(t, "columns", out.Data, []float64{2, 3, 1.25, 1.25}, 0)
	for _, tc := range []struct {
		name string
		m, d xent.Tensor[float64]
		opts []xent.Option
		want error
	}{
		{"negative d", m, xent.NewTensor([]float64{1, -1, 1, 1}, 2, 2), nil, xent.ErrInvalidArgument},
		{"shapes", m, xent.NewTensor([]float64{1, 1}, 2), nil, xent.ErrShapeMismatch},
		{"rank 0", xent.Scalar(1.0), xent.Scalar(1.0), nil, xent.ErrInvalidShape},
		{"base", m, d, []xent.Option{xent.WithBase("10")}, xent.ErrInvalidArgument},
		{"shape before value", m, xent.NewTensor([]float64{-1, 1}, 2), nil, xent.ErrShapeMismatch},
	} {
		if _, err := xent.OnlineSoftmaxMerge(tc.m, tc.d, tc.opts...); !errors.Is(err, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, err, tc.want)
		}
	}
}

func TestLSEMerge(t *testing.T) {
	inf, nan := math.Inf(1), math.NaN()
	for _, tc := range []struct {
		name string
		lse  []float64
		base xent.Base
		want float64
	}{
		{"base 2", []float64{1, 1}, xent.Base2, 2},
		{"base 2 powers", []float64{3, 1, 1}, xent.Base2, math.Log2(12)},
		{"empty partition", []float64{math.Inf(-1), 0.75}, xent.BaseE, 0.75},
		{"all empty", []float64{math.Inf(-1), math.Inf(-1)}, xent.BaseE, math.Inf(-1)},
		{"K = 0", []float64{}, xent.BaseE, math.Inf(-1)},
		{"+inf", []float64{inf, 1}, xent.BaseE, inf},
		{"NaN beats +inf", []float64{inf, nan}, xent.BaseE, nan},
		{"far below the maximum", []float64{0, -1e6}, xent.BaseE, 0},
		{"tiny sum kept", []float64{0, -1060}, xent.Base2, 0x1p-1060 / math.Ln2},
	} {
		got, err := xent.LSEMerge(xent.NewTensor(tc.lse, len(tc.lse)), xent.WithBase(tc.base))
		if err != nil {
			t.Fatal(err)
		}
		assertULPs(t, tc.name, got.Data, []float64{tc.want}, 1)
	}
	// base e: the log-sum-exp of the partial log-sum-exps along axis 0
	lse := xent.NewTensor([]float64{0.5, -3, 2.25, 7, -1, 0}, 3, 2)
	got, err := xent.LSEMerge(lse)
	if err != nil {
		t.Fatal(err)
	}
	want, err := xent.LogSumExpTensor(lse, xent.WithAxis(0))
	if err != nil {
		t.Fatal(err)
	}
	assertULPs(t, "axis 0", got.Data, want.Data, 0)
	if _, err := xent.LSEMerge(xent.Scalar(1.0)); !errors.Is(err, xent.ErrInvalidShape) {
		t.Errorf("rank 0: got %v, want invalid_shape", err)
	}
}

// FuzzOnlineSoftmaxMerge: merging the states in any grouping ((a, b), c) or (a, (b, c)) gives the
// state of merging all three at once, within a few ulps (each merge rounds D once).
func FuzzOnlineSoftmaxMerge(f *testing.F) {
	f.Add(0.0, 1.0, 1.0, 1.0, 2.0, 1.0, false)
	f.Add(math.Inf(-1), 0.0, 5.0, 2.0, -700.0, 3.0, true)
	f.Add(-1e300, 1.0, 1e300, 1.0, 0.0, 0.5, false)
	f.Fuzz(func(t *testing.T, m0, d0, m1, d1, m2, d2 float64, base2 bool) {
		ms, ds := []float64{m0, m1, m2}, []float64{math.Abs(d0), math.Abs(d1), math.Abs(d2)}
		for i := range ms {
			if math.IsNaN(ms[i]) || math.IsInf(ms[i], 1) || math.IsNaN(ds[i]) || math.IsInf(ds[i], 0) || ds[i] > 1e300 {
				return // NaN and +inf propagate exactly (tested above); keep the sums finite
			}
		}
		base := xent.WithBase(xent.BaseE)
		if base2 {
			base = xent.WithBase(xent.Base2)
		}
		allM, allD := merge(t, ms, ds, base)
		for _, g := range [][3]int{{0, 1, 2}, {1, 2, 0}, {2, 0, 1}} {
			am, ad := merge(t, []float64{ms[g[0]], ms[g[1]]}, []float64{ds[g[0]], ds[g[1]]}, base)
			M, D := merge(t, []float64{am, ms[g[2]]}, []float64{ad, ds[g[2]]}, base)
			if M != allM {
				t.Fatalf("grouping %v: M = %v, all at once %v", g, M, allM)
			}
			if d := ulpDiff(D, allD); d > 4 && !(D == allD) && !(math.Abs(D-allD) < 0x1p-1060) {
				t.Fatalf("grouping %v: D = %v, all at once %v (%.1f ulps)", g, D, allD, d)
			}
		}
	})
}

// ExampleOnlineSoftmaxMerge: the states of the chunks [0, 1] and [-inf] (an empty chunk: state (-inf, 0))
// in base 2 merge to the state of [0, 1]: M = 1, D = 2^(0 - 1) + 2^(1 - 1).
func ExampleOnlineSoftmaxMerge() {
	m := xent.NewTensor([]float64{1, math.Inf(-1)})
	d := xent.NewTensor([]float64{1.5, 0})
	state, err := xent.OnlineSoftmaxMerge(m, d, xent.WithBase(xent.Base2))
	fmt.Println(state.Data, err)
	lse, err := xent.LSEMerge(xent.NewTensor([]float64{1, 1, 2}), xent.WithBase(xent.Base2))
	fmt.Println(lse.Data, err)
	// Output:
	// [1 1.5] <nil>
	// [3] <nil>
}
