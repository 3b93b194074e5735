package main

import (
	"encoding/json"
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
		mutant{"where_masked_logit_as_zero", "class mask applied by zeroing: an excluded class gets logit 0 (logits * mask, or a masked_fill with 0) instead of being left out, so exp(0) still counts in the log-sum-exp and the softmax; its target mass is still dropped and its own gradient still 0 (issue 17, optax's where).",
			killCompatible, sce, checked(whereMaskedLogitAsZero)},
		mutant{"lse_of_uncapped_logits", "result lse taken before the soft-cap: the log-sum-exp a kernel kept from the scaled logits x' while the loss used the capped x'' (issue 17's extra outputs; Liger and flash-attention keep the lse of the logits they actually normalised).",
			killCompatible, []string{"softmax_cross_entropy"}, rewrite(func(c *adapter.Case) *adapter.Case {
				var result string
				if !c.Param("result", &result) || result != "lse" {
					return nil
				}
				return c.With(map[string]any{"softcap": nil}, nil)
			})},
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
		mutant{"linear_ce_ignored_rows_multiplied", "the weight gradient as a plain G^T @ hidden over every row: an ignored position's zero logits gradient is multiplied by its hidden row, so a NaN or infinite padding row makes the weight gradient NaN (what a chunked kernel's grad_logits_chunk.T @ input_chunk does; spec D2 leaves the row unread).",
			killCompatible, []string{"linear_cross_entropy_grad"}, values(linearIgnoredRowsMultiplied)},
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
		mutant{"port_focal_grad_autodiff", "autodiff of the seed's focal loss as a plain port in the dtype (float32 for 16-bit data): lp = log_softmax(x) rounded, p = exp(lp_y), ce = -lp_y, r = 1 - p by subtraction, dFL/dce = alpha_y (r^gamma + gamma r^(gamma - 1) p ce), gradient dFL/dce (exp(lp) - onehot(y)), the reduction's 1/N and grad_output as shipped; where r rounds to 0 (p = 1 in the dtype) the row's gradient is taken as 0 (a port's guard against 0^(gamma - 1) = inf).",
			acceptCompatible, []string{"focal_loss_grad"}, checked(portFocalGradAutodiff)},
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

func init() {
	mutants = append(mutants,
		mutant{"merge_empty_partition_nan", "the merge rescales every state by b^(m_i - M) with no special case: a column of empty partitions (every m_i = -inf) or of +inf maxima forms -inf - (-inf) = NaN, and the lse merge returns NaN instead of -inf for all-empty columns (vllm-project/vllm PR #39148; flashinfer #4051).",
			killCompatible, merges, checked(columnwise(plainStateMerge, plainLSEMerge))},
		mutant{"merge_flt_max_sentinel", "an empty partition stored with the sentinel -max (the dtype's most negative finite value, -FLT_MAX in float32 kernels) instead of -inf: a fully masked column gets a finite maximum, every masked state the weight b^0 = 1, and the lse merge -max + log K instead of -inf (NVIDIA/TensorRT-LLM #17477).",
			killCompatible, merges, rewrite(func(c *adapter.Case) *adapter.Case {
				name := "lse"
				if c.Function == "online_softmax_merge" {
					name = "m"
				}
				x, shape, _ := c.Floats(name, false)
				sentinel := -dtypeMax(c.Dtype)
				return c.With(nil, map[string]any{name: c.FloatTensor(mapf(x, func(v float64) float64 {
					if math.IsInf(v, -1) {
						return sentinel
					}
					return v
				}), shape)})
			})},
		mutant{"merge_log2_ln_mixed", "base-2 statistics (exp2 kernels that scale by log2 e) merged with exp and log: the base parameter is ignored and every merge is done in base e (pytorch-labs/attention-gym PR #205; sglang PR #34213).",
			killCompatible, merges, rewrite(func(c *adapter.Case) *adapter.Case {
				return c.With(map[string]any{"base": "e"}, nil)
			})},
		mutant{"merge_nan_swallowed", "the running maximum taken with fmax, which skips NaN: a column with a NaN m_i gets the maximum of the others (NaN only when all are NaN) while D still carries the NaN (tenstorrent/tt-metal #56056; intel/torch-xpu-ops #5022).",
			killCompatible, []string{"online_softmax_merge"}, values(func(c *adapter.Case, r adapter.Result) []float64 {
				m, shape, _ := c.Floats("m", false)
				k, cols := shape[0], positionsOf(shape[1:])
				out := append([]float64(nil), r.Data...)
				for j := 0; j < cols; j++ {
					top, nan, kept := math.Inf(-1), false, false
					for i := 0; i < k; i++ {
						if v := m[i*cols+j]; math.IsNaN(v) {
							nan = true
						} else {
							top, kept = math.Max(top, v), true
						}
					}
					if nan {
						out[j], out[cols+j] = top, math.NaN()
						if !kept {
							out[j] = math.NaN()
						}
					}
				}
				return out
			})},
		mutant{"shards_local_vocab_smoothing", "label smoothing with the shard's local vocabulary: eps / shard_size of the target's shard (eps / (shard_size - 1) off_target) instead of eps / C over the whole vocabulary (NVIDIA/Megatron-LM #7464, #7452).",
			killCompatible, []string{"cross_entropy_from_shards"}, checked(shardsLocalVocab)},
		mutant{"mean_of_chunk_means", "reduction mean as the mean of per-chunk means over chunks of 2 positions (each chunk's loss sum divided by its own sum of w_y, then averaged), not one sum over one denominator: wrong whenever chunks have different denominators (weights, ignored positions, a short last chunk; NVIDIA NeMo Automodel #3803).",
			killCompatible, []string{"cross_entropy_from_shards"}, checked(meanOfChunkMeans)},
		mutant{"port_merge_plain", "a plain port of the merges in the data's dtype (float32 arithmetic for float16 and bfloat16, rounded into the dtype): M = max, D = sum of d_i b^(m_i - M) with the states at M taken as d_i and empty states as 0, NaN columns NaN; the lse merge as torch.logsumexp (shift by a finite max, log of the sum, no log1p).",
			acceptCompatible, merges, checked(portMerge)},
	)
}

var merges = []string{"online_softmax_merge", "lse_merge"}

// dtypeMax is the dtype's largest finite value.
func dtypeMax(dtype string) float64 {
	switch dtype {
	case "float32":
		return math.MaxFloat32
	case "float16":
		return 65504
	case "bfloat16":
		return 0x1.fep127
	}
	return math.MaxFloat64
}

// mergeBase returns b^t for the case's base (e or 2) and log_b.
func mergeBase(c *adapter.Case) (func(float64) float64, func(float64) float64) {
	var base string
	if c.Param("base", &base) && base == "2" {
		return math.Exp2, math.Log2
	}
	return math.Exp, math.Log
}

// columnwise answers a merge case column by column: state(ms, ds) for online_softmax_merge (M, D)
// and lse(ls) for lse_merge, in float64, rounded to the dtype.
func columnwise(state func(c *adapter.Case, ms, ds []float64) (float64, float64), lse func(c *adapter.Case, ls []float64) float64) func(*adapter.Case) adapter.Result {
	return func(c *adapter.Case) adapter.Result {
		r := adapter.Shipped(c)
		name := "lse"
		if c.Function == "online_softmax_merge" {
			name = "m"
		}
		x, shape, _ := c.Floats(name, false)
		d, _, _ := c.Floats("d", false)
		k, cols := shape[0], positionsOf(shape[1:])
		rd := rounding(c)
		for j := 0; j < cols; j++ {
			xs, ds := make([]float64, k), make([]float64, k)
			for i := 0; i < k; i++ {
				xs[i] = x[i*cols+j]
				if d != nil {
					ds[i] = d[i*cols+j]
				}
			}
			if name == "m" {
				M, D := state(c, xs, ds)
				r.Data[j], r.Data[cols+j] = rd(M), rd(D)
				continue
			}
			r.Data[j] = rd(lse(c, xs))
		}
		return r
	}
}

// npMax is numpy's max: NaN when any value is NaN, -inf for none.
func npMax(x []float64) float64 {
	top := math.Inf(-1)
	for _, v := range x {
		if math.IsNaN(v) {
			return v
		}
		top = math.Max(top, v)
	}
	return top
}

// plainStateMerge is a port's merge without special cases: M = max m_i, D = sum d_i b^(m_i - M).
func plainStateMerge(c *adapter.Case, ms, ds []float64) (float64, float64) {
	pow, _ := mergeBase(c)
	top, D := npMax(ms), 0.0
	for i, m := range ms {
		D += ds[i] * pow(m-top)
	}
	return top, D
}

// plainLSEMerge is M + log_b sum_i b^(l_i - M) without special cases (NaN for all -inf).
func plainLSEMerge(c *adapter.Case, ls []float64) float64 {
	pow, log := mergeBase(c)
	top, s := npMax(ls), 0.0
	for _, l := range ls {
		s += pow(l - top)
	}
	return top + log(s)
}

// portMerge answers a merge as a plain port in the data's dtype (float32 for 16-bit data): the
// states at M taken as d_i, empty states as 0, NaN columns NaN; the lse merge as torch.logsumexp
// (shift by a finite max, log of the sum).
func portMerge(c *adapter.Case) adapter.Result {
	rd := dtypeRounding(c.Dtype)
	if c.Dtype == "float16" || c.Dtype == "bfloat16" {
		rd = dtypeRounding("float32")
	}
	pow, log := mergeBase(c)
	return columnwise(func(c *adapter.Case, ms, ds []float64) (float64, float64) {
		top := npMax(ms)
		terms := make([]float64, len(ms))
		broken := math.IsNaN(top)
		for i, m := range ms {
			broken = broken || math.IsNaN(ds[i])
			switch {
			case m == top:
				terms[i] = ds[i]
			case math.IsInf(m, -1):
			default:
				terms[i] = rd(ds[i] * rd(pow(rd(m-top))))
			}
		}
		if broken {
			return math.NaN(), math.NaN()
		}
		return top, pairwise(terms, rd)
	}, func(c *adapter.Case, ls []float64) float64 {
		top := npMax(ls)
		shift := top
		if math.IsInf(top, 0) || math.IsNaN(top) {
			shift = 0
		}
		e := mapf(ls, func(l float64) float64 { return rd(pow(rd(l - shift))) })
		return rd(shift + rd(log(pairwise(e, rd))))
	})(c)
}

// shardsCase is a cross_entropy_from_shards case read in float64.
type shardsCase struct {
	lse, sums, xy []float64
	target, sizes []int
	w             []float64
	s, n, k       int
	eps           float64
	mode          string
	ignore        int
	ignoreNull    bool
}

func readShards(c *adapter.Case) shardsCase {
	sc := shardsCase{mode: "uniform", ignore: -100}
	var shape []int
	sc.lse, shape, _ = c.Floats("shard_lse", false)
	sc.sums, _, _ = c.Floats("shard_logit_sum", false)
	sc.xy, _, _ = c.Floats("target_logit", false)
	sc.target, _, _ = c.Ints("target")
	sc.sizes, _, _ = c.Ints("shard_size")
	sc.w, _, _ = c.Floats("weight", true)
	sc.s, sc.n = shape[0], shape[1]
	for _, v := range sc.sizes {
		sc.k += v
	}
	sc.eps, _ = c.FloatParam("label_smoothing")
	c.Param("label_smoothing_mode", &sc.mode)
	if raw, ok := c.Params["ignore_index"]; ok {
		sc.ignoreNull = string(raw) == "null"
		c.Param("ignore_index", &sc.ignore)
	}
	return sc
}

func (sc shardsCase) ignored(n int) bool { return !sc.ignoreNull && sc.target[n] == sc.ignore }

func (sc shardsCase) weight(c int) float64 {
	if sc.w == nil {
		return 1
	}
	return sc.w[c]
}

// positionLoss is the loss of position n with the smoothing share b, in float64.
func (sc shardsCase) positionLoss(n int, share float64) float64 {
	y := sc.target[n]
	wy, xy := sc.weight(y), sc.xy[n]
	col := make([]float64, sc.s)
	T := 0.0
	for s := range col {
		col[s], T = sc.lse[s*sc.n+n], T+sc.sums[s*sc.n+n]
	}
	top, sum := npMax(col), 0.0
	if math.IsInf(top, 0) {
		sum = 1 // +inf (or all -inf): L = top
	} else {
		for _, l := range col {
			sum += math.Exp(l - top)
		}
	}
	L := top + math.Log(sum)
	loss := mul0((1-sc.eps)*wy, L-xy)
	if sc.eps == 0 {
		return loss
	}
	W := 0.0
	for c := 0; c < sc.k; c++ {
		W += sc.weight(c)
	}
	if sc.mode == "uniform" {
		return loss + share*(mul0(W, L)-T)
	}
	return loss + share*(mul0(W-wy, L)-(T-mul0(wy, xy)))
}

// shardsLocalVocab answers with the smoothing share eps / (the target shard's size) (minus 1
// off_target), 0 when that is not positive.
func shardsLocalVocab(c *adapter.Case) adapter.Result {
	r := adapter.Shipped(c)
	sc := readShards(c)
	losses := make([]float64, sc.n)
	den := 0.0
	for n := range losses {
		if sc.ignored(n) {
			continue
		}
		y, end, local := sc.target[n], 0, 0
		for _, size := range sc.sizes {
			if end += size; y < end {
				local = size
				break
			}
		}
		slots, share := local, 0.0
		if sc.mode != "uniform" {
			slots--
		}
		if slots > 0 {
			share = sc.eps / float64(slots)
		}
		losses[n] = sc.positionLoss(n, share)
		den += sc.weight(y)
	}
	r.Data = mapf(reduceVals(losses, reduction(c), den), rounding(c))
	return r
}

// meanOfChunkMeans answers reduction mean as the mean of the per-chunk means over chunks of 2
// positions (the shipped per-position losses; each chunk divided by its own sum of w_y).
func meanOfChunkMeans(c *adapter.Case) adapter.Result {
	r := adapter.Shipped(c)
	sc := readShards(c)
	if reduction(c) != "mean" || sc.n == 0 {
		return r
	}
	none := adapter.Shipped(c.With(map[string]any{"reduction": "none"}, nil))
	var means []float64
	for i := 0; i < sc.n; i += 2 {
		total, den := 0.0, 0.0
		for n := i; n < min(i+2, sc.n); n++ {
			total += none.Data[n]
			if !sc.ignored(n) {
				den += sc.weight(sc.target[n])
			}
		}
		means = append(means, total/den)
	}
	mean := 0.0
	for _, m := range means {
		mean += m
	}
	r.Data = []float64{rounding(c)(mean / float64(len(means)))}
	return r
}

// linearIgnoredRowsMultiplied adds to the weight gradient the ignored rows' 0 * hidden[n, k]
// (NaN where such a row holds NaN or an infinity): a plain G^T @ hidden over every row.
func linearIgnoredRowsMultiplied(c *adapter.Case, r adapter.Result) []float64 {
	var wrt string
	if !c.Param("wrt", &wrt) || wrt != "linear_weight" {
		return nil
	}
	p := readLinearPort(c)
	poison := make([]float64, p.h)
	for n, kept := range p.kept {
		for k := 0; k < p.h && !kept; k++ {
			poison[k] += 0 * p.hidden[n*p.h+k]
		}
	}
	return mapIdx(r.Data, func(i int, v float64) float64 { return v + poison[i%p.h] })
}

// portFocalGradAutodiff answers focal_loss_grad as autodiff of alpha_y (1 - p)^gamma ce in the
// port's dtype (float32 for 16-bit data) from the shipped log_softmax: p = exp(lp_y), r = 1 - p by
// subtraction, dFL/dce = alpha_y (r^gamma + gamma r^(gamma - 1) p ce) (0 where r = 0), times
// exp(lp) - onehot(y), the reduction's 1/N and grad_output.
func portFocalGradAutodiff(c *adapter.Case) adapter.Result {
	rd := dtypeRounding(c.Dtype)
	if c.Dtype == "float16" || c.Dtype == "bfloat16" {
		rd = dtypeRounding("float32")
	}
	fc := c.With(map[string]any{"gamma": nil, "alpha": nil, "reduction": nil, "grad_output": nil},
		map[string]any{"target": nil, "x": json.RawMessage(c.Inputs["logits"]), "logits": nil})
	fc.Function = "log_softmax"
	lp := adapter.Shipped(fc).Data
	_, shape, _ := c.Floats("logits", false)
	y, _, _ := c.Ints("target")
	alpha, _, weighted := c.Floats("alpha", true)
	up, _, hasUp := c.Floats("grad_output", true)
	g := rd(floatParamOr(c, "gamma", 2))
	n, k, red := shape[0], shape[1], reduction(c)
	out := make([]float64, n*k)
	for i := 0; i < n; i++ {
		lpy := lp[i*k+y[i]]
		p, ce := rd(math.Exp(lpy)), -lpy
		r := rd(1 - p)
		dce := 1.0
		if g != 0 {
			dce = rd(rd(math.Pow(r, g)) + rd(rd(rd(g*rd(math.Pow(r, rd(g-1))))*p)*ce))
		}
		if r == 0 {
			dce = 0
		}
		if weighted {
			dce = rd(dce * alpha[y[i]])
		}
		for j := 0; j < k; j++ {
			onehot := 0.0
			if j == y[i] {
				onehot = 1
			}
			v := rd(dce * rd(rd(math.Exp(lp[i*k+j]))-onehot))
			if red == "mean" {
				v = rd(v / float64(n))
			}
			if hasUp {
				u := up[0]
				if red == "none" {
					u = up[i]
				}
				v = rd(v * u)
			}
			out[i*k+j] = v
		}
	}
	return adapter.Result{Shape: shape, Data: out, Dtype: adapter.Shipped(c).Dtype}
}

// whereMaskedLogitAsZero answers softmax_cross_entropy(_grad) with a class mask applied by zeroing
// (Python's where_masked_logit_as_zero): an excluded class's capped logit is 0, so exp(0) counts in
// the log-sum-exp, while its target mass stays dropped (weight w_c times the mask, as Python's
// per-pattern weights) and its own gradient stays 0. Each position runs as a one-row case of the
// shipped function (reduction sum, no mask); the reduction is then formed with the case's own
// denominators.
func whereMaskedLogitAsZero(c *adapter.Case) adapter.Result {
	r := adapter.Shipped(c)
	mask, ok := readMask(c)
	if !ok {
		return r
	}
	w := newWhereRows(c, mask)
	if c.Function == "softmax_cross_entropy" {
		r.Data = w.loss(r.Data)
	} else {
		r.Data = w.grad()
	}
	return r
}

// readMask reads the where parameter's bool data (ok false when absent or null).
func readMask(c *adapter.Case) ([]bool, bool) {
	raw, ok := c.Params["where"]
	if !ok || string(raw) == "null" {
		return nil, false
	}
	var t struct{ Data []bool }
	if json.Unmarshal(raw, &t) != nil {
		return nil, false
	}
	return t.Data, true
}

type whereRows struct {
	c                  *adapter.Case
	sce                sceCase
	x, probs, up       []float64
	mask               []bool
	n, k, d            int
	z                  float64
	result, empty, red string
}

func newWhereRows(c *adapter.Case, mask []bool) *whereRows {
	w := &whereRows{c: c, sce: readSCE(c), mask: mask, result: "loss", empty: "nan", red: reduction(c)}
	w.x, _, _ = c.Floats("logits", false)
	w.probs, _, _ = c.Floats("target", false)
	w.up, _, _ = c.Floats("grad_output", true)
	w.n, w.k, w.d = w.sce.lshape[0], w.sce.k, w.sce.d
	w.z, _ = c.FloatParam("z_loss")
	c.Param("result", &w.result)
	c.Param("empty_mean", &w.empty)
	return w
}

func (w *whereRows) at(pos, cls int) int { return pos/w.d*w.k*w.d + cls*w.d + pos%w.d }

func (w *whereRows) included(pos, cls int) bool {
	if len(w.mask) == w.k {
		return w.mask[cls]
	}
	return w.mask[w.at(pos, cls)]
}

// kept reports a non-ignored position; live one that also has an included class.
func (w *whereRows) kept(pos int) bool { return w.sce.idx == nil || w.sce.idx[pos] != w.sce.ignore }

func (w *whereRows) live(pos int) bool {
	for cls := 0; cls < w.k; cls++ {
		if w.included(pos, cls) {
			return w.kept(pos)
		}
	}
	return false
}

// row runs position pos as a one-row case of fn: excluded logits 0, weight w_c times the mask,
// reduction sum, no mask; extra sets further parameters.
func (w *whereRows) row(pos int, fn string, extra map[string]any) adapter.Result {
	x, wt := make([]float64, w.k), make([]float64, w.k)
	for cls := range x {
		if w.included(pos, cls) {
			x[cls], wt[cls] = w.x[w.at(pos, cls)], 1
			if w.sce.w != nil {
				wt[cls] = w.sce.w[cls]
			}
		}
	}
	params := map[string]any{"where": nil, "reduction": "sum", "weight": w.c.FloatTensor(wt, []int{w.k}),
		"result": nil, "grad_output": nil, "empty_mean": nil}
	for key, v := range extra {
		params[key] = v
	}
	inputs := map[string]any{"logits": w.c.FloatTensor(x, []int{1, w.k})}
	if w.sce.idx != nil {
		inputs["target"] = adapter.IntTensor([]int{w.sce.idx[pos]}, []int{1})
	} else {
		t := make([]float64, w.k)
		for cls := range t {
			t[cls] = w.probs[w.at(pos, cls)]
		}
		inputs["target"] = w.c.FloatTensor(t, []int{1, w.k})
	}
	rc := w.c.With(params, inputs)
	rc.Function = fn
	return adapter.Shipped(rc)
}

// parts returns each live position's cross-entropy and z-loss term, the denominators.
func (w *whereRows) parts() (ce, zt []float64, den, kept float64) {
	positions := w.n * w.d
	ce, zt = make([]float64, positions), make([]float64, positions)
	for pos := range ce {
		if !w.kept(pos) {
			continue
		}
		kept++
		den += w.sce.wy(pos)
		if w.sce.idx == nil {
			den = float64(positions)
		}
		if !w.live(pos) {
			continue
		}
		ce[pos] = w.row(pos, "softmax_cross_entropy", map[string]any{"z_loss": nil}).Data[0]
		if w.z > 0 {
			zt[pos] = w.row(pos, "softmax_cross_entropy", map[string]any{"result": "z_loss"}).Data[0]
		}
	}
	return ce, zt, den, kept
}

// quotient is num / den, or 0 for a zero denominator under empty_mean zero.
func (w *whereRows) quotient(num, den float64) float64 {
	if den == 0 && w.empty == "zero" {
		return 0
	}
	return num / den
}

func (w *whereRows) loss(shipped []float64) []float64 {
	rd := rounding(w.c)
	if w.result == "lse" {
		return mapIdx(shipped, func(pos int, _ float64) float64 {
			return w.row(pos, "softmax_cross_entropy", map[string]any{"result": "lse", "reduction": "none"}).Data[0]
		})
	}
	ce, zt, den, kept := w.parts()
	if w.result == "z_loss" {
		ce = make([]float64, len(ce))
		den = 1
	}
	switch w.red {
	case "none":
		return mapIdx(ce, func(i int, v float64) float64 { return rd(v + zt[i]) })
	case "sum":
		s := 0.0
		for i := range ce {
			s += ce[i] + zt[i]
		}
		return []float64{rd(s)}
	}
	sc, sz := 0.0, 0.0
	for i := range ce {
		sc, sz = sc+ce[i], sz+zt[i]
	}
	mean := 0.0
	if w.result == "loss" {
		mean = w.quotient(sc, den)
	}
	if w.z > 0 {
		mean += w.quotient(sz, kept)
	}
	return []float64{rd(mean)}
}

func (w *whereRows) grad() []float64 {
	rd := rounding(w.c)
	out := make([]float64, len(w.x))
	_, _, den, kept := w.parts()
	ceScale, zScale := 1.0, 1.0
	if w.red == "mean" {
		if w.empty == "nan" && (den == 0 || (w.z > 0 && kept == 0)) {
			return mapf(out, func(float64) float64 { return math.NaN() })
		}
		ceScale, zScale = w.quotient(1, den), w.quotient(1, kept)
	}
	for pos := 0; pos < w.n*w.d; pos++ {
		if !w.live(pos) {
			continue
		}
		gce := w.row(pos, "softmax_cross_entropy_grad", map[string]any{"z_loss": nil}).Data
		gz := make([]float64, w.k)
		if w.z > 0 {
			all := w.row(pos, "softmax_cross_entropy_grad", nil).Data
			gz = mapIdx(all, func(i int, v float64) float64 { return v - gce[i] })
		}
		u := 1.0
		if w.up != nil {
			u = w.up[0]
			if w.red == "none" {
				u = w.up[pos]
			}
		}
		for cls := 0; cls < w.k; cls++ {
			if w.included(pos, cls) {
				out[w.at(pos, cls)] = rd((gce[cls]*ceScale + gz[cls]*zScale) * u)
			}
		}
	}
	return out
}
