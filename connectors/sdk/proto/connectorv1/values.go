package connectorv1

import (
	"fmt"
	"math/big"
	"time"

	"github.com/freshet-dev/freshet/connectors/sdk"
)

// schemaTable numbers the schemas of one batch chunk: each distinct
// *sdk.Schema gets a 1-based index, so records that share a schema share
// its encoding.
type schemaTable struct {
	index map[*sdk.Schema]uint32
	list  []*sdk.Schema
	// last and lastRef are the last schema looked up and its index:
	// records in a row mostly share their schemas.
	last    *sdk.Schema
	lastRef uint32
}

func (t *schemaTable) reset() {
	t.last, t.lastRef = nil, 0
	clear(t.index)
	clear(t.list)
	t.list = t.list[:0]
}

// ref returns the index of s, adding it and the schemas it refers to.
func (t *schemaTable) ref(s *sdk.Schema) uint32 {
	if s == nil {
		return 0
	}
	if s == t.last {
		return t.lastRef
	}
	if i, ok := t.index[s]; ok {
		t.last, t.lastRef = s, i
		return i
	}
	if t.index == nil {
		t.index = map[*sdk.Schema]uint32{}
	}
	t.list = append(t.list, s)
	i := uint32(len(t.list))
	t.index[s] = i
	for f := range s.Fields {
		t.ref(s.Fields[f].Schema)
	}
	t.ref(s.Key)
	t.ref(s.Elem)
	return i
}

// messages encodes every schema in the table. Defaults may add schemas of
// their own (a struct default), so the list is walked until it stops growing.
func (t *schemaTable) messages() ([]*Schema, error) {
	out := make([]*Schema, 0, len(t.list))
	for i := 0; i < len(t.list); i++ {
		s := t.list[i]
		m := &Schema{
			Type: Type(s.Type), Optional: s.Optional, Name: s.Name, Version: int32(s.Version),
			Doc: s.Doc, Parameters: s.Parameters, Key: t.ref(s.Key), Elem: t.ref(s.Elem),
		}
		if len(s.Fields) > 0 {
			m.Fields = make([]*Field, len(s.Fields))
			for f := range s.Fields {
				m.Fields[f] = &Field{Name: s.Fields[f].Name, Schema: t.ref(s.Fields[f].Schema)}
			}
		}
		if s.Default != nil {
			d, err := t.value(s.Default)
			if err != nil {
				return nil, fmt.Errorf("default of schema %q: %w", s.Name, err)
			}
			m.Default = d
		}
		out = append(out, m)
	}
	return out, nil
}

// value encodes v; nil encodes as nil (null).
func (t *schemaTable) value(v any) (*Value, error) {
	var k isValue_Kind
	switch v := v.(type) {
	case nil:
		return nil, nil
	case bool:
		k = &Value_Bool{Bool: v}
	case int8:
		k = &Value_Int8{Int8: int32(v)}
	case int16:
		k = &Value_Int16{Int16: int32(v)}
	case int32:
		k = &Value_Int32{Int32: v}
	case int64:
		k = &Value_Int64{Int64: v}
	case int:
		k = &Value_Int64{Int64: int64(v)}
	case float32:
		k = &Value_Float32{Float32: v}
	case float64:
		k = &Value_Float64{Float64: v}
	case string:
		k = &Value_String_{String_: v}
	case []byte:
		if v == nil {
			return nil, nil
		}
		k = &Value_Bytes{Bytes: v}
	case sdk.Raw:
		if v == nil {
			return nil, nil
		}
		k = &Value_Raw{Raw: v}
	case []any:
		l := &ValueList{Values: make([]*Value, len(v))}
		for i, e := range v {
			ev, err := t.value(e)
			if err != nil {
				return nil, fmt.Errorf("item %d: %w", i, err)
			}
			l.Values[i] = orNull(ev)
		}
		k = &Value_Array{Array: l}
	case map[string]any:
		m := &StringMap{Entries: make(map[string]*Value, len(v))}
		for key, e := range v {
			ev, err := t.value(e)
			if err != nil {
				return nil, fmt.Errorf("key %q: %w", key, err)
			}
			m.Entries[key] = orNull(ev)
		}
		k = &Value_StringMap{StringMap: m}
	case map[any]any:
		m := &MapValue{Entries: make([]*MapEntry, 0, len(v))}
		for key, e := range v {
			kv, err := t.value(key)
			if err != nil {
				return nil, fmt.Errorf("map key %v: %w", key, err)
			}
			ev, err := t.value(e)
			if err != nil {
				return nil, fmt.Errorf("map key %v: %w", key, err)
			}
			m.Entries = append(m.Entries, &MapEntry{Key: kv, Value: ev})
		}
		k = &Value_Map{Map: m}
	case *sdk.Struct:
		if v == nil {
			return nil, nil
		}
		if v.Schema == nil {
			return nil, fmt.Errorf("struct value without a schema")
		}
		s := &StructValue{Schema: t.ref(v.Schema), Values: make([]*Value, len(v.Values))}
		for i, e := range v.Values {
			ev, err := t.value(e)
			if err != nil {
				name := fmt.Sprint(i)
				if i < len(v.Schema.Fields) {
					name = v.Schema.Fields[i].Name
				}
				return nil, fmt.Errorf("field %s: %w", name, err)
			}
			s.Values[i] = orNull(ev)
		}
		k = &Value_Struct{Struct: s}
	case sdk.Decimal:
		k = decimalKind(v)
	case *sdk.Decimal:
		if v == nil {
			return nil, nil
		}
		k = decimalKind(*v)
	case time.Time:
		k = &Value_Time{Time: &Time{Seconds: v.Unix(), Nanos: int32(v.Nanosecond())}}
	default:
		return nil, fmt.Errorf("value of Go type %T is not in Kafka Connect's data model", v)
	}
	return &Value{Kind: k}, nil
}

// orNull stands in an empty Value for nil inside lists and maps, whose
// elements protobuf cannot leave out.
func orNull(v *Value) *Value {
	if v == nil {
		return &Value{}
	}
	return v
}

func decimalKind(d sdk.Decimal) isValue_Kind {
	var b []byte
	if d.Unscaled != nil {
		b = twosComplement(d.Unscaled)
	}
	return &Value_Decimal{Decimal: &Decimal{Unscaled: b, Scale: d.Scale}}
}

// twosComplement returns n as Java's BigInteger.toByteArray does.
func twosComplement(n *big.Int) []byte {
	if n.Sign() >= 0 {
		b := n.Bytes()
		if len(b) == 0 || b[0]&0x80 != 0 {
			b = append([]byte{0}, b...)
		}
		return b
	}
	// -n - 1, bits inverted.
	m := new(big.Int).Add(n, big.NewInt(1))
	b := m.Neg(m).Bytes()
	for i := range b {
		b[i] = ^b[i]
	}
	if len(b) == 0 || b[0]&0x80 == 0 {
		b = append([]byte{0xff}, b...)
	}
	return b
}

func fromTwosComplement(b []byte) *big.Int {
	n := new(big.Int).SetBytes(b)
	if len(b) > 0 && b[0]&0x80 != 0 {
		n.Sub(n, new(big.Int).Lsh(big.NewInt(1), uint(len(b))*8))
	}
	return n
}

// decodedSchemas resolves schema references of one chunk.
type decodedSchemas []*sdk.Schema

func (d decodedSchemas) get(i uint32) (*sdk.Schema, error) {
	if i == 0 {
		return nil, nil
	}
	if int(i) > len(d) {
		return nil, fmt.Errorf("schema reference %d out of range (%d schemas)", i, len(d))
	}
	return d[i-1], nil
}

// decodeSchemas builds the chunk's schemas: first every node, then the
// references between them, then the defaults, which may refer to any.
func decodeSchemas(ms []*Schema) (decodedSchemas, error) {
	if len(ms) == 0 {
		return nil, nil
	}
	d := make(decodedSchemas, len(ms))
	for i := range ms {
		d[i] = &sdk.Schema{}
	}
	var err error
	for i, m := range ms {
		s := d[i]
		s.Type, s.Optional, s.Name, s.Version, s.Doc = sdk.Type(m.Type), m.Optional, m.Name, int(m.Version), m.Doc
		if len(m.Parameters) > 0 {
			s.Parameters = m.Parameters
		}
		if s.Key, err = d.get(m.Key); err != nil {
			return nil, err
		}
		if s.Elem, err = d.get(m.Elem); err != nil {
			return nil, err
		}
		if len(m.Fields) > 0 {
			s.Fields = make([]sdk.Field, len(m.Fields))
			for f, fm := range m.Fields {
				fs, err := d.get(fm.Schema)
				if err != nil {
					return nil, err
				}
				s.Fields[f] = sdk.Field{Name: fm.Name, Index: f, Schema: fs}
			}
		}
		s.Index()
	}
	for i, m := range ms {
		if m.Default != nil {
			if d[i].Default, err = d.value(m.Default); err != nil {
				return nil, fmt.Errorf("default of schema %q: %w", m.Name, err)
			}
		}
	}
	return d, nil
}

// value decodes m; a nil or empty Value is nil.
func (d decodedSchemas) value(m *Value) (any, error) {
	if m == nil {
		return nil, nil
	}
	switch k := m.Kind.(type) {
	case nil:
		return nil, nil
	case *Value_Bool:
		return k.Bool, nil
	case *Value_Int8:
		return int8(k.Int8), nil
	case *Value_Int16:
		return int16(k.Int16), nil
	case *Value_Int32:
		return k.Int32, nil
	case *Value_Int64:
		return k.Int64, nil
	case *Value_Float32:
		return k.Float32, nil
	case *Value_Float64:
		return k.Float64, nil
	case *Value_String_:
		return k.String_, nil
	case *Value_Bytes:
		if k.Bytes == nil {
			return []byte{}, nil
		}
		return k.Bytes, nil
	case *Value_Raw:
		return sdk.Raw(k.Raw), nil
	case *Value_Array:
		out := make([]any, len(k.Array.GetValues()))
		for i, e := range k.Array.GetValues() {
			v, err := d.value(e)
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
		return out, nil
	case *Value_StringMap:
		out := make(map[string]any, len(k.StringMap.GetEntries()))
		for key, e := range k.StringMap.GetEntries() {
			v, err := d.value(e)
			if err != nil {
				return nil, err
			}
			out[key] = v
		}
		return out, nil
	case *Value_Map:
		out := make(map[any]any, len(k.Map.GetEntries()))
		for _, e := range k.Map.GetEntries() {
			key, err := d.value(e.Key)
			if err != nil {
				return nil, err
			}
			v, err := d.value(e.Value)
			if err != nil {
				return nil, err
			}
			out[key] = v
		}
		return out, nil
	case *Value_Struct:
		s, err := d.get(k.Struct.GetSchema())
		if err != nil {
			return nil, err
		}
		if s == nil {
			return nil, fmt.Errorf("struct value without a schema")
		}
		st := &sdk.Struct{Schema: s, Values: make([]any, len(k.Struct.GetValues()))}
		for i, e := range k.Struct.GetValues() {
			if st.Values[i], err = d.value(e); err != nil {
				return nil, err
			}
		}
		return st, nil
	case *Value_Decimal:
		return sdk.Decimal{Unscaled: fromTwosComplement(k.Decimal.GetUnscaled()), Scale: k.Decimal.GetScale()}, nil
	case *Value_Time:
		return time.Unix(k.Time.GetSeconds(), int64(k.Time.GetNanos())).UTC(), nil
	}
	return nil, fmt.Errorf("unknown value kind %T", m.Kind)
}

// EncodeValue encodes a standalone value, such as a source partition or
// offset map. Struct values are not allowed outside a batch.
func EncodeValue(v any) (*Value, error) {
	var t schemaTable
	m, err := t.value(v)
	if err == nil && len(t.list) > 0 {
		err = fmt.Errorf("struct values are not allowed here")
	}
	return m, err
}

// DecodeValue decodes a standalone value (see EncodeValue).
func DecodeValue(m *Value) (any, error) { return decodedSchemas(nil).value(m) }

// DecodeMap decodes a standalone map value, such as a source partition:
// nil stays nil, and a map of any other shape is an error.
func DecodeMap(m *Value) (map[string]any, error) {
	v, err := DecodeValue(m)
	if err != nil || v == nil {
		return nil, err
	}
	out, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("want a map with string keys, got %T", v)
	}
	return out, nil
}
