package xent

import "math"

// sigmoidDD returns sigmoid(z) = 1 / (1 + exp(-z)) for any z (limits at +-inf, NaN for NaN).
func sigmoidDD(z float64) doubleDouble {
	switch {
	case math.IsNaN(z):
		return doubleDouble{math.NaN(), 0}
	case math.IsInf(z, 1):
		return ddF(1)
	case math.IsInf(z, -1):
		return doubleDouble{}
	case z >= 0:
		return ddDiv(ddF(1), ddAddF(expDD(ddF(-z)), 1))
	}
	e := expDD(ddF(z))
	if e.hi == 0 {
		return doubleDouble{}
	}
	return ddDiv(e, ddAddF(e, 1))
}

// softplusPair returns softplus(z) and softplus(-z), which share log1p(exp(-|z|)): one exponential
// and one logarithm for both. The small one is extended-range: for |z| > 700, where it is exp(-|z|)
// to far beyond double-double precision and would lose bits in (or below) float64's subnormal
// range, it is returned as exp(-|z| + 512 ln2) 2^-512, so that a sum of many such terms is formed
// before it is rounded.
func softplusPair(z float64) (xdd, xdd) {
	if !isFinite(z) {
		return xOf(softplusDD(z)), xOf(softplusDD(-z))
	}
	a := math.Abs(z)
	var big, small xdd
	if a > 700 {
		const s = 512 // -a + 512 ln2, with ln2 in three parts (the sum is exact to 2^-100)
		x := ddAddF(ddAddF(ddAddF(ddF(-a), s*ln2Hi), s*ln2Mid), s*ln2Lo)
		big, small = xOf(ddF(a)), xdd{expDD(x), -s}
	} else {
		t := log1pDD(expDD(ddF(-a)))
		big, small = xOf(ddAddF(t, a)), xOf(t)
	}
	if z > 0 {
		return big, small
	}
	return small, big
}

// softplusDD returns softplus(z) = max(z, 0) + log1p(exp(-|z|)) for any z.
func softplusDD(z float64) doubleDouble {
	switch {
	case math.IsNaN(z):
		return doubleDouble{math.NaN(), 0}
	case math.IsInf(z, 1):
		return doubleDouble{math.Inf(1), 0}
	case math.IsInf(z, -1):
		return doubleDouble{}
	}
	l := log1pDD(expDD(ddF(-math.Abs(z))))
	if z > 0 {
		return ddAddF(l, z)
	}
	return l
}

// Sigmoid returns the logistic function sigmoid(z) = 1 / (1 + exp(-z)), computed as
// exp(z) / (1 + exp(z)) for z < 0 so that no exponential overflows. sigmoid(+inf) = 1,
// sigmoid(-inf) = 0, and NaN gives NaN.
func Sigmoid[T Float](z T) T { return T(sigmoidDD(float64(z)).float()) }

// LogSigmoid returns log(sigmoid(z)) = -softplus(-z) = -log(1 + exp(-z)).
// LogSigmoid(+inf) = -0, LogSigmoid(-inf) = -inf, and NaN gives NaN.
func LogSigmoid[T Float](z T) T { return T(softplusDD(-float64(z)).neg().float()) }

// Softplus returns softplus(z) = log(1 + exp(z)), computed as max(z, 0) + log1p(exp(-|z|)).
// Softplus(+inf) = +inf, Softplus(-inf) = 0, and NaN gives NaN.
func Softplus[T Float](z T) T { return T(softplusDD(float64(z)).float()) }
