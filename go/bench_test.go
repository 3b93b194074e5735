package xent_test

import (
	"math/rand"
	"testing"

	xent "github.com/xent-conformance/xent/go"
)

func BenchmarkSoftmax1e5(b *testing.B) {
	r := rand.New(rand.NewSource(1))
	x := make([]float64, 100000)
	for i := range x {
		x[i] = r.NormFloat64() + 1000
	}
	b.SetBytes(int64(8 * len(x)))
	for i := 0; i < b.N; i++ {
		xent.Softmax(x)
	}
}

// The cross-language workload (the same in every implementation): N = 4096 rows of C = 1000 classes,
// logits 2 * standard normal from the language's own seeded generator; softmax_cross_entropy with
// class-index targets uniform in [0, C) and binary_cross_entropy_with_logits with float targets
// uniform in [0, 1), both with default options (reduction mean), in float32 and float64. Run it with
//
//	go test -run '^$' -bench '^BenchmarkWorkload$' -benchtime 10x -count 1 .
//
// Each sub-benchmark reports ns/op (one call over the whole batch) and elements per second (elem/s);
// the figures are printed, never asserted.
const (
	workloadN = 4096
	workloadC = 1000
)

type workload struct {
	logits  []float64
	classes []int
	targets []float64
}

func newWorkload() workload {
	r := rand.New(rand.NewSource(20240601))
	w := workload{
		logits:  make([]float64, workloadN*workloadC),
		classes: make([]int, workloadN),
		targets: make([]float64, workloadN*workloadC),
	}
	for i := range w.logits {
		w.logits[i] = 2 * r.NormFloat64()
	}
	for i := range w.classes {
		w.classes[i] = r.Intn(workloadC)
	}
	for i := range w.targets {
		w.targets[i] = r.Float64()
	}
	return w
}

func BenchmarkWorkload(b *testing.B) {
	w := newWorkload()
	b.Run("sce/float32", func(b *testing.B) { benchSCE[float32](b, w) })
	b.Run("sce/float64", func(b *testing.B) { benchSCE[float64](b, w) })
	b.Run("bce_logits/float32", func(b *testing.B) { benchBCELogits[float32](b, w) })
	b.Run("bce_logits/float64", func(b *testing.B) { benchBCELogits[float64](b, w) })
}

func convert[T xent.Float](x []float64) []T {
	out := make([]T, len(x))
	for i, v := range x {
		out[i] = T(v)
	}
	return out
}

func benchSCE[T xent.Float](b *testing.B, w workload) {
	logits := xent.NewTensor(convert[T](w.logits), workloadN, workloadC)
	target := xent.NewTensor(w.classes)
	run(b, func() error {
		_, err := xent.SoftmaxCrossEntropy(logits, target)
		return err
	})
}

func benchBCELogits[T xent.Float](b *testing.B, w workload) {
	z := xent.NewTensor(convert[T](w.logits), workloadN, workloadC)
	y := xent.NewTensor(convert[T](w.targets), workloadN, workloadC)
	run(b, func() error {
		_, err := xent.BCEWithLogits(z, y)
		return err
	})
}

// run times f over the workload's N*C elements and reports elements per second.
func run(b *testing.B, f func() error) {
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := f(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(workloadN*workloadC)*float64(b.N)/b.Elapsed().Seconds(), "elem/s")
}
