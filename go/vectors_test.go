package xent_test

import (
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/xent-conformance/xent/go/internal/adapter"
)

// The golden-vector tests (library mode): every vectors/<function>_<dtype>.json file is read
// directly and each test runs as the subtest TestVectors/<file>/<tcId>, so that
//
//	go test -run 'TestVectors/^softmax_float64$/^17$'
//
// selects one vector. A valid result passes when every element is within the vector's
// bounds.accurate of the exact value (NaN and infinities compare exactly, +0 and -0 are equal); an
// error vector passes when the function returns an error of the named kind (errors.Is against the
// sentinel, through xent.ErrorKind). The tests skip when vectors/ holds no JSON file yet.
// XENT_VECTORS_DIR=<dir> reads another directory; XENT_ULP_REPORT=<file> writes the per-file
// maximum errors (ulp and error/bound) as tab-separated lines.

type vectorFile struct {
	Function   string `json:"function"`
	Dtype      string `json:"dtype"`
	TestGroups []struct {
		Params map[string]json.RawMessage `json:"params"`
		Tests  []vectorTest               `json:"tests"`
	} `json:"testGroups"`
}

type vectorTest struct {
	TcID     int                        `json:"tcId"`
	Comment  string                     `json:"comment"`
	Flags    []string                   `json:"flags"`
	Inputs   map[string]json.RawMessage `json:"inputs"`
	Result   string                     `json:"result"`
	Error    string                     `json:"error"`
	Expected *struct {
		Dtype string   `json:"dtype"`
		Shape []int    `json:"shape"`
		Data  []string `json:"data"`
	} `json:"expected"`
	Exact  []string `json:"exact"`
	Bounds struct {
		Accurate []string `json:"accurate"`
	} `json:"bounds"`
}

// repoRoot walks up from the working directory to the directory holding spec/xent.yaml.
func repoRoot(t testing.TB) string {
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "spec", "xent.yaml")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

func vectorFiles(t *testing.T) []string {
	dir := os.Getenv("XENT_VECTORS_DIR") // another vector directory (for example generated cases)
	if dir == "" {
		root := repoRoot(t)
		if root == "" {
			t.Skip("no repository root (spec/xent.yaml) above the working directory")
		}
		dir = filepath.Join(root, "vectors")
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Skip("no golden vector files in vectors/ yet")
	}
	sort.Strings(files)
	return files
}

// errStat collects the largest errors of one file.
type errStat struct {
	mu       sync.Mutex
	outputs  int
	maxULP   float64 // |got - exact| / ulp(exact) over finite non-zero exact values
	maxRatio float64 // |got - exact| / bound (accurate); <= 1 passes
	ulpTc    int
	ratioTc  int
}

func (s *errStat) add(tc int, ulps, ratio float64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.outputs++
	if ulps > s.maxULP {
		s.maxULP, s.ulpTc = ulps, tc
	}
	if ratio > s.maxRatio {
		s.maxRatio, s.ratioTc = ratio, tc
	}
}

func TestVectors(t *testing.T) {
	files := vectorFiles(t)
	stats := map[string]*errStat{}
	var names []string
	for _, path := range files {
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var vf vectorFile
		if err := json.Unmarshal(raw, &vf); err != nil {
			t.Errorf("%s: %v", path, err)
			continue
		}
		name := strings.TrimSuffix(filepath.Base(path), ".json")
		st := &errStat{}
		stats[name] = st
		names = append(names, name)
		t.Run(name, func(t *testing.T) {
			for _, g := range vf.TestGroups {
				for _, tc := range g.Tests {
					tc := tc
					params := g.Params
					t.Run(strconv.Itoa(tc.TcID), func(t *testing.T) {
						checkVector(t, vf.Function, vf.Dtype, params, tc, st)
					})
				}
			}
		})
	}
	t.Logf("%-48s %8s %12s %10s", "file", "outputs", "max ulp", "max err/bound")
	for _, n := range names {
		s := stats[n]
		t.Logf("%-48s %8d %12.4g (tc %d) %10.4g (tc %d)", n, s.outputs, s.maxULP, s.ulpTc, s.maxRatio, s.ratioTc)
	}
	if out := os.Getenv("XENT_ULP_REPORT"); out != "" {
		var b strings.Builder
		for _, n := range names {
			s := stats[n]
			fmt.Fprintf(&b, "%s\t%d\t%.6g\t%d\t%.6g\t%d\n", n, s.outputs, s.maxULP, s.ulpTc, s.maxRatio, s.ratioTc)
		}
		if err := os.WriteFile(out, []byte(b.String()), 0o644); err != nil {
			t.Error(err)
		}
	}
}

func checkVector(t *testing.T, function, dtype string, params map[string]json.RawMessage, tc vectorTest, st *errStat) {
	c := &adapter.Case{ID: strconv.Itoa(tc.TcID), Function: function, Dtype: dtype, Params: params, Inputs: tc.Inputs}
	res := adapter.Run(c)
	if res.BadRequest {
		t.Fatalf("tc %d (%s): the case could not be run: %s", tc.TcID, tc.Comment, res.ErrMessage)
	}
	if tc.Result == "error" {
		if res.ErrKind == "" {
			t.Fatalf("tc %d (%s): want error %s, got output %v", tc.TcID, tc.Comment, tc.Error, res.Data)
		}
		if res.ErrKind != tc.Error {
			t.Fatalf("tc %d (%s): want error %s, got %s (%s)", tc.TcID, tc.Comment, tc.Error, res.ErrKind, res.ErrMessage)
		}
		return
	}
	if res.ErrKind != "" {
		t.Fatalf("tc %d (%s): unexpected error %s", tc.TcID, tc.Comment, res.ErrMessage)
	}
	if tc.Expected == nil {
		t.Fatalf("tc %d: valid test without expected", tc.TcID)
	}
	if !slices.Equal(res.Shape, tc.Expected.Shape) {
		t.Fatalf("tc %d (%s): shape %v, want %v", tc.TcID, tc.Comment, res.Shape, tc.Expected.Shape)
	}
	if len(res.Data) != len(tc.Expected.Data) {
		t.Fatalf("tc %d: %d values, want %d", tc.TcID, len(res.Data), len(tc.Expected.Data))
	}
	outDtype := tc.Expected.Dtype // the file's dtype, or float32 under output_dtype float32
	if outDtype == "" {
		outDtype = dtype
	}
	if res.Dtype != outDtype {
		t.Fatalf("tc %d (%s): output dtype %s, want %s", tc.TcID, tc.Comment, res.Dtype, outDtype)
	}
	f := outputFormats[outDtype]
	bad := 0
	for i, got := range res.Data {
		// an expected value not exact in the output's dtype is an error of the file (D9)
		want, err := adapter.ParseHexIn(tc.Expected.Data[i], outDtype)
		if err != nil {
			t.Fatalf("tc %d: expected[%d]: %v", tc.TcID, i, err)
		}
		if _, err := adapter.ParseHexIn(adapter.FormatHex(got, 64), outDtype); err != nil && !math.IsNaN(got) {
			t.Fatalf("tc %d (%s): output[%d] = %v is not a %s value", tc.TcID, tc.Comment, i, got, outDtype)
		}
		switch {
		case math.IsNaN(want):
			if !math.IsNaN(got) {
				t.Errorf("tc %d (%s): output[%d] = %v, want NaN", tc.TcID, tc.Comment, i, got)
				bad++
			}
			continue
		case math.IsInf(want, 0):
			if got != want {
				t.Errorf("tc %d (%s): output[%d] = %v, want %v", tc.TcID, tc.Comment, i, got, want)
				bad++
			}
			continue
		}
		exact := want
		exactBig := new(big.Float).SetPrec(256).SetFloat64(want)
		if i < len(tc.Exact) {
			if v, ok := new(big.Float).SetPrec(256).SetString(tc.Exact[i]); ok {
				exactBig = v
				exact, _ = v.Float64()
			}
		}
		bound := 0.0
		if i < len(tc.Bounds.Accurate) {
			b, err := adapter.ParseHex(tc.Bounds.Accurate[i], 64)
			if err != nil {
				t.Fatalf("tc %d: bounds.accurate[%d]: %v", tc.TcID, i, err)
			}
			bound = b
		}
		if !isFiniteF(got) {
			t.Errorf("tc %d (%s): output[%d] = %v, want %v (exact %s)", tc.TcID, tc.Comment, i, got, want, tc.Exact[i])
			bad++
			continue
		}
		diff := new(big.Float).SetPrec(256).Sub(new(big.Float).SetPrec(256).SetFloat64(got), exactBig)
		diff.Abs(diff)
		d, _ := diff.Float64()
		ratio := 0.0
		if d > 0 {
			ratio = math.Inf(1)
			if bound > 0 {
				ratio = d / bound
			}
		}
		ulps := 0.0
		if exact != 0 {
			ulps = d / ulpOf(exact, f.prec, f.emin)
		}
		st.add(tc.TcID, ulps, ratio)
		if d > bound {
			t.Errorf("tc %d (%s): output[%d] = %s, exact %s: error %.3g > accurate bound %.3g (%.3g ulp)",
				tc.TcID, tc.Comment, i, strconv.FormatFloat(got, 'x', -1, 64), tc.Exact[i], d, bound, ulps)
			bad++
		}
		if bad > 5 {
			t.Fatalf("tc %d: too many failing outputs", tc.TcID)
		}
	}
}

// outputFormats are the precision and smallest normal exponent of the output dtypes.
var outputFormats = map[string]struct {
	prec uint
	emin int
}{"float64": {53, -1022}, "float32": {24, -126}, "float16": {11, -14}, "bfloat16": {8, -126}}

// ulpOf returns the unit in the last place of x in a binary format with prec bits and minimum
// normal exponent emin (Zimmermann's definition: the spacing at |x|, subnormal spacing below).
func ulpOf(x float64, prec uint, emin int) float64 {
	_, e := math.Frexp(math.Abs(x)) // |x| = m 2^e, m in [0.5, 1)
	exp := e - 1
	if exp < emin {
		exp = emin
	}
	return math.Ldexp(1, exp-int(prec)+1)
}

func isFiniteF(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
