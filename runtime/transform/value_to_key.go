package transform

import (
	"fmt"

	"github.com/freshet-dev/freshet/connectors/sdk"
)

// ValueToKey replaces the key with a struct (or map) of some value fields.

const valueToKeyPurpose = "copying fields from value to key"

func valueToKeyDef() *sdk.ConfigDef {
	d := sdk.NewConfigDef().
		List("fields", sdk.Required, "Field names on the record value to extract as the record key.",
			sdk.Check(sdk.NonEmpty(), noDuplicates), sdk.WithImportance(sdk.High))
	return withReplaceNull(d)
}

func noDuplicates(v any) error {
	seen := map[string]bool{}
	for _, it := range v.([]string) {
		if seen[it] {
			return fmt.Errorf("List contains duplicate value %q; list each field once", it)
		}
		seen[it] = true
	}
	return nil
}

type valueToKey struct {
	fields      []string
	replaceNull bool
	cache       schemaCache[*keyLayout]
}

// keyLayout is the key schema derived from one value schema.
type keyLayout struct {
	schema *sdk.Schema
	src    []int // value position of each key field
}

func newValueToKey(c conf) (transformer, error) {
	return &valueToKey{fields: c.list("fields"), replaceNull: c.boolean(replaceNullKey)}, nil
}

func (t *valueToKey) apply(r *sdk.Record) (bool, error) {
	if r.ValueSchema == nil {
		m, err := requireMap(r.Value, valueToKeyPurpose)
		if err != nil {
			return false, err
		}
		key := make(map[string]any, len(t.fields))
		for _, f := range t.fields {
			key[f] = m[f]
		}
		r.Key, r.KeySchema = key, nil
		return true, nil
	}
	st, err := requireStruct(r.Value, valueToKeyPurpose)
	if err != nil {
		return false, err
	}
	lay, err := t.cache.get(st.Schema, t.layout)
	if err != nil {
		return false, err
	}
	vals := make([]any, len(lay.src))
	for i, j := range lay.src {
		vals[i] = fieldValue(st, j, t.replaceNull)
	}
	r.Key, r.KeySchema = &sdk.Struct{Schema: lay.schema, Values: vals}, lay.schema
	return true, nil
}

func (t *valueToKey) layout(in *sdk.Schema) (*keyLayout, error) {
	fields := make([]sdk.Field, len(t.fields))
	src := make([]int, len(t.fields))
	for i, name := range t.fields {
		j := indexOf(in, name)
		if j < 0 {
			return nil, fmt.Errorf("field does not exist: %s", name)
		}
		fields[i] = sdk.Field{Name: name, Schema: in.Fields[j].Schema}
		src[i] = j
	}
	return &keyLayout{schema: derivedStruct(nil, fields), src: src}, nil
}
