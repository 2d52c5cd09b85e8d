package convert

import (
	"bytes"
	"cmp"
	"encoding/base64"
	"math"
	"math/big"
	"reflect"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/freshet-dev/freshet/connectors/sdk"
)

// encoder appends JSON the way Kafka Connect's JsonConverter (Jackson)
// writes it, byte for byte: schema keys in JsonConverter's order, Java's
// number formats, Jackson's string escapes.
type encoder struct {
	buf            []byte
	decimalNumeric bool
	replaceNull    bool
}

const millisPerDay = 86_400_000

// jsonTypeNames are the type names of JsonConverter's schema JSON.
var jsonTypeNames = [...]string{
	sdk.TypeInt8: "int8", sdk.TypeInt16: "int16", sdk.TypeInt32: "int32", sdk.TypeInt64: "int64",
	sdk.TypeFloat32: "float", sdk.TypeFloat64: "double", sdk.TypeBoolean: "boolean",
	sdk.TypeString: "string", sdk.TypeBytes: "bytes", sdk.TypeArray: "array", sdk.TypeMap: "map",
	sdk.TypeStruct: "struct",
}

// schema appends the JSON form of s.
func (e *encoder) schema(s *sdk.Schema) error {
	if err := e.schemaBody(s); err != nil {
		return err
	}
	e.buf = append(e.buf, '}')
	return nil
}

// schemaBody appends the JSON form of s without its closing brace, so that a
// struct field can add its "field" key last, as JsonConverter does.
func (e *encoder) schemaBody(s *sdk.Schema) error {
	if int(s.Type) >= len(jsonTypeNames) || jsonTypeNames[s.Type] == "" {
		return dataErrorf("Couldn't translate unsupported schema type %v.", s.Type)
	}
	e.buf = append(e.buf, `{"type":"`...)
	e.buf = append(e.buf, jsonTypeNames[s.Type]...)
	e.buf = append(e.buf, '"')
	switch s.Type {
	case sdk.TypeArray:
		if s.Elem == nil {
			return dataErrorf("array schema has no element schema")
		}
		e.buf = append(e.buf, `,"items":`...)
		if err := e.schema(s.Elem); err != nil {
			return err
		}
	case sdk.TypeMap:
		if s.Key == nil || s.Elem == nil {
			return dataErrorf("map schema has no key or value schema")
		}
		e.buf = append(e.buf, `,"keys":`...)
		if err := e.schema(s.Key); err != nil {
			return err
		}
		e.buf = append(e.buf, `,"values":`...)
		if err := e.schema(s.Elem); err != nil {
			return err
		}
	case sdk.TypeStruct:
		e.buf = append(e.buf, `,"fields":[`...)
		for i := range s.Fields {
			f := &s.Fields[i]
			if i > 0 {
				e.buf = append(e.buf, ',')
			}
			if f.Schema == nil {
				return atField(dataErrorf("struct field has no schema"), f.Name)
			}
			if err := e.schemaBody(f.Schema); err != nil {
				return atField(err, f.Name)
			}
			e.buf = append(e.buf, `,"field":`...)
			e.buf = appendString(e.buf, f.Name)
			e.buf = append(e.buf, '}')
		}
		e.buf = append(e.buf, ']')
	}
	if s.Optional {
		e.buf = append(e.buf, `,"optional":true`...)
	} else {
		e.buf = append(e.buf, `,"optional":false`...)
	}
	if s.Name != "" {
		e.buf = append(e.buf, `,"name":`...)
		e.buf = appendString(e.buf, s.Name)
	}
	if s.Version != 0 {
		e.buf = append(e.buf, `,"version":`...)
		e.buf = strconv.AppendInt(e.buf, int64(s.Version), 10)
	}
	if s.Doc != "" {
		e.buf = append(e.buf, `,"doc":`...)
		e.buf = appendString(e.buf, s.Doc)
	}
	if s.Parameters != nil {
		// Kafka keeps parameters in insertion order; a Go map has none, so
		// we write them sorted.
		e.buf = append(e.buf, `,"parameters":{`...)
		keys := make([]string, 0, len(s.Parameters))
		for k := range s.Parameters {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for i, k := range keys {
			if i > 0 {
				e.buf = append(e.buf, ',')
			}
			e.buf = appendString(e.buf, k)
			e.buf = append(e.buf, ':')
			e.buf = appendString(e.buf, s.Parameters[k])
		}
		e.buf = append(e.buf, '}')
	}
	if s.Default != nil {
		e.buf = append(e.buf, `,"default":`...)
		if err := e.value(s, s.Default); err != nil {
			return &dataError{msg: "invalid default value", cause: err}
		}
	}
	return nil
}

// value appends v, a value of schema s (nil for schemaless values).
func (e *encoder) value(s *sdk.Schema, v any) error {
	if v == nil {
		switch {
		case s == nil:
			e.buf = append(e.buf, "null"...)
			return nil
		case s.Default != nil && e.replaceNull:
			return e.value(s, s.Default)
		case s.Optional:
			e.buf = append(e.buf, "null"...)
			return nil
		}
		return dataErrorf("Conversion error: null value for field that is required and has no default value")
	}
	if s == nil {
		return e.schemaless(v)
	}
	if s.Name != "" {
		switch s.Name {
		case sdk.DecimalName:
			return e.decimal(s, v)
		case sdk.DateName, sdk.TimeName, sdk.TimestampName:
			return e.timeValue(s, v)
		}
	}
	ok := true
	switch s.Type {
	case sdk.TypeInt8:
		var x int8
		if x, ok = v.(int8); ok {
			e.buf = strconv.AppendInt(e.buf, int64(x), 10)
		}
	case sdk.TypeInt16:
		var x int16
		if x, ok = v.(int16); ok {
			e.buf = strconv.AppendInt(e.buf, int64(x), 10)
		}
	case sdk.TypeInt32:
		var x int32
		if x, ok = v.(int32); ok {
			e.buf = strconv.AppendInt(e.buf, int64(x), 10)
		}
	case sdk.TypeInt64:
		var x int64
		if x, ok = v.(int64); ok {
			e.buf = strconv.AppendInt(e.buf, x, 10)
		}
	case sdk.TypeFloat32:
		var x float32
		if x, ok = v.(float32); ok {
			e.float(float64(x), 32)
		}
	case sdk.TypeFloat64:
		var x float64
		if x, ok = v.(float64); ok {
			e.float(x, 64)
		}
	case sdk.TypeBoolean:
		var x bool
		if x, ok = v.(bool); ok {
			e.buf = strconv.AppendBool(e.buf, x)
		}
	case sdk.TypeString:
		var x string
		if x, ok = v.(string); ok {
			e.buf = appendString(e.buf, x)
		}
	case sdk.TypeBytes:
		var x []byte
		if x, ok = v.([]byte); ok {
			e.bytes(x)
		}
	case sdk.TypeArray:
		return e.array(s, v)
	case sdk.TypeMap:
		return e.mapValue(s, v)
	case sdk.TypeStruct:
		return e.structValue(s, v)
	default:
		return dataErrorf("Couldn't convert %v to JSON.", v)
	}
	if !ok {
		return dataErrorf("Invalid type for %s: %T", upperType(s.Type), v)
	}
	return nil
}

func (e *encoder) float(f float64, bitSize int) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		// Jackson writes non-finite numbers as strings.
		e.buf = append(e.buf, '"')
		e.buf = appendJavaFloat(e.buf, f, bitSize)
		e.buf = append(e.buf, '"')
		return
	}
	e.buf = appendJavaFloat(e.buf, f, bitSize)
}

func (e *encoder) bytes(b []byte) {
	e.buf = append(e.buf, '"')
	e.buf = base64.StdEncoding.AppendEncode(e.buf, b)
	e.buf = append(e.buf, '"')
}

func (e *encoder) decimal(s *sdk.Schema, v any) error {
	var d sdk.Decimal
	switch x := v.(type) {
	case sdk.Decimal:
		d = x
	case *sdk.Decimal:
		d = *x
	default:
		return dataErrorf("Invalid type for Decimal, expected sdk.Decimal but was %T", v)
	}
	if d.Unscaled == nil {
		return dataErrorf("Invalid Decimal value: nil unscaled value")
	}
	if e.decimalNumeric {
		e.buf = appendJavaBigDecimal(e.buf, d.Unscaled, d.Scale)
		return nil
	}
	scale, err := decimalScale(s)
	if err != nil {
		return err
	}
	if d.Scale != scale {
		return dataErrorf("Decimal value has mismatching scale for given Decimal schema. Schema has scale %d, value has scale %d.", scale, d.Scale)
	}
	var tmp [32]byte
	e.bytes(appendTwosComplement(tmp[:0], d.Unscaled))
	return nil
}

// decimalScale reads the scale parameter of a Decimal schema.
func decimalScale(s *sdk.Schema) (int32, error) {
	p, ok := s.Parameters[sdk.DecimalScaleParam]
	if !ok {
		return 0, dataErrorf("Invalid Decimal schema: scale parameter not found.")
	}
	n, err := strconv.ParseInt(p, 10, 32)
	if err != nil {
		return 0, dataErrorf("Invalid scale parameter found in Decimal schema: %q", p)
	}
	return int32(n), nil
}

// appendTwosComplement appends x as Java's BigInteger.toByteArray does:
// big-endian two's complement in the fewest bytes that hold the sign.
func appendTwosComplement(b []byte, x *big.Int) []byte {
	if x.IsInt64() {
		n := x.Int64()
		size := 8
		for size > 1 {
			// Drop a leading byte while the next one carries the same sign.
			top := n >> (8*(size-1) - 1)
			if top != 0 && top != -1 {
				break
			}
			size--
		}
		for i := size - 1; i >= 0; i-- {
			b = append(b, byte(n>>(8*i)))
		}
		return b
	}
	if x.Sign() > 0 {
		n := x.BitLen()/8 + 1
		start := len(b)
		b = append(b, make([]byte, n)...)
		x.FillBytes(b[start:])
		return b
	}
	// Negative: 2^(8n) + x, with n = bitLength(x)/8 + 1 where Java's
	// bitLength of a negative x is the bit length of -x-1.
	m := new(big.Int).Neg(x)
	m.Sub(m, big.NewInt(1))
	n := m.BitLen()/8 + 1
	m.Lsh(big.NewInt(1), uint(8*n))
	m.Add(m, x)
	start := len(b)
	b = append(b, make([]byte, n)...)
	m.FillBytes(b[start:])
	return b
}

func (e *encoder) timeValue(s *sdk.Schema, v any) error {
	t, ok := v.(time.Time)
	if !ok {
		kind := "Timestamp"
		switch s.Name {
		case sdk.DateName:
			kind = "Date"
		case sdk.TimeName:
			kind = "Time"
		}
		return dataErrorf("Invalid type for %s, expected time.Time but was %T", kind, v)
	}
	ms := t.UnixMilli()
	switch s.Name {
	case sdk.DateName:
		if ms%millisPerDay != 0 || t.Nanosecond()%1e6 != 0 {
			return dataErrorf("Kafka Connect Date type should not have any time fields set to non-zero values.")
		}
		days := ms / millisPerDay
		if days < math.MinInt32 || days > math.MaxInt32 {
			return dataErrorf("Date %s is out of the range of Kafka Connect's Date type", t.Format(time.DateOnly))
		}
		e.buf = strconv.AppendInt(e.buf, days, 10)
	case sdk.TimeName:
		if ms < 0 || ms > millisPerDay {
			return dataErrorf("Kafka Connect Time type should not have any date fields set to non-zero values.")
		}
		e.buf = strconv.AppendInt(e.buf, ms, 10)
	default:
		e.buf = strconv.AppendInt(e.buf, ms, 10)
	}
	return nil
}

func (e *encoder) array(s *sdk.Schema, v any) error {
	if s.Elem == nil {
		return dataErrorf("array schema has no element schema")
	}
	e.buf = append(e.buf, '[')
	switch x := v.(type) {
	case []any:
		for i, el := range x {
			if i > 0 {
				e.buf = append(e.buf, ',')
			}
			if err := e.value(s.Elem, el); err != nil {
				return atIndex(err, i)
			}
		}
	default:
		rv := reflect.ValueOf(v)
		if rv.Kind() != reflect.Slice && rv.Kind() != reflect.Array {
			return dataErrorf("Invalid type for ARRAY: %T", v)
		}
		for i := range rv.Len() {
			if i > 0 {
				e.buf = append(e.buf, ',')
			}
			if err := e.value(s.Elem, rv.Index(i).Interface()); err != nil {
				return atIndex(err, i)
			}
		}
	}
	e.buf = append(e.buf, ']')
	return nil
}

// mapValue writes a map of schema s: a JSON object when keys are strings, an
// array of [key, value] pairs otherwise. Go maps have no order, so entries are
// written sorted by key; Kafka Connect writes its Map's iteration order, which
// for the usual HashMap is not an order anyone relies on.
func (e *encoder) mapValue(s *sdk.Schema, v any) error {
	if s.Key == nil || s.Elem == nil {
		return dataErrorf("map schema has no key or value schema")
	}
	if s.Key.Type == sdk.TypeString {
		switch x := v.(type) {
		case map[string]any:
			return e.stringMap(s.Elem, x)
		case map[any]any:
			keys := make([]string, 0, len(x))
			for k := range x {
				ks, ok := k.(string)
				if !ok {
					if k != nil {
						return atKey(dataErrorf("Invalid type for STRING: %T", k), k)
					}
					// A null key of an optional key schema: Jackson's
					// NullNode.asText() is "null".
					if ks, ok = e.nullKey(s.Key); !ok {
						return dataErrorf("Conversion error: null value for field that is required and has no default value")
					}
				}
				keys = append(keys, ks)
			}
			slices.Sort(keys)
			e.buf = append(e.buf, '{')
			for i, k := range keys {
				if i > 0 {
					e.buf = append(e.buf, ',')
				}
				e.buf = appendString(e.buf, k)
				e.buf = append(e.buf, ':')
				val, ok := x[k]
				if !ok { // the null key
					val = x[nil]
				}
				if err := e.value(s.Elem, val); err != nil {
					return atKey(err, k)
				}
			}
			e.buf = append(e.buf, '}')
			return nil
		}
	}
	if x, ok := v.(map[any]any); ok {
		return e.pairs(s.Key, s.Elem, x)
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Map {
		return dataErrorf("Invalid type for MAP: %T", v)
	}
	m := make(map[any]any, rv.Len())
	for it := rv.MapRange(); it.Next(); {
		m[it.Key().Interface()] = it.Value().Interface()
	}
	if s.Key.Type == sdk.TypeString {
		e.buf = append(e.buf, '{')
		keys := make([]string, 0, len(m))
		for k := range m {
			ks, ok := k.(string)
			if !ok {
				return atKey(dataErrorf("Invalid type for STRING: %T", k), k)
			}
			keys = append(keys, ks)
		}
		slices.Sort(keys)
		for i, k := range keys {
			if i > 0 {
				e.buf = append(e.buf, ',')
			}
			e.buf = appendString(e.buf, k)
			e.buf = append(e.buf, ':')
			if err := e.value(s.Elem, m[k]); err != nil {
				return atKey(err, k)
			}
		}
		e.buf = append(e.buf, '}')
		return nil
	}
	return e.pairs(s.Key, s.Elem, m)
}

func (e *encoder) nullKey(ks *sdk.Schema) (string, bool) {
	if ks.Default != nil && e.replaceNull {
		if d, ok := ks.Default.(string); ok {
			return d, true
		}
	}
	return "null", ks.Optional
}

// stringMap writes a map with string keys as a JSON object, keys sorted.
// elem is nil for schemaless maps.
func (e *encoder) stringMap(elem *sdk.Schema, m map[string]any) error {
	e.buf = append(e.buf, '{')
	if len(m) == 1 {
		for k, val := range m {
			e.buf = appendString(e.buf, k)
			e.buf = append(e.buf, ':')
			if err := e.value(elem, val); err != nil {
				return atKey(err, k)
			}
		}
		e.buf = append(e.buf, '}')
		return nil
	}
	var stack [16]string
	keys := stack[:0]
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for i, k := range keys {
		if i > 0 {
			e.buf = append(e.buf, ',')
		}
		e.buf = appendString(e.buf, k)
		e.buf = append(e.buf, ':')
		if err := e.value(elem, m[k]); err != nil {
			return atKey(err, k)
		}
	}
	e.buf = append(e.buf, '}')
	return nil
}

// pairs writes a map as [[k,v],…], sorted by key. keySchema and elem are nil
// for schemaless maps.
func (e *encoder) pairs(keySchema, elem *sdk.Schema, m map[any]any) error {
	type entry struct {
		k, v any
		kj   []byte // the key's JSON
	}
	entries := make([]entry, 0, len(m))
	for k, val := range m {
		sub := encoder{decimalNumeric: e.decimalNumeric, replaceNull: e.replaceNull}
		if err := sub.value(keySchema, k); err != nil {
			return atKey(err, k)
		}
		entries = append(entries, entry{k: k, v: val, kj: sub.buf})
	}
	slices.SortFunc(entries, func(a, b entry) int {
		if c, ok := compareKeys(a.k, b.k); ok {
			return c
		}
		return bytes.Compare(a.kj, b.kj)
	})
	e.buf = append(e.buf, '[')
	for i, en := range entries {
		if i > 0 {
			e.buf = append(e.buf, ',')
		}
		e.buf = append(e.buf, '[')
		e.buf = append(e.buf, en.kj...)
		e.buf = append(e.buf, ',')
		if err := e.value(elem, en.v); err != nil {
			return atKey(err, en.k)
		}
		e.buf = append(e.buf, ']')
	}
	e.buf = append(e.buf, ']')
	return nil
}

// compareKeys orders map keys of the same kind by value: numbers
// numerically, strings, booleans, times and decimals naturally.
func compareKeys(a, b any) (int, bool) {
	if ai, ok := asInt(a); ok {
		if bi, ok := asInt(b); ok {
			return cmp.Compare(ai, bi), true
		}
	}
	switch x := a.(type) {
	case string:
		if y, ok := b.(string); ok {
			return cmp.Compare(x, y), true
		}
	case float32:
		if y, ok := b.(float32); ok {
			return cmp.Compare(x, y), true
		}
	case float64:
		if y, ok := b.(float64); ok {
			return cmp.Compare(x, y), true
		}
	case bool:
		if y, ok := b.(bool); ok && x != y {
			if y {
				return -1, true
			}
			return 1, true
		}
	case time.Time:
		if y, ok := b.(time.Time); ok {
			return x.Compare(y), true
		}
	case sdk.Decimal:
		// Only at the same scale: 10^scale can be too large to compute.
		if y, ok := b.(sdk.Decimal); ok && x.Unscaled != nil && y.Unscaled != nil && x.Scale == y.Scale {
			return x.Unscaled.Cmp(y.Unscaled), true
		}
	}
	return 0, false
}

func asInt(v any) (int64, bool) {
	switch x := v.(type) {
	case int8:
		return int64(x), true
	case int16:
		return int64(x), true
	case int32:
		return int64(x), true
	case int64:
		return x, true
	case int:
		return int64(x), true
	}
	return 0, false
}

func (e *encoder) structValue(s *sdk.Schema, v any) error {
	st, ok := v.(*sdk.Struct)
	if !ok || st == nil {
		return dataErrorf("Invalid type for STRUCT: %T", v)
	}
	if st.Schema != s && !schemaEqual(st.Schema, s) {
		return dataErrorf("Mismatching schema.")
	}
	e.buf = append(e.buf, '{')
	for i := range s.Fields {
		f := &s.Fields[i]
		if i > 0 {
			e.buf = append(e.buf, ',')
		}
		e.buf = appendString(e.buf, f.Name)
		e.buf = append(e.buf, ':')
		var fv any
		if i < len(st.Values) {
			fv = st.Values[i]
		}
		if err := e.value(f.Schema, fv); err != nil {
			return atField(err, f.Name)
		}
	}
	e.buf = append(e.buf, '}')
	return nil
}

// schemaless writes a value without a schema, inferring its type from its Go
// type as Kafka Connect infers it from the Java class.
func (e *encoder) schemaless(v any) error {
	switch x := v.(type) {
	case string:
		e.buf = appendString(e.buf, x)
	case bool:
		e.buf = strconv.AppendBool(e.buf, x)
	case int64:
		e.buf = strconv.AppendInt(e.buf, x, 10)
	case int:
		e.buf = strconv.AppendInt(e.buf, int64(x), 10)
	case int32:
		e.buf = strconv.AppendInt(e.buf, int64(x), 10)
	case int16:
		e.buf = strconv.AppendInt(e.buf, int64(x), 10)
	case int8:
		e.buf = strconv.AppendInt(e.buf, int64(x), 10)
	case uint8:
		e.buf = strconv.AppendUint(e.buf, uint64(x), 10)
	case uint16:
		e.buf = strconv.AppendUint(e.buf, uint64(x), 10)
	case uint32:
		e.buf = strconv.AppendUint(e.buf, uint64(x), 10)
	case uint64:
		e.buf = strconv.AppendUint(e.buf, x, 10)
	case uint:
		e.buf = strconv.AppendUint(e.buf, uint64(x), 10)
	case float64:
		e.float(x, 64)
	case float32:
		e.float(float64(x), 32)
	case []byte:
		e.bytes(x)
	case []any:
		e.buf = append(e.buf, '[')
		for i, el := range x {
			if i > 0 {
				e.buf = append(e.buf, ',')
			}
			if err := e.schemaless(el); err != nil {
				return atIndex(err, i)
			}
		}
		e.buf = append(e.buf, ']')
	case map[string]any:
		return e.stringMap(nil, x)
	case map[any]any:
		strKeys := make(map[string]any, len(x))
		for k, val := range x {
			ks, ok := k.(string)
			if !ok {
				return e.pairs(nil, nil, x)
			}
			strKeys[ks] = val
		}
		return e.stringMap(nil, strKeys)
	case nil:
		e.buf = append(e.buf, "null"...)
	case *sdk.Struct, sdk.Struct:
		return dataErrorf("Mismatching schema.")
	default:
		return e.schemalessReflect(v)
	}
	return nil
}

func (e *encoder) schemalessReflect(v any) error {
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Slice, reflect.Array:
		if rv.Kind() == reflect.Slice && rv.IsNil() {
			e.buf = append(e.buf, "null"...)
			return nil
		}
		e.buf = append(e.buf, '[')
		for i := range rv.Len() {
			if i > 0 {
				e.buf = append(e.buf, ',')
			}
			if err := e.schemaless(rv.Index(i).Interface()); err != nil {
				return atIndex(err, i)
			}
		}
		e.buf = append(e.buf, ']')
		return nil
	case reflect.Map:
		if rv.IsNil() {
			e.buf = append(e.buf, "null"...)
			return nil
		}
		m := make(map[any]any, rv.Len())
		for it := rv.MapRange(); it.Next(); {
			m[it.Key().Interface()] = it.Value().Interface()
		}
		return e.schemaless(m)
	case reflect.Pointer:
		if rv.IsNil() {
			e.buf = append(e.buf, "null"...)
			return nil
		}
	}
	return dataErrorf("Go type %T does not have corresponding schema type.", v)
}

const hexDigits = "0123456789ABCDEF"

// appendString appends s as a JSON string the way Jackson writes it: "\"",
// "\\" and control characters escaped (\b \t \n \f \r, else \u00XX),
// characters outside the Basic Multilingual Plane as escaped UTF-16
// surrogate pairs (\uD83C\uDF89), everything else as UTF-8. Invalid UTF-8
// becomes U+FFFD, since a Java string cannot hold it.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < 0x80 {
			i++
			continue
		}
		if c < 0x80 {
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\t':
				b = append(b, '\\', 't')
			case '\n':
				b = append(b, '\\', 'n')
			case '\f':
				b = append(b, '\\', 'f')
			case '\r':
				b = append(b, '\\', 'r')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, "\uFFFD"...)
		case r >= 0x10000:
			b = append(b, s[start:i]...)
			r -= 0x10000
			b = appendU(b, 0xD800+(r>>10))
			b = appendU(b, 0xDC00+(r&0x3FF))
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

func appendU(b []byte, r rune) []byte {
	return append(b, '\\', 'u', hexDigits[r>>12&0xF], hexDigits[r>>8&0xF], hexDigits[r>>4&0xF], hexDigits[r&0xF])
}

// schemaEqual reports whether two schemas are equal the way Kafka Connect's
// ConnectSchema.equals decides it.
func schemaEqual(a, b *sdk.Schema) bool {
	if a == b {
		return true
	}
	if a == nil || b == nil {
		return false
	}
	if a.Type != b.Type || a.Optional != b.Optional || a.Name != b.Name || a.Version != b.Version ||
		a.Doc != b.Doc || len(a.Fields) != len(b.Fields) || len(a.Parameters) != len(b.Parameters) {
		return false
	}
	for k, v := range a.Parameters {
		if w, ok := b.Parameters[k]; !ok || w != v {
			return false
		}
	}
	for i := range a.Fields {
		if a.Fields[i].Name != b.Fields[i].Name || !schemaEqual(a.Fields[i].Schema, b.Fields[i].Schema) {
			return false
		}
	}
	return schemaEqual(a.Key, b.Key) && schemaEqual(a.Elem, b.Elem) && reflect.DeepEqual(a.Default, b.Default)
}
