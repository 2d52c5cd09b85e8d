package postgres

import (
	"context"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/freshet-dev/freshet/connectors/sdk"
)

// segTest builds rows of {id, v} (schemaless) and tombstones for keys, binds
// them to a table holding both columns, and returns the segments.
func segTest(t *testing.T, mode string, batchSize string, ops []string) ([]*segment, *sdk.BatchError) {
	t.Helper()
	cfg := testConfig(t, "insert.mode", mode, "pk.mode", "record_key", "delete.enabled", "true", "batch.size", batchSize)
	task := &sinkTask{cfg: cfg, x: newExtractor(cfg)}
	m := &tableMeta{id: tableID{Name: "t"}, byName: map[string]*colMeta{}}
	for _, c := range []*colMeta{{name: "id", kind: kindInt8, direct: true}, {name: "v", kind: kindText, direct: true}, {name: "w", kind: kindInt4, direct: true}} {
		m.cols = append(m.cols, c)
		m.byName[c.name] = c
	}
	var rows []*row
	for i, op := range ops {
		// op: "P<k>=<v>" writes, "D<k>" deletes, "W<k>=<w>" writes column w instead of v.
		rec := sdk.Record{Topic: "t", Offset: int64(i), Key: map[string]any{"id": int64(op[1] - '0')}}
		switch op[0] {
		case 'P':
			rec.Value = map[string]any{"id": int64(op[1] - '0'), "v": op[3:]}
		case 'W':
			rec.Value = map[string]any{"id": int64(op[1] - '0'), "w": op[3:]}
		}
		r, err := task.x.extract(i, &rec)
		if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, &r)
	}
	bind(m, rows)
	be := sdk.NewBatchError()
	return task.segments(m, rows, be), be
}

// describe renders segments as rows "<layer>:D<key>" or "<layer>:P<key>=<v>",
// ordered by layer as they are staged.
func describe(segs []*segment) [][]string {
	var out [][]string
	for _, s := range segs {
		var rows []string
		ordered, _ := s.byLayer()
		for _, r := range ordered {
			d := strconv.Itoa(r.layer) + ":"
			if r.del {
				d += "D" + keyText(r.row.get(0))
			} else {
				d += "P" + keyText(r.row.get(0)) + "=" + r.row.get(1).(string)
			}
			rows = append(rows, d)
		}
		out = append(out, rows)
	}
	return out
}

func keyText(v any) string { return strconv.FormatInt(v.(int64), 10) }

func TestSegments(t *testing.T) {
	tests := []struct {
		name, mode, batch string
		ops               []string
		want              [][]string
	}{
		{"upsert: a key's second row goes to the next layer", modeUpsert, "100", []string{"P1=a", "P2=b", "P1=c"},
			[][]string{{"0:P1=a", "0:P2=b", "1:P1=c"}}},
		{"upsert: delete then write", modeUpsert, "100", []string{"D1", "P1=a", "P2=b"},
			[][]string{{"0:D1", "0:P2=b", "1:P1=a"}}},
		{"upsert: write, delete, write", modeUpsert, "100", []string{"P1=a", "D1", "P1=b"},
			[][]string{{"0:P1=a", "1:D1", "2:P1=b"}}},
		{"insert keeps one layer and splits at deletes", modeInsert, "100", []string{"P1=a", "P1=b", "D1", "P1=c"},
			[][]string{{"0:P1=a", "0:P1=b"}, {"0:D1"}, {"0:P1=c"}}},
		{"batch.size", modeUpsert, "2", []string{"P1=a", "P2=b", "P3=c"},
			[][]string{{"0:P1=a", "0:P2=b"}, {"0:P3=c"}}},
		{"update layers too", modeUpdate, "100", []string{"P1=a", "P1=b"},
			[][]string{{"0:P1=a", "1:P1=b"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			segs, be := segTest(t, tt.mode, tt.batch, tt.ops)
			if be.Err() != nil {
				t.Fatal(be)
			}
			if got := describe(segs); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestSegmentsSplitOnColumns(t *testing.T) {
	segs, be := segTest(t, modeUpsert, "100", []string{"P1=a", "W2=5", "P3=c", "D4"})
	if be.Err() != nil {
		t.Fatal(be)
	}
	// {id,v}, then {id,w}, then {id,v} again; the delete joins the last.
	if len(segs) != 3 || len(segs[0].rows) != 1 || len(segs[1].rows) != 1 || len(segs[2].rows) != 2 {
		t.Fatalf("segments: %q", describe(segs))
	}
	if segs[1].cols[1].name != "w" {
		t.Errorf("second segment writes %s", segs[1].cols[1].name)
	}
}

func TestSegmentsFailBadValues(t *testing.T) {
	// "x" cannot go into w (integer): that record fails, the others stay.
	segs, be := segTest(t, modeUpsert, "100", []string{"P1=a", "W2=x", "W3=7"})
	if len(segs) != 2 {
		t.Fatalf("segments: %q", describe(segs))
	}
	segs[1].coerceAll(be)
	if _, ok := be.Failed[1]; !ok || len(be.Failed) != 1 {
		t.Fatalf("failed = %v", be.Failed)
	}
	if c, _ := sdk.ClassOf(be.Failed[1]); c != sdk.ClassRecord {
		t.Errorf("class = %v", c)
	}
	if len(segs[1].rows) != 1 || segs[1].rows[0].vals[1] != int32(7) || !segs[1].coerced {
		t.Errorf("after coerceAll: %+v", segs[1].rows[0])
	}
}

func TestMissingColumns(t *testing.T) {
	m := &tableMeta{id: tableID{Name: "t"}, byName: map[string]*colMeta{"id": {name: "id", kind: kindInt8}}}
	x := newExtractor(testConfig(t, "pk.mode", "record_value", "pk.fields", "id"))
	rec := sdk.Record{Topic: "t", Value: map[string]any{"id": int64(1), "extra": "x"}}
	r, err := x.extract(0, &rec)
	if err != nil {
		t.Fatal(err)
	}
	if got := missing(m, []*row{&r}); !reflect.DeepEqual(got, []string{"extra"}) {
		t.Errorf("missing = %v", got)
	}
	bind(m, []*row{&r})
	if !reflect.DeepEqual(r.shape.bound.missing, []string{"extra"}) {
		t.Errorf("bound missing = %v", r.shape.bound.missing)
	}
	cols, pk := newColumns([]*row{&r}, m)
	if !reflect.DeepEqual(cols, []ddlColumn{{name: "extra", typ: "text"}}) || pk != nil {
		t.Errorf("new columns = %v, %v", cols, pk)
	}
	cols, pk = newColumns([]*row{&r}, nil)
	if !reflect.DeepEqual(cols, []ddlColumn{{name: "id", typ: "bigint", notNull: true}, {name: "extra", typ: "text"}}) ||
		!reflect.DeepEqual(pk, []string{"id"}) {
		t.Errorf("create columns = %v, %v", cols, pk)
	}
}

func TestAdvance(t *testing.T) {
	tp := sdk.TopicPartition{Topic: "t", Partition: 0}
	task := &sinkTask{parts: map[sdk.TopicPartition]*sdk.SinkPosition{tp: {Next: 5, Retry: []int64{2}}}}
	batch := []sdk.Record{{Topic: "t", Offset: 2}, {Topic: "t", Offset: 5}, {Topic: "t", Offset: 6}, {Topic: "t", Offset: 7}}
	be := sdk.NewBatchError()
	be.Fail(2, sdk.RecordErr(errTest))
	states, rows := task.advance(batch, []bool{true, true, true, true}, be)
	want := &sdk.SinkPosition{Next: 8, Retry: []int64{6}}
	if !reflect.DeepEqual(states[tp], want) {
		t.Errorf("state = %+v, want %+v", states[tp], want)
	}
	if len(rows) != 1 || rows[0].next != 8 || !reflect.DeepEqual(rows[0].retry, []int64{6}) {
		t.Errorf("rows = %+v", rows)
	}
	if !reflect.DeepEqual(task.parts[tp], &sdk.SinkPosition{Next: 5, Retry: []int64{2}}) {
		t.Error("advance changed the current state")
	}
}

func TestFlushWithoutRetriesDoesNotConnect(t *testing.T) {
	tp := sdk.TopicPartition{Topic: "t"}
	task := &sinkTask{parts: map[sdk.TopicPartition]*sdk.SinkPosition{tp: {Next: 5}}}
	got, err := task.Flush(context.Background(), sdk.Offsets{tp: 5})
	if err != nil || got[tp] != 5 {
		t.Errorf("Flush = %v, %v", got, err)
	}
}

func TestRowSource(t *testing.T) {
	s := &segment{cols: []*colMeta{{name: "id", kind: kindInt8}, {name: "v", kind: kindInt4}}}
	sh := &shape{cols: []column{{name: "id", pk: true}, {name: "v"}}, npk: 1}
	rows := []*stagedRow{
		{n: 4, row: &row{shape: sh, vals: []any{int64(1), "2"}}},
		{n: 5, del: true, row: &row{shape: sh, op: opDelete, vals: []any{int64(3)}}},
		{n: 6, row: &row{shape: sh, vals: []any{int64(4), "x"}}},
	}
	src := s.copyRows(rows, true)
	var got [][]any
	for src.Next() {
		v, err := src.Values()
		if err != nil {
			break
		}
		got = append(got, slices.Clone(v))
	}
	want := [][]any{{int32(4), false, int64(1), int32(2)}, {int32(5), true, int64(3), nil}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("rows = %v, want %v", got, want)
	}
	if src.Err() == nil || src.coerceErr == nil || !strings.Contains(src.Err().Error(), `column "v"`) {
		t.Errorf("Err = %v, want the conversion error of the third row", src.Err())
	}
}
