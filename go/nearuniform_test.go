package xent

import (
	"math"
	"testing"
)

// softmax_cross_entropy_grad with label smoothing 1 (uniform target) on nearly uniform logits
// (fuzz finding, `xent-conformance fuzz --impl go --function softmax_cross_entropy_grad --seed 11`):
// g_c M - m_c cancels to a value of the order of the logits' spread. The expected values are the
// oracle's, computed with mpmath at 1000 bits and rounded once to float64:
//
//	python3 -c "from mpmath import mp, mpf, exp; mp.prec = 1000
//	def grad(x, n):  # one row, target uniform (eps = 1), weights 1, mean over n rows
//	    e = [exp(mpf(v)) for v in x]; q = mpf(1) / len(x)
//	    return [float((ek / sum(e) - q) / n).hex() for ek in e]
//	print(grad([0, float.fromhex('0x1.4f8b588e368f1p-17')], 1))
//	print(grad([0] * 5 + [float.fromhex('0x1.f74d54bbe84dep-102')], 3), grad([0] * 5 + [1], 3))"
func TestSCEGradNearUniformLogits(t *testing.T) {
	const (
		a = -0x1.2a40c9ea9c9ffp-108
		b = -0x1.9546bace3869ep-7
	)
	cases := []struct {
		logits []float64
		shape  []int
		want   []float64
	}{
		{[]float64{0, 0x1.4f8b588e368f1p-17}, []int{1, 2},
			[]float64{-0x1.4f8b588e2a8cap-19, 0x1.4f8b588e2a8cap-19}},
		{[]float64{0, 0, 0, 0, 0, 0x1.f74d54bbe84dep-102, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1}, []int{3, 6},
			[]float64{a, a, a, a, a, 0x1.74d0fc6543c7fp-106, b, b, b, b, b, 0x1.fa986981c6845p-5, b, b, b, b, b, 0x1.fa986981c6845p-5}},
	}
	for _, c := range cases {
		target := make([]int, c.shape[0])
		got, err := SoftmaxCrossEntropyGrad(NewTensor(c.logits, c.shape...), NewTensor(target), WithLabelSmoothing(1))
		if err != nil {
			t.Fatal(err)
		}
		for i, w := range c.want {
			// within 2 ulp: the spec's accurate bound here is of the order of the result's ulp
			if math.Abs(got.Data[i]-w) > 2*math.Abs(math.Nextafter(w, 0)-w) {
				t.Errorf("logits %x: grad[%d] = %x, want %x", c.logits, i, got.Data[i], w)
			}
		}
	}
}
