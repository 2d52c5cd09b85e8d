package dlq_test

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/freshet-dev/freshet/dlq"
)

// TestMillionDeadLetters fills a queue with 1,000,000 dead letters, then:
// a filter that must read all of them answers in under 10 s; an unthrottled
// replay of all of them runs at 50,000 records/s or more and delivers each
// exactly once; a second identical replay does nothing.
func TestMillionDeadLetters(t *testing.T) {
	e := setup(t)
	const n = 1_000_000
	e.fill(n)

	start := time.Now()
	out, errOut, code := e.freshet("inspect", e.connector, "--match", `shard 7`, "--limit", "0", "-o", "json")
	took := time.Since(start)
	if code != 0 {
		t.Fatalf("inspect: exit %d: %s", code, errOut)
	}
	var recs []dlq.Record
	if err := json.Unmarshal([]byte(out), &recs); err != nil {
		t.Fatalf("inspect output: %v", err)
	}
	if len(recs) != n/10000 {
		t.Errorf("inspect --match 'shard 7' found %d records, want %d", len(recs), n/10000)
	}
	t.Logf("FIGURE inspect --match over %d dead letters: %d matches in %.2fs (whole command)", n, len(recs), took.Seconds())
	if took > 10*time.Second {
		t.Errorf("inspect over %d dead letters took %s, want under 10s", n, took)
	}

	start = time.Now()
	_, errOut, code = e.freshet("inspect", e.connector, "--error-class", "retriable", "--since", "2h", "--limit", "5")
	t.Logf("FIGURE inspect --error-class retriable --limit 5: %.2fs", time.Since(start).Seconds())
	if code != 0 || !strings.Contains(errOut, "5 matched of") {
		t.Errorf("inspect --limit 5: exit %d: %s", code, errOut)
	}

	start = time.Now()
	out, errOut, code = e.freshet("list", "-o", "json", "--no-scan")
	t.Logf("FIGURE list (depth and breakdown of %d dead letters): %.2fs", n, time.Since(start).Seconds())
	var sums []dlq.Summary
	if code != 0 || json.Unmarshal([]byte(out), &sums) != nil {
		t.Fatalf("list: exit %d: %s %s", code, out, errOut)
	}
	for _, s := range sums {
		if s.Topic == e.queue && (s.Depth != n || s.ByErrorClass["retriable"] != n/10000 || s.BySourceTopic[e.source] != n) {
			t.Errorf("list: %+v", s)
		}
	}

	start = time.Now()
	res := e.replayJSON(e.connector, "--to", "source")
	wall := time.Since(start)
	t.Logf("FIGURE unthrottled replay to source: %d records at %.0f records/s (first record sent to last acknowledged); "+
		"whole replay call %.2fs = %.0f records/s; whole command %.2fs = %.0f records/s",
		res.Replayed, res.Rate, res.Elapsed.Seconds(), float64(res.Replayed)/res.Elapsed.Seconds(), wall.Seconds(), float64(res.Replayed)/wall.Seconds())
	if res.Replayed != n {
		t.Fatalf("replayed %d, want %d", res.Replayed, n)
	}
	if res.Rate < 50000 {
		t.Errorf("unthrottled replay ran at %.0f records/s, want ≥ 50,000", res.Rate)
	}
	if got := e.count(e.source); got != n {
		t.Errorf("source topic has %d records, want %d", got, n)
	}
	if c := e.cursor(); c[0] != n {
		t.Errorf("drain cursor = %v, want %d", c, n)
	}
	again := e.replayJSON(e.connector, "--to", "source")
	if again.Replayed != 0 || e.count(e.source) != n {
		t.Errorf("second identical replay replayed %d", again.Replayed)
	}
	e.assertExactlyOnce(n)
}

// TestReplayKilledResumes kills a replay with SIGKILL halfway, runs it
// again, and checks that every dead letter arrived exactly once.
func TestReplayKilledResumes(t *testing.T) {
	e := setup(t)
	const n = 100_000
	e.fill(n)
	cmd := e.command("replay", e.connector, "--to", "source", "--rate", "20000")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Minute)
	for e.count(e.source) < n/3 {
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			t.Fatal("the replay did not get a third of the way in a minute")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	killedAt := e.count(e.source)
	t.Logf("killed the replay with %d of %d records in the source topic; drain cursor %v", killedAt, n, e.cursor())
	if killedAt >= n {
		t.Fatalf("the replay finished before it was killed")
	}

	res := e.replayJSON(e.connector, "--to", "source")
	t.Logf("rerun: replayed %d, recovered %d (replayed by the killed run after its last journal entry)", res.Replayed, res.Recovered)
	if got := e.count(e.source); got != n {
		t.Errorf("source topic has %d records after the rerun, want %d", got, n)
	}
	e.assertExactlyOnce(n)
	again := e.replayJSON(e.connector, "--to", "source")
	if again.Replayed != 0 || again.Recovered != 0 {
		t.Errorf("third replay = %+v, want nothing", again)
	}
	// The audit topic says who ran what, and the killed run was closed.
	out, _, _ := e.freshet("list", "-o", "json", "--no-scan")
	var sums []dlq.Summary
	_ = json.Unmarshal([]byte(out), &sums)
	for _, s := range sums {
		if s.Topic == e.queue && (s.Depth != 0 || len(s.Interrupted) != 0) {
			t.Errorf("after the rerun: depth %d, interrupted runs %v", s.Depth, s.Interrupted)
		}
	}
}

// TestReplayRate checks that --rate holds within 10 %.
func TestReplayRate(t *testing.T) {
	e := setup(t)
	const n = 60_000
	e.fill(n)
	for _, tc := range []struct {
		rate  float64
		limit int
	}{{1000, 8000}, {5000, 40000}} {
		t.Run(fmt.Sprint(tc.rate), func(t *testing.T) {
			start := time.Now()
			res := e.replayJSON(e.connector, "--to", "source", "--rate", fmt.Sprint(tc.rate), "--limit", fmt.Sprint(tc.limit))
			wall := time.Since(start)
			wallRate := float64(res.Replayed) / wall.Seconds()
			t.Logf("FIGURE --rate %.0f: %d records in %.2fs = %.0f records/s (%.1f%% off); whole command %.2fs = %.0f records/s",
				tc.rate, res.Replayed, res.Elapsed.Seconds(), res.Rate, 100*(res.Rate-tc.rate)/tc.rate, wall.Seconds(), wallRate)
			if res.Replayed != int64(tc.limit) {
				t.Fatalf("replayed %d, want %d", res.Replayed, tc.limit)
			}
			if math.Abs(res.Rate-tc.rate)/tc.rate > 0.10 {
				t.Errorf("--rate %.0f ran at %.0f records/s, more than 10%% off", tc.rate, res.Rate)
			}
		})
	}
}

// TestSinkReplayThroughREST replays into the sink through the worker's REST
// API: records the sink rejects go back to the queue with attempt 2, and a
// replay into a connector that is not running changes nothing.
func TestSinkReplayThroughREST(t *testing.T) {
	e := setup(t)
	e.fill(3000)
	e.sink.fail = `"order_id":1234,`
	e.sink.running = false
	_, errOut, code := e.freshet("replay", e.connector, "--to", "sink")
	if code != 2 || !strings.Contains(errOut, "not running") {
		t.Errorf("replay into a paused connector: exit %d: %s", code, errOut)
	}
	if c := e.cursor(); len(c) != 0 {
		t.Errorf("refused replay committed a cursor: %v", c)
	}
	e.sink.running = true
	res := e.replayJSON(e.connector, "--to", "sink")
	if res.Replayed != 2999 || res.FailedAgain != 1 || len(e.sink.got) != 2999 {
		t.Fatalf("replay into the sink = %+v, sink got %d", res, len(e.sink.got))
	}
	out, errOut, code := e.freshet("inspect", e.queue, "-o", "json")
	var recs []dlq.Record
	if code != 0 || json.Unmarshal([]byte(out), &recs) != nil || len(recs) != 1 {
		t.Fatalf("inspect after sink replay: exit %d: %s %s", code, out, errOut)
	}
	r := recs[0]
	if r.Attempt != 2 || r.Offset != 3000 || r.Exception == nil || !strings.Contains(r.Exception.Message, "mapper_parsing_exception") ||
		r.Origin == nil || r.Origin.Topic != e.source || r.WorkerID != "e2e-worker" || r.Replay == nil || r.Replay.ID != res.Run {
		t.Errorf("the record that failed again: %+v", r)
	}
}

// TestBadInput: each bad command exits 2 with a clear message and changes
// nothing.
func TestBadInput(t *testing.T) {
	e := setup(t)
	e.fill(100)
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"unknown queue", []string{"inspect", "no-such-queue"}, "unknown dead-letter queue"},
		{"connector without queue", []string{"replay", "no-dlq-sink-" + strings.TrimPrefix(e.connector, "es-sink-"), "--to", "source"}, "no dead-letter queue"},
		{"source topic is not a queue", []string{"replay", e.source, "--to", "source"}, "not a dead-letter queue"},
		{"bad regex", []string{"replay", e.connector, "--to", "source", "--match", "a(b"}, "not a valid regular expression"},
		{"time in the future", []string{"skip", e.connector, "--since", "2099-01-01", "--reason", "x"}, "is in the future"},
		{"skip without reason", []string{"skip", e.connector}, "--reason"},
		{"replay without destination", []string{"replay", e.connector}, "--to"},
		{"bad rate", []string{"replay", e.connector, "--to", "source", "--rate", "fast"}, "--rate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, errOut, code := e.freshet(tc.args...)
			if code != 2 || !strings.Contains(errOut, tc.want) {
				t.Errorf("exit %d, stderr %q; want 2 and %q", code, errOut, tc.want)
			}
		})
	}
	if got := e.count(e.source); got != 0 {
		t.Errorf("source topic has %d records", got)
	}
	if c := e.cursor(); len(c) != 0 {
		t.Errorf("drain cursor committed: %v", c)
	}
	td, err := e.Admin.ListTopics(e.ctx, e.audit)
	if err != nil {
		t.Fatal(err)
	}
	if a, ok := td[e.audit]; ok && a.Err == nil {
		t.Errorf("bad input created the audit topic %s", e.audit)
	}
}
