package postgres

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/freshet-dev/freshet/connectors/sdk"
)

// opKind is what a record does to its table.
type opKind uint8

const (
	opWrite  opKind = iota // insert, upsert or update, per insert.mode
	opDelete               // a tombstone with delete.enabled
)

// column is one column a record writes.
type column struct {
	name   string
	schema *sdk.Schema // nil when the record has no schema for it
	pk     bool
}

// Where a column's value comes from, for records with schemas.
const (
	fromKey        = iota // the whole (primitive) key
	fromKeyField          // a field of a struct key
	fromValueField        // a field of a struct value
	fromTopic
	fromPartition
	fromOffset
	// lineage columns (freshet.lineage.enable)
	fromTimestamp
	fromSchemaName
	fromSchemaVersion
	fromSchemaID
	fromConnector
	fromConnectorVersion
)

type source struct {
	from uint8
	idx  int
}

// shape is the table and the columns a record writes. Records of one shape
// are written by the same statements. Shapes are immutable once built, except
// for the metadata binding in resolved, which only the writer touches.
type shape struct {
	table tableID
	cols  []column // primary key columns first
	npk   int
	sig   string // table and column names: rows of one segment share it
	pkSig string // table and key column names
	srcs  []source
	// lin holds the connector's name and version for the lineage columns.
	lin *sdk.Lineage
	// set by the writer when bound to the table's metadata
	bound *binding
}

// row is one record seen as column values.
type row struct {
	idx   int // index in the Put batch
	rec   *sdk.Record
	op    opKind
	shape *shape
	// vals holds the sdk values of schemaless records (for deletes only
	// the key columns). Records with schemas leave it nil: get reads their
	// values from the record through the shape, when COPY sends them.
	vals []any
}

// width is the number of values: the key columns of a delete, else all.
func (r *row) width() int {
	if r.op == opDelete {
		return r.shape.npk
	}
	return len(r.shape.cols)
}

// get returns the sdk value of column i.
func (r *row) get(i int) any {
	if r.vals != nil {
		return r.vals[i]
	}
	switch src := r.shape.srcs[i]; src.from {
	case fromKey:
		return r.rec.Key
	case fromKeyField:
		return r.rec.Key.(*sdk.Struct).Values[src.idx]
	case fromValueField:
		return r.rec.Value.(*sdk.Struct).Values[src.idx]
	case fromTopic:
		return r.rec.Topic
	case fromPartition:
		return r.rec.Partition
	case fromOffset:
		return r.rec.Offset
	default:
		return lineageValue(src.from, r.rec, r.shape.lin)
	}
}

// shapeKey identifies the shape of a record with schemas: the schemas decide
// the columns, so the same pointers give the same shape.
type shapeKey struct {
	topic      string
	key, value *sdk.Schema
	op         opKind
}

// extractor turns records into rows. It caches shapes by schema and, for
// schemaless records, by column signature.
type extractor struct {
	cfg     *config
	lastKey shapeKey // the shape of the record before, most often this one's too
	last    *shape
	bySch   map[shapeKey]*shape
	bySig   map[string]*shape
	tables  map[string]tableID
}

// maxShapes bounds the shape caches; they are dropped when they grow past it
// (records whose schemaless maps all differ would otherwise grow them forever).
const maxShapes = 4096

func newExtractor(cfg *config) *extractor {
	return &extractor{cfg: cfg, bySch: map[shapeKey]*shape{}, bySig: map[string]*shape{}, tables: map[string]tableID{}}
}

// errFatal marks a configuration problem that no record can get past.
type errFatal struct{ error }

func (x *extractor) table(topic string) tableID {
	t, ok := x.tables[topic]
	if !ok {
		t = x.cfg.table.resolve(topic)
		x.tables[topic] = t
	}
	return t
}

// extract turns a record into a row. A plain error is a record error; an
// errFatal applies to every record.
func (x *extractor) extract(idx int, r *sdk.Record) (row, error) {
	op := opWrite
	if r.Value == nil {
		if !x.cfg.deleteEnabled {
			return row{}, fmt.Errorf("record %s/%d has a null value, but delete.enabled is false "+
				"(set delete.enabled=true with pk.mode=record_key to delete rows for tombstones)",
				r.TopicPartition(), r.Offset)
		}
		op = opDelete
	}
	// Records with schemas (or primitive keys) have cacheable shapes.
	if sh := x.cached(r, op); sh != nil {
		rw := row{idx: idx, rec: r, op: op, shape: sh}
		for i := range sh.npk {
			if rw.get(i) == nil {
				return row{}, fmt.Errorf("primary key column %q is null", sh.cols[i].name)
			}
		}
		return rw, nil
	}
	return x.generic(idx, r, op)
}

// cached returns the shape of a record whose columns follow from its schemas
// alone, building it on first use, or nil when the record needs the generic
// path (schemaless maps) or is invalid (the generic path reports why).
func (x *extractor) cached(r *sdk.Record, op opKind) *shape {
	var vs *sdk.Schema
	switch v := r.Value.(type) {
	case nil:
	case *sdk.Struct:
		vs = v.Schema
	default:
		return nil
	}
	var ks *sdk.Schema
	if x.cfg.pkMode == pkRecordKey {
		switch k := r.Key.(type) {
		case *sdk.Struct:
			ks = k.Schema
		case nil, map[string]any, map[any]any:
			return nil
		default:
			if r.KeySchema == nil || !r.KeySchema.Type.IsPrimitive() {
				return nil
			}
			ks = r.KeySchema
		}
	}
	k := shapeKey{topic: r.Topic, key: ks, value: vs, op: op}
	if x.last != nil && k == x.lastKey {
		return x.last
	}
	if sh, ok := x.bySch[k]; ok {
		x.lastKey, x.last = k, sh
		return sh
	}
	sh, err := x.buildSchemaShape(r, ks, vs, op)
	if err != nil {
		return nil
	}
	if len(x.bySch) >= maxShapes {
		clear(x.bySch)
	}
	x.bySch[k] = sh
	x.lastKey, x.last = k, sh
	return sh
}

func (x *extractor) buildSchemaShape(r *sdk.Record, ks, vs *sdk.Schema, op opKind) (*shape, error) {
	sh := &shape{table: x.table(r.Topic)}
	add := func(name string, s *sdk.Schema, pk bool, src source) {
		sh.cols = append(sh.cols, column{name: name, schema: s, pk: pk})
		sh.srcs = append(sh.srcs, src)
	}
	taken := map[string]bool{}
	switch x.cfg.pkMode {
	case pkKafka:
		add(x.cfg.pkFields[0], sdk.StringSchema, true, source{from: fromTopic})
		add(x.cfg.pkFields[1], sdk.Int32Schema, true, source{from: fromPartition})
		add(x.cfg.pkFields[2], sdk.Int64Schema, true, source{from: fromOffset})
	case pkRecordKey:
		if ks.Type != sdk.TypeStruct {
			if len(x.cfg.pkFields) != 1 {
				return nil, errors.New("primitive key")
			}
			add(x.cfg.pkFields[0], ks, true, source{from: fromKey})
			break
		}
		for _, name := range x.pkNames(ks) {
			f := ks.Field(name)
			if f == nil {
				return nil, errors.New("no such key field")
			}
			add(name, f.Schema, true, source{from: fromKeyField, idx: f.Index})
		}
	case pkRecordValue:
		if vs == nil {
			return nil, errors.New("no value")
		}
		for _, name := range x.pkNames(vs) {
			f := vs.Field(name)
			if f == nil {
				return nil, errors.New("no such value field")
			}
			add(name, f.Schema, true, source{from: fromValueField, idx: f.Index})
		}
	}
	sh.npk = len(sh.cols)
	for _, c := range sh.cols {
		taken[c.name] = true
	}
	if op == opWrite {
		for _, f := range vs.Fields {
			if taken[f.Name] || !x.keep(f.Name) || x.cfg.lineage && isLineageColumn(f.Name) {
				continue
			}
			add(f.Name, f.Schema, false, source{from: fromValueField, idx: f.Index})
		}
		if x.cfg.lineage {
			sh.lin = &x.cfg.lin
			for _, lc := range lineageColumns {
				add(lc.name, lc.schema, false, source{from: lc.from})
			}
		}
	}
	sh.sig = signature(sh.table, sh.cols)
	sh.pkSig = signature(sh.table, sh.cols[:sh.npk])
	return sh, nil
}

// pkNames returns pk.fields, or every field of the struct schema.
func (x *extractor) pkNames(s *sdk.Schema) []string {
	if len(x.cfg.pkFields) > 0 {
		return x.cfg.pkFields
	}
	out := make([]string, len(s.Fields))
	for i, f := range s.Fields {
		out[i] = f.Name
	}
	return out
}

func (x *extractor) keep(field string) bool {
	return x.cfg.whitelist == nil || x.cfg.whitelist[field]
}

// fields is a struct or map value seen as named fields.
type fields interface {
	names() []string
	get(name string) (v any, s *sdk.Schema, ok bool)
}

type structFields struct{ s *sdk.Struct }

func (f structFields) names() []string {
	out := make([]string, len(f.s.Schema.Fields))
	for i, fd := range f.s.Schema.Fields {
		out[i] = fd.Name
	}
	return out
}

func (f structFields) get(name string) (any, *sdk.Schema, bool) {
	fd := f.s.Schema.Field(name)
	if fd == nil {
		return nil, nil, false
	}
	return f.s.Values[fd.Index], fd.Schema, true
}

type mapFields struct {
	m    map[string]any
	elem *sdk.Schema // the map's value schema, if any
}

func (f mapFields) names() []string {
	out := make([]string, 0, len(f.m))
	for k := range f.m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func (f mapFields) get(name string) (any, *sdk.Schema, bool) {
	v, ok := f.m[name]
	return v, f.elem, ok
}

// asFields views a value as named fields, or returns false.
func asFields(v any, s *sdk.Schema) (fields, bool) {
	switch v := v.(type) {
	case *sdk.Struct:
		return structFields{v}, true
	case map[string]any:
		return mapFields{m: v}, true
	case map[any]any:
		m := make(map[string]any, len(v))
		for k, e := range v {
			ks, ok := k.(string)
			if !ok {
				return nil, false
			}
			m[ks] = e
		}
		var elem *sdk.Schema
		if s != nil {
			elem = s.Elem
		}
		return mapFields{m: m, elem: elem}, true
	}
	return nil, false
}

// generic extracts a record by field names: schemaless maps, and every record
// the cached path cannot take (it also produces their errors).
func (x *extractor) generic(idx int, r *sdk.Record, op opKind) (row, error) {
	var cols []column
	var vals []any
	add := func(name string, v any, s *sdk.Schema, pk bool) {
		cols = append(cols, column{name: name, schema: s, pk: pk})
		vals = append(vals, v)
	}
	var value fields
	if op == opWrite {
		var ok bool
		if value, ok = asFields(r.Value, r.ValueSchema); !ok {
			return row{}, fmt.Errorf("record value is a %s; the PostgreSQL sink needs a struct or a map "+
				"of field names to values (use a converter with schemas, or JSON objects)", typeName(r.Value))
		}
	}
	switch x.cfg.pkMode {
	case pkKafka:
		add(x.cfg.pkFields[0], r.Topic, sdk.StringSchema, true)
		add(x.cfg.pkFields[1], r.Partition, sdk.Int32Schema, true)
		add(x.cfg.pkFields[2], r.Offset, sdk.Int64Schema, true)
	case pkRecordKey:
		if r.Key == nil {
			return row{}, errors.New("pk.mode=record_key, but the record has a null key")
		}
		key, ok := asFields(r.Key, r.KeySchema)
		if !ok {
			if isComposite(r.Key) {
				return row{}, fmt.Errorf("pk.mode=record_key, but the record key is a %s", typeName(r.Key))
			}
			if len(x.cfg.pkFields) != 1 {
				return row{}, errFatal{fmt.Errorf("pk.mode=record_key with a primitive key (%s) needs exactly "+
					"one column name in pk.fields, got %d", typeName(r.Key), len(x.cfg.pkFields))}
			}
			add(x.cfg.pkFields[0], r.Key, r.KeySchema, true)
			break
		}
		names := x.cfg.pkFields
		if len(names) == 0 {
			names = key.names()
		}
		if len(names) == 0 {
			return row{}, errors.New("pk.mode=record_key, but the record key has no fields")
		}
		for _, n := range names {
			v, s, ok := key.get(n)
			if !ok {
				return row{}, fmt.Errorf("pk.fields names %q, which the record key does not have", n)
			}
			add(n, v, s, true)
		}
	case pkRecordValue:
		names := x.cfg.pkFields
		if len(names) == 0 {
			names = value.names()
		}
		for _, n := range names {
			v, s, ok := value.get(n)
			if !ok {
				return row{}, fmt.Errorf("pk.fields names %q, which the record value does not have", n)
			}
			if v == nil {
				return row{}, fmt.Errorf("primary key field %q is null", n)
			}
			add(n, v, s, true)
		}
	}
	npk := len(cols)
	if op == opWrite {
		for _, n := range value.names() {
			if !x.keep(n) || slices.ContainsFunc(cols[:npk], func(c column) bool { return c.name == n }) ||
				x.cfg.lineage && isLineageColumn(n) {
				continue
			}
			v, s, _ := value.get(n)
			add(n, v, s, false)
		}
	}
	for i := range npk {
		if vals[i] == nil {
			return row{}, fmt.Errorf("primary key column %q is null", cols[i].name)
		}
	}
	if op == opWrite && len(cols) == 0 {
		return row{}, errors.New("record value has no fields to write")
	}
	if op == opWrite && x.cfg.lineage {
		for _, lc := range lineageColumns {
			add(lc.name, lineageValue(lc.from, r, &x.cfg.lin), lc.schema, false)
		}
	}
	t := x.table(r.Topic)
	sig := signature(t, cols)
	sh, ok := x.bySig[sig]
	if !ok {
		if len(x.bySig) >= maxShapes {
			clear(x.bySig)
		}
		sh = &shape{table: t, cols: cols, npk: npk, sig: sig, pkSig: signature(t, cols[:npk])}
		x.bySig[sig] = sh
	}
	return row{idx: idx, rec: r, op: op, shape: sh, vals: vals}, nil
}

// signature names a table and its columns; the key columns are marked so that
// a key field and a value field of the same name differ.
func signature(t tableID, cols []column) string {
	var b strings.Builder
	b.WriteString(t.String())
	for _, c := range cols {
		b.WriteByte(0)
		if c.pk {
			b.WriteByte('*')
		}
		b.WriteString(c.name)
	}
	return b.String()
}

func isComposite(v any) bool {
	switch v.(type) {
	case *sdk.Struct, map[string]any, map[any]any, []any:
		return true
	}
	return false
}

func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case *sdk.Struct:
		return "struct"
	case map[string]any, map[any]any:
		return "map"
	case []any:
		return "array"
	case string:
		return "string"
	case []byte, sdk.Raw:
		return "bytes"
	case bool:
		return "boolean"
	}
	return fmt.Sprintf("%T", v)
}
