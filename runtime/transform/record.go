package transform

import (
	"fmt"
	"maps"

	"github.com/freshet-dev/freshet/connectors/sdk"
)

// side selects the part of a record a $Key or $Value transform works on.
type side uint8

const (
	valueSide side = iota
	keySide
)

func (s side) get(r *sdk.Record) (any, *sdk.Schema) {
	if s == keySide {
		return r.Key, r.KeySchema
	}
	return r.Value, r.ValueSchema
}

func (s side) set(r *sdk.Record, v any, schema *sdk.Schema) {
	if s == keySide {
		r.Key, r.KeySchema = v, schema
		return
	}
	r.Value, r.ValueSchema = v, schema
}

// typeName names v's type in an error message, as Kafka Connect's
// nullSafeClassName does.
func typeName(v any) string {
	if v == nil {
		return "null"
	}
	return fmt.Sprintf("%T", v)
}

// requireMap returns a schemaless value as a map, as Kafka Connect's
// Requirements.requireMap.
func requireMap(v any, purpose string) (map[string]any, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("only map objects supported in absence of schema for [%s], found: %s", purpose, typeName(v))
	}
	return m, nil
}

// requireMapOrNull is requireMap that lets nil through.
func requireMapOrNull(v any, purpose string) (map[string]any, error) {
	if v == nil {
		return nil, nil
	}
	return requireMap(v, purpose)
}

// requireStruct returns a value with a schema as a struct whose schema is a
// struct schema.
func requireStruct(v any, purpose string) (*sdk.Struct, error) {
	st, ok := v.(*sdk.Struct)
	if !ok || st == nil || st.Schema == nil || st.Schema.Type != sdk.TypeStruct {
		return nil, fmt.Errorf("only struct objects supported for [%s], found: %s", purpose, typeName(v))
	}
	return st, nil
}

// requireStructOrNull is requireStruct that lets nil through.
func requireStructOrNull(v any, purpose string) (*sdk.Struct, error) {
	if v == nil {
		return nil, nil
	}
	if st, ok := v.(*sdk.Struct); ok && st == nil {
		return nil, nil
	}
	return requireStruct(v, purpose)
}

// fieldValue returns the value of field i of st. With useDefault, a null
// value of a field whose schema has a default reads as the default, as Kafka
// Connect's Struct.get does (replace.null.with.default=true).
func fieldValue(st *sdk.Struct, i int, useDefault bool) any {
	var v any
	if i < len(st.Values) {
		v = st.Values[i]
	}
	if v == nil && useDefault {
		if fs := st.Schema.Fields[i].Schema; fs != nil && fs.Default != nil {
			return fs.Default
		}
	}
	return v
}

// derivedStruct returns a struct schema with fields, carrying over the name,
// version, doc and parameters of base. Like Kafka Connect's
// SchemaUtil.copySchemaBasics it does not carry over optionality or a default,
// so the derived schemas match those Kafka Connect would produce.
func derivedStruct(base *sdk.Schema, fields []sdk.Field) *sdk.Schema {
	s := &sdk.Schema{Type: sdk.TypeStruct, Fields: fields}
	if base != nil {
		s.Name, s.Version, s.Doc = base.Name, base.Version, base.Doc
		s.Parameters = maps.Clone(base.Parameters)
	}
	s.Index()
	return s
}

// indexOf returns the position of the field named name in s, or -1.
func indexOf(s *sdk.Schema, name string) int {
	f := s.Field(name)
	if f == nil {
		return -1
	}
	if f.Index >= 0 && f.Index < len(s.Fields) && s.Fields[f.Index].Name == name {
		return f.Index
	}
	for i := range s.Fields { // a schema literal whose Index was never built
		if s.Fields[i].Name == name {
			return i
		}
	}
	return -1
}
