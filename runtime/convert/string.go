package convert

import (
	"fmt"
	"math/big"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/freshet-dev/freshet/connectors/sdk"
)

// encoding is a character set of StringConverter's converter.encoding.
type encoding uint8

const (
	encUTF8 encoding = iota
	encLatin1
	encASCII
)

// stringConverter is Kafka Connect's StringConverter: values are written as
// their string form and read as optional strings.
type stringConverter struct {
	enc encoding
}

func newString(props map[string]string) (*stringConverter, error) {
	name, ok := props["converter.encoding"]
	if !ok {
		return &stringConverter{enc: encUTF8}, nil
	}
	switch strings.ToUpper(strings.TrimSpace(name)) {
	case "UTF-8", "UTF8":
		return &stringConverter{enc: encUTF8}, nil
	case "ISO-8859-1", "ISO8859_1", "ISO_8859_1", "LATIN1":
		return &stringConverter{enc: encLatin1}, nil
	case "US-ASCII", "ASCII":
		return &stringConverter{enc: encASCII}, nil
	}
	return nil, fmt.Errorf("convert: StringConverter: unsupported converter.encoding %q (supported: UTF-8, ISO-8859-1, US-ASCII)", name)
}

// ToConnect implements Converter. Like Java's String decoding, invalid input
// becomes U+FFFD instead of failing.
func (c *stringConverter) ToConnect(_ string, b []byte) (*sdk.Schema, any, error) {
	if b == nil {
		return sdk.OptionalStringSchema, nil, nil
	}
	switch c.enc {
	case encLatin1:
		r := make([]rune, len(b))
		for i, x := range b {
			r[i] = rune(x)
		}
		return sdk.OptionalStringSchema, string(r), nil
	case encASCII:
		var sb strings.Builder
		sb.Grow(len(b))
		for _, x := range b {
			if x >= 0x80 {
				sb.WriteRune(utf8.RuneError)
			} else {
				sb.WriteByte(x)
			}
		}
		return sdk.OptionalStringSchema, sb.String(), nil
	}
	if utf8.Valid(b) {
		return sdk.OptionalStringSchema, string(b), nil
	}
	return sdk.OptionalStringSchema, strings.ToValidUTF8(string(b), "\uFFFD"), nil
}

// FromConnect implements Converter: it writes the value's string form, as
// Java's toString() prints it, whatever the schema. Characters the encoding
// cannot hold become '?', as in Java.
func (c *stringConverter) FromConnect(_ string, _ *sdk.Schema, v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case sdk.Raw:
		return []byte(x), nil
	}
	s := string(appendJavaString(nil, v))
	switch c.enc {
	case encLatin1, encASCII:
		limit := rune(0xFF)
		if c.enc == encASCII {
			limit = 0x7F
		}
		out := make([]byte, 0, len(s))
		for _, r := range s {
			if r > limit {
				r = '?'
			}
			out = append(out, byte(r))
		}
		return out, nil
	}
	return []byte(s), nil
}

// appendJavaString appends v the way Java's toString() prints the
// corresponding Kafka Connect value: numbers as Java prints them, Struct as
// Struct{a=1,b=x}, lists as [1, 2], maps as {k=v} (sorted by key, since Go
// maps have no order), time.Time as java.util.Date prints it in UTC. Byte
// slices are written as their bytes, not as Java's "[B@1b6d3586".
func appendJavaString(b []byte, v any) []byte {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...)
	case string:
		return append(b, x...)
	case []byte:
		return append(b, x...)
	case bool:
		return strconv.AppendBool(b, x)
	case int8:
		return strconv.AppendInt(b, int64(x), 10)
	case int16:
		return strconv.AppendInt(b, int64(x), 10)
	case int32:
		return strconv.AppendInt(b, int64(x), 10)
	case int64:
		return strconv.AppendInt(b, x, 10)
	case int:
		return strconv.AppendInt(b, int64(x), 10)
	case float32:
		return appendJavaFloat(b, float64(x), 32)
	case float64:
		return appendJavaFloat(b, x, 64)
	case sdk.Decimal:
		if x.Unscaled == nil {
			return append(b, "null"...)
		}
		return appendJavaBigDecimal(b, x.Unscaled, x.Scale)
	case *big.Int:
		return x.Append(b, 10)
	case time.Time:
		return x.UTC().AppendFormat(b, "Mon Jan 02 15:04:05 MST 2006")
	case *sdk.Struct:
		b = append(b, "Struct{"...)
		first := true
		for i, fv := range x.Values {
			if fv == nil || i >= len(x.Schema.Fields) {
				continue
			}
			if !first {
				b = append(b, ',')
			}
			first = false
			b = append(b, x.Schema.Fields[i].Name...)
			b = append(b, '=')
			b = appendJavaString(b, fv)
		}
		return append(b, '}')
	case []any:
		b = append(b, '[')
		for i, el := range x {
			if i > 0 {
				b = append(b, ", "...)
			}
			b = appendJavaString(b, el)
		}
		return append(b, ']')
	case fmt.Stringer:
		return append(b, x.String()...)
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Map:
		type kv struct{ k, v []byte }
		entries := make([]kv, 0, rv.Len())
		for it := rv.MapRange(); it.Next(); {
			entries = append(entries, kv{appendJavaString(nil, it.Key().Interface()), appendJavaString(nil, it.Value().Interface())})
		}
		slices.SortFunc(entries, func(a, b kv) int { return strings.Compare(string(a.k), string(b.k)) })
		b = append(b, '{')
		for i, e := range entries {
			if i > 0 {
				b = append(b, ", "...)
			}
			b = append(b, e.k...)
			b = append(b, '=')
			b = append(b, e.v...)
		}
		return append(b, '}')
	case reflect.Slice, reflect.Array:
		b = append(b, '[')
		for i := range rv.Len() {
			if i > 0 {
				b = append(b, ", "...)
			}
			b = appendJavaString(b, rv.Index(i).Interface())
		}
		return append(b, ']')
	}
	return fmt.Append(b, v)
}
