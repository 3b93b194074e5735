package xent_test

import (
	"errors"
	"fmt"
	"math"
	"testing"

	xent "github.com/xent-conformance/xent/go"
)

// Cross-entropy from shards (issue 18). Expected values come from the definition: statistics taken
// from a matrix of logits (per-shard LogSumExp, sums of weighted logits, the target logits) give
// SoftmaxCrossEntropy's loss of that matrix, within the rounding of the per-shard lse.

// shardStats returns the statistics of logits x [N, C] split into shards of the given sizes.
func shardStats(t *testing.T, x []float64, n, c int, sizes []int, w []float64, y []int) (lse, sums, xy []float64) {
	t.Helper()
	lse, sums, xy = make([]float64, len(sizes)*n), make([]float64, len(sizes)*n), make([]float64, n)
	for i := 0; i < n; i++ {
		at := 0
		for s, size := range sizes {
			row := x[i*c+at : i*c+at+size]
			lse[s*n+i] = math.Inf(-1)
			if size > 0 {
				l, err := xent.LogSumExp(row)
				if err != nil {
					t.Fatal(err)
				}
				lse[s*n+i] = l
			}
			for j, v := range row {
				wj := 1.0
				if w != nil {
					wj = w[at+j]
				}
				sums[s*n+i] += wj * v // dyadic logits and weights: exact
			}
			at += size
		}
		if y[i] >= 0 {
			xy[i] = x[i*c+y[i]]
		}
	}
	return lse, sums, xy
}

func TestCrossEntropyFromShardsIsCrossEntropy(t *testing.T) {
	x := []float64{1, 2, 0.5, -1, 3, 0, -1, 3, 0.25, 2.5, 4, -2, 1.5, 1.5, 0}
	n, c := 3, 5
	y := []int{0, 4, -100}
	w := []float64{0.5, 1, 2, 0.25, 1}
	for _, sizes := range [][]int{{2, 3}, {5}, {0, 2, 0, 3}, {1, 1, 1, 1, 1}} {
		for _, tc := range []struct {
			opts    []xent.Option
			weights []float64 // the class weights the logit sums carry
		}{
			{nil, nil}, {[]xent.Option{xent.WithReduction(xent.ReductionNone)}, nil},
			{[]xent.Option{xent.WithLabelSmoothing(0.25), xent.WithReduction(xent.ReductionNone)}, nil},
			{[]xent.Option{xent.WithLabelSmoothing(0.5), xent.WithSmoothingMode(xent.SmoothOffTarget), xent.WithReduction(xent.ReductionSum)}, nil},
			{[]xent.Option{xent.WithLabelSmoothing(0.125), xent.WithWeight(w), xent.WithReduction(xent.ReductionNone)}, w},
			{[]xent.Option{xent.WithLabelSmoothing(1), xent.WithSmoothingMode(xent.SmoothOffTarget), xent.WithWeight(w)}, w},
		} {
			lse, sums, xy := shardStats(t, x, n, c, sizes, tc.weights, y)
			got, err := xent.CrossEntropyFromShards(xent.NewTensor(lse, len(sizes), n), xent.NewTensor(sums, len(sizes), n),
				xent.NewTensor(xy), xent.NewTensor(y), xent.NewTensor(sizes), tc.opts...)
			if err != nil {
				t.Fatal(err)
			}
			want := sceLoss(t, xent.NewTensor(x, n, c), y, tc.opts...)
			for i := range want {
				if math.Abs(got.Data[i]-want[i]) > 1e-14*(1+math.Abs(want[i])) {
					t.Errorf("sizes %v, options %d [%d]: %v, softmax_cross_entropy %v", sizes, len(tc.opts), i, got.Data[i], want[i])
				}
			}
		}
	}
}

// Without smoothing shard_logit_sum is not read; ignored positions are 0 whatever they hold; the
// special values follow IEEE arithmetic with zero coefficients masking infinities.
func TestCrossEntropyFromShardsSpecialValues(t *testing.T) {
	inf, nan := math.Inf(1), math.NaN()
	for _, tc := range []struct {
		name          string
		lse, sums, xy []float64
		eps           float64
		want          float64
	}{
		{"NaN sums not read", []float64{0, 0}, []float64{nan, nan}, []float64{0}, 0, math.Ln2},
		{"lse +inf, finite target", []float64{inf, 0}, []float64{0, 0}, []float64{1}, 0, inf},
		{"lse +inf, target +inf", []float64{inf, 0}, []float64{0, 0}, []float64{inf}, 0, nan},
		{"all -inf", []float64{math.Inf(-1), math.Inf(-1)}, []float64{0, 0}, []float64{math.Inf(-1)}, 0, nan},
		{"NaN lse", []float64{nan, 0}, []float64{0, 0}, []float64{0}, 0, nan},
		{"a subnormal eps / C is positive, not 0 (fuzz seed 20)", []float64{0, 0}, []float64{math.Inf(-1), 0}, []float64{0}, 0x1p-1074, inf},
		{"eps 1: a zero coefficient never masks NaN", []float64{0, 0}, []float64{0, 0}, []float64{nan}, 1, nan},
	} {
		got, err := xent.CrossEntropyFromShards(xent.NewTensor(tc.lse, 2, 1), xent.NewTensor(tc.sums, 2, 1),
			xent.NewTensor(tc.xy), xent.NewTensor([]int{0}), xent.NewTensor([]int{1, 1}),
			xent.WithLabelSmoothing(tc.eps), xent.WithReduction(xent.ReductionSum))
		if err != nil {
			t.Fatal(err)
		}
		assertULPs(t, tc.name, got.Data, []float64{tc.want}, 1)
	}
	ignored, err := xent.CrossEntropyFromShards(xent.NewTensor([]float64{nan, inf}, 2, 1), xent.NewTensor([]float64{nan, nan}, 2, 1),
		xent.NewTensor([]float64{nan}), xent.NewTensor([]int{-100}), xent.NewTensor([]int{1, 1}), xent.WithReduction(xent.ReductionNone))
	if err != nil || ignored.Data[0] != 0 {
		t.Errorf("ignored position: %v %v, want 0", ignored.Data, err)
	}
}

func TestCrossEntropyFromShardsErrors(t *testing.T) {
	lse := xent.NewTensor([]float64{0, 0, 0, 0}, 2, 2)
	xy := xent.NewTensor([]float64{0, 0})
	y := xent.NewTensor([]int{0, 1})
	for _, tc := range []struct {
		name  string
		sums  xent.Tensor[float64]
		sizes xent.Tensor[int]
		y     xent.Tensor[int]
		opts  []xent.Option
		want  error
	}{
		{"no classes", lse, xent.NewTensor([]int{0, 0}), y, nil, xent.ErrInvalidShape},
		{"sums shape", xent.NewTensor([]float64{0, 0}, 1, 2), xent.NewTensor([]int{1, 1}), y, nil, xent.ErrShapeMismatch},
		{"shard_size shape", lse, xent.NewTensor([]int{2}), y, nil, xent.ErrShapeMismatch},
		{"weight is [C], C the total", lse, xent.NewTensor([]int{1, 2}), y, []xent.Option{xent.WithWeight([]float64{1, 1})}, xent.ErrShapeMismatch},
		{"negative size", lse, xent.NewTensor([]int{-1, 3}), y, nil, xent.ErrInvalidArgument},
		{"sizes beyond int64: the target is still checked", lse, xent.NewTensor([]int{math.MaxInt, math.MaxInt}), xent.NewTensor([]int{0, -1}), nil, xent.ErrIndexOutOfRange},
		{"target beyond C", lse, xent.NewTensor([]int{1, 1}), xent.NewTensor([]int{0, 2}), nil, xent.ErrIndexOutOfRange},
		{"empty_mean", lse, xent.NewTensor([]int{1, 1}), y, []xent.Option{xent.WithEmptyMean("one")}, xent.ErrInvalidArgument},
	} {
		if _, err := xent.CrossEntropyFromShards(lse, tc.sums, xy, tc.y, tc.sizes, tc.opts...); !errors.Is(err, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, err, tc.want)
		}
	}
}

// ExampleCrossEntropyFromShards: two shards of one class each with equal logits: L = log 2, and
// the loss of either target is log 2.
func ExampleCrossEntropyFromShards() {
	lse := xent.NewTensor([]float64{3, 3}, 2, 1) // shard s, position n
	sums := xent.NewTensor([]float64{3, 3}, 2, 1)
	loss, err := xent.CrossEntropyFromShards(lse, sums, xent.NewTensor([]float64{3}), xent.NewTensor([]int{1}),
		xent.NewTensor([]int{1, 1}))
	fmt.Println(loss.Data, err)
	// Output: [0.6931471805599453] <nil>
}
