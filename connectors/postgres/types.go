package postgres

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/freshet-dev/freshet/connectors/sdk"
)

// kind is how the sink encodes values for a column. It follows the column's
// base type (a domain's underlying type); kindOther columns are sent as text
// and cast by PostgreSQL.
type kind uint8

const (
	kindOther kind = iota
	kindBool
	kindInt2
	kindInt4
	kindInt8
	kindFloat4
	kindFloat8
	kindNumeric
	kindText
	kindBytea
	kindDate
	kindTime
	kindTimestamp
	kindTimestamptz
	kindJSON
	kindJSONB
	kindUUID
)

// kindOf maps a pg_type.typname to a kind.
func kindOf(typname string) kind {
	switch typname {
	case "bool":
		return kindBool
	case "int2":
		return kindInt2
	case "int4":
		return kindInt4
	case "int8":
		return kindInt8
	case "float4":
		return kindFloat4
	case "float8":
		return kindFloat8
	case "numeric":
		return kindNumeric
	case "text", "varchar", "bpchar", "name":
		return kindText
	case "bytea":
		return kindBytea
	case "date":
		return kindDate
	case "time":
		return kindTime
	case "timestamp":
		return kindTimestamp
	case "timestamptz":
		return kindTimestamptz
	case "json":
		return kindJSON
	case "jsonb":
		return kindJSONB
	case "uuid":
		return kindUUID
	}
	return kindOther
}

// stageType is the SQL type of a staging column: the base type without its
// modifier (so that a too-long value fails in the INSERT, where it can be
// pinned on a row, not in the COPY), or text for kindOther.
func (k kind) stageType() string {
	switch k {
	case kindBool:
		return "boolean"
	case kindInt2:
		return "smallint"
	case kindInt4:
		return "integer"
	case kindInt8:
		return "bigint"
	case kindFloat4:
		return "real"
	case kindFloat8:
		return "double precision"
	case kindNumeric:
		return "numeric"
	case kindBytea:
		return "bytea"
	case kindDate:
		return "date"
	case kindTime:
		return "time"
	case kindTimestamp:
		return "timestamp"
	case kindTimestamptz:
		return "timestamptz"
	case kindJSON:
		return "json"
	case kindJSONB:
		return "jsonb"
	case kindUUID:
		return "uuid"
	}
	return "text"
}

// ddlType returns the PostgreSQL type for a new column: from the Connect
// schema when there is one, else from a sample value (schemaless JSON).
// Types follow Kafka Connect's JDBC sink for PostgreSQL, except that a
// Timestamp becomes timestamptz (it is an instant) and that arrays, maps and
// structs become jsonb (the JDBC sink rejects them).
func ddlType(s *sdk.Schema, sample any) string {
	if s != nil {
		switch s.Name {
		case sdk.DecimalName:
			return "numeric"
		case sdk.DateName:
			return "date"
		case sdk.TimeName:
			return "time"
		case sdk.TimestampName:
			return "timestamptz"
		}
		switch s.Type {
		case sdk.TypeInt8, sdk.TypeInt16:
			return "smallint"
		case sdk.TypeInt32:
			return "integer"
		case sdk.TypeInt64:
			return "bigint"
		case sdk.TypeFloat32:
			return "real"
		case sdk.TypeFloat64:
			return "double precision"
		case sdk.TypeBoolean:
			return "boolean"
		case sdk.TypeString:
			return "text"
		case sdk.TypeBytes:
			return "bytea"
		case sdk.TypeArray, sdk.TypeMap, sdk.TypeStruct:
			return "jsonb"
		}
	}
	switch sample.(type) {
	case bool:
		return "boolean"
	case int8, int16:
		return "smallint"
	case int32:
		return "integer"
	case int, int64, uint8, uint16, uint32:
		return "bigint"
	case float32:
		return "real"
	case float64:
		return "double precision"
	case sdk.Decimal, uint64:
		return "numeric"
	case []byte, sdk.Raw:
		return "bytea"
	case time.Time:
		return "timestamptz"
	case []any, map[string]any, map[any]any, *sdk.Struct:
		return "jsonb"
	}
	return "text" // strings, and nulls: nothing better is known
}

// coerce converts an sdk value to the Go value pgx encodes for a column of
// kind k. An error means the value cannot be stored there: a record error.
func coerce(v any, k kind) (any, error) {
	if v == nil {
		return nil, nil
	}
	// The common cases: the value already has the column's Go type. Return
	// it as it is, not re-boxed (one allocation less per value).
	switch v.(type) {
	case int64:
		if k == kindInt8 || k == kindNumeric {
			return v, nil
		}
	case int32:
		if k == kindInt4 {
			return v, nil
		}
	case int16:
		if k == kindInt2 {
			return v, nil
		}
	case float64:
		if k == kindFloat8 || k == kindNumeric {
			return v, nil
		}
	case float32:
		if k == kindFloat4 {
			return v, nil
		}
	case bool:
		if k == kindBool {
			return v, nil
		}
	case []byte:
		if k == kindBytea {
			return v, nil
		}
	case string:
		if k == kindText {
			return v, checkText(v.(string))
		}
	}
	switch k {
	case kindBool:
		switch v := v.(type) {
		case bool:
			return v, nil
		case string:
			switch strings.ToLower(strings.TrimSpace(v)) {
			case "t", "true", "y", "yes", "on", "1":
				return true, nil
			case "f", "false", "n", "no", "off", "0":
				return false, nil
			}
		}
	case kindInt2, kindInt4, kindInt8:
		n, ok := toInt64(v)
		if !ok {
			break
		}
		switch k {
		case kindInt2:
			if n < math.MinInt16 || n > math.MaxInt16 {
				return nil, fmt.Errorf("%d is out of range for smallint", n)
			}
			return int16(n), nil
		case kindInt4:
			if n < math.MinInt32 || n > math.MaxInt32 {
				return nil, fmt.Errorf("%d is out of range for integer", n)
			}
			return int32(n), nil
		}
		return n, nil
	case kindFloat4, kindFloat8:
		f, ok := toFloat64(v)
		if !ok {
			break
		}
		if k == kindFloat4 {
			return float32(f), nil
		}
		return f, nil
	case kindNumeric:
		switch v := v.(type) {
		case sdk.Decimal:
			if v.Unscaled == nil {
				return nil, errors.New("decimal without a value")
			}
			return pgtype.Numeric{Int: v.Unscaled, Exp: -v.Scale, Valid: true}, nil
		case uint64:
			return pgtype.Numeric{Int: new(big.Int).SetUint64(v), Valid: true}, nil
		case string:
			var n pgtype.Numeric
			if err := n.Scan(strings.TrimSpace(v)); err != nil {
				return nil, fmt.Errorf("%q is not a number", v)
			}
			return n, nil
		case float32:
			return float64(v), nil
		case float64:
			return v, nil
		}
		if n, ok := toInt64(v); ok {
			return n, nil
		}
	case kindText:
		s, err := textOf(v, false)
		if err != nil {
			return nil, err
		}
		return s, checkText(s)
	case kindOther:
		s, err := textOf(v, true)
		if err != nil {
			return nil, err
		}
		return s, checkText(s)
	case kindBytea:
		switch v := v.(type) {
		case []byte:
			return v, nil
		case sdk.Raw:
			return []byte(v), nil
		case string:
			return []byte(v), nil
		}
	case kindDate:
		switch v := v.(type) {
		case time.Time:
			return pgtype.Date{Time: v.UTC(), Valid: true}, nil
		case string:
			t, err := parseTime(v, "2006-01-02")
			if err != nil {
				return nil, err
			}
			return pgtype.Date{Time: t, Valid: true}, nil
		}
		if n, ok := toInt64(v); ok { // Connect's Date: days since the epoch
			return pgtype.Date{Time: time.Unix(n*86400, 0).UTC(), Valid: true}, nil
		}
	case kindTime:
		switch v := v.(type) {
		case time.Time:
			v = v.UTC()
			us := int64(v.Hour())*3_600_000_000 + int64(v.Minute())*60_000_000 +
				int64(v.Second())*1_000_000 + int64(v.Nanosecond())/1000
			return pgtype.Time{Microseconds: us, Valid: true}, nil
		case string:
			t, err := parseTime(v, "15:04:05.999999999", "15:04")
			if err != nil {
				return nil, err
			}
			return coerce(t, k)
		}
		if n, ok := toInt64(v); ok { // Connect's Time: milliseconds of the day
			if n < 0 || n >= 86_400_000 {
				return nil, fmt.Errorf("%d ms is not a time of day", n)
			}
			return pgtype.Time{Microseconds: n * 1000, Valid: true}, nil
		}
	case kindTimestamp, kindTimestamptz:
		switch v := v.(type) {
		case time.Time:
			return v.UTC(), nil
		case string:
			return parseTime(v, time.RFC3339Nano, "2006-01-02 15:04:05.999999999Z07:00",
				"2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999", "2006-01-02")
		}
		if n, ok := toInt64(v); ok { // Connect's Timestamp: milliseconds since the epoch
			return time.UnixMilli(n).UTC(), nil
		}
	case kindJSON, kindJSONB:
		var js []byte
		if s, ok := v.(string); ok && json.Valid([]byte(s)) {
			js = []byte(s)
		} else {
			var err error
			if js, err = sdk.AppendJSON(nil, v); err != nil {
				return nil, err
			}
		}
		if k == kindJSONB && bytes.Contains(js, []byte(`\u0000`)) {
			return nil, errors.New("jsonb cannot hold the character U+0000")
		}
		return string(js), nil
	case kindUUID:
		switch v := v.(type) {
		case string:
			var u pgtype.UUID
			if err := u.Scan(strings.TrimSpace(v)); err != nil {
				return nil, fmt.Errorf("%q is not a UUID", v)
			}
			return u, nil
		case []byte:
			if len(v) == 16 {
				return pgtype.UUID{Bytes: [16]byte(v), Valid: true}, nil
			}
		}
	}
	return nil, fmt.Errorf("cannot store a %s value (%s)", typeName(v), preview(v))
}

func preview(v any) string {
	s, err := textOf(v, false)
	if err != nil {
		s = fmt.Sprint(v)
	}
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	return strconv.Quote(s)
}

func toInt64(v any) (int64, bool) {
	switch v := v.(type) {
	case int8:
		return int64(v), true
	case int16:
		return int64(v), true
	case int32:
		return int64(v), true
	case int64:
		return v, true
	case int:
		return int64(v), true
	case uint8:
		return int64(v), true
	case uint16:
		return int64(v), true
	case uint32:
		return int64(v), true
	case uint64:
		if v <= math.MaxInt64 {
			return int64(v), true
		}
	case float64:
		if v == math.Trunc(v) && v >= math.MinInt64 && v < math.MaxInt64 {
			return int64(v), true
		}
	case float32:
		f := float64(v)
		if f == math.Trunc(f) && f >= math.MinInt64 && f < math.MaxInt64 {
			return int64(f), true
		}
	case sdk.Decimal:
		if v.Unscaled != nil {
			r := v.Rat()
			if r.IsInt() && r.Num().IsInt64() {
				return r.Num().Int64(), true
			}
		}
	case string:
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		return n, err == nil
	}
	return 0, false
}

func toFloat64(v any) (float64, bool) {
	switch v := v.(type) {
	case float32:
		return float64(v), true
	case float64:
		return v, true
	case sdk.Decimal:
		if v.Unscaled != nil {
			f, _ := v.Rat().Float64()
			return f, true
		}
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		return f, err == nil
	}
	if n, ok := toInt64(v); ok {
		return float64(n), true
	}
	return 0, false
}

func parseTime(s string, layouts ...string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, l := range layouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a date or time", s)
}

// checkText rejects what PostgreSQL's text types cannot hold.
func checkText(s string) error {
	if strings.IndexByte(s, 0) >= 0 {
		return errors.New("text cannot contain the NUL character")
	}
	if !utf8.ValidString(s) {
		return errors.New("text is not valid UTF-8")
	}
	return nil
}

// textOf formats a value as text: scalars in their usual form, structs and
// maps as JSON, and arrays as JSON or, when pgArray is set (a column of a type
// the sink does not know, such as integer[]), as a PostgreSQL array literal.
func textOf(v any, pgArray bool) (string, error) {
	switch v := v.(type) {
	case string:
		return v, nil
	case []byte:
		return string(v), nil
	case sdk.Raw:
		return string(v), nil
	case bool:
		return strconv.FormatBool(v), nil
	case float32:
		return strconv.FormatFloat(float64(v), 'g', -1, 32), nil
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64), nil
	case sdk.Decimal:
		return v.String(), nil
	case time.Time:
		return v.UTC().Format(time.RFC3339Nano), nil
	case []any:
		if pgArray {
			b, err := appendPGArray(nil, v)
			return string(b), err
		}
	}
	if n, ok := toInt64(v); ok {
		return strconv.FormatInt(n, 10), nil
	}
	if u, ok := v.(uint64); ok {
		return strconv.FormatUint(u, 10), nil
	}
	b, err := sdk.AppendJSON(nil, v)
	return string(b), err
}

// appendPGArray writes a PostgreSQL array literal: {1,2,"a b",NULL,{3}}.
func appendPGArray(b []byte, a []any) ([]byte, error) {
	b = append(b, '{')
	for i, e := range a {
		if i > 0 {
			b = append(b, ',')
		}
		switch e := e.(type) {
		case nil:
			b = append(b, "NULL"...)
		case []any:
			var err error
			if b, err = appendPGArray(b, e); err != nil {
				return nil, err
			}
		default:
			s, err := textOf(e, true)
			if err != nil {
				return nil, err
			}
			b = append(b, '"')
			for _, c := range []byte(s) {
				if c == '"' || c == '\\' {
					b = append(b, '\\')
				}
				b = append(b, c)
			}
			b = append(b, '"')
		}
	}
	return append(b, '}'), nil
}
