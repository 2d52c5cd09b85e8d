package distributed

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/freshet-dev/freshet/tests/e2e/e2etest"
)

// TestExactlyOnceSourceKilled: two file sources with exactly.once.source.support
// enabled (one transaction per poll, one per 1.5 s interval) while the worker
// running one of them is SIGKILLed, mid-transaction, several times. A
// read_committed consumer sees every line exactly once: no record whose
// position was not committed became visible (it would have been read again
// after the restart, a duplicate), and none is missing. Aborted transactions
// are counted from a read_uncommitted consumer, to show the kills did land
// inside transactions.
func TestExactlyOnceSourceKilled(t *testing.T) {
	e := setup(t)
	ws := e.cluster(t, 3, map[string]string{"exactly.once.source.support": "enabled"})
	e2etest.WaitFor(t, 30*time.Second, "three members in one generation", func() (bool, string) {
		var cs clusterState
		if _, err := call("GET", ws[0].URL+"/cluster", nil, &cs); err != nil {
			return false, err.Error()
		}
		return cs.Stable && len(cs.Members) == 3, fmt.Sprintf("%+v", cs)
	})
	topic := e2etest.UniqueName("dist-eos")
	e.CreateTopic(t, topic, 3)

	dir := t.TempDir()
	boundaries := []map[string]string{
		{"transaction.boundary": "poll"},
		{"transaction.boundary": "interval", "transaction.boundary.interval.ms": "1500"},
	}
	var apps []*appender
	for i, b := range boundaries {
		path := filepath.Join(dir, fmt.Sprintf("eos%d.txt", i))
		apps = append(apps, startAppender(t, path, 5*time.Millisecond))
		cfg := map[string]string{"connector.class": "FileStreamSource", "file": path, "topic": topic, "tasks.max": "1"}
		for k, v := range b {
			cfg[k] = v
		}
		code, err := call("POST", ws[i].URL+"/connectors", map[string]any{"name": fmt.Sprintf("eos%d", i), "config": cfg}, nil)
		if err != nil || code != 201 {
			t.Fatalf("create eos%d: %d %v", i, code, err)
		}
	}
	running := func(name string) *e2etest.Worker {
		var st e2etest.ConnectorStatus
		for _, w := range ws {
			if !w.Running() {
				continue
			}
			if code, err := call("GET", w.URL+"/connectors/"+name+"/status", nil, &st); err != nil || code != 200 {
				return nil
			}
			break
		}
		if len(st.Tasks) != 1 || st.Tasks[0].State != "RUNNING" {
			return nil
		}
		for _, w := range ws {
			if "http://"+st.Tasks[0].WorkerID == w.URL && w.Running() {
				return w
			}
		}
		return nil
	}
	waitAll := func(what string, after int32) {
		e2etest.WaitFor(t, 60*time.Second, what, func() (bool, string) {
			var cs clusterState
			if _, err := call("GET", ws[0].URL+"/cluster", nil, &cs); err != nil {
				return false, err.Error()
			}
			if !cs.Stable || len(cs.Members) != 3 || cs.Generation <= after {
				return false, fmt.Sprintf("%+v", cs)
			}
			for i := range boundaries {
				if running(fmt.Sprintf("eos%d", i)) == nil {
					return false, fmt.Sprintf("eos%d not running on a live worker", i)
				}
			}
			return true, ""
		})
	}
	waitAll("both exactly-once sources running", 0)

	const kills = 4
	for k := range kills {
		time.Sleep(time.Duration(1500+rand.IntN(1500)) * time.Millisecond)
		name := fmt.Sprintf("eos%d", k%2)
		w := running(name)
		if w == nil {
			t.Fatalf("kill %d: %s runs on no live worker", k, name)
		}
		var cs clusterState
		if _, err := call("GET", w.URL+"/cluster", nil, &cs); err != nil {
			t.Fatal(err)
		}
		killed := time.Now()
		w.Kill()
		w.Start()
		waitAll(fmt.Sprintf("both sources running after kill %d", k), cs.Generation)
		t.Logf("kill %d: SIGKILLed %s, which ran %s; running again in generation > %d after %v",
			k, w.URL, name, cs.Generation, time.Since(killed).Round(time.Millisecond))
	}
	time.Sleep(2 * time.Second)
	total := 0
	for _, a := range apps {
		total += a.finish()
	}

	committed := e.readAll(t, topic, kgo.ReadCommitted(), total, 60*time.Second)
	count := map[string]int{}
	for _, v := range committed {
		count[v]++
	}
	var dups, missing []string
	for _, v := range committed {
		if count[v] > 1 {
			dups = append(dups, v)
		}
	}
	for i := range boundaries {
		for n := 1; n <= apps[i].n; n++ {
			if l := fmt.Sprintf("eos%d.txt line %06d", i, n); count[l] == 0 {
				missing = append(missing, l)
			}
		}
	}
	if len(dups) > 0 || len(missing) > 0 || len(committed) != total {
		t.Fatalf("read_committed saw %d records of %d lines: %d duplicated (first %v), %d missing (first %v)",
			len(committed), total, len(dups), first(dups), len(missing), first(missing))
	}
	// Committed positions cover exactly what is visible.
	offs := e.readAll(t, ws[0].Props["offset.storage.topic"], kgo.ReadCommitted(), 0, 5*time.Second)
	t.Logf("offsets topic: %d committed position records", len(offs))
	for i, a := range apps {
		want := int64(a.n * len(fmt.Sprintf("eos%d.txt line %06d\n", i, 1)))
		var got struct {
			Position int64 `json:"position"`
		}
		if err := json.Unmarshal([]byte(e.lastOffset(t, ws[0].Props["offset.storage.topic"], fmt.Sprintf("eos%d", i))), &got); err != nil {
			t.Fatalf("eos%d: last committed position: %v", i, err)
		}
		if got.Position != want {
			t.Errorf("eos%d: last committed position %d, want %d (the file's length)", i, got.Position, want)
		}
	}
	all := e.readAll(t, topic, kgo.ReadUncommitted(), 0, 5*time.Second)
	t.Logf("%d lines exactly once through %d kills; read_uncommitted saw %d records (%d in aborted transactions)",
		total, kills, len(all), len(all)-len(committed))
	if len(all) == len(committed) {
		t.Errorf("no aborted transaction: the kills never landed inside a transaction, the test proved nothing")
	}
}

func first(s []string) []string { return s[:min(len(s), 5)] }

// readAll reads topic from the start with the isolation level until it
// holds want records (0: until it is quiet for a second) or timeout passes,
// and returns the values in order of arrival.
func (e *env) readAll(t *testing.T, topic string, iso kgo.IsolationLevel, want int, timeout time.Duration) []string {
	t.Helper()
	cl := e.NewClient(t, kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchIsolationLevel(iso))
	defer cl.Close()
	var out []string
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) && (want == 0 || len(out) < want) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		fs := cl.PollFetches(ctx)
		cancel()
		n := 0
		fs.EachRecord(func(r *kgo.Record) {
			out = append(out, string(r.Value))
			n++
		})
		if n == 0 && want == 0 && ctx.Err() != nil {
			break
		}
	}
	if want > 0 {
		// Read a little longer: a duplicate would arrive after the last line.
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		for ctx.Err() == nil {
			cl.PollFetches(ctx).EachRecord(func(r *kgo.Record) { out = append(out, string(r.Value)) })
		}
		cancel()
	}
	return out
}

// lastOffset returns the value of the last committed offset record of
// connector in the offsets topic.
func (e *env) lastOffset(t *testing.T, topic, connector string) string {
	t.Helper()
	cl := e.NewClient(t, kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	defer cl.Close()
	last := ""
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		fs := cl.PollFetches(ctx)
		cancel()
		n := 0
		fs.EachRecord(func(r *kgo.Record) {
			n++
			if strings.HasPrefix(string(r.Key), `["`+connector+`",`) && r.Value != nil {
				last = string(r.Value)
			}
		})
		if n == 0 {
			return last
		}
	}
}
