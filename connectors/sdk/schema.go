package sdk

import (
	"fmt"
	"math/big"
	"time"
)

// Type is a Kafka Connect schema type.
type Type uint8

// The Kafka Connect schema types. Their String forms are Kafka Connect's
// Schema.Type names in lower case (int8 … struct).
const (
	TypeInt8 Type = iota + 1
	TypeInt16
	TypeInt32
	TypeInt64
	TypeFloat32
	TypeFloat64
	TypeBoolean
	TypeString
	TypeBytes
	TypeArray
	TypeMap
	TypeStruct
)

var typeNames = [...]string{
	TypeInt8: "int8", TypeInt16: "int16", TypeInt32: "int32", TypeInt64: "int64",
	TypeFloat32: "float32", TypeFloat64: "float64", TypeBoolean: "boolean",
	TypeString: "string", TypeBytes: "bytes", TypeArray: "array", TypeMap: "map",
	TypeStruct: "struct",
}

func (t Type) String() string {
	if int(t) < len(typeNames) && typeNames[t] != "" {
		return typeNames[t]
	}
	return fmt.Sprintf("Type(%d)", t)
}

// IsPrimitive reports whether t is neither array, map nor struct.
func (t Type) IsPrimitive() bool { return t >= TypeInt8 && t <= TypeBytes }

// Names of Kafka Connect's logical types.
const (
	DecimalName   = "org.apache.kafka.connect.data.Decimal"
	DateName      = "org.apache.kafka.connect.data.Date"
	TimeName      = "org.apache.kafka.connect.data.Time"
	TimestampName = "org.apache.kafka.connect.data.Timestamp"
	// DecimalScaleParam is the schema parameter that holds a Decimal's scale.
	DecimalScaleParam = "scale"
)

// Schema is a Kafka Connect schema. Schemas are values: build them once and
// share them; never change one that a record already uses.
//
// Go values for each type, as converters produce and connectors receive them:
// int8, int16, int32, int64, float32, float64, bool, string, []byte, []any
// (array), map[any]any (map; keys of the key schema's Go type), *Struct
// (struct), and nil for a null of an optional schema. Logical types use
// Decimal (Decimal), and time.Time in UTC (Date, Time, Timestamp).
//
// Values without a schema (JSON with schemas.enable=false) use JSON's model:
// nil, bool, int64 for integral numbers, float64, string, []any and
// map[string]any.
type Schema struct {
	Type     Type
	Optional bool
	Default  any
	Name     string
	Version  int // 0 means not set
	Doc      string
	// Parameters are Kafka Connect schema parameters, e.g. a Decimal's scale.
	Parameters map[string]string

	Fields []Field // struct
	Key    *Schema // map keys
	Elem   *Schema // array items and map values
	index  map[string]int
}

// Field is one field of a struct schema.
type Field struct {
	Name   string
	Index  int
	Schema *Schema
}

// Field returns the struct field named name, or nil.
func (s *Schema) Field(name string) *Field {
	if s.index == nil {
		for i := range s.Fields {
			if s.Fields[i].Name == name {
				return &s.Fields[i]
			}
		}
		return nil
	}
	i, ok := s.index[name]
	if !ok {
		return nil
	}
	return &s.Fields[i]
}

// Primitive schemas, required and optional, shared by converters and connectors.
var (
	Int8Schema            = &Schema{Type: TypeInt8}
	Int16Schema           = &Schema{Type: TypeInt16}
	Int32Schema           = &Schema{Type: TypeInt32}
	Int64Schema           = &Schema{Type: TypeInt64}
	Float32Schema         = &Schema{Type: TypeFloat32}
	Float64Schema         = &Schema{Type: TypeFloat64}
	BooleanSchema         = &Schema{Type: TypeBoolean}
	StringSchema          = &Schema{Type: TypeString}
	BytesSchema           = &Schema{Type: TypeBytes}
	OptionalInt8Schema    = &Schema{Type: TypeInt8, Optional: true}
	OptionalInt16Schema   = &Schema{Type: TypeInt16, Optional: true}
	OptionalInt32Schema   = &Schema{Type: TypeInt32, Optional: true}
	OptionalInt64Schema   = &Schema{Type: TypeInt64, Optional: true}
	OptionalFloat32Schema = &Schema{Type: TypeFloat32, Optional: true}
	OptionalFloat64Schema = &Schema{Type: TypeFloat64, Optional: true}
	OptionalBooleanSchema = &Schema{Type: TypeBoolean, Optional: true}
	OptionalStringSchema  = &Schema{Type: TypeString, Optional: true}
	OptionalBytesSchema   = &Schema{Type: TypeBytes, Optional: true}
)

// StructBuilder builds a struct schema.
type StructBuilder struct{ s Schema }

// NewStruct starts a struct schema with the given name (may be empty).
func NewStruct(name string) *StructBuilder {
	return &StructBuilder{s: Schema{Type: TypeStruct, Name: name}}
}

// Field appends a field.
func (b *StructBuilder) Field(name string, s *Schema) *StructBuilder {
	b.s.Fields = append(b.s.Fields, Field{Name: name, Index: len(b.s.Fields), Schema: s})
	return b
}

// Optional marks the struct optional.
func (b *StructBuilder) Optional() *StructBuilder { b.s.Optional = true; return b }

// Version sets the schema version.
func (b *StructBuilder) Version(v int) *StructBuilder { b.s.Version = v; return b }

// Doc sets the schema doc.
func (b *StructBuilder) Doc(d string) *StructBuilder { b.s.Doc = d; return b }

// Build returns the schema. The builder must not be used afterwards.
func (b *StructBuilder) Build() *Schema {
	s := b.s
	s.Index()
	return &s
}

// Index builds the field-name index of a struct schema. Builders call it;
// code that assembles a Schema literal with Fields should call it once before
// sharing the schema.
func (s *Schema) Index() {
	if s.Type != TypeStruct {
		return
	}
	s.index = make(map[string]int, len(s.Fields))
	for i := range s.Fields {
		s.Fields[i].Index = i
		s.index[s.Fields[i].Name] = i
	}
}

// ArrayOf returns a required array schema of elem.
func ArrayOf(elem *Schema) *Schema { return &Schema{Type: TypeArray, Elem: elem} }

// MapOf returns a required map schema.
func MapOf(key, value *Schema) *Schema { return &Schema{Type: TypeMap, Key: key, Elem: value} }

// DecimalSchema returns Kafka Connect's Decimal logical schema with the given scale.
func DecimalSchema(scale int32) *Schema {
	return &Schema{Type: TypeBytes, Name: DecimalName, Version: 1,
		Parameters: map[string]string{DecimalScaleParam: fmt.Sprint(scale)}}
}

// Logical schemas for dates and times.
var (
	DateSchema      = &Schema{Type: TypeInt32, Name: DateName, Version: 1}
	TimeSchema      = &Schema{Type: TypeInt32, Name: TimeName, Version: 1}
	TimestampSchema = &Schema{Type: TypeInt64, Name: TimestampName, Version: 1}
)

// WithOptional returns a copy of s marked optional.
func (s *Schema) WithOptional() *Schema {
	c := *s
	c.Optional = true
	return &c
}

// Decimal is a Kafka Connect Decimal value: Unscaled × 10^-Scale.
type Decimal struct {
	Unscaled *big.Int
	Scale    int32
}

// Rat returns d as an exact rational.
func (d Decimal) Rat() *big.Rat {
	den := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(d.Scale)), nil)
	return new(big.Rat).SetFrac(d.Unscaled, den)
}

// String formats d as a plain decimal number such as "12.50".
func (d Decimal) String() string {
	if d.Unscaled == nil {
		return "<nil>"
	}
	if d.Scale <= 0 {
		return new(big.Int).Mul(d.Unscaled, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(-d.Scale)), nil)).String()
	}
	return d.Rat().FloatString(int(d.Scale))
}

// Struct is a value of a struct schema.
type Struct struct {
	Schema *Schema
	Values []any // by field index
}

// NewStructValue returns an empty struct value of schema s.
func NewStructValue(s *Schema) *Struct {
	return &Struct{Schema: s, Values: make([]any, len(s.Fields))}
}

// Get returns the value of the named field, or nil when there is no such field.
func (v *Struct) Get(name string) any {
	f := v.Schema.Field(name)
	if f == nil {
		return nil
	}
	return v.Values[f.Index]
}

// Put sets the named field and returns v; it panics on an unknown field name,
// which is a programming error.
func (v *Struct) Put(name string, value any) *Struct {
	f := v.Schema.Field(name)
	if f == nil {
		panic(fmt.Sprintf("sdk: struct %q has no field %q", v.Schema.Name, name))
	}
	v.Values[f.Index] = value
	return v
}

// Epoch helpers for the logical types.

// DaysSinceEpoch converts a Date value to Kafka Connect's int32 form.
func DaysSinceEpoch(t time.Time) int32 {
	return int32(t.UTC().Unix() / 86400)
}

// MillisOfDay converts a Time value to Kafka Connect's int32 form.
func MillisOfDay(t time.Time) int32 {
	t = t.UTC()
	return int32(t.Hour()*3600000 + t.Minute()*60000 + t.Second()*1000 + t.Nanosecond()/1e6)
}
