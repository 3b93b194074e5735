package main

import (
	"bytes"
	"encoding/json"
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

// pythonCatalogue reads the names and descriptions of the Python catalogue from its source
// (python/src/xent/_mutants.py: @mutant("name", functions, """description""")), normalising the
// description's white space as the registry does.
func pythonCatalogue(t *testing.T) (names []string, descriptions map[string]string) {
	t.Helper()
	src, err := os.ReadFile("../../../python/src/xent/_mutants.py")
	if err != nil {
		t.Fatalf("the Python catalogue is the reference: %v", err)
	}
	entry := regexp.MustCompile(`(?s)@mutant\(\s*"([^"]+)",.*?"""(.*?)"""`)
	descriptions = map[string]string{}
	for _, m := range entry.FindAllStringSubmatch(string(src), -1) {
		names = append(names, m[1])
		descriptions[m[1]] = strings.Join(strings.Fields(m[2]), " ")
	}
	if len(names) < 30 {
		t.Fatalf("read only %d mutants from the Python catalogue", len(names))
	}
	return names, descriptions
}

// The tables of `xent-conformance mutants` line up across languages: same names, same order, same
// descriptions as the Python catalogue.
func TestCatalogueMatchesPython(t *testing.T) {
	names, descriptions := pythonCatalogue(t)
	var ours []string
	for _, m := range mutants {
		ours = append(ours, m.name)
		if want, ok := descriptions[m.name]; ok && m.description != want {
			t.Errorf("%s: description\n  %q\nwant (Python)\n  %q", m.name, m.description, want)
		}
	}
	if !slices.Equal(ours, names) {
		t.Errorf("mutant names differ from the Python catalogue:\n go:     %v\n python: %v", ours, names)
	}
}
