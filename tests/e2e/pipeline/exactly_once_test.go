package pipeline

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/freshet-dev/freshet/connectors/sdk"
	"github.com/freshet-dev/freshet/tests/e2e/e2etest"
	"github.com/freshet-dev/freshet/tests/e2e/sinks"
)

// dropTombstones is a Filter of tombstones, for sinks that cannot take them.
func dropTombstones(cfg map[string]string) map[string]string {
	cfg["transforms"] = "drop"
	cfg["transforms.drop.type"] = "org.apache.kafka.connect.transforms.Filter"
	cfg["transforms.drop.predicate"] = "tomb"
	cfg["predicates"] = "tomb"
	cfg["predicates.tomb.type"] = "org.apache.kafka.connect.transforms.predicates.RecordIsTombstone"
	return cfg
}

// TestExactlyOnceUnderSIGKILL is issue 6 done-means 2 through a worker: a
// producer keeps producing upserts and tombstones while one worker process,
// running four sinks of the same topic, is SIGKILLed at random points ten
// times and restarted. At the end:
//   - the upsert table (pk.mode=record_key, delete.enabled) matches the
//     reference row for row;
//   - the insert table (pk.mode=kafka, no unique key of the data) holds each
//     non-tombstone record exactly once: a duplicate write would be an extra
//     row's worth of a unique violation, sent to the dead-letter topic, so
//     that topic must stay empty;
//   - the Redis hashes match the reference;
//   - the Redis stream holds each non-tombstone record exactly once (a
//     duplicate would be an extra entry).
func TestExactlyOnceUnderSIGKILL(t *testing.T) {
	e := setup(t)
	rnd := e2etest.NewRand(t)
	topic := e.name("events")
	e.CreateTopic(t, topic, 3)
	insertDLQ := e.name("events_insert_dlq")
	e.DeleteTopicAtCleanup(t, insertDLQ)
	streamKey := e.prefix + ":stream"
	conns := map[string]map[string]string{
		"pg-upsert": e.pgSink(topic, "insert.mode", "upsert", "pk.mode", "record_key", "pk.fields", "id", "delete.enabled", "true"),
		"pg-insert": dlqConfig(dropTombstones(e.pgSink(topic, "insert.mode", "insert", "pk.mode", "kafka",
			"table.name.format", e.schema+".${topic}_log")), insertDLQ),
		"redis-hash":   e.redisSink(topic, "redis.type", "hash", "freshet.offsets.key", "freshet:offsets:"+e.prefix+":hash"),
		"redis-stream": e.redisSink(topic, "redis.type", "stream", "redis.key.template", streamKey, "freshet.offsets.key", "freshet:offsets:"+e.prefix+":stream"),
	}
	names := []string{"pg-upsert", "pg-insert", "redis-hash", "redis-stream"}
	w := e.newWorker(conns)

	// The producer: 500 keys, ~10 % tombstones, each value with a unique seq.
	var (
		mu       sync.Mutex
		produced []*kgo.Record
		seq      atomic.Int64
		prodErr  error
	)
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		prnd := newRandFrom(rnd.Uint64())
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for ctx.Err() == nil {
			<-tick.C
			batch := make([]*kgo.Record, 40)
			for i := range batch {
				k := prnd.IntN(500)
				r := rec{key: fmt.Sprint(k)}
				if prnd.IntN(10) != 0 {
					s := seq.Add(1)
					r.value = map[string]any{"seq": s, "qty": prnd.IntN(1000), "name": fmt.Sprintf("n%d", s)}
				}
				batch[i] = r.kgo(topic)
			}
			pctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			res := e.Client.ProduceSync(pctx, batch...)
			cancel()
			if err := res.FirstErr(); err != nil {
				mu.Lock()
				prodErr = err
				mu.Unlock()
				return
			}
			mu.Lock()
			for _, r := range res {
				produced = append(produced, r.Record)
			}
			mu.Unlock()
		}
	}()

	const kills = 10
	start := time.Now()
	for i := range kills {
		before := e.count(topic + "_log")
		w.Start()
		if i == 0 {
			for _, name := range names {
				w.WaitRunning(name, 60*time.Second)
			}
		}
		// A restart first waits for the killed consumers' sessions to
		// expire: wait until the sinks write again, then kill at a random
		// moment while they keep writing.
		w.WaitFor(60*time.Second, "the insert sink to write again", func() (bool, string) {
			n := e.count(topic + "_log")
			return n > before, fmt.Sprintf("%d rows (%d before the start)", n, before)
		})
		d := e2etest.RandomDuration(rnd, 0, 2500*time.Millisecond)
		time.Sleep(d)
		if !w.Running() {
			t.Fatalf("worker exited on its own before kill %d: %v", i+1, w.ExitErr())
		}
		w.Kill()
		mu.Lock()
		n := len(produced)
		mu.Unlock()
		t.Logf("kill %d %.1fs after the sinks wrote again: %d records produced; table rows %d, log rows %d", i+1, d.Seconds(), n, e.count(topic), e.count(topic+"_log"))
	}
	stop()
	wg.Wait()
	if prodErr != nil {
		t.Fatalf("producer: %v", prodErr)
	}
	t.Logf("FIGURE %d SIGKILLs in %.0fs while %d records were produced", kills, time.Since(start).Seconds(), len(produced))

	w.Start()
	for _, name := range names {
		w.WaitRunning(name, 60*time.Second)
	}
	recs := sdkRecords(t, produced, nil)
	isTomb := func(r *sdk.Record) bool { return r.Value == nil }
	upsertRef, err := sinks.PGReference{InsertMode: "upsert", PKMode: "record_key", PKFields: []string{"id"}, Delete: true}.Rows(recs, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	insertRef, err := sinks.PGReference{InsertMode: "insert", PKMode: "kafka"}.Rows(recs, isTomb, nil)
	if err != nil {
		t.Fatal(err)
	}
	hashRef := sinks.RedisReference{Type: "hash"}.Keys(recs, nil)
	wantStream := map[string]int{}
	for _, r := range recs {
		if r.Value != nil {
			wantStream[r.Value.(map[string]any)["seq"].(string)] = 0
		}
	}
	kafkaKey := []string{"__connect_topic", "__connect_partition", "__connect_offset"}
	checks := []struct {
		name string
		diff func() string
	}{
		{"pg-upsert", func() string {
			return diffTables(e.readTable(topic, []string{"id"}, "id", "seq", "qty", "name"), upsertRef)
		}},
		{"pg-insert", func() string {
			return diffTables(e.readTable(topic+"_log", kafkaKey, append(kafkaKey, "seq", "qty", "name")...), insertRef)
		}},
		{"redis-hash", func() string {
			got, err := sinks.ReadRedis(context.Background(), e.rd, topic+":*")
			if err != nil {
				return err.Error()
			}
			return sinks.Diff(got, hashRef, 15)
		}},
		{"redis-stream", func() string { return e.streamDiff(streamKey, wantStream) }},
	}
	for _, c := range checks {
		start := time.Now()
		w.WaitFor(90*time.Second, c.name+" to match its reference", func() (bool, string) {
			d := c.diff()
			return d == "", d
		})
		t.Logf("%s matches its reference (%.1fs after the last restart's check began)", c.name, time.Since(start).Seconds())
	}
	t.Logf("FIGURE references: %d upsert rows, %d insert rows, %d hashes, %d stream entries from %d records",
		len(upsertRef), len(insertRef), len(hashRef), len(wantStream), len(recs))
	if n := e2etest.Sum(e.EndOffsets(t, insertDLQ)); n != 0 {
		for _, dl := range e.ReadTopic(t, insertDLQ)[:min(3, int(n))] {
			m, _ := header(dl, "__connect.errors.exception.message")
			t.Logf("dead letter: %s", m)
		}
		t.Errorf("the insert sink dead-lettered %d records: duplicates were written", n)
	}
	e.assertTasksRunning(w, names...)
}

// streamDiff compares a stream's entries, by their seq field, with want
// (seq → 0): each must be there exactly once.
func (e *env) streamDiff(key string, want map[string]int) string {
	entries, err := e.rd.XRange(context.Background(), key, "-", "+").Result()
	if err != nil {
		return err.Error()
	}
	got := map[string]int{}
	for _, x := range entries {
		s, _ := x.Values["seq"].(string)
		got[s]++
	}
	var missing, dup, extra []string
	for s := range want {
		if got[s] == 0 {
			missing = append(missing, s)
		}
	}
	for s, n := range got {
		if _, ok := want[s]; !ok {
			extra = append(extra, s)
		} else if n > 1 {
			dup = append(dup, fmt.Sprintf("%s×%d", s, n))
		}
	}
	if len(missing)+len(dup)+len(extra) == 0 {
		return ""
	}
	return fmt.Sprintf("stream has %d entries for %d records: %d missing (%v), %d duplicated (%v), %d unknown (%v)",
		len(entries), len(want), len(missing), head(missing), len(dup), head(dup), len(extra), head(extra))
}

func head(s []string) []string { return s[:min(len(s), 5)] }
