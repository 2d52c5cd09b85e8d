package sdk

import (
	"encoding/base64"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"
)

// AppendJSON appends v, a value of Kafka Connect's data model (see Schema),
// to b as compact JSON, the way sinks that store documents or text need it:
// structs as objects in field order, maps with their keys sorted (non-string
// keys as their text), bytes as base64, decimals as plain numbers, times as
// RFC 3339 in UTC, NaN and infinities as strings, invalid UTF-8 replaced.
func AppendJSON(b []byte, v any) ([]byte, error) {
	switch v := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case bool:
		return strconv.AppendBool(b, v), nil
	case string:
		return appendJSONString(b, v), nil
	case int8:
		return strconv.AppendInt(b, int64(v), 10), nil
	case int16:
		return strconv.AppendInt(b, int64(v), 10), nil
	case int32:
		return strconv.AppendInt(b, int64(v), 10), nil
	case int64:
		return strconv.AppendInt(b, v, 10), nil
	case int:
		return strconv.AppendInt(b, int64(v), 10), nil
	case uint8:
		return strconv.AppendUint(b, uint64(v), 10), nil
	case uint16:
		return strconv.AppendUint(b, uint64(v), 10), nil
	case uint32:
		return strconv.AppendUint(b, uint64(v), 10), nil
	case uint64:
		return strconv.AppendUint(b, v, 10), nil
	case float32:
		return appendJSONFloat(b, float64(v), 32), nil
	case float64:
		return appendJSONFloat(b, v, 64), nil
	case []byte:
		return appendJSONString(b, base64.StdEncoding.EncodeToString(v)), nil
	case Raw:
		return appendJSONString(b, base64.StdEncoding.EncodeToString(v)), nil
	case Decimal:
		if v.Unscaled == nil {
			return append(b, "null"...), nil
		}
		return append(b, v.String()...), nil
	case time.Time:
		return appendJSONString(b, v.UTC().Format(time.RFC3339Nano)), nil
	case *Struct:
		if v == nil {
			return append(b, "null"...), nil
		}
		b = append(b, '{')
		for i, f := range v.Schema.Fields {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, f.Name)
			b = append(b, ':')
			var err error
			if b, err = AppendJSON(b, v.Values[f.Index]); err != nil {
				return nil, err
			}
		}
		return append(b, '}'), nil
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		b = append(b, '{')
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, k)
			b = append(b, ':')
			var err error
			if b, err = AppendJSON(b, v[k]); err != nil {
				return nil, err
			}
		}
		return append(b, '}'), nil
	case map[any]any:
		m := make(map[string]any, len(v))
		for k, e := range v {
			ks, err := jsonKey(k)
			if err != nil {
				return nil, err
			}
			m[ks] = e
		}
		return AppendJSON(b, m)
	case []any:
		b = append(b, '[')
		for i, e := range v {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			if b, err = AppendJSON(b, e); err != nil {
				return nil, err
			}
		}
		return append(b, ']'), nil
	}
	return nil, fmt.Errorf("cannot encode a %T as JSON", v)
}

// jsonKey is the object key for a map key that is not a string: its JSON
// text, without quotes for strings and times.
func jsonKey(k any) (string, error) {
	switch k := k.(type) {
	case string:
		return k, nil
	case time.Time:
		return k.UTC().Format(time.RFC3339Nano), nil
	case Decimal:
		return k.String(), nil
	}
	b, err := AppendJSON(nil, k)
	if err != nil {
		return "", fmt.Errorf("map key: %w", err)
	}
	if len(b) > 1 && b[0] == '"' {
		s, err := strconv.Unquote(string(b))
		if err == nil {
			return s, nil
		}
	}
	return string(b), nil
}

func appendJSONFloat(b []byte, f float64, bits int) []byte {
	switch {
	case math.IsNaN(f):
		return append(b, `"NaN"`...)
	case math.IsInf(f, 1):
		return append(b, `"Infinity"`...)
	case math.IsInf(f, -1):
		return append(b, `"-Infinity"`...)
	}
	return strconv.AppendFloat(b, f, 'g', -1, bits)
}

const hexDigits = "0123456789abcdef"

func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c < 0x20:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, `\ufffd`...)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}
