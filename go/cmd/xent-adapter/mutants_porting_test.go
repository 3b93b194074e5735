package main

import (
	"encoding/json"
	"testing"

	"github.com/xent-conformance/xent/go/internal/adapter"
)

// portingCase decodes a case given as JSON.
func portingCase(t *testing.T, s string) *adapter.Case {
	t.Helper()
	var c adapter.Case
	if err := json.Unmarshal([]byte(s), &c); err != nil {
		t.Fatal(err)
	}
	return &c
}

// under runs f with the mutant name active.
func under(t *testing.T, name string, f func()) {
	t.Helper()
	if !activate(name) {
		t.Fatalf("unknown mutant %s", name)
	}
	defer func() { adapter.Override = nil }()
	f()
}

// A row function's mutant on an N-d x works slice by slice along the axis: port_max_shift's
// logsumexp of a [2, 3] x along axis 0 is its logsumexp of each column, the axis dropped.
func TestRowMutantsWorkSliceBySlice(t *testing.T) {
	nd := portingCase(t, `{"id":"a","function":"logsumexp","dtype":"float64","params":{"axis":0},"inputs":{"x":{"dtype":"float64","shape":[2,3],"data":["0x0p+0","0x1p+0","0x1p+1","0x1.ep+4","-0x1p+2","0x1p-1"]}}}`)
	columns := []string{
		`{"id":"c0","function":"logsumexp","dtype":"float64","params":{},"inputs":{"x":{"dtype":"float64","shape":[2],"data":["0x0p+0","0x1.ep+4"]}}}`,
		`{"id":"c1","function":"logsumexp","dtype":"float64","params":{},"inputs":{"x":{"dtype":"float64","shape":[2],"data":["0x1p+0","-0x1p+2"]}}}`,
		`{"id":"c2","function":"logsumexp","dtype":"float64","params":{},"inputs":{"x":{"dtype":"float64","shape":[2],"data":["0x1p+1","0x1p-1"]}}}`,
	}
	under(t, "port_max_shift", func() {
		got := adapter.Run(nd)
		if got.ErrKind != "" || len(got.Shape) != 1 || got.Shape[0] != 3 {
			t.Fatalf("got %+v", got)
		}
		for j, s := range columns {
			if want := adapter.Run(portingCase(t, s)); want.Data[0] != got.Data[j] {
				t.Errorf("column %d: %v, the mutant's vector form gives %v", j, got.Data[j], want.Data[0])
			}
		}
	})
}

// Each issue-19 mutant changes the answer of a case that exposes its mistake, and keeps the shipped
// answer of one that does not.
func TestPortingMutantsChangeWhatTheyModel(t *testing.T) {
	cases := []struct {
		mutant, changed, same string
	}{
		{"nll_loss_log_probs_as_probs",
			`{"id":"n","function":"nll_loss","dtype":"float64","params":{},"inputs":{"input":{"dtype":"float64","shape":[1,2],"data":["0x1p-1","0x1p+0"]},"target":{"dtype":"int64","shape":[1],"data":[0]}}}`,
			`{"id":"n","function":"nll_loss","dtype":"float64","params":{},"inputs":{"input":{"dtype":"float64","shape":[1,2],"data":["0x1p-1","0x1p+0"]},"target":{"dtype":"int64","shape":[1],"data":[-100]}}}`},
		{"ignore_index_null_as_minus_100",
			`{"id":"i","function":"nll_loss","dtype":"float64","params":{"ignore_index":null},"inputs":{"input":{"dtype":"float64","shape":[1,2],"data":["-0x1p-1","-0x1p+0"]},"target":{"dtype":"int64","shape":[1],"data":[-100]}}}`,
			`{"id":"i","function":"nll_loss","dtype":"float64","params":{"ignore_index":null},"inputs":{"input":{"dtype":"float64","shape":[1,2],"data":["-0x1p-1","-0x1p+0"]},"target":{"dtype":"int64","shape":[1],"data":[1]}}}`},
		{"kl_div_batchmean_as_mean",
			`{"id":"k","function":"kl_div","dtype":"float64","params":{"reduction":"batchmean"},"inputs":{"input":{"dtype":"float64","shape":[1,2],"data":["-0x1p+0","-0x1p+0"]},"target":{"dtype":"float64","shape":[1,2],"data":["0x1p+0","0x1p+0"]}}}`,
			`{"id":"k","function":"kl_div","dtype":"float64","params":{"reduction":"sum"},"inputs":{"input":{"dtype":"float64","shape":[1,2],"data":["-0x1p+0","-0x1p+0"]},"target":{"dtype":"float64","shape":[1,2],"data":["0x1p+0","0x1p+0"]}}}`},
		{"axis_off_by_one",
			`{"id":"x","function":"logsumexp","dtype":"float64","params":{"axis":0},"inputs":{"x":{"dtype":"float64","shape":[2,2],"data":["0x0p+0","0x1p+0","0x1p+1","0x1p+2"]}}}`,
			`{"id":"x","function":"logsumexp","dtype":"float64","params":{"axis":0},"inputs":{"x":{"dtype":"float64","shape":[2],"data":["0x0p+0","0x1p+0"]}}}`},
	}
	for _, tc := range cases {
		t.Run(tc.mutant, func(t *testing.T) {
			changed, same := portingCase(t, tc.changed), portingCase(t, tc.same)
			shippedChanged, shippedSame := adapter.Shipped(changed), adapter.Shipped(same)
			under(t, tc.mutant, func() {
				if got := adapter.Run(changed); equalResults(got, shippedChanged) {
					t.Errorf("%+v is the shipped answer", got)
				}
				if got := adapter.Run(same); !equalResults(got, shippedSame) {
					t.Errorf("%+v, shipped %+v", got, shippedSame)
				}
			})
		})
	}
}

func equalResults(a, b adapter.Result) bool {
	if a.ErrKind != b.ErrKind || len(a.Data) != len(b.Data) {
		return false
	}
	for i := range a.Data {
		if a.Data[i] != b.Data[i] && !(a.Data[i] != a.Data[i] && b.Data[i] != b.Data[i]) {
			return false
		}
	}
	return true
}
