package sinks

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	goredis "github.com/redis/go-redis/v9"

	"github.com/freshet-dev/freshet/connectors/sdk"
)

// Null is how a NULL column reads in a reference or table row.
const Null = "<null>"

// Row is a table row as text: column name → value::text, or Null.
type Row = map[string]string

// PGReference describes a PostgreSQL sink's config, for Rows.
type PGReference struct {
	InsertMode string   // insert, upsert or update
	PKMode     string   // none, kafka, record_key or record_value
	PKFields   []string // as pk.fields; for kafka the three column names (default __connect_*)
	Delete     bool     // delete.enabled
}

// Rows returns what a table holds after records are written, in order, to a
// table that held initial (nil for empty), keyed as ReadTable keys them.
// Records for which failed returns true are left out: they went to the
// dead-letter queue. Order matters per key only, so records of different
// partitions may be interleaved in any way as long as each key lives in one
// partition, as Kafka's default partitioner ensures.
//
// Values must be scalars (strings, integers, floats, booleans) or nil; the
// text form is that of PostgreSQL's ::text for the types the sink creates.
func (p PGReference) Rows(records []sdk.Record, failed func(*sdk.Record) bool, initial map[string]Row) (map[string]Row, error) {
	out := map[string]Row{}
	for k, r := range initial {
		out[k] = r
	}
	pk := p.pkColumns()
	for i := range records {
		r := &records[i]
		if failed != nil && failed(r) {
			continue
		}
		row, err := p.row(r)
		if err != nil {
			return nil, fmt.Errorf("record %s/%d: %w", r.TopicPartition(), r.Offset, err)
		}
		if p.PKMode == "none" || p.PKMode == "" {
			addDistinct(out, row)
			continue
		}
		key := RowKey(row, pk)
		if r.Value == nil { // a tombstone with delete.enabled
			delete(out, key)
			continue
		}
		old, exists := out[key]
		switch p.InsertMode {
		case "update":
			if exists {
				merged := Row{}
				for c, v := range old {
					merged[c] = v
				}
				for c, v := range row {
					merged[c] = v
				}
				out[key] = merged
			}
		case "upsert":
			if exists {
				for c, v := range old {
					if _, ok := row[c]; !ok {
						row[c] = v
					}
				}
			}
			out[key] = row
		default: // insert: a duplicate key is a failed record
			if exists {
				return nil, fmt.Errorf("record %s/%d: duplicate key %s in insert mode; mark it failed", r.TopicPartition(), r.Offset, key)
			}
			out[key] = row
		}
	}
	return out, nil
}

func (p PGReference) pkColumns() []string {
	if p.PKMode == "kafka" && len(p.PKFields) == 0 {
		return []string{"__connect_topic", "__connect_partition", "__connect_offset"}
	}
	return p.PKFields
}

// row renders a record as the row the sink writes (key columns and value
// fields), or, for a tombstone, the key columns only.
func (p PGReference) row(r *sdk.Record) (Row, error) {
	row := Row{}
	switch p.PKMode {
	case "kafka":
		c := p.pkColumns()
		row[c[0]], row[c[1]], row[c[2]] = r.Topic, strconv.Itoa(int(r.Partition)), strconv.FormatInt(r.Offset, 10)
	case "record_key":
		if err := addFields(row, r.Key, p.PKFields); err != nil {
			return nil, fmt.Errorf("key: %w", err)
		}
	}
	if r.Value != nil {
		if err := addFields(row, r.Value, nil); err != nil {
			return nil, fmt.Errorf("value: %w", err)
		}
	}
	return row, nil
}

// addFields adds a struct's or map's fields (or a scalar under the one name
// in names) to row; fields already there (key columns) win.
func addFields(row Row, v any, names []string) error {
	set := func(k string, v any) {
		if _, ok := row[k]; !ok && (names == nil || slices.Contains(names, k)) {
			row[k] = Text(v)
		}
	}
	switch v := v.(type) {
	case *sdk.Struct:
		for i, f := range v.Schema.Fields {
			set(f.Name, v.Values[i])
		}
	case map[string]any:
		for k, e := range v {
			set(k, e)
		}
	default:
		if len(names) != 1 {
			return fmt.Errorf("a scalar needs exactly one column name, got %v", names)
		}
		row[names[0]] = Text(v)
	}
	return nil
}

// addDistinct adds a row of a keyless table under a key made of its values,
// numbered when the same values occur more than once.
func addDistinct(out map[string]Row, row Row) {
	cols := make([]string, 0, len(row))
	for c := range row {
		cols = append(cols, c)
	}
	sort.Strings(cols)
	base := RowKey(row, cols)
	for n := 1; ; n++ {
		k := base + "#" + strconv.Itoa(n)
		if _, taken := out[k]; !taken {
			out[k] = row
			return
		}
	}
}

// RowKey joins the text of the key columns with "|".
func RowKey(row Row, key []string) string {
	parts := make([]string, len(key))
	for i, c := range key {
		parts[i] = row[c]
	}
	return strings.Join(parts, "|")
}

// Text renders a scalar the way PostgreSQL's ::text shows the column the
// sink writes it to, and the way the Redis sink writes it: decimal integers,
// shortest floats, true/false, strings as they are, nil as Null.
func Text(v any) string {
	switch v := v.(type) {
	case nil:
		return Null
	case string:
		return v
	case []byte:
		return string(v)
	case bool:
		return strconv.FormatBool(v)
	case float32:
		return strconv.FormatFloat(float64(v), 'g', -1, 32)
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64)
	case int8, int16, int32, int64, int:
		return fmt.Sprint(v)
	case time.Time:
		return v.UTC().Format(time.RFC3339Nano)
	}
	return fmt.Sprint(v)
}

// ReadTable reads a table (a quoted or plain SQL name) as text rows keyed by
// RowKey of key; with no key, rows are keyed by all their values, numbered,
// as Rows keys a keyless table. Only the columns in cols are read (all when
// empty), so that columns the reference does not know can be ignored.
func ReadTable(ctx context.Context, conn *pgx.Conn, table string, key []string, cols ...string) (map[string]Row, error) {
	if len(cols) == 0 {
		rows, err := conn.Query(ctx, "SELECT * FROM "+table+" LIMIT 0")
		if err != nil {
			return nil, err
		}
		for _, f := range rows.FieldDescriptions() {
			cols = append(cols, f.Name)
		}
		rows.Close()
	}
	sel := make([]string, len(cols))
	for i, c := range cols {
		sel[i] = pgx.Identifier{c}.Sanitize() + "::text"
	}
	rows, err := conn.Query(ctx, "SELECT "+strings.Join(sel, ", ")+" FROM "+table)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]Row{}
	for rows.Next() {
		vals := make([]*string, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		row := Row{}
		for i, c := range cols {
			if vals[i] == nil {
				row[c] = Null
			} else {
				row[c] = *vals[i]
			}
		}
		if len(key) == 0 {
			addDistinct(out, row)
			continue
		}
		k := RowKey(row, key)
		if _, dup := out[k]; dup {
			return nil, fmt.Errorf("table %s has two rows with key %s", table, k)
		}
		out[k] = row
	}
	return out, rows.Err()
}

// RedisReference describes a Redis sink's config (hash or string type), for
// Keys.
type RedisReference struct {
	Type string // hash or string
	// Key renders a record's Redis key; nil means "${topic}:${key}", where a
	// struct or map key is its field values joined by ":" (map keys sorted),
	// as the sink renders it.
	Key func(*sdk.Record) string
}

// Keys returns what Redis holds after records are written: key → fields
// (for a string, the field "" holds the value). Records for which failed
// returns true are left out.
func (p RedisReference) Keys(records []sdk.Record, failed func(*sdk.Record) bool) map[string]map[string]string {
	out := map[string]map[string]string{}
	for i := range records {
		r := &records[i]
		if failed != nil && failed(r) {
			continue
		}
		key := r.Topic + ":" + KeyText(r.Key)
		if p.Key != nil {
			key = p.Key(r)
		}
		if r.Value == nil {
			delete(out, key)
			continue
		}
		f := map[string]string{}
		if p.Type == "string" {
			f[""] = Text(r.Value)
		} else {
			row := Row{}
			if err := addFields(row, r.Value, nil); err != nil {
				continue
			}
			for k, v := range row {
				if v != Null {
					f[k] = v
				}
			}
			if len(f) == 0 {
				delete(out, key)
				continue
			}
		}
		out[key] = f
	}
	return out
}

// KeyText renders a record key as the Redis sink's ${key}: a scalar as Text
// does, a struct or map as its field values joined by ":" (map keys sorted).
func KeyText(k any) string {
	var parts []string
	switch k := k.(type) {
	case *sdk.Struct:
		for _, v := range k.Values {
			parts = append(parts, KeyText(v))
		}
	case map[string]any:
		keys := make([]string, 0, len(k))
		for n := range k {
			keys = append(keys, n)
		}
		sort.Strings(keys)
		for _, n := range keys {
			parts = append(parts, KeyText(k[n]))
		}
	default:
		return Text(k)
	}
	return strings.Join(parts, ":")
}

// ReadRedis reads the keys matching pattern, as Keys renders them: hashes
// as their fields, strings under the field "".
func ReadRedis(ctx context.Context, c *goredis.Client, pattern string) (map[string]map[string]string, error) {
	out := map[string]map[string]string{}
	iter := c.Scan(ctx, 0, pattern, 1000).Iterator()
	for iter.Next(ctx) {
		k := iter.Val()
		typ, err := c.Type(ctx, k).Result()
		if err != nil {
			return nil, err
		}
		switch typ {
		case "hash":
			m, err := c.HGetAll(ctx, k).Result()
			if err != nil {
				return nil, err
			}
			out[k] = m
		case "string":
			s, err := c.Get(ctx, k).Result()
			if err != nil {
				return nil, err
			}
			out[k] = map[string]string{"": s}
		default:
			return nil, fmt.Errorf("key %s is a %s", k, typ)
		}
	}
	return out, iter.Err()
}

// Diff describes the differences between a store and its reference, at most
// max of them, or returns "" when they are equal.
func Diff(got, want map[string]map[string]string, max int) string {
	var lines []string
	keys := map[string]bool{}
	for k := range got {
		keys[k] = true
	}
	for k := range want {
		keys[k] = true
	}
	sorted := make([]string, 0, len(keys))
	for k := range keys {
		sorted = append(sorted, k)
	}
	sort.Strings(sorted)
	for _, k := range sorted {
		g, gok := got[k]
		w, wok := want[k]
		switch {
		case !gok:
			lines = append(lines, fmt.Sprintf("missing %s: want %v", k, w))
		case !wok:
			lines = append(lines, fmt.Sprintf("extra %s: %v", k, g))
		case !equalMaps(g, w):
			lines = append(lines, fmt.Sprintf("differs %s: got %v, want %v", k, g, w))
		}
	}
	if len(lines) == 0 {
		return ""
	}
	n := len(lines)
	if n > max {
		lines = append(lines[:max], fmt.Sprintf("… %d more", n-max))
	}
	return fmt.Sprintf("%d difference(s) (got %d, want %d):\n%s", n, len(got), len(want), strings.Join(lines, "\n"))
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}
