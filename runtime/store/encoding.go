package store

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
)

// OffsetKey returns the key under which Kafka Connect stores a source
// partition's offset in its offsets topic: the compact JSON array
// ["<connector>",{partition}], with the partition's keys sorted and no HTML
// escaping. The same partition always gives the same bytes, whatever the Go
// types of its numbers (int 1, int64 1 and float64 1 all give 1).
func OffsetKey(connector string, partition map[string]any) ([]byte, error) {
	p, err := encodeFlat(partition)
	if err != nil {
		return nil, fmt.Errorf("offset key for %q: partition: %w", connector, err)
	}
	return offsetKey(connector, p), nil
}

// offsetKey joins a connector name and a canonical partition.
func offsetKey(connector string, partition []byte) []byte {
	b := make([]byte, 0, len(connector)+len(partition)+8)
	b = append(b, '[')
	b = appendString(b, connector)
	b = append(b, ',')
	b = append(b, partition...)
	return append(b, ']')
}

// encodeFlat returns the canonical JSON of a partition or offset map: compact,
// keys sorted, no HTML escaping, numbers normalised so that equal values give
// equal bytes. It writes what encoding/json writes for the same map (with
// SetEscapeHTML(false)), except that a json.Number is written as the int64 or
// float64 it decodes to, and without reflection: a Put encodes every
// partition and offset, once a second per task. It rejects nil maps and
// values that are not primitives.
func encodeFlat(m map[string]any) ([]byte, error) {
	if m == nil {
		return nil, fmt.Errorf("%w nil map", ErrInvalid)
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b := make([]byte, 0, 16+24*len(m))
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, k)
		b = append(b, ':')
		var err error
		if b, err = appendValue(b, m[k]); err != nil {
			return nil, fmt.Errorf("field %q: %w", k, err)
		}
	}
	return append(b, '}'), nil
}

// appendValue appends a primitive as encoding/json would, and json.Number as
// the int64 or float64 it decodes to.
func appendValue(b []byte, v any) ([]byte, error) {
	switch v := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case bool:
		return strconv.AppendBool(b, v), nil
	case string:
		return appendString(b, v), nil
	case []byte:
		b = append(b, '"')
		b = base64.StdEncoding.AppendEncode(b, v)
		return append(b, '"'), nil
	case int:
		return strconv.AppendInt(b, int64(v), 10), nil
	case int8:
		return strconv.AppendInt(b, int64(v), 10), nil
	case int16:
		return strconv.AppendInt(b, int64(v), 10), nil
	case int32:
		return strconv.AppendInt(b, int64(v), 10), nil
	case int64:
		return strconv.AppendInt(b, v, 10), nil
	case uint:
		return strconv.AppendUint(b, uint64(v), 10), nil
	case uint8:
		return strconv.AppendUint(b, uint64(v), 10), nil
	case uint16:
		return strconv.AppendUint(b, uint64(v), 10), nil
	case uint32:
		return strconv.AppendUint(b, uint64(v), 10), nil
	case uint64:
		return strconv.AppendUint(b, v, 10), nil
	case float32:
		return appendFloat(b, float64(v), 32)
	case float64:
		return appendFloat(b, v, 64)
	case json.Number:
		n, err := number(v)
		if err != nil {
			return nil, err
		}
		return appendValue(b, n)
	default:
		return nil, fmt.Errorf("%w type %T: offsets hold only null, booleans, strings, numbers and bytes", ErrInvalid, v)
	}
}

// appendFloat formats a float as encoding/json does: like ES6, with an
// exponent only for very small or large magnitudes.
func appendFloat(b []byte, f float64, bits int) ([]byte, error) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return nil, fmt.Errorf("%w number %v", ErrInvalid, f)
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 {
		if bits == 64 && (abs < 1e-6 || abs >= 1e21) || bits == 32 && (float32(abs) < 1e-6 || float32(abs) >= 1e21) {
			format = 'e'
		}
	}
	b = strconv.AppendFloat(b, f, format, -1, bits)
	if format == 'e' { // e-09 to e-9
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b, nil
}

// normalise checks that v is a primitive and maps json.Number to the type it
// decodes to.
func normalise(v any) (any, error) {
	switch v := v.(type) {
	case nil, bool, string, []byte,
		int, int8, int16, int32, int64,
		uint, uint8, uint16, uint32, uint64, float32, float64:
		return v, nil
	case json.Number:
		return number(v)
	default:
		return nil, fmt.Errorf("%w type %T: offsets hold only null, booleans, strings, numbers and bytes", ErrInvalid, v)
	}
}

// number converts a JSON number: int64 when it is an integral literal in
// range, float64 otherwise.
func number(n json.Number) (any, error) {
	if i, err := strconv.ParseInt(string(n), 10, 64); err == nil {
		return i, nil
	}
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil {
		return nil, fmt.Errorf("%w number %q", ErrInvalid, string(n))
	}
	return f, nil
}

// decodeFlat decodes the canonical JSON of a partition or offset map, with
// numbers as number converts them. A JSON null decodes to a nil map.
func decodeFlat(b []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("data after the object")
	}
	for k, v := range m {
		n, err := normalise(v)
		if err != nil {
			return nil, fmt.Errorf("field %q: %w", k, err)
		}
		m[k] = n
	}
	return m, nil
}

// appendString appends s as a JSON string, as encoding/json writes it without
// HTML escaping. Plain printable ASCII, the common case, is copied as is.
func appendString(b []byte, s string) []byte {
	plain := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			plain = false
			break
		}
	}
	if plain {
		b = append(b, '"')
		b = append(b, s...)
		return append(b, '"')
	}
	var sb strings.Builder
	enc := json.NewEncoder(&sb)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes (invalid UTF-8 becomes U+FFFD)
	return append(b, strings.TrimSuffix(sb.String(), "\n")...)
}
