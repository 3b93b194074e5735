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
