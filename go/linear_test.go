package xent_test

import (
	"errors"
	"fmt"
	"math"
	"testing"

	xent "github.com/xent-conformance/xent/go"
)

// Fused linear cross-entropy (issue 18). Expected values come from the definition: on inputs whose
// dot products are exact in float64 the loss is SoftmaxCrossEntropy of hidden @ W^T + b, and the
// gradients are SoftmaxCrossEntropyGrad's G chained through the product (G @ W, G^T @ hidden, the
// column sums of G).

var (
	lceHidden = xent.NewTensor([]float64{0.5, -1, 2, 0.25, 1.5, 0, -0.75, 1, 3, -2, 0.125, 0.5}, 3, 4)
	lceWeight = xent.NewTensor([]float64{1, 0.5, -0.25, 2, -1, 1, 0.5, 0, 0.25, -2, 1, 1, 0, 0, 0.5, -0.5, 2, 1, -1, 0.75}, 5, 4)
	lceBias   = xent.NewTensor([]float64{0.5, -1, 0, 2, 0.25}, 5)
)

// exactLogits returns hidden @ W^T + b in float64 (exact for these dyadic inputs).
func exactLogits(h, w, b xent.Tensor[float64]) xent.Tensor[float64] {
	n, c, k := h.Shape[0], w.Shape[0], h.Shape[1]
	z := make([]float64, n*c)
	for i := 0; i < n; i++ {
		for j := 0; j < c; j++ {
			s := 0.0
			if b.Data != nil {
				s = b.Data[j]
			}
			for q := 0; q < k; q++ {
				s += h.Data[i*k+q] * w.Data[j*k+q]
			}
			z[i*c+j] = s
		}
	}
	return xent.NewTensor(z, n, c)
}

func TestLinearCrossEntropyIsCrossEntropyOfTheLogits(t *testing.T) {
	y := []int{1, -100, 4}
	z := exactLogits(lceHidden, lceWeight, lceBias)
	for _, opts := range [][]xent.Option{
		{}, {xent.WithReduction(xent.ReductionNone)}, {xent.WithLabelSmoothing(0.25), xent.WithReduction(xent.ReductionSum)},
		{xent.WithSoftcap(3), xent.WithZLoss(0.125), xent.WithLogitScale(0.5)},
	} {
		got, err := xent.LinearCrossEntropy(lceHidden, lceWeight, xent.NewTensor(y), append(opts, xent.WithLinearBias(lceBias))...)
		if err != nil {
			t.Fatal(err)
		}
		assertULPs(t, fmt.Sprintf("%d options", len(opts)), got.Data, sceLoss(t, z, y, opts...), 0)
		for _, wrt := range []xent.Wrt{xent.WrtHidden, xent.WrtLinearWeight, xent.WrtLinearBias} {
			g, err := xent.LinearCrossEntropyGrad(lceHidden, lceWeight, xent.NewTensor(y),
				append(opts, xent.WithLinearBias(lceBias), xent.WithWrt(wrt))...)
			if err != nil {
				t.Fatal(err)
			}
			assertULPs(t, string(wrt), g.Data, chain(sceGrad(t, z, y, opts...), wrt), 2)
		}
	}
}

// chain returns the gradient G [3, 5] chained through the linear layer (in float64: the expected
// values have few terms of moderate size).
func chain(G []float64, wrt xent.Wrt) []float64 {
	n, c, h := 3, 5, 4
	var out []float64
	switch wrt {
	case xent.WrtHidden:
		out = make([]float64, n*h)
		for i := 0; i < n; i++ {
			for k := 0; k < h; k++ {
				for j := 0; j < c; j++ {
					out[i*h+k] += G[i*c+j] * lceWeight.Data[j*h+k]
				}
			}
		}
	case xent.WrtLinearWeight:
		out = make([]float64, c*h)
		for j := 0; j < c; j++ {
			for k := 0; k < h; k++ {
				for i := 0; i < n; i++ {
					out[j*h+k] += G[i*c+j] * lceHidden.Data[i*h+k]
				}
			}
		}
	default:
		out = make([]float64, c)
		for j := 0; j < c; j++ {
			for i := 0; i < n; i++ {
				out[j] += G[i*c+j]
			}
		}
	}
	return out
}

// The logits are exact: a dot product that cancels in floating point ([1e16, 1, -1e16] . [1, 1, 1])
// gives 1, and an ignored position's NaN hidden row is never read (D2).
func TestLinearCrossEntropyExactLogits(t *testing.T) {
	h := xent.NewTensor([]float64{1e16, 1, -1e16, math.NaN(), 0, 0}, 2, 3)
	w := xent.NewTensor([]float64{1, 1, 1, 0, 0, 0}, 2, 3)
	got, err := xent.LinearCrossEntropy(h, w, xent.NewTensor([]int{1, -100}), xent.WithReduction(xent.ReductionNone))
	if err != nil {
		t.Fatal(err)
	}
	want := sceLoss(t, xent.NewTensor([]float64{1, 0}, 1, 2), []int{1}, xent.WithReduction(xent.ReductionNone))
	assertULPs(t, "cancelling dot product", got.Data, []float64{want[0], 0}, 0)
	g, err := xent.LinearCrossEntropyGrad(h, w, xent.NewTensor([]int{1, -100}), xent.WithWrt(xent.WrtLinearWeight))
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range g.Data {
		if math.IsNaN(v) {
			t.Errorf("weight gradient [%d] is NaN: the ignored row was read", i)
		}
	}
}

func TestLinearCrossEntropyErrors(t *testing.T) {
	y := xent.NewTensor([]int{0, 1, 2})
	for _, tc := range []struct {
		name string
		h, w xent.Tensor[float64]
		y    xent.Tensor[int]
		opts []xent.Option
		want error
	}{
		{"wrt", lceHidden, lceWeight, y, []xent.Option{xent.WithWrt("bias")}, xent.ErrInvalidArgument},
		{"wrt bias without a bias", lceHidden, lceWeight, y, []xent.Option{xent.WithWrt(xent.WrtLinearBias)}, xent.ErrInvalidArgument},
		{"C = 0", lceHidden, xent.NewTensor([]float64{}, 0, 4), xent.NewTensor([]int{9, 9, 9}), nil, xent.ErrInvalidShape},
		{"H", lceHidden, xent.NewTensor([]float64{1, 2, 3}, 1, 3), y, nil, xent.ErrShapeMismatch},
		{"bias shape", lceHidden, lceWeight, y, []xent.Option{xent.WithLinearBias(xent.NewTensor([]float64{1}))}, xent.ErrShapeMismatch},
		{"grad_output before wrt bias", lceHidden, lceWeight, y, []xent.Option{xent.WithWrt(xent.WrtLinearBias),
			xent.WithGradOutput(xent.NewTensor([]float64{1}))}, xent.ErrShapeMismatch},
		{"target", lceHidden, lceWeight, xent.NewTensor([]int{0, 5, 0}), nil, xent.ErrIndexOutOfRange},
	} {
		if _, err := xent.LinearCrossEntropyGrad(tc.h, tc.w, tc.y, tc.opts...); !errors.Is(err, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, err, tc.want)
		}
	}
	if _, err := xent.LinearCrossEntropy(lceHidden, lceWeight, y, xent.WithWrt(xent.WrtHidden)); !errors.Is(err, xent.ErrInvalidArgument) {
		t.Errorf("wrt on the loss: got %v, want invalid_argument", err)
	}
}

// ExampleLinearCrossEntropy: two classes whose logits hidden @ W^T are equal give log 2, and the
// gradient with respect to the bias is softmax - onehot(target) = (0.5, -0.5).
func ExampleLinearCrossEntropy() {
	hidden := xent.NewTensor([]float64{1, 2}, 1, 2)
	w := xent.NewTensor([]float64{2, 0, 0, 1}, 2, 2) // logits (2, 2)
	bias := xent.WithLinearBias(xent.NewTensor([]float64{0, 0}))
	loss, err := xent.LinearCrossEntropy(hidden, w, xent.NewTensor([]int{1}), bias)
	fmt.Println(loss.Data, err)
	g, err := xent.LinearCrossEntropyGrad(hidden, w, xent.NewTensor([]int{1}), bias, xent.WithWrt(xent.WrtLinearBias))
	fmt.Println(g.Data, err)
	// Output:
	// [0.6931471805599453] <nil>
	// [0.5 -0.5] <nil>
}

// D3 through the chain: a mean over no weight gives NaN in every element of every gradient (N = 0
// included), and 0 with empty_mean zero.
func TestLinearCrossEntropyGradMeanOverNothing(t *testing.T) {
	for _, tc := range []struct {
		name   string
		hidden xent.Tensor[float64]
		y      []int
	}{
		{"all ignored", lceHidden, []int{-100, -100, -100}},
		{"N = 0", xent.NewTensor([]float64{}, 0, 4), []int{}},
	} {
		for _, wrt := range []xent.Wrt{xent.WrtHidden, xent.WrtLinearWeight, xent.WrtLinearBias} {
			for _, empty := range []xent.EmptyMean{xent.EmptyMeanNaN, xent.EmptyMeanZero} {
				g, err := xent.LinearCrossEntropyGrad(tc.hidden, lceWeight, xent.NewTensor(tc.y), xent.WithLinearBias(lceBias),
					xent.WithWrt(wrt), xent.WithEmptyMean(empty))
				if err != nil {
					t.Fatal(err)
				}
				for i, v := range g.Data {
					if (empty == xent.EmptyMeanNaN) != math.IsNaN(v) || (empty == xent.EmptyMeanZero && v != 0) {
						t.Errorf("%s, %s, %s: [%d] = %v", tc.name, wrt, empty, i, v)
					}
				}
			}
		}
	}
}

// Fuzz findings (xent-conformance fuzz --impl go --seed 19; expected values from the oracle): a
// subnormal softcap saturates every logit (x' / c overflows: not NaN), and a gradient times a
// subnormal grad_output is formed extended-range before it is multiplied by hidden (2.8 ulps of
// the subnormal grid before).
func TestLinearCrossEntropyFuzzFindings(t *testing.T) {
	loss, err := xent.LinearCrossEntropy(xent.NewTensor([]float64{1, 0, 0}, 1, 3), xent.NewTensor([]float64{0, 0, 0, 1, 0, 0}, 2, 3),
		xent.NewTensor([]int{0}), xent.WithSoftcap(0x1p-1074))
	if err != nil {
		t.Fatal(err)
	}
	assertULPs(t, "subnormal softcap", loss.Data, []float64{0x1.62e42fefa39efp-1}, 0)
	h := make([]float64, 12)
	h[11] = 7
	g, err := xent.LinearCrossEntropyGrad(xent.NewTensor(h, 4, 3), xent.NewTensor([]float64{0, 0, 0, 0, 0, 1}, 2, 3),
		xent.NewTensor([]int{0, 0, 0, 0}), xent.WithWrt(xent.WrtLinearWeight), xent.WithGradOutput(xent.Scalar(0x0.004189374bc6ap-1022)))
	if err != nil {
		t.Fatal(err)
	}
	assertULPs(t, "subnormal grad_output", g.Data, []float64{0, 0, -0x0.0072956121b09p-1022, 0, 0, 0x0.0072956121b09p-1022}, 0)
}
