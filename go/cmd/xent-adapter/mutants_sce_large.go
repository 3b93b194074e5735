package main

import (
	"math"
	"slices"

	xent "github.com/xent-conformance/xent/go"
	"github.com/xent-conformance/xent/go/internal/adapter"
)

// The mutants of issue 17 (softmax_cross_entropy's logit_scale, softcap, z_loss and empty_mean),
// appended to the catalogue in the Python catalogue's order (this file's init runs after
// mutants_porting.go's: Go runs a package's init functions in file-name order).

// palmZLoss is the z-loss coefficient a kernel falls back to when the caller's 0 is not honoured
// (PaLM's 1e-4, Liger's liger_cross_entropy_z_loss default lse_square_scale).
const palmZLoss = 1e-4

func init() {
	mutants = append(mutants,
		mutant{"z_loss_when_off", "z-loss applied although switched off: z_loss = 0 takes the entry point's default 1e-4 (Liger's liger_cross_entropy_z_loss default lse_square_scale), the sentinel not honoured.",
			killCompatible, sce, rewrite(func(c *adapter.Case) *adapter.Case {
				if z, _ := c.FloatParam("z_loss"); z != 0 {
					return nil
				}
				return c.With(map[string]any{"z_loss": paramHex(c, palmZLoss)}, nil)
			})},
		mutant{"z_loss_weighted", "the z-loss term weighted by the target's class weight w_y and the mean's two parts over one common denominator (the weighted one, sum of w_y): the term added to each position's weighted loss before a PyTorch-style weighted mean.",
			killCompatible, sce, checked(zLossWeighted)},
		mutant{"softcap_target_uncapped", "soft-capping applied to the log-sum-exp only: the target's logit is read from the uncapped (scaled) logits, loss = lse(x'') - x'_y (with smoothing and weights: the capped loss plus the target mass times x''_y - x'_y, the terms a kernel that gathers x_y before capping gets).",
			killCompatible, []string{"softmax_cross_entropy"}, values(softcapTargetUncapped)},
		mutant{"softcap_scale_after_cap", "logit_scale applied after the cap: logit_scale * softcap tanh(x / softcap) instead of softcap tanh(logit_scale x / softcap) (a temperature divided out of the capped logits).",
			killCompatible, sce, rewrite(func(c *adapter.Case) *adapter.Case {
				s, cp, ok := scaleAndCap(c)
				if !ok {
					return nil
				}
				// s c tanh(x / c) = c' tanh(s x / c') with c' = s c: the shipped function with that cap
				return c.With(map[string]any{"softcap": paramHex(c, s*cp)}, nil)
			})},
		mutant{"empty_mean_zero_ignored", "empty_mean = zero not honoured: a mean with a zero denominator stays NaN (PyTorch's 0/0) even when the caller asked for 0.",
			killCompatible, sce, rewrite(func(c *adapter.Case) *adapter.Case {
				return c.With(map[string]any{"empty_mean": "nan"}, nil)
			})},
	)
	// The port variants that recompute softmax_cross_entropy from the raw logits know nothing of the
	// large-model options: for a case that uses them they answer as shipped (their modelled port
	// differs in the plain cross-entropy only). Python's variants patch the kernels that its
	// large-model path calls on the capped logits, and pass those vectors the same way.
	for i, m := range mutants {
		if m.level != acceptCompatible || !slices.ContainsFunc(m.functions, func(f string) bool { return slices.Contains(sce, f) }) {
			continue
		}
		answer := m.answer
		mutants[i].answer = func(c *adapter.Case) adapter.Result {
			if slices.Contains(sce, c.Function) && largeModelCase(c) {
				return adapter.Shipped(c)
			}
			return answer(c)
		}
	}
}

// largeModelCase reports whether a softmax_cross_entropy(_grad) case uses a large-model option:
// logit_scale other than 1, a softcap, z_loss other than 0 or empty_mean zero; or one of specVersion
// 4's (issue 17): a class mask where, a result other than loss, a grad_output.
func largeModelCase(c *adapter.Case) bool {
	s, _, capped := scaleAndCap(c)
	z, _ := c.FloatParam("z_loss")
	var result string
	c.Param("result", &result)
	_, masked := readMask(c)
	_, _, upstream := c.Floats("grad_output", true)
	return s != 1 || capped || z != 0 || emptyZero(c) || masked || (result != "" && result != "loss") || upstream
}

// paramHex is v rounded to the case's dtype, as a float parameter's hex text.
func paramHex(c *adapter.Case, v float64) string {
	switch c.Dtype {
	case "float16":
		v = xent.RoundTo[xent.Float16](v)
	case "bfloat16":
		v = xent.RoundTo[xent.BFloat16](v)
	case "float32":
		v = float64(float32(v))
	}
	return adapter.FormatHex(v, c.Bits())
}

// scaleAndCap returns the case's logit_scale (default 1) and softcap (ok false when there is none).
func scaleAndCap(c *adapter.Case) (s, cp float64, ok bool) {
	s = 1
	if v, has := c.FloatParam("logit_scale"); has {
		s = v
	}
	cp, ok = c.FloatParam("softcap")
	return s, cp, ok
}

// emptyZero reports whether the case asks for empty_mean zero.
func emptyZero(c *adapter.Case) bool {
	var m string
	return c.Param("empty_mean", &m) && m == "zero"
}

// quotientOf is a mean part num / den: IEEE division, or 0 for den = 0 under empty_mean zero.
func quotientOf(c *adapter.Case, num, den float64) float64 {
	if den == 0 && emptyZero(c) {
		return 0
	}
	return num / den
}

// targetWeights returns w_y per position (0 for an ignored one; 1 for every position with
// probability targets, whose mean divides by the number of positions).
func targetWeights(c *adapter.Case) []float64 {
	s := readSCE(c)
	n := 1
	if len(s.lshape) > 0 {
		n = s.lshape[0] * s.d
	}
	out := make([]float64, n)
	for pos := range out {
		if s.idx == nil {
			out[pos] = 1
			continue
		}
		if ignoresNone(c) {
			out[pos] = s.weightOf(s.idx[pos])
			continue
		}
		out[pos] = s.wy(pos)
	}
	return out
}

// ignoresNone reports whether the case's ignore_index is null (no index ignored).
func ignoresNone(c *adapter.Case) bool {
	return c.Has("ignore_index") && !c.Param("ignore_index", new(int))
}

// weightOf is w_c (1 without weights).
func (s sceCase) weightOf(cls int) float64 {
	if s.w == nil {
		return 1
	}
	return s.w[cls]
}

// zLossWeighted answers z_loss_weighted: the shipped cross-entropy and z-loss terms per position
// (the z-loss term of a position is the difference of the shipped losses with and without z_loss),
// each z-loss term times w_y, reduced over the one weighted denominator.
func zLossWeighted(c *adapter.Case) adapter.Result {
	if z, _ := c.FloatParam("z_loss"); z == 0 {
		return adapter.Shipped(c)
	}
	wy := targetWeights(c)
	noZ := c.With(map[string]any{"z_loss": nil}, nil)
	rd := rounding(c)
	if c.Function == "softmax_cross_entropy_grad" {
		return zLossWeightedGrad(c, noZ, wy, rd)
	}
	withZ, ce := perElement(c), perElement(noZ)
	per := mapIdx(ce, func(pos int, v float64) float64 { return v + wy[pos]*(withZ[pos]-v) })
	r := adapter.Shipped(c)
	switch reduction(c) {
	case "none":
		r.Data = mapf(per, rd)
	case "sum":
		r.Data = []float64{rd(compensated(per))}
	default:
		r.Data = []float64{rd(quotientOf(c, compensated(per), compensated(wy)))}
	}
	return r
}

// zLossWeightedGrad is zLossWeighted's gradient: (g_ce + w_y g_z) / sum w_y for mean, with the
// per-position gradients g_ce and g_z (= the shipped gradient with z_loss minus without) of
// reduction none.
func zLossWeightedGrad(c, noZ *adapter.Case, wy []float64, rd func(float64) float64) adapter.Result {
	r := adapter.Shipped(c)
	none := map[string]any{"reduction": "none"}
	gz, gce := adapter.Shipped(c.With(none, nil)).Data, adapter.Shipped(noZ.With(none, nil)).Data
	s := readSCE(c)
	den := 1.0
	if reduction(c) == "mean" {
		den = compensated(wy)
		if den == 0 && !emptyZero(c) {
			r.Data = mapf(r.Data, func(float64) float64 { return math.NaN() })
			return r
		}
	}
	r.Data = mapIdx(gce, func(i int, v float64) float64 {
		if den == 0 {
			return 0
		}
		pos := i/(s.k*s.d)*s.d + i%s.d
		return rd((v + wy[pos]*(gz[i]-v)) / den)
	})
	return r
}

// softcapTargetUncapped answers softcap_target_uncapped: with a cap and index targets, each kept
// position's loss gains w_y (xc_y - xs_y), xc the capped and xs the scaled logits: the target's logit
// read before the cap.
func softcapTargetUncapped(c *adapter.Case, r adapter.Result) []float64 {
	s, cp, ok := scaleAndCap(c)
	sc := readSCE(c)
	if !ok || sc.idx == nil {
		return nil
	}
	x, _, _ := c.Floats("logits", false)
	wy := targetWeights(c)
	shift := make([]float64, len(wy))
	for pos := range shift {
		if wy[pos] == 0 {
			continue
		}
		n, rr := pos/sc.d, pos%sc.d
		xs := s * x[n*sc.k*sc.d+sc.idx[pos]*sc.d+rr]
		shift[pos] = wy[pos] * (cp*math.Tanh(xs/cp) - xs)
	}
	rd := rounding(c)
	switch reduction(c) {
	case "none":
		return mapIdx(perElement(c), func(pos int, v float64) float64 { return rd(v + shift[pos]) })
	case "sum":
		return []float64{rd(compensated(append(perElement(c), shift...)))}
	}
	return []float64{rd(r.Data[0] + quotientOf(c, compensated(shift), compensated(wy)))}
}
