package main

import (
	"math"

	xent "github.com/xent-conformance/xent/go"
	"github.com/xent-conformance/xent/go/internal/adapter"
)

// The mutants of issues 17 (gradients under an upstream gradient, the class mask) and 18 (merges,
// shards, fused linear cross-entropy), appended to the catalogue in the Python catalogue's order
// (this file's init runs after mutants_sce_large.go's: Go runs a package's init functions in
// file-name order).

var linearCE = []string{"linear_cross_entropy", "linear_cross_entropy_grad"}

func init() {
	mutants = append(mutants,
		mutant{"linear_ce_bias_dropped", "the fused kernel never adds linear_bias to the logits (a kernel written for the bias-free heads of language models, given a bias); the bias gradient is still the positions' sum of the logits' gradient, now of the bias-free logits.",
			killCompatible, linearCE, rewrite(func(c *adapter.Case) *adapter.Case {
				b, shape, ok := c.Floats("linear_bias", true)
				if !ok {
					return nil
				}
				return c.With(map[string]any{"linear_bias": c.FloatTensor(make([]float64, len(b)), shape)}, nil)
			})},
		mutant{"linear_ce_weight_grad_transposed", "the weight gradient accumulated as hidden^T @ G, shape [H, C] (the layout of a kernel that keeps the head transposed), and handed back in linear_weight's [C, H] shape without transposing: its data reshaped, not transposed.",
			killCompatible, []string{"linear_cross_entropy_grad"}, values(func(c *adapter.Case, r adapter.Result) []float64 {
				var wrt string
				if !c.Param("wrt", &wrt) || wrt != "linear_weight" {
					return nil
				}
				rows, cols := r.Shape[0], r.Shape[1] // [C, H]
				out := make([]float64, len(r.Data))
				for h := 0; h < cols; h++ {
					for k := 0; k < rows; k++ {
						out[h*rows+k] = r.Data[k*cols+h] // the [H, C] transpose's data
					}
				}
				return out
			})},
		mutant{"linear_ce_logits_rounded_to_dtype_then_ce", "a plain port: the logits hidden @ linear_weight.T + linear_bias as a matmul in the data's dtype (numpy's BLAS in float64 and float32; float32 accumulation rounded once into float16 or bfloat16, as PyTorch's CPU half matmul), then the shipped cross-entropy and its gradient on those rounded logits in the dtype, and the chain rule as plain matmuls (float32 accumulation for 16-bit data). Ignored rows are not read (D2) and a mean over no weight is NaN everywhere (D3), as the spec says.",
			acceptCompatible, linearCE, checked(linearCERounded)},
	)
}

// linearPort holds a linear cross-entropy case read as a plain port sees it.
type linearPort struct {
	n, k, h       int
	hidden, w     []float64
	target        []int
	kept          []bool
	acc, rd       func(float64) float64 // the accumulator's rounding and the dtype's
	withoutLinear map[string]any        // the softmax_cross_entropy(_grad) parameters: linear's minus bias, wrt
}

func readLinearPort(c *adapter.Case) linearPort {
	p := linearPort{}
	var hs, ws []int
	p.hidden, hs, _ = c.Floats("hidden", false)
	p.w, ws, _ = c.Floats("linear_weight", false)
	p.target, _, _ = c.Ints("target")
	p.n, p.h, p.k = hs[0], hs[1], ws[0]
	ignore, ignoreNull := -100, false
	if raw, ok := c.Params["ignore_index"]; ok {
		ignoreNull = string(raw) == "null"
		c.Param("ignore_index", &ignore)
	}
	p.kept = make([]bool, p.n)
	for i, y := range p.target {
		p.kept[i] = ignoreNull || y != ignore
	}
	p.rd = dtypeRounding(c.Dtype)
	p.acc = p.rd
	if c.Dtype == "float16" || c.Dtype == "bfloat16" {
		p.acc = dtypeRounding("float32")
	}
	p.withoutLinear = map[string]any{"linear_bias": nil, "wrt": nil}
	return p
}

// dtypeRounding returns rounding to the named dtype (16-bit through the library's conversions).
func dtypeRounding(dtype string) func(float64) float64 {
	switch dtype {
	case "float32":
		return func(v float64) float64 { return float64(float32(v)) }
	case "float16":
		return xent.RoundTo[xent.Float16]
	case "bfloat16":
		return xent.RoundTo[xent.BFloat16]
	}
	return func(v float64) float64 { return v }
}

// dot is a plain dot product accumulated with acc's rounding at every step, rounded to rd.
func (p linearPort) dot(terms int, term func(i int) float64) float64 {
	s := 0.0
	for i := 0; i < terms; i++ {
		s = p.acc(s + p.acc(term(i)))
	}
	return p.rd(s)
}

// linearCERounded answers a linear cross-entropy case as the plain port: logits by a matmul in the
// dtype, the shipped softmax cross-entropy (or its gradient) on them, the chain rule by matmuls.
func linearCERounded(c *adapter.Case) adapter.Result {
	p := readLinearPort(c)
	bias, _, hasBias := c.Floats("linear_bias", true)
	z := make([]float64, p.n*p.k)
	for n := 0; n < p.n; n++ {
		for k := 0; k < p.k; k++ {
			if !p.kept[n] {
				continue // the row is not read (D2): its logits are 0
			}
			v := p.dot(p.h, func(i int) float64 { return p.hidden[n*p.h+i] * p.w[k*p.h+i] })
			if hasBias {
				v = p.rd(p.acc(v + bias[k]))
			}
			z[n*p.k+k] = v
		}
	}
	inputs := map[string]any{"hidden": nil, "linear_weight": nil, "logits": c.FloatTensor(z, []int{p.n, p.k})}
	fn := "softmax_cross_entropy"
	if c.Function == "linear_cross_entropy_grad" {
		fn += "_grad"
	}
	sce := c.With(p.withoutLinear, inputs)
	sce.Function = fn
	g := adapter.Shipped(sce)
	if g.ErrKind != "" || fn == "softmax_cross_entropy" {
		return g
	}
	var wrt string
	if !c.Param("wrt", &wrt) {
		wrt = "hidden"
	}
	return adapter.Result{Shape: linearShape(p, wrt), Data: p.chain(g.Data, wrt, p.meanOverNothing(c)), Dtype: g.Dtype}
}

// meanOverNothing reports D3's case: reduction mean with empty_mean nan and no weight among the kept
// positions (none kept, N = 0, or all their w_y 0), where the gradient is NaN everywhere.
func (p linearPort) meanOverNothing(c *adapter.Case) bool {
	empty := "nan"
	c.Param("empty_mean", &empty)
	if reduction(c) != "mean" || empty != "nan" {
		return false
	}
	w, _, weighted := c.Floats("weight", true)
	for n, kept := range p.kept {
		if kept && (!weighted || w[p.target[n]] != 0) {
			return false
		}
	}
	return true
}

func linearShape(p linearPort, wrt string) []int {
	switch wrt {
	case "linear_weight":
		return []int{p.k, p.h}
	case "linear_bias":
		return []int{p.k}
	}
	return []int{p.n, p.h}
}

// chain returns G chained through the linear layer by matmuls in the dtype.
func (p linearPort) chain(G []float64, wrt string, allNaN bool) []float64 {
	shape := linearShape(p, wrt)
	out := make([]float64, positionsOf(shape))
	if allNaN {
		return mapf(out, func(float64) float64 { return math.NaN() })
	}
	for i := range out {
		switch wrt {
		case "linear_weight":
			k, h := i/p.h, i%p.h
			out[i] = p.dot(p.n, func(n int) float64 {
				if !p.kept[n] {
					return 0
				}
				return G[n*p.k+k] * p.hidden[n*p.h+h]
			})
		case "linear_bias":
			out[i] = p.dot(p.n, func(n int) float64 { return G[n*p.k+i] })
		default:
			n, h := i/p.h, i%p.h
			if p.kept[n] {
				out[i] = p.dot(p.k, func(k int) float64 { return G[n*p.k+k] * p.w[k*p.h+h] })
			}
		}
	}
	return out
}

func positionsOf(shape []int) int {
	n := 1
	for _, v := range shape {
		n *= v
	}
	return n
}

// upstreamGrads are the gradients of a loss that take grad_output (Python's UPSTREAM_GRADS).
var upstreamGrads = []string{"softmax_cross_entropy_grad", "binary_cross_entropy_with_logits_grad", "sigmoid_mse_grad",
	"focal_loss_grad", "binary_cross_entropy_grad"}

func init() {
	mutants = append(mutants,
		mutant{"grad_output_first_broadcast", "the upstream gradient's first element broadcast to every position: grad_output[0] * gradient, right only when grad_output is a scalar or constant (Liger-Kernel issues #968, #678 and #1298: the fused cross-entropy's backward with reduction none).",
			killCompatible, upstreamGrads, rewrite(func(c *adapter.Case) *adapter.Case {
				v, shape, ok := c.Floats("grad_output", true)
				if !ok || len(v) == 0 {
					return nil
				}
				return c.With(map[string]any{"grad_output": c.FloatTensor(mapf(v, func(float64) float64 { return v[0] }), shape)}, nil)
			})},
		mutant{"vjp_ignores_grad_output", "the upstream gradient ignored: the gradient of the loss itself (grad_output taken as ones), right only under loss.sum().backward(); softmax_grad and log_softmax_grad with v = ones.",
			killCompatible, append(append([]string{}, upstreamGrads...), "softmax_grad", "log_softmax_grad"), rewrite(func(c *adapter.Case) *adapter.Case {
				if c.Function != "softmax_grad" && c.Function != "log_softmax_grad" {
					return c.With(map[string]any{"grad_output": nil}, nil)
				}
				v, shape, _ := c.Floats("grad_output", false)
				return c.With(nil, map[string]any{"grad_output": c.FloatTensor(mapf(v, func(float64) float64 { return 1 }), shape)})
			})},
		mutant{"bce_grad_clip_boundary_zero", "the clip's gradient taken as 0 at its bounds too (p = epsilon or p = 1 - epsilon), a strict inequality where torch.clamp's backward passes the gradient (min <= x <= max).",
			killCompatible, []string{"binary_cross_entropy_grad"}, values(func(c *adapter.Case, r adapter.Result) []float64 {
				p, _, _ := c.Floats("p", false)
				eps := floatParamOr(c, "epsilon", 1e-15)
				return mapIdx(r.Data, func(i int, g float64) float64 {
					if p[i] == eps || (p[i] >= 0.5 && 1-p[i] == eps) {
						return 0
					}
					return g
				})
			})},
		mutant{"focal_grad_missing_gamma_term", "the focal modulating factor treated as a constant: alpha_y (1 - p_t)^gamma (g - onehot(y)), without the term gamma (1 - p_t)^(gamma - 1) p_t (-log p_t) of d(1 - p_t)^gamma / d p_t.",
			killCompatible, []string{"focal_loss_grad"}, checked(focalGradMissingGammaTerm)},
		mutant{"port_softmax_grad_plain", "PyTorch's _softmax_backward_data as a plain port: g = softmax(x) rounded to the dtype (the forward's output), then g * (v - sum(g * v)) in the dtype (float32 for 16-bit data, rounded once into it).",
			acceptCompatible, []string{"softmax_grad"}, checked(portRowGrad("softmax", func(rd func(float64) float64, g, v []float64, out []float64) {
				gv := make([]float64, len(g))
				for i := range g {
					gv[i] = rd(g[i] * v[i])
				}
				s := pairwise(gv, rd)
				for j := range out {
					out[j] = rd(g[j] * rd(v[j]-s))
				}
			}))},
		mutant{"port_log_softmax_grad_plain", "PyTorch's _log_softmax_backward_data as a plain port: v - exp(lp) * sum(v) with lp = log_softmax(x) rounded to the dtype (the forward's output), in the dtype (float32 for 16-bit data).",
			acceptCompatible, []string{"log_softmax_grad"}, checked(portRowGrad("log_softmax", func(rd func(float64) float64, lp, v []float64, out []float64) {
				s := pairwise(v, rd)
				for j := range out {
					out[j] = rd(v[j] - rd(rd(math.Exp(lp[j]))*s))
				}
			}))},
	)
}

// focalGradMissingGammaTerm answers focal_loss_grad as the gradient at gamma 0 (alpha_y (g - onehot(y)),
// shipped) times (1 - p_t)^gamma, p_t from softmax in float64.
func focalGradMissingGammaTerm(c *adapter.Case) adapter.Result {
	gamma := floatParamOr(c, "gamma", 2)
	base := adapter.Shipped(c.With(map[string]any{"gamma": "0x0p+0"}, nil))
	x, shape, _ := c.Floats("logits", false)
	y, _, _ := c.Ints("target")
	g, err := xent.SoftmaxTensor(xent.NewTensor(x, shape...))
	if base.ErrKind != "" || err != nil {
		return base
	}
	k, rd := shape[1], rounding(c)
	base.Data = mapIdx(base.Data, func(i int, v float64) float64 {
		n := i / k
		return rd(v * math.Pow(1-g.Data[n*k+y[n]], gamma))
	})
	return base
}

// portRowGrad answers softmax_grad or log_softmax_grad as a plain port: the shipped forward fwd
// (softmax or log_softmax) on x, rounded to the dtype, then row(rd, f, v, out) along the axis in the
// port's dtype (float32 for 16-bit data).
func portRowGrad(fwd string, row func(rd func(float64) float64, f, v, out []float64)) func(*adapter.Case) adapter.Result {
	return func(c *adapter.Case) adapter.Result {
		fc := c.With(nil, map[string]any{"grad_output": nil})
		fc.Function = fwd
		f := adapter.Shipped(fc)
		v, shape, _ := c.Floats("grad_output", false)
		axis := -1
		c.Param("axis", &axis)
		if axis < 0 {
			axis += len(shape)
		}
		rd := dtypeRounding(c.Dtype)
		if c.Dtype == "float16" || c.Dtype == "bfloat16" {
			rd = dtypeRounding("float32")
		}
		n, inner := shape[axis], positionsOf(shape[axis+1:])
		out := make([]float64, len(v))
		fs, vs, res := make([]float64, n), make([]float64, n), make([]float64, n)
		for s := 0; s < positionsOf(shape[:axis])*inner; s++ {
			off := s/inner*n*inner + s%inner
			for j := 0; j < n; j++ {
				fs[j], vs[j] = f.Data[off+j*inner], v[off+j*inner]
			}
			row(rd, fs, vs, res)
			for j := 0; j < n; j++ {
				out[off+j*inner] = res[j]
			}
		}
		return adapter.Result{Shape: shape, Data: out, Dtype: f.Dtype}
	}
}
