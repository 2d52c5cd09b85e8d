package convert

import (
	"encoding/base64"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/freshet-dev/freshet/connectors/sdk"
)

// This file turns JSON into Kafka Connect values, by schema or without one;
// the decoder type and its scanning (tokens, strings, numbers, skipping) are
// in json_scan.go.

// readPlain reads a message of schemas.enable=false: any JSON, without a
// schema. Empty input reads as null, as in Kafka Connect.
func (d *decoder) readPlain() (any, error) {
	d.ws()
	if d.i >= len(d.s) {
		return nil, nil
	}
	v, err := d.untyped()
	if err != nil {
		return nil, err
	}
	if err := d.end(); err != nil {
		return nil, err
	}
	return v, nil
}

// readFixed reads a bare payload of the schema.content schema.
func (d *decoder) readFixed(s *sdk.Schema) (any, error) {
	if err := d.skipDocument(); err != nil {
		return nil, err
	}
	d.i = 0
	d.ws()
	if d.i >= len(d.s) {
		return d.null(s)
	}
	return d.typed(s)
}

// untyped reads a value without a schema, inferring its type as Kafka Connect
// does: integral numbers as int64, others as float64, objects as
// map[string]any.
func (d *decoder) untyped() (any, error) {
	d.ws()
	if d.i >= len(d.s) {
		return nil, d.eof()
	}
	switch c := d.s[d.i]; {
	case c == '{':
		if err := d.enter(); err != nil {
			return nil, err
		}
		m := map[string]any{}
		err := d.members(func(key string) error {
			v, err := d.untyped()
			if err != nil {
				return atKey(err, key)
			}
			m[key] = v
			return nil
		})
		return m, err
	case c == '[':
		if err := d.enter(); err != nil {
			return nil, err
		}
		a := []any{}
		_, err := d.elements(func(i int) error {
			v, err := d.untyped()
			if err != nil {
				return atIndex(err, i)
			}
			a = append(a, v)
			return nil
		})
		return a, err
	case c == '"':
		return d.str()
	case c == 't':
		return true, d.lit("true")
	case c == 'f':
		return false, d.lit("false")
	case c == 'n':
		return nil, d.lit("null")
	case c == '-' || isDigit(c):
		n, err := d.scanNumber()
		if err != nil {
			return nil, err
		}
		if n.isInt {
			x, err := strconv.ParseInt(n.text, 10, 64)
			if err != nil {
				return nil, dataErrorf("Integer value %s is out of the range of int64", n.text)
			}
			return x, nil
		}
		return parseFloat(n.text, 64), nil
	}
	return nil, d.badValue()
}

// parseFloat rounds a checked JSON number to the nearest float. Like
// Jackson's BigDecimal conversion, too large is ±Inf, too small is 0, and
// negative zero is zero.
func parseFloat(text string, bitSize int) float64 {
	f, _ := strconv.ParseFloat(text, bitSize)
	if f == 0 {
		return 0
	}
	return f
}

// null is the value of a JSON null (or a missing struct field) of schema s.
func (d *decoder) null(s *sdk.Schema) (any, error) {
	if s.Default != nil && d.replaceNull {
		return s.Default, nil
	}
	if s.Optional {
		return nil, nil
	}
	return nil, dataErrorf("Invalid null value for required %s field", upperType(s.Type))
}

// typed reads a value of schema s.
func (d *decoder) typed(s *sdk.Schema) (any, error) {
	d.ws()
	if d.i >= len(d.s) {
		return nil, d.eof()
	}
	if d.s[d.i] == 'n' {
		if err := d.lit("null"); err != nil {
			return nil, err
		}
		return d.null(s)
	}
	if s.Name != "" {
		switch s.Name {
		case sdk.DecimalName:
			return d.decimal(s)
		case sdk.DateName, sdk.TimeName, sdk.TimestampName:
			return d.timeValue(s)
		}
	}
	switch s.Type {
	case sdk.TypeInt8:
		n, err := d.integer(s.Type, math.MinInt8, math.MaxInt8)
		return int8(n), err
	case sdk.TypeInt16:
		n, err := d.integer(s.Type, math.MinInt16, math.MaxInt16)
		return int16(n), err
	case sdk.TypeInt32:
		n, err := d.integer(s.Type, math.MinInt32, math.MaxInt32)
		return int32(n), err
	case sdk.TypeInt64:
		return d.integer(s.Type, math.MinInt64, math.MaxInt64)
	case sdk.TypeFloat32:
		f, err := d.float(s.Type, 32)
		return float32(f), err
	case sdk.TypeFloat64:
		return d.float(s.Type, 64)
	case sdk.TypeBoolean:
		switch d.s[d.i] {
		case 't':
			return true, d.lit("true")
		case 'f':
			return false, d.lit("false")
		}
		return nil, d.mismatch(s.Type, "a boolean")
	case sdk.TypeString:
		if d.s[d.i] != '"' {
			return nil, d.mismatch(s.Type, "a string")
		}
		return d.str()
	case sdk.TypeBytes:
		if d.s[d.i] != '"' {
			return nil, d.mismatch(s.Type, "a base64 string")
		}
		b, err := d.base64()
		if err != nil {
			return nil, &dataError{msg: "Invalid bytes field", cause: err}
		}
		return b, nil
	case sdk.TypeArray:
		return d.array(s)
	case sdk.TypeMap:
		return d.mapValue(s)
	case sdk.TypeStruct:
		return d.structValue(s)
	}
	return nil, dataErrorf("Unknown schema type: %v", s.Type)
}

// mismatch reports a JSON value of the wrong kind for a schema type, where
// Kafka Connect would silently read 0, false or null.
func (d *decoder) mismatch(t sdk.Type, want string) error {
	return dataErrorf("Invalid value for %s: expected %s but found %s", upperType(t), want, d.nodeType())
}

func (d *decoder) integer(t sdk.Type, lo, hi int64) (int64, error) {
	if c := d.s[d.i]; c != '-' && !isDigit(c) {
		return 0, d.mismatch(t, "an integer")
	}
	n, err := d.scanNumber()
	if err != nil {
		return 0, err
	}
	var x int64
	if n.isInt {
		if x, err = strconv.ParseInt(n.text, 10, 64); err != nil {
			return 0, dataErrorf("Invalid value %s for %s: out of range", n.text, upperType(t))
		}
	} else {
		// Kafka Connect truncates 1.9 to 1; we accept only exact integers
		// such as 1.0 or 1e2.
		dec, err := parseDecimal(n.text)
		if err != nil {
			return 0, err
		}
		var ok bool
		if x, ok = decimalInt64(dec); !ok {
			if dec.Scale > 0 {
				return 0, dataErrorf("Invalid value %s for %s: not an integer", n.text, upperType(t))
			}
			return 0, dataErrorf("Invalid value %s for %s: out of range", n.text, upperType(t))
		}
	}
	if x < lo || x > hi {
		return 0, dataErrorf("Invalid value %s for %s: out of range", n.text, upperType(t))
	}
	return x, nil
}

func (d *decoder) float(t sdk.Type, bitSize int) (float64, error) {
	c := d.s[d.i]
	if c == '"' {
		// Jackson writes non-finite numbers as these strings; Kafka Connect
		// reads them back as 0.0, we read them back as what was written.
		s, err := d.str()
		if err != nil {
			return 0, err
		}
		switch s {
		case "NaN":
			return math.NaN(), nil
		case "Infinity":
			return math.Inf(1), nil
		case "-Infinity":
			return math.Inf(-1), nil
		}
		return 0, dataErrorf("Invalid value %q for %s: expected a number", s, upperType(t))
	}
	if c != '-' && !isDigit(c) {
		return 0, d.mismatch(t, "a number")
	}
	n, err := d.scanNumber()
	if err != nil {
		return 0, err
	}
	return parseFloat(n.text, bitSize), nil
}

// base64 decodes the string at d.i as Jackson's default Base64 variant
// (standard alphabet, padding required).
func (d *decoder) base64() ([]byte, error) {
	s, err := d.str()
	if err != nil {
		return nil, err
	}
	b := make([]byte, base64.StdEncoding.DecodedLen(len(s)))
	n, err := base64.StdEncoding.Decode(b, []byte(s))
	if err != nil {
		return nil, err
	}
	return b[:n], nil
}

func (d *decoder) decimal(s *sdk.Schema) (any, error) {
	switch c := d.s[d.i]; {
	case c == '-' || isDigit(c):
		n, err := d.scanNumber()
		if err != nil {
			return nil, err
		}
		dec, err := parseDecimal(n.text)
		if err != nil {
			return nil, err
		}
		if scale, err := decimalScale(s); err == nil && dec.Scale != scale {
			return rescale(dec, scale, n.text)
		}
		return dec, nil
	case c == '"':
		b, err := d.base64()
		if err == nil && len(b) == 0 {
			err = fmt.Errorf("zero length BigInteger")
		}
		if err != nil {
			return nil, &dataError{msg: "Invalid bytes for Decimal field", cause: err}
		}
		scale, err := decimalScale(s)
		if err != nil {
			return nil, &dataError{msg: "Invalid bytes for Decimal field", cause: err}
		}
		return sdk.Decimal{Unscaled: fromTwosComplement(b), Scale: scale}, nil
	}
	return nil, dataErrorf("Invalid type for Decimal, underlying representation should be numeric or bytes but was %s", d.nodeType())
}

// parseDecimal parses a JSON number exactly, as Java's BigDecimal(String):
// "12.50" is 1250 with scale 2, "1E-9" is 1 with scale 9, "1.2E+3" is 12
// with scale -2.
func parseDecimal(text string) (sdk.Decimal, error) {
	mant, exp := text, int64(0)
	if i := strings.IndexAny(text, "eE"); i >= 0 {
		mant = text[:i]
		var err error
		if exp, err = strconv.ParseInt(text[i+1:], 10, 32); err != nil {
			return sdk.Decimal{}, dataErrorf("Invalid decimal %s: exponent out of range", text)
		}
	}
	scale := int64(0)
	digits := mant
	if i := strings.IndexByte(mant, '.'); i >= 0 {
		scale = int64(len(mant) - i - 1)
		digits = mant[:i] + mant[i+1:]
	}
	scale -= exp
	if scale < math.MinInt32 || scale > math.MaxInt32 {
		return sdk.Decimal{}, dataErrorf("Invalid decimal %s: scale out of range", text)
	}
	u := new(big.Int)
	if len(digits) <= 18 {
		x, _ := strconv.ParseInt(digits, 10, 64)
		u.SetInt64(x)
	} else if _, ok := u.SetString(digits, 10); !ok {
		return sdk.Decimal{}, dataErrorf("Invalid decimal %s", text)
	}
	return sdk.Decimal{Unscaled: u, Scale: int32(scale)}, nil
}

// decimalInt64 returns dec as an int64 if it is an integer in range. It
// strips trailing zeros first, so it never computes a huge power of ten.
func decimalInt64(dec sdk.Decimal) (int64, bool) {
	u, scale := dec.Unscaled, int64(dec.Scale)
	if u.Sign() == 0 {
		return 0, true
	}
	ten := big.NewInt(10)
	r := new(big.Int)
	for scale > 0 {
		q, m := new(big.Int).QuoRem(u, ten, r)
		if m.Sign() != 0 {
			return 0, false
		}
		u, scale = q, scale-1
	}
	if scale < -19 {
		return 0, false // |u| ≥ 1, so |u|×10^19 is out of range
	}
	x := new(big.Int).Mul(u, new(big.Int).Exp(ten, big.NewInt(-scale), nil))
	if !x.IsInt64() {
		return 0, false
	}
	return x.Int64(), true
}

// rescale gives dec the schema's scale when that loses nothing. Kafka
// Connect keeps the number's own scale (12.5 in a scale-2 schema reads as
// 12.5, and then fails when written back in BASE64); we read 12.50, and
// reject 1.234 rather than round it.
func rescale(dec sdk.Decimal, scale int32, text string) (sdk.Decimal, error) {
	diff := int64(scale) - int64(dec.Scale)
	if dec.Unscaled.Sign() == 0 {
		return sdk.Decimal{Unscaled: dec.Unscaled, Scale: scale}, nil
	}
	if diff < -maxNumberLen {
		// More fractional digits to drop than a number can have.
		return sdk.Decimal{}, dataErrorf("Decimal value %s has more fractional digits than the scale %d of its schema", text, scale)
	}
	if diff > 0 {
		if diff > 1000 {
			return sdk.Decimal{}, dataErrorf("Decimal value %s cannot be given scale %d", text, scale)
		}
		p := new(big.Int).Exp(big.NewInt(10), big.NewInt(diff), nil)
		return sdk.Decimal{Unscaled: p.Mul(p, dec.Unscaled), Scale: scale}, nil
	}
	p := new(big.Int).Exp(big.NewInt(10), big.NewInt(-diff), nil)
	q, r := new(big.Int).QuoRem(dec.Unscaled, p, new(big.Int))
	if r.Sign() != 0 {
		return sdk.Decimal{}, dataErrorf("Decimal value %s has more fractional digits than the scale %d of its schema", text, scale)
	}
	return sdk.Decimal{Unscaled: q, Scale: scale}, nil
}

// fromTwosComplement is Java's new BigInteger(byte[]).
func fromTwosComplement(b []byte) *big.Int {
	if len(b) <= 8 {
		var x int64
		if b[0]&0x80 != 0 {
			x = -1
		}
		for _, c := range b {
			x = x<<8 | int64(c)
		}
		return big.NewInt(x)
	}
	x := new(big.Int).SetBytes(b)
	if b[0]&0x80 != 0 {
		x.Sub(x, new(big.Int).Lsh(big.NewInt(1), uint(8*len(b))))
	}
	return x
}

func (d *decoder) timeValue(s *sdk.Schema) (any, error) {
	isNum := d.s[d.i] == '-' || isDigit(d.s[d.i])
	var n number
	if isNum {
		var err error
		if n, err = d.scanNumber(); err != nil {
			return nil, err
		}
	}
	switch s.Name {
	case sdk.DateName, sdk.TimeName:
		what := "Date"
		if s.Name == sdk.TimeName {
			what = "Time"
		}
		var x int64
		var err error = strconv.ErrSyntax
		if isNum && n.isInt {
			x, err = strconv.ParseInt(n.text, 10, 32)
		}
		if err != nil {
			typ := "NUMBER"
			if !isNum {
				typ = d.nodeType()
			}
			return nil, dataErrorf("Invalid type for %s, underlying representation should be integer but was %s", what, typ)
		}
		if s.Name == sdk.DateName {
			return time.UnixMilli(x * millisPerDay).UTC(), nil
		}
		if x < 0 || x > millisPerDay {
			return nil, dataErrorf("Time values must use number of milliseconds greater than 0 and less than 86400000")
		}
		return time.UnixMilli(x).UTC(), nil
	default:
		if !isNum || !n.isInt {
			typ := "NUMBER"
			if !isNum {
				typ = d.nodeType()
			}
			return nil, dataErrorf("Invalid type for Timestamp, underlying representation should be integral but was %s", typ)
		}
		x, err := strconv.ParseInt(n.text, 10, 64)
		if err != nil {
			return nil, dataErrorf("Invalid value %s for Timestamp: out of range", n.text)
		}
		return time.UnixMilli(x).UTC(), nil
	}
}

func (d *decoder) array(s *sdk.Schema) (any, error) {
	if d.s[d.i] != '[' {
		// Kafka Connect reads an object's values, and anything else as [].
		return nil, dataErrorf("Arrays should be encoded as JSON arrays, but found %s", d.nodeType())
	}
	if err := d.enter(); err != nil {
		return nil, err
	}
	a := []any{}
	_, err := d.elements(func(i int) error {
		v, err := d.typed(s.Elem)
		if err != nil {
			return atIndex(err, i)
		}
		a = append(a, v)
		return nil
	})
	return a, err
}

func (d *decoder) mapValue(s *sdk.Schema) (any, error) {
	m := map[any]any{}
	if s.Key.Type == sdk.TypeString {
		if d.s[d.i] != '{' {
			return nil, dataErrorf("Maps with string fields should be encoded as JSON objects, but found %s", d.nodeType())
		}
		if err := d.enter(); err != nil {
			return nil, err
		}
		err := d.members(func(key string) error {
			v, err := d.typed(s.Elem)
			if err != nil {
				return atKey(err, key)
			}
			m[key] = v
			return nil
		})
		return m, err
	}
	if d.s[d.i] != '[' {
		return nil, dataErrorf("Maps with non-string fields should be encoded as JSON array of tuples, but found %s", d.nodeType())
	}
	if err := d.enter(); err != nil {
		return nil, err
	}
	_, err := d.elements(func(i int) error {
		if d.s[d.i] != '[' {
			return atIndex(dataErrorf("Found invalid map entry instead of array tuple: %s", d.nodeType()), i)
		}
		start, depth := d.i, d.depth
		if err := d.enter(); err != nil {
			return err
		}
		n, err := d.elements(func(int) error { return d.skip() })
		if err != nil {
			return err
		}
		if n != 2 {
			return atIndex(dataErrorf("Found invalid map entry, expected length 2 but found :%d", n), i)
		}
		if t := s.Key.Type; t == sdk.TypeArray || t == sdk.TypeMap || t == sdk.TypeBytes && s.Key.Name != sdk.DecimalName {
			return dataErrorf("map keys of type %s cannot be Go map keys", upperType(t))
		}
		d.i, d.depth = start, depth
		var k, v any
		if err := d.enter(); err != nil {
			return err
		}
		_, err = d.elements(func(j int) error {
			var err error
			if j == 0 {
				k, err = d.typed(s.Key)
				return atIndex(err, i)
			}
			if v, err = d.typed(s.Elem); err != nil {
				return atKey(err, k)
			}
			return nil
		})
		if err != nil {
			return err
		}
		m[k] = v
		return nil
	})
	return m, err
}

func (d *decoder) structValue(s *sdk.Schema) (any, error) {
	if d.s[d.i] != '{' {
		return nil, dataErrorf("Structs should be encoded as JSON objects, but found %s", d.nodeType())
	}
	if err := d.enter(); err != nil {
		return nil, err
	}
	st := &sdk.Struct{Schema: s, Values: make([]any, len(s.Fields))}
	var seenMask uint64
	var seenMore []bool
	if len(s.Fields) > 64 {
		seenMore = make([]bool, len(s.Fields))
	}
	err := d.members(func(key string) error {
		f := s.Field(key)
		if f == nil {
			return d.skip()
		}
		v, err := d.typed(f.Schema)
		if err != nil {
			return atField(err, key)
		}
		st.Values[f.Index] = v
		if seenMore != nil {
			seenMore[f.Index] = true
		} else {
			seenMask |= 1 << f.Index
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for i := range s.Fields {
		if seenMore != nil && seenMore[i] || seenMore == nil && seenMask&(1<<i) != 0 {
			continue
		}
		v, err := d.null(s.Fields[i].Schema)
		if err != nil {
			return nil, atField(err, s.Fields[i].Name)
		}
		st.Values[i] = v
	}
	return st, nil
}
