package transform

import (
	"errors"
	"fmt"
	"maps"
	"strings"
	"time"

	"github.com/freshet-dev/freshet/connectors/sdk"
)

// InsertField inserts the record's topic, partition, offset and timestamp,
// and a static string, as fields of the key or value.

const insertPurpose = "field insertion"

func insertFieldDef() *sdk.ConfigDef {
	const opt = " Suffix with ! to make this a required field, or ? to keep it optional (the default)."
	d := sdk.NewConfigDef().
		String("topic.field", nil, "Field name for Kafka topic."+opt).
		String("partition.field", nil, "Field name for Kafka partition."+opt).
		String("offset.field", nil, "Field name for Kafka offset - only applicable to sink connectors."+opt).
		String("timestamp.field", nil, "Field name for record timestamp."+opt).
		String("static.field", nil, "Field name for static data field."+opt).
		String("static.value", nil, "Static field value, if field name configured.")
	return withReplaceNull(d)
}

type insertKind uint8

const (
	insertTopic insertKind = iota
	insertPartition
	insertOffset
	insertTimestamp
	insertStatic
)

// insertion is one configured field to insert.
type insertion struct {
	kind     insertKind
	key      string // its config key, e.g. timestamp.field
	name     string
	optional bool
}

type insertField struct {
	side         side
	fields       []insertion // in Kafka Connect's order: topic, partition, offset, timestamp, static
	static       any         // static.value, boxed once
	replaceNull  bool
	optTimestamp *sdk.Schema
	cache        schemaCache[*insertLayout]
}

// insertLayout is what InsertField derives from one input schema.
type insertLayout struct {
	schema *sdk.Schema
	copyN  int   // input fields, copied by position
	pos    []int // output position of each insertion, parallel to fields
}

func newInsertField(c conf, s side) (transformer, error) {
	t := &insertField{side: s, replaceNull: c.boolean(replaceNullKey), optTimestamp: sdk.TimestampSchema.WithOptional()}
	var errs []error
	used := map[string]string{}
	for i, key := range []string{"topic.field", "partition.field", "offset.field", "timestamp.field", "static.field"} {
		if !c.has(key) {
			continue
		}
		raw := c.str(key)
		name, optional := raw, true
		if n, ok := strings.CutSuffix(raw, "?"); ok {
			name = n
		} else if n, ok := strings.CutSuffix(raw, "!"); ok {
			name, optional = n, false
		}
		if name == "" {
			errs = append(errs, c.invalid(key, raw, "the field name is empty; set a name, optionally suffixed with ! or ?"))
			continue
		}
		if other, dup := used[name]; dup {
			errs = append(errs, c.invalid(key, raw, "field %q is already inserted by %s; choose another name", name, c.key(other)))
			continue
		}
		used[name] = key
		t.fields = append(t.fields, insertion{kind: insertKind(i), key: key, name: name, optional: optional})
	}
	if len(t.fields) == 0 && len(errs) == 0 {
		errs = append(errs, configErr(c.key("topic.field"),
			"No field insertion configured: set at least one of %s, %s, %s, %s or %s (with %s).",
			c.key("topic.field"), c.key("partition.field"), c.key("offset.field"), c.key("timestamp.field"),
			c.key("static.field"), c.key("static.value")))
	}
	if c.has("static.field") && !c.has("static.value") {
		errs = append(errs, configErr(c.key("static.value"),
			"No value specified for static field: %s. Set %s.", c.str("static.field"), c.key("static.value")))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	t.static = c.str("static.value")
	return t, nil
}

func (t *insertField) apply(r *sdk.Record) (bool, error) {
	v, schema := t.side.get(r)
	if v == nil {
		return true, nil // a tombstone passes through, as in current Kafka Connect
	}
	if schema == nil {
		return true, t.applySchemaless(r, v)
	}
	return true, t.applyWithSchema(r, v)
}

func (t *insertField) applySchemaless(r *sdk.Record, v any) error {
	m, err := requireMap(v, insertPurpose)
	if err != nil {
		return err
	}
	out := make(map[string]any, len(m)+len(t.fields))
	maps.Copy(out, m)
	for i := range t.fields {
		f := &t.fields[i]
		switch f.kind {
		case insertTopic:
			out[f.name] = r.Topic
		case insertPartition:
			out[f.name] = r.Partition
		case insertOffset:
			if err := requireSink(r); err != nil {
				return err
			}
			out[f.name] = r.Offset
		case insertTimestamp:
			if ms, ok := timestampMillis(r); ok {
				out[f.name] = ms // schemaless: epoch milliseconds, as Kafka Connect inserts a Long
			}
		case insertStatic:
			out[f.name] = t.static
		}
	}
	t.side.set(r, out, nil)
	return nil
}

func (t *insertField) applyWithSchema(r *sdk.Record, v any) error {
	st, err := requireStruct(v, insertPurpose)
	if err != nil {
		return err
	}
	lay, err := t.cache.get(st.Schema, t.layout)
	if err != nil {
		return err
	}
	vals := make([]any, len(lay.schema.Fields))
	for i := 0; i < lay.copyN; i++ {
		vals[i] = fieldValue(st, i, t.replaceNull)
	}
	for i := range t.fields {
		f := &t.fields[i]
		var fv any
		switch f.kind {
		case insertTopic:
			fv = r.Topic
		case insertPartition:
			fv = r.Partition
		case insertOffset:
			if err := requireSink(r); err != nil {
				return err
			}
			fv = r.Offset
		case insertTimestamp:
			if ms, ok := timestampMillis(r); ok {
				fv = time.UnixMilli(ms).UTC()
			} else if !f.optional {
				return fmt.Errorf("%s %q is required (suffix !) but the record has no timestamp", f.key, f.name)
			}
		case insertStatic:
			fv = t.static
		}
		vals[lay.pos[i]] = fv
	}
	t.side.set(r, &sdk.Struct{Schema: lay.schema, Values: vals}, lay.schema)
	return nil
}

// layout derives the output schema: the input fields, then the inserted ones.
// An inserted field whose name the input already has replaces it in place.
func (t *insertField) layout(in *sdk.Schema) (*insertLayout, error) {
	fields := make([]sdk.Field, len(in.Fields), len(in.Fields)+len(t.fields))
	copy(fields, in.Fields)
	pos := make([]int, len(t.fields))
	for i := range t.fields {
		f := &t.fields[i]
		nf := sdk.Field{Name: f.name, Schema: t.fieldSchema(f)}
		if j := indexOf(in, f.name); j >= 0 {
			fields[j] = nf
			pos[i] = j
			continue
		}
		pos[i] = len(fields)
		fields = append(fields, nf)
	}
	return &insertLayout{schema: derivedStruct(in, fields), copyN: len(in.Fields), pos: pos}, nil
}

func (t *insertField) fieldSchema(f *insertion) *sdk.Schema {
	pick := func(required, optional *sdk.Schema) *sdk.Schema {
		if f.optional {
			return optional
		}
		return required
	}
	switch f.kind {
	case insertPartition:
		return pick(sdk.Int32Schema, sdk.OptionalInt32Schema)
	case insertOffset:
		return pick(sdk.Int64Schema, sdk.OptionalInt64Schema)
	case insertTimestamp:
		return pick(sdk.TimestampSchema, t.optTimestamp)
	default: // topic, static
		return pick(sdk.StringSchema, sdk.OptionalStringSchema)
	}
}

// requireSink rejects offset insertion on a source record, which has no
// Kafka offset yet.
func requireSink(r *sdk.Record) error {
	if r.SourcePartition != nil || r.SourceOffset != nil {
		return fmt.Errorf("only sink records supported for [%s] of the offset, found a source record", insertPurpose)
	}
	return nil
}

// timestampMillis returns the record timestamp in epoch milliseconds, and
// false when the record has none (a zero time, or Kafka's -1).
func timestampMillis(r *sdk.Record) (int64, bool) {
	if r.Timestamp.IsZero() {
		return 0, false
	}
	ms := r.Timestamp.UnixMilli()
	return ms, ms >= 0
}
