package xent_test

import (
	"errors"
	"fmt"
	"math"
	"testing"

	xent "github.com/xent-conformance/xent/go"
)

// SoftmaxTensor, LogSoftmaxTensor and LogSumExpTensor along an axis must give, slice by slice, the
// 1-D functions' results bit for bit (those are checked against the oracle's vectors), with the
// axis removed by LogSumExpTensor.

// slice returns x's slice along axis at the other indices of flat element s of the reduced shape.
func slice(x []float64, shape []int, axis, s int) []float64 {
	inner := 1
	for _, d := range shape[axis+1:] {
		inner *= d
	}
	n := shape[axis]
	off := s/inner*n*inner + s%inner
	out := make([]float64, n)
	for j := range out {
		out[j] = x[off+j*inner]
	}
	return out
}

func TestAxisMatchesVectorFunctions(t *testing.T) {
	shape := []int{2, 3, 4}
	x := make([]float64, 24)
	for i := range x {
		x[i] = math.Sin(float64(i)) * float64(i%5) * 3 // varied magnitudes and signs
	}
	x[5], x[17] = math.Inf(-1), math.NaN() // a masked class and a NaN slice along every axis
	for axis := -3; axis < 3; axis++ {
		a := (axis + 3) % 3
		opt := xent.WithAxis(axis)
		sm, err1 := xent.SoftmaxTensor(T64(x, shape...), opt)
		lsm, err2 := xent.LogSoftmaxTensor(T64(x, shape...), opt)
		lse, err3 := xent.LogSumExpTensor(T64(x, shape...), opt)
		if err := errors.Join(err1, err2, err3); err != nil {
			t.Fatalf("axis %d: %v", axis, err)
		}
		reduced := append(append([]int{}, shape[:a]...), shape[a+1:]...)
		if fmt.Sprint(lse.Shape) != fmt.Sprint(reduced) || fmt.Sprint(sm.Shape) != fmt.Sprint(shape) {
			t.Fatalf("axis %d: shapes %v, %v", axis, lse.Shape, sm.Shape)
		}
		for s := range lse.Data {
			v := slice(x, shape, a, s)
			want, _ := xent.LogSumExp(v)
			wantSM, _ := xent.SoftmaxChecked(v)
			wantLSM, _ := xent.LogSoftmax(v)
			gotSM, gotLSM := slice(sm.Data, shape, a, s), slice(lsm.Data, shape, a, s)
			if !sameFloat(lse.Data[s], want) {
				t.Errorf("axis %d slice %d: logsumexp %v, want %v", axis, s, lse.Data[s], want)
			}
			for j := range v {
				if !sameFloat(gotSM[j], wantSM[j]) || !sameFloat(gotLSM[j], wantLSM[j]) {
					t.Errorf("axis %d slice %d [%d]: softmax %v log_softmax %v, want %v %v", axis, s, j, gotSM[j], gotLSM[j], wantSM[j], wantLSM[j])
				}
			}
		}
	}
}

// float32 along an axis: the float64 result of the float32 values, rounded once.
func TestAxisFloat32(t *testing.T) {
	x32 := []float32{1, 2, 3, 4, 5, 6}
	got, err := xent.LogSumExpTensor(xent.NewTensor(x32, 2, 3), xent.WithAxis(0))
	if err != nil {
		t.Fatal(err)
	}
	for j := 0; j < 3; j++ {
		want, _ := xent.LogSumExp([]float32{x32[j], x32[3+j]})
		if got.Data[j] != want {
			t.Errorf("[%d] = %v, want %v", j, got.Data[j], want)
		}
	}
}

// A rank-1 x with the default axis means what the 1-D functions mean; logsumexp gives a scalar.
func TestAxisRankOne(t *testing.T) {
	x := []float64{0.5, -1, 3}
	lse, err := xent.LogSumExpTensor(T64(x))
	want, _ := xent.LogSumExp(x)
	if err != nil || lse.Rank() != 0 || lse.Data[0] != want {
		t.Fatalf("got %v, %v; want the scalar %v", lse, err, want)
	}
}

func TestAxisShapes(t *testing.T) {
	// an empty dimension other than the axis gives an empty result
	sm, err := xent.SoftmaxTensor(T64(nil, 0, 3))
	if err != nil || fmt.Sprint(sm.Shape) != "[0 3]" || len(sm.Data) != 0 {
		t.Fatalf("softmax of [0, 3]: got %v, %v", sm, err)
	}
	lse, err := xent.LogSumExpTensor(T64(nil, 3, 0), xent.WithAxis(0))
	if err != nil || fmt.Sprint(lse.Shape) != "[0]" {
		t.Fatalf("logsumexp of [3, 0] along 0: got %v, %v", lse, err)
	}
}

// softmax, log_softmax and logsumexp take x of rank up to 8.
func TestAxisRank8(t *testing.T) {
	rank8 := []int{1, 1, 1, 1, 1, 1, 2, 1}
	lse, err := xent.LogSumExpTensor(T64([]float64{0, 0}, rank8...), xent.WithAxis(6))
	if err != nil || fmt.Sprint(lse.Shape) != "[1 1 1 1 1 1 1]" || lse.Data[0] != math.Ln2 {
		t.Fatalf("rank 8: got %v, %v; want shape [1 1 1 1 1 1 1] holding ln 2", lse, err)
	}
}

func TestAxisErrors(t *testing.T) {
	x := T64(make([]float64, 6), 2, 3)
	rank9 := T64([]float64{0}, 1, 1, 1, 1, 1, 1, 1, 1, 1)
	cases := []struct {
		name string
		want error
		x    xent.Tensor[float64]
		opts []xent.Option
	}{
		{"axis r", xent.ErrInvalidArgument, x, []xent.Option{xent.WithAxis(2)}},
		{"axis -r - 1", xent.ErrInvalidArgument, x, []xent.Option{xent.WithAxis(-3)}},
		{"rank 0", xent.ErrInvalidShape, xent.Scalar(1.0), nil},
		{"rank 9 before the axis", xent.ErrInvalidShape, rank9, []xent.Option{xent.WithAxis(20)}},
		{"empty axis", xent.ErrInvalidShape, T64(nil, 2, 0), nil},
		{"option not taken", xent.ErrInvalidArgument, x, []xent.Option{xent.WithReduction(xent.ReductionSum)}},
	}
	for _, c := range cases {
		for name, f := range map[string]func(xent.Tensor[float64], ...xent.Option) (xent.Tensor[float64], error){
			"softmax": xent.SoftmaxTensor[float64], "log_softmax": xent.LogSoftmaxTensor[float64], "logsumexp": xent.LogSumExpTensor[float64],
		} {
			t.Run(name+"/"+c.name, func(t *testing.T) {
				if _, err := f(c.x, c.opts...); !errors.Is(err, c.want) {
					t.Fatalf("got %v, want %v", err, c.want)
				}
			})
		}
	}
	if err := xent.CheckOptions[float64]("softmax_cross_entropy", xent.WithAxis(1)); !errors.Is(err, xent.ErrInvalidArgument) {
		t.Fatalf("WithAxis for softmax_cross_entropy: got %v, want invalid_argument", err)
	}
}

// PyTorch's F.softmax(x, dim=0) normalises each column; ONNX's Softmax with axis = 0 from opset 13
// means the same (opset <= 12 flattened x to 2-D at the axis instead).
func ExampleSoftmaxTensor() {
	x := xent.NewTensor([]float64{0, 1, 0, 1}, 2, 2)
	p, _ := xent.SoftmaxTensor(x, xent.WithAxis(0))
	fmt.Println(p.Data)
	// Output: [0.5 0.5 0.5 0.5]
}

func ExampleLogSumExpTensor() {
	x := xent.NewTensor([]float64{0, 0, 1, 1}, 2, 2)
	lse, _ := xent.LogSumExpTensor(x) // along the last axis: one value per row
	fmt.Printf("%v %.6f\n", lse.Shape, lse.Data)
	// Output: [2] [0.693147 1.693147]
}
