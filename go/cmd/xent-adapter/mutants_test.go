package main

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/xent-conformance/xent/go/internal/adapter"
)

func TestCatalogueNamesAreUniqueAndFunctionsKnown(t *testing.T) {
	seen := map[string]bool{}
	for _, m := range mutants {
		if seen[m.name] {
			t.Errorf("duplicate mutant %q", m.name)
		}
		seen[m.name] = true
		if m.description == "" || len(m.functions) == 0 {
			t.Errorf("mutant %q has no description or no functions", m.name)
		}
		for _, f := range m.functions {
			if !slices.Contains(adapter.Functions, f) {
				t.Errorf("mutant %q names unknown function %q", m.name, f)
			}
		}
		if !slices.Contains([]level{killAccurate, killCompatible, acceptCompatible}, m.level) {
			t.Errorf("mutant %q has no level (%+v)", m.name, m.level)
		}
	}
	b, err := json.Marshal(catalogue())
	if err != nil {
		t.Fatal(err)
	}
	var list struct {
		Mutants []struct {
			Name      string   `json:"name"`
			Functions []string `json:"functions"`
			Kill      string   `json:"kill"`
			Accept    string   `json:"accept"`
		} `json:"mutants"`
	}
	if err := json.Unmarshal(b, &list); err != nil || len(list.Mutants) != len(mutants) {
		t.Fatalf("catalogue JSON %s does not list the %d mutants (%v)", b, len(mutants), err)
	}
	for i, m := range list.Mutants {
		// exactly one of "kill" and "accept", as conformance/MUTANTS.md's "Levels" defines the field
		if (m.Kill == "") == (m.Accept == "") || m.Kill+m.Accept != mutants[i].level.at {
			t.Errorf("%s: kill %q, accept %q in the JSON for level %+v", m.Name, m.Kill, m.Accept, mutants[i].level)
		}
	}
}

func TestUnknownMutantRefusesStart(t *testing.T) {
	if activate("no_such_mutant") {
		t.Fatal("an unknown mutant was activated")
	}
	startRefusal = unknownMutant("no_such_mutant")
	defer func() { startRefusal = "" }()
	var out, logs bytes.Buffer
	serve(strings.NewReader(`{"cmd":"start","version":1}`+"\n"), &out, &logs)
	var ans struct {
		Error struct{ Kind, Message string } `json:"error"`
	}
	if err := json.Unmarshal(out.Bytes(), &ans); err != nil {
		t.Fatalf("answer %q: %v", out.String(), err)
	}
	if ans.Error.Kind != "unsupported_version" || !strings.HasPrefix(ans.Error.Message, "XENT_MUTANT='no_such_mutant' is not a known mutant") {
		t.Errorf("start answered %+v", ans.Error)
	}
}

// A gradient case that sce_grad_wrong_sign changes, and an invalid one whose error it must keep.
const (
	gradCase    = `{"id":"g","function":"softmax_cross_entropy_grad","dtype":"float64","params":{},"inputs":{"logits":{"dtype":"float64","shape":[1,2],"data":["0x0p+0","0x1p+0"]},"target":{"dtype":"int64","shape":[1],"data":[0]}}}`
	badGradCase = `{"id":"b","function":"softmax_cross_entropy_grad","dtype":"float64","params":{},"inputs":{"logits":{"dtype":"float64","shape":[1,2],"data":["0x0p+0","0x1p+0"]},"target":{"dtype":"int64","shape":[1],"data":[5]}}}`
)

func runCase(t *testing.T, raw string) adapter.Result {
	t.Helper()
	var c adapter.Case
	if err := json.Unmarshal([]byte(raw), &c); err != nil {
		t.Fatal(err)
	}
	return adapter.Run(&c)
}

func TestMutantOnlyChangesValues(t *testing.T) {
	if adapter.Override != nil {
		t.Fatal("an override is installed without XENT_MUTANT")
	}
	shipped, bad := runCase(t, gradCase), runCase(t, badGradCase)
	if !activate("sce_grad_wrong_sign") {
		t.Fatal("sce_grad_wrong_sign is not in the catalogue")
	}
	defer func() { adapter.Override = nil }()
	mutated := runCase(t, gradCase)
	for i, v := range shipped.Data {
		if v == 0 || mutated.Data[i] != -v {
			t.Errorf("grad[%d]: shipped %v, mutant %v (want the negation of a non-zero value)", i, v, mutated.Data[i])
		}
	}
	if got := runCase(t, badGradCase); got.ErrKind != bad.ErrKind || bad.ErrKind != "index_out_of_range" {
		t.Errorf("mutant error %q, shipped %q (want index_out_of_range for both)", got.ErrKind, bad.ErrKind)
	}
	adapter.Override = nil
	if again := runCase(t, gradCase); !slices.Equal(again.Data, shipped.Data) {
		t.Errorf("without the override: %v, shipped %v", again.Data, shipped.Data)
	}
}

// pythonMutant is an entry of the Python catalogue as its source declares it.
type pythonMutant struct {
	name, description string
	level             level
}

// pythonCatalogue reads the Python catalogue from its source (python/mutants/xent_mutants.py:
// @mutant("name", functions, """description"""), the description's white space normalised as the
// registry does; the level from the sets ACCEPT_AT_COMPATIBLE and KILL_AT_ACCURATE, every other entry
// being kill: compatible).
func pythonCatalogue(t *testing.T) []pythonMutant {
	t.Helper()
	b, err := os.ReadFile("../../../python/mutants/xent_mutants.py")
	if err != nil {
		t.Fatalf("the Python catalogue is the reference: %v", err)
	}
	src := string(b)
	accept, accurate := pythonSet(t, src, "ACCEPT_AT_COMPATIBLE"), pythonSet(t, src, "KILL_AT_ACCURATE")
	var out []pythonMutant
	for _, m := range regexp.MustCompile(`(?s)@mutant\(\s*"([^"]+)",.*?"""(.*?)"""`).FindAllStringSubmatch(src, -1) {
		lv := killCompatible
		if accept[m[1]] {
			lv = acceptCompatible
		} else if accurate[m[1]] {
			lv = killAccurate
		}
		out = append(out, pythonMutant{m[1], strings.Join(strings.Fields(m[2]), " "), lv})
	}
	if len(out) < 30 || len(accept) == 0 || len(accurate) == 0 {
		t.Fatalf("read only %d mutants, %d accepted, %d killed at accurate from the Python catalogue", len(out), len(accept), len(accurate))
	}
	return out
}

// pythonSet returns the quoted names of the Python set `name = frozenset({...})` (comments dropped).
func pythonSet(t *testing.T, src, name string) map[string]bool {
	t.Helper()
	block := regexp.MustCompile(`(?s)` + name + ` = frozenset\(\{(.*?)\}\)`).FindStringSubmatch(src)
	if block == nil {
		t.Fatalf("no %s in the Python catalogue", name)
	}
	set := map[string]bool{}
	for _, line := range strings.Split(block[1], "\n") {
		line, _, _ = strings.Cut(line, "#")
		for _, m := range regexp.MustCompile(`"([^"]+)"`).FindAllStringSubmatch(line, -1) {
			set[m[1]] = true
		}
	}
	return set
}

// The tables of `xent-conformance mutants` line up across languages: same names, same order, same
// descriptions and the same level as the Python catalogue.
func TestCatalogueMatchesPython(t *testing.T) {
	python := pythonCatalogue(t)
	var ours, theirs []string
	for _, p := range python {
		theirs = append(theirs, p.name)
	}
	for _, m := range mutants {
		ours = append(ours, m.name)
		i := slices.IndexFunc(python, func(p pythonMutant) bool { return p.name == m.name })
		if i < 0 {
			continue
		}
		if m.description != python[i].description {
			t.Errorf("%s: description\n  %q\nwant (Python)\n  %q", m.name, m.description, python[i].description)
		}
		if m.level != python[i].level {
			t.Errorf("%s: level %+v, Python %+v", m.name, m.level, python[i].level)
		}
	}
	if !slices.Equal(ours, theirs) {
		t.Errorf("mutant names differ from the Python catalogue:\n go:     %v\n python: %v", ours, theirs)
	}
}

// The mutants' own sums: Neumaier's keeps an infinite total (inf - inf would make it NaN), and the
// pairwise sum is numpy's (eight accumulators keep the small terms a left-to-right sum loses).
func TestSums(t *testing.T) {
	u := math.Ldexp(1, -53)
	ones := []float64{1}
	for range 15 {
		ones = append(ones, u)
	}
	id := func(v float64) float64 { return v }
	for _, tc := range []struct {
		name      string
		got, want float64
	}{
		{"compensated keeps 1e-17", compensated([]float64{1, 1e-17, -1}), 1e-17},
		{"compensated of +inf", compensated([]float64{1, math.Inf(1)}), math.Inf(1)},
		{"compensated overflow", compensated([]float64{math.MaxFloat64, math.MaxFloat64}), math.Inf(1)},
		{"pairwise of 1 and 15 u", pairwise(ones, id), 1 + 7*math.Ldexp(1, -52)},
		{"left to right of 1 and 15 u", plainSum(ones, id), 1},
		{"pairwise below 8 terms", pairwise([]float64{1, u, u}, id), 1},
	} {
		if tc.got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, tc.got, tc.want)
		}
	}
}

// logOf is right below the normal range, where Go's math.Log on amd64 is not (golang/go#56600).
func TestLogOfSubnormal(t *testing.T) {
	for _, x := range []float64{0x1p-1074, 0x1.8p-1060, 0x1p-1022, 0.5} {
		want := math.Log2(x) * math.Ln2 // math.Log2 splits off the exponent with Frexp, subnormals included
		if got := logOf(x); math.Abs(got-want) > 1e-12*math.Abs(want) {
			t.Errorf("logOf(%g) = %v, want %v", x, got, want)
		}
	}
}

// probabilities_not_checked answers a number where the shipped function rejects the probabilities.
func TestProbabilitiesNotCheckedAnswersAValue(t *testing.T) {
	const nll = `{"id":"n","function":"nll_from_probs","dtype":"float64","params":{"reduction":"none"},"inputs":{"probs":{"dtype":"float64","shape":[1,2],"data":["0x1p+1","0x0p+0"]},"target":{"dtype":"int64","shape":[1],"data":[0]}}}`
	if r := runCase(t, nll); r.ErrKind != "invalid_probability" {
		t.Fatalf("shipped answered %+v, want invalid_probability", r)
	}
	if !activate("probabilities_not_checked") {
		t.Fatal("probabilities_not_checked is not in the catalogue")
	}
	defer func() { adapter.Override = nil }()
	if r := runCase(t, nll); r.ErrKind != "" || len(r.Data) != 1 || r.Data[0] != -math.Log(2) {
		t.Errorf("mutant answered %+v, want [-log 2]", r)
	}
}

// port_bce_logits_tf with pos_weight keeps the tiny loss of y = 0, z = -25 (softplus(-25) =
// 1.3887944e-11): PyTorch's (1 - y) z + l (log1p(exp(-|z|)) + max(-z, 0)) gives 0 in float32, a
// defect at compatible.
func TestBCELogitsPortWithPosWeightKeepsTheTinyLoss(t *testing.T) {
	const bce = `{"id":"b","function":"binary_cross_entropy_with_logits","dtype":"float32","params":{"reduction":"none","pos_weight":{"dtype":"float32","shape":[1],"data":["0x1p+1"]}},"inputs":{"z":{"dtype":"float32","shape":[1],"data":["-0x1.9p+4"]},"y":{"dtype":"float32","shape":[1],"data":["0x0p+0"]}}}`
	if !activate("port_bce_logits_tf") {
		t.Fatal("port_bce_logits_tf is not in the catalogue")
	}
	defer func() { adapter.Override = nil }()
	exact := float32(1.3887944e-11)
	ulp := float64(math.Nextafter32(exact, 1) - exact)
	if r := runCase(t, bce); r.ErrKind != "" || len(r.Data) != 1 || math.Abs(r.Data[0]-float64(exact)) > 4*ulp {
		t.Errorf("mutant answered %+v, want %v within 4 ulps", r, exact)
	}
}
