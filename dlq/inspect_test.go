package dlq_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/freshet-dev/freshet/connectors/sdk"
	"github.com/freshet-dev/freshet/dlq"
)

// TestInspectFilters checks which records each filter selects.
func TestInspectFilters(t *testing.T) {
	e := newEnv(t)
	for i := range 10 {
		l := letter{partition: 0, offset: int64(i), key: fmt.Sprint("k", i), value: fmt.Sprintf(`{"id":%d}`, i), failedAt: t0.Add(-time.Duration(10-i) * time.Hour)}
		switch {
		case i < 3:
			l.class, l.stage, l.err = sdk.ClassRetriable, "TASK_PUT", errors.New("es: 503 unavailable")
		case i < 6:
			l.err = fmt.Errorf("convert value: %w", &json.SyntaxError{Offset: 3})
		}
		e.produce(e.deadLetter(l, i%2 == 0))
	}
	d := e.drainer()
	for _, tc := range []struct {
		name string
		spec dlq.FilterSpec
		want string // selected offsets
	}{
		{"everything", dlq.FilterSpec{}, "[0 1 2 3 4 5 6 7 8 9]"},
		{"error class", dlq.FilterSpec{ErrorClass: "retriable"}, "[0 1 2]"},
		{"exception simple name", dlq.FilterSpec{ErrorClass: "SyntaxError"}, "[3 4 5]"},
		{"exception full name", dlq.FilterSpec{ErrorClass: "*json.SyntaxError"}, "[3 4 5]"},
		{"match message", dlq.FilterSpec{Match: `50[0-9]`}, "[0 1 2]"},
		{"match exception class", dlq.FilterSpec{Match: `^\*dlq_test\.exceptionA$`}, "[6 7 8 9]"},
		{"since", dlq.FilterSpec{Since: "3h"}, "[7 8 9]"},
		{"until", dlq.FilterSpec{Until: t0.Add(-8 * time.Hour).Format(time.RFC3339)}, "[0 1]"},
		{"from offset and limit", dlq.FilterSpec{FromOffset: "4", Limit: "3"}, "[4 5 6]"},
		{"combined", dlq.FilterSpec{ErrorClass: "record", Since: "5h", Limit: "2"}, "[5 6]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := dlq.ParseFilter(tc.spec, t0)
			if err != nil {
				t.Fatal(err)
			}
			var got []int64
			res, err := d.Inspect(e.ctx, "es-sink", f, func(r dlq.Record) error {
				got = append(got, r.Offset)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got) != tc.want {
				t.Errorf("selected %v, want %s", got, tc.want)
			}
			if res.Matched != int64(len(got)) {
				t.Errorf("matched = %d, want %d", res.Matched, len(got))
			}
		})
	}
}

// TestInspectDecodes checks the decoded view of one dead letter.
func TestInspectDecodes(t *testing.T) {
	e := newEnv(t)
	l := letter{partition: 1, offset: 42, key: "user-17", value: `{"id": 17, "tags": ["a"]}`}
	e.produce(e.deadLetter(l, true))
	bin := e.deadLetter(letter{partition: 0, offset: 43}, false)
	bin.Value = []byte{0x00, 0xff, 0x10}
	e.produce(bin)
	d := e.drainer()
	var got []dlq.Record
	if _, err := d.Inspect(e.ctx, "orders-dlq", dlq.Filter{}, func(r dlq.Record) error {
		got = append(got, r)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("got %d records", len(got))
	}
	r := got[0]
	if r.Origin == nil || *r.Origin != (dlq.Origin{Topic: "orders", Partition: 1, Offset: 42}) {
		t.Errorf("origin = %+v", r.Origin)
	}
	if r.Connector != "es-sink" || r.Stage != "VALUE_CONVERTER" || r.ErrorClass != "record" || r.Attempt != 1 || r.WorkerID != "w1" || r.Version != "1.0.0" {
		t.Errorf("decoded = %+v", r)
	}
	if r.Task == nil || *r.Task != 0 {
		t.Errorf("task = %v, want 0", r.Task)
	}
	if r.Exception == nil || r.Exception.Message != "bad record 42" || r.Exception.Class != "*dlq_test.exceptionA" {
		t.Errorf("exception = %+v", r.Exception)
	}
	if r.Key.Format != dlq.FormatText || *r.Key.Text != "user-17" {
		t.Errorf("key = %+v", r.Key)
	}
	if r.Value.Format != dlq.FormatJSON || string(r.Value.JSON) != `{"id":17,"tags":["a"]}` {
		t.Errorf("value = %+v %s", r.Value, r.Value.JSON)
	}
	if len(r.Headers) != 1 || r.Headers[0].Key != "trace-id" {
		t.Errorf("headers = %+v, want only the original trace-id", r.Headers)
	}
	if r.LastFailure == nil || !r.LastFailure.Equal(t0.Add(-time.Hour)) {
		t.Errorf("last failure = %v", r.LastFailure)
	}
	// Without context headers the Freshet twins say the same.
	b := got[1]
	if b.Origin == nil || b.Origin.Offset != 43 || b.Exception == nil || b.Exception.Message != "bad record 43" || b.Task != nil {
		t.Errorf("dead letter without context headers decoded as %+v", b)
	}
	if b.Value.Format != dlq.FormatBinary || b.Value.Hex != "00ff10" {
		t.Errorf("binary value = %+v", b.Value)
	}
	if b.Key.Format != dlq.FormatNull {
		t.Errorf("null key = %+v", b.Key)
	}
}

// TestListAndSkip checks depth and breakdowns, then a skip with its audit
// entry, then that inspect and replay pass over what was skipped.
func TestListAndSkip(t *testing.T) {
	e := newEnv(t)
	e.fill(12) // 4 retriable TASK_PUT, 8 record VALUE_CONVERTER
	// A dead-letter topic no connector config names (found by its headers),
	// and an ordinary topic that is not one.
	if _, err := e.adm.CreateTopic(e.ctx, 1, 1, nil, "legacy-dlq"); err != nil {
		t.Fatal(err)
	}
	orphan := e.deadLetter(letter{offset: 1}, true)
	orphan.Topic = "legacy-dlq"
	e.produce(orphan, &kgo.Record{Topic: "orders", Value: []byte("plain")})
	d := e.drainer()

	sums, err := d.List(e.ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range sums {
		names = append(names, fmt.Sprintf("%s%v:%d", s.Topic, s.Connectors, s.Depth))
	}
	if fmt.Sprint(names) != "[legacy-dlq[es-sink]:1 orders-dlq[es-sink]:12 payments-dlq[other-sink]:0]" {
		t.Errorf("list = %v", names)
	}
	s := sums[1]
	for name, tc := range map[string]struct {
		got  map[string]int64
		want string
	}{
		"class":     {s.ByErrorClass, "map[record:8 retriable:4]"},
		"stage":     {s.ByStage, "map[TASK_PUT:4 VALUE_CONVERTER:8]"},
		"exception": {s.ByException, "map[*dlq_test.exceptionA:8 *errors.errorString:4]"},
		"source":    {s.BySourceTopic, "map[orders:12]"},
	} {
		if fmt.Sprint(tc.got) != tc.want {
			t.Errorf("by %s = %v, want %s", name, tc.got, tc.want)
		}
	}
	if s.Oldest == nil || !s.Oldest.Equal(t0.Add(-time.Hour)) || sums[2].Exists {
		t.Errorf("oldest = %v, payments-dlq exists = %v", s.Oldest, sums[2].Exists)
	}

	f, _ := dlq.ParseFilter(dlq.FilterSpec{ErrorClass: "retriable"}, t0)
	dry, err := d.Skip(e.ctx, "es-sink", dlq.SkipOptions{Filter: f, Reason: "ES outage, reindexed", Who: "carol@laptop", DryRun: true})
	if err != nil || dry.Skipped != 4 || dry.Run != "" {
		t.Fatalf("dry skip = %+v, %v", dry, err)
	}
	res, err := d.Skip(e.ctx, "es-sink", dlq.SkipOptions{Filter: f, Reason: "ES outage, reindexed", Who: "carol@laptop"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Skipped != 4 || fmt.Sprint(res.Offsets) != "map[0:[[0 1) [3 4) [6 7) [9 10)]]" && fmt.Sprint(res.Offsets) != "map[0:[{0 1} {3 4} {6 7} {9 10}]]" {
		t.Errorf("skip = %+v", res)
	}
	var audit []map[string]any
	for _, r := range e.read(dlq.DefaultAuditTopic) {
		var m map[string]any
		_ = json.Unmarshal(r.Value, &m)
		audit = append(audit, m)
	}
	found := false
	for _, m := range audit {
		if m["drained"] != nil && m["who"] == "carol@laptop" && m["reason"] == "ES outage, reindexed" && m["time"] != nil {
			found = true
			if b, _ := json.Marshal(m["drained"]); string(b) != `{"0":[[0,1],[3,4],[6,7],[9,10]]}` {
				t.Errorf("audit offsets = %s", b)
			}
		}
	}
	if !found {
		t.Errorf("no audit entry with who, why and offsets: %v", audit)
	}
	if c := e.cursor(); c[0] != 1 {
		t.Errorf("cursor = %v, want 1 (offset 0 skipped, 1 not)", c)
	}
	if s := summary(t, e, d); s.Depth != 8 || fmt.Sprint(s.ByErrorClass) != "map[record:8]" {
		t.Errorf("after skip: depth %d by class %v", s.Depth, s.ByErrorClass)
	}
	n := 0
	_, err = d.Inspect(e.ctx, "es-sink", dlq.Filter{}, func(r dlq.Record) error {
		n++
		if r.ErrorClass == "retriable" {
			t.Errorf("inspect shows skipped record %d", r.Offset)
		}
		return nil
	})
	if err != nil || n != 8 {
		t.Errorf("inspect after skip: %d records, %v", n, err)
	}
	all, _ := dlq.ParseFilter(dlq.FilterSpec{All: true}, t0)
	drained := 0
	_, _ = d.Inspect(e.ctx, "es-sink", all, func(r dlq.Record) error {
		if r.Drained {
			drained++
		}
		return nil
	})
	if drained != 4 {
		t.Errorf("inspect --all marks %d drained, want 4", drained)
	}
	rep, err := d.Replay(e.ctx, "es-sink", dlq.ReplayOptions{To: dlq.ToSource})
	if err != nil || rep.Replayed != 8 {
		t.Errorf("replay after skip = %+v, %v; want the 8 not skipped", rep, err)
	}
	if again, err := d.Skip(e.ctx, "es-sink", dlq.SkipOptions{Filter: f, Reason: "again"}); err != nil || again.Skipped != 0 {
		t.Errorf("skipping drained records again = %+v, %v", again, err)
	}
}

// TestParseFilter checks what ParseFilter refuses, and how it reads times.
func TestParseFilter(t *testing.T) {
	for _, tc := range []struct {
		name string
		spec dlq.FilterSpec
		err  string // substring; "" for none
		want string // Filter.String()
	}{
		{"empty", dlq.FilterSpec{}, "", "all records not yet drained"},
		{"bad regex", dlq.FilterSpec{Match: "a(b"}, "not a valid regular expression", ""},
		{"future since", dlq.FilterSpec{Since: "2030-01-01"}, "is in the future", ""},
		{"future until", dlq.FilterSpec{Until: "2024-05-01T15:00:00Z"}, "is in the future", ""},
		{"since after until", dlq.FilterSpec{Since: "1h", Until: "2h"}, "must be after since", ""},
		{"bad time", dlq.FilterSpec{Since: "yesterday"}, "want an RFC 3339 time", ""},
		{"negative duration", dlq.FilterSpec{Since: "-5m"}, "negative", ""},
		{"bad offset", dlq.FilterSpec{FromOffset: "-1"}, "want an offset", ""},
		{"bad limit", dlq.FilterSpec{Limit: "x"}, "want a count", ""},
		{"two problems", dlq.FilterSpec{Match: "(", Limit: "-2"}, "limit", ""},
		{"days", dlq.FilterSpec{Since: "2d"}, "", "since=2024-04-29T14:00:00Z"},
		{"duration", dlq.FilterSpec{Since: "90m"}, "", "since=2024-05-01T12:30:00Z"},
		{"date", dlq.FilterSpec{Since: "2024-04-30", ErrorClass: "record", Limit: "5"}, "", "error-class=record since=2024-04-30T00:00:00Z limit=5"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := dlq.ParseFilter(tc.spec, t0)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want one saying %q", err, tc.err)
				}
				var fe *dlq.FilterError
				if !errors.As(err, &fe) {
					t.Errorf("err %v is not a *FilterError", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if f.String() != tc.want {
				t.Errorf("filter = %q, want %q", f.String(), tc.want)
			}
		})
	}
}
