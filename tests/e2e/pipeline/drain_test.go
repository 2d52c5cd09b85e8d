package pipeline

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/freshet-dev/freshet/dlq"
	"github.com/freshet-dev/freshet/tests/e2e/e2etest"
	"github.com/freshet-dev/freshet/tests/e2e/sinks"
)

// replayJSON runs `freshet dlq replay … -o json` and decodes its result.
func (e *env) replayJSON(w *e2etest.Worker, args ...string) dlq.ReplayResult {
	e.t.Helper()
	out, errOut, code := e.freshet(w, append(append([]string{"replay"}, args...), "-o", "json")...)
	if code != 0 {
		e.t.Fatalf("freshet dlq replay %v: exit %d: %s %s", args, code, out, errOut)
	}
	var res dlq.ReplayResult
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		e.t.Fatalf("replay output: %v: %s", err, out)
	}
	return res
}

// TestDrainLoop is issue 4 done-means 2 through a worker and the CLI: records
// that failed because of a "bug" (a CHECK constraint) are replayed into the
// sink after the fix and each arrives in the table exactly once, although a
// first replay is SIGKILLed halfway; a second identical replay does nothing;
// --rate holds within 10 %; records of another failure go back through the
// source topic with --to source, once.
//
// The table has no key (insert mode, pk.mode=none): a record written twice
// is an extra row.
func TestDrainLoop(t *testing.T) {
	e := setup(t)
	topic, dlqTopic := e.name("orders"), e.name("orders_dlq")
	e.CreateTopic(t, topic, 3)
	e.DeleteTopicAtCleanup(t, dlqTopic)
	e.exec(fmt.Sprintf(`CREATE TABLE %s."%s" (seq bigint, qty bigint, name text,
		CONSTRAINT qty_nonneg CHECK (qty >= 0), CONSTRAINT no_poison CHECK (name <> 'poison'))`, e.schema, topic))
	const conn = "pg-orders"
	cfg := dlqConfig(e.pgSink(topic, "insert.mode", "insert", "pk.mode", "none"), dlqTopic)
	w := e.newWorker(map[string]map[string]string{conn: cfg})
	w.Start()
	w.WaitRunning(conn, 60*time.Second)

	const n, bugs, poisons = 4000, 3000, 50
	var recs []rec
	for i := range n + poisons {
		v := map[string]any{"seq": i, "qty": i, "name": fmt.Sprintf("order %d", i)}
		switch {
		case i >= n:
			v["name"] = "poison"
		case i%4 != 0:
			v["qty"] = -i // violates qty_nonneg until the fix
		}
		recs = append(recs, rec{key: fmt.Sprint(i % 97), value: v})
	}
	produced := e.Produce(t, kgos(topic, recs)...)
	start := time.Now()
	w.WaitFor(90*time.Second, "the good rows and the dead letters", func() (bool, string) {
		rows, dls := e.count(topic), e2etest.Sum(e.EndOffsets(t, dlqTopic))
		return rows == n-bugs && dls == bugs+poisons, fmt.Sprintf("%d rows, %d dead letters", rows, dls)
	})
	t.Logf("FIGURE %d records: %d rows and %d dead letters in %.1fs", len(produced), n-bugs, bugs+poisons, time.Since(start).Seconds())

	// inspect sees both kinds; a replay before the fix would fail again, so
	// the dry run only counts.
	if out, errOut, code := e.freshet(w, "replay", conn, "--to", "sink", "--match", "qty_nonneg", "--dry-run"); code != 0 ||
		!strings.Contains(out, fmt.Sprintf("would replay %s of", commas(bugs))) {
		t.Fatalf("dry run: exit %d: %s %s", code, out, errOut)
	}

	// The fix.
	e.exec(fmt.Sprintf(`ALTER TABLE %s."%s" DROP CONSTRAINT qty_nonneg`, e.schema, topic))

	// A throttled replay into the sink, SIGKILLed about a third of the way.
	const rate = 400
	cmd := e.command(w, "replay", conn, "--to", "sink", "--match", "qty_nonneg", "--rate", fmt.Sprint(rate))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	killAt := int64(n - bugs + bugs/3)
	e2etest.WaitFor(t, 60*time.Second, "the replay to get a third of the way", func() (bool, string) {
		c := e.count(topic)
		return c >= killAt, fmt.Sprintf("%d rows", c)
	})
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	// Rerun at once, as an on-call engineer would: the worker finishes and
	// records the batch it was writing when the client went away before the
	// rerun starts, so nothing is delivered twice.
	atKill := e.count(topic)
	settled := atKill
	t.Logf("replay SIGKILLed with %d rows in the table; rerunning at once", atKill)
	if settled >= n {
		t.Fatalf("the killed replay delivered everything (%d rows): nothing left to resume", settled)
	}

	// The rerun delivers the rest, at the rate asked for.
	type sample struct {
		at   time.Time
		rows int64
	}
	var samples []sample
	countRows := e.counter(topic) // a connection of its own, for the sampler
	stopSampling := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stopSampling:
				return
			case now := <-tick.C:
				samples = append(samples, sample{now, countRows()})
			}
		}
	}()
	wallStart := time.Now()
	res := e.replayJSON(w, conn, "--to", "sink", "--match", "qty_nonneg", "--rate", fmt.Sprint(rate))
	wall := time.Since(wallStart)
	close(stopSampling)
	<-sampled
	rest := int64(n) - settled
	t.Logf("rerun: replayed %d, failed again %d, recovered %d in %.2fs; reported rate %.1f/s", res.Replayed, res.FailedAgain, res.Recovered, res.Elapsed.Seconds(), res.Rate)
	// The killed run's last batch may land after atKill was read: the rerun
	// replays at most the rest; the table check below proves exactly once.
	if res.Replayed > rest || res.Replayed < rest-int64(rate) || res.FailedAgain != 0 {
		t.Errorf("rerun replayed %d (failed again %d), want the %d the killed run had not delivered, less at most one batch", res.Replayed, res.FailedAgain, rest)
	}
	// The rate, measured at the table: the sink gets batches of up to 500,
	// so the table grows in steps; from the first step to the last, the
	// records of all steps but the first were delivered.
	var first, last sample
	for _, s := range samples {
		if first.at.IsZero() && s.rows > settled {
			first = s
		}
		if s.rows > last.rows {
			last = s
		}
	}
	if first.at.IsZero() || !last.at.After(first.at) {
		t.Errorf("could not measure the rate from %d samples", len(samples))
	} else {
		measured := float64(last.rows-first.rows) / last.at.Sub(first.at).Seconds()
		t.Logf("FIGURE --rate %d into the sink: %.1f rows/s measured at the table (%d rows in %.2fs), %.1f/s reported by the replay, %d records in %.2fs wall = %.1f/s",
			rate, measured, last.rows-first.rows, last.at.Sub(first.at).Seconds(), res.Rate, res.Replayed, wall.Seconds(), float64(res.Replayed)/wall.Seconds())
		if math.Abs(measured-rate)/rate > 0.10 {
			t.Errorf("--rate %d: measured %.1f rows/s at the table, more than 10%% off", rate, measured)
		}
		if math.Abs(res.Rate-rate)/rate > 0.10 {
			t.Errorf("--rate %d: the replay reports %.1f records/s, more than 10%% off", rate, res.Rate)
		}
	}

	// Every record of the bug arrived exactly once: the table equals the
	// reference of all records but the poison ones, row for row.
	ref, err := sinks.PGReference{InsertMode: "insert", PKMode: "none"}.Rows(sdkRecords(t, produced, nil), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, r := range ref {
		if r["name"] == "poison" {
			delete(ref, k)
		}
	}
	if d := diffTables(e.readTable(topic, nil, "seq", "qty", "name"), ref); d != "" {
		t.Errorf("after the replays, the table differs from the reference: %s", d)
	}

	// The same replay again does nothing.
	again := e.replayJSON(w, conn, "--to", "sink", "--match", "qty_nonneg")
	if again.Replayed != 0 || again.Recovered != 0 || e.count(topic) != n {
		t.Errorf("second identical replay: %+v; table %d rows, want %d", again, e.count(topic), n)
	}

	// The poison records: fixed, then replayed through the source topic once.
	e.exec(fmt.Sprintf(`ALTER TABLE %s."%s" DROP CONSTRAINT no_poison`, e.schema, topic))
	srcBefore := e2etest.Sum(e.EndOffsets(t, topic))
	src := e.replayJSON(w, conn, "--to", "source")
	if src.Replayed != poisons {
		t.Errorf("replay --to source replayed %d, want %d", src.Replayed, poisons)
	}
	w.WaitFor(60*time.Second, "the poison records in the table", func() (bool, string) {
		c := e.count(topic)
		return c == n+poisons, fmt.Sprintf("%d rows", c)
	})
	if got := e2etest.Sum(e.EndOffsets(t, topic)) - srcBefore; got != poisons {
		t.Errorf("the source topic grew by %d records, want %d", got, poisons)
	}
	var replayed []*kgo.Record
	for _, r := range e.ReadTopic(t, topic) {
		if _, ok := header(r, dlq.HeaderReplayID); ok {
			replayed = append(replayed, r)
		}
	}
	if len(replayed) != poisons {
		t.Errorf("%d records in the source topic carry %s, want %d", len(replayed), dlq.HeaderReplayID, poisons)
	}
	for _, r := range replayed {
		for _, h := range r.Headers {
			if strings.HasPrefix(h.Key, "__connect.errors.") || h.Key == dlq.HeaderErrorClass {
				t.Errorf("replayed record %d kept dead-letter header %s", r.Offset, h.Key)
				break
			}
		}
	}
	if again := e.replayJSON(w, conn, "--to", "source"); again.Replayed != 0 {
		t.Errorf("second replay --to source replayed %d", again.Replayed)
	}
	ref2, _ := sinks.PGReference{InsertMode: "insert", PKMode: "none"}.Rows(sdkRecords(t, produced, nil), nil, nil)
	time.Sleep(time.Second) // anything replayed twice would have arrived by now
	if d := diffTables(e.readTable(topic, nil, "seq", "qty", "name"), ref2); d != "" {
		t.Errorf("after the replay to source, the table differs from the reference: %s", d)
	}
	if dls := e2etest.Sum(e.EndOffsets(t, dlqTopic)); dls != bugs+poisons {
		t.Errorf("the dead-letter topic grew to %d records: a replayed record failed again", dls)
	}
	out, errOut, code := e.freshet(w, "list", "-o", "json", "--no-scan")
	var sums []dlq.Summary
	if code != 0 || json.Unmarshal([]byte(out), &sums) != nil {
		t.Fatalf("list: exit %d: %s %s", code, out, errOut)
	}
	for _, s := range sums {
		if s.Topic == dlqTopic && s.Depth != 0 {
			t.Errorf("depth of %s after draining = %d, want 0", dlqTopic, s.Depth)
		}
	}
	e.assertTasksRunning(w, conn)
}

// commas renders n as `freshet dlq` does: 3,000.
func commas(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
