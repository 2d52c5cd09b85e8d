package pipeline

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/freshet-dev/freshet/tests/e2e/e2etest"
)

// TestToleranceNoneAndRetries is the rest of issue 4 done-means 1 through a
// worker: with errors.tolerance=none a CHECK violation fails the task with
// the cause (SQLSTATE and constraint) in the status trace; with PostgreSQL
// unreachable for a while (a proxy the test controls goes down), the
// retriable errors are retried until the writes succeed, and nothing reaches
// the dead-letter topic.
func TestToleranceNoneAndRetries(t *testing.T) {
	e := setup(t)
	strict, flaky := e.name("strict"), e.name("flaky")
	flakyDLQ := e.name("flaky_dlq")
	e.CreateTopic(t, strict, 1)
	e.CreateTopic(t, flaky, 3)
	e.DeleteTopicAtCleanup(t, flakyDLQ)
	e.exec(fmt.Sprintf(`CREATE TABLE %s."%s" (seq bigint, qty bigint, CONSTRAINT qty_nonneg CHECK (qty >= 0))`, e.schema, strict))
	pgAddr := strings.TrimPrefix(e.pgURL[strings.Index(e.pgURL, "@")+1:], "")
	pgAddr = pgAddr[:strings.IndexAny(pgAddr, "/?")]
	px := e2etest.NewProxy(t, pgAddr)
	viaProxy := strings.Replace(e.pgURL, pgAddr, px.Addr(), 1)

	strictCfg := e.pgSink(strict, "insert.mode", "insert", "pk.mode", "none")
	strictCfg["errors.tolerance"] = "none"
	flakyCfg := dlqConfig(e.pgSink(flaky, "insert.mode", "insert", "pk.mode", "none",
		"connection.url", viaProxy, "max.retries", "2", "retry.backoff.ms", "200"), flakyDLQ)
	flakyCfg["errors.retry.timeout"] = "-1"
	flakyCfg["errors.retry.delay.max.ms"] = "2000"
	w := e.newWorker(map[string]map[string]string{"pg-strict": strictCfg, "pg-flaky": flakyCfg})
	w.Start()
	w.WaitRunning("pg-strict", 60*time.Second)
	w.WaitRunning("pg-flaky", 60*time.Second)

	// tolerance=none: the violating record fails the task.
	var recs []rec
	for i := range 20 {
		q := i
		if i == 10 {
			q = -1
		}
		recs = append(recs, rec{key: "k", value: map[string]any{"seq": i, "qty": q}})
	}
	e.Produce(t, kgos(strict, recs)...)
	var trace string
	w.WaitFor(60*time.Second, "the strict task to fail", func() (bool, string) {
		st, err := w.Status("pg-strict")
		if err != nil || len(st.Tasks) == 0 {
			return false, fmt.Sprint(st, err)
		}
		trace = st.Tasks[0].Trace
		return st.Tasks[0].State == "FAILED", st.String()
	})
	t.Logf("status trace of the failed task: %.400s", trace)
	for _, want := range []string{"23514", "qty_nonneg"} {
		if !strings.Contains(trace, want) {
			t.Errorf("the failed task's trace does not contain %q: %s", want, trace)
		}
	}
	// The sink writes the failing record's batch-mates (its per-record
	// outcome) before the runtime fails the task; the offsets stored with
	// them keep the failing record for a restart.
	t.Logf("the strict table has %d of 20 rows after the task failed", e.count(strict))

	// Retriable: PostgreSQL unreachable for a while.
	batch := func(from, n int) []rec {
		var out []rec
		for i := from; i < from+n; i++ {
			out = append(out, rec{key: fmt.Sprint(i), value: map[string]any{"seq": i, "qty": i}})
		}
		return out
	}
	e.Produce(t, kgos(flaky, batch(0, 100))...)
	w.WaitFor(60*time.Second, "100 rows through the proxy", func() (bool, string) {
		n := e.count(flaky)
		return n == 100, fmt.Sprintf("%d rows", n)
	})
	px.Down()
	e.Produce(t, kgos(flaky, batch(100, 200))...)
	time.Sleep(6 * time.Second) // several rounds of retries
	if n := e.count(flaky); n != 100 {
		t.Errorf("%d rows while PostgreSQL was unreachable, want 100", n)
	}
	e.assertTasksRunning(w, "pg-flaky")
	px.Up()
	up := time.Now()
	w.WaitFor(60*time.Second, "all 300 rows after PostgreSQL is back", func() (bool, string) {
		n := e.count(flaky)
		return n == 300, fmt.Sprintf("%d rows", n)
	})
	t.Logf("FIGURE all rows written %.1fs after the proxy came back", time.Since(up).Seconds())
	if n := e2etest.Sum(e.EndOffsets(t, flakyDLQ)); n != 0 {
		t.Errorf("%d dead letters: retriable errors reached the dead-letter topic", n)
	}
	var seqs int64
	_ = e.pg.QueryRow(t.Context(), fmt.Sprintf(`SELECT count(DISTINCT seq) FROM %s."%s"`, e.schema, flaky)).Scan(&seqs)
	if seqs != 300 {
		t.Errorf("%d distinct records in the table, want 300 (each once)", seqs)
	}
	e.assertTasksRunning(w, "pg-flaky")
}
