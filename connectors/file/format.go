package file

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/freshet-dev/freshet/connectors/sdk"
)

// formatter renders record values as line text. It keeps scratch space
// between calls, so a task owns one and the hot path does not allocate for
// strings, bytes, numbers and structs.
type formatter struct {
	keys []string // map keys being sorted, used as a stack by nested maps
}

// appendText appends v as the text of one line (see the package doc).
func (f *formatter) appendText(b []byte, v any) []byte {
	switch v := v.(type) {
	case nil:
		return append(b, "null"...)
	case string:
		return append(b, v...)
	case []byte:
		return append(b, v...)
	case sdk.Raw:
		return append(b, v...)
	case sdk.Decimal:
		return appendDecimal(b, v)
	case *sdk.Decimal:
		if v == nil {
			return append(b, "null"...)
		}
		return appendDecimal(b, *v)
	case time.Time:
		return v.AppendFormat(b, time.RFC3339Nano)
	case float32:
		return appendTopFloat(b, float64(v), 32)
	case float64:
		return appendTopFloat(b, v, 64)
	default:
		return f.appendJSON(b, v)
	}
}

// appendTopFloat writes a float that is a whole value: NaN and infinities
// unquoted, as Java prints them.
func appendTopFloat(b []byte, v float64, bits int) []byte {
	switch {
	case math.IsNaN(v):
		return append(b, "NaN"...)
	case math.IsInf(v, 1):
		return append(b, "Infinity"...)
	case math.IsInf(v, -1):
		return append(b, "-Infinity"...)
	}
	return appendFloat(b, v, bits)
}

// appendJSON appends v as compact JSON.
func (f *formatter) appendJSON(b []byte, v any) []byte {
	switch v := v.(type) {
	case nil:
		return append(b, "null"...)
	case string:
		return appendQuoted(b, v)
	case bool:
		return strconv.AppendBool(b, v)
	case int:
		return strconv.AppendInt(b, int64(v), 10)
	case int8:
		return strconv.AppendInt(b, int64(v), 10)
	case int16:
		return strconv.AppendInt(b, int64(v), 10)
	case int32:
		return strconv.AppendInt(b, int64(v), 10)
	case int64:
		return strconv.AppendInt(b, v, 10)
	case uint64:
		return strconv.AppendUint(b, v, 10)
	case float32:
		return appendFloat(b, float64(v), 32)
	case float64:
		return appendFloat(b, v, 64)
	case []byte:
		return appendBase64(b, v)
	case sdk.Raw:
		return appendBase64(b, v)
	case sdk.Decimal:
		return appendDecimal(b, v)
	case *sdk.Decimal:
		if v == nil {
			return append(b, "null"...)
		}
		return appendDecimal(b, *v)
	case time.Time:
		b = append(b, '"')
		b = v.AppendFormat(b, time.RFC3339Nano)
		return append(b, '"')
	case *sdk.Struct:
		return f.appendStruct(b, v)
	case []any:
		b = append(b, '[')
		for i, e := range v {
			if i > 0 {
				b = append(b, ',')
			}
			b = f.appendJSON(b, e)
		}
		return append(b, ']')
	case map[string]any:
		return f.appendStringMap(b, v)
	case map[any]any:
		return f.appendAnyMap(b, v)
	case json.Number:
		return append(b, v...)
	default:
		// Not part of the sdk's data model; do what encoding/json would.
		j, err := json.Marshal(v)
		if err != nil {
			return appendQuoted(b, fmt.Sprint(v))
		}
		return append(b, j...)
	}
}

func (f *formatter) appendStruct(b []byte, s *sdk.Struct) []byte {
	if s == nil || s.Schema == nil {
		return append(b, "null"...)
	}
	b = append(b, '{')
	for i := range s.Schema.Fields {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendQuoted(b, s.Schema.Fields[i].Name)
		b = append(b, ':')
		var v any
		if i < len(s.Values) {
			v = s.Values[i]
		}
		b = f.appendJSON(b, v)
	}
	return append(b, '}')
}

func (f *formatter) appendStringMap(b []byte, m map[string]any) []byte {
	start := len(f.keys)
	for k := range m {
		f.keys = append(f.keys, k)
	}
	end := len(f.keys)
	slices.Sort(f.keys[start:end])
	b = append(b, '{')
	for i := start; i < end; i++ {
		if i > start {
			b = append(b, ',')
		}
		k := f.keys[i] // index again: nested maps may have grown f.keys
		b = appendQuoted(b, k)
		b = append(b, ':')
		b = f.appendJSON(b, m[k])
	}
	clear(f.keys[start:end]) // let the strings go
	f.keys = f.keys[:start]
	return append(b, '}')
}

// appendAnyMap writes a map with keys of any type; keys are written as their
// text, sorted. Such maps are rare, so this path allocates.
func (f *formatter) appendAnyMap(b []byte, m map[any]any) []byte {
	type entry struct {
		key string
		val any
	}
	entries := make([]entry, 0, len(m))
	for k, v := range m {
		var key string
		if s, ok := k.(string); ok {
			key = s
		} else {
			key = string(f.appendText(nil, k))
		}
		entries = append(entries, entry{key, v})
	}
	slices.SortFunc(entries, func(a, b entry) int { return strings.Compare(a.key, b.key) })
	b = append(b, '{')
	for i, e := range entries {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendQuoted(b, e.key)
		b = append(b, ':')
		b = f.appendJSON(b, e.val)
	}
	return append(b, '}')
}

func appendDecimal(b []byte, d sdk.Decimal) []byte {
	if d.Unscaled == nil {
		return append(b, "null"...)
	}
	return append(b, d.String()...)
}

func appendBase64(b, v []byte) []byte {
	b = append(b, '"')
	b = base64.StdEncoding.AppendEncode(b, v)
	return append(b, '"')
}

// appendFloat formats like encoding/json; NaN and infinities, which JSON
// cannot hold, become strings.
func appendFloat(b []byte, v float64, bits int) []byte {
	switch {
	case math.IsNaN(v):
		return append(b, `"NaN"`...)
	case math.IsInf(v, 1):
		return append(b, `"Infinity"`...)
	case math.IsInf(v, -1):
		return append(b, `"-Infinity"`...)
	}
	format := byte('f')
	if abs := math.Abs(v); abs != 0 {
		if bits == 64 && (abs < 1e-6 || abs >= 1e21) ||
			bits == 32 && (float32(abs) < 1e-6 || float32(abs) >= 1e21) {
			format = 'e'
		}
	}
	b = strconv.AppendFloat(b, v, format, -1, bits)
	if format == 'e' {
		// Shorten e-07 to e-7, as encoding/json does.
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

const hexDigits = "0123456789abcdef"

// appendQuoted appends s as a JSON string. Invalid UTF-8 becomes U+FFFD.
func appendQuoted(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
