package convert

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"os"
	"reflect"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/freshet-dev/freshet/connectors/sdk"
)

// This file loads testdata/jsonconverter.json, the vectors captured from
// Kafka Connect's JsonConverter by tests/vectors/jsonconverter/capture.sh,
// and renders our values in the same canonical form the capture program
// renders Java's.

type vectorFile struct {
	KafkaVersion string        `json:"kafka_version"`
	JavaVersion  string        `json:"java_version"`
	Write        []writeVector `json:"write"`
	Read         []readVector  `json:"read"`
	Doubles      []floatVector `json:"doubles"`
	Floats       []floatVector `json:"floats"`
}

type writeVector struct {
	Name      string            `json:"name"`
	Config    map[string]string `json:"config"`
	Bytes     json.RawMessage   `json:"bytes"` // a JSON string, or null for nil bytes; absent on error
	Error     string            `json:"error"`
	Read      *canonical        `json:"read"`
	ReadError string            `json:"read_error"`
}

type readVector struct {
	Name        string            `json:"name"`
	Config      map[string]string `json:"config"`
	Input       *string           `json:"input"`
	InputBase64 string            `json:"input_base64"`
	Read        *canonical        `json:"read"`
	ReadError   string            `json:"read_error"`
	Accepted    bool              `json:"read_accepted"`
}

type floatVector struct {
	Bits     string `json:"bits"`
	JVM      string `json:"jvm"`
	Shortest string `json:"shortest"`
}

// canonical is a schema and value as the capture program renders them.
type canonical struct {
	Schema json.RawMessage `json:"schema"`
	Value  json.RawMessage `json:"value"`
}

func loadVectors(t testing.TB) *vectorFile {
	t.Helper()
	b, err := os.ReadFile("testdata/jsonconverter.json")
	if err != nil {
		t.Fatalf("read vectors: %v", err)
	}
	var f vectorFile
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatalf("parse vectors: %v", err)
	}
	return &f
}

// input returns the bytes of a write vector: nil for a tombstone.
func (w *writeVector) input(t *testing.T) []byte {
	t.Helper()
	if w.Bytes == nil || string(w.Bytes) == "null" {
		return nil
	}
	var s string
	if err := json.Unmarshal(w.Bytes, &s); err != nil {
		t.Fatalf("bytes of %s: %v", w.Name, err)
	}
	return []byte(s)
}

func (r *readVector) input(t *testing.T) []byte {
	t.Helper()
	if r.InputBase64 != "" {
		b, err := base64.StdEncoding.DecodeString(r.InputBase64)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	if r.Input == nil {
		return nil
	}
	return []byte(*r.Input)
}

// canonSchema renders s as Capture.canonSchema does.
func canonSchema(s *sdk.Schema) any {
	if s == nil {
		return nil
	}
	m := map[string]any{"type": s.Type.String(), "optional": s.Optional}
	if s.Name != "" {
		m["name"] = s.Name
	}
	if s.Version != 0 {
		m["version"] = s.Version
	}
	if s.Doc != "" {
		m["doc"] = s.Doc
	}
	if s.Parameters != nil {
		m["parameters"] = s.Parameters
	}
	if s.Default != nil {
		m["default"] = canonValue(s.Default)
	}
	switch s.Type {
	case sdk.TypeArray:
		m["items"] = canonSchema(s.Elem)
	case sdk.TypeMap:
		m["keys"] = canonSchema(s.Key)
		m["values"] = canonSchema(s.Elem)
	case sdk.TypeStruct:
		fields := []any{}
		for _, f := range s.Fields {
			fields = append(fields, map[string]any{"name": f.Name, "schema": canonSchema(f.Schema)})
		}
		m["fields"] = fields
	}
	return m
}

// canonValue renders v as Capture.canonValue does.
func canonValue(v any) any {
	switch x := v.(type) {
	case nil:
		return nil
	case int8:
		return map[string]any{"int8": strconv.Itoa(int(x))}
	case int16:
		return map[string]any{"int16": strconv.Itoa(int(x))}
	case int32:
		return map[string]any{"int32": strconv.Itoa(int(x))}
	case int64:
		return map[string]any{"int64": strconv.FormatInt(x, 10)}
	case float32:
		return map[string]any{"float32": fmt.Sprintf("%08x", math.Float32bits(x))}
	case float64:
		return map[string]any{"float64": fmt.Sprintf("%016x", math.Float64bits(x))}
	case bool:
		return map[string]any{"boolean": x}
	case string:
		return map[string]any{"string": x}
	case []byte:
		return map[string]any{"bytes": base64.StdEncoding.EncodeToString(x)}
	case sdk.Decimal:
		return map[string]any{"decimal": map[string]any{"unscaled": x.Unscaled.String(), "scale": x.Scale}}
	case time.Time:
		return map[string]any{"time_ms": strconv.FormatInt(x.UnixMilli(), 10)}
	case []any:
		a := []any{}
		for _, el := range x {
			a = append(a, canonValue(el))
		}
		return map[string]any{"array": a}
	case map[any]any:
		a := []any{}
		for k, el := range x {
			a = append(a, []any{canonValue(k), canonValue(el)})
		}
		return map[string]any{"map": a}
	case map[string]any:
		a := []any{}
		for k, el := range x {
			a = append(a, []any{canonValue(k), canonValue(el)})
		}
		return map[string]any{"map": a}
	case *sdk.Struct:
		a := []any{}
		for i, f := range x.Schema.Fields {
			a = append(a, []any{f.Name, canonValue(x.Values[i])})
		}
		return map[string]any{"struct": a}
	}
	return map[string]any{"unknown": fmt.Sprintf("%T", v)}
}

// normalize turns a canonical rendering into plain decoded JSON with the
// pairs of every "map" sorted, so that two renderings compare with
// reflect.DeepEqual whatever the map order.
func normalize(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return sortMaps(out)
}

func sortMaps(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, el := range x {
			x[k] = sortMaps(el)
		}
		if pairs, ok := x["map"].([]any); ok && len(x) == 1 {
			slices.SortFunc(pairs, func(a, b any) int {
				ka, _ := json.Marshal(a.([]any)[0])
				kb, _ := json.Marshal(b.([]any)[0])
				return bytes.Compare(ka, kb)
			})
		}
		return x
	case []any:
		for i, el := range x {
			x[i] = sortMaps(el)
		}
	}
	return v
}

func rawToAny(t *testing.T, raw json.RawMessage) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	return sortMaps(v)
}

// sameCanonical compares our schema and value with Java's rendering.
func sameCanonical(t *testing.T, want *canonical, s *sdk.Schema, v any) bool {
	t.Helper()
	gotS, gotV := normalize(t, canonSchema(s)), normalize(t, canonValue(v))
	wantS, wantV := rawToAny(t, want.Schema), rawToAny(t, want.Value)
	ok := true
	if !reflect.DeepEqual(gotS, wantS) {
		t.Errorf("schema differs from Kafka Connect's\n got: %s\nwant: %s", mustJSON(gotS), mustJSON(wantS))
		ok = false
	}
	if !reflect.DeepEqual(gotV, wantV) {
		t.Errorf("value differs from Kafka Connect's\n got: %s\nwant: %s", mustJSON(gotV), mustJSON(wantV))
		ok = false
	}
	return ok
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// sameValue is deep equality for the sdk value model: decimals by value and
// scale, times by instant, floats by bits (any NaN equals any NaN), structs
// by schema (Kafka's equality) and values, maps by matching keys by value.
func sameValue(a, b any) bool {
	switch x := a.(type) {
	case nil:
		return b == nil
	case float32:
		y, ok := b.(float32)
		return ok && (math.Float32bits(x) == math.Float32bits(y) || x != x && y != y)
	case float64:
		y, ok := b.(float64)
		return ok && (math.Float64bits(x) == math.Float64bits(y) || x != x && y != y)
	case []byte:
		y, ok := b.([]byte)
		return ok && bytes.Equal(x, y)
	case sdk.Decimal:
		y, ok := b.(sdk.Decimal)
		return ok && x.Scale == y.Scale && x.Unscaled.Cmp(y.Unscaled) == 0
	case time.Time:
		y, ok := b.(time.Time)
		return ok && x.Equal(y) && x.Location() == y.Location()
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) || (x == nil) != (y == nil) {
			return false
		}
		for i := range x {
			if !sameValue(x[i], y[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			w, ok := y[k]
			if !ok || !sameValue(v, w) {
				return false
			}
		}
		return true
	case map[any]any:
		y, ok := b.(map[any]any)
		if !ok || len(x) != len(y) {
			return false
		}
	next:
		for k, v := range x {
			for k2, w := range y {
				if sameValue(k, k2) && sameValue(v, w) {
					continue next
				}
			}
			return false
		}
		return true
	case *sdk.Struct:
		y, ok := b.(*sdk.Struct)
		if !ok || !sameSchema(x.Schema, y.Schema) || len(x.Values) != len(y.Values) {
			return false
		}
		for i := range x.Values {
			if !sameValue(x.Values[i], y.Values[i]) {
				return false
			}
		}
		return true
	}
	return reflect.TypeOf(a) == reflect.TypeOf(b) && a == b
}

// sameSchema is schemaEqual with sameValue for defaults.
func sameSchema(a, b *sdk.Schema) bool {
	if a == nil || b == nil {
		return a == b
	}
	if a.Type != b.Type || a.Optional != b.Optional || a.Name != b.Name || a.Version != b.Version ||
		a.Doc != b.Doc || len(a.Fields) != len(b.Fields) || !reflect.DeepEqual(a.Parameters, b.Parameters) ||
		!sameValue(a.Default, b.Default) {
		return false
	}
	for i := range a.Fields {
		if a.Fields[i].Name != b.Fields[i].Name || a.Fields[i].Index != b.Fields[i].Index ||
			!sameSchema(a.Fields[i].Schema, b.Fields[i].Schema) {
			return false
		}
	}
	return sameSchema(a.Key, b.Key) && sameSchema(a.Elem, b.Elem)
}

// Helpers to build the Go side of the cases.

func dec(unscaled string, scale int32) sdk.Decimal {
	u, ok := new(big.Int).SetString(unscaled, 10)
	if !ok {
		panic(unscaled)
	}
	return sdk.Decimal{Unscaled: u, Scale: scale}
}

func ms(n int64) time.Time   { return time.UnixMilli(n).UTC() }
func days(n int64) time.Time { return ms(n * millisPerDay) }

func structOf(s *sdk.Schema, kv ...any) *sdk.Struct {
	st := sdk.NewStructValue(s)
	for i := 0; i < len(kv); i += 2 {
		st.Put(kv[i].(string), kv[i+1])
	}
	return st
}

func withDefault(s *sdk.Schema, d any) *sdk.Schema {
	c := *s
	c.Default = d
	return &c
}

func named(s *sdk.Schema, name string, version int) *sdk.Schema {
	c := *s
	c.Name, c.Version = name, version
	return &c
}
