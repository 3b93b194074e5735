package main

// The mutant catalogue of the Go adapter: named, deliberately wrong variants of the implementation
// (conformance/MUTANTS.md), switched on by the environment variable XENT_MUTANT=<name> at start-up
// and listed by `xent-adapter --list-mutants`. Each mutant models one porting mistake, with the name
// and description of the Python catalogue's mutant for the same mistake (python/mutants/xent_mutants.py),
// as an alternative answer for some functions of the adapter's dispatch (adapter.Override). A mutant
// first runs the shipped function so that its errors stay identical and only values differ (except
// the mutants that model a missing check); mutants that model "what a porter writes" compute in the
// data's own dtype. None of this is part of package xent, and with XENT_MUTANT unset nothing here runs.

import (
	"fmt"
	"math"
	"slices"
	"strconv"

	xent "github.com/xent-conformance/xent/go"
	"github.com/xent-conformance/xent/go/internal/adapter"
)

// mutant is one catalogue entry; answer handles a case of one of its functions.
type mutant struct {
	name, description string
	level             level
	functions         []string
	answer            func(c *adapter.Case) adapter.Result
}

// level is what the catalogue requires of a mutant (conformance/MUTANTS.md, "Levels"): a defect
// that some vector must fail at accurate or at compatible, or a legitimate port variant that must
// pass every vector of its functions at compatible. --list-mutants prints it as {verb: at}.
type level struct{ verb, at string }

var (
	killAccurate     = level{"kill", "accurate"}
	killCompatible   = level{"kill", "compatible"}
	acceptCompatible = level{"accept", "compatible"}
)

var (
	row     = []string{"logsumexp", "softmax", "log_softmax"}
	sce     = []string{"softmax_cross_entropy", "softmax_cross_entropy_grad"}
	reduced = []string{"nll_from_probs", "categorical_cross_entropy", "binary_cross_entropy", "softmax_cross_entropy",
		"binary_cross_entropy_with_logits", "focal_loss", "sigmoid_focal_loss"}
	// summing are the functions whose sums the accumulation mutants change (Python's 14).
	summing = []string{"logsumexp", "softmax", "log_softmax", "entropy", "cross_entropy", "kl_divergence", "nll_from_probs",
		"categorical_cross_entropy", "binary_cross_entropy", "softmax_cross_entropy", "binary_cross_entropy_with_logits",
		"focal_loss", "sigmoid_focal_loss", "softmax_cross_entropy_grad"}
)

// mutants is the catalogue, in the Python catalogue's order.
var mutants = []mutant{
	{"softmax_no_max_shift", "softmax as exp(x) / sum(exp(x)) in the data's dtype, without subtracting the maximum: exp overflows for large logits (inf / inf = NaN).",
		killCompatible, []string{"softmax"}, values(func(c *adapter.Case, r adapter.Result) []float64 {
			x, _, _ := c.Floats("x", false)
			rd := rounding(c)
			e := mapf(x, func(v float64) float64 { return rd(math.Exp(v)) })
			s := plainSum(e, rd)
			return mapf(e, func(v float64) float64 { return rd(v / s) })
		})},
	{"logsumexp_no_max_shift", "logsumexp as log(sum(exp(x))) in the data's dtype, without the max shift: overflows to inf for large logits and underflows to -inf for very negative ones.",
		killCompatible, []string{"logsumexp"}, values(func(c *adapter.Case, r adapter.Result) []float64 {
			x, _, _ := c.Floats("x", false)
			rd := rounding(c)
			return []float64{rd(math.Log(plainSum(mapf(x, func(v float64) float64 { return rd(math.Exp(v)) }), rd)))}
		})},
	{"lse_log_not_log1p", "log(1 + s) instead of log1p(s) in a + log1p(s) (the max-shifted logsumexp): at a dominant logit 1 + s rounds to 1, so log_softmax and the loss of a confident correct prediction become exactly 0.",
		acceptCompatible, []string{"logsumexp", "log_softmax", "softmax_cross_entropy", "focal_loss"}, values(func(c *adapter.Case, r adapter.Result) []float64 {
			if !slices.Contains(row, c.Function) {
				return lossesFromNLL(lseLogNLL)(c, r)
			}
			x, _, _ := c.Floats("x", false)
			rd := rounding(c)
			a, s := shiftedSum(x, rd, compensated)
			if math.IsInf(a, 0) || math.IsNaN(a) {
				return nil
			}
			l := rd(math.Log(rd(1 + s)))
			if c.Function == "logsumexp" {
				return []float64{rd(a + l)}
			}
			return mapf(x, func(v float64) float64 { return rd(rd(v-a) - l) })
		})},
	{"log_softmax_log_of_softmax", "log_softmax as log(softmax(x)) in the data's dtype: 0 at a dominant logit instead of its tiny negative value, and -inf where softmax underflows.",
		killCompatible, []string{"log_softmax"}, values(func(c *adapter.Case, r adapter.Result) []float64 {
			return mapf(other(c, "softmax").Data, func(v float64) float64 { return rounding(c)(math.Log(v)) })
		})},
	{"log_softmax_x_minus_lse", "log_softmax as x - logsumexp(x) with logsumexp rounded first (the textbook form): the dominant entry's tiny negative value rounds away to 0.",
		killAccurate, []string{"log_softmax"}, values(func(c *adapter.Case, r adapter.Result) []float64 {
			x, _, _ := c.Floats("x", false)
			lse := other(c, "logsumexp").Data[0]
			return mapf(x, func(v float64) float64 { return rounding(c)(v - lse) })
		})},
	{"logsumexp_all_neginf_nan", "a row of only -inf gives NaN (the max shift computes -inf - (-inf)) instead of -inf.",
		killCompatible, []string{"logsumexp"}, values(func(c *adapter.Case, r adapter.Result) []float64 {
			if x, _, _ := c.Floats("x", false); len(x) > 0 && !slices.ContainsFunc(x, func(v float64) bool { return !math.IsInf(v, -1) }) {
				return []float64{math.NaN()}
			}
			return nil
		})},
	{"neginf_logit_nan", "a -inf logit (a masked class) turns into NaN, as when masking multiplies by a 0/1 mask or the shift computes -inf - (-inf): its row becomes NaN instead of giving that class probability 0.",
		killCompatible, []string{"logsumexp", "softmax", "log_softmax", "softmax_cross_entropy", "softmax_cross_entropy_grad", "focal_loss"},
		rewrite(func(c *adapter.Case) *adapter.Case {
			name := "logits"
			if slices.Contains(row, c.Function) {
				name = "x"
			}
			x, shape, _ := c.Floats(name, false)
			if !slices.Contains(x, math.Inf(-1)) {
				return nil
			}
			nan := mapf(x, func(v float64) float64 {
				if math.IsInf(v, -1) {
					return math.NaN()
				}
				return v
			})
			return c.With(nil, map[string]any{name: c.FloatTensor(nan, shape)})
		})},
	{"empty_vector_accepted", "an empty vector is not rejected (logsumexp returns -inf as scipy does, softmax an empty vector) instead of raising invalid_shape.",
		killCompatible, row, func(c *adapter.Case) adapter.Result {
			if x, shape, ok := c.Floats("x", false); ok && len(shape) == 1 && len(x) == 0 {
				if c.Function == "logsumexp" {
					return adapter.Result{Shape: []int{}, Data: []float64{math.Inf(-1)}}
				}
				return adapter.Result{Shape: []int{0}, Data: []float64{}}
			}
			return adapter.Shipped(c)
		}},
	{"sigmoid_naive", "sigmoid as 1 / (1 + exp(-z)) for every z, in the data's dtype: exp(-z) overflows for very negative z and the result is 0 where the exact value is a small (subnormal) number.",
		acceptCompatible, []string{"sigmoid"}, elementwise(func(rd func(float64) float64, z float64) float64 {
			return rd(1 / rd(1+rd(math.Exp(-z))))
		})},
	{"sigmoid_negative_branch_everywhere", "sigmoid as exp(z) / (1 + exp(z)) for every z (the branch meant for z < 0): inf / inf = NaN for large positive z.",
		killCompatible, []string{"sigmoid"}, elementwise(func(rd func(float64) float64, z float64) float64 {
			e := rd(math.Exp(z))
			return rd(e / rd(1+e))
		})},
	{"softplus_overflow", "softplus as log1p(exp(z)) in the data's dtype, without max(z, 0): exp overflows, giving inf for large z.",
		killCompatible, []string{"softplus"}, elementwise(func(rd func(float64) float64, z float64) float64 {
			return rd(math.Log1p(rd(math.Exp(z))))
		})},
	{"softplus_log_not_log1p", "the stable softplus max(z, 0) + log(1 + exp(-|z|)) written with log(1 + x) instead of log1p(x): the small term is lost for large |z| (softplus(-40) = 0, log_sigmoid(40) = 0).",
		killCompatible, []string{"softplus", "log_sigmoid", "binary_cross_entropy_with_logits", "sigmoid_focal_loss"}, values(softplusLogNotLog1p)},
	{"log_sigmoid_log_of_sigmoid", "log_sigmoid as log(sigmoid(z)) in the data's dtype: -inf where sigmoid underflows, 0 where it rounds to 1.",
		killCompatible, []string{"log_sigmoid"}, elementwise(func(rd func(float64) float64, z float64) float64 {
			return rd(math.Log(rd(xent.Sigmoid(z))))
		})},
	{"entropy_bits_for_nats", "entropy always in bits (log2), whatever the base: log2 where ln is asked for.",
		killCompatible, []string{"entropy"}, rewrite(func(c *adapter.Case) *adapter.Case { return c.With(map[string]any{"base": "2"}, nil) })},
	{"kl_base_ignored", "kl_divergence always in nats: the base parameter is ignored (ln where log2 is asked for).",
		killCompatible, []string{"kl_divergence"}, rewrite(func(c *adapter.Case) *adapter.Case { return c.With(map[string]any{"base": nil}, nil) })},
	{"info_zero_log_zero_nan", "0 * log 0 evaluated as 0 * (-inf) = NaN in entropy, cross-entropy and KL (no masking of zero probabilities).",
		killCompatible, []string{"entropy", "cross_entropy", "kl_divergence"}, values(func(c *adapter.Case, r adapter.Result) []float64 {
			p, _, _ := c.Floats("p", false)
			q, _, _ := c.Floats("q", false)
			eps, _ := c.FloatParam("epsilon")
			for i, v := range p {
				// cross_entropy's log q is -inf only at q = 0 without epsilon; entropy and KL take log p
				if v == 0 && (c.Function != "cross_entropy" || (q[i] == 0 && eps == 0)) {
					return []float64{math.NaN()}
				}
			}
			return nil
		})},
	{"cross_entropy_args_swapped", "cross_entropy(p, q) computes H(q, p): the argument order of another library (true and predicted distributions swapped).",
		killCompatible, []string{"cross_entropy"}, rewrite(swap("p", "q"))},
	{"kl_reversed", "KL(q || p) instead of KL(p || q) (scipy.stats.entropy and torch.nn.functional.kl_div order their arguments differently).",
		killCompatible, []string{"kl_divergence"}, rewrite(swap("p", "q"))},
	{"cross_entropy_eps_not_renormalised", "the seed's epsilon variant without renormalisation: -sum p log(q + eps) instead of q' = (q + eps) / sum(q + eps).",
		killCompatible, []string{"cross_entropy"}, values(func(c *adapter.Case, r adapter.Result) []float64 {
			eps, ok := c.FloatParam("epsilon")
			if !ok || eps == 0 {
				return nil
			}
			p, _, _ := c.Floats("p", false)
			q, _, _ := c.Floats("q", false)
			h := compensated(mapIdx(p, func(i int, v float64) float64 { return mul0(v, -math.Log(q[i]+eps)) }))
			if inBits(c) {
				h /= math.Ln2
			}
			return []float64{rounding(c)(h)}
		})},
	{"nll_clamp_1e-7", "the clamp hard-coded at 1e-7 (Keras' epsilon) instead of the epsilon parameter (default 1e-15).",
		killCompatible, []string{"nll_from_probs"}, rewrite(func(c *adapter.Case) *adapter.Case {
			return c.With(map[string]any{"epsilon": adapter.FormatHex(1e-7, c.Bits())}, nil)
		})},
	{"nll_no_clamp", "no clamp: -log(p) of a zero target probability is inf instead of -log(epsilon) = 34.54.",
		killCompatible, []string{"nll_from_probs"}, rewrite(func(c *adapter.Case) *adapter.Case { return c.With(map[string]any{"epsilon": "0x0p+0"}, nil) })},
	{"nll_negative_index_wraps", "negative class indices are not rejected and wrap around (Python / numpy indexing: -1 is the last class) instead of raising index_out_of_range.",
		killCompatible, []string{"nll_from_probs"}, func(c *adapter.Case) adapter.Result {
			t, tshape, ok := c.Ints("target")
			_, pshape, pok := c.Floats("probs", false)
			if !ok || !pok || len(pshape) != 2 {
				return adapter.Shipped(c)
			}
			k := pshape[1]
			return adapter.Shipped(c.With(nil, map[string]any{"target": adapter.IntTensor(mapi(t, func(y int) int {
				if y < 0 && y >= -k {
					return y + k
				}
				return y
			}), tshape)}))
		}},
	{"cce_args_swapped", "categorical_cross_entropy(t, p) computes the loss of p against t (the (y_pred, y_true) order of another library).",
		killCompatible, []string{"categorical_cross_entropy"}, rewrite(swap("t", "p"))},
	{"prob_zero_log_zero_nan", "0 * log 0 = 0 * (-inf) = NaN in the losses from probabilities: a zero target with a zero probability (or BCE with epsilon = 0 at p in {0, 1}) gives NaN instead of 0.",
		killCompatible, []string{"categorical_cross_entropy", "binary_cross_entropy"}, values(probZeroLogZeroNaN)},
	{"probabilities_not_checked", "probabilities and targets are not range-checked: values outside [0, 1] or NaN give a number (or NaN) instead of invalid_probability.",
		killCompatible, []string{"nll_from_probs", "categorical_cross_entropy", "binary_cross_entropy"}, probabilitiesNotChecked},
	{"bce_args_swapped", "binary_cross_entropy(y, p) computes the loss of y against p: PyTorch's F.binary_cross_entropy takes (input, target), scikit-learn's log_loss (y_true, y_pred).",
		killCompatible, []string{"binary_cross_entropy"}, rewrite(swap("y", "p"))},
	{"bce_clip_low_only", "the clip only from below, max(p, eps): y = 0 with p = 1 gives inf instead of -log(eps).",
		killCompatible, []string{"binary_cross_entropy"}, rewrite(bceClip(func(p, eps float64) float64 { return math.Max(p, eps) }))},
	{"bce_clip_high_only", "the clip only from above, min(p, 1 - eps): y = 1 with p = 0 gives inf instead of -log(eps).",
		killCompatible, []string{"binary_cross_entropy"}, values(bceClipHighOnly)},
	{"bce_one_minus_eps_rounded", "the upper clip 1 - eps rounded in the dtype (np.clip(p, eps, 1 - eps)): in float32 1 - 1e-15 is 1, so p = 1, y = 0 gives inf; in float64 the loss at p = 1 is off by 7%.",
		killCompatible, []string{"binary_cross_entropy"}, rewrite(bceClip(func(p, eps float64) float64 { return math.Min(math.Max(p, eps), 1-eps) }))},
	{"bce_log_not_log1p", "log(1 - p) instead of log1p(-p) for small p: 1 - p rounds, and the loss of a small p with y = 0 loses its relative accuracy (0 for p below the unit roundoff).",
		killAccurate, []string{"binary_cross_entropy"}, values(bceLogNotLog1p)},
	{"mean_returns_sum", "reduction 'mean' returns the sum (the division forgotten, or 'sum' and 'mean' swapped).",
		killCompatible, reduced, rewrite(func(c *adapter.Case) *adapter.Case {
			if reduction(c) != "mean" {
				return nil
			}
			return c.With(map[string]any{"reduction": "sum"}, nil)
		})},
	{"empty_mean_zero", "the mean of an empty batch is 0 (a guarded division) instead of NaN (0 / 0).",
		killCompatible, reduced, values(func(c *adapter.Case, r adapter.Result) []float64 {
			for name := range c.Inputs {
				if x, _, ok := c.Floats(name, false); ok && len(x) == 0 && reduction(c) == "mean" {
					return []float64{0}
				}
			}
			return nil
		})},
	{"mean_divides_by_batch", "the elementwise losses' mean divides by the batch size N (the first dimension: sum over labels, mean over samples) instead of by the number of elements.",
		killCompatible, []string{"binary_cross_entropy_with_logits", "sigmoid_focal_loss"}, values(func(c *adapter.Case, r adapter.Result) []float64 {
			_, shape, _ := c.Floats("z", false)
			if reduction(c) != "mean" || len(shape) == 0 {
				return nil
			}
			return []float64{compensated(perElement(c)) / float64(shape[0])}
		})},
	{"sce_uniform_as_off_target", "label smoothing eps / (C - 1) on the other classes (the seed's off_target formula) where PyTorch's uniform eps / C on every class is asked for.",
		killCompatible, sce, rewrite(func(c *adapter.Case) *adapter.Case {
			if s := readSCE(c); s.mode != "uniform" || s.k < 2 {
				return nil
			}
			return c.With(map[string]any{"label_smoothing_mode": "off_target"}, nil)
		})},
	{"sce_off_target_as_uniform", "the label_smoothing_mode parameter ignored: uniform eps / C where off_target eps / (C - 1) is asked for.",
		killCompatible, sce, rewrite(func(c *adapter.Case) *adapter.Case {
			return c.With(map[string]any{"label_smoothing_mode": "uniform"}, nil)
		})},
	{"sce_smoothing_target_only", "label smoothing applied to the target class only (q_y = 1 - eps + eps / C, the other classes get nothing): the smoothed target no longer sums to 1.",
		killCompatible, sce, checked(func(c *adapter.Case) adapter.Result {
			s := readSCE(c)
			if s.idx == nil {
				return adapter.Shipped(c)
			}
			qy := 1 - s.eps
			if s.mode == "uniform" {
				qy += s.eps / float64(s.k)
			}
			return s.rescaled(c, c.With(map[string]any{"label_smoothing": nil}, nil), func(int) float64 { return qy }, s.weightSum())
		})},
	{"sce_prob_targets_not_smoothed", "label smoothing applied to index targets only; probability targets are used unsmoothed.",
		killCompatible, sce, rewrite(func(c *adapter.Case) *adapter.Case {
			if readSCE(c).idx != nil {
				return nil
			}
			return c.With(map[string]any{"label_smoothing": nil}, nil)
		})},
	{"sce_weights_ignored", "class weights not applied at all (neither to the loss nor to the mean's denominator).",
		killCompatible, sce, rewrite(func(c *adapter.Case) *adapter.Case { return c.With(map[string]any{"weight": nil}, nil) })},
	{"sce_weights_twice", "class weights applied twice: each class term multiplied by w_c again after the weighted loss (w_c^2 in the numerator, sum of w_y in the denominator).",
		killCompatible, sce, checked(func(c *adapter.Case) adapter.Result {
			s := readSCE(c)
			if s.w == nil {
				return adapter.Shipped(c)
			}
			w2 := mapf(s.w, func(v float64) float64 { return rounding(c)(v * v) })
			d := c.With(map[string]any{"weight": c.FloatTensor(w2, []int{len(w2)})}, nil)
			return s.rescaled(c, d, func(int) float64 { return 1 }, s.weightSum())
		})},
	{"sce_weight_by_target_class", "the weight of the target class w_y multiplies the whole smoothed loss (w_y CE(q)) instead of each class term carrying its own w_c: differs as soon as label smoothing and weights are combined.",
		killCompatible, sce, checked(func(c *adapter.Case) adapter.Result {
			s := readSCE(c)
			if s.idx == nil || s.w == nil {
				return adapter.Shipped(c)
			}
			return s.rescaled(c, c.With(map[string]any{"weight": nil}, nil), s.wy, s.weightSum())
		})},
	{"sce_weighted_mean_by_count", "the weighted mean divides by the number of non-ignored positions instead of the sum of their target weights.",
		killCompatible, sce, checked(func(c *adapter.Case) adapter.Result {
			s := readSCE(c)
			return s.rescaled(c, c, func(int) float64 { return 1 }, s.count(false))
		})},
	{"sce_ignored_in_denominator", "ignore_index masked in the loss but not excluded from the mean's denominator (each ignored position still counts with weight 1).",
		killCompatible, sce, checked(func(c *adapter.Case) adapter.Result {
			s := readSCE(c)
			return s.rescaled(c, c, func(int) float64 { return 1 }, s.weightSum()+s.count(true))
		})},
	{"sce_ignore_index_gathered", "ignore_index not masked: the ignored position's loss is gathered at class ignore_index mod C (as negative indexing does) and counted in the mean.",
		killCompatible, sce, rewrite(func(c *adapter.Case) *adapter.Case {
			s := readSCE(c)
			if s.idx == nil || s.k == 0 {
				return nil
			}
			t := mapi(s.idx, func(y int) int {
				if y == s.ignore {
					return ((y % s.k) + s.k) % s.k
				}
				return y
			})
			return c.With(map[string]any{"ignore_index": math.MinInt32},
				map[string]any{"target": adapter.IntTensor(t, s.tshape)})
		})},
	{"sce_all_ignored_zero", "a mean whose denominator is 0 (every target ignored, or zero total weight) returns 0 (Keras) instead of NaN; the gradient is 0 instead of NaN.",
		killCompatible, sce, values(func(c *adapter.Case, r adapter.Result) []float64 {
			if s := readSCE(c); s.red == "mean" && s.weightSum() == 0 {
				return make([]float64, len(r.Data))
			}
			return nil
		})},
	{"sce_target_off_by_one", "class indices taken as 1-based (y - 1, wrapping to the last class for 0), as when porting from Lua, R or Julia.",
		killCompatible, sce, rewrite(func(c *adapter.Case) *adapter.Case {
			s := readSCE(c)
			if s.idx == nil {
				return nil
			}
			t := mapi(s.idx, func(y int) int {
				switch {
				case y == s.ignore:
					return y
				case y == 0:
					return s.k - 1
				}
				return y - 1
			})
			return c.With(nil, map[string]any{"target": adapter.IntTensor(t, s.tshape)})
		})},
	{"sce_grad_wrong_sign", "the gradient with the wrong sign, y - softmax instead of softmax - y.",
		killCompatible, []string{"softmax_cross_entropy_grad"}, negated},
	{"sce_grad_not_divided", "the gradient of the mean not divided by the mean's denominator (the batch size or the weight sum).",
		killCompatible, []string{"softmax_cross_entropy_grad"}, checked(func(c *adapter.Case) adapter.Result {
			s := readSCE(c)
			return s.rescaled(c, c, func(int) float64 { return 1 }, 1)
		})},
	{"sce_grad_ignores_smoothing", "the gradient derived as softmax - onehot(y) although the loss is label-smoothed (the smoothing is forgotten in the backward pass).",
		killCompatible, []string{"softmax_cross_entropy_grad"}, rewrite(func(c *adapter.Case) *adapter.Case {
			return c.With(map[string]any{"label_smoothing": nil}, nil)
		})},
	{"one_minus_softmax_by_subtraction", "1 - p formed by subtraction from the rounded softmax: it cancels to 0 for a confident prediction, so the focal modulating factor loses all relative accuracy.",
		acceptCompatible, []string{"focal_loss"}, values(focalFactor(func(nll float64) float64 { return 1 - math.Exp(-nll) }))},
	{"bce_logits_grad_not_divided", "the gradient of the mean not divided by the number of elements.",
		killCompatible, []string{"binary_cross_entropy_with_logits_grad"}, rewrite(func(c *adapter.Case) *adapter.Case {
			return c.With(map[string]any{"reduction": "sum"}, nil)
		})},
	{"bce_logits_grad_wrong_sign", "the gradient with the wrong sign, y - sigmoid(z) instead of sigmoid(z) - y.",
		killCompatible, []string{"binary_cross_entropy_with_logits_grad"}, negated},
	{"bce_logits_grad_pos_weight_ignored", "the gradient computed as w (sigmoid(z) - y), forgetting pos_weight (which the loss applies).",
		killCompatible, []string{"binary_cross_entropy_with_logits_grad"}, rewrite(func(c *adapter.Case) *adapter.Case {
			return c.With(map[string]any{"pos_weight": nil}, nil)
		})},
	{"sigmoid_mse_grad_missing_derivative", "the squared-error gradient without the sigmoid's derivative p (1 - p): returns p - y, the cross-entropy gradient (the comparison the seed makes).",
		killCompatible, []string{"sigmoid_mse_grad"}, values(func(c *adapter.Case, r adapter.Result) []float64 {
			z, _, _ := c.Floats("z", false)
			y, _, _ := c.Floats("y", false)
			rd := rounding(c)
			return mapIdx(z, func(i int, v float64) float64 { return rd(rd(xent.Sigmoid(v)) - y[i]) })
		})},
	{"sigmoid_mse_grad_naive", "(p - y) p (1 - p) with p = sigmoid(z) rounded and 1 - p formed by subtraction in the data's dtype: 0 for a saturated sigmoid, where the exact gradient is tiny but not 0.",
		killAccurate, []string{"sigmoid_mse_grad"}, values(func(c *adapter.Case, r adapter.Result) []float64 {
			z, _, _ := c.Floats("z", false)
			y, _, _ := c.Floats("y", false)
			rd := rounding(c)
			return mapIdx(z, func(i int, v float64) float64 {
				p := rd(xent.Sigmoid(v))
				return rd(rd(rd(p-y[i])*p) * rd(1-p))
			})
		})},
	{"bce_logits_naive", "BCE with logits by the naive formula -(y log(sigmoid(z)) + (1 - y) log(1 - sigmoid(z))) in the data's dtype: inf once sigmoid saturates, and inaccurate well before.",
		killCompatible, []string{"binary_cross_entropy_with_logits"}, values(func(c *adapter.Case, r adapter.Result) []float64 {
			z, shape, _ := c.Floats("z", false)
			y, _, _ := c.Floats("y", false)
			w, pw := broadcast(c, "weight", shape), broadcast(c, "pos_weight", shape)
			rd := rounding(c)
			l := mapIdx(z, func(i int, v float64) float64 {
				p := rd(1 / rd(1+rd(math.Exp(-v))))
				pos := rd(mul0(rd(pw[i]*y[i]), rd(math.Log(p)))) // Python's nm.mul0: 0 * log 0 is 0
				neg := rd(mul0(rd(1-y[i]), rd(math.Log(rd(1-p)))))
				return rd(-w[i] * rd(pos+neg))
			})
			return reduceVals(l, reduction(c), float64(len(l)))
		})},
	{"bce_logits_pos_weight_on_negative", "pos_weight multiplies the negative term (1 - y) softplus(z) instead of the positive term.",
		killCompatible, []string{"binary_cross_entropy_with_logits"}, rewrite(func(c *adapter.Case) *adapter.Case {
			// w (y sp(-z) + pw (1 - y) sp(z)) is the shipped loss of -z against 1 - y.
			z, shape, _ := c.Floats("z", false)
			y, _, _ := c.Floats("y", false)
			neg := func(v float64) float64 { return -v }
			return c.With(nil, map[string]any{"z": c.FloatTensor(mapf(z, neg), shape),
				"y": c.FloatTensor(mapf(y, func(v float64) float64 { return 1 - v }), shape)})
		})},
	{"bce_logits_pos_weight_on_both", "pos_weight applied like weight, to both terms, instead of to the positive term only.",
		killCompatible, []string{"binary_cross_entropy_with_logits"}, rewrite(func(c *adapter.Case) *adapter.Case {
			_, shape, _ := c.Floats("z", false)
			if !c.Has("pos_weight") {
				return nil
			}
			w, pw := broadcast(c, "weight", shape), broadcast(c, "pos_weight", shape)
			ww := mapIdx(w, func(i int, v float64) float64 { return rounding(c)(v * pw[i]) })
			return c.With(map[string]any{"weight": c.FloatTensor(ww, shape), "pos_weight": nil}, nil)
		})},
	{"focal_alpha_by_prediction", "alpha indexed by the predicted class (argmax of the logits) instead of the target class.",
		killCompatible, []string{"focal_loss"}, values(func(c *adapter.Case, r adapter.Result) []float64 {
			alpha, _, ok := c.Floats("alpha", true)
			x, shape, _ := c.Floats("logits", false)
			if !ok {
				return nil
			}
			l := perElement(c.With(map[string]any{"alpha": nil}, nil))
			k := shape[1]
			l = mapIdx(l, func(n int, v float64) float64 {
				row := x[n*k : (n+1)*k]
				best := 0
				for j, xv := range row {
					if xv > row[best] {
						best = j
					}
				}
				return rounding(c)(v * alpha[best])
			})
			return reduceVals(l, reduction(c), float64(len(l)))
		})},
	{"focal_gamma_on_p", "the modulating factor p_t^gamma instead of (1 - p_t)^gamma.",
		killCompatible, []string{"focal_loss"}, values(focalFactor(func(nll float64) float64 { return math.Exp(-nll) }))},
	{"focal_mean_by_alpha_sum", "the mean divided by the sum of alpha over the targets (like a weighted cross-entropy) instead of by N.",
		killCompatible, []string{"focal_loss"}, values(func(c *adapter.Case, r adapter.Result) []float64 {
			alpha, _, ok := c.Floats("alpha", true)
			if !ok || reduction(c) != "mean" {
				return nil
			}
			t, _, _ := c.Ints("target")
			den := compensated(mapIdx(make([]float64, len(t)), func(n int, _ float64) float64 { return alpha[t[n]] }))
			return []float64{rounding(c)(compensated(perElement(c)) / den)}
		})},
	{"sigmoid_focal_alpha_swapped", "alpha weights the negatives and 1 - alpha the positives (alpha_t swapped).",
		killCompatible, []string{"sigmoid_focal_loss"}, rewrite(func(c *adapter.Case) *adapter.Case {
			if c.Has("alpha") && !c.Param("alpha", new(any)) {
				return nil // alpha = null: no weighting to swap
			}
			a := floatParamOr(c, "alpha", 0.25)
			return c.With(map[string]any{"alpha": adapter.FormatHex(1-a, c.Bits())}, nil)
		})},
	{"sigmoid_focal_alpha_null_applied", "alpha = null (no weighting) still applies the default 0.25 (the disable sentinel not honoured).",
		killCompatible, []string{"sigmoid_focal_loss"}, rewrite(func(c *adapter.Case) *adapter.Case {
			if !c.Has("alpha") || c.Param("alpha", new(any)) {
				return nil
			}
			return c.With(map[string]any{"alpha": "0x1p-2"}, nil)
		})},
	{"sigmoid_focal_gamma_on_p", "the modulating factor p_t^gamma instead of (1 - p_t)^gamma in the sigmoid focal loss.",
		killCompatible, []string{"sigmoid_focal_loss"}, values(func(c *adapter.Case, r adapter.Result) []float64 {
			// ce (1 - p_t)^gamma with p_t = exp(-ce) replaced by ce p_t^gamma: rebuild from gamma = 0.
			gamma := floatParamOr(c, "gamma", 2)
			weighted := perElement(c.With(map[string]any{"gamma": "0x0p+0"}, nil))
			ce := perElement(c.With(map[string]any{"gamma": "0x0p+0", "alpha": nil}, nil))
			l := mapIdx(weighted, func(i int, v float64) float64 { return rounding(c)(v * math.Pow(math.Exp(-ce[i]), gamma)) })
			return reduceVals(l, reduction(c), float64(len(l)))
		})},
	{"float32_accumulation", "sums accumulated in float32 (a float32 accumulator left in the float64 path).",
		killCompatible, summing, float64Only(summed(func(t []float64) float64 {
			var s float32
			for _, v := range t {
				s += float32(v)
			}
			return float64(s)
		}))},
	{"naive_sequential_sum", "sums accumulated left to right in float64 (a plain loop, no compensated or pairwise summation): the error grows with the length of long vectors.",
		acceptCompatible, summing, float64Only(summed(func(t []float64) float64 { return plainSum(t, func(v float64) float64 { return v }) }))},

	// ------------------------------------------------------------- port variants and defects of the levels
	{"port_max_shift", "the textbook max-shift kernel in the data's dtype, without the log1p refinement: a = max x, e_i = exp(x_i - a), S = sum e_i (pairwise), lse = a + log(S), softmax_i = e_i / S, log_softmax_i = (x_i - a) - log(S).",
		acceptCompatible, row, values(finiteRow(func(c *adapter.Case, x []float64) []float64 {
			rd := rounding(c)
			a := slices.Max(x)
			e := mapf(x, func(v float64) float64 { return rd(math.Exp(rd(v - a))) })
			sum := plainSum(e, rd)
			logS := rd(math.Log(sum))
			switch c.Function {
			case "logsumexp":
				return []float64{rd(a + logS)}
			case "softmax":
				return mapf(e, func(v float64) float64 { return rd(v / sum) })
			}
			return mapf(x, func(v float64) float64 { return rd(rd(v-a) - logS) })
		}))},
	{"port_ce_lse_minus_target", "every per-class negative log-probability formed as nll_c = lse(row) - x_c with lse = a + log(sum_i exp(x_i - a)) (F.cross_entropy's logsumexp - gather); smoothing, weights, ignore_index and the reduction as shipped.",
		acceptCompatible, []string{"softmax_cross_entropy", "focal_loss"}, values(lossesFromNLL(portNLL))},
	{"port_bce_logits_tf", "each element in the data's dtype as max(z, 0) - z y + log1p(exp(-|z|)) without pos_weight, and as (1 - y)(max(z, 0) + log1p(exp(-|z|))) + pw y (max(-z, 0) + log1p(exp(-|z|))) with pos_weight (PyTorch's (1 - y) z + (1 + (pw - 1) y)(log1p(exp(-|z|)) + max(-z, 0)) cancels at y = 0, z << 0: a tiny loss becomes 0, a defect); times weight; a plain sum / mean in the data's dtype. Infinite z goes through the same formula (NaN where it meets inf - inf or 0 * inf: acceptable, LimitValue).",
		acceptCompatible, []string{"binary_cross_entropy_with_logits"}, values(bceLogitsTF(func(rd func(float64) float64, u float64) float64 { return math.Log1p(u) }))},
	{"bce_logits_log_not_log1p", "port_bce_logits_tf with log(1 + exp(-|z|)) instead of log1p(exp(-|z|)): a confident correct prediction has loss 0 (z = 79, y = 1 in float32: exact 4.7e-35).",
		killCompatible, []string{"binary_cross_entropy_with_logits"}, values(bceLogitsTF(func(rd func(float64) float64, u float64) float64 { return math.Log(rd(1 + u)) }))},
	{"port_pairwise_sum", "every sum by pairwise summation without compensation (numpy's np.sum) in float64.",
		acceptCompatible, summing, float64Only(summed(func(t []float64) float64 { return pairwise(t, func(v float64) float64 { return v }) }))},
	{"port_float32_native", "float32 data computed entirely in float32 with the float32 libm (numpy's SIMD expf / logf / log1pf): sigmoid = 1 / (1 + exp(-z)) for z >= 0 and exp(z) / (1 + exp(z)) for z < 0; softplus = max(z, 0) + log1p(exp(-|z|)); log_sigmoid = -softplus(-z); lse = a + log1p(s), softmax_i = e_i / (1 + s), log_softmax_i = (x_i - a) - log1p(s) with s = sum_{i != k} exp(x_i - a) summed pairwise in float32. float64 data as shipped.",
		acceptCompatible, []string{"sigmoid", "log_sigmoid", "softplus", "logsumexp", "softmax", "log_softmax"}, float32Native},
	{"sigmoid_one_minus_for_negative", "in the data's dtype: 1 / (1 + exp(-z)) for z >= 0 and 1 - 1 / (1 + exp(z)) for z < 0 (the symmetry written by subtraction): the negative tail has an absolute, not a relative, error (0 at z = -20 in float32).",
		killCompatible, []string{"sigmoid"}, finiteElementwise(func(rd func(float64) float64, z float64) float64 {
			if z >= 0 {
				return rd(1 / rd(1+rd(math.Exp(-z))))
			}
			return rd(1 - rd(1/rd(1+rd(math.Exp(z)))))
		})},
	{"sigmoid_tanh", "0.5 * tanh(z / 2) + 0.5 in the data's dtype: the negative tail is 1 + tanh(z / 2) cancelled (5.96e-8 at z = -17.65 in float32, exact 2.15e-8).",
		killCompatible, []string{"sigmoid"}, finiteElementwise(func(rd func(float64) float64, z float64) float64 {
			return rd(rd(0.5*rd(math.Tanh(rd(z/2)))) + 0.5)
		})},
	{"sigmoid_tail_flushed", "the shipped sigmoid, but 0 where z < ln(u) (u the unit roundoff: z < -16.64 in float32, z < -36.74 in float64): the belief that a result below u is 0 at this precision.",
		killCompatible, []string{"sigmoid"}, values(func(c *adapter.Case, r adapter.Result) []float64 {
			z, _, _ := c.Floats("z", false)
			limit := math.Log(math.Ldexp(1, -53))
			if c.Bits() == 32 {
				limit = math.Log(math.Ldexp(1, -24))
			}
			return mapIdx(r.Data, func(i int, v float64) float64 {
				if z[i] < limit {
					return 0
				}
				return v
			})
		})},
	{"sce_smoothing_classes_last_axis", "at rank > 2 label smoothing takes the class count from the last axis (K = d_k) instead of axis 1 (C): uniform mass eps / K, off_target eps / (K - 1); at rank 2 nothing changes.",
		killCompatible, sce, sceSmoothingClassesLastAxis},
}

// activate installs the mutant name as the adapter's override; false for an unknown name.
func activate(name string) bool {
	i := slices.IndexFunc(mutants, func(m mutant) bool { return m.name == name })
	if i < 0 {
		return false
	}
	m := mutants[i]
	adapter.Override = func(c *adapter.Case) (adapter.Result, bool) {
		if !slices.Contains(m.functions, c.Function) {
			return adapter.Result{}, false
		}
		if slices.Contains(row, c.Function) && !axisAware[m.name] {
			if r, ok := alongAxis(c, m.answer); ok {
				return r, true
			}
		}
		return m.answer(c), true
	}
	return true
}

// catalogue is the --list-mutants answer.
func catalogue() map[string]any {
	list := make([]map[string]any, len(mutants))
	for i, m := range mutants {
		list[i] = map[string]any{"name": m.name, "description": m.description, "functions": m.functions, m.level.verb: m.level.at}
	}
	return map[string]any{"mutants": list}
}

// unknownMutant is the start refusal for an unknown XENT_MUTANT (worded as the Python adapter's).
func unknownMutant(name string) string {
	return fmt.Sprintf("XENT_MUTANT=%s is not a known mutant of xent-go (%d known; `xent-adapter --list-mutants` lists them)",
		pyRepr(name), len(mutants))
}

// pyRepr quotes s as Python's repr does for plain text.
func pyRepr(s string) string {
	q := strconv.Quote(s)
	return "'" + q[1:len(q)-1] + "'"
}

// ------------------------------------------------------------------ building blocks

// values answers with f's values in the shipped result's shape (shipped errors pass through; a nil
// slice keeps the shipped values).
func values(f func(c *adapter.Case, r adapter.Result) []float64) func(*adapter.Case) adapter.Result {
	return func(c *adapter.Case) adapter.Result {
		r := adapter.Shipped(c)
		if r.ErrKind != "" {
			return r
		}
		if d := f(c, r); d != nil {
			r.Data = d
		}
		return r
	}
}

// checked answers an invalid case with the shipped error and a valid one with f (which may then
// index the inputs freely: an out-of-range target or a mismatched weight never reaches it).
func checked(f func(c *adapter.Case) adapter.Result) func(*adapter.Case) adapter.Result {
	return func(c *adapter.Case) adapter.Result {
		if r := adapter.Shipped(c); r.ErrKind != "" {
			return r
		}
		return f(c)
	}
}

// rewrite answers with the shipped function on the case f makes (nil: the case unchanged), after the
// shipped function accepted the original; a rewritten case that is rejected gives NaN values.
func rewrite(f func(c *adapter.Case) *adapter.Case) func(*adapter.Case) adapter.Result {
	return func(c *adapter.Case) adapter.Result {
		r := adapter.Shipped(c)
		if r.ErrKind != "" {
			return r
		}
		d := f(c)
		if d == nil {
			return r
		}
		if m := adapter.Shipped(d); m.ErrKind == "" {
			return m
		}
		r.Data = mapf(r.Data, func(float64) float64 { return math.NaN() })
		return r
	}
}

func negated(c *adapter.Case) adapter.Result {
	return values(func(c *adapter.Case, r adapter.Result) []float64 {
		return mapf(r.Data, func(v float64) float64 { return -v })
	})(c)
}

// elementwise answers with f applied to every element of z.
func elementwise(f func(rd func(float64) float64, z float64) float64) func(*adapter.Case) adapter.Result {
	return values(func(c *adapter.Case, r adapter.Result) []float64 {
		z, _, _ := c.Floats("z", false)
		return mapf(z, func(v float64) float64 { return f(rounding(c), v) })
	})
}

// float64Only applies f to float64 cases; float32 cases get the shipped answer.
func float64Only(f func(*adapter.Case) adapter.Result) func(*adapter.Case) adapter.Result {
	return func(c *adapter.Case) adapter.Result {
		if c.Bits() == 32 {
			return adapter.Shipped(c)
		}
		return f(c)
	}
}

// summed answers the summing functions with their sums formed by sum: the rows' sum of exp(x_i - a),
// entropy's terms, and the batch reductions (over the number of losses, or softmax_cross_entropy's
// weight sum).
func summed(sum func([]float64) float64) func(*adapter.Case) adapter.Result {
	return values(func(c *adapter.Case, r adapter.Result) []float64 {
		switch c.Function {
		case "logsumexp", "softmax", "log_softmax":
			x, _, _ := c.Floats("x", false)
			a, s := shiftedSum(x, func(v float64) float64 { return v }, sum)
			if math.IsInf(a, 0) || math.IsNaN(a) {
				return nil
			}
			switch l := math.Log1p(s); c.Function {
			case "logsumexp":
				return []float64{a + l}
			case "softmax":
				return mapf(x, func(v float64) float64 { return math.Exp(v-a) / (1 + s) })
			default:
				return mapf(x, func(v float64) float64 { return (v - a) - l })
			}
		case "entropy":
			p, _, _ := c.Floats("p", false)
			h := -sum(mapf(p, func(v float64) float64 {
				if v == 0 {
					return 0
				}
				return v * logOf(v)
			}))
			if inBits(c) {
				h /= math.Ln2
			}
			return []float64{h}
		case "cross_entropy", "kl_divergence":
			return []float64{naiveInformation(c, sum)}
		case "softmax_cross_entropy_grad":
			// only the mean's denominator is a sum; a zero one keeps the shipped NaN gradient (D3)
			if den := readSCE(c).denominator(sum); reduction(c) == "mean" && den != 0 {
				return mapf(adapter.Shipped(c.With(map[string]any{"reduction": "sum"}, nil)).Data, func(v float64) float64 { return v / den })
			}
			return nil
		}
		red := reduction(c)
		if red == "none" {
			return nil
		}
		l := perElement(c)
		s := sum(l)
		if red == "mean" {
			den := float64(len(l))
			if c.Function == "softmax_cross_entropy" {
				den = readSCE(c).denominator(sum)
			}
			s /= den
		}
		return []float64{s}
	})
}

// logOf is the natural log, right below the normal range too: Go's math.Log on amd64 takes a
// subnormal x for a normal one (log(2^-1074) = -709.09 instead of -744.44, golang/go#56600), which a
// port on a correct libm does not inherit.
func logOf(x float64) float64 {
	if x > 0 && x < 0x1p-1022 {
		return math.Log(x*0x1p54) - 54*math.Ln2
	}
	return math.Log(x)
}

// naiveInformation is cross_entropy (renormalising q + epsilon) or kl_divergence with every sum
// formed by sum; terms with p = 0 contribute 0. Only the sums are a port's: the logs are the shipped
// forms (a logarithm of a quotient as a difference of logarithms where the quotient may be subnormal).
func naiveInformation(c *adapter.Case, sum func([]float64) float64) float64 {
	p, _, _ := c.Floats("p", false)
	q, _, _ := c.Floats("q", false)
	logQ := mapf(q, logOf)
	if eps, _ := c.FloatParam("epsilon"); eps != 0 {
		// log q'_i = log(q_i + eps) - log(total): q'_i itself may be subnormal (cross_entropy tcId 20)
		total := logOf(sum(mapf(q, func(v float64) float64 { return v + eps })))
		logQ = mapf(q, func(v float64) float64 { return logOf(v+eps) - total })
	}
	h := sum(mapIdx(p, func(i int, v float64) float64 {
		switch {
		case v == 0:
			return 0
		case c.Function == "cross_entropy":
			return -v * logQ[i]
		}
		if r := v / q[i]; r >= 0x1p-1022 && !math.IsInf(r, 1) {
			return v * logOf(r)
		}
		return v * (logOf(v) - logOf(q[i])) // the quotient overflows or leaves the normal range
	}))
	if inBits(c) {
		h /= math.Ln2
	}
	return h
}

// pairwise is numpy's pairwise summation (np.sum): below 8 terms a loop, up to 128 eight
// accumulators, above that the two halves (the first a multiple of 8) summed recursively; every
// addition rounded by rd.
func pairwise(t []float64, rd func(float64) float64) float64 {
	n := len(t)
	switch {
	case n < 8:
		s := 0.0
		for _, v := range t {
			s = rd(s + v)
		}
		return s
	case n <= 128:
		var r [8]float64
		copy(r[:], t[:8])
		i := 8
		for ; i < n-n%8; i += 8 {
			for j := range r {
				r[j] = rd(r[j] + t[i+j])
			}
		}
		s := rd(rd(rd(r[0]+r[1])+rd(r[2]+r[3])) + rd(rd(r[4]+r[5])+rd(r[6]+r[7])))
		for ; i < n; i++ {
			s = rd(s + t[i])
		}
		return s
	}
	n2 := n / 2
	n2 -= n2 % 8
	return rd(pairwise(t[:n2], rd) + pairwise(t[n2:], rd))
}

// inBits reports whether the case asks for base 2.
func inBits(c *adapter.Case) bool {
	s := ""
	return c.Param("base", &s) && s == "2"
}

// mul0 is coef * v where a zero coefficient contributes 0, even times an infinite v (NaN stays NaN).
func mul0(coef, v float64) float64 {
	if coef == 0 && !math.IsNaN(v) {
		return 0
	}
	return coef * v
}

// softplusLog is the stable softplus with log(1 + x) for log1p(x) (softplus_log_not_log1p).
func softplusLog(z float64) float64 { return math.Max(z, 0) + math.Log(1+math.Exp(-math.Abs(z))) }

// softplusLogNotLog1p answers the functions built on softplus with softplusLog in its place; the
// sigmoid focal loss keeps its accurate modulating factor, so only the softplus differs.
func softplusLogNotLog1p(c *adapter.Case, r adapter.Result) []float64 {
	z, shape, _ := c.Floats("z", false)
	rd := rounding(c)
	switch c.Function {
	case "softplus":
		return mapf(z, func(v float64) float64 { return rd(softplusLog(v)) })
	case "log_sigmoid":
		return mapf(z, func(v float64) float64 { return rd(-softplusLog(-v)) })
	}
	y, _, _ := c.Floats("y", false)
	ce := func(i int, pw float64) float64 {
		return mul0(pw*y[i], softplusLog(-z[i])) + mul0(1-y[i], softplusLog(z[i]))
	}
	var l []float64
	if c.Function == "binary_cross_entropy_with_logits" {
		w, pw := broadcast(c, "weight", shape), broadcast(c, "pos_weight", shape)
		l = mapIdx(z, func(i int, _ float64) float64 { return mul0(w[i], ce(i, pw[i])) })
	} else { // sigmoid_focal_loss: alpha_t (1 - p_t)^gamma ce, 1 - p_t = y sigmoid(-z) + (1 - y) sigmoid(z)
		gamma := floatParamOr(c, "gamma", 2)
		weighted := !c.Has("alpha") || c.Param("alpha", new(any))
		a := floatParamOr(c, "alpha", 0.25)
		l = mapIdx(z, func(i int, v float64) float64 {
			at := 1.0
			if weighted {
				at = a*y[i] + (1-a)*(1-y[i])
			}
			omp := mul0(y[i], xent.Sigmoid(-v)) + mul0(1-y[i], xent.Sigmoid(v))
			return mul0(at, math.Pow(omp, gamma)*ce(i, 1))
		})
	}
	return mapf(reduceVals(l, reduction(c), float64(len(l))), rd)
}

// probZeroLogZeroNaN makes NaN of every loss where a zero coefficient meets log 0.
func probZeroLogZeroNaN(c *adapter.Case, r adapter.Result) []float64 {
	per := perElement(c)
	changed := false
	if c.Function == "binary_cross_entropy" {
		if eps, ok := c.FloatParam("epsilon"); !ok || eps != 0 {
			return nil // the clip keeps both logs finite
		}
		y, _, _ := c.Floats("y", false)
		p, _, _ := c.Floats("p", false)
		for i := range per {
			if (y[i] == 0 && p[i] == 0) || (y[i] == 1 && p[i] == 1) {
				per[i], changed = math.NaN(), true
			}
		}
	} else {
		t, shape, _ := c.Floats("t", false)
		p, _, _ := c.Floats("p", false)
		for i := range t {
			if t[i] == 0 && p[i] == 0 {
				per[i/shape[1]], changed = math.NaN(), true
			}
		}
	}
	if !changed {
		return nil
	}
	return mapf(reduceVals(per, reduction(c), float64(len(per))), rounding(c))
}

// probabilitiesNotChecked answers a case the shipped function rejects with invalid_probability
// with the plain formula's values (every other check stays).
func probabilitiesNotChecked(c *adapter.Case) adapter.Result {
	r := adapter.Shipped(c)
	if r.ErrKind != "invalid_probability" {
		return r
	}
	var l []float64
	eps := floatParamOr(c, "epsilon", 1e-15)
	var outShape []int
	switch c.Function {
	case "nll_from_probs":
		p, ps, _ := c.Floats("probs", false)
		t, _, _ := c.Ints("target")
		for n, y := range t {
			if y < 0 || y >= ps[1] {
				return r // an index error the library reported after the probabilities
			}
			l = append(l, -math.Log(math.Max(p[n*ps[1]+y], eps)))
		}
		outShape = []int{len(t)}
	case "categorical_cross_entropy":
		t, ts, _ := c.Floats("t", false)
		p, _, _ := c.Floats("p", false)
		l = make([]float64, ts[0])
		for i := range t {
			l[i/ts[1]] += mul0(t[i], -math.Log(p[i]))
		}
		outShape = []int{ts[0]}
	default:
		y, ys, _ := c.Floats("y", false)
		p, _, _ := c.Floats("p", false)
		l = mapIdx(p, func(i int, v float64) float64 {
			pc := math.Min(math.Max(v, eps), 1-eps)
			return mul0(y[i], -math.Log(pc)) + mul0(1-y[i], -math.Log(1-pc))
		})
		outShape = ys
	}
	if reduction(c) != "none" {
		outShape = []int{}
	}
	return adapter.Result{Shape: outShape, Data: mapf(reduceVals(l, reduction(c), float64(len(l))), rounding(c))}
}

// bceClipHighOnly computes the losses with p clipped from above only: 1 - p' = eps exactly where
// p > 1 - eps (as the shipped clip), but no lower clip, so log(0) stays -inf.
func bceClipHighOnly(c *adapter.Case, r adapter.Result) []float64 {
	y, _, _ := c.Floats("y", false)
	p, _, _ := c.Floats("p", false)
	eps := floatParamOr(c, "epsilon", 1e-15)
	l := mapIdx(p, func(i int, v float64) float64 {
		if v >= 0.5 && 1-v < eps {
			return mul0(y[i], -math.Log1p(-eps)) + mul0(1-y[i], -math.Log(eps))
		}
		l1p := math.Log(1 - v)
		if v < 0.5 {
			l1p = math.Log1p(-v)
		}
		return mul0(y[i], -math.Log(v)) + mul0(1-y[i], -l1p)
	})
	return mapf(reduceVals(l, reduction(c), float64(len(l))), rounding(c))
}

// bceLogNotLog1p recomputes the losses whose clipped p is below 1/2 with log(1 - p) for log1p(-p).
func bceLogNotLog1p(c *adapter.Case, r adapter.Result) []float64 {
	y, _, _ := c.Floats("y", false)
	p, _, _ := c.Floats("p", false)
	eps := floatParamOr(c, "epsilon", 1e-15)
	per := perElement(c)
	for i, v := range p {
		if pc := math.Max(v, eps); pc < 0.5 {
			per[i] = mul0(y[i], -math.Log(pc)) + mul0(1-y[i], -math.Log(1-pc))
		}
	}
	return mapf(reduceVals(per, reduction(c), float64(len(per))), rounding(c))
}

// focalFactor answers focal_loss as alpha_y base(nll)^gamma nll, where nll is the shipped
// cross-entropy of the target and base replaces the shipped 1 - p_t.
func focalFactor(base func(nll float64) float64) func(c *adapter.Case, r adapter.Result) []float64 {
	return func(c *adapter.Case, r adapter.Result) []float64 {
		gamma := floatParamOr(c, "gamma", 2)
		nll := perElement(c.With(map[string]any{"gamma": "0x0p+0", "alpha": nil}, nil))
		alpha, _, ok := c.Floats("alpha", true)
		t, _, _ := c.Ints("target")
		l := mapIdx(nll, func(n int, v float64) float64 {
			a := 1.0
			if ok {
				a = alpha[t[n]]
			}
			return mul0(a, math.Pow(base(v), gamma)*v)
		})
		return mapf(reduceVals(l, reduction(c), float64(len(l))), rounding(c))
	}
}

// bceClip clips p with clip and disables the shipped clip (epsilon 0).
func bceClip(clip func(p, eps float64) float64) func(*adapter.Case) *adapter.Case {
	return func(c *adapter.Case) *adapter.Case {
		p, shape, _ := c.Floats("p", false)
		eps := floatParamOr(c, "epsilon", 1e-15)
		q := mapf(p, func(v float64) float64 { return rounding(c)(clip(v, eps)) })
		return c.With(map[string]any{"epsilon": "0x0p+0"}, map[string]any{"p": c.FloatTensor(q, shape)})
	}
}

func swap(a, b string) func(*adapter.Case) *adapter.Case {
	return func(c *adapter.Case) *adapter.Case {
		return c.With(nil, map[string]any{a: c.Inputs[b], b: c.Inputs[a]})
	}
}

// other runs the shipped function fn on the case's inputs (softmax or logsumexp of x).
func other(c *adapter.Case, fn string) adapter.Result {
	d := *c
	d.Function = fn
	return adapter.Shipped(&d)
}

// perElement returns the shipped unreduced losses of the case.
func perElement(c *adapter.Case) []float64 {
	return adapter.Shipped(c.With(map[string]any{"reduction": "none"}, nil)).Data
}

// reduction returns the case's effective reduction.
func reduction(c *adapter.Case) string {
	var s string
	if c.Param("reduction", &s) {
		return s
	}
	if c.Function == "sigmoid_focal_loss" {
		return "none"
	}
	return "mean"
}

func reduceVals(l []float64, red string, den float64) []float64 {
	switch red {
	case "sum":
		return []float64{compensated(l)}
	case "mean":
		return []float64{compensated(l) / den}
	}
	return l
}

func floatParamOr(c *adapter.Case, name string, def float64) float64 {
	if v, ok := c.FloatParam(name); ok {
		return v
	}
	return rounding(c)(def)
}

// broadcast returns the [C] or full-shape parameter name as a full-shape slice (ones when absent).
func broadcast(c *adapter.Case, name string, shape []int) []float64 {
	n := 1
	for _, d := range shape {
		n *= d
	}
	w, _, ok := c.Floats(name, true)
	out := make([]float64, n)
	for i := range out {
		switch {
		case !ok:
			out[i] = 1
		case len(w) == n:
			out[i] = w[i]
		default:
			out[i] = w[i%len(w)]
		}
	}
	return out
}

// rounding returns rounding to the case's dtype.
func rounding(c *adapter.Case) func(float64) float64 {
	if c.Bits() == 32 {
		return func(v float64) float64 { return float64(float32(v)) }
	}
	return func(v float64) float64 { return v }
}

// shiftedSum returns the maximum a of x and sum of exp(x_i - a) over i other than the first maximum.
func shiftedSum(x []float64, rd func(float64) float64, sum func([]float64) float64) (float64, float64) {
	if len(x) == 0 {
		return math.NaN(), 0
	}
	k := 0
	for i, v := range x {
		if v > x[k] {
			k = i
		}
	}
	var e []float64
	for i, v := range x {
		if i != k {
			e = append(e, rd(math.Exp(rd(v-x[k]))))
		}
	}
	return x[k], rd(sum(e))
}

func plainSum(t []float64, rd func(float64) float64) float64 {
	s := 0.0
	for _, v := range t {
		s = rd(s + v)
	}
	return s
}

// compensated is Neumaier's sum (the mutants' own reductions are accurate: only the modelled
// mistake should differ).
func compensated(t []float64) float64 {
	var s, comp float64
	for _, v := range t {
		u := s + v
		if math.Abs(s) >= math.Abs(v) {
			comp += (s - u) + v
		} else {
			comp += (v - u) + s
		}
		s = u
	}
	if math.IsInf(s, 0) || math.IsNaN(s) {
		return s // an infinite sum has no compensation (inf - inf would make it NaN)
	}
	return s + comp
}

func mapf(x []float64, f func(float64) float64) []float64 {
	return mapIdx(x, func(_ int, v float64) float64 { return f(v) })
}

func mapIdx(x []float64, f func(int, float64) float64) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = f(i, v)
	}
	return out
}

func mapi(x []int, f func(int) int) []int {
	out := make([]int, len(x))
	for i, v := range x {
		out[i] = f(v)
	}
	return out
}

// ------------------------------------------------------------------ softmax cross-entropy

// sceCase is a softmax_cross_entropy(_grad) case as the mutants read it.
type sceCase struct {
	idx    []int // nil for probability targets
	tshape []int
	lshape []int
	w      []float64 // nil when absent
	ignore int
	eps    float64
	mode   string
	red    string
	k, d   int // classes, positions per sample
	grad   bool
}

func readSCE(c *adapter.Case) sceCase {
	s := sceCase{ignore: -100, mode: "uniform", red: reduction(c), d: 1, grad: c.Function == "softmax_cross_entropy_grad"}
	_, s.lshape, _ = c.Floats("logits", false)
	if len(s.lshape) >= 2 {
		s.k = s.lshape[1]
		for _, v := range s.lshape[2:] {
			s.d *= v
		}
	}
	s.idx, s.tshape, _ = c.Ints("target")
	s.w, _, _ = c.Floats("weight", true)
	c.Param("ignore_index", &s.ignore)
	c.Param("label_smoothing_mode", &s.mode)
	s.eps, _ = c.FloatParam("label_smoothing")
	return s
}

// wy returns the weight of position pos's target (0 when ignored).
func (s sceCase) wy(pos int) float64 {
	y := s.idx[pos]
	switch {
	case y == s.ignore:
		return 0
	case s.w == nil:
		return 1
	}
	return s.w[y]
}

// weightSum is the shipped mean's denominator for index targets (positions for probabilities).
func (s sceCase) weightSum() float64 { return s.denominator(compensated) }

// denominator is the mean's denominator summed by sum: the target weights of index targets, the
// number of positions for probability targets.
func (s sceCase) denominator(sum func([]float64) float64) float64 {
	if s.idx == nil {
		return s.count(false)
	}
	var t []float64
	for pos := range s.idx {
		t = append(t, s.wy(pos))
	}
	return sum(t)
}

// count returns the number of non-ignored positions (ignored ones with ignored true).
func (s sceCase) count(ignored bool) float64 {
	if s.idx == nil {
		if ignored {
			return 0
		}
		return float64(positions(s.lshape))
	}
	n := 0
	for _, y := range s.idx {
		if (y == s.ignore) == ignored {
			n++
		}
	}
	return float64(n)
}

func positions(shape []int) int {
	n := 1
	for i, v := range shape {
		if i != 1 {
			n *= v
		}
	}
	return n
}

// rescaled answers c from the shipped unreduced result of d (per-position losses, or the gradient
// of the sum), position pos multiplied by f(pos), then reduced with den as the mean's denominator.
func (s sceCase) rescaled(c, d *adapter.Case, f func(pos int) float64, den float64) adapter.Result {
	r := adapter.Shipped(c)
	if r.ErrKind != "" || s.k == 0 {
		return r
	}
	vals := adapter.Shipped(d.With(map[string]any{"reduction": "none"}, nil)).Data
	if s.grad {
		vals = mapIdx(vals, func(i int, v float64) float64 {
			pos := i/(s.k*s.d)*s.d + i%s.d
			v *= f(pos)
			if s.red == "mean" {
				v /= den
			}
			return rounding(c)(v)
		})
		r.Data = vals
		return r
	}
	vals = mapIdx(vals, func(pos int, v float64) float64 { return v * f(pos) })
	r.Data = mapf(reduceVals(vals, s.red, den), rounding(c))
	return r
}

// ------------------------------------------------------------------ port variants of the levels

// finiteRow answers the row functions with f's values when every x is finite (the shipped result
// otherwise).
func finiteRow(f func(c *adapter.Case, x []float64) []float64) func(c *adapter.Case, r adapter.Result) []float64 {
	return func(c *adapter.Case, r adapter.Result) []float64 {
		x, _, _ := c.Floats("x", false)
		if !allFinite(x) {
			return nil
		}
		return f(c, x)
	}
}

// finiteElementwise answers with f applied to every finite z (the shipped value at the others).
func finiteElementwise(f func(rd func(float64) float64, z float64) float64) func(*adapter.Case) adapter.Result {
	return values(func(c *adapter.Case, r adapter.Result) []float64 {
		z, _, _ := c.Floats("z", false)
		return mapIdx(z, func(i int, v float64) float64 {
			if math.IsInf(v, 0) || math.IsNaN(v) {
				return r.Data[i]
			}
			return f(rounding(c), v)
		})
	})
}

func allFinite(x []float64) bool {
	return !slices.ContainsFunc(x, func(v float64) bool { return math.IsInf(v, 0) || math.IsNaN(v) })
}

// portNLL returns nll_c = lse - x_c of a finite row with lse = a + log(sum_i exp(x_i - a)), every
// operation rounded by rd (the textbook kernel: log_softmax by subtraction from a rounded lse).
func portNLL(row []float64, rd func(float64) float64) []float64 {
	a := slices.Max(row)
	e := mapf(row, func(v float64) float64 { return rd(math.Exp(rd(v - a))) })
	lse := rd(a + rd(math.Log(pairwise(e, rd)))) // numpy's sum: pairwise (a plain loop fails C = 262144 in float32)
	return mapf(row, func(v float64) float64 { return rd(lse - v) })
}

// lseLogNLL returns nll_c = (a - x_c) + log(1 + s) of a finite row in binary64 (lse_log_not_log1p:
// s = sum over i != k of exp(x_i - a), compensated; Python's working precision for float32 data).
func lseLogNLL(row []float64, _ func(float64) float64) []float64 {
	a, s := shiftedSum(row, func(v float64) float64 { return v }, compensated)
	l := math.Log(1 + s)
	return mapf(row, func(v float64) float64 { return (a - v) + l })
}

// lossesFromNLL answers softmax_cross_entropy and focal_loss with the row log-probabilities of nll
// at every position whose logits are finite (the shipped loss elsewhere); focal_loss keeps the shipped
// modulating factor (1 - p_t)^gamma.
func lossesFromNLL(nllOf func(row []float64, rd func(float64) float64) []float64) func(c *adapter.Case, r adapter.Result) []float64 {
	return func(c *adapter.Case, r adapter.Result) []float64 {
		rd := rounding(c)
		x, shape, _ := c.Floats("logits", false)
		per := perElement(c)
		if c.Function == "focal_loss" {
			t, _, _ := c.Ints("target")
			gamma := floatParamOr(c, "gamma", 2)
			alpha, _, hasAlpha := c.Floats("alpha", true)
			nll := perElement(c.With(map[string]any{"gamma": "0x0p+0", "alpha": nil}, nil))
			k := shape[1]
			for n, y := range t {
				if row := x[n*k : (n+1)*k]; allFinite(row) {
					a := 1.0
					if hasAlpha {
						a = alpha[y]
					}
					per[n] = mul0(a, math.Pow(-math.Expm1(-nll[n]), gamma)*nllOf(row, rd)[y])
				}
			}
			return mapf(reduceVals(per, reduction(c), float64(len(per))), rd)
		}
		s := readSCE(c)
		var probs []float64
		if s.idx == nil {
			probs, _, _ = c.Floats("target", false)
		}
		for pos := range per {
			row := s.row(x, pos)
			if !allFinite(row) || (s.idx != nil && s.idx[pos] == s.ignore) {
				continue
			}
			per[pos] = compensated(mapIdx(nllOf(row, rd), func(cls int, v float64) float64 { return mul0(s.mass(probs, pos, cls), v) }))
		}
		return mapf(reduceVals(per, s.red, s.weightSum()), rd)
	}
}

// bceLogitsTF answers binary_cross_entropy_with_logits with the TensorFlow formula in the data's dtype
// (with pos_weight a form without cancellation), log1p(u) of u = exp(-|z|) computed by tail; NaN z
// keeps the shipped loss.
func bceLogitsTF(tail func(rd func(float64) float64, u float64) float64) func(c *adapter.Case, r adapter.Result) []float64 {
	return func(c *adapter.Case, r adapter.Result) []float64 {
		z, shape, _ := c.Floats("z", false)
		y, _, _ := c.Floats("y", false)
		_, _, hasPW := c.Floats("pos_weight", true)
		w, pw := broadcast(c, "weight", shape), broadcast(c, "pos_weight", shape)
		rd := rounding(c)
		shipped := perElement(c)
		l := mapIdx(z, func(i int, v float64) float64 {
			if math.IsNaN(v) { // infinite z goes through the formula (NaN at inf - inf or 0 * inf: LimitValue)
				return shipped[i]
			}
			t := rd(tail(rd, rd(math.Exp(-math.Abs(v)))))
			var e float64
			if hasPW { // not PyTorch's (1 - y) z + l (t + max(-z, 0)): z + (|z| + t) cancels at y = 0, z << 0
				e = rd(rd(rd(1-y[i])*rd(math.Max(v, 0)+t)) + rd(rd(pw[i]*y[i])*rd(math.Max(-v, 0)+t)))
			} else {
				e = rd(rd(math.Max(v, 0)-rd(v*y[i])) + t)
			}
			return rd(w[i] * e)
		})
		switch reduction(c) {
		case "sum":
			return []float64{pairwise(l, rd)}
		case "mean":
			return []float64{rd(pairwise(l, rd) / float64(len(l)))}
		}
		return l
	}
}

// float32Native answers float32 cases of the logistic and row functions computed in float32 (every
// operation rounded to float32); float64 cases as shipped.
func float32Native(c *adapter.Case) adapter.Result {
	if c.Bits() != 32 {
		return adapter.Shipped(c)
	}
	rd := rounding(c)
	softplus := func(z float64) float64 { return rd(rd(math.Max(z, 0)) + rd(math.Log1p(rd(math.Exp(-math.Abs(z)))))) }
	switch c.Function {
	case "sigmoid":
		return finiteElementwise(func(rd func(float64) float64, z float64) float64 {
			if z >= 0 {
				return rd(1 / rd(1+rd(math.Exp(-z))))
			}
			e := rd(math.Exp(z))
			return rd(e / rd(1+e))
		})(c)
	case "softplus":
		return finiteElementwise(func(_ func(float64) float64, z float64) float64 { return softplus(z) })(c)
	case "log_sigmoid":
		return finiteElementwise(func(_ func(float64) float64, z float64) float64 { return -softplus(-z) })(c)
	}
	return values(finiteRow(func(c *adapter.Case, x []float64) []float64 {
		a, s := shiftedSum(x, rd, func(t []float64) float64 { return pairwise(t, rd) })
		l := rd(math.Log1p(s))
		switch c.Function {
		case "logsumexp":
			return []float64{rd(a + l)}
		case "softmax":
			return mapf(x, func(v float64) float64 { return rd(rd(math.Exp(rd(v-a))) / rd(1+s)) })
		}
		return mapf(x, func(v float64) float64 { return rd(rd(v-a) - l) })
	}))(c)
}

// sceSmoothingClassesLastAxis answers with the smoothing mass of K = d_k classes instead of C at
// rank > 2. The mistaken smoothed target is proportional to the shipped one at another epsilon e'
// (the same ratio of the target class's share to another class's), so the answer is the shipped
// loss or gradient at e' scaled by that proportion (the loss and its gradient are linear in q; the
// mean's denominator does not depend on q).
func sceSmoothingClassesLastAxis(c *adapter.Case) adapter.Result {
	r := adapter.Shipped(c)
	s := readSCE(c)
	if r.ErrKind != "" || len(s.lshape) <= 2 || s.eps == 0 {
		return r
	}
	off := 0.0
	if s.mode == "off_target" {
		off = 1
	}
	classes, k := float64(s.k)-off, float64(s.lshape[len(s.lshape)-1])-off
	eps, scale := 0.0, 1-s.eps // off_target with K = 1: nothing for the other classes, 1 - eps for the target
	if k > 0 {
		eps = rounding(c)(classes / ((1-s.eps)*k/s.eps + classes))
		scale = (s.eps / k) / (eps / classes)
	}
	m := adapter.Shipped(c.With(map[string]any{"label_smoothing": adapter.FormatHex(eps, c.Bits())}, nil))
	if m.ErrKind != "" {
		return r
	}
	m.Data = mapf(m.Data, func(v float64) float64 { return rounding(c)(v * scale) })
	return m
}

// row returns the logits of position pos (its C classes).
func (s sceCase) row(x []float64, pos int) []float64 {
	out := make([]float64, s.k)
	for cls := range out {
		out[cls] = x[s.element(pos, cls)]
	}
	return out
}

// element is the index of class cls of position pos in the row-major [N, C, d...] logits.
func (s sceCase) element(pos, cls int) int {
	return pos/s.d*s.k*s.d + cls*s.d + pos%s.d
}

// mass returns w_c q_c of position pos, class cls (t: the probability targets, nil for indices).
func (s sceCase) mass(t []float64, pos, cls int) float64 {
	w := 1.0
	if s.w != nil {
		w = s.w[cls]
	}
	k := float64(s.k)
	var q float64
	if s.idx != nil {
		if s.idx[pos] == cls {
			q = 1 - s.eps
		}
		if s.eps != 0 && s.mode == "uniform" {
			q += s.eps / k
		} else if s.eps != 0 && s.idx[pos] != cls {
			q += s.eps / (k - 1)
		}
		return w * q
	}
	tc := t[s.element(pos, cls)]
	q = (1 - s.eps) * tc
	if s.eps != 0 && s.mode == "uniform" {
		q += s.eps / k
	} else if s.eps != 0 {
		q += s.eps / (k - 1) * (1 - tc)
	}
	return w * q
}
