package postgres

import (
	"strconv"
	"testing"

	"github.com/freshet-dev/freshet/connectors/sdk"
)

var benchValue = sdk.NewStruct("product").
	Field("id", sdk.Int64Schema).Field("name", sdk.StringSchema).Field("category", sdk.StringSchema).
	Field("price", sdk.Float64Schema).Field("qty", sdk.Int32Schema).Field("active", sdk.BooleanSchema).Build()

func benchBatch(n int) []sdk.Record {
	recs := make([]sdk.Record, n)
	for i := range recs {
		id := int64(i)
		recs[i] = sdk.Record{Topic: "products", Offset: id, Key: id, KeySchema: sdk.Int64Schema,
			Value: sdk.NewStructValue(benchValue).Put("id", id).Put("name", "product-"+strconv.Itoa(i)).
				Put("category", "c").Put("price", 1.5).Put("qty", int32(i)).Put("active", true),
			ValueSchema: benchValue}
	}
	return recs
}

// BenchmarkPrepare measures what a Put does before it talks to the server
// (skip check, extraction, binding, segments, offsets), per 2,000 records,
// and the conversion COPY does as it sends them.
func BenchmarkPrepare(b *testing.B) {
	for _, mode := range []string{modeInsert, modeUpsert} {
		b.Run(mode, func(b *testing.B) {
			cfg := testConfig(b, "insert.mode", mode, "pk.mode", "record_key", "pk.fields", "id")
			task := &sinkTask{cfg: cfg, x: newExtractor(cfg), parts: map[sdk.TopicPartition]*sdk.SinkPosition{{Topic: "products"}: {Next: -1}}}
			m := &tableMeta{id: tableID{Name: "products"}, byName: map[string]*colMeta{}}
			for _, c := range []*colMeta{{name: "id", kind: kindInt8}, {name: "name", kind: kindText}, {name: "category", kind: kindText},
				{name: "price", kind: kindFloat8}, {name: "qty", kind: kindInt4}, {name: "active", kind: kindBool}} {
				c.direct = true
				m.cols = append(m.cols, c)
				m.byName[c.name] = c
			}
			recs := benchBatch(2000)
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				segs, err := task.prepare(recs, m)
				if err != nil {
					b.Fatal(err)
				}
				for _, s := range segs {
					src := s.copyRows(s.rows, false)
					for src.Next() {
						if _, err := src.Values(); err != nil {
							b.Fatal(err)
						}
					}
				}
			}
		})
	}
}

// prepare is what put does without the server: extraction, binding to m,
// segments and the offsets.
func (t *sinkTask) prepare(batch []sdk.Record, m *tableMeta) ([]*segment, error) {
	be := sdk.NewBatchError()
	ext, err := t.extractAll(batch, be)
	if err != nil {
		return nil, err
	}
	var segs []*segment
	for _, id := range ext.order {
		rows := ext.byTable[id]
		bind(m, rows)
		segs = append(segs, t.segments(m, rows, be)...)
	}
	t.advance(batch, ext.processed, be)
	return segs, be.Err()
}

// BenchmarkCopyReader measures the COPY encoding of 2,000 rows with
// schemas, conversion included: the work that overlaps the server's.
func BenchmarkCopyReader(b *testing.B) {
	cfg := testConfig(b, "pk.mode", "record_key", "pk.fields", "id")
	task := &sinkTask{cfg: cfg, x: newExtractor(cfg), parts: map[sdk.TopicPartition]*sdk.SinkPosition{{Topic: "products"}: {Next: -1}}}
	m := &tableMeta{id: tableID{Name: "products"}, byName: map[string]*colMeta{}}
	for _, c := range []*colMeta{{name: "id", kind: kindInt8}, {name: "name", kind: kindText}, {name: "category", kind: kindText},
		{name: "price", kind: kindFloat8}, {name: "qty", kind: kindInt4}, {name: "active", kind: kindBool}} {
		c.direct = true
		m.cols = append(m.cols, c)
		m.byName[c.name] = c
	}
	segs, err := task.prepare(benchBatch(2000), m)
	if err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, 64<<10)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		r := &copyReader{src: segs[0].copyRows(segs[0].rows, false)}
		for {
			if _, err := r.Read(buf); err != nil {
				break
			}
		}
	}
}
