package xent_test

import (
	"fmt"

	xent "github.com/xent-conformance/xent/go"
)

// A 16-bit call: widen the inputs exactly to float64, run the float64 function with the parameters
// as values of the 16-bit format (WithDtype), round the result once. Narrow[float32] gives the mixed
// (autocast) contract's float32 result from the same 16-bit inputs. (The exact loss, computed with
// mpmath at 200 bits: 0.5137974515978383...; bfloat16's neighbours are 0.51171875 and 0.515625.)
func ExampleNarrow() {
	logits := xent.NewTensor([]xent.BFloat16{
		xent.BFloat16From(2), xent.BFloat16From(1), xent.BFloat16From(0.1),
	}, 1, 3)
	target := xent.NewTensor([]int{0})
	loss, err := xent.Narrow[xent.BFloat16](xent.SoftmaxCrossEntropy(xent.Widen(logits), target,
		xent.WithLabelSmoothing(0.1), xent.WithDtype[xent.BFloat16]()))
	if err != nil {
		fmt.Println(err)
		return
	}
	mixed, _ := xent.Narrow[float32](xent.SoftmaxCrossEntropy(xent.Widen(logits), target,
		xent.WithLabelSmoothing(0.1), xent.WithDtype[xent.BFloat16]()))
	fmt.Printf("bfloat16 %#04x = %v\n", uint16(loss.Data[0]), loss.Data[0].Float64())
	fmt.Printf("float32  %v\n", mixed.Data[0])
	// Output:
	// bfloat16 0x3f04 = 0.515625
	// float32  0.51379746
}

// Conversions round once, ties to even; float16 overflows at 65520.
func ExampleFloat16From() {
	fmt.Println(xent.Float16From(65519).Float64(), xent.Float16From(65520).Float64())
	fmt.Printf("%#04x %#04x\n", uint16(xent.Float16From(1+0x1p-11)), uint16(xent.Float16From(1+0x1.8p-10)))
	// Output:
	// 65504 +Inf
	// 0x3c00 0x3c02
}
