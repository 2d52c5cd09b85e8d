package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/freshet-dev/freshet/connectors/datagen"
	"github.com/freshet-dev/freshet/connectors/sdk"
	"github.com/freshet-dev/freshet/tests/e2e/e2etest"
)

// datagenStream is what a datagen connector emits for a config: the event id
// and key of every event, and the keys of its tombstones (deletion requests,
// which carry no event id) with how many each has.
type datagenStream struct {
	ids        map[string]string // event_id → key
	tombstones map[string]int    // key → tombstones
	total      int
}

// expectedDatagen runs the datagen connector in this process to learn the
// records a worker running cfg produces: datagen's records are a pure
// function of its config and each task's sequence number (see its package
// doc), and the rate does not change them.
func expectedDatagen(t *testing.T, cfg map[string]string) datagenStream {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cfg = maps.Clone(cfg)
	cfg["rate.per.sec"] = "0"
	total, err := strconv.ParseInt(cfg["max.records"], 10, 64)
	if err != nil || total <= 0 {
		t.Fatalf("expectedDatagen needs max.records > 0, got %q", cfg["max.records"])
	}
	maxTasks, err := strconv.Atoi(cfg["tasks.max"])
	if err != nil {
		t.Fatalf("expectedDatagen needs tasks.max: %v", err)
	}
	conn, ok := datagen.Plugin().New().(sdk.SourceConnector)
	if !ok {
		t.Fatal("datagen is not a source connector")
	}
	if err := conn.Start(ctx, cfg); err != nil {
		t.Fatalf("datagen start: %v", err)
	}
	defer conn.Stop(ctx)
	tcs, err := conn.TaskConfigs(maxTasks)
	if err != nil {
		t.Fatalf("datagen task configs: %v", err)
	}
	s := datagenStream{ids: map[string]string{}, tombstones: map[string]int{}}
	for i, tc := range tcs {
		// Each task's share of max.records, as datagen splits it.
		want := total / int64(len(tcs))
		if int64(i) < total%int64(len(tcs)) {
			want++
		}
		task := conn.NewSourceTask()
		if err := task.Start(ctx, tc, nil); err != nil {
			t.Fatalf("datagen task %d start: %v", i, err)
		}
		for n := int64(0); n < want; {
			recs, err := task.Poll(ctx)
			if err != nil {
				t.Fatalf("datagen task %d poll after %d of %d records: %v", i, n, want, err)
			}
			for _, r := range recs {
				key, _ := r.Key.(string)
				if r.Value == nil {
					s.tombstones[key]++
				} else {
					id := eventID(t, r.Value)
					if _, dup := s.ids[id]; dup {
						t.Fatalf("datagen emitted event_id %s twice", id)
					}
					s.ids[id] = key
				}
				s.total++
			}
			n += int64(len(recs))
		}
		_ = task.Stop(ctx)
	}
	if int64(s.total) != total {
		t.Fatalf("datagen in-process emitted %d records, want %d", s.total, total)
	}
	return s
}

func eventID(t *testing.T, v any) string {
	t.Helper()
	var id any
	switch v := v.(type) {
	case *sdk.Struct:
		id = v.Get("event_id")
	case map[string]any:
		id = v["event_id"]
	}
	s, ok := id.(string)
	if !ok || s == "" {
		t.Fatalf("datagen value %T has no event_id", v)
	}
	return s
}

// jsonEventID returns the event_id of a JSON object, "" if it has none.
func jsonEventID(b []byte) string {
	var v struct {
		EventID string `json:"event_id"`
	}
	if json.Unmarshal(b, &v) != nil {
		return ""
	}
	return v.EventID
}

// TestDatagenToFileSinkSurvivesKills runs datagen → Kafka → file sink in one
// worker, SIGKILLs the worker at random moments five times, restarts it with
// the same files each time, and checks that nothing was lost at either stage,
// that each partition's records reached the file in order within every run,
// and that every line holds the record at its offset. Duplicates (the price
// of at-least-once delivery after a crash) are counted and reported.
func TestDatagenToFileSinkSurvivesKills(t *testing.T) {
	s := setup(t)
	const (
		records    = 100_000
		rate       = 5000 // records/s: datagen alone would take 20 s
		kills      = 5
		partitions = 3
	)
	topic := e2etest.UniqueName("e2e-delivery")
	s.CreateTopic(t, topic, partitions)
	dir := t.TempDir()
	out := filepath.Join(dir, "sink.txt")
	gen := map[string]string{
		"connector.class": "datagen",
		"tasks.max":       "2",
		"topic":           topic,
		"rate.per.sec":    strconv.Itoa(rate),
		"max.records":     strconv.Itoa(records),
		"seed":            "20240611",
	}
	sink := map[string]string{
		"connector.class":                  "FileStreamSink",
		"tasks.max":                        "1",
		"topics":                           topic,
		"file":                             out,
		"freshet.file.include.coordinates": "true",
	}
	want := expectedDatagen(t, gen)
	t.Logf("datagen will emit %d records: %d events, %d tombstones over %d keys",
		want.total, len(want.ids), want.total-len(want.ids), len(want.tombstones))

	w := s.NewWorker(t, dir, s.WorkerProps(t, dir), map[string]map[string]string{"gen": gen, "sink": sink})
	rng := e2etest.NewRand(t)
	began := time.Now()
	var boundaries []int64 // output size at each kill: where one run's lines end
	for k := 1; k <= kills; k++ {
		w.Start()
		runStart := time.Now()
		size0, end0 := fileSize(t, out), e2etest.Sum(s.EndOffsets(t, topic))
		// Kill only once this run has moved data: odd runs as soon as anything
		// moves (often while the sink is still joining its group), even runs
		// once the sink writes (the steady state).
		w.WaitFor(90*time.Second, fmt.Sprintf("run %d to move records", k), func() (bool, string) {
			size, end := fileSize(t, out), e2etest.Sum(s.EndOffsets(t, topic))
			if end >= records && size == size0 && size > 0 {
				// datagen is done and this run has nothing left to write
				// once it has caught up: a kill now hits an idle worker.
				return time.Since(runStart) > 3*time.Second, "the stream is complete"
			}
			if k%2 == 0 {
				return size > size0, fmt.Sprintf("sink output %d bytes (was %d)", size, size0)
			}
			return size > size0 || end > end0, fmt.Sprintf("sink output %d bytes (was %d), topic %d records (was %d)", size, size0, end, end0)
		})
		time.Sleep(e2etest.RandomDuration(rng, 200*time.Millisecond, 2500*time.Millisecond)) // a random moment, not a condition
		w.Kill()
		size, end := fileSize(t, out), s.EndOffsets(t, topic)
		boundaries = append(boundaries, size)
		t.Logf("SIGKILL %d at %s: topic holds %d records %v, sink output %d bytes",
			k, time.Since(began).Round(time.Millisecond), e2etest.Sum(end), end, size)
	}

	// The last run goes to the end: every datagen record in the topic, every
	// offset of the topic in the file.
	w.Start()
	reader := s.NewTopicReader(t, topic)
	tail := newFileTail(out, topic)
	got, read := map[string]bool{}, 0
	w.WaitFor(4*time.Minute, "every record in the topic and every offset in the sink's file", func() (bool, string) {
		reader.Poll(t, 300*time.Millisecond)
		for _, r := range reader.Records[read:] {
			if r.Value != nil {
				got[jsonEventID(r.Value)] = true
			}
		}
		read = len(reader.Records)
		if len(got) < len(want.ids) {
			return false, fmt.Sprintf("topic holds %d of %d distinct events", len(got), len(want.ids))
		}
		tail.update(t)
		return covers(tail.coordParser, s.EndOffsets(t, topic))
	})
	t.Logf("all delivered %s after the first start", time.Since(began).Round(time.Millisecond))
	w.Stop(30 * time.Second)
	t.Logf("worker %s", logSummary(w))

	end := s.EndOffsets(t, topic)
	reader.ReadTo(t, end, time.Minute)
	tail.update(t)

	// (c) No loss at the source: every event and tombstone datagen emits.
	byOffset := map[int32]map[int64]*kgo.Record{}
	seen := map[string]int{}
	tombs := map[string]int{}
	var unexpected []string
	for _, r := range reader.Records {
		if byOffset[r.Partition] == nil {
			byOffset[r.Partition] = map[int64]*kgo.Record{}
		}
		byOffset[r.Partition][r.Offset] = r
		if r.Value == nil {
			tombs[string(r.Key)]++
			continue
		}
		id := jsonEventID(r.Value)
		key, ok := want.ids[id]
		if !ok || key != string(r.Key) {
			if len(unexpected) < 5 {
				unexpected = append(unexpected, fmt.Sprintf("%s-%d@%d key %q value %.120q", topic, r.Partition, r.Offset, r.Key, r.Value))
			}
			continue
		}
		seen[id]++
	}
	var lostEvents, lostTombs, tombDups int
	for id := range want.ids {
		if seen[id] == 0 {
			lostEvents++
		}
	}
	for key, n := range want.tombstones {
		if tombs[key] < n {
			lostTombs += n - tombs[key]
		} else {
			tombDups += tombs[key] - n
		}
	}
	eventDups := 0
	for _, n := range seen {
		eventDups += n - 1
	}
	t.Logf("source stage: topic holds %d records for %d emitted; duplicates: %d events (records − distinct event ids) + %d tombstones",
		len(reader.Records), want.total, eventDups, tombDups)
	if len(unexpected) > 0 {
		t.Errorf("topic holds records datagen does not emit for this config, e.g. %v", unexpected)
	}
	if lostEvents > 0 || lostTombs > 0 {
		t.Errorf("source lost records: %d of %d events and %d of %d tombstones are not in the topic",
			lostEvents, len(want.ids), lostTombs, want.total-len(want.ids))
	}

	// (a) No loss at the sink, (b) per-partition order within each run.
	d := analyze(tail.entries, end, boundaries)
	t.Logf("sink stage: %d lines for %d offsets; duplicates %d (lines − distinct offsets); %d lines glued to a line cut by SIGKILL; %d lines without coordinates",
		d.lines, e2etest.Sum(end), d.lines-d.distinct(), tail.glued, tail.junk)
	if d.nMissing > 0 {
		t.Errorf("sink lost %d offsets, e.g. %v", d.nMissing, d.missing)
	}
	if d.beyond > 0 {
		t.Errorf("sink wrote %d lines with offsets past the topic's end %v", d.beyond, end)
	}
	if len(d.disorder) > 0 {
		t.Errorf("records of a partition went backwards within one worker run: %v", d.disorder)
	}
	if tail.junk > 0 {
		t.Errorf("%d lines of the sink's output have no coordinates", tail.junk)
	}

	// Every line holds the record at its offset.
	var wrong []string
	for _, p := range slices.Sorted(maps.Keys(d.last)) {
		for off, c := range d.last[p] {
			r := byOffset[p][off]
			if r == nil {
				continue // counted in beyond
			}
			ok := string(c.Value) == "null"
			if r.Value != nil {
				id := jsonEventID(c.Value)
				ok = id != "" && id == jsonEventID(r.Value)
			}
			if !ok && len(wrong) < 5 {
				wrong = append(wrong, fmt.Sprintf("%d/%d: line %.100q, record %.100q", p, off, c.Value, r.Value))
			}
		}
	}
	if len(wrong) > 0 {
		t.Errorf("sink lines that do not match the record at their offset: %v", wrong)
	}
}
