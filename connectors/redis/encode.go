package redis

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/freshet-dev/freshet/connectors/sdk"
)

// template is a parsed key template: literal text and variables.
type template struct {
	parts   []part
	needKey bool
}

type part struct {
	lit string
	v   string // "topic", "partition" or "key"; "" for a literal
}

// parseTemplate parses "${topic}:${key}"-style templates.
func parseTemplate(s string) (template, error) {
	var t template
	for s != "" {
		i := strings.Index(s, "${")
		if i < 0 {
			t.parts = append(t.parts, part{lit: s})
			break
		}
		if i > 0 {
			t.parts = append(t.parts, part{lit: s[:i]})
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			return template{}, errors.New("unclosed ${ in key template")
		}
		name := s[i+2 : i+j]
		switch name {
		case "topic", "partition", "key":
		default:
			return template{}, fmt.Errorf("unknown variable ${%s} in key template (want ${topic}, ${partition} or ${key})", name)
		}
		t.needKey = t.needKey || name == "key"
		t.parts = append(t.parts, part{v: name})
		s = s[i+j+1:]
	}
	if len(t.parts) == 0 {
		return template{}, errors.New("empty key template")
	}
	return t, nil
}

// render appends the key of r to b.
func (t template) render(b []byte, r *sdk.Record) ([]byte, error) {
	for _, p := range t.parts {
		switch p.v {
		case "":
			b = append(b, p.lit...)
		case "topic":
			b = append(b, r.Topic...)
		case "partition":
			b = strconv.AppendInt(b, int64(r.Partition), 10)
		case "key":
			if r.Key == nil {
				return nil, errors.New("the record has a null key, which the key template's ${key} needs")
			}
			var err error
			if b, err = appendKey(b, r.Key); err != nil {
				return nil, err
			}
		}
	}
	return b, nil
}

// appendKey writes a record key into a Redis key: scalars as text, bytes as
// they are, and the field values of a struct or map (sorted by name) joined
// by ':'.
func appendKey(b []byte, k any) ([]byte, error) {
	switch k := k.(type) {
	case *sdk.Struct:
		for i, v := range k.Values {
			if i > 0 {
				b = append(b, ':')
			}
			var err error
			if b, err = appendKey(b, v); err != nil {
				return nil, err
			}
		}
		return b, nil
	case map[string]any:
		for i, name := range sortedKeys(k) {
			if i > 0 {
				b = append(b, ':')
			}
			var err error
			if b, err = appendKey(b, k[name]); err != nil {
				return nil, err
			}
		}
		return b, nil
	case nil:
		return append(b, "null"...), nil
	case []any, map[any]any:
		return sdk.AppendJSON(b, k)
	}
	return appendText(b, k)
}

// appendText writes a scalar as a Redis string: strings and bytes as they
// are, numbers and booleans in their usual text form, decimals as plain
// numbers, times in RFC 3339; structs, maps and arrays as JSON.
func appendText(b []byte, v any) ([]byte, error) {
	switch v := v.(type) {
	case string:
		return append(b, v...), nil
	case []byte:
		return append(b, v...), nil
	case sdk.Raw:
		return append(b, v...), nil
	case bool:
		return strconv.AppendBool(b, v), nil
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
	case float32:
		return strconv.AppendFloat(b, float64(v), 'g', -1, 32), nil
	case float64:
		return strconv.AppendFloat(b, v, 'g', -1, 64), nil
	case sdk.Decimal:
		if v.Unscaled == nil {
			return b, nil
		}
		return append(b, v.String()...), nil
	case time.Time:
		return v.UTC().AppendFormat(b, time.RFC3339Nano), nil
	}
	return sdk.AppendJSON(b, v)
}

// fieldsOf returns the fields of a struct or map value as name/value pairs
// for HSET or XADD, skipping nulls. A value that is neither yields it under
// the field name "value".
func fieldsOf(v any) ([]any, error) {
	switch v := v.(type) {
	case *sdk.Struct:
		out := make([]any, 0, 2*len(v.Values))
		for i, f := range v.Schema.Fields {
			fv := v.Values[i]
			if fv == nil {
				continue
			}
			s, err := appendText(nil, fv)
			if err != nil {
				return nil, fmt.Errorf("field %q: %w", f.Name, err)
			}
			out = append(out, f.Name, s)
		}
		return out, nil
	case map[string]any:
		out := make([]any, 0, 2*len(v))
		for _, name := range sortedKeys(v) {
			if v[name] == nil {
				continue
			}
			s, err := appendText(nil, v[name])
			if err != nil {
				return nil, fmt.Errorf("field %q: %w", name, err)
			}
			out = append(out, name, s)
		}
		return out, nil
	case map[any]any:
		m := make(map[string]any, len(v))
		for k, e := range v {
			ks, err := appendText(nil, k)
			if err != nil {
				return nil, err
			}
			m[string(ks)] = e
		}
		return fieldsOf(m)
	}
	return nil, errNotFields
}

var errNotFields = errors.New("not a struct or map")

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
