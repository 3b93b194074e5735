package xent_test

import (
	"errors"
	"fmt"

	xent "github.com/xent-conformance/xent/go"
)

// The printed values below are those of the seed document 002's Go program (logits [2.0, 1.0, 0.1],
// true class 0, printed with %.4f): "Probabilities: [0.6590 0.2424 0.0986]" and "Loss: 0.4170".

func ExampleSoftmax() {
	logits := []float64{2.0, 1.0, 0.1}
	probs := xent.Softmax(logits)
	fmt.Printf("Probabilities: %.4f\n", probs)
	// Output: Probabilities: [0.6590 0.2424 0.0986]
}

func ExampleCrossEntropyLoss() {
	probs := xent.Softmax([]float64{2.0, 1.0, 0.1})
	loss := xent.CrossEntropyLoss(probs, 0)
	fmt.Printf("Loss: %.4f\n", loss)
	// Output: Loss: 0.4170
}

// SoftmaxCrossEntropy computes the same loss from the logits directly, without forming the
// probabilities, as (a - x_y) + log1p(s).
func ExampleSoftmaxCrossEntropy() {
	logits := xent.NewTensor([]float64{2.0, 1.0, 0.1}, 1, 3) // N = 1 sample, C = 3 classes
	target := xent.NewTensor([]int{0})
	loss, err := xent.SoftmaxCrossEntropy(logits, target)
	if err != nil {
		fmt.Println(err)
		return
	}
	v, _ := loss.Item()
	fmt.Printf("Loss: %.4f\n", v)
	// Output: Loss: 0.4170
}

// LogSoftmax at the true class is minus the seed's loss.
func ExampleLogSoftmax() {
	lp, err := xent.LogSoftmax([]float32{2.0, 1.0, 0.1})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%.4f\n", -lp[0])
	// Output: 0.4170
}

// Errors carry the specification's error kind.
func ExampleSoftmaxChecked() {
	_, err := xent.SoftmaxChecked([]float64{})
	fmt.Println(errors.Is(err, xent.ErrInvalidShape), xent.ErrorKind(err))
	fmt.Println(err)
	// Output:
	// true invalid_shape
	// invalid_shape: softmax: x must be non-empty
}

// Options select parameters; their zero set gives the specification's defaults.
func ExampleNLLFromProbs() {
	probs := xent.NewTensor([]float64{0.6, 0.4, 0, 1}, 2, 2)
	_, err := xent.NLLFromProbs(probs, []int{0, 2}, xent.WithReduction(xent.ReductionNone))
	fmt.Println(errors.Is(err, xent.ErrIndexOutOfRange))
	_, err = xent.NLLFromProbs(probs, []int{0, 1}, xent.WithGamma(2))
	fmt.Println(err)
	// Output:
	// true
	// invalid_argument: nll_from_probs: option WithGamma does not apply to nll_from_probs
}
