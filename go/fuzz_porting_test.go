package xent_test

import (
	"math"
	"testing"

	xent "github.com/xent-conformance/xent/go"
)

// Property fuzz targets of issue 19, with the seeds of fuzz_test.go. The properties need no expected
// values: along any axis of a [2, 2] tensor the axis functions give the vector functions' results
// slice by slice, bit for bit; nll_loss of a single position is -w_y x_y exactly (one product); a
// kl_div term with target 1 is -input exactly, and with log_target and target 0 it is -input too.

func FuzzAxisMatchesVectors(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, a, b, c, d float64, n uint8) {
		x := []float64{a, b, c, d}
		axis := int(n%4) - 2 // -2..1, every axis of a rank-2 tensor
		lse, err := xent.LogSumExpTensor(T64(x, 2, 2), xent.WithAxis(axis))
		if err != nil {
			t.Fatal(err)
		}
		sm, _ := xent.SoftmaxTensor(T64(x, 2, 2), xent.WithAxis(axis))
		lsm, _ := xent.LogSoftmaxTensor(T64(x, 2, 2), xent.WithAxis(axis))
		for s := 0; s < 2; s++ {
			idx := []int{2 * s, 2*s + 1} // along the last axis: row s
			if axis == 0 || axis == -2 {
				idx = []int{s, 2 + s} // along the first: column s
			}
			v := []float64{x[idx[0]], x[idx[1]]}
			want, _ := xent.LogSumExp(v)
			wantSM, _ := xent.SoftmaxChecked(v)
			wantLSM, _ := xent.LogSoftmax(v)
			if !sameFloat(lse.Data[s], want) {
				t.Fatalf("axis %d slice %d: logsumexp %v, want %v", axis, s, lse.Data[s], want)
			}
			for j, i := range idx {
				if !sameFloat(sm.Data[i], wantSM[j]) || !sameFloat(lsm.Data[i], wantLSM[j]) {
					t.Fatalf("axis %d slice %d: softmax %v log_softmax %v, want %v %v", axis, s, sm.Data[i], lsm.Data[i], wantSM[j], wantLSM[j])
				}
			}
		}
	})
}

func FuzzNLLLossAndKLDivExactTerms(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, a, b, c, d float64, n uint8) {
		w := math.Abs(c)
		if !isFiniteF(w) {
			w = 1
		}
		y := int(n % 2)
		loss, err := xent.NLLLoss(T64([]float64{a, b}, 1, 2), xent.NewTensor([]int{y}),
			xent.WithWeight([]float64{w, w}), xent.WithReduction(xent.ReductionSum))
		x := []float64{a, b}[y]
		want := -w * x
		if w == 0 && !math.IsNaN(x) {
			want = 0 // a zero weight masks an infinite log-probability (D4)
		}
		if err != nil || !sameFloat(loss.Data[0], want) {
			t.Fatalf("nll_loss of %v at %d with weight %v: %v (%v), want %v", []float64{a, b}, y, w, loss.Data, err, want)
		}
		for _, logTarget := range []bool{false, true} {
			target := 1.0
			if logTarget {
				target = 0
			}
			kl, err := xent.KLDiv(T64([]float64{d}), T64([]float64{target}), xent.WithLogTarget(logTarget),
				xent.WithReduction(xent.ReductionNone))
			if err != nil || !sameFloat(kl.Data[0], -d) {
				t.Fatalf("kl_div(%v, %v, log_target %v) = %v (%v), want %v", d, target, logTarget, kl.Data, err, -d)
			}
		}
	})
}
