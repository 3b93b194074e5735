package xent

import (
	"math"
	"testing"
)

// Means whose intermediate sums exceed float64's range while the result is finite (fuzz finding
// `xent-conformance fuzz --impl go --budget 600 --seed 11`). The expected values are the oracle's,
// computed with mpmath at 2000 bits and rounded once to float64:
//
//	python3 -c "from mpmath import mp, mpf, log, exp, log1p; mp.prec = 2000;
//	  M = mpf(float.fromhex('0x1.fffffffffffffp+1023'));
//	  lse = lambda xs: max(xs) + log(sum(exp(x - max(xs)) for x in xs));
//	  sp = lambda z: log1p(exp(z)) if z < 0 else z + log1p(exp(-z));
//	  print(float((2 * lse([M, 0]) + mpf('0.5') * lse([0, 0])) / mpf('2.5')).hex(),  # sce
//	        float((2 * sp(M) + sp(mpf(1))) / 2).hex(),                             # bce_logits
//	        float((sp(M) + sp(M)) / 2).hex(),                                      # sigmoid_focal
//	        float((2 * M + 2 * log(2)) / 2).hex(),                                 # focal (alpha 2)
//	        float(log(2)).hex())"                                                  # weights near max
func TestMeanNearFloat64Max(t *testing.T) {
	const big = math.MaxFloat64
	cases := []struct {
		name string
		run  func() (Tensor[float64], error)
		want float64
	}{
		{"softmax_cross_entropy weight 2", func() (Tensor[float64], error) {
			return SoftmaxCrossEntropy(NewTensor([]float64{big, 0, 0, 0}, 2, 2), NewTensor([]int{1, 0}),
				WithWeight([]float64{0.5, 2}))
		}, 0x1.9999999999999p+1023},
		{"softmax_cross_entropy weights near max", func() (Tensor[float64], error) {
			return SoftmaxCrossEntropy(NewTensor([]float64{0, 0, 0, 0}, 2, 2), NewTensor([]int{0, 1}),
				WithWeight([]float64{big, big}))
		}, 0x1.62e42fefa39efp-1},
		{"binary_cross_entropy_with_logits pos_weight 2", func() (Tensor[float64], error) {
			return BCEWithLogits(NewTensor([]float64{-big, 1}, 1, 2), NewTensor([]float64{1, 0}, 1, 2),
				WithPosWeight([]float64{2, 2}))
		}, 0x1.fffffffffffffp+1023},
		{"sigmoid_focal_loss mean", func() (Tensor[float64], error) {
			return SigmoidFocalLoss(NewTensor([]float64{-big, -big}), NewTensor([]float64{1, 1}),
				WithoutAlpha(), WithGamma(0), WithReduction(ReductionMean))
		}, 0x1.fffffffffffffp+1023},
		{"focal_loss alpha 2", func() (Tensor[float64], error) {
			return FocalLoss(NewTensor([]float64{0, big, 0, 0}, 2, 2), []int{0, 0},
				WithGamma(0), WithClassAlpha([]float64{2, 1}))
		}, 0x1.fffffffffffffp+1023},
	}
	for _, c := range cases {
		got, err := c.run()
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if v, _ := got.Item(); v != c.want {
			t.Errorf("%s = %x, want %x", c.name, v, c.want)
		}
	}
}

// The extended-range path must leave ordinary values bit-identical to the plain double-double path.
func TestXDDMatchesDDInRange(t *testing.T) {
	var a acc
	var x xacc
	for i := 1; i <= 100; i++ {
		c, v := ddF(1/float64(i)), ddF(float64(i*i)+0.1)
		a.addDD(mulDD(c, v))
		x.addProd(c, v)
	}
	if got, want := x.value(), a.value(); got.e != 0 || got.m != want {
		t.Errorf("xacc = %v, acc = %v", got, want)
	}
}

// A sum of per-element losses in float64's subnormal range is formed before it is rounded (fuzz
// finding, `xent-conformance fuzz --impl go --function binary_cross_entropy_with_logits --seed 11`):
// 36 elements softplus(-745) = 0.571... * 2^-1074 each sum to 20.565 * 2^-1074, not 36 * 2^-1074.
// Oracle: python3 -c "from mpmath import mp, mpf, exp, log1p; mp.prec = 200;
// print(float(36 * log1p(exp(mpf(-745)))).hex(), float(log1p(exp(mpf(-745)))).hex())"
func TestSubnormalSum(t *testing.T) {
	z, y := make([]float64, 36), make([]float64, 36)
	for i := range z {
		z[i] = -745
	}
	for red, want := range map[Reduction]float64{ReductionSum: 0x0.0000000000015p-1022, ReductionNone: 0x0.0000000000001p-1022} {
		got, err := BCEWithLogits(NewTensor(z, 1, 1, 3, 3, 4), NewTensor(y, 1, 1, 3, 3, 4), WithReduction(red))
		if err != nil {
			t.Fatal(err)
		}
		if got.Data[0] != want {
			t.Errorf("reduction %s: got %x, want %x", red, got.Data[0], want)
		}
	}
}

// Label smoothing with a subnormal epsilon: eps / C underflows in double-double, but the smoothed
// masses are positive (fuzz finding, `xent-conformance fuzz --impl go --function
// softmax_cross_entropy --seed 11`): with zero total target weight the mean is +inf (positive / 0),
// not NaN (0 / 0). Oracle: python3 -c "from mpmath import mp, mpf, log; mp.prec = 200;
// print(float(4 * 3 * mpf(2)**-1076 * log(4)).hex())" for the sum; the mean is that over 0.
func TestSubnormalLabelSmoothing(t *testing.T) {
	logits := NewTensor(make([]float64, 16), 4, 4)
	target := NewTensor([]int{0, 0, 0, 0})
	for red, want := range map[Reduction]float64{ReductionMean: math.Inf(1), ReductionSum: 0x0.0000000000004p-1022} {
		got, err := SoftmaxCrossEntropy(logits, target, WithWeight([]float64{0, 1, 1, 1}),
			WithLabelSmoothing(0x1p-1074), WithReduction(red))
		if err != nil {
			t.Fatal(err)
		}
		if v, _ := got.Item(); v != want {
			t.Errorf("reduction %s: got %x, want %x", red, v, want)
		}
	}
}

// A logit shift x_y - a that overflows (logits +-max in one row) leaves nll finite (about 2 max), and
// the mean over two rows is finite (fuzz finding, `xent-conformance fuzz --impl go --function
// softmax_cross_entropy --seed 11`). Oracle (mpmath, 3000 bits):
//
//	python3 -c "from mpmath import mp, mpf, log, exp
//	mp.prec = 3000; M = mpf(float.fromhex('0x1.fffffffffffffp+1023'))
//	lse = lambda xs: max(xs) + log(sum(exp(x - max(xs)) for x in xs)); n0 = lse([M, -M, 0, 0]) + M
//	print(float((n0 + log(4)) / 2).hex(), float(((1 - exp(-n0))**2 * n0 + mpf(9) / 16 * log(4)) / 2).hex())"
func TestOverflowingShift(t *testing.T) {
	const big = math.MaxFloat64
	logits := NewTensor([]float64{big, -big, 0, 0, 0, 0, 0, 0}, 2, 4)
	sce, err := SoftmaxCrossEntropy(logits, NewTensor([]int{1, 0}))
	if err != nil {
		t.Fatal(err)
	}
	focal, err := FocalLoss(logits, []int{1, 0})
	if err != nil {
		t.Fatal(err)
	}
	for name, got := range map[string]Tensor[float64]{"softmax_cross_entropy": sce, "focal_loss": focal} {
		if v, _ := got.Item(); v != 0x1.fffffffffffffp+1023 {
			t.Errorf("%s = %x, want %x", name, v, 0x1.fffffffffffffp+1023)
		}
	}
}

// A focal factor (1 - p_t)^gamma below float64's normal range keeps its digits: here
// 1 - p_t = y sigmoid(-z) = 1.6e-161 and its square is subnormal (fuzz finding of the Java
// implementation). Expected value: /tmp/newvec2/sigmoid_focal_loss_float64.json, tcId 54 (the
// oracle's vector for the new spec case in spec/cases/sigmoid_focal_loss).
func TestSigmoidFocalFactorBelowNormalRange(t *testing.T) {
	got, err := SigmoidFocalLoss(NewTensor([]float64{-0x1.8e5ce4b9a0167p+889}),
		NewTensor([]float64{0x1.a530ea7c69747p-535}), WithAlpha(0.25), WithGamma(2))
	if err != nil {
		t.Fatal(err)
	}
	if want := 0x1.4ca865a6011dbp-714; got.Data[0] != want {
		t.Errorf("got %x, want %x", got.Data[0], want)
	}
	// gamma 2.5 takes the exp/log form (factor about 2^-1336, loss normal). Oracle:
	//	python3 -c "from mpmath import mp, mpf, exp, log1p; mp.prec = 3000
	//	z = mpf(float.fromhex('-0x1.8e5ce4b9a0167p+889')); y = mpf(float.fromhex('0x1.a530ea7c69747p-535'))
	//	sp = lambda t: log1p(exp(t)) if t < 0 else t + log1p(exp(-t)); sg = lambda t: 1 / (1 + exp(-t))
	//	ce = y * sp(-z) + (1 - y) * sp(z); omp = y * sg(-z) + (1 - y) * sg(z)
	//	print(float(ce * omp**mpf(2.5) * (mpf(0.25) * y + mpf(0.75) * (1 - y))).hex())"
	got, err = SigmoidFocalLoss(NewTensor([]float64{-0x1.8e5ce4b9a0167p+889}),
		NewTensor([]float64{0x1.a530ea7c69747p-535}), WithAlpha(0.25), WithGamma(2.5))
	if err != nil {
		t.Fatal(err)
	}
	if want := 0x1.2db8009e891ecp-981; math.Abs(got.Data[0]-want) > 2*(math.Nextafter(want, 1)-want) {
		t.Errorf("gamma 2.5: got %x, want %x", got.Data[0], want)
	}
}

// The gradient with a subnormal label smoothing: eps / C underflows unless the masses are scaled
// (fuzz finding of the Java implementation); position (3, 1) has target weight 0, so its gradient
// is the smoothing's alone, a few subnormal steps. Expected values:
// /tmp/newvec2/softmax_cross_entropy_grad_float64.json, tcId 84.
func TestSubnormalLabelSmoothingGrad(t *testing.T) {
	got, err := SoftmaxCrossEntropyGrad(NewTensor(make([]float64, 40), 4, 5, 2),
		NewTensor([]int{0, 0, 0, 0, 0, 0, 0, 3}, 4, 2), WithWeight([]float64{1, 1, 1, 0, 100}),
		WithLabelSmoothing(0x1p-1074), WithReduction(ReductionMean))
	if err != nil {
		t.Fatal(err)
	}
	const a, b, s = -0x1.d41d41d41d41dp-4, 0x1.d41d41d41d41dp-6, 0x0.0000000000001p-1022
	row := []float64{a, a, b, b, b, b, b, b, b, b}
	var want []float64
	for range 3 {
		want = append(want, row...)
	}
	want = append(want, a, s, b, s, b, s, b, s, b, -2*s)
	for i, w := range want {
		if got.Data[i] != w {
			t.Errorf("element %d: got %x, want %x", i, got.Data[i], w)
		}
	}
}

// logsumexp of [0, -745 x5] sums the five terms exp(-745) = 0.57... * 2^-1074 before rounding
// (fuzz finding, Java seed 16, Go likewise; vector /tmp/newvec4/logsumexp_float64.json tcId 53):
// lse = log1p(5 exp(-745)) = 2.86 * 2^-1074 rounds to 3 * 2^-1074, not 5 * 2^-1074; log_softmax
// at the maximum is -lse. Oracle: python3 -c "from mpmath import mp, mpf, exp, log1p; mp.prec=200;
// print(float(log1p(5*exp(mpf(-745)))).hex())"
func TestLogSumExpSubnormalTerms(t *testing.T) {
	const want = 0x0.0000000000003p-1022
	x := []float64{0, -745, -745, -745, -745, -745}
	got, err := LogSumExp(x)
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Errorf("LogSumExp: got %x, want %x", got, want)
	}
	ls, err := LogSoftmax(x)
	if err != nil {
		t.Fatal(err)
	}
	if ls[0] != -want {
		t.Errorf("LogSoftmax[0]: got %x, want %x", ls[0], -want)
	}
	// A subnormal maximum: a + L rounded once (2^-1074 + 2.86 * 2^-1074 -> 4 * 2^-1074).
	y := []float64{0x1p-1074, -745, -745, -745, -745, -745}
	if got, _ := LogSumExp(y); got != 0x0.0000000000004p-1022 {
		t.Errorf("LogSumExp(subnormal max): got %x, want %x", got, 0x0.0000000000004p-1022)
	}
}
