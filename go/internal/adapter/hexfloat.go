package adapter

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/bits"
	"strconv"
	"strings"
)

// FormatHex writes a hex float of the given bit size in C99 %a style (0x1.8p+1, 0x1p-1: the
// exponent without leading zeros), or inf, -inf, nan.
func FormatHex(v float64, bits int) string {
	switch {
	case math.IsNaN(v):
		return "nan"
	case math.IsInf(v, 1):
		return "inf"
	case math.IsInf(v, -1):
		return "-inf"
	}
	s := strconv.FormatFloat(v, 'x', -1, bits) // Go writes at least two exponent digits: p-01
	if n := len(s); s[n-2] == '0' && (s[n-3] == '+' || s[n-3] == '-') {
		s = s[:n-2] + s[n-1:]
	}
	return s
}

// ParseFloat reads a JSON string holding a hex float of the given width (32 or 64), or exactly one
// of the special strings inf, -inf and nan (vectors/README.md; not +inf, Infinity or NaN, and no
// whitespace is trimmed). The value must be exactly
// representable in that width (D9): it is never rounded, so 0x1.0000001p+0 is an error for float32
// and 0x1p-99999 an error for both. A JSON number, a decimal string or anything else is an error.
func ParseFloat(raw json.RawMessage, bits int) (float64, error) {
	s, ok := jsonString(raw)
	if !ok {
		return 0, fmt.Errorf("want a hex-float string, got %s", brief(raw))
	}
	return ParseHex(s, bits)
}

// jsonString decodes raw as a JSON string (without allocating when it holds no escape).
func jsonString(raw json.RawMessage) (string, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return "", false
	}
	if bytes.IndexByte(raw, '\\') < 0 {
		return string(raw[1 : len(raw)-1]), true
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", false
	}
	return s, true
}

// brief quotes at most 40 bytes of raw JSON for a message.
func brief(raw json.RawMessage) string {
	s := string(bytes.TrimSpace(raw))
	if len(s) > 40 {
		s = s[:40] + "..."
	}
	return strconv.Quote(s)
}

// format describes a binary floating-point format: its dtype name, precision, smallest exponent
// of a subnormal's last bit, largest exponent of a normal's leading bit.
type format struct {
	dtype                string
	prec, minExp, maxExp int
}

var (
	binary64 = format{"float64", 53, -1074, 1023}
	binary32 = format{"float32", 24, -149, 127}
	binary16 = format{"float16", 11, -24, 15}
	bfloat16 = format{"bfloat16", 8, -133, 127}
)

// formats are the float dtypes of the protocol by name.
var formats = map[string]format{"float64": binary64, "float32": binary32, "float16": binary16, "bfloat16": bfloat16}

// ParseHex parses a hex float string (see ParseFloat) exactly into the format of the given width
// (64 or 32).
func ParseHex(s string, width int) (float64, error) {
	if width == 32 {
		return parseHexIn(s, binary32)
	}
	return parseHexIn(s, binary64)
}

// ParseHexIn parses a hex float string (see ParseFloat) exactly into the float dtype named dtype
// (float64, float32, float16 or bfloat16); the value is returned as a float64 (exactly).
func ParseHexIn(s, dtype string) (float64, error) {
	f, ok := formats[dtype]
	if !ok {
		return 0, fmt.Errorf("%q is not a float dtype", dtype)
	}
	return parseHexIn(s, f)
}

// parseFloatIn is ParseFloat for the float dtype named dtype.
func parseFloatIn(raw json.RawMessage, dtype string) (float64, error) {
	s, ok := jsonString(raw)
	if !ok {
		return 0, fmt.Errorf("want a hex-float string, got %s", brief(raw))
	}
	return ParseHexIn(s, dtype)
}

func parseHexIn(s string, f format) (float64, error) {
	switch s {
	case "inf":
		return math.Inf(1), nil
	case "-inf":
		return math.Inf(-1), nil
	case "nan":
		return math.NaN(), nil
	}
	body, neg := s, false
	if body != "" && (body[0] == '+' || body[0] == '-') {
		neg, body = body[0] == '-', body[1:]
	}
	sign := 1.0
	if neg {
		sign = -1
	}
	if len(body) < 3 || body[0] != '0' || (body[1] != 'x' && body[1] != 'X') {
		return 0, fmt.Errorf("%q is not a hex float (0x...p..., inf, -inf or nan)", s)
	}
	mant, e2, err := hexDigits(body[2:])
	if err != nil {
		return 0, fmt.Errorf("%q is not a hex float: %v", s, err)
	}
	if mant == 0 {
		return math.Copysign(0, sign), nil
	}
	tz := bits.TrailingZeros64(mant)
	mant >>= tz
	e2 += int64(tz)
	top := e2 + int64(bits.Len64(mant)) - 1
	if bits.Len64(mant) > f.prec || e2 < int64(f.minExp) || top > int64(f.maxExp) {
		return 0, fmt.Errorf("%q is not exactly representable in %s (hex floats are never rounded)", s, f.dtype)
	}
	return sign * math.Ldexp(float64(mant), int(e2)), nil
}

// hexDigits reads "h[.h]p[+-]d" (the exponent optional) as mant * 2^e2. Significant digits beyond
// 64 bits must be zero (a non-zero one needs more than 53 bits, so no format holds the value); the
// exponent saturates far outside every format's range.
func hexDigits(s string) (mant uint64, e2 int64, err error) {
	digits, exp, hasExp := s, "", false
	if i := strings.IndexAny(s, "pP"); i >= 0 {
		digits, exp, hasExp = s[:i], s[i+1:], true
	}
	seenPoint, nDigits := false, 0
	for i := 0; i < len(digits); i++ {
		c := digits[i]
		if c == '.' && !seenPoint {
			seenPoint = true
			continue
		}
		d, ok := hexValue(c)
		if !ok {
			return 0, 0, fmt.Errorf("unexpected %q", c)
		}
		nDigits++
		switch {
		case mant < 1<<60:
			mant = mant<<4 | uint64(d)
			if seenPoint {
				e2 -= 4
			}
		case d != 0:
			return 0, 0, fmt.Errorf("more significant digits than any float holds")
		case !seenPoint:
			e2 += 4
		}
	}
	if nDigits == 0 {
		return 0, 0, fmt.Errorf("no digits")
	}
	if hasExp {
		p, err := parseExponent(exp)
		if err != nil {
			return 0, 0, err
		}
		e2 += p
	}
	return mant, e2, nil
}

// parseExponent reads a decimal exponent with an optional sign, saturated at +-2^40.
func parseExponent(s string) (int64, error) {
	neg := false
	if s != "" && (s[0] == '+' || s[0] == '-') {
		neg, s = s[0] == '-', s[1:]
	}
	if s == "" {
		return 0, fmt.Errorf("empty exponent")
	}
	var v int64
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, fmt.Errorf("unexpected %q in the exponent", s[i])
		}
		v = min(v*10+int64(s[i]-'0'), 1<<40)
	}
	if neg {
		v = -v
	}
	return v, nil
}

func hexValue(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// parseInt64 reads a JSON integer (no fraction, no exponent) within int64; anything else, 1.0,
// 1e0, "1", true or 2^63, is an error: integers are never rounded or wrapped.
func parseInt64(raw json.RawMessage) (int64, error) {
	s := string(bytes.TrimSpace(raw))
	body := strings.TrimPrefix(s, "-")
	if body == "" || strings.TrimLeft(body, "0123456789") != "" || (len(body) > 1 && body[0] == '0') {
		return 0, fmt.Errorf("want a JSON integer, got %s", brief(raw))
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s is outside int64", brief(raw))
	}
	return v, nil
}
